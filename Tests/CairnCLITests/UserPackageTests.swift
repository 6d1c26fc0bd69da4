import CairnEngine
import Foundation
import TestSupport
import Testing

@testable import CairnCLI

/// examples/my-infra: a package of its own that depends on Cairn by path and lists its own stack in its
/// `main.swift`, as a team keeping its infrastructure in its own repository does. It is built with
/// `swift build`, then its executable plans, applies, re-plans, drift-checks and destroys the stack
/// against moto, each result checked with the aws CLI.
@Suite(.integration) struct UserPackageTests {
    let stack = "my-infra"

    @Test func examplePackageManagesItsOwnStack() async throws {
        var cairn = try await CairnRunner.make()
        cairn.executablePath = try await Self.buildExample()
        let env = uniqueEnvironment("user")
        let name = "my-infra-\(env)"

        // Its own stacks, not the seed stacks of the `cairn` executable.
        let stacks = try await cairn.run(["stacks"])
        #expect(stacks.status == 0, "\(stacks)")
        #expect(stacks.stdout.hasPrefix("my-infra\teu-north-1\t3 resources\t"), "\(stacks)")
        #expect(!stacks.stdout.contains("small-business-invoices"))

        // Bad variables stop every command before any call, naming the variable; nothing is written.
        let badFile = cairn.stateDir.appendingPathComponent("vars.json")
        try Data("images_kept: 3".utf8).write(to: badFile)
        for (arguments, message) in [
            (
                ["--var", "images_kept=many"],
                "Error: The variable 'images_kept' must be a whole number, and --var gives something else ('many'): fix the value."
            ),
            (
                ["--var", "colour=red"],
                "Error: --var sets 'colour', which stack 'my-infra' does not declare (its variables are images_kept): fix the name, or declare it with Variable(\"colour\")."
            ),
            (["--var-file", badFile.path], "Error: The variable file \(badFile.path) is not JSON ("),
        ] {
            let refused = try await cairn.run(["apply", stack, "--env", env, "--auto-approve"] + arguments)
            #expect(refused.status == 1, "\(refused)")
            #expect(refused.stderr.hasPrefix(message), "\(refused)")
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: cairn.stateDir.path) == ["vars.json"], "no state written")
        #expect(try await cairn.aws(["ecr", "describe-repositories", "--repository-names", name]).status != 0, "nothing created")

        let plan = try await cairn.run(["plan", stack, "--env", env, "--detailed-exitcode"])
        #expect(plan.status == 2, "\(plan)")
        #expect(plan.stdout.contains("Plan: 3 to create, 0 to update, 0 to replace, 0 to delete."))

        let apply = try await cairn.run(["apply", stack, "--env", env, "--auto-approve"])
        #expect(apply.status == 0, "\(apply)")
        #expect(apply.stdout.contains("Apply complete! Resources: 3 added"))

        let repositories = try await cairn.awsJSON(["ecr", "describe-repositories", "--repository-names", name])
        #expect(repositories["repositories"][0]["imageScanningConfiguration"]["scanOnPush"] == true)
        // The value that varies by environment: outside production, 10 images are kept.
        let lifecycle = try await cairn.awsJSON(["ecr", "get-lifecycle-policy", "--repository-name", name])
        let rules = try JSONValue(parsing: lifecycle["lifecyclePolicyText"].string ?? "")
        #expect(rules["rules"][0]["selection"]["countNumber"].int == 10, "\(lifecycle)")
        let versioning = try await cairn.awsJSON(["s3api", "get-bucket-versioning", "--bucket", "\(name)-artifacts"])
        #expect(versioning["Status"] == "Enabled")
        // The stack's tags on every resource, a resource's own added.
        let tagging = try await cairn.awsJSON(["s3api", "get-bucket-tagging", "--bucket", "\(name)-artifacts"])
        let tags = Dictionary(uniqueKeysWithValues: (tagging["TagSet"].array ?? []).map { ($0["Key"].string ?? "", $0["Value"].string ?? "") })
        #expect(tags["project"] == "my-infra" && tags["environment"] == env && tags["contents"] == "build artifacts", "\(tags)")
        let roleTags = try await cairn.awsJSON(["iam", "list-role-tags", "--role-name", "\(name)-ci"])
        #expect((roleTags["Tags"].array ?? []).contains { $0["Key"] == "managed-by" && $0["Value"] == "cairn" }, "\(roleTags)")
        let role = try await cairn.awsJSON(["iam", "get-role", "--role-name", "\(name)-ci"])
        #expect(role["Role"]["AssumeRolePolicyDocument"]["Statement"][0]["Principal"]["Service"] == "codebuild.amazonaws.com")

