import CairnEngine
import CairnJSON

// Compositions the seeds' pipelines repeat, each made of the plain resource types so that a stack can
// still change any attribute of what they return.

extension PolicyStatement {
    /// Denies every request to the bucket `name` and its objects that does not use TLS (what AWS Security
    /// Hub's S3.5 control asks for); S3 otherwise accepts plain HTTP. The ARNs are in the `aws` partition unless
    /// `partition` says otherwise (`aws-cn`, `aws-us-gov`).
    public static func denyInsecureTransport(bucket name: Input<String>, partition: String = "aws") -> PolicyStatement {
        PolicyStatement(
            sid: "DenyInsecureTransport", effect: .deny, principals: [.anyone], actions: ["s3:*"],
            resources: ["arn:\(partition):s3:::\(name)", "arn:\(partition):s3:::\(name)/*"],
            conditions: [PolicyCondition("Bool", "aws:SecureTransport", ["false"])])
    }

    /// `docker login` to ECR (`ecr:GetAuthorizationToken`, which names no repository).
    public static let ecrLogin = PolicyStatement(sid: "Login", actions: ["ecr:GetAuthorizationToken"], resources: ["*"])

    /// `docker push` and `docker pull` of the images in `repositories` (their ARNs); give `ecrLogin` too.
    public static func ecrPush(_ repositories: [Input<String>]) -> PolicyStatement {
        PolicyStatement(
            sid: "Push",
            actions: [
                "ecr:BatchCheckLayerAvailability", "ecr:CompleteLayerUpload", "ecr:InitiateLayerUpload",
                "ecr:PutImage", "ecr:UploadLayerPart", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer",
            ],
            resources: repositories)
    }

    /// What a pipeline role needs of its artifact store `bucket`: read and write the artifacts, and check versioning.
    public static func pipelineArtifacts(_ bucket: S3Bucket) -> PolicyStatement {
        PolicyStatement(
            sid: "Artifacts", actions: ["s3:GetObject", "s3:GetObjectVersion", "s3:GetBucketVersioning", "s3:PutObject"],
            resources: [bucket.arn.input, "\(bucket.arn)/*"])
    }

    /// What a pipeline role needs to run the CodeBuild `projects` (their ARNs) in its actions.
    public static func startBuilds(_ projects: [Input<String>]) -> PolicyStatement {
        PolicyStatement(sid: "Build", actions: ["codebuild:BatchGetBuilds", "codebuild:StartBuild"], resources: projects)
    }
}

extension S3Bucket {
    /// A CodePipeline artifact bucket: versioned (CodePipeline requires it), encrypted (SSE-S3, or the KMS key
    /// given), private, TLS only, and cleaned up: objects expire after `expirationDays` and their old versions a
    /// week later. `forceDestroy` empties it on destroy, since artifacts are rebuilt by the next run.
    public static func pipelineArtifacts(
        _ logicalName: String, name: Input<String>, encryption: Encryption = .sseS3, expirationDays: Int = 30, tags: Tags = [:],
        forceDestroy: Bool = true, options: ResourceOptions = ResourceOptions()
    ) -> S3Bucket {
        S3Bucket(
            logicalName, name: name, versioning: .enabled, encryption: encryption, publicAccessBlock: .blockAll,
            lifecycleRules: [.init(id: "expire-artifacts", expirationDays: expirationDays, noncurrentVersionExpirationDays: 7)],
            policy: PolicyDocument([.denyInsecureTransport(bucket: name)]), tags: tags, forceDestroy: forceDestroy,
            options: options)
    }
}

extension S3Bucket {
    /// A bucket for Terraform's (or OpenTofu's, or CDKTF's) state: versioned, so that every state written can be
    /// recovered, encrypted, private and TLS only. Lifecycle rules given must leave the state's prefix alone: an
    /// expired state is a lost one. `forceDestroy` lets destroy empty it (every state version) first.
    public static func terraformState(
        _ logicalName: String, name: String, lifecycleRules: [LifecycleRule] = [], preventDestroy: Bool = false,
        forceDestroy: Bool = false, tags: Tags = [:]
    ) -> S3Bucket {
        S3Bucket(
            logicalName, name: Input(name), versioning: .enabled, encryption: .sseS3, publicAccessBlock: .blockAll,
            lifecycleRules: lifecycleRules, policy: PolicyDocument([.denyInsecureTransport(bucket: Input(name))]), tags: tags,
            forceDestroy: forceDestroy, options: ResourceOptions(preventDestroy: preventDestroy))
    }
}

extension DynamoDBTable {
    /// The lock table of Terraform's S3 backend (`dynamodb_table`): keyed by the string `LockID`, paid per request.
    public static func terraformLocks(_ logicalName: String, name: String, pointInTimeRecovery: Bool = true, tags: Tags = [:]) -> DynamoDBTable {
        DynamoDBTable(
            logicalName, name: Input(name), attributeDefinitions: [.init("LockID", .string)], hashKey: "LockID",
            billingMode: .payPerRequest, pointInTimeRecovery: pointInTimeRecovery, tags: tags)
    }
}

/// Terraform's (or OpenTofu's, or CDKTF's) S3 backend: a state bucket (`S3Bucket.terraformState`) and its lock
/// table (`DynamoDBTable.terraformLocks`).
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
        bucket = .terraformState(
            logicalBucket, name: name, lifecycleRules: lifecycleRules, preventDestroy: preventDestroy, forceDestroy: forceDestroy, tags: tags)
        lockTable = .terraformLocks(logicalTable, name: tableName, pointInTimeRecovery: pointInTimeRecovery, tags: tags)
    }

    /// The bucket and the table.
    public var resources: [any ResourceDeclaration] { [bucket, lockTable] }
}

extension ResourcePolicy {
    /// An SNS topic policy (`SNSTopic(policy:)`) letting EventBridge rules and CloudWatch alarms of `account` publish
    /// to the topic. A declared policy replaces SNS's default one, whose owner statement is what lets alarms publish,
    /// and EventBridge needs a statement of its own in any case. The statement names no resource, so the topic fills
    /// in its own ARN. The account's principals publish through their IAM policies.
    public static func alertsCanPublish(account: Input<String>) -> ResourcePolicy {
        .document(
            PolicyDocument([
                PolicyStatement(
                    sid: "AlertsCanPublish", principals: [.service("cloudwatch.amazonaws.com"), .service("events.amazonaws.com")],
                    actions: ["sns:Publish"], conditions: [PolicyCondition("StringEquals", "aws:SourceAccount", [account])])
            ]))
    }
}

extension EventBridgeRule {
    /// A rule on the failed executions of the pipeline `pipelineName` (`CodePipeline Pipeline Execution State Change`,
    /// state `FAILED`) that publishes each to `topics`, whose policies must let EventBridge publish
    /// (`ResourcePolicy.alertsCanPublish`).
    public static func pipelineFailed(
        _ logicalName: String, name: Input<String>, pipelineName: String, topics: [Input<String>], tags: Tags = [:]
    ) -> EventBridgeRule {
        EventBridgeRule(
            logicalName, name: name,
            trigger: .pattern([
                "source": ["aws.codepipeline"],
                "detail-type": ["CodePipeline Pipeline Execution State Change"],
                "detail": ["state": ["FAILED"], "pipeline": .array([.string(pipelineName)])],
            ]),
            description: "Failed executions of \(pipelineName), to the alert topics",
            targets: topics.enumerated().map { .init(id: "alert-\($0.offset + 1)", arn: $0.element) }, tags: tags)
    }
}
