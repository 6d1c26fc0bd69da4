import CairnState
import Foundation

/// A `StateObjectStore` in memory with S3's conditional-write rules: the unit tests' stand-in for S3. Tests can
/// fail a write before it lands (`failWrites`), as a process killed mid-write would; lose a write's answer after it
/// landed (`loseAnswers`), as a reset connection does; refuse a write without anything landing (`refuseWrites`), as
/// S3's 409 ConditionalRequestConflict does; hold a write or a delete at a point (`beforeNextWrite`,
/// `beforeNextDelete`); and count the calls.
final class MemoryObjectStore: StateObjectStore, @unchecked Sendable {
    struct Injected: Error {}

    /// What the client makes of a write whose answer was lost after it landed.
    enum LostAnswer {
        /// It sends the write again, as Cairn's AWS client and AWS's SDKs do, and returns that attempt's answer: a
        /// conditional write is refused by its own first attempt (`PreconditionFailed`).
        case retried
        /// It gives up: an error, although the write landed.
        case failed
    }

    // Everything below is only touched with `mutex` held.
    private let mutex = NSLock()
    private var objects: [String: StoredObject] = [:]
    private var counter = 0
    private var failing: (String) -> Bool = { _ in false }
    private var losing: (matches: (String) -> Bool, how: LostAnswer, left: Int)?
    private var refusing: (matches: (String) -> Bool, left: Int)?
    private var before: [String: @Sendable () async -> Void] = [:]
    private var beforeDelete: [String: @Sendable () async -> Void] = [:]
    private var watchers: [(id: UUID, key: String, unlike: String?, continuation: CheckedContinuation<Void, Never>)] = []
    private(set) var puts = 0

    let location: String

    init(location: String = "s3://memory") { self.location = location }

    /// Every key and its bytes.
    var contents: [String: Data] { mutex.withLock { objects.mapValues(\.data) } }

    /// Makes every write of a key matching `predicate` fail before it lands.
    func failWrites(where predicate: @escaping (String) -> Bool) { mutex.withLock { failing = predicate } }

    /// Makes the next `count` writes or deletes of a key matching `predicate` land and lose their answer, as `how` says.
    func loseAnswers(_ how: LostAnswer, count: Int = 1, where predicate: @escaping (String) -> Bool) {
        mutex.withLock { losing = (predicate, how, count) }
    }

    /// Makes the next `count` writes of a key matching `predicate` refused (`PreconditionFailed`) with nothing written.
    func refuseWrites(count: Int = 1, where predicate: @escaping (String) -> Bool) { mutex.withLock { refusing = (predicate, count) } }

    /// Runs `action` once, just before the next write of `key` lands (what another run did meanwhile, or a hold).
    func beforeNextWrite(of key: String, _ action: @escaping @Sendable () async -> Void) { mutex.withLock { before[key] = action } }

    /// Runs `action` once, just before the next delete of `key` lands.
    func beforeNextDelete(of key: String, _ action: @escaping @Sendable () async -> Void) { mutex.withLock { beforeDelete[key] = action } }

