import CairnState
import Foundation
import TestSupport
import Testing

/// `cairn drift` against moto after a clean apply, with every change made out of band by the aws CLI.
@Suite(.integration) struct DriftTests {
    /// The fixture stacks: a repository, a bucket and a role; and one resource of every type drift compares.
    let stack = "fixture-app"
    let service = "fixture-service"

    /// Applies a fresh copy of `stack` and returns its runner, environment and name prefix (its repository's name).
    func applied(_ prefix: String, stack: String = "fixture-app") async throws -> (CairnRunner, String, String) {
        let cairn = try await CairnRunner.make()
        let env = uniqueEnvironment(prefix)
        try await cairn.run(["apply", stack, "--env", env, "--auto-approve"]).requireSuccess("apply")
        return (cairn, env, "\(stack)-\(env)")
    }

    @Test func cleanRightAfterApplyThenEveryKindOfChangeIsFound() async throws {
        let (cairn, env, project) = try await applied("drift", stack: service)
        let stack = service
        let clean = try await cairn.run(["drift", stack, "--env", env, "--format", "json"])
        #expect(clean.status == 0, "no false positives right after apply: \(clean.stdout)")
        #expect(try JSONValue(parsing: clean.stdout)["drifted"] == false)

        // An attribute, a tag, an inline policy added to a managed role, and a deleted resource.
        try await cairn.aws([
            "s3api", "put-bucket-versioning", "--bucket", "\(project)-artifacts",
            "--versioning-configuration", "Status=Suspended",
        ]).requireSuccess()
        try await cairn.aws(["iam", "tag-role", "--role-name", "\(project)-build", "--tags", "Key=owner,Value=someone"]).requireSuccess()
        try await cairn.aws([
            "iam", "put-role-policy", "--role-name", "\(project)-deploy", "--policy-name", "extra",
            "--policy-document", #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}"#,
        ]).requireSuccess()
        try await cairn.aws(["logs", "delete-log-group", "--log-group-name", "/ecs/\(project)"]).requireSuccess()
        // Attributes of the other resource types.
        try await cairn.aws([
            "ecr", "put-image-scanning-configuration", "--repository-name", project,
            "--image-scanning-configuration", "scanOnPush=false",
        ]).requireSuccess()
        try await cairn.aws([
            "ecs", "update-cluster-settings", "--cluster", "\(project)-cluster",
            "--settings", "name=containerInsights,value=disabled",
        ]).requireSuccess()
        try await cairn.aws([
            "ecs", "update-service", "--cluster", "\(project)-cluster", "--service", "\(project)-service",
            "--desired-count", "3",
        ]).requireSuccess()
        try await cairn.aws(["codebuild", "update-project", "--name", "\(project)-build", "--timeout-in-minutes", "15"]).requireSuccess()
        let group =
            try await cairn.awsJSON(["ec2", "describe-security-groups", "--filters", "Name=group-name,Values=\(project)-service"])["SecurityGroups"][
                0]["GroupId"].string ?? ""
        try await cairn.aws([
            "ec2", "authorize-security-group-ingress", "--group-id", group, "--protocol", "tcp", "--port", "22",
            "--cidr", "0.0.0.0/0",
        ]).requireSuccess()
        // A service added by hand to the managed cluster: unmanaged.
        let taskDefinition =
            try await cairn.awsJSON(["ecs", "describe-task-definition", "--task-definition", project])["taskDefinition"]["taskDefinitionArn"].string
            ?? ""
        try await cairn.aws([
            "ecs", "create-service", "--cluster", "\(project)-cluster", "--service-name", "handmade",
            "--task-definition", taskDefinition, "--desired-count", "0",
        ]).requireSuccess()
        // A bucket made by hand and tagged with the stack: unmanaged.
        let stray = "\(project)-stray"
        try await cairn.aws(["s3api", "create-bucket", "--bucket", stray, "--create-bucket-configuration", "LocationConstraint=eu-north-1"])
            .requireSuccess()
        try await cairn.aws([
            "s3api", "put-bucket-tagging", "--bucket", stray, "--tagging",
            "TagSet=[{Key=project,Value=fixture-service},{Key=environment,Value=\(env)}]",
        ]).requireSuccess()

        let drift = try await cairn.run(["drift", stack, "--env", env, "--format", "json"])
        #expect(drift.status == 2, "\(drift)")
        let report = try JSONValue(parsing: drift.stdout)
        #expect(report["stack"] == .string(stack))
        #expect(report["environment"] == .string(env))
        #expect(report["checkedAt"].string != nil)
        #expect(report["drifted"] == true)
        let resources = report["resources"].array ?? []
        func entry(_ address: String) -> JSONValue { resources.first { $0["address"].string == address } ?? .null }
        #expect(entry("aws_s3_bucket.artifacts")["status"] == "changed")
        #expect(entry("aws_s3_bucket.artifacts")["attributes"][0]["path"] == "versioning")
        #expect(entry("aws_s3_bucket.artifacts")["attributes"][0]["recorded"] == "Enabled")
        #expect(entry("aws_s3_bucket.artifacts")["attributes"][0]["live"] == "Suspended")
        #expect(entry("aws_iam_role.build")["attributes"][0]["path"] == "tags.owner")
        #expect(entry("aws_iam_role.deploy")["attributes"][0]["path"] == "inlinePolicies.extra")
        #expect(entry("aws_cloudwatch_log_group.app")["status"] == "deleted")
        #expect(entry("aws_cloudwatch_log_group.app")["type"] == "aws_cloudwatch_log_group")
        #expect(entry("aws_ecs_service[\"handmade\"]")["status"] == "unmanaged")
        #expect(entry("aws_s3_bucket[\"\(stray)\"]")["status"] == "unmanaged")
        #expect(entry("aws_s3_bucket[\"\(stray)\"]")["id"] == .string(stray))
        #expect(entry("aws_ecr_repository.app")["attributes"][0]["path"] == "scanOnPush")
        #expect(entry("aws_ecs_cluster.cluster")["attributes"][0]["path"] == "containerInsights")
        #expect(entry("aws_ecs_service.app")["attributes"][0]["path"] == "desiredCount")
        #expect(entry("aws_ecs_service.app")["attributes"][0]["live"] == 3)
        #expect(entry("aws_codebuild_project.build")["attributes"][0]["path"] == "timeoutInMinutes")
        #expect(entry("aws_security_group.service")["status"] == "changed")
        // Exactly those, and nothing else.
        #expect(
            Set(resources.compactMap { $0["address"].string }) == [
                "aws_s3_bucket.artifacts", "aws_iam_role.build", "aws_iam_role.deploy", "aws_cloudwatch_log_group.app",
                "aws_ecr_repository.app", "aws_ecs_cluster.cluster", "aws_ecs_service.app", "aws_codebuild_project.build",
                "aws_security_group.service", "aws_s3_bucket[\"\(stray)\"]", "aws_ecs_service[\"handmade\"]",
            ])

