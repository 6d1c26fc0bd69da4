import Foundation
import Testing

@testable import CairnState

@Suite("Resources, serial and history")
struct ResourceTests {
    @Test func createUpdateDeleteRoundTrip() throws {
        let dir = try TempDirectory()
        let store = try openStore(dir)
        let original = sampleRecord("aws_s3_bucket.artifacts")

        let created = try store.commitCreate(original, command: "apply")
        #expect(created.address == original.address)
        #expect(created.createdAt == created.updatedAt)
        #expect(try store.resource(at: original.address) == created)
        #expect(try store.serial() == 1)

        var changed = created
        changed.attributes = #"{"size":2,"name":"q\"uote\nnewline ünïcode 🪨"}"#
        changed.physicalID = "arn:new"
        changed.dependencies = ["x\\y", "z\u{1}"]
        changed.createdAt = Date(timeIntervalSince1970: 0)  // ignored: update keeps the stored one
        Thread.sleep(forTimeInterval: 0.005)
        let updated = try store.commitUpdate(changed, command: "apply")
        #expect(updated.createdAt == created.createdAt)
        #expect(updated.updatedAt > created.updatedAt)
        #expect(updated.attributes == changed.attributes)
        #expect(updated.dependencies == changed.dependencies)
        #expect(try store.resource(at: original.address) == updated)
        #expect(try store.serial() == 2)

        try store.commitDelete(address: original.address, command: "destroy")
        #expect(try store.resource(at: original.address) == nil)
        #expect(try store.resourceCount() == 0)
        #expect(try store.serial() == 3)
        store.close()

        // Survives a reopen.
        let reopened = try openStore(dir, create: false)
        #expect(try reopened.serial() == 3)
        #expect(try reopened.resources().isEmpty)
    }

    @Test func historyRecordsCommandActionAndRecord() throws {
        let dir = try TempDirectory()
        let store = try openStore(dir)
        let created = try store.commitCreate(sampleRecord("a.one"), command: "apply")
        var changed = created
        changed.attributes = #"{"size":9}"#
        let updated = try store.commitUpdate(changed, command: "refresh")
        try store.commitDelete(address: "a.one", command: "destroy")
        try store.commitCreate(sampleRecord("a.two"), command: "apply")

        let all = try store.history()
        #expect(all.map(\.action) == [.create, .delete, .update, .create])
        #expect(all.map(\.address) == ["a.two", "a.one", "a.one", "a.one"])
        #expect(all.map(\.command) == ["apply", "destroy", "refresh", "apply"])
        #expect(all.map(\.serial) == [4, 3, 2, 1])
        #expect(all.map(\.id) == all.map(\.id).sorted(by: >))

        let one = try store.history(address: "a.one")
        #expect(one.count == 3)
        #expect(one[0].record == nil, "a delete leaves no record")
        #expect(one[0].removedRecord == updated, "it keeps the one it removed")
        #expect(one[1].removedRecord == nil)
        #expect(one[1].record == updated)
        #expect(one[2].record == created)
        #expect(one[2].at == created.createdAt)

        #expect(try store.history(limit: 2).map(\.address) == ["a.two", "a.one"])
        #expect(try store.history(address: "a.one", limit: 1).map(\.action) == [.delete])
        #expect(try store.history(address: "missing").isEmpty)
    }

    @Test func resourcesAreOrderedByAddress() throws {
        let dir = try TempDirectory()
        let store = try openStore(dir)
        for address in ["c.c", "a.a", "b.b"] { try store.commitCreate(sampleRecord(address), command: "apply") }
        #expect(try store.resources().map(\.address) == ["a.a", "b.b", "c.c"])
        #expect(try store.resourceCount() == 3)
    }

