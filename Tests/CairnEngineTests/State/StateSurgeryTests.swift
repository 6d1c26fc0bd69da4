import CairnEngine
import CairnJSON
import CairnState
import Foundation
import Testing

/// `cairn state mv`, `cairn state rm` and `cairn state undo`: the state changes, AWS does not, and history says so.
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
        #expect(moved.record.physicalID == "base-thing")
        #expect(cloud.callLog.count == calls, "no API call")
        #expect(try await workspace.plan(renamed, region: "us-east-1").hasChanges == false, "the sealed secret opens at its new address")
        let records = try await workspace.recordedResources(renamed)
        #expect(records.map(\.address).sorted() == ["fake_thing.core", "fake_thing.user"])
        #expect(records.first { $0.address == "fake_thing.user" }?.dependencies == ["fake_thing.core"], "dependencies follow")
        let history = try await workspace.stateHistory(renamed, limit: 3)
        #expect(history.allSatisfy { $0.command == "state mv fake_thing.base fake_thing.core" }, "\(history)")

        // Refused, the state and its history unchanged: another type, a taken address, nothing there (naming the closest).
        let before = try await workspace.stateHistory(renamed)
        let recordsBefore = try await workspace.recordedResources(renamed)
        func refusal(_ from: String, _ to: String) async -> String {
            await failureMessage { _ = try await workspace.moveResource(renamed, from: from, to: to) }
        }
        #expect(await refusal("fake_thing.core", "aws_s3_bucket.core").contains("it is a fake_thing, so it can only move to an address of that type"))
        #expect(await refusal("fake_thing.core", "fake_thing.user").contains("fake_thing.user: the state already holds a resource there"))
        #expect(
            await refusal("fake_thing.cor", "fake_thing.other")
                == "fake_thing.cor: the state of 'test' (default) holds nothing at this address: did you mean fake_thing.core?")
        #expect(try await workspace.stateHistory(renamed) == before)
        #expect(try await workspace.recordedResources(renamed) == recordsBefore)
    }

    @Test func anUnknownAddressNamesTheClosestAndChangesNothing() async throws {
        let workspace = makeWorkspace(cloud)
        let stack = makeStack([FakeResource("thing"), FakeResource("other")])
        try await applied(workspace, stack)
        let history = try await workspace.stateHistory(stack)
        let expected = "fake_thing.thnig: the state of 'test' (default) holds nothing at this address: did you mean fake_thing.thing?"
        #expect(await failureMessage { _ = try await workspace.forgetResource(stack, address: "fake_thing.thnig") } == expected)
        #expect(await failureMessage { _ = try await workspace.requireRecordedResource(stack, at: "fake_thing.thnig") } == expected)
        #expect(try await workspace.requireRecordedResource(stack, at: "fake_thing.thing").id == "thing")
        #expect(try await workspace.stateHistory(stack) == history)
        #expect(try await workspace.recordedResources(stack).count == 2)
    }

    @Test func aMoveIsRefusedWhileAnotherRunHoldsTheLock() async throws {
        let workspace = makeWorkspace(cloud)
        let stack = makeStack([FakeResource("thing")])
        try await applied(workspace, stack)
        let history = try await workspace.stateHistory(stack)
        let store = try #require(try await workspace.store(for: stack, create: false))
        let lock = try await store.acquireLock(command: "apply (elsewhere)")
        let refused = await failureMessage { _ = try await workspace.moveResource(stack, from: "fake_thing.thing", to: "fake_thing.renamed") }
        #expect(refused.contains("locked by pid") && refused.contains("running 'apply (elsewhere)'"), "\(refused)")
        let forget = await failureMessage { _ = try await workspace.forgetResource(stack, address: "fake_thing.thing") }
        #expect(forget.contains("locked by pid"), "\(forget)")
        #expect(try await workspace.stateHistory(stack) == history, "nothing recorded")
        #expect(try await workspace.recordedResources(stack).map(\.address) == ["fake_thing.thing"])
        _ = try await lock.unlock()
        store.close()
        try await workspace.moveResource(stack, from: "fake_thing.thing", to: "fake_thing.renamed")
    }

    @Test func aForgetIsUndoneFromTheHistory() async throws {
        let workspace = makeWorkspace(cloud)
        var thing = FakeResource("thing")
        thing.secret = "hunter2"
        let stack = makeStack([thing, FakeResource("other")])
        try await applied(workspace, stack)
        let recorded = try #require(try await workspace.recordedResources(stack).first { $0.address == "fake_thing.thing" })
        try await workspace.forgetResource(stack, address: "fake_thing.thing")
        let forget = try #require(try await workspace.stateHistory(stack, limit: 1).first)
        #expect(forget.record == nil, "a forget leaves no record in the state")
        #expect(forget.removedRecord?.physicalID == "thing" && forget.removedRecord?.attributes == recorded.attributes, "the history keeps it")
        let calls = cloud.callLog.count

        let undone = try await workspace.undoStateChange(stack, serial: forget.serial)
        guard case .restored(let record) = undone else {
            Issue.record("\(undone)")
            return
        }
        #expect(record.address == "fake_thing.thing" && record.physicalID == "thing")
        #expect(cloud.callLog.count == calls, "no API call")
        #expect(try await workspace.recordedResources(stack).map(\.address) == ["fake_thing.other", "fake_thing.thing"])
        let undo = try #require(try await workspace.stateHistory(stack, limit: 1).first)
        #expect(undo.command == "state undo \(forget.serial)" && undo.action == .import && undo.serial == forget.serial + 1)
        #expect(try await workspace.plan(stack, region: "us-east-1").hasChanges == false, "as it was, its secret still sealed for its address")

        // Once only.
        let history = try await workspace.stateHistory(stack)
        #expect(
            await failureMessage { try await workspace.undoStateChange(stack, serial: forget.serial) }
                == "serial \(forget.serial): it was undone already, at serial \(undo.serial), so there is nothing left to undo.")
        #expect(try await workspace.stateHistory(stack) == history)

        // Forgotten again, then taken back by an apply (still declared, still tagged): nothing left to undo.
        try await workspace.forgetResource(stack, address: "fake_thing.thing")
        let again = try #require(try await workspace.stateHistory(stack, limit: 1).first?.serial)
        try await applied(workspace, stack)
        let adopted = try await workspace.stateHistory(stack)
        #expect(
            await failureMessage { try await workspace.undoStateChange(stack, serial: again) }
                == "fake_thing.thing: the state holds thing here again already (imported or adopted since), so there is nothing to undo.")
        #expect(try await workspace.stateHistory(stack) == adopted)
    }

    @Test func aMoveIsUndoneByTheOppositeMove() async throws {
        let workspace = makeWorkspace(cloud)
        let base = FakeResource("base")
        var user = FakeResource("user")
        user.link = .reference(base.arn)
        let stack = makeStack([base, user])
        try await applied(workspace, stack)
        try await workspace.moveResource(stack, from: "fake_thing.base", to: "fake_thing.core")
        let serial = try #require(try await workspace.stateHistory(stack, limit: 1).first?.serial)
        let undone = try await workspace.undoStateChange(stack, serial: serial)
        guard case .movedBack(let from, let record) = undone else {
            Issue.record("\(undone)")
            return
        }
        #expect(from == "fake_thing.core" && record.address == "fake_thing.base" && record.physicalID == "base")
        let records = try await workspace.recordedResources(stack)
        #expect(records.map(\.address) == ["fake_thing.base", "fake_thing.user"])
        #expect(records.last?.dependencies == ["fake_thing.base"], "dependencies follow back")
        #expect(try await workspace.plan(stack, region: "us-east-1").hasChanges == false)
        #expect(try await workspace.stateHistory(stack, limit: 1).first?.command == "state undo \(serial)")
    }

    @Test func undoRefusesWhatItCannotUndoAndChangesNothing() async throws {
        let workspace = makeWorkspace(cloud)
        let stack = makeStack([FakeResource("a"), FakeResource("b")])
        try await applied(workspace, stack)
        func refusal(_ serial: Int) async throws -> String {
            let history = try await workspace.stateHistory(stack)
            let records = try await workspace.recordedResources(stack)
            let message = await failureMessage { try await workspace.undoStateChange(stack, serial: serial) }
            #expect(try await workspace.stateHistory(stack) == history, "history unchanged: \(message)")
            #expect(try await workspace.recordedResources(stack) == records, "state unchanged: \(message)")
            return message
        }
        #expect(
            try await refusal(1)
                == "serial 1: it was made by `apply`, and only a `state rm` or a `state mv` is undone from the history: change it back with apply or destroy (an apply's changes are in AWS too)."
        )
        let applied = try #require(try await workspace.stateHistory(stack, limit: 1).first?.serial)
        #expect(try await refusal(99).contains("serial 99: the state of 'test' (default) has no change with this serial (the latest is \(applied))"))

        // A forgotten address taken since by another record.
        let (forget, move) = (applied + 1, applied + 2)
        try await workspace.forgetResource(stack, address: "fake_thing.a")
        try await workspace.moveResource(stack, from: "fake_thing.b", to: "fake_thing.a")
        #expect(try await refusal(forget).hasPrefix("fake_thing.a: the state holds b here since serial \(forget): move or forget it first"))
        // A moved record moved on since; then its old address taken.
        try await workspace.moveResource(stack, from: "fake_thing.a", to: "fake_thing.c")
        #expect(try await refusal(move).hasPrefix("fake_thing.a: the state no longer holds here what serial \(move) moved here (b)"))
        try await workspace.undoStateChange(stack, serial: forget)  // a is back
        let (moveAgain, forgetAgain) = (applied + 5, applied + 6)
        try await workspace.moveResource(stack, from: "fake_thing.c", to: "fake_thing.d")
        try await workspace.forgetResource(stack, address: "fake_thing.a")
        try await workspace.moveResource(stack, from: "fake_thing.d", to: "fake_thing.a")
        #expect(try await refusal(forgetAgain).hasPrefix("fake_thing.a: the state holds b here since serial \(forgetAgain)"))
        #expect(try await refusal(moveAgain).hasPrefix("fake_thing.d: the state no longer holds here what serial \(moveAgain) moved here (b)"))
    }

    /// Forgotten, then taken back at another address (the declaration renamed, the apply adopting it there): undone,
    /// it would be recorded twice, and the next plan would delete it at the old address.
    @Test func undoRefusesAResourceTheStateHoldsAtAnotherAddress() async throws {
        let workspace = makeWorkspace(cloud)
        try await applied(workspace, makeStack([FakeResource("a"), FakeResource("b")]))
        let stack = makeStack([FakeResource("a"), FakeResource("b")])
        try await workspace.forgetResource(stack, address: "fake_thing.a")
        let forget = try #require(try await workspace.stateHistory(stack, limit: 1).first?.serial)
        try await applied(workspace, makeStack([FakeResource("renamed", name: "a"), FakeResource("b")]))
        #expect(try await workspace.recordedResources(stack).map(\.address) == ["fake_thing.b", "fake_thing.renamed"])
        let (history, records) = (try await workspace.stateHistory(stack), try await workspace.recordedResources(stack))
        let message = await failureMessage { try await workspace.undoStateChange(stack, serial: forget) }
        #expect(message.hasPrefix("fake_thing.a: the state holds a at fake_thing.renamed since serial \(forget)"), "\(message)")
        #expect(message.contains("cairn state mv test fake_thing.renamed fake_thing.a"))
        #expect(try await workspace.stateHistory(stack) == history)
        #expect(try await workspace.recordedResources(stack) == records)
    }

    @Test func forgettingKeepsTheResourceInAWS() async throws {
        let workspace = makeWorkspace(cloud)
        let stack = makeStack([FakeResource("thing"), FakeResource("other")])
        try await applied(workspace, stack)
        let forgotten = try await workspace.forgetResource(stack, address: "fake_thing.thing")
        #expect(forgotten.record.physicalID == "thing")
        #expect(cloud.ids == ["other", "thing"], "nothing deleted")
        #expect(try await workspace.recordedResources(stack).map(\.address) == ["fake_thing.other"])
        let last = try #require(try await workspace.stateHistory(stack, limit: 1).first)
        #expect(last.action == .forget && last.command == "state rm fake_thing.thing" && last.serial == forgotten.serial)
        // Still declared, and still carrying this state's tags: the next plan takes it back rather than making a second one.
        let plan = try await workspace.plan(stack, region: "us-east-1")
        #expect(plan.resources.first { $0.address == "fake_thing.thing" }?.adopt == true)
    }
}
