import CSQLite
import Foundation

/// The durable state of one stack in one environment: a SQLite database file holding the
/// managed resources, their change history, pending create intents, drift runs, stack
/// outputs and the stack lock.
///
/// Every write is its own committed transaction (or one per batch), so a crash loses at
/// most the call in flight. The store is safe to share between tasks: calls are
/// serialised over a single connection.
///
/// Mutating calls do not check the stack lock themselves; the engine holds a
/// `StateLock` (see `acquireLock(command:timeout:pollInterval:)`) for the duration of an
/// apply, destroy, import or refresh. Reads and drift runs never need it. `currentLock()`
/// reports the holder and `forceUnlock(lockID:)` clears a lock left by a dead process (stale
/// locks are reported, never taken over silently).
public final class StateStore: @unchecked Sendable {
    /// The value of `PRAGMA application_id` in every Cairn state file ("CARN").
    public static let applicationID: Int32 = 0x4341_524E
    /// The `format` row of the `meta` table in every Cairn state file.
    public static let formatMarker = "cairn-state"
    /// The environment whose file name carries no suffix.
    public static let defaultEnvironment = "default"

    /// The database file.
    public let url: URL
    /// The stack this state belongs to.
    public let stack: String
    /// The environment this state belongs to.
    public let environment: String
    /// Random UUID given to the state at creation; stable for its whole life.
    public let lineage: String
    /// When the state file was created.
    public let createdAt: Date
    /// The identity this store takes locks as.
    public let identity: ProcessIdentity

    // `connection` is only touched with `mutex` held; that is what makes the
    // @unchecked Sendable conformance sound.
    private let mutex = NSLock()
    private var connection: Connection?

    /// SQLITE_CONSTRAINT_PRIMARYKEY (a composite C macro Swift does not import).
    private static let primaryKeyViolation: Int32 = 1555
    private static let busyTimeoutMilliseconds: Int32 = 10_000

    // MARK: - Paths and opening

    /// The state file of `stack` in `environment` under `stateDir`:
    /// `<stateDir>/<stack>.db` for the default environment (nil, empty or "default"),
    /// `<stateDir>/<stack>.<environment>.db` otherwise.
    public static func path(stateDir: URL, stack: String, environment: String?) -> URL {
        let environment = normalizedEnvironment(environment)
        let name = environment == defaultEnvironment ? "\(stack).db" : "\(stack).\(environment).db"
        return stateDir.appendingPathComponent(name, isDirectory: false)
    }

    /// Opens the state of `stack`/`environment` under `stateDir`; see `open(at:stack:environment:create:identity:)`.
    public static func open(
        stateDir: URL, stack: String, environment: String = defaultEnvironment,
        create: Bool, identity: ProcessIdentity = .current
    ) throws -> StateStore? {
        try open(
            at: path(stateDir: stateDir, stack: stack, environment: environment),
            stack: stack, environment: environment, create: create, identity: identity)
    }

    /// Opens the state database at `url`, applying any missing schema migrations.
    ///
    /// - When the file does not exist: returns nil if `create` is false (and writes
    ///   nothing, not even a directory); otherwise creates the state directory (0700, see
    ///   `StateDirectory.create(_:)`) and the database. Creation builds the file under a temporary name and links it into place,
    ///   so a crash never leaves a half-initialised state file.
    /// - An existing file is first checked without writing to it (its header is read
    ///   directly, then its contents through a read-only connection) and refused, left
    ///   byte-for-byte untouched, if it is not SQLite, not Cairn's, damaged (a
    ///   `PRAGMA quick_check` of every page), newer than this build, or belongs to another
    ///   stack/environment.
    ///
    /// - Throws: `StateError`.
    public static func open(
        at url: URL, stack: String, environment: String, create: Bool,
        identity: ProcessIdentity = .current
    ) throws -> StateStore? {
        try open(
            at: url, stack: stack, environment: environment, create: create,
            identity: identity, migrations: Migration.all)
    }

