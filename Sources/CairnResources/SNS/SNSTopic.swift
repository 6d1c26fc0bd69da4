import CairnAWS
import CairnEngine
import CairnJSON

/// An SNS topic (`aws sns create-topic`), standard or FIFO.
///
/// Attributes (as the state and plans show them):
/// - `name`: the topic name (FIFO topics end with `.fifo`); a change replaces the topic.
/// - `fifo`: `false` by default; a change replaces the topic.
/// - `displayName`: `""` by default (the `From` name of email notifications).
/// - `kmsMasterKeyId`: the KMS key for encryption at rest, or null for none.
/// - `contentBasedDeduplication`: `false` by default; FIFO topics only.
/// - `policy`: the access policy in IAM's normal form, compared as a policy document (key order, whitespace and
///   one-element lists never show as a difference); null for SNS's default policy (the account's own principals may
///   use the topic). A statement naming no resource applies to the topic itself: Cairn writes the topic's ARN there
///   (unknown until the topic exists) and shows it without. Changed in place (SetTopicAttributes); removing it writes
///   the default policy back.
/// - `tags`: an object of strings.
public struct SNSTopic: ResourceDeclaration {
    /// The type name in addresses and the state.
    public static let typeName = "aws_sns_topic"

    /// The name in the stack (`aws_sns_topic.<logicalName>`).
    public let logicalName: String
    /// The topic name: 1 to 256 letters, digits, hyphens and underscores, plus `.fifo` for a FIFO topic.
    public var name: Input<String>
    /// Shown as the sender of email notifications (and, up to 10 characters, of SMS); empty for none.
    public var displayName: String
    /// A KMS key id, alias (`alias/aws/sns`) or ARN to encrypt messages at rest; nil for no encryption.
    public var kmsMasterKeyId: Input<String>?
    /// A FIFO topic (strict ordering, deduplication); fixed at creation.
    public var fifo: Bool
    /// FIFO topics only: deduplicate by a hash of the message body when no deduplication id is given.
    public var contentBasedDeduplication: Bool
    /// Who may do what with the topic, such as EventBridge publishing to it; statements that name no resource apply to
    /// this topic. Nil for SNS's default policy: principals of the topic's own account only.
    public var policy: ResourcePolicy?
    /// AWS tags.
    public var tags: Tags
    /// Dependencies and lifecycle options for the engine.
    public var options: ResourceOptions

    /// A topic named `name`, with SNS's defaults for everything not given.
    public init(
        _ logicalName: String, name: Input<String>, displayName: String = "", kmsMasterKeyId: Input<String>? = nil,
        fifo: Bool = false, contentBasedDeduplication: Bool = false, policy: ResourcePolicy? = nil, tags: Tags = [:],
        options: ResourceOptions = ResourceOptions()
    ) {
        self.logicalName = logicalName
        self.name = name
        self.displayName = displayName
        self.kmsMasterKeyId = kmsMasterKeyId
        self.fifo = fifo
        self.contentBasedDeduplication = contentBasedDeduplication
        self.policy = policy
        self.tags = tags
        self.options = options
    }

    /// The topic's ARN, what subscriptions, alarms and pipeline approvals take.
    public var arn: Output<String> { Output(output("arn")) }
    /// The topic's name.
    public var topicName: Output<String> { Output(output("name")) }

    /// Every managed attribute, with SNS's defaults filled in (see the type's documentation).
    public var attributes: [String: Value] {
        [
            "name": name.value,
            "displayName": .string(displayName),
            "kmsMasterKeyId": kmsMasterKeyId.map { $0.literal == "" ? .null : $0.value } ?? .null,
            "fifo": .bool(fifo),
            "contentBasedDeduplication": .bool(contentBasedDeduplication),
            "policy": policy?.value ?? .null,
            "tags": .json(tags.json),
        ]
    }

    /// The name, display name, FIFO settings, policy (JSON with statements, each naming a principal) and tags, as SNS
    /// checks them.
    public func validate() -> [ValidationIssue] {
        var issues: [ValidationIssue] = []
        func issue(_ attribute: String, _ message: String) {
            issues.append(ValidationIssue(address: address, attribute: attribute, message: message))
        }
        if let text = name.literal {
            let base = fifo && text.hasSuffix(".fifo") ? String(text.dropLast(5)) : text
            if fifo && !text.hasSuffix(".fifo") {
                issue("name", "'\(text)' is a FIFO topic's name, so it must end with '.fifo'.")
            } else if base.isEmpty || base.count > 256 || base.range(of: #"\A[A-Za-z0-9_-]+\z"#, options: .regularExpression) == nil {
                issue(
                    "name",
                    "'\(text)' breaks SNS's naming rule: topic names are 1 to 256 letters, digits, hyphens and underscores"
                        + (fifo ? ", followed by '.fifo'." : " (only FIFO topics end with '.fifo')."))
            }
        }
        if displayName.count > 100 {
            issue("displayName", "the display name has \(displayName.count) characters; SNS allows 100.")
        }
        if contentBasedDeduplication && !fifo {
            issue("contentBasedDeduplication", "content-based deduplication applies only to FIFO topics: set fifo: true, or remove it.")
        }
        issues +=
            policy?.validate(
                address: address, attribute: "policy", noun: "topic policy", service: "SNS", maxBytes: 30 * 1024, requiresResource: false)
            ?? []
        return issues + checkTags(tags, address: address)
    }
}

