import CairnEngine
import CairnJSON
import Foundation
import Testing

/// A state only adopts, changes or deletes what it provably created, and only in its own region.
@Suite struct OwnershipTests {
    let cloud = FakeCloud()

    /// A workspace whose provider proves adoption by `proof`.
    func workspace(proof: AdoptionProof = .ownershipTags, stateDir: URL = temporaryDirectory(), region: String? = nil) -> Workspace {
        var provider = FakeProvider(typeName: FakeResource.typeName, cloud: cloud)
        provider.adoptionProof = proof
        return Workspace(
            stateDir: stateDir, providers: ProviderRegistry([provider]), environment: ["CAIRN_STATE_KEY": "test passphrase"],
            region: region)
    }

    /// What a crash between a create call and its commit leaves: an intent for `name`. Returns the state's lineage.
    func interruptedCreate(_ workspace: Workspace, _ stack: Stack, address: String, name: String) async throws -> String {
        let store = try #require(try await workspace.store(for: stack, create: true))
        defer { store.close() }
        _ = try await store.recordIntent(address: address, type: FakeResource.typeName, plannedName: name, command: "apply")
        return store.lineage
    }

    func message(_ body: () async throws -> some Any) async -> String {
        do {
            _ = try await body()
            return "no error"
        } catch {
            return "\(error)"
        }
    }

