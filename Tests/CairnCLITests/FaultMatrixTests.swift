import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Seed 000 through the fault proxy with one request in five failing at random on every operation (500, 503,
/// throttling, or a connection reset after moto has acted, so that Cairn does not learn what AWS did): apply, a
/// re-plan with no change, drift and destroy all converge, and the aws CLI, talking to moto directly, finds each
/// resource exactly once and the state naming what AWS has, record for record both ways. Then the same with `kill -9`
/// at points drawn from a printed seed in apply, drift and destroy, each killed run followed by `force-unlock` and the
/// command again under the same faults; and an apply and destroy whose state is shared through an S3 bucket behind the
/// same faults, some of its writes landing with their answers lost.
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

    /// Every create's first answer lost after moto acted (a reset before the answer's first byte): each is retried,
    /// refused as a duplicate (or, for calls that make something new each time, not repeated), and what AWS made is
    /// adopted in the same apply. (The bucket, untagged until a later call, is proved by its creation time.)
    @Test func everyCreateWhoseAnswerIsLostIsAdoptedNotMadeTwice() async throws {
        var cairn = try await CairnRunner.make(executable: CairnRunner.executable)
        let proxy = try await FaultProxy.start(upstream: cairn.moto)
        defer { proxy.stop() }
        cairn.extraEnvironment["AWS_ENDPOINT_URL"] = proxy.endpoint.absoluteString
        let creates = [
            "iam:CreateRole", "ecr:CreateRepository", "logs:CreateLogGroup", "ec2:CreateSecurityGroup", "ecs:RegisterTaskDefinition",
            "codebuild:CreateProject", "codepipeline:CreatePipeline", "s3:CreateBucket",
        ]
        try await proxy.add(creates.map { FaultProxy.Rule.reset($0, at: .start, forward: true).count(1) })
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

    /// `kill -9` twice in apply, twice in drift and twice in destroy, each once as many requests as a seeded generator
    /// draws have gone through the proxy since that run began (set `CAIRN_FAULT_MATRIX_SEED` to replay a failure's
    /// seed); each killed run died by the signal before it finished. Apply then converges with the state equal to AWS,
    /// a killed drift leaves the state usable (drift clean, no change planned), and destroy leaves nothing.
    @Test func killedAtRandomPointsUnderFaultsItStillConverges() async throws {
        let (cairn, proxy) = try await proxied()
        defer { proxy.stop() }
        let seed = ProcessInfo.processInfo.environment["CAIRN_FAULT_MATRIX_SEED"].flatMap { UInt64($0) } ?? UInt64.random(in: 0...UInt64(UInt32.max))
        let replay = "kill points from seed \(seed) (CAIRN_FAULT_MATRIX_SEED=\(seed) replays them)"
        print("FaultMatrixTests: \(replay)")
        var generator = SeededGenerator(seed: seed)
        let env = uniqueEnvironment("faultkill")
        let bound = Duration.seconds(900)  // bound: minutes of backoff through the faults on a busy machine

        // Each point falls well inside the run it kills: through the faults, seed 000's whole apply makes some 45
        // requests, and one resumed after a kill reads each of the 12 resources (made or not) before it makes the rest,
        // so more than 15; a drift or a plan some 40, a whole destroy some 50, and one resumed after a kill reads what
        // is left before deleting it.
        for requests in [Int.random(in: 5...30, using: &generator), Int.random(in: 5...15, using: &generator)] {
            try await killed(cairn, proxy, "apply", env: env, after: requests, replay)
        }
        let apply = try await cairn.run(["apply", stack, "--env", env, "--auto-approve"], timeout: bound)
        #expect(apply.status == 0, "\(replay)\n\(apply)\n\(proxy.logTail())")
        try await expectOneOfEach(cairn, env: env, replay)

        for requests in [Int.random(in: 3...25, using: &generator), Int.random(in: 3...25, using: &generator)] {
            try await killed(cairn, proxy, "drift", env: env, after: requests, replay)
            // A drift takes no lock and writes only its run's record: the state reads as before.
            let listed = try await cairn.run(["state", "list", stack, "--env", env])
            #expect(listed.status == 0 && listed.stdout.split(separator: "\n").count == 12, "\(replay)\n\(listed)")
        }
        let drift = try await cairn.run(["drift", stack, "--env", env], timeout: bound)
        #expect(drift.status == 0, "no drift after killed drifts: \(replay)\n\(drift)")
        let replan = try await cairn.run(["plan", stack, "--env", env, "--detailed-exitcode"], timeout: bound)
        #expect(replan.status == 0, "no changes after killed drifts: \(replay)\n\(replan)")
        try await expectStateEqualsAWS(cairn, env: env, replay)

        for requests in [Int.random(in: 3...18, using: &generator), Int.random(in: 3...18, using: &generator)] {
            try await killed(cairn, proxy, "destroy", env: env, after: requests, replay)
        }
        let destroy = try await cairn.run(["destroy", stack, "--env", env, "--auto-approve"], timeout: bound)
        #expect(destroy.status == 0, "\(replay)\n\(destroy)\n\(proxy.logTail())")
        let listed = try await cairn.run(["state", "list", stack, "--env", env])
        #expect(listed.status == 0 && listed.stdout.isEmpty, "\(replay)\n\(listed)")
        let left = try await inventory(cairn, env: env).filter { !$0.value.isEmpty }
        #expect(left.isEmpty, "left after destroy: \(left); \(replay)")
    }

    /// Runs `cairn COMMAND STACK --env ENV` in the background and kills it with SIGKILL once `requests` requests have
    /// gone through the proxy since it began; it must die of that signal, not finish first.
    private func killed(
        _ cairn: CairnRunner, _ proxy: FaultProxy, _ command: String, env: String, after requests: Int, _ replay: String
    ) async throws {
        let arguments = [command, stack, "--env", env] + (command == "drift" ? [] : ["--auto-approve"])
        try await proxy.resetStats()
        let run = try BackgroundCairn.start(cairn, arguments)
        let pid = try await run.pid()
        while try await proxy.stats().totals.requests < requests, !run.hasExited {
            try await Task.sleep(for: .milliseconds(20))
        }
        kill(pid, SIGKILL)
        let result = try await run.finish()
        let seen = try await proxy.stats().totals.requests
        #expect(
            result.status == 128 + SIGKILL,
            "`cairn \(arguments.joined(separator: " "))` was to die by SIGKILL after \(requests) requests (\(seen) seen); \(replay)\n\(result)")
        // A drift takes no lock; the others' lock stays, its holder gone, and force-unlock clears it.
        guard command != "drift" else { return }
        _ = try await cairn.run(["force-unlock", stack, "--env", env, "--force"])
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

    /// One resource as the aws CLI lists it: the ids Cairn may record it by (name, ARN, id), its ARN and name.
    struct Listed: Hashable, CustomStringConvertible {
        var name: String
        var arn: String?
        var ids: Set<String>
        var description: String { arn ?? name }
    }

    /// What moto holds of seed 000 in `env`, by resource type, read by the aws CLI without the proxy.
    private func inventory(_ cairn: CairnRunner, env: String) async throws -> [String: [Listed]] {
        let project = "small-business-invoices-\(env)"
        func listed(_ value: JSONValue, name: String, arn: String?, id: String? = nil) -> [Listed] {
            (value.array ?? []).compactMap { item in
                guard let itemName = item[name].string else { return nil }
                let itemARN = arn.flatMap { item[$0].string }
                let itemID = id.flatMap { item[$0].string }
                return Listed(name: itemName, arn: itemARN, ids: Set([itemName, itemARN, itemID].compactMap { $0 }))
            }
        }
        var found: [String: [Listed]] = [:]
        found["aws_ecr_repository"] = listed(
            try await cairn.awsJSON(["ecr", "describe-repositories"])["repositories"], name: "repositoryName", arn: "repositoryArn"
        ).filter { $0.name == project }
        found["aws_iam_role"] = listed(try await cairn.awsJSON(["iam", "list-roles"])["Roles"], name: "RoleName", arn: "Arn").filter {
            $0.name.hasPrefix(project + "-")
        }
        found["aws_s3_bucket"] = listed(try await cairn.awsJSON(["s3api", "list-buckets"])["Buckets"], name: "Name", arn: nil)
            .filter { $0.name.hasPrefix(project + "-") }.map { Listed(name: $0.name, arn: "arn:aws:s3:::\($0.name)", ids: $0.ids) }
        found["aws_cloudwatch_log_group"] = listed(
            try await cairn.awsJSON(["logs", "describe-log-groups", "--log-group-name-prefix", "/ecs/\(project)"])["logGroups"],
            name: "logGroupName", arn: nil)
        found["aws_security_group"] = listed(
            try await cairn.awsJSON(["ec2", "describe-security-groups", "--filters", "Name=group-name,Values=\(project)-service"])["SecurityGroups"],
            name: "GroupName", arn: nil, id: "GroupId")
        found["aws_ecs_task_definition"] =
            (try await cairn.awsJSON(["ecs", "list-task-definitions", "--family-prefix", project, "--status", "ACTIVE"])["taskDefinitionArns"].array
            ?? []).compactMap(\.string).map { Listed(name: $0, arn: $0, ids: [$0]) }
        let projects = (try await cairn.awsJSON(["codebuild", "list-projects"])["projects"].array ?? []).compactMap(\.string)
            .filter { $0.hasPrefix(project + "-") }
        found["aws_codebuild_project"] =
            projects.isEmpty
            ? [] : listed(try await cairn.awsJSON(["codebuild", "batch-get-projects", "--names"] + projects)["projects"], name: "name", arn: "arn")
        found["aws_codepipeline"] = []
        for pipeline in listed(try await cairn.awsJSON(["codepipeline", "list-pipelines"])["pipelines"], name: "name", arn: nil)
        where pipeline.name.hasPrefix(project + "-") {
            let arn = try await cairn.awsJSON(["codepipeline", "get-pipeline", "--name", pipeline.name])["metadata"]["pipelineArn"].string
            found["aws_codepipeline", default: []].append(Listed(name: pipeline.name, arn: arn, ids: pipeline.ids.union([arn].compactMap { $0 })))
        }
        let cluster = "small-business-cluster-\(env)"
        let clusters = try await cairn.awsJSON(["ecs", "describe-clusters", "--clusters", cluster])["clusters"]
        found["aws_ecs_cluster"] = listed(.array((clusters.array ?? []).filter { $0["status"] == "ACTIVE" }), name: "clusterName", arn: "clusterArn")
        found["aws_ecs_service"] = []
        if found["aws_ecs_cluster"]?.isEmpty == false {
            let services = try await cairn.awsJSON(["ecs", "describe-services", "--cluster", cluster, "--services", "\(project)-service"])["services"]
            found["aws_ecs_service"] = listed(
                .array((services.array ?? []).filter { $0["status"] == "ACTIVE" }), name: "serviceName", arn: "serviceArn"
            )
            .map { Listed(name: $0.name, arn: $0.arn, ids: $0.ids.union(["\(cluster)/\($0.name)"])) }
        }
        return found
    }

    /// Each resource of seed 000 exists once in moto, and the state holds exactly what AWS has.
    private func expectOneOfEach(_ cairn: CairnRunner, env: String, _ replay: String = "") async throws {
        let inventory = try await self.inventory(cairn, env: env)
        let expected = [
            "aws_ecr_repository": 1, "aws_iam_role": 3, "aws_s3_bucket": 1, "aws_cloudwatch_log_group": 1, "aws_security_group": 1,
            "aws_ecs_task_definition": 1, "aws_codebuild_project": 1, "aws_codepipeline": 1, "aws_ecs_cluster": 1, "aws_ecs_service": 1,
        ]
        #expect(inventory.mapValues(\.count) == expected, "\(inventory) \(replay)")
        try await expectStateEqualsAWS(cairn, env: env, replay, inventory: inventory)
    }

    /// Every state record is one resource the aws CLI finds, by its physical id, with the same ARN and name where the
    /// record has them; and every resource the aws CLI finds of seed 000 in `env` is one record: nothing in AWS that the
    /// state does not know, nothing in the state that AWS does not have.
    private func expectStateEqualsAWS(
        _ cairn: CairnRunner, env: String, _ replay: String, inventory known: [String: [Listed]]? = nil
    ) async throws {
        var inventory = known ?? [:]
        if known == nil { inventory = try await self.inventory(cairn, env: env) }
        let listed = try await cairn.run(["state", "list", stack, "--env", env])
        #expect(listed.status == 0, "\(listed)")
        var unmatched = inventory
        var comparedARNs = 0
        let lines = listed.stdout.split(separator: "\n")
        for line in lines {
            let fields = line.split(separator: "\t").map(String.init)
            guard fields.count == 3 else {
                Issue.record("state list line '\(line)' is not ADDRESS, TYPE, ID")
                continue
            }
            let (address, type, id) = (fields[0], fields[1], fields[2])
            let matches = (inventory[type] ?? []).filter { $0.ids.contains(id) }
            guard matches.count == 1, let resource = matches.first else {
                Issue.record(
                    "the state has \(address) (\(id)) but the aws CLI finds \(matches.count) such \(type): \(inventory[type] ?? []); \(replay)")
                continue
            }
            unmatched[type]?.removeAll { $0 == resource }
            let shown = try JSONValue(parsing: try await cairn.run(["state", "show", stack, address, "--env", env]).requireSuccess().stdout)
            if let arn = shown["outputs"]["arn"].string, let live = resource.arn {
                #expect(arn == live, "\(address)'s recorded ARN \(arn) is not AWS's \(live); \(replay)")
                comparedARNs += 1
            }
            if let name = shown["attributes"]["name"].string, type != "aws_ecs_task_definition" {
                #expect(name == resource.name, "\(address)'s recorded name \(name) is not AWS's \(resource.name); \(replay)")
            }
        }
        // Repository, roles, cluster, task definition, service, project, pipeline: their ARNs were compared.
        #expect(lines.isEmpty || comparedARNs >= 9, "only \(comparedARNs) recorded ARNs compared with AWS's; \(replay)")
        let orphans = unmatched.filter { !$0.value.isEmpty }
        #expect(orphans.isEmpty, "in AWS but not in the state: \(orphans); \(replay)")
    }
}
