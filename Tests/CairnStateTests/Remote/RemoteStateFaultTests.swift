import Foundation
import Testing

@testable import CairnState

/// A shared state when the store answers badly: writes that landed but whose answers were lost, refusals with nothing
/// in place, a renewal on the wire while the lock goes, a broken lock's writer racing the new holder, a push of a
/// copy the state has moved on from, and records that cannot be encoded.
@Suite("Shared state under lost answers and races")
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

    // MARK: - Records that cannot be encoded (finding 8)

    @Test func aRecordThatCannotBeEncodedWritesNothing() async throws {
        let bucket = try SharedBucket()
        let session = try await bornState(bucket)
        defer { session.close() }
        let lock = try await session.tryAcquireLock(command: "apply")
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
