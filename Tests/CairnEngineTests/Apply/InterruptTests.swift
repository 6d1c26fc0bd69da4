import CairnEngine
import CairnJSON
import CairnState
import Foundation
import Testing

/// Stopping an apply between operations (what the CLI does on SIGINT/SIGTERM), and applies that take
/// the lock before planning; the stop is driven directly, no signal involved.
@Suite struct InterruptTests {
    let cloud = FakeCloud()

    @Test(.timeLimit(.minutes(10)))
    func aStopLetsTheRunningOperationFinishAndStartsNoOther() async throws {
        let gate = Gate()
        let workspace = makeWorkspace(cloud, gates: ["a": gate])
        let a = FakeResource("a")
        var b = FakeResource("b")
        b.link = .reference(a.arn)
        let c = FakeResource("c")
        let stack = makeStack([a, b, c])
        let control = ApplyControl()
        let applying = Task {
            try await workspace.apply(
                stack, region: "us-east-1", parallelism: 1, command: "apply", control: control,
                approve: { _ in true }, events: { _ in })
        }
        await gate.entered.wait()
        #expect(control.requestStop() == ["fake_thing.a"], "the create of a is in flight")
        gate.opened.signal()
        let report = try #require(try await applying.value.report)

        #expect(report.interrupted)
        #expect(!report.ok)
        #expect(report.succeeded == ["fake_thing.a"])
        #expect(report.failed.isEmpty && report.skipped.isEmpty)
        #expect(report.notStarted == ["fake_thing.b", "fake_thing.c"])
        #expect(report.failureSummary.contains("fake_thing.c: not started (interrupted)"))
        #expect(cloud.callLog.filter { $0.hasPrefix("create") } == ["create a"])
        let store = try #require(try await workspace.store(for: stack, create: false))
        #expect(try store.resources().map(\.address) == ["fake_thing.a"], "the operation that finished is recorded")
        #expect(try store.pendingIntents().isEmpty)
        #expect(try await store.currentLock() == nil, "the lock is released")
        store.close()

        // The next run carries on with what was not started, and creates each resource once.
        let rerun = try await workspace.apply(stack, region: "us-east-1", command: "apply", approve: { _ in true }, events: { _ in })
        #expect(rerun.plan.resources.map(\.action) == [.noop, .create, .create])
        #expect(rerun.report?.ok == true)
        #expect(cloud.callLog.filter { $0.hasPrefix("create") }.sorted() == ["create a", "create b", "create c"])
    }

    /// A lock force-unlocked from elsewhere while an apply runs: the apply starts nothing more.
    @Test(.timeLimit(.minutes(10)))
    func anApplyWhoseLockIsTakenStopsChangingThings() async throws {
        let gate = Gate()
        let workspace = makeWorkspace(cloud, gates: ["a": gate])
        let a = FakeResource("a")
        var b = FakeResource("b")
        b.link = .reference(a.arn)
        let stack = makeStack([a, b])
        let applying = Task {
            try await workspace.apply(stack, region: "us-east-1", parallelism: 1, command: "apply", approve: { _ in true }, events: { _ in })
        }
        await gate.entered.wait()
        // As seen from another host, where the holder cannot be checked.
        let store = try #require(
            try StateStore.open(
                stateDir: workspace.stateDir, stack: stack.name, create: false,
                identity: ProcessIdentity(pid: 1, host: "ci-runner-elsewhere")))
        defer { store.close() }
        let holder = try #require(try store.currentLock())
        _ = try store.forceUnlock(lockID: holder.lockID)
        let other = try store.tryAcquireLock(command: "apply (another host)")
        gate.opened.signal()
        let report = try #require(try await applying.value.report)
        #expect(!report.ok)
        #expect(report.succeeded == ["fake_thing.a"], "the call in flight finished and is recorded")
        #expect(report.failed.first?.message.contains("lock was released by someone else") == true, "\(report.failed)")
        #expect(!cloud.callLog.contains("create b"))
        #expect(try store.currentLock()?.lockID == other.lockID, "the other run's lock is left alone")
        try other.release()
    }

    @Test func aStopBeforeTheApplyStartsNothing() async throws {
        let workspace = makeWorkspace(cloud)
        let stack = makeStack([FakeResource("a")])
        let control = ApplyControl()
        #expect(control.requestStop() == nil, "no operation has started")
        let approved = Locked(false)
        let result = try await workspace.apply(
            stack, region: "us-east-1", command: "apply", control: control,
            approve: { _ in
                approved.set(true)
                return true
            }, events: { _ in })
        #expect(result.report == nil)
        #expect(result.plan.count(.create) == 1)
        #expect(!approved.value, "no confirmation is asked for an apply that will not run")
        #expect(cloud.callLog.filter { !$0.hasPrefix("read") }.isEmpty)
        // A saved plan stopped before its first operation reports everything as not started.
        let plan = try await workspace.plan(stack, region: "us-east-1")
        let report = try await workspace.apply(plan, stack: stack, command: "apply", control: control) { _ in }
        #expect(report.notStarted == ["fake_thing.a"])
        #expect(report.interrupted)
    }

    @Test(.timeLimit(.minutes(10)))
    func aSecondApplyWaitsForTheLockThenPlansAgainstTheNewState() async throws {
        let gate = Gate()
        let workspace = makeWorkspace(cloud, gates: ["a": gate])
        let a = FakeResource("a")
        let first = Task {
            try await workspace.apply(makeStack([a]), region: "us-east-1", command: "apply", approve: { _ in true }, events: { _ in })
        }
        await gate.entered.wait()

        // The first apply holds the lock: the second waits for it, and only then plans.
        let waiting = Latch()
        let holder = Locked<LockInfo?>(nil)
        let second = Task {
            try await workspace.apply(
                makeStack([a, FakeResource("d")]), region: "us-east-1", lockTimeout: .seconds(120), command: "apply",
                waiting: {
                    holder.set($0)
                    waiting.signal()
                }, approve: { _ in true }, events: { _ in })
        }
        await waiting.wait()
        #expect(holder.value?.command == "apply")
        #expect(holder.value?.pid == getpid())
        gate.opened.signal()

        #expect(try await first.value.report?.ok == true)
        let result = try await second.value
        #expect(result.plan.resources.map(\.action) == [.noop, .create], "only its own change: a is already there")
        #expect(result.report?.ok == true)
        #expect(cloud.callLog.filter { $0.hasPrefix("create") }.sorted() == ["create a", "create d"])
    }

    @Test func withoutALockTimeoutALockedStackIsRefusedBeforePlanning() async throws {
        let workspace = makeWorkspace(cloud)
        let stack = makeStack([FakeResource("a")])
        let store = try #require(try await workspace.store(for: stack, create: true))
        let lock = try await store.acquireLock(command: "apply (elsewhere)")
        let called = Locked(false)
        await #expect(throws: StateError.self) {
            _ = try await workspace.apply(
                stack, region: "us-east-1", command: "apply", waiting: { _ in called.set(true) },
                approve: { _ in true }, events: { _ in })
        }
        #expect(!called.value)
        #expect(cloud.callLog.isEmpty, "nothing was read or planned")
        _ = try await lock.unlock()
        store.close()
    }
}

