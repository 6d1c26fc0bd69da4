import Cairn
import Foundation

/// `OWNER/REPO` on GitHub: the setup script's `-GitHubRepo`.
let ecommerceRepository = Variable<String>(
    "github_repository", default: "your-org/ecommerce-ai-platform", description: "OWNER/REPO of the repository the pipeline builds",
    validation: { value in
        value.range(of: "^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})/[A-Za-z0-9._-]{1,100}$", options: .regularExpression) == nil
            ? "must look like OWNER/REPO (e.g. your-org/ecommerce-ai-platform)" : nil
    })

/// Where each environment's approval requests and failure alerts go: the script's `-DevApprovalEmail` and `-ProdApprovalEmail`.
let ecommerceDevApprovalEmail = Variable<String>(
    "dev_approval_email", description: "who approves dev and hears of failures", environment: "DEV_APPROVAL_EMAIL",
    validation: emailRule)
let ecommerceProdApprovalEmail = Variable<String>(
    "prod_approval_email", description: "who approves prod and hears of failures", environment: "PROD_APPROVAL_EMAIL",
    validation: emailRule)

/// Each environment's database host and user: configuration, not secrets (String parameters).
let ecommerceDatabase = ["dev", "prod"].map { stage in
    (
        host: Variable<String>(
            "\(stage)_mysql_host", description: "the \(stage) MySQL host", environment: "\(stage.uppercased())_MYSQL_HOST"),
        user: Variable<String>(
            "\(stage)_mysql_user", default: "ecommerce_app", description: "the \(stage) MySQL user",
            environment: "\(stage.uppercased())_MYSQL_USER")
    )
}

/// `false` lets `cairn destroy` delete the prod Terraform state bucket (and every state version in it).
let ecommerceProtectProdState = Variable<Bool>(
    "protect_prod_state", default: true, description: "keep the prod Terraform state bucket from destroy")

