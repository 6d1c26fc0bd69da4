import CairnAWS
import CairnEngine
import CairnJSON
import Foundation
import TestSupport
import Testing

@testable import CairnResources

@Suite struct SNSTopicTests {
    static func tags(_ moto: MotoServer, _ arn: String) async throws -> [String: String] {
        let list = try await moto.awsJSON(["sns", "list-tags-for-resource", "--resource-arn", arn])["Tags"].array ?? []
        return Dictionary(uniqueKeysWithValues: list.map { ($0["Key"].string ?? "", $0["Value"].string ?? "") })
    }

    @Test(.integration) func createReadUpdateDeleteAgainstMoto() async throws {
        let (client, moto) = try await ProviderTesting.client()
        let provider = SNSTopicProvider(client: client)
        #expect(provider.replaceOnChange == ["name", "fifo"])
        let name = ProviderTesting.uniqueName("alerts")
        var topic = SNSTopic(
            "alerts", name: Input(name), displayName: "Cairn alerts", kmsMasterKeyId: "alias/aws/sns",
            tags: ["team": "ops", "env": "test"])
        #expect(topic.validate().isEmpty)
        let declared = ProviderTesting.attributes(of: topic)
        #expect(provider.physicalID(for: declared) == name)

        let created = try await provider.create(declared)
        let arn = "arn:aws:sns:us-east-1:\(moto.account):\(name)"
        #expect(created.id == arn)
        #expect(created.outputs == ["arn": .string(arn), "name": .string(name)])

        let got = try await moto.awsJSON(["sns", "get-topic-attributes", "--topic-arn", arn])["Attributes"]
        #expect(got["DisplayName"].string == "Cairn alerts")
        #expect(got["KmsMasterKeyId"].string == "alias/aws/sns")
        #expect(got["FifoTopic"] == .null)
        #expect(try await Self.tags(moto, arn) == ["team": "ops", "env": "test"])

        // No false drift, with or without prior attributes (an import), and by the planned id of an interrupted create.
        let read = try #require(try await provider.read(id: arn, prior: declared))
        #expect(read.attributes == declared)
        #expect(read.outputs == created.outputs)
        #expect(try await provider.read(id: arn, prior: [:])?.attributes == declared)
        #expect(try await provider.read(id: name, prior: [:])?.id == arn)
        #expect(try await provider.read(id: name + "-missing", prior: [:]) == nil)

        // Display name, encryption and tags in place.
        topic.displayName = "Cairn"
        topic.kmsMasterKeyId = nil
        topic.tags = ["team": "platform"]
        let next = ProviderTesting.attributes(of: topic)
        let updated = try await provider.update(id: arn, from: declared, to: next)
        #expect(updated.outputs == created.outputs)
        let after = try await moto.awsJSON(["sns", "get-topic-attributes", "--topic-arn", arn])["Attributes"]
        #expect(after["DisplayName"].string == "Cairn")
        #expect(after["KmsMasterKeyId"].string ?? "" == "")
        #expect(try await Self.tags(moto, arn) == ["team": "platform"])
        #expect(try await provider.read(id: arn, prior: next)?.attributes == next)

        try await provider.delete(id: arn, attributes: next)
        #expect(try await provider.read(id: arn, prior: [:]) == nil)
        let gone = try await moto.aws(["sns", "get-topic-attributes", "--topic-arn", arn])
        #expect(gone.status != 0 && gone.stderr.contains("NotFound"))
        try await provider.delete(id: arn, attributes: [:])  // deleting what is gone is not an error
    }

    @Test(.integration) func fifoTopicAgainstMoto() async throws {
        let (client, moto) = try await ProviderTesting.client()
        let provider = SNSTopicProvider(client: client)
        let name = ProviderTesting.uniqueName("orders") + ".fifo"
        var topic = SNSTopic("orders", name: Input(name), fifo: true, contentBasedDeduplication: true)
        #expect(topic.validate().isEmpty)
        let declared = ProviderTesting.attributes(of: topic)
        let created = try await provider.create(declared)
        let got = try await moto.awsJSON(["sns", "get-topic-attributes", "--topic-arn", created.id])["Attributes"]
        #expect(got["FifoTopic"].string == "true" && got["ContentBasedDeduplication"].string == "true")
        #expect(try await provider.read(id: created.id, prior: declared)?.attributes == declared)

        topic.contentBasedDeduplication = false
        _ = try await provider.update(id: created.id, from: declared, to: ProviderTesting.attributes(of: topic))
        let after = try await moto.awsJSON(["sns", "get-topic-attributes", "--topic-arn", created.id])["Attributes"]
        #expect(after["ContentBasedDeduplication"].string == "false")
        #expect(try await provider.read(id: created.id, prior: [:])?.attributes == ProviderTesting.attributes(of: topic))
        try await provider.delete(id: created.id, attributes: [:])
    }