    /// `open` with an explicit migration registry; tests use it to build old schemas.
    static func open(
        at url: URL, stack: String, environment: String, create: Bool,
        identity: ProcessIdentity, migrations: [Migration]
    ) throws -> StateStore? {
        let url = url.standardizedFileURL
        let environment = normalizedEnvironment(environment)
        switch try FileSystem.kind(of: url) {
        case .missing:
            guard create else { return nil }
            try createDatabase(at: url, stack: stack, environment: environment, migrations: migrations)
        case .directory:
            throw StateError.notADatabase(url, reason: "it is a directory")
        case .other:
            throw StateError.notADatabase(url, reason: "it is not a regular file")
        case .file:
            break
        }
        try inspect(url, stack: stack, environment: environment, migrations: migrations)
        return try StateStore(
            url: url, stack: stack, environment: environment,
            identity: identity, migrations: migrations)
    }

    static func normalizedEnvironment(_ environment: String?) -> String {
        guard let environment, !environment.isEmpty else { return defaultEnvironment }
        return environment
    }

    private static func configure(_ connection: Connection) throws {
        try connection.setBusyTimeout(milliseconds: busyTimeoutMilliseconds)
        try connection.exec("PRAGMA journal_mode = WAL")
        try connection.exec("PRAGMA synchronous = FULL")
        try connection.exec("PRAGMA foreign_keys = ON")
    }

    private static func createDatabase(at url: URL, stack: String, environment: String, migrations: [Migration]) throws {
        let directory = url.deletingLastPathComponent()
        try StateDirectory.create(directory)
        let temp = directory.appendingPathComponent(".\(url.lastPathComponent).\(UUID().uuidString).tmp")
        defer {
            for suffix in ["", "-wal", "-shm", "-journal"] { FileSystem.remove(temp.path + suffix) }
        }
        try FileSystem.createPrivateFile(temp)
        do {
            let connection = try Connection(filename: temp.path, flags: SQLITE_OPEN_READWRITE | SQLITE_OPEN_FULLMUTEX)
            try configure(connection)
            let now = Date()
            try connection.transaction(immediate: true) {
                try connection.exec("PRAGMA application_id = \(applicationID)")
                _ = try Migration.applyMissing(migrations, on: connection, now: now)
                let rows: [(String, String?, Int64?)] = [
                    ("format", formatMarker, nil),
                    ("lineage", UUID().uuidString.lowercased(), nil),
                    ("serial", nil, 0),
                    ("stack", stack, nil),
                    ("environment", environment, nil),
                    ("created_at", nil, millis(now)),
                ]
                for (key, text, number) in rows {
                    try connection.withStatement("INSERT INTO meta (key, value) VALUES (?, ?)") { s in
                        try s.bind(1, key)
                        if let number { try s.bind(2, number) } else { try s.bind(2, text) }
                        try s.run()
                    }
                }
            }
            // Closing checkpoints the WAL into the file, so the published file is complete.
            connection.close()
        } catch let failure as SQLiteFailure {
            throw StateError.from(failure, url: url)
        }
        _ = try FileSystem.publish(temp, at: url)
    }

    private static let sqliteMagic = Array("SQLite format 3\0".utf8)

