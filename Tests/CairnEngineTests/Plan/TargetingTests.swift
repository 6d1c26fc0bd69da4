import CairnEngine
import CairnJSON
import CairnState
import Testing

/// `--target`: a plan, apply, destroy or drift check of part of a stack, with Terraform's warning that it is partial.
@Suite struct TargetingTests {
    let cloud = FakeCloud()
    let renderer = PlanRenderer(style: Style(enabled: false))

    /// `role` ← `bucket` (refers to the role), and `other` on its own.
    func stack(outputs: [String: Value] = [:]) -> (stack: Stack, role: FakeResource, bucket: FakeResource, other: FakeResource) {
        let role = FakeResource("role")
        var bucket = FakeResource("bucket")
        bucket.link = .reference(role.arn)
        let other = FakeResource("other")
        return (makeStack([role, bucket, other], outputs: outputs), role, bucket, other)
    }

    func applied(_ workspace: Workspace, _ stack: Stack, scope: PlanScope = PlanScope()) async throws {
        let report = try await planAndApply(workspace, stack, scope: scope)
        #expect(report.ok, "\(report.failureSummary)")
    }

    @Test func aTargetIsPlannedWithWhatItDependsOnAndTheRestIsLeftAlone() async throws {
        let workspace = makeWorkspace(cloud)
        let (stack, _, _, _) = stack()
        let plan = try await workspace.plan(stack, region: "us-east-1", scope: PlanScope(targets: ["fake_thing.bucket"]))
        #expect(plan.resources.map(\.address) == ["fake_thing.role", "fake_thing.bucket"], "the role it refers to comes along")
        #expect(plan.targets == ["fake_thing.bucket"])
        #expect(cloud.callLog.sorted() == ["read bucket", "read role"], "only what the plan covers is read")
        let text = renderer.render(plan)
        #expect(text.contains("Warning: Resource targeting is in effect: this covers only fake_thing.bucket and what it depends on"))
        #expect(text.contains("use --target to recover from mistakes, not routinely"))

        // Saved with --out and applied: only what it holds.
        let codec = try workspace.codec(create: true)
        let saved = try Plan(savedJSON: try plan.savedJSON(sealedWith: codec).description, codec: codec)
        #expect(saved.targets == plan.targets && saved.warnings == plan.warnings)
        #expect(try await workspace.apply(saved, stack: stack, command: "apply") { _ in }.ok)
        #expect(cloud.ids == ["bucket", "role"])

        // The whole stack's next plan makes the rest.
        let rest = try await workspace.plan(stack, region: "us-east-1")
        #expect(rest.resources.filter { $0.action != .noop }.map(\.address) == ["fake_thing.other"])
        #expect(rest.warnings.isEmpty)
    }

    @Test func aTargetedApplyKeepsTheOutputsItCannotWorkOut() async throws {
        let workspace = makeWorkspace(cloud)
        var (stack, _, bucket, other) = stack()
        stack = makeStack(stack.resources, outputs: ["BUCKET": .reference(bucket.arn), "OTHER": .reference(other.arn)])
        try await applied(workspace, stack)
        // `other` is replaced by a later change, but only the bucket is targeted: OTHER keeps its recorded value.
        var renamed = other
        renamed.kind = "premium"
        let changed = makeStack([stack.resources[0], stack.resources[1], renamed], outputs: stack.outputs)
        try await applied(workspace, changed, scope: PlanScope(targets: ["fake_thing.bucket"]))
        let outputs = try #require(try await workspace.recordedOutputs(changed))
        #expect(outputs.values == ["BUCKET": "arn:fake:bucket", "OTHER": "arn:fake:other"])
        #expect(cloud.attributes("other")?["kind"] == "basic", "not targeted, not changed")
    }

