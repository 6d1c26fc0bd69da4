import Cairn

/// The small stack most CLI tests use: an ECR repository, a versioned bucket, a role whose policy names
/// both (so the role is created after them) and an ECS task definition (creating one twice makes a second
/// revision rather than failing, so a test sees a duplicate create), plus the default VPC's look-up, a call
/// made while planning that a test can hold. Four resources to create; `--env NAME` suffixes every name.
///
/// Names: repository and task family `fixture-app[-ENV]`, bucket `…-artifacts`, role `…-build`.
let fixtureApp = StackDefinition(
    name: "fixture-app",
    summary: "CLI test fixture: an ECR repository, a bucket and a role naming both",
    region: "eu-north-1",
    tags: { env in ["project": "fixture-app", "environment": env.name] }
) { env in
    let name = env.suffixed("fixture-app")

    let vpc = DefaultVPC("default")
    let repository = ECRRepository("app", name: Input(name), scanOnPush: true, forceDestroy: true)
    let artifacts = S3Bucket("artifacts", name: Input("\(name)-artifacts"), versioning: .enabled, encryption: .sseS3, forceDestroy: true)
    let build = IAMRole(
        "build", name: Input("\(name)-build"),
        assumeRolePolicy: .trust(.service("codebuild.amazonaws.com")),
        inlinePolicies: [
            "push": PolicyDocument([
                PolicyStatement(sid: "Images", actions: ["ecr:PutImage"], resources: [repository.arn.input]),
                PolicyStatement(sid: "Artifacts", actions: ["s3:GetObject", "s3:PutObject"], resources: ["\(artifacts.arn)/*"]),
            ])
        ])

    let task = ECSTaskDefinition(
        "app", family: Input(name), cpu: 256, memory: 512, networkMode: .awsvpc,
        containers: [.init(name: "app", image: "\(repository.uri):latest")])

    return (
        resources: [vpc, repository, artifacts, build, task],
        outputs: ["ECR_REPOSITORY_URI": .reference(repository.uri.reference)]
    )
}
