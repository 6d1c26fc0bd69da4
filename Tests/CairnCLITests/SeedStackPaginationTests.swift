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

    /// `cairn generate` reads the region through every discover list (ListRoles, ListPolicies, ListTopics, ListRules,
    /// ListKeys, ListTables, ListProjects, ListRepositories, ListClusters, ListServices, ListTaskDefinitions,
    /// DescribeParameters, DescribeAlarms, …) and each found resource's tags (CodeCommit's
    /// ListTagsForResource, which botocore gives no paginator, followed by hand): cut into pages of one and of two, it
    /// writes exactly the stack it writes from whole lists. Seed 004 applied in a moto of the test's own (nothing else
    /// changes the lists meanwhile), with three more of each kind, all carrying its tags.
    @Test func generateReadsEveryPageOfEveryDiscoverList() async throws {
        let moto = try await MotoServer.start(region: "us-east-1")
        defer { moto.stop() }
        var cairn = CairnRunner(moto: moto, stateDir: try makeTemporaryDirectory(), executablePath: CairnRunner.executable)
        let nonce = UUID().uuidString.prefix(8)
        cairn.extraEnvironment.merge([
            "JWT_SECRET_KEY": "jwt-\(nonce)", "ENCRYPTION_KEY": "enc-\(nonce)", "ALERT_EMAIL": "devops@example.com", "ALERT_PHONE": "+15555550123",
        ]) { $1 }
        let env = uniqueEnvironment("genpage")
        let bound = Duration.seconds(900)  // bound: a few minutes through the proxy on a busy machine
        let apply = try await cairn.run(["apply", "cloud-health-dashboard", "--env", env, "--auto-approve"], timeout: bound)
        #expect(apply.status == 0, "\(apply)")
        // Three more of each kind, tagged as the stack tags its resources: every list below has more than two items.
        let tags = "Key=environment,Value=\(env)"
        func aws(_ arguments: [String]) async throws { _ = try await moto.awsJSON(arguments, region: "us-east-1") }
        for index in 1...3 {
            let extra = "cloud-health-extra\(index)-\(env)"
            try await aws(["sns", "create-topic", "--name", extra, "--tags", tags])
            try await aws([
                "dynamodb", "create-table", "--table-name", extra, "--attribute-definitions", "AttributeName=id,AttributeType=S",
                "--key-schema", "AttributeName=id,KeyType=HASH", "--billing-mode", "PAY_PER_REQUEST", "--tags", tags,
            ])
            try await aws(["kms", "create-key", "--description", extra, "--tags", "TagKey=environment,TagValue=\(env)"])
            try await aws(["ecr", "create-repository", "--repository-name", extra, "--tags", tags])
            try await aws(["ecs", "create-cluster", "--cluster-name", extra, "--tags", "key=environment,value=\(env)"])
            try await aws(["logs", "create-log-group", "--log-group-name", "/\(extra)", "--tags", "environment=\(env)"])
            try await aws(["events", "put-rule", "--name", extra, "--schedule-expression", "rate(1 day)", "--tags", tags])
            try await aws(["ssm", "put-parameter", "--name", "/\(extra)/level", "--value", "info", "--type", "String", "--tags", tags])
            try await aws([
                "cloudwatch", "put-metric-alarm", "--alarm-name", extra, "--namespace", "AWS/Lambda", "--metric-name", "Errors",
                "--statistic", "Sum", "--period", "300", "--evaluation-periods", "1", "--threshold", "1", "--comparison-operator",
                "GreaterThanThreshold", "--tags", tags,
            ])
            try await aws(["codecommit", "create-repository", "--repository-name", extra, "--tags", "environment=\(env),team=platform,tier=extra"])
            try await aws([
                "iam", "create-policy", "--policy-name", extra, "--tags", tags, "--policy-document",
                #"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sns:Publish", "Resource": "*"}]}"#,
            ])
            try await aws([
                "ecs", "register-task-definition", "--family", extra, "--tags", "key=environment,value=\(env)", "--container-definitions",
                #"[{"name": "app", "image": "nginx", "memory": 128}]"#,
            ])
            // Services in the first extra cluster, so that one cluster's list of services has more than a page.
            try await aws([
                "ecs", "create-service", "--cluster", "cloud-health-extra1-\(env)", "--service-name", extra, "--task-definition", extra,
                "--desired-count", "0", "--tags", "key=environment,value=\(env)",
            ])
        }
        let everyPageSize: Set<String> = [
            "iam:ListRoles", "sns:ListTopics", "events:ListRules", "kms:ListKeys", "dynamodb:ListTables", "ecr:DescribeRepositories",
            "ecs:ListClusters", "ssm:DescribeParameters", "cloudwatch:DescribeAlarms", "codecommit:ListRepositories",
            "codecommit:ListTagsForResource", "logs:DescribeLogGroups", "iam:ListPolicies", "ecs:ListTaskDefinitions", "ecs:ListServices",
        ]

        func generate(through proxy: FaultProxy?) async throws -> ProcessResult {
            var runner = cairn
            if let proxy { runner.extraEnvironment["AWS_ENDPOINT_URL"] = proxy.endpoint.absoluteString }
            // The seed's resources belong to its state: generated as a stack of another name, they are taken deliberately.
            return try await runner.run(
                ["generate", "--region", "us-east-1", "--tag", "environment=\(env)", "--stack", "generated", "--take-ownership"], timeout: bound)
        }
        let whole = try await generate(through: nil)
        #expect([0, 2].contains(whole.status), "\(whole)")
        for declared in ["CodeCommitRepository(", "CloudWatchMetricAlarm(", "SSMParameter(", "EventBridgeRule(", "DynamoDBTable(", "KMSKey("] {
            #expect(whole.stdout.contains(declared), "\(declared) in:\n\(whole.stdout)")
        }
        for pageSize in [1, 2] {
            let proxy = try await FaultProxy.start(upstream: moto)
            defer { proxy.stop() }
            try await proxy.add(.paginate(pageSize: pageSize))
            let paged = try await generate(through: proxy)
            #expect(paged.status == whole.status, "pages of \(pageSize): \(paged)")
            #expect(paged.stdout == whole.stdout, "pages of \(pageSize) give the same stack:\n\(paged.stdout)\n--- whole lists ---\n\(whole.stdout)")
            // Seed 004's two CodeBuild projects make a list cut into pages of one only.
            try await expectEveryListFollowed(
                proxy, pageSize: pageSize, including: pageSize == 1 ? everyPageSize.union(["codebuild:ListProjects"]) : everyPageSize)
        }
    }

    /// A key (named by nothing, so found again by listing every key) whose CreateKey answer is lost: the search for what
    /// that interrupted create made reads ListKeys in pages of one to its end, and adopts the key rather than make two.
    @Test func aLostKeyIsFoundThroughEveryPageOfTheKeys() async throws {
        var cairn = try await CairnRunner.make(executable: CairnRunner.fixtures)
        let proxy = try await FaultProxy.start(upstream: cairn.moto)
        defer { proxy.stop() }
        cairn.extraEnvironment["AWS_ENDPOINT_URL"] = proxy.endpoint.absoluteString
        // Rules apply in order: the lost answer first, then pages of one for every list.
        try await proxy.add([FaultProxy.Rule.reset("kms:CreateKey", at: .body).count(1), .paginate(pageSize: 1)])
        let env = uniqueEnvironment("lostkey")
        // Keys of others beside it, so that the list of keys has more than a page whatever else moto holds.
        var others: [String] = []
        for _ in 1...2 {
            others.append(
                try #require(try await cairn.awsJSON(["kms", "create-key", "--description", "another team's key"])["KeyMetadata"]["KeyId"].string))
        }
        let bound = Duration.seconds(900)  // bound: minutes of retries and pages on a busy machine
        var apply = try await cairn.run(["apply", "fixture-lists", "--env", env, "--auto-approve"], timeout: bound)
        if apply.status != 0 {
            // The create's answer was lost, so the key was not recorded: the next apply finds it.
            apply = try await cairn.run(["apply", "fixture-lists", "--env", env, "--auto-approve"], timeout: bound)
        }
        #expect(apply.status == 0, "\(apply)\n\(proxy.logTail())")
        let stats = try await proxy.stats()
        #expect(stats["kms:CreateKey"].resets == 1 && stats["kms:CreateKey"].requests == 1, "one key made: \(stats["kms:CreateKey"])")
        try await expectEveryListFollowed(proxy, pageSize: 1, including: ["kms:ListKeys"])
        // The key the state records is the alias's, seen by the aws CLI against moto itself.
        let records = try await cairn.run(["state", "list", "fixture-lists", "--env", env]).stdout.split(separator: "\n")
        let key = try #require(records.first { $0.hasPrefix("aws_kms_key.") }?.split(separator: "\t").last.map(String.init))
        let aliases = try await cairn.awsJSON(["kms", "list-aliases", "--key-id", key])["Aliases"].array ?? []
        #expect(aliases.contains { $0["AliasName"] == .string("alias/fixture-lists-\(env)") }, "\(aliases)")
        let replan = try await cairn.run(["plan", "fixture-lists", "--env", env, "--detailed-exitcode"], timeout: bound)
        #expect(replan.status == 0, "no change after the adoption: \(replan)")
        let destroy = try await cairn.run(["destroy", "fixture-lists", "--env", env, "--auto-approve"], timeout: bound)
        #expect(destroy.status == 0, "\(destroy)")
        for key in others { _ = try await cairn.aws(["kms", "schedule-key-deletion", "--key-id", key, "--pending-window-in-days", "7"]) }
    }
}
