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
}
