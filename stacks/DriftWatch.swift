import Cairn
import Foundation

/// Runs `cairn drift` inside AWS on a schedule: an EventBridge rule starts a CodeBuild project every
/// 15 minutes, which checks the invoices stack and publishes drift to an SNS topic. It also lets
/// GitHub Actions run the same check with OIDC credentials (seed 003's way: no stored keys).
///
/// The check runs a prebuilt `cairn`, not a clone and a full `swift build` every 15 minutes: the
/// `publish` project builds it once (statically linked Swift runtime, on the same Ubuntu 22.04 base
/// as the check's image) and stores it in the tools bucket; start it after each change to Cairn or
/// the stacks (`aws codebuild start-build --project-name cairn-drift-watch-publish`, or a pipeline
/// stage). The check reads the invoices stack's shared state where the team's applies keep it, the S3
/// backend `CAIRN_BACKEND` names (default `s3://example-cairn-state/cairn`: the bucket of the `cairn-state`
/// stack), records its run there, and takes the state key from the SSM SecureString parameter
/// `CAIRN_STATE_KEY_PARAMETER` names.
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

    let stateKeyParameter = environment["CAIRN_STATE_KEY_PARAMETER"] ?? "/cairn-drift-watch/state-key"
    let backend = environment["CAIRN_BACKEND"] ?? "s3://example-cairn-state/cairn"
    let (stateBucket, statePrefix): (String, String) =
        switch try? StateBackend.parse(backend, source: "CAIRN_BACKEND") {
        case .s3(let bucket, let key, _, _)?: (bucket, key.isEmpty ? "" : key + "/")
        default: ("example-cairn-state", "cairn/")
        }
    let tools = S3Bucket(
        "tools", name: Input("\(name)-tools"), versioning: .enabled,
        lifecycleRules: [.init(id: "old-builds", noncurrentVersionExpirationDays: 30)], tags: tags)

    let alerts = SNSTopic("alerts", name: Input("\(name)-alerts"), displayName: "Cairn drift", tags: tags)
    let email = SNSSubscription(
        "oncall", topicArn: alerts.arn.input, protocol: .email,
        endpoint: Input(environment["DRIFT_ALERT_EMAIL"] ?? "platform-oncall@example.com"))

    // What a drift check needs: read every resource of the watched stack, and its state.
    let readOnly = IAMPolicy(
        "driftRead", name: Input("\(name)-read"), description: "Reads the resources Cairn checks for drift",
        document: PolicyDocument([
            PolicyStatement(
                sid: "Describe",
                actions: [
                    "ecr:Describe*", "ecr:Get*", "ecr:List*", "s3:GetBucket*", "s3:GetEncryptionConfiguration", "s3:GetLifecycleConfiguration",
                    "s3:ListAllMyBuckets", "ecs:Describe*", "ecs:List*", "iam:Get*", "iam:List*", "logs:Describe*", "logs:ListTagsForResource",
                    "ec2:Describe*", "codebuild:BatchGetProjects", "codepipeline:GetPipeline", "codepipeline:ListTagsForResource",
                    "sns:GetTopicAttributes", "sns:ListSubscriptionsByTopic", "sns:ListTagsForResource", "events:Describe*", "events:List*",
                ], resources: ["*"]),
            PolicyStatement(sid: "Notify", actions: ["sns:Publish"], resources: [alerts.arn.input]),
        ]),
        tags: tags)

    let buildLogs = PolicyDocument([
        PolicyStatement(
            actions: ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
            resources: ["arn:aws:logs:\(region):*:log-group:/aws/codebuild/\(name)*"])
    ])
    let buildRole = IAMRole(
        "build", name: Input("\(name)-codebuild"), description: "Runs cairn drift in CodeBuild",
        assumeRolePolicy: .trust(.service("codebuild.amazonaws.com")),
        inlinePolicies: [
            "logs": buildLogs,
            "tools": PolicyDocument([
                PolicyStatement(sid: "Binary", actions: ["s3:GetObject"], resources: ["\(tools.arn)/releases/*"]),
                // Reads the shared state and writes its drift run as a journal entry (no lock needed).
                PolicyStatement(
                    sid: "State", actions: ["s3:GetObject", "s3:PutObject"],
                    resources: ["arn:aws:s3:::\(stateBucket)/\(statePrefix)small-business-invoices/*"]),
                PolicyStatement(sid: "StateList", actions: ["s3:ListBucket", "s3:GetBucketVersioning"], resources: ["arn:aws:s3:::\(stateBucket)"]),
                PolicyStatement(
                    sid: "StateKey", actions: ["ssm:GetParameters"],
                    resources: ["arn:aws:ssm:\(region):*:parameter/\(stateKeyParameter.drop { $0 == "/" })"]),
            ]),
        ],
        managedPolicyArns: [readOnly.arn.input], tags: tags)

    // Builds cairn once per change, not once per check.
    let publishRole = IAMRole(
        "publish", name: Input("\(name)-publish"), description: "Builds cairn and stores it for the drift check",
        assumeRolePolicy: .trust(.service("codebuild.amazonaws.com")),
        inlinePolicies: [
            "logs": buildLogs,
            "store": PolicyDocument([PolicyStatement(actions: ["s3:PutObject"], resources: ["\(tools.arn)/releases/*"])]),
        ],
        tags: tags)
    let publish = CodeBuildProject(
        "publish", name: Input("\(name)-publish"), description: "Builds cairn for the scheduled drift check",
        serviceRole: publishRole.arn.input,
        source: .gitHub(
            location: environment["CAIRN_REPOSITORY"] ?? "https://github.com/example/cairn-stacks.git",
            buildspec: .inline(
                """
                version: 0.2
                phases:
                  install:
                    commands:
                      - apt-get update && apt-get install -y --no-install-recommends libsqlite3-dev libssl-dev
                  build:
                    commands:
                      - swift build -c release --product cairn --static-swift-stdlib
                      - mkdir -p out && cp .build/release/cairn out/cairn
                artifacts:
                  base-directory: out
                  files:
                    - cairn
                """)),
        // s3://TOOLS/releases/latest/cairn, replaced by each build (the bucket keeps earlier versions).
        artifacts: .s3(location: tools.bucketName.input, path: "releases", name: "latest", namespaceType: .none, packaging: .none),
        environment: .init(image: "swift:6.1-jammy", computeType: .medium),
        timeoutInMinutes: 60, tags: tags)

    let check = CodeBuildProject(
        "drift", name: Input(name), description: "cairn drift small-business-invoices",
        serviceRole: buildRole.arn.input,
        source: .noSource(
            buildspec: .inline(
                """
                version: 0.2
                phases:
                  install:
                    commands:
                      - aws s3 cp "s3://$TOOLS_BUCKET/releases/latest/cairn" /usr/local/bin/cairn && chmod +x /usr/local/bin/cairn
                  build:
                    commands:
                      - cairn drift small-business-invoices --notify "sns:$ALERT_TOPIC"
                """)),
        artifacts: .noArtifacts,
        // Ubuntu 22.04 with the aws CLI, as the binary was built on: no Swift toolchain needed.
        environment: .init(
            image: "aws/codebuild/standard:7.0", computeType: .small,
            environmentVariables: [
                .init("ALERT_TOPIC", alerts.arn.input),
                .init("TOOLS_BUCKET", tools.bucketName.input),
                .init("CAIRN_BACKEND", Input(backend)),
                .init("CAIRN_STATE_KEY", Input(stateKeyParameter), type: .parameterStore),
            ]),
        timeoutInMinutes: 15, tags: tags)

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
        assumeRolePolicy: .trust(
            .federated(github.arn.input),
            conditions: [
                PolicyCondition("StringEquals", "token.actions.githubusercontent.com:aud", ["sts.amazonaws.com"]),
                PolicyCondition(
                    "StringLike", "token.actions.githubusercontent.com:sub",
                    [Input(environment["GITHUB_REPOSITORY_FILTER"] ?? "repo:example/cairn-stacks:*")]),
            ]),
        managedPolicyArns: [readOnly.arn.input], tags: tags)

    return (
        resources: [tools, alerts, email, readOnly, buildRole, publishRole, publish, check, eventsRole, schedule, github, githubRole],
        outputs: [
            "ALERT_TOPIC_ARN": .reference(alerts.arn.reference), "GITHUB_ROLE_ARN": .reference(githubRole.arn.reference),
            "TOOLS_BUCKET": .reference(tools.bucketName.reference),
        ]
    )
}
