import Cairn

/// An image repository, an artifact bucket and the role CI pushes to both with. `--env NAME` gives
/// each environment its own copy (`my-infra-staging`, …); production keeps more images.
let myInfra = StackDefinition(
    name: "my-infra",
    summary: "An ECR repository, an artifact bucket and the CI role that pushes to them",
    region: "eu-north-1"
) { env in
    let name = env.suffixed("my-infra")
    let tags: Tags = ["project": "my-infra", "environment": env.name, "managed-by": "cairn"]
    let imagesKept = env.name == "production" ? 100 : 10

    let repository = ECRRepository(
        "app", name: Input(name), scanOnPush: true,
        lifecyclePolicy: [.init(priority: 1, description: "Keep the last \(imagesKept) images", tagStatus: .any,
                                countType: .imageCountMoreThan(imagesKept))],
        tags: tags, forceDestroy: true)
    let artifacts = S3Bucket("artifacts", name: Input("\(name)-artifacts"), versioning: .enabled, tags: tags, forceDestroy: true)
    let ci = IAMRole(
        "ci", name: Input("\(name)-ci"), assumeRolePolicy: .trust(.service("codebuild.amazonaws.com")),
        inlinePolicies: [
            "push": PolicyDocument([
                PolicyStatement(sid: "Images", actions: ["ecr:BatchCheckLayerAvailability", "ecr:InitiateLayerUpload", "ecr:UploadLayerPart",
                                                         "ecr:CompleteLayerUpload", "ecr:PutImage"],
                                resources: [repository.arn.input]),
                PolicyStatement(sid: "Artifacts", actions: ["s3:GetObject", "s3:PutObject"], resources: ["\(artifacts.arn)/*"]),
            ]),
        ],
        tags: tags)

    return (
        resources: [repository, artifacts, ci],
        outputs: [
            "REPOSITORY_URI": .reference(repository.uri.reference),
            "ARTIFACT_BUCKET": .reference(artifacts.bucketName.reference),
        ]
    )
}
