import CairnAWS
import CairnEngine
import CairnJSON
import Foundation

/// A symmetric KMS key (`aws kms create-key`) for encryption at rest (S3 SSE-KMS, CodePipeline artifacts, logs).
///
/// Attributes (as the state and plans show them):
/// - `description`: `""` by default; changed in place (UpdateKeyDescription).
/// - `policy`: the key policy in IAM's normal form, compared as a policy document (key order, whitespace and
///   one-element lists never show as a difference); null for KMS's default key policy (the account root may use
///   the key, so IAM policies decide). Changed in place (PutKeyPolicy).
/// - `enableKeyRotation`: yearly automatic rotation, `false` by default (as in KMS); changed in place.
/// - `deletionWindowInDays`: local to Cairn (never read from AWS): how many days (7 to 30, default 30) a destroyed
///   key stays recoverable. Destroy schedules the deletion; the key is deleted by KMS when the window ends.
/// - `keyState`: always `"Enabled"` in a declaration. A read reports `"Disabled"` or `"PendingDeletion"` when the
///   key was disabled or scheduled for deletion, and the plan shows the change back: the apply cancels the
///   deletion and re-enables the key.
/// - `tags`: an object of strings.
public struct KMSKey: ResourceDeclaration {
    /// The type name in addresses and the state.
    public static let typeName = "aws_kms_key"

    /// The key policy: a typed document (every statement names a principal and a resource, `"*"` for the key
    /// itself), or JSON text (from a file or another tool).
    public typealias KeyPolicy = ResourcePolicy

    /// The days KMS allows between ScheduleKeyDeletion and the deletion.
    public static let deletionWindowDays = 7...30

    /// The name in the stack (`aws_kms_key.<logicalName>`).
    public let logicalName: String
    /// What the key is for (`"SSE-KMS for S3 artifacts"`), up to 8192 characters.
    public var description: String
    /// The key policy; nil for KMS's default policy (the account root, so that IAM policies grant use of the key).
    public var policy: KeyPolicy?
    /// Rotate the key material automatically every year.
    public var enableKeyRotation: Bool
    /// Days (7 to 30) that a destroyed key waits, pending deletion and recoverable, before KMS deletes it.
    public var deletionWindowInDays: Int
    /// AWS tags.
    public var tags: Tags
    /// Dependencies and lifecycle options for the engine.
    public var options: ResourceOptions

    /// A symmetric encryption key, with KMS's defaults for everything not given.
    public init(
        _ logicalName: String, description: String = "", policy: KeyPolicy? = nil, enableKeyRotation: Bool = false,
        deletionWindowInDays: Int = 30, tags: Tags = [:], options: ResourceOptions = ResourceOptions()
    ) {
        self.logicalName = logicalName
        self.description = description
        self.policy = policy
        self.enableKeyRotation = enableKeyRotation
        self.deletionWindowInDays = deletionWindowInDays
        self.tags = tags
        self.options = options
    }

    /// The key's ARN, what S3 bucket encryption, CodePipeline artifact stores and IAM policies take.
    public var arn: Output<String> { Output(output("arn")) }
    /// The key id (a UUID).
    public var keyId: Output<String> { Output(output("keyId")) }

    /// Every managed attribute, with KMS's defaults filled in (see the type's documentation).
    public var attributes: [String: Value] {
        [
            "description": .string(description),
            "policy": policy?.value ?? .null,
            "enableKeyRotation": .bool(enableKeyRotation),
            "deletionWindowInDays": .int(deletionWindowInDays),
            "keyState": .string("Enabled"),
            "tags": .json(tags.json),
        ]
    }

