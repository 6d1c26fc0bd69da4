import CairnAWS
import CairnEngine
import CairnJSON

/// A customer-managed IAM policy (`aws iam create-policy`): a named, versioned permissions document that
/// roles, users and groups attach.
///
/// A change of the document makes a new policy version, set as the default; IAM keeps at most five
/// versions, so at the limit the oldest non-default version is deleted first.
///
/// Attributes (as the state and plans show them):
/// - `name`, `path` (default `"/"`), `description` (a string, or null when there is none): IAM cannot change
///   them, so a change replaces the policy.
/// - `document`: the default version's document in IAM's normal form (see `PolicyNormalizer`).
/// - `tags`: an object of strings.
public struct IAMPolicy: ResourceDeclaration {
    /// The type name in addresses and the state.
    public static let typeName = "aws_iam_policy"

    /// The name in the stack (`aws_iam_policy.<logicalName>`).
    public let logicalName: String
    /// The policy name, unique in the account; a change replaces the policy.
    public var name: Input<String>
    /// `/` or `/a/path/`; a change replaces the policy.
    public var path: String
    /// Up to 1000 characters; nil (or empty) for none. IAM cannot change it: a change replaces the policy.
    public var description: String?
    /// The permissions (an identity policy: every statement names a resource, none names a principal).
    public var document: PolicyDocument
    /// AWS tags.
    public var tags: Tags
    /// Dependencies and lifecycle options for the engine.
    public var options: ResourceOptions

    /// A policy named `name` granting `document`.
    public init(
        _ logicalName: String, name: Input<String>, path: String = "/", description: String? = nil,
        document: PolicyDocument, tags: Tags = [:], options: ResourceOptions = ResourceOptions()
    ) {
        self.logicalName = logicalName
        self.name = name
        self.path = path
        self.description = description
        self.document = document
        self.tags = tags
        self.options = options
    }

    /// The policy's ARN, what `IAMRole.managedPolicyArns` takes.
    public var arn: Output<String> { Output(output("arn")) }
    /// The policy's name.
    public var policyName: Output<String> { Output(output("name")) }

    /// Every managed attribute, with IAM's defaults filled in (see the type's documentation).
    public var attributes: [String: Value] {
        [
            "name": name.value,
            "path": .string(path),
            "description": .optional(description.flatMap { $0.isEmpty ? nil : $0 }),
            "document": document.value,
            "tags": .json(tags.json),
        ]
    }

    /// IAM's policy name rule (`[\w+=,.@-]+`, 1 to 128 characters).
    static let namePattern = #"\A[A-Za-z0-9_+=,.@-]+\z"#
    /// IAM's policy path rule (`((/[A-Za-z0-9\.,\+@=_-]+)*)/`).
    static let pathPattern = #"\A(?:/[A-Za-z0-9.,+@=_-]+)*/\z"#

    /// The name, path, description, document and tags, as IAM checks them.
    public func validate() -> [ValidationIssue] {
        var issues = checkName(
            name, address: address, attribute: "name", length: 1...128, pattern: Self.namePattern,
            rule: "policy names are 1 to 128 letters, digits and + = , . @ _ -")
        func issue(_ attribute: String, _ message: String) {
            issues.append(ValidationIssue(address: address, attribute: attribute, message: message))
        }
        if path.count > 512 || path.range(of: Self.pathPattern, options: .regularExpression) == nil {
            issue(
                "path",
                "'\(path)' is not an IAM policy path: it must be '/' or start and end with '/' (like '/ci/'), "
                    + "with letters, digits and . , + @ = _ - between, up to 512 characters.")
        }
        if let description {
            if description.count > 1000 {
                issue("description", "the description has \(description.count) characters; IAM allows 1000.")
            }
            if description.range(of: IAMRole.descriptionPattern, options: .regularExpression) == nil {
                issue("description", "the description may contain only printable Latin-1 characters, tabs and line breaks.")
            }
        }
        issues += document.validate(address: address, attribute: "document", requiresResource: true, requiresPrincipal: false)
        return issues + checkTags(tags, address: address)
    }
}

/// Creates, reads, updates and deletes customer-managed IAM policies; the physical id is the policy ARN.
struct IAMPolicyProvider: ResourceProvider {
    let client: AWSClient
    let typeName = IAMPolicy.typeName
    /// Adoption proof: the ownership tags; CreatePolicy takes the tags.
    let adoptionProof = AdoptionProof.ownershipTags
    let replaceOnChange: Set<String> = ["name", "path", "description"]