    @Test func createOfTrackedAddressThrowsResourceExistsAndWritesNothing() throws {
        let dir = try TempDirectory()
        let store = try openStore(dir)
        let first = try store.commitCreate(sampleRecord("a.dup", physicalID: "first"), command: "apply")
        let error = expectStateError {
            try store.commitCreate(sampleRecord("a.dup", physicalID: "second"), command: "apply")
        }
        #expect(error == .resourceExists(store.url, address: "a.dup"))
        #expect(error?.description.contains(store.url.path) == true)
        #expect(error?.description.contains("a.dup") == true)
        #expect(try store.resource(at: "a.dup") == first)
        #expect(try store.serial() == 1)
        #expect(try store.history().count == 1)

        // import and adopt refuse a tracked address too.
        for change in [Change.import(sampleRecord("a.dup")), .adopt(sampleRecord("a.dup"))] {
            #expect(
                expectStateError { try store.commit(change, command: "import") }
                    == .resourceExists(store.url, address: "a.dup"))
        }
        #expect(try store.serial() == 1)
    }

    @Test func updateDeleteForgetOfUntrackedAddressThrowsResourceNotFound() throws {
        let dir = try TempDirectory()
        let store = try openStore(dir)
        let update = expectStateError { try store.commitUpdate(sampleRecord("a.ghost"), command: "apply") }
        #expect(update == .resourceNotFound(store.url, address: "a.ghost"))
        #expect(update?.description.contains(store.url.path) == true)
        #expect(
            expectStateError { try store.commitDelete(address: "a.ghost", command: "destroy") }
                == .resourceNotFound(store.url, address: "a.ghost"))
        #expect(
            expectStateError { try store.commit(.forget("a.ghost"), command: "state rm") }
                == .resourceNotFound(store.url, address: "a.ghost"))
        #expect(try store.serial() == 0)
        #expect(try store.history().isEmpty)
    }

    @Test func forgetRemovesAndIsRecorded() throws {
        let dir = try TempDirectory()
        let store = try openStore(dir)
        try store.commit(.import(sampleRecord("a.imp")), command: "import")
        #expect(try store.commit(.forget("a.imp"), command: "state rm") == nil)
        #expect(try store.resource(at: "a.imp") == nil)
        #expect(try store.history().map(\.action) == [.forget, .import])
        let forgotten = try #require(try store.history(limit: 1).first)
        #expect(forgotten.record == nil && forgotten.removedRecord?.physicalID == sampleRecord("a.imp").physicalID, "\(forgotten)")
    }

    @Test func batchBumpsSerialOnceAndSharesItAcrossHistoryRows() throws {
        let dir = try TempDirectory()
        let store = try openStore(dir)
        try store.commitCreate(sampleRecord("a.zero"), command: "apply")
        let serial = try store.commit(
            [.import(sampleRecord("a.one")), .import(sampleRecord("a.two")), .adopt(sampleRecord("a.three"))],
            command: "import")
        #expect(serial == 2)
        #expect(try store.serial() == 2)
        #expect(try store.resourceCount() == 4)
        let history = try store.history()
        #expect(history.count == 4)
        #expect(history.prefix(3).allSatisfy { $0.serial == 2 && $0.command == "import" })
        #expect(history.prefix(3).map(\.action) == [.adopt, .import, .import])
        #expect(history.prefix(3).map(\.address) == ["a.three", "a.two", "a.one"])

        // An empty batch writes nothing.
        #expect(try store.commit([], command: "refresh") == 2)
        #expect(try store.history().count == 4)
    }

    @Test func failingBatchWritesNothing() throws {
        let dir = try TempDirectory()
        let store = try openStore(dir)
        try store.commitCreate(sampleRecord("a.exists"), command: "apply")
        let error = expectStateError {
            try store.commit([.import(sampleRecord("a.new")), .delete("a.missing")], command: "refresh")
        }
        #expect(error == .resourceNotFound(store.url, address: "a.missing"))
        #expect(try store.resource(at: "a.new") == nil)
        #expect(try store.serial() == 1)
        #expect(try store.history().count == 1)

        // The store is still usable after the rollback.
        try store.commitCreate(sampleRecord("a.new"), command: "apply")
        #expect(try store.serial() == 2)
    }

    @Test func concurrentCommitsFromManyTasksAllLand() async throws {
        let dir = try TempDirectory()
        let store = try openStore(dir)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for i in 0..<40 {
                group.addTask { try store.commitCreate(sampleRecord("r.\(i)"), command: "apply") }
            }
            try await group.waitForAll()
        }
        #expect(try store.serial() == 40)
        #expect(try store.resourceCount() == 40)
        #expect(Set(try store.history().map(\.serial)) == Set(1...40))
    }
}
