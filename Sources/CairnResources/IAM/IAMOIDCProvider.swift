import CairnAWS
import CairnEngine
import CairnJSON

/// An IAM OpenID Connect identity provider (`aws iam create-open-id-connect-provider`), such as GitHub Actions'
/// token issuer: roles whose trust policy names it (`Principal.federated(provider.arn)`) can be assumed with
/// its tokens.
///
/// Attributes (as the state and plans show them):
/// - `url`: the issuer URL as declared (`https://token.actions.githubusercontent.com`); a change replaces the
///   provider.
/// - `clientIdList`: audiences, sorted (default `["sts.amazonaws.com"]`); changed in place.
/// - `thumbprintList`: certificate thumbprints, sorted and lower-case; changed in place. Empty means IAM
///   manages them itself (it does for well-known issuers such as GitHub's).
/// - `tags`: an object of strings.
public struct IAMOIDCProvider: ResourceDeclaration {
    /// The type name in addresses and the state.
    public static let typeName = "aws_iam_openid_connect_provider"
    /// GitHub Actions' token issuer.
    public static let gitHubActionsURL = "https://token.actions.githubusercontent.com"

    /// The name in the stack (`aws_iam_openid_connect_provider.<logicalName>`).
    public let logicalName: String
    /// The issuer URL (`https://…`); one provider per URL per account. A change replaces the provider.
    public var url: String
    /// The audiences tokens may be issued for (`aud`); STS's for role assumption by default.
    public var clientIdList: [String]
    /// Hex SHA-1 thumbprints (40 characters) of the issuer's certificate chain, up to 5; empty to let IAM
    /// use its own trusted certificate authorities.
    public var thumbprintList: [String]
    /// AWS tags.
    public var tags: Tags
    /// Dependencies and lifecycle options for the engine.
    public var options: ResourceOptions

    /// A provider for the issuer at `url`.
    public init(
        _ logicalName: String, url: String, clientIdList: [String] = ["sts.amazonaws.com"],
        thumbprintList: [String] = [], tags: Tags = [:], options: ResourceOptions = ResourceOptions()
    ) {
        self.logicalName = logicalName
        self.url = url
        self.clientIdList = clientIdList
        self.thumbprintList = thumbprintList
        self.tags = tags
        self.options = options
    }

    /// GitHub Actions' provider (`https://token.actions.githubusercontent.com`, audience `sts.amazonaws.com`).
    public static func gitHubActions(
        _ logicalName: String, thumbprintList: [String] = [], tags: Tags = [:],
        options: ResourceOptions = ResourceOptions()
    ) -> IAMOIDCProvider {
        IAMOIDCProvider(logicalName, url: gitHubActionsURL, thumbprintList: thumbprintList, tags: tags, options: options)
    }

    /// The provider's ARN (`arn:aws:iam::ACCOUNT:oidc-provider/HOST`), for trust policies.
    public var arn: Output<String> { Output(output("arn")) }

    /// Every managed attribute (see the type's documentation).
    public var attributes: [String: Value] {
        [
            "url": .string(url),
            "clientIdList": .json(.array(Set(clientIdList).sorted().map { .string($0) })),
            "thumbprintList": .json(.array(Set(thumbprintList.map { $0.lowercased() }).sorted().map { .string($0) })),
            "tags": .json(tags.json),
        ]
    }

