import CairnAWS
import CairnEngine
import CairnJSON

/// A CodePipeline pipeline (`aws codepipeline create-pipeline`): typed stages of source, build, test,
/// approval and deploy actions, checked for CodePipeline's structural rules before any call, and updated in
/// place with `UpdatePipeline`.
///
/// Attributes (as the state and plans show them):
/// - `name`: a change replaces the pipeline.
/// - `roleArn`: the role CodePipeline assumes.
/// - `artifactStore`: `{"type": "S3", "location": bucket, "encryptionKey"?: {"id": …, "type": "KMS"}}`.
/// - `pipelineType`: `"V1"` (default) or `"V2"`.
/// - `variables`: `[{"name", "defaultValue"?, "description"?}]` (V2 only).
/// - `stages`: `[{"name", "actions": [{"name", "category", "owner", "provider", "version", "runOrder",
///   "configuration": {…strings}, "inputArtifacts": [names], "outputArtifacts": [names], "region"?, "namespace"?}]}]`.
///   A GitHub source's `configuration.OAuthToken` is sensitive.
/// - `tags`: an object of strings.
///
/// What the declaration does not model (a V2 pipeline's `triggers` and `executionMode`, a stage's `onFailure`, an
/// action's `roleArn` and `timeoutInMinutes`, …) is kept by each update as the pipeline has it.
public struct CodePipeline: ResourceDeclaration {
    /// The type name in addresses and the state.
    public static let typeName = "aws_codepipeline"

    /// The name in the stack (`aws_codepipeline.<logicalName>`).
    public let logicalName: String
    /// The pipeline name; a change replaces the pipeline.
    public var name: Input<String>
    /// The ARN of the role CodePipeline assumes (`IAMRole.arn`); its trust policy must name
    /// `codepipeline.amazonaws.com`.
    public var roleArn: Input<String>
    /// Where artifacts are kept between actions.
    public var artifactStore: ArtifactStore
    /// V1 (default) or V2.
    public var pipelineType: PipelineType
    /// Pipeline-level variables (V2 only).
    public var variables: [Variable]
    /// The stages, in order: at least two, the first of source actions only.
    public var stages: [Stage]
    /// AWS tags.
    public var tags: Tags
    /// Dependencies and lifecycle options for the engine.
    public var options: ResourceOptions

    /// A pipeline `name` of `stages`.
    public init(
        _ logicalName: String, name: Input<String>, roleArn: Input<String>, artifactStore: ArtifactStore,
        pipelineType: PipelineType = .v1, variables: [Variable] = [], stages: [Stage], tags: Tags = [:],
        options: ResourceOptions = ResourceOptions()
    ) {
        self.logicalName = logicalName
        self.name = name
        self.roleArn = roleArn
        self.artifactStore = artifactStore
        self.pipelineType = pipelineType
        self.variables = variables
        self.stages = stages
        self.tags = tags
        self.options = options
    }

    /// The pipeline's ARN.
    public var arn: Output<String> { Output(output("arn")) }
    /// The pipeline's name.
    public var pipelineName: Output<String> { Output(output("name")) }

    /// Every managed attribute, with CodePipeline's defaults filled in (see the type's documentation).
    public var attributes: [String: Value] {
        [
            "name": name.value,
            "roleArn": roleArn.value,
            "artifactStore": artifactStore.value,
            "pipelineType": .string(pipelineType.rawValue),
            "variables": .array(variables.map(\.value)),
            "stages": .array(stages.map(\.value)),
            "tags": .json(tags.json),
        ]
    }

    static let namePattern = #"\A[A-Za-z0-9.@_-]{1,100}\z"#
    static let artifactPattern = #"\A[A-Za-z0-9_-]{1,100}\z"#
    static let namespacePattern = #"\A[A-Za-z0-9@_-]{1,100}\z"#
    static let variablePattern = #"\A[A-Za-z0-9@_-]{1,128}\z"#

