import Foundation
import Testing

@testable import CairnState

/// A shared state when the store answers badly: writes that landed but whose answers were lost, refusals with nothing
/// in place, a renewal on the wire while the lock goes, a broken lock's writer racing the new holder, a push of a
/// copy the state has moved on from, and records that cannot be encoded.
@Suite("Shared state under lost answers and races", .timeLimit(.minutes(1)))  // bound: every wait below ends at once
struct RemoteStateFaultTests {
    let lockKey = "team/states/web/default/lock"
    let stateKey = "team/states/web/default/state"
    func journalKey(_ seq: Int) -> String { "team/states/web/default/journal/" + String(format: "%020d", seq) }

    /// A state in the store (its snapshot holds `aws_s3_bucket.a`) and a session on it holding no lock.
    private func bornState(_ bucket: SharedBucket, host: String = "laptop", time: FakeTime? = nil) async throws -> StateSession {
        let session = try #require(try await bucket.open(host: host, time: time))
        let lock = try await session.tryAcquireLock(command: "apply")
        try await session.commitCreate(sampleRecord("aws_s3_bucket.a"), command: "apply")
        _ = try await session.release(lock)
        return session
    }

    /// A new state's first write under a lock just taken (its snapshot holds `aws_s3_bucket.a`): the lock, taken
    /// before the state was in the store, has no fence entry, so the journal starts at 1.
    private func firstWrite(_ bucket: SharedBucket) async throws -> (StateSession, any StackLock) {
        let session = try #require(try await bucket.open())
        let lock = try await session.tryAcquireLock(command: "apply")
        try await session.commitCreate(sampleRecord("aws_s3_bucket.a"), command: "apply")
        return (session, lock)
    }

    // MARK: - Conditional writes sent again after their answer was lost (finding 2)

    @Test func aLockWhoseAnswerWasLostIsTakenNotReportedAsHeldByItself() async throws {
        let bucket = try SharedBucket()
        let session = try #require(try await bucket.open())
        defer { session.close() }
        bucket.objects.loseAnswers(.retried) { $0 == lockKey }
        let lock = try await session.tryAcquireLock(command: "apply")
        #expect(try lock.isHeld())
        #expect(try await session.currentLock()?.lockID == lock.info.lockID)
        #expect(try await session.release(lock))
        #expect(bucket.objects.contents[lockKey] == nil)
    }

    @Test func aRenewalWhoseAnswerWasLostKeepsTheLock() async throws {
        let bucket = try SharedBucket()
        let session = try #require(try await bucket.open())
        defer { session.close() }
        let lock = try await session.tryAcquireLock(command: "apply")
        let remoteLock = try #require(lock as? RemoteLock)
        bucket.time.advance(30)
        bucket.objects.loseAnswers(.retried) { $0 == lockKey }
        #expect(await remoteLock.renew(), "refused by its own first attempt: still the holder's")
        bucket.time.advance(45)  // past the first lease, within the renewed one
        #expect(try lock.isHeld())
        #expect(try await session.release(lock))
        #expect(bucket.objects.contents[lockKey] == nil, "released, not left to run out")
    }

    @Test func aSnapshotWhoseAnswerWasLostIsTheRunsOwn() async throws {
        let bucket = try SharedBucket()
        let session = try #require(try await bucket.open())
        defer { session.close() }
        let lock = try await session.tryAcquireLock(command: "apply")
        bucket.objects.loseAnswers(.retried) { $0 == stateKey }
        try await session.commitCreate(sampleRecord("aws_s3_bucket.a"), command: "apply")
        try await session.commitCreate(sampleRecord("aws_s3_bucket.b"), command: "apply")
        #expect(try await session.release(lock))
        let reader = try #require(try await bucket.open(host: "ci"))
        #expect(try reader.resources().map(\.address) == ["aws_s3_bucket.a", "aws_s3_bucket.b"])
        reader.close()
    }

