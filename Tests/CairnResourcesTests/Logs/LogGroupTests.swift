import CairnAWS
import CairnEngine
import CairnJSON
import TestSupport
import Testing

@testable import CairnResources

@Suite struct LogGroupTests {
    static func describe(_ moto: MotoServer, _ name: String) async throws -> JSONValue {
        let groups = try await moto.awsJSON(["logs", "describe-log-groups", "--log-group-name-prefix", name])["logGroups"].array ?? []
        return groups.first { $0["logGroupName"].string == name } ?? .null
    }

    @Test(.integration) func createReadUpdateDeleteAgainstMoto() async throws {
        let (client, moto) = try await ProviderTesting.client()
        let provider = LogGroupProvider(client: client)
        #expect(provider.replaceOnChange == ["name", "logGroupClass"])
        let name = "/ecs/\(ProviderTesting.uniqueName("app"))"
        let key = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
        var group = LogGroup("app", name: Input(name), retentionInDays: 30, kmsKeyId: Input(key), tags: ["team": "invoices"])
        #expect(group.validate().isEmpty)
        let declared = ProviderTesting.attributes(of: group)
        #expect(declared["logGroupClass"] == "STANDARD")

        let created = try await provider.create(declared)
        #expect(created.id == name)
        #expect(created.outputs["arn"] == .string("arn:aws:logs:us-east-1:123456789012:log-group:\(name)"))
        #expect(created.outputs["name"] == .string(name))

        let live = try await Self.describe(moto, name)
        #expect(live["retentionInDays"] == 30)
        #expect(live["kmsKeyId"].string == key)
        let tags = try await moto.awsJSON([
            "logs", "list-tags-for-resource", "--resource-arn", "arn:aws:logs:us-east-1:123456789012:log-group:\(name)",
        ])
        #expect(tags["tags"] == ["team": "invoices"])

        // Read right after create, and an import by name alone, give exactly the declared attributes.
        let read = try #require(try await provider.read(id: name, prior: [:]))
        #expect(read.attributes == declared)
        #expect(read.id == name)
        #expect(read.outputs == created.outputs)

        var old = declared
        group.retentionInDays = 90
        group.tags = ["team": "billing", "env": "dev"]
        _ = try await provider.update(id: name, from: old, to: ProviderTesting.attributes(of: group))
        #expect(try await Self.describe(moto, name)["retentionInDays"] == 90)
        let retagged = try await moto.awsJSON([
            "logs", "list-tags-for-resource", "--resource-arn", "arn:aws:logs:us-east-1:123456789012:log-group:\(name)",
        ])
        #expect(retagged["tags"] == ["team": "billing", "env": "dev"])
        #expect(try await provider.read(id: name, prior: old)?.attributes == ProviderTesting.attributes(of: group))

        // nil retention: never expire (DeleteRetentionPolicy).
        old = ProviderTesting.attributes(of: group)
        group.retentionInDays = nil
        _ = try await provider.update(id: name, from: old, to: ProviderTesting.attributes(of: group))
        #expect(try await Self.describe(moto, name)["retentionInDays"].isNull)
        #expect(try await provider.read(id: name, prior: old)?.attributes == ProviderTesting.attributes(of: group))

        try await provider.delete(id: name, attributes: ProviderTesting.attributes(of: group))
        #expect(try await Self.describe(moto, name).isNull)
        #expect(try await provider.read(id: name, prior: [:]) == nil)
        try await provider.delete(id: name, attributes: [:])  // deleting what is gone is not an error
    }

    /// A new key is associated in place (AssociateKmsKey). moto 5.2.1 does not implement it: the call must then fail
    /// with a clear error rather than be skipped.
    @Test(.integration) func kmsKeyChangeUsesAssociateKmsKey() async throws {
        let moto = try await MotoServer.shared()
        // One attempt: moto's not-implemented answer is an HTTP 500, which the default policy retries for a minute.
        let client = try AWSConfiguration.resolve(environment: moto.environment(extra: ["AWS_MAX_ATTEMPTS": "1"])).client()
        let provider = LogGroupProvider(client: client)
        let name = ProviderTesting.uniqueName("kms-group")
        var group = LogGroup("kms", name: Input(name))
        let old = ProviderTesting.attributes(of: group)
        _ = try await provider.create(old)
        group.kmsKeyId = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
        let error = await LinkedResourceTesting.error {
            _ = try await provider.update(id: name, from: old, to: ProviderTesting.attributes(of: group))
        }
        if let error {
            let request = try #require(error as? AWSRequestError, "not moto's not-implemented answer: \(error)")
            #expect(request.operation == "AssociateKmsKey")
            guard case .unexpectedResponse(let status, _, _) = request.reason else {
                Issue.record("\(error)")
                return
            }
            #expect(status == 500)
        } else {
            #expect(try await Self.describe(moto, name)["kmsKeyId"].string == group.kmsKeyId?.literal)
        }
        try await provider.delete(id: name, attributes: [:])
    }

    @Test func validationNamesTheAttribute() {
        let bad = LogGroup("bad", name: "/ecs/app", retentionInDays: 8)
        let issues = bad.validate()
        #expect(issues.count == 1)
        #expect(issues.first?.attribute == "retentionInDays")
        #expect(issues.first?.address == "aws_cloudwatch_log_group.bad")
        #expect(issues.first?.message.contains("7") == true)

        let badName = LogGroup("name", name: "has spaces")
        #expect(badName.validate().map(\.attribute) == ["name"])
        for days in LogGroup.allowedRetentionDays {
            #expect(LogGroup("ok", name: "ok", retentionInDays: days).validate().isEmpty)
        }
    }
}