    @Test func everyCreatedResourceCarriesItsOwner() async throws {
        let workspace = workspace()
        var thing = FakeResource("thing")
        thing.tags = ["team": "web"]
        let stack = makeStack([thing])
        let plan = try await workspace.plan(stack, region: "us-east-1")
        #expect(PlanRenderer(style: Style(enabled: false)).render(plan).contains("cairn:state"))
        #expect(try await workspace.apply(plan, stack: stack, command: "apply") { _ in }.ok)
        let store = try #require(try await workspace.store(for: stack, create: false))
        let lineage = store.lineage
        store.close()
        #expect(
            cloud.attributes("thing")?["tags"] == ["team": "web", "cairn:stack": "test", "cairn:env": "default", "cairn:state": .string(lineage)])
        #expect(try await workspace.plan(stack, region: "us-east-1").hasChanges == false)
    }

    @Test func aLookAlikeUnderAnIntentsNameIsNeverAdopted() async throws {
        let workspace = workspace()
        let thing = FakeResource("thing")
        let stack = makeStack([thing])
        _ = try await interruptedCreate(workspace, stack, address: thing.address, name: "thing")
        cloud.put("thing", ["name": "thing", "kind": "basic", "size": 1, "tags": ["owner": "a colleague"]])
        let text = await message { try await workspace.plan(stack, region: "us-east-1") }
        #expect(text.contains("fake_thing.thing: thing already exists in AWS and was not created by this stack"), "\(text)")
        #expect(text.contains("cairn import test fake_thing.thing thing"))
        #expect(!cloud.callLog.contains { !$0.hasPrefix("read ") })
    }

    /// What the state records at another address (the old one a create-before-destroy left, with the same name and
    /// this state's tags, as a task definition family's latest revision) is not what an interrupted create made: the
    /// plan creates, rather than adopting it here while deleting it there.
    @Test func anInterruptedCreateNeverAdoptsWhatTheStateRecordsElsewhere() async throws {
        let workspace = workspace()
        let thing = FakeResource("thing")
        let stack = makeStack([thing])
        #expect(try await workspace.apply(try await workspace.plan(stack, region: "us-east-1"), stack: stack, command: "apply") { _ in }.ok)
        try await workspace.moveResource(stack, from: thing.address, to: "fake_thing.thing#deposed-1")
        _ = try await interruptedCreate(workspace, stack, address: thing.address, name: "thing")
        let plan = try await workspace.plan(stack, region: "us-east-1")
        let change = try #require(plan.resources.first { $0.address == thing.address })
        #expect(change.action == .create && !change.adopt, "\(change.action) \(change.reason ?? "")")
    }

    @Test func anotherStatesResourceIsNeitherAdoptedNorCreatedOver() async throws {
        let workspace = workspace()
        let thing = FakeResource("thing")
        let stack = makeStack([thing])
        _ = try await interruptedCreate(workspace, stack, address: thing.address, name: "thing")
        let other = Ownership(stack: "test", environment: "staging", state: "0123456789abcdef")
        cloud.put("thing", ["name": "thing", "kind": "basic", "size": 1, "tags": .object(other.tagValues)])
        let adopted = await message { try await workspace.plan(stack, region: "us-east-1") }
        #expect(adopted.contains("belongs to stack 'test' (environment 'staging', state 01234567)"), "\(adopted)")
        #expect(adopted.contains("--take-ownership"))

        // The same without any intent: a plain create whose name another state holds.
        let fresh = self.workspace()
        let created = await message { try await fresh.plan(stack, region: "us-east-1") }
        #expect(created.contains("thing already exists in AWS and belongs to stack 'test' (environment 'staging'"), "\(created)")
    }

    @Test func creationTimeProvesAnUntaggedResource() async throws {
        let workspace = workspace(proof: .ownershipTagsOrCreationTime)
        let thing = FakeResource("thing")
        let stack = makeStack([thing])
        _ = try await interruptedCreate(workspace, stack, address: thing.address, name: "thing")
        cloud.put("thing", ["name": "thing", "kind": "basic", "size": 1, "tags": [:]])

        cloud.withLock { cloud.creationDates["thing"] = Date(timeIntervalSinceNow: -3600) }
        let older = await message { try await workspace.plan(stack, region: "us-east-1") }
        #expect(older.contains("was not created by this stack"), "made an hour before the intent: \(older)")

        cloud.withLock { cloud.creationDates["thing"] = Date(timeIntervalSinceNow: 5) }
        let plan = try await workspace.plan(stack, region: "us-east-1")
        #expect(plan.resources[0].adopt)
        #expect(plan.resources[0].reason?.contains("AWS created it after the interrupted create began") == true)
        #expect(plan.resources[0].action == .update, "the ownership tags still go on")
        #expect(try await workspace.apply(plan, stack: stack, command: "apply") { _ in }.ok)
        #expect(cloud.attributes("thing")?["tags"]?["cairn:stack"] == "test")
    }

    @Test func renamingAwayFromALookAlikeLeavesItAlone() async throws {
        let workspace = workspace()
        var thing = FakeResource("thing", name: "taken")
        let stack = makeStack([thing])
        _ = try await interruptedCreate(workspace, stack, address: thing.address, name: "taken")
        cloud.put("taken", ["name": "taken", "kind": "basic", "size": 1, "tags": [:]])
        thing.name = "free"
        let renamed = makeStack([thing])
        let plan = try await workspace.plan(renamed, region: "us-east-1")
        #expect(plan.resources.map(\.action) == [.create])
        #expect(try await workspace.apply(plan, stack: renamed, command: "apply") { _ in }.ok)
        #expect(cloud.ids == ["free", "taken"])
        #expect(cloud.attributes("taken")?["tags"] == [:], "the look-alike was not touched")
        let store = try #require(try await workspace.store(for: renamed, create: false))
        defer { store.close() }
        #expect(try store.pendingIntents().isEmpty)
    }

    @Test func aRefusedCreateDiscardsItsIntent() async throws {
        let workspace = workspace()
        let thing = FakeResource("thing")
        let stack = makeStack([thing])
        cloud.refusing = ["thing"]
        let report = try await workspace.apply(try await workspace.plan(stack, region: "us-east-1"), stack: stack, command: "apply") { _ in }
        #expect(!report.ok)
        let store = try #require(try await workspace.store(for: stack, create: false))
        defer { store.close() }
        #expect(try store.pendingIntents().isEmpty, "AWS said no: nothing under that name is ours")

        // A create whose answer was lost (not a refusal) keeps its intent for the next run to resolve.
        cloud.refusing = []
        cloud.failing = ["thing"]
        _ = try await workspace.apply(try await workspace.plan(stack, region: "us-east-1"), stack: stack, command: "apply") { _ in }
        #expect(try store.pendingIntents().map(\.plannedName) == ["thing"])
    }

    @Test func aCreateWhoseLaterStepIsRefusedIsRecordedAndFinishedNextTime() async throws {
        let workspace = workspace()
        var thing = FakeResource("thing")
        thing.size = 3
        let stack = makeStack([thing])
        cloud.partial = ["thing"]
        let report = try await workspace.apply(try await workspace.plan(stack, region: "us-east-1"), stack: stack, command: "apply") { _ in }
        #expect(!report.ok)
        #expect(report.failed.first?.message.contains("setting the size of thing refused (thing was created") == true, "\(report.failed)")
        let store = try #require(try await workspace.store(for: stack, create: false))
        defer { store.close() }
        #expect(try store.resource(at: thing.address)?.physicalID == "thing", "made, so recorded")
        #expect(try store.pendingIntents().isEmpty)

        cloud.partial = []
        let plan = try await workspace.plan(stack, region: "us-east-1")
        #expect(plan.resources.map(\.action) == [.update])
        #expect(plan.resources[0].changes.map(\.path) == ["size"])
        #expect(try await workspace.apply(plan, stack: stack, command: "apply") { _ in }.ok)
        #expect(cloud.attributes("thing")?["size"] == 3)
        #expect(cloud.callLog.filter { $0.hasPrefix("create") } == ["create thing"], "created once")
    }

    @Test func aResourceCarryingThisStatesTagIsAdoptedWithoutAnIntent() async throws {
        let workspace = workspace()
        let first = makeStack([FakeResource("other")])
        #expect(try await workspace.apply(try await workspace.plan(first, region: "us-east-1"), stack: first, command: "apply") { _ in }.ok)
        let store = try #require(try await workspace.store(for: first, create: false))
        let lineage = store.lineage
        store.close()
        // A create whose answer was lost, and whose retry AWS refused as a duplicate: the intent went with the refusal.
        cloud.put(
            "thing",
            [
                "name": "thing", "kind": "basic", "size": 1,
                "tags": .object(Ownership(stack: "test", environment: "default", state: lineage).tagValues),
            ])
        let both = makeStack([FakeResource("other"), FakeResource("thing")])
        let plan = try await workspace.plan(both, region: "us-east-1")
        let thing = try #require(plan.resources.first { $0.address == "fake_thing.thing" })
        #expect(thing.adopt && thing.action == .noop, "\(thing)")
        #expect(try await workspace.apply(plan, stack: both, command: "apply") { _ in }.ok)
        #expect(!cloud.callLog.contains("create thing"))
    }

    @Test func aRecordedResourceThatAnotherStateOwnsIsNotChangedOrDestroyed() async throws {
        let workspace = workspace()
        var thing = FakeResource("thing")
        let stack = makeStack([thing])
        #expect(try await workspace.apply(try await workspace.plan(stack, region: "us-east-1"), stack: stack, command: "apply") { _ in }.ok)
        var live = try #require(cloud.attributes("thing"))
        live["tags"] = .object(Ownership(stack: "other", environment: "default", state: "feedfacefeedface").tagValues)
        cloud.put("thing", live)
        thing.size = 2
        let changed = await message { try await workspace.plan(makeStack([thing]), region: "us-east-1") }
        #expect(changed.contains("carries the ownership tags of stack 'other'"), "\(changed)")
        let before = cloud.callLog.count
        let destroyed = await message { try await workspace.plan(stack, region: "us-east-1", destroy: true) }
        #expect(destroyed.contains("so nothing was destroyed"), "\(destroyed)")
        #expect(Array(cloud.callLog.dropFirst(before)) == ["owner thing"], "a destroy checks existence and tags only, once")
        #expect(!cloud.callLog.contains { $0.hasPrefix("delete") || $0.hasPrefix("update") })
        #expect(cloud.ids == ["thing"])
    }

    @Test func importRefusesAnotherStatesResourceUnlessTakingOwnership() async throws {
        let workspace = workspace()
        let thing = FakeResource("thing")
        let stack = makeStack([thing])
        cloud.put(
            "thing",
            [
                "name": "thing", "kind": "basic", "size": 1,
                "tags": .object(Ownership(stack: "other", environment: "default", state: "feedfacefeedface").tagValues),
            ])
        let refused = await message { try await workspace.importResource(stack, address: thing.address, id: "thing", region: "us-east-1") }
        #expect(refused.contains("belongs to stack 'other'"), "\(refused)")
        #expect(
            try await workspace.store(for: stack, create: false).map { store in
                defer { store.close() }
                return try store.resourceCount()
            } ?? 0 == 0)

        try await workspace.importResource(stack, address: thing.address, id: "thing", region: "us-east-1", takeOwnership: true)
        let plan = try await workspace.plan(stack, region: "us-east-1")
        #expect(plan.resources[0].action == .update)
        #expect(plan.resources[0].changes.contains { $0.path == "tags.cairn:state" }, "the next apply claims it")
        #expect(try await workspace.apply(plan, stack: stack, command: "apply") { _ in }.ok)
        #expect(try await workspace.plan(stack, region: "us-east-1").hasChanges == false)
    }

    @Test func aStateIsUsedOnlyInItsOwnRegion() async throws {
        let directory = temporaryDirectory()
        let home = workspace(stateDir: directory, region: "eu-north-1")
        let stack = makeStack([FakeResource("thing")])
        #expect(try await home.apply(try await home.plan(stack, region: "eu-north-1"), stack: stack, command: "apply") { _ in }.ok)
        let calls = cloud.callLog.count

        let away = workspace(stateDir: directory, region: "us-east-2")
        for attempt in [
            { _ = try await away.plan(stack, region: "us-east-2") },
            { _ = try await away.plan(stack, region: "us-east-2", destroy: true) },
            { _ = try await away.drift(stack) },
            { _ = try await away.importResource(stack, address: "fake_thing.thing", id: "thing", region: "us-east-2") },
        ] as [() async throws -> Void] {
            let text = await message { try await attempt() }
            #expect(text.contains("is for region eu-north-1, but this run uses us-east-2"), "\(text)")
            #expect(text.contains("--region eu-north-1"))
        }
        #expect(cloud.callLog.count == calls, "nothing was read or changed")
        let store = try #require(try await away.store(for: stack, create: false))
        defer { store.close() }
        #expect(try store.metadata("region") == "eu-north-1")
    }

    @Test func theRegionOfAnOlderStateComesFromItsARNs() async throws {
        let workspace = workspace()
        let stack = makeStack([FakeResource("thing")])
        let store = try #require(try await workspace.store(for: stack, create: true))
        defer { store.close() }
        _ = try await store.commit(
            .import(
                .init(
                    address: "fake_thing.thing", type: FakeResource.typeName, physicalID: "thing",
                    attributes: "{}", outputs: #"{"arn": "arn:aws:ecr:eu-north-1:123456789012:repository/thing"}"#,
                    dependencies: [])), command: "import")
        #expect(try workspace.recordedRegion(store, records: workspace.load(store, codec: workspace.codec(create: true)).records) == "eu-north-1")
    }
}

