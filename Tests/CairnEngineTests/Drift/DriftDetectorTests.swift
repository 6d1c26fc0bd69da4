import CairnEngine
import CairnJSON
import Foundation
import Testing

@Suite struct DriftDetectorTests {
    let cloud = FakeCloud()

    func applied(_ resources: [any ResourceDeclaration]) async throws -> Workspace {
        let workspace = makeWorkspace(cloud)
        let stack = makeStack(resources)
        #expect(try await workspace.apply(try await workspace.plan(stack, region: "us-east-1"), stack: stack, command: "apply") { _ in }.ok)
        return workspace
    }

    @Test func ignoreRulesHideExpectedDriftOnly() async throws {
        var service = FakeResource("service")
        service.options.ignoreDrift = ["size"]
        let workspace = try await applied([service])
        var live = try #require(cloud.attributes("service"))
        live["size"] = 5  // an autoscaler did this
        cloud.put("service", live)
        #expect(try await workspace.drift(makeStack([service])).drifted == false)
        var tags = live["tags"]?.objectValue ?? [:]
        tags["owner"] = "someone"
        live["tags"] = .object(tags)
        cloud.put("service", live)
        let report = try await workspace.drift(makeStack([service]))
        #expect(report.resources.map(\.status) == [.changed])
        #expect(report.resources[0].attributes.map(\.path) == ["tags.owner"])
    }

    @Test func sensitiveValuesNeverAppearInReports() async throws {
        var thing = FakeResource("thing")
        thing.secret = "hunter2"
        let workspace = try await applied([thing])
        var live = try #require(cloud.attributes("thing"))
        live["secret"] = "changed-by-hand"
        cloud.put("thing", live)
        let report = try await workspace.drift(makeStack([thing]))
        #expect(report.drifted)
        let rendered = report.render(style: Style(enabled: false))
        for text in [report.json.description, report.markdown, rendered] {
            #expect(!text.contains("hunter2"))
            #expect(!text.contains("changed-by-hand"))
        }
        #expect(report.json.description.contains("(sensitive)") && report.markdown.contains("(sensitive)"))
        #expect(rendered.contains("secret: (sensitive value changed)"))
    }

    @Test func deletedAndHistoryAreRecorded() async throws {
        let thing = FakeResource("thing")
        let workspace = try await applied([thing])
        let first = try await workspace.drift(makeStack([thing]), now: Date(timeIntervalSince1970: 1_000))
        #expect(!first.drifted)
        cloud.remove("thing")
        let second = try await workspace.drift(makeStack([thing]), now: Date(timeIntervalSince1970: 2_000))
        #expect(second.resources.map(\.status) == [.deleted])
        let history = try await workspace.driftHistory(makeStack([thing]))
        #expect(history.map(\.drifted) == [true, false])
        #expect(history[0].deleted == 1)
        #expect(history[0].checkedAt == Date(timeIntervalSince1970: 2_000))
    }

    @Test func aReadErrorFailsTheCheck() async throws {
        let thing = FakeResource("thing")
        let workspace = try await applied([thing])
        let failing = Workspace(stateDir: workspace.stateDir, providers: ProviderRegistry([BrokenProvider()]), environment: workspace.environment)
        await #expect(throws: PlanError.self) { _ = try await failing.drift(makeStack([thing])) }
        #expect(try await workspace.driftHistory(makeStack([thing])).isEmpty, "an error is never recorded as a result")
    }
}

/// Fails every read, as an unreachable endpoint would.
struct BrokenProvider: ResourceProvider {
    let typeName = FakeResource.typeName
    let replaceOnChange: Set<String> = []
    func physicalID(for attributes: [String: JSON]) -> String? { nil }
    func read(id: String, prior: [String: JSON]) async throws -> Observed? { throw FakeError(description: "connection refused") }
    func create(_ attributes: [String: JSON]) async throws -> Applied { throw FakeError(description: "no") }
    func update(id: String, from old: [String: JSON], to new: [String: JSON]) async throws -> Applied { throw FakeError(description: "no") }
    func delete(id: String, attributes: [String: JSON]) async throws { throw FakeError(description: "no") }
}
