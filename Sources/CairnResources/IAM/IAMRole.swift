import CairnAWS
import CairnEngine
import CairnJSON

/// An IAM role (`aws iam create-role`): who may assume it, and what it may do through inline policies and
/// attached managed policies. Cairn manages both exclusively: inline policies and managed-policy attachments
/// that AWS has but the declaration does not are removed on the next apply.
///
/// Attributes (as the state and plans show them):
/// - `name`, `path` (default `"/"`): a change replaces the role.
/// - `description`: a string, or null when there is none.
/// - `assumeRolePolicy`: the trust policy in IAM's normal form (see `PolicyNormalizer`).
/// - `inlinePolicies`: an object, policy name → document in IAM's normal form.
/// - `managedPolicyArns`: an array of ARNs (sorted when all are literal; otherwise in declaration order).
/// - `maxSessionDuration`: seconds, default 3600.
/// - `tags`: an object of strings.
public struct IAMRole: ResourceDeclaration {
    /// The type name in addresses and the state.
    public static let typeName = "aws_iam_role"

    /// The name in the stack (`aws_iam_role.<logicalName>`).
    public let logicalName: String
    /// The role name; a change replaces the role.
    public var name: Input<String>
    /// `/` or `/a/path/`.
    public var path: String
    /// Up to 1000 characters; nil (or empty) for none.
    public var description: String?
    /// The trust policy: who may assume the role. Build it with `PolicyDocument.trust(...)`.
    public var assumeRolePolicy: PolicyDocument
    /// Inline (identity) policies by name.
    public var inlinePolicies: [String: PolicyDocument]
    /// ARNs of managed policies to attach, e.g. `arn:aws:iam::aws:policy/ReadOnlyAccess`.
    public var managedPolicyArns: [Input<String>]
    /// The longest session that assuming the role may give, in seconds (3600 to 43200).
    public var maxSessionDuration: Int
    /// AWS tags.
    public var tags: Tags
    /// Dependencies and lifecycle options for the engine.
    public var options: ResourceOptions

    /// A role named `name` that the principals of `assumeRolePolicy` may assume.
    public init(
        _ logicalName: String, name: Input<String>, path: String = "/", description: String? = nil,
        assumeRolePolicy: PolicyDocument, inlinePolicies: [String: PolicyDocument] = [:],
        managedPolicyArns: [Input<String>] = [], maxSessionDuration: Int = 3600, tags: Tags = [:],
        options: ResourceOptions = ResourceOptions()
    ) {
        self.logicalName = logicalName
        self.name = name
        self.path = path
        self.description = description
        self.assumeRolePolicy = assumeRolePolicy
        self.inlinePolicies = inlinePolicies
        self.managedPolicyArns = managedPolicyArns
        self.maxSessionDuration = maxSessionDuration
        self.tags = tags
        self.options = options
    }

    /// The role's ARN.
    public var arn: Output<String> { Output(output("arn")) }
    /// The role's name.
    public var roleName: Output<String> { Output(output("name")) }
    /// IAM's stable unique id of the role (`AROA…`).
    public var uniqueId: Output<String> { Output(output("uniqueId")) }

    /// Every managed attribute, with IAM's defaults filled in (see the type's documentation).
    public var attributes: [String: Value] {
        [
            "name": name.value,
            "path": .string(path),
            "description": .optional(description.flatMap { $0.isEmpty ? nil : $0 }),
            "assumeRolePolicy": assumeRolePolicy.value,
            "inlinePolicies": .object(inlinePolicies.mapValues(\.value)),
            "managedPolicyArns": .array(managedPolicyValues),
            "maxSessionDuration": .int(maxSessionDuration),
            "tags": .json(tags.json),
        ]
    }