/// Creates, reads, updates and deletes SNS topics; the physical id is the topic ARN.
struct SNSTopicProvider: ResourceProvider {
    let client: AWSClient
    let typeName = SNSTopic.typeName
    /// Adoption proof: the ownership tags; CreateTopic takes the tags.
    let adoptionProof = AdoptionProof.ownershipTags
    let replaceOnChange: Set<String> = ["name", "fifo"]

    /// The name, which `read` resolves to the ARN: the ARN holds the account id, unknown before the create.
    func physicalID(for attributes: [String: JSON]) -> String? { attributes.string("name") }

    func read(id: String, prior: [String: JSON]) async throws -> Observed? {
        guard let arn = try await resolveARN(id) else { return nil }
        let attributes: [String: String]
        let tags: [String: String]
        do {
            attributes = Self.entries(try await client.query(.sns.getTopicAttributes, ["TopicArn": arn])["Attributes"])
            tags = IAMRoleProvider.tags(try await client.query(.sns.listTagsForResource, ["ResourceArn": arn])["Tags"])
        } catch let error as AWSServiceError where error.isNotFound(["NotFound", "ResourceNotFound"]) {
            return nil
        }
        let name = Self.name(of: arn)
        let kmsKey = attributes["KmsMasterKeyId"].flatMap { $0.isEmpty ? nil : $0 }
        return Observed(
            id: arn,
            attributes: [
                "name": .string(name),
                "displayName": .string(attributes["DisplayName"] ?? ""),
                "kmsMasterKeyId": kmsKey.map { .string($0) } ?? .null,
                "fifo": .bool(attributes["FifoTopic"] == "true"),
                "contentBasedDeduplication": .bool(attributes["ContentBasedDeduplication"] == "true"),
                "policy": Self.observedPolicy(attributes["Policy"], topicARN: arn, declared: prior["policy"]),
                "tags": tags.json,
            ], outputs: ["arn": .string(arn), "name": .string(name)])
    }

    func create(_ attributes: [String: JSON]) async throws -> Applied {
        let name = attributes.string("name") ?? ""
        var parameters: QueryParameters = ["Name": name]
        var topicAttributes: [String: String] = [:]
        if let displayName = attributes.string("displayName"), !displayName.isEmpty { topicAttributes["DisplayName"] = displayName }
        if let key = attributes.string("kmsMasterKeyId") { topicAttributes["KmsMasterKeyId"] = key }
        if attributes.bool("fifo") == true {
            topicAttributes["FifoTopic"] = "true"
            topicAttributes["ContentBasedDeduplication"] = attributes.bool("contentBasedDeduplication") == true ? "true" : "false"
        }
        // A policy whose statements all name their resource goes with the create; one that leaves this topic's ARN
        // to Cairn follows it, once the ARN is known.
        let policy: JSON? = attributes["policy"]?.isNull == false ? attributes["policy"] : nil
        if let policy, Self.namesEveryResource(policy) { topicAttributes["Policy"] = policy.description }
        if !topicAttributes.isEmpty { parameters.map("Attributes", topicAttributes) }
        let tags = attributes.tags()
        if !tags.isEmpty { parameters.list("Tags", tags.keys.sorted().map { ["Key": $0, "Value": tags[$0]!] }) }
        // CreateTopic is idempotent for one name and the same attributes, so a refused policy can be sent again.
        let arn = try await acceptingNewPrincipals(name) { try await client.query(.sns.createTopic, parameters) }.string("TopicArn") ?? ""
        if let policy, topicAttributes["Policy"] == nil {
            try await setPolicy(arn, Self.policyText(policy, topicARN: arn))
        }
        return Applied(id: arn, outputs: ["arn": .string(arn), "name": .string(name)])
    }

