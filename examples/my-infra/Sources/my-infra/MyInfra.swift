import Cairn

/// How many images the repository keeps: `--var images_kept=30`, a `--var-file`, or
/// `CAIRN_VAR_images_kept`; without one, 100 in production and 10 elsewhere.
let imagesKept = Variable<Int?>("images_kept", description: "Images the repository keeps (default: 100 in production, 10 elsewhere)")

/// An image repository, an artifact bucket and the role CI pushes to both with. `--env NAME` gives
/// each environment its own copy (`my-infra-staging`, …).
let myInfra = StackDefinition(
    name: "my-infra",
    summary: "An ECR repository, an artifact bucket and the CI role that pushes to them",
    region: "eu-north-1",
    // On every taggable resource; a resource's own tags add to these.
    tags: { env in ["project": "my-infra", "environment": env.name, "managed-by": "cairn"] },
    variables: [imagesKept]
) { env, vars in
    let name = env.suffixed("my-infra")
    let kept = vars[imagesKept] ?? (env.name == "production" ? 100 : 10)

    let repository = ECRRepository(
        "app", name: Input(name), scanOnPush: true,
        lifecyclePolicy: [
            .init(
                priority: 1, description: "Keep the last \(kept) images", tagStatus: .any,
                countType: .imageCountMoreThan(kept))
        ],
        forceDestroy: true)
    let artifacts = S3Bucket(
        "artifacts", name: Input("\(name)-artifacts"), versioning: .enabled, tags: ["contents": "build artifacts"],
        forceDestroy: true)
    let ci = IAMRole(
        "ci", name: Input("\(name)-ci"), assumeRolePolicy: .trust(.service("codebuild.amazonaws.com")),
        inlinePolicies: [
            "push": PolicyDocument([
                PolicyStatement(
                    sid: "Images",
                    actions: [
                        "ecr:BatchCheckLayerAvailability", "ecr:InitiateLayerUpload", "ecr:UploadLayerPart",
                        "ecr:CompleteLayerUpload", "ecr:PutImage",
                    ],
                    resources: [repository.arn.input]),
                PolicyStatement(sid: "Artifacts", actions: ["s3:GetObject", "s3:PutObject"], resources: ["\(artifacts.arn)/*"]),
            ])
        ])

    return (
        resources: [repository, artifacts, ci],
        outputs: [
            "REPOSITORY_URI": .reference(repository.uri.reference),
            "ARTIFACT_BUCKET": .reference(artifacts.bucketName.reference),
        ]
    )
}