    /// Literal ARNs sorted and without duplicates, so that order never shows as a change; with references,
    /// declaration order (the provider's read follows the order last applied).
    private var managedPolicyValues: [Value] {
        let literals = managedPolicyArns.compactMap(\.literal)
        guard literals.count == managedPolicyArns.count else { return managedPolicyArns.map(\.value) }
        return Set(literals).sorted().map { .string($0) }
    }

    static let namePattern = #"\A[A-Za-z0-9_+=,.@-]+\z"#
    static let pathPattern = #"\A(?:/|/[\x{21}-\x{7E}]+/)\z"#
    static let descriptionPattern = #"\A[\x{09}\x{0A}\x{0D}\x{20}-\x{7E}\x{A1}-\x{FF}]*\z"#
    static let managedPolicyArnPattern = #"\Aarn:aws[a-z-]*:iam::(?:aws|[0-9]{12}):policy/\S+\z"#

    /// The name, path, description, session length, policies, managed policy ARNs and tags, as IAM checks them.
    public func validate() -> [ValidationIssue] {
        var issues = checkName(
            name, address: address, attribute: "name", length: 1...64, pattern: Self.namePattern,
            rule: "role names are 1 to 64 letters, digits and + = , . @ _ -")
        func issue(_ attribute: String, _ message: String) {
            issues.append(ValidationIssue(address: address, attribute: attribute, message: message))
        }
        if path.count > 512 || path.range(of: Self.pathPattern, options: .regularExpression) == nil {
            issue(
                "path",
                "'\(path)' is not an IAM path: it must be '/' or start and end with '/' (like '/service-roles/'), "
                    + "with printable ASCII characters between, up to 512 characters.")
        }
        if let description {
            if description.count > 1000 {
                issue("description", "the description has \(description.count) characters; IAM allows 1000.")
            }
            if description.range(of: Self.descriptionPattern, options: .regularExpression) == nil {
                issue("description", "the description may contain only printable Latin-1 characters, tabs and line breaks.")
            }
        }
        if !(3600...43200).contains(maxSessionDuration) {
            issue("maxSessionDuration", "\(maxSessionDuration) seconds is outside IAM's range of 3600 (1 hour) to 43200 (12 hours).")
        }
        issues += assumeRolePolicy.validate(address: address, attribute: "assumeRolePolicy", requiresResource: false, requiresPrincipal: true)
        for policyName in inlinePolicies.keys.sorted() {
            let attribute = "inlinePolicies.\(policyName)"
            if policyName.isEmpty || policyName.count > 128 || policyName.range(of: Self.namePattern, options: .regularExpression) == nil {
                issue(attribute, "'\(policyName)' is not an IAM policy name: use 1 to 128 letters, digits and + = , . @ _ -.")
            }
            issues += inlinePolicies[policyName]!.validate(address: address, attribute: attribute, requiresResource: true, requiresPrincipal: false)
        }
        var seen = Set<String>()
        for (i, arn) in managedPolicyArns.enumerated() {
            guard let text = arn.literal else { continue }
            if text.range(of: Self.managedPolicyArnPattern, options: .regularExpression) == nil {
                issue("managedPolicyArns[\(i)]", "'\(text)' is not a managed policy ARN: write it like arn:aws:iam::aws:policy/ReadOnlyAccess.")
            } else if !seen.insert(text).inserted {
                issue("managedPolicyArns[\(i)]", "'\(text)' is listed twice: list each policy once.")
            }
        }
        return issues + checkTags(tags, address: address)
    }
}

/// Creates, reads, updates and deletes IAM roles; the physical id is the role name.
struct IAMRoleProvider: ResourceProvider {
    let client: AWSClient
    let typeName = IAMRole.typeName
    /// Adoption proof: the ownership tags; CreateRole takes the tags.
    let adoptionProof = AdoptionProof.ownershipTags
    let replaceOnChange: Set<String> = ["name", "path"]

    func physicalID(for attributes: [String: JSON]) -> String? { attributes.string("name") }

