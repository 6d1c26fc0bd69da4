import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The error thrown by every TestSupport helper: one readable message (shown as is by Swift Testing).
public struct TestSupportError: Error, CustomStringConvertible, Sendable {
    /// What went wrong, and usually what to do about it.
    public let message: String
    /// Creates an error with `message`.
    public init(_ message: String) { self.message = message }
    /// The message.
    public var description: String { message }
}

/// A value guarded by a lock (the package targets macOS 13, so no `Synchronization.Mutex`).
public final class Locked<Value: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value

    /// Guards `value`.
    public init(_ value: Value) { self.value = value }

    /// Runs `body` with the value, under the lock.
    public func withLock<R>(_ body: (inout Value) throws -> R) rethrows -> R {
        lock.lock()
        defer { lock.unlock() }
        return try body(&value)
    }

    /// A copy of the value.
    public var current: Value { withLock { $0 } }
}

/// Runs blocking work on a thread of its own, so that neither the cooperative pool of Swift concurrency
/// nor Dispatch's limited pool is held up by a child process that runs for minutes (2-core CI machines).
func runDetached<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        let thread = Thread {
            continuation.resume(with: Result { try body() })
        }
        thread.stackSize = 1 << 20
        thread.start()
    }
}

/// Creates a fresh, empty, private (0700) directory under the system temporary directory.
/// The caller owns it (remove it when done if it matters).
public func makeTemporaryDirectory() throws -> URL {
    try makeTemporaryDirectory(prefix: "cairn-test-")
}

func makeTemporaryDirectory(prefix: String, in parent: URL? = nil) throws -> URL {
    var base = parent?.path ?? NSTemporaryDirectory()
    if base.isEmpty { base = "/tmp/" }
    if !base.hasSuffix("/") { base += "/" }
    var template = Array((base + prefix + "XXXXXX").utf8CString)
    let created = template.withUnsafeMutableBufferPointer { buffer -> Bool in
        mkdtemp(buffer.baseAddress!) != nil
    }
    guard created else {
        throw TestSupportError("mkdtemp in \(base) failed: \(String(cString: strerror(errno)))")
    }
    let path = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    return URL(fileURLWithPath: path, isDirectory: true)
}

/// A loopback port that refuses every connection for as long as it is open: bound but never listening,
/// so that no server another test starts meanwhile can take it (a port closed again could be). For "unreachable
/// endpoint" tests; `close()` it when done.
public final class ClosedLoopbackPort: Sendable {
    /// The port, on 127.0.0.1.
    public let port: Int
    private let fd: Int32

    /// Reserves a port.
    public init() throws { (fd, port) = try boundLoopbackSocket() }

    /// `http://127.0.0.1:PORT`.
    public var endpoint: URL { URL(string: "http://127.0.0.1:\(port)")! }

    /// Releases the port.
    public func close() { closeSocket(fd) }
}

private func closeSocket(_ fd: Int32) { close(fd) }

/// A TCP socket bound to 127.0.0.1 on a port the kernel picks, and that port.
private func boundLoopbackSocket() throws -> (Int32, Int) {
    #if canImport(Glibc)
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    #else
        let fd = socket(AF_INET, SOCK_STREAM, 0)
    #endif
    guard fd >= 0 else { throw TestSupportError("socket() failed: \(String(cString: strerror(errno)))") }
    var address = loopbackAddress(port: 0)
    let bound = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
        }
    }
    guard bound == 0 else {
        let reason = String(cString: strerror(errno))
        close(fd)
        throw TestSupportError("bind(127.0.0.1:0) failed: \(reason)")
    }
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let named = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
    }
    guard named == 0 else {
        let reason = String(cString: strerror(errno))
        close(fd)
        throw TestSupportError("getsockname failed: \(reason)")
    }
    return (fd, Int(UInt16(bigEndian: address.sin_port)))
}

func loopbackAddress(port: Int) -> sockaddr_in {
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = in_port_t(UInt16(port).bigEndian)
    address.sin_addr = in_addr(s_addr: UInt32(0x7f00_0001).bigEndian)
    return address
}

/// The Python helpers that ship next to this source file (Tests/TestSupport/scripts), run from the source tree.
enum SupportScripts {
    static var directory: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("scripts", isDirectory: true)
    }

    static func path(_ name: String) throws -> String {
        let path = directory.appendingPathComponent(name).path
        guard FileManager.default.fileExists(atPath: path) else {
            throw TestSupportError("TestSupport helper script missing: \(path) (it is run from the source tree)")
        }
        return path
    }

    static func python() throws -> String {
        guard let python = findExecutable("python3") else {
            throw TestSupportError("python3 not found on PATH; the test helpers need it. Run scripts/install-deps.")
        }
        return python
    }
}

