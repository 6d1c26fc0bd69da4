import CairnState
import Foundation

/// Lets someone outside an apply (the CLI on Ctrl-C, a test) stop it between operations.
///
/// Once a stop is requested, no new operation starts; the operations already running finish (their
/// API calls are not cancelled) and are recorded in the state, and the apply returns a report that
/// lists everything else as not started. Safe to call from any thread, a signal handler's queue included.
public final class ApplyControl: @unchecked Sendable {
    // Everything below is only touched with `mutex` held.
    private let mutex = NSLock()
    private var stopRequested = false
    private var applying = false
    private var running: [String] = []
    private var lock: (any StackLock)?

    /// A control with no stop requested, for one apply.
    public init() {}

    /// Whether a stop was requested.
    public var isStopRequested: Bool { withLock { stopRequested } }

    /// The addresses whose operations are running now, in the order they started.
    public var runningOperations: [String] { withLock { running } }

    /// Asks the apply to start no new operation.
    ///
    /// - Returns: The operations running at this moment, which go on to finish; nil when the apply has
    ///   not started any yet (it is waiting for the lock, planning or asking for confirmation), in which
    ///   case it will start none.
    @discardableResult
    public func requestStop() -> [String]? {
        withLock {
            stopRequested = true
            return applying ? running : nil
        }
    }

    /// Releases the stack lock this apply holds, if any, at once: for a process that is about to exit
    /// without unwinding (a second interrupt), so that the next run needs no `force-unlock`. What the
    /// operations still running leave behind are intents, which the next plan resolves.
    public func releaseLockNow() {
        guard
            let lock = withLock({ () -> (any StackLock)? in
                defer { self.lock = nil }
                return self.lock
            })
        else { return }
        lock.unlockNow()
    }

    /// Whether the lock this apply took is no longer its own (force-unlocked, maybe taken by another run).
    /// A failure to read the lock counts as taken: writing on without it is what the lock prevents.
    func lockWasTaken() -> Bool {
        guard let lock = withLock({ self.lock }) else { return false }
        return (try? lock.isHeld()) != true
    }

    /// Records the lock this apply holds (nil once released).
    func holding(_ lock: (any StackLock)?) {
        withLock { self.lock = lock }
    }

    /// Marks the start of the apply's operations: from now on a stop lets running ones finish.
    func beginApplying() {
        withLock { applying = true }
    }

    /// Registers an operation about to start; false (and nothing registered) once a stop was requested,
    /// so that a stop and a start never cross.
    func begin(_ address: String) -> Bool {
        withLock {
            guard !stopRequested else { return false }
            running.append(address)
            return true
        }
    }

    /// Unregisters a finished operation.
    func end(_ address: String) {
        withLock { running.removeAll { $0 == address } }
    }

    private func withLock<T>(_ body: () throws -> T) rethrows -> T {
        mutex.lock()
        defer { mutex.unlock() }
        return try body()
    }
}
