import Foundation
import TestSupport
import Testing

/// Seed 001's pipeline (`b2b-ecommerce-platform`): applied, its key attributes checked with the aws
/// CLI, re-planned with no change, out-of-band changes to the key and its alias found by drift and
/// undone by apply, destroyed to nothing, and the GitHub token never shown nor stored in clear.
@Suite(.integration) struct B2BEcommercePlatformStackTests {
    let stack = "b2b-ecommerce-platform"

    @Test func applyDriftAndDestroy() async throws {
        let cairn = try await CairnRunner.make(executable: CairnRunner.executable)
        let env = uniqueEnvironment("b2b")
        let prefix = "b2b-\(env)"
        let token = CairnRunner.gitHubToken
        var outputs: [ProcessResult] = []
        func aws(_ arguments: [String]) async throws -> JSONValue { try await cairn.moto.awsJSON(arguments, region: "us-east-1") }

        // No token, no plan: exits 1 before any call, naming the attribute and the variable.
        var tokenless = cairn
        tokenless.extraEnvironment["GITHUB_TOKEN"] = ""
        let refused = try await tokenless.run(["apply", stack, "--env", env, "--auto-approve"])
        #expect(refused.status == 1, "\(refused)")
        #expect(refused.stderr.contains("GITHUB_TOKEN"), "\(refused)")
        #expect(
            try await cairn.moto.aws(["ecr", "describe-repositories", "--repository-names", "b2b-api-gateway-\(env)"], region: "us-east-1").status
                != 0)

        let apply = try await cairn.run(["apply", stack, "--env", env, "--auto-approve", "--var", "github_owner=octo-org"])
        outputs.append(apply)
        #expect(apply.status == 0, "\(apply)")
        #expect(apply.stdout.contains("Apply complete! Resources: 28 added"), "\(apply)")

        let values = try JSONValue(parsing: try await cairn.run(["output", stack, "--env", env, "--format", "json"]).stdout)
        let keyARN = try #require(values["ARTIFACT_KEY_ARN"].string)
        #expect(try await aws(["kms", "get-key-rotation-status", "--key-id", keyARN])["KeyRotationEnabled"] == true)
        let aliases = try await aws(["kms", "list-aliases", "--key-id", keyARN])
        #expect(aliases["Aliases"][0]["AliasName"] == .string("alias/b2b-ecommerce-artifacts-\(env)"))
        let bucket = "codepipeline-b2b-ecommerce-artifacts-\(env)"
        let encryption = try await aws(["s3api", "get-bucket-encryption", "--bucket", bucket])
        let rule = encryption["ServerSideEncryptionConfiguration"]["Rules"][0]
        #expect(rule["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "aws:kms")
        #expect(rule["ApplyServerSideEncryptionByDefault"]["KMSMasterKeyID"] == .string(keyARN))
        #expect(rule["BucketKeyEnabled"] == true)
        let policy = try JSONValue(parsing: try await aws(["s3api", "get-bucket-policy", "--bucket", bucket])["Policy"].string ?? "")
        #expect(policy["Statement"][0]["Condition"]["Bool"]["aws:SecureTransport"] == "false")
        for stage in ["staging", "production"] {
            let services = try await aws([
                "ecs", "describe-services", "--cluster", "\(prefix)-\(stage)-cluster", "--services", "\(prefix)-\(stage)-service",
            ])
            #expect(services["services"][0]["status"] == "ACTIVE", "\(stage)")
            let breaker = services["services"][0]["deploymentConfiguration"]["deploymentCircuitBreaker"]
            #expect(breaker["enable"] == true && breaker["rollback"] == true, "\(stage): \(breaker)")
        }
        let pipeline = try await aws(["codepipeline", "get-pipeline", "--name", "\(prefix)-ecommerce-pipeline"])
        let stages = pipeline["pipeline"]["stages"].array ?? []
        #expect(stages.map { $0["name"].string ?? "" } == ["Source", "Build", "DeployStaging", "Test", "Approve", "DeployProduction"])
        #expect(stages[4]["actions"][0]["actionTypeId"]["provider"] == "Manual")
        #expect(stages[0]["actions"][0]["configuration"]["Owner"] == "octo-org", "the github_owner variable")
        #expect(pipeline["pipeline"]["artifactStore"]["encryptionKey"]["id"] == .string(keyARN))
        let projects = try await aws(["codebuild", "batch-get-projects", "--names", "\(prefix)-api-gateway-build", "\(prefix)-integration-tests"])
        let imageBuild = try #require(projects["projects"].array?.first { $0["name"].string == "\(prefix)-api-gateway-build" })
        #expect(imageBuild["environment"]["image"] == "aws/codebuild/standard:7.0")
        #expect(imageBuild["environment"]["privilegedMode"] == true)
        let variables = imageBuild["environment"]["environmentVariables"].array ?? []
        #expect(Set(variables.compactMap { $0["name"].string }) == ["SERVICE_NAME", "IMAGE_REPO_NAME", "AWS_ACCOUNT_ID", "CONTAINER_NAME"])
        #expect(projects["projects"].array?.count == 2, "the Test stage's project exists")

