import CairnAWS
import CairnEngine
import CairnJSON

/// A CodeBuild project (`aws codebuild create-project`): where the source comes from, the build environment,
/// where artifacts, caches and logs go. Every change but the name is made in place with `UpdateProject`.
///
/// Attributes (as the state and plans show them), in CodeBuild's own shapes:
/// - `name`: a change replaces the project.
/// - `description`: a string, or null when there is none.
/// - `serviceRole`: the role ARN CodeBuild assumes.
/// - `source`: `{"type": "GITHUB"|"CODECOMMIT"|"S3"|"CODEPIPELINE"|"NO_SOURCE", "location"?: …, "buildspec"?: …}`.
/// - `artifacts`: `{"type": "CODEPIPELINE"}`, `{"type": "NO_ARTIFACTS"}`, or `{"type": "S3", "location": bucket,
///   "path"?: …, "name"?: …, "namespaceType": "NONE", "packaging": "NONE", "encryptionDisabled": false}`.
/// - `environment`: `{"type": "LINUX_CONTAINER", "image": …, "computeType": "BUILD_GENERAL1_SMALL",
///   "privilegedMode": false, "environmentVariables": [{"name", "value", "type": "PLAINTEXT"}…]}`.
/// - `cache`: `{"type": "NO_CACHE"}` (default), `{"type": "S3", "location": …}` or `{"type": "LOCAL", "modes": [sorted]}`.
/// - `logsConfig`: `{"cloudWatchLogs": {"status": "ENABLED", "groupName"?, "streamName"?}, "s3Logs": {"status": "DISABLED"}}`
///   by default; enabled S3 logs add `location` and `encryptionDisabled`.
/// - `timeoutInMinutes`: 60 by default; `queuedTimeoutInMinutes`: 480 by default.
/// - `tags`: an object of strings.
public struct CodeBuildProject: ResourceDeclaration {
    /// The type name in addresses and the state.
    public static let typeName = "aws_codebuild_project"

    /// The build specification: the YAML itself, or the path of a file in the source.
    public enum Buildspec: Sendable, Hashable {
        /// The buildspec YAML, inline.
        case inline(String)
        /// A path in the source (relative to its root), or an S3 ARN; `buildspec.yml` when there is none.
        case path(String)

        var text: String {
            switch self {
            case .inline(let text), .path(let text): return text
            }
        }
    }

    /// Where the source code comes from.
    public enum Source: Sendable {
        /// The input artifact of the CodePipeline action that runs the build.
        case codePipeline(buildspec: Buildspec? = nil)
        /// A GitHub repository, by its HTTPS clone URL (`https://github.com/owner/repo.git`).
        case gitHub(location: String, buildspec: Buildspec? = nil)
        /// A ZIP file in S3, as `bucket/key` (`my-bucket/src/app.zip`), or a folder as `bucket/prefix/`.
        case s3(location: Input<String>, buildspec: Buildspec? = nil)
        /// A CodeCommit repository, by its HTTPS clone URL.
        case codeCommit(location: Input<String>, buildspec: Buildspec? = nil)
        /// No source: the buildspec must be inline.
        case noSource(buildspec: Buildspec)

        var type: String {
            switch self {
            case .codePipeline: return "CODEPIPELINE"
            case .gitHub: return "GITHUB"
            case .s3: return "S3"
            case .codeCommit: return "CODECOMMIT"
            case .noSource: return "NO_SOURCE"
            }
        }

        var buildspec: Buildspec? {
            switch self {
            case .codePipeline(let buildspec), .gitHub(_, let buildspec), .s3(_, let buildspec), .codeCommit(_, let buildspec):
                return buildspec
            case .noSource(let buildspec):
                return buildspec
            }
        }

        var location: Input<String>? {
            switch self {
            case .gitHub(let location, _): return Input(location)
            case .s3(let location, _), .codeCommit(let location, _): return location
            case .codePipeline, .noSource: return nil
            }
        }

        var value: Value {
            var members: [String: Value] = ["type": .string(type)]
            if let location { members["location"] = location.value }
            if let buildspec { members["buildspec"] = .string(buildspec.text) }
            return .object(members)
        }
    }

    /// How S3 artifact names are built.
    public enum NamespaceType: String, Sendable {
        /// `path/name`.
        case none = "NONE"
        /// `path/BUILD_ID/name`.
        case buildID = "BUILD_ID"
    }

    /// How S3 artifacts are stored.
    public enum Packaging: String, Sendable {
        /// The files as they are.
        case none = "NONE"
        /// One ZIP file.
        case zip = "ZIP"
    }

    /// Where the build output goes.
    public enum Artifacts: Sendable {
        /// To the CodePipeline action's output artifacts.
        case codePipeline
        /// To the S3 bucket `location`, under `path`, named `name` (CodeBuild's default name when nil).
        case s3(
            location: Input<String>, path: String? = nil, name: String? = nil, namespaceType: NamespaceType = .none,
            packaging: Packaging = .none, encryptionDisabled: Bool = false)
        /// Nowhere: the build produces no artifacts.
        case noArtifacts

