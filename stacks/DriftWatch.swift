import Cairn
import Foundation

/// Runs `cairn drift` inside AWS on a schedule: an EventBridge rule starts a CodeBuild project every
/// 15 minutes, which checks the invoices stack and publishes drift to an SNS topic. It also lets
/// GitHub Actions run the same check with OIDC credentials (seed 003's way: no stored keys).
public let driftWatch = StackDefinition(
    name: "cairn-drift-watch",
    summary: "Scheduled drift checks of small-business-invoices: EventBridge → CodeBuild → SNS, and a GitHub OIDC role",
    region: "eu-north-1",
    tags: { env in ["project": "cairn-drift-watch", "environment": env.name] }
) { env in
    let region = "eu-north-1"
    let name = env.suffixed("cairn-drift-watch")
    let tags: Tags = ["project": "cairn-drift-watch", "environment": env.name, "managed-by": "cairn"]
    let environment = ProcessInfo.processInfo.environment

    let alerts = SNSTopic("alerts", name: Input("\(name)-alerts"), displayName: "Cairn drift", tags: tags)
    let email = SNSSubscription("oncall", topicArn: alerts.arn.input, protocol: .email,
                                endpoint: Input(environment["DRIFT_ALERT_EMAIL"] ?? "platform-oncall@example.com"))

    // What a drift check needs: read every resource of the watched stack, and its state.
    let readOnly = IAMPolicy(
        "driftRead", name: Input("\(name)-read"), description: "Reads the resources Cairn checks for drift",
        document: PolicyDocument([
            PolicyStatement(sid: "Describe", actions: [
                "ecr:Describe*", "ecr:Get*", "ecr:List*", "s3:GetBucket*", "s3:GetEncryptionConfiguration", "s3:GetLifecycleConfiguration",
                "s3:ListAllMyBuckets", "ecs:Describe*", "ecs:List*", "iam:Get*", "iam:List*", "logs:Describe*", "logs:ListTagsForResource",
                "ec2:Describe*", "codebuild:BatchGetProjects", "codepipeline:GetPipeline", "codepipeline:ListTagsForResource",
                "sns:GetTopicAttributes", "sns:ListSubscriptionsByTopic", "sns:ListTagsForResource", "events:Describe*", "events:List*",
            ], resources: ["*"]),
            PolicyStatement(sid: "Notify", actions: ["sns:Publish"], resources: [alerts.arn.input]),
        ]),
        tags: tags)

    let buildRole = IAMRole(
        "build", name: Input("\(name)-codebuild"), description: "Runs cairn drift in CodeBuild",
        assumeRolePolicy: .trust(.service("codebuild.amazonaws.com")),
        inlinePolicies: ["logs": PolicyDocument([
            PolicyStatement(actions: ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
                            resources: ["arn:aws:logs:\(region):*:log-group:/aws/codebuild/\(name)*"]),
        ])],
        managedPolicyArns: [readOnly.arn.input], tags: tags)

    let check = CodeBuildProject(
        "drift", name: Input(name), description: "cairn drift small-business-invoices",
        serviceRole: buildRole.arn.input,
        source: .noSource(buildspec: .inline("""
            version: 0.2
            phases:
              install:
                commands:
                  - git clone --depth 1 "$CAIRN_REPOSITORY" cairn && cd cairn && swift build -c release --product cairn
              build:
                commands:
                  - cd cairn && .build/release/cairn drift small-business-invoices --notify "sns:$ALERT_TOPIC"
            """)),
        artifacts: .noArtifacts,
        environment: .init(image: "swift:6.1", computeType: .small, environmentVariables: [
            .init("ALERT_TOPIC", alerts.arn.input),
            .init("CAIRN_REPOSITORY", Input(environment["CAIRN_REPOSITORY"] ?? "https://github.com/example/cairn-stacks.git")),
        ]),
        timeoutInMinutes: 30, tags: tags)

    let eventsRole = IAMRole(
        "events", name: Input("\(name)-events"), description: "Lets EventBridge start the drift check",
        assumeRolePolicy: .trust(.service("events.amazonaws.com")),
        inlinePolicies: ["start": PolicyDocument([PolicyStatement(actions: ["codebuild:StartBuild"], resources: [check.arn.input])])],
        tags: tags)

    let schedule = EventBridgeRule(
        "schedule", name: Input(name), trigger: .rate(15, .minutes), description: "Drift check of small-business-invoices",
        targets: [.init(id: "drift-check", arn: check.arn.input, roleArn: eventsRole.arn.input)], tags: tags)

    // GitHub Actions, through OIDC: the same read-only rights for the examples/drift workflow.
    let github = IAMOIDCProvider.gitHubActions("github", tags: tags)
    let githubRole = IAMRole(
        "githubDrift", name: Input("\(name)-github"), description: "Drift checks from GitHub Actions",
        assumeRolePolicy: .trust(.federated(github.arn.input), conditions: [
            PolicyCondition("StringEquals", "token.actions.githubusercontent.com:aud", ["sts.amazonaws.com"]),
            PolicyCondition("StringLike", "token.actions.githubusercontent.com:sub",
                            [environment["GITHUB_REPOSITORY_FILTER"] ?? "repo:example/cairn-stacks:*"]),
        ]),
        managedPolicyArns: [readOnly.arn.input], tags: tags)

    return (
        resources: [alerts, email, readOnly, buildRole, check, eventsRole, schedule, github, githubRole],
        outputs: ["ALERT_TOPIC_ARN": .reference(alerts.arn.reference), "GITHUB_ROLE_ARN": .reference(githubRole.arn.reference)]
    )
}
