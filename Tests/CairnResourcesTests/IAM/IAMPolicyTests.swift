import CairnAWS
import CairnEngine
import CairnJSON
import Foundation
import TestSupport
import Testing

@testable import CairnResources

@Suite struct IAMPolicyTests {
    static func document(_ bucket: String) -> PolicyDocument {
        PolicyDocument([
            PolicyStatement(
                sid: "Read", actions: ["s3:GetObject", "s3:ListBucket"],
                resources: ["arn:aws:s3:::\(bucket)", "arn:aws:s3:::\(bucket)/*"]),
            PolicyStatement(
                actions: ["ecr:GetAuthorizationToken"], resources: ["*"],
                conditions: [PolicyCondition("Bool", "aws:SecureTransport", ["true"])]),
        ])
    }

    static func versions(_ moto: MotoServer, _ arn: String) async throws -> [JSONValue] {
        try await moto.awsJSON(["iam", "list-policy-versions", "--policy-arn", arn])["Versions"].array ?? []
    }

    @Test(.integration) func createReadUpdateDeleteAgainstMoto() async throws {
        let (client, moto) = try await ProviderTesting.client()
        let provider = IAMPolicyProvider(client: client)
        #expect(provider.replaceOnChange == ["name", "path", "description"])
        let name = ProviderTesting.uniqueName("policy")
        var policy = IAMPolicy(
            "deploy", name: Input(name), path: "/cairn/ci/", description: "Deploy: read artifacts",
            document: Self.document("artifacts-0"), tags: ["team": "invoices", "env": "test"])
        #expect(policy.validate().isEmpty)
        let declared = ProviderTesting.attributes(of: policy)
        #expect(provider.physicalID(for: declared) == "/cairn/ci/\(name)")

        let created = try await provider.create(declared)
        let arn = "arn:aws:iam::\(moto.account):policy/cairn/ci/\(name)"
        #expect(created.id == arn)
        #expect(created.outputs == ["arn": .string(arn), "name": .string(name)])

        // What AWS has, seen by the aws CLI.
        let got = try await moto.awsJSON(["iam", "get-policy", "--policy-arn", arn])["Policy"]
        #expect(got["Path"].string == "/cairn/ci/")
        #expect(got["Description"].string == "Deploy: read artifacts")
        #expect(
            Dictionary(uniqueKeysWithValues: (got["Tags"].array ?? []).map { ($0["Key"].string ?? "", $0["Value"].string ?? "") })
                == ["team": "invoices", "env": "test"])
        let version = try await moto.awsJSON(["iam", "get-policy-version", "--policy-arn", arn, "--version-id", got["DefaultVersionId"].string ?? ""])
        #expect(version["PolicyVersion"]["Document"]["Statement"][0]["Resource"] == ["arn:aws:s3:::artifacts-0", "arn:aws:s3:::artifacts-0/*"])

        // No false drift, with or without prior attributes (an import), and by the planned id of an interrupted create.
        let read = try #require(try await provider.read(id: arn, prior: declared))
        #expect(read.attributes == declared)
        #expect(read.outputs == created.outputs)
        #expect(try await provider.read(id: arn, prior: [:])?.attributes == declared)
        let adopted = try #require(try await provider.read(id: "/cairn/ci/\(name)", prior: [:]))
        #expect(adopted.id == arn)
        #expect(adopted.attributes == declared)
        #expect(try await provider.read(id: "/cairn/ci/\(name)-missing", prior: [:]) == nil)

        // Six document changes: each a new default version, never more than IAM's five.
        var previous = declared
        for i in 1...6 {
            policy.document = Self.document("artifacts-\(i)")
            let next = ProviderTesting.attributes(of: policy)
            let updated = try await provider.update(id: arn, from: previous, to: next)
            #expect(updated.outputs == created.outputs)
            let versions = try await Self.versions(moto, arn)
            #expect(versions.count == min(i + 1, 5), "after change \(i): \(versions)")
            let defaultVersion = try #require(versions.first { $0["IsDefaultVersion"].bool == true })
            let document = try await moto.awsJSON([
                "iam", "get-policy-version", "--policy-arn", arn, "--version-id", defaultVersion["VersionId"].string ?? "",
            ])
            #expect(document["PolicyVersion"]["Document"]["Statement"][0]["Resource"][0].string == "arn:aws:s3:::artifacts-\(i)")
            #expect(defaultVersion["VersionId"].string == "v\(i + 1)")
            #expect(try await provider.read(id: arn, prior: next)?.attributes == next)
            previous = next
        }
        // The oldest versions went first.
        #expect(Set(try await Self.versions(moto, arn).compactMap { $0["VersionId"].string }) == ["v3", "v4", "v5", "v6", "v7"])

