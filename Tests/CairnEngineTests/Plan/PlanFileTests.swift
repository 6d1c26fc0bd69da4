import CairnEngine
import CairnJSON
import Testing

@Suite struct PlanFileTests {
    @Test func savedPlanRoundTrips() async throws {
        let workspace = makeWorkspace(FakeCloud())
        let role = FakeResource("role")
        var bucket = FakeResource("bucket")
        bucket.link = .reference(role.arn)
        bucket.secret = "s3cr3t"
        let plan = try await workspace.plan(makeStack([role, bucket], outputs: ["arn": .reference(bucket.arn)]), region: "us-east-1")
        let codec = try workspace.codec(create: true)
        let text = try plan.savedJSON(sealedWith: codec).prettyDescription
        #expect(!text.contains("s3cr3t"), "a saved plan holds no secret in clear")
        var loaded = try Plan(savedJSON: text, codec: codec)
        // Attribute changes are for display: the saved file masks sensitive ones.
        for i in loaded.resources.indices { loaded.resources[i].changes = plan.resources[i].changes }
        #expect(loaded == plan)
        let otherKey = StateCodec(key: Array(repeating: 7, count: 32), source: "test")
        #expect(throws: StateKeyError.self) { _ = try Plan(savedJSON: text, codec: otherKey) }
        #expect(!plan.json().description.contains("s3cr3t"), "printed JSON masks secrets")
        #expect(plan.json()["outputs"]?["arn"] == "(known after apply)")
    }

    @Test func printedJSONIsNotASavedPlan() async throws {
        let workspace = makeWorkspace(FakeCloud())
        let plan = try await workspace.plan(makeStack([FakeResource("a")]), region: "us-east-1")
        let codec = try workspace.codec(create: true)
        #expect(throws: PlanFileError.self) { _ = try Plan(savedJSON: plan.json().description, codec: codec) }
        #expect(throws: PlanFileError.self) { _ = try Plan(savedJSON: "not json", codec: codec) }
    }

    @Test func stalePlansAreRefused() async throws {
        let cloud = FakeCloud()
        let workspace = makeWorkspace(cloud)
        let stack = makeStack([FakeResource("a")])
        let first = try await workspace.plan(stack, region: "us-east-1")
        #expect(first.lineage == nil)
        _ = try await workspace.apply(first, stack: stack, command: "apply") { _ in }
        // The same no-state plan a second time: refused, nothing created twice.
        await #expect(throws: PlanFileError.self) { _ = try await workspace.apply(first, stack: stack, command: "apply") { _ in } }
        #expect(cloud.callLog.filter { $0.hasPrefix("create") } == ["create a"])

        var changed = FakeResource("a")
        changed.size = 2
        let second = try await workspace.plan(makeStack([changed]), region: "us-east-1")
        let third = try await workspace.plan(makeStack([changed]), region: "us-east-1")
        _ = try await workspace.apply(second, stack: makeStack([changed]), command: "apply") { _ in }
        do {
            _ = try await workspace.apply(third, stack: makeStack([changed]), command: "apply") { _ in }
            Issue.record("a plan made against an older serial was applied")
        } catch {
            #expect("\(error)".contains("stale"))
        }
    }
}