        var value: Value {
            switch self {
            case .codePipeline:
                return .object(["type": .string("CODEPIPELINE")])
            case .noArtifacts:
                return .object(["type": .string("NO_ARTIFACTS")])
            case .s3(let location, let path, let name, let namespaceType, let packaging, let encryptionDisabled):
                var members: [String: Value] = [
                    "type": .string("S3"), "location": location.value, "namespaceType": .string(namespaceType.rawValue),
                    "packaging": .string(packaging.rawValue), "encryptionDisabled": .bool(encryptionDisabled),
                ]
                if let path, !path.isEmpty { members["path"] = .string(path) }
                if let name, !name.isEmpty { members["name"] = .string(name) }
                return .object(members)
            }
        }
    }

    /// The kind of machine the build runs on.
    public enum EnvironmentType: String, Sendable {
        /// Linux on x86-64 (the usual choice; `aws/codebuild/standard:*` images).
        case linuxContainer = "LINUX_CONTAINER"
        /// Linux with a GPU.
        case linuxGPUContainer = "LINUX_GPU_CONTAINER"
        /// Linux on ARM (Graviton; `aws/codebuild/amazonlinux2-aarch64-standard:*` images).
        case armContainer = "ARM_CONTAINER"
        /// Windows Server Core 2019 (older name).
        case windowsContainer = "WINDOWS_CONTAINER"
        /// Windows Server 2019.
        case windowsServer2019Container = "WINDOWS_SERVER_2019_CONTAINER"
        /// Windows Server 2022.
        case windowsServer2022Container = "WINDOWS_SERVER_2022_CONTAINER"
        /// Linux on Lambda compute (fast start, no Docker); takes a `BUILD_LAMBDA_*` compute type.
        case linuxLambdaContainer = "LINUX_LAMBDA_CONTAINER"
        /// ARM on Lambda compute; takes a `BUILD_LAMBDA_*` compute type.
        case armLambdaContainer = "ARM_LAMBDA_CONTAINER"
        /// A Linux EC2 instance (reserved capacity fleets).
        case linuxEC2 = "LINUX_EC2"
        /// An ARM EC2 instance (reserved capacity fleets).
        case armEC2 = "ARM_EC2"
        /// A Windows EC2 instance (reserved capacity fleets).
        case windowsEC2 = "WINDOWS_EC2"
        /// macOS on Apple silicon (reserved capacity fleets).
        case macArm = "MAC_ARM"

        var isLambda: Bool { self == .linuxLambdaContainer || self == .armLambdaContainer }
    }

    /// The machine size.
    public enum ComputeType: String, Sendable {
        /// `BUILD_GENERAL1_SMALL` (3 GB, 2 vCPUs on Linux).
        case small = "BUILD_GENERAL1_SMALL"
        /// `BUILD_GENERAL1_MEDIUM` (7 GB, 4 vCPUs).
        case medium = "BUILD_GENERAL1_MEDIUM"
        /// `BUILD_GENERAL1_LARGE` (15 GB, 8 vCPUs).
        case large = "BUILD_GENERAL1_LARGE"
        /// `BUILD_GENERAL1_XLARGE`.
        case xlarge = "BUILD_GENERAL1_XLARGE"
        /// `BUILD_GENERAL1_2XLARGE`.
        case xxlarge = "BUILD_GENERAL1_2XLARGE"
        /// Lambda compute with 1 GB.
        case lambda1GB = "BUILD_LAMBDA_1GB"
        /// Lambda compute with 2 GB.
        case lambda2GB = "BUILD_LAMBDA_2GB"
        /// Lambda compute with 4 GB.
        case lambda4GB = "BUILD_LAMBDA_4GB"
        /// Lambda compute with 8 GB.
        case lambda8GB = "BUILD_LAMBDA_8GB"
        /// Lambda compute with 10 GB.
        case lambda10GB = "BUILD_LAMBDA_10GB"

        var isLambda: Bool { rawValue.hasPrefix("BUILD_LAMBDA_") }
    }

    /// Where an environment variable's value comes from.
    public enum VariableType: String, Sendable {
        /// The value itself.
        case plaintext = "PLAINTEXT"
        /// The value is the name of an SSM Parameter Store parameter.
        case parameterStore = "PARAMETER_STORE"
        /// The value is a Secrets Manager `secret-id:json-key:version-stage:version-id` reference.
        case secretsManager = "SECRETS_MANAGER"
    }

    /// One environment variable of the build.
    public struct EnvironmentVariable: Sendable {
        /// The variable's name.
        public var name: String
        /// The value, or the parameter or secret it comes from (see `type`).
        public var value: Input<String>
        /// Where the value comes from.
        public var type: VariableType