    /// CodePipeline's structural rules, checked before any call: at least two stages, the first of source
    /// actions only (and source actions nowhere else); unique stage names, action names within a stage, output
    /// artifact names and namespaces; every input artifact produced by an earlier action (an earlier stage, or
    /// a lower run order in the same stage); run orders from 1 to 999; each action type's artifact counts; names
    /// as CodePipeline spells them; variables only on V2 pipelines.
    public func validate() -> [ValidationIssue] {
        var issues = checkName(
            name, address: address, attribute: "name", length: 1...100, pattern: Self.namePattern,
            rule: "pipeline names are 1 to 100 letters, digits and . @ - _")
        func issue(_ attribute: String, _ message: String) {
            issues.append(ValidationIssue(address: address, attribute: attribute, message: message))
        }
        func matches(_ text: String, _ pattern: String) -> Bool { text.range(of: pattern, options: .regularExpression) != nil }

        if let role = roleArn.literal, !matches(role, #"\Aarn:aws[a-z-]*:iam::[0-9]{12}:role/\S+\z"#) {
            issue("roleArn", "'\(role)' is not a role ARN: use the role's arn output, or write it like arn:aws:iam::123456789012:role/pipeline.")
        }
        if let bucket = artifactStore.bucket.literal, !matches(bucket, #"\A[A-Za-z0-9.-]{3,63}\z"#) {
            issue("artifactStore.location", "'\(bucket)' is not an S3 bucket name (3 to 63 letters, digits, dots and hyphens).")
        }

        if !variables.isEmpty && pipelineType != .v2 {
            issue("variables", "pipeline variables need a V2 pipeline: set pipelineType: .v2, or remove them.")
        }
        if variables.count > 50 { issue("variables", "\(variables.count) variables is more than CodePipeline's 50.") }
        var variableNames = Set<String>()
        for (k, variable) in variables.enumerated() {
            if !matches(variable.name, Self.variablePattern) {
                issue("variables[\(k)].name", "'\(variable.name)' is not a variable name: use 1 to 128 letters, digits and @ - _.")
            } else if !variableNames.insert(variable.name).inserted {
                issue("variables[\(k)].name", "'\(variable.name)' is declared twice: declare each variable once.")
            }
            if let value = variable.defaultValue, value.isEmpty || value.count > 1000 {
                issue("variables[\(k)].defaultValue", "a default value is 1 to 1000 characters (nil for none).")
            }
            if let description = variable.description, description.count > 200 {
                issue("variables[\(k)].description", "the description has \(description.count) characters; CodePipeline allows 200.")
            }
        }

        if stages.count < 2 {
            issue("stages", "a pipeline needs at least two stages (a source stage, then one that uses its output); it has \(stages.count).")
        }
        var stageNames = Set<String>()
        var producedBefore = Set<String>()  // artifacts produced by the stages before the current one
        var outputs = Set<String>()
        var namespaces = Set<String>()
        for (i, stage) in stages.enumerated() {
            let stagePath = "stages[\(i)]"
            if !matches(stage.name, Self.namePattern) {
                issue("\(stagePath).name", "'\(stage.name)' is not a stage name: use 1 to 100 letters, digits and . @ - _.")
            } else if !stageNames.insert(stage.name).inserted {
                issue("\(stagePath).name", "a stage named '\(stage.name)' comes earlier: give each stage its own name.")
            }
            if stage.actions.isEmpty {
                issue("\(stagePath).actions", "the stage '\(stage.name)' has no actions: add one, or remove the stage.")
            }
            var actionNames = Set<String>()
            for (j, action) in stage.actions.enumerated() {
                let path = "\(stagePath).actions[\(j)]"
                if !matches(action.name, Self.namePattern) {
                    issue("\(path).name", "'\(action.name)' is not an action name: use 1 to 100 letters, digits and . @ - _.")
                } else if !actionNames.insert(action.name).inserted {
                    issue(
                        "\(path).name",
                        "the stage '\(stage.name)' already has an action named '\(action.name)': action names must be unique within a stage.")
                }
                if !(1...999).contains(action.runOrder) {
                    issue("\(path).runOrder", "run order \(action.runOrder) is outside CodePipeline's range of 1 to 999.")
                }
                if i == 0 && !action.kind.isSource {
                    issue(
                        path,
                        "the first stage may hold only source actions; '\(action.name)' is a \(action.kind.typeID.category) action: move it to a later stage."
                    )
                } else if i > 0 && action.kind.isSource {
                    issue(path, "source actions belong in the first stage only; move '\(action.name)' there.")
                }
                let counts = action.kind.artifactCounts
                if !counts.inputs.contains(action.inputArtifacts.count) {
                    issue(
                        "\(path).inputArtifacts",
                        "a \(action.kind.typeID.provider) \(action.kind.typeID.category) action takes \(Self.describe(counts.inputs)) input artifacts, not \(action.inputArtifacts.count)."
                    )
                }
                if !counts.outputs.contains(action.outputArtifacts.count) {
                    issue(
                        "\(path).outputArtifacts",
                        "a \(action.kind.typeID.provider) \(action.kind.typeID.category) action produces \(Self.describe(counts.outputs)) output artifacts, not \(action.outputArtifacts.count)."
                    )
                }
                // Available to this action: earlier stages' outputs, and this stage's outputs of lower run orders.
                var available = producedBefore
                for other in stage.actions where other.runOrder < action.runOrder { available.formUnion(other.outputArtifacts) }
                var seenInputs = Set<String>()
                for input in action.inputArtifacts {
                    if !matches(input, Self.artifactPattern) {
                        issue("\(path).inputArtifacts", "'\(input)' is not an artifact name: use 1 to 100 letters, digits, - and _.")
                    } else if !available.contains(input) {
                        issue(
                            "\(path).inputArtifacts",
                            "no earlier action produces the artifact '\(input)': an input must be an output of an action in an earlier stage, or of a lower run order in this stage."
                        )
                    } else if !seenInputs.insert(input).inserted {
                        issue("\(path).inputArtifacts", "'\(input)' is listed twice.")
                    }
                }
                for output in action.outputArtifacts {
                    if !matches(output, Self.artifactPattern) {
                        issue("\(path).outputArtifacts", "'\(output)' is not an artifact name: use 1 to 100 letters, digits, - and _.")
                    } else if !outputs.insert(output).inserted {
                        issue(
                            "\(path).outputArtifacts",
                            "another action already produces an artifact named '\(output)': output artifact names must be unique in the pipeline.")
                    }
                }
                if let namespace = action.namespace {
                    if !matches(namespace, Self.namespacePattern) {
                        issue("\(path).namespace", "'\(namespace)' is not a namespace: use 1 to 100 letters, digits and @ - _.")
                    } else if !namespaces.insert(namespace).inserted {
                        issue(
                            "\(path).namespace", "the namespace '\(namespace)' is used by another action: namespaces must be unique in the pipeline.")
                    }
                }
                if let region = action.region, !matches(region, #"\A[a-z]{2}(-[a-z]+)+-[0-9]+\z"#) {
                    issue("\(path).region", "'\(region)' is not an AWS region name, like eu-west-1.")
                }
                issues += validateConfiguration(action.kind, path: "\(path).configuration")
            }
            for action in stage.actions { producedBefore.formUnion(action.outputArtifacts) }
        }
        return issues + checkTags(tags, address: address)
    }

