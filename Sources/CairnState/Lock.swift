import Foundation

/// A held stack lock, returned by `StateStore.acquireLock(command:timeout:pollInterval:)`.
///
/// The lock lives in the state database (the single row of its `lock` table), so every
/// process and every `StateStore` on the same file sees it. Call `release()` when the
/// command finishes; a lock is never released implicitly, and one left behind by a
/// process that died is reported as stale until `cairn force-unlock`
/// (`StateStore.forceUnlock(lockID:)`) clears it.
public final class StateLock: Sendable {
    /// The store the lock was taken through.
    public let store: StateStore
    /// The lock row as written when it was acquired.
    public let info: LockInfo

    /// Random id of this acquisition (the `lock_id` of the row).
    public var lockID: String { info.lockID }

    init(store: StateStore, info: LockInfo) {
        self.store = store
        self.info = info
    }

    /// Deletes the lock row if it still belongs to this acquisition. Idempotent: releasing
    /// twice, or after someone force-unlocked (and maybe re-locked) the stack, leaves the
    /// current row alone.
    ///
    /// - Returns: true when this call removed the row.
    /// - Throws: `StateError` (for example `.closed` when the store was closed first).
    @discardableResult
    public func release() throws -> Bool {
        try store.deleteLock(lockID: info.lockID)
    }

    /// Whether the stack's lock row is still this acquisition (false once released or
    /// force-unlocked). The engine can check it before committing.
    public func isHeld() throws -> Bool {
        try store.currentLock()?.lockID == info.lockID
    }
}

extension StateStore {
    private enum LockAttempt {
        case acquired(LockInfo)
        case held(LockInfo)
    }

    /// Takes the stack lock for `command` (e.g. `apply`) as `identity`.
    ///
    /// Each attempt is one immediate transaction: it reads the lock row and inserts this
    /// acquisition's row when there is none. While another acquisition holds the row, the
    /// call fails at once when `timeout` is zero (the default), otherwise it sleeps (without
    /// blocking a thread) and retries every `pollInterval` until `timeout` has passed.
    ///
    /// The row records the holder's pid, process start time and host, so a lock whose holder
    /// ran on this host (`identity.host`) and is gone (no such pid, or a pid reused by a process
    /// that started at another time) is reported with `LockInfo.isStale` set. It is never taken
    /// over: clearing it is an explicit decision (`forceUnlock(lockID:)`, i.e.
    /// `cairn force-unlock`). The lock is not re-entrant: a second acquisition by the same
    /// process fails like any other.
    ///
    /// - Throws: `StateError.locked` naming the holder when the lock could not be taken in
    ///   time, `CancellationError` when the task is cancelled while waiting, or another
    ///   `StateError`.
    public func acquireLock(
        command: String, timeout: Duration = .zero, pollInterval: Duration = .milliseconds(200)
    ) async throws -> StateLock {
        try await acquireLock(command: command, timeout: timeout, pollInterval: pollInterval, clock: ContinuousClock())
    }

    /// `acquireLock` measuring the timeout and sleeping on `clock`.
    func acquireLock<C: Clock>(
        command: String, timeout: Duration, pollInterval: Duration, clock: C
    ) async throws -> StateLock where C.Duration == Duration {
        let deadline = clock.now.advanced(by: max(timeout, .zero))
        let interval = max(pollInterval, .milliseconds(1))
        while true {
            switch try attemptLock(command: command) {
            case .acquired(let info):
                return StateLock(store: self, info: info)
            case .held(let holder):
                let remaining = clock.now.duration(to: deadline)
                guard remaining > .zero else { throw StateError.locked(holder) }
                try await clock.sleep(for: min(interval, remaining))
            }
        }
    }

    /// Takes the stack lock if it is free, without waiting.
    ///
    /// - Throws: `StateError.locked` naming the holder, or another `StateError`.
    public func tryAcquireLock(command: String) throws -> StateLock {
        switch try attemptLock(command: command) {
        case .acquired(let info): return StateLock(store: self, info: info)
        case .held(let holder): throw StateError.locked(holder)
        }
    }

