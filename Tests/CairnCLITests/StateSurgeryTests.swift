import Foundation
import TestSupport
import Testing

/// `cairn state rm` and `cairn state mv` through the `cairn-fixtures` binary: the state changes, AWS (checked with
/// the aws CLI) does not, and each step can be undone as the command says.
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
        #expect(forgotten.stdout.contains("Bring it back with `cairn import \(stack) aws_ecr_repository.app \(repository)`"), "\(forgotten)")
        #expect(try await cairn.aws(["ecr", "describe-repositories", "--repository-names", repository]).status == 0, "AWS keeps it")
        #expect(!(try await cairn.run(["state", "list", stack, "--env", env])).stdout.contains("aws_ecr_repository.app\t"))
        let history = try await cairn.run(["state", "history", stack, "--env", env])
        #expect(history.stdout.contains("state rm aws_ecr_repository.app\tforget\taws_ecr_repository.app"), "\(history)")
        try await cairn.run(["import", stack, "aws_ecr_repository.app", repository, "--env", env]).requireSuccess("import back")
        #expect(try await cairn.run(["plan", stack, "--env", env, "--detailed-exitcode"]).status == 0)

        let moved = try await cairn.run(["state", "mv", stack, "aws_ecr_repository.app", "aws_ecr_repository.images", "--env", env])
        #expect(
            moved.status == 0 && moved.stdout.contains("Undo with `cairn state mv \(stack) aws_ecr_repository.images aws_ecr_repository.app`"),
            "\(moved)")
        #expect((try await cairn.run(["state", "list", stack, "--env", env])).stdout.contains("aws_ecr_repository.images\t"))
        try await cairn.run(["state", "mv", stack, "aws_ecr_repository.images", "aws_ecr_repository.app", "--env", env]).requireSuccess("undo")
        #expect(try await cairn.run(["plan", stack, "--env", env, "--detailed-exitcode"]).status == 0)
        try await cairn.run(["destroy", stack, "--env", env, "--auto-approve"]).requireSuccess("destroy")
    }
}
