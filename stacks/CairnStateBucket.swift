import Cairn

/// The bucket shared state lives in (`--backend s3://BUCKET/PREFIX`); the name must be free in all of S3.
let cairnStateBucketName = Variable<String>(
    "bucket", description: "the state bucket's name (globally unique, e.g. acme-cairn-state)", environment: "CAIRN_STATE_BUCKET")
/// How long an overwritten or deleted state version is kept for recovery.
let cairnStateVersionDays = Variable<Int>(
    "noncurrent_version_days", default: 90, description: "days an earlier version of a state is kept before it expires")

/// The bootstrap for shared state: the S3 bucket a team's stacks keep their state in (`--backend s3://BUCKET/PREFIX`,
/// `CAIRN_BACKEND`, or `backend: .s3(bucket:key:)` in a stack). Versioned, so that every state ever written can be
/// restored; encrypted (SSE-S3; the state's secrets are sealed by Cairn besides); every public access blocked;
/// TLS only; earlier versions expire after `noncurrent_version_days` and unfinished uploads after a week, while the
/// current state never expires. Protected from `cairn destroy`. Its own state is local: it has to exist before
/// any shared state can (migrate it into the bucket afterwards if you like).
public let cairnStateBootstrap = StackDefinition(
    name: "cairn-state",
    summary: "Bootstrap: the versioned, encrypted, private, TLS-only S3 bucket for shared state",
    region: nil,
    tags: { env in ["project": "cairn-state", "environment": env.name, "managed-by": "cairn"] },
    variables: [cairnStateBucketName, cairnStateVersionDays]
) { env, vars in
    let name = Input(vars[cairnStateBucketName])
    let bucket = S3Bucket(
        "state", name: name, versioning: .enabled, encryption: .sseS3, publicAccessBlock: .blockAll,
        lifecycleRules: [
            .init(
                id: "expire-old-state-versions", noncurrentVersionExpirationDays: vars[cairnStateVersionDays], abortIncompleteMultipartUploadDays: 7)
        ],
        policy: PolicyDocument([.denyInsecureTransport(bucket: name)]),
        options: ResourceOptions(preventDestroy: true))
    return (
        resources: [bucket],
        outputs: ["CAIRN_BACKEND": .json(.string("s3://\(vars[cairnStateBucketName])/cairn")), "STATE_BUCKET_ARN": .reference(bucket.arn.reference)]
    )
}
