import CairnAWS
import CairnEngine
import CairnJSON
import TestSupport
import Testing

@testable import CairnResources

@Suite struct ECRRepositoryTests {
    static let pullPolicy = PolicyDocument([
        PolicyStatement(
            sid: "pull", principals: [.aws("arn:aws:iam::123456789012:root")],
            actions: ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"])
    ])

    static let lifecycle: ECRRepository.LifecyclePolicy = [
        .init(priority: 2, description: "expire untagged", tagStatus: .untagged, countType: .sinceImagePushed(days: 14)),
        .init(
            priority: 1, description: "keep 10 releases", tagStatus: .tagged, tagPrefixList: ["v", "release-"],
            countType: .imageCountMoreThan(10)),
    ]

    /// The attributes a read can return: all but the local ones.
    static func readable(_ declaration: ECRRepository) -> [String: JSON] {
        var attributes = ProviderTesting.attributes(of: declaration)
        attributes["forceDestroy"] = nil
        return attributes
    }

    @Test(.integration) func createReadUpdateDeleteAgainstMoto() async throws {
        let (client, moto) = try await ProviderTesting.client()
        let provider = ECRRepositoryProvider(client: client)
        let name = "cairn/" + ProviderTesting.uniqueName("repo")
        var repository = ECRRepository(
            "app", name: Input(name), imageTagMutability: .immutable, scanOnPush: true,
            encryption: .kms(key: "1234abcd-12ab-34cd-56ef-1234567890ab"), lifecyclePolicy: Self.lifecycle,
            repositoryPolicy: Self.pullPolicy, tags: ["team": "invoices", "env": "test"])
        #expect(repository.validate().isEmpty)
        let declared = ProviderTesting.attributes(of: repository)

        let created = try await provider.create(declared)
        #expect(created.id == name)
        #expect(created.outputs["arn"]?.stringValue == "arn:aws:ecr:us-east-1:\(moto.account):repository/\(name)")
        #expect(created.outputs["name"]?.stringValue == name)
        #expect(created.outputs["uri"]?.stringValue == "\(moto.account).dkr.ecr.us-east-1.amazonaws.com/\(name)")
        #expect(created.outputs["registryId"]?.stringValue == moto.account)

        // What AWS has, seen by an independent client.
        let described = try await moto.awsJSON(["ecr", "describe-repositories", "--repository-names", name])["repositories"][0]
        #expect(described["imageTagMutability"].string == "IMMUTABLE")
        #expect(described["imageScanningConfiguration"]["scanOnPush"].bool == true)
        #expect(described["encryptionConfiguration"]["encryptionType"].string == "KMS")
        #expect(described["encryptionConfiguration"]["kmsKey"].string == "1234abcd-12ab-34cd-56ef-1234567890ab")
        let lifecycleText = try await moto.awsJSON(["ecr", "get-lifecycle-policy", "--repository-name", name])["lifecyclePolicyText"].string
        let lifecycle = try JSONValue(parsing: try #require(lifecycleText))
        #expect(lifecycle["rules"][0]["rulePriority"].int == 1)
        #expect(lifecycle["rules"][0]["selection"]["tagPrefixList"] == ["v", "release-"])
        #expect(lifecycle["rules"][0]["selection"]["countType"].string == "imageCountMoreThan")
        #expect(lifecycle["rules"][1]["selection"]["countUnit"].string == "days")
        #expect(lifecycle["rules"][1]["selection"]["countNumber"].int == 14)
        #expect(lifecycle["rules"][1]["action"]["type"].string == "expire")
        let policyText = try await moto.awsJSON(["ecr", "get-repository-policy", "--repository-name", name])["policyText"].string
        let policy = try JSONValue(parsing: try #require(policyText))
        #expect(policy["Statement"][0]["Principal"]["AWS"].string == "arn:aws:iam::123456789012:root")
        let arn = try #require(created.outputs["arn"]?.stringValue)
        let tags = try await moto.awsJSON(["ecr", "list-tags-for-resource", "--resource-arn", arn])["tags"].array ?? []
        #expect(
            Dictionary(uniqueKeysWithValues: tags.map { ($0["Key"].string ?? "", $0["Value"].string ?? "") })
                == ["team": "invoices", "env": "test"])

        // No false drift: a read gives back exactly what was declared.
        let read = try #require(try await provider.read(id: name, prior: declared))
        #expect(read.attributes == Self.readable(repository))
        #expect(read.outputs == created.outputs)

        // The same documents, written differently by another tool, still read as equal.
        _ = try await moto.awsJSON([
            "ecr", "set-repository-policy", "--repository-name", name, "--policy-text",
            """
            {
              "Statement": [ { "Action": ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
                               "Principal": { "AWS": ["arn:aws:iam::123456789012:root"] },
                               "Effect": "Allow", "Sid": "pull" } ],
              "Version": "2012-10-17"
            }
            """,
        ])
        _ = try await moto.awsJSON([
            "ecr", "put-lifecycle-policy", "--repository-name", name, "--lifecycle-policy-text",
            """
            {"rules": [
              {"action": {"type": "expire"}, "selection": {"countNumber": 14, "countUnit": "days", "countType": "sinceImagePushed",
               "tagStatus": "untagged"}, "description": "expire untagged", "rulePriority": 2},
              {"rulePriority": 1, "description": "keep 10 releases",
               "selection": {"tagStatus": "tagged", "tagPrefixList": ["v", "release-"], "countType": "imageCountMoreThan", "countNumber": 10},
               "action": {"type": "expire"}}
            ]}
            """,
        ])
        let reread = try #require(try await provider.read(id: name, prior: declared))
        #expect(reread.attributes == Self.readable(repository))

        // Update in place.
        repository.imageTagMutability = .mutable
        repository.scanOnPush = false
        repository.lifecyclePolicy = [.init(priority: 1, tagStatus: .any, countType: .imageCountMoreThan(50))]
        repository.repositoryPolicy = nil
        repository.tags = ["team": "billing", "owner": "ops"]
        let updated = try await provider.update(id: name, from: read.attributes, to: ProviderTesting.attributes(of: repository))
        #expect(updated.outputs == created.outputs)
        let after = try await moto.awsJSON(["ecr", "describe-repositories", "--repository-names", name])["repositories"][0]
        #expect(after["imageTagMutability"].string == "MUTABLE")
        #expect(after["imageScanningConfiguration"]["scanOnPush"].bool == false)
        let newLifecycle = try await moto.awsJSON(["ecr", "get-lifecycle-policy", "--repository-name", name])["lifecyclePolicyText"].string
        #expect(try JSONValue(parsing: try #require(newLifecycle))["rules"][0]["selection"]["tagStatus"].string == "any")
        let noPolicy = try await moto.aws(["ecr", "get-repository-policy", "--repository-name", name])
        #expect(noPolicy.status != 0 && noPolicy.stderr.contains("RepositoryPolicyNotFoundException"))
        let newTags = try await moto.awsJSON(["ecr", "list-tags-for-resource", "--resource-arn", arn])["tags"].array ?? []
        #expect(
            Dictionary(uniqueKeysWithValues: newTags.map { ($0["Key"].string ?? "", $0["Value"].string ?? "") })
                == ["team": "billing", "owner": "ops"])
        let readUpdated = try #require(try await provider.read(id: name, prior: ProviderTesting.attributes(of: repository)))
        #expect(readUpdated.attributes == Self.readable(repository))

        // Removing the lifecycle policy.
        let beforeRemoval = ProviderTesting.attributes(of: repository)
        repository.lifecyclePolicy = nil
        _ = try await provider.update(id: name, from: beforeRemoval, to: ProviderTesting.attributes(of: repository))
        let noLifecycle = try await moto.aws(["ecr", "get-lifecycle-policy", "--repository-name", name])
        #expect(noLifecycle.status != 0 && noLifecycle.stderr.contains("LifecyclePolicyNotFoundException"))
        #expect(try await provider.read(id: name, prior: [:])?.attributes["lifecyclePolicy"] == .null)

        // Delete; deleting what is gone is not an error.
        try await provider.delete(id: name, attributes: ProviderTesting.attributes(of: repository))
        #expect(try await provider.read(id: name, prior: [:]) == nil)
        let gone = try await moto.aws(["ecr", "describe-repositories", "--repository-names", name])
        #expect(gone.status != 0 && gone.stderr.contains("RepositoryNotFoundException"))
        try await provider.delete(id: name, attributes: [:])
    }

    @Test(.integration) func defaultsReadBackWithoutDrift() async throws {
        let (client, _) = try await ProviderTesting.client()
        let provider = ECRRepositoryProvider(client: client)

        let plain = ECRRepository("plain", name: Input(ProviderTesting.uniqueName("plain")))
        let plainAttributes = ProviderTesting.attributes(of: plain)
        #expect(plainAttributes["encryption"] == ["encryptionType": "AES256"])
        #expect(plainAttributes["imageTagMutability"] == "MUTABLE")
        #expect(plainAttributes["scanOnPush"] == false)
        #expect(plainAttributes["lifecyclePolicy"] == .null)
        #expect(plainAttributes["repositoryPolicy"] == .null)
        #expect(plainAttributes["tags"] == [:])
        #expect(plainAttributes["forceDestroy"] == false)
        let plainID = try await provider.create(plainAttributes).id
        #expect(try await provider.read(id: plainID, prior: plainAttributes)?.attributes == Self.readable(plain))
        try await provider.delete(id: plainID, attributes: plainAttributes)

        // KMS with ECR's AWS-managed key: AWS reports the key's ARN, which is what was declared.
        let managed = ECRRepository("kms", name: Input(ProviderTesting.uniqueName("kms")), encryption: .kms())
        let managedAttributes = ProviderTesting.attributes(of: managed)
        #expect(managedAttributes["encryption"] == ["encryptionType": "KMS"])
        let managedID = try await provider.create(managedAttributes).id
        #expect(try await provider.read(id: managedID, prior: managedAttributes)?.attributes == Self.readable(managed))
        // Without a prior (an import), the key AWS chose is shown.
        let imported = try await provider.read(id: managedID, prior: [:])
        #expect(imported?.attributes["encryption"]?["kmsKey"]?.stringValue?.hasPrefix("arn:aws:kms:") == true)
        try await provider.delete(id: managedID, attributes: managedAttributes)
    }

    @Test(.integration) func deletingARepositoryWithImagesNeedsForceDestroy() async throws {
        let (client, moto) = try await ProviderTesting.client()
        let provider = ECRRepositoryProvider(client: client)
        let name = ProviderTesting.uniqueName("images")
        var repository = ECRRepository("images", name: Input(name))
        _ = try await provider.create(ProviderTesting.attributes(of: repository))
        let manifest = """
            {"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json",\
            "config":{"mediaType":"application/vnd.docker.container.image.v1+json","size":7023,\
            "digest":"sha256:b5b2b2c507a0944348e0303114d8d93aaaa081732b86451d9bce1f432a537bc7"},"layers":[]}
            """
        _ = try await moto.awsJSON(["ecr", "put-image", "--repository-name", name, "--image-tag", "v1", "--image-manifest", manifest])

        await #expect {
            try await provider.delete(id: name, attributes: ProviderTesting.attributes(of: repository))
        } throws: { error in
            guard let error = error as? ECRRepositoryNotEmptyError else { return false }
            let text = error.description
            return error.repository == name && text.contains("'\(name)'") && text.contains("delete its images")
                && text.contains("forceDestroy")
        }
        #expect(try await provider.read(id: name, prior: [:]) != nil)

        repository.forceDestroy = true
        try await provider.delete(id: name, attributes: ProviderTesting.attributes(of: repository))
        #expect(try await provider.read(id: name, prior: [:]) == nil)
    }

