import Foundation
import Testing

@testable import CairnState

/// The pid of no process (`kill(pid, 0)` fails with ESRCH): the highest free one below the system's pid limit,
/// which the kernel hands out last. Found without starting a process, so the unit tier starts none.
func deadPID() throws -> Int32 {
    let limit =
        (try? String(contentsOfFile: "/proc/sys/kernel/pid_max", encoding: .utf8))
        .flatMap { Int32($0.trimmingCharacters(in: .whitespacesAndNewlines)) } ?? 99_998
    let pid = try #require(stride(from: limit - 1, to: 1_000, by: -1).first { kill($0, 0) == -1 && errno == ESRCH })
    return pid
}

@Suite("Stack lock")
struct LockTests {
    @Test func acquireReleaseAndReacquire() async throws {
        let dir = try TempDirectory()
        let store = try openStore(dir)
        #expect(try store.currentLock() == nil)

        let before = Date(timeIntervalSince1970: Date().timeIntervalSince1970.rounded(.down))
        let lock = try await store.acquireLock(command: "apply")
        let after = Date().addingTimeInterval(0.001)  // `since` is rounded to the millisecond
        #expect(try lock.isHeld())
        let current = try #require(try store.currentLock())
        #expect(current == lock.info)
        #expect(current.pid == getpid())
        #expect(current.host == ProcessIdentity.current.host)
        #expect(current.processStart == ProcessIdentity.current.startTime)
        #expect(current.command == "apply")
        #expect(current.file == store.url)
        #expect(!current.isStale)
        #expect(current.since >= before && current.since <= after)

        #expect(try lock.release())
        #expect(try lock.release() == false)  // idempotent
        #expect(try !lock.isHeld())
        #expect(try store.currentLock() == nil)

        let again = try await store.acquireLock(command: "destroy")
        #expect(again.lockID != lock.lockID)
        #expect(try store.currentLock()?.command == "destroy")
        // The old handle must not release the new holder's lock.
        #expect(try lock.release() == false)
        #expect(try store.currentLock()?.lockID == again.lockID)
        try again.release()
    }

    @Test func secondAcquireFailsAtOnceNamingTheHolder() async throws {
        let dir = try TempDirectory()
        let holderIdentity = ProcessIdentity(pid: 4242, host: "build-agent-7")
        let holder = try openStore(dir, identity: holderIdentity)
        let lock = try await holder.acquireLock(command: "apply")

        let other = try openStore(dir)
        let clock = FastForwardClock()
        let error = await expectStateErrorAsync {
            _ = try await other.acquireLock(command: "destroy", timeout: .zero, pollInterval: .milliseconds(200), clock: clock)
        }
        #expect(clock.sleeps == 0)  // no timeout: no waiting at all
        guard case .locked(let info)? = error else {
            Issue.record("expected locked, got \(String(describing: error))")
            return
        }
        #expect(info.pid == 4242)
        #expect(info.host == "build-agent-7")
        #expect(info.command == "apply")
        #expect(info.lockID == lock.lockID)
        #expect(info.since == lock.info.since)
        #expect(!info.isStale)  // another host's lock is never stale
        let message = try #require(error?.description)
        for part in ["4242", "build-agent-7", "'apply'", other.url.path, ISO8601DateFormatter().string(from: info.since)] {
            #expect(message.contains(part), "\(message) does not contain \(part)")
        }
        // The failed attempt left the holder's row alone.
        #expect(try other.currentLock() == info)
        #expect(try lock.isHeld())

        // The same process is refused too: the lock is not re-entrant.
        // (Seen from the holder's own identity the lock's pid 4242 on "build-agent-7" may
        // look dead, so compare the acquisition, not the staleness.)
        guard case .locked(let own)? = await expectStateErrorAsync({ _ = try await holder.acquireLock(command: "apply") }) else {
            Issue.record("expected locked")
            return
        }
        #expect(own.lockID == lock.lockID)
        #expect(throws: StateError.locked(info)) { try other.tryAcquireLock(command: "plan") }
    }

    @Test func acquireWithTimeoutSucceedsOnceTheHolderReleases() async throws {
        let dir = try TempDirectory()
        let first = try openStore(dir)
        let lock = try await first.acquireLock(command: "apply")
        let second = try openStore(dir)

        // The holder lets go during the waiter's third sleep.
        let clock = FastForwardClock { sleeps in if sleeps == 3 { try lock.release() } }
        let acquired = try await second.acquireLock(
            command: "destroy", timeout: .seconds(10), pollInterval: .milliseconds(20), clock: clock)
        // The polls on the injected clock, every 20 ms.
        #expect(clock.wakeTimes == [.milliseconds(20), .milliseconds(40), .milliseconds(60)])
        #expect(try first.currentLock()?.lockID == acquired.lockID)
        #expect(try first.currentLock()?.command == "destroy")
        try acquired.release()
    }

