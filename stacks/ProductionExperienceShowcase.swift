import Cairn
import Foundation

/// The only GitHub repository whose `main` branch may deploy: `OWNER/REPO`.
let showcaseRepository = Variable<String>(
    "github_repository", description: "OWNER/REPO of the repository whose main branch deploys",
    validation: { value in
        value.range(of: "^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})/[A-Za-z0-9._-]{1,100}$", options: .regularExpression) == nil
            ? "must look like OWNER/REPO (e.g. octo-org/production-experience-showcase)" : nil
    })

/// Seed 003 (`003_8019cb64c2b2f667.txt`): what the Production Experience Showcase's GitHub Actions
/// workflow needs in AWS before it runs, in us-east-1 — the backend and Prometheus image
/// repositories, a deploy role that GitHub Actions assumes through OIDC (no stored keys: the seed's
/// IAM user and access keys are replaced), and the CDKTF app's remote state: a private, versioned
/// bucket and a lock table. The ECS and CloudWatch resources belong to the CDKTF app and are not
/// declared here. The seed's errors and this stack's corrections: `stacks/production-experience-showcase.md`.
///
/// The `github_repository` variable (required) names the only repository whose `main` branch may
/// assume the role. The GitHub OIDC provider exists once per account: where another stack (such as
/// `cairn-drift-watch`) already manages it, the plan says so and asks for `cairn import`.
public let productionExperienceShowcase = StackDefinition(
    name: "production-experience-showcase",
    summary: "Seed 003: ECR repositories, a GitHub Actions OIDC deploy role and the CDKTF state bucket and lock table",
    region: "us-east-1",
    tags: { env in ["project": "production-experience-showcase", "environment": env.name, "managed-by": "cairn"] },
    variables: [showcaseRepository]
) { env, vars in
    let region = "us-east-1"
    let project = env.suffixed("production-experience-showcase")

    // `latest` moves with each push (MUTABLE); the commit-SHA tag is what production pins.
    func repository(_ logical: String, _ suffix: String) -> ECRRepository {
        ECRRepository(
            logical, name: Input("\(project)-\(suffix)"), scanOnPush: true,
            lifecyclePolicy: [
                .init(priority: 1, description: "Expire untagged images after 7 days", tagStatus: .untagged, countType: .sinceImagePushed(days: 7)),
                .init(priority: 2, description: "Keep the last 30 images", tagStatus: .any, countType: .imageCountMoreThan(30)),
            ],
            forceDestroy: true)
    }
    let backend = repository("backend", "backend")
    let prometheus = repository("prometheus", "prometheus")

    // The CDKTF app's state: never deleted by `cairn destroy` in production while this option stands.
    let stateBackend = TerraformStateBackend(
        bucket: "terraformState", name: "\(project)-tfstate", lockTable: "terraformLocks", tableName: "\(project)-tflocks",
        preventDestroy: env.name == "production")
    let (terraformState, terraformLocks) = (stateBackend.bucket, stateBackend.lockTable)

    let github = IAMOIDCProvider.gitHubActions("github")
    let account = backend.registryId

    // What the workflow does: push and pull the two images, keep CDKTF's state and lock, and let
    // CDKTF manage the app's ECS and CloudWatch resources, all named after the project.
    let deployPolicy = IAMPolicy(
        "deploy", name: Input("\(project)-deploy"), description: "What the showcase's GitHub Actions workflow may do",
        document: PolicyDocument([
            PolicyStatement(sid: "Login", actions: ["ecr:GetAuthorizationToken"], resources: ["*"]),
            PolicyStatement(
                sid: "Images",
                actions: [
                    "ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:CompleteLayerUpload",
                    "ecr:DescribeImages", "ecr:GetDownloadUrlForLayer", "ecr:InitiateLayerUpload",
                    "ecr:PutImage", "ecr:UploadLayerPart",
                ],
                resources: [backend.arn.input, prometheus.arn.input]),
            PolicyStatement(sid: "StateBucket", actions: ["s3:ListBucket", "s3:GetBucketVersioning"], resources: [terraformState.arn.input]),
            PolicyStatement(
                sid: "StateObjects", actions: ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"], resources: ["\(terraformState.arn)/*"]),
            PolicyStatement(
                sid: "StateLock", actions: ["dynamodb:DescribeTable", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:DeleteItem"],
                resources: [terraformLocks.arn.input]),
            PolicyStatement(
                sid: "Describe", actions: ["ecs:Describe*", "ecs:List*", "logs:Describe*", "cloudwatch:Describe*", "ec2:Describe*"],
                resources: ["*"]),
            PolicyStatement(
                sid: "App", actions: ["ecs:*", "logs:*", "cloudwatch:*"],
                resources: [
                    "arn:aws:ecs:\(region):\(account):*/\(project)*", "arn:aws:logs:\(region):\(account):log-group:/ecs/\(project)*",
                    "arn:aws:cloudwatch:\(region):\(account):alarm:\(project)*",
                ]),
            PolicyStatement(
                sid: "PassAppRoles", actions: ["iam:PassRole"], resources: ["arn:aws:iam::\(account):role/\(project)-*"],
                conditions: [PolicyCondition("StringEquals", "iam:PassedToService", ["ecs-tasks.amazonaws.com"])]),
        ]))

    let deployRole = IAMRole(
        "deploy", name: Input("\(project)-github"), description: "Assumed by GitHub Actions on the main branch through OIDC",
        assumeRolePolicy: .trust(
            .federated(github.arn.input),
            conditions: [
                PolicyCondition("StringEquals", "token.actions.githubusercontent.com:aud", ["sts.amazonaws.com"]),
                PolicyCondition("StringEquals", "token.actions.githubusercontent.com:sub", ["repo:\(vars[showcaseRepository]):ref:refs/heads/main"]),
            ]),
        managedPolicyArns: [deployPolicy.arn.input], maxSessionDuration: 3600)

    return (
        resources: [backend, prometheus, github, deployPolicy, deployRole, terraformState, terraformLocks],
        outputs: [
            "AWS_ROLE_ARN": .reference(deployRole.arn.reference),
            "AWS_REGION": .json(.string(region)),
            "ECR_REGISTRY": .concat([.reference(account.reference), .json(.string(".dkr.ecr.\(region).amazonaws.com"))]),
            "BACKEND_REPOSITORY_URI": .reference(backend.uri.reference),
            "PROMETHEUS_REPOSITORY_URI": .reference(prometheus.uri.reference),
            "TF_STATE_BUCKET": .reference(terraformState.bucketName.reference),
            "TF_LOCK_TABLE": .reference(terraformLocks.tableName.reference),
        ]
    )
}
