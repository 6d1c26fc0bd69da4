import Foundation

/// Where a shared state lives: an object store (S3), the key prefix its stacks share, and how its locks lease.
public struct RemoteBackend: Sendable {
    /// The bucket.
    public var objects: any StateObjectStore
    /// The prefix under which each stack keeps `STACK/ENV/state`, `STACK/ENV/journal/…` and `STACK/ENV/lock`.
    public var prefix: String
    /// The lock's lease and the clocks.
    public var settings: LeaseSettings
    /// Where working copies are made (a private directory is created under it per open, removed at close).
    public var replicaRoot: URL

    /// A check to run once, beside the first read of a state (the bucket's versioning, for a warning): it costs
    /// no round trip of its own.
    let preflight: Once?

    public init(
        objects: any StateObjectStore, prefix: String, settings: LeaseSettings = LeaseSettings(), replicaRoot: URL,
        preflight: (@Sendable () async -> Void)? = nil
    ) {
        self.objects = objects
        self.prefix = prefix.trimmingCharacters(in: CharacterSet(charactersIn: "/"))
        self.settings = settings
        self.replicaRoot = replicaRoot
        self.preflight = preflight.map(Once.init)
    }

    /// Runs its body the first time only.
    final class Once: @unchecked Sendable {
        private let mutex = NSLock()
        private var body: (@Sendable () async -> Void)?
        init(_ body: @escaping @Sendable () async -> Void) { self.body = body }
        func run() async {
            guard
                let body = mutex.withLock({ () -> (@Sendable () async -> Void)? in
                    defer { self.body = nil }
                    return self.body
                })
            else { return }
            await body()
        }
    }

    /// The key prefix of `stack`'s state in `environment`: `PREFIX/STACK/ENV`.
    public func base(stack: String, environment: String) -> String {
        [prefix, stack, StateStore.normalizedEnvironment(environment)].filter { !$0.isEmpty }.joined(separator: "/")
    }
}

/// One command's use of a stack's state, wherever it lives: the local SQLite file, or a shared state in S3.
///
/// A shared state is kept as a snapshot object (the SQLite database) plus a journal of small objects, one per
/// durable write; this session works on a local working copy rebuilt from them, so reads are local and every
/// property of the local store holds (intents before creates, history, sealed secrets). Each mutation is first
/// checked against the working copy, then written as the next journal object with a create-only write
/// (`If-None-Match: *`), and only then applied to the copy: a run whose lock was broken finds its journal
/// position taken and stops (`RemoteStateError.staleWriter`) without overwriting anything. The lock holder
/// folds the journal into a new snapshot (`If-Match`) when it lets go.
public final class StateSession: @unchecked Sendable {
    /// The stack.
    public let stack: String
    /// The environment.
    public let environment: String
    /// Nil for a local state.
    let remote: RemoteBackend?
    let identity: ProcessIdentity

    // Only touched with `mutex` held.
    private let mutex = NSLock()
    private var current: StateStore
    private var replicaDirectory: URL?
    /// The last journal entry applied to `current`.
    private var seq = 0
    private var snapshotSeq = 0
    private var snapshotETag: String?
    private var heldLock: RemoteLock?
    private var closed = false
    private typealias Queued = (operation: JournalOperation, continuation: CheckedContinuation<JournalResult, any Error>)
    /// Operations waiting for the next journal write, and whether a writer is at work on them.
    private var queued: [Queued] = []
    private var flushing = false

    /// Serialises the remote mutations, which await the store between check and apply.
    private let gate = AsyncGate()

    private init(
        stack: String, environment: String, remote: RemoteBackend?, identity: ProcessIdentity, store: StateStore,
        replicaDirectory: URL?, seq: Int = 0, snapshotSeq: Int = 0, snapshotETag: String? = nil
    ) {
        self.stack = stack
        self.environment = StateStore.normalizedEnvironment(environment)
        self.remote = remote
        self.identity = identity
        self.current = store
        self.replicaDirectory = replicaDirectory
        self.seq = seq
        self.snapshotSeq = snapshotSeq
        self.snapshotETag = snapshotETag
    }

