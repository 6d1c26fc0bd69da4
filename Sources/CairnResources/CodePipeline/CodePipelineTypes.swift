import CairnEngine
import CairnJSON

extension CodePipeline {
    /// The pipeline type: V2 adds variables, triggers and execution modes, and is billed per minute.
    public enum PipelineType: String, Sendable {
        /// The original type (CodePipeline's default).
        case v1 = "V1"
        /// Variables, triggers and execution modes.
        case v2 = "V2"
    }

    /// The S3 bucket where the pipeline keeps its artifacts, and the KMS key that encrypts them.
    public struct ArtifactStore: Sendable {
        /// The bucket name (`S3Bucket.name`), in the pipeline's region.
        public var bucket: Input<String>
        /// A KMS key id, ARN or alias; nil for S3's AWS-managed key.
        public var kmsKeyId: Input<String>?

        /// The bucket `bucket`, encrypted with `kmsKeyId` when given.
        public init(bucket: Input<String>, kmsKeyId: Input<String>? = nil) {
            self.bucket = bucket
            self.kmsKeyId = kmsKeyId
        }

        var value: Value {
            var members: [String: Value] = ["type": .string("S3"), "location": bucket.value]
            if let kmsKeyId { members["encryptionKey"] = .object(["id": kmsKeyId.value, "type": .string("KMS")]) }
            return .object(members)
        }
    }

    /// A pipeline-level variable (V2 pipelines), set per execution, referenced as `#{variables.NAME}`.
    public struct Variable: Sendable {
        /// The name: letters, digits, `@`, `-` and `_`.
        public var name: String
        /// The value when an execution does not set one; nil for none.
        public var defaultValue: String?
        /// Up to 200 characters; nil for none.
        public var description: String?

        /// A variable `name`.
        public init(_ name: String, defaultValue: String? = nil, description: String? = nil) {
            self.name = name
            self.defaultValue = defaultValue
            self.description = description
        }

        var value: Value {
            var members: [String: Value] = ["name": .string(name)]
            if let defaultValue { members["defaultValue"] = .string(defaultValue) }
            if let description, !description.isEmpty { members["description"] = .string(description) }
            return .object(members)
        }
    }

    /// A stage: actions that run in `runOrder` order (equal orders in parallel).
    public struct Stage: Sendable {
        /// The stage name, unique in the pipeline.
        public var name: String
        /// The actions, at least one.
        public var actions: [Action]

        /// A stage `name` of `actions`.
        public init(_ name: String, _ actions: [Action]) {
            self.name = name
            self.actions = actions
        }

        var value: Value {
            .object(["name": .string(name), "actions": .array(actions.map(\.value))])
        }
    }

    /// The format of a CodeStar connection's or CodeCommit's output artifact.
    public enum OutputArtifactFormat: String, Sendable {
        /// A ZIP of the files (the default).
        case codeZip = "CODE_ZIP"
        /// A reference CodeBuild clones (a full Git clone, with history).
        case codeBuildCloneRef = "CODEBUILD_CLONE_REF"
    }

    /// The canned ACL an S3 deploy action gives the objects it writes.
    public enum CannedACL: String, Sendable {
        case `private` = "private"
        case publicRead = "public-read"
        case publicReadWrite = "public-read-write"
        case awsExecRead = "aws-exec-read"
        case authenticatedRead = "authenticated-read"
        case bucketOwnerRead = "bucket-owner-read"
        case bucketOwnerFullControl = "bucket-owner-full-control"
        case logDeliveryWrite = "log-delivery-write"
    }

    /// What an action does, with the configuration its provider takes.
    public enum ActionKind: Sendable {
        /// A GitHub (version 1) source, authorised by an OAuth token. The token is sensitive whatever its input:
        /// it is masked in plans and encrypted in the state.
        case gitHubSource(owner: String, repo: String, branch: String, oauthToken: Input<String>, pollForSourceChanges: Bool = true)
        /// A source through a CodeStar (CodeConnections) connection: GitHub, GitLab or Bitbucket.
        case codeStarSource(
            connectionArn: Input<String>, fullRepositoryId: String, branchName: String,
            outputArtifactFormat: OutputArtifactFormat = .codeZip, detectChanges: Bool = true)
        /// A CodeCommit repository's branch.
        case codeCommitSource(
            repositoryName: Input<String>, branchName: String, pollForSourceChanges: Bool = true,
            outputArtifactFormat: OutputArtifactFormat = .codeZip)
        /// An S3 object (a ZIP), in a versioned bucket.
        case s3Source(bucket: Input<String>, objectKey: String, pollForSourceChanges: Bool = true)
        /// A CodeBuild build (category Build).
        case codeBuild(projectName: Input<String>)
        /// A CodeBuild project run as a test (category Test).
        case codeBuildTest(projectName: Input<String>)
        /// A manual approval, announced on an SNS topic when given.
        case manualApproval(notificationArn: Input<String>? = nil, customData: String? = nil, externalEntityLink: String? = nil)
        /// A rolling deployment of an ECS service from an image definitions file in the input artifact.
        case ecsDeploy(clusterName: Input<String>, serviceName: Input<String>, fileName: String = "imagedefinitions.json")
        /// A copy of the input artifact to an S3 bucket: extracted (under `objectKey` when given), or as one object at
        /// `objectKey`. `cacheControl` is the Cache-Control header of every object written (`no-cache` keeps a site's
        /// `index.html` from being cached for a day behind CloudFront); `cannedACL` their ACL; `kmsEncryptionKeyARN` the
        /// KMS key (its ARN) that encrypts them.
        case s3Deploy(
            bucketName: Input<String>, extract: Bool, objectKey: String? = nil, cacheControl: String? = nil, cannedACL: CannedACL? = nil,
            kmsEncryptionKeyARN: Input<String>? = nil)