    /// Runs `body` holding the stack lock for `command`, and releases the lock afterwards
    /// whether `body` returns or throws. See `acquireLock(command:timeout:pollInterval:)`.
    ///
    /// - Throws: what `acquireLock` throws, what `body` throws, or (when `body` succeeded)
    ///   a failure to release.
    public func withLock<T>(
        command: String, timeout: Duration = .zero, pollInterval: Duration = .milliseconds(200),
        isolation: isolated (any Actor)? = #isolation,
        _ body: () async throws -> T
    ) async throws -> T {
        let lock = try await acquireLock(command: command, timeout: timeout, pollInterval: pollInterval)
        let result: T
        do {
            result = try await body()
        } catch {
            _ = try? lock.release()
            throw error
        }
        try lock.release()
        return result
    }

    /// The current holder of the stack lock, or nil when the stack is unlocked.
    /// `LockInfo.isStale` tells whether the holder is a process on this host that is gone.
    public func currentLock() throws -> LockInfo? {
        try withConnection { try readLock($0) }
    }

    /// Removes the stack's lock (`cairn force-unlock`) unless its holder is seen running, in one
    /// transaction.
    ///
    /// A holder on this host whose process is alive (its pid exists and, when recorded, started at
    /// the recorded time) is refused: removing its lock would let a second command write the state
    /// while it still does. A stale holder is removed. A holder on another host cannot be checked
    /// from here and is removed too, so ask before calling this for one (`cairn force-unlock`
    /// shows the holder and asks).
    ///
    /// - Parameter lockID: When given, only that acquisition is removed (the one the caller showed
    ///   and had confirmed); a lock released or taken by someone else meanwhile is left alone.
    /// - Returns: The lock that was removed, or nil when there was none to remove.
    /// - Throws: `StateError.holderRunning` naming the holder (nothing is removed), or another
    ///   `StateError`.
    @discardableResult
    public func forceUnlock(lockID: String? = nil) throws -> LockInfo? {
        try withConnection { connection in
            try connection.transaction(immediate: true) {
                guard let holder = try readLock(connection), lockID == nil || holder.lockID == lockID else { return nil }
                if holder.host == identity.host && !holder.isStale { throw StateError.holderRunning(holder) }
                try connection.withStatement("DELETE FROM lock WHERE id = 1") { try $0.run() }
                return holder
            }
        }
    }

    /// Deletes the lock row only when it carries `lockID`; true when it did.
    func deleteLock(lockID: String) throws -> Bool {
        try withConnection { connection in
            try connection.withStatement("DELETE FROM lock WHERE id = 1 AND lock_id = ?") { s in
                try s.bind(1, lockID)
                try s.run()
            }
            return connection.changes > 0
        }
    }

    private func attemptLock(command: String) throws -> LockAttempt {
        try withConnection { connection in
            try connection.transaction(immediate: true) {
                if let holder = try readLock(connection) { return .held(holder) }
                let info = LockInfo(
                    file: url, lockID: UUID().uuidString.lowercased(), pid: identity.pid,
                    host: identity.host, processStart: identity.startTime, command: command,
                    since: date(millis: millis(Date())), isStale: false, stack: stack, environment: environment)
                try connection.withStatement(
                    "INSERT INTO lock (id, lock_id, pid, host, process_start, command, since) VALUES (1, ?, ?, ?, ?, ?, ?)"
                ) { s in
                    try s.bind(1, info.lockID)
                    try s.bind(2, Int64(info.pid))
                    try s.bind(3, info.host)
                    try s.bind(4, info.processStart.map { Int64(bitPattern: $0) })
                    try s.bind(5, info.command)
                    try s.bind(6, millis(info.since))
                    try s.run()
                }
                return .acquired(info)
            }
        }
    }

    private func readLock(_ connection: Connection) throws -> LockInfo? {
        try connection.withStatement(
            "SELECT lock_id, pid, host, process_start, command, since FROM lock WHERE id = 1"
        ) { s in
            guard try s.step() else { return nil }
            let pid = Int32(truncatingIfNeeded: s.int64(1))
            let host = s.text(2)
            let processStart = s.optionalInt64(3).map { UInt64(bitPattern: $0) }
            return LockInfo(
                file: url, lockID: s.text(0), pid: pid, host: host, processStart: processStart,
                command: s.text(4), since: date(millis: s.int64(5)),
                isStale: host == identity.host && !processIsAlive(pid: pid, startTime: processStart), stack: stack,
                environment: environment)
        }
    }
}
