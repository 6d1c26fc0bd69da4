import CairnEngine
import CairnJSON
import Foundation
import TestSupport
import Testing

@testable import CairnAWS
@testable import CairnResources

@Suite struct CodeCommitRepositoryTests {
    static func repository(_ moto: MotoServer, _ name: String) async throws -> JSONValue {
        try await moto.awsJSON(["codecommit", "get-repository", "--repository-name", name])["repositoryMetadata"]
    }

    static func tags(_ moto: MotoServer, _ arn: String) async throws -> [String: String] {
        let tags = try await moto.awsJSON(["codecommit", "list-tags-for-resource", "--resource-arn", arn])["tags"]
        return (tags.object ?? [:]).compactMapValues(\.string)
    }

    @Test(.integration) func createReadUpdateDriftDeleteAgainstMoto() async throws {
        let (client, moto) = try await ProviderTesting.client()
        let provider = CodeCommitRepositoryProvider(client: client)
        #expect(provider.replaceOnChange == ["name"])
        #expect(provider.adoptionProof == .ownershipTags)
        let name = ProviderTesting.uniqueName("cloud-health-dashboard")
        var repository = CodeCommitRepository(
            "repository", name: Input(name), description: "Cloud Health Dashboard Application", tags: ["team": "web"])
        #expect(repository.validate().isEmpty)
        let declared = ProviderTesting.attributes(of: repository)
        #expect(declared == ["name": .string(name), "description": "Cloud Health Dashboard Application", "kmsKeyId": .null, "tags": ["team": "web"]])
        #expect(provider.physicalID(for: declared) == name)

        let created = try await provider.create(declared)
        let arn = "arn:aws:codecommit:us-east-1:\(moto.account):\(name)"
        #expect(created.id == name)
        #expect(created.outputs["arn"] == .string(arn))
        #expect(created.outputs["name"] == .string(name))
        #expect(created.outputs["cloneUrlHttp"] == .string("https://git-codecommit.us-east-1.amazonaws.com/v1/repos/\(name)"))
        #expect(created.outputs["cloneUrlSsh"] == .string("ssh://git-codecommit.us-east-1.amazonaws.com/v1/repos/\(name)"))
        #expect(created.outputs["repositoryId"]?.stringValue?.isEmpty == false)
        let live = try await Self.repository(moto, name)
        #expect(live["repositoryDescription"].string == "Cloud Health Dashboard Application")
        #expect(live["kmsKeyId"].isNull)
        #expect(try await Self.tags(moto, arn) == ["team": "web"])

        // No drift after the create, nor for an import.
        let read = try #require(try await provider.read(id: name, prior: declared))
        #expect(read.attributes == declared)
        #expect(read.outputs == created.outputs)
        #expect(try await provider.read(id: name, prior: [:])?.attributes == declared)

        // Description, key and tags in place.
        repository.description = "the dashboard"
        repository.kmsKeyId = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
        repository.tags = ["team": "platform", "env": "dev"]
        let next = ProviderTesting.attributes(of: repository)
        let updated = try await provider.update(id: name, from: declared, to: next)
        #expect(updated.outputs == created.outputs)
        let after = try await Self.repository(moto, name)
        #expect(after["repositoryDescription"].string == "the dashboard")
        #expect(after["kmsKeyId"].string == "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab")
        #expect(try await Self.tags(moto, arn) == ["team": "platform", "env": "dev"])
        #expect(try await provider.read(id: name, prior: next)?.attributes == next)

        // Out-of-band changes with the aws CLI show as drift, and the update puts them back.
        _ = try await moto.awsJSON(["codecommit", "update-repository-description", "--repository-name", name, "--repository-description", "by hand"])
        _ = try await moto.awsJSON(["codecommit", "tag-resource", "--resource-arn", arn, "--tags", "owner=someone"])
        _ = try await moto.awsJSON(["codecommit", "untag-resource", "--resource-arn", arn, "--tag-keys", "env"])
        let drifted = try #require(try await provider.read(id: name, prior: next)).attributes
        #expect(AttributeDiff.changes(from: drifted, to: next).map(\.path).sorted() == ["description", "tags.env", "tags.owner"])
        _ = try await provider.update(id: name, from: drifted, to: next)
        #expect(try await Self.repository(moto, name)["repositoryDescription"].string == "the dashboard")
        #expect(try await Self.tags(moto, arn) == ["team": "platform", "env": "dev"])

        // Back to the AWS managed key: UpdateRepositoryEncryptionKey with its alias.
        repository.kmsKeyId = nil
        let managed = ProviderTesting.attributes(of: repository)
        _ = try await provider.update(id: name, from: next, to: managed)
        #expect(try await Self.repository(moto, name)["kmsKeyId"].string == "alias/aws/codecommit")
        #expect(try await provider.read(id: name, prior: managed)?.attributes == managed)

        // A new name replaces the repository.
        var renamed = managed
        renamed["name"] = .string(name + "-v2")
        #expect(AttributeDiff.changes(from: managed, to: renamed, replaceOnChange: provider.replaceOnChange).contains { $0.forcesReplacement })

        try await provider.delete(id: name, attributes: managed)
        #expect(try await provider.read(id: name, prior: managed) == nil)
        let gone = try await moto.aws(["codecommit", "get-repository", "--repository-name", name])
        #expect(gone.status != 0 && gone.stderr.contains("RepositoryDoesNotExistException"))
        try await provider.delete(id: name, attributes: managed)  // deleting what is gone is not an error
    }