    /// Sets each changed attribute with `SetTopicAttributes` (an empty KMS key turns encryption off; no policy is the
    /// default policy, written back, since SNS takes no empty one), and sets and removes tags.
    func update(id: String, from old: [String: JSON], to new: [String: JSON]) async throws -> Applied {
        func set(_ name: String, _ value: String) async throws {
            _ = try await client.query(.sns.setTopicAttributes, ["TopicArn": id, "AttributeName": name, "AttributeValue": value])
        }
        if old["displayName"] != new["displayName"] { try await set("DisplayName", new.string("displayName") ?? "") }
        if (old["kmsMasterKeyId"] ?? .null) != (new["kmsMasterKeyId"] ?? .null) {
            try await set("KmsMasterKeyId", new.string("kmsMasterKeyId") ?? "")
        }
        if old["contentBasedDeduplication"] != new["contentBasedDeduplication"], new.bool("fifo") == true {
            try await set("ContentBasedDeduplication", new.bool("contentBasedDeduplication") == true ? "true" : "false")
        }
        let newPolicy = new["policy"] ?? .null
        if (old["policy"] ?? .null) != newPolicy {
            try await setPolicy(id, newPolicy.isNull ? Self.defaultPolicy(topicARN: id).description : Self.policyText(newPolicy, topicARN: id))
        }
        try await TaggingAPI.sns.sync(client, resource: id, from: old.tags(), to: new.tags())
        return Applied(id: id, outputs: ["arn": .string(id), "name": .string(Self.name(of: id))])
    }

    /// Deletes the topic (SNS deletes its subscriptions with it); deleting a topic that is gone succeeds.
    func delete(id: String, attributes: [String: JSON]) async throws {
        try await ignoringNotFound(["NotFound", "ResourceNotFound"]) {
            guard let arn = try await resolveARN(id) else { return }
            _ = try await client.query(.sns.deleteTopic, ["TopicArn": arn])
        }
    }

    // MARK: Helpers

    private func setPolicy(_ arn: String, _ text: String) async throws {
        _ = try await acceptingNewPrincipals(Self.name(of: arn)) {
            try await client.query(.sns.setTopicAttributes, ["TopicArn": arn, "AttributeName": "Policy", "AttributeValue": text])
        }
    }

    /// SNS refuses a policy naming an IAM principal created seconds earlier ("Policy Error: PrincipalNotFound") until
    /// IAM's change reaches it.
    private func acceptingNewPrincipals<T>(_ topic: String, _ call: () async throws -> T) async throws -> T {
        try await awaitingPropagation(
            of: "the principals of topic \(topic)'s policy", to: "SNS",
            refusals: [Refusal("InvalidParameter", messageContains: ["PrincipalNotFound"])], clock: client.waitClock,
            hint: "Check that every principal the policy names exists.", call)
    }

    /// Whether every statement names its resource (`Resource` or `NotResource`), so the policy needs no topic ARN.
    static func namesEveryResource(_ policy: JSON) -> Bool {
        (policy["Statement"]?.arrayValue ?? []).allSatisfy { $0["Resource"] != nil || $0["NotResource"] != nil }
    }

    /// The policy as SNS takes it: statements naming no resource get the topic's ARN.
    static func policyText(_ policy: JSON, topicARN: String) -> String {
        guard case .object(var members) = policy, let statements = members["Statement"]?.arrayValue else { return policy.description }
        members["Statement"] = .array(
            statements.map { statement in
                guard case .object(var fields) = statement, fields["Resource"] == nil, fields["NotResource"] == nil else { return statement }
                fields["Resource"] = .string(topicARN)
                return .object(fields)
            })
        return JSON.object(members).description
    }

    /// The live policy as the declaration writes it: null for SNS's default policy when the declaration names none,
    /// and a statement's `Resource` left out where it is this topic and the declaration's statement names none.
    ///
    /// Undeclared is the default policy, not "whatever AWS has" (Terraform's `aws_sns_topic` reads an undeclared
    /// policy as no drift): a policy is who may publish and subscribe, and one added by hand is reported, then undone
    /// by the next apply, as any other change to a managed attribute.
    static func observedPolicy(_ text: String?, topicARN: String, declared: JSON?) -> JSON {
        guard let text, !text.isEmpty else { return .null }
        guard let live = PolicyNormalizer.parse(text) else { return .string(text) }
        let declared = declared ?? .null
        if declared.isNull {
            return isDefaultPolicy(live, topicARN: topicARN) ? .null : live
        }
        guard case .object(var members) = live, let statements = members["Statement"]?.arrayValue else { return live }
        let declaredStatements = declared["Statement"]?.arrayValue ?? []
        members["Statement"] = .array(
            statements.enumerated().map { index, statement in
                guard index < declaredStatements.count, declaredStatements[index]["Resource"] == nil,
                    declaredStatements[index]["NotResource"] == nil, case .object(var fields) = statement,
                    fields["Resource"] == .string(topicARN)
                else { return statement }
                fields["Resource"] = nil
                return .object(fields)
            })
        return .object(members)
    }

