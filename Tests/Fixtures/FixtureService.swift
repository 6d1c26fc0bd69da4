import Cairn

/// The stack the drift tests change out of band: one resource of each type `cairn drift` compares
/// attribute by attribute (bucket, ECR repository, log group, ECS cluster, task definition and service,
/// security group, CodeBuild project, IAM roles with inline policies). `--env NAME` suffixes every name.
///
/// Names (`P` = `fixture-service[-ENV]`): repository, task family and log group `/ecs/P` use `P`; bucket
/// `P-artifacts`, cluster `P-cluster`, service and security group `P-service`, project `P-build`,
/// roles `P-build` (CodeBuild), `P-deploy` and `P-task-execution`.
let fixtureService = StackDefinition(
    name: "fixture-service",
    summary: "CLI test fixture: an ECS service with its image repository, logs and network, and a CodeBuild project",
    region: "eu-north-1",
    tags: { env in ["project": "fixture-service", "environment": env.name] }
) { env in
    let region = "eu-north-1"
    let project = env.suffixed("fixture-service")

    let repository = ECRRepository("app", name: Input(project), scanOnPush: true, forceDestroy: true)
    let artifacts = S3Bucket("artifacts", name: Input("\(project)-artifacts"), versioning: .enabled, forceDestroy: true)
    let cluster = ECSCluster("cluster", name: Input("\(project)-cluster"), containerInsights: .enabled)
    let logGroup = LogGroup("app", name: Input("/ecs/\(project)"), retentionInDays: 30)

    let vpc = DefaultVPC("default")
    let subnets = DefaultSubnets("default", vpcId: .output(vpc.id))
    let securityGroup = SecurityGroup(
        "service", name: Input("\(project)-service"), description: "HTTP in, anything out",
        vpcId: .output(vpc.id), ingress: [.tcp(8080...8080, cidrBlocks: ["0.0.0.0/0"], description: "HTTP")])

    let taskExecutionRole = IAMRole(
        "taskExecution", name: Input("\(project)-task-execution"),
        assumeRolePolicy: .trust(.service("ecs-tasks.amazonaws.com")),
        managedPolicyArns: ["arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"])
    let taskDefinition = ECSTaskDefinition(
        "app", family: Input(project), cpu: 256, memory: 512, networkMode: .awsvpc, requiresCompatibilities: [.fargate],
        executionRoleArn: .output(taskExecutionRole.arn),
        containers: [
            .init(
                name: "app", image: "\(repository.uri):latest", portMappings: [.init(containerPort: 8080)],
                logConfiguration: .awslogs(group: .output(logGroup.logGroupName), region: region, streamPrefix: "app"))
        ])
    let service = ECSService(
        "app", name: Input("\(project)-service"), cluster: .output(cluster.clusterName), taskDefinition: .output(taskDefinition.arn),
        desiredCount: 1, compute: .launchType(.fargate),
        networkConfiguration: .init(subnets: .all(subnets.ids), securityGroups: [.output(securityGroup.id)], assignPublicIp: .enabled))

    let buildRole = IAMRole(
        "build", name: Input("\(project)-build"),
        assumeRolePolicy: .trust(.service("codebuild.amazonaws.com")),
        inlinePolicies: [
            "build": PolicyDocument([
                PolicyStatement(sid: "Push", actions: ["ecr:PutImage"], resources: [repository.arn.input]),
                PolicyStatement(sid: "Artifacts", actions: ["s3:GetObject", "s3:PutObject"], resources: ["\(artifacts.arn)/*"]),
            ])
        ])
    let build = CodeBuildProject(
        "build", name: Input("\(project)-build"), serviceRole: buildRole.arn.input,
        source: .codePipeline(buildspec: .inline("version: 0.2\nphases:\n  build:\n    commands:\n      - echo build\n")),
        artifacts: .codePipeline,
        environment: .init(image: "aws/codebuild/standard:7.0", computeType: .small))
    let deployRole = IAMRole(
        "deploy", name: Input("\(project)-deploy"),
        assumeRolePolicy: .trust(.service("codepipeline.amazonaws.com")),
        inlinePolicies: [
            "deploy": PolicyDocument([
                PolicyStatement(sid: "Build", actions: ["codebuild:StartBuild"], resources: [build.arn.input]),
                PolicyStatement(sid: "Deploy", actions: ["ecs:UpdateService"], resources: ["*"]),
            ])
        ])

    return (
        resources: [
            repository, artifacts, cluster, logGroup, vpc, subnets, securityGroup, taskExecutionRole, taskDefinition,
            service, buildRole, build, deployRole,
        ],
        outputs: [:]
    )
}