    /// Refuses files that are not usable Cairn state without writing to them.
    private static func inspect(_ url: URL, stack: String, environment: String, migrations: [Migration]) throws {
        // 1. The 100-byte header, read directly: magic, application id, user_version.
        let header = try FileSystem.readPrefix(of: url, count: 100)
        if header.isEmpty { throw StateError.notADatabase(url, reason: "file is empty") }
        guard header.count == 100, header.starts(with: sqliteMagic) else {
            throw StateError.notADatabase(url, reason: "file is not a database")
        }
        func bigEndian32(at offset: Int) -> UInt32 {
            header[offset..<offset + 4].reduce(0) { $0 << 8 | UInt32($1) }
        }
        let applicationID = bigEndian32(at: 68)
        guard applicationID == UInt32(bitPattern: Self.applicationID) else {
            throw StateError.notCairnState(
                url,
                reason: applicationID == 0
                    ? "it has no application id"
                    : "its application id is 0x\(String(applicationID, radix: 16))")
        }
        let latest = migrations.last?.id ?? 0
        let userVersion = Int(Int32(bitPattern: bigEndian32(at: 60)))
        if userVersion > latest { throw StateError.newerSchema(url, found: userVersion, supported: latest) }

        // 2. The contents. Without a -wal file every committed page is in the main file,
        // so `immutable=1` can read it without creating -wal/-shm; with one, a plain
        // read-only connection is needed (and the side files exist already anyway).
        let walPath = url.path + "-wal"
        let hadWAL = FileSystem.exists(walPath)
        do {
            try validateReadOnly(url, immutable: !hadWAL, stack: stack, environment: environment, migrations: migrations)
        } catch let failure as SQLiteFailure {
            // Only an immutable read's corruption error arrives here raw. If a writer
            // started meanwhile (a -wal appeared) the read may have torn: read it properly.
            guard !hadWAL, FileSystem.exists(walPath) else { throw StateError.from(failure, url: url) }
            try validateReadOnly(url, immutable: false, stack: stack, environment: environment, migrations: migrations)
        }
    }

    private static func validateReadOnly(
        _ url: URL, immutable: Bool, stack: String, environment: String, migrations: [Migration]
    ) throws {
        do {
            let uri = FileSystem.sqliteURI(for: url, query: immutable ? "mode=ro&immutable=1" : "mode=ro")
            let connection = try Connection(
                filename: uri, flags: SQLITE_OPEN_READONLY | SQLITE_OPEN_URI | SQLITE_OPEN_FULLMUTEX)
            defer { connection.close() }
            try connection.setBusyTimeout(milliseconds: busyTimeoutMilliseconds)
            _ = try validate(connection, url: url, stack: stack, environment: environment, migrations: migrations)
            try checkIntegrity(connection)
        } catch let failure as SQLiteFailure where !failure.isCorruption {
            throw StateError.from(failure, url: url)
        } catch let failure as SQLiteFailure where !immutable {
            throw StateError.from(failure, url: url)
        }
        // An immutable read's corruption error propagates raw so `inspect` can retry it.
    }

    /// Runs `PRAGMA quick_check` (every page's b-tree structure, not index contents) so a
    /// damaged file is refused before anything writes to it, rather than failing half-way
    /// through a later read or making the damage worse. Damage is reported as an
    /// SQLITE_CORRUPT failure, like damage SQLite trips over itself.
    private static func checkIntegrity(_ connection: Connection) throws {
        let problems = try connection.withStatement("PRAGMA quick_check(5)") { s in
            var problems: [String] = []
            while try s.step() { problems.append(s.text(0)) }
            return problems
        }
        guard problems == ["ok"] else {
            throw SQLiteFailure(code: SQLITE_CORRUPT, message: "integrity check failed: " + problems.joined(separator: "; "))
        }
    }

