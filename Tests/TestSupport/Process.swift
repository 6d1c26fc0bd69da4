import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// What a finished child process left behind.
/// `status` is the exit code, or 128 + the signal number if a signal killed it (as shells report it).
public struct ProcessResult: Sendable, Equatable, CustomStringConvertible {
    /// The exit code, or 128 + the signal number.
    public let status: Int32
    /// Standard output, decoded as UTF-8 (invalid bytes replaced).
    public let stdout: String
    /// Standard error, decoded as UTF-8 (invalid bytes replaced).
    public let stderr: String

    /// Creates a result (for tests of code that consumes results).
    public init(status: Int32, stdout: String, stderr: String) {
        self.status = status
        self.stdout = stdout
        self.stderr = stderr
    }

    /// Whether the exit status is 0.
    public var succeeded: Bool { status == 0 }

    /// Returns `self` if the exit status is 0, else throws a `TestSupportError` naming `what` with the output.
    @discardableResult
    public func requireSuccess(_ what: String = "the process") throws -> ProcessResult {
        guard succeeded else { throw TestSupportError("\(what) failed: \(description)") }
        return self
    }

    /// The status and both outputs, for failure messages.
    public var description: String {
        "exit status \(status)\n--- stdout ---\n\(stdout)\n--- stderr ---\n\(stderr)"
    }
}

/// Thrown by `runProcess` when the child outlived its timeout; its process group was killed (SIGKILL).
public struct ProcessTimeoutError: Error, CustomStringConvertible, Sendable {
    /// The executable as given to `runProcess`.
    public let executable: String
    /// The arguments as given to `runProcess`.
    public let arguments: [String]
    /// The timeout that expired.
    public let timeout: Duration
    /// Whatever the child had written to standard output before it was killed.
    public let stdout: String
    /// Whatever the child had written to standard error before it was killed.
    public let stderr: String

    /// The command, the timeout and the end of both outputs.
    public var description: String {
        "\(executable) \(arguments.joined(separator: " ")) timed out after \(timeout) and was killed"
            + "\n--- stdout so far ---\n\(stdout.suffix(4_000))\n--- stderr so far ---\n\(stderr.suffix(4_000))"
    }
}

/// The absolute path of an executable: `name` itself if it contains a slash, else the first match on
/// `searchPath` (default: this process's PATH).
public func findExecutable(_ name: String, searchPath: String? = nil) -> String? {
    if name.contains("/") {
        return access(name, X_OK) == 0 ? name : nil
    }
    let path = searchPath ?? ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
    for directory in path.split(separator: ":", omittingEmptySubsequences: true) {
        let candidate = "\(directory)/\(name)"
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: candidate, isDirectory: &isDirectory), !isDirectory.boolValue,
            access(candidate, X_OK) == 0
        {
            return candidate
        }
    }
    return nil
}

/// How long a child may run before `runProcess` counts it as hung. bound: the aws CLI, a boto3 script or a Cairn command
/// takes seconds; at the start of a run on a loaded 2-core machine CI saw them take well over a minute.
public let defaultProcessBound: Duration = .seconds(300)

/// Runs a program to completion and returns its exit status and output.
///
/// - Parameters:
///   - executable: an absolute path, a path relative to `currentDirectory` (if it contains a slash), or a
///     name looked up on the `PATH` of `environment`, else on this process's `PATH`.
///   - arguments: the arguments (not including the program name).
///   - environment: the child's complete environment (nil: inherit this process's).
///   - currentDirectory: the child's working directory (nil: this process's).
///   - timeout: when it expires the child's whole process group is killed with SIGKILL and
///     `ProcessTimeoutError` (carrying the output so far) is thrown. It bounds a hang: the default,
///     `defaultProcessBound`, is minutes, as a loaded machine needs.
///   - stdin: written to the child's standard input, which is then closed (nil: /dev/null).
///
/// The child runs in its own process group. Standard output and error are drained concurrently with
/// poll(2) on a dedicated thread, so large outputs never deadlock and the cooperative thread pool is never
/// blocked. A non-zero exit status is *not* an error: check `status` (a signal death is `128 + signal`).
/// If the child exits but something it started keeps the output pipes open, output is collected for
/// 2 more seconds and then returned. Cancelling the calling task kills the process group and throws
/// `CancellationError`.
public func runProcess(
    executable: String,
    arguments: [String] = [],
    environment: [String: String]? = nil,
    currentDirectory: URL? = nil,
    timeout: Duration = defaultProcessBound,
    stdin: String? = nil
) async throws -> ProcessResult {
    try await runProcessCancellably(
        executable: executable, arguments: arguments, environment: environment, currentDirectory: currentDirectory,
        timeout: timeout, stdin: stdin, usage: nil)
}