/// A rename replaces the resource, so its new name is checked as a create's is.
@Suite struct RenameCheckTests {
    let cloud = FakeCloud()

    @Test func aRenameToATakenNameStopsThePlanAndAFreeOneIsAReplace() async throws {
        let workspace = makeWorkspace(cloud)
        let stack = makeStack([FakeResource("thing", name: "old")])
        #expect(try await workspace.apply(try await workspace.plan(stack, region: "us-east-1"), stack: stack, command: "apply") { _ in }.ok)
        cloud.put("taken", ["name": "taken", "kind": "basic", "size": 1, "tags": [:]])

        let before = cloud.callLog.count
        do {
            _ = try await workspace.plan(makeStack([FakeResource("thing", name: "taken")]), region: "us-east-1")
            Issue.record("a rename to a taken name was planned")
        } catch {
            #expect("\(error)".contains("taken already exists in AWS and was not created by this stack"), "\(error)")
        }
        #expect(cloud.callLog.dropFirst(before).sorted() == ["read old", "read taken"], "the old name refreshed, the new one checked")

        let free = try await workspace.plan(makeStack([FakeResource("thing", name: "fresh")]), region: "us-east-1")
        #expect(free.resources.map(\.action) == [.replace])
        let unchanged = try await workspace.plan(stack, region: "us-east-1")
        #expect(!unchanged.hasChanges)
        #expect(!cloud.callLog.contains("read old (new name)"))
    }
}