    deinit { close() }

    // MARK: - Opening

    /// The local state of `stack`/`environment` under `stateDir`; see `StateStore.open(stateDir:…)`.
    public static func local(
        stateDir: URL, stack: String, environment: String, create: Bool, identity: ProcessIdentity = .current
    ) throws -> StateSession? {
        guard let store = try StateStore.open(stateDir: stateDir, stack: stack, environment: environment, create: create, identity: identity)
        else { return nil }
        return StateSession(stack: stack, environment: environment, remote: nil, identity: identity, store: store, replicaDirectory: nil)
    }

    /// A session on `store`, a local state already open (tests, tools).
    public static func local(_ store: StateStore) -> StateSession {
        StateSession(stack: store.stack, environment: store.environment, remote: nil, identity: store.identity, store: store, replicaDirectory: nil)
    }

    /// The shared state of `stack`/`environment` in `backend`, read into a working copy; nil when there is none
    /// and `create` is false. With `create`, a missing state is created (an empty snapshot, create-only).
    ///
    /// - Throws: `RemoteStateError` naming the bucket and key (missing bucket, access denied, not Cairn state,
    ///   newer format), or `StateError`.
    public static func remote(
        _ backend: RemoteBackend, stack: String, environment: String, create: Bool, identity: ProcessIdentity = .current
    ) async throws -> StateSession? {
        let keys = Keys(backend: backend, stack: stack, environment: environment)
        async let checked: Void = backend.preflight?.run() ?? ()
        let found = try await load(backend, keys: keys, stack: stack, environment: environment, create: create, identity: identity)
        await checked
        guard let loaded = found else { return nil }
        return StateSession(
            stack: stack, environment: environment, remote: backend, identity: identity, store: loaded.store,
            replicaDirectory: loaded.directory, seq: loaded.seq, snapshotSeq: loaded.snapshotSeq, snapshotETag: loaded.etag)
    }

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

    private struct Loaded {
        var store: StateStore
        var directory: URL
        var seq: Int
        var snapshotSeq: Int
        var etag: String
    }

    private struct Gap: Error { let missing: Int }

    private static func load(
        _ backend: RemoteBackend, keys: Keys, stack: String, environment: String, create: Bool, identity: ProcessIdentity
    ) async throws -> Loaded? {
        var lastGap = 0
        for _ in 0..<5 {
            let directory = backend.replicaRoot.appendingPathComponent("cairn-replica-\(UUID().uuidString.lowercased())")
            try StateDirectory.create(backend.replicaRoot)
            try StateDirectory.create(directory)
            var keep = false
            defer { if !keep { try? FileManager.default.removeItem(at: directory) } }
            let path = StateStore.path(stateDir: directory, stack: stack, environment: environment)
            if let object = try await keys.objects.get(keys.state) {
                let place = keys.place(keys.state)
                let envelope = try SnapshotEnvelope.decode(object.data, location: place)
                guard envelope.stack == stack, envelope.environment == StateStore.normalizedEnvironment(environment) else {
                    throw RemoteStateError.notCairnState(
                        location: place,
                        reason: "it holds stack '\(envelope.stack)' environment '\(envelope.environment)', not '\(stack)' '\(environment)'")
                }
                let store: StateStore
                do {
                    _ = try StateStore.importDatabase(envelope.database, at: path, stack: stack, environment: environment)
                    guard let opened = try StateStore.open(at: path, stack: stack, environment: environment, create: false, identity: identity)
                    else { throw StateError.notFound(path) }
                    store = opened
                } catch StateError.newerSchema(_, let found, let supported) {
                    throw RemoteStateError.newerFormat(location: place, found: found, supported: supported)
                } catch let error as StateError {
                    throw RemoteStateError.notCairnState(location: place, reason: "its database is not usable: \(error)")
                }
                var seq = envelope.seq
                do {
                    try await replay(keys: keys, into: store, after: &seq)
                } catch let gap as Gap {
                    // Compacted while being read: read it again.
                    store.close()
                    lastGap = gap.missing
                    continue
                }
                keep = true
                return Loaded(store: store, directory: directory, seq: seq, snapshotSeq: envelope.seq, etag: object.etag)
            }
            guard create else { return nil }
            if let stray = try await keys.objects.list(prefix: keys.journalPrefix, startAfter: nil).first {
                throw RemoteStateError.notCairnState(
                    location: keys.place(stray), reason: "journal entries exist without a state snapshot; move them away")
            }
            guard let store = try StateStore.open(at: path, stack: stack, environment: environment, create: true, identity: identity) else {
                throw StateError.notFound(path)
            }
            let envelope = SnapshotEnvelope(
                seq: 0, stack: stack, environment: store.environment, lineage: store.lineage, database: try store.exportDatabase())
            do {
                let etag = try await keys.objects.put(keys.state, envelope.encoded(), condition: .absent)
                keep = true
                return Loaded(store: store, directory: directory, seq: 0, snapshotSeq: 0, etag: etag)
            } catch is PreconditionFailed {
                store.close()  // created by another run meanwhile: read that one
            }
        }
        throw RemoteStateError.journalGap(location: keys.place(keys.journalPrefix), missing: lastGap)
    }