/// What a finished child used, from wait4(2) (its reaped descendants included).
public struct ProcessUsage: Sendable {
    /// User plus system processor time.
    public let cpuTime: Duration
    /// How often it blocked and gave up the processor (voluntary context switches): a process waiting in
    /// epoll wakes a few dozen times; one polling in a loop, thousands of times, however little each turn costs.
    public let wakeUps: Int
}

/// Runs a program as `runProcess` does, and also returns what the child used: tests bound busy-waiting
/// with it instead of timing anything.
public func runProcessMeasuringUsage(
    executable: String,
    arguments: [String] = [],
    environment: [String: String]? = nil,
    timeout: Duration = defaultProcessBound
) async throws -> (result: ProcessResult, usage: ProcessUsage) {
    let usage = Locked<ProcessUsage?>(nil)
    let result = try await runProcessCancellably(
        executable: executable, arguments: arguments, environment: environment, currentDirectory: nil,
        timeout: timeout, stdin: nil, usage: usage)
    return (result, usage.current ?? ProcessUsage(cpuTime: .zero, wakeUps: 0))
}

private func runProcessCancellably(
    executable: String, arguments: [String], environment: [String: String]?, currentDirectory: URL?,
    timeout: Duration, stdin: String?, usage: Locked<ProcessUsage?>?
) async throws -> ProcessResult {
    try TestTier.requireIntegration("starts a child process (\(executable))")
    let cancelled = Locked(false)
    return try await withTaskCancellationHandler {
        try await runDetached {
            try runProcessBlocking(
                executable: executable, arguments: arguments, environment: environment,
                currentDirectory: currentDirectory?.path, timeout: timeout, stdin: stdin,
                isCancelled: { cancelled.withLock { $0 } }, usage: usage)
        }
    } onCancel: {
        cancelled.withLock { $0 = true }
    }
}

