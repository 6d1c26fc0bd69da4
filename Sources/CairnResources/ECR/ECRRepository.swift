import CairnAWS
import CairnEngine
import CairnJSON

/// An ECR repository (`aws ecr create-repository`), with its lifecycle policy, repository policy and tags.
///
/// Attributes (as the state and plans show them):
/// - `name`: the repository name.
/// - `imageTagMutability`: `"MUTABLE"` (default) or `"IMMUTABLE"`.
/// - `scanOnPush`: `false` by default.
/// - `encryption`: `{"encryptionType": "AES256"}` (default) or `{"encryptionType": "KMS", "kmsKey": …}`
///   (no `kmsKey` member for ECR's AWS-managed key). AWS cannot change it: a change replaces the repository.
/// - `lifecyclePolicy`: the JSON document ECR takes (`{"rules": [...]}`, rules in priority order), or null.
/// - `repositoryPolicy`: the policy document in IAM's normal form, or null.
/// - `tags`: an object of strings.
/// - `forceDestroy`: local to Cairn (never read from AWS): delete the repository even if it holds images.
public struct ECRRepository: ResourceDeclaration {
    /// The type name in addresses and the state.
    public static let typeName = "aws_ecr_repository"

    /// Whether a pushed tag may later point at another image.
    public enum ImageTagMutability: String, Sendable {
        case mutable = "MUTABLE"
        case immutable = "IMMUTABLE"
    }

    /// How ECR encrypts the images at rest. Fixed at creation.
    public enum Encryption: Sendable {
        /// Amazon S3-managed keys (AES-256), ECR's default.
        case aes256
        /// AWS KMS: `key` is a key ARN, id or alias; nil means ECR's AWS-managed key (`aws/ecr`).
        case kms(key: Input<String>? = nil)

        var value: Value {
            switch self {
            case .aes256:
                return .object(["encryptionType": .string("AES256")])
            case .kms(let key):
                var members: [String: Value] = ["encryptionType": .string("KMS")]
                if let key { members["kmsKey"] = key.value }
                return .object(members)
            }
        }
    }

    /// One rule of a lifecycle policy: which images it selects, and when they expire.
    public struct LifecycleRule: Sendable {
        /// Which images a rule looks at, by their tags.
        public enum TagStatus: String, Sendable {
            /// Images with a tag starting with one of `tagPrefixList`.
            case tagged
            /// Images without any tag.
            case untagged
            /// Every image. Such a rule must have the highest priority number (it is evaluated last).
            case any
        }

        /// When the selected images expire.
        public enum CountType: Sendable {
            /// Keep the `count` newest images; expire the rest.
            case imageCountMoreThan(Int)
            /// Expire images pushed more than `days` days ago.
            case sinceImagePushed(days: Int)

            var number: Int {
                switch self {
                case .imageCountMoreThan(let count): return count
                case .sinceImagePushed(let days): return days
                }
            }
        }

        /// The order of evaluation (1 first); unique within the policy.
        public var priority: Int
        /// Shown in the console; optional.
        public var description: String?
        /// Which images the rule selects.
        public var tagStatus: TagStatus
        /// Tag prefixes, for `tagStatus: .tagged` (required there, not allowed otherwise).
        public var tagPrefixList: [String]
        /// When the selected images expire.
        public var countType: CountType

        /// A rule; `tagPrefixList` only for `tagStatus: .tagged`.
        public init(
            priority: Int, description: String? = nil, tagStatus: TagStatus, tagPrefixList: [String] = [],
            countType: CountType
        ) {
            self.priority = priority
            self.description = description
            self.tagStatus = tagStatus
            self.tagPrefixList = tagPrefixList
            self.countType = countType
        }

