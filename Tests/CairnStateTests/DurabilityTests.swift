import Foundation
import Testing

@testable import CairnState

@Suite("Durability and sharing a file")
struct DurabilityTests {
    @Test func secondStoreSeesCommitsOfAnOpenFirstStore() throws {
        let dir = try TempDirectory()
        let first = try openStore(dir)
        let record = try first.commitCreate(sampleRecord("a.one"), command: "apply")
        try first.setOutputs(json: #"{"x":1}"#)
        let intent = try first.recordIntent(address: "a.two", type: "t", plannedName: nil, command: "apply")

        // `first` stays open: its commits are in the WAL, not yet checkpointed.
        let second = try openStore(dir, create: false)
        #expect(second.lineage == first.lineage)
        #expect(try second.resource(at: "a.one") == record)
        #expect(try second.serial() == 1)
        #expect(try second.outputs() == #"{"x":1}"#)
        #expect(try second.pendingIntents() == [intent])

        // And the other way round, on the long-lived connection.
        try second.commitCreate(sampleRecord("a.two"), command: "apply", resolvingIntent: intent.id)
        #expect(try first.serial() == 2)
        #expect(try first.resources().map(\.address) == ["a.one", "a.two"])
        #expect(try first.pendingIntents().isEmpty)
        #expect(try first.history().map(\.serial) == [2, 1])
    }

    @Test func committedDataSurvivesAProcessThatNeverClosed() throws {
        let dir = try TempDirectory()
        let store = try openStore(dir)
        let record = try store.commitCreate(sampleRecord("a.one"), command: "apply")
        try store.commit([.import(sampleRecord("a.two")), .import(sampleRecord("a.three"))], command: "import")

        // Snapshot the files as a crash would leave them (main file + WAL, no -shm).
        let crashed = try TempDirectory()
        let names = try dir.listing()
        #expect(names.contains("web.db-wal"))
        for name in names where name != "web.db-shm" {
            try FileManager.default.copyItem(at: dir.file(name), to: crashed.file(name))
        }
        let recovered = try openStore(crashed, create: false)
        #expect(recovered.lineage == store.lineage)
        #expect(try recovered.serial() == 2)
        #expect(try recovered.resource(at: "a.one") == record)
        #expect(try recovered.resourceCount() == 3)
        recovered.close()
        // Closing the last connection checkpoints the WAL into the main file.
        #expect(try crashed.listing() == ["web.db"])
        let raw = try RawDatabase(crashed.file("web.db"), readOnly: true)
        #expect(try raw.scalar("SELECT count(*) FROM resources") == "3")
    }

    @Test func closeCheckpointsIntoTheMainFile() throws {
        let dir = try TempDirectory()
        let store = try openStore(dir)
        try store.commitCreate(sampleRecord("a.one"), command: "apply")
        store.close()
        #expect(try dir.listing() == ["web.db"])
        let raw = try RawDatabase(dir.file("web.db"), readOnly: true)
        #expect(try raw.scalar("SELECT value FROM meta WHERE key = 'serial'") == "1")
    }

    @Test func refusalOfAnOpenStateLeavesItsSideFilesAlone() throws {
        let dir = try TempDirectory()
        let store = try openStore(dir)
        try store.commitCreate(sampleRecord("a.one"), command: "apply")
        let wal = try fileBytes(dir.file("web.db-wal"))
        let main = try fileBytes(dir.file("web.db"))
        let error = expectStateError { _ = try StateStore.open(at: store.url, stack: "api", environment: "default", create: false) }
        guard case .wrongStack? = error else {
            Issue.record("expected wrongStack, got \(String(describing: error))")
            return
        }
        #expect(try fileBytes(dir.file("web.db-wal")) == wal)
        #expect(try fileBytes(dir.file("web.db")) == main)
        #expect(try store.serial() == 1)
    }
}