        /// A variable `name` with `value` (plain text unless `type` says otherwise).
        public init(_ name: String, _ value: Input<String>, type: VariableType = .plaintext) {
            self.name = name
            self.value = value
            self.type = type
        }

        var attributeValue: Value {
            .object(["name": .string(name), "value": value.value, "type": .string(type.rawValue)])
        }
    }

    /// The build environment.
    public struct Environment: Sendable {
        /// The kind of machine.
        public var type: EnvironmentType
        /// The image, e.g. `aws/codebuild/standard:7.0` or an ECR image URI.
        public var image: String
        /// The machine size.
        public var computeType: ComputeType
        /// Run the Docker daemon (for builds that build Docker images).
        public var privilegedMode: Bool
        /// Environment variables, in order.
        public var environmentVariables: [EnvironmentVariable]

        /// A Linux container environment on `image` unless told otherwise.
        public init(
            type: EnvironmentType = .linuxContainer, image: String, computeType: ComputeType = .small,
            privilegedMode: Bool = false, environmentVariables: [EnvironmentVariable] = []
        ) {
            self.type = type
            self.image = image
            self.computeType = computeType
            self.privilegedMode = privilegedMode
            self.environmentVariables = environmentVariables
        }

        var value: Value {
            .object([
                "type": .string(type.rawValue), "image": .string(image), "computeType": .string(computeType.rawValue),
                "privilegedMode": .bool(privilegedMode), "environmentVariables": .array(environmentVariables.map(\.attributeValue)),
            ])
        }
    }

    /// What a local cache keeps on the build host.
    public enum LocalCacheMode: String, Sendable {
        /// Docker image layers (needs `privilegedMode`).
        case dockerLayer = "LOCAL_DOCKER_LAYER_CACHE"
        /// The Git metadata of the source.
        case source = "LOCAL_SOURCE_CACHE"
        /// The directories the buildspec's `cache.paths` name.
        case custom = "LOCAL_CUSTOM_CACHE"
    }

    /// Where build caches are kept.
    public enum Cache: Sendable {
        /// No cache (CodeBuild's default).
        case noCache
        /// In S3, at `bucket/prefix`.
        case s3(location: Input<String>)
        /// On the build host, for the kinds in `modes`.
        case local(modes: [LocalCacheMode])

        var value: Value {
            switch self {
            case .noCache:
                return .object(["type": .string("NO_CACHE")])
            case .s3(let location):
                return .object(["type": .string("S3"), "location": location.value])
            case .local(let modes):
                return .object(["type": .string("LOCAL"), "modes": .array(Set(modes.map(\.rawValue)).sorted().map { .string($0) })])
            }
        }
    }

    /// Where CloudWatch Logs get the build logs.
    public enum CloudWatchLogs: Sendable {
        /// Logs to `groupName` (CodeBuild's `/aws/codebuild/PROJECT` when nil), in streams prefixed `streamName`.
        case enabled(groupName: Input<String>? = nil, streamName: String? = nil)
        /// No CloudWatch logs.
        case disabled

        var value: Value {
            switch self {
            case .disabled:
                return .object(["status": .string("DISABLED")])
            case .enabled(let groupName, let streamName):
                var members: [String: Value] = ["status": .string("ENABLED")]
                if let groupName { members["groupName"] = groupName.value }
                if let streamName { members["streamName"] = .string(streamName) }
                return .object(members)
            }
        }
    }

    /// Whether build logs also go to S3.
    public enum S3Logs: Sendable {
        /// No S3 logs (CodeBuild's default).
        case disabled
        /// Logs to `bucket/prefix` in `location`.
        case enabled(location: Input<String>, encryptionDisabled: Bool = false)

        var value: Value {
            switch self {
            case .disabled:
                return .object(["status": .string("DISABLED")])
            case .enabled(let location, let encryptionDisabled):
                return .object(["status": .string("ENABLED"), "location": location.value, "encryptionDisabled": .bool(encryptionDisabled)])
            }
        }
    }

    /// Where the build logs go.
    public struct LogsConfig: Sendable {
        /// CloudWatch Logs (enabled by default).
        public var cloudWatchLogs: CloudWatchLogs
        /// S3 (disabled by default).
        public var s3Logs: S3Logs

        /// CodeBuild's default: CloudWatch Logs on, S3 off.
        public init(cloudWatchLogs: CloudWatchLogs = .enabled(), s3Logs: S3Logs = .disabled) {
            self.cloudWatchLogs = cloudWatchLogs
            self.s3Logs = s3Logs
        }

        var value: Value {
            .object(["cloudWatchLogs": cloudWatchLogs.value, "s3Logs": s3Logs.value])
        }
    }

