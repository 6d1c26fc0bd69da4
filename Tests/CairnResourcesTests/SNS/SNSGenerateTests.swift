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
}