    /// Whether a normalised policy is SNS's default for the topic, today's or the one older topics have (which also
    /// grants `SNS:Receive`), its `Id` and `Sid` aside.
    static func isDefaultPolicy(_ policy: JSON, topicARN: String) -> Bool {
        [false, true].contains { receive in
            PolicyNormalizer.grantsAlike(policy, PolicyNormalizer.normalize(defaultPolicy(topicARN: topicARN, receive: receive)))
        }
    }

    /// SNS's default policy for the topic `topicARN`, what CreateTopic gives it: principals of the topic's own account
    /// may manage it, subscribe and publish (and, in the older wording, receive).
    static func defaultPolicy(topicARN: String, receive: Bool = false) -> JSON {
        let parts = topicARN.split(separator: ":", omittingEmptySubsequences: false)
        let account = parts.count > 4 ? String(parts[4]) : ""
        let actions: [JSON] = [
            "SNS:GetTopicAttributes", "SNS:SetTopicAttributes", "SNS:AddPermission", "SNS:RemovePermission",
            "SNS:DeleteTopic", "SNS:Subscribe", "SNS:ListSubscriptionsByTopic", "SNS:Publish",
        ]
        return [
            "Version": "2008-10-17",
            "Id": "__default_policy_ID",
            "Statement": [
                [
                    "Sid": "__default_statement_ID",
                    "Effect": "Allow",
                    "Principal": ["AWS": "*"],
                    "Action": .array(actions + (receive ? ["SNS:Receive"] : [])),
                    "Resource": .string(topicARN),
                    "Condition": ["StringEquals": ["AWS:SourceOwner": .string(account)]],
                ]
            ],
        ]
    }

    /// `id` itself when it is an ARN; for a planned id (the name, from an interrupted create), the ARN of the
    /// region's topic with that name, or nil when there is none.
    private func resolveARN(_ id: String) async throws -> String? {
        if id.hasPrefix("arn:") { return id }
        return try await client.queryAll(.sns.listTopics).compactMap { $0.string("TopicArn") }.first { Self.name(of: $0) == id }
    }

    /// The last component of a topic ARN (`arn:aws:sns:REGION:ACCOUNT:NAME`).
    static func name(of arn: String) -> String {
        String(arn.split(separator: ":", omittingEmptySubsequences: false).last ?? "")
    }

    /// `<entry><key>…</key><value>…</value></entry>…` (SNS's attribute maps) as a dictionary.
    static func entries(_ map: XMLNode?) -> [String: String] {
        var result: [String: String] = [:]
        for entry in map?.children ?? [] {
            if let key = entry.string("key") { result[key] = entry.string("value") ?? "" }
        }
        return result
    }
}

// MARK: cairn generate

extension SNSTopicProvider: DiscoverableProvider {
    var swiftType: String { "SNSTopic" }
    var swiftNoun: String { "topic" }
    var swiftNounSuffixed: Bool { true }
    var swiftOutputs: [String: String] { ["arn": "arn", "name": "topicName"] }

    func discover() async throws -> [DiscoveredResource] {
        try await client.queryAll(.sns.listTopics).compactMap { topic in
            topic.string("TopicArn").map { DiscoveredResource(id: $0, name: Self.name(of: $0)) }
        }
    }

    func swiftArguments(_ live: Observed, in context: SwiftContext) -> [SwiftArgument] {
        let attributes = live.attributes
        var arguments = [SwiftArgument("name", context.literal(attributes.string("name") ?? ""))]
        if let display = attributes.string("displayName"), !display.isEmpty {
            arguments.append(SwiftArgument("displayName", context.literal(display)))
        }
        if let key = attributes.string("kmsMasterKeyId") {
            arguments.append(SwiftArgument("kmsMasterKeyId", context.input(key, naming: KMSKey.typeName, "arn")))
        }
        if attributes.bool("fifo") == true { arguments.append(SwiftArgument("fifo", "true")) }
        if attributes.bool("contentBasedDeduplication") == true { arguments.append(SwiftArgument("contentBasedDeduplication", "true")) }
        if let policy = attributes["policy"], !policy.isNull {
            // What PolicyStatement cannot say (a policy's Id) stays as the JSON text SNS has.
            let swift = PolicyDocument.swift(policy, in: context).map { ".document(\($0))" } ?? ".json(\(context.literal(policy.description)))"
            arguments.append(SwiftArgument("policy", swift))
        }
        if let tags = context.tags(live) { arguments.append(tags) }
        return arguments
    }
}