        /// The rule as ECR's lifecycle policy JSON writes it.
        public var json: JSON {
            var selection: [String: JSON] = ["tagStatus": .string(tagStatus.rawValue)]
            if !tagPrefixList.isEmpty { selection["tagPrefixList"] = .array(tagPrefixList.map { .string($0) }) }
            switch countType {
            case .imageCountMoreThan(let count):
                selection["countType"] = "imageCountMoreThan"
                selection["countNumber"] = .int(count)
            case .sinceImagePushed(let days):
                selection["countType"] = "sinceImagePushed"
                selection["countUnit"] = "days"
                selection["countNumber"] = .int(days)
            }
            var rule: [String: JSON] = [
                "rulePriority": .int(priority),
                "selection": .object(selection),
                "action": ["type": "expire"],
            ]
            if let description { rule["description"] = .string(description) }
            return .object(rule)
        }
    }

    /// A lifecycle policy: rules that expire images. Write it as an array literal of rules.
    public struct LifecyclePolicy: Sendable, ExpressibleByArrayLiteral {
        /// The rules, in any order (they are written in priority order).
        public var rules: [LifecycleRule]

        /// A policy of `rules`.
        public init(rules: [LifecycleRule]) { self.rules = rules }
        /// A policy of the rules listed.
        public init(arrayLiteral rules: LifecycleRule...) { self.rules = rules }

        /// The document ECR takes (`lifecyclePolicyText`), rules in priority order.
        public var json: JSON {
            .object(["rules": .array(rules.sorted { $0.priority < $1.priority }.map(\.json))])
        }
    }

    /// The name in the stack (`aws_ecr_repository.<logicalName>`).
    public let logicalName: String
    /// The repository name (`team/app`); a change replaces the repository.
    public var name: Input<String>
    /// Whether tags can be moved to other images; default mutable.
    public var imageTagMutability: ImageTagMutability
    /// Scan each image for vulnerabilities when it is pushed; default off.
    public var scanOnPush: Bool
    /// Encryption at rest; fixed at creation (a change replaces the repository).
    public var encryption: Encryption
    /// Rules that expire old images; nil for none.
    public var lifecyclePolicy: LifecyclePolicy?
    /// Who may pull or push (a resource policy: every statement names a principal).
    public var repositoryPolicy: PolicyDocument?
    /// AWS tags.
    public var tags: Tags
    /// Delete the repository even when it still holds images (they are deleted with it).
    public var forceDestroy: Bool
    /// Dependencies and lifecycle options for the engine.
    public var options: ResourceOptions

    /// A repository named `name`, with ECR's defaults for everything not given.
    public init(
        _ logicalName: String, name: Input<String>, imageTagMutability: ImageTagMutability = .mutable,
        scanOnPush: Bool = false, encryption: Encryption = .aes256, lifecyclePolicy: LifecyclePolicy? = nil,
        repositoryPolicy: PolicyDocument? = nil, tags: Tags = [:], forceDestroy: Bool = false,
        options: ResourceOptions = ResourceOptions()
    ) {
        self.logicalName = logicalName
        self.name = name
        self.imageTagMutability = imageTagMutability
        self.scanOnPush = scanOnPush
        self.encryption = encryption
        self.lifecyclePolicy = lifecyclePolicy
        self.repositoryPolicy = repositoryPolicy
        self.tags = tags
        self.forceDestroy = forceDestroy
        self.options = options
    }

    /// The repository's ARN.
    public var arn: Output<String> { Output(output("arn")) }
    /// The repository's name.
    public var repositoryName: Output<String> { Output(output("name")) }
    /// `ACCOUNT.dkr.ecr.REGION.amazonaws.com/NAME`, what `docker push` takes.
    public var uri: Output<String> { Output(output("uri")) }
    /// The account id of the registry.
    public var registryId: Output<String> { Output(output("registryId")) }