/// The blocking implementation of `runProcess` (also used while starting servers on their own thread).
func runProcessBlocking(
    executable: String,
    arguments: [String],
    environment: [String: String]? = nil,
    currentDirectory: String? = nil,
    timeout: Duration = defaultProcessBound,
    stdin: String? = nil,
    isCancelled: () -> Bool = { false },
    usage: Locked<ProcessUsage?>? = nil
) throws -> ProcessResult {
    ignoreSIGPIPE
    let childEnvironment = environment ?? ProcessInfo.processInfo.environment
    if let currentDirectory {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: currentDirectory, isDirectory: &isDirectory),
            isDirectory.boolValue
        else {
            throw TestSupportError("runProcess: working directory '\(currentDirectory)' does not exist")
        }
    }
    var lookup = executable
    if let currentDirectory, executable.contains("/"), !executable.hasPrefix("/") {
        lookup = URL(fileURLWithPath: currentDirectory).appendingPathComponent(executable).path
    }
    guard
        let path = findExecutable(lookup, searchPath: environment?["PATH"])
            ?? findExecutable(lookup)
    else {
        throw TestSupportError("runProcess: executable '\(executable)' not found (PATH=\(childEnvironment["PATH"] ?? ""))")
    }

    let stdoutPipe = try makePipe()
    let stderrPipe: (read: Int32, write: Int32)
    do { stderrPipe = try makePipe() } catch {
        closePipe(stdoutPipe)
        throw error
    }
    var stdinPipe: (read: Int32, write: Int32)?
    if stdin != nil {
        do { stdinPipe = try makePipe() } catch {
            closePipe(stdoutPipe)
            closePipe(stderrPipe)
            throw error
        }
    }

    let pid: pid_t
    do {
        pid = try spawnChild(
            path: path, arguments: arguments, environment: childEnvironment,
            stdin: stdinPipe.map { .duplicate($0.read) } ?? .open("/dev/null", O_RDONLY),
            stdout: .duplicate(stdoutPipe.write), stderr: .duplicate(stderrPipe.write),
            newProcessGroup: true, currentDirectory: currentDirectory)
    } catch {
        closePipe(stdoutPipe)
        closePipe(stderrPipe)
        if let stdinPipe { closePipe(stdinPipe) }
        throw error
    }
    close(stdoutPipe.write)
    close(stderrPipe.write)
    if let stdinPipe { close(stdinPipe.read) }

    var collector = OutputCollector(
        stdout: stdoutPipe.read, stderr: stderrPipe.read,
        stdin: stdinPipe?.write, input: Array((stdin ?? "").utf8))
    defer { collector.closeAll() }

    let clock = ContinuousClock()
    let deadline = clock.now.advanced(by: timeout)
    var waitStatus: Int32?
    var exitedAt: ContinuousClock.Instant?

    /// Records the child's exit and what it used, once it has exited.
    func reap() {
        var used = rusage()
        guard waitStatus == nil, let status = waitForChild(pid, options: WNOHANG, usage: &used) else { return }
        waitStatus = status
        exitedAt = clock.now
        usage?.withLock { $0 = ProcessUsage(cpuTime: used.ru_utime.duration + used.ru_stime.duration, wakeUps: used.ru_nvcsw) }
    }

    while true {
        let now = clock.now
        // A thread starved past the deadline looks once more before it kills: the child may have exited meanwhile.
        if now >= deadline { reap() }
        if waitStatus == nil, now >= deadline || isCancelled() {
            kill(-pid, SIGKILL)
            kill(pid, SIGKILL)
            _ = waitForChild(pid, options: 0)
            collector.pump(timeoutMilliseconds: 0)
            if now < deadline { throw CancellationError() }
            throw ProcessTimeoutError(
                executable: executable, arguments: arguments, timeout: timeout,
                stdout: collector.stdoutText, stderr: collector.stderrText)
        }
        let remaining = waitStatus == nil ? deadline - now : .milliseconds(50)
        let sliceMilliseconds = Int32(max(0, min(50, remaining / .milliseconds(1))))
        collector.pump(timeoutMilliseconds: max(1, sliceMilliseconds))
        reap()
        if waitStatus != nil {
            if collector.outputsClosed { break }
            if let exitedAt, clock.now - exitedAt > .seconds(2) { break }
        }
    }
    return ProcessResult(
        status: decodeWaitStatus(waitStatus!), stdout: collector.stdoutText, stderr: collector.stderrText)
}

// MARK: - Internals

/// Reads stdout/stderr and feeds stdin of a child with poll(2).
private struct OutputCollector {
    var stdoutFD: Int32?
    var stderrFD: Int32?
    var stdinFD: Int32?
    var input: [UInt8]
    var inputOffset = 0
    var stdoutData = [UInt8]()
    var stderrData = [UInt8]()

    init(stdout: Int32, stderr: Int32, stdin: Int32?, input: [UInt8]) {
        stdoutFD = stdout
        stderrFD = stderr
        stdinFD = stdin
        self.input = input
        setNonBlocking(stdout)
        setNonBlocking(stderr)
        if let stdin {
            setNonBlocking(stdin)
            if input.isEmpty {
                close(stdin)
                stdinFD = nil
            }
        }
    }