        let markdown = try await cairn.run(["drift", stack, "--env", env, "--format", "markdown"])
        #expect(markdown.status == 2)
        #expect(markdown.stdout.contains("| `aws_s3_bucket.artifacts` | changed | `versioning` | `\"Enabled\"` | `\"Suspended\"` |"))
        let text = try await cairn.run(["drift", stack, "--env", env])
        #expect(text.stdout.contains("- aws_cloudwatch_log_group.app  (deleted outside Cairn)"))

        let history = try await cairn.run(["drift", stack, "--env", env, "--history"])
        let lines = history.stdout.split(separator: "\n")
        #expect(lines.count == 4)
        #expect(lines.first?.contains("drifted: 8 changed, 1 deleted, 2 unmanaged") == true)
        #expect(lines.last?.contains("no drift") == true)
        // The newest run, printed again from the history in full: the report the last check gave.
        let newest = try #require(lines.first?.split(separator: "\t").first.map { $0.replacingOccurrences(of: "run ", with: "") })
        let recorded = try await cairn.run(["drift", stack, "--env", env, "--run", newest, "--format", "markdown"])
        #expect(recorded.status == 0 && recorded.stdout == markdown.stdout, "\(recorded)")

        // apply reverts everything, showing it as changes made outside Cairn; drift is clean again.
        let plan = try await cairn.run(["plan", stack, "--env", env])
        #expect(plan.stdout.contains("deleted outside Cairn"))
        #expect(plan.stdout.contains("changed outside Cairn"))
        try await cairn.run(["apply", stack, "--env", env, "--auto-approve"]).requireSuccess("revert")
        // Each change reverted, checked with the aws CLI.
        #expect(try await cairn.awsJSON(["s3api", "get-bucket-versioning", "--bucket", "\(project)-artifacts"])["Status"] == "Enabled")
        #expect(
            try await cairn.awsJSON(["iam", "list-role-tags", "--role-name", "\(project)-build"])["Tags"].array?.contains { $0["Key"] == "owner" }
                == false)
        #expect(
            try await cairn.awsJSON(["logs", "describe-log-groups", "--log-group-name-prefix", "/ecs/\(project)"])["logGroups"][0]["retentionInDays"]
                == 30)
        #expect(
            try await cairn.awsJSON(["ecr", "describe-repositories", "--repository-names", project])["repositories"][0]["imageScanningConfiguration"][
                "scanOnPush"] == true)
        let clusterSettings = try await cairn.awsJSON(["ecs", "describe-clusters", "--clusters", "\(project)-cluster", "--include", "SETTINGS"])
        #expect(clusterSettings["clusters"][0]["settings"][0]["value"] == "enabled")
        let serviceNow = try await cairn.awsJSON(["ecs", "describe-services", "--cluster", "\(project)-cluster", "--services", "\(project)-service"])
        #expect(serviceNow["services"][0]["desiredCount"] == 1)
        #expect(try await cairn.awsJSON(["codebuild", "batch-get-projects", "--names", "\(project)-build"])["projects"][0]["timeoutInMinutes"] == 60)
        let rules =
            try await cairn.awsJSON(["ec2", "describe-security-groups", "--group-ids", group])["SecurityGroups"][0]["IpPermissions"].array ?? []
        #expect(!rules.contains { $0["FromPort"] == 22 })
        try await cairn.aws(["s3api", "delete-bucket", "--bucket", stray]).requireSuccess()
        try await cairn.aws(["ecs", "delete-service", "--cluster", "\(project)-cluster", "--service", "handmade"]).requireSuccess()
        #expect(try await cairn.run(["drift", stack, "--env", env]).status == 0)
        #expect(
            try await cairn.aws(["iam", "get-role-policy", "--role-name", "\(project)-deploy", "--policy-name", "extra"]).status != 0,
            "inline policies are managed exclusively")
        try await cairn.run(["destroy", stack, "--env", env, "--auto-approve"]).requireSuccess()
    }

    @Test func refreshOnlyAcceptsDriftIntoTheState() async throws {
        let (cairn, env, project) = try await applied("accept")
        try await cairn.aws([
            "ecr", "put-image-scanning-configuration", "--repository-name", project,
            "--image-scanning-configuration", "scanOnPush=false",
        ]).requireSuccess()
        let accepted = try await cairn.run(["apply", stack, "--env", env, "--refresh-only", "--auto-approve"])
        #expect(accepted.status == 0, "\(accepted)")
        #expect(accepted.stdout.contains("scanOnPush: true → false"))
        #expect(try await cairn.run(["drift", stack, "--env", env]).status == 0)
        let show = try await cairn.run(["state", "show", stack, "aws_ecr_repository.app", "--env", env])
        #expect(show.stdout.contains("\"scanOnPush\": false"))
        // The declaration still says true: a plan now offers to put it back.
        let plan = try await cairn.run(["plan", stack, "--env", env, "--detailed-exitcode"])
        #expect(plan.status == 2)
        try await cairn.run(["destroy", stack, "--env", env, "--auto-approve"]).requireSuccess()
    }

    @Test func driftRunsWhileTheStackIsLockedAndErrorsNeverSayNoDrift() async throws {
        let (cairn, env, _) = try await applied("locked")
        let store = try #require(try StateStore.open(stateDir: cairn.stateDir, stack: stack, environment: env, create: false))
        let lock = try await store.acquireLock(command: "apply")
        #expect(try await cairn.run(["drift", stack, "--env", env]).status == 0, "drift needs no lock")
        try lock.release()
        store.close()

        var offline = cairn
        let closed = try ClosedLoopbackPort()
        defer { closed.close() }
        offline.extraEnvironment["AWS_ENDPOINT_URL"] = closed.endpoint.absoluteString
        offline.extraEnvironment["AWS_MAX_ATTEMPTS"] = "1"
        let failed = try await offline.run(["drift", stack, "--env", env])
        #expect(failed.status == 1)
        #expect(!failed.stdout.contains("No drift"))
        #expect(failed.stderr.contains("drift is unknown"))
        try await cairn.run(["destroy", stack, "--env", env, "--auto-approve"]).requireSuccess()
    }

    @Test func theWatchReportsAChangeMadeBetweenRunsAndStopsOnSIGTERM() async throws {
        let (cairn, env, project) = try await applied("loop")
        // Bounded by --max-runs in case SIGTERM is never sent; the waits below don't depend on
        // how long the out-of-band change takes, which varies with the machine's load.
        let process = Process()
        process.executableURL = URL(fileURLWithPath: cairn.executablePath)
        process.arguments = ["drift", stack, "--env", env, "--every", "1s", "--max-runs", "120"]
        process.environment = cairn.environment
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let collected = LineCollector(output.fileHandleForReading)
        let bound = defaultProcessBound  // each wait is for one drift run, bounded as any Cairn command is
        try await collected.waitFor("No drift.", timeout: bound)
        try await cairn.aws(["ecr", "put-image-tag-mutability", "--repository-name", project, "--image-tag-mutability", "IMMUTABLE"]).requireSuccess()
        try await collected.waitFor("new drift: aws_ecr_repository.app changed imageTagMutability", timeout: bound)
        // A later run sees the same picture and says so rather than repeating the report.
        try await collected.waitFor("drift picture unchanged (1 drifted)", timeout: bound)
        process.terminate()
        process.waitUntilExit()
        let text = await collected.text
        #expect(text.contains("stopped after"), "\(text)")
        #expect(process.terminationReason == .exit, "it exits by itself rather than being killed by the signal")
        #expect(process.terminationStatus == 2, "drift present at the end: \(text)")
        #expect(text.components(separatedBy: "new drift:").count == 2, "the change is reported once: \(text)")
        try await cairn.run(["destroy", stack, "--env", env, "--auto-approve"]).requireSuccess()
    }

    @Test func badNotifyTargetsAreRefused() async throws {
        let cairn = try await CairnRunner.make()
        let result = try await cairn.run(["drift", stack, "--notify", "webhook:http://127.0.0.1:99999x"])
        #expect(result.status == 1, "usage errors exit 1, as in Terraform")
        #expect(result.stderr.contains("must be sns:TOPIC_ARN"))
    }

    @Test func theWatchLoopReportsChangesAndNotifies() async throws {
        let (cairn, env, project) = try await applied("watch")
        let webhook = try await StubServer.start([.http(status: 200)])
        defer { webhook.stop() }
        // An SNS topic with an SQS queue subscribed, to read what Cairn publishes.
        let topic = try await cairn.awsJSON(["sns", "create-topic", "--name", "drift-\(env)"])["TopicArn"].string ?? ""
        let queueURL = try await cairn.awsJSON(["sqs", "create-queue", "--queue-name", "drift-\(env)"])["QueueUrl"].string ?? ""
        let queueARN =
            try await cairn.awsJSON(["sqs", "get-queue-attributes", "--queue-url", queueURL, "--attribute-names", "QueueArn"])["Attributes"][
                "QueueArn"
            ].string ?? ""
        try await cairn.aws(["sns", "subscribe", "--topic-arn", topic, "--protocol", "sqs", "--notification-endpoint", queueARN]).requireSuccess()

        try await cairn.aws(["ecr", "put-image-tag-mutability", "--repository-name", project, "--image-tag-mutability", "IMMUTABLE"]).requireSuccess()
        let watch = try await cairn.run([
            "drift", stack, "--env", env, "--every", "1s", "--max-runs", "2",
            "--notify", "webhook:\(webhook.endpoint.appendingPathComponent("hook").absoluteString)", "--notify", "sns:\(topic)",
        ])
        #expect(watch.status == 2, "\(watch)")
        #expect(watch.stdout.contains("imageTagMutability"))
        #expect(watch.stdout.contains("run 2: drift picture unchanged"))

        let posted = try await webhook.requests()
        #expect(posted.count == 1, "notified once: only when the drift picture changes")
        #expect(posted.first?.method == "POST")
        let body = try JSONValue(parsing: posted.first?.body ?? "")
        #expect(body["text"].string?.contains("Cairn drift in fixture-app") == true)
        #expect(body["drifted"] == true)

        let received = try await cairn.awsJSON(["sqs", "receive-message", "--queue-url", queueURL, "--wait-time-seconds", "2"])
        #expect(received["Messages"][0]["Body"].string?.contains("imageTagMutability") == true)
        try await cairn.run(["destroy", stack, "--env", env, "--auto-approve"]).requireSuccess()
    }
}

/// Collects a pipe's output as it arrives.
actor LineCollector {
    private(set) var text = ""

    init(_ handle: FileHandle) {
        Task.detached { [weak self] in
            while true {
                let data = handle.availableData
                if data.isEmpty { break }
                await self?.append(String(decoding: data, as: UTF8.self))
            }
        }
    }

    private func append(_ chunk: String) { text += chunk }

    func waitFor(_ needle: String, timeout: Duration) async throws {
        let deadline = ContinuousClock.now + timeout
        while !text.contains(needle) {
            guard ContinuousClock.now < deadline else { throw TestSupportError("did not see '\(needle)' in: \(text)") }
            try await Task.sleep(for: .milliseconds(100))
        }
    }
}