/// Types whose id AWS chooses (a KMS key): an interrupted create's intent names nothing, and the next plan
/// searches by the ownership tags instead.
@Suite struct UnnamedCreateRecoveryTests {
    let cloud = FakeCloud()

    /// `FakeProvider`, except that the cloud picks the id (`<name>-N`) and the intent records none.
    struct UnnamedProvider: UnnamedCreateRecovery {
        var base: FakeProvider
        var typeName: String { base.typeName }
        var replaceOnChange: Set<String> { [] }
        var adoptionProof: AdoptionProof { .ownershipTags }
        func physicalID(for attributes: [String: JSON]) -> String? { nil }
        func read(id: String, prior: [String: JSON]) async throws -> Observed? { try await base.read(id: id, prior: prior) }
        func create(_ attributes: [String: JSON]) async throws -> Applied {
            let id = "\(attributes["name"]?.stringValue ?? "")-\(base.cloud.ids.count + 1)"
            base.cloud.record("create \(id)")
            base.cloud.put(id, attributes.filter { $0.key != "forceDestroy" })
            return Applied(id: id, outputs: [:])
        }
        func update(id: String, from old: [String: JSON], to new: [String: JSON]) async throws -> Applied {
            base.cloud.record("update \(id)")
            base.cloud.put(id, new.filter { $0.key != "forceDestroy" })
            return Applied(id: id, outputs: [:])
        }
        func delete(id: String, attributes: [String: JSON]) async throws { try await base.delete(id: id, attributes: attributes) }
        func findInterruptedCreate(
            _ attributes: [String: JSON], ownership: Ownership, since: Date, excluding: Set<String>
        ) async throws -> Observed? {
            base.cloud.record("search")
            let found = base.cloud.ids.filter { id in
                !excluding.contains(id) && Ownership.owner(of: base.cloud.attributes(id) ?? [:])?.state == ownership.state
            }
            guard found.count <= 1 else {
                throw RecoveryAmbiguity(typeName: typeName, candidates: found, advice: "import the one to keep.")
            }
            guard let id = found.first else { return nil }
            return try await read(id: id, prior: [:])
        }
    }

