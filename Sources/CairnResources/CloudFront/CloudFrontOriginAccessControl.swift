import CairnAWS
import CairnEngine
import CairnJSON
import Foundation

/// A CloudFront origin access control (`aws cloudfront create-origin-access-control`): how CloudFront signs its requests
/// to an origin, so that a private S3 bucket can admit CloudFront alone (its bucket policy names the distribution).
///
/// Attributes (as the state and plans show them):
/// - `name`: unique in the account, up to 64 characters; changed in place.
/// - `description`: `""` by default, up to 256 characters; changed in place.
/// - `originType`: `"s3"`, `"mediastore"`, `"mediapackagev2"` or `"lambda"`; changed in place.
/// - `signingBehavior`: `"always"`, `"never"` or `"no-override"`; changed in place.
/// - `signingProtocol`: `"sigv4"`, the only one CloudFront has.
///
/// Origin access controls take no tags.
public struct CloudFrontOriginAccessControl: ResourceDeclaration {
    /// The type name in addresses and the state.
    public static let typeName = "aws_cloudfront_origin_access_control"

    /// What kind of origin CloudFront signs for (botocore's `OriginAccessControlOriginTypes`).
    public enum OriginType: String, Sendable, CaseIterable {
        case s3
        case mediaStore = "mediastore"
        case mediaPackageV2 = "mediapackagev2"
        case lambda
    }

    /// Which requests CloudFront signs (botocore's `OriginAccessControlSigningBehaviors`).
    public enum SigningBehavior: String, Sendable, CaseIterable {
        /// Every request, replacing a viewer's own `Authorization` header: what a private S3 bucket needs.
        case always
        /// None.
        case never
        /// Requests without a viewer `Authorization` header; others go with the viewer's.
        case noOverride = "no-override"
    }

    /// How CloudFront signs (botocore's `OriginAccessControlSigningProtocols`).
    public enum SigningProtocol: String, Sendable, CaseIterable {
        /// AWS Signature Version 4.
        case sigv4
    }

    /// The name in the stack (`aws_cloudfront_origin_access_control.<logicalName>`).
    public let logicalName: String
    /// Unique among the account's origin access controls, up to 64 characters.
    public var name: Input<String>
    /// What it is for, up to 256 characters.
    public var description: String
    /// The kind of origin it signs for.
    public var originType: OriginType
    /// Which requests it signs.
    public var signingBehavior: SigningBehavior
    /// How it signs.
    public var signingProtocol: SigningProtocol
    /// Dependencies and lifecycle options for the engine.
    public var options: ResourceOptions

    /// An origin access control; by default one for an S3 origin that signs every request, as a private bucket needs.
    public init(
        _ logicalName: String, name: Input<String>, description: String = "", originType: OriginType = .s3,
        signingBehavior: SigningBehavior = .always, signingProtocol: SigningProtocol = .sigv4, options: ResourceOptions = ResourceOptions()
    ) {
        self.logicalName = logicalName
        self.name = name
        self.description = description
        self.originType = originType
        self.signingBehavior = signingBehavior
        self.signingProtocol = signingProtocol
        self.options = options
    }

    /// The id CloudFront gave it, what a distribution's origin takes (`CloudFrontDistribution.Origin.s3(originAccessControl:)`).
    public var id: Output<String> { Output(output("id")) }

    /// Every managed attribute (see the type's documentation).
    public var attributes: [String: Value] {
        [
            "name": name.value,
            "description": .string(description),
            "originType": .string(originType.rawValue),
            "signingBehavior": .string(signingBehavior.rawValue),
            "signingProtocol": .string(signingProtocol.rawValue),
        ]
    }

    /// The name and the description, as CloudFront limits them.
    public func validate() -> [ValidationIssue] {
        var issues = checkName(
            name, address: address, attribute: "name", length: 1...64, pattern: #"\A.+\z"#,
            rule: "an origin access control's name is 1 to 64 characters on one line")
        if description.count > 256 {
            issues.append(
                ValidationIssue(
                    address: address, attribute: "description",
                    message: "the description has \(description.count) characters; CloudFront allows 256."))
        }
        return issues
    }
}

/// Creates, reads, updates and deletes origin access controls; the physical id is the id CloudFront gives it. Every
/// change sends the ETag of a read just before it in If-Match, as CloudFront requires.
struct CloudFrontOriginAccessControlProvider: ResourceProvider {
    let client: AWSClient
    let typeName = CloudFrontOriginAccessControl.typeName
    /// Adoption proof: none. An OAC has no tags and no creation time, so nothing proves that one found under the
    /// planned name came from the interrupted create: the plan stops and asks for `cairn import`.
    let adoptionProof = AdoptionProof.none
    let replaceOnChange: Set<String> = []
    let localAttributes: Set<String> = []

    /// CloudFront's answer for an id that does not exist.
    static let goneCodes: Set<String> = ["NoSuchOriginAccessControl"]
    /// OriginAccessControlConfig's members, in botocore's order.
    static let configMembers = ["Name", "Description", "SigningProtocol", "SigningBehavior", "OriginAccessControlOriginType"]

    /// The name, unique in the account: `read` finds an OAC by it too (ListOriginAccessControls), so that a plan can
    /// tell a name already taken before the create.
    func physicalID(for attributes: [String: JSON]) -> String? { attributes.string("name") }

    /// By id (GetOriginAccessControl), else by name among the account's OACs: the planned name of a create, or an
    /// import by name. Nil when neither finds one.
    func read(id: String, prior: [String: JSON]) async throws -> Observed? {
        // A name CloudFront could not have chosen as an id (ids are capital letters and digits) is looked up by name only.
        if CloudFrontWire.couldBeID(id), let found = try await get(id) { return observed(found.node) }
        let summaries = try await client.restXMLAll(.cloudFront.listOriginAccessControls)
        guard let match = summaries.first(where: { $0.string("Name") == id }), let matchID = match.string("Id") else { return nil }
        return try await get(matchID).map { observed($0.node) }
    }

