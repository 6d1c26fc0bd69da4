import Foundation
import TestSupport
import Testing

/// Seed 004's delivery (`cloud-health-dashboard`): bad input refused before any call; applied and checked with
/// the aws CLI (the distribution's origin through the OAC and the REST endpoint, the private bucket and its
/// policy naming the distribution, alarms, rules, parameters); re-planned with no change; out-of-band changes
/// found by drift and undone; a destroy killed while the distribution is being disabled resumes and leaves
/// nothing; no secret in output or state.
@Suite(.integration) struct CloudHealthDashboardStackTests {
    let stack = "cloud-health-dashboard"

    @Test func applyDriftAndDestroy() async throws {
        var cairn = try await CairnRunner.make(executable: CairnRunner.executable)
        let env = uniqueEnvironment("chd")
        let project = "cloud-health-dashboard-\(env)"
        let nonce = UUID().uuidString.prefix(8)
        let secrets = ["JWT_SECRET_KEY": "jwt-\(nonce)", "ENCRYPTION_KEY": "enc-\(nonce)"]
        cairn.extraEnvironment = secrets.merging(["ALERT_EMAIL": "devops@example.com", "ALERT_PHONE": "+15555550123"]) { a, _ in a }
        var outputs: [ProcessResult] = []
        func aws(_ arguments: [String]) async throws -> JSONValue { try await cairn.moto.awsJSON(arguments, region: "us-east-1") }
        func succeeds(_ arguments: [String]) async throws -> Bool { try await cairn.moto.aws(arguments, region: "us-east-1").status == 0 }
        func run(_ arguments: [String], _ runner: CairnRunner? = nil) async throws -> ProcessResult {
            let result = try await (runner ?? cairn).run(arguments)
            outputs.append(result)
            return result
        }

        // Bad input: exits 1 before any call, naming it.
        var badPhone = cairn
        badPhone.extraEnvironment["ALERT_PHONE"] = "555-0123"
        let phone = try await run(["apply", stack, "--env", env, "--auto-approve"], badPhone)
        #expect(phone.status == 1 && phone.stderr.contains("aws_sns_topic_subscription.sms") && phone.stderr.contains("E.164"), "\(phone)")
        var noSecret = cairn
        noSecret.extraEnvironment["ENCRYPTION_KEY"] = ""
        let unset = try await run(["apply", stack, "--env", env, "--auto-approve"], noSecret)
        #expect(unset.status == 1 && unset.stderr.contains("ENCRYPTION_KEY"), "\(unset)")
        #expect(try await !succeeds(["s3api", "head-bucket", "--bucket", "\(project)-frontend"]))

        let apply = try await run(["apply", stack, "--env", env, "--auto-approve"])
        #expect(apply.status == 0, "\(apply)")
        #expect(apply.stdout.contains("Apply complete! Resources: 40 added"), "\(apply)")
        let values = try JSONValue(parsing: try await run(["output", stack, "--env", env, "--format", "json"]).stdout)
        let distributionID = try #require(values["CLOUDFRONT_DISTRIBUTION_ID"].string)
        #expect(values["REACT_APP_ENVIRONMENT"] == "production")
        #expect(values["CODECOMMIT_CLONE_URL_HTTP"].string?.hasSuffix("/v1/repos/\(project)") == true, "\(values)")

        // The frontend: private, read only by the distribution, through the OAC and the bucket's REST endpoint.
        let config = try await aws(["cloudfront", "get-distribution-config", "--id", distributionID])["DistributionConfig"]
        let origin = config["Origins"]["Items"][0]
        #expect(origin["DomainName"] == .string("\(project)-frontend.s3.us-east-1.amazonaws.com"))
        let oacs = try await aws(["cloudfront", "list-origin-access-controls"])["OriginAccessControlList"]["Items"].array ?? []
        let oac = try #require(oacs.first { $0["Name"] == .string("\(project)-frontend") })
        #expect(origin["OriginAccessControlId"] == oac["Id"])
        #expect(origin["S3OriginConfig"]["OriginAccessIdentity"] == "")
        #expect(config["DefaultRootObject"] == "index.html")
        #expect(config["DefaultCacheBehavior"]["ViewerProtocolPolicy"] == "redirect-to-https")
        let block = try await aws(["s3api", "get-public-access-block", "--bucket", "\(project)-frontend"])["PublicAccessBlockConfiguration"]
        #expect(block["BlockPublicPolicy"] == true && block["RestrictPublicBuckets"] == true)
        let bucketPolicy = try JSONValue(
            parsing: try await aws(["s3api", "get-bucket-policy", "--bucket", "\(project)-frontend"])["Policy"].string ?? "")
        #expect(
            bucketPolicy["Statement"][0]["Condition"]["StringEquals"]["AWS:SourceArn"]
                == .string("arn:aws:cloudfront::123456789012:distribution/\(distributionID)"), "\(bucketPolicy)")
        #expect(
            try await succeeds(["s3api", "head-bucket", "--bucket", "codepipeline-artifacts-us-east-1-123456789012-\(env)"]),
            "named after the account")

        // Alerts: the alarms' metric, dimension and action; the rules' patterns and targets.
        let topic = try #require(values["NOTIFICATION_TOPIC_ARN"].string)
        let alarms = try await aws(["cloudwatch", "describe-alarms", "--alarm-name-prefix", "backend-build-\(env)"])["MetricAlarms"].array ?? []
        #expect(alarms.count == 1)
        #expect(alarms.first?["MetricName"] == "BuildDuration" && alarms.first?["Namespace"] == "AWS/CodeBuild")
        #expect(alarms.first?["Dimensions"][0]["Value"] == .string("backend-build-\(env)"))
        #expect(alarms.first?["AlarmActions"][0] == .string(topic))
        for (rule, key) in [
            ("\(project)-pipeline-failed", "state"), ("\(project)-deployment-failed", "eventName"), ("\(project)-main-changed", "referenceName"),
        ] {
            let pattern = try JSONValue(parsing: try await aws(["events", "describe-rule", "--name", rule])["EventPattern"].string ?? "")
            #expect(pattern["detail"][key].array?.isEmpty == false, "\(rule): \(pattern)")
            let targets = try await aws(["events", "list-targets-by-rule", "--rule", rule])["Targets"].array ?? []
            #expect(targets.count == 1, "\(rule)")
        }
        let subscriptions = try await aws(["sns", "list-subscriptions-by-topic", "--topic-arn", topic])["Subscriptions"].array ?? []
        #expect(Set(subscriptions.compactMap { $0["Protocol"].string }) == ["email", "sms"])

        // Parameters: eight Strings and two SecureStrings, the secrets in the task's secrets.
        let parameters =
            try await aws([
                "ssm", "describe-parameters", "--parameter-filters", "Key=Name,Option=BeginsWith,Values=/cloud-health-\(env)/backend/production/",
            ])["Parameters"].array ?? []
        #expect(parameters.filter { $0["Type"] == "String" }.count == 8)
        #expect(
            Set(parameters.filter { $0["Type"] == "SecureString" }.compactMap { $0["Name"].string?.split(separator: "/").last.map(String.init) }) == [
                "JWT_SECRET_KEY", "ENCRYPTION_KEY",
            ])
        let frontendURL = try await aws(["ssm", "get-parameter", "--name", "/cloud-health-\(env)/backend/production/FRONTEND_URL"])
        #expect(frontendURL["Parameter"]["Value"] == .string("https://\(values["CLOUDFRONT_DOMAIN_NAME"].string ?? "?")"))
        let pipeline = try await aws(["codepipeline", "get-pipeline", "--name", "\(project)-pipeline"])["pipeline"]
        #expect((pipeline["stages"].array ?? []).map { $0["name"].string ?? "" } == ["Source", "Build", "Deploy"])
        #expect(pipeline["stages"][1]["actions"].array?.count == 2, "both builds in one stage")
        #expect(pipeline["stages"][2]["actions"][1]["configuration"]["CacheControl"] == "no-cache")

        let replan = try await run(["plan", stack, "--env", env, "--detailed-exitcode"])
        #expect(replan.status == 0, "no changes right after apply: \(replan)")

        // Out of band: the root object, an alarm's threshold, the bucket policy, a parameter's value.
        let current = try await cairn.moto.aws(["cloudfront", "get-distribution-config", "--id", distributionID], region: "us-east-1").stdout
        let object = try #require(try JSONSerialization.jsonObject(with: Data(current.utf8)) as? [String: Any])
        var edited = try #require(object["DistributionConfig"] as? [String: Any])
        edited["DefaultRootObject"] = "home.html"
        let configFile = try makeTemporaryDirectory().appendingPathComponent("config.json")
        try JSONSerialization.data(withJSONObject: edited).write(to: configFile)
        #expect(
            try await succeeds([
                "cloudfront", "update-distribution", "--id", distributionID, "--if-match", object["ETag"] as? String ?? "",
                "--distribution-config", "file://\(configFile.path)",
            ]))
        #expect(
            try await succeeds([
                "cloudwatch", "put-metric-alarm", "--alarm-name", "backend-build-\(env)-duration", "--namespace", "AWS/CodeBuild",
                "--metric-name", "BuildDuration", "--dimensions", "Name=ProjectName,Value=backend-build-\(env)", "--statistic", "Maximum",
                "--period", "300", "--evaluation-periods", "1", "--threshold", "1200", "--comparison-operator", "GreaterThanThreshold",
                "--treat-missing-data", "notBreaching", "--unit", "Seconds", "--alarm-actions", topic,
            ]))
        #expect(try await succeeds(["s3api", "delete-bucket-policy", "--bucket", "\(project)-frontend"]))
        #expect(
            try await succeeds([
                "ssm", "put-parameter", "--name", "/cloud-health-\(env)/backend/production/LOG_LEVEL", "--value", "DEBUG", "--type", "String",
                "--overwrite",
            ]))
        let drift = try await run(["drift", stack, "--env", env])
        #expect(drift.status == 2, "\(drift)")
        for (address, attribute) in [
            ("aws_cloudfront_distribution.frontend", "defaultRootObject"), ("aws_cloudwatch_metric_alarm.backendBuildDuration", "threshold"),
            ("aws_s3_bucket_policy.frontend", "deleted outside Cairn"), ("aws_ssm_parameter.backendLogLevel", "value"),
        ] {
            #expect(drift.stdout.contains(address) && drift.stdout.contains(attribute), "\(address) \(attribute): \(drift)")
        }
        let repair = try await run(["apply", stack, "--env", env, "--auto-approve"])
        #expect(repair.status == 0, "\(repair)")
        #expect(
            try await aws(["cloudfront", "get-distribution-config", "--id", distributionID])["DistributionConfig"]["DefaultRootObject"]
                == "index.html")
        #expect(try await succeeds(["s3api", "get-bucket-policy", "--bucket", "\(project)-frontend"]))
        #expect(try await run(["drift", stack, "--env", env]).status == 0)

        // A destroy killed while CloudFront takes the disabling: the next destroy finishes it, leaving nothing.
        var proxied = cairn
        let proxy = try await HoldingProxy.start(upstream: cairn.moto.endpoint)
        defer { proxy.stop() }
        let hold = try await proxy.hold(HoldingProxy.Match(method: "PUT", target: "/distribution/\(distributionID)/config"))
        proxied.extraEnvironment["AWS_ENDPOINT_URL"] = proxy.endpoint.absoluteString
        let killed = try BackgroundCairn.start(proxied, ["destroy", stack, "--env", env, "--auto-approve"])
        try await proxy.waitUntilHeld(hold)
        try await killed.signal(SIGKILL)
        _ = try await killed.finish()
        try await proxy.release(hold)
        #expect(try await aws(["cloudfront", "get-distribution-config", "--id", distributionID])["DistributionConfig"]["Enabled"] == false)
        try await cairn.run(["force-unlock", stack, "--env", env]).requireSuccess()
        let destroy = try await run(["destroy", stack, "--env", env, "--auto-approve"])
        #expect(destroy.status == 0, "\(destroy)")
        #expect(try await !succeeds(["cloudfront", "get-distribution", "--id", distributionID]))
        let leftOACs = try await aws(["cloudfront", "list-origin-access-controls"])["OriginAccessControlList"]["Items"].array ?? []
        #expect(!leftOACs.contains { $0["Name"] == .string("\(project)-frontend") })
        #expect(try await !succeeds(["s3api", "head-bucket", "--bucket", "\(project)-frontend"]))
        #expect(try await !succeeds(["codecommit", "get-repository", "--repository-name", project]))
        #expect(try await !succeeds(["codepipeline", "get-pipeline", "--name", "\(project)-pipeline"]))
        let leftAlarms = try await aws(["cloudwatch", "describe-alarms", "--alarm-name-prefix", "backend-build-\(env)"])["MetricAlarms"].array
        #expect(leftAlarms?.isEmpty == true)
        #expect(try await run(["state", "list", stack, "--env", env]).stdout.isEmpty)

        // No secret value in anything printed, nor in any byte under the state directory.
        expectNoSecrets(Array(secrets.values), printedBy: outputs, stateDir: cairn.stateDir)
    }
}
