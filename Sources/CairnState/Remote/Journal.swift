import CSQLite
import Foundation

/// One resource change as the journal carries it.
public struct JournalChange: Sendable, Equatable, Codable {
    /// What the change does.
    public var action: ChangeAction
    /// The address it applies to.
    public var address: String
    /// The record for create/update/import/adopt (attributes as stored: sensitive values sealed).
    public var record: ResourceRecord?

    init(_ change: Change) {
        action = change.action
        address = change.address
        record = change.record
    }

    var change: Change? {
        switch action {
        case .create: return record.map(Change.create)
        case .update: return record.map(Change.update)
        case .import: return record.map(Change.import)
        case .adopt: return record.map(Change.adopt)
        case .delete: return .delete(address)
        case .forget: return .forget(address)
        }
    }
}

/// One mutation of the state, as a journal entry records it: everything replaying it needs, so that every
/// replica that replays the same entries in the same order holds the same rows (ids, serials and times).
public enum JournalOperation: Sendable, Equatable, Codable {
    /// `StateStore.commit`: the serial goes up by one, a history row per change.
    case commit(changes: [JournalChange], command: String, resolvingIntent: Int64?)
    /// `StateStore.recordIntent`.
    case recordIntent(address: String, type: String, plannedName: String?, command: String)
    /// `StateStore.discardIntent`.
    case discardIntent(id: Int64)
    /// `StateStore.setOutputs` (sealed as stored).
    case setOutputs(json: String)
    /// `StateStore.setMetadata`.
    case setMetadata(key: String, value: String)
    /// `StateStore.recordDriftRun`.
    case recordDriftRun(drifted: Bool, changed: Int, deleted: Int, unmanaged: Int, report: String)

    /// Whether the operation may be written without the stack's lock (drift runs).
    var isLockFree: Bool {
        if case .recordDriftRun = self { return true }
        return false
    }

    /// Whether the operation must be in the store before its caller goes on, even when writes are pipelined: an
    /// intent announces a create that follows at once.
    var mustBeDurable: Bool {
        if case .recordIntent = self { return true }
        return false
    }
}

/// What applying an operation produced, for the caller of the mutation.
public enum JournalResult: Sendable {
    case committed(serial: Int, records: [ResourceRecord?])
    case intent(ResourceIntent)
    case discarded(Bool)
    case driftRun(DriftRun)
    case done
}

/// One journal object: the operations of one durable write, in order.
public struct JournalEntry: Sendable, Equatable, Codable {
    /// "cairn-journal" in every entry.
    public static let marker = "cairn-journal"
    /// The format this build writes and the newest it reads.
    public static let currentVersion = 1

    public var format: String = marker
    public var version: Int = currentVersion
    /// Position in the journal: the entry after the snapshot's `seq` is `seq + 1`.
    public var seq: Int
    /// Random id of this write, so a write whose answer was lost can recognise itself.
    public var id: String
    /// The lock acquisition that wrote it; nil for operations that need no lock.
    public var lockID: String?
    /// When the operations happened (ms since 1970): every replica stamps the same times.
    public var at: Int64
    public var operations: [JournalOperation]
    /// Each operation's own time, when they differ (operations applied one by one and written together): `at` is
    /// then the first. Absent in entries whose operations share `at`; older builds read `at` alone.
    public var times: [Int64]?

    public init(seq: Int, lockID: String?, at: Int64, operations: [JournalOperation], times: [Int64]? = nil) {
        self.seq = seq
        self.id = UUID().uuidString.lowercased()
        self.lockID = lockID
        self.at = at
        self.operations = operations
        self.times = times.flatMap { $0.count == operations.count && $0.contains { $0 != at } ? $0 : nil }
    }

    /// The time of each operation.
    var operationTimes: [Int64] {
        if let times, times.count == operations.count { return times }
        return Array(repeating: at, count: operations.count)
    }

