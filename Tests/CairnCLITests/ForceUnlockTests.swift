import CairnState
import Foundation
import TestSupport
import Testing

/// `cairn force-unlock` and the state key file's permissions, through the `cairn` binary.
@Suite(.integration) struct ForceUnlockTests {
    let stack = "fixture-app"

    @Test func aRunningHolderIsRefusedAndAKilledOneReleased() async throws {
        let cairn = try await CairnRunner.make()
        let env = uniqueEnvironment("unlock")
        // A state with one resource, so that `apply --refresh-only` takes the lock and then reads AWS.
        let seeded = try #require(try StateStore.open(stateDir: cairn.stateDir, stack: stack, environment: env, create: true))
        try seeded.commitCreate(
            ResourceRecord(
                address: "aws_ecr_repository.app", type: "aws_ecr_repository",
                physicalID: "fixture-app-\(env)"), command: "import")
        seeded.close()

        // An endpoint that takes every request and never answers: the holder waits inside its lock.
        let silent = try await StubServer.start([], whenQueueEmpty: .respond(.hang))
        defer { silent.stop() }
        var holding = cairn
        holding.extraEnvironment["AWS_ENDPOINT_URL"] = silent.endpoint.absoluteString
        let holder = Task { try await holding.run(["apply", stack, "--env", env, "--refresh-only", "--auto-approve"], timeout: .seconds(600)) }
        defer { holder.cancel() }  // kills it, should anything below fail before it is killed
        _ = try await silent.waitForRequests(count: 1, timeout: .seconds(120))
        let store = try #require(try StateStore.open(stateDir: cairn.stateDir, stack: stack, environment: env, create: false))
        defer { store.close() }
        let lock = try #require(try store.currentLock())
        #expect(lock.command == "apply --refresh-only")
        #expect(lock.pid != getpid())
        #expect(lock.processStart != nil)

        // force-unlock needs no AWS configuration: a profile that does not exist is never looked at.
        var unlocking = cairn
        unlocking.extraEnvironment["AWS_PROFILE"] = "no-such-profile"
        let refused = try await unlocking.run(["force-unlock", stack, "--env", env])
        #expect(refused.status == 1, "\(refused)")
        for part in [
            "pid \(lock.pid)", "'apply --refresh-only'", ISO8601DateFormatter().string(from: lock.since),
            "wait for it to finish or stop it (kill \(lock.pid))",
        ] {
            #expect(refused.stderr.contains(part), "\(refused.stderr) does not contain \(part)")
        }
        #expect(refused.stderr.split(separator: "\n").count == 1, "one sentence: \(refused.stderr)")
        #expect(try store.currentLock() == lock, "the lock is still there")

        kill(lock.pid, SIGKILL)
        let killed = try await holder.value
        #expect(killed.status == 128 + SIGKILL, "\(killed)")
        #expect(try store.currentLock()?.isStale == true)
        // A run that meets it says how to clear it, in a command that runs as printed (with the state directory it was
        // given), and is run so.
        let stateDir = cairn.stateDir.path
        let waited = try await cairn.run(["apply", stack, "--env", env, "--state-dir", stateDir, "--auto-approve", "--lock-timeout", "1"])
        #expect(waited.status == 1, "\(waited)")
        let printed = "cairn force-unlock \(stack) --env \(env) --state-dir \(stateDir) --lock-id \(lock.lockID)"
        #expect(waited.stdout.contains("(that process no longer exists: `\(printed)` clears its lock)"), "\(waited.stdout)")
        unlocking.extraEnvironment["CAIRN_STATE_DIR"] = "elsewhere"
        let released = try await unlocking.run(printed.split(separator: " ").dropFirst().map(String.init))
        #expect(released.status == 0, "\(released)")
        #expect(released.stdout.contains("Released the lock held by pid \(lock.pid)"))
        #expect(try store.currentLock() == nil)
    }

    @Test func aLockFromAnotherHostNeedsForceWithoutATerminal() async throws {
        let cairn = try await CairnRunner.make()
        let env = uniqueEnvironment("remote")
        let holder = try #require(
            try StateStore.open(
                stateDir: cairn.stateDir, stack: stack, environment: env, create: true,
                identity: ProcessIdentity(pid: 4242, host: "build-agent-7", startTime: 99)))
        defer { holder.close() }
        let lock = try await holder.acquireLock(command: "destroy")

        let asked = try await cairn.run(["force-unlock", stack, "--env", env])
        #expect(asked.status == 1, "\(asked)")
        for part in ["build-agent-7", "pid 4242", "'destroy'", "--force"] {
            #expect(asked.stderr.contains(part), "\(asked.stderr) does not contain \(part)")
        }
        #expect(try holder.currentLock()?.lockID == lock.lockID, "the lock is still there")

        let forced = try await cairn.run(["force-unlock", stack, "--env", env, "--force"])
        #expect(forced.status == 0, "\(forced)")
        #expect(forced.stdout.contains("Released the lock held by pid 4242 on build-agent-7 running 'destroy'."))
        #expect(try holder.currentLock() == nil)

        let again = try await cairn.run(["force-unlock", stack, "--env", env])
        #expect(again.status == 0)
        #expect(again.stdout.contains("was not locked"))
    }

    @Test func aKeyFileReadableByOthersIsRefusedWithTheChmodToRun() async throws {
        var cairn = try await CairnRunner.make()
        cairn.extraEnvironment["CAIRN_STATE_KEY"] = ""  // use the key file
        let env = uniqueEnvironment("keyfile")
        let key = cairn.stateDir.appendingPathComponent(".cairn-state.key")
        try Data((String(repeating: "ab", count: 32) + "\n").utf8).write(to: key)
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: key.path)
        let before = try FileManager.default.contentsOfDirectory(atPath: cairn.stateDir.path).sorted()

        let refused = try await cairn.run(["plan", stack, "--env", env])
        #expect(refused.status == 1, "\(refused)")
        #expect(refused.stderr.contains("\(key.path) is readable by others (mode 0644): run `chmod 600 \(key.path)`."), "\(refused.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: cairn.stateDir.path).sorted() == before, "nothing written")

        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: key.path)
        let planned = try await cairn.run(["plan", stack, "--env", env])
        #expect(planned.status == 0, "\(planned)")
    }
}
