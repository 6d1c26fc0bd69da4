import Foundation
import Testing

@testable import CairnState

/// Files that are not usable Cairn state must be refused and left exactly as they were:
/// same bytes, and no -wal/-shm/-journal or temporary files created next to them.
@Suite("Refusing files that are not usable state")
struct RefusalTests {
    /// Opens `url` as the web/default state (with `create` both false and true), expects
    /// a refusal each time, and checks that the directory and the file are unchanged.
    @discardableResult
    func expectRefusal(
        _ dir: TempDirectory, _ url: URL, stack: String = testStack, environment: String = testEnvironment,
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws -> StateError? {
        let before = try fileBytes(url)
        let listing = try dir.listing()
        var last: StateError?
        for create in [false, true] {
            let error = expectStateError(sourceLocation: sourceLocation) {
                _ = try StateStore.open(at: url, stack: stack, environment: environment, create: create)
            }
            #expect(
                error?.description.contains(url.path) == true,
                "description does not name the file: \(String(describing: error))", sourceLocation: sourceLocation)
            #expect(try fileBytes(url) == before, "file was modified", sourceLocation: sourceLocation)
            #expect(try dir.listing() == listing, "files appeared next to it", sourceLocation: sourceLocation)
            last = error
        }
        return last
    }

    /// A closed, fully checkpointed Cairn state with some data in it.
    func makeState(_ dir: TempDirectory, resources: Int = 3) throws -> URL {
        let store = try openStore(dir)
        for i in 0..<resources {
            try store.commitCreate(
                sampleRecord("r.\(i)", attributes: #"{"blob":"\#(String(repeating: "x", count: 3000))"}"#),
                command: "apply")
        }
        store.close()
        #expect(try dir.listing() == ["web.db"])
        return store.url
    }

    @Test func emptyFileIsRefused() throws {
        let dir = try TempDirectory()
        let url = dir.file("web.db")
        #expect(FileManager.default.createFile(atPath: url.path, contents: Data()))
        let error = try expectRefusal(dir, url)
        guard case .notADatabase(_, let reason)? = error else {
            Issue.record("expected notADatabase, got \(String(describing: error))")
            return
        }
        #expect(reason.contains("empty"))
        #expect(try fileBytes(url).isEmpty)
    }

    @Test func randomBytesAreRefused() throws {
        let dir = try TempDirectory()
        let url = dir.file("web.db")
        var generator = SystemRandomNumberGenerator()
        let bytes = Data((0..<8192).map { _ in UInt8.random(in: 0...255, using: &generator) })
        try bytes.write(to: url)
        let error = try expectRefusal(dir, url)
        guard case .notADatabase? = error else {
            Issue.record("expected notADatabase, got \(String(describing: error))")
            return
        }
    }

    @Test func shortTextFileIsRefused() throws {
        let dir = try TempDirectory()
        let url = dir.file("web.db")
        try Data("{\"version\": 4}\n".utf8).write(to: url)
        guard case .notADatabase? = try expectRefusal(dir, url) else {
            Issue.record("expected notADatabase")
            return
        }
    }

    @Test func foreignSQLiteDatabaseIsRefused() throws {
        let dir = try TempDirectory()
        let url = dir.file("web.db")
        let raw = try RawDatabase(url)
        try raw.exec("CREATE TABLE people (name TEXT); INSERT INTO people VALUES ('ada');")
        raw.close()
        let error = try expectRefusal(dir, url)
        guard case .notCairnState? = error else {
            Issue.record("expected notCairnState, got \(String(describing: error))")
            return
        }
    }

    @Test func foreignWALDatabaseIsRefused() throws {
        let dir = try TempDirectory()
        let url = dir.file("web.db")
        let raw = try RawDatabase(url)
        try raw.exec("PRAGMA journal_mode = WAL; CREATE TABLE t (x); INSERT INTO t VALUES (1);")
        raw.close()
        guard case .notCairnState? = try expectRefusal(dir, url) else {
            Issue.record("expected notCairnState")
            return
        }
    }

    @Test func databaseWithOurApplicationIDButNoMarkerIsRefused() throws {
        let dir = try TempDirectory()
        let url = dir.file("web.db")
        let raw = try RawDatabase(url)
        try raw.exec("PRAGMA application_id = \(StateStore.applicationID); CREATE TABLE meta (key, value);")
        raw.close()
        guard case .notCairnState? = try expectRefusal(dir, url) else {
            Issue.record("expected notCairnState")
            return
        }
    }

    @Test func newerUserVersionIsRefused() throws {
        let dir = try TempDirectory()
        let url = try makeState(dir)
        let raw = try RawDatabase(url)
        try raw.exec("PRAGMA user_version = \(Migration.latestVersion + 1)")
        raw.close()
        let error = try expectRefusal(dir, url)
        #expect(error == .newerSchema(url, found: Migration.latestVersion + 1, supported: Migration.latestVersion))
    }

    @Test func unknownAppliedMigrationIsRefused() throws {
        let dir = try TempDirectory()
        let url = try makeState(dir)
        let raw = try RawDatabase(url)
        try raw.exec("INSERT INTO migrations (id, name, applied_at) VALUES (\(Migration.latestVersion + 5), 'future', 0)")
        raw.close()
        let error = try expectRefusal(dir, url)
        #expect(error == .newerSchema(url, found: Migration.latestVersion + 5, supported: Migration.latestVersion))
    }

    @Test func otherStackOrEnvironmentIsRefused() throws {
        let dir = try TempDirectory()
        let url = try makeState(dir)
        let error = try expectRefusal(dir, url, stack: "api")
        #expect(
            error
                == .wrongStack(
                    url, expectedStack: "api", expectedEnvironment: "default",
                    foundStack: "web", foundEnvironment: "default"))
        #expect(error?.description.contains("'web'") == true)
        let envError = try expectRefusal(dir, url, environment: "prod")
        #expect(
            envError
                == .wrongStack(
                    url, expectedStack: "web", expectedEnvironment: "prod",
                    foundStack: "web", foundEnvironment: "default"))
    }

    @Test func renamedStateFileIsRefusedForTheNewName() throws {
        let dir = try TempDirectory()
        let url = try makeState(dir)
        let moved = dir.file("api.db")
        try FileManager.default.moveItem(at: url, to: moved)
        let error = expectStateError { _ = try StateStore.open(stateDir: dir.url, stack: "api", create: false) }
        guard case .wrongStack(let file, _, _, let foundStack, _)? = error else {
            Issue.record("expected wrongStack, got \(String(describing: error))")
            return
        }
        #expect(file == moved)
        #expect(foundStack == "web")
    }

    @Test func corruptedMiddleIsRefused() throws {
        let dir = try TempDirectory()
        let url = try makeState(dir, resources: 30)
        var bytes = try fileBytes(url)
        #expect(bytes.count > 8 * 4096)
        // Scribble over the middle of the file, leaving the header intact.
        let middle = bytes.count / 2
        for i in (middle - 2048)..<(middle + 2048) { bytes[i] = UInt8(truncatingIfNeeded: i &* 31 &+ 7) }
        try bytes.write(to: url)
        let error = try expectRefusal(dir, url)
        guard case .corrupt? = error else {
            Issue.record("expected corrupt, got \(String(describing: error))")
            return
        }
    }

    @Test func corruptedSchemaPageIsRefused() throws {
        let dir = try TempDirectory()
        let url = try makeState(dir)
        var bytes = try fileBytes(url)
        // Page 1 holds sqlite_master after the 100-byte header.
        for i in 100..<4096 { bytes[i] = 0xA5 }
        try bytes.write(to: url)
        let error = try expectRefusal(dir, url)
        switch error {
        case .corrupt?, .notADatabase?: break
        default: Issue.record("expected corrupt or notADatabase, got \(String(describing: error))")
        }
    }

    @Test func truncatedStateIsRefused() throws {
        let dir = try TempDirectory()
        let url = try makeState(dir, resources: 30)
        let bytes = try fileBytes(url)
        try bytes.prefix(bytes.count / 2).write(to: url)
        let error = try expectRefusal(dir, url)
        guard case .corrupt? = error else {
            Issue.record("expected corrupt, got \(String(describing: error))")
            return
        }
    }

    @Test func headerOnlyIsRefused() throws {
        let dir = try TempDirectory()
        let url = try makeState(dir)
        try fileBytes(url).prefix(100).write(to: url)
        let error = try expectRefusal(dir, url)
        switch error {
        case .corrupt?, .notADatabase?: break
        default: Issue.record("expected corrupt or notADatabase, got \(String(describing: error))")
        }
    }

    @Test func directoryIsRefused() throws {
        let dir = try TempDirectory()
        let url = dir.file("web.db")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: false)
        for create in [false, true] {
            let error = expectStateError { _ = try StateStore.open(at: url, stack: "web", environment: "default", create: create) }
            guard case .notADatabase(let file, _)? = error else {
                Issue.record("expected notADatabase, got \(String(describing: error))")
                return
            }
            #expect(file == url)
            #expect(error?.description.contains(url.path) == true)
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: url.path).isEmpty)
    }
}
