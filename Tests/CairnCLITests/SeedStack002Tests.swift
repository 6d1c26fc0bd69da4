import Foundation
import TestSupport
import Testing

/// Seed 002's pipeline (`ecommerce-ai-platform`): bad input refused before any call; applied, checked with
/// the aws CLI (parameter types and keys, the topic policy, the failure rule, the stage order, lifecycle
/// rules off the state prefix); re-planned with no change; out-of-band changes to a parameter, a topic
/// policy and a secret found by drift without showing a value, and undone; destroyed but for the
/// protected prod state bucket, then that too; no secret anywhere in output or state.
@Suite(.integration) struct EcommerceAIPlatformStackTests {
    let stack = "ecommerce-ai-platform"

    @Test func applyDriftAndDestroy() async throws {
        var cairn = try await CairnRunner.make(executable: CairnRunner.executable)
        let env = uniqueEnvironment("ai")
        let project = "ecommerce-ai-platform-\(env)"
        let nonce = UUID().uuidString.prefix(8)
        let secrets = [
            "DEV_MYSQL_PASSWORD": "dev-db-pw-\(nonce)", "DEV_JWT_SECRET": "dev-jwt-\(nonce)",
            "PROD_MYSQL_PASSWORD": "prod-db-pw-\(nonce)", "PROD_JWT_SECRET": "prod-jwt-\(nonce)",
        ]
        cairn.extraEnvironment = secrets.merging([
            "DEV_APPROVAL_EMAIL": "dev-team@example.com", "PROD_APPROVAL_EMAIL": "prod-team@example.com",
            "DEV_MYSQL_HOST": "dev-db.internal", "PROD_MYSQL_HOST": "prod-db.internal",
        ]) { a, _ in a }
        var outputs: [ProcessResult] = []
        func aws(_ arguments: [String]) async throws -> JSONValue { try await cairn.moto.awsJSON(arguments, region: "us-east-1") }
        func run(_ arguments: [String], _ runner: CairnRunner? = nil) async throws -> ProcessResult {
            let result = try await (runner ?? cairn).run(arguments)
            outputs.append(result)
            return result
        }

        // Bad input: each exits 1 before any call, naming it.
        var noSecret = cairn
        noSecret.extraEnvironment["PROD_JWT_SECRET"] = ""
        let unset = try await run(["apply", stack, "--env", env, "--auto-approve"], noSecret)
        #expect(unset.status == 1 && unset.stderr.contains("PROD_JWT_SECRET"), "\(unset)")
        var badEmail = cairn
        badEmail.extraEnvironment["DEV_APPROVAL_EMAIL"] = "dev-team"
        let email = try await run(["apply", stack, "--env", env, "--auto-approve"], badEmail)
        #expect(email.status == 1 && email.stderr.contains("dev_approval_email") && email.stderr.contains("is not an e-mail address"), "\(email)")
        #expect(try await cairn.moto.aws(["s3api", "head-bucket", "--bucket", "\(project)-artifacts-dev"], region: "us-east-1").status != 0)

        let apply = try await run(["apply", stack, "--env", env, "--auto-approve"])
        #expect(apply.status == 0, "\(apply)")
        #expect(apply.stdout.contains("Apply complete! Resources: 25 added"), "\(apply)")

        // Parameters: two SecureString per environment, under SSM's key, with their values.
        let described = try await aws([
            "ssm", "describe-parameters", "--parameter-filters", "Key=Name,Option=BeginsWith,Values=/\(project)/",
        ])
        let parameters = described["Parameters"].array ?? []
        #expect(parameters.count == 8)
        for stage in ["dev", "prod"] {
            let secure = parameters.filter { ($0["Name"].string ?? "").hasPrefix("/\(project)/\(stage)/") && $0["Type"] == "SecureString" }
            #expect(Set(secure.compactMap { $0["Name"].string }) == ["/\(project)/\(stage)/mysql/password", "/\(project)/\(stage)/jwt/secret"])
            #expect(secure.allSatisfy { $0["KeyId"] == "alias/aws/ssm" }, "\(secure)")
        }
        let password = try await aws(["ssm", "get-parameter", "--name", "/\(project)/prod/mysql/password", "--with-decryption"])
        #expect(password["Parameter"]["Value"] == .string(secrets["PROD_MYSQL_PASSWORD"]!))
        #expect(try await aws(["ssm", "get-parameter", "--name", "/\(project)/dev/mysql/host"])["Parameter"]["Value"] == "dev-db.internal")

        // Failure alerts: the topics let EventBridge publish; the rule matches failed executions of the pipeline.
        let values = try JSONValue(parsing: try await run(["output", stack, "--env", env, "--format", "json"]).stdout)
        let devTopic = try #require(values["DEV_APPROVAL_TOPIC_ARN"].string)
        let exports = try await run(["output", stack, "--env", env, "--format", "env"])
        #expect(exports.stdout.contains("export PIPELINE_NAME='\(project)-pipeline'"), "for the seed's local deploy: \(exports)")
        #expect(exports.stdout.contains("export AWS_ACCOUNT_ID='123456789012'"), "\(exports)")
        let topicPolicy = try JSONValue(
            parsing: try await aws(["sns", "get-topic-attributes", "--topic-arn", devTopic])["Attributes"]["Policy"].string ?? "")
        #expect(topicPolicy["Statement"][0]["Principal"]["Service"] == ["cloudwatch.amazonaws.com", "events.amazonaws.com"], "\(topicPolicy)")
        let rule = try await aws(["events", "describe-rule", "--name", "\(project)-pipeline-failed"])
        let pattern = try JSONValue(parsing: rule["EventPattern"].string ?? "")
        #expect(pattern["detail"]["state"] == ["FAILED"])
        #expect(pattern["detail"]["pipeline"] == .array([.string("\(project)-pipeline")]))
        let targets = try await aws(["events", "list-targets-by-rule", "--rule", "\(project)-pipeline-failed"])["Targets"].array ?? []
        #expect(Set(targets.compactMap { $0["Arn"].string }) == [devTopic, values["PROD_APPROVAL_TOPIC_ARN"].string ?? ""])

        // The pipeline: prod is approved before it is built; the builds read the parameters from Parameter Store.
        let pipeline = try await aws(["codepipeline", "get-pipeline", "--name", "\(project)-pipeline"])
        let stages = pipeline["pipeline"]["stages"].array ?? []
        #expect(stages.map { $0["name"].string ?? "" } == ["Source", "BuildDev", "ApproveDev", "ApproveProd", "BuildProd"])
        #expect(stages[3]["actions"][0]["configuration"]["NotificationArn"] == values["PROD_APPROVAL_TOPIC_ARN"])
        let build = try await aws(["codebuild", "batch-get-projects", "--names", "\(project)-build-prod"])["projects"][0]
        let variables = build["environment"]["environmentVariables"].array ?? []
        let fromStore = variables.filter { $0["type"] == "PARAMETER_STORE" }
        #expect(fromStore.count == 4)
        #expect(fromStore.contains { $0["name"] == "MYSQL_PASSWORD" && $0["value"] == .string("/\(project)/prod/mysql/password") })

        // Terraform state: versioned buckets whose lifecycle never touches the state.
        for stage in ["dev", "prod"] {
            let bucket = "\(project)-artifacts-\(stage)"
            #expect(try await aws(["s3api", "get-bucket-versioning", "--bucket", bucket])["Status"] == "Enabled")
            let rules = try await aws(["s3api", "get-bucket-lifecycle-configuration", "--bucket", bucket])["Rules"].array ?? []
            #expect(!rules.isEmpty && rules.allSatisfy { ($0["Filter"]["Prefix"].string ?? $0["Prefix"].string) == "lambda/" }, "\(rules)")
        }
        #expect(
            try await aws(["dynamodb", "describe-table", "--table-name", "\(project)-terraform-locks"])["Table"]["KeySchema"][0]["AttributeName"]
                == "LockID")

