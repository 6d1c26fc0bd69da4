import CairnEngine
import CairnJSON
import CairnState
import Testing

/// Declared renames (`moved(from:to:)`, Terraform's `moved` block) and the hint for an undeclared one.
@Suite struct MovedTests {
    let cloud = FakeCloud()
    let renderer = PlanRenderer(style: Style(enabled: false))

    func applied(_ workspace: Workspace, _ stack: Stack) async throws {
        let report = try await planAndApply(workspace, stack)
        #expect(report.ok, "\(report.failureSummary)")
    }

    /// `base` (named `base-thing`, with a secret) and `user`, which refers to it.
    func original() -> Stack {
        var base = FakeResource("base", name: "base-thing")
        base.secret = "hunter2"
        var user = FakeResource("user")
        user.link = .reference(base.arn)
        return makeStack([base, user])
    }

    /// The same, `base` declared as `core`, with `moves`.
    func renamed(size: Int = 1, moves: [ResourceMove] = [ResourceMove(from: "fake_thing.base", to: "fake_thing.core")]) -> Stack {
        var core = FakeResource("core", name: "base-thing")
        core.secret = "hunter2"
        core.size = size
        var user = FakeResource("user")
        user.link = .reference(core.arn)
        return Stack(name: "test", region: "us-east-1", environment: StackEnvironment(), resources: [core, user], moves: moves)
    }

    /// Before the apply that records a declared move, drift checks the resource at its new address: a target names it
    /// there, and a change outside Cairn is found, never a "no drift" over nothing.
    @Test func driftChecksAMovedResourceAtItsNewAddress() async throws {
        let workspace = makeWorkspace(cloud)
        try await applied(workspace, original())
        cloud.put("base-thing", (cloud.attributes("base-thing") ?? [:]).merging(["size": 7]) { _, new in new })
        let report = try await workspace.drift(renamed(), targets: ["fake_thing.core"])
        #expect(report.checked == 1 && report.resources.map(\.address) == ["fake_thing.core"], "\(report.resources)")
        let whole = try await workspace.drift(renamed())
        #expect(whole.checked == 2 && whole.resources.map(\.address) == ["fake_thing.core"], "\(whole.resources)")
    }

    @Test func aDeclaredMoveRewritesTheStateWithoutAnyCall() async throws {
        let workspace = makeWorkspace(cloud)
        try await applied(workspace, original())
        let stack = renamed()
        let plan = try await workspace.plan(stack, region: "us-east-1")
        let core = try #require(plan.resources.first { $0.address == "fake_thing.core" })
        #expect(core.action == .move && core.movedFrom == "fake_thing.base")
        #expect(plan.resources.first { $0.address == "fake_thing.user" }?.action == .noop, "its reference follows the move")
        #expect(plan.hasChanges && plan.summary == "0 to create, 0 to update, 0 to replace, 0 to delete, 1 to move.")
        #expect(plan.json()["resources"]?[0]?["action"] == "move")
        #expect(plan.json()["resources"]?[0]?["movedFrom"] == "fake_thing.base")
        #expect(renderer.render(plan).contains("    # fake_thing.base has moved to fake_thing.core  (state only, no API call)"))

        let calls = cloud.callLog.count
        let events = EventLog()
        #expect(try await workspace.apply(plan, stack: stack, command: "apply", events: events.add).ok)
        #expect(cloud.callLog.count == calls, "no API call")
        #expect(cloud.ids == ["base-thing", "user"])
        #expect(events.all == ["done move fake_thing.core"])
        let records = try await workspace.recordedResources(stack)
        #expect(records.map(\.address).sorted() == ["fake_thing.core", "fake_thing.user"])
        #expect(records.first { $0.address == "fake_thing.user" }?.dependencies == ["fake_thing.core"])
        let history = try await workspace.stateHistory(stack, limit: 3)
        #expect(history.allSatisfy { $0.command == #"apply: moved(from: "fake_thing.base", to: "fake_thing.core")"# }, "\(history)")
        #expect(Set(history.map(\.action)) == [.forget, .import, .update])

        // The declaration stays: once done, the move is ignored, and the sealed secret opens at its new address.
        #expect(try await workspace.plan(stack, region: "us-east-1").hasChanges == false)
    }