    /// The description, the key policy (JSON, statements with principals and resources), the deletion window and
    /// the tags, as KMS checks them.
    public func validate() -> [ValidationIssue] {
        var issues: [ValidationIssue] = []
        func issue(_ attribute: String, _ message: String) {
            issues.append(ValidationIssue(address: address, attribute: attribute, message: message))
        }
        if description.count > 8192 {
            issue("description", "the description has \(description.count) characters; KMS allows 8192.")
        }
        issues +=
            policy?.validate(address: address, attribute: "policy", noun: "key policy", service: "KMS", maxBytes: 32768, requiresResource: true)
            ?? []
        if !Self.deletionWindowDays.contains(deletionWindowInDays) {
            issue("deletionWindowInDays", "\(deletionWindowInDays) days is outside KMS's deletion window: use 7 to 30 days.")
        }
        return issues + checkTags(tags, address: address)
    }
}

/// Creates, reads, updates and schedules the deletion of KMS keys; the physical id is the key id.
struct KMSKeyProvider: UnnamedCreateRecovery {
    let client: AWSClient
    let typeName = KMSKey.typeName
    /// Adoption proof: the ownership tags; CreateKey takes the tags.
    let adoptionProof = AdoptionProof.ownershipTags
    // A delete loses what it encrypted (nothing can decrypt it once the key is gone): a plan names an undeclared rename.
    let holdsData = true
    // AWS chooses the key id: a replacement can exist beside the old key, which goes once its alias moved on.
    let replacementCoexists = true
    let replaceOnChange: Set<String> = []
    let localAttributes: Set<String> = ["deletionWindowInDays"]

    /// KMS's answers for a key id that does not exist.
    static let goneCodes: Set<String> = ["NotFoundException"]

    /// How long a policy naming an IAM principal created moments ago is retried (see `acceptingNewPrincipals`).
    static let policyPropagationTimeout: Duration = .seconds(60)

    /// None: KMS chooses the key id, so nothing names the key before the create.
    func physicalID(for attributes: [String: JSON]) -> String? { nil }

    func read(id: String, prior: [String: JSON]) async throws -> Observed? {
        let metadata: JSON
        let policyText: String?
        let rotation: Bool
        let tags: [JSON]
        do {
            metadata = try await client.json(.kms.describeKey, ["KeyId": .string(id)])["KeyMetadata"] ?? [:]
            let keyID: JSON = metadata["KeyId"] ?? .string(id)
            policyText = try await client.json(.kms.getKeyPolicy, ["KeyId": keyID, "PolicyName": "default"])["Policy"]?.stringValue
            rotation = try await rotationEnabled(keyID, state: metadata["KeyState"]?.stringValue, prior: prior)
            tags = try await client.jsonAll(.kms.listResourceTags, ["KeyId": keyID])
        } catch let error as AWSServiceError where error.isNotFound(Self.goneCodes) {
            return nil
        }
        let arn = metadata["Arn"]?.stringValue ?? ""
        return Observed(
            id: metadata["KeyId"]?.stringValue ?? id,
            attributes: [
                "description": metadata["Description"] ?? "",
                "policy": observedPolicy(policyText, keyARN: arn, prior: prior["policy"]),
                "enableKeyRotation": .bool(rotation),
                "deletionWindowInDays": prior["deletionWindowInDays"] ?? .int(30),
                "keyState": metadata["KeyState"] ?? "Enabled",
                "tags": tagMap(.array(tags), keyName: "TagKey", valueName: "TagValue").json,
            ], outputs: Self.outputs(metadata))
    }

    func create(_ attributes: [String: JSON]) async throws -> Applied {
        var input: [String: JSON] = ["KeyUsage": "ENCRYPT_DECRYPT", "KeySpec": "SYMMETRIC_DEFAULT"]
        if let description = attributes.string("description"), !description.isEmpty { input["Description"] = .string(description) }
        if let policy = attributes["policy"], !policy.isNull { input["Policy"] = .string(policy.description) }
        let tags = attributes.tags()
        if !tags.isEmpty { input["Tags"] = tagList(tags, keyName: "TagKey", valueName: "TagValue") }
        let metadata = try await acceptingNewPrincipals { try await client.json(.kms.createKey, .object(input)) }["KeyMetadata"] ?? [:]
        let id = metadata["KeyId"]?.stringValue ?? ""
        return try await PartialCreate.completing(Applied(id: id, outputs: Self.outputs(metadata))) {
            guard attributes.bool("enableKeyRotation") == true else { return }
            // A key just made may not be visible to every KMS host yet.
            _ = try await retrying(
                while: ["NotFoundException", "DisabledException"], "the new KMS key \(id)", "accept rotation", clock: client.waitClock,
                timeout: Self.policyPropagationTimeout, interval: .seconds(2)
            ) { try await client.json(.kms.enableKeyRotation, ["KeyId": .string(id)]) }
        }
    }