        let replan = try await cairn.run(["plan", stack, "--env", env, "--detailed-exitcode", "--var", "github_owner=octo-org"])
        outputs.append(replan)
        #expect(replan.status == 0, "no changes right after apply: \(replan)")

        // Out of band: rotation off, and the alias pointed at another key.
        let otherKey = try #require(try await aws(["kms", "create-key", "--description", "someone else's"])["KeyMetadata"]["Arn"].string)
        try await cairn.moto.aws(["kms", "disable-key-rotation", "--key-id", keyARN], region: "us-east-1").requireSuccess()
        try await cairn.moto.aws(
            ["kms", "update-alias", "--alias-name", "alias/b2b-ecommerce-artifacts-\(env)", "--target-key-id", otherKey],
            region: "us-east-1"
        ).requireSuccess()
        let drift = try await cairn.run(["drift", stack, "--env", env, "--var", "github_owner=octo-org"])
        outputs.append(drift)
        #expect(drift.status == 2, "\(drift)")
        #expect(drift.stdout.contains("aws_kms_key.artifacts") && drift.stdout.contains("enableKeyRotation"), "\(drift)")
        #expect(drift.stdout.contains("aws_kms_alias.artifacts") && drift.stdout.contains("targetKeyId"), "\(drift)")
        let repair = try await cairn.run(["apply", stack, "--env", env, "--auto-approve", "--var", "github_owner=octo-org"])
        outputs.append(repair)
        #expect(repair.status == 0, "\(repair)")
        #expect(try await aws(["kms", "get-key-rotation-status", "--key-id", keyARN])["KeyRotationEnabled"] == true)
        #expect(try await aws(["kms", "list-aliases", "--key-id", keyARN])["Aliases"].array?.count == 1, "the alias names the stack's key again")

        // The token: nowhere in what was printed, nor in the state's bytes.
        for result in outputs {
            #expect(!result.stdout.contains(token) && !result.stderr.contains(token), "the token leaked: \(result)")
        }
        for file in try FileManager.default.contentsOfDirectory(atPath: cairn.stateDir.path) {
            let bytes = try Data(contentsOf: cairn.stateDir.appendingPathComponent(file))
            #expect(bytes.range(of: Data(token.utf8)) == nil, "\(file) holds the token in clear")
        }

        // Destroy needs no variable and leaves nothing; the key waits out its deletion window.
        let destroy = try await cairn.run(["destroy", stack, "--env", env, "--auto-approve"])
        #expect(destroy.status == 0, "\(destroy)")
        #expect(!destroy.stdout.contains(token))
        #expect(try await aws(["kms", "describe-key", "--key-id", keyARN])["KeyMetadata"]["KeyState"] == "PendingDeletion")
        #expect(try await aws(["kms", "list-aliases", "--key-id", keyARN])["Aliases"].array?.isEmpty == true)
        #expect(try await cairn.moto.aws(["s3api", "head-bucket", "--bucket", bucket], region: "us-east-1").status != 0)
        #expect(
            try await cairn.moto.aws(["codepipeline", "get-pipeline", "--name", "\(prefix)-ecommerce-pipeline"], region: "us-east-1").status != 0)
        let builds = try await aws(["codebuild", "batch-get-projects", "--names", "\(prefix)-api-gateway-build", "\(prefix)-integration-tests"])
        #expect(builds["projects"].array?.isEmpty == true)
        for stage in ["staging", "production"] {
            let clusters = try await aws(["ecs", "describe-clusters", "--clusters", "\(prefix)-\(stage)-cluster"])
            #expect(clusters["clusters"][0]["status"] != "ACTIVE")
        }
        let logs = try await aws(["logs", "describe-log-groups", "--log-group-name-prefix", "/aws/codebuild/\(prefix)-"])
        #expect(logs["logGroups"].array?.isEmpty == true)
        for role in ["codebuild", "codepipeline", "task-execution"] {
            #expect(try await cairn.moto.aws(["iam", "get-role", "--role-name", "\(prefix)-ecommerce-\(role)"], region: "us-east-1").status != 0)
        }
        let state = try await cairn.run(["state", "list", stack, "--env", env])
        #expect(state.stdout.isEmpty, "\(state)")
    }
}