    private func validateConfiguration(_ kind: ActionKind, path: String) -> [ValidationIssue] {
        var issues: [ValidationIssue] = []
        func issue(_ key: String, _ message: String) {
            issues.append(ValidationIssue(address: address, attribute: "\(path).\(key)", message: message))
        }
        switch kind {
        case .gitHubSource(let owner, let repo, let branch, let token, _):
            if owner.isEmpty { issue("Owner", "name the repository's owner (user or organisation).") }
            if repo.isEmpty { issue("Repo", "name the repository.") }
            if branch.isEmpty { issue("Branch", "name the branch.") }
            if token.literal?.isEmpty == true { issue("OAuthToken", "the OAuth token is empty.") }
        case .codeStarSource(let connection, let repository, let branch, _, _):
            if let arn = connection.literal,
                arn.range(
                    of: #"\Aarn:aws[a-z-]*:(codestar-connections|codeconnections):[a-z0-9-]+:[0-9]{12}:connection/\S+\z"#, options: .regularExpression
                ) == nil
            {
                issue("ConnectionArn", "'\(arn)' is not a connection ARN, like arn:aws:codeconnections:us-east-1:123456789012:connection/ID.")
            }
            if repository.split(separator: "/").count < 2 { issue("FullRepositoryId", "'\(repository)' is not owner/repository.") }
            if branch.isEmpty { issue("BranchName", "name the branch.") }
        case .codeCommitSource(let repository, let branch, _, _):
            if repository.literal?.isEmpty == true { issue("RepositoryName", "name the repository.") }
            if branch.isEmpty { issue("BranchName", "name the branch.") }
        case .s3Source(let bucket, let key, _):
            if bucket.literal?.isEmpty == true { issue("S3Bucket", "name the bucket.") }
            if key.isEmpty { issue("S3ObjectKey", "name the object (a ZIP file).") }
        case .codeBuild(let project), .codeBuildTest(let project):
            if project.literal?.isEmpty == true { issue("ProjectName", "name the CodeBuild project.") }
        case .manualApproval(_, let data, let link):
            if let data, data.count > 500 { issue("CustomData", "the message has \(data.count) characters; CodePipeline allows 500.") }
            if let link, !(link.hasPrefix("https://") || link.hasPrefix("http://")) { issue("ExternalEntityLink", "'\(link)' is not a URL.") }
        case .ecsDeploy(let cluster, let service, let file):
            if cluster.literal?.isEmpty == true { issue("ClusterName", "name the ECS cluster.") }
            if service.literal?.isEmpty == true { issue("ServiceName", "name the ECS service.") }
            if file.isEmpty { issue("FileName", "name the image definitions file, like imagedefinitions.json.") }
        case .s3Deploy(let bucket, let extract, let key, let cacheControl, _, let kmsKey):
            if bucket.literal?.isEmpty == true { issue("BucketName", "name the bucket.") }
            if !extract && (key ?? "").isEmpty {
                issue("ObjectKey", "without extraction the artifact is written as one object: give its key (objectKey), or set extract: true.")
            }
            if let cacheControl, cacheControl.isEmpty || cacheControl.contains(where: { $0.isNewline }) {
                issue("CacheControl", "give a Cache-Control header value on one line (such as no-cache or max-age=3600), or leave it out.")
            }
            if let arn = kmsKey?.literal, arn.range(of: #"\Aarn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/\S+\z"#, options: .regularExpression) == nil {
                issue("KMSEncryptionKeyARN", "'\(arn)' is not a KMS key ARN (the S3 deploy action takes no key id or alias): use KMSKey.arn.")
            }
        }
        return issues
    }