    /// Cancels a scheduled deletion and re-enables the key first (KMS leaves a cancelled key disabled, and refuses
    /// rotation changes on it), then sets the description, the policy, rotation and tags.
    func update(id: String, from old: [String: JSON], to new: [String: JSON]) async throws -> Applied {
        let key: JSON = .string(id)
        var metadata = try await client.json(.kms.describeKey, ["KeyId": key])["KeyMetadata"] ?? [:]
        let state = metadata["KeyState"]?.stringValue ?? "Enabled"
        if state == "PendingDeletion" {
            _ = try await client.json(.kms.cancelKeyDeletion, ["KeyId": key])
        }
        if state != "Enabled" {
            _ = try await client.json(.kms.enableKey, ["KeyId": key])
        }
        if old["description"] != new["description"] {
            _ = try await client.json(.kms.updateKeyDescription, ["KeyId": key, "Description": new["description"] ?? ""])
        }
        let oldPolicy = old["policy"] ?? .null
        let newPolicy = new["policy"] ?? .null
        if oldPolicy != newPolicy {
            let text = newPolicy.isNull ? Self.defaultPolicy(keyARN: metadata["Arn"]?.stringValue ?? "").description : newPolicy.description
            _ = try await acceptingNewPrincipals {
                try await client.json(.kms.putKeyPolicy, ["KeyId": key, "PolicyName": "default", "Policy": .string(text)])
            }
        }
        if old["enableKeyRotation"] != new["enableKeyRotation"] || state != "Enabled" {
            let rotate = new.bool("enableKeyRotation") == true
            _ = try await client.json(rotate ? .kms.enableKeyRotation : .kms.disableKeyRotation, ["KeyId": key])
        }
        try await TaggingAPI.kms.sync(client, resource: id, from: old.tags(), to: new.tags())
        if state != "Enabled" { metadata = try await client.json(.kms.describeKey, ["KeyId": key])["KeyMetadata"] ?? metadata }
        return Applied(id: id, outputs: Self.outputs(metadata))
    }

    /// Schedules the deletion after `deletionWindowInDays` (KMS never deletes a key at once). A key already pending
    /// deletion, or gone, counts as deleted.
    func delete(id: String, attributes: [String: JSON]) async throws {
        let window = attributes.int("deletionWindowInDays") ?? 30
        do {
            _ = try await client.json(.kms.scheduleKeyDeletion, ["KeyId": .string(id), "PendingWindowInDays": .int(window)])
        } catch let error as AWSServiceError where error.isNotFound(Self.goneCodes) {
            return
        } catch let error as AWSServiceError where error.code == "KMSInvalidStateException" {
            let state = try await nilIfNotFound(Self.goneCodes) {
                try await client.json(.kms.describeKey, ["KeyId": .string(id)])["KeyMetadata"]?["KeyState"]?.stringValue
            }
            if state == nil || state == "PendingDeletion" { return }
            throw error
        }
    }

    // MARK: Helpers

