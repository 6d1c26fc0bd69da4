import CSQLite
import Foundation

/// Everything that can go wrong with a state database. Each `description` is one
/// actionable sentence that names the file.
public enum StateError: Error, Sendable, Equatable, CustomStringConvertible, LocalizedError {
    /// No state database exists at this path (only when opening without `create`).
    case notFound(URL)
    /// The file is not a SQLite database at all (empty, random bytes, a directory…).
    /// The file was left untouched.
    case notADatabase(URL, reason: String)
    /// The file is a SQLite database, but not one Cairn wrote. The file was left untouched.
    case notCairnState(URL, reason: String)
    /// The file is a Cairn state database whose pages are damaged.
    case corrupt(URL, detail: String)
    /// The file was written by a newer Cairn with a schema this build does not know.
    /// The file was left untouched.
    case newerSchema(URL, found: Int, supported: Int)
    /// The file belongs to another stack or environment than the one asked for.
    case wrongStack(URL, expectedStack: String, expectedEnvironment: String, foundStack: String, foundEnvironment: String)
    /// Another process holds the stack's lock.
    case locked(LockInfo)
    /// A force-unlock was refused: the lock's holder is still running on this host.
    case holderRunning(LockInfo)
    /// A create/import/adopt names an address that state already tracks.
    case resourceExists(URL, address: String)
    /// An update/delete/forget names an address that state does not track.
    case resourceNotFound(URL, address: String)
    /// The file could not be read or created (permissions, missing directory…).
    case io(URL, reason: String)
    /// Any other SQLite failure (disk full, busy beyond the timeout, read-only file system…).
    case sqlite(URL, code: Int32, message: String)
    /// The store was used after `close()`.
    case closed(URL)

    /// One sentence naming the file, what is wrong and what to do about it.
    public var description: String {
        switch self {
        case .notFound(let url):
            return "There is no Cairn state at \(url.path) — run an apply to create it, or check the state directory, stack and environment names."
        case .notADatabase(let url, let reason):
            return
                "\(url.path) is not a Cairn state database (\(reason)) — restore it from a backup or move it away, then run again (Cairn left it untouched)."
        case .notCairnState(let url, let reason):
            return
                "\(url.path) is a SQLite database but not a Cairn state database (\(reason)) — point Cairn at the right state directory or move this file away (Cairn left it untouched)."
        case .corrupt(let url, let detail):
            return
                "\(url.path) is a damaged Cairn state database (\(detail)) — restore it from a backup, or try `sqlite3 \(url.path) .recover` on a copy."
        case .newerSchema(let url, let found, let supported):
            return
                "\(url.path) was written by a newer Cairn (schema \(found), this build knows up to \(supported)): upgrade Cairn to use it (the file was left untouched)."
        case .wrongStack(let url, let expectedStack, let expectedEnvironment, let foundStack, let foundEnvironment):
            return
                "\(url.path) holds the state of stack '\(foundStack)' environment '\(foundEnvironment)', not stack '\(expectedStack)' environment '\(expectedEnvironment)' — check the state directory and names, or move the file back where it belongs."
        case .locked(let info):
            let since = ISO8601DateFormatter().string(from: info.since)
            let hint: String
            if info.leaseExpires != nil {
                hint =
                    info.isStale
                    ? "its lease ran out (or its process is gone), so run `\(info.forceUnlockCommand)` to clear it"
                    : "wait for it to finish (it renews its lease while it runs), or if it is gone run `\(info.forceUnlockCommand)` once its lease has run out"
            } else {
                hint =
                    info.isStale
                    ? "that process no longer exists, so run `\(info.forceUnlockCommand)` to clear it"
                    : "wait for it to finish, or if that process is gone run `\(info.forceUnlockCommand)`"
            }
            let user = info.user.map { " (user \($0))" } ?? ""
            return "\(info.place) is locked by pid \(info.pid) on \(info.host)\(user) running '\(info.command)' since \(since) — \(hint)."
        case .holderRunning(let info):
            let since = ISO8601DateFormatter().string(from: info.since)
            return
                "\(info.place) is locked by pid \(info.pid) running '\(info.command)' since \(since), and that process is still running on this host — wait for it to finish or stop it (kill \(info.pid)), then run `\(info.forceUnlockCommand)` if its lock is left behind."
        case .resourceExists(let url, let address):
            return "\(url.path) already tracks a resource at '\(address)' — forget or delete it first, or use an update instead of a create."
        case .resourceNotFound(let url, let address):
            return "\(url.path) tracks no resource at '\(address)' — refresh the plan, since state changed since it was made."
        case .io(let url, let reason):
            return "Cannot use \(url.path) (\(reason)) — check that the directory exists and that its permissions let Cairn read and write it."
        case .sqlite(let url, let code, let message):
            return "SQLite failed on \(url.path) (code \(code): \(message)) — \(Self.hint(forSQLiteCode: code))."
        case .closed(let url):
            return "The state store for \(url.path) was already closed — open it again before using it."
        }
    }

    /// The same text as `description`, for `localizedDescription`.
    public var errorDescription: String? { description }

    private static func hint(forSQLiteCode code: Int32) -> String {
        switch code & 0xff {
        case SQLITE_BUSY, SQLITE_LOCKED:
            return "another Cairn process is writing to it, so try again when it finishes"
        case SQLITE_FULL:
            return "free some disk space and run again"
        case SQLITE_READONLY, SQLITE_PERM, SQLITE_CANTOPEN, SQLITE_AUTH:
            return "check the file and directory permissions and that the file system is writable"
        case SQLITE_IOERR:
            return "check the disk and file system, then run again"
        default:
            return "run again, and restore the file from a backup if it keeps failing"
        }
    }

    /// Maps a raw SQLite failure on `url` to the closest case.
    static func from(_ failure: SQLiteFailure, url: URL) -> StateError {
        switch failure.primary {
        case SQLITE_NOTADB: return .notADatabase(url, reason: "file is not a database")
        case SQLITE_CORRUPT: return .corrupt(url, detail: failure.message)
        default: return .sqlite(url, code: failure.code, message: failure.message)
        }
    }
}