    static func describe(_ range: ClosedRange<Int>) -> String {
        range.lowerBound == range.upperBound ? "exactly \(range.lowerBound)" : "\(range.lowerBound) to \(range.upperBound)"
    }
}

/// Creates, reads, updates and deletes pipelines; the physical id is the pipeline name.
struct CodePipelineProvider: ResourceProvider {
    let client: AWSClient
    let typeName = CodePipeline.typeName
    /// Adoption proof: the ownership tags; CreatePipeline takes the tags.
    let adoptionProof = AdoptionProof.ownershipTags
    let replaceOnChange: Set<String> = ["name"]

    func physicalID(for attributes: [String: JSON]) -> String? { attributes.string("name") }

    /// GetPipeline masks GitHub OAuth tokens (`****`): a masked token is reported as the token last applied,
    /// so that it never shows as drift.
    func read(id: String, prior: [String: JSON]) async throws -> Observed? {
        let result: JSON
        let tags: [JSON]
        do {
            result = try await client.json(.codePipeline.getPipeline, ["name": .string(id)])
            let arn = result["metadata"]?["pipelineArn"] ?? .null
            tags = try await client.jsonAll(.codePipeline.listTagsForResource, ["resourceArn": arn])
        } catch let error as AWSServiceError where error.isNotFound(["PipelineNotFoundException", "ResourceNotFoundException"]) {
            return nil
        }
        let pipeline = result["pipeline"] ?? [:]
        let priorStages = prior["stages"]?.arrayValue ?? []
        let stages = (pipeline["stages"]?.arrayValue ?? []).map { stage -> JSON in
            let priorStage = priorStages.first { $0["name"] == stage["name"] }
            let actions = (stage["actions"]?.arrayValue ?? []).map { action -> JSON in
                let priorAction = priorStage?["actions"]?.arrayValue?.first { $0["name"] == action["name"] }
                return observedAction(action, prior: priorAction)
            }
            return ["name": stage["name"] ?? "", "actions": .array(actions)]
        }
        let variables = (pipeline["variables"]?.arrayValue ?? []).map { variable -> JSON in
            var members: [String: JSON] = ["name": variable["name"] ?? ""]
            if let value = variable["defaultValue"], !value.isNull { members["defaultValue"] = value }
            if let description = variable["description"]?.stringValue, !description.isEmpty { members["description"] = .string(description) }
            return .object(members)
        }
        let attributes: [String: JSON] = [
            "name": pipeline["name"] ?? .string(id),
            "roleArn": pipeline["roleArn"] ?? .null,
            "artifactStore": Self.artifactStore(pipeline["artifactStore"]),
            "pipelineType": pipeline["pipelineType"] ?? "V1",
            "variables": .array(variables),
            "stages": .array(stages),
            "tags": tagMap(.array(tags)).json,
        ]
        return Observed(id: id, attributes: attributes, outputs: Self.outputs(result, name: id))
    }

    /// What CodePipeline does not model (see `UnmodeledSettings`): a V2 pipeline's triggers and execution mode (other
    /// than SUPERSEDED). An update keeps them.
    static let unmodeledPipeline = UnmodeledSettings(["executionMode", "triggers"], defaults: ["executionMode": ["SUPERSEDED"]])
    /// A stage's settings CodePipeline does not model: its conditions and what it does on failure or success.
    static let unmodeledStage = UnmodeledSettings(["onFailure", "onSuccess", "beforeEntry", "blockers"])
    /// An action's settings CodePipeline does not model: the role it assumes, its timeout, its commands and variables.
    static let unmodeledAction = UnmodeledSettings(["roleArn", "timeoutInMinutes", "commands", "outputVariables", "environmentVariables"])

    func create(_ attributes: [String: JSON]) async throws -> Applied {
        let name = attributes.string("name") ?? ""
        var input: [String: JSON] = ["pipeline": Self.declaration(attributes)]
        let tags = attributes.tags()
        if !tags.isEmpty { input["tags"] = tagList(tags) }
        _ = try await acceptingNewRole(attributes) { try await client.json(.codePipeline.createPipeline, .object(input)) }
        // CreatePipeline answers with the declaration but not the ARN. The ARN is the pipeline's name in the
        // role's partition and account (the role must be in the pipeline's account), so no read is needed for it.
        if let arn = Self.arn(name: name, region: client.region, roleArn: attributes.string("roleArn")) {
            return Applied(id: name, outputs: ["arn": .string(arn), "name": .string(name)])
        }
        let result = try await client.json(.codePipeline.getPipeline, ["name": .string(name)])
        return Applied(id: name, outputs: Self.outputs(result, name: name))
    }

