import CSQLite
import Foundation
import Testing

@testable import CairnState

/// A fresh directory under the system temporary directory, removed on deinit.
final class TempDirectory {
    let url: URL

    init() throws {
        url =
            FileManager.default.temporaryDirectory
            .appendingPathComponent("cairn-state-tests-\(UUID().uuidString)", isDirectory: true)
            .standardizedFileURL
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(at: url) }

    func file(_ name: String) -> URL { url.appendingPathComponent(name, isDirectory: false) }

    /// Every entry in the directory, sorted.
    func listing() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: url.path).sorted()
    }
}

let testStack = "web"
let testEnvironment = "default"

/// Opens (creating when asked) the `web`/default state in `dir`.
func openStore(
    _ dir: TempDirectory, stack: String = testStack, environment: String = testEnvironment,
    create: Bool = true, identity: ProcessIdentity = .current
) throws -> StateStore {
    let store = try StateStore.open(
        stateDir: dir.url, stack: stack, environment: environment, create: create, identity: identity)
    return try #require(store)
}

func sampleRecord(_ address: String, physicalID: String? = nil, attributes: String = #"{"size":1}"#) -> ResourceRecord {
    ResourceRecord(
        address: address, type: "aws_s3_bucket", physicalID: physicalID ?? "arn:\(address)",
        attributes: attributes, outputs: #"{"arn":"arn:\#(address)"}"#, dependencies: ["dep.a", "dep.b"])
}

/// Asserts `body` throws a `StateError` and returns it.
@discardableResult
func expectStateError(
    sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws -> Void
) -> StateError? {
    do {
        try body()
        Issue.record("expected a StateError, got success", sourceLocation: sourceLocation)
        return nil
    } catch let error as StateError {
        return error
    } catch {
        Issue.record("expected a StateError, got \(error)", sourceLocation: sourceLocation)
        return nil
    }
}

/// Same as `expectStateError` for async bodies.
@discardableResult
func expectStateErrorAsync(
    sourceLocation: SourceLocation = #_sourceLocation, _ body: () async throws -> Void
) async -> StateError? {
    do {
        try await body()
        Issue.record("expected a StateError, got success", sourceLocation: sourceLocation)
        return nil
    } catch let error as StateError {
        return error
    } catch {
        Issue.record("expected a StateError, got \(error)", sourceLocation: sourceLocation)
        return nil
    }
}

// MARK: - Raw SQLite access, as another program would have it

/// A direct sqlite3 connection to a file, bypassing CairnState.
final class RawDatabase {
    private var db: OpaquePointer?

    init(_ url: URL, readOnly: Bool = false) throws {
        let flags = readOnly ? SQLITE_OPEN_READONLY : (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE)
        let rc = sqlite3_open_v2(url.path, &db, flags, nil)
        guard rc == SQLITE_OK else {
            defer { sqlite3_close_v2(db) }
            throw RawError(message: "open: \(String(cString: sqlite3_errstr(rc)))")
        }
    }

    deinit { close() }

    func close() {
        if let db { sqlite3_close_v2(db) }
        db = nil
    }

    struct RawError: Error, CustomStringConvertible {
        var message: String
        var description: String { message }
    }

    func exec(_ sql: String) throws {
        var errmsg: UnsafeMutablePointer<CChar>?
        let rc = sqlite3_exec(db, sql, nil, nil, &errmsg)
        defer { sqlite3_free(errmsg) }
        guard rc == SQLITE_OK else {
            throw RawError(message: errmsg.map { String(cString: $0) } ?? "rc \(rc)")
        }
    }

    /// Every row of `sql`, each column as text (NULL as nil).
    func query(_ sql: String) throws -> [[String?]] {
        var stmt: OpaquePointer?
        guard sqlite3_prepare_v2(db, sql, -1, &stmt, nil) == SQLITE_OK else {
            throw RawError(message: String(cString: sqlite3_errmsg(db)))
        }
        defer { sqlite3_finalize(stmt) }
        var rows: [[String?]] = []
        while true {
            let rc = sqlite3_step(stmt)
            if rc == SQLITE_DONE { break }
            guard rc == SQLITE_ROW else { throw RawError(message: String(cString: sqlite3_errmsg(db))) }
            rows.append(
                (0..<sqlite3_column_count(stmt)).map { i in
                    sqlite3_column_text(stmt, i).map { String(cString: $0) }
                })
        }
        return rows
    }

    func scalar(_ sql: String) throws -> String? {
        try query(sql).first?.first ?? nil
    }
}

func fileBytes(_ url: URL) throws -> Data {
    try Data(contentsOf: url)
}

// MARK: - Time without waiting

/// A clock whose sleeps return at once, moving its time on to their deadline: code that waits runs
/// without waiting, and a test reads when it would have woken (`wakeTimes`, `sleeps`) instead of
/// measuring the wall clock. `onSleep` runs during each sleep with its number (1, 2, …).
final class FastForwardClock: Clock, @unchecked Sendable {
    struct Instant: InstantProtocol {
        var offset: Duration
        func advanced(by duration: Duration) -> Instant { Instant(offset: offset + duration) }
        func duration(to other: Instant) -> Duration { other.offset - offset }
        static func < (lhs: Instant, rhs: Instant) -> Bool { lhs.offset < rhs.offset }
    }

    // `current` and `wakes` are only touched with `mutex` held.
    private let mutex = NSLock()
    private var current = Instant(offset: .zero)
    private var wakes: [Duration] = []
    private let onSleep: @Sendable (Int) throws -> Void

    init(onSleep: @escaping @Sendable (Int) throws -> Void = { _ in }) {
        self.onSleep = onSleep
    }

    var now: Instant { mutex.withLock { current } }
    var minimumResolution: Duration { .zero }
    /// The clock's time at the end of each sleep, from its start: the schedule the sleeper kept.
    var wakeTimes: [Duration] { mutex.withLock { wakes } }
    /// How many sleeps there were.
    var sleeps: Int { mutex.withLock { wakes.count } }

    func sleep(until deadline: Instant, tolerance: Duration?) async throws {
        try Task.checkCancellation()
        let number = mutex.withLock {
            current = max(current, deadline)
            wakes.append(current.offset)
            return wakes.count
        }
        try onSleep(number)
    }
}