    /// The entry as stored: compact JSON.
    ///
    /// - Throws: `RemoteStateError.unencodable` when a value cannot be written as JSON (nothing is written then).
    public func encoded() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .millisecondsSince1970
        return try RemoteStateError.encoding("journal entry \(seq)") { try encoder.encode(self) }
    }

    /// Reads an entry, refusing what is not one or is newer than this build.
    public static func decode(_ data: Data, location: String) throws -> JournalEntry {
        struct Header: Decodable {
            var format: String?
            var version: Int?
        }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .millisecondsSince1970
        guard let header = try? decoder.decode(Header.self, from: data), header.format == marker, let version = header.version else {
            throw RemoteStateError.notCairnState(location: location, reason: "it is not a Cairn journal entry")
        }
        guard version <= currentVersion else {
            throw RemoteStateError.newerFormat(location: location, found: version, supported: currentVersion)
        }
        do {
            return try decoder.decode(JournalEntry.self, from: data)
        } catch {
            throw RemoteStateError.notCairnState(location: location, reason: "its journal entry cannot be read: \(error)")
        }
    }
}

/// The state's snapshot object: a header line naming what it is, then the SQLite database as Cairn writes it
/// locally (sensitive values sealed, exactly as in a local state file).
public struct SnapshotEnvelope: Sendable, Equatable {
    static let magic = "CAIRN-STATE-SNAPSHOT "
    /// The format this build writes and the newest it reads.
    public static let currentVersion = 1

    /// The last journal entry folded into the database.
    public var seq: Int
    public var stack: String
    public var environment: String
    public var lineage: String
    /// The SQLite database's bytes.
    public var database: Data

    public init(seq: Int, stack: String, environment: String, lineage: String, database: Data) {
        self.seq = seq
        self.stack = stack
        self.environment = environment
        self.lineage = lineage
        self.database = database
    }

    private struct Header: Codable {
        var version: Int
        var seq: Int
        var stack: String
        var environment: String
        var lineage: String
    }

    /// The object's bytes.
    ///
    /// - Throws: `RemoteStateError.unencodable` when the header cannot be written as JSON.
    public func encoded() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let header = Header(version: Self.currentVersion, seq: seq, stack: stack, environment: environment, lineage: lineage)
        var data = Data(Self.magic.utf8)
        data.append(try RemoteStateError.encoding("the state snapshot's header") { try encoder.encode(header) })
        data.append(UInt8(ascii: "\n"))
        data.append(database)
        return data
    }

    /// Reads a snapshot object, refusing what is not one or is newer than this build.
    public static func decode(_ data: Data, location: String) throws -> SnapshotEnvelope {
        guard data.starts(with: Data(magic.utf8)), let newline = data.firstIndex(of: UInt8(ascii: "\n")) else {
            throw RemoteStateError.notCairnState(location: location, reason: "it does not start with a Cairn snapshot header")
        }
        let headerBytes = data[data.startIndex + magic.utf8.count..<newline]
        struct Version: Decodable { var version: Int }
        guard let version = try? JSONDecoder().decode(Version.self, from: headerBytes) else {
            throw RemoteStateError.notCairnState(location: location, reason: "its snapshot header cannot be read")
        }
        guard version.version <= currentVersion else {
            throw RemoteStateError.newerFormat(location: location, found: version.version, supported: currentVersion)
        }
        guard let header = try? JSONDecoder().decode(Header.self, from: headerBytes) else {
            throw RemoteStateError.notCairnState(location: location, reason: "its snapshot header cannot be read")
        }
        return SnapshotEnvelope(
            seq: header.seq, stack: header.stack, environment: header.environment, lineage: header.lineage,
            database: Data(data[data.index(after: newline)...]))
    }
}

extension StateStore {
    /// Applies journal operations in ONE transaction stamped `at`, or checks that they would apply (`dryRun`:
    /// the transaction is rolled back, nothing changes).
    ///
    /// - Throws: what the same mutations throw (`StateError.resourceExists`, …); nothing is applied then.
    @discardableResult
    public func apply(_ operations: [JournalOperation], at: Int64, dryRun: Bool) throws -> [JournalResult] {
        try apply(operations, times: Array(repeating: at, count: operations.count), dryRun: dryRun)
    }

    /// `apply(_:at:dryRun:)` with each operation stamped with its own time.
    @discardableResult
    public func apply(_ operations: [JournalOperation], times: [Int64], dryRun: Bool) throws -> [JournalResult] {
        precondition(times.count == operations.count, "one time per operation")
        struct RolledBack: Error { let results: [JournalResult] }
        do {
            return try withConnection { connection in
                try connection.transaction(immediate: true) {
                    var results: [JournalResult] = []
                    for (operation, at) in zip(operations, times) { results.append(try apply(operation, at: at, on: connection)) }
                    if dryRun { throw RolledBack(results: results) }
                    return results
                }
            }
        } catch let rolledBack as RolledBack {
            return rolledBack.results
        }
    }