    /// Checks that `connection` is a Cairn state of this stack/environment with a known
    /// schema, and returns the migrations it still lacks.
    private static func validate(
        _ connection: Connection, url: URL, stack: String, environment: String, migrations: [Migration]
    ) throws -> [Migration] {
        let applicationID = try connection.scalarInt("PRAGMA application_id") ?? 0
        guard applicationID == Int64(Self.applicationID) else {
            throw StateError.notCairnState(url, reason: "its application id is \(applicationID)")
        }
        let tables = try connection.withStatement("SELECT name FROM sqlite_master WHERE type = 'table'") { s in
            var names = Set<String>()
            while try s.step() { names.insert(s.text(0)) }
            return names
        }
        guard tables.contains("meta"),
            try connection.scalarText("SELECT value FROM meta WHERE key = 'format'") == formatMarker
        else {
            throw StateError.notCairnState(url, reason: "it has no format=\(formatMarker) marker")
        }
        guard tables.contains("migrations") else {
            throw StateError.corrupt(url, detail: "its migrations table is missing")
        }
        let latest = migrations.last?.id ?? 0
        let applied = try Migration.appliedIDs(on: connection)
        let userVersion = Int(try connection.scalarInt("PRAGMA user_version") ?? 0)
        let unknown = applied.subtracting(migrations.map(\.id))
        if let newest = unknown.max() {
            throw StateError.newerSchema(url, found: max(newest, userVersion), supported: latest)
        }
        if userVersion > latest {
            throw StateError.newerSchema(url, found: userVersion, supported: latest)
        }
        let foundStack = try connection.scalarText("SELECT value FROM meta WHERE key = 'stack'") ?? ""
        let foundEnvironment = try connection.scalarText("SELECT value FROM meta WHERE key = 'environment'") ?? ""
        guard foundStack == stack, foundEnvironment == environment else {
            throw StateError.wrongStack(
                url, expectedStack: stack, expectedEnvironment: environment,
                foundStack: foundStack, foundEnvironment: foundEnvironment)
        }
        return migrations.filter { !applied.contains($0.id) }
    }

    private init(url: URL, stack: String, environment: String, identity: ProcessIdentity, migrations: [Migration]) throws {
        self.url = url
        self.stack = stack
        self.environment = environment
        self.identity = identity
        do {
            let connection = try Connection(filename: url.path, flags: SQLITE_OPEN_READWRITE | SQLITE_OPEN_FULLMUTEX)
            try Self.configure(connection)
            // Validate again on the connection we keep: the file may have changed since
            // `inspect`. Only take the write lock when there is something to migrate.
            let missing = try connection.transaction(immediate: false) {
                try Self.validate(connection, url: url, stack: stack, environment: environment, migrations: migrations)
            }
            if !missing.isEmpty {
                try connection.transaction(immediate: true) {
                    _ = try Self.validate(connection, url: url, stack: stack, environment: environment, migrations: migrations)
                    _ = try Migration.applyMissing(migrations, on: connection, now: Date())
                }
            }
            let meta = try connection.withStatement("SELECT key, value FROM meta") { s in
                var meta: [String: String] = [:]
                while try s.step() { meta[s.text(0)] = s.text(1) }
                return meta
            }
            guard let lineage = meta["lineage"], !lineage.isEmpty else {
                throw StateError.corrupt(url, detail: "its lineage is missing")
            }
            self.lineage = lineage
            self.createdAt = date(millis: Int64(meta["created_at"] ?? "") ?? 0)
            self.connection = connection
        } catch let failure as SQLiteFailure {
            throw StateError.from(failure, url: url)
        }
    }

    deinit {
        connection?.close()
    }

    /// Closes the database. Later calls throw `StateError.closed`. Idempotent.
    public func close() {
        mutex.lock()
        defer { mutex.unlock() }
        connection?.close()
        connection = nil
    }

    /// Runs `body` with the connection, serialised with every other call.
    func withConnection<T>(_ body: (Connection) throws -> T) throws -> T {
        mutex.lock()
        defer { mutex.unlock() }
        guard let connection else { throw StateError.closed(url) }
        do {
            return try body(connection)
        } catch let failure as SQLiteFailure {
            throw StateError.from(failure, url: url)
        }
    }

    // MARK: - Versions

    /// The number of committed resource transactions so far (0 for a new state).
    /// A single indexed read; cheap enough to call before every plan/apply.
    public func serial() throws -> Int {
        try withConnection { try Self.readSerial($0) }
    }

    /// Lineage and serial together, read consistently.
    public func snapshot() throws -> StateSnapshot {
        StateSnapshot(lineage: lineage, serial: try serial())
    }

    /// The highest migration id applied to this database.
    public func schemaVersion() throws -> Int {
        try withConnection { Int(try $0.scalarInt("SELECT max(id) FROM migrations") ?? 0) }
    }