        let replan = try await cairn.run(["plan", stack, "--env", env, "--detailed-exitcode"])
        #expect(replan.status == 0, "no changes after apply: \(replan)")

        // A variable set from a file, then from the environment: one in-place change each time.
        let file = cairn.stateDir.appendingPathComponent("production.json")
        try Data(#"{"images_kept": 25}"#.utf8).write(to: file)
        let fromFile = try await cairn.run(["apply", stack, "--env", env, "--auto-approve", "--var-file", file.path])
        #expect(fromFile.status == 0, "\(fromFile)")
        #expect(fromFile.stdout.contains("Apply complete! Resources: 0 added, 1 changed, 0 replaced, 0 destroyed."), "\(fromFile)")
        let kept = try await cairn.awsJSON(["ecr", "get-lifecycle-policy", "--repository-name", name])
        #expect(try JSONValue(parsing: kept["lifecyclePolicyText"].string ?? "")["rules"][0]["selection"]["countNumber"].int == 25)
        cairn.extraEnvironment["CAIRN_VAR_images_kept"] = "25"
        let sameFromEnvironment = try await cairn.run(["plan", stack, "--env", env, "--detailed-exitcode"])
        #expect(sameFromEnvironment.status == 0, "\(sameFromEnvironment)")
        cairn.extraEnvironment["CAIRN_VAR_images_kept"] = nil
        let back = try await cairn.run(["apply", stack, "--env", env, "--auto-approve"])
        #expect(back.status == 0, "\(back)")
        let drift = try await cairn.run(["drift", stack, "--env", env])
        #expect(drift.status == 0, "no drift after apply: \(drift)")
        let output = try await cairn.run(["output", stack, "--env", env, "--format", "json"])
        #expect(output.stdout.contains("\"REPOSITORY_URI\": \"123456789012.dkr.ecr.eu-north-1.amazonaws.com/\(name)\""), "\(output)")
        // What a build step does with them: eval the export lines.
        let exports = try await cairn.run(["output", stack, "--env", env, "--format", "env"])
        #expect(exports.status == 0, "\(exports)")
        let shell = try await runProcess(
            executable: "/bin/sh", arguments: ["-c", "eval \"$1\" && printf '%s %s' \"$REPOSITORY_URI\" \"$ARTIFACT_BUCKET\"", "sh", exports.stdout])
        #expect(shell.stdout == "123456789012.dkr.ecr.eu-north-1.amazonaws.com/\(name) \(name)-artifacts", "\(shell)")

        let destroy = try await cairn.run(["destroy", stack, "--env", env, "--auto-approve"])
        #expect(destroy.status == 0, "\(destroy)")
        #expect(try await cairn.aws(["ecr", "describe-repositories", "--repository-names", name]).status != 0)
        #expect(try await cairn.aws(["s3api", "head-bucket", "--bucket", "\(name)-artifacts"]).status != 0)
        #expect(try await cairn.aws(["iam", "get-role", "--role-name", "\(name)-ci"]).status != 0)
    }

    /// Builds examples/my-infra and returns its executable (see `ExampleBuilds`). scripts/test builds it before the
    /// tests, so this is a no-op there.
    static func buildExample() async throws -> String {
        try await ExampleBuilds.build(ExampleBuilds.root.appendingPathComponent("examples/my-infra"), product: "my-infra")
    }
}

/// The registry `CairnMain.main(stacks:)` fills: look-ups by name, and the refusals, each one sentence.
@Suite struct StackRegistryTests {
    static func stack(_ name: String) -> StackDefinition {
        StackDefinition(name: name, summary: "", region: nil) { _ in (resources: [], outputs: [:]) }
    }

    /// The message of the error `body` throws, nil if it throws none.
    static func refusal(_ body: () throws -> Void) -> String? {
        do { try body() } catch { return "\(error)" }
        return nil
    }

    // One test, as the registry is the whole process's.
    @Test func looksStacksUpByNameAndRefusesDuplicatesAndUnknownNames() throws {
        try StackRegistry.register([])
        #expect(Self.refusal { _ = try StackRegistry.definition(named: "web") }?.contains("no stacks are registered") == true)

        try StackRegistry.register([Self.stack("web"), Self.stack("data")])
        #expect(try StackRegistry.definition(named: "data").name == "data")
        #expect(StackRegistry.stacks.map(\.name) == ["web", "data"])
        #expect(Self.refusal { _ = try StackRegistry.definition(named: "api") }?.contains("the registered stacks are web, data") == true)

        let duplicate = Self.refusal { try StackRegistry.register([Self.stack("api"), Self.stack("api")]) }
        #expect(duplicate?.contains("Two stacks are named 'api'") == true)
        #expect(StackRegistry.stacks.map(\.name) == ["web", "data"], "a refused list replaces nothing")
    }
}
