import CairnState
import Foundation
import TestSupport
import Testing

/// The fixture stack `fixture-app` (a repository, a bucket, a role and a task definition) through the `cairn-fixtures` binary, against a signature-checking moto, each result
/// checked with the aws CLI. Each test uses its own `--env`, so names never collide.
@Suite(.integration) struct StackLifecycleTests {
    let stack = "fixture-app"

    @Test func planApplyReplanDriftRevertDestroy() async throws {
        let cairn = try await CairnRunner.make()
        let env = uniqueEnvironment("life")
        let repository = "fixture-app-\(env)"
        let bucket = "fixture-app-\(env)-artifacts"

        let plan = try await cairn.run(["plan", stack, "--env", env, "--detailed-exitcode"])
        #expect(plan.status == 2, "\(plan)")
        #expect(plan.stdout.contains("Plan: 4 to create, 0 to update, 0 to replace, 0 to delete."))

        let apply = try await cairn.run(["apply", stack, "--env", env, "--auto-approve"])
        #expect(apply.status == 0, "\(apply)")
        #expect(apply.stdout.contains("Apply complete! Resources: 4 added"))

        // Checked independently.
        let repositories = try await cairn.awsJSON(["ecr", "describe-repositories", "--repository-names", repository])
        #expect(repositories["repositories"][0]["imageScanningConfiguration"]["scanOnPush"] == true)
        let versioning = try await cairn.awsJSON(["s3api", "get-bucket-versioning", "--bucket", bucket])
        #expect(versioning["Status"] == "Enabled")
        let role = try await cairn.awsJSON(["iam", "get-role", "--role-name", "\(repository)-build"])
        #expect(role["Role"]["AssumeRolePolicyDocument"]["Statement"][0]["Principal"]["Service"] == "codebuild.amazonaws.com")
        let policy = try await cairn.awsJSON(["iam", "get-role-policy", "--role-name", "\(repository)-build", "--policy-name", "push"])
        #expect("\(policy["PolicyDocument"])".contains("arn:aws:s3:::\(bucket)/*"), "the role's policy names the bucket: \(policy)")

        let replan = try await cairn.run(["plan", stack, "--env", env, "--detailed-exitcode"])
        #expect(replan.status == 0, "\(replan)")
        #expect(replan.stdout.contains("No changes."))

        let output = try await cairn.run(["output", stack, "--env", env, "--format", "json"])
        #expect(output.stdout.contains("\"ECR_REPOSITORY_URI\": \"123456789012.dkr.ecr.eu-north-1.amazonaws.com/\(repository)\""))

        // A change made outside Cairn: drift finds it, plan says so, apply reverts it.
        try await cairn.aws(["ecr", "put-image-tag-mutability", "--repository-name", repository, "--image-tag-mutability", "IMMUTABLE"])
            .requireSuccess()
        let drift = try await cairn.run(["drift", stack, "--env", env, "--format", "json"])
        #expect(drift.status == 2, "\(drift)")
        let report = try JSONValue(parsing: drift.stdout)
        #expect(report["drifted"] == true)
        #expect(report["resources"][0]["address"] == "aws_ecr_repository.app")
        #expect(report["resources"][0]["attributes"][0]["path"] == "imageTagMutability")
        #expect(report["resources"][0]["attributes"][0]["live"] == "IMMUTABLE")
        let revert = try await cairn.run(["plan", stack, "--env", env])
        #expect(revert.stdout.contains("changed outside Cairn"))
        #expect(revert.stdout.contains("imageTagMutability: \"IMMUTABLE\" → \"MUTABLE\""))
        try await cairn.run(["apply", stack, "--env", env, "--auto-approve"]).requireSuccess("apply reverting drift")
        let reverted = try await cairn.awsJSON(["ecr", "describe-repositories", "--repository-names", repository])
        #expect(reverted["repositories"][0]["imageTagMutability"] == "MUTABLE")
        #expect(try await cairn.run(["drift", stack, "--env", env]).status == 0)

        // Content that destroy must clear: object versions, a delete marker, an image.
        let file = try makeTemporaryDirectory().appendingPathComponent("artifact.zip")
        try Data("v1".utf8).write(to: file)
        for _ in 0..<2 {
            try await cairn.aws(["s3api", "put-object", "--bucket", bucket, "--key", "build/artifact.zip", "--body", file.path]).requireSuccess()
        }
        try await cairn.aws(["s3api", "delete-object", "--bucket", bucket, "--key", "build/artifact.zip"]).requireSuccess()
        let manifest =
            #"{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json","config":{"mediaType":"application/vnd.docker.container.image.v1+json","size":7023,"digest":"sha256:b5b2b2c507a0944348e0303114d8d93aaaa081732b86451d9bce1f432a537bc7"},"layers":[]}"#
        try await cairn.aws(["ecr", "put-image", "--repository-name", repository, "--image-tag", "latest", "--image-manifest", manifest])
            .requireSuccess()

        let destroy = try await cairn.run(["destroy", stack, "--env", env, "--auto-approve"])
        #expect(destroy.status == 0, "\(destroy)")
        #expect(destroy.stdout.contains("Destroy complete! Resources: 4 destroyed."))
        #expect(try await cairn.aws(["ecr", "describe-repositories", "--repository-names", repository]).status != 0)
        #expect(try await cairn.aws(["s3api", "head-bucket", "--bucket", bucket]).status != 0)
        #expect(try await cairn.aws(["iam", "get-role", "--role-name", "\(repository)-build"]).status != 0)
        let list = try await cairn.run(["state", "list", stack, "--env", env])
        #expect(list.stdout.isEmpty)
    }

