import Foundation
import TestSupport
import Testing

/// Stacks through the fault proxy with every paginated list cut into pages of one or two items: apply, a re-plan
/// with no change, drift clean, destroy leaving nothing (checked with the aws CLI against moto itself), and, from
/// the proxy's counters, every list Cairn read that had more items than a page followed to its end. Seed 000 and
/// seed 004 as they are, and `fixture-lists`, whose resources put several items in each list Cairn reads (inline
/// and attached policies, subscriptions, targets, tags), which the seed stacks do not.
@Suite(.integration) struct SeedStackPaginationTests {
    /// A `cairn` (or `cairn-fixtures`) going through a new fault proxy that serves every list `pageSize` items a page.
    private func proxied(_ executable: String, pageSize: Int) async throws -> (CairnRunner, FaultProxy) {
        var cairn = try await CairnRunner.make(executable: executable)
        let proxy = try await FaultProxy.start(upstream: cairn.moto)
        cairn.extraEnvironment["AWS_ENDPOINT_URL"] = proxy.endpoint.absoluteString
        try await proxy.add(.paginate(pageSize: pageSize))
        return (cairn, proxy)
    }

    /// apply, plan with no change, drift clean, then `beforeDestroy`, then destroy: each must succeed.
    private func lifecycle(
        _ cairn: CairnRunner, _ stack: String, env: String, resources: Int, beforeDestroy: () async throws -> Void = {}
    ) async throws {
        let bound = Duration.seconds(900)  // bound: a few minutes through the proxy on a busy machine
        let apply = try await cairn.run(["apply", stack, "--env", env, "--auto-approve"], timeout: bound)
        #expect(apply.status == 0, "\(apply)")
        #expect(apply.stdout.contains("Apply complete! Resources: \(resources) added"), "\(apply)")
        let replan = try await cairn.run(["plan", stack, "--env", env, "--detailed-exitcode"], timeout: bound)
        #expect(replan.status == 0, "no changes right after apply: \(replan)")
        let drift = try await cairn.run(["drift", stack, "--env", env], timeout: bound)
        #expect(drift.status == 0, "no drift right after apply: \(drift)")
        try await beforeDestroy()
        let destroy = try await cairn.run(["destroy", stack, "--env", env, "--auto-approve"], timeout: bound)
        #expect(destroy.status == 0, "\(destroy)")
        #expect(try await cairn.run(["state", "list", stack, "--env", env]).stdout.isEmpty)
    }

    /// Every operation whose list the proxy cut (more items than a page) had each of its tokens presented back, and
    /// the lists in `expected` were among them. Emptying a bucket restarts its ListObjectVersions from the beginning
    /// after each batch of deletes (what was deleted is gone from the listing), so it follows no marker: the bucket
    /// being gone shows that it read everything.
    private func expectEveryListFollowed(_ proxy: FaultProxy, pageSize: Int, including expected: Set<String>) async throws {
        let stats = try await proxy.stats()
        let cut = Set(stats.operations.filter { $0.value.maxItems > pageSize }.keys)
        #expect(cut.isSuperset(of: expected), "lists with more than \(pageSize) items: \(cut.sorted())")
        for operation in cut.sorted() where operation != "s3:ListObjectVersions" {
            let counters = stats[operation]
            #expect(counters.continued > 0 && counters.unfollowed == 0, "\(operation) was read in part: \(counters)")
        }
        #expect(stats.totals.unpaginated == 0)
    }