    /// Everything AWS has, including inline policies and attachments the declaration does not name, so that
    /// a plan shows them (and an update removes them).
    /// Destroy's check: GetRole, which carries the tags (ListRoleTags where it does not).
    func ownershipRead(id: String, prior: [String: JSON]) async throws -> Observed? {
        do {
            let role = try await getRole(id)
            var tags = Self.tags(role["Tags"])
            if role["Tags"] == nil {
                tags = Self.tags(XMLNode("Tags", children: try await client.queryAll(.iam.listRoleTags, ["RoleName": id])))
            }
            return Observed(id: id, attributes: ["name": .string(id), "tags": tags.json], outputs: [:])
        } catch let error as AWSServiceError where error.isNotFound(["NoSuchEntity"]) {
            return nil
        }
    }

    func read(id: String, prior: [String: JSON]) async throws -> Observed? {
        let role: XMLNode
        var inline: [String: JSON] = [:]
        let attached: [String]
        var tags: [String: String]
        do {
            role = try await getRole(id)
            tags = Self.tags(role["Tags"])
            if role["Tags"] == nil {
                tags = Self.tags(XMLNode("Tags", children: try await client.queryAll(.iam.listRoleTags, ["RoleName": id])))
            }
            for policyName in try await inlinePolicyNames(id) {
                do {
                    let result = try await client.query(.iam.getRolePolicy, ["RoleName": id, "PolicyName": policyName])
                    let text = result.string("PolicyDocument") ?? ""
                    inline[policyName] = PolicyNormalizer.parse(text) ?? .string(text)
                } catch let error as AWSServiceError where error.isNotFound(["NoSuchEntity"]) {
                    continue  // deleted since it was listed
                }
            }
            attached = try await attachedPolicyArns(id)
        } catch let error as AWSServiceError where error.isNotFound(["NoSuchEntity"]) {
            return nil
        }
        let trustText = role.string("AssumeRolePolicyDocument") ?? ""
        let description = role.string("Description").flatMap { $0.isEmpty ? nil : $0 }
        return Observed(
            id: id,
            attributes: [
                "name": .string(role.string("RoleName") ?? id),
                "path": .string(role.string("Path") ?? "/"),
                "description": description.map { .string($0) } ?? .null,
                "assumeRolePolicy": PolicyNormalizer.parse(trustText) ?? .string(trustText),
                "inlinePolicies": .object(inline),
                "managedPolicyArns": .array(Self.ordered(attached, like: prior.strings("managedPolicyArns")).map { .string($0) }),
                "maxSessionDuration": .int(role.string("MaxSessionDuration").flatMap { Int($0) } ?? 3600),
                "tags": tags.json,
            ], outputs: Self.outputs(role))
    }

    func create(_ attributes: [String: JSON]) async throws -> Applied {
        let name = attributes.string("name") ?? ""
        var parameters: QueryParameters = [
            "RoleName": name,
            "Path": attributes.string("path") ?? "/",
            "AssumeRolePolicyDocument": (attributes["assumeRolePolicy"] ?? [:]).description,
            "MaxSessionDuration": String(attributes.int("maxSessionDuration") ?? 3600),
        ]
        if let description = attributes.string("description"), !description.isEmpty { parameters["Description"] = description }
        let tags = attributes.tags()
        if !tags.isEmpty { parameters.list("Tags", tags.keys.sorted().map { ["Key": $0, "Value": tags[$0]!] }) }
        let result = try await acceptingNewPrincipals(name) {
            try await afterOtherChanges(to: "IAM role \(name)", refusals: [.iamConcurrentModification], clock: client.waitClock) {
                try await client.query(.iam.createRole, parameters)
            }
        }
        return try await PartialCreate.completing(Applied(id: name, outputs: Self.outputs(result["Role"] ?? XMLNode("Role")))) {
            for (policyName, document) in (attributes["inlinePolicies"]?.objectValue ?? [:]).sorted(by: { $0.key < $1.key }) {
                try await untilVisible(name) { try await putInlinePolicy(role: name, name: policyName, document: document) }
            }
            for arn in attributes.strings("managedPolicyArns") {
                try await untilVisible(name, policy: arn) { _ = try await client.query(.iam.attachRolePolicy, ["RoleName": name, "PolicyArn": arn]) }
            }
        }
    }