    /// CodePipeline checks that it can assume the pipeline's role; a role created seconds earlier is refused
    /// (InvalidStructureException "CodePipeline is not authorized to perform AssumeRole on role ...") until IAM's change
    /// reaches it.
    private func acceptingNewRole(_ attributes: [String: JSON], _ call: () async throws -> JSON) async throws -> JSON {
        try await awaitingPropagation(
            of: roleDescription(attributes.string("roleArn")), to: "CodePipeline",
            refusals: [Refusal("InvalidStructureException", messageContains: ["not authorized"])], clock: client.waitClock,
            hint: "Check that the role exists and that its trust policy lets codepipeline.amazonaws.com assume it.", call)
    }

    /// `UpdatePipeline` with the whole declared structure (including the token in clear: CodePipeline needs it), keeping
    /// what the declaration does not model as the pipeline has it (`UnmodeledSettings`); tags are set and removed with
    /// `TagResource` / `UntagResource`.
    func update(id: String, from old: [String: JSON], to new: [String: JSON]) async throws -> Applied {
        var updated = new
        updated["name"] = .string(id)
        let structure = ["roleArn", "artifactStore", "pipelineType", "variables", "stages"]
        if structure.contains(where: { old[$0] != new[$0] }) {
            let live = try await client.json(.codePipeline.getPipeline, ["name": .string(id)])["pipeline"]
            let declaration = Self.declaration(updated, keeping: live)
            _ = try await acceptingNewRole(new) { try await client.json(.codePipeline.updatePipeline, ["pipeline": declaration]) }
        }
        let result = try await client.json(.codePipeline.getPipeline, ["name": .string(id)])
        let arn = result["metadata"]?["pipelineArn"] ?? .null
        try await TaggingAPI.codePipeline.sync(client, resource: arn.stringValue ?? "", from: old.tags(), to: new.tags())
        return Applied(id: id, outputs: Self.outputs(result, name: id))
    }

    func delete(id: String, attributes: [String: JSON]) async throws {
        try await ignoringNotFound(["PipelineNotFoundException", "ResourceNotFoundException"]) {
            _ = try await client.json(.codePipeline.deletePipeline, ["name": .string(id)])
        }
    }

    // MARK: Wire shapes

    /// The `PipelineDeclaration` for these attributes, with what they do not model as `live` (the pipeline as GetPipeline
    /// gives it, for an update) has it: its stages and actions matched by name, its triggers those whose source action is
    /// still declared.
    static func declaration(_ attributes: [String: JSON], keeping live: JSON? = nil) -> JSON {
        let liveStages = live?["stages"]?.arrayValue ?? []
        let stages = (attributes["stages"]?.arrayValue ?? []).map { stage -> JSON in
            let liveStage = liveStages.first { $0["name"] == stage["name"] }
            let liveActions = liveStage?["actions"]?.arrayValue ?? []
            let actions = (stage["actions"]?.arrayValue ?? []).map { action -> JSON in
                var members: [String: JSON] = [
                    "name": action["name"] ?? "",
                    "actionTypeId": [
                        "category": action["category"] ?? "", "owner": action["owner"] ?? "",
                        "provider": action["provider"] ?? "", "version": action["version"] ?? "1",
                    ],
                    "runOrder": action["runOrder"] ?? 1,
                    "configuration": action["configuration"] ?? [:],
                    "inputArtifacts": .array((action["inputArtifacts"]?.arrayValue ?? []).map { ["name": $0] }),
                    "outputArtifacts": .array((action["outputArtifacts"]?.arrayValue ?? []).map { ["name": $0] }),
                ]
                if let region = action["region"], !region.isNull { members["region"] = region }
                if let namespace = action["namespace"], !namespace.isNull { members["namespace"] = namespace }
                unmodeledAction.keep(from: liveActions.first { $0["name"] == action["name"] }, into: &members)
                return .object(members)
            }
            var members: [String: JSON] = ["name": stage["name"] ?? "", "actions": .array(actions)]
            unmodeledStage.keep(from: liveStage, into: &members)
            return .object(members)
        }
        var pipeline: [String: JSON] = [
            "name": attributes["name"] ?? "",
            "roleArn": attributes["roleArn"] ?? "",
            "artifactStore": attributes["artifactStore"] ?? [:],
            "pipelineType": attributes["pipelineType"] ?? "V1",
            "stages": .array(stages),
        ]
        if let variables = attributes["variables"]?.arrayValue, !variables.isEmpty { pipeline["variables"] = .array(variables) }
        unmodeledPipeline.keep(from: live, into: &pipeline)
        // A trigger names its source action: one whose action is no longer declared would be refused.
        let actions = Set(stages.flatMap { $0["actions"]?.arrayValue ?? [] }.compactMap { $0["name"]?.stringValue })
        if let triggers = pipeline["triggers"]?.arrayValue {
            let kept = triggers.filter { ($0["gitConfiguration"]?["sourceActionName"]?.stringValue).map(actions.contains) ?? true }
            pipeline["triggers"] = kept.isEmpty ? nil : .array(kept)
        }
        return .object(pipeline)
    }