    /// Returns once an object is stored at `key` (with another entity tag than `etag`, when given), or the task is
    /// cancelled (a test's time limit).
    func written(_ key: String, replacing etag: String? = nil) async {
        let id = UUID()
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let done = mutex.withLock { () -> Bool in
                    if let object = objects[key], object.etag != etag { return true }
                    if Task.isCancelled { return true }
                    watchers.append((id, key, etag, continuation))
                    return false
                }
                if done { continuation.resume() }
            }
        } onCancel: {
            mutex.withLock { () -> CheckedContinuation<Void, Never>? in
                defer { watchers.removeAll { $0.id == id } }
                return watchers.first { $0.id == id }?.continuation
            }?.resume()
        }
    }

    /// The entity tag of the object at `key`, if there is one.
    func etag(_ key: String) -> String? { mutex.withLock { objects[key]?.etag } }

    func get(_ key: String) async throws -> StoredObject? { mutex.withLock { objects[key] } }

    func put(_ key: String, _ data: Data, condition: WriteCondition) async throws -> String {
        if let action = mutex.withLock({ before.removeValue(forKey: key) }) { await action() }
        let refused = mutex.withLock { () -> Bool in
            guard let rule = refusing, rule.left > 0, rule.matches(key) else { return false }
            refusing?.left -= 1
            return true
        }
        if refused { throw PreconditionFailed(key: key) }
        let etag = try write(key, data, condition: condition)
        switch lostAnswer(key) {
        case .retried?: return try write(key, data, condition: condition)
        case .failed?: throw Injected()
        case nil: return etag
        }
    }

    /// Writes without a condition, as someone with the aws CLI might.
    func overwrite(_ key: String, _ data: Data) { _ = try? write(key, data, condition: nil) }

    /// Removes an object without a condition.
    func remove(_ key: String) { mutex.withLock { objects[key] = nil } }

    /// How the answer to this call on `key` is lost, if it is.
    private func lostAnswer(_ key: String) -> LostAnswer? {
        mutex.withLock {
            guard let rule = losing, rule.left > 0, rule.matches(key) else { return nil }
            losing?.left -= 1
            return rule.how
        }
    }

    private func write(_ key: String, _ data: Data, condition: WriteCondition?) throws -> String {
        let (etag, woken) = try mutex.withLock { () throws -> (String, [CheckedContinuation<Void, Never>]) in
            if failing(key) { throw Injected() }
            switch condition {
            case .absent?: if objects[key] != nil { throw PreconditionFailed(key: key) }
            case .matching(let etag)?: if objects[key]?.etag != etag { throw PreconditionFailed(key: key) }
            case nil: break
            }
            counter += 1
            puts += 1
            let etag = "\"\(counter)\""
            objects[key] = StoredObject(data: data, etag: etag)
            let woken = watchers.filter { $0.key == key && $0.unlike != etag }.map(\.continuation)
            watchers.removeAll { $0.key == key && $0.unlike != etag }
            return (etag, woken)
        }
        for continuation in woken { continuation.resume() }
        return etag
    }

    func delete(_ key: String, ifMatch: String?) async throws {
        if let action = mutex.withLock({ beforeDelete.removeValue(forKey: key) }) { await action() }
        try deleteNow(key, ifMatch: ifMatch)
        switch lostAnswer(key) {
        case .retried?: try deleteNow(key, ifMatch: ifMatch)
        case .failed?: throw Injected()
        case nil: break
        }
    }

    private func deleteNow(_ key: String, ifMatch: String?) throws {
        try mutex.withLock {
            // S3 answers a conditional delete of a missing key 404, which S3StateObjects reports as a refusal.
            if let ifMatch, objects[key]?.etag != ifMatch { throw PreconditionFailed(key: key) }
            objects[key] = nil
        }
    }

    func list(prefix: String, startAfter: String?) async throws -> [String] {
        mutex.withLock {
            objects.keys.filter { key in key.hasPrefix(prefix) && startAfter.map { key > $0 } ?? true }.sorted()
        }
    }
}

/// A point a test holds another task at (`MemoryObjectStore.beforeNextWrite`): `reached` returns once the task is
/// there, `release` lets it go on. Cancelling the held task does not release it, as a request on the wire is not
/// taken back.
final class Hold: @unchecked Sendable {
    private let mutex = NSLock()
    private var arrived = false
    private var released = false
    private var arrivalWaiters: [CheckedContinuation<Void, Never>] = []
    private var held: [CheckedContinuation<Void, Never>] = []

    /// What the held task runs: marks the arrival and waits for `release`.
    func wait() async {
        let waiters = mutex.withLock { () -> [CheckedContinuation<Void, Never>] in
            arrived = true
            defer { arrivalWaiters = [] }
            return arrivalWaiters
        }
        for waiter in waiters { waiter.resume() }
        await withCheckedContinuation { continuation in
            mutex.withLock {
                if released { continuation.resume() } else { held.append(continuation) }
            }
        }
    }

    /// Returns once the held task has arrived.
    func reached() async {
        await withCheckedContinuation { continuation in
            mutex.withLock {
                if arrived { continuation.resume() } else { arrivalWaiters.append(continuation) }
            }
        }
    }

    /// Lets the held task go on (and any that arrives later).
    func release() {
        let waiting = mutex.withLock { () -> [CheckedContinuation<Void, Never>] in
            released = true
            defer { held = [] }
            return held
        }
        for continuation in waiting { continuation.resume() }
    }
}
