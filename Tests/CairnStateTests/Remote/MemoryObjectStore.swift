import CairnState
import Foundation

/// A `StateObjectStore` in memory with S3's conditional-write rules: the unit tests' stand-in for S3. Tests can
/// fail a write before it lands (`failWrites`), as a process killed mid-write would, and count the calls.
final class MemoryObjectStore: StateObjectStore, @unchecked Sendable {
    struct Injected: Error {}

    // Everything below is only touched with `mutex` held.
    private let mutex = NSLock()
    private var objects: [String: StoredObject] = [:]
    private var counter = 0
    private var failing: (String) -> Bool = { _ in false }
    private var before: [String: @Sendable () -> Void] = [:]
    private(set) var puts = 0

    let location: String

    init(location: String = "s3://memory") { self.location = location }

    /// Every key and its bytes.
    var contents: [String: Data] { mutex.withLock { objects.mapValues(\.data) } }

    /// Makes every write of a key matching `predicate` fail before it lands.
    func failWrites(where predicate: @escaping (String) -> Bool) { mutex.withLock { failing = predicate } }

    func get(_ key: String) async throws -> StoredObject? { mutex.withLock { objects[key] } }

    func put(_ key: String, _ data: Data, condition: WriteCondition) async throws -> String {
        if let action = mutex.withLock({ before.removeValue(forKey: key) }) { action() }
        return try write(key, data, condition: condition)
    }

    /// Runs `action` once, just before the next write of `key` lands (what another run did meanwhile).
    func beforeNextWrite(of key: String, _ action: @escaping @Sendable () -> Void) { mutex.withLock { before[key] = action } }

    /// Writes without a condition, as someone with the aws CLI might.
    func overwrite(_ key: String, _ data: Data) { _ = try? write(key, data, condition: nil) }

    /// Removes an object without a condition.
    func remove(_ key: String) { mutex.withLock { objects[key] = nil } }

    private func write(_ key: String, _ data: Data, condition: WriteCondition?) throws -> String {
        try mutex.withLock {
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
            return etag
        }
    }

    func delete(_ key: String, ifMatch: String?) async throws {
        try mutex.withLock {
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