/// One of the Python helpers that bind a loopback port of their own choosing and print `ready PORT` first (the
/// proxies): its port, its output and its process, and requests to its control endpoints.
final class HelperServer: Sendable {
    /// The script's name, for messages.
    let name: String
    /// The TCP port on 127.0.0.1.
    let port: Int
    /// Its output, alone in a directory of its own.
    let logFile: URL
    private let process: BackgroundProcess

    /// Starts it (`arguments` begin with the script, or with the watchdog that runs it) and waits for `ready PORT`:
    /// there is no race for a port.
    init(_ name: String, arguments: [String], environment: [String: String], logFile: URL, startupBound: TimeInterval = 60) throws {
        let process = try BackgroundProcess(path: try SupportScripts.python(), arguments: arguments, environment: environment, logFile: logFile.path)
        let deadline = Date().addingTimeInterval(startupBound)  // bound: a start takes about a second
        while Date() < deadline {
            let log = tailOfFile(logFile.path)
            if let line = log.split(separator: "\n").first(where: { $0.hasPrefix("ready ") }), let port = Int(line.dropFirst(6)) {
                (self.name, self.port, self.logFile, self.process) = (name, port, logFile, process)
                return
            }
            if let status = process.exitStatus() {
                throw TestSupportError("\(name) exited with status \(status) while starting:\n\(log)")
            }
            usleep(50_000)
        }
        process.terminate(grace: 2)
        throw TestSupportError("\(name) did not start within \(Int(startupBound)) s:\n\(tailOfFile(logFile.path))")
    }

    /// `http://127.0.0.1:PORT`
    var endpoint: URL { URL(string: "http://127.0.0.1:\(port)")! }

    /// Stops it and removes its directory. Idempotent.
    func stop() {
        process.terminate(grace: 5)
        if !keepTestLogs { try? FileManager.default.removeItem(at: logFile.deletingLastPathComponent()) }
    }

    /// The body of its answer to a control request; an answer other than 200 (or 204) throws.
    func control(method: String, path: String, body: Data = Data()) async throws -> Data {
        let (port, name) = (self.port, self.name)
        let response = try await runDetached {
            // bound: a hang only; the helper may be answering a burst of proxied requests on a loaded machine.
            try loopbackHTTPRequest(
                port: port, method: method, path: path, body: body, timeoutSeconds: Int(defaultProcessBound.components.seconds))
        }
        guard response.status == 200 || response.status == 204 else {
            throw TestSupportError("\(name): \(method) \(path) answered \(response.status): \(String(decoding: response.body, as: UTF8.self))")
        }
        return response.body
    }
}

/// The environment for a child that talks to a loopback AWS endpoint: this process's environment without any
/// `AWS_*` variable or `BOTO_CONFIG`, `HOME` set to `home` (an empty directory) with `AWS_CONFIG_FILE` and
/// `AWS_SHARED_CREDENTIALS_FILE` naming files that do not exist in it (so the machine's AWS setup never
/// leaks in), no instance metadata lookups, no pager, and loopback excluded from any proxy.
func isolatedEnvironment(home: URL) -> [String: String] {
    var environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("AWS_") && $0.key != "BOTO_CONFIG" }
    environment["HOME"] = home.path
    environment["AWS_CONFIG_FILE"] = home.appendingPathComponent(".aws/config").path
    environment["AWS_SHARED_CREDENTIALS_FILE"] = home.appendingPathComponent(".aws/credentials").path
    environment["AWS_EC2_METADATA_DISABLED"] = "true"
    environment["AWS_PAGER"] = ""
    for name in ["NO_PROXY", "no_proxy"] {
        let existing = environment[name] ?? ""
        environment[name] = "127.0.0.1,localhost" + (existing.isEmpty ? "" : "," + existing)
    }
    return environment
}

/// Whether `python -c "import module"` succeeds (used to find `python3 -m awscli` / `moto.server`).
func pythonCanImport(_ python: String, _ module: String) -> Bool {
    let result = try? runProcessBlocking(
        executable: python, arguments: ["-c", "import \(module)"], timeout: .seconds(300))  // bound: a minute and more when loaded
    return result?.status == 0
}

/// Whether `SIGKILL`ed/exited children should keep their temporary directories (logs) for inspection.
var keepTestLogs: Bool {
    let value = ProcessInfo.processInfo.environment["CAIRN_KEEP_TEST_LOGS"] ?? ""
    return !value.isEmpty && value != "0"
}

/// The last `maxBytes` of a text file, or a note that it cannot be read.
func tailOfFile(_ path: String, maxBytes: Int = 8_000) -> String {
    guard let data = FileManager.default.contents(atPath: path) else { return "(no log at \(path))" }
    let slice = data.count > maxBytes ? data.suffix(maxBytes) : data
    return String(decoding: slice, as: UTF8.self)
}
