import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

@Suite struct ProcessTests {
    @Test(.integration) func capturesStatusStdoutStderr() async throws {
        let result = try await runProcess(executable: "/bin/sh", arguments: ["-c", "echo out; echo err >&2; exit 7"])
        #expect(result.status == 7)
        #expect(!result.succeeded)
        #expect(result.stdout == "out\n")
        #expect(result.stderr == "err\n")
    }

    @Test(.integration) func findsExecutablesOnPathAndPassesEnvironmentAndStdin() async throws {
        let result = try await runProcess(
            executable: "sh", arguments: ["-c", "printf '%s|' \"$GREETING\"; cat"],
            environment: ["PATH": "/usr/bin:/bin", "GREETING": "hello"], stdin: "from stdin")
        #expect(result.status == 0)
        #expect(result.stdout == "hello|from stdin")
    }

    @Test(.integration) func runsInTheGivenDirectory() async throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        try "#!/bin/sh\npwd\n".write(to: directory.appendingPathComponent("where.sh"), atomically: true, encoding: .utf8)
        let pwd = try await runProcess(executable: "/bin/pwd", currentDirectory: directory)
        #expect(pwd.stdout.trimmingCharacters(in: .newlines) == directory.resolvingSymlinksInPath().path)
        // A relative executable path is relative to the child's directory.
        let relative = try await runProcess(executable: "/bin/sh", arguments: ["./where.sh"], currentDirectory: directory)
        #expect(relative.stdout.trimmingCharacters(in: .newlines) == directory.resolvingSymlinksInPath().path)
        await #expect(throws: TestSupportError.self) {
            _ = try await runProcess(executable: "/bin/pwd", currentDirectory: directory.appendingPathComponent("missing"))
        }
    }

    @Test(.integration) func largeOutputOnBothStreamsDoesNotDeadlock() async throws {
        // 4 MB on stdout and 4 MB on stderr, interleaved, plus 2 MB through stdin.
        let input = String(repeating: "x", count: 2_000_000)
        let result = try await runProcess(
            executable: "/bin/sh",
            arguments: ["-c", "head -c 4000000 /dev/zero >&2 & head -c 4000000 /dev/zero; wait; wc -c >&2"],
            timeout: .seconds(60), stdin: input)
        #expect(result.status == 0)
        #expect(result.stdout.utf8.count == 4_000_000)
        #expect(result.stderr.hasSuffix("2000000\n"))
        #expect(result.stderr.utf8.count == 4_000_000 + "2000000\n".utf8.count)
    }

    @Test(.integration) func childThatIgnoresStdinDoesNotBreakTheRunner() async throws {
        // The child exits without reading 1 MB of input: EPIPE must not kill the test process.
        let result = try await runProcess(
            executable: "/bin/sh", arguments: ["-c", "exit 0"], stdin: String(repeating: "y", count: 1_000_000))
        #expect(result.status == 0)
    }

    @Test(.integration) func signalDeathIsReportedAs128PlusSignal() async throws {
        let result = try await runProcess(executable: "/bin/sh", arguments: ["-c", "kill -TERM $$"])
        #expect(result.status == 128 + SIGTERM)
    }

    @Test(.integration) func timeoutKillsTheChildAndItsProcessGroup() async throws {
        var grandchild: pid_t = 0
        do {
            // The shell starts a grandchild, prints its pid, then waits forever.
            _ = try await runProcess(
                executable: "/bin/sh", arguments: ["-c", "sleep 300 & echo $!; wait"], timeout: .seconds(1))
            Issue.record("runProcess should have timed out")
        } catch let error as ProcessTimeoutError {
            #expect(error.timeout == .seconds(1))
            grandchild = pid_t(error.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
        }
        #expect(grandchild > 0)
        if grandchild > 0 {
            // A bound against a hang only: the kill is proven by the process being gone, not by how fast.
            #expect(await waitUntilDead(grandchild, seconds: 60), "grandchild \(grandchild) survived the timeout")
        }
    }

    @Test(.integration) func cancellingTheTaskKillsTheChild() async throws {
        let pidFile = try makeTemporaryDirectory().appendingPathComponent("child.pid")
        let task = Task {
            try await runProcess(executable: "/bin/sh", arguments: ["-c", "echo $$ > '\(pidFile.path)'; exec sleep 300"], timeout: .seconds(300))
        }
        // Cancel once the child runs (its pid is written), however long the machine takes to start it.
        var child: pid_t = 0
        for _ in 0..<1200 where child == 0 {
            child = (try? String(contentsOf: pidFile, encoding: .utf8)).flatMap { pid_t($0.trimmingCharacters(in: .whitespacesAndNewlines)) } ?? 0
            if child == 0 { try await Task.sleep(for: .milliseconds(50)) }
        }
        try #require(child > 0, "the child never started")
        task.cancel()
        await #expect(throws: CancellationError.self) { _ = try await task.value }
        #expect(await waitUntilDead(child, seconds: 60), "the child \(child) survived the cancellation")
    }

    @Test(.integration) func manyConcurrentProcessesOnTwoCores() async throws {
        // More concurrent children than cores: each waits on a thread of its own, nothing starves. Each child
        // marks that it started, then waits for all twelve marks: they can only all finish if all twelve run
        // at once (the timeout only bounds a hang).
        let barrier = try makeTemporaryDirectory()
        let results = try await withThrowingTaskGroup(of: ProcessResult.self) { group in
            for index in 0..<12 {
                group.addTask {
                    try await runProcess(
                        executable: "/bin/sh",
                        arguments: [
                            "-c",
                            """
                            touch '\(barrier.path)/\(index)'
                            while [ "$(ls '\(barrier.path)' | wc -l)" -lt 12 ]; do sleep 0.1; done
                            echo \(index)
                            """,
                        ], timeout: .seconds(300))
                }
            }
            return try await group.reduce(into: [ProcessResult]()) { $0.append($1) }
        }
        #expect(results.count == 12 && results.allSatisfy(\.succeeded))
    }

    @Test(.integration) func missingExecutableThrows() async {
        await #expect(throws: TestSupportError.self) {
            _ = try await runProcess(executable: "definitely-not-a-command-\(UUID().uuidString)")
        }
    }

    /// Connections to it are refused, and no server can take it while it is held.
    @Test(.integration) func aClosedPortRefusesAndStaysReserved() async throws {
        let closed = try ClosedLoopbackPort()
        let python = try #require(findExecutable("python3"))
        let probe = """
            import socket, sys
            port = int(sys.argv[1])
            try:
                socket.create_connection(("127.0.0.1", port), timeout=5)
                print("connected")
            except ConnectionRefusedError:
                print("refused")
            s = socket.socket()
            try:
                s.bind(("127.0.0.1", port))
                print("bound")
            except OSError:
                print("taken")
            """
        let held = try await runProcess(executable: python, arguments: ["-c", probe, String(closed.port)])
        #expect(held.stdout == "refused\ntaken\n", "\(held)")
        closed.close()
        let released = try await runProcess(executable: python, arguments: ["-c", probe, String(closed.port)])
        #expect(released.stdout == "refused\nbound\n", "\(released)")
    }

    @Test func temporaryDirectoriesAreNewAndEmpty() throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        var isDirectory: ObjCBool = false
        #expect(FileManager.default.fileExists(atPath: directory.path, isDirectory: &isDirectory) && isDirectory.boolValue)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path).isEmpty)
        let other = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: other) }
        #expect(other != directory)
    }
}

/// True once `pid` no longer exists or is a zombie (nobody may reap it inside a container).
func waitUntilDead(_ pid: pid_t, seconds: Double) async -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if !isAlive(pid) { return true }
        try? await Task.sleep(for: .milliseconds(50))
    }
    return !isAlive(pid)
}

/// Whether `pid` exists and is not a zombie.
func isAlive(_ pid: pid_t) -> Bool {
    guard kill(pid, 0) == 0 else { return false }
    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
        let close = stat.lastIndex(of: ")")
    else { return true }
    let state = stat[stat.index(close, offsetBy: 2)...].prefix(1)
    return state != "Z" && state != "X"
}
