import CairnAWS
import CairnEngine
import CairnJSON
import Foundation
import TestSupport
import Testing

@testable import CairnResources

@Suite struct SNSSubscriptionTests {
    @Test(.integration) func createReadDeleteAgainstMoto() async throws {
        let (client, moto) = try await ProviderTesting.client()
        let topics = SNSTopicProvider(client: client)
        let provider = SNSSubscriptionProvider(client: client)
        #expect(provider.replaceOnChange == ["topicArn", "protocol", "endpoint"])
        let topicArn = try await topics.create(ProviderTesting.attributes(of: SNSTopic("t", name: Input(ProviderTesting.uniqueName("approvals"))))).id

        let email = SNSSubscription("oncall", topicArn: Input(topicArn), protocol: .email, endpoint: "oncall@example.com")
        let queue = SNSSubscription(
            "queue", topicArn: Input(topicArn), protocol: .sqs,
            endpoint: "arn:aws:sqs:us-east-1:\(moto.account):approvals")
        #expect(email.validate().isEmpty && queue.validate().isEmpty)
        let emailAttributes = ProviderTesting.attributes(of: email)
        let queueAttributes = ProviderTesting.attributes(of: queue)
        #expect(emailAttributes == ["topicArn": .string(topicArn), "protocol": "email", "endpoint": "oncall@example.com"])
        #expect(provider.physicalID(for: emailAttributes) == nil)

        let created = try await provider.create(emailAttributes)
        #expect(created.id.hasPrefix(topicArn + ":"))
        #expect(created.outputs == ["arn": .string(created.id)])
        let queued = try await provider.create(queueAttributes)

        let listed = try await moto.awsJSON(["sns", "list-subscriptions-by-topic", "--topic-arn", topicArn])["Subscriptions"].array ?? []
        #expect(Set(listed.compactMap { $0["SubscriptionArn"].string }) == [created.id, queued.id])
        let emailEntry = try #require(listed.first { $0["SubscriptionArn"].string == created.id })
        #expect(emailEntry["Protocol"].string == "email" && emailEntry["Endpoint"].string == "oncall@example.com")

        // No false drift, with or without prior attributes (an import).
        let read = try #require(try await provider.read(id: created.id, prior: emailAttributes))
        #expect(read.attributes == emailAttributes)
        #expect(read.outputs == ["arn": .string(created.id), "pendingConfirmation": false])
        #expect(try await provider.read(id: queued.id, prior: [:])?.attributes == queueAttributes)

        // Subscribe is idempotent: the same subscription again (what a create repeated after a crash does).
        #expect(try await provider.create(emailAttributes).id == created.id)

        try await provider.delete(id: created.id, attributes: emailAttributes)
        #expect(try await provider.read(id: created.id, prior: emailAttributes) == nil)
        let remaining = try await moto.awsJSON(["sns", "list-subscriptions-by-topic", "--topic-arn", topicArn])["Subscriptions"].array ?? []
        #expect(remaining.compactMap { $0["SubscriptionArn"].string } == [queued.id])
        try await provider.delete(id: created.id, attributes: [:])  // deleting what is gone is not an error

        // Deleting the topic takes its subscriptions with it: they read as gone.
        try await topics.delete(id: topicArn, attributes: [:])
        #expect(try await provider.read(id: queued.id, prior: queueAttributes) == nil)
        try await provider.delete(id: queued.id, attributes: queueAttributes)
    }

