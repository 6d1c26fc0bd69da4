import Cairn
import Foundation

/// The GitHub account or organisation that owns the `b2b-ecommerce-platform` repository.
let b2bGitHubOwner = Variable<String>("github_owner", default: "b2b-ecommerce", description: "GitHub owner of the b2b-ecommerce-platform repository")

/// Seed 001 (`001_24d00dc0dde138ed.txt`): the B2B e-commerce platform's pipeline in us-east-1. Four
/// images and frontends built by CodeBuild, deployed by one six-stage CodePipeline (Source → Build →
/// DeployStaging → Test → Approve → DeployProduction) to a staging and a production ECS service,
/// with the artifacts encrypted by the stack's own KMS key. The seed's errors and how this stack
/// corrects each are in `stacks/b2b-ecommerce-platform.md`.
///
/// The GitHub token comes from `GITHUB_TOKEN` at plan time and is never stored in clear; the owner is
/// the `github_owner` variable. Outside the default environment every name takes the environment as a
/// suffix, so copies live side by side.
public let b2bEcommercePlatform = StackDefinition(
    name: "b2b-ecommerce-platform",
    summary: "Seed 001: staging and production ECS behind one six-stage pipeline, KMS-encrypted artifacts",
    region: "us-east-1",
    tags: { env in ["project": "b2b-ecommerce-platform", "environment": env.name, "managed-by": "cairn"] },
    variables: [b2bGitHubOwner]
) { env, vars in
    let region = "us-east-1"
    let prefix = env.suffixed("b2b")

    // MARK: Images, key and artifacts

    let apiGatewayRepository = ECRRepository(
        "apiGateway", name: Input(env.suffixed("b2b-api-gateway")), scanOnPush: true,
        lifecyclePolicy: [.init(priority: 1, description: "Keep the last 30 images", tagStatus: .any, countType: .imageCountMoreThan(30))],
        forceDestroy: true)
    let userServiceRepository = ECRRepository(
        "userService", name: Input(env.suffixed("b2b-user-service")), scanOnPush: true,
        lifecyclePolicy: [.init(priority: 1, description: "Keep the last 30 images", tagStatus: .any, countType: .imageCountMoreThan(30))],
        forceDestroy: true)
    let account = apiGatewayRepository.registryId

    // The account's IAM policies decide who may use the key (the key policy delegates to them).
    let artifactsKey = KMSKey(
        "artifacts", description: "SSE-KMS for the b2b-ecommerce-platform pipeline's artifacts",
        policy: .document(
            PolicyDocument([
                PolicyStatement(sid: "EnableIAMPolicies", principals: [.aws("arn:aws:iam::\(account):root")], actions: ["kms:*"], resources: ["*"])
            ])),
        enableKeyRotation: true, deletionWindowInDays: 7)
    let artifactsAlias = KMSAlias(
        "artifacts", name: Input("alias/\(env.suffixed("b2b-ecommerce-artifacts"))"),
        targetKeyId: artifactsKey.keyId.input)

    let bucketName = env.suffixed("codepipeline-b2b-ecommerce-artifacts")
    let artifacts = S3Bucket.pipelineArtifacts(
        "artifacts", name: Input(bucketName), encryption: .sseKMS(keyID: artifactsKey.arn.input, bucketKey: true))

    // MARK: Builds

    let buildNames = ["api-gateway", "user-service", "admin-dashboard", "customer-portal", "integration-tests"]
    let buildLogs = Dictionary(
        uniqueKeysWithValues: buildNames.map { service in
            let project = service == "integration-tests" ? "\(prefix)-integration-tests" : "\(prefix)-\(service)-build"
            return (service, LogGroup(logName(service), name: Input("/aws/codebuild/\(project)"), retentionInDays: 30))
        })

    let buildRole = IAMRole(
        "build", name: Input("\(prefix)-ecommerce-codebuild"), description: "Builds and pushes the B2B platform's images",
        assumeRolePolicy: .trust(.service("codebuild.amazonaws.com")),
        inlinePolicies: [
            "build": PolicyDocument([
                PolicyStatement(
                    sid: "Logs", actions: ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
                    resources: ["arn:aws:logs:\(region):\(account):log-group:/aws/codebuild/\(prefix)-*"]),
                .ecrLogin,
                .ecrPush([apiGatewayRepository.arn.input, userServiceRepository.arn.input]),
                PolicyStatement(
                    sid: "Artifacts", actions: ["s3:GetObject", "s3:GetObjectVersion", "s3:PutObject"],
                    resources: ["\(artifacts.arn)/*"]),
                PolicyStatement(
                    sid: "ArtifactsKey", actions: ["kms:Decrypt", "kms:GenerateDataKey*", "kms:DescribeKey"],
                    resources: [artifactsKey.arn.input]),
            ])
        ])

    func project(
        _ logical: String, _ name: String, buildspec: String, privileged: Bool,
        variables: [CodeBuildProject.EnvironmentVariable], logs: LogGroup, description: String
    ) -> CodeBuildProject {
        CodeBuildProject(
            logical, name: Input(name), description: description, serviceRole: buildRole.arn.input,
            source: .codePipeline(buildspec: .inline(buildspec)), artifacts: .codePipeline,
            environment: .init(
                image: "aws/codebuild/standard:7.0", computeType: .small, privilegedMode: privileged,
                environmentVariables: variables),
            logsConfig: .init(cloudWatchLogs: .enabled(groupName: logs.logGroupName.input)))
    }
    let apiGatewayBuild = project(
        "apiGatewayBuild", "\(prefix)-api-gateway-build", buildspec: b2bServiceBuildspec, privileged: true,
        variables: [
            .init("SERVICE_NAME", "api-gateway"), .init("IMAGE_REPO_NAME", apiGatewayRepository.repositoryName.input),
            .init("AWS_ACCOUNT_ID", account.input), .init("CONTAINER_NAME", "api-gateway"),
        ],
        logs: buildLogs["api-gateway"]!, description: "API gateway image to ECR, imagedefinitions.json for the ECS deploys")
    let userServiceBuild = project(
        "userServiceBuild", "\(prefix)-user-service-build", buildspec: b2bServiceBuildspec, privileged: true,
        variables: [
            .init("SERVICE_NAME", "user-service"), .init("IMAGE_REPO_NAME", userServiceRepository.repositoryName.input),
            .init("AWS_ACCOUNT_ID", account.input), .init("CONTAINER_NAME", "user-service"),
        ],
        logs: buildLogs["user-service"]!, description: "User service image to ECR")
    let adminDashboardBuild = project(
        "adminDashboardBuild", "\(prefix)-admin-dashboard-build", buildspec: b2bFrontendBuildspec, privileged: false,
        variables: [.init("FRONTEND_DIR", "frontend/admin-dashboard")], logs: buildLogs["admin-dashboard"]!,
        description: "Admin dashboard (Next.js) build and tests")
    let customerPortalBuild = project(
        "customerPortalBuild", "\(prefix)-customer-portal-build", buildspec: b2bFrontendBuildspec, privileged: false,
        variables: [.init("FRONTEND_DIR", "frontend/customer-portal")], logs: buildLogs["customer-portal"]!,
        description: "Customer portal (Next.js) build and tests")
    let integrationTests = project(
        "integrationTests", "\(prefix)-integration-tests", buildspec: b2bIntegrationTestsBuildspec, privileged: false,
        variables: [.init("TARGET_ENVIRONMENT", "staging")], logs: buildLogs["integration-tests"]!,
        description: "End-to-end tests against staging, run by the pipeline's Test stage")

    // MARK: Staging and production

    let vpc = DefaultVPC("default")
    let subnets = DefaultSubnets("default", vpcId: .output(vpc.id))
    let serviceSecurityGroup = SecurityGroup(
        "service", name: Input("\(prefix)-api-gateway"), description: "B2B API gateway: HTTP in on 3000, anything out",
        vpcId: .output(vpc.id), ingress: [.tcp(3000...3000, cidrBlocks: ["0.0.0.0/0"], description: "HTTP")])
    let taskExecutionRole = IAMRole(
        "taskExecution", name: Input("\(prefix)-ecommerce-task-execution"), description: "Pulls images and writes logs for the B2B services",
        assumeRolePolicy: .trust(.service("ecs-tasks.amazonaws.com")),
        managedPolicyArns: ["arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"])

    /// One environment's cluster, log group, task definition and service.
    func deployment(_ stage: String) -> (cluster: ECSCluster, logs: LogGroup, task: ECSTaskDefinition, service: ECSService) {
        let cluster = ECSCluster("\(stage)Cluster", name: Input("\(prefix)-\(stage)-cluster"), containerInsights: .enabled)
        let logs = LogGroup("\(stage)Logs", name: Input("/ecs/\(prefix)-\(stage)"), retentionInDays: 30)
        // The container is named api-gateway: imagedefinitions.json names it so.
        let task = ECSTaskDefinition(
            "\(stage)Task", family: Input("\(prefix)-\(stage)-api-gateway"), cpu: 256, memory: 512, networkMode: .awsvpc,
            requiresCompatibilities: [.fargate], executionRoleArn: .output(taskExecutionRole.arn),
            containers: [
                .init(
                    name: "api-gateway", image: "\(apiGatewayRepository.uri):latest", portMappings: [.init(containerPort: 3000)],
                    environment: ["NODE_ENV": Input(stage)],
                    logConfiguration: .awslogs(group: .output(logs.logGroupName), region: region, streamPrefix: "api-gateway"))
            ])
        let service = ECSService(
            "\(stage)Service", name: Input("\(prefix)-\(stage)-service"), cluster: .output(cluster.clusterName),
            taskDefinition: .output(task.arn), desiredCount: 1, compute: .launchType(.fargate),
            networkConfiguration: .init(subnets: .all(subnets.ids), securityGroups: [.output(serviceSecurityGroup.id)], assignPublicIp: .enabled),
            deploymentConfiguration: .init(circuitBreaker: .init(enable: true, rollback: true)))
        return (cluster, logs, task, service)
    }
    let staging = deployment("staging")
    let production = deployment("production")

    // MARK: The pipeline

    let builds = [apiGatewayBuild, userServiceBuild, adminDashboardBuild, customerPortalBuild, integrationTests]
    let pipelineRole = IAMRole(
        "pipeline", name: Input("\(prefix)-ecommerce-codepipeline"), description: "Runs the B2B platform's pipeline",
        assumeRolePolicy: .trust(.service("codepipeline.amazonaws.com")),
        inlinePolicies: [
            "pipeline": PolicyDocument([
                .pipelineArtifacts(artifacts),
                PolicyStatement(
                    sid: "ArtifactsKey", actions: ["kms:Decrypt", "kms:GenerateDataKey*", "kms:DescribeKey"],
                    resources: [artifactsKey.arn.input]),
                .startBuilds(builds.map(\.arn.input)),
                PolicyStatement(
                    sid: "Deploy",
                    actions: [
                        "ecs:DescribeServices", "ecs:DescribeTaskDefinition", "ecs:DescribeTasks",
                        "ecs:ListTasks", "ecs:RegisterTaskDefinition", "ecs:TagResource", "ecs:UpdateService",
                    ],
                    resources: ["*"]),
                PolicyStatement(
                    sid: "PassRoles", actions: ["iam:PassRole"], resources: [taskExecutionRole.arn.input],
                    conditions: [PolicyCondition("StringEqualsIfExists", "iam:PassedToService", ["ecs-tasks.amazonaws.com"])]),
            ])
        ])

    let pipeline = CodePipeline(
        "pipeline", name: Input("\(prefix)-ecommerce-pipeline"), roleArn: pipelineRole.arn.input,
        artifactStore: .init(bucket: artifacts.bucketName.input, kmsKeyId: artifactsKey.arn.input),
        stages: [
            .init(
                "Source",
                [
                    .init(
                        "GitHub",
                        .gitHubSource(
                            owner: vars[b2bGitHubOwner], repo: "b2b-ecommerce-platform", branch: "main",
                            oauthToken: Secret.environment("GITHUB_TOKEN")),
                        outputArtifacts: ["SourceOutput"])
                ]),
            .init(
                "Build",
                [
                    .init(
                        "BuildAPIGateway", .codeBuild(projectName: apiGatewayBuild.projectName.input), inputArtifacts: ["SourceOutput"],
                        outputArtifacts: ["BuildArtifactAPIGateway"]),
                    .init(
                        "BuildUserService", .codeBuild(projectName: userServiceBuild.projectName.input), inputArtifacts: ["SourceOutput"],
                        outputArtifacts: ["BuildArtifactUserService"]),
                    .init("BuildAdminDashboard", .codeBuild(projectName: adminDashboardBuild.projectName.input), inputArtifacts: ["SourceOutput"]),
                    .init("BuildCustomerPortal", .codeBuild(projectName: customerPortalBuild.projectName.input), inputArtifacts: ["SourceOutput"]),
                ]),
            .init(
                "DeployStaging",
                [
                    .init(
                        "DeployStaging", .ecsDeploy(clusterName: staging.cluster.clusterName.input, serviceName: staging.service.serviceName.input),
                        inputArtifacts: ["BuildArtifactAPIGateway"])
                ]),
            .init(
                "Test",
                [
                    .init("IntegrationTests", .codeBuildTest(projectName: integrationTests.projectName.input), inputArtifacts: ["SourceOutput"])
                ]),
            .init(
                "Approve",
                [
                    .init(
                        "ProductionApproval", .manualApproval(customData: "Staging passed the integration tests: approve the production deployment."))
                ]),
            .init(
                "DeployProduction",
                [
                    .init(
                        "DeployProduction",
                        .ecsDeploy(clusterName: production.cluster.clusterName.input, serviceName: production.service.serviceName.input),
                        inputArtifacts: ["BuildArtifactAPIGateway"])
                ]),
        ])

    let resources: [any ResourceDeclaration] =
        [
            apiGatewayRepository, userServiceRepository, artifactsKey, artifactsAlias, artifacts, buildRole,
        ] + builds + buildNames.map { buildLogs[$0]! } + [
            vpc, subnets, serviceSecurityGroup, taskExecutionRole,
            staging.cluster, staging.logs, staging.task, staging.service,
            production.cluster, production.logs, production.task, production.service,
            pipelineRole, pipeline,
        ]
    return (
        resources: resources,
        outputs: [
            "AWS_ACCOUNT_ID": .reference(account.reference),
            "AWS_DEFAULT_REGION": .json(.string(region)),
            "API_GATEWAY_REPOSITORY_URI": .reference(apiGatewayRepository.uri.reference),
            "USER_SERVICE_REPOSITORY_URI": .reference(userServiceRepository.uri.reference),
            "IMAGE_REPO_NAME": .reference(apiGatewayRepository.repositoryName.reference),
            "SERVICE_NAME": .json("api-gateway"),
            "STAGING_CLUSTER_NAME": .reference(staging.cluster.clusterName.reference),
            "STAGING_SERVICE_NAME": .reference(staging.service.serviceName.reference),
            "PRODUCTION_CLUSTER_NAME": .reference(production.cluster.clusterName.reference),
            "PRODUCTION_SERVICE_NAME": .reference(production.service.serviceName.reference),
            "PIPELINE_NAME": .reference(pipeline.pipelineName.reference),
            "ARTIFACT_BUCKET": .reference(artifacts.bucketName.reference),
            "ARTIFACT_KEY_ARN": .reference(artifactsKey.arn.reference),
        ]
    )
}

