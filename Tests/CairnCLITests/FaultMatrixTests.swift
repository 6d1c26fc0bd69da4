import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Seed 000 through the fault proxy with one request in five failing at random on every operation (500, 503,
/// throttling, or a connection reset after moto has acted, so that Cairn does not learn what AWS did): apply, a
/// re-plan with no change, drift and destroy all converge, and the aws CLI, talking to moto directly, finds each
/// resource exactly once and the state naming what AWS has. Then the same with `kill -9` at several points of the
/// apply, each followed by `force-unlock` and a new apply under the same faults; and an apply and destroy whose state
/// is shared through an S3 bucket behind the same faults, some of its writes landing with their answers lost.
@Suite(.integration) struct FaultMatrixTests {
    let stack = "small-business-invoices"
    /// Faults are drawn per operation from this seed: the same seed gives the same faults on every run.
    static let faults = FaultProxy.Rule.random(
        probability: 0.2, seed: 12, faults: [.internalError, .serviceUnavailable, .throttle, .reset])

    private func proxied() async throws -> (CairnRunner, FaultProxy) {
        var cairn = try await CairnRunner.make(executable: CairnRunner.executable)
        let proxy = try await FaultProxy.start(upstream: cairn.moto)
        cairn.extraEnvironment["AWS_ENDPOINT_URL"] = proxy.endpoint.absoluteString
        try await proxy.add(Self.faults)
        return (cairn, proxy)
    }

    @Test func seed000ConvergesUnderTwentyPercentFaults() async throws {
        let (cairn, proxy) = try await proxied()
        defer { proxy.stop() }
        let env = uniqueEnvironment("faults")
        let bound = Duration.seconds(900)  // bound: minutes of backoff through the faults on a busy machine
        let apply = try await cairn.run(["apply", stack, "--env", env, "--auto-approve"], timeout: bound)
        #expect(apply.status == 0, "\(apply)\n\(proxy.logTail())")
        #expect(apply.stdout.contains("Apply complete! Resources: 12 added"), "\(apply)")
        try await expectOneOfEach(cairn, env: env)
        try await converge(cairn, proxy, env: env)
        // The faults did happen: about one request in five, on every command.
        let totals = try await proxy.stats().totals
        let faults = totals.injected + totals.resets + totals.throttled
        #expect(faults * 10 >= totals.requests && faults >= 20, "\(faults) faults in \(totals.requests) requests: \(totals)")
    }

    /// Every create's first answer lost after moto acted (a reset mid-body): each is retried, refused as a duplicate
    /// (or, for calls that make something new each time, not repeated), and what AWS made is adopted in the same apply.
    @Test func everyCreateWhoseAnswerIsLostIsAdoptedNotMadeTwice() async throws {
        var cairn = try await CairnRunner.make(executable: CairnRunner.executable)
        let proxy = try await FaultProxy.start(upstream: cairn.moto)
        defer { proxy.stop() }
        cairn.extraEnvironment["AWS_ENDPOINT_URL"] = proxy.endpoint.absoluteString
        let creates = [
            "iam:CreateRole", "ecr:CreateRepository", "logs:CreateLogGroup", "ec2:CreateSecurityGroup", "ecs:RegisterTaskDefinition",
            "codebuild:CreateProject", "codepipeline:CreatePipeline", "s3:CreateBucket",
        ]
        try await proxy.add(creates.map { FaultProxy.Rule.reset($0, at: .body).count(1) })
        let env = uniqueEnvironment("lost")
        let bound = Duration.seconds(900)  // bound: minutes of backoff through the faults on a busy machine
        let apply = try await cairn.run(["apply", stack, "--env", env, "--auto-approve"], timeout: bound)
        #expect(apply.status == 0, "\(apply)\n\(proxy.logTail())")
        #expect(apply.stdout.contains("its create's answer was lost, but AWS made it"), "\(apply)")
        let stats = try await proxy.stats()
        for operation in creates { #expect(stats[operation].resets == 1, "\(operation): \(stats[operation])") }
        try await expectOneOfEach(cairn, env: env)
        try await converge(cairn, proxy, env: env)
    }

    @Test func killedAtSeveralPointsUnderFaultsItStillConverges() async throws {
        let (cairn, proxy) = try await proxied()
        defer { proxy.stop() }
        let env = uniqueEnvironment("faultkill")
        // Killed once this many requests have gone through the proxy since the run began.
        for requests in [12, 35, 60] {
            try await proxy.resetStats()
            let apply = try BackgroundCairn.start(cairn, ["apply", stack, "--env", env, "--auto-approve"])
            while try await proxy.stats().totals.requests < requests {
                if (try? await apply.pid()).map({ kill($0, 0) != 0 }) ?? false { break }
                try await Task.sleep(for: .milliseconds(20))
            }
            try await apply.signal(SIGKILL)
            _ = try? await apply.finish()
            // The killed run's lock stays: its holder is gone, and force-unlock clears it.
            _ = try await cairn.run(["force-unlock", stack, "--env", env, "--force"])
        }
        let bound = Duration.seconds(900)  // bound: minutes of backoff through the faults on a busy machine
        let apply = try await cairn.run(["apply", stack, "--env", env, "--auto-approve"], timeout: bound)
        #expect(apply.status == 0, "\(apply)\n\(proxy.logTail())")
        try await expectOneOfEach(cairn, env: env)
        try await converge(cairn, proxy, env: env)
    }

    /// The state in a bucket behind the proxy too: its reads and writes meet the same faults, and some of its writes land
    /// with their answers lost (a reset mid-answer, a 500 after moto acted), so that the client sends them again and its
    /// conditional writes are refused by themselves. Apply and destroy converge, and the bucket holds the state, no lock.
    @Test func seed000WithItsStateInS3ConvergesUnderFaultsAndLostAnswers() async throws {
        let (proxiedCairn, proxy) = try await proxied()
        defer { proxy.stop() }
        var cairn = proxiedCairn
        let bucket = "cairn-faults-\(UInt32.random(in: 0...UInt32.max) % 1_000_000)"
        try await cairn.aws(["s3api", "create-bucket", "--bucket", bucket, "--create-bucket-configuration", "LocationConstraint=eu-north-1"])
            .requireSuccess()
        try await cairn.aws(["s3api", "put-bucket-versioning", "--bucket", bucket, "--versioning-configuration", "Status=Enabled"])
            .requireSuccess()
        cairn.extraEnvironment["CAIRN_BACKEND"] = "s3://\(bucket)/team"
        let state = "^/\(NSRegularExpression.escapedPattern(for: bucket))/"
        // Before the random faults (rules apply in order): half the state's writes, up to eight, land and lose their
        // answer; the first unlock's delete lands and answers 500.
        try await proxy.reset()
        try await proxy.add([
            FaultProxy.Rule.reset("s3:PutObject", at: .body).target(state).probability(0.5, seed: 3).count(8),
            FaultProxy.Rule.internalError("s3:DeleteObject", forward: true).target(state).count(1),
            Self.faults,
        ])
        let env = uniqueEnvironment("s3faults")
        let bound = Duration.seconds(900)  // bound: minutes of backoff through the faults on a busy machine
        let apply = try await cairn.run(["apply", stack, "--env", env, "--auto-approve"], timeout: bound)
        #expect(apply.status == 0, "\(apply)\n\(proxy.logTail())")
        #expect(apply.stdout.contains("Apply complete! Resources: 12 added"), "\(apply)")
        try await expectOneOfEach(cairn, env: env)
        let destroy = try await cairn.run(["destroy", stack, "--env", env, "--auto-approve"], timeout: bound)
        #expect(destroy.status == 0, "\(destroy)\n\(proxy.logTail())")
        let left = try await inventory(cairn, env: env).filter { !$0.value.isEmpty }
        #expect(left.isEmpty, "left after destroy: \(left)")

        // The state's own writes did lose answers, and the bucket holds the state, released, as the aws CLI reads it.
        let log = try await proxy.log(limit: 5000).filter { $0.target.hasPrefix("/\(bucket)/") }
        let lost = log.filter { $0.op == "s3:PutObject" && $0.outcome == "reset mid-body" }
        #expect(!lost.isEmpty, "no state write lost its answer: \(log.map { "\($0.op) \($0.method) \($0.target) \($0.status) \($0.outcome)" })")
        let listed = try await cairn.awsJSON(["s3api", "list-objects-v2", "--bucket", bucket])
        let keys = (listed["Contents"].array ?? []).compactMap { $0["Key"].string }
        #expect(keys.contains("team/\(stack)/\(env)/state"), "\(keys)")
        #expect(!keys.contains("team/\(stack)/\(env)/lock"), "released: \(keys)")
        var direct = cairn
        direct.extraEnvironment["AWS_ENDPOINT_URL"] = nil
        let reread = try await direct.run(["state", "list", stack, "--env", env])
        #expect(reread.status == 0 && reread.stdout.isEmpty, "\(reread)")
    }

    /// A re-plan with no change, drift clean, then destroy leaving nothing: all under the same faults.
    private func converge(_ cairn: CairnRunner, _ proxy: FaultProxy, env: String) async throws {
        let bound = Duration.seconds(900)  // bound: minutes of backoff through the faults on a busy machine
        let replan = try await cairn.run(["plan", stack, "--env", env, "--detailed-exitcode"], timeout: bound)
        #expect(replan.status == 0, "no changes after the apply: \(replan)")
        let drift = try await cairn.run(["drift", stack, "--env", env], timeout: bound)
        #expect(drift.status == 0, "no drift: \(drift)")
        let destroy = try await cairn.run(["destroy", stack, "--env", env, "--auto-approve"], timeout: bound)
        #expect(destroy.status == 0, "\(destroy)\n\(proxy.logTail())")
        #expect(try await cairn.run(["state", "list", stack, "--env", env]).stdout.isEmpty)
        let inventory = try await self.inventory(cairn, env: env)
        let left = inventory.filter { !$0.value.isEmpty }
        #expect(left.isEmpty, "left after destroy: \(left)")
    }

    /// What moto holds of seed 000 in `env`, by kind, read by the aws CLI without the proxy.
    private func inventory(_ cairn: CairnRunner, env: String) async throws -> [String: [String]] {
        let project = "small-business-invoices-\(env)"
        func strings(_ value: JSONValue, _ key: String) -> [String] { (value.array ?? []).compactMap { $0[key].string } }
        var found: [String: [String]] = [:]
        found["repositories"] = strings(try await cairn.awsJSON(["ecr", "describe-repositories"])["repositories"], "repositoryName")
            .filter { $0 == project }
        found["roles"] = strings(try await cairn.awsJSON(["iam", "list-roles"])["Roles"], "RoleName").filter { $0.hasPrefix(project) }
        found["buckets"] = strings(try await cairn.awsJSON(["s3api", "list-buckets"])["Buckets"], "Name").filter { $0.hasPrefix(project) }
        found["logGroups"] = strings(
            try await cairn.awsJSON(["logs", "describe-log-groups", "--log-group-name-prefix", "/ecs/\(project)"])["logGroups"], "logGroupName")
        found["securityGroups"] = strings(
            try await cairn.awsJSON(["ec2", "describe-security-groups", "--filters", "Name=group-name,Values=\(project)-service"])["SecurityGroups"],
            "GroupId")
        found["taskDefinitions"] =
            (try await cairn.awsJSON(["ecs", "list-task-definitions", "--family-prefix", project, "--status", "ACTIVE"])["taskDefinitionArns"].array
            ?? []).compactMap(\.string)
        found["buildProjects"] = (try await cairn.awsJSON(["codebuild", "list-projects"])["projects"].array ?? []).compactMap(\.string)
            .filter { $0.hasPrefix(project) }
        found["pipelines"] = strings(try await cairn.awsJSON(["codepipeline", "list-pipelines"])["pipelines"], "name").filter {
            $0.hasPrefix(project)
        }
        let clusters = try await cairn.awsJSON(["ecs", "describe-clusters", "--clusters", "small-business-cluster-\(env)"])["clusters"]
        found["clusters"] = (clusters.array ?? []).filter { $0["status"] == "ACTIVE" }.compactMap { $0["clusterName"].string }
        if found["clusters"]?.isEmpty == false {
            let services = try await cairn.awsJSON([
                "ecs", "describe-services", "--cluster", "small-business-cluster-\(env)", "--services", "\(project)-service",
            ])["services"]
            found["services"] = (services.array ?? []).filter { $0["status"] == "ACTIVE" }.compactMap { $0["serviceName"].string }
        }
        return found
    }

    /// Each resource of seed 000 exists once in moto, and the state's ids are those AWS has.
    private func expectOneOfEach(_ cairn: CairnRunner, env: String) async throws {
        let inventory = try await self.inventory(cairn, env: env)
        let expected = [
            "repositories": 1, "roles": 3, "buckets": 1, "logGroups": 1, "securityGroups": 1, "taskDefinitions": 1,
            "buildProjects": 1, "pipelines": 1, "clusters": 1, "services": 1,
        ]
        #expect(inventory.mapValues(\.count) == expected, "\(inventory)")
        let listed = try await cairn.run(["state", "list", stack, "--env", env])
        let ids = Set(listed.stdout.split(separator: "\n").compactMap { $0.split(separator: "\t").last.map(String.init) })
        #expect(ids.count == 12, "\(listed)")
        for id in (inventory["securityGroups"] ?? []) + (inventory["taskDefinitions"] ?? []) {
            #expect(ids.contains(id), "AWS has \(id), the state does not: \(listed)")
        }
    }
}
