import CairnAWS
import CairnEngine
import CairnJSON

/// A subscription of an endpoint to an SNS topic (`aws sns subscribe`).
///
/// Email and HTTP(S) subscriptions stay *pending confirmation* until their owner confirms them (SNS lists them
/// with the subscription ARN `PendingConfirmation`, and deletes unconfirmed ones after three days). A pending
/// subscription is still a live subscription to Cairn: it is found by listing the topic's subscriptions, and
/// not re-created.
///
/// SMS subscriptions need no confirmation. Attributes (as the state and plans show them): `topicArn`, `protocol`
/// (`email`, `email-json`, `http`, `https`, `sqs`, `lambda`, `sms`) and `endpoint`. SNS cannot change any of them: a change replaces the subscription.
public struct SNSSubscription: ResourceDeclaration {
    /// The type name in addresses and the state.
    public static let typeName = "aws_sns_topic_subscription"

    /// How SNS delivers to the endpoint.
    public enum DeliveryProtocol: String, Sendable {
        /// Email with the message text; needs confirming by the recipient.
        case email
        /// Email with the message as JSON; needs confirming by the recipient.
        case emailJSON = "email-json"
        /// HTTP POST to a URL; needs confirming by the endpoint.
        case http
        /// HTTPS POST to a URL; needs confirming by the endpoint.
        case https
        /// An SQS queue (endpoint: the queue ARN).
        case sqs
        /// A Lambda function (endpoint: the function ARN).
        case lambda
        /// A text message to a phone (endpoint: the number in E.164 form, such as `+12065550100`); no confirmation.
        case sms
    }

    /// The name in the stack (`aws_sns_topic_subscription.<logicalName>`).
    public let logicalName: String
    /// The topic's ARN (`SNSTopic.arn`).
    public var topicArn: Input<String>
    /// How SNS delivers.
    public var `protocol`: DeliveryProtocol
    /// Where SNS delivers: an email address, a URL, a queue or function ARN, or a phone number, as the protocol requires.
    public var endpoint: Input<String>
    /// Dependencies and lifecycle options for the engine.
    public var options: ResourceOptions

    /// A subscription of `endpoint` to the topic `topicArn`.
    public init(
        _ logicalName: String, topicArn: Input<String>, protocol: DeliveryProtocol, endpoint: Input<String>,
        options: ResourceOptions = ResourceOptions()
    ) {
        self.logicalName = logicalName
        self.topicArn = topicArn
        self.protocol = `protocol`
        self.endpoint = endpoint
        self.options = options
    }

    /// The subscription's ARN.
    public var arn: Output<String> { Output(output("arn")) }
    /// Whether the subscription still waits for its endpoint's owner to confirm it.
    public var pendingConfirmation: Output<Bool> { Output(output("pendingConfirmation")) }

    /// Every managed attribute (see the type's documentation).
    public var attributes: [String: Value] {
        [
            "topicArn": topicArn.value,
            "protocol": .string(`protocol`.rawValue),
            "endpoint": endpoint.value,
        ]
    }

    /// The topic ARN and the endpoint's form for the protocol.
    public func validate() -> [ValidationIssue] {
        var issues: [ValidationIssue] = []
        func issue(_ attribute: String, _ message: String) {
            issues.append(ValidationIssue(address: address, attribute: attribute, message: message))
        }
        if let topic = topicArn.literal,
            topic.range(of: #"\Aarn:aws[a-z-]*:sns:[a-z0-9-]+:[0-9]{12}:[A-Za-z0-9_.-]+\z"#, options: .regularExpression) == nil
        {
            issue(
                "topicArn",
                "'\(topic)' is not an SNS topic ARN: use the topic's arn output, or write it like arn:aws:sns:us-east-1:123456789012:alerts.")
        }
        // A sensitive endpoint (a phone number from the environment) is checked too, without showing it.
        let text: String
        let shown: String
        if let literal = endpoint.literal {
            (text, shown) = (literal, "'\(literal)'")
        } else if case .sensitive(.json(.string(let secret))) = endpoint.value {
            (text, shown) = (secret, "the endpoint (sensitive, not shown)")
        } else {
            return issues
        }
        switch `protocol` {
        case .email, .emailJSON:
            if text.range(of: #"\A[^@\s]+@[^@\s]+\.[^@\s]+\z"#, options: .regularExpression) == nil {
                issue("endpoint", "\(shown) is not an email address, which the \(`protocol`.rawValue) protocol needs.")
            }
        case .http, .https:
            if !text.hasPrefix("\(`protocol`.rawValue)://") || text.count <= "\(`protocol`.rawValue)://".count {
                issue("endpoint", "the \(`protocol`.rawValue) protocol needs a URL starting with \(`protocol`.rawValue)://, not \(shown).")
            }
        case .sms:
            if text.range(of: #"\A\+[1-9][0-9]{0,14}\z"#, options: .regularExpression) == nil {
                issue(
                    "endpoint",
                    "\(shown) is not a phone number in E.164 form, which the sms protocol needs: '+', the country code and the number, "
                        + "15 digits at most, without spaces or dashes (such as +12065550100).")
            }
        case .sqs, .lambda:
            let service = `protocol`.rawValue
            if text.range(of: #"\Aarn:aws[a-z-]*:\#(service):[a-z0-9-]+:[0-9]{12}:\S+\z"#, options: .regularExpression) == nil {
                issue("endpoint", "the \(service) protocol needs an \(service == "sqs" ? "SQS queue" : "Lambda function") ARN, not \(shown).")
            }
        }
        return issues
    }
}

/// Creates, reads and deletes SNS subscriptions; the physical id is the subscription ARN.
struct SNSSubscriptionProvider: ResourceProvider {
    let client: AWSClient
    let typeName = SNSSubscription.typeName
    /// Adoption proof: none; a subscription has no tags, no creation time and no name of its own (AWS assigns its ARN), so no intent names one; Subscribe is idempotent for the same topic, protocol and endpoint.
    let adoptionProof = AdoptionProof.none
    let replaceOnChange: Set<String> = ["topicArn", "protocol", "endpoint"]
    /// What SNS lists in place of the ARN of a subscription that is not confirmed yet.
    static let pending = "PendingConfirmation"