    @Test func anApplyKilledMidwayIsAdoptedOnTheNextRun() async throws {
        var cairn = try await CairnRunner.make()
        let env = uniqueEnvironment("crash")
        let bucket = "fixture-app-\(env)-artifacts"
        // A proxy holds the answer to the bucket's create call, which has taken effect in AWS, and the
        // process is killed from outside before it sees it, as a crash would.
        let proxy = try await HoldingProxy.start(upstream: cairn.moto.endpoint)
        defer { proxy.stop() }
        let hold = try await proxy.hold(.s3CreateBucket(bucket))
        cairn.extraEnvironment["AWS_ENDPOINT_URL"] = proxy.endpoint.absoluteString
        let apply = try BackgroundCairn.start(cairn, ["apply", stack, "--env", env, "--auto-approve", "--parallelism", "1"])
        try await proxy.waitUntilHeld(hold)
        try await apply.signal(SIGKILL)
        let killed = try await apply.finish()
        #expect(killed.status == 128 + 9, "SIGKILL right after the bucket's create call: \(killed)")
        #expect(try await cairn.aws(["s3api", "head-bucket", "--bucket", bucket]).status == 0, "the bucket exists in AWS")
        cairn.extraEnvironment = [:]
        let listed = try await cairn.run(["state", "list", stack, "--env", env])
        #expect(!listed.stdout.contains("aws_s3_bucket.artifacts"), "the crash came before its commit")

        // The stack lock of the killed process is stale; it is named and must be released.
        let blocked = try await cairn.run(["apply", stack, "--env", env, "--auto-approve"])
        #expect(blocked.status == 1)
        #expect(blocked.stderr.contains("locked by pid"))
        #expect(blocked.stderr.contains("force-unlock"))
        try await cairn.run(["force-unlock", stack, "--env", env]).requireSuccess()

        let plan = try await cairn.run(["plan", stack, "--env", env])
        #expect(plan.stdout.contains("adopting \(bucket)"), "\(plan)")
        let rerun = try await cairn.run(["apply", stack, "--env", env, "--auto-approve"])
        #expect(rerun.status == 0, "\(rerun)")
        let state = try await cairn.run(["state", "list", stack, "--env", env])
        #expect(state.stdout.split(separator: "\n").count == 4, "every resource recorded once: \(state.stdout)")
        let buckets = try await cairn.awsJSON(["s3api", "list-buckets"])
        #expect((buckets["Buckets"].array ?? []).filter { $0["Name"].string == bucket }.count == 1)
        let history = try await cairn.run(["state", "history", stack, "--env", env])
        #expect(history.stdout.contains("adopt\taws_s3_bucket.artifacts"))
        #expect(try await cairn.run(["plan", stack, "--env", env, "--detailed-exitcode"]).status == 0)
        try await cairn.run(["destroy", stack, "--env", env, "--auto-approve"]).requireSuccess()
    }