        /// CodePipeline's action type: category, owner, provider, version.
        var typeID: (category: String, owner: String, provider: String, version: String) {
            switch self {
            case .gitHubSource: return ("Source", "ThirdParty", "GitHub", "1")
            case .codeStarSource: return ("Source", "AWS", "CodeStarSourceConnection", "1")
            case .codeCommitSource: return ("Source", "AWS", "CodeCommit", "1")
            case .s3Source: return ("Source", "AWS", "S3", "1")
            case .codeBuild: return ("Build", "AWS", "CodeBuild", "1")
            case .codeBuildTest: return ("Test", "AWS", "CodeBuild", "1")
            case .manualApproval: return ("Approval", "AWS", "Manual", "1")
            case .ecsDeploy: return ("Deploy", "AWS", "ECS", "1")
            case .s3Deploy: return ("Deploy", "AWS", "S3", "1")
            }
        }

        var isSource: Bool { typeID.category == "Source" }

        /// How many input and output artifacts the action type takes, as CodePipeline defines it.
        var artifactCounts: (inputs: ClosedRange<Int>, outputs: ClosedRange<Int>) {
            switch self {
            case .gitHubSource, .codeStarSource, .codeCommitSource, .s3Source: return (0...0, 1...1)
            case .codeBuild, .codeBuildTest: return (1...5, 0...5)
            case .manualApproval: return (0...0, 0...0)
            case .ecsDeploy, .s3Deploy: return (1...1, 0...0)
            }
        }

        /// The configuration map, every value a string as CodePipeline returns them.
        var configuration: [String: Value] {
            func flag(_ value: Bool) -> Value { .string(value ? "true" : "false") }
            switch self {
            case .gitHubSource(let owner, let repo, let branch, let token, let poll):
                return [
                    "Owner": .string(owner), "Repo": .string(repo), "Branch": .string(branch),
                    "OAuthToken": Self.sensitive(token.value), "PollForSourceChanges": flag(poll),
                ]
            case .codeStarSource(let connection, let repository, let branch, let format, let detect):
                return [
                    "ConnectionArn": connection.value, "FullRepositoryId": .string(repository), "BranchName": .string(branch),
                    "OutputArtifactFormat": .string(format.rawValue), "DetectChanges": flag(detect),
                ]
            case .codeCommitSource(let repository, let branch, let poll, let format):
                return [
                    "RepositoryName": repository.value, "BranchName": .string(branch), "PollForSourceChanges": flag(poll),
                    "OutputArtifactFormat": .string(format.rawValue),
                ]
            case .s3Source(let bucket, let key, let poll):
                return ["S3Bucket": bucket.value, "S3ObjectKey": .string(key), "PollForSourceChanges": flag(poll)]
            case .codeBuild(let project), .codeBuildTest(let project):
                return ["ProjectName": project.value]
            case .manualApproval(let topic, let data, let link):
                var members: [String: Value] = [:]
                if let topic { members["NotificationArn"] = topic.value }
                if let data { members["CustomData"] = .string(data) }
                if let link { members["ExternalEntityLink"] = .string(link) }
                return members
            case .ecsDeploy(let cluster, let service, let file):
                return ["ClusterName": cluster.value, "ServiceName": service.value, "FileName": .string(file)]
            case .s3Deploy(let bucket, let extract, let key, let cacheControl, let acl, let kmsKey):
                var members: [String: Value] = ["BucketName": bucket.value, "Extract": flag(extract)]
                if let key { members["ObjectKey"] = .string(key) }
                if let cacheControl { members["CacheControl"] = .string(cacheControl) }
                if let acl { members["CannedACL"] = .string(acl.rawValue) }
                if let kmsKey { members["KMSEncryptionKeyARN"] = kmsKey.value }
                return members
            }
        }

        /// Sensitive by type: wrapped once, whether or not the input already was.
        static func sensitive(_ value: Value) -> Value {
            if case .sensitive = value { return value }
            return .sensitive(value)
        }
    }

    /// One action of a stage.
    public struct Action: Sendable {
        /// The action name, unique in its stage.
        public var name: String
        /// What the action does.
        public var kind: ActionKind
        /// When it runs within the stage: lower first, equal in parallel (1 to 999).
        public var runOrder: Int
        /// Artifacts it takes, each produced by an earlier action.
        public var inputArtifacts: [String]
        /// Artifacts it produces, each name unique in the pipeline.
        public var outputArtifacts: [String]
        /// The region it runs in, for cross-region actions; nil for the pipeline's.
        public var region: String?
        /// The namespace its output variables are published in (`#{NAMESPACE.VARIABLE}`); nil for none.
        public var namespace: String?

        /// An action `name` doing `kind`.
        public init(
            _ name: String, _ kind: ActionKind, runOrder: Int = 1, inputArtifacts: [String] = [],
            outputArtifacts: [String] = [], region: String? = nil, namespace: String? = nil
        ) {
            self.name = name
            self.kind = kind
            self.runOrder = runOrder
            self.inputArtifacts = inputArtifacts
            self.outputArtifacts = outputArtifacts
            self.region = region
            self.namespace = namespace
        }

        var value: Value {
            let type = kind.typeID
            var members: [String: Value] = [
                "name": .string(name),
                "category": .string(type.category), "owner": .string(type.owner),
                "provider": .string(type.provider), "version": .string(type.version),
                "runOrder": .int(runOrder),
                "configuration": .object(kind.configuration),
                "inputArtifacts": .array(inputArtifacts.map { .string($0) }),
                "outputArtifacts": .array(outputArtifacts.map { .string($0) }),
            ]
            if let region { members["region"] = .string(region) }
            if let namespace { members["namespace"] = .string(namespace) }
            return .object(members)
        }
    }
}
