import CairnEngine
import CairnJSON
import CairnState
import Testing

@Suite struct PlannerTests {
    let cloud = FakeCloud()

    func applied(_ workspace: Workspace, _ stack: Stack) async throws -> Plan {
        let plan = try await workspace.plan(stack, region: "us-east-1")
        let report = try await workspace.apply(plan, stack: stack, command: "apply") { _ in }
        #expect(report.ok, "\(report.failureSummary)")
        return plan
    }

    @Test func newStackIsAllCreatesWithUnknownOutputs() async throws {
        let workspace = makeWorkspace(cloud)
        let role = FakeResource("role")
        var bucket = FakeResource("bucket")
        bucket.link = .reference(role.arn)
        let plan = try await workspace.plan(makeStack([bucket, role]), region: "us-east-1")
        #expect(plan.resources.map(\.action) == [.create, .create])
        #expect(plan.resources.map(\.address) == ["fake_thing.role", "fake_thing.bucket"], "dependencies come first")
        #expect(plan.summary == "2 to create, 0 to update, 0 to replace, 0 to delete.")
        let link = try #require(plan.resources[1].changes.first { $0.path == "link" })
        #expect(Unknown.reference(in: link.new!) == role.arn)
        #expect(PlanRenderer(style: Style(enabled: false)).render(plan).contains("+ link = (known after apply)"))
        #expect(cloud.callLog.sorted() == ["read bucket", "read role"], "nothing recorded: only a check that each name is free")
    }

    @Test func replanAfterApplyIsNoChangeAndReadsEachResourceOnce() async throws {
        let workspace = makeWorkspace(cloud)
        let role = FakeResource("role")
        var bucket = FakeResource("bucket")
        bucket.link = .concat([.reference(role.arn), .json("/*")])
        let stack = makeStack([role, bucket])
        _ = try await applied(workspace, stack)
        #expect(cloud.attributes("bucket")?["link"] == "arn:fake:role/*")
        let before = cloud.callLog.count
        let again = try await workspace.plan(stack, region: "us-east-1")
        #expect(!again.hasChanges)
        #expect(again.resources.allSatisfy { $0.action == .noop })
        #expect(cloud.callLog.dropFirst(before).sorted() == ["read bucket", "read role"])
        #expect(PlanRenderer(style: Style(enabled: false)).render(again).hasPrefix("No changes."))
    }

    @Test func updateInPlaceShowsOldAndNew() async throws {
        let workspace = makeWorkspace(cloud)
        var thing = FakeResource("thing")
        thing.tags = ["team": "a"]
        _ = try await applied(workspace, makeStack([thing]))
        thing.size = 3
        thing.tags = ["team": "b", "env": "dev"]
        let plan = try await workspace.plan(makeStack([thing]), region: "us-east-1")
        let change = try #require(plan.resources.first)
        #expect(change.action == .update)
        #expect(change.changes.map(\.path) == ["size", "tags.env", "tags.team"])
        #expect(change.changes[0].old == 1 && change.changes[0].new == 3)
        let text = PlanRenderer(style: Style(enabled: false)).render(plan)
        #expect(text.contains("~ fake_thing.thing"))
        #expect(text.contains("~ tags.team: \"a\" → \"b\""))
        #expect(text.contains("+ tags.env = \"dev\""))
    }

    @Test func changeToAReplaceAttributeReplacesAndNamesIt() async throws {
        let workspace = makeWorkspace(cloud)
        var thing = FakeResource("thing")
        _ = try await applied(workspace, makeStack([thing]))
        thing.kind = "premium"
        let plan = try await workspace.plan(makeStack([thing]), region: "us-east-1")
        #expect(plan.resources[0].action == .replace)
        #expect(plan.resources[0].changes.filter(\.forcesReplacement).map(\.path) == ["kind"])
        #expect(PlanRenderer(style: Style(enabled: false)).render(plan).contains("# forces replacement"))
        let report = try await workspace.apply(plan, stack: makeStack([thing]), command: "apply") { _ in }
        #expect(report.ok)
        #expect(cloud.callLog.suffix(2) == ["delete thing", "create thing"], "delete, then create: names are unique")
        #expect(cloud.attributes("thing")?["kind"] == "premium")
    }