    var outputsClosed: Bool { stdoutFD == nil && stderrFD == nil }
    var stdoutText: String { String(decoding: stdoutData, as: UTF8.self) }
    var stderrText: String { String(decoding: stderrData, as: UTF8.self) }

    mutating func closeAll() {
        for fd in [stdoutFD, stderrFD, stdinFD].compactMap({ $0 }) { close(fd) }
        stdoutFD = nil
        stderrFD = nil
        stdinFD = nil
    }

    mutating func pump(timeoutMilliseconds: Int32) {
        var fds = [pollfd]()
        if let fd = stdoutFD { fds.append(pollfd(fd: fd, events: Int16(POLLIN), revents: 0)) }
        if let fd = stderrFD { fds.append(pollfd(fd: fd, events: Int16(POLLIN), revents: 0)) }
        if let fd = stdinFD { fds.append(pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)) }
        if fds.isEmpty {
            if timeoutMilliseconds > 0 { usleep(useconds_t(timeoutMilliseconds) * 1000) }
            return
        }
        let ready = poll(&fds, nfds_t(fds.count), timeoutMilliseconds)
        if ready <= 0 { return }  // timeout, or EINTR: the caller loops
        for entry in fds where entry.revents != 0 {
            if entry.fd == stdoutFD {
                if !drain(entry.fd, into: &stdoutData) {
                    close(entry.fd)
                    stdoutFD = nil
                }
            } else if entry.fd == stderrFD {
                if !drain(entry.fd, into: &stderrData) {
                    close(entry.fd)
                    stderrFD = nil
                }
            } else if entry.fd == stdinFD {
                feedInput(entry.fd)
            }
        }
    }

    /// Reads what is available; false at end of file (or on a hard error).
    private func drain(_ fd: Int32, into data: inout [UInt8]) -> Bool {
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count > 0 {
                data.append(contentsOf: buffer[0..<count])
                continue
            }
            if count == 0 { return false }
            if errno == EINTR { continue }
            return errno == EAGAIN || errno == EWOULDBLOCK
        }
    }

    private mutating func feedInput(_ fd: Int32) {
        while inputOffset < input.count {
            let written = input.withUnsafeBytes {
                write(fd, $0.baseAddress! + inputOffset, min(65_536, input.count - inputOffset))
            }
            if written > 0 {
                inputOffset += written
                continue
            }
            if written < 0 && errno == EINTR { continue }
            if written < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) { return }
            break  // EPIPE (the child closed its stdin) or another error: stop feeding
        }
        close(fd)
        stdinFD = nil
    }
}

/// SIGPIPE would kill the test process when a child closes its stdin early; ignore it once, process-wide.
/// (Children get the default disposition back through POSIX_SPAWN_SETSIGDEF.)
private let ignoreSIGPIPE: Void = {
    signal(SIGPIPE, SIG_IGN)
}()

private typealias Pipe2Function = @convention(c) (UnsafeMutablePointer<Int32>, Int32) -> Int32
private typealias CloseFromFunction = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
private typealias AddChdirFunction =
    @convention(c) (
        UnsafeMutablePointer<posix_spawn_file_actions_t>, UnsafePointer<CChar>
    ) -> Int32

/// GNU extensions that the Glibc module does not import; looked up at run time
/// (glibc ≥ 2.34 has all three; addchdir_np since 2.29).
private struct GNUExtensions: @unchecked Sendable {
    let pipe2: Pipe2Function?
    let addCloseFrom: CloseFromFunction?
    let addChdir: AddChdirFunction?

    static let shared: GNUExtensions = {
        let handle = dlopen(nil, RTLD_NOW)
        let pipe2 = dlsym(handle, "pipe2").map { unsafeBitCast($0, to: Pipe2Function.self) }
        let closeFrom = dlsym(handle, "posix_spawn_file_actions_addclosefrom_np")
            .map { unsafeBitCast($0, to: CloseFromFunction.self) }
        let chdir = dlsym(handle, "posix_spawn_file_actions_addchdir_np")
            .map { unsafeBitCast($0, to: AddChdirFunction.self) }
        return GNUExtensions(pipe2: pipe2, addCloseFrom: closeFrom, addChdir: chdir)
    }()
}