    /// The migrations recorded as applied, in id order.
    public func appliedMigrations() throws -> [AppliedMigration] {
        try withConnection { connection in
            try connection.withStatement("SELECT id, name, applied_at FROM migrations ORDER BY id") { s in
                var result: [AppliedMigration] = []
                while try s.step() {
                    result.append(AppliedMigration(id: s.int(0), name: s.text(1), appliedAt: date(millis: s.int64(2))))
                }
                return result
            }
        }
    }

    private static func readSerial(_ connection: Connection) throws -> Int {
        Int(try connection.scalarInt("SELECT value FROM meta WHERE key = 'serial'") ?? 0)
    }

    // MARK: - Reading resources

    private static let resourceColumns =
        "address, type, physical_id, attributes, outputs, dependencies, created_at, updated_at"

    /// Every resource in state, ordered by address.
    public func resources() throws -> [ResourceRecord] {
        try withConnection { connection in
            try connection.withStatement("SELECT \(Self.resourceColumns) FROM resources ORDER BY address") { s in
                var records: [ResourceRecord] = []
                while try s.step() { records.append(try readRecord(s)) }
                return records
            }
        }
    }

    /// The resource at `address`, or nil when state does not track it.
    public func resource(at address: String) throws -> ResourceRecord? {
        try withConnection { connection in
            try connection.withStatement("SELECT \(Self.resourceColumns) FROM resources WHERE address = ?") { s in
                try s.bind(1, address)
                return try s.step() ? try readRecord(s) : nil
            }
        }
    }

    /// How many resources state tracks.
    public func resourceCount() throws -> Int {
        try withConnection { Int(try $0.scalarInt("SELECT count(*) FROM resources") ?? 0) }
    }

    private func readRecord(_ s: Statement) throws -> ResourceRecord {
        let address = s.text(0)
        guard let dependencies = RecordJSON.decodeArray(s.text(5)) else {
            throw StateError.corrupt(url, detail: "the dependencies of '\(address)' are not a JSON list")
        }
        return ResourceRecord(
            address: address, type: s.text(1), physicalID: s.text(2),
            attributes: s.text(3), outputs: s.text(4), dependencies: dependencies,
            createdAt: date(millis: s.int64(6)), updatedAt: date(millis: s.int64(7)))
    }

    // MARK: - Writing resources

    /// Commits one change in its own transaction: the resource row, `serial += 1` and a
    /// history row, plus (optionally) deleting the intent it resolves.
    ///
    /// The store stamps `updatedAt` with the commit time, and `createdAt` too on
    /// create/import/adopt (an update keeps the stored `createdAt`).
    ///
    /// Resolving an intent that no longer exists is not an error: the resource is still
    /// recorded, since losing track of a real object would be worse.
    ///
    /// - Returns: The record as stored, or nil for delete/forget.
    /// - Throws: `StateError.resourceExists` / `.resourceNotFound` (nothing is written), or
    ///   another `StateError`.
    @discardableResult
    public func commit(_ change: Change, command: String, resolvingIntent intentID: Int64? = nil) throws -> ResourceRecord? {
        try write([change], command: command, resolvingIntent: intentID).records[0]
    }

    /// Commits many changes in ONE transaction (imports, refresh): all or nothing.
    ///
    /// Each change still gets its own history row, but the serial goes up by exactly 1
    /// for the whole batch and every history row of the batch carries that serial — a
    /// serial names a committed state, and the batch is one. An empty batch writes
    /// nothing.
    ///
    /// - Returns: The serial after the commit.
    @discardableResult
    public func commit(_ changes: [Change], command: String) throws -> Int {
        if changes.isEmpty { return try serial() }
        return try write(changes, command: command, resolvingIntent: nil).serial
    }

    /// Records a newly created resource, and deletes the intent `intentID` in the same
    /// transaction when given. See `commit(_:command:resolvingIntent:)`.
    @discardableResult
    public func commitCreate(_ record: ResourceRecord, command: String, resolvingIntent intentID: Int64? = nil) throws -> ResourceRecord {
        // Non-nil: create always yields the stored record.
        try commit(.create(record), command: command, resolvingIntent: intentID) ?? record
    }