    /// Unknown before the create (it holds an id SNS makes up); `Subscribe` is idempotent, so a create
    /// repeated after an interrupted run finds the same subscription.
    func physicalID(for attributes: [String: JSON]) -> String? { nil }

    /// Lists the topic's subscriptions: the ARN itself when confirmed, or a pending entry for the same protocol
    /// and endpoint. Nil when neither is there (or the topic is gone).
    func read(id: String, prior: [String: JSON]) async throws -> Observed? {
        let topicArn = prior.string("topicArn") ?? Self.topicArn(of: id)
        var proto = prior.string("protocol")
        var endpoint = prior.string("endpoint")
        let subscriptions: [XMLNode]
        do {
            subscriptions = try await client.queryAll(.sns.listSubscriptionsByTopic, ["TopicArn": topicArn])
        } catch let error as AWSServiceError where error.isNotFound(["NotFound"]) {
            return nil  // the topic is gone, and its subscriptions with it
        }
        if let confirmed = subscriptions.first(where: { $0.string("SubscriptionArn") == id }) {
            return observed(
                id: id, topicArn: confirmed.string("TopicArn") ?? topicArn, protocol: confirmed.string("Protocol") ?? "",
                endpoint: confirmed.string("Endpoint") ?? "", pending: false)
        }
        let pendingEntries = subscriptions.filter { $0.string("SubscriptionArn") == Self.pending }
        guard !pendingEntries.isEmpty else { return nil }
        if proto == nil || endpoint == nil {
            // An import: SNS knows a pending subscription's protocol and endpoint by its ARN.
            do {
                let attributes = SNSTopicProvider.entries(
                    try await client.query(.sns.getSubscriptionAttributes, ["SubscriptionArn": id])["Attributes"])
                proto = attributes["Protocol"]
                endpoint = attributes["Endpoint"]
            } catch let error as AWSServiceError where error.isNotFound(["NotFound", "InvalidParameter"]) {
                return nil
            }
        }
        guard let match = pendingEntries.first(where: { $0.string("Protocol") == proto && $0.string("Endpoint") == endpoint }) else { return nil }
        return observed(id: id, topicArn: match.string("TopicArn") ?? topicArn, protocol: proto ?? "", endpoint: endpoint ?? "", pending: true)
    }

    /// Subscribes with `ReturnSubscriptionArn`, so that even a subscription pending confirmation has its ARN.
    func create(_ attributes: [String: JSON]) async throws -> Applied {
        let result = try await client.query(
            .sns.subscribe,
            [
                "TopicArn": attributes.string("topicArn") ?? "",
                "Protocol": attributes.string("protocol") ?? "",
                "Endpoint": attributes.string("endpoint") ?? "",
                "ReturnSubscriptionArn": "true",
            ])
        let arn = result.string("SubscriptionArn") ?? ""
        return Applied(id: arn, outputs: ["arn": .string(arn)])
    }

    /// Every attribute replaces the subscription, so there is nothing to change in place.
    func update(id: String, from old: [String: JSON], to new: [String: JSON]) async throws -> Applied {
        Applied(id: id, outputs: ["arn": .string(id)])
    }