    func workspace() -> Workspace {
        Workspace(
            stateDir: temporaryDirectory(),
            providers: ProviderRegistry([UnnamedProvider(base: FakeProvider(typeName: FakeResource.typeName, cloud: cloud))]),
            environment: ["CAIRN_STATE_KEY": "test passphrase"])
    }

    /// A crash after the create call of `address`: its intent, with no name. Returns the state's lineage.
    func interruptedCreate(_ workspace: Workspace, _ stack: Stack, address: String) async throws -> String {
        let store = try #require(try await workspace.store(for: stack, create: true))
        defer { store.close() }
        _ = try await store.recordIntent(address: address, type: FakeResource.typeName, plannedName: nil, command: "apply")
        return store.lineage
    }

    func madeByTheCrash(_ id: String, lineage: String) {
        let tags = Ownership(stack: "test", environment: "default", state: lineage).tagValues
        cloud.put(id, ["name": "thing", "kind": "basic", "size": 1, "tags": .object(tags)])
    }

    @Test func theOneResourceCarryingThisStatesTagsIsAdoptedOnce() async throws {
        let workspace = workspace()
        let stack = makeStack([FakeResource("thing")])
        let lineage = try await interruptedCreate(workspace, stack, address: "fake_thing.thing")
        madeByTheCrash("thing-1", lineage: lineage)
        let plan = try await workspace.plan(stack, region: "us-east-1")
        #expect(plan.resources[0].adopt)
        #expect(plan.resources[0].id == "thing-1")
        #expect(plan.resources[0].reason?.contains("it carries this state's ownership tag") == true, "\(plan.resources[0])")
        #expect(try await workspace.apply(plan, stack: stack, command: "apply") { _ in }.ok)
        #expect(cloud.ids == ["thing-1"], "not created a second time")
        #expect(try await workspace.plan(stack, region: "us-east-1").hasChanges == false)
        let store = try #require(try await workspace.store(for: stack, create: false))
        defer { store.close() }
        #expect(try store.pendingIntents().isEmpty)
    }

    @Test func nothingFoundIsCreatedAndTwoCandidatesStopThePlan() async throws {
        let workspace = workspace()
        let stack = makeStack([FakeResource("thing")])
        let lineage = try await interruptedCreate(workspace, stack, address: "fake_thing.thing")
        let plan = try await workspace.plan(stack, region: "us-east-1")
        #expect(plan.resources.map(\.action) == [.create], "the crash came before AWS made anything")
        #expect(cloud.callLog == ["search"])

        madeByTheCrash("thing-1", lineage: lineage)
        madeByTheCrash("thing-2", lineage: lineage)
        do {
            _ = try await workspace.plan(stack, region: "us-east-1")
            Issue.record("two candidates were not refused")
        } catch {
            let text = "\(error)"
            #expect(text.contains("fake_thing.thing: a create of it was interrupted"), "\(text)")
            #expect(text.contains("(thing-1, thing-2), so Cairn cannot tell which one it made: import the one to keep."), "\(text)")
        }
        #expect(cloud.callLog.allSatisfy { $0 == "search" || $0.hasPrefix("read ") }, "the plan changed nothing")
    }

