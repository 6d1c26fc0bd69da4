import CairnEngine
import CairnJSON
import CairnState
import Foundation
import Testing

/// `cairn state mv` and `cairn state rm`: the state changes, AWS does not, and history says so.
@Suite struct StateSurgeryTests {
    let cloud = FakeCloud()

    func applied(_ workspace: Workspace, _ stack: Stack) async throws {
        let report = try await workspace.apply(try await workspace.plan(stack, region: "us-east-1"), stack: stack, command: "apply") { _ in }
        #expect(report.ok, "\(report.failureSummary)")
    }

    @Test func aMoveFollowsARenamedDeclarationWithoutAnyCall() async throws {
        let workspace = makeWorkspace(cloud)
        var base = FakeResource("base", name: "base-thing")
        base.secret = "hunter2"
        var user = FakeResource("user")
        user.link = .reference(base.arn)
        try await applied(workspace, makeStack([base, user]))
        let calls = cloud.callLog.count

        // The declaration renames `base` to `core`: without a move, that would delete one thing and create another.
        var core = FakeResource("core", name: "base-thing")
        core.secret = "hunter2"
        var coreUser = FakeResource("user")
        coreUser.link = .reference(core.arn)
        let renamed = makeStack([core, coreUser])
        let moved = try await workspace.moveResource(renamed, from: "fake_thing.base", to: "fake_thing.core")
        #expect(moved.physicalID == "base-thing")
        #expect(cloud.callLog.count == calls, "no API call")
        #expect(try await workspace.plan(renamed, region: "us-east-1").hasChanges == false, "the sealed secret opens at its new address")
        let records = try await workspace.recordedResources(renamed)
        #expect(records.map(\.address).sorted() == ["fake_thing.core", "fake_thing.user"])
        #expect(records.first { $0.address == "fake_thing.user" }?.dependencies == ["fake_thing.core"], "dependencies follow")
        let history = try await workspace.stateHistory(renamed, limit: 3)
        #expect(history.allSatisfy { $0.command == "state mv fake_thing.base fake_thing.core" }, "\(history)")

        // Refused: another type, a taken address, nothing there.
        func refusal(_ from: String, _ to: String) async -> String {
            do {
                _ = try await workspace.moveResource(renamed, from: from, to: to)
                return "moved"
            } catch { return "\(error)" }
        }
        #expect(await refusal("fake_thing.core", "aws_s3_bucket.core").contains("it is a fake_thing, so it can only move to an address of that type"))
        #expect(await refusal("fake_thing.core", "fake_thing.user").contains("fake_thing.user: the state already holds a resource there"))
        #expect(
            await refusal("fake_thing.gone", "fake_thing.other").contains(
                "fake_thing.gone: the state of 'test' (default) holds nothing at this address"))
    }

    @Test func forgettingKeepsTheResourceInAWS() async throws {
        let workspace = makeWorkspace(cloud)
        let stack = makeStack([FakeResource("thing"), FakeResource("other")])
        try await applied(workspace, stack)
        let forgotten = try await workspace.forgetResource(stack, address: "fake_thing.thing")
        #expect(forgotten.physicalID == "thing")
        #expect(cloud.ids == ["other", "thing"], "nothing deleted")
        #expect(try await workspace.recordedResources(stack).map(\.address) == ["fake_thing.other"])
        let last = try #require(try await workspace.stateHistory(stack, limit: 1).first)
        #expect(last.action == .forget && last.command == "state rm fake_thing.thing")
        // Still declared, and still carrying this state's tags: the next plan takes it back rather than making a second one.
        let plan = try await workspace.plan(stack, region: "us-east-1")
        #expect(plan.resources.first { $0.address == "fake_thing.thing" }?.adopt == true)
    }
}