    /// An action as the attributes write it. A masked OAuth token becomes the one last applied (`prior`), and a
    /// region equal to the pipeline's is reported as none when none was declared.
    func observedAction(_ action: JSON, prior: JSON?) -> JSON {
        var configuration = action["configuration"]?.objectValue ?? [:]
        if let token = configuration["OAuthToken"]?.stringValue, Self.isMasked(token),
            let priorToken = prior?["configuration"]?["OAuthToken"]
        {
            configuration["OAuthToken"] = priorToken
        }
        let type = action["actionTypeId"]
        var members: [String: JSON] = [
            "name": action["name"] ?? "",
            "category": type?["category"] ?? "", "owner": type?["owner"] ?? "",
            "provider": type?["provider"] ?? "", "version": type?["version"] ?? "",
            "runOrder": .int(action["runOrder"]?.intValue ?? 1),
            "configuration": .object(configuration),
            "inputArtifacts": .array((action["inputArtifacts"]?.arrayValue ?? []).map { $0["name"] ?? "" }),
            "outputArtifacts": .array((action["outputArtifacts"]?.arrayValue ?? []).map { $0["name"] ?? "" }),
        ]
        if let region = action["region"]?.stringValue, !region.isEmpty,
            !(region == client.region && prior != nil && prior?["region"] == nil)
        {
            members["region"] = .string(region)
        }
        if let namespace = action["namespace"]?.stringValue, !namespace.isEmpty { members["namespace"] = .string(namespace) }
        return .object(members)
    }

    /// Whether CodePipeline masked a secret (it answers `****` for configuration marked secret).
    static func isMasked(_ value: String) -> Bool { !value.isEmpty && value.allSatisfy { $0 == "*" } }

    static func artifactStore(_ live: JSON?) -> JSON {
        var members: [String: JSON] = ["type": live?["type"] ?? "S3", "location": live?["location"] ?? ""]
        if let key = live?["encryptionKey"], let id = key["id"] {
            members["encryptionKey"] = ["id": id, "type": key["type"] ?? "KMS"]
        }
        return .object(members)
    }

    /// `arn:PARTITION:codepipeline:REGION:ACCOUNT:NAME`, with the partition and account of `roleArn`.
    static func arn(name: String, region: String, roleArn: String?) -> String? {
        let parts = (roleArn ?? "").split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count >= 6, parts[0] == "arn", parts[2] == "iam", parts[4].count == 12, parts[4].allSatisfy(\.isNumber) else { return nil }
        return "arn:\(parts[1]):codepipeline:\(region):\(parts[4]):\(name)"
    }

    static func outputs(_ result: JSON, name: String) -> [String: JSON] {
        ["arn": result["metadata"]?["pipelineArn"] ?? .null, "name": .string(name)]
    }
}

// MARK: cairn generate

extension CodePipelineProvider: DiscoverableProvider {
    var swiftType: String { "CodePipeline" }
    var swiftNoun: String { "pipeline" }
    var swiftOutputs: [String: String] { ["arn": "arn", "name": "pipelineName"] }

    func discover() async throws -> [DiscoveredResource] {
        try await client.jsonAll(.codePipeline.listPipelines).compactMap { pipeline in
            pipeline["name"]?.stringValue.map { DiscoveredResource(id: $0, name: $0) }
        }
    }

    /// The read, with what the declaration does not model under `unmodeled` (`{"pipeline": {…}, "stages": [{"stage":
    /// {…}, "actions": [{…}]}]}`, in order), and a cross-region pipeline's `artifactStores`, for `swiftArguments`.
    func readForGeneration(id: String, prior: [String: JSON]) async throws -> Observed? {
        guard var live = try await read(id: id, prior: prior) else { return nil }
        let pipeline = try await client.json(.codePipeline.getPipeline, ["name": .string(id)])["pipeline"]
        let stages = (pipeline?["stages"]?.arrayValue ?? []).map { stage -> JSON in
            let actions = (stage["actions"]?.arrayValue ?? []).map { JSON.object(Self.unmodeledAction.read($0)) }
            return ["stage": .object(Self.unmodeledStage.read(stage)), "actions": .array(actions)]
        }
        live.attributes["unmodeled"] = ["pipeline": .object(Self.unmodeledPipeline.read(pipeline)), "stages": .array(stages)]
        if let stores = pipeline?["artifactStores"], !UnmodeledSettings.isEmpty(stores) { live.attributes["artifactStores"] = stores }
        return live
    }

