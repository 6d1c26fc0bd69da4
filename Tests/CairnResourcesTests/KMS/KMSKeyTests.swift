import CairnEngine
import CairnJSON
import Foundation
import TestSupport
import Testing

@testable import CairnAWS
@testable import CairnResources

@Suite struct KMSKeyTests {
    static func describe(_ moto: MotoServer, _ id: String) async throws -> JSONValue {
        try await moto.awsJSON(["kms", "describe-key", "--key-id", id])["KeyMetadata"]
    }

    static func tags(_ moto: MotoServer, _ id: String) async throws -> [String: String] {
        ProviderTesting.tags(try await moto.awsJSON(["kms", "list-resource-tags", "--key-id", id])["Tags"], key: "TagKey", value: "TagValue")
    }

    static func rotation(_ moto: MotoServer, _ id: String) async throws -> Bool? {
        try await moto.awsJSON(["kms", "get-key-rotation-status", "--key-id", id])["KeyRotationEnabled"].bool
    }

    static func policy(_ moto: MotoServer, _ id: String) async throws -> JSON? {
        let text = try await moto.awsJSON(["kms", "get-key-policy", "--key-id", id, "--policy-name", "default"])["Policy"].string
        return text.flatMap(PolicyNormalizer.parse)
    }

    static let root = "arn:aws:iam::123456789012:root"

    /// The seed's key policy: the account root (IAM delegation) plus CodePipeline's use of the key.
    static let document = PolicyDocument([
        PolicyStatement(sid: "Root", principals: [.aws(Input(root))], actions: ["kms:*"], resources: ["*"]),
        PolicyStatement(
            sid: "Pipeline", principals: [.service("codepipeline.amazonaws.com")],
            actions: ["kms:Decrypt", "kms:GenerateDataKey*"], resources: ["*"]),
    ])