    /// Whether automatic rotation is on. KMS answers only for enabled keys in some states: for a disabled key or one
    /// pending deletion that refuses, the last applied value stands (the plan re-enables the key first anyway).
    private func rotationEnabled(_ key: JSON, state: String?, prior: [String: JSON]) async throws -> Bool {
        do {
            return try await client.json(.kms.getKeyRotationStatus, ["KeyId": key])["KeyRotationEnabled"]?.boolValue ?? false
        } catch let error as AWSServiceError where error.code == "KMSInvalidStateException" && state != "Enabled" {
            return prior.bool("enableKeyRotation") ?? false
        }
    }

    /// The live policy in IAM's normal form; null when it is KMS's default policy and the declaration (or an import)
    /// names none.
    private func observedPolicy(_ text: String?, keyARN: String, prior: JSON?) -> JSON {
        guard let text else { return .null }
        guard let live = PolicyNormalizer.parse(text) else { return .string(text) }
        if prior?.isNull ?? true, Self.isDefaultPolicy(live, keyARN: keyARN) { return .null }
        return live
    }

    /// KMS's default key policy for the key `keyARN`: the account root may do anything with the key, so that IAM
    /// policies decide who uses it.
    static func defaultPolicy(keyARN: String) -> JSON {
        let parts = keyARN.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        let partition = parts.count > 4 ? parts[1] : "aws"
        let account = parts.count > 4 ? parts[4] : ""
        return [
            "Version": "2012-10-17",
            "Id": "key-default-1",
            "Statement": [
                [
                    "Sid": "Enable IAM User Permissions",
                    "Effect": "Allow",
                    "Principal": ["AWS": .string("arn:\(partition):iam::\(account):root")],
                    "Action": "kms:*",
                    "Resource": "*",
                ]
            ],
        ]
    }

    /// Whether a normalised policy grants what the default policy grants, and nothing else (its `Id` and `Sid`
    /// aside, which KMS's console and API word differently).
    static func isDefaultPolicy(_ policy: JSON, keyARN: String) -> Bool {
        PolicyNormalizer.grantsAlike(policy, PolicyNormalizer.normalize(defaultPolicy(keyARN: keyARN)))
    }

    /// Runs a call that sends a key policy. KMS refuses a policy naming an IAM principal created seconds earlier
    /// (MalformedPolicyDocumentException "Policy contains a statement with one or more invalid principals.") until IAM's
    /// change reaches it, so that refusal is retried for up to `policyPropagationTimeout`; after that KMS's own error
    /// stands. The same code with another message is a mistake in the policy (the lockout check: "The new key policy will
    /// not allow you to update the key policy in the future.") and fails at once.
    private func acceptingNewPrincipals(_ call: () async throws -> JSON) async throws -> JSON {
        try await retrying(
            while: Self.newPrincipalRefusals, "the KMS key policy", "be accepted", clock: client.waitClock,
            timeout: Self.policyPropagationTimeout, interval: .seconds(3), call)
    }

    /// KMS's refusal of a policy naming a principal IAM has not shown it yet.
    static let newPrincipalRefusals = [Refusal("MalformedPolicyDocumentException", messageContains: ["invalid principals"])]