    /// Replaces the record of a tracked resource. See `commit(_:command:resolvingIntent:)`.
    @discardableResult
    public func commitUpdate(_ record: ResourceRecord, command: String) throws -> ResourceRecord {
        try commit(.update(record), command: command) ?? record
    }

    /// Removes a destroyed resource from state. See `commit(_:command:resolvingIntent:)`.
    public func commitDelete(address: String, command: String) throws {
        try commit(.delete(address), command: command)
    }

    private func write(_ changes: [Change], command: String, resolvingIntent intentID: Int64?) throws -> (serial: Int, records: [ResourceRecord?]) {
        try withConnection { connection in
            try connection.transaction(immediate: true) {
                try write(changes, command: command, resolvingIntent: intentID, at: millis(Date()), on: connection)
            }
        }
    }

    /// The body of a commit, inside the caller's transaction: `serial += 1`, the resource rows, a history row per
    /// change stamped `now`, and the intent resolved.
    func write(
        _ changes: [Change], command: String, resolvingIntent intentID: Int64?, at now: Int64, on connection: Connection
    ) throws -> (serial: Int, records: [ResourceRecord?]) {
        let serial = try connection.withStatement(
            "UPDATE meta SET value = value + 1 WHERE key = 'serial' RETURNING value"
        ) { s -> Int in
            guard try s.step() else { throw StateError.corrupt(url, detail: "its serial is missing") }
            return s.int(0)
        }
        var records: [ResourceRecord?] = []
        records.reserveCapacity(changes.count)
        for change in changes {
            let (stored, removed) = try apply(change, at: now, on: connection)
            try connection.withStatement(
                "INSERT INTO history (at, serial, command, action, address, record) VALUES (?, ?, ?, ?, ?, ?)"
            ) { s in
                try s.bind(1, now)
                try s.bind(2, serial)
                try s.bind(3, command)
                try s.bind(4, change.action.rawValue)
                try s.bind(5, change.address)
                // A delete or forget keeps the record it removed, so that `cairn state undo` can put it back.
                try s.bind(6, (stored ?? removed).map(RecordJSON.encode))
                try s.run()
            }
            records.append(stored)
        }
        if let intentID {
            try connection.withStatement("DELETE FROM intents WHERE id = ?") { s in
                try s.bind(1, intentID)
                try s.run()
            }
        }
        return (serial, records)
    }

    /// Applies one change to the resources table; returns the stored record, or (delete/forget) the one removed.
    private func apply(_ change: Change, at now: Int64, on connection: Connection) throws -> (stored: ResourceRecord?, removed: ResourceRecord?) {
        let stamp = date(millis: now)
        switch change.action {
        case .create, .import, .adopt:
            guard var record = change.record else { return (nil, nil) }
            record.createdAt = stamp
            record.updatedAt = stamp
            do {
                try connection.withStatement(
                    "INSERT INTO resources (\(Self.resourceColumns)) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
                ) { s in
                    try s.bind(1, record.address)
                    try s.bind(2, record.type)
                    try s.bind(3, record.physicalID)
                    try s.bind(4, record.attributes)
                    try s.bind(5, record.outputs)
                    try s.bind(6, RecordJSON.encodeArray(record.dependencies))
                    try s.bind(7, now)
                    try s.bind(8, now)
                    try s.run()
                }
            } catch let failure as SQLiteFailure where failure.code == Self.primaryKeyViolation {
                throw StateError.resourceExists(url, address: record.address)
            }
            return (record, nil)

        case .update:
            guard var record = change.record else { return (nil, nil) }
            let createdAt = try connection.withStatement(
                """
                UPDATE resources SET type = ?, physical_id = ?, attributes = ?, outputs = ?,
                    dependencies = ?, updated_at = ?
                WHERE address = ? RETURNING created_at
                """
            ) { s -> Int64? in
                try s.bind(1, record.type)
                try s.bind(2, record.physicalID)
                try s.bind(3, record.attributes)
                try s.bind(4, record.outputs)
                try s.bind(5, RecordJSON.encodeArray(record.dependencies))
                try s.bind(6, now)
                try s.bind(7, record.address)
                return try s.step() ? s.int64(0) : nil
            }
            guard let createdAt else { throw StateError.resourceNotFound(url, address: record.address) }
            record.createdAt = date(millis: createdAt)
            record.updatedAt = stamp
            return (record, nil)

        case .delete, .forget:
            let removed = try connection.withStatement("DELETE FROM resources WHERE address = ? RETURNING \(Self.resourceColumns)") { s in
                try s.bind(1, change.address)
                return try s.step() ? try readRecord(s) : nil
            }
            guard let removed else { throw StateError.resourceNotFound(url, address: change.address) }
            return (nil, removed)
        }
    }

