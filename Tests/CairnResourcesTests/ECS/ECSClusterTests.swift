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

    /// End to end, through the fault proxy: ECS refuses a change of the capacity providers once with
    /// UpdateInProgressException (an earlier change still being carried out); the update waits it out, says so, and the
    /// aws CLI (talking to moto directly) finds the new capacity providers.
    @Test(.integration) func aCapacityProviderChangeWaitsForAnEarlierOne() async throws {
        let (client, moto, proxy) = try await ProviderTesting.proxiedClient()
        defer { proxy.stop() }
        let provider = ECSClusterProvider(client: client)
        let name = ProviderTesting.uniqueName("capacity")
        var cluster = ECSCluster("main", name: Input(name))
        let old = ProviderTesting.attributes(of: cluster)
        _ = try await provider.create(old)
        try await proxy.add(
            FaultProxy.Rule.error(
                "ecs:PutClusterCapacityProviders", code: "UpdateInProgressException", status: 400,
                message: "The specified cluster is in a busy state. Cluster attachments must be in UPDATE_COMPLETE or CREATE_COMPLETE state."
            ).count(1))
        cluster.capacityProviders = ["FARGATE", "FARGATE_SPOT"]
        let notes = try await PropagationTests.notes {
            _ = try await provider.update(id: name, from: old, to: ProviderTesting.attributes(of: cluster))
        }
        #expect(notes == ["waiting for ECS cluster \(name) to finish another change (attempt 2)"])
        #expect(try await proxy.stats()["ecs:PutClusterCapacityProviders"].injected == 1)
        let described = try await moto.awsJSON(["ecs", "describe-clusters", "--clusters", name])
        #expect(described["clusters"][0]["capacityProviders"].array?.compactMap(\.string).sorted() == ["FARGATE", "FARGATE_SPOT"], "\(described)")
        try await provider.delete(id: name, attributes: ProviderTesting.attributes(of: cluster))
    }

    @Test func validationNamesTheAttribute() {
        let issues = ECSCluster("bad", name: "no spaces allowed").validate()
        #expect(issues.count == 1)
        #expect(issues.first?.attribute == "name")
        #expect(issues.first?.address == "aws_ecs_cluster.bad")
    }
}