    /// Unsubscribes. SNS cannot delete a subscription pending confirmation (it expires after three days), and
    /// one already gone needs nothing: neither is an error.
    func delete(id: String, attributes: [String: JSON]) async throws {
        do {
            _ = try await client.query(.sns.unsubscribe, ["SubscriptionArn": id])
        } catch let error as AWSServiceError where error.isNotFound(["NotFound"]) {
            return
        } catch let error as AWSServiceError where error.code == "InvalidParameter" {
            // Pending confirmation: SNS refuses, and removes it by itself. Anything else is a real error.
            if try await read(id: id, prior: attributes)?.outputs["pendingConfirmation"] == .bool(true) { return }
            throw error
        }
    }

    private func observed(id: String, topicArn: String, protocol proto: String, endpoint: String, pending: Bool) -> Observed {
        Observed(
            id: id,
            attributes: [
                "topicArn": .string(topicArn),
                "protocol": .string(proto),
                "endpoint": .string(endpoint),
            ], outputs: ["arn": .string(id), "pendingConfirmation": .bool(pending)])
    }

    /// The topic of a subscription ARN (`TOPIC_ARN:ID`).
    static func topicArn(of subscriptionArn: String) -> String {
        guard let colon = subscriptionArn.lastIndex(of: ":") else { return subscriptionArn }
        return String(subscriptionArn[..<colon])
    }
}

// MARK: cairn generate

extension SNSSubscriptionProvider: DiscoverableProvider {
    var swiftType: String { "SNSSubscription" }
    var swiftNoun: String { "subscription" }
    var swiftNounSuffixed: Bool { true }
    var swiftOutputs: [String: String] { ["arn": "arn"] }

    /// Every topic's confirmed subscriptions, each named by its topic (so a name prefix takes a topic's subscriptions with
    /// it). One pending confirmation has no ARN yet (SNS lists it as `PendingConfirmation`), so it cannot be read or
    /// imported: it is left out until its owner confirms it (SNS deletes it after three days otherwise).
    func discover() async throws -> [DiscoveredResource] {
        try await Self.subscriptionsByTopic(client).flatMap { topic, subscriptions in
            subscriptions.compactMap { subscription -> DiscoveredResource? in
                guard let arn = subscription.string("SubscriptionArn"), arn != Self.pending else { return nil }
                return DiscoveredResource(id: arn, name: SNSTopicProvider.name(of: topic))
            }
        }
    }

    /// Every topic's ARN with its subscriptions as SNS lists them (a topic deleted meanwhile has none).
    static func subscriptionsByTopic(_ client: AWSClient) async throws -> [(topic: String, subscriptions: [XMLNode])] {
        var result: [(topic: String, subscriptions: [XMLNode])] = []
        for topic in try await client.queryAll(.sns.listTopics).compactMap({ $0.string("TopicArn") }) {
            let subscriptions = try await nilIfNotFound(["NotFound"]) {
                try await client.queryAll(.sns.listSubscriptionsByTopic, ["TopicArn": topic])
            }
            result.append((topic, subscriptions ?? []))
        }
        return result
    }

    func swiftArguments(_ live: Observed, in context: SwiftContext) -> [SwiftArgument] {
        let attributes = live.attributes
        let proto = attributes.string("protocol") ?? ""
        guard let known = SNSSubscription.DeliveryProtocol(rawValue: proto) else {
            context.cannotDeclare("its protocol \(proto) is not one SNSSubscription.DeliveryProtocol names")
            return []
        }
        return [
            SwiftArgument("topicArn", context.input(attributes.string("topicArn") ?? "", naming: SNSTopic.typeName, "arn")),
            SwiftArgument("protocol", ".\(String(describing: known))"),
            SwiftArgument("endpoint", context.input(attributes.string("endpoint") ?? "")),
        ]
    }
}

/// Subscriptions still pending confirmation, which SNS lists without an ARN: nothing to import them by, so `cairn
/// generate` lists them (named after their topic) as not declared rather than leaving them out unsaid.
struct PendingSNSSubscriptionDiscovery: UndeclarableDiscovery {
    let client: AWSClient
    let kind = SNSSubscription.typeName
    let reason = "pending confirmation, SNS gives it no ARN to import it by (confirm it, then generate again, or declare it anew)"

    func discover() async throws -> [DiscoveredResource] {
        try await SNSSubscriptionProvider.subscriptionsByTopic(client).flatMap { topic, subscriptions in
            subscriptions.filter { $0.string("SubscriptionArn") == SNSSubscriptionProvider.pending }.map { subscription in
                // Named after its topic (what a name prefix matches); listed with what it delivers to.
                let name = SNSTopicProvider.name(of: topic)
                return DiscoveredResource(id: "\(name) \(subscription.string("Protocol") ?? "") \(subscription.string("Endpoint") ?? "")", name: name)
            }
        }
    }
}