    @Test(arguments: [1, 2]) func seed000(pageSize: Int) async throws {
        let (cairn, proxy) = try await proxied(CairnRunner.executable, pageSize: pageSize)
        defer { proxy.stop() }
        let env = uniqueEnvironment("page\(pageSize)")
        let project = "small-business-invoices-\(env)"
        // More log groups under the service's group's name than a page holds (DescribeLogGroups matches by prefix),
        // and more buckets than a page in the account (drift looks for unmanaged ones among them all).
        let neighbours = (1...3).map { "/ecs/\(project)-neighbour-\($0)" }
        for group in neighbours {
            try await cairn.aws(["logs", "create-log-group", "--log-group-name", group]).requireSuccess()
        }
        let otherBuckets = (1...3).map { "\(project)-neighbour-\($0)" }
        for name in otherBuckets {
            try await cairn.aws(["s3api", "create-bucket", "--bucket", name, "--create-bucket-configuration", "LocationConstraint=eu-north-1"])
                .requireSuccess()
        }
        let bucket = "\(project)-pipeline-artifacts"
        try await lifecycle(cairn, "small-business-invoices", env: env, resources: 12) {
            // Versions for destroy to empty, more than a page. moto ignores the bucket policy's aws:SecureTransport
            // condition, so its deny-insecure-transport statement is lifted for the writes, then put back.
            let policy = try #require(try await cairn.awsJSON(["s3api", "get-bucket-policy", "--bucket", bucket])["Policy"].string)
            try await cairn.aws(["s3api", "delete-bucket-policy", "--bucket", bucket]).requireSuccess()
            let file = try makeTemporaryDirectory().appendingPathComponent("artifact.zip")
            try Data("v1".utf8).write(to: file)
            for key in ["a.zip", "b.zip", "a.zip", "b.zip"] {
                try await cairn.aws(["s3api", "put-object", "--bucket", bucket, "--key", key, "--body", file.path]).requireSuccess()
            }
            try await cairn.aws(["s3api", "put-bucket-policy", "--bucket", bucket, "--policy", policy]).requireSuccess()
        }

        // Nothing left, seen by the aws CLI against moto itself.
        #expect(try await cairn.aws(["s3api", "head-bucket", "--bucket", bucket]).status != 0)
        #expect(try await cairn.aws(["ecr", "describe-repositories", "--repository-names", project]).status != 0)
        for role in ["codebuild", "codepipeline", "task-execution"] {
            #expect(try await cairn.aws(["iam", "get-role", "--role-name", "\(project)-\(role)"]).status != 0, "role \(role) left")
        }
        #expect(try await cairn.aws(["codepipeline", "get-pipeline", "--name", "\(project)-pipeline"]).status != 0)
        #expect(try await cairn.awsJSON(["codebuild", "batch-get-projects", "--names", "\(project)-build"])["projects"].array?.isEmpty == true)
        let clusters = try await cairn.awsJSON(["ecs", "describe-clusters", "--clusters", "small-business-cluster-\(env)"])
        #expect(clusters["clusters"][0]["status"] != "ACTIVE")
        let definitions = try await cairn.awsJSON(["ecs", "list-task-definitions", "--family-prefix", project, "--status", "ACTIVE"])
        #expect(definitions["taskDefinitionArns"].array?.isEmpty == true)
        let groups = try await cairn.awsJSON(["logs", "describe-log-groups", "--log-group-name-prefix", "/ecs/\(project)"])
        #expect((groups["logGroups"].array ?? []).compactMap { $0["logGroupName"].string }.sorted() == neighbours, "only the neighbours are left")
        let securityGroups = try await cairn.awsJSON(["ec2", "describe-security-groups", "--filters", "Name=group-name,Values=\(project)-service"])
        #expect(securityGroups["SecurityGroups"].array?.isEmpty == true)

        try await expectEveryListFollowed(
            proxy, pageSize: pageSize,
            including: [
                "s3:ListBuckets", "s3:ListObjectVersions", "logs:DescribeLogGroups", "ec2:DescribeSubnets", "codepipeline:ListTagsForResource",
            ])
        #expect(try await proxy.stats()["s3:ListObjectVersions"].truncated > 0)
        for group in neighbours {
            _ = try await cairn.aws(["logs", "delete-log-group", "--log-group-name", group])
        }
        for name in otherBuckets {
            _ = try await cairn.aws(["s3api", "delete-bucket", "--bucket", name])
        }
    }