    /// Every managed attribute, with ECR's defaults filled in (see the type's documentation).
    public var attributes: [String: Value] {
        [
            "name": name.value,
            "imageTagMutability": .string(imageTagMutability.rawValue),
            "scanOnPush": .bool(scanOnPush),
            "encryption": encryption.value,
            "lifecyclePolicy": lifecyclePolicy.map { .json($0.json) } ?? .null,
            "repositoryPolicy": repositoryPolicy?.value ?? .null,
            "tags": .json(tags.json),
            "forceDestroy": .bool(forceDestroy),
        ]
    }

    /// ECR's repository name rule, from its API model: lower-case components separated by `.`, `_`, `__` or
    /// hyphens, in `/`-separated namespaces.
    static let namePattern = #"\A[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*)*\z"#

    /// The repository name, the KMS key, the lifecycle rules, the repository policy and the tags, as ECR checks them.
    public func validate() -> [ValidationIssue] {
        var issues = checkName(
            name, address: address, attribute: "name", length: 2...256, pattern: Self.namePattern,
            rule: "repository names are 2 to 256 lower-case letters and digits, separated by '.', '_', '-' "
                + "or '/' (for namespaces), starting and ending with a letter or digit")
        if let kmsKey = kmsKeyLiteral, kmsKey.isEmpty || kmsKey.count > 2048 {
            issues.append(
                ValidationIssue(
                    address: address, attribute: "encryption.kmsKey",
                    message: "a KMS key is named by 1 to 2048 characters (an ARN, key id or alias): fix it, or use .kms() for ECR's AWS-managed key.")
            )
        }
        if let lifecyclePolicy { issues += validateLifecycle(lifecyclePolicy) }
        if let repositoryPolicy {
            issues += repositoryPolicy.validate(address: address, attribute: "repositoryPolicy", requiresResource: false, requiresPrincipal: true)
        }
        return issues + checkTags(tags, address: address)
    }

    private var kmsKeyLiteral: String? {
        if case .kms(let key?) = encryption { return key.literal }
        return nil
    }

    private func validateLifecycle(_ policy: LifecyclePolicy) -> [ValidationIssue] {
        var issues: [ValidationIssue] = []
        func issue(_ path: String, _ message: String) {
            issues.append(ValidationIssue(address: address, attribute: "lifecyclePolicy\(path)", message: message))
        }
        if policy.rules.isEmpty {
            issue("", "the lifecycle policy has no rules: add one, or set lifecyclePolicy to nil.")
        }
        var priorities: Set<Int> = []
        let highest = policy.rules.map(\.priority).max() ?? 0
        for (i, rule) in policy.rules.enumerated() {
            let path = ".rules[\(i)]"
            if rule.priority < 1 {
                issue("\(path).rulePriority", "rule priorities start at 1: \(rule.priority) is not allowed.")
            } else if !priorities.insert(rule.priority).inserted {
                issue("\(path).rulePriority", "priority \(rule.priority) is used by two rules: give each rule its own priority.")
            }
            if rule.countType.number < 1 {
                issue("\(path).selection.countNumber", "the count must be at least 1, not \(rule.countType.number).")
            }
            switch rule.tagStatus {
            case .tagged where rule.tagPrefixList.isEmpty:
                issue("\(path).selection.tagPrefixList", "a rule for tagged images needs at least one tag prefix, like [\"v\"].")
            case .untagged, .any:
                if !rule.tagPrefixList.isEmpty {
                    issue("\(path).selection.tagPrefixList", "tag prefixes apply only to tagged images: remove them, or use tagStatus .tagged.")
                }
            default:
                break
            }
            if rule.tagPrefixList.contains(where: \.isEmpty) {
                issue("\(path).selection.tagPrefixList", "a tag prefix cannot be empty.")
            }
            if rule.tagStatus == .any && rule.priority != highest {
                issue(
                    "\(path).rulePriority",
                    "a rule for any image must have the highest priority number (\(highest) or more), as ECR evaluates it last.")
            }
        }
        return issues
    }
}

/// The repository still holds images and `forceDestroy` is not set.
public struct ECRRepositoryNotEmptyError: Error, Sendable, CustomStringConvertible {
    /// The repository's name.
    public let repository: String

