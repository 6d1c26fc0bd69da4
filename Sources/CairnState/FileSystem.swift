import Foundation

// POSIX helpers kept at file scope, where `open`/`link`/`rename` mean the C functions
// rather than StateStore's own `open`.

/// The state directory and the files Cairn keeps in it besides the databases (the state key),
/// made with the same care as the databases: private to their owner, and never half-written.
public enum StateDirectory {
    /// Creates the state directory `url` if it is missing, usable by its owner only (0700), since
    /// state can hold secrets; missing parents are made as `mkdir -p` would. An existing directory
    /// is left as it is.
    ///
    /// - Throws: `StateError.io` naming the directory.
    public static func create(_ url: URL) throws {
        if try FileSystem.kind(of: url) == .directory { return }
        let parent = url.deletingLastPathComponent()
        do {
            try FileManager.default.createDirectory(at: parent, withIntermediateDirectories: true)
        } catch {
            throw StateError.io(url, reason: "cannot create the state directory: \(error.localizedDescription)")
        }
        guard mkdir(url.path, 0o700) != 0 else { return }
        let e = errno
        // EEXIST: another process made it meanwhile, which is as good.
        if e == EEXIST, try FileSystem.kind(of: url) == .directory { return }
        throw StateError.io(url, reason: "cannot create the state directory: \(FileSystem.errorString(e))")
    }

    /// Writes `contents` to a new file `url` readable by its owner only (0600), unless a file is
    /// there already: the file is written and synced under a temporary name first, then linked into
    /// place, so it is never seen half-written or readable by others, and two processes creating it
    /// at once never overwrite each other.
    ///
    /// - Returns: false when a file was already there (or another process published its own
    ///   first); it is left untouched.
    /// - Throws: `StateError.io` naming the file.
    public static func createPrivateFile(_ url: URL, contents: Data) throws -> Bool {
        if FileSystem.exists(url.path) { return false }
        let temp = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).\(UUID().uuidString).tmp")
        defer { FileSystem.remove(temp.path) }
        try FileSystem.createPrivateFile(temp)
        try FileSystem.writeAll(contents, to: temp)
        return try FileSystem.publish(temp, at: url)
    }
}

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

    /// Writes `data` over the start of an existing file and syncs it to disk.
    static func writeAll(_ data: Data, to url: URL) throws {
        let fd = open(url.path, O_WRONLY | O_CLOEXEC)
        guard fd >= 0 else { throw StateError.io(url, reason: errorString(errno)) }
        defer { close(fd) }
        var written = 0
        while written < data.count {
            let n = data.withUnsafeBytes { raw in
                write(fd, raw.baseAddress! + written, data.count - written)
            }
            if n < 0 {
                if errno == EINTR { continue }
                throw StateError.io(url, reason: errorString(errno))
            }
            written += n
        }
        guard fsync(fd) == 0 else { throw StateError.io(url, reason: errorString(errno)) }
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