/// What a plain e-mail address looks like; SNS refuses anything else, and the subscription would never confirm.
@Sendable func emailRule(_ value: String) -> String? {
    value.range(of: #"^[^@\s]+@[^@\s]+\.[^@\s]+$"#, options: .regularExpression) == nil ? "is not an e-mail address" : nil
}

/// Seed 002 (`002_0b98297040001d12.txt`): the e-commerce AI platform's delivery pipeline in us-east-1.
/// A GitHub-sourced CodePipeline builds and deploys dev, asks for approvals announced on SNS, then
/// builds and deploys prod; each build applies the app's Terraform, whose state and lock live here; the
/// database and JWT secrets are SecureString parameters the builds read through `PARAMETER_STORE`
/// variables. A failed execution e-mails both approval lists. The seed's errors and this stack's
/// corrections: `stacks/ecommerce-ai-platform.md`.
///
/// One stack holds dev and prod: the pipeline deploys both, one after the other, so it needs both
/// environments' buckets, parameters and topics at once. `--env` still makes a separate copy whose
/// every name takes the environment as a suffix (for tests and trials).
///
/// Secrets come from the environment, never from this file: `GITHUB_TOKEN`, and `DEV_MYSQL_PASSWORD`,
/// `DEV_JWT_SECRET`, `PROD_MYSQL_PASSWORD`, `PROD_JWT_SECRET`.
public let ecommerceAIPlatform = StackDefinition(
    name: "ecommerce-ai-platform",
    summary: "Seed 002: a GitHub pipeline deploying dev then prod through Terraform, secrets in Parameter Store, failure e-mails",
    region: "us-east-1",
    tags: { env in ["project": "ecommerce-ai-platform", "environment": env.name, "managed-by": "cairn"] },
    variables: [
        ecommerceRepository, ecommerceDevApprovalEmail, ecommerceProdApprovalEmail, ecommerceProtectProdState,
    ] + ecommerceDatabase.flatMap { [$0.host, $0.user] as [any StackVariable] }
) { env, vars in
    let region = "us-east-1"
    let project = env.suffixed("ecommerce-ai-platform")

    // MARK: Artifacts, images, Terraform state

    let pipelineArtifacts = S3Bucket.pipelineArtifacts("pipelineArtifacts", name: "\(project)-pipeline-artifacts")
    let dataProcessing = ECRRepository(
        "dataProcessing", name: Input("\(project)-data-processing"), scanOnPush: true,
        lifecyclePolicy: [.init(priority: 1, description: "Keep the last 30 images", tagStatus: .any, countType: .imageCountMoreThan(30))],
        forceDestroy: true)
    let account = dataProcessing.registryId

    // The environments' buckets hold Lambda packages and Terraform state: old Lambda builds expire, the
    // state never does.
    func stateBucket(_ stage: String, protected: Bool) -> S3Bucket {
        S3Bucket.terraformState(
            "artifacts\(stage.capitalized)", name: "\(project)-artifacts-\(stage)",
            lifecycleRules: [.init(id: "old-lambda-packages", prefix: "lambda/", noncurrentVersionExpirationDays: 30)],
            preventDestroy: protected, forceDestroy: true)
    }
    let artifactsDev = stateBucket("dev", protected: false)
    let artifactsProd = stateBucket("prod", protected: vars[ecommerceProtectProdState])
    let terraformLocks = DynamoDBTable.terraformLocks("terraformLocks", name: "\(project)-terraform-locks")

    // MARK: Parameters

    struct Environment {
        let stage: String
        let bucket: S3Bucket
        let parameters: [SSMParameter]
        let topic: SNSTopic
        let subscription: SNSSubscription
    }
    func environment(
        _ stage: String, bucket: S3Bucket, database: (host: Variable<String>, user: Variable<String>), email: Variable<String>
    )
        -> Environment
    {
        let prefix = stage.uppercased()
        func parameter(_ key: String, _ type: SSMParameter.ParameterType, _ value: Input<String>, _ description: String) -> SSMParameter {
            let logical = stage + key.split(separator: "/").map { $0.capitalized }.joined()
            return SSMParameter(logical, name: Input("/\(project)/\(stage)/\(key)"), type: type, value: value, description: description)
        }
        let parameters = [
            parameter("mysql/host", .string, Input(vars[database.host]), "MySQL host of \(stage)"),
            parameter("mysql/user", .string, Input(vars[database.user]), "MySQL user of \(stage)"),
            parameter("mysql/password", .secureString, Secret.environment("\(prefix)_MYSQL_PASSWORD"), "MySQL password of \(stage)"),
            parameter("jwt/secret", .secureString, Secret.environment("\(prefix)_JWT_SECRET"), "JWT signing secret of \(stage)"),
        ]
        let topicName = "\(project)-\(stage)-approvals"
        // Approval requests come from the pipeline role (its IAM policy); failure alerts from EventBridge,
        // which an SNS topic refuses unless its policy lets it publish.
        let topic = SNSTopic(
            "\(stage)Approvals", name: Input(topicName), displayName: "\(project) \(stage) approvals",
            policy: .alertsCanPublish(account: account.input))
        let subscription = SNSSubscription(
            "\(stage)ApprovalEmail", topicArn: topic.arn.input, protocol: .email, endpoint: Input(vars[email]))
        return Environment(stage: stage, bucket: bucket, parameters: parameters, topic: topic, subscription: subscription)
    }
    let dev = environment("dev", bucket: artifactsDev, database: ecommerceDatabase[0], email: ecommerceDevApprovalEmail)
    let prod = environment("prod", bucket: artifactsProd, database: ecommerceDatabase[1], email: ecommerceProdApprovalEmail)

    // MARK: Builds

    let buildNames = ["dev", "prod"].map { "\(project)-build-\($0)" }
    let buildLogs = buildNames.map { name in
        LogGroup("build\(name.hasSuffix("dev") ? "Dev" : "Prod")", name: Input("/aws/codebuild/\(name)"), retentionInDays: 30)
    }

    // What the builds do: test, push the data-processing image, package Lambdas, and apply the app's
    // Terraform, whose resources are all named after the project.
    let buildRole = IAMRole(
        "build", name: Input("\(project)-codebuild"), description: "Builds and deploys the e-commerce AI platform with Terraform",
        assumeRolePolicy: .trust(.service("codebuild.amazonaws.com")),
        inlinePolicies: [
            "build": PolicyDocument([
                PolicyStatement(
                    sid: "Logs", actions: ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
                    resources: buildNames.map { "arn:aws:logs:\(region):\(account):log-group:/aws/codebuild/\($0)*" }),
                PolicyStatement(
                    sid: "Buckets", actions: ["s3:GetObject", "s3:GetObjectVersion", "s3:PutObject", "s3:DeleteObject", "s3:ListBucket"],
                    resources: [pipelineArtifacts, artifactsDev, artifactsProd].flatMap { [$0.arn.input, "\($0.arn)/*"] }),
                PolicyStatement(
                    sid: "TerraformLock", actions: ["dynamodb:DescribeTable", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:DeleteItem"],
                    resources: [terraformLocks.arn.input]),
                .ecrLogin,
                .ecrPush([dataProcessing.arn.input]),
                PolicyStatement(
                    sid: "Parameters", actions: ["ssm:GetParameters", "ssm:GetParameter"],
                    resources: ["arn:aws:ssm:\(region):\(account):parameter/\(project)/*"]),
                PolicyStatement(
                    sid: "DecryptParameters", actions: ["kms:Decrypt"], resources: ["*"],
                    conditions: [PolicyCondition("StringEquals", "kms:ViaService", ["ssm.\(region).amazonaws.com"])]),
                PolicyStatement(
                    sid: "TerraformManagedResources",
                    actions: ["lambda:*", "apigateway:*", "batch:*", "s3:*", "cloudfront:*"],
                    resources: [
                        "arn:aws:lambda:\(region):\(account):function:\(project)-*",
                        "arn:aws:apigateway:\(region)::/restapis*", "arn:aws:apigateway:\(region)::/apis*",
                        "arn:aws:batch:\(region):\(account):*/\(project)-*", "arn:aws:s3:::\(project)-*",
                        "arn:aws:cloudfront::\(account):distribution/*",
                    ]),
                PolicyStatement(
                    sid: "PassAppRoles", actions: ["iam:PassRole", "iam:GetRole"], resources: ["arn:aws:iam::\(account):role/\(project)-*"]),
            ])
        ])

    func build(_ environment: Environment, logs: LogGroup) -> CodeBuildProject {
        let stage = environment.stage
        let parameterVariables = zip(["MYSQL_HOST", "MYSQL_USER", "MYSQL_PASSWORD", "JWT_SECRET"], environment.parameters).map {
            CodeBuildProject.EnvironmentVariable($0.0, $0.1.parameterName.input, type: .parameterStore)
        }
        return CodeBuildProject(
            "build\(stage.capitalized)", name: Input("\(project)-build-\(stage)"),
            description: "Tests, builds and deploys \(stage) with Terraform", serviceRole: buildRole.arn.input,
            source: .codePipeline(buildspec: .path("deployment/deployment-pipeline/buildspec-\(stage).yml")), artifacts: .codePipeline,
            environment: .init(
                image: "aws/codebuild/standard:7.0", computeType: .large, privilegedMode: true,
                environmentVariables: [
                    .init("ENVIRONMENT", Input(stage)), .init("AWS_ACCOUNT_ID", account.input),
                    .init("ARTIFACT_BUCKET", environment.bucket.bucketName.input), .init("TF_LOCK_TABLE", terraformLocks.tableName.input),
                    .init("DATA_PROCESSING_REPOSITORY_URI", dataProcessing.uri.input),
                ] + parameterVariables),
            logsConfig: .init(cloudWatchLogs: .enabled(groupName: logs.logGroupName.input)))
    }
    let buildDev = build(dev, logs: buildLogs[0])
    let buildProd = build(prod, logs: buildLogs[1])

    // MARK: The pipeline

    let pipelineName = "\(project)-pipeline"
    let pipelineRole = IAMRole(
        "pipeline", name: Input("\(project)-codepipeline"), description: "Runs the e-commerce AI platform's pipeline",
        assumeRolePolicy: .trust(.service("codepipeline.amazonaws.com")),
        inlinePolicies: [
            "pipeline": PolicyDocument([
                .pipelineArtifacts(pipelineArtifacts),
                .startBuilds([buildDev.arn.input, buildProd.arn.input]),
                PolicyStatement(sid: "Approvals", actions: ["sns:Publish"], resources: [dev.topic.arn.input, prod.topic.arn.input]),
            ])
        ])

    let repository = vars[ecommerceRepository].split(separator: "/").map(String.init)
    let pipeline = CodePipeline(
        "pipeline", name: Input(pipelineName), roleArn: pipelineRole.arn.input,
        artifactStore: .init(bucket: pipelineArtifacts.bucketName.input),
        stages: [
            .init(
                "Source",
                [
                    .init(
                        "GitHub",
                        .gitHubSource(
                            owner: repository.first ?? "", repo: repository.last ?? "", branch: "main",
                            oauthToken: Secret.environment("GITHUB_TOKEN")),
                        outputArtifacts: ["SourceOutput"])
                ]),
            .init("BuildDev", [.init("Build", .codeBuild(projectName: buildDev.projectName.input), inputArtifacts: ["SourceOutput"])]),
            .init(
                "ApproveDev",
                [
                    .init(
                        "Approve",
                        .manualApproval(notificationArn: dev.topic.arn.input, customData: "Dev is deployed: check it before prod is built."))
                ]),
            // The seed approves prod after its build, which already deploys: the approval goes first.
            .init(
                "ApproveProd",
                [.init("Approve", .manualApproval(notificationArn: prod.topic.arn.input, customData: "Approve to build and deploy prod."))]),
            .init("BuildProd", [.init("Build", .codeBuild(projectName: buildProd.projectName.input), inputArtifacts: ["SourceOutput"])]),
        ])

    let pipelineFailed = EventBridgeRule.pipelineFailed(
        "pipelineFailed", name: Input("\(project)-pipeline-failed"), pipelineName: pipelineName,
        topics: [dev.topic.arn.input, prod.topic.arn.input])

    var resources: [any ResourceDeclaration] = [pipelineArtifacts, artifactsDev, artifactsProd, terraformLocks, dataProcessing]
    resources += dev.parameters
    resources += prod.parameters
    resources += [dev.topic, prod.topic, dev.subscription, prod.subscription, pipelineFailed, buildRole, buildDev, buildProd]
    resources += buildLogs
    resources += [pipelineRole, pipeline]
    return (
        resources: resources,
        outputs: [
            "AWS_DEFAULT_REGION": .json(.string(region)),
            "AWS_ACCOUNT_ID": .reference(account.reference),
            "DEV_ARTIFACT_BUCKET": .reference(artifactsDev.bucketName.reference),
            "PROD_ARTIFACT_BUCKET": .reference(artifactsProd.bucketName.reference),
            "TF_LOCK_TABLE": .reference(terraformLocks.tableName.reference),
            "DATA_PROCESSING_REPOSITORY_URI": .reference(dataProcessing.uri.reference),
            "DEV_APPROVAL_TOPIC_ARN": .reference(dev.topic.arn.reference),
            "PROD_APPROVAL_TOPIC_ARN": .reference(prod.topic.arn.reference),
            "PIPELINE_NAME": .reference(pipeline.pipelineName.reference),
        ]
    )
}