    /// The name in the stack (`aws_codebuild_project.<logicalName>`).
    public let logicalName: String
    /// The project name; a change replaces the project.
    public var name: Input<String>
    /// Up to 255 characters; nil (or empty) for none.
    public var description: String?
    /// The ARN of the role CodeBuild assumes (`IAMRole.arn`).
    public var serviceRole: Input<String>
    /// Where the source comes from.
    public var source: Source
    /// Where the output goes.
    public var artifacts: Artifacts
    /// The build environment.
    public var environment: Environment
    /// Where caches are kept.
    public var cache: Cache
    /// Where the logs go.
    public var logsConfig: LogsConfig
    /// Minutes before a running build is stopped (5 to 2160); 60 by default.
    public var timeoutInMinutes: Int
    /// Minutes a build may wait in the queue (5 to 480); 480 by default.
    public var queuedTimeoutInMinutes: Int
    /// AWS tags.
    public var tags: Tags
    /// Dependencies and lifecycle options for the engine.
    public var options: ResourceOptions

    /// A project named `name`, with CodeBuild's defaults for everything not given.
    public init(
        _ logicalName: String, name: Input<String>, description: String? = nil, serviceRole: Input<String>,
        source: Source, artifacts: Artifacts, environment: Environment, cache: Cache = .noCache,
        logsConfig: LogsConfig = LogsConfig(), timeoutInMinutes: Int = 60, queuedTimeoutInMinutes: Int = 480,
        tags: Tags = [:], options: ResourceOptions = ResourceOptions()
    ) {
        self.logicalName = logicalName
        self.name = name
        self.description = description
        self.serviceRole = serviceRole
        self.source = source
        self.artifacts = artifacts
        self.environment = environment
        self.cache = cache
        self.logsConfig = logsConfig
        self.timeoutInMinutes = timeoutInMinutes
        self.queuedTimeoutInMinutes = queuedTimeoutInMinutes
        self.tags = tags
        self.options = options
    }

    /// The project's ARN.
    public var arn: Output<String> { Output(output("arn")) }
    /// The project's name, what a pipeline's CodeBuild action takes.
    public var projectName: Output<String> { Output(output("name")) }

    /// Every managed attribute, with CodeBuild's defaults filled in (see the type's documentation).
    public var attributes: [String: Value] {
        [
            "name": name.value,
            "description": .optional(description.flatMap { $0.isEmpty ? nil : $0 }),
            "serviceRole": serviceRole.value,
            "source": source.value,
            "artifacts": artifacts.value,
            "environment": environment.value,
            "cache": cache.value,
            "logsConfig": logsConfig.value,
            "timeoutInMinutes": .int(timeoutInMinutes),
            "queuedTimeoutInMinutes": .int(queuedTimeoutInMinutes),
            "tags": .json(tags.json),
        ]
    }

    /// CodeBuild's project name rule, from its API model.
    static let namePattern = #"\A[A-Za-z0-9][A-Za-z0-9_-]{1,149}\z"#