    /// What happened and the two ways out.
    public var description: String {
        "The ECR repository '\(repository)' still holds images, so it was not deleted: delete its images first, "
            + "or set forceDestroy: true on the repository (and apply) to delete them with it."
    }
}

/// Creates, reads, updates and deletes ECR repositories; the physical id is the repository name.
struct ECRRepositoryProvider: ResourceProvider {
    let client: AWSClient
    let typeName = ECRRepository.typeName
    /// Adoption proof: the ownership tags; CreateRepository takes the tags.
    let adoptionProof = AdoptionProof.ownershipTags
    // A delete loses its images: a plan names an undeclared rename of it.
    let holdsData = true
    let replaceOnChange: Set<String> = ["name", "encryption"]

    func physicalID(for attributes: [String: JSON]) -> String? { attributes.string("name") }

    /// Destroy's check: the repository and its tags, without its policies.
    func ownershipRead(id: String, prior: [String: JSON]) async throws -> Observed? {
        do {
            let result = try await client.json(.ecr.describeRepositories, ["repositoryNames": [.string(id)]])
            guard let repository = result["repositories"]?[0] else { return nil }
            let tags = try await client.json(.ecr.listTagsForResource, ["resourceArn": repository["repositoryArn"] ?? .null])
            return Observed(
                id: id, attributes: ["name": .string(id), "tags": tagMap(tags["tags"], keyName: "Key", valueName: "Value").json],
                outputs: [:])
        } catch let error as AWSServiceError where error.isNotFound(["RepositoryNotFoundException"]) {
            return nil
        }
    }

    func read(id: String, prior: [String: JSON]) async throws -> Observed? {
        let repository: JSON
        let lifecycle: String?
        let policy: String?
        let tags: JSON
        do {
            let result = try await client.json(.ecr.describeRepositories, ["repositoryNames": [.string(id)]])
            guard let first = result["repositories"]?[0] else { return nil }
            repository = first
            lifecycle = try await optionalDocument(
                .ecr.getLifecyclePolicy, key: "lifecyclePolicyText", id: id,
                notFound: "LifecyclePolicyNotFoundException")
            policy = try await optionalDocument(
                .ecr.getRepositoryPolicy, key: "policyText", id: id,
                notFound: "RepositoryPolicyNotFoundException")
            tags = try await client.json(.ecr.listTagsForResource, ["resourceArn": repository["repositoryArn"] ?? .null])
        } catch let error as AWSServiceError where error.isNotFound(["RepositoryNotFoundException"]) {
            return nil  // gone, possibly between two of these calls
        }
        return Observed(
            id: id,
            attributes: [
                "name": repository["repositoryName"] ?? .string(id),
                "imageTagMutability": repository["imageTagMutability"] ?? "MUTABLE",
                "scanOnPush": repository["imageScanningConfiguration"]?["scanOnPush"] ?? false,
                "encryption": observedEncryption(repository["encryptionConfiguration"], prior: prior["encryption"]),
                "lifecyclePolicy": lifecycle.map { text in Self.parseLifecycle(text).map(Self.normalizeLifecycle) ?? .string(text) } ?? .null,
                "repositoryPolicy": policy.map { text in PolicyNormalizer.parse(text) ?? .string(text) } ?? .null,
                "tags": tagMap(tags["tags"], keyName: "Key", valueName: "Value").json,
            ], outputs: outputs(repository))
    }