    @Test func lifecyclePolicyIsTheDocumentECRExpects() {
        let policy: ECRRepository.LifecyclePolicy = [
            .init(priority: 3, tagStatus: .any, countType: .imageCountMoreThan(100)),
            .init(priority: 1, description: "old", tagStatus: .untagged, countType: .sinceImagePushed(days: 7)),
        ]
        let expected: JSON = [
            "rules": [
                [
                    "rulePriority": 1, "description": "old", "action": ["type": "expire"],
                    "selection": ["tagStatus": "untagged", "countType": "sinceImagePushed", "countUnit": "days", "countNumber": 7],
                ],
                [
                    "rulePriority": 3, "action": ["type": "expire"],
                    "selection": ["tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 100],
                ],
            ]
        ]
        #expect(policy.json == expected)
        let repository = ECRRepository("r", name: "r1", lifecyclePolicy: policy)
        #expect(ProviderTesting.attributes(of: repository)["lifecyclePolicy"] == expected)
        #expect(ECRRepositoryProvider.normalizeLifecycle(["rules": [expected["rules"]![1]!, expected["rules"]![0]!]]) == expected)
    }

    @Test func validationNamesTheAttribute() {
        func attributes(_ repository: ECRRepository) -> [String?] { repository.validate().map(\.attribute) }

        for good in ["ab", "team/app", "a.b_c-d", "a__b", "a--b", "x/y/z-1"] {
            #expect(ECRRepository("r", name: Input(good)).validate().isEmpty, "\(good)")
        }
        for bad in ["a", "App", "-ab", "ab-", "ab/", "/ab", "a b", "a_.b", "ab\n", String(repeating: "a", count: 257)] {
            let issues = ECRRepository("bad", name: Input(bad)).validate()
            #expect(issues.map(\.attribute) == ["name"], "\(bad)")
            #expect(issues.first?.address == "aws_ecr_repository.bad")
        }

        let lifecycle: ECRRepository.LifecyclePolicy = [
            .init(priority: 0, tagStatus: .untagged, countType: .sinceImagePushed(days: 1)),
            .init(priority: 2, tagStatus: .tagged, countType: .imageCountMoreThan(1)),
            .init(priority: 2, tagStatus: .untagged, tagPrefixList: ["v"], countType: .imageCountMoreThan(0)),
            .init(priority: 1, tagStatus: .any, countType: .imageCountMoreThan(5)),
        ]
        #expect(
            attributes(ECRRepository("r", name: "repo", lifecyclePolicy: lifecycle)) == [
                "lifecyclePolicy.rules[0].rulePriority",
                "lifecyclePolicy.rules[1].selection.tagPrefixList",
                "lifecyclePolicy.rules[2].rulePriority",
                "lifecyclePolicy.rules[2].selection.countNumber",
                "lifecyclePolicy.rules[2].selection.tagPrefixList",
                "lifecyclePolicy.rules[3].rulePriority",
            ])
        #expect(attributes(ECRRepository("r", name: "repo", lifecyclePolicy: [])) == ["lifecyclePolicy"])

        let noPrincipal = PolicyDocument([PolicyStatement(actions: ["ecr:BatchGetImage"])])
        #expect(attributes(ECRRepository("r", name: "repo", repositoryPolicy: noPrincipal)) == ["repositoryPolicy.Statement[0].Principal"])
        #expect(attributes(ECRRepository("r", name: "repo", tags: ["aws:x": "y"])) == ["tags.aws:x"])
        #expect(attributes(ECRRepository("r", name: "repo", encryption: .kms(key: ""))) == ["encryption.kmsKey"])
    }
}
