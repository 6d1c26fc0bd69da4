import CairnState
import Foundation
import TestSupport

/// A `cairn` run in the background whose output goes to files, so that a test can watch it as it
/// happens and signal the process (its pid is the one `cairn` runs as).
struct BackgroundCairn {
    let stdoutFile: URL
    let stderrFile: URL
    private let pidFile: URL
    private let run: Task<ProcessResult, any Error>
    private let exited: Locked<Bool>

    /// Starts `cairn arguments` with `runner`'s environment.
    static func start(_ runner: CairnRunner, _ arguments: [String]) throws -> BackgroundCairn {
        let directory = try makeTemporaryDirectory()
        let files = ["pid", "stdout", "stderr"].map { directory.appendingPathComponent($0) }
        // The shell writes its pid, then becomes cairn (exec): the pid is cairn's.
        let script = #"echo $$ >"$1"; out=$2; err=$3; shift 3; exec "$@" >"$out" 2>"$err""#
        let environment = runner.environment
        let exited = Locked(false)
        let run = Task {
            defer { exited.withLock { $0 = true } }
            return try await runProcess(
                executable: "/bin/sh", arguments: ["-c", script, "sh"] + files.map(\.path) + [runner.executablePath] + arguments,
                environment: environment, timeout: .seconds(900))
        }
        return BackgroundCairn(stdoutFile: files[1], stderrFile: files[2], pidFile: files[0], run: run, exited: exited)
    }

    /// What it wrote to standard output so far.
    var stdout: String { (try? String(contentsOf: stdoutFile, encoding: .utf8)) ?? "" }
    /// What it wrote to standard error so far.
    var stderr: String { (try? String(contentsOf: stderrFile, encoding: .utf8)) ?? "" }

    /// Whether `cairn` has exited.
    var hasExited: Bool { exited.current }

    /// The process id of `cairn`.
    func pid() async throws -> pid_t {
        try await until("cairn's pid file") {
            Int32(((try? String(contentsOf: pidFile, encoding: .utf8)) ?? "").trimmingCharacters(in: .whitespacesAndNewlines))
        }
    }

    /// Sends `signal` to `cairn`.
    func signal(_ signal: Int32) async throws {
        kill(try await pid(), signal)
    }

    /// Waits until standard output or error contains `text`.
    func waitForOutput(_ text: String) async throws {
        _ = try await until("'\(text)' in cairn's output") { (stdout + stderr).contains(text) ? true : nil }
    }

    /// Waits for the process to exit: its status and both outputs.
    func finish() async throws -> ProcessResult {
        let result = try await run.value
        return ProcessResult(status: result.status, stdout: stdout, stderr: stderr + result.stderr)
    }

    /// Polls `value` until it is not nil; fails once cairn has exited without it. The deadline only bounds a hang.
    private func until<T>(_ what: String, _ value: () -> T?) async throws -> T {
        let deadline = ContinuousClock.now.advanced(by: .seconds(600))
        while ContinuousClock.now < deadline {
            let done = exited.current
            if let value = value() { return value }
            if done { throw TestSupportError("cairn exited without \(what): \(try await finish())") }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw TestSupportError("no \(what) within 600 s; output so far:\n\(stdout)\n\(stderr)")
    }
}

extension CairnRunner {
    /// Who holds the lock of `stack` in `environment` now (nil: nobody, or no state yet).
    func lockHolder(_ stack: String, environment: String) throws -> LockInfo? {
        guard let store = try StateStore.open(stateDir: stateDir, stack: stack, environment: environment, create: false) else { return nil }
        defer { store.close() }
        return try store.currentLock()
    }
}
