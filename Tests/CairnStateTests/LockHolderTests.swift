import Foundation
import Testing

@testable import CairnState

/// Who holds a lock: pid and process start time together name one process, and force-unlock
/// refuses to clear the lock of one that still runs.
@Suite("Lock holder identity")
struct LockHolderTests {
    let host = ProcessIdentity.current.host

    @Test func theCurrentProcessIsAliveWithItsOwnStartTime() throws {
        let start = processStartTime(getpid())
        #expect(start != nil)
        #expect(ProcessIdentity.current.startTime == start)
        #expect(processStartTime(getpid()) == start)  // stable: an identity, not a clock reading
        #expect(processIsAlive(pid: getpid(), startTime: start))
        #expect(processIsAlive(pid: getpid(), startTime: nil))
    }

    @Test func aPidThatExistsWithAnotherStartTimeIsStale() async throws {
        let start = try #require(processStartTime(getpid()))
        #expect(!processIsAlive(pid: getpid(), startTime: start + 1))

        // A lock whose recorded holder has this pid but another start time: the pid was reused.
        let dir = try TempDirectory()
        let ghost = try openStore(dir, identity: ProcessIdentity(pid: getpid(), host: host, startTime: start + 1))
        let lock = try await ghost.acquireLock(command: "apply")
        let store = try openStore(dir)
        let current = try #require(try store.currentLock())
        #expect(current.processStart == start + 1)
        #expect(current.isStale)
        #expect(try store.forceUnlock()?.lockID == lock.lockID)
        #expect(try store.currentLock() == nil)
    }

    @Test func aDeadPidIsStaleWhateverItsStartTime() async throws {
        let pid = try deadPID()
        #expect(processStartTime(pid) == nil)
        #expect(!processIsAlive(pid: pid, startTime: nil))
        #expect(!processIsAlive(pid: pid, startTime: 12345))
        let dir = try TempDirectory()
        _ = try await openStore(dir, identity: ProcessIdentity(pid: pid, host: host, startTime: 12345)).acquireLock(command: "apply")
        #expect(try openStore(dir).currentLock()?.isStale == true)
    }

    @Test func aLiveHolderOnThisHostIsRefusedAndKeepsItsLock() async throws {
        let dir = try TempDirectory()
        let holder = try openStore(dir)  // this very process: certainly alive
        let lock = try await holder.acquireLock(command: "apply")
        let other = try openStore(dir)
        let error = expectStateError { try other.forceUnlock() }
        #expect(error == .holderRunning(lock.info))
        let message = try #require(error?.description)
        let since = ISO8601DateFormatter().string(from: lock.info.since)
        for part in ["pid \(getpid())", "'apply'", since, "wait for it to finish or stop it (kill \(getpid()))"] {
            #expect(message.contains(part), "\(message) does not contain \(part)")
        }
        #expect(try other.currentLock() == lock.info)
        #expect(try lock.isHeld())
        #expect(throws: StateError.holderRunning(lock.info)) { try other.forceUnlock(lockID: lock.lockID) }
        try lock.release()
    }

    @Test func forceUnlockOfOneAcquisitionLeavesAnotherAlone() async throws {
        let dir = try TempDirectory()
        let holder = try openStore(dir, identity: ProcessIdentity(pid: 4242, host: "build-agent-7"))
        let lock = try await holder.acquireLock(command: "apply")
        let store = try openStore(dir)
        #expect(try store.forceUnlock(lockID: "someone-else") == nil)
        #expect(try store.currentLock()?.lockID == lock.lockID)
        #expect(try store.forceUnlock(lockID: lock.lockID) == lock.info)
        #expect(try store.currentLock() == nil)
    }

    @Test func aRowWithoutStartTimeIsJudgedByItsPid() async throws {
        // Rows written before migration 3 have no start time.
        let dir = try TempDirectory()
        let live = try openStore(dir, identity: ProcessIdentity(pid: getpid(), host: host, startTime: nil))
        let lock = try await live.acquireLock(command: "apply")
        let store = try openStore(dir)
        #expect(try store.currentLock()?.processStart == nil)
        #expect(try store.currentLock()?.isStale == false)
        #expect(throws: StateError.holderRunning(lock.info)) { try store.forceUnlock() }
    }
}

@Suite("State directory and private files")
struct StateDirectoryTests {
    private func mode(_ url: URL) throws -> Int {
        try #require(FileManager.default.attributesOfItem(atPath: url.path)[.posixPermissions] as? NSNumber).intValue
    }

    @Test func aNewStateDirectoryIsPrivateToItsOwner() throws {
        let dir = try TempDirectory()
        let stateDir = dir.url.appendingPathComponent("parent/state", isDirectory: true)
        _ = try #require(try StateStore.open(stateDir: stateDir, stack: testStack, create: true))
        #expect(try mode(stateDir) == 0o700)
        // Parents are made as `mkdir -p` makes them.
        #expect(try mode(stateDir.deletingLastPathComponent()) & 0o700 == 0o700)
    }

    @Test func anExistingStateDirectoryIsLeftAsItIs() throws {
        let dir = try TempDirectory()
        let stateDir = dir.url.appendingPathComponent("state", isDirectory: true)
        try FileManager.default.createDirectory(at: stateDir, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o750])
        _ = try #require(try StateStore.open(stateDir: stateDir, stack: testStack, create: true))
        try StateDirectory.create(stateDir)
        #expect(try mode(stateDir) == 0o750)
    }

    @Test func aPrivateFileIsWrittenWhole0600AndNeverOverwritten() throws {
        let dir = try TempDirectory()
        let file = dir.file("secret")
        #expect(try StateDirectory.createPrivateFile(file, contents: Data("first\n".utf8)))
        #expect(try mode(file) == 0o600)
        #expect(try fileBytes(file) == Data("first\n".utf8))
        #expect(try StateDirectory.createPrivateFile(file, contents: Data("second\n".utf8)) == false)
        #expect(try fileBytes(file) == Data("first\n".utf8))
        #expect(try dir.listing() == ["secret"])  // no temporary file left behind
    }
}