extension B2BEcommercePlatformStackTests {
    /// kill -9 while KMS's answer to CreateKey is held back by a proxy (the key exists; cairn never learnt its id)
    /// and while the other creates of the first wave run: the next apply finds the key by its ownership tags, adopts
    /// what the others left, and ends with every resource once.
    @Test func anApplyKilledMidwayConvergesWithEachResourceOnce() async throws {
        var cairn = try await CairnRunner.make(executable: CairnRunner.executable)
        let env = uniqueEnvironment("b2bkill")
        let owner = ["--var", "github_owner=octo-org"]
        func aws(_ arguments: [String]) async throws -> JSONValue { try await cairn.moto.awsJSON(arguments, region: "us-east-1") }
        /// The live keys, not pending deletion, that carry this environment's ownership tag.
        func keys() async throws -> [String] {
            var found: [String] = []
            for key in try await aws(["kms", "list-keys"])["Keys"].array ?? [] {
                guard let id = key["KeyId"].string,
                    try await aws(["kms", "describe-key", "--key-id", id])["KeyMetadata"]["KeyState"] != "PendingDeletion"
                else { continue }
                let tags = try await aws(["kms", "list-resource-tags", "--key-id", id])["Tags"].array ?? []
                if tags.contains(where: { $0["TagKey"] == "cairn:env" && $0["TagValue"] == .string(env) }) { found.append(id) }
            }
            return found
        }

        let proxy = try await HoldingProxy.start(upstream: cairn.moto.endpoint)
        defer { proxy.stop() }
        let hold = try await proxy.hold(.jsonTarget("TrentService.CreateKey"))
        cairn.extraEnvironment["AWS_ENDPOINT_URL"] = proxy.endpoint.absoluteString
        let apply = try BackgroundCairn.start(cairn, ["apply", stack, "--env", env, "--auto-approve"] + owner)
        try await proxy.waitUntilHeld(hold)
        try await apply.signal(SIGKILL)
        #expect(try await apply.finish().status == 128 + 9)
        cairn.extraEnvironment = [:]
        let made = try await keys()
        #expect(made.count == 1, "CreateKey took effect before the kill: \(made)")
        let listed = try await cairn.run(["state", "list", stack, "--env", env])
        #expect(!listed.stdout.contains("aws_kms_key.artifacts\t"), "the kill came before its commit: \(listed)")

        try await cairn.run(["force-unlock", stack, "--env", env]).requireSuccess()
        let plan = try await cairn.run(["plan", stack, "--env", env] + owner)
        #expect(
            plan.stdout.contains("adopting \(made.first ?? "?"), created by an interrupted run (it carries this state's ownership tag)"), "\(plan)")
        let rerun = try await cairn.run(["apply", stack, "--env", env, "--auto-approve"] + owner)
        #expect(rerun.status == 0, "\(rerun)")
        let state = try await cairn.run(["state", "list", stack, "--env", env])
        #expect(state.stdout.split(separator: "\n").count == 28, "every resource recorded once: \(state.stdout)")
        #expect(try await keys() == made, "one key, the one the killed run made")
        #expect(try await cairn.run(["plan", stack, "--env", env, "--detailed-exitcode"] + owner).status == 0)
        try await cairn.run(["destroy", stack, "--env", env, "--auto-approve"]).requireSuccess()
        #expect(try await keys().isEmpty)
    }
}

/// Seed 003's prerequisites (`production-experience-showcase`), on a moto of their own: the GitHub
/// OIDC provider exists once per account, and other tests' stacks create it too.
@Suite(.integration) struct ProductionExperienceShowcaseStackTests {
    let stack = "production-experience-showcase"

