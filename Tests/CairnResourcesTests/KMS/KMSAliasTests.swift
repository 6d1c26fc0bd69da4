import CairnAWS
import CairnEngine
import CairnJSON
import Foundation
import TestSupport
import Testing

@testable import CairnResources

@Suite struct KMSAliasTests {
    /// The alias as the aws CLI lists it, or null.
    static func alias(_ moto: MotoServer, _ name: String) async throws -> JSONValue {
        let aliases = try await moto.awsJSON(["kms", "list-aliases"])["Aliases"].array ?? []
        return aliases.first { $0["AliasName"].string == name } ?? .null
    }

    static func newKey(_ moto: MotoServer) async throws -> (id: String, arn: String) {
        let metadata = try await moto.awsJSON(["kms", "create-key", "--description", "alias test"])["KeyMetadata"]
        return (metadata["KeyId"].string ?? "", metadata["Arn"].string ?? "")
    }

    @Test(.integration) func createReadRepointReplaceDeleteAgainstMoto() async throws {
        let (client, moto) = try await ProviderTesting.client()
        let provider = KMSAliasProvider(client: client)
        #expect(provider.replaceOnChange == ["name"])
        #expect(provider.adoptionProof == .creationTime)
        let first = try await Self.newKey(moto)
        let second = try await Self.newKey(moto)
        let name = "alias/\(ProviderTesting.uniqueName("artifacts"))"
        var alias = KMSAlias("artifacts", name: Input(name), targetKeyId: Input(first.arn))
        #expect(alias.validate().isEmpty)
        let declared = ProviderTesting.attributes(of: alias)
        #expect(provider.physicalID(for: declared) == name)

        let created = try await provider.create(declared)
        #expect(created.id == name)
        #expect(created.outputs == ["arn": .string("arn:aws:kms:us-east-1:\(moto.account):\(name)"), "name": .string(name)])
        let listed = try await Self.alias(moto, name)
        #expect(listed["TargetKeyId"].string == first.id)
        #expect(listed["CreationDate"].isNull == false)  // scripts/moto-server adds it, as AWS reports it

        // No drift with the key declared by ARN; an import (no prior) reports the key id ListAliases gives.
        let read = try #require(try await provider.read(id: name, prior: declared))
        #expect(read.attributes == declared)
        #expect(read.outputs == created.outputs)
        // Its creation time proves that an interrupted create made it (aliases take no tags).
        let intent = PendingCreate(plannedName: name, recordedAt: try #require(read.createdAt).addingTimeInterval(-5))
        #expect(intent.proves(read, by: provider.adoptionProof, ownership: Ownership(stack: "s", environment: "e", state: "lineage")) != nil)
        #expect(try await provider.read(id: name, prior: [:])?.attributes["targetKeyId"] == .string(first.id))

        // Repointed in place.
        alias.targetKeyId = Input(second.id)
        let next = ProviderTesting.attributes(of: alias)
        _ = try await provider.update(id: name, from: declared, to: next)
        #expect(try await Self.alias(moto, name)["TargetKeyId"].string == second.id)
        #expect(try await provider.read(id: name, prior: next)?.attributes == next)

        // Pointed at another key outside Cairn: drift, and the apply points it back.
        _ = try await moto.aws(["kms", "update-alias", "--alias-name", name, "--target-key-id", first.id])
        let drifted = try #require(try await provider.read(id: name, prior: next)).attributes
        #expect(drifted["targetKeyId"] == .string(first.id))
        #expect(AttributeDiff.changes(from: drifted, to: next).map(\.path) == ["targetKeyId"])
        _ = try await provider.update(id: name, from: drifted, to: next)
        #expect(try await Self.alias(moto, name)["TargetKeyId"].string == second.id)

        // A new name replaces the alias: the engine creates the new one, then deletes the old.
        alias.name = Input(name + "-v2")
        let renamed = ProviderTesting.attributes(of: alias)
        #expect(AttributeDiff.changes(from: next, to: renamed, replaceOnChange: provider.replaceOnChange).contains { $0.forcesReplacement })
        let replacement = try await provider.create(renamed)
        try await provider.delete(id: name, attributes: next)
        #expect(try await Self.alias(moto, name).isNull)
        #expect(try await Self.alias(moto, name + "-v2")["TargetKeyId"].string == second.id)

        try await provider.delete(id: replacement.id, attributes: renamed)
        #expect(try await Self.alias(moto, replacement.id).isNull)
        #expect(try await provider.read(id: replacement.id, prior: [:]) == nil)
        try await provider.delete(id: replacement.id, attributes: [:])  // deleting what is gone is not an error
        #expect(try await moto.awsJSON(["kms", "describe-key", "--key-id", second.id])["KeyMetadata"]["KeyState"].string == "Enabled")
    }

    @Test func validationNamesTheAttribute() {
        #expect(KMSAlias("ok", name: "alias/b2b-ecommerce-artifacts", targetKeyId: "1234abcd-12ab-34cd-56ef-1234567890ab").validate().isEmpty)
        let noPrefix = KMSAlias("bad", name: "artifacts", targetKeyId: "k").validate()
        #expect(noPrefix.map(\.attribute) == ["name"])
        #expect(noPrefix.first?.address == "aws_kms_alias.bad")
        #expect(KMSAlias("aws", name: "alias/aws/s3", targetKeyId: "k").validate().map(\.attribute) == ["name"])
        #expect(KMSAlias("space", name: "alias/has space", targetKeyId: "k").validate().map(\.attribute) == ["name"])
        #expect(KMSAlias("chain", name: "alias/a", targetKeyId: "alias/b").validate().map(\.attribute) == ["targetKeyId"])
        #expect(KMSAlias("empty", name: "alias/a", targetKeyId: "").validate().map(\.attribute) == ["targetKeyId"])
    }
}