    /// moto confirms every subscription at once; real SNS lists an unconfirmed one as `PendingConfirmation`.
    @Test(.integration) func pendingConfirmationIsFoundByListingTheTopic() async throws {
        let topicArn = "arn:aws:sns:us-east-1:123456789012:approvals"
        let arn = topicArn + ":0f6d5a2e-1c3b-4b5e-9a7d-2f1e3c4b5a69"
        let listing = """
            <ListSubscriptionsByTopicResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><ListSubscriptionsByTopicResult><Subscriptions>\
            <member><TopicArn>\(topicArn)</TopicArn><Protocol>email</Protocol><SubscriptionArn>PendingConfirmation</SubscriptionArn>\
            <Owner>123456789012</Owner><Endpoint>someone-else@example.com</Endpoint></member>\
            <member><TopicArn>\(topicArn)</TopicArn><Protocol>email</Protocol><SubscriptionArn>PendingConfirmation</SubscriptionArn>\
            <Owner>123456789012</Owner><Endpoint>oncall@example.com</Endpoint></member>\
            </Subscriptions></ListSubscriptionsByTopicResult></ListSubscriptionsByTopicResponse>
            """
        let attributes = """
            <GetSubscriptionAttributesResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><GetSubscriptionAttributesResult><Attributes>\
            <entry><key>Protocol</key><value>email</value></entry><entry><key>Endpoint</key><value>oncall@example.com</value></entry>\
            <entry><key>PendingConfirmation</key><value>true</value></entry></Attributes></GetSubscriptionAttributesResult></GetSubscriptionAttributesResponse>
            """
        let invalid = """
            <ErrorResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><Error><Type>Sender</Type><Code>InvalidParameter</Code>\
            <Message>Invalid parameter: Cannot unsubscribe a subscription that is pending confirmation</Message></Error><RequestId>r</RequestId></ErrorResponse>
            """
        let stub = try await StubServer.start([.xml(200, listing), .xml(200, listing), .xml(200, attributes), .xml(400, invalid), .xml(200, listing)])
        defer { stub.stop() }
        let provider = SNSSubscriptionProvider(client: try PipeTesting.stubClient(stub))
        let declared = ProviderTesting.attributes(
            of: SNSSubscription("oncall", topicArn: Input(topicArn), protocol: .email, endpoint: "oncall@example.com"))

        let read = try #require(try await provider.read(id: arn, prior: declared))
        #expect(read.id == arn)
        #expect(read.attributes == declared)
        #expect(read.outputs["pendingConfirmation"] == true)
        // An import: the protocol and endpoint come from the subscription's attributes.
        #expect(try await provider.read(id: arn, prior: [:])?.attributes == declared)
        // SNS refuses to delete it (it expires by itself): not an error.
        try await provider.delete(id: arn, attributes: declared)

        let requests = try await stub.requests().map(\.formParameters)
        #expect(
            requests.map { $0["Action"] } == [
                "ListSubscriptionsByTopic", "ListSubscriptionsByTopic", "GetSubscriptionAttributes",
                "Unsubscribe", "ListSubscriptionsByTopic",
            ])
        #expect(requests[0]["TopicArn"] == topicArn)
        #expect(requests[3]["SubscriptionArn"] == arn)
    }

    @Test(.integration) func subscribeAsksForTheArnEvenWhenPending() async throws {
        let arn = "arn:aws:sns:us-east-1:123456789012:approvals:0f6d5a2e"
        let stub = try await StubServer.start([
            .xml(
                200,
                """
                <SubscribeResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><SubscribeResult><SubscriptionArn>\(arn)</SubscriptionArn>\
                </SubscribeResult></SubscribeResponse>
                """)
        ])
        defer { stub.stop() }
        let provider = SNSSubscriptionProvider(client: try PipeTesting.stubClient(stub))
        let created = try await provider.create([
            "topicArn": "arn:aws:sns:us-east-1:123456789012:approvals", "protocol": "https", "endpoint": "https://hooks.example.com/sns",
        ])
        #expect(created.id == arn)
        let form = try #require(try await stub.requests().first?.formParameters)
        #expect(form["ReturnSubscriptionArn"] == "true" && form["Protocol"] == "https" && form["Endpoint"] == "https://hooks.example.com/sns")
    }

    /// Seed 004's SMS alerts: an E.164 number, subscribed without confirmation, read back as declared; deleted by
    /// Unsubscribe. The aws CLI sees the same subscription.
    @Test(.integration) func smsSubscriptionAgainstMoto() async throws {
        let (client, moto) = try await ProviderTesting.client()
        let topics = SNSTopicProvider(client: client)
        let provider = SNSSubscriptionProvider(client: client)
        let topicArn = try await topics.create(ProviderTesting.attributes(of: SNSTopic("t", name: Input(ProviderTesting.uniqueName("alerts"))))).id
        let sms = SNSSubscription("smsAlerts", topicArn: Input(topicArn), protocol: .sms, endpoint: "+12065550100")
        #expect(sms.validate().isEmpty)
        let declared = ProviderTesting.attributes(of: sms)
        #expect(declared["protocol"] == "sms")
        let created = try await provider.create(declared)
        #expect(created.id.hasPrefix(topicArn + ":"))
        let attributes = try await moto.awsJSON(["sns", "get-subscription-attributes", "--subscription-arn", created.id])["Attributes"]
        #expect(attributes["Protocol"].string == "sms" && attributes["Endpoint"].string == "+12065550100")
        #expect(attributes["PendingConfirmation"].string == "false")
        let read = try #require(try await provider.read(id: created.id, prior: declared))
        #expect(read.attributes == declared)
        #expect(read.outputs["pendingConfirmation"] == false)
        #expect(try await provider.read(id: created.id, prior: [:])?.attributes == declared)
        try await provider.delete(id: created.id, attributes: declared)
        #expect(try await provider.read(id: created.id, prior: declared) == nil)
        try await topics.delete(id: topicArn, attributes: [:])
    }

    /// An SMS endpoint must be E.164: '+', then 1 to 15 digits, the first not 0.
    @Test func smsEndpointsAreE164() {
        let topic: Input<String> = "arn:aws:sns:us-east-1:123456789012:alerts"
        for number in ["+12065550100", "+447700900123", "+1", "+123456789012345"] {
            #expect(SNSSubscription("ok", topicArn: topic, protocol: .sms, endpoint: Input(number)).validate().isEmpty, "\(number)")
        }
        for number in ["12065550100", "+1 206 555 0100", "+1-206-555-0100", "+1234567890123456", "+0123", "+", "+1234567890abc", "(206) 555-0100"] {
            let issues = SNSSubscription("bad", topicArn: topic, protocol: .sms, endpoint: Input(number)).validate()
            #expect(issues.map(\.attribute) == ["endpoint"], "\(number)")
            #expect(issues.first?.message.contains("E.164") == true)
        }
        // A number from the environment (sensitive) is checked too, and the message does not show it.
        let secret = SNSSubscription(
            "env", topicArn: topic, protocol: .sms, endpoint: Secret.environment("ALERT_PHONE", in: ["ALERT_PHONE": "555-0100"]))
        #expect(secret.validate().map(\.attribute) == ["endpoint"])
        #expect(secret.validate().first?.message.contains("555-0100") == false)
        #expect(
            SNSSubscription("env", topicArn: topic, protocol: .sms, endpoint: Secret.environment("ALERT_PHONE", in: ["ALERT_PHONE": "+12065550100"]))
                .validate().isEmpty)
    }

    @Test func validationNamesTheAttribute() {
        let topic: Input<String> = "arn:aws:sns:us-east-1:123456789012:alerts"
        #expect(SNSSubscription("a", topicArn: "alerts", protocol: .email, endpoint: "x@example.com").validate().map(\.attribute) == ["topicArn"])
        #expect(SNSSubscription("b", topicArn: topic, protocol: .emailJSON, endpoint: "not-an-address").validate().map(\.attribute) == ["endpoint"])
        #expect(
            SNSSubscription("c", topicArn: topic, protocol: .https, endpoint: "http://insecure.example.com").validate().map(\.attribute) == [
                "endpoint"
            ])
        #expect(
            SNSSubscription("d", topicArn: topic, protocol: .sqs, endpoint: "arn:aws:lambda:us-east-1:123456789012:function:f").validate().map(
                \.attribute) == ["endpoint"])
        #expect(
            SNSSubscription("e", topicArn: topic, protocol: .lambda, endpoint: "arn:aws:lambda:us-east-1:123456789012:function:f").validate().isEmpty)
        #expect(SNSSubscription("f", topicArn: topic, protocol: .http, endpoint: "http://hooks.example.com/x").validate().isEmpty)
        #expect(
            SNSSubscription("g", topicArn: "x", protocol: .sqs, endpoint: "y").validate().allSatisfy { $0.address == "aws_sns_topic_subscription.g" })
    }
}