    @Test func anUnknownTargetNamesTheClosestAndChangesNothing() async throws {
        let workspace = makeWorkspace(cloud)
        let (stack, _, _, _) = stack()
        try await applied(workspace, stack)
        let history = try await workspace.stateHistory(stack).count
        let calls = cloud.callLog.count
        let message = await failureMessage {
            _ = try await workspace.apply(stack, region: "us-east-1", scope: PlanScope(targets: ["fake_thing.buckt"]), command: "apply") { _ in
                true
            } events: { _ in
            }
        }
        #expect(
            message
                == "fake_thing.buckt: --target names no resource that 'test' declares or holds in its state: did you mean fake_thing.bucket?")
        let replace = await failureMessage { _ = try await workspace.plan(stack, region: "us-east-1", scope: PlanScope(replace: ["fake_thing.rol"])) }
        #expect(replace.hasSuffix("--replace names no resource that 'test' declares or holds in its state: did you mean fake_thing.role?"))
        #expect(try await workspace.stateHistory(stack).count == history, "the state is unchanged")
        #expect(cloud.callLog.count == calls, "nothing was read or changed")
    }

    @Test func aTargetedDestroyTakesWhatDependsOnTheTarget() async throws {
        let workspace = makeWorkspace(cloud)
        let (stack, _, _, _) = stack()
        try await applied(workspace, stack)
        let plan = try await workspace.plan(stack, region: "us-east-1", destroy: true, scope: PlanScope(targets: ["fake_thing.role"]))
        #expect(Set(plan.resources.map(\.address)) == ["fake_thing.role", "fake_thing.bucket"], "the bucket refers to the role")
        #expect(plan.warnings == [PlanScope.targetingWarning(["fake_thing.role"], destroy: true)])
        #expect(plan.warnings[0].contains("fake_thing.role and what depends on it"))
        #expect(try await workspace.apply(plan, stack: stack, command: "destroy") { _ in }.ok)
        #expect(cloud.ids == ["other"])
        #expect(try await workspace.recordedResources(stack).map(\.address) == ["fake_thing.other"])
    }

    @Test func aTargetedDriftCheckReadsOnlyTheTargetsAndIsNotRecorded() async throws {
        let workspace = makeWorkspace(cloud)
        let (stack, _, _, _) = stack()
        try await applied(workspace, stack)
        for id in ["bucket", "other"] {
            var live = try #require(cloud.attributes(id))
            live["size"] = 7
            cloud.put(id, live)
        }
        let before = cloud.callLog.count
        let report = try await workspace.drift(stack, targets: ["fake_thing.bucket"])
        #expect(report.resources.map(\.address) == ["fake_thing.bucket"], "other drifted too, but is not targeted")
        #expect(report.checked == 2, "the bucket and the role it depends on")
        #expect(cloud.callLog.dropFirst(before).sorted() == ["read bucket", "read role"])
        #expect(try await workspace.driftHistory(stack).isEmpty, "a partial check is not a drift run")
        #expect(try await workspace.drift(stack).resources.count == 2)
        #expect(try await workspace.driftHistory(stack).count == 1)
        let unknown = await failureMessage { _ = try await workspace.drift(stack, targets: ["fake_thing.nope"]) }
        #expect(unknown.contains("--target names no resource"))
    }

    @Test func aTargetedRefreshOnlyRecordsOnlyTheTargetsAndWhatTheyDependOn() async throws {
        let workspace = makeWorkspace(cloud)
        let (stack, _, _, _) = stack()
        try await applied(workspace, stack)
        for id in ["role", "bucket", "other"] {
            var live = try #require(cloud.attributes(id))
            live["size"] = 7
            cloud.put(id, live)
        }
        let before = cloud.callLog.count
        let (report, recorded) = try await workspace.acceptDrift(stack, targets: ["fake_thing.bucket"]) { _ in true }
        #expect(recorded)
        #expect(report.resources.map(\.address).sorted() == ["fake_thing.bucket", "fake_thing.role"], "\(report.resources)")
        #expect(cloud.callLog.dropFirst(before).sorted() == ["read bucket", "read role"], "nothing else is read")
        func size(_ address: String) async throws -> JSON? { try await workspace.recordedResource(stack, at: address)?.attributes["size"] }
        #expect(try await size("fake_thing.bucket") == 7)
        #expect(try await size("fake_thing.role") == 7)
        #expect(try await size("fake_thing.other") == 1, "not targeted: its drift is not accepted")
        let history = try await workspace.stateHistory(stack)
        #expect(Set(history.filter { $0.command == "apply --refresh-only" }.map(\.address)) == ["fake_thing.bucket", "fake_thing.role"])
        let unknown = await failureMessage { _ = try await workspace.acceptDrift(stack, targets: ["fake_thing.bukcet"]) { _ in true } }
        #expect(
            unknown.contains("--target names no resource that 'test' declares or holds in its state: did you mean fake_thing.bucket?"), "\(unknown)")
        #expect(try await workspace.stateHistory(stack) == history)
    }

    @Test func aRemovedResourceCanBeTargetedForItsDelete() async throws {
        let workspace = makeWorkspace(cloud)
        let (stack, role, bucket, _) = stack()
        try await applied(workspace, stack)
        // `other` is no longer declared, and `bucket` has changed: only the delete is targeted.
        var grown = bucket
        grown.size = 4
        let reduced = makeStack([role, grown])
        let plan = try await workspace.plan(reduced, region: "us-east-1", scope: PlanScope(targets: ["fake_thing.other"]))
        #expect(plan.resources.map(\.address) == ["fake_thing.other"])
        #expect(plan.resources[0].action == .delete)
    }
}