/// `api-gateway` → `apiGatewayBuildLogs`: a log group's logical name.
private func logName(_ service: String) -> String {
    let words = service.split(separator: "-")
    return words.enumerated().map { $0 == 0 ? String($1) : $1.capitalized }.joined() + "BuildLogs"
}

/// The services' build (corrected from the seed's buildspec-api-gateway.yml): Node.js 18 on standard:7.0,
/// the image tag from the commit, and imagedefinitions.json written at the source root, where
/// `artifacts.files` looks for it. Buildspec 0.2 keeps one shell for every command, so each `cd` runs
/// in a subshell and the next command starts at the source root again.
let b2bServiceBuildspec = """
    version: 0.2
    phases:
      install:
        runtime-versions:
          nodejs: 18
      pre_build:
        commands:
          - aws ecr get-login-password --region $AWS_DEFAULT_REGION | docker login --username AWS --password-stdin $AWS_ACCOUNT_ID.dkr.ecr.$AWS_DEFAULT_REGION.amazonaws.com
          - IMAGE_TAG=$(echo $CODEBUILD_RESOLVED_SOURCE_VERSION | cut -c 1-7)
          - IMAGE_URI=$AWS_ACCOUNT_ID.dkr.ecr.$AWS_DEFAULT_REGION.amazonaws.com/$IMAGE_REPO_NAME:$IMAGE_TAG
      build:
        commands:
          - (cd services/$SERVICE_NAME && npm ci && npm test -- --ci)
          - docker build -t $IMAGE_URI services/$SERVICE_NAME
      post_build:
        commands:
          - docker push $IMAGE_URI
          - printf '[{"name":"%s","imageUri":"%s"}]' $CONTAINER_NAME $IMAGE_URI > $CODEBUILD_SRC_DIR/imagedefinitions.json
    artifacts:
      files:
        - imagedefinitions.json
    """

/// The frontends' build (the seed's buildspec-frontend.yml, its directory from FRONTEND_DIR).
let b2bFrontendBuildspec = """
    version: 0.2
    phases:
      install:
        runtime-versions:
          nodejs: 18
      pre_build:
        commands:
          - (cd $FRONTEND_DIR && npm ci)
      build:
        commands:
          - (cd $FRONTEND_DIR && npm run build)
      post_build:
        commands:
          - (cd $FRONTEND_DIR && npm test -- --watchAll=false)
    """

/// The Test stage's project, which the seed names but never defines.
let b2bIntegrationTestsBuildspec = """
    version: 0.2
    phases:
      install:
        runtime-versions:
          nodejs: 18
      build:
        commands:
          - (cd tests/integration && npm ci && npm test -- --ci)
    """