    // MARK: - History

    /// The most recent history rows, newest first (all of them when `limit` is nil).
    public func history(limit: Int? = nil) throws -> [HistoryEntry] {
        try readHistory(
            "SELECT id, at, serial, command, action, address, record FROM history ORDER BY id DESC LIMIT ?",
            address: nil, limit: limit)
    }

    /// The history of one address, newest first (all of it when `limit` is nil).
    public func history(address: String, limit: Int? = nil) throws -> [HistoryEntry] {
        try readHistory(
            "SELECT id, at, serial, command, action, address, record FROM history WHERE address = ? ORDER BY id DESC LIMIT ?",
            address: address, limit: limit)
    }

    private func readHistory(_ sql: String, address: String?, limit: Int?) throws -> [HistoryEntry] {
        try withConnection { connection in
            try connection.withStatement(sql) { s in
                var index: Int32 = 1
                if let address {
                    try s.bind(index, address)
                    index += 1
                }
                try s.bind(index, limit ?? -1)  // a negative LIMIT means no limit
                var entries: [HistoryEntry] = []
                while try s.step() {
                    guard let action = ChangeAction(rawValue: s.text(4)) else {
                        throw StateError.corrupt(url, detail: "history row \(s.int64(0)) has unknown action '\(s.text(4))'")
                    }
                    entries.append(
                        HistoryEntry(
                            id: s.int64(0), at: date(millis: s.int64(1)), serial: s.int(2), command: s.text(3),
                            action: action, address: s.text(5), recordJSON: s.optionalText(6)))
                }
                return entries
            }
        }
    }

    // MARK: - Intents

    /// Records that the engine is about to create `address`, before it calls the cloud,
    /// so that a crash in between can be recovered on the next run.
    @discardableResult
    public func recordIntent(address: String, type: String, plannedName: String?, command: String) throws -> ResourceIntent {
        try withConnection { connection in
            try insertIntent(address: address, type: type, plannedName: plannedName, command: command, at: millis(Date()), on: connection)
        }
    }

    func insertIntent(
        address: String, type: String, plannedName: String?, command: String, at now: Int64, on connection: Connection
    ) throws -> ResourceIntent {
        let id = try connection.withStatement(
            "INSERT INTO intents (address, type, planned_name, command, created_at) VALUES (?, ?, ?, ?, ?) RETURNING id"
        ) { s -> Int64 in
            try s.bind(1, address)
            try s.bind(2, type)
            try s.bind(3, plannedName)
            try s.bind(4, command)
            try s.bind(5, now)
            _ = try s.step()
            return s.int64(0)
        }
        return ResourceIntent(
            id: id, address: address, type: type, plannedName: plannedName,
            command: command, createdAt: date(millis: now))
    }

