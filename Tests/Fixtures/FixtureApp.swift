import Cairn

/// The small stack most CLI tests use: an ECR repository, a versioned bucket and a role whose policy names
/// both (so the role is created after them), plus the default VPC's look-up, a call made while planning
/// that a test can hold. Three resources to create; `--env NAME` suffixes every name (`fixture-app-NAME`).
///
/// Names: repository `fixture-app[-ENV]`, bucket `…-artifacts`, role `…-build`.
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
            ]),
        ])

    return (
        resources: [vpc, repository, artifacts, build],
        outputs: ["ECR_REPOSITORY_URI": .reference(repository.uri.reference)]
    )
}