    @Test func removedFromCodeIsDeletedDependentsFirst() async throws {
        let workspace = makeWorkspace(cloud)
        let role = FakeResource("role")
        var user = FakeResource("user")
        user.link = .reference(role.arn)
        _ = try await applied(workspace, makeStack([role, user]))
        let plan = try await workspace.plan(makeStack([]), region: "us-east-1")
        #expect(plan.resources.map(\.action) == [.delete, .delete])
        let events = EventLog()
        let report = try await workspace.apply(plan, stack: makeStack([]), parallelism: 4, command: "apply", events: events.add)
        #expect(report.ok)
        #expect(events.all.filter { $0.hasPrefix("done") } == ["done delete fake_thing.user", "done delete fake_thing.role"])
        #expect(cloud.ids.isEmpty)
    }

    @Test func deletedOutsideCairnIsRecreated() async throws {
        let workspace = makeWorkspace(cloud)
        let thing = FakeResource("thing")
        _ = try await applied(workspace, makeStack([thing]))
        cloud.remove("thing")
        let plan = try await workspace.plan(makeStack([thing]), region: "us-east-1")
        #expect(plan.resources[0].action == .create)
        #expect(plan.resources[0].reason == "deleted outside Cairn")
        let report = try await workspace.apply(plan, stack: makeStack([thing]), command: "apply") { _ in }
        #expect(report.ok)
        #expect(cloud.ids == ["thing"])
        #expect(try await workspace.plan(makeStack([thing]), region: "us-east-1").hasChanges == false)
    }

    @Test func changedOutsideCairnIsRevertedAndSaidSo() async throws {
        let workspace = makeWorkspace(cloud)
        let thing = FakeResource("thing")
        _ = try await applied(workspace, makeStack([thing]))
        var live = try #require(cloud.attributes("thing"))
        live["size"] = 9
        cloud.put("thing", live)
        let plan = try await workspace.plan(makeStack([thing]), region: "us-east-1")
        #expect(plan.resources[0].action == .update)
        #expect(plan.resources[0].reason == "changed outside Cairn")
        #expect(plan.resources[0].changes.map(\.path) == ["size"])
        #expect(plan.resources[0].changes[0].old == 9)
        // Without refresh, the state alone is compared: no change.
        #expect(try await workspace.plan(makeStack([thing]), region: "us-east-1", refresh: false).hasChanges == false)
    }