    /// IAM refuses a trust policy naming a principal created seconds earlier ("Invalid principal in policy") until
    /// the new principal is visible everywhere in IAM.
    private func acceptingNewPrincipals<T>(_ role: String, _ call: () async throws -> T) async throws -> T {
        try await awaitingPropagation(
            of: "the principals of role \(role)'s trust policy", to: "IAM",
            refusals: [Refusal("MalformedPolicyDocument", messageContains: ["Invalid principal"])], clock: client.waitClock,
            hint: "Check that every principal the trust policy names exists.", call)
    }

    /// IAM is eventually consistent: a role (or a managed policy) created a moment ago can answer NoSuchEntity to the
    /// next call on another IAM host. An AWS managed policy (`arn:aws:iam::aws:policy/...`) is never new: that it does not
    /// exist is a typo, told at once, and only the role is waited for.
    private func untilVisible(_ role: String, policy: String? = nil, _ call: () async throws -> Void) async throws {
        let awsManaged = policy.map { $0.split(separator: ":", omittingEmptySubsequences: false).dropFirst(4).first == "aws" } ?? false
        try await retrying(
            while: [awsManaged ? Refusal("NoSuchEntity", messageContains: ["role with name"]) : "NoSuchEntity"], "IAM role \(role) and its policies",
            "be visible throughout IAM", clock: client.waitClock, timeout: Propagation.timeout, interval: Propagation.interval, call)
    }

    func update(id: String, from old: [String: JSON], to new: [String: JSON]) async throws -> Applied {
        if old["assumeRolePolicy"] != new["assumeRolePolicy"] {
            _ = try await acceptingNewPrincipals(id) {
                try await client.query(
                    .iam.updateAssumeRolePolicy, ["RoleName": id, "PolicyDocument": (new["assumeRolePolicy"] ?? [:]).description])
            }
        }
        if (old["description"] ?? .null) != (new["description"] ?? .null) || old["maxSessionDuration"] != new["maxSessionDuration"] {
            _ = try await client.query(
                .iam.updateRole,
                [
                    "RoleName": id,
                    "Description": new.string("description") ?? "",  // empty clears it
                    "MaxSessionDuration": String(new.int("maxSessionDuration") ?? 3600),
                ])
        }

        // Inline policies and attachments are exclusive: what AWS has now decides what to remove.
        // Removals go first, so that a swap never trips IAM's size and count limits.
        let declaredInline = new["inlinePolicies"]?.objectValue ?? [:]
        let oldInline = old["inlinePolicies"]?.objectValue ?? [:]
        let liveInline = Set(try await inlinePolicyNames(id))
        for policyName in liveInline.subtracting(declaredInline.keys).sorted() {
            try await ignoringNotFound(["NoSuchEntity"]) {
                _ = try await client.query(.iam.deleteRolePolicy, ["RoleName": id, "PolicyName": policyName])
            }
        }
        for (policyName, document) in declaredInline.sorted(by: { $0.key < $1.key })
        where oldInline[policyName] != document || !liveInline.contains(policyName) {
            try await putInlinePolicy(role: id, name: policyName, document: document)
        }

        let declaredArns = Set(new.strings("managedPolicyArns"))
        let liveArns = Set(try await attachedPolicyArns(id))
        for arn in liveArns.subtracting(declaredArns).sorted() {
            try await ignoringNotFound(["NoSuchEntity"]) {
                _ = try await client.query(.iam.detachRolePolicy, ["RoleName": id, "PolicyArn": arn])
            }
        }
        for arn in declaredArns.subtracting(liveArns).sorted() {
            _ = try await client.query(.iam.attachRolePolicy, ["RoleName": id, "PolicyArn": arn])
        }

        var role = try await getRole(id)
        let liveTags =
            role["Tags"] != nil
            ? Self.tags(role["Tags"])
            : Self.tags(XMLNode("Tags", children: try await client.queryAll(.iam.listRoleTags, ["RoleName": id])))
        let tagsChanged = try await TaggingAPI.iamRole.sync(client, resource: id, from: liveTags, to: new.tags())
        if tagsChanged { role = try await getRole(id) }
        return Applied(id: id, outputs: Self.outputs(role))
    }