    /// The name, description, role, source, environment, cache, logs, timeouts and tags, as CodeBuild checks them.
    public func validate() -> [ValidationIssue] {
        var issues = checkName(
            name, address: address, attribute: "name", length: 2...150, pattern: Self.namePattern,
            rule: "project names are 2 to 150 letters, digits, hyphens and underscores, starting with a letter or digit")
        func issue(_ attribute: String, _ message: String) {
            issues.append(ValidationIssue(address: address, attribute: attribute, message: message))
        }
        if let description, description.count > 255 {
            issue("description", "the description has \(description.count) characters; CodeBuild allows 255.")
        }
        if let role = serviceRole.literal, role.range(of: #"\Aarn:aws[a-z-]*:iam::[0-9]{12}:role/\S+\z"#, options: .regularExpression) == nil {
            issue("serviceRole", "'\(role)' is not a role ARN: use the role's arn output, or write it like arn:aws:iam::123456789012:role/build.")
        }
        switch source {
        case .noSource(.path(let path)):
            issue(
                "source.buildspec", "a project without source has no file '\(path)' to read: give the buildspec inline (.inline(\"version: 0.2 …\"))."
            )
        case .gitHub(let location, _) where !location.hasPrefix("https://"):
            issue("source.location", "'\(location)' is not a repository URL: write it like https://github.com/owner/repo.git.")
        default:
            break
        }
        if let location = source.location?.literal, location.isEmpty {
            issue("source.location", "the source location is empty.")
        }
        if source.buildspec?.text.isEmpty == true {
            issue("source.buildspec", "the buildspec is empty: give its YAML or a path, or nil for the source's buildspec.yml.")
        }
        if case .s3(let location, _, _, _, _, _) = artifacts, location.literal?.isEmpty == true {
            issue("artifacts.location", "S3 artifacts need a bucket name.")
        }
        if environment.image.isEmpty {
            issue("environment.image", "name an image, like aws/codebuild/standard:7.0.")
        }
        if environment.computeType.isLambda != environment.type.isLambda {
            issue(
                "environment.computeType",
                environment.type.isLambda
                    ? "a Lambda environment (\(environment.type.rawValue)) takes a BUILD_LAMBDA_* compute type, not \(environment.computeType.rawValue)."
                    : "\(environment.computeType.rawValue) is for Lambda environments only (LINUX_LAMBDA_CONTAINER, ARM_LAMBDA_CONTAINER).")
        }
        if environment.privilegedMode && environment.type.isLambda {
            issue("environment.privilegedMode", "Lambda environments cannot run Docker: turn privilegedMode off, or use a container environment.")
        }
        var variableNames = Set<String>()
        for (i, variable) in environment.environmentVariables.enumerated() {
            if variable.name.isEmpty {
                issue("environment.environmentVariables[\(i)].name", "an environment variable needs a name.")
            } else if variable.name.hasPrefix("CODEBUILD_") {
                issue("environment.environmentVariables[\(i)].name", "names starting with CODEBUILD_ are reserved by CodeBuild.")
            } else if !variableNames.insert(variable.name).inserted {
                issue("environment.environmentVariables[\(i)].name", "'\(variable.name)' is defined twice: define each variable once.")
            }
            if variable.type != .plaintext, variable.value.literal?.isEmpty == true {
                issue(
                    "environment.environmentVariables[\(i)].value",
                    "a \(variable.type.rawValue) variable's value names the parameter or secret: it cannot be empty.")
            }
        }
        switch cache {
        case .local(let modes) where modes.isEmpty:
            issue("cache.modes", "a local cache needs at least one mode, like .dockerLayer.")
        case .s3(let location) where location.literal?.isEmpty == true:
            issue("cache.location", "an S3 cache needs a bucket (and optional prefix).")
        default:
            break
        }
        if case .enabled(let location, _) = logsConfig.s3Logs, location.literal?.isEmpty == true {
            issue("logsConfig.s3Logs.location", "S3 logs need a bucket (and optional prefix).")
        }
        if !(5...2160).contains(timeoutInMinutes) {
            issue("timeoutInMinutes", "\(timeoutInMinutes) minutes is outside CodeBuild's range of 5 to 2160.")
        }
        if !(5...480).contains(queuedTimeoutInMinutes) {
            issue("queuedTimeoutInMinutes", "\(queuedTimeoutInMinutes) minutes is outside CodeBuild's range of 5 to 480.")
        }
        return issues + checkTags(tags, address: address)
    }
}

/// Creates, reads, updates and deletes CodeBuild projects; the physical id is the project name.
struct CodeBuildProjectProvider: ResourceProvider {
    let client: AWSClient
    let typeName = CodeBuildProject.typeName
    /// Adoption proof: the ownership tags; CreateProject takes the tags.
    let adoptionProof = AdoptionProof.ownershipTags
    let replaceOnChange: Set<String> = ["name"]

    func physicalID(for attributes: [String: JSON]) -> String? { attributes.string("name") }

    func read(id: String, prior: [String: JSON]) async throws -> Observed? {
        let result: JSON
        do {
            result = try await client.json(.codeBuild.batchGetProjects, ["names": [.string(id)]])
        } catch let error as AWSServiceError where error.isNotFound(["ResourceNotFoundException"]) {
            return nil
        }
        guard let project = result["projects"]?.arrayValue?.first(where: { $0["name"]?.stringValue == id }) else { return nil }
        let description = project["description"]?.stringValue.flatMap { $0.isEmpty ? nil : $0 }
        return Observed(
            id: id,
            attributes: [
                "name": .string(id),
                "description": description.map { .string($0) } ?? .null,
                "serviceRole": project["serviceRole"] ?? .null,
                "source": Self.source(project["source"]),
                "artifacts": Self.artifacts(project["artifacts"], projectName: id, prior: prior["artifacts"]),
                "environment": Self.environment(project["environment"]),
                "cache": Self.cache(project["cache"]),
                "logsConfig": Self.logsConfig(project["logsConfig"]),
                "timeoutInMinutes": .int(project["timeoutInMinutes"]?.intValue ?? 60),
                "queuedTimeoutInMinutes": .int(project["queuedTimeoutInMinutes"]?.intValue ?? 480),
                "tags": tagMap(project["tags"]).json,
            ], outputs: Self.outputs(project, name: id))
    }

    func create(_ attributes: [String: JSON]) async throws -> Applied {
        let name = attributes.string("name") ?? ""
        var input = Self.projectInput(attributes)
        let tags = attributes.tags()
        if !tags.isEmpty { input["tags"] = tagList(tags) }
        let result = try await acceptingNewRole(attributes) { try await client.json(.codeBuild.createProject, .object(input)) }
        return Applied(id: name, outputs: Self.outputs(result["project"] ?? [:], name: name))
    }

