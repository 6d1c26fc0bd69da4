import CSQLite
import Foundation
import Testing

@testable import CairnState

/// A wall clock tests move by hand; sleeping on it moves it.
final class FakeTime: @unchecked Sendable {
    private let mutex = NSLock()
    private var current = Date(timeIntervalSince1970: 1_800_000_000)

    var now: Date { mutex.withLock { current } }
    func advance(_ seconds: TimeInterval) { mutex.withLock { current = current.addingTimeInterval(seconds) } }

    /// Leases on this clock; renewals and writes behind an apply that should never come on their own (an hour or
    /// more) wait until cancelled.
    func settings(renewEvery: Duration = .seconds(3600), writeBehind: Duration = .seconds(3600)) -> LeaseSettings {
        LeaseSettings(
            lease: .seconds(60), renewEvery: renewEvery, grace: .seconds(60), now: { [self] in now },
            sleep: { [self] duration in
                // A renewal that should never come waits until its lock lets go (cancelled), without moving time.
                if duration >= .seconds(3600) { try await Task.sleep(for: .seconds(86_400)) }  // bound: cancelled at unlock or write
                advance(Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18)
                await Task.yield()
            }, writeBehind: writeBehind)
    }
}

/// A wall clock that moves only when the test moves it: a sleep on it ends once the clock has passed its end (or its
/// task is cancelled). The test sees each sleep begin, so it waits for a background loop to come round again instead
/// of polling.
final class SteppedTime: @unchecked Sendable {
    private let mutex = NSLock()
    private var current = Date(timeIntervalSince1970: 1_800_000_000)
    private var sleepers: [Int: (until: Date, continuation: CheckedContinuation<Void, any Error>)] = [:]
    private var nextID = 0
    private var begun = 0
    private var countWaiters: [(count: Int, continuation: CheckedContinuation<Void, Never>)] = []

    var now: Date { mutex.withLock { current } }

    /// Leases on this clock, renewed every `renewEvery`.
    func settings(renewEvery: Duration) -> LeaseSettings {
        LeaseSettings(
            lease: .seconds(60), renewEvery: renewEvery, grace: .seconds(60), now: { [self] in now }, sleep: { [self] in try await sleep($0) })
    }

    func sleep(_ duration: Duration) async throws {
        let id = mutex.withLock { () -> Int in
            nextID += 1
            return nextID
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                if Task.isCancelled { return continuation.resume(throwing: CancellationError()) }
                let ready = mutex.withLock { () -> [CheckedContinuation<Void, Never>] in
                    sleepers[id] = (current.addingTimeInterval(RemoteLock.seconds(duration)), continuation)
                    begun += 1
                    defer { countWaiters.removeAll { $0.count <= begun } }
                    return countWaiters.filter { $0.count <= begun }.map(\.continuation)
                }
                for waiter in ready { waiter.resume() }
            }
        } onCancel: {
            mutex.withLock { sleepers.removeValue(forKey: id) }?.continuation.resume(throwing: CancellationError())
        }
    }

    /// Moves the clock on, ending the sleeps it passes.
    func advance(_ seconds: TimeInterval) {
        let due = mutex.withLock { () -> [CheckedContinuation<Void, any Error>] in
            current = current.addingTimeInterval(seconds)
            let due = sleepers.filter { $0.value.until <= current }
            for id in due.keys { sleepers[id] = nil }
            return due.map(\.value.continuation)
        }
        for continuation in due { continuation.resume() }
    }

    /// Returns once `count` sleeps have begun on this clock in all (ended or not): the last of them waits for the clock.
    /// Returns at once when the task is cancelled (a test's time limit).
    func sleeps(_ count: Int) async {
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let done = mutex.withLock { () -> Bool in
                    if begun >= count || Task.isCancelled { return true }
                    countWaiters.append((count, continuation))
                    return false
                }
                if done { continuation.resume() }
            }
        } onCancel: {
            let waiting = mutex.withLock { () -> [CheckedContinuation<Void, Never>] in
                defer { countWaiters = [] }
                return countWaiters.map(\.continuation)
            }
            for waiter in waiting { waiter.resume() }
        }
    }
}