    /// IAM keeps at most this many versions of a managed policy.
    static let versionLimit = 5

    /// The path and name (`/ci/deploy`), which `read` resolves to the ARN: the ARN itself holds the account id,
    /// unknown before the create.
    func physicalID(for attributes: [String: JSON]) -> String? {
        guard let name = attributes.string("name") else { return nil }
        return (attributes.string("path") ?? "/") + name
    }

    func read(id: String, prior: [String: JSON]) async throws -> Observed? {
        guard let arn = try await resolveARN(id) else { return nil }
        let policy: XMLNode
        let document: JSON
        let tags: [String: String]
        do {
            policy = try await client.query(.iam.getPolicy, ["PolicyArn": arn])["Policy"] ?? XMLNode("Policy")
            let version = try await client.query(
                .iam.getPolicyVersion,
                [
                    "PolicyArn": arn, "VersionId": policy.string("DefaultVersionId") ?? "",
                ])
            let text = version["PolicyVersion"]?.string("Document") ?? ""
            document = PolicyNormalizer.parse(text) ?? .string(text)
            tags =
                policy["Tags"] != nil
                ? IAMRoleProvider.tags(policy["Tags"])
                : IAMRoleProvider.tags(XMLNode("Tags", children: try await client.queryAll(.iam.listPolicyTags, ["PolicyArn": arn])))
        } catch let error as AWSServiceError where error.isNotFound(["NoSuchEntity"]) {
            return nil
        }
        let description = policy.string("Description").flatMap { $0.isEmpty ? nil : $0 }
        return Observed(
            id: arn,
            attributes: [
                "name": .string(policy.string("PolicyName") ?? ""),
                "path": .string(policy.string("Path") ?? "/"),
                "description": description.map { .string($0) } ?? .null,
                "document": document,
                "tags": tags.json,
            ], outputs: Self.outputs(policy))
    }

    func create(_ attributes: [String: JSON]) async throws -> Applied {
        var parameters: QueryParameters = [
            "PolicyName": attributes.string("name") ?? "",
            "Path": attributes.string("path") ?? "/",
            "PolicyDocument": (attributes["document"] ?? [:]).description,
        ]
        if let description = attributes.string("description"), !description.isEmpty { parameters["Description"] = description }
        let tags = attributes.tags()
        if !tags.isEmpty { parameters.list("Tags", tags.keys.sorted().map { ["Key": $0, "Value": tags[$0]!] }) }
        let name = attributes.string("name") ?? ""
        let policy =
            try await afterOtherChanges(to: "IAM policy \(name)", refusals: [.iamConcurrentModification], clock: client.waitClock) {
                try await client.query(.iam.createPolicy, parameters)
            }["Policy"] ?? XMLNode("Policy")
        return Applied(id: policy.string("Arn") ?? "", outputs: Self.outputs(policy))
    }

    /// A new document becomes a new default version (after deleting the oldest other version at IAM's limit of
    /// five); tags are set and removed in place.
    func update(id: String, from old: [String: JSON], to new: [String: JSON]) async throws -> Applied {
        if old["document"] != new["document"] {
            let versions = try await client.queryAll(.iam.listPolicyVersions, ["PolicyArn": id])
            if versions.count >= Self.versionLimit, let oldest = Self.oldestNonDefault(versions) {
                try await ignoringNotFound(["NoSuchEntity"]) {
                    _ = try await client.query(.iam.deletePolicyVersion, ["PolicyArn": id, "VersionId": oldest])
                }
            }
            _ = try await client.query(
                .iam.createPolicyVersion,
                [
                    "PolicyArn": id, "PolicyDocument": (new["document"] ?? [:]).description, "SetAsDefault": "true",
                ])
        }
        try await TaggingAPI.iamPolicy.sync(client, resource: id, from: old.tags(), to: new.tags())
        let policy = try await client.query(.iam.getPolicy, ["PolicyArn": id])["Policy"] ?? XMLNode("Policy")
        return Applied(id: id, outputs: Self.outputs(policy))
    }