    /// The URL, audiences, thumbprints and tags, as IAM checks them.
    public func validate() -> [ValidationIssue] {
        var issues: [ValidationIssue] = []
        func issue(_ attribute: String, _ message: String) {
            issues.append(ValidationIssue(address: address, attribute: attribute, message: message))
        }
        let rest = url.hasPrefix("https://") ? url.dropFirst("https://".count) : nil
        if url.count > 255 || rest == nil || rest!.isEmpty || rest!.hasPrefix("/") || rest!.contains(where: { "?#".contains($0) || $0.isWhitespace })
        {
            issue(
                "url",
                "'\(url)' is not an OpenID Connect issuer URL: write it as https://host[/path] (no query or fragment), "
                    + "up to 255 characters, like \(Self.gitHubActionsURL).")
        } else if rest!.hasSuffix("/") {
            issue("url", "'\(url)' ends with '/': write the issuer URL without it, as the tokens' `iss` claim does.")
        }
        if clientIdList.isEmpty {
            issue(
                "clientIdList",
                "list at least one audience, like \"sts.amazonaws.com\" (what GitHub Actions' aws-actions/configure-aws-credentials requests).")
        }
        if clientIdList.count > 100 {
            issue("clientIdList", "\(clientIdList.count) client ids is more than IAM's 100.")
        }
        var seenClients = Set<String>()
        for (i, client) in clientIdList.enumerated() {
            if client.isEmpty || client.count > 255 {
                issue("clientIdList[\(i)]", "client ids are 1 to 255 characters.")
            } else if !seenClients.insert(client).inserted {
                issue("clientIdList[\(i)]", "'\(client)' is listed twice: list each client id once.")
            }
        }
        if thumbprintList.count > 5 {
            issue("thumbprintList", "\(thumbprintList.count) thumbprints is more than IAM's 5.")
        }
        var seenThumbprints = Set<String>()
        for (i, thumbprint) in thumbprintList.enumerated() {
            if thumbprint.count != 40 || !thumbprint.allSatisfy(\.isHexDigit) {
                issue("thumbprintList[\(i)]", "'\(thumbprint)' is not a thumbprint: it must be 40 hexadecimal characters (a SHA-1 hash).")
            } else if !seenThumbprints.insert(thumbprint.lowercased()).inserted {
                issue("thumbprintList[\(i)]", "'\(thumbprint)' is listed twice: list each thumbprint once.")
            }
        }
        return issues + checkTags(tags, address: address)
    }
}

/// Creates, reads, updates and deletes IAM OpenID Connect providers; the physical id is the provider ARN.
struct IAMOIDCProviderProvider: ResourceProvider {
    let client: AWSClient
    let typeName = IAMOIDCProvider.typeName
    /// Adoption proof: the ownership tags; CreateOpenIDConnectProvider takes the tags.
    let adoptionProof = AdoptionProof.ownershipTags
    // Its ARN is its URL: an account holds one GitHub Actions provider, shared by every stack that needs it.
    let onePerAccount = true
    let replaceOnChange: Set<String> = ["url"]

    /// The URL, which `read` resolves to the ARN: the ARN holds the account id, unknown before the create.
    func physicalID(for attributes: [String: JSON]) -> String? { attributes.string("url") }

    func read(id: String, prior: [String: JSON]) async throws -> Observed? {
        guard let arn = try await resolveARN(id) else { return nil }
        let result: XMLNode
        do {
            result = try await client.query(.iam.getOpenIDConnectProvider, ["OpenIDConnectProviderArn": arn])
        } catch let error as AWSServiceError where error.isNotFound(["NoSuchEntity"]) {
            return nil
        }
        let live = result.string("Url") ?? ""
        let url = live.contains("://") ? live : "https://" + live
        var thumbprints = Set(result.list("ThumbprintList").map { $0.text.lowercased() }).sorted()
        // Declared empty: IAM fills in (and rotates) the thumbprints of issuers it trusts itself.
        if prior["thumbprintList"]?.arrayValue?.isEmpty == true { thumbprints = [] }
        return Observed(
            id: arn,
            attributes: [
                "url": .string(url),
                "clientIdList": .array(Set(result.list("ClientIDList").map(\.text)).sorted().map { .string($0) }),
                "thumbprintList": .array(thumbprints.map { .string($0) }),
                "tags": IAMRoleProvider.tags(result["Tags"]).json,
            ], outputs: ["arn": .string(arn)])
    }

    func create(_ attributes: [String: JSON]) async throws -> Applied {
        var parameters: QueryParameters = ["Url": attributes.string("url") ?? ""]
        parameters.list("ClientIDList", attributes.strings("clientIdList"))
        let thumbprints = attributes.strings("thumbprintList")
        if !thumbprints.isEmpty { parameters.list("ThumbprintList", thumbprints) }
        let tags = attributes.tags()
        if !tags.isEmpty { parameters.list("Tags", tags.keys.sorted().map { ["Key": $0, "Value": tags[$0]!] }) }
        let url = attributes.string("url") ?? ""
        let result = try await afterOtherChanges(to: "the IAM OIDC provider \(url)", refusals: [.iamConcurrentModification], clock: client.waitClock)
        {
            try await client.query(.iam.createOpenIDConnectProvider, parameters)
        }
        let arn = result.string("OpenIDConnectProviderArn") ?? ""
        return Applied(id: arn, outputs: ["arn": .string(arn)])
    }