/// Serialises pipe()+FD_CLOEXEC when pipe2 is unavailable (still racy against other spawners, but rare).
private let pipeLock = NSLock()

/// A pipe whose both ends are close-on-exec, so no other child spawned meanwhile inherits them
/// (an inherited write end would keep our reader from ever seeing end of file).
func makePipe() throws -> (read: Int32, write: Int32) {
    var fds: [Int32] = [-1, -1]
    if let pipe2 = GNUExtensions.shared.pipe2 {
        guard pipe2(&fds, O_CLOEXEC) == 0 else {
            throw TestSupportError("pipe2 failed: \(String(cString: strerror(errno)))")
        }
    } else {
        pipeLock.lock()
        defer { pipeLock.unlock() }
        guard pipe(&fds) == 0 else { throw TestSupportError("pipe failed: \(String(cString: strerror(errno)))") }
        _ = fcntl(fds[0], F_SETFD, FD_CLOEXEC)
        _ = fcntl(fds[1], F_SETFD, FD_CLOEXEC)
    }
    return (fds[0], fds[1])
}

private func closePipe(_ pipe: (read: Int32, write: Int32)) {
    close(pipe.read)
    close(pipe.write)
}

private func setNonBlocking(_ fd: Int32) {
    let flags = fcntl(fd, F_GETFL)
    _ = fcntl(fd, F_SETFL, flags | O_NONBLOCK)
}

/// Where a standard descriptor of the child comes from.
enum ChildDescriptor {
    /// dup2 of a descriptor of ours.
    case duplicate(Int32)
    /// A file opened in the child.
    case open(String, Int32)
}

/// posix_spawn with: the given descriptors as 0/1/2 and every other descriptor closed, default signal
/// dispositions and an empty signal mask, optionally a new process group (pgid = pid).
func spawnChild(
    path: String, arguments: [String], environment: [String: String],
    stdin: ChildDescriptor, stdout: ChildDescriptor, stderr: ChildDescriptor,
    newProcessGroup: Bool, currentDirectory: String? = nil
) throws -> pid_t {
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    for (target, source) in [(Int32(0), stdin), (1, stdout), (2, stderr)] {
        switch source {
        case .duplicate(let fd):
            posix_spawn_file_actions_adddup2(&actions, fd, target)
        case .open(let file, let flags):
            posix_spawn_file_actions_addopen(&actions, target, file, flags, 0o644)
        }
    }
    if let addCloseFrom = GNUExtensions.shared.addCloseFrom {
        _ = addCloseFrom(&actions, 3)
    }
    if let currentDirectory {
        guard let addChdir = GNUExtensions.shared.addChdir else {
            throw TestSupportError("posix_spawn_file_actions_addchdir_np is unavailable (glibc < 2.29): cannot set a working directory")
        }
        let result = currentDirectory.withCString { addChdir(&actions, $0) }
        guard result == 0 else {
            throw TestSupportError("posix_spawn_file_actions_addchdir_np failed: \(String(cString: strerror(result)))")
        }
    }

    var attributes = posix_spawnattr_t()
    posix_spawnattr_init(&attributes)
    defer { posix_spawnattr_destroy(&attributes) }
    var flags = Int32(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF)
    if newProcessGroup {
        flags |= Int32(POSIX_SPAWN_SETPGROUP)
        posix_spawnattr_setpgroup(&attributes, 0)
    }
    var emptyMask = sigset_t()
    sigemptyset(&emptyMask)
    posix_spawnattr_setsigmask(&attributes, &emptyMask)
    var defaults = sigset_t()
    sigemptyset(&defaults)
    for signalNumber in [SIGPIPE, SIGINT, SIGTERM, SIGQUIT, SIGHUP, SIGCHLD, SIGALRM, SIGUSR1, SIGUSR2] {
        sigaddset(&defaults, signalNumber)
    }
    posix_spawnattr_setsigdefault(&attributes, &defaults)
    posix_spawnattr_setflags(&attributes, Int16(flags))

    let argv: [UnsafeMutablePointer<CChar>?] = ([path] + arguments).map { strdup($0) } + [nil]
    let envp: [UnsafeMutablePointer<CChar>?] = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
    defer {
        for pointer in argv { free(pointer) }
        for pointer in envp { free(pointer) }
    }
    var pid = pid_t()
    let result = posix_spawn(&pid, path, &actions, &attributes, argv, envp)
    guard result == 0 else {
        throw TestSupportError("posix_spawn \(path) failed: \(String(cString: strerror(result)))")
    }
    return pid
}