/// A one-way signal between tasks: `wait()` returns once `signal()` was called (before or after).
final class Latch: @unchecked Sendable {
    private let lock = NSLock()
    private var isSet = false
    private var waiters: [CheckedContinuation<Void, Never>] = []

    func signal() {
        lock.lock()
        isSet = true
        let waiting = waiters
        waiters = []
        lock.unlock()
        for waiter in waiting { waiter.resume() }
    }

    func wait() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            lock.lock()
            if isSet {
                lock.unlock()
                continuation.resume()
            } else {
                waiters.append(continuation)
                lock.unlock()
            }
        }
    }
}

/// Holds a provider call in flight: `entered` once the call began, and the call goes on once `opened`.
struct Gate: Sendable {
    let entered = Latch()
    let opened = Latch()

    func pass() async {
        entered.signal()
        await opened.wait()
    }
}

/// A value shared with a closure that may run on another task.
final class Locked<Value: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: Value
    init(_ value: Value) { stored = value }
    var value: Value {
        lock.lock()
        defer { lock.unlock() }
        return stored
    }
    func set(_ value: Value) {
        lock.lock()
        stored = value
        lock.unlock()
    }
}

/// `FakeProvider` whose create or delete of a gated id waits at its gate.
struct GatedProvider: ResourceProvider {
    let base: FakeProvider
    let gates: [String: Gate]
    var typeName: String { base.typeName }
    var replaceOnChange: Set<String> { base.replaceOnChange }

    func physicalID(for attributes: [String: JSON]) -> String? { base.physicalID(for: attributes) }
    func read(id: String, prior: [String: JSON]) async throws -> Observed? { try await base.read(id: id, prior: prior) }

    func create(_ attributes: [String: JSON]) async throws -> Applied {
        if let id = physicalID(for: attributes), let gate = gates[id] { await gate.pass() }
        return try await base.create(attributes)
    }

    func update(id: String, from old: [String: JSON], to new: [String: JSON]) async throws -> Applied {
        try await base.update(id: id, from: old, to: new)
    }

    func delete(id: String, attributes: [String: JSON]) async throws {
        if let gate = gates[id] { await gate.pass() }
        try await base.delete(id: id, attributes: attributes)
    }
}

/// A workspace over a fake cloud whose calls for the ids in `gates` wait at those gates.
func makeWorkspace(_ cloud: FakeCloud, gates: [String: Gate]) -> Workspace {
    let provider = GatedProvider(base: FakeProvider(typeName: FakeResource.typeName, cloud: cloud), gates: gates)
    return Workspace(stateDir: temporaryDirectory(), providers: ProviderRegistry([provider]), environment: ["CAIRN_STATE_KEY": "test passphrase"])
}