    @Test func applyDriftOwnershipOfTheProviderAndDestroy() async throws {
        let moto = try await MotoServer.start()
        defer { moto.stop() }
        let cairn = CairnRunner(moto: moto, stateDir: try makeTemporaryDirectory(), executablePath: CairnRunner.executable)
        let env = uniqueEnvironment("show")
        let project = "production-experience-showcase-\(env)"
        func aws(_ arguments: [String]) async throws -> JSONValue { try await moto.awsJSON(arguments, region: "us-east-1") }

        // The variable: required, and of the form OWNER/REPO; nothing is created otherwise.
        let missing = try await cairn.run(["apply", stack, "--env", env, "--auto-approve"])
        #expect(missing.status == 1)
        #expect(
            missing.stderr.hasPrefix("Error: The variable 'github_repository' of stack 'production-experience-showcase' is required"), "\(missing)")
        let malformed = try await cairn.run(["apply", stack, "--env", env, "--auto-approve", "--var", "github_repository=octo-org"])
        #expect(malformed.status == 1)
        #expect(
            malformed.stderr.hasPrefix("Error: The variable 'github_repository' from --var ('octo-org') must look like OWNER/REPO"), "\(malformed)")
        #expect(try await moto.aws(["ecr", "describe-repositories", "--repository-names", "\(project)-backend"], region: "us-east-1").status != 0)

        let variable = ["--var", "github_repository=octo-org/showcase"]
        let apply = try await cairn.run(["apply", stack, "--env", env, "--auto-approve"] + variable)
        #expect(apply.status == 0, "\(apply)")
        #expect(apply.stdout.contains("Apply complete! Resources: 7 added"), "\(apply)")

        let role = try await aws(["iam", "get-role", "--role-name", "\(project)-github"])
        let trust = role["Role"]["AssumeRolePolicyDocument"]["Statement"][0]
        #expect(trust["Principal"]["Federated"].string?.hasSuffix(":oidc-provider/token.actions.githubusercontent.com") == true, "\(trust)")
        #expect(trust["Condition"]["StringEquals"]["token.actions.githubusercontent.com:sub"] == "repo:octo-org/showcase:ref:refs/heads/main")
        #expect(trust["Condition"]["StringEquals"]["token.actions.githubusercontent.com:aud"] == "sts.amazonaws.com")
        let users = try await aws(["iam", "list-users"])
        #expect(!(users["Users"].array ?? []).contains { $0["UserName"].string?.contains("showcase") == true }, "no IAM user, no access keys")
        let table = try await aws(["dynamodb", "describe-table", "--table-name", "\(project)-tflocks"])
        #expect(table["Table"]["TableStatus"] == "ACTIVE")
        #expect(table["Table"]["KeySchema"][0]["AttributeName"] == "LockID")
        #expect(table["Table"]["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST")
        let versioning = try await aws(["s3api", "get-bucket-versioning", "--bucket", "\(project)-tfstate"])
        #expect(versioning["Status"] == "Enabled")
        let values = try JSONValue(parsing: try await cairn.run(["output", stack, "--env", env, "--format", "json"]).stdout)
        #expect(values["AWS_ROLE_ARN"] == .string("arn:aws:iam::123456789012:role/\(project)-github"))
        #expect(values["TF_LOCK_TABLE"] == .string("\(project)-tflocks"))
        #expect(values["ECR_REGISTRY"] == "123456789012.dkr.ecr.us-east-1.amazonaws.com")

        #expect(try await cairn.run(["plan", stack, "--env", env, "--detailed-exitcode"] + variable).status == 0, "no changes after apply")

        // Out of band: deletion protection turned on; drift finds it, apply turns it off again.
        try await moto.aws(["dynamodb", "update-table", "--table-name", "\(project)-tflocks", "--deletion-protection-enabled"], region: "us-east-1")
            .requireSuccess()
        let drift = try await cairn.run(["drift", stack, "--env", env] + variable)
        #expect(drift.status == 2, "\(drift)")
        #expect(drift.stdout.contains("aws_dynamodb_table.terraformLocks") && drift.stdout.contains("deletionProtection"), "\(drift)")
        #expect(try await cairn.run(["apply", stack, "--env", env, "--auto-approve"] + variable).status == 0)
        #expect(try await aws(["dynamodb", "describe-table", "--table-name", "\(project)-tflocks"])["Table"]["DeletionProtectionEnabled"] == false)

        // A second environment finds the account's one OIDC provider owned by the first: it says so
        // at plan time and asks for an import, creating nothing.
        let second = uniqueEnvironment("other")
        let plan = try await cairn.run(["plan", stack, "--env", second] + variable)
        #expect(plan.status == 1, "\(plan)")
        #expect(plan.stderr.contains("aws_iam_openid_connect_provider.github"), "\(plan)")
        #expect(plan.stderr.contains("belongs to stack 'production-experience-showcase' (environment '\(env)'"), "\(plan)")
        #expect(plan.stderr.contains("an account holds only one: remove it from this stack and use its ARN"), "\(plan)")
        #expect(plan.stderr.contains("cairn import production-experience-showcase aws_iam_openid_connect_provider.github"), "\(plan)")

        let destroy = try await cairn.run(["destroy", stack, "--env", env, "--auto-approve"])
        #expect(destroy.status == 0, "\(destroy)")
        #expect(try await aws(["iam", "list-open-id-connect-providers"])["OpenIDConnectProviderList"].array?.isEmpty == true)
        #expect(try await moto.aws(["iam", "get-role", "--role-name", "\(project)-github"], region: "us-east-1").status != 0)
        #expect(try await moto.aws(["dynamodb", "describe-table", "--table-name", "\(project)-tflocks"], region: "us-east-1").status != 0)
        #expect(try await moto.aws(["s3api", "head-bucket", "--bucket", "\(project)-tfstate"], region: "us-east-1").status != 0)
        let policies = try await aws(["iam", "list-policies", "--scope", "Local"])
        #expect(policies["Policies"].array?.isEmpty == true)
    }
}