    @Test(arguments: [1, 2]) func fixtureLists(pageSize: Int) async throws {
        let (cairn, proxy) = try await proxied(CairnRunner.fixtures, pageSize: pageSize)
        defer { proxy.stop() }
        let env = uniqueEnvironment("lists\(pageSize)")
        let project = "fixture-lists-\(env)"
        try await lifecycle(cairn, "fixture-lists", env: env, resources: 12)

        #expect(try await cairn.aws(["iam", "get-role", "--role-name", "\(project)-app"]).status != 0)
        let policies = try await cairn.awsJSON(["iam", "list-policies", "--scope", "Local"])["Policies"].array ?? []
        #expect(!policies.contains { $0["PolicyName"] == .string("\(project)-deploy") })
        let topics = try await cairn.awsJSON(["sns", "list-topics"])["Topics"].array ?? []
        #expect(!topics.contains { $0["TopicArn"].string?.contains(":\(project)-") == true })
        #expect(try await cairn.aws(["events", "describe-rule", "--name", "\(project)-failed"]).status != 0)
        #expect(try await cairn.aws(["dynamodb", "describe-table", "--table-name", project]).status != 0)
        let aliases = try await cairn.awsJSON(["kms", "list-aliases"])["Aliases"].array ?? []
        #expect(!aliases.contains { $0["AliasName"] == .string("alias/\(project)") })

        try await expectEveryListFollowed(
            proxy, pageSize: pageSize,
            including: [
                "iam:ListRolePolicies", "iam:ListAttachedRolePolicies", "sns:ListSubscriptionsByTopic", "events:ListTargetsByRule",
                "kms:ListResourceTags", "kms:ListAliases", "dynamodb:ListTagsOfResource",
            ])
    }

    /// Seed 004, the bigger stack (40 resources: a distribution and its access control, alarms, rules, parameters, a
    /// repository, a pipeline), in pages of one.
    @Test func seed004() async throws {
        let (runner, proxy) = try await proxied(CairnRunner.executable, pageSize: 1)
        defer { proxy.stop() }
        var cairn = runner
        let nonce = UUID().uuidString.prefix(8)
        cairn.extraEnvironment.merge([
            "JWT_SECRET_KEY": "jwt-\(nonce)", "ENCRYPTION_KEY": "enc-\(nonce)", "ALERT_EMAIL": "devops@example.com", "ALERT_PHONE": "+15555550123",
        ]) { $1 }
        let env = uniqueEnvironment("chdpage")
        let project = "cloud-health-dashboard-\(env)"
        let distribution = Locked<String?>(nil)
        try await lifecycle(cairn, "cloud-health-dashboard", env: env, resources: 40) {
            let values = try JSONValue(parsing: try await cairn.run(["output", "cloud-health-dashboard", "--env", env, "--format", "json"]).stdout)
            distribution.withLock { $0 = values["CLOUDFRONT_DISTRIBUTION_ID"].string }
        }

        func gone(_ arguments: [String]) async throws -> Bool { try await cairn.moto.aws(arguments, region: "us-east-1").status != 0 }
        let distributionID = try #require(distribution.current)
        #expect(try await gone(["cloudfront", "get-distribution", "--id", distributionID]))
        #expect(try await gone(["s3api", "head-bucket", "--bucket", "\(project)-frontend"]))
        #expect(try await gone(["codecommit", "get-repository", "--repository-name", project]))
        #expect(try await gone(["codepipeline", "get-pipeline", "--name", "\(project)-pipeline"]))
        let alarms = try await cairn.moto.awsJSON(
            ["cloudwatch", "describe-alarms", "--alarm-name-prefix", "backend-build-\(env)"], region: "us-east-1")
        #expect(alarms["MetricAlarms"].array?.isEmpty == true)
        let parameters = try await cairn.moto.awsJSON(
            ["ssm", "describe-parameters", "--parameter-filters", "Key=Name,Option=BeginsWith,Values=/cloud-health-\(env)/"], region: "us-east-1")
        #expect(parameters["Parameters"].array?.isEmpty == true)

        try await expectEveryListFollowed(
            proxy, pageSize: 1,
            including: ["s3:ListBuckets", "sns:ListSubscriptionsByTopic", "ec2:DescribeSubnets", "codepipeline:ListTagsForResource"])
    }
}