        let replan = try await run(["plan", stack, "--env", env, "--detailed-exitcode"])
        #expect(replan.status == 0, "no changes right after apply: \(replan)")

        // Out of band: a description, a topic policy and a secret value.
        try await cairn.moto.aws(
            [
                "ssm", "put-parameter", "--name", "/\(project)/dev/mysql/host", "--value", "dev-db.internal", "--type", "String",
                "--description", "changed by hand", "--overwrite",
            ], region: "us-east-1"
        ).requireSuccess()
        let rotated = "rotated-by-hand-\(nonce)"
        try await cairn.moto.aws(
            ["ssm", "put-parameter", "--name", "/\(project)/dev/jwt/secret", "--value", rotated, "--type", "SecureString", "--overwrite"],
            region: "us-east-1"
        ).requireSuccess()
        let foreignPolicy =
            #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"sns:Publish","Resource":"\#(devTopic)"}]}"#
        try await cairn.moto.aws(
            ["sns", "set-topic-attributes", "--topic-arn", devTopic, "--attribute-name", "Policy", "--attribute-value", foreignPolicy],
            region: "us-east-1"
        ).requireSuccess()
        let drift = try await run(["drift", stack, "--env", env])
        #expect(drift.status == 2, "\(drift)")
        #expect(drift.stdout.contains("aws_ssm_parameter.devMysqlHost") && drift.stdout.contains("changed by hand"), "\(drift)")
        #expect(drift.stdout.contains("aws_ssm_parameter.devJwtSecret") && drift.stdout.contains("(sensitive value changed)"), "\(drift)")
        #expect(drift.stdout.contains("aws_sns_topic.devApprovals") && drift.stdout.contains("policy"), "\(drift)")
        #expect(!drift.stdout.contains(rotated), "drift shows neither value")
        let repair = try await run(["apply", stack, "--env", env, "--auto-approve"])
        #expect(repair.status == 0, "\(repair)")
        let secret = try await aws(["ssm", "get-parameter", "--name", "/\(project)/dev/jwt/secret", "--with-decryption"])
        #expect(secret["Parameter"]["Value"] == .string(secrets["DEV_JWT_SECRET"]!), "the declared secret is back")
        let restored = try JSONValue(
            parsing: try await aws(["sns", "get-topic-attributes", "--topic-arn", devTopic])["Attributes"]["Policy"].string ?? "")
        #expect(restored["Statement"][0]["Principal"]["Service"] == ["cloudwatch.amazonaws.com", "events.amazonaws.com"])
        #expect(try await run(["drift", stack, "--env", env]).status == 0)

