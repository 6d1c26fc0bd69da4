import CairnEngine
import CairnJSON
import CairnState
import Foundation
import Testing

/// A declaration for `FakeRevisionProvider`: a name and tags.
struct FakeRevision: ResourceDeclaration {
    static let typeName = "fake_revision"
    let logicalName: String
    var name: String
    var options = ResourceOptions()

    init(_ logicalName: String) {
        self.logicalName = logicalName
        name = logicalName
    }

    var arn: Reference { output("arn") }
    var attributes: [String: Value] { ["name": .json(.string(name)), "tags": .json([:])] }
}

/// A provider whose every create makes a new resource beside the old ones, with an id AWS chooses (`NAME@N`), as an
/// ECS task definition's revisions or KMS keys do: its replacement is created before the old one is deleted.
struct FakeRevisionProvider: ResourceProvider {
    let typeName = FakeRevision.typeName
    let cloud: FakeCloud
    let replaceOnChange: Set<String> = []
    let replacementCoexists = true

    func physicalID(for attributes: [String: JSON]) -> String? { nil }

    func read(id: String, prior: [String: JSON]) async throws -> Observed? {
        cloud.record("read \(id)")
        return cloud.attributes(id).map { Observed(id: id, attributes: $0, outputs: ["arn": .string("arn:fake:\(id)")]) }
    }

    func create(_ attributes: [String: JSON]) async throws -> Applied {
        let name = attributes["name"]?.stringValue ?? "?"
        cloud.record("create \(name)")
        if cloud.refusing.contains(name) { throw FakeRefusal(description: "create of \(name) refused: LimitExceeded") }
        let id = "\(name)@\(cloud.callLog.count)"
        cloud.put(id, attributes)
        return Applied(id: id, outputs: ["arn": .string("arn:fake:\(id)")])
    }

    func update(id: String, from old: [String: JSON], to new: [String: JSON]) async throws -> Applied {
        cloud.record("update \(id)")
        cloud.put(id, new)
        return Applied(id: id, outputs: ["arn": .string("arn:fake:\(id)")])
    }

    func delete(id: String, attributes: [String: JSON]) async throws {
        cloud.record("delete \(id)")
        if cloud.failing.contains(id) { throw FakeError(description: "delete of \(id) refused") }
        cloud.remove(id)
    }
}

/// `--replace`: a replace nothing in the declaration asks for, delete-first where the name is fixed, create-first
/// where two can exist side by side.
@Suite struct ReplaceTests {
    let cloud = FakeCloud()
    let renderer = PlanRenderer(style: Style(enabled: false))