    /// `UpdateProject` with the whole declared configuration; its `tags` replace the project's tags (an empty
    /// list removes them all), and an empty description removes it.
    func update(id: String, from old: [String: JSON], to new: [String: JSON]) async throws -> Applied {
        var input = Self.projectInput(new)
        input["name"] = .string(id)
        input["description"] = .string(new.string("description") ?? "")
        input["tags"] = tagList(new.tags())
        let result = try await acceptingNewRole(new) { try await client.json(.codeBuild.updateProject, .object(input)) }
        return Applied(id: id, outputs: Self.outputs(result["project"] ?? [:], name: id))
    }

    /// CodeBuild checks that it can assume the service role; a role created seconds earlier is refused
    /// ("CodeBuild is not authorized to perform: sts:AssumeRole") until IAM's change reaches it.
    private func acceptingNewRole(_ attributes: [String: JSON], _ call: () async throws -> JSON) async throws -> JSON {
        try await awaitingPropagation(
            of: roleDescription(attributes.string("serviceRole")), to: "CodeBuild",
            refusals: [Refusal("InvalidInputException", messageContains: ["not authorized to perform"])], clock: client.waitClock,
            hint: "Check that the role exists and that its trust policy lets codebuild.amazonaws.com assume it.", call)
    }

    func delete(id: String, attributes: [String: JSON]) async throws {
        try await ignoringNotFound(["ResourceNotFoundException"]) {
            _ = try await client.json(.codeBuild.deleteProject, ["name": .string(id)])
        }
    }

    // MARK: Wire shapes

    /// The members `CreateProject` and `UpdateProject` share, from the attributes (which use CodeBuild's shapes).
    static func projectInput(_ attributes: [String: JSON]) -> [String: JSON] {
        var input: [String: JSON] = [
            "name": attributes["name"] ?? .null,
            "serviceRole": attributes["serviceRole"] ?? .null,
            "source": attributes["source"] ?? ["type": "NO_SOURCE"],
            "artifacts": attributes["artifacts"] ?? ["type": "NO_ARTIFACTS"],
            "environment": attributes["environment"] ?? [:],
            "cache": attributes["cache"] ?? ["type": "NO_CACHE"],
            "logsConfig": attributes["logsConfig"] ?? [:],
            "timeoutInMinutes": .int(attributes.int("timeoutInMinutes") ?? 60),
            "queuedTimeoutInMinutes": .int(attributes.int("queuedTimeoutInMinutes") ?? 480),
        ]
        if let description = attributes.string("description"), !description.isEmpty { input["description"] = .string(description) }
        return input
    }

    static func outputs(_ project: JSON, name: String) -> [String: JSON] {
        ["arn": project["arn"] ?? .null, "name": .string(name)]
    }

    /// The members Cairn manages, in the declarations' shape.
    static func source(_ live: JSON?) -> JSON {
        var members: [String: JSON] = ["type": live?["type"] ?? "NO_SOURCE"]
        if let location = live?["location"]?.stringValue, !location.isEmpty { members["location"] = .string(location) }
        if let buildspec = live?["buildspec"]?.stringValue, !buildspec.isEmpty { members["buildspec"] = .string(buildspec) }
        return .object(members)
    }

    /// S3 artifacts with CodeBuild's defaults for absent members. CodeBuild names the artifact after the project
    /// when no name was given; that is reported as no name when none was declared.
    static func artifacts(_ live: JSON?, projectName: String, prior: JSON?) -> JSON {
        let type = live?["type"]?.stringValue ?? "NO_ARTIFACTS"
        guard type == "S3" else { return .object(["type": .string(type)]) }
        var members: [String: JSON] = [
            "type": "S3",
            "location": live?["location"] ?? "",
            "namespaceType": live?["namespaceType"] ?? "NONE",
            "packaging": live?["packaging"] ?? "NONE",
            "encryptionDisabled": live?["encryptionDisabled"] ?? false,
        ]
        if let path = live?["path"]?.stringValue, !path.isEmpty { members["path"] = .string(path) }
        if let name = live?["name"]?.stringValue, !name.isEmpty {
            let declaredNone = prior?["type"]?.stringValue == "S3" && prior?["name"] == nil
            if !(declaredNone && name == projectName) { members["name"] = .string(name) }
        }
        return .object(members)
    }

    static func environment(_ live: JSON?) -> JSON {
        let variables = (live?["environmentVariables"]?.arrayValue ?? []).map { variable -> JSON in
            ["name": variable["name"] ?? "", "value": variable["value"] ?? "", "type": variable["type"] ?? "PLAINTEXT"]
        }
        return [
            "type": live?["type"] ?? "LINUX_CONTAINER",
            "image": live?["image"] ?? "",
            "computeType": live?["computeType"] ?? "BUILD_GENERAL1_SMALL",
            "privilegedMode": live?["privilegedMode"] ?? false,
            "environmentVariables": .array(variables),
        ]
    }