    private func apply(_ operation: JournalOperation, at: Int64, on connection: Connection) throws -> JournalResult {
        switch operation {
        case .commit(let changes, let command, let intentID):
            let decoded = try changes.map { change -> Change in
                guard let value = change.change else {
                    throw StateError.corrupt(url, detail: "a journal change of '\(change.address)' has no record")
                }
                return value
            }
            let (serial, records) = try write(decoded, command: command, resolvingIntent: intentID, at: at, on: connection)
            return .committed(serial: serial, records: records)
        case .recordIntent(let address, let type, let plannedName, let command):
            return .intent(try insertIntent(address: address, type: type, plannedName: plannedName, command: command, at: at, on: connection))
        case .discardIntent(let id):
            return .discarded(try deleteIntent(id, on: connection))
        case .setOutputs(let json):
            try storeOutputs(json: json, on: connection)
            return .done
        case .setMetadata(let key, let value):
            try storeMetadata(key, value, on: connection)
            return .done
        case .recordDriftRun(let drifted, let changed, let deleted, let unmanaged, let report):
            return .driftRun(
                try insertDriftRun(
                    drifted: drifted, changed: changed, deleted: deleted, unmanaged: unmanaged, reportJSON: report, at: at,
                    on: connection))
        }
    }

    /// Stops syncing every transaction to disk: for a working copy of a shared state, which the store holds
    /// durably (a copy lost in a crash is never read again: each run makes its own).
    func relaxDurability() throws {
        try withConnection { try $0.exec("PRAGMA synchronous = OFF") }
    }

    /// A consistent copy of the whole database (`VACUUM INTO`), without the local lock row: what a snapshot,
    /// `state pull` or a migration writes. Sensitive values stay sealed as stored.
    public func exportDatabase() throws -> Data {
        try exportDatabase(applying: [], at: 0)
    }

    /// `exportDatabase()` with `operations` applied to the copy (stamped `at`), this store left as it is: the
    /// first snapshot of a new shared state, holding its first change.
    public func exportDatabase(applying operations: [JournalOperation], at: Int64) throws -> Data {
        let directory = url.deletingLastPathComponent()
        let copy = directory.appendingPathComponent(".\(url.lastPathComponent).\(UUID().uuidString).export")
        defer { for suffix in ["", "-wal", "-shm", "-journal"] { FileSystem.remove(copy.path + suffix) } }
        try withConnection { connection in
            try connection.withStatement("VACUUM INTO ?") { s in
                try s.bind(1, copy.path)
                try s.run()
            }
        }
        do {
            let connection = try Connection(filename: copy.path, flags: SQLITE_OPEN_READWRITE | SQLITE_OPEN_FULLMUTEX)
            defer { connection.close() }
            try connection.exec("DELETE FROM lock")
            if !operations.isEmpty {
                try connection.transaction(immediate: true) {
                    for operation in operations { _ = try apply(operation, at: at, on: connection) }
                }
            }
        } catch let failure as SQLiteFailure {
            throw StateError.from(failure, url: copy)
        }
        guard let data = FileManager.default.contents(atPath: copy.path) else {
            throw StateError.io(copy, reason: "the exported copy cannot be read")
        }
        return data
    }

    /// Writes `database` (a state database's bytes) to a new private file at `url`, never over an existing one,
    /// and checks it opens as the state of `stack`/`environment`.
    ///
    /// - Returns: false when a file was already there (left untouched).
    public static func importDatabase(_ database: Data, at url: URL, stack: String, environment: String) throws -> Bool {
        try StateDirectory.create(url.deletingLastPathComponent())
        let temp = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).\(UUID().uuidString).import")
        defer { for suffix in ["", "-wal", "-shm", "-journal"] { FileSystem.remove(temp.path + suffix) } }
        try FileSystem.createPrivateFile(temp)
        try FileSystem.writeAll(database, to: temp)
        // Refuses what is not this stack's Cairn state before anything is published.
        guard let check = try open(at: temp, stack: stack, environment: environment, create: false) else {
            throw StateError.notFound(temp)
        }
        check.close()
        return try FileSystem.publish(temp, at: url)
    }
}