    @Test func validationNamesTheAttribute() {
        #expect(SNSTopic("a", name: "bad name").validate().map(\.attribute) == ["name"])
        #expect(SNSTopic("b", name: "orders", fifo: true).validate().map(\.attribute) == ["name"])
        #expect(SNSTopic("c", name: "orders.fifo").validate().map(\.attribute) == ["name"])
        #expect(
            SNSTopic("d", name: "alerts", displayName: String(repeating: "x", count: 101), contentBasedDeduplication: true)
                .validate().map(\.attribute) == ["displayName", "contentBasedDeduplication"])
        #expect(SNSTopic("e", name: "orders.fifo", fifo: true).validate().isEmpty)
        #expect(SNSTopic("f", name: "bad", tags: ["aws:x": "y"]).validate().first?.address == "aws_sns_topic.f")
    }

    // MARK: Policy

    /// The approval topics' policy: EventBridge may publish (no resource named: the topic itself).
    static let eventsMayPublish = ResourcePolicy.document(
        PolicyDocument([
            PolicyStatement(sid: "EventBridgePublish", principals: [.service("events.amazonaws.com")], actions: ["sns:Publish"])
        ]))

    static func livePolicy(_ moto: MotoServer, _ arn: String) async throws -> JSON? {
        let text = try await moto.awsJSON(["sns", "get-topic-attributes", "--topic-arn", arn])["Attributes"]["Policy"].string
        return text.flatMap(PolicyNormalizer.parse)
    }

    @Test func policyValidationNamesTheAttribute() {
        #expect(SNSTopic("a", name: "t", policy: .json("not json")).validate().map(\.attribute) == ["policy"])
        let noStatement = SNSTopic("b", name: "t", policy: .json(#"{"Version": "2012-10-17"}"#)).validate()
        #expect(
            noStatement.map(\.description) == [
                "aws_sns_topic.b: policy: the topic policy has no Statement: add at least one statement (an Effect, a Principal and an Action)."
            ])
        let noPrincipal = ResourcePolicy.document(PolicyDocument([PolicyStatement(actions: ["sns:Publish"])]))
        #expect(SNSTopic("c", name: "t", policy: noPrincipal).validate().map(\.attribute) == ["policy.Statement[0].Principal"])
        #expect(SNSTopic("d", name: "t", policy: .json(String(repeating: " ", count: 30 * 1024) + #"{"Statement": [{}]}"#)).validate().count == 1)
        #expect(SNSTopic("e", name: "t", policy: Self.eventsMayPublish).validate().isEmpty)
    }

    /// A statement naming no resource gets the topic's ARN on the way to SNS, and reads back without it; SNS's default
    /// policy (today's or the older one granting SNS:Receive) reads as null where none is declared.
    @Test func policiesAreWrittenAndReadAsDeclared() throws {
        let arn = "arn:aws:sns:us-east-1:123456789012:approvals"
        let declared = try #require(ProviderTesting.attributes(of: SNSTopic("t", name: "approvals", policy: Self.eventsMayPublish))["policy"])
        #expect(!SNSTopicProvider.namesEveryResource(declared))
        let sent = try #require(PolicyNormalizer.parse(SNSTopicProvider.policyText(declared, topicARN: arn)))
        #expect(sent["Statement"]?[0]?["Resource"] == .string(arn))
        #expect(SNSTopicProvider.observedPolicy(sent.description, topicARN: arn, declared: declared) == declared)
        // Another topic's ARN is a real difference.
        let other = SNSTopicProvider.policyText(declared, topicARN: arn + "-other")
        #expect(SNSTopicProvider.observedPolicy(other, topicARN: arn, declared: declared) != declared)

        let current = SNSTopicProvider.defaultPolicy(topicARN: arn)
        #expect(SNSTopicProvider.observedPolicy(current.description, topicARN: arn, declared: .null) == .null)
        #expect(
            SNSTopicProvider.observedPolicy(SNSTopicProvider.defaultPolicy(topicARN: arn, receive: true).description, topicARN: arn, declared: nil)
                == .null)
        #expect(current["Statement"]?[0]?["Condition"] == ["StringEquals": ["AWS:SourceOwner": "123456789012"]])
        // Not declared, yet AWS has another policy: reported (a policy added by hand is drift).
        #expect(SNSTopicProvider.observedPolicy(sent.description, topicARN: arn, declared: nil) == sent)
        #expect(SNSTopicProvider.observedPolicy(nil, topicARN: arn, declared: nil) == .null)
    }

    @Test(.integration) func policyAllowingEventBridgeAgainstMoto() async throws {
        let (client, moto) = try await ProviderTesting.client()
        let provider = SNSTopicProvider(client: client)
        let name = ProviderTesting.uniqueName("approvals")
        var topic = SNSTopic("approvals", name: Input(name), policy: Self.eventsMayPublish)
        let declared = ProviderTesting.attributes(of: topic)
        let arn = try await provider.create(declared).id

        let live = try #require(try await Self.livePolicy(moto, arn))
        #expect(live["Statement"]?[0]?["Principal"] == ["Service": "events.amazonaws.com"])
        #expect(live["Statement"]?[0]?["Action"] == "sns:Publish" && live["Statement"]?[0]?["Resource"] == .string(arn))
        #expect(try await provider.read(id: arn, prior: declared)?.attributes == declared)

        // The same policy worded otherwise (key order, one-element lists, whitespace) is no drift; another one is.
        let reworded =
            #"{ "Statement": [ { "Resource": ["\#(arn)"], "Action": ["sns:Publish"], "Principal": {"Service": ["events.amazonaws.com"]}, "Effect": "Allow", "Sid": "EventBridgePublish" } ], "Version": "2012-10-17" }"#
        try await moto.aws(["sns", "set-topic-attributes", "--topic-arn", arn, "--attribute-name", "Policy", "--attribute-value", reworded])
            .requireSuccess()
        #expect(try await provider.read(id: arn, prior: declared)?.attributes == declared)
        let replaced =
            #"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "sns:Publish", "Resource": "\#(arn)"}]}"#
        try await moto.aws(["sns", "set-topic-attributes", "--topic-arn", arn, "--attribute-name", "Policy", "--attribute-value", replaced])
            .requireSuccess()
        let drifted = try #require(try await provider.read(id: arn, prior: declared))
        #expect(drifted.attributes["policy"] != declared["policy"])
        #expect(!AttributeDiff.changes(from: declared, to: drifted.attributes).isEmpty)

        // Undone by an update; then removed from the declaration: SNS's default policy is written back.
        _ = try await provider.update(id: arn, from: drifted.attributes, to: declared)
        #expect(try await provider.read(id: arn, prior: declared)?.attributes == declared)
        topic.policy = nil
        let plain = ProviderTesting.attributes(of: topic)
        _ = try await provider.update(id: arn, from: declared, to: plain)
        let restored = try #require(try await Self.livePolicy(moto, arn))
        #expect(restored["Statement"]?[0]?["Sid"] == "__default_statement_ID")
        #expect(SNSTopicProvider.isDefaultPolicy(restored, topicARN: arn))
        #expect(try await provider.read(id: arn, prior: plain)?.attributes == plain)
        try await provider.delete(id: arn, attributes: plain)

        // A policy naming its resource goes with the create.
        let named = ProviderTesting.uniqueName("named")
        let namedARN = "arn:aws:sns:us-east-1:\(moto.account):\(named)"
        let text =
            #"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "events.amazonaws.com"}, "Action": "sns:Publish", "Resource": "\#(namedARN)"}]}"#
        let explicit = ProviderTesting.attributes(of: SNSTopic("named", name: Input(named), policy: .json(text)))
        #expect(try await provider.create(explicit).id == namedARN)
        #expect(try await Self.livePolicy(moto, namedARN) == PolicyNormalizer.parse(text))
        #expect(try await provider.read(id: namedARN, prior: explicit)?.attributes == explicit)
        try await provider.delete(id: namedARN, attributes: explicit)
    }

    /// Through the engine: drift finds a policy replaced by hand, apply undoes it, and removing the policy from the
    /// declaration restores SNS's default.
    @Test(.integration) func policyDriftAndRemovalThroughTheEngine() async throws {
        let (client, moto) = try await ProviderTesting.client()
        let workspace = Workspace(
            stateDir: FileManager.default.temporaryDirectory.appendingPathComponent("cairn-sns-\(UUID().uuidString)"),
            providers: awsProviders(client: client), environment: ["CAIRN_STATE_KEY": "sns tests"])
        var topic = SNSTopic("approvals", name: Input(ProviderTesting.uniqueName("approvals")), policy: Self.eventsMayPublish)
        func stack() -> Stack { Stack(name: "sns-policy", region: "us-east-1", environment: StackEnvironment(), resources: [topic]) }
        func apply() async throws -> Plan {
            let plan = try await workspace.plan(stack(), region: "us-east-1")
            #expect(try await workspace.apply(plan, stack: stack(), command: "apply") { _ in }.ok)
            return plan
        }
        _ = try await apply()
        let arn = try #require(try await workspace.recordedResource(stack(), at: topic.address)?.id)
        #expect(try await workspace.plan(stack(), region: "us-east-1").hasChanges == false)

        let replaced =
            #"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "sns:Publish", "Resource": "\#(arn)"}]}"#
        try await moto.aws(["sns", "set-topic-attributes", "--topic-arn", arn, "--attribute-name", "Policy", "--attribute-value", replaced])
            .requireSuccess()
        let drift = try await workspace.drift(stack())
        #expect(drift.resources.map(\.address) == [topic.address])
        #expect(drift.resources.first?.attributes.allSatisfy { $0.path.hasPrefix("policy.") } == true)
        #expect(try await apply().count(.update) == 1)
        #expect(try await Self.livePolicy(moto, arn)?["Statement"]?[0]?["Principal"] == ["Service": "events.amazonaws.com"])

        topic.policy = nil
        #expect(try await apply().resources.first?.changes.map(\.path) == ["policy"])
        #expect(SNSTopicProvider.isDefaultPolicy(try #require(try await Self.livePolicy(moto, arn)), topicARN: arn))
        #expect(try await workspace.plan(stack(), region: "us-east-1").hasChanges == false)
        let destroy = try await workspace.plan(stack(), region: "us-east-1", destroy: true)
        #expect(try await workspace.apply(destroy, stack: stack(), command: "destroy") { _ in }.ok)
    }
}
