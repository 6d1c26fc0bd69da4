import CairnAWS
import CairnEngine
import CairnJSON
import Foundation
import TestSupport
import Testing

@testable import CairnResources

/// The engine with the real providers against moto: update in place, replace, delete by removal,
/// and validation before any call. Results are checked with the aws CLI.
@Suite(.integration) struct WorkspaceLifecycleTests {
    func workspace() async throws -> (Workspace, MotoServer) {
        let (client, moto) = try await ProviderTesting.client()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("cairn-lifecycle-\(UUID().uuidString)")
        return (Workspace(stateDir: directory, providers: awsProviders(client: client), environment: ["CAIRN_STATE_KEY": "lifecycle"]), moto)
    }

    func stack(_ resources: [any ResourceDeclaration]) -> Stack {
        Stack(name: "lifecycle", region: "us-east-1", environment: StackEnvironment(), resources: resources)
    }

    func apply(_ workspace: Workspace, _ stack: Stack) async throws -> Plan {
        let plan = try await workspace.plan(stack, region: "us-east-1")
        let report = try await workspace.apply(plan, stack: stack, command: "apply") { _ in }
        #expect(report.ok, "\(report.failureSummary)")
        return plan
    }

    @Test func updateInPlaceReplaceAndDeleteByRemoval() async throws {
        let (workspace, moto) = try await workspace()
        let name = ProviderTesting.uniqueName("repo")
        let roleName = ProviderTesting.uniqueName("role")
        var repository = ECRRepository("app", name: Input(name), tags: ["team": "a"])
        let role = IAMRole(
            "pusher", name: Input(roleName), assumeRolePolicy: .trust(.service("codebuild.amazonaws.com")),
            inlinePolicies: ["push": PolicyDocument([PolicyStatement(actions: ["ecr:PutImage"], resources: [repository.arn.input])])])
        let created = try await apply(workspace, stack([repository, role]))
        #expect(created.count(.create) == 2)
        let policy = try await moto.awsJSON(["iam", "get-role-policy", "--role-name", roleName, "--policy-name", "push"])
        #expect(
            policy["PolicyDocument"]["Statement"][0]["Resource"].string?.hasSuffix(":repository/\(name)") == true,
            "the role's policy got the repository's ARN")

        // Update in place.
        repository.scanOnPush = true
        repository.tags = ["team": "b"]
        let update = try await apply(workspace, stack([repository, role]))
        #expect(update.resources.first { $0.address == "aws_ecr_repository.app" }?.action == .update)
        let described = try await moto.awsJSON(["ecr", "describe-repositories", "--repository-names", name])
        #expect(described["repositories"][0]["imageScanningConfiguration"]["scanOnPush"] == true)
        let tags = try await moto.awsJSON([
            "ecr", "list-tags-for-resource", "--resource-arn", described["repositories"][0]["repositoryArn"].string ?? "",
        ])
        let team = (tags["tags"].array ?? []).first { $0["Key"] == "team" }
        #expect(team?["Value"] == "b")
        #expect((tags["tags"].array ?? []).contains { $0["Key"] == "cairn:state" }, "the ownership tags stay")

        // Replace: the encryption can't change in place.
        repository.encryption = .kms()
        let replace = try await workspace.plan(stack([repository, role]), region: "us-east-1")
        let change = try #require(replace.resources.first { $0.address == "aws_ecr_repository.app" })
        #expect(change.action == .replace)
        #expect(change.changes.filter(\.forcesReplacement).map(\.path).allSatisfy { $0.hasPrefix("encryption") })
        #expect(try await workspace.apply(replace, stack: stack([repository, role]), command: "apply") { _ in }.ok)
        let replaced = try await moto.awsJSON(["ecr", "describe-repositories", "--repository-names", name])
        #expect(replaced["repositories"][0]["encryptionConfiguration"]["encryptionType"] == "KMS")

        // Delete by removing it from the code.
        let removal = try await apply(workspace, stack([repository]))
        #expect(removal.resources.first { $0.address == "aws_iam_role.pusher" }?.action == .delete)
        #expect(try await moto.aws(["iam", "get-role", "--role-name", roleName]).status != 0)

        let destroy = try await workspace.plan(stack([repository]), region: "us-east-1", destroy: true)
        #expect(try await workspace.apply(destroy, stack: stack([repository]), command: "destroy") { _ in }.ok)
        #expect(try await moto.aws(["ecr", "describe-repositories", "--repository-names", name]).status != 0)
    }

    @Test func badDeclarationsAreRefusedBeforeAnyAPICall() async throws {
        let stub = try await StubServer.start()
        let configuration = try AWSConfiguration.resolve(environment: [
            "AWS_ENDPOINT_URL": stub.endpoint.absoluteString, "AWS_ACCESS_KEY_ID": "AKID", "AWS_SECRET_ACCESS_KEY": "secret",
            "AWS_REGION": "us-east-1", "HOME": "/nonexistent",
        ])
        let workspace = Workspace(
            stateDir: FileManager.default.temporaryDirectory.appendingPathComponent(UUID().uuidString),
            providers: awsProviders(client: configuration.client()), environment: [:])
        let bucket = S3Bucket("artifacts", name: "Not_A_Valid_Bucket")
        let repository = ECRRepository("app", name: "UPPER")
        let role = IAMRole("build", name: "has space", assumeRolePolicy: PolicyDocument([PolicyStatement(actions: ["not-an-action"])]))
        var ghost = ECSCluster("cluster", name: "fine")
        ghost.options.dependsOn = ["aws_s3_bucket.nowhere"]
        do {
            _ = try await workspace.plan(stack([bucket, repository, role, ghost]), region: "us-east-1")
            Issue.record("the bad declarations were accepted")
        } catch let error as StackValidationError {
            let text = error.description
            #expect(text.contains("aws_s3_bucket.artifacts: name:"))
            #expect(text.contains("aws_ecr_repository.app: name:"))
            #expect(text.contains("aws_iam_role.build: name:"))
            #expect(text.contains("aws_iam_role.build: assumeRolePolicy.Statement[0].Action:"))
            #expect(text.contains("aws_ecs_cluster.cluster: dependsOn:"))
        }
        #expect(try await stub.requests().isEmpty, "no API call was made")
        stub.stop()
    }
}
