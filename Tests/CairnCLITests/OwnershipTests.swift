import CairnState
import Foundation
import TestSupport
import Testing

/// A stack never adopts, changes or deletes what it did not create: a look-alike made by hand, another
/// state's resources, or its own resources seen from the wrong region. Each case is reproduced through
/// the `cairn` binary and checked with the aws CLI.
@Suite(.integration) struct OwnershipTests {
    let stack = "fixture-app"

    /// A bucket already there under the stack's exact name, holding an object: apply, apply again, destroy.
    @Test func aLookAlikeBucketIsNeverAdoptedOrDestroyed() async throws {
        let cairn = try await CairnRunner.make()
        let env = uniqueEnvironment("lookalike")
        let bucket = "fixture-app-\(env)-artifacts"
        try await cairn.aws(["s3api", "create-bucket", "--bucket", bucket, "--create-bucket-configuration", "LocationConstraint=eu-north-1"])
            .requireSuccess()
        let file = try makeTemporaryDirectory().appendingPathComponent("ledger.csv")
        try Data("colleague's data".utf8).write(to: file)
        try await cairn.aws(["s3api", "put-object", "--bucket", bucket, "--key", "ledger.csv", "--body", file.path]).requireSuccess()

        for _ in 0..<2 {
            let apply = try await cairn.run(["apply", stack, "--env", env, "--auto-approve"])
            #expect(apply.status == 1, "\(apply)")
            #expect(
                apply.stderr.contains("aws_s3_bucket.artifacts: \(bucket) already exists in AWS and was not created by this stack"), "\(apply.stderr)"
            )
            #expect(apply.stderr.contains("cairn import \(stack) aws_s3_bucket.artifacts \(bucket)"))
        }
        #expect(
            try await cairn.aws(["ecr", "describe-repositories", "--repository-names", "fixture-app-\(env)"]).status != 0,
            "the plan stopped before anything was created")

        // Without the plan's check (no refresh), S3 itself refuses the create, and its intent goes with the refusal.
        let blind = try await cairn.run(["apply", stack, "--env", env, "--auto-approve", "--refresh=false", "--parallelism", "1"])
        #expect(blind.status == 1, "\(blind)")
        let store = try #require(try StateStore.open(stateDir: cairn.stateDir, stack: stack, environment: env, create: false))
        #expect(try store.pendingIntents().filter { $0.address == "aws_s3_bucket.artifacts" }.isEmpty, "a refused create leaves no intent")
        store.close()
        let again = try await cairn.run(["apply", stack, "--env", env, "--auto-approve"])
        #expect(again.status == 1)
        #expect(!again.stdout.contains("adopting"), "\(again.stdout)")

        let destroy = try await cairn.run(["destroy", stack, "--env", env, "--auto-approve"])
        #expect(destroy.status == 0, "\(destroy)")
        #expect(
            try await cairn.aws(["s3api", "head-object", "--bucket", bucket, "--key", "ledger.csv"]).status == 0,
            "the look-alike bucket and its object are still there")
        let tags = try await cairn.aws(["s3api", "get-bucket-tagging", "--bucket", bucket])
        #expect(!tags.stdout.contains("cairn:"), "and carry no Cairn tags: \(tags.stdout)")
    }

    /// A second state directory for the same stack and environment sees the first one's resources as
    /// taken, and can neither adopt, import nor destroy them. A run in another region is refused outright.
    @Test func anotherStateAndAnotherRegionCannotTouchTheStack() async throws {
        let first = try await CairnRunner.make()
        let env = uniqueEnvironment("owner")
        let bucket = "fixture-app-\(env)-artifacts"
        try await first.run(["apply", stack, "--env", env, "--auto-approve"]).requireSuccess("first apply")
        let owned = try await first.awsJSON(["s3api", "get-bucket-tagging", "--bucket", bucket])
        let tagKeys = (owned["TagSet"].array ?? []).compactMap { $0["Key"].string }
        #expect(Set(["cairn:stack", "cairn:env", "cairn:state"]).isSubset(of: tagKeys), "\(tagKeys)")

        let second = try await CairnRunner.make()
        let plan = try await second.run(["plan", stack, "--env", env])
        #expect(plan.status == 1)
        #expect(plan.stderr.contains("already exists in AWS and belongs to stack '\(stack)' (environment '\(env)'"), "\(plan.stderr)")
        let imported = try await second.run(["import", stack, "aws_s3_bucket.artifacts", bucket, "--env", env])
        #expect(imported.status == 1)
        #expect(imported.stderr.contains("belongs to stack '\(stack)'"), "\(imported.stderr)")

        // What the old adoption bug needed: an intent for the bucket in the second state.
        let store = try #require(try StateStore.open(stateDir: second.stateDir, stack: stack, environment: env, create: true))
        _ = try store.recordIntent(address: "aws_s3_bucket.artifacts", type: "aws_s3_bucket", plannedName: bucket, command: "apply")
        store.close()
        let adopt = try await second.run(["apply", stack, "--env", env, "--auto-approve"])
        #expect(adopt.status == 1)
        #expect(!adopt.stdout.contains("adopting"), "\(adopt.stdout)")
        try await second.run(["destroy", stack, "--env", env, "--auto-approve"]).requireSuccess("destroying an empty state")
        #expect(try await first.aws(["s3api", "head-bucket", "--bucket", bucket]).status == 0)

        // The first state from another region: refused before any call, nothing written.
        let history = try await first.run(["state", "history", stack, "--env", env]).stdout
        for command in [
            ["plan"], ["apply", "--auto-approve"], ["destroy", "--auto-approve"], ["drift"], ["import", "aws_s3_bucket.artifacts", bucket],
        ] {
            let arguments = [command[0], stack] + command.dropFirst() + ["--env", env, "--region", "us-east-2"]
            let away = try await first.run(arguments)
            #expect(away.status == 1, "\(arguments): \(away)")
            #expect(away.stderr.contains("is for region eu-north-1, but this run uses us-east-2"), "\(arguments): \(away.stderr)")
        }
        #expect(try await first.run(["state", "history", stack, "--env", env]).stdout == history)
        #expect(try await first.moto.aws(["ecr", "describe-repositories"], region: "us-east-2").stdout.contains("fixture-app") == false)

        try await first.run(["destroy", stack, "--env", env, "--auto-approve"]).requireSuccess("destroy")
        #expect(try await first.aws(["s3api", "head-bucket", "--bucket", bucket]).status != 0)
    }
}
