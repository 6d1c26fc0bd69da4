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
