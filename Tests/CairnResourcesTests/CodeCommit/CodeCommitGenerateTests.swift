import CairnAWS
import CairnJSON
import Testing

@testable import CairnEngine
@testable import CairnResources

/// The Swift `cairn generate` writes for a CodeCommit repository.
@Suite struct CodeCommitGenerateTests {
    @Test func aRepositoryIsDeclaredWithItsCustomerManagedKey() {
        let live = Observed(
            id: "shop-code", attributes: ["name": "shop-code", "description": "The shop", "kmsKeyId": "k-1", "tags": [:]], outputs: [:])
        let declared = GenerateTesting.declare(CodeCommitRepository.typeName, live, found: [.init(KMSKey.typeName, "codeKey", ["keyId": "k-1"])])
        #expect(declared.text == #"name: "shop-code", description: "The shop", kmsKeyId: .output(codeKey.keyId)"#)
    }

    /// CodeCommit names its own key as it names any: DescribeKey tells the AWS managed one, which is left out.
    @Test func generateLeavesTheAWSManagedKeyOut() async throws {
        let transport = ScriptedTransport { operation in
            switch operation {
            case "GetRepository": return #"{"repositoryMetadata": {"repositoryName": "shop-code", "kmsKeyId": "k-aws", "Arn": "arn:x"}}"#
            case "DescribeKey": return #"{"KeyMetadata": {"KeyId": "k-aws", "KeyManager": "AWS"}}"#
            default: return #"{"tags": {}}"#
            }
        }
        let provider = CodeCommitRepositoryProvider(client: AWSClient.scripted(transport, clock: SteppingClock()))
        let live = try #require(try await provider.readForGeneration(id: "shop-code", prior: [:]))
        #expect(live.attributes["kmsKeyId"] == .null)
    }
}