        // Destroy: refused whole while prod's state bucket is protected; --exclude-protected leaves only it;
        // with the protection off it goes too.
        // Destroy works from the state: no variable, secret or token needed.
        var bare = cairn
        bare.extraEnvironment = ["GITHUB_TOKEN": ""]
        let refused = try await run(["destroy", stack, "--env", env, "--auto-approve"], bare)
        #expect(refused.status == 1 && refused.stderr.contains("--exclude-protected"), "\(refused)")
        let destroy = try await run(["destroy", stack, "--env", env, "--auto-approve", "--exclude-protected"], bare)
        #expect(destroy.status == 0, "\(destroy)")
        #expect(destroy.stdout.contains("Resources: 24 destroyed"), "\(destroy)")
        let left = try await run(["state", "list", stack, "--env", env])
        let kept: [String] = left.stdout.split(separator: "\n").map { line in String(line.prefix { $0 != "\t" }) }
        #expect(kept == ["aws_s3_bucket.artifactsProd"], "\(left)")
        #expect(try await cairn.moto.aws(["s3api", "head-bucket", "--bucket", "\(project)-artifacts-prod"], region: "us-east-1").status == 0)
        #expect(try await cairn.moto.aws(["s3api", "head-bucket", "--bucket", "\(project)-artifacts-dev"], region: "us-east-1").status != 0)
        let remaining = try await aws(["ssm", "describe-parameters", "--parameter-filters", "Key=Name,Option=BeginsWith,Values=/\(project)/"])
        #expect(remaining["Parameters"].array?.isEmpty == true)
        #expect(try await cairn.moto.aws(["sns", "get-topic-attributes", "--topic-arn", devTopic], region: "us-east-1").status != 0)
        let unprotected = try await run(["destroy", stack, "--env", env, "--auto-approve", "--var", "protect_prod_state=false"], bare)
        #expect(unprotected.status == 0, "\(unprotected)")
        #expect(try await cairn.moto.aws(["s3api", "head-bucket", "--bucket", "\(project)-artifacts-prod"], region: "us-east-1").status != 0)
        #expect(try await run(["state", "list", stack, "--env", env]).stdout.isEmpty)

        // No secret value in anything printed, nor in any byte under the state directory.
        expectNoSecrets(Array(secrets.values) + [rotated, CairnRunner.gitHubToken], printedBy: outputs, stateDir: cairn.stateDir)
    }
}