/// Two runs on two machines: each its own working copy, one bucket.
struct SharedBucket {
    let objects = MemoryObjectStore()
    let dir: TempDirectory
    let time = FakeTime()

    init() throws { dir = try TempDirectory() }

    func backend(_ time: FakeTime? = nil) -> RemoteBackend {
        RemoteBackend(objects: objects, prefix: "team/states", settings: (time ?? self.time).settings(), replicaRoot: dir.url)
    }

    func open(create: Bool = true, host: String = "laptop", pid: Int32 = 4242, time: FakeTime? = nil) async throws -> StateSession? {
        try await StateSession.remote(
            backend(time), stack: testStack, environment: testEnvironment, create: create,
            identity: ProcessIdentity(pid: pid, host: host))
    }

    func journalKeys() -> [String] { objects.contents.keys.filter { $0.contains("/journal/") }.sorted() }

    /// A new state's session with these lease settings.
    func open(settings: LeaseSettings) async throws -> StateSession {
        let backend = RemoteBackend(objects: objects, prefix: "team/states", settings: settings, replicaRoot: dir.url)
        return try #require(try await StateSession.remote(backend, stack: testStack, environment: testEnvironment, create: true))
    }
}

@Suite("Shared state in an object store")
struct RemoteStateTests {
    @Test func everyWriteIsAJournalEntryThatAnotherRunReplaysExactly() async throws {
        let bucket = try SharedBucket()
        let first = try #require(try await bucket.open())
        let lock = try await first.tryAcquireLock(command: "apply")
        let intent = try await first.recordIntent(address: "aws_s3_bucket.a", type: "aws_s3_bucket", plannedName: "a", command: "apply")
        try await first.commitCreate(sampleRecord("aws_s3_bucket.a"), command: "apply", resolvingIntent: intent.id)
        _ = try await first.recordIntent(address: "aws_s3_bucket.b", type: "aws_s3_bucket", plannedName: "b", command: "apply")
        try await first.setOutputs(json: #"{"x":1}"#)
        // The first write creates the state's snapshot (holding it); each later one is one small object.
        #expect(bucket.objects.contents["team/states/web/default/state"] != nil)
        #expect(bucket.journalKeys().count == 3, "one small object per write, not the whole state")

        // Another machine, mid-apply (the lock still held): the same rows, ids, serials and times.
        let second = try #require(try await bucket.open(host: "ci"))
        #expect(try second.resources() == first.resources())
        #expect(try second.history() == first.history())
        #expect(try second.pendingIntents() == first.pendingIntents())
        #expect(try second.pendingIntents().map(\.address) == ["aws_s3_bucket.b"], "the interrupted create's intent is shared")
        #expect(try second.outputs() == #"{"x":1}"#)
        #expect(try second.snapshot() == first.snapshot())
        second.close()

        // After the lock is let go, a later reader gets the same.
        #expect(try await first.release(lock))
        let third = try #require(try await bucket.open(host: "ci"))
        #expect(try third.history() == first.history())
        #expect(try third.pendingIntents() == first.pendingIntents())
        first.close()
        third.close()
    }

    @Test func writesThatArriveTogetherShareJournalEntriesAndEachIsDurable() async throws {
        let bucket = try SharedBucket()
        let session = try #require(try await bucket.open())
        let lock = try await session.tryAcquireLock(command: "apply")
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<40 {
                group.addTask {
                    let address = "aws_s3_bucket.b\(index)"
                    let intent = try await session.recordIntent(address: address, type: "aws_s3_bucket", plannedName: "b\(index)", command: "apply")
                    try await session.commitCreate(sampleRecord(address), command: "apply", resolvingIntent: intent.id)
                }
            }
            // Refused changes among them (an address already recorded) fail alone.
            group.addTask {
                try await session.commitCreate(sampleRecord("aws_s3_bucket.extra"), command: "apply")
                await #expect(throws: StateError.self) {
                    try await session.commitCreate(sampleRecord("aws_s3_bucket.extra"), command: "apply")
                }
            }
            try await group.waitForAll()
        }
        #expect(try session.resourceCount() == 41)
        #expect(try session.pendingIntents().isEmpty)
        #expect(bucket.journalKeys().count <= 81)
        let reader = try #require(try await bucket.open(host: "ci"))
        #expect(try reader.history() == session.history())
        #expect(try reader.resources() == session.resources())
        reader.close()
        _ = try await session.release(lock)
        session.close()
    }

    @Test func aSecondRunIsRefusedNamingTheHolderOrWaitsForIt() async throws {
        let bucket = try SharedBucket()
        let first = try #require(try await bucket.open())
        let second = try #require(try await bucket.open(host: "ci", pid: 7))
        defer {
            first.close()
            second.close()
        }
        let lock = try await first.tryAcquireLock(command: "apply")
        do {
            _ = try await second.tryAcquireLock(command: "apply")
            Issue.record("the lock was taken twice")
        } catch StateError.locked(let holder) {
            #expect(holder.host == "laptop" && holder.pid == 4242 && holder.command == "apply" && !holder.isStale)
            #expect(holder.lockID == lock.info.lockID)
            #expect(StateError.locked(holder).description.contains("s3://memory/team/states/web/default/lock"))
        }
        // Waiting: the holder finishes while the second run polls.
        let waiting = Task { try await second.acquireLock(command: "apply", timeout: .seconds(600), pollInterval: .seconds(1)) }
        _ = try await first.release(lock)
        let taken = try await waiting.value
        #expect(try taken.isHeld())
        _ = try await second.release(taken)
    }

    @Test func aWaitThatRunsOutNamesTheHolder() async throws {
        let bucket = try SharedBucket()
        let first = try #require(try await bucket.open())
        let second = try #require(try await bucket.open(host: "ci", pid: 7, time: FakeTime()))
        defer {
            first.close()
            second.close()
        }
        _ = try await first.tryAcquireLock(command: "apply")
        await #expect(throws: StateError.self) {
            _ = try await second.acquireLock(command: "apply", timeout: .seconds(30), pollInterval: .seconds(5))
        }
    }

    @Test func aLockWhoseLeaseRanOutIsStaleAndOnlyItsIdRemovesIt() async throws {
        let bucket = try SharedBucket()
        let holderTime = FakeTime()
        let holder = try #require(try await bucket.open(host: "gone", time: holderTime))
        let lock = try await holder.tryAcquireLock(command: "apply")
        let other = try #require(try await bucket.open(host: "ci"))
        defer {
            holder.close()
            other.close()
        }
        #expect(try await other.currentLock()?.isStale == false, "a lease still running is not stale")
        bucket.time.advance(90)
        #expect(try await other.currentLock()?.isStale == false, "within the grace period")
        bucket.time.advance(60)
        let stale = try #require(try await other.currentLock())
        #expect(stale.isStale)
        #expect(StateError.locked(stale).description.contains("run `cairn force-unlock web --lock-id \(lock.info.lockID)` to clear it"))
        #expect(try await other.forceUnlock(lockID: "not-that-one") == nil)
        #expect(try await other.currentLock() != nil)
        #expect(try await other.forceUnlock(lockID: lock.info.lockID)?.lockID == lock.info.lockID)
        #expect(try await other.currentLock() == nil)
    }

    @Test func aWriterWhoseLockWasBrokenIsRefusedAndOverwritesNothing() async throws {
        let bucket = try SharedBucket()
        // The stalled writer's clock stands still, so only the journal's create-only write can stop it.
        let stalled = try #require(try await bucket.open(host: "stalled", time: FakeTime()))
        let oldLock = try await stalled.tryAcquireLock(command: "apply")
        try await stalled.commitCreate(sampleRecord("aws_s3_bucket.a"), command: "apply")

        let rescuer = try #require(try await bucket.open(host: "ci"))
        bucket.time.advance(200)
        #expect(try await rescuer.forceUnlock(lockID: oldLock.info.lockID) != nil)
        let newLock = try await rescuer.tryAcquireLock(command: "apply")
        try await rescuer.commitCreate(sampleRecord("aws_s3_bucket.b"), command: "apply")

        do {
            try await stalled.commitCreate(sampleRecord("aws_s3_bucket.c"), command: "apply")
            Issue.record("the stale writer was let through")
        } catch let error as RemoteStateError {
            guard case .staleWriter = error else { throw error }
            #expect(error.description.contains("nothing was overwritten"))
        }
        _ = try await rescuer.release(newLock)
        let reader = try #require(try await bucket.open(host: "reader"))
        #expect(try reader.resources().map(\.address) == ["aws_s3_bucket.a", "aws_s3_bucket.b"])
        #expect(try await stalled.release(oldLock) == false, "its lock is not its own any more")
        reader.close()
        stalled.close()
        rescuer.close()
    }

    @Test func aWriterWhoseLeaseRanOutStopsBeforeWriting() async throws {
        let bucket = try SharedBucket()
        let session = try #require(try await bucket.open())
        defer { session.close() }
        _ = try await session.tryAcquireLock(command: "apply")
        bucket.time.advance(61)  // no renewal ran (renewals are hourly in these settings)
        await #expect(throws: RemoteStateError.lockLost(location: "s3://memory/team/states/web/default/lock")) {
            try await session.commitCreate(sampleRecord("aws_s3_bucket.a"), command: "apply")
        }
        #expect(bucket.journalKeys().isEmpty)
    }

    @Test(.timeLimit(.minutes(1)))  // bound: each wait below ends at once on the stepped clock
    func theHolderRenewsItsLease() async throws {
        let bucket = try SharedBucket()
        let time = SteppedTime()
        let session = try await bucket.open(settings: time.settings(renewEvery: .seconds(15)))
        defer { session.close() }
        let lock = try await session.tryAcquireLock(command: "apply")
        await time.sleeps(1)  // the renewal loop waits for its turn
        let first = try #require(try await session.currentLock()?.leaseExpires)
        time.advance(15)
        await time.sleeps(2)  // it renewed the lease, and waits for its next turn
        let renewed = try #require(try await session.currentLock()?.leaseExpires)
        #expect(renewed == first.addingTimeInterval(15))
        time.advance(50)  // past the first lease, within the renewed one
        #expect(try lock.isHeld())
        #expect(try await session.release(lock))
    }

    @Test func aFailedJournalWriteChangesNothing() async throws {
        let bucket = try SharedBucket()
        let session = try #require(try await bucket.open())
        let lock = try await session.tryAcquireLock(command: "apply")
        // The new state's first write (its snapshot), then a journal entry.
        bucket.objects.failWrites { $0.hasSuffix("/state") }
        await #expect(throws: MemoryObjectStore.Injected.self) {
            try await session.commitCreate(sampleRecord("aws_s3_bucket.a"), command: "apply")
        }
        #expect(try session.resources().isEmpty, "checked on the working copy, never applied")
        #expect(try session.serial() == 0)
        #expect(bucket.objects.contents.keys.filter { !$0.hasSuffix("/lock") }.isEmpty)
        bucket.objects.failWrites { _ in false }
        try await session.commitCreate(sampleRecord("aws_s3_bucket.a"), command: "apply")
        #expect(try session.serial() == 1)
        bucket.objects.failWrites { $0.contains("/journal/") }
        await #expect(throws: MemoryObjectStore.Injected.self) {
            try await session.commitCreate(sampleRecord("aws_s3_bucket.b"), command: "apply")
        }
        #expect(try session.resources().map(\.address) == ["aws_s3_bucket.a"], "checked on the working copy, never applied")
        #expect(try session.serial() == 1)
        bucket.objects.failWrites { _ in false }
        try await session.commitCreate(sampleRecord("aws_s3_bucket.b"), command: "apply")
        #expect(try session.serial() == 2)
        _ = try await session.release(lock)
        session.close()
        let reader = try #require(try await bucket.open(host: "ci"))
        #expect(try reader.resources().map(\.address) == ["aws_s3_bucket.a", "aws_s3_bucket.b"])
        reader.close()
    }

    @Test func aRefusedChangeIsNeverWritten() async throws {
        let bucket = try SharedBucket()
        let session = try #require(try await bucket.open())
        defer { session.close() }
        _ = try await session.tryAcquireLock(command: "apply")
        try await session.commitCreate(sampleRecord("aws_s3_bucket.a"), command: "apply")
        let before = bucket.journalKeys()
        await #expect(throws: StateError.self) {
            try await session.commitCreate(sampleRecord("aws_s3_bucket.a"), command: "apply")
        }
        #expect(bucket.journalKeys() == before)
    }

    @Test func aDriftRunNeedsNoLockAndTheHolderWritesAfterIt() async throws {
        let bucket = try SharedBucket()
        let holder = try #require(try await bucket.open())
        let watcher = try #require(try await bucket.open(host: "cron"))
        defer {
            holder.close()
            watcher.close()
        }
        let lock = try await holder.tryAcquireLock(command: "apply")
        try await holder.commitCreate(sampleRecord("aws_s3_bucket.a"), command: "apply")
        // The watcher's copy is behind: its drift run goes after the holder's entry.
        try await watcher.recordDriftRun(drifted: false, changed: 0, deleted: 0, unmanaged: 0, reportJSON: "{}")
        // The holder's copy is behind now: it takes the drift run in, then writes.
        try await holder.commitCreate(sampleRecord("aws_s3_bucket.b"), command: "apply")
        #expect(try holder.driftRuns().count == 1)
        _ = try await holder.release(lock)
        let reader = try #require(try await bucket.open(host: "reader"))
        #expect(try reader.resources().map(\.address) == ["aws_s3_bucket.a", "aws_s3_bucket.b"])
        #expect(try reader.driftRuns().count == 1)
        reader.close()
    }

    @Test func aRunThatWaitedReadsWhatTheHolderWroteBeforeItWrites() async throws {
        let bucket = try SharedBucket()
        let waiter = try #require(try await bucket.open(host: "ci"))
        let holder = try #require(try await bucket.open())
        defer {
            waiter.close()
            holder.close()
        }
        for round in 0..<2 {  // twice: the second time the snapshot it read was replaced meanwhile
            let lock = try await holder.tryAcquireLock(command: "apply")
            try await holder.commitCreate(sampleRecord("aws_s3_bucket.h\(round)"), command: "apply")
            _ = try await holder.release(lock)
        }
        let lock = try await waiter.tryAcquireLock(command: "apply")
        #expect(try waiter.resources().map(\.address) == ["aws_s3_bucket.h0", "aws_s3_bucket.h1"])
        try await waiter.commitCreate(sampleRecord("aws_s3_bucket.w"), command: "apply")
        _ = try await waiter.release(lock)
        let reader = try #require(try await bucket.open(host: "reader"))
        #expect(try reader.resources().count == 3)
        #expect(try reader.serial() == 3)
        reader.close()
    }

    @Test func compactionKeepsOnlyTheLatestGenerationOfTheJournal() async throws {
        let bucket = try SharedBucket()
        let session = try #require(try await bucket.open())
        defer { session.close() }
        let threshold = StateSession.compactionThreshold
        // A small run leaves its entries: reading a few is cheaper than writing the whole state.
        var lock = try await session.tryAcquireLock(command: "apply")
        for index in 0..<5 { try await session.commitCreate(sampleRecord("aws_s3_bucket.small\(index)"), command: "apply") }
        _ = try await session.release(lock)
        #expect(bucket.journalKeys().count == 4, "the first write went into the new state's snapshot")
        for round in 0..<3 {
            lock = try await session.tryAcquireLock(command: "apply")
            for index in 0..<threshold { try await session.commitCreate(sampleRecord("aws_s3_bucket.r\(round)x\(index)"), command: "apply") }
            _ = try await session.release(lock)
        }
        #expect(bucket.journalKeys().count == threshold + 1, "the last generation (its lock's fence first) stays as a fence, older ones are deleted")
        let reader = try #require(try await bucket.open(host: "reader"))
        #expect(try reader.resourceCount() == 5 + 3 * threshold)
        #expect(try reader.history() == session.history())
        reader.close()
    }

    @Test func whatIsNotCairnStateOrIsNewerIsRefusedAndLeftAlone() async throws {
        let bucket = try SharedBucket()
        let key = "team/states/web/default/state"
        bucket.objects.overwrite(key, Data("{\"version\": 4}".utf8))
        await #expect(
            throws: RemoteStateError.notCairnState(location: "s3://memory/\(key)", reason: "it does not start with a Cairn snapshot header")
        ) {
            _ = try await bucket.open()
        }
        bucket.objects.overwrite(key, Data("CAIRN-STATE-SNAPSHOT {\"version\":2}\n".utf8))
        await #expect(throws: RemoteStateError.newerFormat(location: "s3://memory/\(key)", found: 2, supported: 1)) {
            _ = try await bucket.open()
        }
        #expect(bucket.objects.contents[key] == Data("CAIRN-STATE-SNAPSHOT {\"version\":2}\n".utf8), "left untouched")

        bucket.objects.remove(key)
        let session = try #require(try await bucket.open())
        session.close()
        var newer = JournalEntry(seq: 1, lockID: nil, at: 0, operations: [])
        newer.version = 9
        bucket.objects.overwrite("team/states/web/default/journal/00000000000000000001", try newer.encoded())
        await #expect(throws: RemoteStateError.self) { _ = try await bucket.open() }
    }

    @Test func migrationRoundTripsStateAndHistoryExactly() async throws {
        let bucket = try SharedBucket()
        let local = try openStore(bucket.dir)
        let intent = try local.recordIntent(address: "aws_s3_bucket.a", type: "aws_s3_bucket", plannedName: "a", command: "apply")
        try local.commitCreate(sampleRecord("aws_s3_bucket.a"), command: "apply", resolvingIntent: intent.id)
        try local.commit([.create(sampleRecord("aws_s3_bucket.b")), .create(sampleRecord("aws_s3_bucket.c"))], command: "import")
        try local.commitDelete(address: "aws_s3_bucket.c", command: "destroy")
        try local.recordDriftRun(drifted: true, changed: 1, deleted: 0, unmanaged: 0, reportJSON: "{}")
        try local.setOutputs(json: #"{"o":"v"}"#)
        let held = try local.tryAcquireLock(command: "state migrate")

        try await StateSession.create(
            bucket.backend(), stack: testStack, environment: testEnvironment, database: try local.exportDatabase(), lineage: local.lineage)
        await #expect(throws: RemoteStateError.self) {
            try await StateSession.create(
                bucket.backend(), stack: testStack, environment: testEnvironment, database: try local.exportDatabase(), lineage: local.lineage)
        }
        let remote = try #require(try await bucket.open(create: false))
        #expect(try await remote.currentLock() == nil, "the source's lock row does not travel")
        let back = try TempDirectory()
        let path = StateStore.path(stateDir: back.url, stack: testStack, environment: testEnvironment)
        #expect(try StateStore.importDatabase(try remote.exportDatabase(), at: path, stack: testStack, environment: testEnvironment))
        #expect(try !StateStore.importDatabase(try remote.exportDatabase(), at: path, stack: testStack, environment: testEnvironment))
        remote.close()
        _ = try held.release()
        let copy = try openStore(back)
        #expect(try dump(copy) == dump(local))
        copy.close()
        local.close()
    }

    @Test func anApplysWritesGoBehindItInOneEntryAndItsIntentsFirst() async throws {
        let bucket = try SharedBucket()
        let session = try #require(try await bucket.open())
        let lock = try await session.tryAcquireLock(command: "apply")
        let stateKey = "team/states/web/default/state"
        let journaled = try await session.pipelined { () -> [String] in
            let intent = try await session.recordIntent(address: "aws_s3_bucket.a", type: "aws_s3_bucket", plannedName: "a", command: "apply")
            #expect(bucket.objects.contents[stateKey] != nil, "an intent is in the store before its create starts")
            try await session.commitCreate(sampleRecord("aws_s3_bucket.a"), command: "apply", resolvingIntent: intent.id)
            try await session.commitCreate(sampleRecord("aws_s3_bucket.b"), command: "apply")
            try await session.setOutputs(json: #"{"x":1}"#)
            #expect(try session.resourceCount() == 2, "the working copy has them at once")
            // Another machine sees the intent, not yet the records (a crash now leaves the intent to adopt by).
            let reader = try #require(try await bucket.open(host: "ci"))
            #expect(try reader.resourceCount() == 0)
            #expect(try reader.pendingIntents().map(\.address) == ["aws_s3_bucket.a"])
            reader.close()
            return bucket.journalKeys()
        }
        #expect(journaled.isEmpty, "nothing written behind while nothing asked for it")
        #expect(bucket.journalKeys().count == 1, "the records and the outputs in one entry when the apply ends")
        let reader = try #require(try await bucket.open(host: "ci"))
        #expect(try reader.resources() == session.resources())
        #expect(try reader.history() == session.history())
        #expect(try reader.pendingIntents().isEmpty)
        #expect(try reader.outputs() == #"{"x":1}"#)
        reader.close()
        #expect(try await session.release(lock))
        session.close()
    }

    @Test func writesBehindGoOutOnTheirOwnAfterAWhile() async throws {
        let bucket = try SharedBucket()
        let session = try await bucket.open(settings: bucket.time.settings(writeBehind: .seconds(1)))
        defer { session.close() }
        let lock = try await session.tryAcquireLock(command: "apply")
        try await session.pipelined {
            try await session.commitCreate(sampleRecord("aws_s3_bucket.a"), command: "apply")
            // The writer's second on the fake clock passes at once: wait until it has written.
            for _ in 0..<1000 where bucket.objects.contents["team/states/web/default/state"] == nil { await Task.yield() }
            #expect(bucket.objects.contents["team/states/web/default/state"] != nil)
        }
        _ = try await session.release(lock)
    }

    @Test func aWriteBehindThatFailsStopsTheApplyAndSaysWhatIsNotRecorded() async throws {
        let bucket = try SharedBucket()
        let session = try #require(try await bucket.open())
        defer { session.close() }
        let lock = try await session.tryAcquireLock(command: "apply")
        do {
            try await session.pipelined {
                let intent = try await session.recordIntent(address: "aws_s3_bucket.a", type: "aws_s3_bucket", plannedName: "a", command: "apply")
                bucket.objects.failWrites { $0.contains("/journal/") }
                try await session.commitCreate(sampleRecord("aws_s3_bucket.a"), command: "apply", resolvingIntent: intent.id)
            }
            Issue.record("the failed write was not reported")
        } catch let error as RemoteStateError {
            guard case .unrecorded(let location, _) = error else { throw error }
            #expect(location == "s3://memory/team/states/web/default")
            #expect(error.description.contains("every create it started left an intent"), "\(error)")
        }
        bucket.objects.failWrites { _ in false }
        // Nothing more goes out from this run: its working copy is ahead of the store.
        await #expect(throws: RemoteStateError.self) {
            try await session.commitCreate(sampleRecord("aws_s3_bucket.b"), command: "apply")
        }
        #expect(try await session.release(lock))
        #expect(bucket.journalKeys().isEmpty, "no compaction of a working copy the store does not have")
        let reader = try #require(try await bucket.open(host: "ci"))
        #expect(try reader.resourceCount() == 0)
        #expect(try reader.pendingIntents().map(\.address) == ["aws_s3_bucket.a"], "the intent to adopt by")
        reader.close()
    }

    @Test func aRunThatDiesBetweenARecordAndItsWriteLeavesTheIntent() async throws {
        let bucket = try SharedBucket()
        let holderTime = FakeTime()
        let holder = try #require(try await bucket.open(host: "gone", time: holderTime))
        let lock = try await holder.tryAcquireLock(command: "apply")
        let recorded = AsyncStream<Void>.makeStream()
        // The run dies inside its apply: after the create's record, before the write behind it.
        let run = Task {
            try await holder.pipelined {
                let intent = try await holder.recordIntent(address: "aws_s3_bucket.a", type: "aws_s3_bucket", plannedName: "a", command: "apply")
                try await holder.commitCreate(sampleRecord("aws_s3_bucket.a"), command: "apply", resolvingIntent: intent.id)
                recorded.continuation.yield()
                try await Task.sleep(for: .seconds(86_400))  // bound: the run is abandoned below
            }
        }
        for await _ in recorded.stream { break }
        holder.close()  // the process is gone: its lock stays until its lease runs out
        let other = try #require(try await bucket.open(host: "ci"))
        defer { other.close() }
        bucket.time.advance(200)
        #expect(try await other.forceUnlock(lockID: lock.info.lockID) != nil)
        let taken = try await other.tryAcquireLock(command: "apply")
        #expect(try other.resourceCount() == 0, "the record never reached the store")
        #expect(try other.pendingIntents().map(\.address) == ["aws_s3_bucket.a"], "its intent did: the next plan adopts by it")
        _ = try await other.release(taken)
        run.cancel()
        _ = try? await run.value
    }

    @Test func aStateReadBesideTheLockCountsItsOwnWritesAsItsOwn() async throws {
        let bucket = try SharedBucket()
        let session = try StateSession.remoteForLocking(
            bucket.backend(), stack: testStack, environment: testEnvironment, identity: ProcessIdentity(pid: 4242, host: "laptop"))
        defer { session.close() }
        let lock = try await session.tryAcquireLock(command: "apply")
        let lineage = session.lineage
        // Intents recorded while the plan is made create the new state: the confirming read finds that, and it is ours.
        _ = try await session.recordIntents([("aws_s3_bucket.a", "aws_s3_bucket", "a")], command: "apply")
        #expect(bucket.objects.contents["team/states/web/default/state"] != nil)
        #expect(try await session.readStands())
        #expect(try await session.confirmRead())
        #expect(session.lineage == lineage, "the working copy was not read again")
        #expect(try session.pendingIntents().map(\.address) == ["aws_s3_bucket.a"])
        _ = try await session.release(lock)
    }

    @Test func aStateReadBesideTheLockIsReadAgainWhenAnotherRunWroteJustBeforeTheLock() async throws {
        let bucket = try SharedBucket()
        let earlier = try #require(try await bucket.open(host: "ci"))
        defer { earlier.close() }
        var held = try await earlier.tryAcquireLock(command: "apply")
        try await earlier.commitCreate(sampleRecord("aws_s3_bucket.a"), command: "apply")  // the new state's snapshot
        _ = try await earlier.release(held)
        held = try await earlier.tryAcquireLock(command: "apply")
        await bucket.objects.written("team/states/web/default/journal/00000000000000000001")  // its fence
        // That run's last write and its release land just before this run's lock does: this run's first read, made
        // beside its lock's request, may or may not have seen them.
        let lockKey = "team/states/web/default/lock"
        let last = try JournalEntry(
            seq: 2, lockID: held.info.lockID, at: 1_800_000_000_000,
            operations: [.commit(changes: [JournalChange(.create(sampleRecord("aws_s3_bucket.b")))], command: "apply", resolvingIntent: nil)]
        ).encoded()
        bucket.objects.beforeNextWrite(of: lockKey) { [objects = bucket.objects] in
            objects.overwrite("team/states/web/default/journal/00000000000000000002", last)
            objects.remove(lockKey)
        }
        let session = try StateSession.remoteForLocking(
            bucket.backend(), stack: testStack, environment: testEnvironment, identity: ProcessIdentity(pid: 4242, host: "laptop"))
        defer { session.close() }
        let lock = try await session.tryAcquireLock(command: "apply")
        _ = try await session.confirmRead()  // false when the first read missed them: read again
        #expect(try session.resources().map(\.address) == ["aws_s3_bucket.a", "aws_s3_bucket.b"], "the state as it was once the lock was held")
        try await session.commitCreate(sampleRecord("aws_s3_bucket.c"), command: "apply")
        _ = try await session.release(lock)
        let reader = try #require(try await bucket.open(host: "reader"))
        #expect(try reader.resources().map(\.address) == ["aws_s3_bucket.a", "aws_s3_bucket.b", "aws_s3_bucket.c"])
        reader.close()
    }

    /// Every row of every table, as text.
    func dump(_ store: StateStore) throws -> [String] {
        try store.withConnection { connection in
            var rows: [String] = []
            for table in ["meta", "resources", "history", "intents", "drift_runs", "migrations", "lock"] {
                try connection.withStatement("SELECT * FROM \(table) ORDER BY 1") { s in
                    while try s.step() {
                        rows.append(table + ": " + (0..<sqlite3_column_count(s.handle)).map { s.optionalText($0) ?? "NULL" }.joined(separator: "|"))
                    }
                }
            }
            return rows
        }
    }
}
