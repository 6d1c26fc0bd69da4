import Cairn
import Foundation

/// Seed 000 (`000_f0dc84dfe8f23cc3.txt`): everything the Small Business Invoices CI/CD setup creates
/// or assumes, in eu-north-1 — the ECR repository and the pipeline's artifact bucket; the ECS cluster
/// and the service `small-business-invoices-service` with its task definition, execution role, log
/// group and a security group on the default VPC; and the CodeBuild project and CodePipeline of its
/// pipeline stack (GitHub source, Maven build, ECS deploy of `imagedefinitions.json`) with their IAM
/// roles and least-privilege policies.
///
/// The GitHub token comes from `GITHUB_TOKEN` (and the owner from `GITHUB_OWNER`), never from the
/// code. Outside the default environment every name takes the environment as a suffix
/// (`--env staging` gives `small-business-invoices-staging`), so copies live side by side.
public let smallBusinessInvoices = StackDefinition(
    name: "small-business-invoices",
    summary: "Seed 000: the invoices app's ECR, S3, ECS service, CodeBuild and CodePipeline with their IAM roles",
    region: "eu-north-1",
    tags: { env in ["project": "small-business-invoices", "environment": env.name] }
) { env in
    let region = "eu-north-1"
    let project = env.suffixed("small-business-invoices")
    let tags: Tags = ["project": "small-business-invoices", "environment": env.name, "managed-by": "cairn"]
    let environment = ProcessInfo.processInfo.environment

    // MARK: Images and artifacts

    let repository = ECRRepository(
        "app", name: Input(project), scanOnPush: true,
        lifecyclePolicy: [.init(priority: 1, description: "Keep the last 30 images", tagStatus: .any, countType: .imageCountMoreThan(30))],
        tags: tags, forceDestroy: true)

    // `aws s3 rb --force` in the seed's cleanup: emptied, every version included, before deletion.
    let artifacts = S3Bucket.pipelineArtifacts("artifacts", name: "\(project)-pipeline-artifacts", tags: tags)

    // MARK: The service

    let cluster = ECSCluster("cluster", name: Input(env.suffixed("small-business-cluster")), containerInsights: .enabled, tags: tags)
    let logGroup = LogGroup("app", name: Input("/ecs/\(project)"), retentionInDays: 30, tags: tags)

    let vpc = DefaultVPC("default")
    let subnets = DefaultSubnets("default", vpcId: .output(vpc.id))
    let serviceSecurityGroup = SecurityGroup(
        "service", name: Input("\(project)-service"), description: "Invoices service: HTTP in, anything out",
        vpcId: .output(vpc.id), ingress: [.tcp(8080...8080, cidrBlocks: ["0.0.0.0/0"], description: "HTTP")], tags: tags)

    // The role ECS uses to pull images and write logs for the service's tasks.
    let taskExecutionRole = IAMRole(
        "taskExecution", name: Input("\(project)-task-execution"),
        description: "Pulls images and writes logs for the invoices service",
        assumeRolePolicy: .trust(.service("ecs-tasks.amazonaws.com")),
        managedPolicyArns: ["arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"],
        tags: tags)

    let taskDefinition = ECSTaskDefinition(
        "app", family: Input(project), cpu: 512, memory: 1024, networkMode: .awsvpc, requiresCompatibilities: [.fargate],
        executionRoleArn: .output(taskExecutionRole.arn),
        containers: [
            .init(
                name: "app", image: "\(repository.uri):latest", portMappings: [.init(containerPort: 8080)],
                environment: ["SPRING_PROFILES_ACTIVE": Input(env.name)],
                logConfiguration: .awslogs(group: .output(logGroup.logGroupName), region: region, streamPrefix: "app"))
        ],
        tags: tags)

    let service = ECSService(
        "app", name: Input("\(project)-service"), cluster: .output(cluster.clusterName), taskDefinition: .output(taskDefinition.arn),
        desiredCount: 1, compute: .launchType(.fargate),
        networkConfiguration: .init(subnets: .all(subnets.ids), securityGroups: [.output(serviceSecurityGroup.id)], assignPublicIp: .enabled),
        deploymentConfiguration: .init(circuitBreaker: .init(enable: true, rollback: true)),
        tags: tags)

    // MARK: The pipeline

    // CodeBuild: build and test with Maven, build and push the image, write logs and artifacts.
    let buildRole = IAMRole(
        "build", name: Input("\(project)-codebuild"),
        description: "Builds, tests and pushes the invoices image",
        assumeRolePolicy: .trust(.service("codebuild.amazonaws.com")),
        inlinePolicies: [
            "build": PolicyDocument([
                PolicyStatement(
                    sid: "Logs", actions: ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
                    resources: ["arn:aws:logs:\(region):*:log-group:/aws/codebuild/\(project)-build*"]),
                .ecrLogin,
                .ecrPush([repository.arn.input]),
                PolicyStatement(
                    sid: "Artifacts", actions: ["s3:GetObject", "s3:GetObjectVersion", "s3:PutObject"],
                    resources: ["\(artifacts.arn)/*"]),
            ])
        ],
        tags: tags)

    let build = CodeBuildProject(
        "build", name: Input("\(project)-build"), description: "Maven build and test, Docker image to ECR",
        serviceRole: buildRole.arn.input, source: .codePipeline(buildspec: .inline(mavenBuildspec)), artifacts: .codePipeline,
        environment: .init(
            image: "aws/codebuild/standard:7.0", computeType: .medium, privilegedMode: true,
            environmentVariables: [
                .init("AWS_DEFAULT_REGION", Input(region)),
                .init("AWS_ACCOUNT_ID", repository.registryId.input),
                .init("ECR_REPOSITORY_URI", repository.uri.input),
                .init("CONTAINER_NAME", "app"),
            ]),
        cache: .local(modes: [.dockerLayer, .source]),
        logsConfig: .init(cloudWatchLogs: .enabled(groupName: Input("/aws/codebuild/\(project)-build"))),
        tags: tags)

    // CodePipeline: read and write artifacts, start builds, deploy to ECS, pass the task's role.
    let pipelineRole = IAMRole(
        "pipeline", name: Input("\(project)-codepipeline"),
        description: "Runs the invoices pipeline",
        assumeRolePolicy: .trust(.service("codepipeline.amazonaws.com")),
        inlinePolicies: [
            "pipeline": PolicyDocument([
                .pipelineArtifacts(artifacts),
                .startBuilds([build.arn.input]),
                PolicyStatement(
                    sid: "Deploy",
                    actions: [
                        "ecs:DescribeServices", "ecs:DescribeTaskDefinition", "ecs:DescribeTasks",
                        "ecs:ListTasks", "ecs:RegisterTaskDefinition", "ecs:UpdateService",
                    ],
                    resources: ["*"]),
                PolicyStatement(
                    sid: "PassRoles", actions: ["iam:PassRole"], resources: [taskExecutionRole.arn.input],
                    conditions: [PolicyCondition("StringEqualsIfExists", "iam:PassedToService", ["ecs-tasks.amazonaws.com"])]),
            ])
        ],
        tags: tags)

    let pipeline = CodePipeline(
        "app", name: Input("\(project)-pipeline"), roleArn: pipelineRole.arn.input,
        artifactStore: .init(bucket: artifacts.bucketName.input),
        stages: [
            .init(
                "Source",
                [
                    .init(
                        "GitHub",
                        .gitHubSource(
                            owner: environment["GITHUB_OWNER"] ?? "small-business", repo: "small-business-invoices",
                            branch: "main", oauthToken: Secret.environment("GITHUB_TOKEN")),
                        outputArtifacts: ["SourceOutput"])
                ]),
            .init(
                "Build",
                [
                    .init(
                        "Maven", .codeBuild(projectName: build.projectName.input), inputArtifacts: ["SourceOutput"], outputArtifacts: ["BuildOutput"])
                ]),
            .init(
                "Deploy",
                [
                    .init(
                        "ECS", .ecsDeploy(clusterName: cluster.clusterName.input, serviceName: service.serviceName.input),
                        inputArtifacts: ["BuildOutput"])
                ]),
        ],
        tags: tags)

    return (
        resources: [
            repository, artifacts, cluster, logGroup, vpc, subnets, serviceSecurityGroup, taskExecutionRole, taskDefinition,
            service, buildRole, build, pipelineRole, pipeline,
        ],
        outputs: [
            "AWS_ACCOUNT_ID": .reference(repository.registryId.reference),
            "AWS_DEFAULT_REGION": .json(.string(region)),
            "ECR_REPOSITORY_URI": .reference(repository.uri.reference),
            "ECS_SERVICE_NAME": .reference(service.serviceName.reference),
            "ECS_CLUSTER_NAME": .reference(cluster.clusterName.reference),
        ]
    )
}

/// The build of seed 000: Maven tests, then the image pushed to ECR and `imagedefinitions.json` for the ECS deploy.
let mavenBuildspec = """
    version: 0.2
    phases:
      pre_build:
        commands:
          - aws ecr get-login-password --region $AWS_DEFAULT_REGION | docker login --username AWS --password-stdin $AWS_ACCOUNT_ID.dkr.ecr.$AWS_DEFAULT_REGION.amazonaws.com
          - IMAGE_TAG=$(echo $CODEBUILD_RESOLVED_SOURCE_VERSION | cut -c 1-7)
      build:
        commands:
          - mvn -B verify
          - docker build -t $ECR_REPOSITORY_URI:latest -t $ECR_REPOSITORY_URI:$IMAGE_TAG .
      post_build:
        commands:
          - docker push $ECR_REPOSITORY_URI:latest
          - docker push $ECR_REPOSITORY_URI:$IMAGE_TAG
          - printf '[{"name":"%s","imageUri":"%s"}]' $CONTAINER_NAME $ECR_REPOSITORY_URI:$IMAGE_TAG > imagedefinitions.json
    artifacts:
      files:
        - imagedefinitions.json
    cache:
      paths:
        - '/root/.m2/**/*'
    """
