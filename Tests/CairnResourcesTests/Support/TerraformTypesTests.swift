import CairnAWS
import CairnEngine
import CairnJSON
import Foundation
import Testing

@testable import CairnResources

/// `terraformTypes`, the matching table of `cairn import --from-terraform`, against the registered types.
@Suite struct TerraformTypesTests {
    let providers = awsProviders(client: .scripted(ScriptedTransport { _ in "{}" }, clock: SteppingClock()))

    @Test func everyResourceTypeHasOneLineAndEveryLineAType() {
        let resourceTypes = providers.providers.values.filter { !($0 is any LookupProvider) }.map(\.typeName)
        let lines = terraformTypes.mappings.map(\.cairnType)
        #expect(Set(resourceTypes) == Set(lines), "a type without a line, or a line without a type")
        #expect(lines.count == Set(lines).count, "one line per type")
        let terraformNames = terraformTypes.mappings.map(\.terraformType) + terraformTypes.folded.map(\.terraformType)
        #expect(
            Set(terraformNames).count == terraformNames.count - 1,
            "each Terraform type once (aws_s3_bucket_policy twice: a type of its own, or folded)")
    }

    @Test func eachIdentityGivesTheProviderItsPhysicalID() {
        for mapping in terraformTypes.mappings where !mapping.identity.isEmpty {
            let provider = providers.providers[mapping.cairnType]
            let attributes = Dictionary(uniqueKeysWithValues: mapping.identity.values.map { ($0, JSON.string("x")) })
            #expect(provider?.physicalID(for: attributes) != nil, "\(mapping.terraformType): \(mapping.identity) names no physical id")
        }
        for mapping in terraformTypes.mappings where mapping.identity.isEmpty {
            #expect(mapping.readID != nil, "\(mapping.terraformType) has neither identity nor an id to read it by")
        }
    }

    @Test func everyFoldedTypesParentIsATypeCairnHas() {
        for folded in terraformTypes.folded {
            #expect(terraformTypes.mapping(forTerraform: folded.parentType) != nil, "\(folded.terraformType) → \(folded.parentType)")
        }
    }

    @Test func aServiceIsNamedByItsClusterAndNameAsTerraformRecordsThem() throws {
        let state = try TerraformState(
            parsing: Data(
                """
                {"version": 4, "resources": [{"mode": "managed", "type": "aws_ecs_service", "name": "app",
                  "provider": "provider[\\"registry.terraform.io/hashicorp/aws\\"]", "instances": [{"attributes": {
                    "id": "arn:aws:ecs:eu-north-1:123456789012:service/ci/api",
                    "cluster": "arn:aws:ecs:eu-north-1:123456789012:cluster/ci", "name": "api"}}]}]}
                """.utf8), path: "t.tfstate")
        let mapping = try #require(terraformTypes.mapping(forTerraform: "aws_ecs_service"))
        var attributes: [String: JSON] = [:]
        for (terraform, cairn) in mapping.identity { attributes[cairn] = state.instances[0].attributes[terraform] }
        #expect(providers.providers["aws_ecs_service"]?.physicalID(for: attributes) == "ci/api", "the cluster's ARN counts as its name")
    }
}
