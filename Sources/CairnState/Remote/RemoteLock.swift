import CairnConcurrency
import Foundation

/// A held stack lock, wherever the state lives: the local database's lock row (`StateLock`) or a lock object
/// next to a shared state (`RemoteLock`).
public protocol StackLock: AnyObject, Sendable {
    /// The holder as recorded when the lock was taken.
    var info: LockInfo { get }
    /// Gives the lock up if it is still this acquisition's; true when this call removed it.
    func unlock() async throws -> Bool
    /// Gives the lock up at once, best effort, for a process about to exit without unwinding.
    func unlockNow()
    /// Whether the lock is still this acquisition's: false once released, removed by someone else or (for a
    /// leased lock) not renewed within its lease.
    func isHeld() throws -> Bool
}

extension StateLock: StackLock {
    public func unlock() async throws -> Bool { try release() }
    public func unlockNow() { _ = try? release() }
}

/// How long a shared state's lock lasts without renewal, how often its holder renews it, and the clocks it uses.
/// Injected so that tests can run a lease out without waiting.
public struct LeaseSettings: Sendable {
    /// How long a lock stays valid after its last renewal.
    public var lease: Duration
    /// How often the holder renews it (well inside `lease`).
    public var renewEvery: Duration
    /// How long past its lease a lock is still not called stale (a holder's clock may be behind, or its
    /// renewal slow).
    public var grace: Duration
    /// Wall-clock time: leases are compared between hosts.
    public var now: @Sendable () -> Date
    /// Sleeps between renewals and between lock attempts.
    public var sleep: @Sendable (Duration) async throws -> Void
    /// How long a change made inside `StateSession.pipelined` (an apply) waits at most for its journal entry when
    /// nothing asks for it sooner (an intent, the end of the apply).
    public var writeBehind: Duration

    /// 60 s leases renewed every 15 s, stale 60 s after expiry, on the system clocks; changes written behind within 1 s.
    public init(
        lease: Duration = .seconds(60), renewEvery: Duration = .seconds(15), grace: Duration = .seconds(60),
        now: @escaping @Sendable () -> Date = { Date() },
        sleep: @escaping @Sendable (Duration) async throws -> Void = { try await Task.sleep(for: $0) }, writeBehind: Duration = .seconds(1)
    ) {
        self.lease = lease
        self.renewEvery = renewEvery
        self.grace = grace
        self.now = now
        self.sleep = sleep
        self.writeBehind = writeBehind
    }
}

/// The lock object's contents.
struct LockRecord: Codable, Equatable {
    static let marker = "cairn-lock"
    var format = marker
    var version = 1
    var lockID: String
    var user: String
    var host: String
    var pid: Int32
    var processStart: UInt64?
    var command: String
    /// ms since 1970.
    var since: Int64
    /// ms since 1970: the lock is the holder's until then, and stale `grace` after.
    var leaseExpires: Int64

    func encoded() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return try RemoteStateError.encoding("the lock record") { try encoder.encode(self) }
    }

    static func decode(_ data: Data, location: String) throws -> LockRecord {
        guard let record = try? JSONDecoder().decode(LockRecord.self, from: data), record.format == marker else {
            throw RemoteStateError.notCairnState(location: location, reason: "it is not a Cairn lock")
        }
        guard record.version <= 1 else { throw RemoteStateError.newerFormat(location: location, found: record.version, supported: 1) }
        return record
    }

    /// The holder of `stack`'s lock in `environment` as `LockInfo`: stale when its host is this one and its process is
    /// gone, or its lease ran out more than `grace` ago.
    func info(file: URL, stack: String, environment: String, identity: ProcessIdentity, settings: LeaseSettings) -> LockInfo {
        let expires = date(millis: leaseExpires)
        let graceSeconds = Double(settings.grace.components.seconds) + Double(settings.grace.components.attoseconds) / 1e18
        let expired = settings.now().timeIntervalSince(expires) > graceSeconds
        let gone = host == identity.host && !processIsAlive(pid: pid, startTime: processStart)
        return LockInfo(
            file: file, lockID: lockID, pid: pid, host: host, processStart: processStart, command: command,
            since: date(millis: since), isStale: expired || gone, user: user, leaseExpires: expires, stack: stack, environment: environment)
    }
}

