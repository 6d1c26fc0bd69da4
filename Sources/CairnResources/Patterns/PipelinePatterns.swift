import CairnEngine
import CairnJSON

// Compositions the seeds' pipelines repeat, each made of the plain resource types so that a stack can
// still change any attribute of what they return.

extension PolicyStatement {
    /// Denies every request to the bucket `name` and its objects that does not use TLS (what AWS Security
    /// Hub's S3.5 control asks for); S3 otherwise accepts plain HTTP.
    public static func denyInsecureTransport(bucket name: String) -> PolicyStatement {
        PolicyStatement(
            sid: "DenyInsecureTransport", effect: .deny, principals: [.anyone], actions: ["s3:*"],
            resources: ["arn:aws:s3:::\(name)", "arn:aws:s3:::\(name)/*"],
            conditions: [PolicyCondition("Bool", "aws:SecureTransport", ["false"])])
    }
}

extension S3Bucket {
    /// A CodePipeline artifact bucket: versioned (CodePipeline requires it), encrypted (SSE-S3, or the KMS key
    /// given), private, TLS only, and cleaned up: objects expire after `expirationDays` and their old versions a
    /// week later. `forceDestroy` empties it on destroy, since artifacts are rebuilt by the next run.
    public static func pipelineArtifacts(
        _ logicalName: String, name: String, encryption: Encryption = .sseS3, expirationDays: Int = 30, tags: Tags = [:],
        forceDestroy: Bool = true, options: ResourceOptions = ResourceOptions()
    ) -> S3Bucket {
        S3Bucket(
            logicalName, name: Input(name), versioning: .enabled, encryption: encryption, publicAccessBlock: .blockAll,
            lifecycleRules: [.init(id: "expire-artifacts", expirationDays: expirationDays, noncurrentVersionExpirationDays: 7)],
            policy: PolicyDocument([.denyInsecureTransport(bucket: name)]), tags: tags, forceDestroy: forceDestroy,
            options: options)
    }
}

/// Terraform's (or OpenTofu's, or CDKTF's) S3 backend: a bucket for the state, versioned so that every
/// state written can be recovered, encrypted, private and TLS only, and a DynamoDB lock table keyed by
/// `LockID` as the backend's `dynamodb_table` setting expects. Lifecycle rules given for the bucket must
/// leave the state's prefix alone: an expired state is a lost one.
public struct TerraformStateBackend: Sendable {
    /// The state bucket.
    public var bucket: S3Bucket
    /// The lock table.
    public var lockTable: DynamoDBTable

    /// - Parameters:
    ///   - preventDestroy: refuse `cairn destroy` of the bucket (and so of the state it holds).
    ///   - forceDestroy: let destroy empty the bucket (every state version) before deleting it.
    public init(
        bucket logicalBucket: String, name: String, lockTable logicalTable: String, tableName: String,
        lifecycleRules: [S3Bucket.LifecycleRule] = [], pointInTimeRecovery: Bool = true, preventDestroy: Bool = false,
        forceDestroy: Bool = false, tags: Tags = [:]
    ) {
        bucket = S3Bucket(
            logicalBucket, name: Input(name), versioning: .enabled, encryption: .sseS3, publicAccessBlock: .blockAll,
            lifecycleRules: lifecycleRules, policy: PolicyDocument([.denyInsecureTransport(bucket: name)]), tags: tags,
            forceDestroy: forceDestroy, options: ResourceOptions(preventDestroy: preventDestroy))
        lockTable = DynamoDBTable(
            logicalTable, name: Input(tableName), attributeDefinitions: [.init("LockID", .string)], hashKey: "LockID",
            billingMode: .payPerRequest, pointInTimeRecovery: pointInTimeRecovery, tags: tags)
    }

    /// The bucket and the table.
    public var resources: [any ResourceDeclaration] { [bucket, lockTable] }
}
