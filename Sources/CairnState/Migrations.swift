import Foundation

/// One schema change. Migrations are applied in `id` order, each exactly once per
/// database, and recorded in its `migrations` table; `PRAGMA user_version` mirrors the
/// highest applied id so the version can be read from the file header without SQLite.
public struct Migration: Sendable, Equatable {
    /// Unique, increasing id; also the schema version a database reaches by applying it.
    public let id: Int
    /// Short human-readable name.
    public let name: String
    /// The statements to run (several, separated by semicolons, are fine).
    public let sql: String

    /// Creates a migration.
    public init(id: Int, name: String, sql: String) {
        self.id = id
        self.name = name
        self.sql = sql
    }

    /// Every migration this build knows, in order. Append only: never edit or reorder a
    /// released migration, add a new one with the next id.
    public static let all: [Migration] = [
        Migration(
            id: 1, name: "initial schema",
            sql: """
                CREATE TABLE meta (
                    key   TEXT PRIMARY KEY NOT NULL,
                    value NOT NULL            -- no affinity: serial stays an integer
                ) WITHOUT ROWID;

                CREATE TABLE resources (
                    address      TEXT PRIMARY KEY NOT NULL,
                    type         TEXT NOT NULL,
                    physical_id  TEXT NOT NULL,
                    attributes   TEXT NOT NULL,
                    outputs      TEXT NOT NULL,
                    dependencies TEXT NOT NULL DEFAULT '[]',  -- JSON array of addresses
                    created_at   INTEGER NOT NULL,            -- ms since 1970
                    updated_at   INTEGER NOT NULL
                );

                CREATE TABLE history (
                    id      INTEGER PRIMARY KEY AUTOINCREMENT,
                    at      INTEGER NOT NULL,
                    serial  INTEGER NOT NULL,
                    command TEXT NOT NULL,
                    action  TEXT NOT NULL,
                    address TEXT NOT NULL,
                    record  TEXT                              -- resulting record JSON, NULL on delete
                );
                CREATE INDEX history_by_address ON history (address, id);

                CREATE TABLE intents (
                    id           INTEGER PRIMARY KEY AUTOINCREMENT,
                    address      TEXT NOT NULL,
                    type         TEXT NOT NULL,
                    planned_name TEXT,
                    command      TEXT NOT NULL,
                    created_at   INTEGER NOT NULL
                );

                CREATE TABLE lock (
                    id      INTEGER PRIMARY KEY CHECK (id = 1),  -- at most one holder
                    lock_id TEXT NOT NULL,
                    pid     INTEGER NOT NULL,
                    host    TEXT NOT NULL,
                    command TEXT NOT NULL,
                    since   INTEGER NOT NULL
                );
                """),
        Migration(
            id: 2, name: "drift runs",
            sql: """
                CREATE TABLE drift_runs (
                    id         INTEGER PRIMARY KEY AUTOINCREMENT,
                    checked_at INTEGER NOT NULL,
                    drifted    INTEGER NOT NULL CHECK (drifted IN (0, 1)),
                    changed    INTEGER NOT NULL,
                    deleted    INTEGER NOT NULL,
                    unmanaged  INTEGER NOT NULL,
                    report     TEXT NOT NULL
                );
                """),
        // The holder's start time tells a live holder from a reused pid. Rows written before
        // this migration have none (NULL) and are judged by their pid alone.
        Migration(
            id: 3, name: "lock process start time",
            sql: """
                ALTER TABLE lock ADD COLUMN process_start INTEGER;
                """),
    ]

    /// The schema version a database has once every known migration is applied.
    public static var latestVersion: Int { all.last?.id ?? 0 }
}

extension Migration {
    /// The bookkeeping table itself; created before any migration runs.
    static let bootstrapSQL = """
        CREATE TABLE IF NOT EXISTS migrations (
            id         INTEGER PRIMARY KEY,
            name       TEXT NOT NULL,
            applied_at INTEGER NOT NULL
        );
        """

    /// Applies the migrations of `registry` that `connection` lacks. Must run inside a
    /// write transaction so a failed upgrade leaves the file as it was.
    static func applyMissing(_ registry: [Migration], on connection: Connection, now: Date) throws -> [Migration] {
        try connection.exec(bootstrapSQL)
        let applied = try appliedIDs(on: connection)
        let missing = registry.filter { !applied.contains($0.id) }
        for migration in missing {
            try connection.exec(migration.sql)
            try connection.withStatement("INSERT INTO migrations (id, name, applied_at) VALUES (?, ?, ?)") { s in
                try s.bind(1, migration.id)
                try s.bind(2, migration.name)
                try s.bind(3, millis(now))
                try s.run()
            }
        }
        if let last = registry.last, !missing.isEmpty {
            try connection.exec("PRAGMA user_version = \(last.id)")
        }
        return missing
    }

    static func appliedIDs(on connection: Connection) throws -> Set<Int> {
        try connection.withStatement("SELECT id FROM migrations") { s in
            var ids = Set<Int>()
            while try s.step() { ids.insert(s.int(0)) }
            return ids
        }
    }
}