    /// scripts/moto-server's CodeCommit operations behave as AWS documents them: TagResource adds and overwrites,
    /// UntagResource removes the keys named, ListTagsForResource lists the map, and an unknown repository is
    /// RepositoryDoesNotExistException, for the tag operations (by ARN) as for UpdateRepositoryDescription (by name).
    @Test(.integration) func motoServerAnswersCodeCommitAsAWSDocumentsIt() async throws {
        let (_, moto) = try await ProviderTesting.client()
        let name = ProviderTesting.uniqueName("tags")
        let created = try await moto.awsJSON([
            "codecommit", "create-repository", "--repository-name", name, "--tags", "a=1,b=2", "--kms-key-id", "alias/source",
        ])["repositoryMetadata"]
        #expect(created["kmsKeyId"].string == "alias/source")
        let arn = try #require(created["Arn"].string)
        #expect(try await Self.tags(moto, arn) == ["a": "1", "b": "2"])
        _ = try await moto.awsJSON(["codecommit", "tag-resource", "--resource-arn", arn, "--tags", "b=3,c=4"])
        _ = try await moto.awsJSON(["codecommit", "untag-resource", "--resource-arn", arn, "--tag-keys", "a"])
        #expect(try await Self.tags(moto, arn) == ["b": "3", "c": "4"])
        let key = try await moto.awsJSON(["codecommit", "update-repository-encryption-key", "--repository-name", name, "--kms-key-id", "k2"])
        #expect(key["originalKmsKeyId"].string == "alias/source")
        #expect(key["kmsKeyId"].string == "k2")
        _ = try await moto.awsJSON(["codecommit", "update-repository-description", "--repository-name", name, "--repository-description", "new"])
        #expect(try await Self.repository(moto, name)["repositoryDescription"].string == "new")

        for arguments in [
            ["list-tags-for-resource", "--resource-arn", arn + "-missing"], ["tag-resource", "--resource-arn", arn + "-missing", "--tags", "a=1"],
            ["update-repository-description", "--repository-name", name + "-missing", "--repository-description", "x"],
        ] {
            let missing = try await moto.aws(["codecommit"] + arguments)
            #expect(missing.status != 0 && missing.stderr.contains("RepositoryDoesNotExistException"), "\(arguments)")
        }
        _ = try await moto.awsJSON(["codecommit", "delete-repository", "--repository-name", name])
    }