    func create(_ attributes: [String: JSON]) async throws -> Applied {
        let name = attributes.string("name") ?? ""
        var input: [String: JSON] = [
            "repositoryName": .string(name),
            "imageTagMutability": .string(attributes.string("imageTagMutability") ?? "MUTABLE"),
            "imageScanningConfiguration": ["scanOnPush": .bool(attributes.bool("scanOnPush") ?? false)],
            "encryptionConfiguration": attributes["encryption"]?.objectValue.map { .object($0) } ?? ["encryptionType": "AES256"],
        ]
        let tags = attributes.tags()
        if !tags.isEmpty { input["tags"] = tagList(tags, keyName: "Key", valueName: "Value") }
        let result = try await client.json(.ecr.createRepository, .object(input))
        if let lifecycle = attributes["lifecyclePolicy"], !lifecycle.isNull {
            try await putLifecycle(lifecycle, id: name)
        }
        if let policy = attributes["repositoryPolicy"], !policy.isNull {
            try await setPolicy(policy, id: name)
        }
        return Applied(id: name, outputs: outputs(result["repository"] ?? [:]))
    }

    func update(id: String, from old: [String: JSON], to new: [String: JSON]) async throws -> Applied {
        let result = try await client.json(.ecr.describeRepositories, ["repositoryNames": [.string(id)]])
        let repository = result["repositories"]?[0] ?? [:]
        if old["imageTagMutability"] != new["imageTagMutability"] {
            _ = try await client.json(
                .ecr.putImageTagMutability,
                [
                    "repositoryName": .string(id), "imageTagMutability": new["imageTagMutability"] ?? "MUTABLE",
                ])
        }
        if old["scanOnPush"] != new["scanOnPush"] {
            _ = try await client.json(
                .ecr.putImageScanningConfiguration,
                [
                    "repositoryName": .string(id), "imageScanningConfiguration": ["scanOnPush": new["scanOnPush"] ?? false],
                ])
        }
        let oldLifecycle = old["lifecyclePolicy"] ?? .null
        let newLifecycle = new["lifecyclePolicy"] ?? .null
        if oldLifecycle != newLifecycle {
            if newLifecycle.isNull {
                try await ignoringNotFound(["LifecyclePolicyNotFoundException"]) {
                    _ = try await client.json(.ecr.deleteLifecyclePolicy, ["repositoryName": .string(id)])
                }
            } else {
                try await putLifecycle(newLifecycle, id: id)
            }
        }
        let oldPolicy = old["repositoryPolicy"] ?? .null
        let newPolicy = new["repositoryPolicy"] ?? .null
        if oldPolicy != newPolicy {
            if newPolicy.isNull {
                try await ignoringNotFound(["RepositoryPolicyNotFoundException"]) {
                    _ = try await client.json(.ecr.deleteRepositoryPolicy, ["repositoryName": .string(id)])
                }
            } else {
                try await setPolicy(newPolicy, id: id)
            }
        }
        let arn = repository["repositoryArn"] ?? .null
        try await TaggingAPI.ecr.sync(client, resource: arn.stringValue ?? "", from: old.tags(), to: new.tags())
        return Applied(id: id, outputs: outputs(repository))
    }

    func delete(id: String, attributes: [String: JSON]) async throws {
        do {
            _ = try await client.json(
                .ecr.deleteRepository,
                [
                    "repositoryName": .string(id), "force": .bool(attributes.bool("forceDestroy") ?? false),
                ])
        } catch let error as AWSServiceError where error.isNotFound(["RepositoryNotFoundException"]) {
            return
        } catch let error as AWSServiceError where error.code == "RepositoryNotEmptyException" {
            throw ECRRepositoryNotEmptyError(repository: id)
        }
    }

    // MARK: Helpers

    private func outputs(_ repository: JSON) -> [String: JSON] {
        [
            "arn": repository["repositoryArn"] ?? .null,
            "name": repository["repositoryName"] ?? .null,
            "uri": repository["repositoryUri"] ?? .null,
            "registryId": repository["registryId"] ?? .null,
        ]
    }

    private func putLifecycle(_ document: JSON, id: String) async throws {
        _ = try await client.json(
            .ecr.putLifecyclePolicy,
            [
                "repositoryName": .string(id), "lifecyclePolicyText": .string(document.description),
            ])
    }

