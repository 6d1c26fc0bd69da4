import CairnAWS
import CairnJSON
import Testing

@testable import CairnEngine
@testable import CairnResources

/// The Swift `cairn generate` writes for an ECR repository.
@Suite struct ECRGenerateTests {
    @Test func aRepositoryIsDeclaredAndAPolicyItCannotSayIsLeftToAWS() {
        let lifecycle: JSON = [
            "rules": [
                [
                    "rulePriority": 1, "description": "keep 10", "action": ["type": "expire"],
                    "selection": ["tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 10],
                ]
            ]
        ]
        let live = Observed(
            id: "shop-app",
            attributes: [
                "name": "shop-app", "imageTagMutability": "IMMUTABLE", "scanOnPush": true, "encryption": ["encryptionType": "AES256"],
                "lifecyclePolicy": lifecycle,
                "repositoryPolicy": [
                    "Version": "2012-10-17", "Id": "x",
                    "Statement": [["Effect": "Allow", "Principal": ["AWS": "*"], "Action": "ecr:BatchGetImage"]],
                ],
                "tags": [:],
            ], outputs: [:])
        let declared = GenerateTesting.declare(ECRRepository.typeName, live)
        #expect(declared.argument("imageTagMutability") == ".immutable")
        #expect(declared.argument("scanOnPush") == "true")
        #expect(
            declared.argument("lifecyclePolicy")
                == #"[.init(priority: 1, description: "keep 10", tagStatus: .any, countType: .imageCountMoreThan(10))]"#)
        #expect(declared.argument("repositoryPolicy") == nil)
        #expect(declared.ignoredDrift == ["repositoryPolicy"])
        #expect(declared.unexpressed["repositoryPolicy"]?.contains("its Id") == true)
    }
}
