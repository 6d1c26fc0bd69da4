import Foundation

// Reading a shared state: its keys, one look at them, and the working copy they make.
extension StateSession {
    /// The keys of one stack's shared state.
    struct Keys {
        let objects: any StateObjectStore
        let base: String
        init(backend: RemoteBackend, stack: String, environment: String) {
            objects = backend.objects
            base = backend.base(stack: stack, environment: environment)
        }
        var state: String { base + "/state" }
        var lock: String { base + "/lock" }
        var journalPrefix: String { base + "/journal/" }
        func journal(_ seq: Int) -> String { journalPrefix + String(format: "%020d", seq) }
        func seq(of key: String) -> Int? { Int(key.dropFirst(journalPrefix.count)) }
        func place(_ key: String) -> String { objects.location + "/" + key }
        func url(_ key: String) -> URL {
            let text = place(key)
            return URL(string: text.addingPercentEncoding(withAllowedCharacters: .urlFragmentAllowed) ?? text)
                ?? URL(fileURLWithPath: key)
        }
    }

    /// A working copy and where it stands against the store.
    struct Loaded {
        var store: StateStore
        var directory: URL
        var seq: Int
        var snapshotSeq: Int
        var etag: String?
        var folded: [String]?
        /// False for a state not in the store yet.
        var born: Bool
    }

    struct Gap: Error { let missing: Int }

    /// One look at a stack's keys: its snapshot (nil: none) and every journal key, read at once (one round trip).
    struct Fetched {
        var snapshot: StoredObject?
        var journal: [String]
    }

    static func fetch(keys: Keys) async throws -> Fetched {
        async let snapshot = keys.objects.get(keys.state)
        async let journal = keys.objects.list(prefix: keys.journalPrefix, startAfter: nil)
        return Fetched(snapshot: try await snapshot, journal: try await journal)
    }

    static func load(
        _ backend: RemoteBackend, keys: Keys, stack: String, environment: String, create: Bool, identity: ProcessIdentity
    ) async throws -> Loaded? {
        var lastGap = 0
        for _ in 0..<5 {
            let fetched = try await fetch(keys: keys)
            do {
                return try await materialize(fetched, backend, keys: keys, stack: stack, environment: environment, create: create, identity: identity)
            } catch let gap as Gap {
                lastGap = gap.missing  // compacted while being read: read it again
            }
        }
        throw RemoteStateError.journalGap(location: keys.place(keys.journalPrefix), missing: lastGap)
    }

    /// A new, empty working copy of a state the store does not have yet.
    static func fresh(_ backend: RemoteBackend, stack: String, environment: String, identity: ProcessIdentity) throws -> Loaded {
        let directory = backend.replicaRoot.appendingPathComponent("cairn-replica-\(UUID().uuidString.lowercased())")
        try StateDirectory.create(backend.replicaRoot)
        try StateDirectory.create(directory)
        let path = StateStore.path(stateDir: directory, stack: stack, environment: environment)
        do {
            guard let store = try StateStore.open(at: path, stack: stack, environment: environment, create: true, identity: identity) else {
                throw StateError.notFound(path)
            }
            try store.relaxDurability()
            return Loaded(store: store, directory: directory, seq: 0, snapshotSeq: 0, etag: nil, folded: [], born: false)
        } catch {
            try? FileManager.default.removeItem(at: directory)
            throw error
        }
    }