    @Test func aMoveWithAChangeUpdatesAtTheNewAddress() async throws {
        let workspace = makeWorkspace(cloud)
        try await applied(workspace, original())
        let stack = renamed(size: 5)
        let plan = try await workspace.plan(stack, region: "us-east-1")
        let core = try #require(plan.resources.first { $0.address == "fake_thing.core" })
        #expect(core.action == .update && core.movedFrom == "fake_thing.base")
        let text = renderer.render(plan)
        #expect(text.contains("~ fake_thing.core  (update in place)\n      # fake_thing.base has moved to fake_thing.core\n      ~ size: 1 → 5"))
        // Saved and applied from the file, the move comes along.
        let codec = try workspace.codec(create: true)
        let saved = try Plan(savedJSON: try plan.savedJSON(sealedWith: codec).description, codec: codec)
        #expect(saved.resources.first { $0.address == "fake_thing.core" }?.movedFrom == "fake_thing.base")
        let calls = cloud.callLog.count
        #expect(try await workspace.apply(saved, stack: stack, command: "apply") { _ in }.ok)
        #expect(Array(cloud.callLog.dropFirst(calls)) == ["update base-thing"])
        #expect(cloud.attributes("base-thing")?["size"] == 5)
        #expect(try await workspace.plan(stack, region: "us-east-1").hasChanges == false)
    }

    @Test func chainedMovesAndTargetsFollowTheRename() async throws {
        let workspace = makeWorkspace(cloud)
        try await applied(workspace, original())
        let stack = renamed(moves: [
            ResourceMove(from: "fake_thing.base", to: "fake_thing.middle"), ResourceMove(from: "fake_thing.middle", to: "fake_thing.core"),
        ])
        // The old address, as a target, means the new one.
        let plan = try await workspace.plan(stack, region: "us-east-1", scope: PlanScope(targets: ["fake_thing.base"]))
        #expect(plan.resources.map(\.address) == ["fake_thing.core"])
        #expect(plan.resources[0].movedFrom == "fake_thing.base")
    }