    /// ECR refuses a policy naming an IAM principal created seconds earlier ("Invalid repository policy provided")
    /// until IAM's change reaches it. It gives the same answer to a policy that is wrong, so only a policy naming IAM
    /// roles or users, which may be that new, is tried again.
    private func setPolicy(_ document: JSON, id: String) async throws {
        let statements = document["Statement"].map { $0.arrayValue ?? [$0] } ?? []
        let principals = statements.flatMap { statement -> [JSON] in
            guard let aws = statement["Principal"]?["AWS"] else { return [] }
            return aws.arrayValue ?? [aws]
        }
        let namesIAMPrincipals = principals.contains { $0.stringValue.map { $0.contains(":role/") || $0.contains(":user/") } ?? false }
        _ = try await awaitingPropagation(
            of: "the principals of repository \(id)'s policy", to: "ECR",
            refusals: namesIAMPrincipals ? [Refusal("InvalidParameterException", messageContains: ["Invalid repository policy provided"])] : [],
            clock: client.waitClock,
            hint: "Check that every principal the policy names exists, and its actions and conditions (ECR says the same of either)."
        ) {
            try await client.json(.ecr.setRepositoryPolicy, ["repositoryName": .string(id), "policyText": .string(document.description)])
        }
    }

    /// The text under `key` of a Get* answer, or nil when ECR says there is none.
    private func optionalDocument(_ operation: JSONOperation, key: String, id: String, notFound: String) async throws -> String? {
        do {
            return try await client.json(operation, ["repositoryName": .string(id)])[key]?.stringValue
        } catch let error as AWSServiceError where error.isNotFound([notFound]) {
            return nil
        }
    }

    /// The encryption as declared: ECR names the AWS-managed key by its ARN, and a declared key id or alias by
    /// its ARN too, so the live key is reported in the declared form when it is the key that was declared.
    private func observedEncryption(_ live: JSON?, prior: JSON?) -> JSON {
        let type = live?["encryptionType"]?.stringValue ?? "AES256"
        var members: [String: JSON] = ["encryptionType": .string(type)]
        guard type != "AES256", let liveKey = live?["kmsKey"]?.stringValue else { return .object(members) }
        let priorIsKMS = prior?["encryptionType"]?.stringValue == type
        if priorIsKMS, let declared = prior?["kmsKey"]?.stringValue {
            let same = declared == liveKey || liveKey.hasSuffix(":key/\(declared)") || declared.hasPrefix("alias/")
            members["kmsKey"] = .string(same ? declared : liveKey)
        } else if !priorIsKMS {
            members["kmsKey"] = .string(liveKey)
        }
        // prior: KMS with no key declared → ECR's AWS-managed key, reported as declared (no kmsKey).
        return .object(members)
    }

    static func parseLifecycle(_ text: String) -> JSON? { try? JSON(parsing: text) }

    /// Rules in priority order, as declarations write them.
    static func normalizeLifecycle(_ document: JSON) -> JSON {
        guard case .object(var members) = document, let rules = members["rules"]?.arrayValue else { return document }
        members["rules"] = .array(rules.sorted { ($0["rulePriority"]?.intValue ?? 0) < ($1["rulePriority"]?.intValue ?? 0) })
        return .object(members)
    }
}

// MARK: cairn generate

extension ECRRepositoryProvider: DiscoverableProvider {
    var swiftType: String { "ECRRepository" }
    var swiftNoun: String { "repository" }
    var swiftOutputs: [String: String] { ["arn": "arn", "name": "repositoryName", "uri": "uri"] }

    func discover() async throws -> [DiscoveredResource] {
        try await client.jsonAll(.ecr.describeRepositories).compactMap { repository in
            repository["repositoryName"]?.stringValue.map { DiscoveredResource(id: $0, name: $0) }
        }
    }

