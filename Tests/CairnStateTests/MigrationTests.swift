import Foundation
import Testing

@testable import CairnState

@Suite("Schema migrations")
struct MigrationTests {
    @Test func registryIsOrderedAndUnique() {
        let ids = Migration.all.map(\.id)
        #expect(ids == ids.sorted())
        #expect(Set(ids).count == ids.count)
        #expect(Migration.latestVersion == ids.last)
    }

    @Test func newStateListsEveryMigration() throws {
        let dir = try TempDirectory()
        let before = Date(timeIntervalSince1970: Date().timeIntervalSince1970.rounded(.down))
        let store = try openStore(dir)
        let applied = try store.appliedMigrations()
        #expect(applied.map(\.id) == Migration.all.map(\.id))
        #expect(applied.map(\.name) == Migration.all.map(\.name))
        #expect(applied.allSatisfy { $0.appliedAt >= before && $0.appliedAt <= Date() })
        #expect(try store.schemaVersion() == Migration.latestVersion)
    }

    @Test func oldStateIsUpgradedOnOpenKeepingItsData() throws {
        let dir = try TempDirectory()
        let url = dir.file("web.db")
        let old = Array(Migration.all.prefix(1))
        let v1 = try #require(
            try StateStore.open(
                at: url, stack: "web", environment: "default", create: true, identity: .current, migrations: old))
        #expect(try v1.schemaVersion() == 1)
        let record = try v1.commitCreate(sampleRecord("a.kept"), command: "apply")
        let lineage = v1.lineage
        v1.close()
        #expect(try RawDatabase(url).scalar("PRAGMA user_version") == "1")

        let upgraded = try #require(try StateStore.open(at: url, stack: "web", environment: "default", create: false))
        #expect(upgraded.lineage == lineage)
        #expect(try upgraded.schemaVersion() == Migration.latestVersion)
        #expect(try upgraded.appliedMigrations().map(\.id) == Migration.all.map(\.id))
        #expect(try upgraded.resource(at: "a.kept") == record)
        #expect(try upgraded.serial() == 1)
        try upgraded.recordDriftRun(drifted: false, changed: 0, deleted: 0, unmanaged: 0, reportJSON: "{}")
        upgraded.close()
        #expect(try RawDatabase(url).scalar("PRAGMA user_version") == String(Migration.latestVersion))
    }

    @Test func aLockRowWrittenBeforeStartTimesIsReadAndJudgedByItsPid() async throws {
        let dir = try TempDirectory()
        let url = dir.file("web.db")
        let old = Array(Migration.all.prefix(2))
        try #require(
            try StateStore.open(
                at: url, stack: "web", environment: "default", create: true, identity: .current, migrations: old)
        ).close()
        // The row as a Cairn of schema 2 wrote it: no process_start column at all.
        let pid = try deadPID()
        let raw = try RawDatabase(url)
        try raw.exec(
            "INSERT INTO lock (id, lock_id, pid, host, command, since) VALUES (1, 'old', \(pid), '\(ProcessIdentity.current.host)', 'apply', 1700000000000)"
        )
        raw.close()

        let upgraded = try #require(try StateStore.open(at: url, stack: "web", environment: "default", create: false))
        #expect(try upgraded.schemaVersion() == 3)
        let lock = try #require(try upgraded.currentLock())
        #expect(lock.lockID == "old")
        #expect(lock.processStart == nil)
        #expect(lock.since == Date(timeIntervalSince1970: 1_700_000_000))
        #expect(lock.isStale)  // its pid is gone
        #expect(try upgraded.forceUnlock()?.lockID == "old")
        // New rows carry the start time.
        let mine = try await upgraded.acquireLock(command: "apply")
        #expect(mine.info.processStart != nil)
        #expect(try upgraded.currentLock() == mine.info)
        upgraded.close()
        #expect(try RawDatabase(url).scalar("SELECT process_start FROM lock") == mine.info.processStart.map(String.init))
    }

    @Test func failingMigrationLeavesTheOldSchema() throws {
        let dir = try TempDirectory()
        let url = dir.file("web.db")
        let old = Array(Migration.all.prefix(1))
        try #require(
            try StateStore.open(
                at: url, stack: "web", environment: "default", create: true, identity: .current, migrations: old)
        ).close()
        let broken = old + [Migration(id: 2, name: "broken", sql: "CREATE TABLE ok_table (x); THIS IS NOT SQL")]
        let error = expectStateError {
            _ = try StateStore.open(
                at: url, stack: "web", environment: "default", create: false,
                identity: .current, migrations: broken)
        }
        #expect(error != nil)
        let reopened = try #require(
            try StateStore.open(
                at: url, stack: "web", environment: "default", create: false, identity: .current, migrations: old))
        #expect(try reopened.schemaVersion() == 1)
        reopened.close()
        let raw = try RawDatabase(url)
        #expect(try raw.scalar("SELECT count(*) FROM sqlite_master WHERE name = 'ok_table'") == "0")
        #expect(try raw.scalar("PRAGMA user_version") == "1")
    }
}
