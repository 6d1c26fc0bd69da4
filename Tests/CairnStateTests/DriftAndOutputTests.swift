import Foundation
import Testing

@testable import CairnState

@Suite("Drift runs and stack outputs")
struct DriftAndOutputTests {
    @Test func driftRunsAreRecordedAndListedNewestFirst() throws {
        let dir = try TempDirectory()
        let store = try openStore(dir)
        let base = Date(timeIntervalSince1970: 1_700_000_000.123)
        let first = try store.recordDriftRun(
            drifted: false, changed: 0, deleted: 0, unmanaged: 0, reportJSON: "{}", checkedAt: base)
        let second = try store.recordDriftRun(
            drifted: true, changed: 2, deleted: 1, unmanaged: 3, reportJSON: #"{"changed":["a.b"]}"#,
            checkedAt: base.addingTimeInterval(60))
        #expect(first.checkedAt == base)
        #expect(try store.driftRuns() == [second, first])
        #expect(try store.driftRuns(limit: 1) == [second])
        // Drift runs leave the serial and history alone.
        #expect(try store.serial() == 0)
        #expect(try store.history().isEmpty)
        store.close()

        let reopened = try openStore(dir, create: false)
        #expect(try reopened.driftRuns() == [second, first])
    }

    @Test func driftRunsNeedNoLock() async throws {
        let dir = try TempDirectory()
        let holder = try openStore(dir, identity: ProcessIdentity(pid: 1, host: "elsewhere"))
        let lock = try await holder.acquireLock(command: "apply")
        let reader = try openStore(dir)
        try reader.recordDriftRun(drifted: false, changed: 0, deleted: 0, unmanaged: 0, reportJSON: "{}")
        #expect(try reader.driftRuns().count == 1)
        try lock.release()
    }

    @Test func outputsAreReplacedAndLeaveSerialAlone() throws {
        let dir = try TempDirectory()
        let store = try openStore(dir)
        #expect(try store.outputs() == nil)
        try store.setOutputs(json: #"{"url":"https://a"}"#)
        #expect(try store.outputs() == #"{"url":"https://a"}"#)
        try store.setOutputs(json: "{}")
        #expect(try store.outputs() == "{}")
        #expect(try store.serial() == 0)
        store.close()
        #expect(try openStore(dir, create: false).outputs() == "{}")
    }
}