    @Test(.integration) func createReadUpdateDeleteAgainstMoto() async throws {
        let (client, moto) = try await ProviderTesting.client()
        let provider = KMSKeyProvider(client: client)
        #expect(provider.replaceOnChange.isEmpty)
        #expect(provider.localAttributes == ["deletionWindowInDays"])
        var key = KMSKey(
            "artifacts", description: "SSE-KMS for S3 artifacts", policy: .document(Self.document),
            enableKeyRotation: true, deletionWindowInDays: 7, tags: ["team": "platform"])
        #expect(key.validate().isEmpty)
        let declared = ProviderTesting.attributes(of: key)
        #expect(declared["keyState"] == "Enabled")
        #expect(provider.physicalID(for: declared) == nil)

        let created = try await provider.create(declared)
        let arn = "arn:aws:kms:us-east-1:\(moto.account):key/\(created.id)"
        #expect(created.outputs == ["arn": .string(arn), "keyId": .string(created.id)])
        let live = try await Self.describe(moto, created.id)
        #expect(live["Description"].string == "SSE-KMS for S3 artifacts")
        #expect(live["KeyState"].string == "Enabled")
        #expect(try await Self.rotation(moto, created.id) == true)
        #expect(try await Self.policy(moto, created.id) == declared["policy"])
        #expect(try await Self.tags(moto, created.id) == ["team": "platform"])

        // No drift, after the create and for an import (no prior attributes).
        let read = try #require(try await provider.read(id: created.id, prior: declared))
        #expect(read.attributes == declared)
        #expect(read.outputs == created.outputs)
        var imported = try #require(try await provider.read(id: created.id, prior: [:])).attributes
        imported["deletionWindowInDays"] = declared["deletionWindowInDays"]  // local to Cairn: the engine keeps the recorded one
        #expect(imported == declared)

        // The same policy as JSON text, worded differently (key order, one-element lists), is no change.
        let text = #"""
            {"Statement": [{"Resource": "*", "Action": ["kms:*"], "Principal": {"AWS": ["arn:aws:iam::123456789012:root"]},
              "Effect": "Allow", "Sid": "Root"},
             {"Sid": "Pipeline", "Effect": "Allow", "Principal": {"Service": "codepipeline.amazonaws.com"},
              "Action": ["kms:Decrypt", "kms:GenerateDataKey*"], "Resource": ["*"]}],
             "Version": "2012-10-17"}
            """#
        key.policy = .json(text)
        #expect(key.validate().isEmpty)
        #expect(ProviderTesting.attributes(of: key) == declared)

        // Description, policy, rotation and tags in place.
        key.description = "artifacts key"
        key.policy = .document(PolicyDocument([Self.document.statements[0]]))
        key.enableKeyRotation = false
        key.tags = ["team": "billing", "env": "dev"]
        let next = ProviderTesting.attributes(of: key)
        let updated = try await provider.update(id: created.id, from: declared, to: next)
        #expect(updated.outputs == created.outputs)
        #expect(try await Self.describe(moto, created.id)["Description"].string == "artifacts key")
        #expect(try await Self.rotation(moto, created.id) == false)
        #expect(try await Self.policy(moto, created.id) == next["policy"])
        #expect(try await Self.tags(moto, created.id) == ["team": "billing", "env": "dev"])
        #expect(try await provider.read(id: created.id, prior: next)?.attributes == next)

        // Back to KMS's default policy: PutKeyPolicy with it, read back as null.
        key.policy = nil
        let defaulted = ProviderTesting.attributes(of: key)
        _ = try await provider.update(id: created.id, from: next, to: defaulted)
        let livePolicy = try #require(try await Self.policy(moto, created.id))
        #expect(KMSKeyProvider.isDefaultPolicy(livePolicy, keyARN: arn))
        #expect(try await provider.read(id: created.id, prior: defaulted)?.attributes == defaulted)

        // Destroy schedules the deletion; the key pending deletion counts as gone for a second delete.
        try await provider.delete(id: created.id, attributes: defaulted)
        let pending = try await Self.describe(moto, created.id)
        #expect(pending["KeyState"].string == "PendingDeletion")
        #expect(pending["DeletionDate"].isNull == false)
        try await provider.delete(id: created.id, attributes: defaulted)
        try await provider.delete(id: "00000000-0000-0000-0000-000000000000", attributes: [:])  // never existed
        #expect(try await provider.read(id: "00000000-0000-0000-0000-000000000000", prior: [:]) == nil)
    }

    /// A key with no policy gets KMS's default one, which reads back as null: no drift, and none on import.
    @Test(.integration) func defaultPolicyReadsBackAsNull() async throws {
        let (client, moto) = try await ProviderTesting.client()
        let provider = KMSKeyProvider(client: client)
        let declared = ProviderTesting.attributes(of: KMSKey("plain"))
        #expect(declared["policy"] == .null && declared["description"] == "" && declared["enableKeyRotation"] == false)
        let created = try await provider.create(declared)
        let policy = try #require(try await Self.policy(moto, created.id))
        #expect(KMSKeyProvider.isDefaultPolicy(policy, keyARN: try #require(created.outputs["arn"]?.stringValue)))
        #expect(try await provider.read(id: created.id, prior: declared)?.attributes == declared)
        #expect(try await provider.read(id: created.id, prior: [:])?.attributes["policy"] == .null)
        try await provider.delete(id: created.id, attributes: declared)
    }

    /// Out-of-band changes show as drift, and the apply puts them back: rotation turned off with the aws CLI; the key
    /// scheduled for deletion (re-apply cancels it and re-enables the key, which KMS leaves disabled).
    @Test(.integration) func outOfBandChangesAreDetectedAndReverted() async throws {
        let (client, moto) = try await ProviderTesting.client()
        let provider = KMSKeyProvider(client: client)
        let declared = ProviderTesting.attributes(of: KMSKey("drift", description: "drift", enableKeyRotation: true))
        let id = try await provider.create(declared).id

        _ = try await moto.awsJSON(["kms", "disable-key-rotation", "--key-id", id])
        let rotated = try #require(try await provider.read(id: id, prior: declared)).attributes
        #expect(rotated["enableKeyRotation"] == false)
        #expect(AttributeDiff.changes(from: rotated, to: declared).map(\.path) == ["enableKeyRotation"])
        _ = try await provider.update(id: id, from: rotated, to: declared)
        #expect(try await Self.rotation(moto, id) == true)

        _ = try await moto.awsJSON(["kms", "schedule-key-deletion", "--key-id", id, "--pending-window-in-days", "7"])
        let pending = try #require(
            try await provider.read(id: id, prior: declared), "a key pending deletion is still read, so that a re-apply can recover it")
        #expect(pending.attributes["keyState"] == "PendingDeletion")
        #expect(AttributeDiff.changes(from: pending.attributes, to: declared).map(\.path) == ["keyState"])
        _ = try await provider.update(id: id, from: pending.attributes, to: declared)
        let recovered = try await Self.describe(moto, id)
        #expect(recovered["KeyState"].string == "Enabled")
        #expect(recovered["DeletionDate"].isNull)
        #expect(try await provider.read(id: id, prior: declared)?.attributes == declared)

        _ = try await moto.awsJSON(["kms", "disable-key", "--key-id", id])
        let disabled = try #require(try await provider.read(id: id, prior: declared)).attributes
        #expect(disabled["keyState"] == "Disabled")
        _ = try await provider.update(id: id, from: disabled, to: declared)
        #expect(try await Self.describe(moto, id)["KeyState"].string == "Enabled")
        try await provider.delete(id: id, attributes: declared)
    }

    /// Bad input is refused by `validate()`, which makes no API call, in one sentence naming the attribute.
    @Test func validationNamesTheAttribute() {
        let notJSON = KMSKey("bad", policy: .json(#"{"Version": "2012-10-17", "Statement": ["#))
        let issues = notJSON.validate()
        #expect(issues.map(\.attribute) == ["policy"])
        #expect(issues.first?.address == "aws_kms_key.bad")
        #expect(issues.first?.message.contains("not valid JSON") == true)
        #expect(KMSKey("array", policy: .json("[]")).validate().map(\.attribute) == ["policy"])

        #expect(KMSKey("window", deletionWindowInDays: 5).validate().map(\.attribute) == ["deletionWindowInDays"])
        #expect(KMSKey("window", deletionWindowInDays: 31).validate().map(\.attribute) == ["deletionWindowInDays"])
        let noPrincipal = KMSKey("doc", policy: .document(PolicyDocument([PolicyStatement(actions: ["kms:*"], resources: ["*"])])))
        #expect(noPrincipal.validate().map(\.attribute) == ["policy.Statement[0].Principal"])
        #expect(KMSKey("long", description: String(repeating: "x", count: 8193)).validate().map(\.attribute) == ["description"])
        #expect(KMSKey("ok", policy: .document(Self.document), deletionWindowInDays: 7).validate().isEmpty)
    }

    /// On AWS a policy naming a just-created IAM role is refused for a few seconds (MalformedPolicyDocumentException):
    /// the create retries it on the client's clock, then succeeds; a refusal that lasts ends with an error naming the wait and KMS's answer.
    @Test func aPolicyNamingANewPrincipalIsRetried() async throws {
        let clock = SteppingClock()
        let refusals = Countdown(2)
        let transport = ScriptedTransport(status: { operation in
            guard operation == "CreateKey" else { return (200, "{}") }
            return refusals.next()
                ? (
                    400,
                    #"{"__type": "MalformedPolicyDocumentException", "message": "Policy contains a statement with one or more invalid principals."}"#
                )
                : (200, #"{"KeyMetadata": {"KeyId": "k-1", "Arn": "arn:aws:kms:us-east-1:123456789012:key/k-1"}}"#)
        })
        let client = AWSClient.scripted(transport, clock: clock)
        let provider = KMSKeyProvider(client: client)
        let declared = ProviderTesting.attributes(of: KMSKey("new", policy: .document(Self.document)))
        #expect(try await provider.create(declared).id == "k-1")
        #expect(clock.slept == .seconds(6))

        refusals.reset(1_000)
        do {
            _ = try await provider.create(declared)
            Issue.record("a policy KMS keeps refusing was accepted")
        } catch let error as StillRefused {
            #expect(error.refusal.code == "MalformedPolicyDocumentException")
            #expect(
                error.description.hasPrefix(
                    "gave up after 1 minute (21 attempts) waiting for the KMS key policy to be accepted; AWS's last answer: KMS CreateKey failed: MalformedPolicyDocumentException"
                ), "\(error)")
        }
        #expect(clock.slept == .seconds(6) + KMSKeyProvider.policyPropagationTimeout)
    }
}
