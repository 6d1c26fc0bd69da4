import CairnAWS
import CairnJSON
import Testing

@testable import CairnEngine
@testable import CairnResources

/// The Swift `cairn generate` writes for SNS topics and their subscriptions.
@Suite struct SNSGenerateTests {
    static let topicArn = "arn:aws:sns:eu-north-1:123456789012:shop-alerts"

    @Test func aTopicIsDeclaredWithItsPolicyAsTextWhenPolicyStatementCannotSayIt() {
        let live = Observed(
            id: Self.topicArn,
            attributes: [
                "name": "shop-alerts", "displayName": "Alerts", "kmsMasterKeyId": nil, "fifo": false,
                "policy": ["Version": "2008-10-17", "Id": "__default_policy_ID", "Statement": []], "tags": [:],
            ], outputs: [:])
        let declared = GenerateTesting.declare(SNSTopic.typeName, live)
        #expect(declared.argument("displayName") == #""Alerts""#)
        #expect(declared.argument("policy")?.hasPrefix(".json(") == true, "\(declared.text)")
        #expect(declared.unexpressed.isEmpty)
    }

    @Test func aSubscriptionNamesItsTopicAndAProtocolItCannotSayLeavesItOut() {
        let live = Observed(
            id: "\(Self.topicArn):sub-1", attributes: ["topicArn": .string(Self.topicArn), "protocol": "email", "endpoint": "ops@example.com"],
            outputs: ["arn": .string("\(Self.topicArn):sub-1")])
        let declared = GenerateTesting.declare(
            SNSSubscription.typeName, live, found: [.init(SNSTopic.typeName, "alertsTopic", ["arn": .string(Self.topicArn)])])
        #expect(declared.text == #"topicArn: .output(alertsTopic.arn), protocol: .email, endpoint: "ops@example.com""#)

        var firehose = live
        firehose.attributes["protocol"] = "firehose"
        #expect(
            GenerateTesting.declare(SNSSubscription.typeName, firehose).undeclarable
                == "its protocol firehose is not one SNSSubscription.DeliveryProtocol names")
    }

    /// A subscription still pending confirmation has no ARN to import by: generate lists it (by its topic's name, with
    /// what it delivers to) as not declared, never leaves it out unsaid.
    @Test func aPendingSubscriptionIsListedAsNotDeclared() async throws {
        let transport = ScriptedTransport { operation in
            switch operation {
            case "ListTopics":
                return """
                    <ListTopicsResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><ListTopicsResult><Topics>\
                    <member><TopicArn>\(Self.topicArn)</TopicArn></member></Topics></ListTopicsResult></ListTopicsResponse>
                    """
            default:
                return """
                    <ListSubscriptionsByTopicResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><ListSubscriptionsByTopicResult><Subscriptions>\
                    <member><TopicArn>\(Self.topicArn)</TopicArn><Protocol>email</Protocol><SubscriptionArn>PendingConfirmation</SubscriptionArn>\
                    <Owner>123456789012</Owner><Endpoint>oncall@example.com</Endpoint></member>\
                    <member><TopicArn>\(Self.topicArn)</TopicArn><Protocol>sqs</Protocol><SubscriptionArn>\(Self.topicArn):sub-1</SubscriptionArn>\
                    <Owner>123456789012</Owner><Endpoint>arn:aws:sqs:eu-north-1:123456789012:q</Endpoint></member>\
                    </Subscriptions></ListSubscriptionsByTopicResult></ListSubscriptionsByTopicResponse>
                    """
            }
        }
        let discovery = PendingSNSSubscriptionDiscovery(client: .scripted(transport, clock: SteppingClock()))
        let found = try await discovery.discover()
        #expect(found.map(\.id) == ["shop-alerts email oncall@example.com"])
        #expect(found.map(\.name) == ["shop-alerts"], "matched by its topic's name")
        #expect(discovery.reason.hasPrefix("pending confirmation"))
    }
}