    @Test func oneResourceFoundByTwoInterruptedCreatesIsAdoptedByNeither() async throws {
        let workspace = workspace()
        let stack = makeStack([FakeResource("one", name: "thing"), FakeResource("two", name: "thing")])
        let lineage = try await interruptedCreate(workspace, stack, address: "fake_thing.one")
        _ = try await interruptedCreate(workspace, stack, address: "fake_thing.two")
        madeByTheCrash("thing-1", lineage: lineage)
        do {
            _ = try await workspace.plan(stack, region: "us-east-1")
            Issue.record("adopted one resource at two addresses")
        } catch {
            let text = "\(error)"
            #expect(text.contains("the fake_thing thing-1 carries this state's ownership tags"), "\(text)")
            #expect(text.contains("the interrupted creates of fake_thing.one and fake_thing.two could each have made it"), "\(text)")
            #expect(text.contains("cairn import test ADDRESS thing-1"), "\(text)")
        }
    }

    @Test func withoutRefreshThePlanAsksForOne() async throws {
        let workspace = workspace()
        let stack = makeStack([FakeResource("thing")])
        _ = try await interruptedCreate(workspace, stack, address: "fake_thing.thing")
        do {
            _ = try await workspace.plan(stack, region: "us-east-1", refresh: false)
            Issue.record("planned without looking")
        } catch {
            #expect("\(error)".contains("a create of it was interrupted; plan with refresh"), "\(error)")
        }
    }
}

/// A new resource whose name is made of a look-up's output (a bucket named after the account id): its name is
/// checked once the look-up is known, like any other.
@Suite struct LookupNamedCreationTests {
    let cloud = FakeCloud()

    struct Account: ResourceDeclaration {
        static let typeName = "fake_account"
        let logicalName = "current"
        let options = ResourceOptions()
        var attributes: [String: Value] { [:] }
        func validate() -> [ValidationIssue] { [] }
    }

    struct AccountProvider: LookupProvider {
        let typeName = Account.typeName
        func lookup(_ attributes: [String: JSON]) async throws -> [String: JSON] { ["accountId": "123456789012"] }
    }

    /// A fake resource named `artifacts-<account id>`.
    struct Named: ResourceDeclaration {
        static let typeName = FakeResource.typeName
        let logicalName = "artifacts"
        let options = ResourceOptions()
        var attributes: [String: Value] {
            [
                "name": .concat([.json("artifacts-"), .reference(Account().output("accountId"))]), "kind": .json("basic"),
                "size": .json(1), "tags": .json([:]), "forceDestroy": .json(false),
            ]
        }
        func validate() -> [ValidationIssue] { [] }
    }

    @Test func aNameTakenUnderTheLookedUpAccountStopsThePlan() async throws {
        let workspace = Workspace(
            stateDir: temporaryDirectory(),
            providers: ProviderRegistry([FakeProvider(typeName: FakeResource.typeName, cloud: cloud), AccountProvider()]),
            environment: ["CAIRN_STATE_KEY": "test passphrase"])
        let stack = makeStack([Account(), Named()])
        let free = try await workspace.plan(stack, region: "us-east-1")
        #expect(free.resources.first { $0.address == "fake_thing.artifacts" }?.action == .create)
        #expect(cloud.callLog == ["read artifacts-123456789012"], "the name was checked, with the account id in it")

        cloud.put("artifacts-123456789012", ["name": "artifacts-123456789012", "kind": "basic", "size": 1, "tags": ["owner": "a colleague"]])
        do {
            _ = try await workspace.plan(stack, region: "us-east-1")
            Issue.record("planned a create over a look-alike")
        } catch {
            #expect("\(error)".contains("artifacts-123456789012 already exists in AWS and was not created by this stack"), "\(error)")
        }
    }
}