    @Test func aPushWhoseAnswerWasLostIsDone() async throws {
        let bucket = try SharedBucket()
        let session = try await bornState(bucket)
        defer { session.close() }
        let pulled = try session.exportDatabase()
        let lock = try await session.tryAcquireLock(command: "state push")
        bucket.objects.loseAnswers(.retried) { $0 == stateKey }
        try await session.push(pulled, lock: lock)
        #expect(try await session.release(lock))
        let reader = try #require(try await bucket.open(host: "ci"))
        #expect(try reader.resources().map(\.address) == ["aws_s3_bucket.a"])
        reader.close()
    }

    // MARK: - Unlocking while a renewal is on the wire (finding 3)

    @Test func anUnlockWaitsForARenewalOnTheWireAndStillRemovesTheLock() async throws {
        let bucket = try SharedBucket()
        let time = SteppedTime()
        let session = try await bucket.open(settings: time.settings(renewEvery: .seconds(15)))
        defer { session.close() }
        let lock = try await session.tryAcquireLock(command: "apply")
        await time.sleeps(1)
        let before = try #require(bucket.objects.etag(lockKey))
        // The renewal is held on the wire; the delete is held until the renewal has landed: the order that left the
        // lock behind.
        let renewal = Hold()
        bucket.objects.beforeNextWrite(of: lockKey) { await renewal.wait() }
        time.advance(15)
        await renewal.reached()
        let renewed = Hold()
        bucket.objects.beforeNextDelete(of: lockKey) { await renewed.wait() }
        let unlocking = Task { try await session.release(lock) }
        while try lock.isHeld() { try await Task.sleep(for: .milliseconds(1)) }  // bound: the suite's time limit; the unlock's first step
        renewal.release()
        await bucket.objects.written(lockKey, replacing: before)
        renewed.release()
        #expect(try await unlocking.value, "the lock was removed though its entity tag changed under the unlock")
        #expect(bucket.objects.contents[lockKey] == nil)
        #expect(try !lock.isHeld(), "a renewal that landed after the unlock does not make it held again")
    }

    // MARK: - A write of this run whose answers were all lost (finding 4)