    /// Adds new client ids before removing old ones (so that there is always one), replaces the thumbprints,
    /// and sets and removes tags.
    func update(id: String, from old: [String: JSON], to new: [String: JSON]) async throws -> Applied {
        let oldClients = Set(old.strings("clientIdList"))
        let newClients = Set(new.strings("clientIdList"))
        func change(_ operation: QueryOperation, _ clientID: String) async throws {
            _ = try await afterOtherChanges(to: "the IAM OIDC provider \(id)", refusals: [.iamConcurrentModification], clock: client.waitClock) {
                try await client.query(operation, ["OpenIDConnectProviderArn": id, "ClientID": clientID])
            }
        }
        for clientID in newClients.subtracting(oldClients).sorted() { try await change(.iam.addClientIDToOpenIDConnectProvider, clientID) }
        for clientID in oldClients.subtracting(newClients).sorted() { try await change(.iam.removeClientIDFromOpenIDConnectProvider, clientID) }
        let thumbprints = new.strings("thumbprintList")
        if old["thumbprintList"] != new["thumbprintList"], !thumbprints.isEmpty {
            var parameters: QueryParameters = ["OpenIDConnectProviderArn": id]
            parameters.list("ThumbprintList", thumbprints)
            _ = try await client.query(.iam.updateOpenIDConnectProviderThumbprint, parameters)
        }
        try await TaggingAPI.iamOIDCProvider.sync(client, resource: id, from: old.tags(), to: new.tags())
        return Applied(id: id, outputs: ["arn": .string(id)])
    }

    func delete(id: String, attributes: [String: JSON]) async throws {
        try await ignoringNotFound(["NoSuchEntity"]) {
            guard let arn = try await resolveARN(id) else { return }
            _ = try await client.query(.iam.deleteOpenIDConnectProvider, ["OpenIDConnectProviderArn": arn])
        }
    }

    /// `id` itself when it is an ARN; for a planned id (the URL, from an interrupted create), the ARN of the
    /// account's provider for that URL, or nil when there is none.
    private func resolveARN(_ id: String) async throws -> String? {
        if id.hasPrefix("arn:") { return id }
        let hostAndPath = id.range(of: "://").map { String(id[$0.upperBound...]) } ?? id
        let result = try await client.query(.iam.listOpenIDConnectProviders)
        return result.list("OpenIDConnectProviderList").compactMap { $0.string("Arn") }
            .first { $0.hasSuffix(":oidc-provider/" + hostAndPath) }
    }
}

// MARK: cairn generate

extension IAMOIDCProviderProvider: DiscoverableProvider {
    var swiftType: String { "IAMOIDCProvider" }
    var swiftNoun: String { "oidcProvider" }
    var swiftNounSuffixed: Bool { true }
    var swiftOutputs: [String: String] { ["arn": "arn"] }

    /// The account's providers, each named by its issuer's host and path (`oidc.eks.eu-north-1.amazonaws.com/id/…`), GitHub
    /// Actions' as `github-actions`.
    func discover() async throws -> [DiscoveredResource] {
        try await client.query(.iam.listOpenIDConnectProviders).list("OpenIDConnectProviderList").compactMap { provider in
            guard let arn = provider.string("Arn"), let range = arn.range(of: ":oidc-provider/") else { return nil }
            let issuer = String(arn[range.upperBound...])
            return DiscoveredResource(id: arn, name: "https://\(issuer)" == IAMOIDCProvider.gitHubActionsURL ? "github-actions" : issuer)
        }
    }

    func swiftArguments(_ live: Observed, in context: SwiftContext) -> [SwiftArgument] {
        let attributes = live.attributes
        var arguments = [SwiftArgument("url", context.literal(attributes.string("url") ?? ""))]
        let clients = attributes.strings("clientIdList")
        if clients != ["sts.amazonaws.com"] { arguments.append(SwiftArgument("clientIdList", SwiftCode.strings(clients))) }
        let thumbprints = attributes.strings("thumbprintList")
        if !thumbprints.isEmpty { arguments.append(SwiftArgument("thumbprintList", SwiftCode.strings(thumbprints))) }
        if let tags = context.tags(live) { arguments.append(tags) }
        return arguments
    }
}
