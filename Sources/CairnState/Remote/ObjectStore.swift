import Foundation

/// An object read from a `StateObjectStore`: its bytes and the version tag a conditional write compares with.
public struct StoredObject: Sendable, Equatable {
    /// The object's bytes.
    public var data: Data
    /// Its entity tag (S3's `ETag`), quotes included as the store gives it.
    public var etag: String

    /// An object read back.
    public init(data: Data, etag: String) {
        self.data = data
        self.etag = etag
    }
}

/// The condition a write is made under: the compare-and-swap that keeps two writers from overwriting each other.
public enum WriteCondition: Sendable, Equatable {
    /// Only when no object has the key (S3's `If-None-Match: *`).
    case absent
    /// Only when the object's entity tag is still this one (S3's `If-Match`).
    case matching(String)
}

/// Why a conditional write or delete was refused: someone else wrote the key first.
public struct PreconditionFailed: Error, Sendable, Equatable {
    /// The key whose condition did not hold.
    public let key: String

    /// A refusal for `key`.
    public init(key: String) { self.key = key }
}

/// The few operations a shared state needs from an object store (S3): whole-object reads and conditional writes.
///
/// Implementations throw `PreconditionFailed` when a condition does not hold, and a `RemoteStateError` (one
/// sentence naming the bucket and key) for everything the user has to act on: a missing bucket, access denied.
public protocol StateObjectStore: Sendable {
    /// Where the objects live, for messages: `s3://bucket/prefix`.
    var location: String { get }
    /// The object at `key`, or nil when there is none.
    func get(_ key: String) async throws -> StoredObject?
    /// Writes `data` at `key` under `condition`; returns the new entity tag.
    func put(_ key: String, _ data: Data, condition: WriteCondition) async throws -> String
    /// Deletes `key`; with `ifMatch`, only while its entity tag is that one (else `PreconditionFailed`). Deleting
    /// a missing key is not an error.
    func delete(_ key: String, ifMatch: String?) async throws
    /// Deletes many keys (missing ones are fine).
    func delete(keys: [String]) async throws
    /// The keys that start with `prefix` and sort after `startAfter`, in order.
    func list(prefix: String, startAfter: String?) async throws -> [String]
}

extension StateObjectStore {
    /// One delete after another; stores that can delete in batches do better.
    public func delete(keys: [String]) async throws {
        for key in keys { try await delete(key, ifMatch: nil) }
    }
}

extension StateObjectStore {
    /// `put`, telling a refusal caused by this very write from one caused by another writer. A client whose answer was
    /// lost sends the write again (Cairn's AWS client, as AWS's SDKs, retries a PUT reset mid-answer), and a conditional
    /// write is then refused by its own first attempt. When the object holds exactly `data` after a refusal, the write
    /// was this one: it is done, with the object's entity tag. Every record written this way is unique to its writer (a
    /// lock id, a lease's end, an entry id, a whole state), so no one else's write can pass for it. A create-only write
    /// refused while nothing is there (S3's 409 ConditionalRequestConflict: a write under way did not land) is sent again.
    func putConfirmed(_ key: String, _ data: Data, condition: WriteCondition) async throws -> String {
        var attempt = 1
        while true {
            do {
                return try await put(key, data, condition: condition)
            } catch let refusal as PreconditionFailed {
                guard let object = try await get(key) else {
                    guard condition == .absent, attempt < 3 else { throw refusal }
                    attempt += 1
                    continue
                }
                guard object.data == data else { throw refusal }
                return object.etag
            }
        }
    }
}