    /// Detaches the policy from every role, user and group, deletes its non-default versions (IAM refuses to
    /// delete a policy with either), then deletes it.
    func delete(id: String, attributes: [String: JSON]) async throws {
        try await ignoringNotFound(["NoSuchEntity"]) {
            guard let arn = try await resolveARN(id) else { return }
            var groups: [String] = []
            var users: [String] = []
            var roles: [String] = []
            for page in try await client.queryPages(.iam.listEntitiesForPolicy, ["PolicyArn": arn]) {
                groups += page.list("PolicyGroups").compactMap { $0.string("GroupName") }
                users += page.list("PolicyUsers").compactMap { $0.string("UserName") }
                roles += page.list("PolicyRoles").compactMap { $0.string("RoleName") }
            }
            for role in roles {
                try await ignoringNotFound(["NoSuchEntity"]) {
                    _ = try await client.query(.iam.detachRolePolicy, ["RoleName": role, "PolicyArn": arn])
                }
            }
            for user in users {
                try await ignoringNotFound(["NoSuchEntity"]) {
                    _ = try await client.query(.iam.detachUserPolicy, ["UserName": user, "PolicyArn": arn])
                }
            }
            for group in groups {
                try await ignoringNotFound(["NoSuchEntity"]) {
                    _ = try await client.query(.iam.detachGroupPolicy, ["GroupName": group, "PolicyArn": arn])
                }
            }
            for version in try await client.queryAll(.iam.listPolicyVersions, ["PolicyArn": arn])
            where version.string("IsDefaultVersion") != "true" {
                guard let versionID = version.string("VersionId") else { continue }
                try await ignoringNotFound(["NoSuchEntity"]) {
                    _ = try await client.query(.iam.deletePolicyVersion, ["PolicyArn": arn, "VersionId": versionID])
                }
            }
            _ = try await client.query(.iam.deletePolicy, ["PolicyArn": arn])
        }
    }

    // MARK: Helpers

    /// `id` itself when it is an ARN; for a planned id (`/path/name`, from an interrupted create), the ARN of the
    /// account's policy with that path and name, or nil when there is none.
    private func resolveARN(_ id: String) async throws -> String? {
        if id.hasPrefix("arn:") { return id }
        guard let slash = id.lastIndex(of: "/") else { return nil }
        let path = String(id[...slash])
        let name = String(id[id.index(after: slash)...])
        let policies = try await client.queryAll(.iam.listPolicies, ["Scope": "Local", "PathPrefix": path])
        return policies.first { $0.string("PolicyName") == name && $0.string("Path") == path }?.string("Arn")
    }

    /// The id of the oldest version that is not the default (the lowest `vN`), or nil when there is none.
    static func oldestNonDefault(_ versions: [XMLNode]) -> String? {
        versions.filter { $0.string("IsDefaultVersion") != "true" }
            .compactMap { $0.string("VersionId") }
            .min { versionNumber($0) < versionNumber($1) }
    }

    /// `v12` → 12 (IAM numbers versions in creation order).
    static func versionNumber(_ id: String) -> Int {
        Int(id.dropFirst().prefix { $0.isNumber }) ?? Int.max
    }

    static func outputs(_ policy: XMLNode) -> [String: JSON] {
        [
            "arn": policy.string("Arn").map { .string($0) } ?? .null,
            "name": policy.string("PolicyName").map { .string($0) } ?? .null,
        ]
    }
}

// MARK: cairn generate

extension IAMPolicyProvider: DiscoverableProvider {
    var swiftType: String { "IAMPolicy" }
    var swiftNoun: String { "policy" }
    var swiftNounSuffixed: Bool { true }
    var swiftOutputs: [String: String] { ["arn": "arn", "name": "policyName"] }

    /// The account's own managed policies (AWS's are referenced by their ARNs, never declared).
    func discover() async throws -> [DiscoveredResource] {
        try await client.queryAll(.iam.listPolicies, ["Scope": "Local"]).compactMap { policy in
            guard let arn = policy.string("Arn"), let name = policy.string("PolicyName") else { return nil }
            return DiscoveredResource(id: arn, name: name)
        }
    }

    func swiftArguments(_ live: Observed, in context: SwiftContext) -> [SwiftArgument] {
        let attributes = live.attributes
        var arguments = [SwiftArgument("name", context.literal(attributes.string("name") ?? ""))]
        if let path = attributes.string("path"), path != "/" { arguments.append(SwiftArgument("path", context.literal(path))) }
        if let description = attributes.string("description") { arguments.append(SwiftArgument("description", context.literal(description))) }
        if let document = attributes["document"].flatMap({ PolicyDocument.swift($0, in: context) }) {
            arguments.append(SwiftArgument("document", document))
        } else {
            // A policy is its document: any other would grant something else.
            context.cannotDeclare(
                "its document uses what PolicyStatement cannot say (\(PolicyDocument.unsayable(attributes["document"] ?? .null)))")
        }
        if let tags = context.tags(live) { arguments.append(tags) }
        return arguments
    }
}
