import Foundation

// POSIX helpers kept at file scope, where `open`/`link`/`rename` mean the C functions
// rather than StateStore's own `open`.

enum FileSystem {
    enum Kind { case missing, file, directory, other }

    /// What is at `path` (following symlinks); throws only when it cannot be told.
    static func kind(of url: URL) throws -> Kind {
        var st = stat()
        if stat(url.path, &st) != 0 {
            let e = errno
            if e == ENOENT || e == ENOTDIR { return .missing }
            throw StateError.io(url, reason: errorString(e))
        }
        switch st.st_mode & S_IFMT {
        case S_IFREG: return .file
        case S_IFDIR: return .directory
        default: return .other
        }
    }

    static func exists(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0
    }

    /// Up to the first `count` bytes of the file, read without SQLite so nothing is
    /// created or locked next to it.
    static func readPrefix(of url: URL, count: Int) throws -> [UInt8] {
        let fd = open(url.path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw StateError.io(url, reason: errorString(errno)) }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: count)
        var filled = 0
        while filled < count {
            let n = buffer.withUnsafeMutableBytes { raw in
                read(fd, raw.baseAddress! + filled, count - filled)
            }
            if n < 0 {
                if errno == EINTR { continue }
                throw StateError.io(url, reason: errorString(errno))
            }
            if n == 0 { break }
            filled += n
        }
        return Array(buffer.prefix(filled))
    }

    /// Creates an empty file that must not exist yet, readable by its owner only
    /// (state can hold secrets; SQLite's -wal/-shm files inherit this mode).
    static func createPrivateFile(_ url: URL) throws {
        let fd = open(url.path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw StateError.io(url, reason: errorString(errno)) }
        close(fd)
    }

    /// Moves a finished file into place only if nothing is there yet. Returns false when
    /// another process published its own file first (the caller then uses that one).
    static func publish(_ temp: URL, at url: URL) throws -> Bool {
        if link(temp.path, url.path) == 0 {
            syncDirectory(of: url)
            return true
        }
        let e = errno
        if e == EEXIST { return false }
        // File systems without hard links: fall back to rename, with a small race window.
        if e == EPERM || e == ENOTSUP || e == EOPNOTSUPP || e == EMLINK || e == ENOSYS {
            if exists(url.path) { return false }
            if rename(temp.path, url.path) == 0 {
                syncDirectory(of: url)
                return true
            }
            throw StateError.io(url, reason: errorString(errno))
        }
        throw StateError.io(url, reason: errorString(e))
    }

    static func remove(_ path: String) {
        unlink(path)
    }

    /// Makes a new directory entry durable (a rename/link is only durable once its
    /// directory is synced).
    static func syncDirectory(of url: URL) {
        let fd = open(url.deletingLastPathComponent().path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return }
        fsync(fd)
        close(fd)
    }

    static func errorString(_ code: Int32) -> String {
        String(cString: strerror(code))
    }

    /// A `file:` URI for SQLite, escaping the characters its URI parser treats specially.
    static func sqliteURI(for url: URL, query: String) -> String {
        var escaped = ""
        for scalar in url.path.unicodeScalars {
            switch scalar {
            case "%": escaped += "%25"
            case "?": escaped += "%3f"
            case "#": escaped += "%23"
            default: escaped.unicodeScalars.append(scalar)
            }
        }
        return "file://" + escaped + "?" + query
    }
}