    func swiftArguments(_ live: Observed, in context: SwiftContext) -> [SwiftArgument] {
        let attributes = live.attributes
        var arguments = [SwiftArgument("name", context.literal(attributes.string("name") ?? live.id))]
        if attributes.string("imageTagMutability") == "IMMUTABLE" { arguments.append(SwiftArgument("imageTagMutability", ".immutable")) }
        if attributes.bool("scanOnPush") == true { arguments.append(SwiftArgument("scanOnPush", "true")) }
        if attributes["encryption"]?["encryptionType"]?.stringValue == "KMS" {
            let key = attributes["encryption"]?["kmsKey"]?.stringValue
            arguments.append(SwiftArgument("encryption", key.map { ".kms(key: \(context.input($0, naming: "aws_kms_key", "arn")))" } ?? ".kms()"))
        }
        if let policy = attributes["lifecyclePolicy"], !policy.isNull {
            if let rules = Self.lifecycleSwift(policy, in: context) {
                arguments.append(SwiftArgument("lifecyclePolicy", rules))
            } else {
                context.cannotExpress("lifecyclePolicy", "a rule uses what LifecycleRule cannot say", ignoringDrift: "lifecyclePolicy")
            }
        }
        if let policy = attributes["repositoryPolicy"], !policy.isNull {
            if let swift = PolicyDocument.swift(policy, in: context) {
                arguments.append(SwiftArgument("repositoryPolicy", swift))
            } else {
                context.cannotExpress(
                    "repositoryPolicy", "the policy uses what PolicyStatement cannot say (\(PolicyDocument.unsayable(policy)))",
                    ignoringDrift: "repositoryPolicy")
            }
        }
        if let tags = context.tags(live) { arguments.append(tags) }
        // Cairn's own (never read from AWS): known when the stack's state records the repository.
        if attributes.bool("forceDestroy") == true { arguments.append(SwiftArgument("forceDestroy", "true")) }
        return arguments
    }

    /// `[.init(priority: 1, …), …]` for a lifecycle policy whose rules all expire images by count or age; nil otherwise.
    static func lifecycleSwift(_ policy: JSON, in context: SwiftContext) -> String? {
        guard case .object(let members) = policy, members.keys.sorted() == ["rules"], let rules = members["rules"]?.arrayValue else { return nil }
        var out: [String] = []
        for rule in rules {
            guard case .object(let fields) = rule, Set(fields.keys).isSubset(of: ["rulePriority", "description", "selection", "action"]),
                fields["action"] == ["type": "expire"], let priority = fields["rulePriority"]?.intValue,
                case .object(let selection)? = fields["selection"],
                Set(selection.keys).isSubset(of: ["tagStatus", "tagPrefixList", "countType", "countUnit", "countNumber"]),
                let status = selection["tagStatus"]?.stringValue, ["tagged", "untagged", "any"].contains(status),
                let number = selection["countNumber"]?.intValue
            else { return nil }
            let countType: String
            switch (selection["countType"]?.stringValue, selection["countUnit"]?.stringValue) {
            case ("imageCountMoreThan", nil): countType = ".imageCountMoreThan(\(number))"
            case ("sinceImagePushed", "days"): countType = ".sinceImagePushed(days: \(number))"
            default: return nil
            }
            var arguments = [SwiftArgument("priority", String(priority))]
            if let description = fields["description"] {
                guard let text = description.stringValue else { return nil }
                arguments.append(SwiftArgument("description", context.literal(text)))
            }
            arguments.append(SwiftArgument("tagStatus", ".\(status)"))
            if let prefixes = selection["tagPrefixList"] {
                guard let list = prefixes.arrayValue?.compactMap(\.stringValue) else { return nil }
                arguments.append(SwiftArgument("tagPrefixList", SwiftCode.strings(list)))
            }
            arguments.append(SwiftArgument("countType", countType))
            out.append(SwiftCode.call(".init", arguments))
        }
        return SwiftCode.array(out)
    }
}