    static func cache(_ live: JSON?) -> JSON {
        switch live?["type"]?.stringValue ?? "NO_CACHE" {
        case "S3":
            return ["type": "S3", "location": live?["location"] ?? ""]
        case "LOCAL":
            let modes = Set((live?["modes"]?.arrayValue ?? []).compactMap(\.stringValue)).sorted()
            return ["type": "LOCAL", "modes": .array(modes.map { .string($0) })]
        default:
            return ["type": "NO_CACHE"]
        }
    }

    static func logsConfig(_ live: JSON?) -> JSON {
        var cloudWatch: [String: JSON] = ["status": live?["cloudWatchLogs"]?["status"] ?? "ENABLED"]
        if cloudWatch["status"] == "ENABLED" {
            if let group = live?["cloudWatchLogs"]?["groupName"]?.stringValue, !group.isEmpty { cloudWatch["groupName"] = .string(group) }
            if let stream = live?["cloudWatchLogs"]?["streamName"]?.stringValue, !stream.isEmpty { cloudWatch["streamName"] = .string(stream) }
        }
        var s3: [String: JSON] = ["status": live?["s3Logs"]?["status"] ?? "DISABLED"]
        if s3["status"] == "ENABLED" {
            s3["location"] = live?["s3Logs"]?["location"] ?? ""
            s3["encryptionDisabled"] = live?["s3Logs"]?["encryptionDisabled"] ?? false
        }
        return ["cloudWatchLogs": .object(cloudWatch), "s3Logs": .object(s3)]
    }
}

// MARK: cairn generate

extension CodeBuildProjectProvider: DiscoverableProvider {
    var swiftType: String { "CodeBuildProject" }
    var swiftNoun: String { "project" }
    var swiftOutputs: [String: String] { ["arn": "arn", "name": "projectName"] }

    func discover() async throws -> [DiscoveredResource] {
        try await client.jsonAll(.codeBuild.listProjects).compactMap(\.stringValue).map { DiscoveredResource(id: $0, name: $0) }
    }