    @Test func acquireWithTimeoutGivesUpAfterTheTimeout() async throws {
        let dir = try TempDirectory()
        let holder = try openStore(dir, identity: ProcessIdentity(pid: 77, host: "elsewhere"))
        let lock = try await holder.acquireLock(command: "apply")
        let waiter = try openStore(dir)
        let clock = FastForwardClock()
        let error = await expectStateErrorAsync {
            _ = try await waiter.acquireLock(command: "apply", timeout: .milliseconds(300), pollInterval: .milliseconds(80), clock: clock)
        }
        #expect(error == .locked(lock.info))
        // Polls at 0, 80, 160, 240 and, its last sleep cut short to the deadline, at 300 ms.
        #expect(clock.wakeTimes == [.milliseconds(80), .milliseconds(160), .milliseconds(240), .milliseconds(300)])
    }

    @Test func cancellingAWaiterStopsIt() async throws {
        let dir = try TempDirectory()
        let holder = try openStore(dir)
        let lock = try await holder.acquireLock(command: "apply")
        let waiter = try openStore(dir)
        let task = Task { try await waiter.acquireLock(command: "apply", timeout: .seconds(60), pollInterval: .milliseconds(20)) }
        try await Task.sleep(for: .milliseconds(100))
        task.cancel()
        await #expect(throws: CancellationError.self) { _ = try await task.value }
        #expect(try holder.currentLock()?.lockID == lock.lockID)
    }

    @Test func deadProcessOnThisHostIsStaleButNotTakenOver() async throws {
        let dir = try TempDirectory()
        let host = ProcessIdentity.current.host
        let pid = try deadPID()
        // With a start time no process has: a process given that pid since (pids wrap fast on a busy machine) is not it.
        let ghost = try openStore(dir, identity: ProcessIdentity(pid: pid, host: host, startTime: 1))
        let ghostLock = try await ghost.acquireLock(command: "apply")
        ghost.close()

        let store = try openStore(dir)
        let current = try #require(try store.currentLock())
        #expect(current.isStale)
        #expect(current.pid == pid)

        let error = await expectStateErrorAsync {
            _ = try await store.acquireLock(command: "apply", timeout: .milliseconds(100), pollInterval: .milliseconds(20))
        }
        guard case .locked(let info)? = error else {
            Issue.record("expected locked, got \(String(describing: error))")
            return
        }
        #expect(info.isStale)
        #expect(info.lockID == ghostLock.lockID)
        #expect(error?.description.contains("no longer exists") == true)
        #expect(error?.description.contains("cairn force-unlock") == true)
        #expect(try store.currentLock()?.lockID == ghostLock.lockID)  // still there

        let removed = try #require(try store.forceUnlock())
        #expect(removed.lockID == ghostLock.lockID)
        #expect(removed.isStale)
        let lock = try await store.acquireLock(command: "apply")
        try lock.release()
    }

    @Test func liveProcessOnThisHostIsNotStale() async throws {
        let dir = try TempDirectory()
        let host = ProcessIdentity.current.host
        // pid 1 always exists (kill may answer EPERM, which still means alive).
        let holder = try openStore(dir, identity: ProcessIdentity(pid: 1, host: host))
        _ = try await holder.acquireLock(command: "apply")
        #expect(try openStore(dir).currentLock()?.isStale == false)
    }

    @Test func deadPidOnAnotherHostIsNotStale() async throws {
        let dir = try TempDirectory()
        let pid = try deadPID()
        let holder = try openStore(dir, identity: ProcessIdentity(pid: pid, host: "some-other-host.example"))
        _ = try await holder.acquireLock(command: "apply")
        let store = try openStore(dir)
        #expect(try store.currentLock()?.isStale == false)
        guard case .locked(let info)? = await expectStateErrorAsync({ _ = try await store.acquireLock(command: "apply") }) else {
            Issue.record("expected locked")
            return
        }
        #expect(!info.isStale)
        #expect(info.host == "some-other-host.example")
    }

    @Test func forceUnlockRemovesAnyHolderAndReportsIt() async throws {
        let dir = try TempDirectory()
        let store = try openStore(dir)
        #expect(try store.forceUnlock() == nil)
        let holder = try openStore(dir, identity: ProcessIdentity(pid: 31337, host: "ci-runner"))
        let lock = try await holder.acquireLock(command: "import")
        let removed = try #require(try store.forceUnlock())
        #expect(removed == lock.info)
        #expect(try store.currentLock() == nil)
        #expect(try store.forceUnlock() == nil)
        #expect(try !lock.isHeld())
        // The original holder's release is now a no-op, and does not touch a new lock.
        let mine = try await store.acquireLock(command: "apply")
        #expect(try lock.release() == false)
        #expect(try mine.isHeld())
    }

    @Test func twoStoresOnTheSameFileSeeEachOthersLock() async throws {
        let dir = try TempDirectory()
        let a = try openStore(dir)
        let b = try openStore(dir)
        let lock = try await a.acquireLock(command: "apply")
        #expect(try b.currentLock() == lock.info)
        await #expect(throws: StateError.locked(lock.info)) { _ = try await b.acquireLock(command: "apply") }
        try lock.release()
        #expect(try b.currentLock() == nil)
        let lockB = try await b.acquireLock(command: "refresh")
        #expect(try a.currentLock()?.lockID == lockB.lockID)
        try lockB.release()
    }