    /// Detaches every managed policy, deletes every inline policy and takes the role out of its instance
    /// profiles (IAM refuses to delete a role with any of these), then deletes it.
    func delete(id: String, attributes: [String: JSON]) async throws {
        typealias Removal = (operation: QueryOperation, parameters: QueryParameters)
        let client = self.client
        @Sendable func remove(_ removals: [Removal]) async throws {
            _ = try await removals.concurrentMap { removal in
                do { _ = try await client.query(removal.operation, removal.parameters) } catch let error as AWSServiceError
                    where error.isNotFound(["NoSuchEntity"])
                {}
            }
        }
        try await ignoringNotFound(["NoSuchEntity"]) {
            // A role can't be deleted while anything is attached. What the state recorded goes at once, while
            // the listings find anything else (attached out of band, or an instance profile); then the role.
            let recordedInline = Set((attributes["inlinePolicies"]?.objectValue ?? [:]).keys)
            let recordedArns = Set(attributes.strings("managedPolicyArns"))
            async let recorded: Void = remove(
                recordedInline.sorted().map { (.iam.deleteRolePolicy, ["RoleName": id, "PolicyName": $0]) }
                    + recordedArns.sorted().map { (.iam.detachRolePolicy, ["RoleName": id, "PolicyArn": $0]) })
            async let attached = attachedPolicyArns(id)
            async let inline = inlinePolicyNames(id)
            async let profiles = client.queryAll(.iam.listInstanceProfilesForRole, ["RoleName": id]).compactMap { $0.string("InstanceProfileName") }
            var others: [Removal] = []
            for arn in try await attached where !recordedArns.contains(arn) {
                others.append((.iam.detachRolePolicy, ["RoleName": id, "PolicyArn": arn]))
            }
            for name in try await inline where !recordedInline.contains(name) {
                others.append((.iam.deleteRolePolicy, ["RoleName": id, "PolicyName": name]))
            }
            for name in try await profiles {
                others.append((.iam.removeRoleFromInstanceProfile, ["InstanceProfileName": name, "RoleName": id]))
            }
            try await remove(others)
            try await recorded
            _ = try await afterOtherChanges(to: "IAM role \(id)", refusals: [.iamConcurrentModification], clock: client.waitClock) {
                try await client.query(.iam.deleteRole, ["RoleName": id])
            }
        }
    }

    // MARK: Helpers

    private func getRole(_ id: String) async throws -> XMLNode {
        try await client.query(.iam.getRole, ["RoleName": id])["Role"] ?? XMLNode("Role")
    }

    private func inlinePolicyNames(_ id: String) async throws -> [String] {
        try await client.queryAll(.iam.listRolePolicies, ["RoleName": id]).map(\.text).sorted()
    }

    private func attachedPolicyArns(_ id: String) async throws -> [String] {
        try await client.queryAll(.iam.listAttachedRolePolicies, ["RoleName": id]).compactMap { $0.string("PolicyArn") }.sorted()
    }

    private func putInlinePolicy(role: String, name: String, document: JSON) async throws {
        _ = try await client.query(.iam.putRolePolicy, ["RoleName": role, "PolicyName": name, "PolicyDocument": document.description])
    }

