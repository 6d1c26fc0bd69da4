import Cairn

/// The pagination tests' stack: resources whose reads list several items each, so that pages of one or two items
/// leave something on a later page of every list Cairn reads: a role with three inline policies and three attached
/// managed policies, a managed policy, a topic with three subscriptions, a rule with three targets, a key with its
/// alias, a table, all carrying five tags. `--env NAME` suffixes every name (`P` = `fixture-lists[-ENV]`): role
/// `P-app`, policy `P-deploy`, topics `P-alerts`, `P-audit`, `P-ops`, rule `P-failed`, alias `alias/P`, table `P`.
let fixtureLists = StackDefinition(
    name: "fixture-lists",
    summary: "CLI test fixture: resources whose reads list several policies, attachments, subscriptions, targets and tags",
    region: "eu-north-1",
    tags: { env in ["project": "fixture-lists", "environment": env.name, "team": "cli-tests", "cost-center": "ci"] }
) { env in
    let project = env.suffixed("fixture-lists")

    let deployPolicy = IAMPolicy(
        "deploy", name: Input("\(project)-deploy"), description: "What the fixture's role deploys with",
        document: PolicyDocument([PolicyStatement(sid: "Services", actions: ["ecs:UpdateService", "ecs:DescribeServices"], resources: ["*"])]))
    let role = IAMRole(
        "app", name: Input("\(project)-app"), assumeRolePolicy: .trust(.service("ecs-tasks.amazonaws.com")),
        inlinePolicies: [
            "logs": PolicyDocument([PolicyStatement(actions: ["logs:PutLogEvents"], resources: ["*"])]),
            "parameters": PolicyDocument([PolicyStatement(actions: ["ssm:GetParameter"], resources: ["*"])]),
            "queues": PolicyDocument([PolicyStatement(actions: ["sqs:SendMessage"], resources: ["*"])]),
        ],
        managedPolicyArns: [
            deployPolicy.arn.input, "arn:aws:iam::aws:policy/ReadOnlyAccess",
            "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy",
        ])

    let topics = ["alerts", "audit", "ops"].map { SNSTopic($0, name: Input("\(project)-\($0)")) }
    let subscriptions = ["dev", "ops", "security"].map {
        SNSSubscription($0, topicArn: topics[0].arn.input, protocol: .email, endpoint: Input("\($0)@example.com"))
    }
    let rule = EventBridgeRule(
        "failed", name: Input("\(project)-failed"),
        trigger: .pattern(["source": ["aws.codepipeline"], "detail-type": ["CodePipeline Pipeline Execution State Change"]]),
        targets: topics.map { .init(id: $0.logicalName, arn: $0.arn.input) })

    let key = KMSKey("data", description: "The fixture's data key", deletionWindowInDays: 7)
    let alias = KMSAlias("data", name: Input("alias/\(project)"), targetKeyId: key.keyId.input)
    let table = DynamoDBTable("locks", name: Input(project), attributeDefinitions: [.init("LockID", .string)], hashKey: "LockID")

    let resources: [any ResourceDeclaration] = [deployPolicy, role, rule, key, alias, table]
    return (resources: resources + topics + subscriptions, outputs: [:])
}