    @Test func lockSurvivesReopen() async throws {
        let dir = try TempDirectory()
        let store = try openStore(dir)
        let lock = try await store.acquireLock(command: "apply")
        store.close()
        let reopened = try openStore(dir, create: false)
        #expect(try reopened.currentLock() == lock.info)
        #expect(throws: StateError.closed(store.url)) { try lock.release() }
        // Its holder (this process) still runs, so only a store of another process may clear it.
        #expect(throws: StateError.holderRunning(lock.info)) { try reopened.forceUnlock() }
        let elsewhere = try openStore(dir, create: false, identity: ProcessIdentity(pid: 1, host: "another-host"))
        #expect(try elsewhere.forceUnlock()?.lockID == lock.lockID)
    }

    @Test func lockDoesNotChangeSerialOrHistory() async throws {
        let dir = try TempDirectory()
        let store = try openStore(dir)
        let lock = try await store.acquireLock(command: "apply")
        try store.commitCreate(sampleRecord("a.b"), command: "apply")
        try lock.release()
        _ = try store.forceUnlock()
        #expect(try store.serial() == 1)
        #expect(try store.history().count == 1)
    }

    @Test func withLockReleasesAfterSuccessAndFailure() async throws {
        let dir = try TempDirectory()
        let store = try openStore(dir)
        let value = try await store.withLock(command: "apply") { () throws -> Int in
            #expect(try store.currentLock()?.command == "apply")
            return 42
        }
        #expect(value == 42)
        #expect(try store.currentLock() == nil)

        struct Boom: Error {}
        await #expect(throws: Boom.self) {
            try await store.withLock(command: "destroy") { throw Boom() }
        }
        #expect(try store.currentLock() == nil)
    }

    @MainActor @Test func withLockRunsOnTheCallersActor() async throws {
        final class Counter { var value = 0 }  // not Sendable: must stay on the main actor
        let dir = try TempDirectory()
        let store = try openStore(dir)
        let counter = Counter()
        let result = try await store.withLock(command: "apply") { () async throws -> Counter in
            MainActor.assertIsolated()
            counter.value += 1
            return counter
        }
        #expect(result.value == 1)
        #expect(try store.currentLock() == nil)
    }

    @Test func concurrentAcquirersGetTheLockOneAtATime() async throws {
        let dir = try TempDirectory()
        let url = dir.url
        let counter = try openStore(dir)
        let winners = try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<6 {
                group.addTask {
                    let store = try openStoreAt(url)
                    do {
                        let lock = try await store.acquireLock(command: "apply")
                        defer { _ = try? lock.release() }
                        return 1
                    } catch StateError.locked {
                        return 0
                    }
                }
            }
            return try await group.reduce(0, +)
        }
        #expect(winners >= 1)
        #expect(try counter.currentLock() == nil)

        // With a timeout every acquirer eventually gets its turn, never two at once.
        let inside = try await withThrowingTaskGroup(of: Bool.self) { group in
            for i in 0..<6 {
                group.addTask {
                    let store = try openStoreAt(url)
                    // A generous bound on a hang, not a measurement.
                    return try await store.withLock(command: "apply \(i)", timeout: .seconds(120), pollInterval: .milliseconds(5)) {
                        let holder = try store.currentLock()
                        try await Task.sleep(for: .milliseconds(10))
                        return holder?.command == "apply \(i)"
                    }
                }
            }
            return try await group.reduce(into: [Bool]()) { $0.append($1) }
        }
        #expect(inside == Array(repeating: true, count: 6))
    }

    @Test func everyMessageNamesAForceUnlockThatRunsAsPrinted() async throws {
        let dir = try TempDirectory()
        let store = try openStore(dir, environment: "staging")
        let lock = try await store.acquireLock(command: "apply")
        let command = "cairn force-unlock \(testStack) --env staging --lock-id \(lock.info.lockID)"
        #expect(lock.info.forceUnlockCommand == command)
        for error in [StateError.locked(lock.info), .holderRunning(lock.info)] {
            #expect(error.description.contains("`\(command)`"), "\(error)")
        }
        var stale = lock.info
        stale.isStale = true
        #expect(StateError.locked(stale).description.contains("`\(command)` to clear it"))
        let local = try openStore(dir)
        var named = try await local.acquireLock(command: "apply").info
        #expect(named.forceUnlockCommand.hasPrefix("cairn force-unlock \(testStack) --lock-id "))
        named.commandOptions = ["--backend", "'s3://b/p?region=eu-west-1&x=y'"]
        #expect(named.forceUnlockCommand == "cairn force-unlock \(testStack) --backend 's3://b/p?region=eu-west-1&x=y' --lock-id \(named.lockID)")
    }
}

private func openStoreAt(_ stateDir: URL) throws -> StateStore {
    try #require(try StateStore.open(stateDir: stateDir, stack: testStack, create: true))
}