    /// Intents not yet resolved or discarded, oldest first. Non-empty at the start of a
    /// run means a previous run crashed mid-create: adopt or discard each.
    public func pendingIntents() throws -> [ResourceIntent] {
        try withConnection { connection in
            try connection.withStatement(
                "SELECT id, address, type, planned_name, command, created_at FROM intents ORDER BY id"
            ) { s in
                var intents: [ResourceIntent] = []
                while try s.step() {
                    intents.append(
                        ResourceIntent(
                            id: s.int64(0), address: s.text(1), type: s.text(2), plannedName: s.optionalText(3),
                            command: s.text(4), createdAt: date(millis: s.int64(5))))
                }
                return intents
            }
        }
    }

    /// Deletes an intent (the create failed cleanly, or recovery found nothing to adopt).
    /// - Returns: false when no such intent existed.
    @discardableResult
    public func discardIntent(_ id: Int64) throws -> Bool {
        try withConnection { try deleteIntent(id, on: $0) }
    }

    func deleteIntent(_ id: Int64, on connection: Connection) throws -> Bool {
        try connection.withStatement("DELETE FROM intents WHERE id = ?") { s in
            try s.bind(1, id)
            try s.run()
        }
        return connection.changes > 0
    }

    // MARK: - Stack outputs

    /// Replaces the stack outputs (JSON text, opaque here). Its own transaction; does not
    /// change the serial or the history.
    public func setOutputs(json: String) throws {
        try withConnection { try storeOutputs(json: json, on: $0) }
    }

    func storeOutputs(json: String, on connection: Connection) throws {
        try connection.withStatement("INSERT OR REPLACE INTO meta (key, value) VALUES ('outputs', ?)") { s in
            try s.bind(1, json)
            try s.run()
        }
    }

    /// The stack outputs last set, or nil if never set.
    public func outputs() throws -> String? {
        try withConnection { try $0.scalarText("SELECT value FROM meta WHERE key = 'outputs'") }
    }

    // MARK: - Drift runs

    /// Records the result of a drift check. Needs no lock and leaves the serial alone.
    @discardableResult
    public func recordDriftRun(
        drifted: Bool, changed: Int, deleted: Int, unmanaged: Int, reportJSON: String, checkedAt: Date = Date()
    ) throws -> DriftRun {
        try withConnection { connection in
            try insertDriftRun(
                drifted: drifted, changed: changed, deleted: deleted, unmanaged: unmanaged, reportJSON: reportJSON,
                at: millis(checkedAt), on: connection)
        }
    }

    func insertDriftRun(
        drifted: Bool, changed: Int, deleted: Int, unmanaged: Int, reportJSON: String, at: Int64, on connection: Connection
    ) throws -> DriftRun {
        let id = try connection.withStatement(
            """
            INSERT INTO drift_runs (checked_at, drifted, changed, deleted, unmanaged, report)
            VALUES (?, ?, ?, ?, ?, ?) RETURNING id
            """
        ) { s -> Int64 in
            try s.bind(1, at)
            try s.bind(2, drifted ? 1 : 0)
            try s.bind(3, changed)
            try s.bind(4, deleted)
            try s.bind(5, unmanaged)
            try s.bind(6, reportJSON)
            _ = try s.step()
            return s.int64(0)
        }
        return DriftRun(
            id: id, checkedAt: date(millis: at), drifted: drifted, changed: changed,
            deleted: deleted, unmanaged: unmanaged, reportJSON: reportJSON)
    }

    /// The most recent drift runs, newest first (all of them when `limit` is nil).
    public func driftRuns(limit: Int? = nil) throws -> [DriftRun] {
        try withConnection { connection in
            try connection.withStatement(
                """
                SELECT id, checked_at, drifted, changed, deleted, unmanaged, report
                FROM drift_runs ORDER BY id DESC LIMIT ?
                """
            ) { s in
                try s.bind(1, limit ?? -1)
                var runs: [DriftRun] = []
                while try s.step() {
                    runs.append(
                        DriftRun(
                            id: s.int64(0), checkedAt: date(millis: s.int64(1)), drifted: s.int64(2) != 0,
                            changed: s.int(3), deleted: s.int(4), unmanaged: s.int(5), reportJSON: s.text(6)))
                }
                return runs
            }
        }
    }
}