    @Test func policyDocumentsCompareAsData() async throws {
        let workspace = makeWorkspace(cloud)
        var thing = FakeResource("thing")
        thing.policy = try JSON(parsing: #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}"#)
        _ = try await applied(workspace, makeStack([thing]))
        var live = try #require(cloud.attributes("thing"))
        live["policy"] = try JSON(
            parsing: """
                {
                  "Statement": [ { "Resource": "*",   "Action": "s3:GetObject", "Effect": "Allow" } ],
                  "Version": "2012-10-17"
                }
                """)
        cloud.put("thing", live)
        #expect(try await workspace.plan(makeStack([thing]), region: "us-east-1").hasChanges == false)
    }

    @Test func sensitiveValuesAreMaskedAndEncrypted() async throws {
        let workspace = makeWorkspace(cloud)
        var thing = FakeResource("thing")
        thing.secret = "ghp_supersecret"
        let plan = try await workspace.plan(makeStack([thing]), region: "us-east-1")
        let text = PlanRenderer(style: Style(enabled: false)).render(plan)
        #expect(text.contains("+ secret = (sensitive)"))
        #expect(!text.contains("ghp_supersecret"))
        #expect(!plan.json().description.contains("ghp_supersecret"))
        let report = try await workspace.apply(plan, stack: makeStack([thing]), command: "apply") { _ in }
        #expect(report.ok)
        let store = try #require(try await workspace.store(for: makeStack([thing]), create: false))
        let record = try #require(try store.resource(at: "fake_thing.thing"))
        #expect(!record.attributes.contains("ghp_supersecret"))
        #expect(record.attributes.contains("$sensitive"))
        let history = try store.history()
        #expect(!history.contains { ($0.recordJSON ?? "").contains("ghp_supersecret") })
        store.close()

        let wrongKey = Workspace(stateDir: workspace.stateDir, providers: workspace.providers, environment: ["CAIRN_STATE_KEY": "another"])
        await #expect(throws: StateKeyError.self) { _ = try await wrongKey.plan(makeStack([thing]), region: "us-east-1") }
        do {
            _ = try await wrongKey.plan(makeStack([thing]), region: "us-east-1")
        } catch {
            #expect("\(error)".contains("wrong key"))
            #expect("\(error)".contains("fake_thing.thing"))
        }
        // With the right key the secret is read back, and no change is planned.
        #expect(try await workspace.plan(makeStack([thing]), region: "us-east-1").hasChanges == false)

        // A new value shows that it changed, neither value.
        thing.secret = "ghp_rotated"
        let rotation = PlanRenderer(style: Style(enabled: false)).render(try await workspace.plan(makeStack([thing]), region: "us-east-1"))
        #expect(rotation.contains("~ secret: (sensitive value changed)"))
        #expect(!rotation.contains("ghp_"))
    }

    @Test func aProviderCanForceReplacementForOneWayChanges() async throws {
        let workspace = makeWorkspace(cloud)
        var thing = FakeResource("thing")
        thing.size = 3
        _ = try await applied(workspace, makeStack([thing]))
        thing.size = 5
        #expect(try await workspace.plan(makeStack([thing]), region: "us-east-1").resources[0].action == .update)
        thing.size = 0
        let plan = try await workspace.plan(makeStack([thing]), region: "us-east-1")
        #expect(plan.resources[0].action == .replace)
        #expect(plan.resources[0].changes.map(\.forcesReplacement) == [true])
        #expect(PlanRenderer(style: Style(enabled: false)).render(plan).contains("~ size: 3 → 0  # forces replacement"))
    }

    @Test func preventDestroyStopsDestroyAndReplace() async throws {
        let workspace = makeWorkspace(cloud)
        var keep = FakeResource("keep")
        keep.options.preventDestroy = true
        let other = FakeResource("other")
        _ = try await applied(workspace, makeStack([keep, other]))
        await #expect(throws: PlanError.self) { _ = try await workspace.plan(makeStack([keep, other]), region: "us-east-1", destroy: true) }
        keep.kind = "premium"
        do {
            _ = try await workspace.plan(makeStack([keep, other]), region: "us-east-1")
            Issue.record("expected the replace to be refused")
        } catch {
            #expect("\(error)".contains("fake_thing.keep"))
            #expect("\(error)".contains("preventDestroy"))
        }
        #expect(cloud.ids == ["keep", "other"])
    }

    @Test func destroyWorksFromTheStateWhateverTheDeclarationSays() async throws {
        let workspace = makeWorkspace(cloud)
        _ = try await applied(workspace, makeStack([FakeResource("thing")]))
        // Instantiated without its variables, a declaration may not validate: destroy does not need it to.
        let unvalidatable = makeStack([FakeResource("thing", name: "a name with spaces")])
        await #expect(throws: (any Error).self) { _ = try await workspace.plan(unvalidatable, region: "us-east-1") }
        let plan = try await workspace.plan(unvalidatable, region: "us-east-1", destroy: true)
        #expect(plan.resources.map(\.action) == [.delete])
        #expect(try await workspace.apply(plan, stack: unvalidatable, command: "destroy") { _ in }.ok)
        #expect(cloud.ids.isEmpty)
    }

    @Test func excludeProtectedDestroysTheRestAndKeepsWhatTheProtectedNeed() async throws {
        let workspace = makeWorkspace(cloud)
        let base = FakeResource("base")
        var keep = FakeResource("keep")
        keep.options.preventDestroy = true
        keep.link = .reference(base.arn)
        let other = FakeResource("other")
        let stack = makeStack([base, keep, other])
        _ = try await applied(workspace, stack)
        do {
            _ = try await workspace.plan(stack, region: "us-east-1", destroy: true)
            Issue.record("destroyed a protected resource")
        } catch {
            #expect("\(error)".contains("fake_thing.keep: has preventDestroy, so nothing was destroyed: destroy the rest with --exclude-protected"))
        }
        let plan = try await workspace.plan(stack, region: "us-east-1", destroy: true, excludeProtected: true)
        let actions = Dictionary(uniqueKeysWithValues: plan.resources.map { ($0.address, $0.action) })
        #expect(actions == ["fake_thing.base": .noop, "fake_thing.keep": .noop, "fake_thing.other": .delete])
        #expect(plan.resources.first { $0.address == "fake_thing.keep" }?.reason == "kept: it has preventDestroy (--exclude-protected)")
        #expect(
            plan.resources.first { $0.address == "fake_thing.base" }?.reason == "kept: fake_thing.keep, which is kept, depends on it")
        #expect(try await workspace.apply(plan, stack: stack, command: "destroy") { _ in }.ok)
        #expect(cloud.ids == ["base", "keep"])
        let store = try #require(try await workspace.store(for: stack, create: false))
        defer { store.close() }
        #expect(try store.resources().map(\.address).sorted() == ["fake_thing.base", "fake_thing.keep"], "still managed")
    }
}
