import Foundation
import TestSupport
import Testing

/// `cairn state rm`, `cairn state mv` and `cairn state undo` through the `cairn-fixtures` binary: the state changes,
/// AWS (checked with the aws CLI) does not, and each step can be undone as the command says.
@Suite(.integration) struct StateSurgeryCLITests {
    let stack = "fixture-app"

    @Test func forgetImportBackAndMoveAndBack() async throws {
        let cairn = try await CairnRunner.make()
        let env = uniqueEnvironment("surgery")
        let repository = "fixture-app-\(env)"
        try await cairn.run(["apply", stack, "--env", env, "--auto-approve"]).requireSuccess("apply")

        let refused = try await cairn.run(["state", "rm", stack, "aws_ecr_repository.app", "--env", env])
        #expect(refused.status == 1 && refused.stderr.contains("--auto-approve"), "no terminal to confirm on: \(refused)")
        let forgotten = try await cairn.run(["state", "rm", stack, "aws_ecr_repository.app", "--env", env, "--auto-approve"])
        #expect(forgotten.status == 0, "\(forgotten)")
        #expect(forgotten.stdout.contains("Bring it back with `cairn state undo \(stack) "), "\(forgotten)")
        #expect(forgotten.stdout.contains("(or `cairn import \(stack) aws_ecr_repository.app \(repository) --env \(env)`)"), "\(forgotten)")
        #expect(try await cairn.aws(["ecr", "describe-repositories", "--repository-names", repository]).status == 0, "AWS keeps it")
        #expect(!(try await cairn.run(["state", "list", stack, "--env", env])).stdout.contains("aws_ecr_repository.app\t"))
        let history = try await cairn.run(["state", "history", stack, "--env", env])
        #expect(history.stdout.contains("state rm aws_ecr_repository.app\tforget\taws_ecr_repository.app"), "\(history)")
        try await cairn.run(["import", stack, "aws_ecr_repository.app", repository, "--env", env]).requireSuccess("import back")
        #expect(try await cairn.run(["plan", stack, "--env", env, "--detailed-exitcode"]).status == 0)

        let moved = try await cairn.run(["state", "mv", stack, "aws_ecr_repository.app", "aws_ecr_repository.images", "--env", env])
        #expect(
            moved.status == 0
                && moved.stdout.contains("(or `cairn state mv \(stack) aws_ecr_repository.images aws_ecr_repository.app --env \(env)`)"),
            "\(moved)")
        #expect((try await cairn.run(["state", "list", stack, "--env", env])).stdout.contains("aws_ecr_repository.images\t"))
        try await cairn.run(["state", "mv", stack, "aws_ecr_repository.images", "aws_ecr_repository.app", "--env", env]).requireSuccess("undo")
        #expect(try await cairn.run(["plan", stack, "--env", env, "--detailed-exitcode"]).status == 0)
        try await cairn.run(["destroy", stack, "--env", env, "--auto-approve"]).requireSuccess("destroy")
    }

    @Test func undoFromTheHistoryAndRefusalsThatChangeNothing() async throws {
        let cairn = try await CairnRunner.make()
        let env = uniqueEnvironment("undo")
        let repository = "fixture-app-\(env)"
        try await cairn.run(["apply", stack, "--env", env, "--auto-approve"]).requireSuccess("apply")
        func history() async throws -> String { try await cairn.run(["state", "history", stack, "--env", env]).requireSuccess("history").stdout }
        func list() async throws -> String { try await cairn.run(["state", "list", stack, "--env", env]).requireSuccess("list").stdout }
        /// The command's one-sentence error, exit 1, the state and its history as they were.
        func refused(_ arguments: [String]) async throws -> String {
            let (historyBefore, listBefore) = (try await history(), try await list())
            let result = try await cairn.run(arguments + ["--env", env])
            #expect(result.status == 1, "\(arguments): \(result)")
            #expect(try await history() == historyBefore, "history unchanged by \(arguments)")
            #expect(try await list() == listBefore, "state unchanged by \(arguments)")
            return result.stderr.trimmingCharacters(in: .whitespacesAndNewlines)
        }

        // A forget, undone from the history by the serial it prints.
        let forgotten = try await cairn.run(["state", "rm", stack, "aws_ecr_repository.app", "--env", env, "--auto-approve"])
        let undo = try #require(forgotten.stdout.firstMatch(of: /`cairn state undo fixture-app (\d+) --env [a-z0-9-]+`/), "\(forgotten)")
        let serial = String(undo.1)
        #expect(
            try await history().contains("\tstate rm aws_ecr_repository.app\tforget\taws_ecr_repository.app\t\(repository)\n"),
            "the history names the id it forgot")
        let undone = try await cairn.run(["state", "undo", stack, serial, "--env", env])
        #expect(undone.status == 0 && undone.stdout.contains("Recorded aws_ecr_repository.app (\(repository)) again"), "\(undone)")
        #expect(try await history().contains("\tstate undo \(serial)\timport\taws_ecr_repository.app\t\(repository)\n"))
        #expect(try await cairn.run(["plan", stack, "--env", env, "--detailed-exitcode"]).status == 0, "as it was")
        #expect(try await cairn.aws(["ecr", "describe-repositories", "--repository-names", repository]).status == 0)
        #expect(try await refused(["state", "undo", stack, serial]).contains("it was undone already"))
        #expect(
            try await refused(["state", "undo", stack, "1"]).contains(
                "serial 1: it was made by `apply`, and only a `state rm` or a `state mv` is undone from the history"))

        // A move, undone by the opposite move.
        let moved = try await cairn.run(["state", "mv", stack, "aws_ecr_repository.app", "aws_ecr_repository.images", "--env", env])
        let moveSerial = try #require(moved.stdout.firstMatch(of: /`cairn state undo fixture-app (\d+) --env/), "\(moved)").1
        try await cairn.run(["state", "undo", stack, String(moveSerial), "--env", env]).requireSuccess("undo the move")
        #expect(try await list().contains("aws_ecr_repository.app\t"))
        #expect(try await cairn.run(["plan", stack, "--env", env, "--detailed-exitcode"]).status == 0)

        // Refused, nothing written: another type, a taken address, an unknown address (naming the closest) in each command.
        #expect(
            try await refused(["state", "mv", stack, "aws_ecr_repository.app", "aws_s3_bucket.app"]).contains(
                "it is a aws_ecr_repository, so it can only move to an address of that type"))
        #expect(
            try await refused(["state", "mv", stack, "aws_s3_bucket.artifacts", "aws_s3_bucket.artifacts"]).contains(
                "Error: aws_s3_bucket.artifacts: the state already holds a resource there"))
        let unknown =
            "Error: aws_ecr_repository.ap: the state of 'fixture-app' (\(env)) holds nothing at this address: did you mean aws_ecr_repository.app?"
        #expect(try await refused(["state", "mv", stack, "aws_ecr_repository.ap", "aws_ecr_repository.images"]) == unknown)
        #expect(try await refused(["state", "rm", stack, "aws_ecr_repository.ap", "--auto-approve"]) == unknown)
        #expect(try await refused(["state", "show", stack, "aws_ecr_repository.ap"]) == unknown)
        #expect(
            try await refused(["state", "undo", stack, "99"]).contains(
                "serial 99: the state of 'fixture-app' (\(env)) has no change with this serial"))
        try await cairn.run(["destroy", stack, "--env", env, "--auto-approve"]).requireSuccess("destroy")
    }
}
