import CairnEngine
import CairnResources

/// Seed 000 (`000_f0dc84dfe8f23cc3.txt`): the AWS prerequisites of the Small Business Invoices
/// CI/CD pipeline in eu-north-1 — the ECR repository, the pipeline's artifact bucket, the ECS
/// cluster, and the IAM roles CodeBuild, CodePipeline and ECS tasks run as.
///
/// Every name takes the environment as a suffix outside the default environment (`--env staging`
/// gives `small-business-invoices-staging`), so dev, staging and prod copies live side by side.
public let smallBusinessInvoices = StackDefinition(
    name: "small-business-invoices",
    summary: "Seed 000: ECR repository, artifact bucket, ECS cluster and IAM roles for the invoices pipeline",
    region: "eu-north-1",
    tags: { env in ["project": "small-business-invoices", "environment": env.name] }
) { env in
    let project = env.suffixed("small-business-invoices")
    let tags: Tags = ["project": "small-business-invoices", "environment": env.name, "managed-by": "cairn"]

    let repository = ECRRepository(
        "app", name: Input(project), scanOnPush: true,
        lifecyclePolicy: [.init(priority: 1, description: "Keep the last 30 images", tagStatus: .any, countType: .imageCountMoreThan(30))],
        tags: tags, forceDestroy: true)

    // `aws s3 rb --force` in the seed's cleanup: emptied, every version included, before deletion.
    let artifacts = S3Bucket(
        "artifacts", name: Input("\(project)-pipeline-artifacts"), versioning: .enabled, encryption: .sseS3,
        publicAccessBlock: .blockAll, tags: tags, forceDestroy: true)

    let cluster = ECSCluster("cluster", name: Input(env.suffixed("small-business-cluster")), containerInsights: .enabled, tags: tags)

    // The role ECS uses to pull images and write logs for the service's tasks.
    let taskExecutionRole = IAMRole(
        "taskExecution", name: Input("\(project)-task-execution"),
        description: "Pulls images and writes logs for the invoices service",
        assumeRolePolicy: .trust(.service("ecs-tasks.amazonaws.com")),
        managedPolicyArns: ["arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"],
        tags: tags)

    // CodeBuild: build and test with Maven, push the image, write logs and artifacts.
    let buildRole = IAMRole(
        "build", name: Input("\(project)-codebuild"),
        description: "Builds, tests and pushes the invoices image",
        assumeRolePolicy: .trust(.service("codebuild.amazonaws.com")),
        inlinePolicies: [
            "build": PolicyDocument([
                PolicyStatement(sid: "Logs", actions: ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"], resources: ["*"]),
                PolicyStatement(sid: "Login", actions: ["ecr:GetAuthorizationToken"], resources: ["*"]),
                PolicyStatement(sid: "Push", actions: ["ecr:BatchCheckLayerAvailability", "ecr:CompleteLayerUpload", "ecr:InitiateLayerUpload",
                                                       "ecr:PutImage", "ecr:UploadLayerPart", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
                                resources: [repository.arn.input]),
                PolicyStatement(sid: "Artifacts", actions: ["s3:GetObject", "s3:GetObjectVersion", "s3:PutObject"],
                                resources: ["\(artifacts.arn)/*"]),
            ]),
        ],
        tags: tags)

    // CodePipeline: read and write artifacts, start builds, deploy to ECS, pass the task roles.
    let pipelineRole = IAMRole(
        "pipeline", name: Input("\(project)-codepipeline"),
        description: "Runs the invoices pipeline",
        assumeRolePolicy: .trust(.service("codepipeline.amazonaws.com")),
        inlinePolicies: [
            "pipeline": PolicyDocument([
                PolicyStatement(sid: "Artifacts", actions: ["s3:GetObject", "s3:GetObjectVersion", "s3:GetBucketVersioning", "s3:PutObject"],
                                resources: [artifacts.arn.input, "\(artifacts.arn)/*"]),
                PolicyStatement(sid: "Build", actions: ["codebuild:BatchGetBuilds", "codebuild:StartBuild"], resources: ["*"]),
                PolicyStatement(sid: "Deploy", actions: ["ecs:DescribeServices", "ecs:DescribeTaskDefinition", "ecs:DescribeTasks",
                                                         "ecs:ListTasks", "ecs:RegisterTaskDefinition", "ecs:UpdateService"],
                                resources: ["*"]),
                PolicyStatement(sid: "PassRoles", actions: ["iam:PassRole"], resources: [taskExecutionRole.arn.input],
                                conditions: [PolicyCondition("StringEqualsIfExists", "iam:PassedToService", ["ecs-tasks.amazonaws.com"])]),
            ]),
        ],
        tags: tags)

    return (
        resources: [repository, artifacts, cluster, taskExecutionRole, buildRole, pipelineRole],
        outputs: [
            "ECR_REPOSITORY_URI": .reference(repository.uri.reference),
            "ECS_CLUSTER_NAME": .reference(cluster.clusterName.reference),
            "ARTIFACT_BUCKET": .reference(artifacts.bucketName.reference),
            "AWS_DEFAULT_REGION": .json("eu-north-1"),
            "AWS_ACCOUNT_ID": .reference(repository.registryId.reference),
        ]
    )
}
