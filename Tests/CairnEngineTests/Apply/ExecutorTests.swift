import CairnEngine
import CairnJSON
import CairnState
import Foundation
import Testing

@Suite struct ExecutorTests {
    let cloud = FakeCloud()

    @Test func createsFollowDependencies() async throws {
        let workspace = makeWorkspace(cloud)
        let a = FakeResource("a")
        var b = FakeResource("b")
        b.link = .reference(a.arn)
        var c = FakeResource("c")
        c.link = .reference(b.arn)
        let stack = makeStack([c, b, a])
        let events = EventLog()
        let plan = try await workspace.plan(stack, region: "us-east-1")
        let report = try await workspace.apply(plan, stack: stack, parallelism: 8, command: "apply", events: events.add)
        #expect(report.ok)
        #expect(
            events.all == [
                "start create fake_thing.a", "done create fake_thing.a", "start create fake_thing.b",
                "done create fake_thing.b", "start create fake_thing.c", "done create fake_thing.c",
            ])
        #expect(cloud.attributes("c")?["link"] == "arn:fake:b")
    }

    /// An operation that only waits (for a throttled API's token) gives its place to the next one: the creates
    /// waiting here go on only once the others have begun, which they could not if the waiting ones kept both places.
    @Test(.timeLimit(.minutes(1)))  // bound: a place that is not lent leaves the waiting creates waiting forever
    func anOperationThatWaitsLendsItsPlace() async throws {
        let workspace = makeWorkspace(cloud)
        let stack = makeStack(["slow1", "slow2", "fast1", "fast2", "fast3"].map { FakeResource($0) })
        cloud.idling = ["slow1", "slow2"]
        cloud.releasing = ["fast1", "fast2", "fast3"]
        let report = try await workspace.apply(
            try await workspace.plan(stack, region: "us-east-1"), stack: stack, parallelism: 2, command: "apply"
        ) { _ in }
        #expect(report.ok)
        #expect(cloud.ids == ["fast1", "fast2", "fast3", "slow1", "slow2"])
        #expect(cloud.mostWorking <= 2)
        #expect(cloud.lent)
    }

    /// With one place nothing is lent: the creates go one after the other, in the plan's order.
    @Test func oneAtATimeStaysOneAtATime() async throws {
        let workspace = makeWorkspace(cloud)
        let stack = makeStack(["slow1", "fast1"].map { FakeResource($0) })
        cloud.idling = ["slow1"]
        cloud.releasing = ["slow1"]
        let report = try await workspace.apply(
            try await workspace.plan(stack, region: "us-east-1"), stack: stack, parallelism: 1, command: "apply"
        ) { _ in }
        #expect(report.ok)
        #expect(cloud.callLog.filter { $0.hasPrefix("create") } == ["create slow1", "create fast1"])
        #expect(cloud.mostWorking == 1)
        #expect(!cloud.lent)
    }

    /// What a provider says it waits for reaches the apply's progress, under the address of the change.
    @Test func aProvidersWaitingLinesAreReportedForItsChange() async throws {
        let workspace = makeWorkspace(cloud)
        let stack = makeStack([FakeResource("a"), FakeResource("b")])
        cloud.waiting = ["b"]
        let events = EventLog()
        let report = try await workspace.apply(
            try await workspace.plan(stack, region: "us-east-1"), stack: stack, command: "apply", events: events.add)
        #expect(report.ok)
        #expect(events.all.filter { $0.hasPrefix("waiting") } == ["waiting fake_thing.b: waiting for the role of b to reach Fake (attempt 2)"])
    }

    @Test func aFailureStopsItsDependentsOnlyAndARerunCarriesOn() async throws {
        let workspace = makeWorkspace(cloud)
        let base = FakeResource("base")
        var child = FakeResource("child")
        child.link = .reference(base.arn)
        let loner = FakeResource("loner")
        let stack = makeStack([base, child, loner])
        cloud.failing = ["base"]
        let report = try await workspace.apply(try await workspace.plan(stack, region: "us-east-1"), stack: stack, command: "apply") { _ in }
        #expect(!report.ok)
        #expect(report.failed.map(\.address) == ["fake_thing.base"])
        #expect(report.failed[0].message.contains("create of base refused"))
        #expect(report.skipped.map(\.address) == ["fake_thing.child"])
        #expect(report.skipped[0].blockedBy == "fake_thing.base")
        #expect(report.succeeded == ["fake_thing.loner"])
        let store = try #require(try await workspace.store(for: stack, create: false))
        #expect(try store.resources().map(\.address) == ["fake_thing.loner"], "what finished is recorded")
        store.close()

        cloud.failing = []
        let rerun = try await workspace.plan(stack, region: "us-east-1")
        #expect(rerun.resources.map(\.action) == [.create, .create, .noop])
        #expect(try await workspace.apply(rerun, stack: stack, command: "apply") { _ in }.ok)
        #expect(cloud.callLog.filter { $0 == "create loner" }.count == 1)
    }

    @Test func anInterruptedCreateIsAdoptedNotDuplicated() async throws {
        let workspace = makeWorkspace(cloud)
        let thing = FakeResource("thing")
        let stack = makeStack([thing])
        // What a crash between the create call and its commit leaves: an intent, and the resource in the cloud.
        let store = try #require(try await workspace.store(for: stack, create: true))
        _ = try await store.recordIntent(address: thing.address, type: FakeResource.typeName, plannedName: "thing", command: "apply")
        let owned = Ownership(stack: stack.name, environment: "default", state: store.lineage).tagValues
        store.close()
        cloud.put("thing", ["name": "thing", "kind": "basic", "size": 1, "tags": .object(owned)])

        let plan = try await workspace.plan(stack, region: "us-east-1")
        #expect(plan.resources[0].adopt)
        #expect(plan.resources[0].action == .noop)
        #expect(plan.resources[0].reason?.contains("adopting thing") == true)
        let report = try await workspace.apply(plan, stack: stack, command: "apply") { _ in }
        #expect(report.ok)
        #expect(!cloud.callLog.contains("create thing"))
        let reopened = try #require(try await workspace.store(for: stack, create: false))
        #expect(try reopened.pendingIntents().isEmpty)
        #expect(try reopened.resource(at: thing.address)?.physicalID == "thing")
        #expect(try reopened.history().first?.action == .adopt)
        reopened.close()
        #expect(try await workspace.plan(stack, region: "us-east-1").hasChanges == false)
    }

    /// A workspace whose fake type proves an interrupted create's look-alike by `proof`.
    private func workspace(proof: AdoptionProof) -> Workspace {
        var provider = FakeProvider(typeName: FakeResource.typeName, cloud: cloud)
        provider.adoptionProof = proof
        return Workspace(
            stateDir: temporaryDirectory(), providers: ProviderRegistry([provider]), environment: ["CAIRN_STATE_KEY": "test passphrase"])
    }

    /// A create whose answer was lost (AWS made the resource, a reset hid it) is found in the same apply, proved this
    /// state's, adopted and finished, rather than failing or being made twice. The proof is its ownership tag; or, for a
    /// type whose tags go on after the create (a bucket, left untagged), the creation time AWS reports apart from the
    /// read, as the next plan would prove it (CreateBucket's retry answering BucketAlreadyOwnedByYou once failed here).
    @Test(arguments: [false, true])
    func aCreateWhoseAnswerWasLostIsAdoptedAndFinishedInTheSameApply(tagsByLaterCall: Bool) async throws {
        let workspace = tagsByLaterCall ? workspace(proof: .ownershipTagsOrCreationTime) : makeWorkspace(cloud)
        let stack = makeStack([FakeResource("thing")])
        cloud.losingAnswers = ["thing"]
        cloud.tagsByLaterCall = tagsByLaterCall
        let events = EventLog()
        let report = try await workspace.apply(
            try await workspace.plan(stack, region: "us-east-1"), stack: stack, command: "apply", events: events.add)
        #expect(report.ok, "\(report.failureSummary)")
        #expect(cloud.callLog.filter { $0.hasPrefix("create") } == ["create thing"])
        #expect(cloud.callLog.contains("update thing"), "the step the lost create never ran is done by an update")
        #expect(cloud.callLog.contains("creation date thing") == tagsByLaterCall)
        #expect(cloud.attributes("thing")?["size"] == 1)
        #expect(cloud.attributes("thing")?["tags"]?["cairn:stack"] == "test")
        #expect(events.all.contains("waiting fake_thing.thing: its create's answer was lost, but AWS made it: adopting thing"))
        let store = try #require(try await workspace.store(for: stack, create: false))
        #expect(try store.pendingIntents().isEmpty)
        #expect(try store.resource(at: "fake_thing.thing")?.physicalID == "thing")
        store.close()
        #expect(try await workspace.plan(stack, region: "us-east-1").hasChanges == false)
    }

    /// An untagged look-alike made before the create began is not this create's: nothing is adopted.
    @Test func anUntaggedLookAlikeOlderThanTheCreateIsNotAdopted() async throws {
        let workspace = workspace(proof: .ownershipTagsOrCreationTime)
        let stack = makeStack([FakeResource("thing")])
        let plan = try await workspace.plan(stack, region: "us-east-1", refresh: false)
        cloud.put("thing", ["name": "thing", "kind": "basic", "size": 1, "tags": [:]])
        cloud.withLock { cloud.creationDates["thing"] = Date(timeIntervalSinceNow: -3600) }
        cloud.failing = ["thing"]
        let report = try await workspace.apply(plan, stack: stack, command: "apply") { _ in }
        #expect(report.failed.map(\.address) == ["fake_thing.thing"])
        #expect(cloud.attributes("thing")?["tags"] == [:])
        #expect(!cloud.callLog.contains("update thing"))
    }

    /// Without proof that the resource found is this create's (another stack's tag), nothing is adopted: the create
    /// fails and its intent stays for the next plan to decide.
    @Test func aLostAnswerWithoutProofAdoptsNothing() async throws {
        let workspace = makeWorkspace(cloud)
        let stack = makeStack([FakeResource("thing")])
        let foreign: JSON = ["cairn:stack": "other", "cairn:env": "default", "cairn:state": "someone-else"]
        cloud.put("thing", ["name": "thing", "tags": foreign])
        // A plan without refresh does not see the name taken; the create fails without an answer.
        let plan = try await workspace.plan(stack, region: "us-east-1", refresh: false)
        cloud.failing = ["thing"]
        let report = try await workspace.apply(plan, stack: stack, command: "apply") { _ in }
        #expect(report.failed.map(\.address) == ["fake_thing.thing"])
        #expect(report.failed.first?.message.contains("create of thing refused") == true)
        #expect(cloud.attributes("thing")?["tags"] == foreign)
        #expect(!cloud.callLog.contains("update thing"))
        let store = try #require(try await workspace.store(for: stack, create: false))
        #expect(try store.pendingIntents().map(\.plannedName) == ["thing"], "the intent stays for the next plan to decide")
        #expect(try store.resource(at: "fake_thing.thing") == nil)
        store.close()
    }

    @Test func anIntentWhoseCreateNeverHappenedIsCreatedOnce() async throws {
        let workspace = makeWorkspace(cloud)
        let thing = FakeResource("thing")
        let stack = makeStack([thing])
        let store = try #require(try await workspace.store(for: stack, create: true))
        _ = try await store.recordIntent(address: thing.address, type: FakeResource.typeName, plannedName: "thing", command: "apply")
        store.close()
        let plan = try await workspace.plan(stack, region: "us-east-1")
        #expect(plan.resources[0].action == .create)
        #expect(try await workspace.apply(plan, stack: stack, command: "apply") { _ in }.ok)
        let reopened = try #require(try await workspace.store(for: stack, create: false))
        #expect(try reopened.pendingIntents().isEmpty)
        reopened.close()
        #expect(cloud.callLog.filter { $0 == "create thing" }.count == 1)
    }

    @Test func aLockedStackRefusesASecondApply() async throws {
        let workspace = makeWorkspace(cloud)
        let stack = makeStack([FakeResource("a")])
        let store = try #require(try await workspace.store(for: stack, create: true))
        let lock = try await store.acquireLock(command: "apply")
        let plan = try await workspace.plan(stack, region: "us-east-1")
        do {
            _ = try await workspace.apply(plan, stack: stack, command: "apply") { _ in }
            Issue.record("a second apply ran while the stack was locked")
        } catch {
            #expect("\(error)".contains("locked by pid"))
            #expect("\(error)".contains("running 'apply'"))
        }
        #expect(cloud.callLog.allSatisfy { $0.hasPrefix("read ") }, "nothing changed")
        _ = try await lock.unlock()
        store.close()
        #expect(try await workspace.apply(plan, stack: stack, command: "apply") { _ in }.ok)
    }

    @Test func destroyDeletesEverythingInReverseOrder() async throws {
        let workspace = makeWorkspace(cloud)
        let a = FakeResource("a")
        var b = FakeResource("b")
        b.link = .reference(a.arn)
        let stack = makeStack([a, b])
        _ = try await workspace.apply(try await workspace.plan(stack, region: "us-east-1"), stack: stack, command: "apply") { _ in }
        let plan = try await workspace.plan(stack, region: "us-east-1", destroy: true)
        #expect(plan.mode == "destroy")
        let events = EventLog()
        #expect(try await workspace.apply(plan, stack: stack, command: "destroy", events: events.add).ok)
        #expect(events.all.filter { $0.hasPrefix("done") } == ["done delete fake_thing.b", "done delete fake_thing.a"])
        #expect(cloud.ids.isEmpty)
        let store = try #require(try await workspace.store(for: stack, create: false))
        #expect(try store.resources().isEmpty)
        #expect(try store.history().count == 4)
        store.close()
    }
}