/// A lock object next to a shared state, taken with a create-only write (`If-None-Match: *`) and renewed by
/// its holder with compare-and-swap writes (`If-Match`) every `renewEvery` while the command runs.
public final class RemoteLock: StackLock, @unchecked Sendable {
    public let info: LockInfo
    let objects: any StateObjectStore
    let key: String
    let settings: LeaseSettings
    // Only touched with `mutex` held.
    private let mutex = NSLock()
    private var record: LockRecord
    private var etag: String?
    private var lost = false
    /// Set once the lock is given up (unlocked or abandoned): a renewal that lands after it changes nothing here.
    private var stopped = false
    private var renewal: Task<Void, Never>?

    init(info: LockInfo, record: LockRecord, etag: String, objects: any StateObjectStore, key: String, settings: LeaseSettings) {
        self.info = info
        self.record = record
        self.etag = etag
        self.objects = objects
        self.key = key
        self.settings = settings
    }

    /// Starts renewing the lease in the background.
    func startRenewing() {
        // It serves the whole run, so it lends no operation's place.
        let task = Task { [weak self] in
            await Idle.unlent {
                while !Task.isCancelled {
                    guard let self else { return }
                    do { try await self.settings.sleep(self.settings.renewEvery) } catch { return }
                    if Task.isCancelled { return }
                    guard await self.renew() else { return }
                }
            }
        }
        mutex.withLock {
            if stopped { task.cancel() } else { renewal = task }
        }
    }

    /// Renews the lease once; false when the lock is lost (someone removed or replaced it) or given up.
    func renew() async -> Bool {
        guard
            let (record, etag) = mutex.withLock({ () -> (LockRecord, String)? in
                guard !lost, !stopped, let etag else { return nil }
                var next = record
                next.leaseExpires = millis(settings.now().addingTimeInterval(Self.seconds(settings.lease)))
                return (next, etag)
            })
        else { return false }
        do {
            // A renewal whose answer was lost and that was sent again is refused by itself: still ours.
            let newTag = try await objects.putConfirmed(key, record.encoded(), condition: .matching(etag))
            return mutex.withLock {
                // Given up meanwhile: the unlock deletes whatever this lock's object is now.
                guard !stopped else { return false }
                self.record = record
                self.etag = newTag
                return true
            }
        } catch is PreconditionFailed {
            mutex.withLock { lost = true }
            return false
        } catch {
            // A passing failure: the lease still runs; `isHeld` says false once it is over.
            return true
        }
    }

    public func isHeld() throws -> Bool {
        mutex.withLock { !lost && !stopped && etag != nil && settings.now() < date(millis: record.leaseExpires) }
    }

    public func unlock() async throws -> Bool {
        guard let (etag, renewal) = stopRenewing() else { return false }
        // A renewal already on the wire lands (or fails) first: the delete then finds the object as it is.
        await renewal?.value
        return try await delete(ifMatch: etag)
    }

    public func unlockNow() {
        guard let (etag, renewal) = stopRenewing() else { return }
        let done = DispatchSemaphore(value: 0)
        Task.detached {
            await renewal?.value
            _ = try? await self.delete(ifMatch: etag)
            done.signal()
        }
        _ = done.wait(timeout: .now() + 5)  // bound: one renewal and one delete request; the process exits right after
    }

    /// Stops renewing without deleting the lock: it runs out with its lease.
    func abandon() { _ = stopRenewing() }

    /// Stops the renewals; returns the entity tag to delete with and the renewal task to wait for, nil when the lock
    /// was already given up or lost.
    private func stopRenewing() -> (etag: String, renewal: Task<Void, Never>?)? {
        mutex.withLock {
            guard !stopped else { return nil }
            stopped = true
            renewal?.cancel()
            defer { renewal = nil }
            guard !lost, let etag else { return nil }
            return (etag, renewal)
        }
    }

    /// Deletes the lock object while it is still this acquisition's: at `etag`, or, when that is refused, at the entity
    /// tag it has now if it still carries this lock id (a renewal landed after all, or a delete whose answer was lost
    /// was sent again). True when this call removed it.
    private func delete(ifMatch etag: String) async throws -> Bool {
        var tag = etag
        for _ in 0..<3 {
            do {
                try await objects.delete(key, ifMatch: tag)
                return true
            } catch is PreconditionFailed {
                guard let object = try await objects.get(key),
                    (try? LockRecord.decode(object.data, location: key))?.lockID == info.lockID
                else { return false }
                tag = object.etag
            }
        }
        return false
    }

    static func seconds(_ duration: Duration) -> TimeInterval {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
}