    func swiftArguments(_ live: Observed, in context: SwiftContext) -> [SwiftArgument] {
        let attributes = live.attributes
        if attributes["artifactStores"] != nil {
            // The artifact store is required, and a cross-region pipeline has one per region instead.
            context.cannotDeclare("it keeps its artifacts in a store per region, which CodePipeline.ArtifactStore cannot say")
            return []
        }
        var arguments = [
            SwiftArgument("name", context.literal(live.id)),
            SwiftArgument("roleArn", context.input(attributes.string("roleArn") ?? "", naming: IAMRole.typeName, "arn")),
        ]
        let store = attributes["artifactStore"] ?? [:]
        var storeParts = [SwiftArgument("bucket", context.input(store["location"]?.stringValue ?? "", naming: S3Bucket.typeName, "name"))]
        if let key = store["encryptionKey"]?["id"]?.stringValue {
            storeParts.append(SwiftArgument("kmsKeyId", context.input(key, naming: "aws_kms_key", "arn")))
        }
        arguments.append(SwiftArgument("artifactStore", SwiftCode.call(".init", storeParts)))
        if attributes.string("pipelineType") == "V2" { arguments.append(SwiftArgument("pipelineType", ".v2")) }
        let variables = (attributes["variables"]?.arrayValue ?? []).map { variable -> String in
            var parts = [SwiftArgument(nil, context.literal(variable["name"]?.stringValue ?? ""))]
            if let value = variable["defaultValue"]?.stringValue { parts.append(SwiftArgument("defaultValue", context.literal(value))) }
            if let description = variable["description"]?.stringValue { parts.append(SwiftArgument("description", context.literal(description))) }
            return SwiftCode.call(".init", parts)
        }
        if !variables.isEmpty { arguments.append(SwiftArgument("variables", SwiftCode.array(variables))) }
        let unmodeled = attributes["unmodeled"]
        Self.unmodeledPipeline.report(unmodeled?["pipeline"], label: "", type: "CodePipeline", in: context)
        let stages = (attributes["stages"]?.arrayValue ?? []).enumerated().map { i, stage -> String in
            let stageName = stage["name"]?.stringValue ?? ""
            let stageUnmodeled = unmodeled?["stages"]?[i]
            Self.unmodeledStage.report(stageUnmodeled?["stage"], label: "stages.\(stageName)", type: "CodePipeline", in: context)
            let actions = (stage["actions"]?.arrayValue ?? []).enumerated().map { j, action in
                Self.unmodeledAction.report(
                    stageUnmodeled?["actions"]?[j], label: "stages.\(stageName).\(action["name"]?.stringValue ?? "")", type: "CodePipeline",
                    in: context)
                return actionSwift(action, stage: stageName, path: "stages[\(i)].actions[\(j)]", in: context)
            }
            return SwiftCode.call(".init", [SwiftArgument(nil, context.literal(stageName)), SwiftArgument(nil, SwiftCode.array(actions))])
        }
        arguments.append(SwiftArgument("stages", SwiftCode.array(stages)))
        if let tags = context.tags(live) { arguments.append(tags) }
        return arguments
    }

