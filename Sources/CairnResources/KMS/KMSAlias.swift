import CairnAWS
import CairnEngine
import CairnJSON
import Foundation

/// A KMS alias (`aws kms create-alias`): a friendly name (`alias/b2b-ecommerce-artifacts`) for a key.
///
/// Attributes (as the state and plans show them):
/// - `name`: the alias name, starting with `alias/`; a change replaces the alias.
/// - `targetKeyId`: the key it names, by key id or key ARN (as declared); changed in place (UpdateAlias).
///
/// Aliases take no tags.
public struct KMSAlias: ResourceDeclaration {
    /// The type name in addresses and the state.
    public static let typeName = "aws_kms_alias"

    /// The name in the stack (`aws_kms_alias.<logicalName>`).
    public let logicalName: String
    /// `alias/` followed by letters, digits, `/`, `_` and `-` (not `alias/aws/`, which AWS keeps for its own keys).
    public var name: Input<String>
    /// The key id or ARN of a customer managed key in the same account and region (`KMSKey.arn`).
    public var targetKeyId: Input<String>
    /// Dependencies and lifecycle options for the engine.
    public var options: ResourceOptions

    /// An alias `name` for the key `targetKeyId`.
    public init(_ logicalName: String, name: Input<String>, targetKeyId: Input<String>, options: ResourceOptions = ResourceOptions()) {
        self.logicalName = logicalName
        self.name = name
        self.targetKeyId = targetKeyId
        self.options = options
    }

    /// The alias's ARN.
    public var arn: Output<String> { Output(output("arn")) }
    /// The alias name (`alias/…`), which KMS accepts wherever it takes a key id.
    public var aliasName: Output<String> { Output(output("name")) }

    /// Every managed attribute (see the type's documentation).
    public var attributes: [String: Value] {
        ["name": name.value, "targetKeyId": targetKeyId.value]
    }

    /// The alias name and the target key, as KMS checks them.
    public func validate() -> [ValidationIssue] {
        var issues = checkName(
            name, address: address, attribute: "name", length: 7...256, pattern: #"\Aalias/[A-Za-z0-9/_-]+\z"#,
            rule: "alias names are 'alias/' followed by letters, digits, '/', '_' and '-', 256 characters in all")
        if let text = name.literal, text.hasPrefix("alias/aws/") {
            issues.append(
                ValidationIssue(
                    address: address, attribute: "name",
                    message: "'\(text)' starts with 'alias/aws/', which AWS keeps for its own keys: choose another name."))
        }
        if let key = targetKeyId.literal {
            if key.isEmpty || key.count > 2048 {
                issues.append(
                    ValidationIssue(
                        address: address, attribute: "targetKeyId",
                        message: "a key is named by 1 to 2048 characters (its key id or ARN): use the key's arn or keyId output."))
            } else if key.hasPrefix("alias/") || key.contains(":alias/") {
                issues.append(
                    ValidationIssue(
                        address: address, attribute: "targetKeyId",
                        message: "'\(key)' is an alias, and an alias must name a key: use the key's key id or ARN."))
            }
        }
        return issues
    }
}

/// Creates, reads, repoints and deletes KMS aliases; the physical id is the alias name.
struct KMSAliasProvider: ResourceProvider {
    let client: AWSClient
    let typeName = KMSAlias.typeName
    /// Adoption proof: the creation time; aliases take no tags, and ListAliases reports each alias's CreationDate.
    let adoptionProof = AdoptionProof.creationTime
    let replaceOnChange: Set<String> = ["name"]

    func physicalID(for attributes: [String: JSON]) -> String? { attributes.string("name") }

    func read(id: String, prior: [String: JSON]) async throws -> Observed? {
        guard let alias = try await find(id), let liveKey = alias["TargetKeyId"]?.stringValue else { return nil }
        return Observed(
            id: id,
            attributes: [
                "name": .string(id),
                "targetKeyId": .string(Self.declaredForm(of: liveKey, declared: prior.string("targetKeyId"))),
            ], outputs: Self.outputs(alias, name: id), createdAt: alias["CreationDate"]?.doubleValue.map(Date.init(timeIntervalSince1970:)))
    }

    func create(_ attributes: [String: JSON]) async throws -> Applied {
        let name = attributes.string("name") ?? ""
        _ = try await client.json(.kms.createAlias, ["AliasName": .string(name), "TargetKeyId": attributes["targetKeyId"] ?? .null])
        return Applied(id: name, outputs: Self.outputs(try await find(name) ?? [:], name: name))
    }

    func update(id: String, from old: [String: JSON], to new: [String: JSON]) async throws -> Applied {
        if old["targetKeyId"] != new["targetKeyId"] {
            _ = try await client.json(.kms.updateAlias, ["AliasName": .string(id), "TargetKeyId": new["targetKeyId"] ?? .null])
        }
        return Applied(id: id, outputs: Self.outputs(try await find(id) ?? [:], name: id))
    }

    /// Deletes the alias (the key stays); deleting an alias that is gone succeeds.
    func delete(id: String, attributes: [String: JSON]) async throws {
        try await ignoringNotFound(["NotFoundException"]) {
            _ = try await client.json(.kms.deleteAlias, ["AliasName": .string(id)])
        }
    }

    // MARK: Helpers

    /// The alias named `name` in ListAliases (which has no filter by name), or nil.
    private func find(_ name: String) async throws -> JSON? {
        try await client.jsonAll(.kms.listAliases).first { $0["AliasName"]?.stringValue == name }
    }

    /// ListAliases names the target by key id: the declared ARN when it is that key's ARN, so that an ARN declared
    /// from `KMSKey.arn` shows no drift.
    static func declaredForm(of liveKeyID: String, declared: String?) -> String {
        guard let declared else { return liveKeyID }
        return declared == liveKeyID || declared.hasSuffix(":key/\(liveKeyID)") ? declared : liveKeyID
    }

    static func outputs(_ alias: JSON, name: String) -> [String: JSON] {
        ["arn": alias["AliasArn"] ?? .null, "name": .string(name)]
    }
}

// MARK: cairn generate

extension KMSAliasProvider: DiscoverableProvider {
    var swiftType: String { "KMSAlias" }
    var swiftNoun: String { "alias" }
    var swiftNounSuffixed: Bool { true }
    var swiftOutputs: [String: String] { ["arn": "arn", "name": "aliasName"] }

    /// The account's own aliases (AWS's `alias/aws/…` left out).
    func discover() async throws -> [DiscoveredResource] {
        try await client.jsonAll(.kms.listAliases).compactMap { alias in
            guard let name = alias["AliasName"]?.stringValue, !name.hasPrefix("alias/aws/"), alias["TargetKeyId"] != nil else { return nil }
            return DiscoveredResource(id: name, name: name)
        }
    }

    func swiftArguments(_ live: Observed, in context: SwiftContext) -> [SwiftArgument] {
        [
            SwiftArgument("name", context.literal(live.id)),
            SwiftArgument("targetKeyId", context.input(live.attributes.string("targetKeyId") ?? "", naming: KMSKey.typeName, "keyId")),
        ]
    }
}