/// waitpid, retrying on EINTR. nil: still running (WNOHANG) or not our child any more.
func waitForChild(_ pid: pid_t, options: Int32) -> Int32? {
    var usage = rusage()
    return waitForChild(pid, options: options, usage: &usage)
}

/// wait4 (waitpid that also reports the child's resource usage), retrying on EINTR.
func waitForChild(_ pid: pid_t, options: Int32, usage: inout rusage) -> Int32? {
    var status: Int32 = 0
    while true {
        let result = wait4(pid, &status, options, &usage)
        if result == pid { return status }
        if result == -1 && errno == EINTR { continue }
        return nil
    }
}

extension timeval {
    var duration: Duration { .seconds(Int64(tv_sec)) + .microseconds(Int64(tv_usec)) }
}

func decodeWaitStatus(_ status: Int32) -> Int32 {
    let signalNumber = status & 0x7f
    return signalNumber == 0 ? (status >> 8) & 0xff : 128 + signalNumber
}

/// A long-running helper child (moto's watchdog, the stub server) writing to a log file.
/// It is registered so that an atexit handler sends it SIGTERM when the test process exits normally;
/// the helpers themselves also watch their parent pid, which covers crashes and SIGKILL.
final class BackgroundProcess: Sendable {
    let pid: pid_t
    private let status = Locked<Int32?>(nil)

    init(path: String, arguments: [String], environment: [String: String], logFile: String) throws {
        ignoreSIGPIPE
        installExitHandler
        pid = try spawnChild(
            path: path, arguments: arguments, environment: environment,
            stdin: .open("/dev/null", O_RDONLY),
            stdout: .open(logFile, O_WRONLY | O_CREAT | O_APPEND), stderr: .duplicate(1),
            newProcessGroup: true)
        liveBackgroundProcesses.withLock { _ = $0.insert(pid) }
    }

    /// The decoded exit status if it has exited (reaps it), else nil.
    func exitStatus() -> Int32? {
        status.withLock { status in
            if status == nil, let raw = waitForChild(pid, options: WNOHANG) {
                status = decodeWaitStatus(raw)
                _ = liveBackgroundProcesses.withLock { $0.remove(pid) }
            }
            return status
        }
    }

    /// SIGTERM, up to `grace` seconds to exit, then SIGKILL to its process group. Idempotent.
    func terminate(grace: Double = 10) {
        if exitStatus() != nil { return }
        kill(pid, SIGTERM)
        let deadline = Date().addingTimeInterval(grace)
        while Date() < deadline {
            if exitStatus() != nil { return }
            usleep(20_000)
        }
        kill(-pid, SIGKILL)
        kill(pid, SIGKILL)
        status.withLock { status in
            if status == nil, let raw = waitForChild(pid, options: 0) { status = decodeWaitStatus(raw) }
        }
        _ = liveBackgroundProcesses.withLock { $0.remove(pid) }
    }
}

private let liveBackgroundProcesses = Locked<Set<pid_t>>([])

private let installExitHandler: Void = {
    atexit {
        let pids = liveBackgroundProcesses.withLock { $0 }
        for pid in pids { kill(pid, SIGTERM) }
    }
}()