    /// `.init("Name", .kind(…), …)` for the action at `path`, its configuration written through the `ActionKind` that
    /// makes it.
    private func actionSwift(_ action: JSON, stage: String, path: String, in context: SwiftContext) -> String {
        let name = action["name"]?.stringValue ?? ""
        let configuration = action["configuration"]?.objectValue ?? [:]
        func text(_ key: String) -> String { configuration[key]?.stringValue ?? "" }
        func flag(_ key: String, default value: Bool, label: String) -> [SwiftArgument] {
            guard let text = configuration[key]?.stringValue, text != (value ? "true" : "false") else { return [] }
            return [SwiftArgument(label, text == "true" ? "true" : "false")]
        }
        func optional(_ key: String, _ label: String, input: Bool = false) -> [SwiftArgument] {
            guard let value = configuration[key]?.stringValue else { return [] }
            return [SwiftArgument(label, input ? context.input(value) : context.literal(value))]
        }
        let type = [action["category"], action["owner"], action["provider"]].map { $0?.stringValue ?? "" }
        let kind: String
        let expected: Set<String>
        switch (type[0], type[1], type[2]) {
        case ("Source", "ThirdParty", "GitHub"):
            kind = SwiftCode.call(
                ".gitHubSource",
                [
                    SwiftArgument("owner", context.literal(text("Owner"))), SwiftArgument("repo", context.literal(text("Repo"))),
                    SwiftArgument("branch", context.literal(text("Branch"))),
                    SwiftArgument("oauthToken", context.secret("GITHUB_TOKEN", attribute: "stages.\(stage).\(name).OAuthToken")),
                ] + flag("PollForSourceChanges", default: true, label: "pollForSourceChanges"))
            expected = ["Owner", "Repo", "Branch", "OAuthToken", "PollForSourceChanges"]
        case ("Source", "AWS", "CodeStarSourceConnection"):
            var parts = [
                SwiftArgument("connectionArn", context.input(text("ConnectionArn"))),
                SwiftArgument("fullRepositoryId", context.literal(text("FullRepositoryId"))),
                SwiftArgument("branchName", context.literal(text("BranchName"))),
            ]
            if text("OutputArtifactFormat") == "CODEBUILD_CLONE_REF" { parts.append(SwiftArgument("outputArtifactFormat", ".codeBuildCloneRef")) }
            kind = SwiftCode.call(".codeStarSource", parts + flag("DetectChanges", default: true, label: "detectChanges"))
            expected = ["ConnectionArn", "FullRepositoryId", "BranchName", "OutputArtifactFormat", "DetectChanges"]
        case ("Source", "AWS", "CodeCommit"):
            var parts = [
                SwiftArgument("repositoryName", context.input(text("RepositoryName"), naming: "aws_codecommit_repository", "name")),
                SwiftArgument("branchName", context.literal(text("BranchName"))),
            ]
            parts += flag("PollForSourceChanges", default: true, label: "pollForSourceChanges")
            if text("OutputArtifactFormat") == "CODEBUILD_CLONE_REF" { parts.append(SwiftArgument("outputArtifactFormat", ".codeBuildCloneRef")) }
            kind = SwiftCode.call(".codeCommitSource", parts)
            expected = ["RepositoryName", "BranchName", "PollForSourceChanges", "OutputArtifactFormat"]
        case ("Source", "AWS", "S3"):
            kind = SwiftCode.call(
                ".s3Source",
                [
                    SwiftArgument("bucket", context.input(text("S3Bucket"), naming: S3Bucket.typeName, "name")),
                    SwiftArgument("objectKey", context.literal(text("S3ObjectKey"))),
                ] + flag("PollForSourceChanges", default: true, label: "pollForSourceChanges"))
            expected = ["S3Bucket", "S3ObjectKey", "PollForSourceChanges"]
        case ("Build", "AWS", "CodeBuild"), ("Test", "AWS", "CodeBuild"):
            let project = context.input(text("ProjectName"), naming: CodeBuildProject.typeName, "name")
            kind = "\(type[0] == "Build" ? ".codeBuild" : ".codeBuildTest")(projectName: \(project))"
            expected = ["ProjectName"]
        case ("Approval", "AWS", "Manual"):
            kind = SwiftCode.call(
                ".manualApproval",
                optional("NotificationArn", "notificationArn", input: true) + optional("CustomData", "customData")
                    + optional("ExternalEntityLink", "externalEntityLink"))
            expected = ["NotificationArn", "CustomData", "ExternalEntityLink"]
        case ("Deploy", "AWS", "ECS"):
            var parts = [
                SwiftArgument("clusterName", context.input(text("ClusterName"), naming: ECSCluster.typeName, "name")),
                SwiftArgument("serviceName", context.input(text("ServiceName"), naming: ECSService.typeName, "name")),
            ]
            if let file = configuration["FileName"]?.stringValue, file != "imagedefinitions.json" {
                parts.append(SwiftArgument("fileName", context.literal(file)))
            }
            kind = SwiftCode.call(".ecsDeploy", parts)
            expected = ["ClusterName", "ServiceName", "FileName"]
        case ("Deploy", "AWS", "S3"):
            var parts = [
                SwiftArgument("bucketName", context.input(text("BucketName"), naming: S3Bucket.typeName, "name")),
                SwiftArgument("extract", text("Extract") == "true" ? "true" : "false"),
            ]
            parts += optional("ObjectKey", "objectKey") + optional("CacheControl", "cacheControl")
            if let acl = configuration["CannedACL"]?.stringValue, let known = CodePipeline.CannedACL(rawValue: acl) {
                parts.append(SwiftArgument("cannedACL", ".\(String(describing: known))"))
            }
            parts += optional("KMSEncryptionKeyARN", "kmsEncryptionKeyARN", input: true)
            kind = SwiftCode.call(".s3Deploy", parts)
            expected = ["BucketName", "Extract", "ObjectKey", "CacheControl", "CannedACL", "KMSEncryptionKeyARN"]
        default:
            // The pipeline needs every action, and any other kind would do something else.
            context.cannotDeclare(
                "its action \(stage).\(name) is a \(type.joined(separator: "/")) action, which CodePipeline.ActionKind does not name")
            kind = ".manualApproval()"
            expected = []
        }
        let extra = Set(configuration.keys).subtracting(expected)
        if !extra.isEmpty && !expected.isEmpty {
            context.cannotExpress(
                "stages.\(stage).\(name).configuration", "\(extra.sorted().joined(separator: ", ")) not declared",
                ignoringDrift: "\(path).configuration")
        }
        var arguments = [SwiftArgument(nil, context.literal(name)), SwiftArgument(nil, kind)]
        if let order = action["runOrder"]?.intValue, order != 1 { arguments.append(SwiftArgument("runOrder", String(order))) }
        for (key, label) in [("inputArtifacts", "inputArtifacts"), ("outputArtifacts", "outputArtifacts")] {
            let names = action[key]?.arrayValue?.compactMap(\.stringValue) ?? []
            if !names.isEmpty { arguments.append(SwiftArgument(label, SwiftCode.strings(names))) }
        }
        if let region = action["region"]?.stringValue { arguments.append(SwiftArgument("region", context.literal(region))) }
        if let namespace = action["namespace"]?.stringValue { arguments.append(SwiftArgument("namespace", context.literal(namespace))) }
        return SwiftCode.call(".init", arguments)
    }
}