    /// The create sends the name, the description, the key and the tags as CodeCommit's model names them.
    @Test func createSendsTheModelsMembers() async throws {
        let transport = ScriptedTransport { operation in
            operation == "CreateRepository"
                ? #"{"repositoryMetadata": {"repositoryName": "repo", "Arn": "arn:aws:codecommit:us-east-1:123456789012:repo", "repositoryId": "id-1"}}"#
                : "{}"
        }
        let provider = CodeCommitRepositoryProvider(client: .scripted(transport, clock: SteppingClock()))
        let declared = ProviderTesting.attributes(
            of: CodeCommitRepository("r", name: "repo", description: "d", kmsKeyId: "alias/repos", tags: ["team": "web"]))
        let created = try await provider.create(declared)
        #expect(created.id == "repo")
        #expect(created.outputs["repositoryId"] == "id-1")
        let body = try JSON(parsing: try #require(transport.bodies("CreateRepository").first))
        #expect(body == ["repositoryName": "repo", "repositoryDescription": "d", "kmsKeyId": "alias/repos", "tags": ["team": "web"]])

        // No description, key or tags: only the name.
        _ = try await provider.create(ProviderTesting.attributes(of: CodeCommitRepository("r", name: "repo")))
        #expect(try JSON(parsing: try #require(transport.bodies("CreateRepository").last)) == ["repositoryName": "repo"])
    }

    /// In an account that never used CodeCommit, AWS refuses CreateRepository (closed to new customers since 25 July 2024):
    /// the error says so in a sentence and names the way out.
    @Test func anAccountClosedToCodeCommitGetsAnActionableSentence() async throws {
        let message = "CreateRepository request is not allowed because there is no existing repository in this AWS account or AWS Organization"
        let transport = ScriptedTransport(status: { _ in (400, #"{"__type": "OperationNotAllowedException", "message": "\#(message)"}"#) })
        let provider = CodeCommitRepositoryProvider(client: .scripted(transport, clock: SteppingClock()))
        let error = await LinkedResourceTesting.error {
            _ = try await provider.create(ProviderTesting.attributes(of: CodeCommitRepository("r", name: "cloud-health-dashboard")))
        }
        let closed = try #require(error as? CodeCommitUnavailableError)
        #expect(closed.repository == "cloud-health-dashboard")
        let text = String(describing: closed)
        #expect(text.contains("AWS closed CodeCommit to new customers on 25 July 2024"))
        #expect(text.contains(message))
        #expect(text.contains("GitHub") && text.contains(".codeStarSource"))
    }

    @Test func validationNamesTheAttribute() {
        #expect(CodeCommitRepository("ok", name: "cloud-health_dashboard.v2").validate().isEmpty)
        let bad = CodeCommitRepository("bad", name: "has space").validate()
        #expect(bad.map(\.attribute) == ["name"])
        #expect(bad.first?.address == "aws_codecommit_repository.bad")
        #expect(CodeCommitRepository("long", name: Input(String(repeating: "a", count: 101))).validate().map(\.attribute) == ["name"])
        #expect(CodeCommitRepository("git", name: "site.git").validate().map(\.attribute) == ["name"])
        #expect(
            CodeCommitRepository("description", name: "r", description: String(repeating: "x", count: 1001)).validate().map(\.attribute)
                == ["description"])
        #expect(CodeCommitRepository("key", name: "r", kmsKeyId: "not a key").validate().map(\.attribute) == ["kmsKeyId"])
        #expect(CodeCommitRepository("tags", name: "r", tags: ["aws:reserved": "x"]).validate().map(\.attribute) == ["tags.aws:reserved"])
    }

    /// The key as declared reads back as declared when CodeCommit names the same key another way.
    @Test func theKeyReadsBackAsDeclared() {
        let arn = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
        #expect(
            CodeCommitRepositoryProvider.observedKey(arn, declared: "1234abcd-12ab-34cd-56ef-1234567890ab") == "1234abcd-12ab-34cd-56ef-1234567890ab")
        #expect(CodeCommitRepositoryProvider.observedKey(arn, declared: "alias/repos") == "alias/repos")
        #expect(
            CodeCommitRepositoryProvider.observedKey("1234abcd-12ab-34cd-56ef-1234567890ab", declared: .string(arn)) == .string(arn),
            "a bare id read back for a declared ARN")
        #expect(CodeCommitRepositoryProvider.observedKey(arn, declared: .null) == .null)
        #expect(CodeCommitRepositoryProvider.observedKey(nil, declared: "alias/repos") == .null)
        #expect(
            CodeCommitRepositoryProvider.observedKey("arn:aws:kms:us-east-1:123456789012:key/other", declared: .string(arn))
                == "arn:aws:kms:us-east-1:123456789012:key/other")
    }
}

/// CodeCommit's ListTagsForResource answers a nextToken while more tags remain, though botocore has no paginator for
/// it: the read follows it to the last page.
@Suite struct CodeCommitTagPagesTests {
    @Test func theReadFollowsNextTokenToTheLastPage() async throws {
        let transport = ScriptedTransport(reading: { operation, body in
            let request = String(decoding: body, as: UTF8.self)
            switch operation {
            case "GetRepository":
                return (200, #"{"repositoryMetadata": {"repositoryName": "repo", "Arn": "arn:aws:codecommit:us-east-1:123456789012:repo"}}"#)
            case "ListTagsForResource" where request.contains(#""nextToken":"n2""#):
                return (200, #"{"tags": {"c": "3"}}"#)
            case "ListTagsForResource" where request.contains(#""nextToken":"n1""#):
                return (200, #"{"tags": {"b": "2"}, "nextToken": "n2"}"#)
            case "ListTagsForResource":
                return (200, #"{"tags": {"a": "1"}, "nextToken": "n1"}"#)
            default:
                return (400, #"{"__type": "UnexpectedCall", "message": "\#(operation)"}"#)
            }
        })
        let provider = CodeCommitRepositoryProvider(client: .scripted(transport, clock: SteppingClock()))
        let observed = try #require(try await provider.read(id: "repo", prior: [:]))
        #expect(observed.attributes["tags"] == ["a": "1", "b": "2", "c": "3"])
        #expect(transport.bodies("ListTagsForResource").count == 3)
    }
}