    /// KMS's answer for the key that a create interrupted by a crash made (the intent has no key id): among the
    /// account's customer keys, those created since the intent, not pending deletion, with the declared description
    /// and this state's ownership tags (CreateKey sets them), less the keys the state already holds. One read per key
    /// in the region: a recovery only, never part of a normal plan.
    func findInterruptedCreate(
        _ attributes: [String: JSON], ownership: Ownership, since: Date, excluding: Set<String>
    ) async throws -> Observed? {
        guard ownership.state != nil else { return nil }
        var candidates: [String] = []
        for key in try await client.jsonAll(.kms.listKeys) {
            guard let id = key["KeyId"]?.stringValue, !excluding.contains(id) else { continue }
            // Keys whose policy shuts this caller out (another team's) cannot be this stack's: skipped, not fatal.
            do {
                guard
                    let metadata = try await nilIfNotFound(
                        Self.goneCodes, { try await client.json(.kms.describeKey, ["KeyId": .string(id)])["KeyMetadata"] })
                        ?? nil,
                    metadata["KeyManager"]?.stringValue == "CUSTOMER", metadata["KeyState"]?.stringValue != "PendingDeletion",
                    let created = metadata["CreationDate"]?.doubleValue, Date(timeIntervalSince1970: created) >= since,
                    attributes.string("description").map({ $0 == metadata["Description"]?.stringValue ?? "" }) ?? true
                else { continue }
                let tags = try await nilIfNotFound(Self.goneCodes) { try await client.jsonAll(.kms.listResourceTags, ["KeyId": .string(id)]) }
                if InterruptedCreate.isOurs(tagMap(.array(tags ?? []), keyName: "TagKey", valueName: "TagValue"), ownership) { candidates.append(id) }
            } catch let error as AWSServiceError where error.code == "AccessDeniedException" {
                continue
            }
        }
        let advice =
            "import the one this address made (`cairn import STACK ADDRESS KEY_ID`); another key that this stack declares may have made the other, so import it at its own address, and schedule the deletion of any left over (`aws kms schedule-key-deletion --key-id KEY_ID`)."
        guard let id = try InterruptedCreate.single(candidates, typeName: typeName, advice: advice) else { return nil }
        return try await read(id: id, prior: attributes)
    }

    static func outputs(_ metadata: JSON) -> [String: JSON] {
        ["arn": metadata["Arn"] ?? .null, "keyId": metadata["KeyId"] ?? .null]
    }
}

// MARK: cairn generate

extension KMSKeyProvider: DiscoverableProvider {
    var swiftType: String { "KMSKey" }
    var swiftNoun: String { "key" }
    var swiftNounSuffixed: Bool { true }
    var swiftOutputs: [String: String] { ["arn": "arn", "keyId": "keyId"] }

    /// The account's own keys in the region, each named by its first alias without `alias/` (a key has no name of its own), else by its
    /// id; AWS managed keys (`alias/aws/…`) are left out.
    func discover() async throws -> [DiscoveredResource] {
        var aliases: [String: [String]] = [:]
        for alias in try await client.jsonAll(.kms.listAliases) {
            guard let name = alias["AliasName"]?.stringValue, let key = alias["TargetKeyId"]?.stringValue else { continue }
            aliases[key, default: []].append(name)
        }
        return try await client.jsonAll(.kms.listKeys).compactMap { key in
            guard let id = key["KeyId"]?.stringValue else { return nil }
            let names = (aliases[id] ?? []).sorted()
            if names.contains(where: { $0.hasPrefix("alias/aws/") }) { return nil }
            return DiscoveredResource(id: id, name: names.first.map { String($0.dropFirst("alias/".count)) } ?? id)
        }
    }

    func swiftArguments(_ live: Observed, in context: SwiftContext) -> [SwiftArgument] {
        let attributes = live.attributes
        var arguments: [SwiftArgument] = []
        if let description = attributes.string("description"), !description.isEmpty {
            arguments.append(SwiftArgument("description", context.literal(description)))
        }
        if let policy = attributes["policy"], !policy.isNull {
            // What PolicyStatement cannot say (a policy's Id) stays as the JSON text KMS has.
            let swift = PolicyDocument.swift(policy, in: context).map { ".document(\($0))" } ?? ".json(\(context.literal(policy.description)))"
            arguments.append(SwiftArgument("policy", swift))
        }
        if attributes.bool("enableKeyRotation") == true { arguments.append(SwiftArgument("enableKeyRotation", "true")) }
        if let state = attributes.string("keyState"), state != "Enabled" {
            context.cannotExpress("keyState", "the key is \(state), and a declared key is enabled", ignoringDrift: "keyState")
        }
        // Cairn's own (never read from AWS): known when the stack's state records the key.
        if let days = attributes.int("deletionWindowInDays"), days != 30 { arguments.append(SwiftArgument("deletionWindowInDays", String(days))) }
        if let tags = context.tags(live) { arguments.append(tags) }
        return arguments
    }
}