    @Test func aFixedNameIsDeletedThenCreated() async throws {
        let workspace = makeWorkspace(cloud)
        let role = FakeResource("role")
        var user = FakeResource("user")
        user.link = .reference(role.arn)
        let stack = makeStack([role, user])
        #expect(try await planAndApply(workspace, stack).ok)
        let plan = try await workspace.plan(stack, region: "us-east-1", scope: PlanScope(replace: ["fake_thing.role"]))
        let change = try #require(plan.resources.first { $0.address == "fake_thing.role" })
        #expect(change.action == .replace && change.replaceRequested && !change.createBeforeDestroy)
        #expect(change.changes.isEmpty, "nothing changed: only asked for")
        #expect(
            renderer.render(plan).contains("-/+ fake_thing.role  (must be replaced, as requested: destroy then create, because its name is fixed)"))
        #expect(plan.warnings.isEmpty, "a replace alone is not a targeted plan")
        let codec = try workspace.codec(create: true)
        #expect(try Plan(savedJSON: try plan.savedJSON(sealedWith: codec).description, codec: codec).resources[0].replaceRequested)
        let before = cloud.callLog.count
        #expect(try await workspace.apply(plan, stack: stack, command: "apply") { _ in }.ok)
        #expect(Array(cloud.callLog.dropFirst(before)) == ["delete role", "create role", "update user"], "the user follows the new role")
        #expect(try await workspace.plan(stack, region: "us-east-1").hasChanges == false)
    }

    /// A replace asked for while the declaration also renames the resource: the new name is free beside the old one,
    /// so the new one is made first, its users move to it, and the old one goes last.
    @Test func aRenamedOneIsCreatedFirstAndTheOldOneGoesLast() async throws {
        let workspace = makeWorkspace(cloud)
        var role = FakeResource("role")
        var user = FakeResource("user")
        user.link = .reference(role.arn)
        #expect(try await planAndApply(workspace, makeStack([role, user])).ok)
        role.name = "role-v2"
        let stack = makeStack([role, user])
        let plan = try await workspace.plan(stack, region: "us-east-1", scope: PlanScope(replace: ["fake_thing.role"]))
        let change = try #require(plan.resources.first { $0.address == "fake_thing.role" })
        #expect(change.action == .replace && change.replaceRequested && change.createBeforeDestroy)
        #expect(renderer.render(plan).contains("+/- fake_thing.role  (must be replaced, as requested: create the new one, then destroy the old one"))
        let before = cloud.callLog.count
        #expect(try await workspace.apply(plan, stack: stack, command: "apply") { _ in }.ok)
        #expect(Array(cloud.callLog.dropFirst(before)) == ["create role-v2", "update user", "delete role"], "created first, deleted last")
        #expect(cloud.ids == ["role-v2", "user"])
        #expect(try await workspace.plan(stack, region: "us-east-1").hasChanges == false)
    }

    @Test func aTypeWhoseReplacementCoexistsIsCreatedFirstAndTheOldOneGoesLast() async throws {
        let workspace = makeWorkspace(cloud, providers: [FakeRevisionProvider(cloud: cloud)])
        let revision = FakeRevision("task")
        var user = FakeResource("user")
        user.link = .reference(revision.arn)
        let stack = makeStack([revision, user])
        #expect(try await planAndApply(workspace, stack).ok)
        let oldID = try #require(try await workspace.recordedResource(stack, at: "fake_revision.task")?.id)
        let plan = try await workspace.plan(stack, region: "us-east-1", scope: PlanScope(replace: ["fake_revision.task"]))
        #expect(plan.resources[0].createBeforeDestroy)
        #expect(
            renderer.render(plan).contains("+/- fake_revision.task  (must be replaced, as requested: create the new one, then destroy the old one"))
        let events = EventLog()
        let before = cloud.callLog.count
        #expect(try await workspace.apply(plan, stack: stack, command: "apply", events: events.add).ok)
        let newID = try #require(try await workspace.recordedResource(stack, at: "fake_revision.task")?.id)
        #expect(newID != oldID)
        #expect(Array(cloud.callLog.dropFirst(before)) == ["create task", "update user", "delete \(oldID)"], "created first, deleted last")
        #expect(cloud.attributes("user")?["link"] == .string("arn:fake:\(newID)"))
        #expect(
            try await workspace.recordedResources(stack).map(\.address).sorted() == ["fake_revision.task", "fake_thing.user"], "nothing left aside")
        #expect(events.all.contains("done delete fake_revision.task#deposed-1"))
        #expect(try await workspace.plan(stack, region: "us-east-1").hasChanges == false)
    }

    /// A targeted replace whose dependents are outside the targets keeps the old one, which they still use, until an
    /// apply without --target moves them; the plan says so.
    @Test func aTargetedReplaceKeepsTheOldOneWhileAnUntargetedDependentUsesIt() async throws {
        let workspace = makeWorkspace(cloud, providers: [FakeRevisionProvider(cloud: cloud)])
        let revision = FakeRevision("task")
        var user = FakeResource("user")
        user.link = .reference(revision.arn)
        let stack = makeStack([revision, user])
        #expect(try await planAndApply(workspace, stack).ok)
        let oldID = try #require(try await workspace.recordedResource(stack, at: "fake_revision.task")?.id)
        let scope = PlanScope(targets: ["fake_revision.task"], replace: ["fake_revision.task"])
        let plan = try await workspace.plan(stack, region: "us-east-1", scope: scope)
        #expect(
            plan.warnings.contains {
                $0.hasPrefix("fake_thing.user still uses fake_revision.task (\(oldID)) and is outside the targets: the old one stays")
            }, "\(plan.warnings)")
        #expect(try await workspace.apply(plan, stack: stack, command: "apply") { _ in }.ok)
        #expect(cloud.ids.contains(oldID), "still used by the user")
        #expect(cloud.attributes("user")?["link"] == .string("arn:fake:\(oldID)"))
        #expect(
            try await workspace.recordedResources(stack).map(\.address).sorted() == [
                "fake_revision.task", "fake_revision.task#deposed-1", "fake_thing.user",
            ])
        // The whole stack: the user moves to the new one, then the old one goes.
        #expect(try await planAndApply(workspace, stack).ok)
        #expect(!cloud.ids.contains(oldID))
        #expect(try await workspace.plan(stack, region: "us-east-1").hasChanges == false)
    }

    /// Two create-first replacements, one depending on the other: both old ones go in the same apply, the dependent's
    /// first.
    @Test func oldOnesThatDependOnEachOtherBothGo() async throws {
        let workspace = makeWorkspace(cloud, providers: [FakeRevisionProvider(cloud: cloud)])
        let base = FakeRevision("base")
        var top = FakeRevision("top")
        top.options = ResourceOptions(dependsOn: [base.address])
        let stack = makeStack([base, top])
        #expect(try await planAndApply(workspace, stack).ok)
        let old = try await workspace.recordedResources(stack).map(\.physicalID)
        let scope = PlanScope(replace: ["fake_revision.base", "fake_revision.top"])
        #expect(
            try await workspace.apply(try await workspace.plan(stack, region: "us-east-1", scope: scope), stack: stack, command: "apply") { _ in }.ok)
        #expect(Set(cloud.ids).isDisjoint(with: old), "\(cloud.ids) still holds one of \(old)")
        #expect(try await workspace.recordedResources(stack).map(\.address).sorted() == ["fake_revision.base", "fake_revision.top"])
        let deletes = cloud.callLog.filter { $0.hasPrefix("delete") }
        #expect(deletes.firstIndex(of: "delete \(old[1])").map { $0 < (deletes.firstIndex(of: "delete \(old[0])") ?? -1) } == true, "\(deletes)")
    }

    @Test func aRefusedCreateFirstReplacementKeepsTheOldOne() async throws {
        let workspace = makeWorkspace(cloud, providers: [FakeRevisionProvider(cloud: cloud)])
        let stack = makeStack([FakeRevision("task")])
        #expect(try await planAndApply(workspace, stack).ok)
        let old = try #require(try await workspace.recordedResource(stack, at: "fake_revision.task"))
        cloud.refusing = ["task"]
        let report = try await planAndApply(workspace, stack, scope: PlanScope(replace: ["fake_revision.task"]))
        #expect(report.failed.map(\.address) == ["fake_revision.task"])
        #expect(try await workspace.recordedResources(stack).map(\.address) == ["fake_revision.task"], "back at its address")
        #expect(try await workspace.recordedResource(stack, at: "fake_revision.task") == old)
        #expect(cloud.ids == [old.id])
    }

    @Test func anOldOneWhoseDeleteFailedStaysInTheStateAndGoesNextTime() async throws {
        let workspace = makeWorkspace(cloud, providers: [FakeRevisionProvider(cloud: cloud)])
        let stack = makeStack([FakeRevision("task")])
        #expect(try await planAndApply(workspace, stack).ok)
        let oldID = try #require(try await workspace.recordedResource(stack, at: "fake_revision.task")?.id)
        cloud.failing = [oldID]
        let report = try await planAndApply(workspace, stack, scope: PlanScope(replace: ["fake_revision.task"]))
        #expect(report.failed.first?.message.contains("it stays in the state at fake_revision.task#deposed-1; the next apply deletes it") == true)
        #expect(try await workspace.recordedResources(stack).map(\.address).sorted() == ["fake_revision.task", "fake_revision.task#deposed-1"])
        cloud.failing = []
        let next = try await workspace.plan(stack, region: "us-east-1")
        #expect(next.resources.map(\.action) == [.noop, .delete])
        #expect(next.resources[1].reason == "the old one a create-before-destroy replacement left")
        #expect(try await workspace.apply(next, stack: stack, command: "apply") { _ in }.ok)
        #expect(!cloud.ids.contains(oldID))
        #expect(try await workspace.recordedResources(stack).map(\.address) == ["fake_revision.task"])
    }

    @Test func preventDestroyRefusesAReplaceAndChangesNothing() async throws {
        let workspace = makeWorkspace(cloud)
        var keep = FakeResource("keep")
        keep.options.preventDestroy = true
        let stack = makeStack([keep])
        #expect(try await planAndApply(workspace, stack).ok)
        let history = try await workspace.stateHistory(stack)
        do {
            _ = try await planAndApply(workspace, stack, scope: PlanScope(replace: ["fake_thing.keep"]))
            Issue.record("replaced a protected resource")
        } catch {
            #expect(
                "\(error)"
                    == "fake_thing.keep: has preventDestroy, so --replace cannot delete it: remove preventDestroy from its declaration first if you really mean to replace it."
            )
        }
        #expect(try await workspace.stateHistory(stack) == history)
        #expect(cloud.ids == ["keep"])
    }

    @Test func aLookUpHasNothingToReplace() async throws {
        let workspace = makeWorkspace(cloud, providers: [LookupNamedCreationTests.AccountProvider()])
        let stack = makeStack([LookupNamedCreationTests.Account()])
        let message = await failureMessage {
            _ = try await workspace.plan(stack, region: "us-east-1", scope: PlanScope(replace: ["fake_account.current"]))
        }
        #expect(message == "fake_account.current: is a look-up, read afresh at every plan: --replace has nothing to replace.")
    }

    @Test func aReplaceOfWhatIsNotDeclaredOrNotYetMadeIsSaidOrJustCreated() async throws {
        let workspace = makeWorkspace(cloud)
        let stack = makeStack([FakeResource("a")])
        #expect(try await planAndApply(workspace, stack).ok)
        do {
            _ = try await workspace.plan(makeStack([FakeResource("b")]), region: "us-east-1", scope: PlanScope(replace: ["fake_thing.a"]))
            Issue.record("replaced a resource no longer declared")
        } catch {
            #expect("\(error)".contains("fake_thing.a: --replace names a resource the stack no longer declares"))
        }
        // Not made yet: the plan simply creates it.
        let plan = try await workspace.plan(
            makeStack([FakeResource("a"), FakeResource("b")]), region: "us-east-1", scope: PlanScope(replace: ["fake_thing.b"]))
        #expect(plan.resources.map(\.action) == [.noop, .create])
    }
}