        // Tags in place.
        policy.tags = ["team": "billing", "owner": "ops"]
        _ = try await provider.update(id: arn, from: previous, to: ProviderTesting.attributes(of: policy))
        let tags = try await moto.awsJSON(["iam", "list-policy-tags", "--policy-arn", arn])["Tags"].array ?? []
        #expect(
            Dictionary(uniqueKeysWithValues: tags.map { ($0["Key"].string ?? "", $0["Value"].string ?? "") }) == ["team": "billing", "owner": "ops"])
        #expect(try await provider.read(id: arn, prior: [:])?.attributes == ProviderTesting.attributes(of: policy))

        // Delete detaches it from the roles, users and groups it is attached to first.
        let role = ProviderTesting.uniqueName("policy-role")
        let user = ProviderTesting.uniqueName("policy-user")
        let group = ProviderTesting.uniqueName("policy-group")
        _ = try await moto.awsJSON([
            "iam", "create-role", "--role-name", role, "--assume-role-policy-document",
            #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"codebuild.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#,
        ])
        _ = try await moto.awsJSON(["iam", "create-user", "--user-name", user])
        _ = try await moto.awsJSON(["iam", "create-group", "--group-name", group])
        _ = try await moto.aws(["iam", "attach-role-policy", "--role-name", role, "--policy-arn", arn])
        _ = try await moto.aws(["iam", "attach-user-policy", "--user-name", user, "--policy-arn", arn])
        _ = try await moto.aws(["iam", "attach-group-policy", "--group-name", group, "--policy-arn", arn])
        let entities = try await moto.awsJSON(["iam", "list-entities-for-policy", "--policy-arn", arn])
        #expect(entities["PolicyRoles"].array?.count == 1 && entities["PolicyUsers"].array?.count == 1 && entities["PolicyGroups"].array?.count == 1)

        try await provider.delete(id: arn, attributes: ProviderTesting.attributes(of: policy))
        #expect(try await provider.read(id: arn, prior: [:]) == nil)
        let gone = try await moto.aws(["iam", "get-policy", "--policy-arn", arn])
        #expect(gone.status != 0 && gone.stderr.contains("NoSuchEntity"))
        #expect(try await moto.awsJSON(["iam", "list-attached-role-policies", "--role-name", role])["AttachedPolicies"].array?.isEmpty == true)
        #expect(try await moto.awsJSON(["iam", "list-attached-user-policies", "--user-name", user])["AttachedPolicies"].array?.isEmpty == true)
        #expect(try await moto.awsJSON(["iam", "list-attached-group-policies", "--group-name", group])["AttachedPolicies"].array?.isEmpty == true)
        // The role can be deleted now (moto would otherwise keep a dangling attachment).
        #expect(try await moto.aws(["iam", "delete-role", "--role-name", role]).status == 0)
        try await provider.delete(id: arn, attributes: [:])  // deleting what is gone is not an error
    }

    @Test func oldestNonDefaultVersionIsChosenByNumber() throws {
        func version(_ id: String, _ isDefault: Bool) -> XMLNode {
            XMLNode("member", children: [XMLNode("VersionId", text: id), XMLNode("IsDefaultVersion", text: isDefault ? "true" : "false")])
        }
        #expect(
            IAMPolicyProvider.oldestNonDefault([version("v10", false), version("v9", false), version("v2", true), version("v11", false)]) == "v9")
        #expect(IAMPolicyProvider.oldestNonDefault([version("v3", true)]) == nil)
    }

    @Test func validationNamesTheAttribute() {
        let bad = IAMPolicy(
            "bad", name: "no spaces", path: "ci", description: String(repeating: "x", count: 1001),
            document: PolicyDocument([PolicyStatement(principals: [.service("ec2.amazonaws.com")], actions: ["s3:GetObject"])]),
            tags: ["aws:reserved": "x"])
        let issues = bad.validate()
        #expect(
            Set(issues.compactMap(\.attribute)) == [
                "name", "path", "description", "document.Statement[0].Resource",
                "document.Statement[0].Principal", "tags.aws:reserved",
            ])
        #expect(issues.allSatisfy { $0.address == "aws_iam_policy.bad" })
        #expect(IAMPolicy("ok", name: "deploy", path: "/", document: Self.document("b")).validate().isEmpty)
    }
}