    func create(_ attributes: [String: JSON]) async throws -> Applied {
        let answer = try await client.restXML(.cloudFront.createOriginAccessControl, body: .xml(Self.configXML(attributes)))
        let id = answer.xml?.string("Id") ?? ""
        return Applied(id: id, outputs: ["id": .string(id)])
    }

    func update(id: String, from old: [String: JSON], to new: [String: JSON]) async throws -> Applied {
        try await CloudFrontWire.withCurrentETag(read: { try await current(id) }) { _, etag in
            _ = try await client.restXML(.cloudFront.updateOriginAccessControl, ["Id": id, "IfMatch": etag], body: .xml(Self.configXML(new)))
        }
        return Applied(id: id, outputs: ["id": .string(id)])
    }

    /// Deletes it with the current ETag; one already gone counts as deleted. CloudFront refuses while a distribution's
    /// origin uses it (OriginAccessControlInUse): the distribution goes first, as it depends on the OAC.
    func delete(id: String, attributes: [String: JSON]) async throws {
        try await ignoringNotFound(Self.goneCodes) {
            try await CloudFrontWire.withCurrentETag(read: { try await current(id) }) { _, etag in
                _ = try await client.restXML(.cloudFront.deleteOriginAccessControl, ["Id": id, "IfMatch": etag])
            }
        }
    }

    // MARK: Helpers

    /// The OAC `id` (`<OriginAccessControl>`) and its ETag, nil when there is none.
    private func get(_ id: String) async throws -> (node: XMLNode, etag: String)? {
        try await nilIfNotFound(Self.goneCodes) {
            let answer = try await client.restXML(.cloudFront.getOriginAccessControl, ["Id": id])
            return (answer.xml ?? XMLNode("OriginAccessControl"), answer.etag ?? "")
        }
    }

    /// What is there now and its ETag, for a versioned write; a missing OAC is CloudFront's own error.
    private func current(_ id: String) async throws -> (node: XMLNode?, etag: String) {
        let answer = try await client.restXML(.cloudFront.getOriginAccessControl, ["Id": id])
        return (answer.xml, answer.etag ?? "")
    }

    private func observed(_ control: XMLNode) -> Observed {
        let config = control["OriginAccessControlConfig"]
        let id = control.string("Id") ?? ""
        return Observed(
            id: id,
            attributes: [
                "name": .string(config?.string("Name") ?? ""),
                "description": .string(config?.string("Description") ?? ""),
                "originType": .string(config?.string("OriginAccessControlOriginType") ?? ""),
                "signingBehavior": .string(config?.string("SigningBehavior") ?? ""),
                "signingProtocol": .string(config?.string("SigningProtocol") ?? ""),
            ], outputs: ["id": .string(id)])
    }

    /// The children of `<OriginAccessControlConfig>`, in the model's order.
    static func configXML(_ attributes: [String: JSON]) -> [XMLNode] {
        let values = [
            "Name": attributes.string("name") ?? "", "Description": attributes.string("description") ?? "",
            "SigningProtocol": attributes.string("signingProtocol") ?? "sigv4",
            "SigningBehavior": attributes.string("signingBehavior") ?? "always",
            "OriginAccessControlOriginType": attributes.string("originType") ?? "s3",
        ]
        return configMembers.map { CloudFrontWire.element($0, values[$0]!) }
    }
}

// MARK: cairn generate

extension CloudFrontOriginAccessControlProvider: DiscoverableProvider {
    var swiftType: String { "CloudFrontOriginAccessControl" }
    var swiftNoun: String { "originAccessControl" }
    var swiftNounSuffixed: Bool { true }
    var swiftOutputs: [String: String] { ["id": "id"] }

    func discover() async throws -> [DiscoveredResource] {
        try await client.restXMLAll(.cloudFront.listOriginAccessControls).compactMap { summary in
            guard let id = summary.string("Id") else { return nil }
            return DiscoveredResource(id: id, name: summary.string("Name") ?? id)
        }
    }

    func swiftArguments(_ live: Observed, in context: SwiftContext) -> [SwiftArgument] {
        let attributes = live.attributes
        var arguments = [SwiftArgument("name", context.literal(attributes.string("name") ?? ""))]
        if let description = attributes.string("description"), !description.isEmpty {
            arguments.append(SwiftArgument("description", context.literal(description)))
        }
        let originType = attributes.string("originType") ?? "s3"
        if let known = CloudFrontOriginAccessControl.OriginType(rawValue: originType) {
            if known != .s3 { arguments.append(SwiftArgument("originType", ".\(String(describing: known))")) }
        } else {
            context.cannotDeclare("its origin type \(originType) is not one CloudFrontOriginAccessControl.OriginType names")
        }
        let behavior = attributes.string("signingBehavior") ?? "always"
        if let known = CloudFrontOriginAccessControl.SigningBehavior(rawValue: behavior) {
            if known != .always { arguments.append(SwiftArgument("signingBehavior", ".\(String(describing: known))")) }
        } else {
            context.cannotDeclare("its signing behavior \(behavior) is not one CloudFrontOriginAccessControl.SigningBehavior names")
        }
        if let signing = attributes.string("signingProtocol"), signing != "sigv4" {
            context.cannotDeclare("its signing protocol \(signing) is not one CloudFrontOriginAccessControl.SigningProtocol names")
        }
        return arguments
    }
}