    @Test func aMoveOntoAnOccupiedAddressIsRefusedAndChangesNothing() async throws {
        let workspace = makeWorkspace(cloud)
        try await applied(workspace, original())
        let history = try await workspace.stateHistory(original())
        let stack = renamed(moves: [ResourceMove(from: "fake_thing.base", to: "fake_thing.user")])
        // `user` is declared, and so is `core`: the stack validates, but the state holds `user` already.
        let message = await failureMessage { _ = try await workspace.plan(stack, region: "us-east-1") }
        #expect(
            message
                == #"fake_thing.user: moved(from: "fake_thing.base", to: "fake_thing.user") would put fake_thing.base where the state already holds user: forget one of them first with `cairn state rm test ADDRESS`, or move it to a free address."#
        )
        #expect(try await workspace.stateHistory(original()) == history)
    }

    @Test func aMoveToAnUndeclaredAddressIsRefused() async throws {
        let workspace = makeWorkspace(cloud)
        try await applied(workspace, original())
        let stack = renamed(moves: [ResourceMove(from: "fake_thing.base", to: "fake_thing.elsewhere")])
        let message = await failureMessage { _ = try await workspace.plan(stack, region: "us-east-1") }
        #expect(
            message.hasPrefix(
                "fake_thing.elsewhere: a declared move renames fake_thing.base (base-thing) to this address, which the stack does not declare"))
    }

    @Test func movesAcrossTypesOrFromADeclaredAddressAreDeclarationErrors() async throws {
        let workspace = makeWorkspace(cloud)
        try await applied(workspace, original())
        let history = try await workspace.stateHistory(original())
        let stack = renamed(moves: [
            ResourceMove(from: "fake_thing.base", to: "aws_s3_bucket.core"), ResourceMove(from: "fake_thing.user", to: "fake_thing.core"),
            ResourceMove(from: "nonsense", to: "fake_thing.core"),
        ])
        let message = await failureMessage { _ = try await workspace.plan(stack, region: "us-east-1") }
        #expect(
            message.contains(
                #"test: moved(from: "fake_thing.base", to: "aws_s3_bucket.core"): moves a fake_thing to an address of another type (aws_s3_bucket): a move keeps the resource, so both addresses must have type fake_thing."#
            ))
        #expect(message.contains("fake_thing.user is still declared: a move renames it, so remove its old declaration (or the move)."))
        #expect(message.contains("both addresses must be resource addresses, TYPE.NAME"))
        #expect(try await workspace.stateHistory(original()) == history)
    }

    @Test func aMoveWhoseSourceIsGoneIsIgnored() async throws {
        let workspace = makeWorkspace(cloud)
        // Never applied under the old address: the move has nothing to do.
        let stack = renamed()
        let plan = try await workspace.plan(stack, region: "us-east-1")
        #expect(plan.resources.map(\.action) == [.create, .create])
        #expect(plan.moveCount == 0)
    }

    @Test func anUndeclaredRenameOfAResourceHoldingDataIsNamedWithTheMoveToDeclare() async throws {
        let workspace = makeWorkspace(cloud, holdsData: true)
        try await applied(workspace, original())
        let stack = renamed(moves: [])
        // With a refresh, its name is taken by the very resource the plan would delete: refused, with the hint.
        let message = await failureMessage { _ = try await workspace.plan(stack, region: "us-east-1") }
        #expect(
            message.hasPrefix(
                "fake_thing.core: its name base-thing is the resource the state holds at fake_thing.base, which the stack no longer declares, so this plan would take it here and delete it there: looks like a rename of fake_thing.base to fake_thing.core: add moved(from: \"fake_thing.base\", to: \"fake_thing.core\") to the stack to keep it"
            ), "\(message)")
        // Without one, a delete and a create: the delete says what it is.
        let plan = try await workspace.plan(stack, region: "us-east-1", refresh: false)
        let delete = try #require(plan.resources.first { $0.action == .delete })
        #expect(
            delete.reason?.contains(
                #"looks like a rename of fake_thing.base to fake_thing.core: add moved(from: "fake_thing.base", to: "fake_thing.core")"#) == true)
        #expect(
            plan.warnings.count == 1
                && plan.warnings[0].hasPrefix("fake_thing.base (base-thing) would be deleted, and what it holds lost: looks like a rename"))
        #expect(renderer.render(plan).contains("Warning: fake_thing.base (base-thing) would be deleted"))
    }

    @Test func noHintWhereAMoveWouldNotKeepItOrTheTypeHoldsNoData() async throws {
        // A new name forces a replacement anyway: a move would not keep it.
        let stateful = makeWorkspace(cloud, holdsData: true)
        try await applied(stateful, original())
        var core = FakeResource("core", name: "another-thing")
        core.secret = "hunter2"
        var user = FakeResource("user")
        user.link = .reference(core.arn)
        #expect(try await stateful.plan(makeStack([core, user]), region: "us-east-1").warnings.isEmpty)
        // A type that holds nothing loses nothing.
        let stateless = makeWorkspace(FakeCloud())
        try await applied(stateless, original())
        #expect(try await stateless.plan(renamed(moves: []), region: "us-east-1", refresh: false).warnings.isEmpty)
    }

    @Test func stackDefinitionsDeclareMovesForEveryEnvironment() {
        let definition = StackDefinition(name: "moving", summary: "", region: nil) { _ in (resources: [FakeResource("core")], outputs: [:]) }
            .moved(from: "fake_thing.base", to: "fake_thing.core")
        #expect(definition.moves == [ResourceMove(from: "fake_thing.base", to: "fake_thing.core")])
        #expect(definition.instantiate(StackEnvironment("staging")).moves == definition.moves)
    }
}