    @Test func anEntryWhoseAnswersWereAllLostIsTakenAsTheRunsOwn() async throws {
        let bucket = try SharedBucket()
        let (session, lock) = try await firstWrite(bucket)
        defer { session.close() }
        bucket.objects.loseAnswers(.failed) { $0.contains("/journal/") }
        await #expect(throws: MemoryObjectStore.Injected.self) {
            try await session.commitCreate(sampleRecord("aws_s3_bucket.b"), command: "apply")
        }
        #expect(bucket.objects.contents[journalKey(1)] != nil, "it landed")
        // The next write finds its position taken under its own lock: that entry is this run's, not a stale writer's.
        try await session.commitCreate(sampleRecord("aws_s3_bucket.c"), command: "apply")
        #expect(try session.resources().map(\.address) == ["aws_s3_bucket.a", "aws_s3_bucket.b", "aws_s3_bucket.c"])
        #expect(try await session.release(lock))
        let reader = try #require(try await bucket.open(host: "ci"))
        #expect(try reader.resources() == session.resources())
        #expect(try reader.history() == session.history())
        reader.close()
    }

    // MARK: - A broken lock's writer against the new holder (finding 5)

    /// A stalled run that wrote `aws_s3_bucket.x` under its lock, and a rescuer that has broken that lock; the next free
    /// journal position.
    private func brokenLock(_ bucket: SharedBucket) async throws -> (stalled: StateSession, rescuer: StateSession, next: Int) {
        // The stalled writer's clock stands still, so only the journal's create-only writes can stop it.
        let stalled = try await bornState(bucket, host: "stalled", time: FakeTime())
        let oldLock = try await stalled.tryAcquireLock(command: "apply")
        try await stalled.commitCreate(sampleRecord("aws_s3_bucket.x"), command: "apply")
        let rescuer = try #require(try await bucket.open(host: "ci"))
        bucket.time.advance(200)
        #expect(try await rescuer.forceUnlock(lockID: oldLock.info.lockID) != nil)
        return (stalled, rescuer, bucket.journalKeys().count + 1)
    }

    @Test func aBrokenLocksWriterAfterTheNewHoldersFenceIsRefused() async throws {
        let bucket = try SharedBucket()
        let (stalled, rescuer, next) = try await brokenLock(bucket)
        defer {
            stalled.close()
            rescuer.close()
        }
        let lock = try await rescuer.tryAcquireLock(command: "apply")
        await bucket.objects.written(journalKey(next))  // the rescuer's fence, before anything the rescuer writes
        await #expect(throws: RemoteStateError.self) {
            try await stalled.commitCreate(sampleRecord("aws_s3_bucket.stale"), command: "apply")
        }
        try await rescuer.commitCreate(sampleRecord("aws_s3_bucket.b"), command: "apply")
        _ = try await rescuer.release(lock)
        let reader = try #require(try await bucket.open(host: "reader"))
        #expect(try reader.resources().map(\.address) == ["aws_s3_bucket.a", "aws_s3_bucket.b", "aws_s3_bucket.x"])
        reader.close()
    }

    @Test func aBrokenLocksWriterJustBeforeTheNewHoldersFenceIsTakenInAndThenRefused() async throws {
        let bucket = try SharedBucket()
        let (stalled, rescuer, next) = try await brokenLock(bucket)
        defer {
            stalled.close()
            rescuer.close()
        }
        // The stalled run writes the position after what the rescuer read, just before the rescuer's first write there.
        bucket.objects.beforeNextWrite(of: journalKey(next)) {
            try? await stalled.commitCreate(sampleRecord("aws_s3_bucket.stale"), command: "apply")
        }
        let lock = try await rescuer.tryAcquireLock(command: "apply")
        try await rescuer.commitCreate(sampleRecord("aws_s3_bucket.b"), command: "apply")
        #expect(try rescuer.resources().map(\.address) == ["aws_s3_bucket.a", "aws_s3_bucket.b", "aws_s3_bucket.stale", "aws_s3_bucket.x"])
        // From the rescuer's fence on, the stalled run's positions are taken under another lock.
        await #expect(throws: RemoteStateError.self) {
            try await stalled.commitCreate(sampleRecord("aws_s3_bucket.later"), command: "apply")
        }
        _ = try await rescuer.release(lock)
        let reader = try #require(try await bucket.open(host: "reader"))
        #expect(try reader.resources() == rescuer.resources())
        reader.close()
    }

    // MARK: - A refusal with nothing in place (finding 6)

    @Test func aJournalWriteRefusedWithNothingThereIsSentAgain() async throws {
        let bucket = try SharedBucket()
        let (session, lock) = try await firstWrite(bucket)
        defer { session.close() }
        // S3's 409 ConditionalRequestConflict: another write to the key was under way, and did not land.
        bucket.objects.refuseWrites(count: 2) { $0.contains("/journal/") }
        try await session.commitCreate(sampleRecord("aws_s3_bucket.b"), command: "apply")
        #expect(try await session.release(lock))
        let reader = try #require(try await bucket.open(host: "ci"))
        #expect(try reader.resources().map(\.address) == ["aws_s3_bucket.a", "aws_s3_bucket.b"])
        reader.close()
    }

    @Test func aNewStatesSnapshotRefusedWithNothingThereIsSentAgain() async throws {
        let bucket = try SharedBucket()
        let session = try #require(try await bucket.open())
        defer { session.close() }
        let lock = try await session.tryAcquireLock(command: "apply")
        bucket.objects.refuseWrites(count: 1) { $0 == stateKey }
        try await session.commitCreate(sampleRecord("aws_s3_bucket.a"), command: "apply")
        #expect(try await session.release(lock))
        let reader = try #require(try await bucket.open(host: "ci"))
        #expect(try reader.resources().map(\.address) == ["aws_s3_bucket.a"])
        reader.close()
    }

    // MARK: - Push of a copy the state moved on from (finding 7)

    @Test func aPushIsRefusedWhenAnIntentWasRecordedSinceThePull() async throws {
        let bucket = try SharedBucket()
        let session = try await bornState(bucket)
        defer { session.close() }
        let pulled = try session.pulledDatabase()
        // Another run records an intent: the serial stays as it was.
        let other = try #require(try await bucket.open(host: "ci"))
        let otherLock = try await other.tryAcquireLock(command: "apply")
        _ = try await other.recordIntent(address: "aws_s3_bucket.b", type: "aws_s3_bucket", plannedName: "b", command: "apply")
        _ = try await other.release(otherLock)
        other.close()

        let lock = try await session.tryAcquireLock(command: "state push")
        do {
            try await session.push(pulled, lock: lock)
            Issue.record("a copy without the intent recorded since was pushed over it")
        } catch RemoteStateError.pushRefused(_, let reason) {
            #expect(reason.contains("written after the file was pulled"), "\(reason)")
        }
        _ = try await session.release(lock)
        let reader = try #require(try await bucket.open(host: "reader"))
        #expect(try reader.pendingIntents().map(\.address) == ["aws_s3_bucket.b"], "the intent is kept")
        reader.close()
    }

    @Test func aPushIsAcceptedWhenOnlyLocksWereTakenSinceThePullAndLeavesNoNoteBehind() async throws {
        let bucket = try SharedBucket()
        let session = try await bornState(bucket)
        defer { session.close() }
        let pulled = try session.pulledDatabase()
        let other = try #require(try await bucket.open(host: "ci"))
        _ = try await other.release(try await other.tryAcquireLock(command: "apply"))  // a run that changed nothing: its fence only
        other.close()
        let lock = try await session.tryAcquireLock(command: "state push")
        try await session.push(pulled, lock: lock)
        _ = try await session.release(lock)
        let reader = try #require(try await bucket.open(host: "reader"))
        #expect(try reader.resources().map(\.address) == ["aws_s3_bucket.a"])
        #expect(try reader.metadata(StateSession.pulledAtKey) == nil)
        reader.close()
    }

    @Test func aFileThatDoesNotSayWhenItWasPulledMustHoldTheStatesIntents() async throws {
        let bucket = try SharedBucket()
        let session = try await bornState(bucket)
        defer { session.close() }
        let copy = try session.exportDatabase()
        let lock = try await session.tryAcquireLock(command: "apply")
        _ = try await session.recordIntent(address: "aws_s3_bucket.b", type: "aws_s3_bucket", plannedName: "b", command: "apply")
        await #expect(throws: RemoteStateError.self) { try await session.push(copy, lock: lock) }
        _ = try await session.release(lock)
        #expect(try session.pendingIntents().map(\.address) == ["aws_s3_bucket.b"])
    }

    // MARK: - Records that cannot be encoded (finding 8)

    @Test func aRecordThatCannotBeEncodedWritesNothing() async throws {
        let bucket = try SharedBucket()
        let (session, lock) = try await firstWrite(bucket)
        defer { session.close() }
        let before = bucket.journalKeys()
        var record = sampleRecord("aws_s3_bucket.b")
        record.createdAt = Date(timeIntervalSince1970: .infinity)  // JSON has no number for it
        do {
            try await session.commitCreate(record, command: "apply")
            Issue.record("an entry that cannot be encoded was written")
        } catch RemoteStateError.unencodable(let what, _) {
            #expect(what == "journal entry 1")
        }
        #expect(bucket.journalKeys() == before, "no empty entry in its place")
        #expect(try await session.release(lock))
        let reader = try #require(try await bucket.open(host: "ci"))
        #expect(try reader.resources().map(\.address) == ["aws_s3_bucket.a"])
        reader.close()
    }
}