    @Test func aSecondApplyWaitsForTheLockOrFailsNamingItsHolder() async throws {
        let cairn = try await CairnRunner.make()
        let env = uniqueEnvironment("lock")
        let store = try #require(try StateStore.open(stateDir: cairn.stateDir, stack: stack, environment: env, create: true))
        let lock = try await store.acquireLock(command: "apply (another terminal)")
        let refused = try await cairn.run(["apply", stack, "--env", env, "--auto-approve"])
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("locked by pid \(ProcessInfo.processInfo.processIdentifier)"))
        #expect(refused.stderr.contains("running 'apply (another terminal)'"))
        #expect(
            try await cairn.aws(["ecr", "describe-repositories", "--repository-names", "fixture-app-\(env)"]).status != 0,
            "nothing was created")

        let release = Task {
            try await Task.sleep(for: .seconds(2))
            try lock.release()
        }
        let waited = try await cairn.run(["apply", stack, "--env", env, "--auto-approve", "--lock-timeout", "60"])
        try await release.value
        #expect(waited.status == 0, "\(waited)")
        store.close()
        try await cairn.run(["destroy", stack, "--env", env, "--auto-approve"]).requireSuccess()
    }

    @Test func aSavedPlanAppliesOnceAndAStaleOneIsRefused() async throws {
        let cairn = try await CairnRunner.make()
        let env = uniqueEnvironment("saved")
        let file = cairn.stateDir.appendingPathComponent("first.plan").path
        try await cairn.run(["plan", stack, "--env", env, "--out", file]).requireSuccess()
        let attributes = try FileManager.default.attributesOfItem(atPath: file)
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
        let first = try await cairn.run(["apply", file])
        #expect(first.status == 0, "\(first)")
        let again = try await cairn.run(["apply", file])
        #expect(again.status == 1)
        #expect(again.stderr.contains("had no state"), "\(again)")
        #expect(try await cairn.run(["plan", stack, "--env", env, "--detailed-exitcode"]).status == 0)
        try await cairn.run(["destroy", stack, "--env", env, "--auto-approve"]).requireSuccess()
    }

    @Test func importAdoptsAnExistingRepository() async throws {
        let cairn = try await CairnRunner.make()
        let env = uniqueEnvironment("import")
        let repository = "fixture-app-\(env)"
        try await cairn.aws(["ecr", "create-repository", "--repository-name", repository]).requireSuccess()
        let imported = try await cairn.run(["import", stack, "aws_ecr_repository.app", repository, "--env", env])
        #expect(imported.status == 0, "\(imported)")
        let list = try await cairn.run(["state", "list", stack, "--env", env])
        #expect(list.stdout.contains("aws_ecr_repository.app\taws_ecr_repository\t\(repository)"))
        let plan = try await cairn.run(["plan", stack, "--env", env])
        #expect(plan.stdout.contains("~ aws_ecr_repository.app"), "the declaration differs (scan on push, tags): \(plan.stdout)")
        #expect(plan.stdout.contains("3 to create, 1 to update"))
        let missing = try await cairn.run(["import", stack, "aws_ecr_repository.app", "no-such-repo", "--env", uniqueEnvironment("none")])
        #expect(missing.status == 1)
        #expect(missing.stderr.contains("AWS has no aws_ecr_repository with id 'no-such-repo'"))
        try await cairn.run(["destroy", stack, "--env", env, "--auto-approve"]).requireSuccess()
    }

    @Test func badInputGetsAClearMessageAndExitOne() async throws {
        let cairn = try await CairnRunner.make()
        let unknown = try await cairn.run(["plan", "no-such-stack"])
        #expect(unknown.status == 1)
        #expect(unknown.stderr.contains("There is no stack named 'no-such-stack'"))
        let badEnv = try await cairn.run(["plan", stack, "--env", "Bad Env"])
        #expect(badEnv.status == 1)
        #expect(badEnv.stderr.contains("--env 'Bad Env' is not a valid environment name"))

        // A broken state file is refused, named, and left as it was.
        let env = uniqueEnvironment("broken")
        let path = cairn.stateDir.appendingPathComponent("\(stack).\(env).db")
        try Data("this is not a database".utf8).write(to: path)
        let broken = try await cairn.run(["plan", stack, "--env", env])
        #expect(broken.status == 1)
        #expect(broken.stderr.contains(path.path))
        #expect(try Data(contentsOf: path) == Data("this is not a database".utf8))

        // Wrong credentials and an unreachable endpoint.
        var wrong = cairn
        wrong.extraEnvironment["AWS_SECRET_ACCESS_KEY"] = "wrong"
        let credsEnv = uniqueEnvironment("creds")
        let denied = try await wrong.run(["apply", stack, "--env", credsEnv, "--auto-approve"])
        #expect(denied.status == 1)
        #expect(denied.stderr.contains("secret access key"), "\(denied.stderr)")
        #expect(try await cairn.run(["state", "list", stack, "--env", credsEnv]).stdout.isEmpty, "nothing half-recorded")
        var offline = cairn
        let closed = try ClosedLoopbackPort()
        defer { closed.close() }
        offline.extraEnvironment["AWS_ENDPOINT_URL"] = closed.endpoint.absoluteString
        offline.extraEnvironment["AWS_MAX_ATTEMPTS"] = "1"
        let unreachable = try await offline.run(["whoami"])
        #expect(unreachable.status == 1)
        #expect(unreachable.stderr.contains("Cannot reach"))
    }
}