    func swiftArguments(_ live: Observed, in context: SwiftContext) -> [SwiftArgument] {
        let attributes = live.attributes
        var arguments = [SwiftArgument("name", context.literal(live.id))]
        if let description = attributes.string("description") { arguments.append(SwiftArgument("description", context.literal(description))) }
        arguments.append(SwiftArgument("serviceRole", context.input(attributes.string("serviceRole") ?? "", naming: IAMRole.typeName, "arn")))

        let source = attributes["source"] ?? [:]
        var buildspec: [SwiftArgument] = []
        if let text = source["buildspec"]?.stringValue {
            let swift =
                text.contains("\n") ? ".inline(\(context.constant("\(context.variable)Buildspec", text)))" : ".path(\(context.literal(text)))"
            buildspec = [SwiftArgument("buildspec", swift)]
        }
        let location = source["location"]?.stringValue ?? ""
        switch source["type"]?.stringValue ?? "NO_SOURCE" {
        case "CODEPIPELINE": arguments.append(SwiftArgument("source", SwiftCode.call(".codePipeline", buildspec)))
        case "GITHUB":
            arguments.append(SwiftArgument("source", SwiftCode.call(".gitHub", [SwiftArgument("location", context.literal(location))] + buildspec)))
        case "S3": arguments.append(SwiftArgument("source", SwiftCode.call(".s3", [SwiftArgument("location", context.input(location))] + buildspec)))
        case "CODECOMMIT":
            arguments.append(SwiftArgument("source", SwiftCode.call(".codeCommit", [SwiftArgument("location", context.input(location))] + buildspec)))
        case "NO_SOURCE" where !buildspec.isEmpty: arguments.append(SwiftArgument("source", SwiftCode.call(".noSource", buildspec)))
        case let type:
            // A project needs its source, and any other would be a wrong one.
            context.cannotDeclare("its source is of type \(type), which CodeBuildProject.Source does not name")
        }

        let artifacts = attributes["artifacts"] ?? [:]
        switch artifacts["type"]?.stringValue ?? "NO_ARTIFACTS" {
        case "CODEPIPELINE": arguments.append(SwiftArgument("artifacts", ".codePipeline"))
        case "S3":
            var parts = [SwiftArgument("location", context.input(artifacts["location"]?.stringValue ?? "", naming: S3Bucket.typeName, "name"))]
            for key in ["path", "name"] {
                if let text = artifacts[key]?.stringValue { parts.append(SwiftArgument(key, context.literal(text))) }
            }
            if artifacts["namespaceType"]?.stringValue == "BUILD_ID" { parts.append(SwiftArgument("namespaceType", ".buildID")) }
            if artifacts["packaging"]?.stringValue == "ZIP" { parts.append(SwiftArgument("packaging", ".zip")) }
            if artifacts["encryptionDisabled"]?.boolValue == true { parts.append(SwiftArgument("encryptionDisabled", "true")) }
            arguments.append(SwiftArgument("artifacts", SwiftCode.call(".s3", parts)))
        default: arguments.append(SwiftArgument("artifacts", ".noArtifacts"))
        }

        let environment = attributes["environment"] ?? [:]
        var parts: [SwiftArgument] = []
        let type = environment["type"]?.stringValue ?? "LINUX_CONTAINER"
        if type != "LINUX_CONTAINER" {
            if let known = CodeBuildProject.EnvironmentType(rawValue: type) {
                parts.append(SwiftArgument("type", ".\(Self.caseName(known))"))
            } else {
                context.cannotExpress(
                    "environment.type", "\(type) is not an environment type CodeBuildProject names", ignoringDrift: "environment.type")
            }
        }
        parts.append(SwiftArgument("image", context.literal(environment["image"]?.stringValue ?? "")))
        let compute = environment["computeType"]?.stringValue ?? "BUILD_GENERAL1_SMALL"
        if compute != "BUILD_GENERAL1_SMALL" {
            if let known = CodeBuildProject.ComputeType(rawValue: compute) {
                parts.append(SwiftArgument("computeType", ".\(Self.caseName(known))"))
            } else {
                context.cannotExpress(
                    "environment.computeType", "\(compute) is not a compute type CodeBuildProject names", ignoringDrift: "environment.computeType")
            }
        }
        if environment["privilegedMode"]?.boolValue == true { parts.append(SwiftArgument("privilegedMode", "true")) }
        let variables = (environment["environmentVariables"]?.arrayValue ?? []).map { variable -> String in
            var items = [
                SwiftArgument(nil, context.literal(variable["name"]?.stringValue ?? "")),
                SwiftArgument(nil, context.input(variable["value"]?.stringValue ?? "")),
            ]
            switch variable["type"]?.stringValue {
            case "PARAMETER_STORE": items.append(SwiftArgument("type", ".parameterStore"))
            case "SECRETS_MANAGER": items.append(SwiftArgument("type", ".secretsManager"))
            default: break
            }
            return SwiftCode.call(".init", items)
        }
        if !variables.isEmpty { parts.append(SwiftArgument("environmentVariables", SwiftCode.array(variables))) }
        arguments.append(SwiftArgument("environment", SwiftCode.call(".init", parts)))

        let cache = attributes["cache"] ?? [:]
        switch cache["type"]?.stringValue {
        case "S3": arguments.append(SwiftArgument("cache", ".s3(location: \(context.input(cache["location"]?.stringValue ?? "")))"))
        case "LOCAL":
            let names = ["LOCAL_DOCKER_LAYER_CACHE": ".dockerLayer", "LOCAL_SOURCE_CACHE": ".source", "LOCAL_CUSTOM_CACHE": ".custom"]
            let modes = (cache["modes"]?.arrayValue ?? []).compactMap { $0.stringValue.flatMap { names[$0] } }
            arguments.append(SwiftArgument("cache", ".local(modes: \(SwiftCode.array(modes)))"))
        default: break
        }

        let logs = attributes["logsConfig"] ?? [:]
        var logParts: [SwiftArgument] = []
        let cloudWatch = logs["cloudWatchLogs"] ?? [:]
        if cloudWatch["status"]?.stringValue == "DISABLED" {
            logParts.append(SwiftArgument("cloudWatchLogs", ".disabled"))
        } else if cloudWatch["groupName"] != nil || cloudWatch["streamName"] != nil {
            var items: [SwiftArgument] = []
            if let group = cloudWatch["groupName"]?.stringValue {
                items.append(SwiftArgument("groupName", context.input(group, naming: LogGroup.typeName, "name")))
            }
            if let stream = cloudWatch["streamName"]?.stringValue { items.append(SwiftArgument("streamName", context.literal(stream))) }
            logParts.append(SwiftArgument("cloudWatchLogs", SwiftCode.call(".enabled", items)))
        }
        let s3Logs = logs["s3Logs"] ?? [:]
        if s3Logs["status"]?.stringValue == "ENABLED" {
            var items = [SwiftArgument("location", context.input(s3Logs["location"]?.stringValue ?? ""))]
            if s3Logs["encryptionDisabled"]?.boolValue == true { items.append(SwiftArgument("encryptionDisabled", "true")) }
            logParts.append(SwiftArgument("s3Logs", SwiftCode.call(".enabled", items)))
        }
        if !logParts.isEmpty { arguments.append(SwiftArgument("logsConfig", SwiftCode.call(".init", logParts))) }
        if let minutes = attributes.int("timeoutInMinutes"), minutes != 60 { arguments.append(SwiftArgument("timeoutInMinutes", String(minutes))) }
        if let minutes = attributes.int("queuedTimeoutInMinutes"), minutes != 480 {
            arguments.append(SwiftArgument("queuedTimeoutInMinutes", String(minutes)))
        }
        if let tags = context.tags(live) { arguments.append(tags) }
        return arguments
    }

    /// The Swift case name of an enum value (`.medium`), as the compiler spells it.
    static func caseName<T>(_ value: T) -> String { String(describing: value) }
}
