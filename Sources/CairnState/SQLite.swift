import CSQLite
import Foundation

// A thin, internal wrapper over one sqlite3 connection. Not thread-safe on its own:
// StateStore serialises every use behind its lock.

/// SQLITE_TRANSIENT is a C macro Swift cannot import; it tells SQLite to copy bound bytes.
var sqliteTransient: sqlite3_destructor_type {
    unsafeBitCast(-1 as Int, to: sqlite3_destructor_type.self)
}

/// An error straight from SQLite; StateStore turns it into a `StateError` naming the file.
struct SQLiteFailure: Error {
    var code: Int32
    var message: String

    /// The primary result code (extended codes carry detail in the high bits).
    var primary: Int32 { code & 0xff }
    var isCorruption: Bool { primary == SQLITE_CORRUPT || primary == SQLITE_NOTADB }
}

final class Statement {
    let handle: OpaquePointer
    private let db: OpaquePointer

    init(handle: OpaquePointer, db: OpaquePointer) {
        self.handle = handle
        self.db = db
    }

    deinit { sqlite3_finalize(handle) }

    private func check(_ rc: Int32) throws {
        guard rc == SQLITE_OK else {
            throw SQLiteFailure(code: sqlite3_extended_errcode(db), message: String(cString: sqlite3_errmsg(db)))
        }
    }

    func bind(_ index: Int32, _ value: String?) throws {
        guard let value else { return try check(sqlite3_bind_null(handle, index)) }
        // Explicit byte count so strings with embedded NULs survive.
        let count = Int32(value.utf8.count)
        try value.withCString { try check(sqlite3_bind_text(handle, index, $0, count, sqliteTransient)) }
    }

    func bind(_ index: Int32, _ value: Int64) throws {
        try check(sqlite3_bind_int64(handle, index, value))
    }

    func bind(_ index: Int32, _ value: Int) throws {
        try check(sqlite3_bind_int64(handle, index, Int64(value)))
    }

    func bind(_ index: Int32, _ value: Int64?) throws {
        guard let value else { return try check(sqlite3_bind_null(handle, index)) }
        try bind(index, value)
    }

    /// Steps once: true when a row is available, false when done.
    func step() throws -> Bool {
        let rc = sqlite3_step(handle)
        if rc == SQLITE_ROW { return true }
        if rc == SQLITE_DONE { return false }
        throw SQLiteFailure(code: sqlite3_extended_errcode(db), message: String(cString: sqlite3_errmsg(db)))
    }

    /// Steps to completion, ignoring rows.
    func run() throws {
        while try step() {}
    }

    func isNull(_ column: Int32) -> Bool {
        sqlite3_column_type(handle, column) == SQLITE_NULL
    }

    func text(_ column: Int32) -> String {
        guard let bytes = sqlite3_column_text(handle, column) else { return "" }
        let count = Int(sqlite3_column_bytes(handle, column))
        return String(decoding: UnsafeBufferPointer(start: bytes, count: count), as: UTF8.self)
    }

    func optionalText(_ column: Int32) -> String? {
        isNull(column) ? nil : text(column)
    }

    func int64(_ column: Int32) -> Int64 {
        sqlite3_column_int64(handle, column)
    }

    func optionalInt64(_ column: Int32) -> Int64? {
        isNull(column) ? nil : int64(column)
    }

    func int(_ column: Int32) -> Int {
        Int(sqlite3_column_int64(handle, column))
    }

    func reset() {
        sqlite3_reset(handle)
        sqlite3_clear_bindings(handle)
    }
}

final class Connection {
    private(set) var db: OpaquePointer?
    /// Prepared statements by SQL text; reused for the life of the connection.
    private var cache: [String: Statement] = [:]

    /// Opens `filename` (a path, or a `file:` URI when `flags` has SQLITE_OPEN_URI).
    init(filename: String, flags: Int32) throws {
        var handle: OpaquePointer?
        let rc = sqlite3_open_v2(filename, &handle, flags, nil)
        guard rc == SQLITE_OK, let handle else {
            let message = handle.map { String(cString: sqlite3_errmsg($0)) } ?? String(cString: sqlite3_errstr(rc))
            let code = handle.map { sqlite3_extended_errcode($0) } ?? rc
            sqlite3_close_v2(handle)
            throw SQLiteFailure(code: code, message: message)
        }
        db = handle
        sqlite3_extended_result_codes(handle, 1)
    }

    deinit { close() }

    func close() {
        cache.removeAll()  // finalizes every cached statement
        if let db { sqlite3_close_v2(db) }
        db = nil
    }

    private var handle: OpaquePointer {
        get throws {
            guard let db else { throw SQLiteFailure(code: SQLITE_MISUSE, message: "connection is closed") }
            return db
        }
    }

    func setBusyTimeout(milliseconds: Int32) throws {
        sqlite3_busy_timeout(try handle, milliseconds)
    }

    /// Runs one or more statements without results (DDL, pragmas, BEGIN/COMMIT).
    func exec(_ sql: String) throws {
        let db = try handle
        var errmsg: UnsafeMutablePointer<CChar>?
        let rc = sqlite3_exec(db, sql, nil, nil, &errmsg)
        if rc != SQLITE_OK {
            let message = errmsg.map { String(cString: $0) } ?? String(cString: sqlite3_errmsg(db))
            sqlite3_free(errmsg)
            throw SQLiteFailure(code: sqlite3_extended_errcode(db), message: message)
        }
    }

    /// A cached prepared statement for `sql`, reset and unbound after `body`.
    func withStatement<T>(_ sql: String, _ body: (Statement) throws -> T) throws -> T {
        let statement = try prepared(sql)
        defer { statement.reset() }
        return try body(statement)
    }

    private func prepared(_ sql: String) throws -> Statement {
        if let cached = cache[sql] { return cached }
        let db = try handle
        var stmt: OpaquePointer?
        let rc = sqlite3_prepare_v3(db, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &stmt, nil)
        guard rc == SQLITE_OK, let stmt else {
            throw SQLiteFailure(code: sqlite3_extended_errcode(db), message: String(cString: sqlite3_errmsg(db)))
        }
        let statement = Statement(handle: stmt, db: db)
        cache[sql] = statement
        return statement
    }

    /// The first column of the first row, or nil when there is no row or it is NULL.
    func scalarInt(_ sql: String) throws -> Int64? {
        try withStatement(sql) { s in
            try s.step() && !s.isNull(0) ? s.int64(0) : nil
        }
    }

    func scalarText(_ sql: String) throws -> String? {
        try withStatement(sql) { s in
            try s.step() ? s.optionalText(0) : nil
        }
    }

    /// Rows changed by the most recent INSERT/UPDATE/DELETE.
    var changes: Int {
        db.map { Int(sqlite3_changes($0)) } ?? 0
    }

    /// Runs `body` in a transaction; IMMEDIATE takes the write lock up front so a
    /// writer never fails half-way with SQLITE_BUSY on lock upgrade.
    func transaction<T>(immediate: Bool, _ body: () throws -> T) throws -> T {
        try exec(immediate ? "BEGIN IMMEDIATE" : "BEGIN")
        do {
            let result = try body()
            try exec("COMMIT")
            return result
        } catch {
            try? exec("ROLLBACK")
            throw error
        }
    }
}
