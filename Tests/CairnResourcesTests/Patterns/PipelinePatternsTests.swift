import CairnEngine
import CairnJSON
import Testing

@testable import CairnResources

/// The compositions stacks share: what each sets, as the engine sees it.
@Suite struct PipelinePatternsTests {
    @Test func anArtifactBucketIsVersionedPrivateTLSOnlyAndCleanedUp() {
        let bucket = S3Bucket.pipelineArtifacts("artifacts", name: "team-pipeline-artifacts", tags: ["team": "web"])
        #expect(bucket.validate().isEmpty, "\(bucket.validate())")
        let attributes = ProviderTesting.attributes(of: bucket)
        #expect(attributes["versioning"] == "Enabled")
        #expect(attributes["encryption"]?["algorithm"] == "AES256")
        #expect(attributes["forceDestroy"] == true)
        #expect(attributes["tags"] == ["team": "web"])
        let rules = attributes["lifecycleRules"]?.arrayValue ?? []
        #expect(rules.count == 1)
        #expect(rules.first?["prefix"] == "" && rules.first?["expirationDays"] == 30 && rules.first?["noncurrentVersionExpirationDays"] == 7)
        let statement = attributes["policy"]?["Statement"]?[0]
        #expect(statement?["Effect"] == "Deny", "\(String(describing: statement))")
        #expect(statement?["Condition"] == ["Bool": ["aws:SecureTransport": "false"]])
        #expect(statement?["Resource"] == ["arn:aws:s3:::team-pipeline-artifacts", "arn:aws:s3:::team-pipeline-artifacts/*"])

        let encrypted = S3Bucket.pipelineArtifacts("artifacts", name: "b", encryption: .sseKMS(keyID: "alias/artifacts", bucketKey: true))
        #expect(
            ProviderTesting.attributes(of: encrypted)["encryption"] == ["algorithm": "aws:kms", "kmsKeyID": "alias/artifacts", "bucketKey": true])
    }

    @Test func aStateBackendKeepsEveryStateVersionAndLocksOnLockID() {
        let backend = TerraformStateBackend(
            bucket: "state", name: "team-tfstate", lockTable: "locks", tableName: "team-tflocks",
            lifecycleRules: [.init(id: "old-lambda-builds", prefix: "lambda/", noncurrentVersionExpirationDays: 30)], preventDestroy: true)
        #expect(backend.resources.map(\.address) == ["aws_s3_bucket.state", "aws_dynamodb_table.locks"])
        #expect(backend.bucket.validate().isEmpty && backend.lockTable.validate().isEmpty)
        #expect(backend.bucket.options.preventDestroy)
        let bucket = ProviderTesting.attributes(of: backend.bucket)
        #expect(bucket["versioning"] == "Enabled")
        #expect(bucket["forceDestroy"] == false, "destroy never empties a state bucket unless asked")
        #expect(bucket["lifecycleRules"]?[0]?["prefix"] == "lambda/")
        let table = ProviderTesting.attributes(of: backend.lockTable)
        #expect(table["hashKey"] == "LockID")
        #expect(table["billingMode"] == "PAY_PER_REQUEST")
        #expect(table["pointInTimeRecovery"] == true)
    }

    @Test func failureAlertsReachTopicsThatLetEventBridgePublish() {
        let repository = ECRRepository("images", name: "app")
        let policy = ResourcePolicy.alertsCanPublish(account: repository.registryId.input)
        #expect(SNSTopic("alerts", name: "alerts", policy: policy).validate().isEmpty)
        var sensitive = Set<String>()
        let document = policy.value.resolve(sensitivePaths: &sensitive) { $0.output == "registryId" ? "123456789012" : nil }
        #expect(document["Statement"]?[0]?["Principal"] == ["Service": ["cloudwatch.amazonaws.com", "events.amazonaws.com"]], "alarms and rules")
        #expect(document["Statement"]?[0]?["Action"] == "sns:Publish")
        #expect(document["Statement"]?[0]?["Resource"] == nil, "the topic fills in its own ARN")
        #expect(document["Statement"]?[0]?["Condition"] == ["StringEquals": ["aws:SourceAccount": "123456789012"]], "an output in a condition")

        let rule = EventBridgeRule.pipelineFailed(
            "failed", name: "app-pipeline-failed", pipelineName: "app-pipeline", topics: ["arn:aws:sns:us-east-1:1:a", "arn:aws:sns:us-east-1:1:b"])
        #expect(rule.validate().isEmpty, "\(rule.validate())")
        let attributes = ProviderTesting.attributes(of: rule)
        let pattern = attributes["eventPattern"].flatMap { $0.stringValue.flatMap { try? JSON(parsing: $0) } ?? $0 }
        #expect(pattern?["detail"] == ["state": ["FAILED"], "pipeline": ["app-pipeline"]], "\(attributes)")
        #expect(pattern?["detail-type"] == ["CodePipeline Pipeline Execution State Change"])
        #expect(attributes["targets"]?.arrayValue?.count == 2)
    }
}
