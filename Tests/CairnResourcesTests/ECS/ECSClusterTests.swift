import CairnAWS
import CairnEngine
import CairnJSON
import TestSupport
import Testing

@testable import CairnResources

@Suite struct ECSClusterTests {
    @Test(.integration) func createReadUpdateDeleteAgainstMoto() async throws {
        let (client, moto) = try await ProviderTesting.client()
        let provider = ECSClusterProvider(client: client)
        let name = ProviderTesting.uniqueName("cluster")
        var cluster = ECSCluster("main", name: Input(name), tags: ["team": "invoices"])
        let created = try await provider.create(ProviderTesting.attributes(of: cluster))
        #expect(created.id == name)
        #expect(created.outputs["arn"]?.stringValue?.hasSuffix(":cluster/\(name)") == true)

        let listed = try await moto.awsJSON(["ecs", "describe-clusters", "--clusters", name, "--include", "TAGS"])
        #expect(listed["clusters"][0]["status"].string == "ACTIVE")
        #expect(listed["clusters"][0]["tags"][0]["value"].string == "invoices")

        let read = try #require(try await provider.read(id: name, prior: [:]))
        #expect(read.attributes == ProviderTesting.attributes(of: cluster))

        let old = ProviderTesting.attributes(of: cluster)
        cluster.tags = ["team": "billing", "env": "dev"]
        _ = try await provider.update(id: name, from: old, to: ProviderTesting.attributes(of: cluster))
        let tags = try await moto.awsJSON(["ecs", "describe-clusters", "--clusters", name, "--include", "TAGS"])
        let tagMap = Dictionary(
            uniqueKeysWithValues: (tags["clusters"][0]["tags"].array ?? []).map { ($0["key"].string ?? "", $0["value"].string ?? "") })
        #expect(tagMap == ["team": "billing", "env": "dev"])

        try await provider.delete(id: name, attributes: ProviderTesting.attributes(of: cluster))
        #expect(try await provider.read(id: name, prior: [:]) == nil)
        try await provider.delete(id: name, attributes: [:])  // deleting what is gone is not an error
    }

    @Test func validationNamesTheAttribute() {
        let issues = ECSCluster("bad", name: "no spaces allowed").validate()
        #expect(issues.count == 1)
        #expect(issues.first?.attribute == "name")
        #expect(issues.first?.address == "aws_ecs_cluster.bad")
    }
}