    /// The working copy that `fetched` describes: its snapshot with the journal entries after it replayed (a `Gap`
    /// when one is missing), a fresh one when there is no snapshot and `create`, nil otherwise.
    static func materialize(
        _ fetched: Fetched, _ backend: RemoteBackend, keys: Keys, stack: String, environment: String, create: Bool, identity: ProcessIdentity
    ) async throws -> Loaded? {
        guard let object = fetched.snapshot else {
            guard create else { return nil }
            if let stray = fetched.journal.first {
                throw RemoteStateError.notCairnState(
                    location: keys.place(stray), reason: "journal entries exist without a state snapshot; move them away")
            }
            return try fresh(backend, stack: stack, environment: environment, identity: identity)
        }
        let place = keys.place(keys.state)
        let envelope = try SnapshotEnvelope.decode(object.data, location: place)
        guard envelope.stack == stack, envelope.environment == StateStore.normalizedEnvironment(environment) else {
            throw RemoteStateError.notCairnState(
                location: place,
                reason: "it holds stack '\(envelope.stack)' environment '\(envelope.environment)', not '\(stack)' '\(environment)'")
        }
        let directory = backend.replicaRoot.appendingPathComponent("cairn-replica-\(UUID().uuidString.lowercased())")
        try StateDirectory.create(backend.replicaRoot)
        try StateDirectory.create(directory)
        var keep = false
        defer { if !keep { try? FileManager.default.removeItem(at: directory) } }
        let path = StateStore.path(stateDir: directory, stack: stack, environment: environment)
        let store: StateStore
        do {
            store = try openCopy(envelope.database, at: path, stack: stack, environment: environment, identity: identity)
        } catch StateError.newerSchema(_, let found, let supported) {
            throw RemoteStateError.newerFormat(location: place, found: found, supported: supported)
        } catch let error as StateError {
            throw RemoteStateError.notCairnState(location: place, reason: "its database is not usable: \(error)")
        }
        var seq = envelope.seq
        do {
            try await replay(keys: keys, into: store, after: &seq, listed: fetched.journal)
        } catch {
            store.close()
            throw error
        }
        keep = true
        let folded = fetched.journal.filter { (keys.seq(of: $0) ?? 0) <= envelope.seq }
        return Loaded(store: store, directory: directory, seq: seq, snapshotSeq: envelope.seq, etag: object.etag, folded: folded, born: true)
    }

    /// Applies the journal entries of `listed` after `seq` to `store`, in order; a `Gap` when one is missing.
    static func replay(keys: Keys, into store: StateStore, after seq: inout Int, listed: [String]) async throws {
        var keysToRead: [(key: String, seq: Int)] = []
        var expected = seq + 1
        for key in listed {
            guard let next = keys.seq(of: key), next > seq else { continue }
            guard next == expected else { throw Gap(missing: expected) }
            keysToRead.append((key, next))
            expected += 1
        }
        // Read a window of entries at once (each a round trip), apply them in order: as many as a journal holds
        // before its holder compacts it (`compactionThreshold`), so that one round trip usually reads them all.
        for start in stride(from: 0, to: keysToRead.count, by: compactionThreshold) {
            let window = Array(keysToRead[start..<min(start + compactionThreshold, keysToRead.count)])
            let objects = try await withThrowingTaskGroup(of: (Int, StoredObject?).self) { group in
                for (index, item) in window.enumerated() { group.addTask { (index, try await keys.objects.get(item.key)) } }
                var read = [StoredObject?](repeating: nil, count: window.count)
                for try await (index, object) in group { read[index] = object }
                return read
            }
            for (item, object) in zip(window, objects) {
                guard let object else { throw Gap(missing: item.seq) }
                let entry = try JournalEntry.decode(object.data, location: keys.place(item.key))
                guard entry.seq == item.seq else {
                    throw RemoteStateError.notCairnState(location: keys.place(item.key), reason: "it says it is entry \(entry.seq)")
                }
                try store.apply(entry.operations, times: entry.operationTimes, dryRun: false)
                seq = item.seq
            }
        }
    }

    /// A working copy of `database` at `path` (a new private file), checked to be the state of `stack`/`environment`.
    static func openCopy(_ database: Data, at path: URL, stack: String, environment: String, identity: ProcessIdentity) throws -> StateStore {
        _ = try StateStore.importDatabase(database, at: path, stack: stack, environment: environment)
        guard let store = try StateStore.open(at: path, stack: stack, environment: environment, create: false, identity: identity) else {
            throw StateError.notFound(path)
        }
        try store.relaxDurability()
        return store
    }

    static func fetch(keys: Keys, if wanted: Bool) async throws -> Fetched? {
        wanted ? try await fetch(keys: keys) : nil
    }

}