    static func outputs(_ role: XMLNode) -> [String: JSON] {
        [
            "arn": role.string("Arn").map { .string($0) } ?? .null,
            "name": role.string("RoleName").map { .string($0) } ?? .null,
            "uniqueId": role.string("RoleId").map { .string($0) } ?? .null,
        ]
    }

    /// `<Tags><member><Key>…</Key><Value>…</Value></member>…</Tags>` as a map.
    static func tags(_ list: XMLNode?) -> [String: String] {
        var tags: [String: String] = [:]
        for member in list?.children ?? [] {
            if let key = member.string("Key") { tags[key] = member.string("Value") ?? "" }
        }
        return tags
    }

    /// `live` in the order of `prior` (the ARNs last applied), the others after them, sorted. With no prior,
    /// sorted, as declarations of literal ARNs write them.
    static func ordered(_ live: [String], like prior: [String]) -> [String] {
        let liveSet = Set(live)
        var seen = Set<String>()
        let kept = prior.filter { liveSet.contains($0) && seen.insert($0).inserted }
        return kept + live.filter { !seen.contains($0) }.sorted()
    }
}

// MARK: cairn generate

extension IAMRoleProvider: DiscoverableProvider {
    var swiftType: String { "IAMRole" }
    var swiftNoun: String { "role" }
    var swiftNounSuffixed: Bool { true }
    var swiftOutputs: [String: String] { ["arn": "arn", "name": "roleName"] }

    /// Every role of the account but the service-linked ones, which AWS services make and delete themselves.
    func discover() async throws -> [DiscoveredResource] {
        try await client.queryAll(.iam.listRoles).compactMap { role in
            guard let name = role.string("RoleName"), role.string("Path")?.hasPrefix("/aws-service-role/") != true else { return nil }
            return DiscoveredResource(id: name, name: name)
        }
    }

    func swiftArguments(_ live: Observed, in context: SwiftContext) -> [SwiftArgument] {
        let attributes = live.attributes
        var arguments = [SwiftArgument("name", context.literal(attributes.string("name") ?? live.id))]
        if let path = attributes.string("path"), path != "/" { arguments.append(SwiftArgument("path", context.literal(path))) }
        if let description = attributes.string("description") { arguments.append(SwiftArgument("description", context.literal(description))) }
        if let trust = attributes["assumeRolePolicy"].flatMap({ PolicyDocument.swift($0, in: context) }) {
            arguments.append(SwiftArgument("assumeRolePolicy", trust))
        } else {
            // A role needs its trust policy, and any other would let other principals assume it, or stop those that do.
            context.cannotDeclare(
                "its trust policy uses what PolicyStatement cannot say (\(PolicyDocument.unsayable(attributes["assumeRolePolicy"] ?? .null)))")
        }
        var inline: [String: String] = [:]
        for (name, document) in attributes["inlinePolicies"]?.objectValue ?? [:] {
            if let swift = PolicyDocument.swift(document, in: context) {
                inline[name] = swift
            } else {
                // A path step per policy name, unless the name holds what a path separates by (then all of them).
                let path = name.contains(where: { ".[]".contains($0) }) ? "inlinePolicies" : "inlinePolicies.\(name)"
                context.cannotExpress(
                    "inlinePolicies.\(name)", "the policy uses what PolicyStatement cannot say (\(PolicyDocument.unsayable(document)))",
                    ignoringDrift: path)
            }
        }
        if !inline.isEmpty { arguments.append(SwiftArgument("inlinePolicies", SwiftCode.dictionary(inline))) }
        let managed = attributes.strings("managedPolicyArns")
        if !managed.isEmpty { arguments.append(SwiftArgument("managedPolicyArns", context.inputs(managed.sorted()))) }
        if let duration = attributes.int("maxSessionDuration"), duration != 3600 {
            arguments.append(SwiftArgument("maxSessionDuration", String(duration)))
        }
        if let tags = context.tags(live) { arguments.append(tags) }
        return arguments
    }
}