    /// Applies the journal entries after `seq` to `store`, in order.
    private static func replay(keys: Keys, into store: StateStore, after seq: inout Int, listed: [String]? = nil) async throws {
        var keysToRead: [(key: String, seq: Int)] = []
        var expected = seq + 1
        var keyList = listed ?? []
        if listed == nil { keyList = try await keys.objects.list(prefix: keys.journalPrefix, startAfter: keys.journal(seq)) }
        for key in keyList {
            guard let next = keys.seq(of: key) else { continue }
            guard next == expected else { throw Gap(missing: expected) }
            keysToRead.append((key, next))
            expected += 1
        }
        // Read a window of entries at once (each a round trip), apply them in order.
        for start in stride(from: 0, to: keysToRead.count, by: 16) {
            let window = Array(keysToRead[start..<min(start + 16, keysToRead.count)])
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
                try store.apply(entry.operations, at: entry.at, dryRun: false)
                seq = item.seq
            }
        }
    }

    // MARK: - The working copy

    /// The state store this session reads: the local file, or the working copy of a shared state.
    public var store: StateStore { mutex.withLock { current } }

    /// Whether the state is shared (kept in an object store).
    public var isRemote: Bool { remote != nil }

    /// Where the state lives, for messages: the file's path or `s3://bucket/prefix/STACK/ENV`.
    public var location: String {
        guard let keys else { return store.url.path }
        return keys.place(keys.base)
    }

    private var keys: Keys? { remote.map { Keys(backend: $0, stack: stack, environment: environment) } }

    /// Closes the store and removes a working copy. Idempotent.
    public func close() {
        let (store, directory, lock) = mutex.withLock { () -> (StateStore?, URL?, RemoteLock?) in
            if closed { return (nil, nil, nil) }
            closed = true
            defer {
                replicaDirectory = nil
                heldLock = nil
            }
            return (current, replicaDirectory, heldLock)
        }
        // Stops renewing a lock left held; never blocks on the network here (callers release locks themselves).
        lock?.abandon()
        store?.close()
        if let directory { try? FileManager.default.removeItem(at: directory) }
    }

    // MARK: - Reads (from the working copy)

    public var lineage: String { store.lineage }
    public func resources() throws -> [ResourceRecord] { try store.resources() }
    public func resource(at address: String) throws -> ResourceRecord? { try store.resource(at: address) }
    public func resourceCount() throws -> Int { try store.resourceCount() }
    public func pendingIntents() throws -> [ResourceIntent] { try store.pendingIntents() }
    public func history(limit: Int? = nil) throws -> [HistoryEntry] { try store.history(limit: limit) }
    public func history(address: String, limit: Int? = nil) throws -> [HistoryEntry] { try store.history(address: address, limit: limit) }
    public func snapshot() throws -> StateSnapshot { try store.snapshot() }
    public func serial() throws -> Int { try store.serial() }
    public func outputs() throws -> String? { try store.outputs() }
    public func metadata(_ key: String) throws -> String? { try store.metadata(key) }
    public func driftRuns(limit: Int? = nil) throws -> [DriftRun] { try store.driftRuns(limit: limit) }

    /// A consistent copy of the state's database (`cairn state pull`, migrations), sealed values sealed.
    public func exportDatabase() throws -> Data { try store.exportDatabase() }

    // MARK: - Mutations

    /// `StateStore.commit(_:command:resolvingIntent:)`, durable in the shared state first when there is one.
    @discardableResult
    public func commit(_ change: Change, command: String, resolvingIntent intentID: Int64? = nil) async throws -> ResourceRecord? {
        guard
            case .committed(_, let records) = try await mutate(.commit(changes: [JournalChange(change)], command: command, resolvingIntent: intentID))
        else {
            return nil
        }
        return records.first ?? nil
    }

    /// `StateStore.commit(_:command:)`: many changes as one (one serial).
    @discardableResult
    public func commit(_ changes: [Change], command: String) async throws -> Int {
        if changes.isEmpty { return try serial() }
        guard
            case .committed(let serial, _) = try await mutate(
                .commit(changes: changes.map(JournalChange.init), command: command, resolvingIntent: nil))
        else { return try self.serial() }
        return serial
    }

    @discardableResult
    public func commitCreate(_ record: ResourceRecord, command: String, resolvingIntent intentID: Int64? = nil) async throws -> ResourceRecord {
        try await commit(.create(record), command: command, resolvingIntent: intentID) ?? record
    }

    @discardableResult
    public func commitUpdate(_ record: ResourceRecord, command: String) async throws -> ResourceRecord {
        try await commit(.update(record), command: command) ?? record
    }

    public func commitDelete(address: String, command: String) async throws {
        try await commit(.delete(address), command: command)
    }

    /// `StateStore.recordIntent`: durable (in the shared state too) before the create it announces.
    @discardableResult
    public func recordIntent(address: String, type: String, plannedName: String?, command: String) async throws -> ResourceIntent {
        guard case .intent(let intent) = try await mutate(.recordIntent(address: address, type: type, plannedName: plannedName, command: command))
        else { throw StateError.corrupt(store.url, detail: "recording an intent returned no intent") }
        return intent
    }

    @discardableResult
    public func discardIntent(_ id: Int64) async throws -> Bool {
        guard case .discarded(let found) = try await mutate(.discardIntent(id: id)) else { return false }
        return found
    }

    public func setOutputs(json: String) async throws {
        try await mutate(.setOutputs(json: json))
    }

    public func setMetadata(_ key: String, _ value: String) async throws {
        precondition(!StateStore.reservedMetadataKeys.contains(key), "meta key \(key) belongs to the state store")
        try await mutate(.setMetadata(key: key, value: value))
    }

    @discardableResult
    public func recordDriftRun(
        drifted: Bool, changed: Int, deleted: Int, unmanaged: Int, reportJSON: String, checkedAt: Date = Date()
    ) async throws -> DriftRun {
        guard remote != nil else {
            return try store.recordDriftRun(
                drifted: drifted, changed: changed, deleted: deleted, unmanaged: unmanaged, reportJSON: reportJSON, checkedAt: checkedAt)
        }
        guard
            case .driftRun(let run) = try await mutate(
                .recordDriftRun(drifted: drifted, changed: changed, deleted: deleted, unmanaged: unmanaged, report: reportJSON))
        else { throw StateError.corrupt(store.url, detail: "recording a drift run returned none") }
        return run
    }

    /// Applies one operation: locally at once, or through the shared state's journal. Operations that arrive while
    /// a journal write is in flight (parallel creates finishing together) go out together in the next entry, so a
    /// wide apply pays one round trip per batch rather than per operation; each caller still returns only once its
    /// own operation is durable.
    @discardableResult
    private func mutate(_ operation: JournalOperation) async throws -> JournalResult {
        guard let keys else {
            return try store.apply([operation], at: millis(Date()), dryRun: false)[0]
        }
        return try await withCheckedThrowingContinuation { continuation in
            let lead = mutex.withLock { () -> Bool in
                queued.append((operation, continuation))
                if flushing { return false }
                flushing = true
                return true
            }
            if lead { Task { await self.flush(keys: keys) } }
        }
    }

    /// Writes the queued operations, a batch per journal entry, until the queue is empty.
    private func flush(keys: Keys) async {
        while true {
            let batch = mutex.withLock { () -> [Queued] in
                defer { queued = [] }
                if queued.isEmpty { flushing = false }
                return queued
            }
            if batch.isEmpty { return }
            await gate.enter()
            // Each operation is checked after those before it, so one refused (an address already recorded) fails
            // alone and the others are written.
            let store = self.store
            var accepted: [Queued] = []
            for item in batch {
                do {
                    try store.apply(accepted.map(\.operation) + [item.operation], at: 0, dryRun: true)
                    accepted.append(item)
                } catch {
                    item.continuation.resume(throwing: error)
                }
            }
            if !accepted.isEmpty {
                do {
                    let results = try await journaled(accepted.map(\.operation), keys: keys)
                    for (item, result) in zip(accepted, results) { item.continuation.resume(returning: result) }
                } catch {
                    for item in accepted { item.continuation.resume(throwing: error) }
                }
            }
            await gate.leave()
        }
    }

    /// Checks `operations` against the working copy, writes them as the next journal entry (create-only), then
    /// applies them. Runs inside `gate`.
    private func journaled(_ operations: [JournalOperation], keys: Keys) async throws -> [JournalResult] {
        let settings = remote!.settings
        let lockFree = operations.allSatisfy(\.isLockFree)
        let (store, lock) = mutex.withLock { (current, heldLock) }
        if !lockFree {
            guard let lock, try lock.isHeld() else { throw RemoteStateError.lockLost(location: keys.place(keys.lock)) }
        }
        let at = millis(settings.now())
        try store.apply(operations, at: at, dryRun: true)
        var entry = JournalEntry(seq: mutex.withLock { seq } + 1, lockID: lockFree ? nil : lock?.info.lockID, at: at, operations: operations)
        while true {
            let key = keys.journal(entry.seq)
            do {
                _ = try await keys.objects.put(key, entry.encoded(), condition: .absent)
                break
            } catch is PreconditionFailed {
                // Someone wrote this position first. Our own write answered late is fine; a drift run (no lock) is
                // caught up on and we write after it; a write under another lock means ours was broken.
                guard let object = try await keys.objects.get(key) else { throw RemoteStateError.staleWriter(location: keys.place(key), holder: nil) }
                let other = try JournalEntry.decode(object.data, location: keys.place(key))
                if other.id == entry.id { break }
                if let holder = other.lockID, !lockFree {
                    throw RemoteStateError.staleWriter(location: keys.place(key), holder: "lock \(holder)")
                }
                try store.apply(other.operations, at: other.at, dryRun: false)
                mutex.withLock { seq = entry.seq }
                try store.apply(operations, at: at, dryRun: true)
                entry.seq += 1
            }
        }
        let results = try store.apply(operations, at: at, dryRun: false)
        mutex.withLock { seq = entry.seq }
        return results
    }

    // MARK: - Lock

    private enum Attempt {
        case acquired(any StackLock)
        case held(LockInfo)
        case again
    }

    /// Takes the stack's lock at once, or throws `StateError.locked` naming the holder.
    public func tryAcquireLock(command: String) async throws -> any StackLock {
        while true {
            switch try await attemptLock(command: command) {
            case .acquired(let lock): return lock
            case .held(let holder): throw StateError.locked(holder)
            case .again: continue
            }
        }
    }

    /// Takes the stack's lock, waiting up to `timeout` (polling every `pollInterval`) while another run holds it.
    public func acquireLock(command: String, timeout: Duration = .zero, pollInterval: Duration = .milliseconds(500)) async throws -> any StackLock {
        guard let remote else {
            return try await store.acquireLock(command: command, timeout: timeout, pollInterval: pollInterval)
        }
        let deadline = remote.settings.now().addingTimeInterval(RemoteLock.seconds(max(timeout, .zero)))
        while true {
            switch try await attemptLock(command: command) {
            case .acquired(let lock): return lock
            case .again: continue
            case .held(let holder):
                let remaining = deadline.timeIntervalSince(remote.settings.now())
                guard remaining > 0 else { throw StateError.locked(holder) }
                try await remote.settings.sleep(min(pollInterval, .milliseconds(Int64(remaining * 1000) + 1)))
            }
        }
    }

    private func attemptLock(command: String) async throws -> Attempt {
        guard let remote, let keys else {
            return .acquired(try store.tryAcquireLock(command: command))
        }
        let settings = remote.settings
        let now = settings.now()
        let record = LockRecord(
            lockID: UUID().uuidString.lowercased(), user: ProcessInfo.processInfo.environment["USER"] ?? NSUserName(), host: identity.host,
            pid: identity.pid, processStart: identity.startTime, command: command, since: millis(now),
            leaseExpires: millis(now.addingTimeInterval(RemoteLock.seconds(settings.lease))))
        let etag: String
        do {
            etag = try await keys.objects.put(keys.lock, record.encoded(), condition: .absent)
        } catch is PreconditionFailed {
            guard let object = try await keys.objects.get(keys.lock) else { return .again }
            let holder = try LockRecord.decode(object.data, location: keys.place(keys.lock))
            return .held(holder.info(file: keys.url(keys.lock), identity: identity, settings: settings))
        }
        let lock = RemoteLock(
            info: record.info(file: keys.url(keys.lock), identity: identity, settings: settings), record: record, etag: etag,
            objects: keys.objects, key: keys.lock, settings: settings)
        do {
            try await catchUp(remote, keys: keys)
        } catch {
            _ = try? await lock.unlock()
            throw error
        }
        lock.startRenewing()
        mutex.withLock { heldLock = lock }
        return .acquired(lock)
    }

    /// Brings the working copy up to date once the lock is held: what others wrote since it was read.
    private func catchUp(_ remote: RemoteBackend, keys: Keys) async throws {
        let (store, start, etag) = mutex.withLock { (current, self.seq, snapshotETag) }
        // The snapshot and the journal after our position, read at once (one round trip through a slow link).
        async let snapshot = keys.objects.get(keys.state)
        async let listed = keys.objects.list(prefix: keys.journalPrefix, startAfter: keys.journal(start))
        guard let object = try await snapshot else {
            throw RemoteStateError.notCairnState(location: keys.place(keys.state), reason: "the state snapshot disappeared")
        }
        var seq = start
        if object.etag == etag {
            do {
                try await Self.replay(keys: keys, into: store, after: &seq, listed: try await listed)
                mutex.withLock { self.seq = seq }
                return
            } catch is Gap {}
        }
        // Compacted or replaced since: read it again.
        guard
            let loaded = try await Self.load(remote, keys: keys, stack: stack, environment: environment, create: false, identity: identity)
        else { throw RemoteStateError.notCairnState(location: keys.place(keys.state), reason: "the state snapshot disappeared") }
        let old = mutex.withLock { () -> (StateStore, URL?) in
            defer {
                current = loaded.store
                replicaDirectory = loaded.directory
                self.seq = loaded.seq
                snapshotSeq = loaded.snapshotSeq
                snapshotETag = loaded.etag
            }
            return (current, replicaDirectory)
        }
        old.0.close()
        if let directory = old.1 { try? FileManager.default.removeItem(at: directory) }
    }

    /// Releases `lock`; a shared state's holder first folds the journal into a new snapshot (a failure there loses
    /// nothing: the journal stays).
    @discardableResult
    public func release(_ lock: any StackLock) async throws -> Bool {
        if let keys, let remoteLock = lock as? RemoteLock, mutex.withLock({ heldLock === remoteLock }) {
            await gate.enter()
            let grown = mutex.withLock { seq - snapshotSeq >= Self.compactionThreshold }
            if grown, (try? remoteLock.isHeld()) == true { try? await compact(keys: keys) }
            mutex.withLock { heldLock = nil }
            await gate.leave()
        }
        return try await lock.unlock()
    }

    /// How many journal entries the lock holder lets accumulate before folding them into a new snapshot when it
    /// lets go: reading a few small entries (in parallel) is cheaper than writing the whole state after every run.
    static let compactionThreshold = 32

    /// Writes the working copy as the new snapshot (`If-Match` the one read) and deletes the journal entries the
    /// previous snapshot had folded; this generation's entries stay, so a run whose lock was broken still finds
    /// its next position taken.
    private func compact(keys: Keys) async throws {
        let (store, seq, snapshotSeq, etag) = mutex.withLock { (current, self.seq, self.snapshotSeq, snapshotETag) }
        guard seq > snapshotSeq else { return }
        let envelope = SnapshotEnvelope(
            seq: seq, stack: stack, environment: environment, lineage: store.lineage, database: try store.exportDatabase())
        let newETag = try await keys.objects.put(keys.state, envelope.encoded(), condition: etag.map(WriteCondition.matching) ?? .absent)
        mutex.withLock {
            self.snapshotSeq = seq
            snapshotETag = newETag
        }
        let folded = try await keys.objects.list(prefix: keys.journalPrefix, startAfter: nil).filter { (keys.seq(of: $0) ?? 0) <= snapshotSeq }
        try await keys.objects.delete(keys: folded)
    }

    /// The lock's holder, or nil when the stack is unlocked.
    public func currentLock() async throws -> LockInfo? {
        guard let remote, let keys else { return try store.currentLock() }
        guard let object = try await keys.objects.get(keys.lock) else { return nil }
        return try LockRecord.decode(object.data, location: keys.place(keys.lock))
            .info(file: keys.url(keys.lock), identity: identity, settings: remote.settings)
    }

    /// Removes the lock (`cairn force-unlock`) when it is still the acquisition `lockID`, unless its holder runs on
    /// this host. See `StateStore.forceUnlock(lockID:)`.
    @discardableResult
    public func forceUnlock(lockID: String?) async throws -> LockInfo? {
        guard let remote, let keys else { return try store.forceUnlock(lockID: lockID) }
        guard let object = try await keys.objects.get(keys.lock) else { return nil }
        let holder = try LockRecord.decode(object.data, location: keys.place(keys.lock))
            .info(file: keys.url(keys.lock), identity: identity, settings: remote.settings)
        guard lockID == nil || holder.lockID == lockID else { return nil }
        if holder.host == identity.host && processIsAlive(pid: holder.pid, startTime: holder.processStart) {
            throw StateError.holderRunning(holder)
        }
        do {
            try await keys.objects.delete(keys.lock, ifMatch: object.etag)
        } catch is PreconditionFailed {
            return nil
        }
        return holder
    }

    // MARK: - Push

    /// Replaces the shared state with `database` (`cairn state push`), under `lock`: only a later version of the
    /// same state (same lineage, serial not lower), written as the new snapshot with `If-Match`.
    public func push(_ database: Data, lock: any StackLock) async throws {
        guard let remote, let keys else {
            throw RemoteStateError.pushRefused(location: location, reason: "the state is a local file, which you can replace yourself")
        }
        guard let remoteLock = lock as? RemoteLock, try remoteLock.isHeld() else { throw RemoteStateError.lockLost(location: keys.place(keys.lock)) }
        let directory = remote.replicaRoot.appendingPathComponent("cairn-push-\(UUID().uuidString.lowercased())")
        try StateDirectory.create(directory)
        var keep = false
        defer { if !keep { try? FileManager.default.removeItem(at: directory) } }
        let path = StateStore.path(stateDir: directory, stack: stack, environment: environment)
        let pushed: StateStore
        do {
            _ = try StateStore.importDatabase(database, at: path, stack: stack, environment: environment)
            guard let opened = try StateStore.open(at: path, stack: stack, environment: environment, create: false, identity: identity) else {
                throw StateError.notFound(path)
            }
            pushed = opened
        } catch let error as StateError {
            throw RemoteStateError.pushRefused(location: keys.place(keys.state), reason: "the file is not this stack's Cairn state (\(error))")
        }
        await gate.enter()
        do {
            let (store, seq, etag) = mutex.withLock { (current, self.seq, snapshotETag) }
            guard pushed.lineage == store.lineage else {
                throw RemoteStateError.pushRefused(
                    location: keys.place(keys.state), reason: "the file is another state (lineage \(pushed.lineage), not \(store.lineage))")
            }
            let (ours, theirs) = (try store.serial(), try pushed.serial())
            guard theirs >= ours else {
                throw RemoteStateError.pushRefused(
                    location: keys.place(keys.state),
                    reason: "the file is older than the state (serial \(theirs) < \(ours)): pull again and repeat the repair on that copy")
            }
            let envelope = SnapshotEnvelope(
                seq: seq, stack: stack, environment: environment, lineage: pushed.lineage, database: try pushed.exportDatabase())
            let newETag: String
            do {
                newETag = try await keys.objects.put(keys.state, envelope.encoded(), condition: etag.map(WriteCondition.matching) ?? .absent)
            } catch is PreconditionFailed {
                throw RemoteStateError.staleWriter(location: keys.place(keys.state), holder: nil)
            }
            let old = mutex.withLock { () -> (StateStore, URL?) in
                defer {
                    current = pushed
                    replicaDirectory = directory
                    snapshotSeq = seq
                    snapshotETag = newETag
                }
                return (current, replicaDirectory)
            }
            keep = true
            old.0.close()
            if let oldDirectory = old.1 { try? FileManager.default.removeItem(at: oldDirectory) }
            await gate.leave()
        } catch {
            pushed.close()
            await gate.leave()
            throw error
        }
    }

    /// Creates a shared state from `database` (`cairn state migrate --to s3://…`): refused when anything is
    /// already stored for this stack there.
    public static func create(_ backend: RemoteBackend, stack: String, environment: String, database: Data, lineage: String) async throws {
        let keys = Keys(backend: backend, stack: stack, environment: environment)
        if try await !backend.objects.list(prefix: keys.base + "/", startAfter: nil).isEmpty {
            throw RemoteStateError.targetExists(location: keys.place(keys.base))
        }
        let envelope = SnapshotEnvelope(
            seq: 0, stack: stack, environment: StateStore.normalizedEnvironment(environment), lineage: lineage, database: database)
        do {
            _ = try await backend.objects.put(keys.state, envelope.encoded(), condition: .absent)
        } catch is PreconditionFailed {
            throw RemoteStateError.targetExists(location: keys.place(keys.base))
        }
    }
}

/// A first-come first-served async mutex.
actor AsyncGate {
    private var busy = false
    private var waiters: [CheckedContinuation<Void, Never>] = []

    func enter() async {
        if !busy {
            busy = true
            return
        }
        await withCheckedContinuation { waiters.append($0) }
    }

    func leave() {
        if waiters.isEmpty { busy = false } else { waiters.removeFirst().resume() }
    }
}
