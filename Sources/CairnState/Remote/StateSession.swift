import CairnConcurrency
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
/// folds the journal into a new snapshot (`If-Match`) when it lets go. A new state is written with its first
/// change, as a snapshot that holds it, created with `If-None-Match: *`.
///
/// Inside `pipelined(_:)` (an apply), mutations are applied to the working copy at once and written behind it, in
/// order, all that is queued in one journal object when something must be durable (an intent, whose create
/// follows at once), when the apply ends, or a while after the oldest. A write that fails there stops every later
/// mutation, and `pipelined` throws it.
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
    /// False while the state exists only in the working copy: the store has no snapshot of it yet.
    private var born = true
    /// True until the store is first read (a session opened for locking reads once the lock is held).
    private var unread = false
    /// The journal keys the current snapshot has folded (the next compaction deletes them), as last listed.
    private var foldedKeys: [String]?
    private var heldLock: RemoteLock?
    /// Whether an entry under the held lock is in the journal: from then on an entry under another lock at this
    /// run's next position means this run's lock was broken; until then it is a run whose lock was broken before this
    /// one took it, writing just before this one fenced it off (see `fence`).
    private var fenced = false
    private var closed = false
    private typealias Queued = (operations: [JournalOperation], continuation: CheckedContinuation<[JournalResult], any Error>)
    /// Operations waiting for the next journal write, and whether a writer is at work on them.
    private var queued: [Queued] = []
    private var flushing = false
    /// Write-behind (inside `pipelined`): operations applied to the working copy and not yet written, with their
    /// times; how many were applied and written so far; who waits for which count; the first failed write.
    private var pipelining = false
    private var unwritten: [(operation: JournalOperation, at: Int64)] = []
    private var appliedCount = 0
    private var writtenCount = 0
    private var durabilityWaiters: [(count: Int, continuation: CheckedContinuation<Void, any Error>)] = []
    private var writerRunning = false
    private var idleWaiters: [CheckedContinuation<Void, Never>] = []
    private var writeFailure: RemoteStateError?
    /// The writer's wait, ended by a request to write or its timer; which wait is current.
    private var writerAlarm: CheckedContinuation<Void, Never>?
    private var writerRound = 0
    /// The state as read beside the lock's PUT, and as read again once the lock was held (see `readStands`); the
    /// answer once worked out; whether `confirmRead` has acted on it.
    private var firstRead: Fetched?
    private var confirmation: Task<Fetched, any Error>?
    private var stands: Bool?
    private var confirmed = false
    /// What this session wrote to the store: journal keys and the entity tag of a snapshot it created.
    private var ownKeys: Set<String> = []
    private var ownSnapshots: Set<String> = []

    /// Serialises the remote mutations, which await the store between check and apply.
    private let gate = AsyncGate()

    private init(stack: String, environment: String, remote: RemoteBackend?, identity: ProcessIdentity, store: StateStore, replicaDirectory: URL?) {
        self.stack = stack
        self.environment = StateStore.normalizedEnvironment(environment)
        self.remote = remote
        self.identity = identity
        self.current = store
        self.replicaDirectory = replicaDirectory
    }

    private convenience init(stack: String, environment: String, remote: RemoteBackend, identity: ProcessIdentity, loaded: Loaded) {
        self.init(
            stack: stack, environment: environment, remote: remote, identity: identity, store: loaded.store, replicaDirectory: loaded.directory)
        adopt(loaded)
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
    /// and `create` is false. With `create`, a missing state starts empty here, and is written to the store
    /// (create-only) with its first change.
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
        return StateSession(stack: stack, environment: environment, remote: backend, identity: identity, loaded: loaded)
    }

    /// The shared state of `stack`/`environment` in `backend` (created as `remote(create: true)` would), for a
    /// command that takes its lock at once: the state is read beside the lock's PUT (one round trip for both, not
    /// one before and one after) and confirmed by a second read while the caller works from it (`confirmRead`).
    /// Nothing may be read from it before `tryAcquireLock` or `acquireLock` returns.
    public static func remoteForLocking(
        _ backend: RemoteBackend, stack: String, environment: String, identity: ProcessIdentity = .current
    )
        throws -> StateSession
    {
        let loaded = try fresh(backend, stack: stack, environment: environment, identity: identity)
        let session = StateSession(stack: stack, environment: environment, remote: backend, identity: identity, loaded: loaded)
        session.unread = true
        return session
    }

    /// Takes `loaded` as this session's working copy and position; the caller closes what it replaced.
    private func adopt(_ loaded: Loaded) {
        current = loaded.store
        replicaDirectory = loaded.directory
        seq = loaded.seq
        snapshotSeq = loaded.snapshotSeq
        snapshotETag = loaded.etag
        foldedKeys = loaded.folded
        born = loaded.born
    }

    // MARK: - The working copy

    /// The state store this session reads: the local file, or the working copy of a shared state.
    public var store: StateStore {
        mutex.withLock {
            precondition(!unread, "a state opened with remoteForLocking is read once its lock is held")
            return current
        }
    }

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

    /// A consistent copy of the state's database (migrations), sealed values sealed.
    public func exportDatabase() throws -> Data { try store.exportDatabase() }

    /// A copy of the state's database for `cairn state pull`: `exportDatabase()`, noting for a shared state the journal
    /// position it was read at (`pulledAtKey`), so that `push` can tell whether the state was written since.
    public func pulledDatabase() throws -> Data {
        guard remote != nil else { return try exportDatabase() }
        let position = mutex.withLock { seq }
        return try store.exportDatabase(applying: [.setMetadata(key: Self.pulledAtKey, value: String(position))], at: 0)
    }

    /// The metadata key under which a pulled copy notes the journal position it was read at.
    static let pulledAtKey = "pulled_at_journal_seq"

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

    /// Discards the intents `stale` and records one intent per create of `planned`, in one durable write (one
    /// journal entry): the creates of a whole apply announced in one round trip.
    public func recordIntents(
        _ planned: [(address: String, type: String, plannedName: String?)], discarding stale: [Int64] = [], command: String
    ) async throws -> [ResourceIntent] {
        if planned.isEmpty && stale.isEmpty { return [] }
        let operations =
            stale.map { JournalOperation.discardIntent(id: $0) }
            + planned.map { JournalOperation.recordIntent(address: $0.address, type: $0.type, plannedName: $0.plannedName, command: command) }
        return try await mutate(operations).compactMap { result -> ResourceIntent? in
            if case .intent(let intent) = result { return intent }
            return nil
        }
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

    @discardableResult
    private func mutate(_ operation: JournalOperation) async throws -> JournalResult {
        try await mutate([operation])[0]
    }

    /// Applies operations: locally at once, or through the shared state's journal. Operations that arrive while a
    /// journal write is in flight (parallel creates finishing together) go out together in the next entry, so a
    /// wide apply pays one round trip per batch rather than per operation; each caller still returns only once its
    /// own operations are durable. Inside `pipelined`, they are written behind instead (`writeBehind`).
    @discardableResult
    private func mutate(_ operations: [JournalOperation]) async throws -> [JournalResult] {
        guard let keys else {
            return try store.apply(operations, at: millis(Date()), dryRun: false)
        }
        let (failure, behind) = mutex.withLock { (writeFailure, pipelining) }
        if let failure { throw failure }
        if behind { return try await writeBehind(operations, keys: keys) }
        return try await withCheckedThrowingContinuation { continuation in
            let lead = mutex.withLock { () -> Bool in
                queued.append((operations, continuation))
                if flushing { return false }
                flushing = true
                return true
            }
            if lead { Task { await Idle.unlent { await self.journalQueued(keys: keys) } } }
        }
    }

    /// Writes the queued operations, a batch per journal entry, until the queue is empty.
    private func journalQueued(keys: Keys) async {
        while true {
            let batch = mutex.withLock { () -> [Queued] in
                defer { queued = [] }
                if queued.isEmpty { flushing = false }
                return queued
            }
            if batch.isEmpty { return }
            await gate.enter()
            // Each caller's operations are checked after those before them, so one refused (an address already
            // recorded) fails alone and the others are written.
            let store = mutex.withLock { current }
            var accepted: [Queued] = []
            for item in batch {
                do {
                    try store.apply(accepted.flatMap(\.operations) + item.operations, at: 0, dryRun: true)
                    accepted.append(item)
                } catch {
                    item.continuation.resume(throwing: error)
                }
            }
            if !accepted.isEmpty {
                do {
                    var results = try await journaled(accepted.flatMap(\.operations), keys: keys)[...]
                    for item in accepted {
                        item.continuation.resume(returning: Array(results.prefix(item.operations.count)))
                        results = results.dropFirst(item.operations.count)
                    }
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
        let (store, lock, isBorn) = mutex.withLock { (current, heldLock, born) }
        if !lockFree {
            guard let lock, try lock.isHeld() else { throw RemoteStateError.lockLost(location: keys.place(keys.lock)) }
        }
        let at = millis(settings.now())
        try store.apply(operations, at: at, dryRun: true)
        // A new state goes to the store with its first change: a snapshot of the working copy with these operations
        // applied to a copy of it, created only where none is. The working copy takes them once it is written.
        if !isBorn {
            do {
                try await createSnapshot(try store.exportDatabase(applying: operations, at: at), keys: keys)
            } catch RemoteStateError.staleWriter where lockFree || !mutex.withLock({ fenced }) {
                // The lock's holder created it meanwhile: a drift run is written into that one. So is this run's first
                // write, when a run whose lock was broken before this one took it created the state.
                try await catchUp(remote!, keys: keys)
                return try await journaled(operations, keys: keys)
            }
            return try store.apply(operations, at: at, dryRun: false)
        }
        var entry = JournalEntry(seq: mutex.withLock { seq } + 1, lockID: lockFree ? nil : lock?.info.lockID, at: at, operations: operations)
        try await write(&entry, keys: keys, lockFree: lockFree) {
            try store.apply(operations, at: at, dryRun: true)
        }
        let results = try store.apply(operations, at: at, dryRun: false)
        mutex.withLock { seq = entry.seq }
        return results
    }

    /// Writes `entry` at its position (create-only). A position taken first is resolved by the entry there: this very
    /// write, answered late, is done; an entry written without the lock (a drift run), one under this run's own lock (a
    /// write whose answers were all lost, so that this run did not count it) or, before this run has fenced the
    /// journal (see `fenced`), one under another lock is applied to the working copy, `recheck` runs, and the entry
    /// moves one on. An entry under another lock after that means this run's lock was broken (`staleWriter`). A
    /// refusal with nothing at the position (S3's 409 ConditionalRequestConflict: a write under way there did not
    /// land) is tried again. Runs inside `gate`.
    private func write(_ entry: inout JournalEntry, keys: Keys, lockFree: Bool, recheck: () throws -> Void = {}) async throws {
        var emptyRefusals = 0
        while true {
            let key = keys.journal(entry.seq)
            do {
                _ = try await keys.objects.put(key, try entry.encoded(), condition: .absent)
                mutex.withLock {
                    _ = ownKeys.insert(key)
                    if !lockFree { fenced = true }
                }
                return
            } catch let refusal as PreconditionFailed {
                guard let object = try await keys.objects.get(key) else {
                    emptyRefusals += 1
                    guard emptyRefusals < Self.emptyRefusalLimit else { throw refusal }
                    try await remote!.settings.sleep(.milliseconds(50 << emptyRefusals))
                    continue
                }
                let other = try JournalEntry.decode(object.data, location: keys.place(key))
                if other.id == entry.id {
                    mutex.withLock {
                        _ = ownKeys.insert(key)
                        if !lockFree { fenced = true }
                    }
                    return
                }
                if let holder = other.lockID, !lockFree, holder != entry.lockID, mutex.withLock({ fenced }) {
                    throw RemoteStateError.staleWriter(location: keys.place(key), holder: "lock \(holder)")
                }
                let position = entry.seq
                try mutex.withLock {
                    try current.apply(other.operations, times: other.operationTimes, dryRun: false)
                    seq = position
                }
                try recheck()
                entry.seq += 1
            }
        }
    }

    /// How many times a journal write refused with nothing in its place is sent again before the refusal is thrown.
    static let emptyRefusalLimit = 6

    /// Writes an entry with no operation under the lock just taken at the journal's next position: a run whose lock
    /// was broken before this one took it then finds its next position taken under this lock and stops
    /// (`staleWriter`), rather than writing ahead of this run, which would then find its own position taken. Nothing
    /// to do for a state not in the store yet (its first write creates it, create-only), or once this run has
    /// written under its lock. A failure here is left to this run's first write, which fences as it goes. Runs inside
    /// `gate`.
    private func fence(keys: Keys) async throws {
        let (lock, isBorn, done, position) = mutex.withLock { (heldLock, born, fenced, seq) }
        guard let lock, isBorn, !done, try lock.isHeld() else { return }
        var entry = JournalEntry(seq: position + 1, lockID: lock.info.lockID, at: millis(remote!.settings.now()), operations: [])
        try await write(&entry, keys: keys, lockFree: false)
        mutex.withLock { seq = entry.seq }
    }

    /// Writes the working copy's `database` as the state's first snapshot, create-only. Runs inside `gate`.
    private func createSnapshot(_ database: Data, keys: Keys) async throws {
        let envelope = SnapshotEnvelope(
            seq: 0, stack: stack, environment: environment, lineage: mutex.withLock { current.lineage }, database: database)
        let etag: String
        do {
            etag = try await keys.objects.putConfirmed(keys.state, envelope.encoded(), condition: .absent)
            mutex.withLock { _ = ownSnapshots.insert(etag) }
        } catch is PreconditionFailed {
            // Someone else created this state while this run held the lock: the lock was broken.
            throw RemoteStateError.staleWriter(location: keys.place(keys.state), holder: nil)
        }
        mutex.withLock {
            born = true
            snapshotETag = etag
            snapshotSeq = 0
            seq = 0
            foldedKeys = []
            if heldLock != nil { fenced = true }
        }
    }

    // MARK: - Writing behind

    /// Runs `body` with this session's writes behind it (an apply): each mutation is applied to the working copy at
    /// once and queued; the queue goes to the shared state as one journal entry when something must be durable (an
    /// intent, whose create follows at once; `flush`), or `LeaseSettings.writeBehind` after its oldest change.
    /// Before it returns, everything is written: a write that failed is thrown (`RemoteStateError.unrecorded`), and
    /// it stops every mutation after it. A crash meanwhile loses only records of changes whose intents are in the
    /// store, which the next apply adopts. A local state is written at once, as always.
    public func pipelined<T>(_ body: () async throws -> T) async throws -> T {
        guard remote != nil else { return try await body() }
        mutex.withLock { pipelining = true }
        let result: Result<T, any Error>
        do {
            result = .success(try await body())
        } catch {
            result = .failure(error)
        }
        var unwritten: (any Error)?
        do { try await flush() } catch { unwritten = error }
        mutex.withLock { pipelining = false }
        // A write that failed says more than what failed after it.
        if let unwritten { throw unwritten }
        return try result.get()
    }

    /// Waits until every mutation so far is in the shared state; throws the write that failed, if one did.
    public func flush() async throws {
        guard remote != nil else { return }
        try await waitWritten(mutex.withLock { appliedCount })
    }

    /// Waits until the first `count` mutations are written, asking the writer to write now.
    private func waitWritten(_ count: Int) async throws {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            mutex.withLock {
                if writtenCount >= count {
                    continuation.resume()
                } else if let writeFailure {
                    continuation.resume(throwing: writeFailure)
                } else {
                    durabilityWaiters.append((count, continuation))
                    wakeWriter()
                }
            }
        }
    }

    /// Applies `operations` to the working copy, queues them for the writer, and waits for them only when one must
    /// be durable first.
    private func writeBehind(_ operations: [JournalOperation], keys: Keys) async throws -> [JournalResult] {
        let settings = remote!.settings
        let (results, count, start) = try mutex.withLock { () throws -> ([JournalResult], Int, Bool) in
            if let writeFailure { throw writeFailure }
            if !operations.allSatisfy(\.isLockFree) {
                guard let heldLock, try heldLock.isHeld() else { throw RemoteStateError.lockLost(location: keys.place(keys.lock)) }
            }
            let at = millis(settings.now())
            let results = try current.apply(operations, at: at, dryRun: false)
            unwritten += operations.map { ($0, at) }
            appliedCount += operations.count
            defer { writerRunning = true }
            return (results, appliedCount, !writerRunning)
        }
        if start { Task { await Idle.unlent { await self.writeQueued(keys: keys) } } }
        if operations.contains(where: \.mustBeDurable) { try await waitWritten(count) }
        return results
    }

    /// Whether someone waits for a write (with `mutex` held).
    private var writeAsked: Bool { !idleWaiters.isEmpty || durabilityWaiters.contains { $0.count > writtenCount } }

    /// Ends the writer's wait (with `mutex` held).
    private func wakeWriter() {
        writerAlarm?.resume()
        writerAlarm = nil
    }

    /// The writer: waits until a write is asked for or `writeBehind` has passed, writes what is queued as one
    /// journal entry (the state's first snapshot when it is new), and again while anything is queued, until a
    /// write fails.
    private func writeQueued(keys: Keys) async {
        let settings = remote!.settings
        while true {
            let (idle, asked) = mutex.withLock { () -> (Bool, Bool) in
                guard unwritten.isEmpty else { return (false, writeAsked) }
                writerRunning = false
                for waiter in idleWaiters { waiter.resume() }
                idleWaiters = []
                return (true, false)
            }
            if idle { return }
            // Asked for, or waited long enough: go. Otherwise sleep until one of them.
            if !asked {
                let round = mutex.withLock { () -> Int in
                    writerRound += 1
                    return writerRound
                }
                let timer = Task {
                    try? await settings.sleep(settings.writeBehind)
                    mutex.withLock { if writerRound == round { wakeWriter() } }
                }
                await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                    mutex.withLock {
                        if writeAsked || writerRound != round {
                            continuation.resume()
                        } else {
                            writerAlarm = continuation
                        }
                    }
                }
                mutex.withLock { writerRound += 1 }
                timer.cancel()
            }
            // A new state without its first snapshot under way: the snapshot is taken with the operations it
            // holds, so that none is written twice.
            let next = mutex.withLock { () -> (batch: [(operation: JournalOperation, at: Int64)], database: Result<Data, any Error>?) in
                defer { unwritten = [] }
                return (unwritten, born ? nil : Result { try current.exportDatabase() })
            }
            await gate.enter()
            do {
                let lock = mutex.withLock { heldLock }
                guard let lock, try lock.isHeld() else { throw RemoteStateError.lockLost(location: keys.place(keys.lock)) }
                if let database = next.database {
                    try await createSnapshot(try database.get(), keys: keys)
                } else {
                    var entry = JournalEntry(
                        seq: mutex.withLock { seq } + 1, lockID: lock.info.lockID, at: next.batch[0].at, operations: next.batch.map(\.operation),
                        times: next.batch.map(\.at))
                    try await write(&entry, keys: keys, lockFree: false)
                    mutex.withLock { seq = entry.seq }
                }
                mutex.withLock {
                    writtenCount += next.batch.count
                    let (done, waiting) = (
                        durabilityWaiters.filter { $0.count <= writtenCount }, durabilityWaiters.filter { $0.count > writtenCount }
                    )
                    durabilityWaiters = waiting
                    for waiter in done { waiter.continuation.resume() }
                }
                await gate.leave()
            } catch {
                let failure = RemoteStateError.unrecorded(location: keys.place(keys.base), reason: Self.reason(error))
                mutex.withLock {
                    writeFailure = failure
                    for waiter in durabilityWaiters { waiter.continuation.resume(throwing: failure) }
                    durabilityWaiters = []
                    unwritten = []
                    writerRunning = false
                    for waiter in idleWaiters { waiter.resume() }
                    idleWaiters = []
                }
                await gate.leave()
                return
            }
        }
    }

    /// Waits until the writer is idle (everything written, or a write failed), asking it to write now.
    private func drain() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            mutex.withLock {
                if writerRunning {
                    idleWaiters.append(continuation)
                    wakeWriter()
                } else {
                    continuation.resume()
                }
            }
        }
    }

    /// Why a write failed, in a few words for `RemoteStateError.unrecorded`.
    private static func reason(_ error: any Error) -> String {
        switch error {
        case RemoteStateError.staleWriter(_, let holder):
            return "another run\(holder.map { " (\($0))" } ?? "") wrote it after this run's lock was broken"
        case RemoteStateError.lockLost: return "this run's lock expired or was removed"
        case RemoteStateError.accessDenied(let location, _): return "access to \(location) was denied"
        case RemoteStateError.bucketMissing(let bucket, _): return "the bucket \(bucket) is gone"
        case RemoteStateError.store(let location, let action, let message): return "\(location): \(action) failed: \(message)"
        default: return String(describing: error)
        }
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
        // A state not read yet is read beside the lock's PUT, one round trip for both; a second read, once the lock
        // is held, confirms it while the caller works from it (`confirmRead`).
        let neverRead = mutex.withLock { unread }
        async let early = Self.fetch(keys: keys, if: neverRead)
        async let checked: Void = neverRead ? (remote.preflight?.run() ?? ()) : ()
        let etag: String
        do {
            etag = try await keys.objects.putConfirmed(keys.lock, record.encoded(), condition: .absent)
        } catch is PreconditionFailed {
            guard let object = try await keys.objects.get(keys.lock) else { return .again }
            let holder = try LockRecord.decode(object.data, location: keys.place(keys.lock))
            return .held(holder.info(file: keys.url(keys.lock), stack: stack, environment: environment, identity: identity, settings: settings))
        }
        let lock = RemoteLock(
            info: record.info(file: keys.url(keys.lock), stack: stack, environment: environment, identity: identity, settings: settings),
            record: record, etag: etag,
            objects: keys.objects, key: keys.lock, settings: settings)
        do {
            await checked
            if let first = try await early {
                try await takeFirstRead(first, remote, keys: keys)
            } else {
                try await catchUp(remote, keys: keys)
            }
        } catch {
            _ = try? await lock.unlock()
            throw error
        }
        lock.startRenewing()
        mutex.withLock {
            heldLock = lock
            fenced = false
        }
        // The fence goes first, before any write of this run, while the caller works from the state it read.
        await gate.enter()
        Task {
            await Idle.unlent {
                try? await self.fence(keys: keys)
                await self.gate.leave()
            }
        }
        return .acquired(lock)
    }

    /// Makes `first`, read beside the lock's PUT, the working copy of a session that had read nothing, and starts
    /// the read that confirms it.
    private func takeFirstRead(_ first: Fetched, _ remote: RemoteBackend, keys: Keys) async throws {
        let confirming = {
            self.firstRead = first
            self.confirmation = Task { try await Idle.unlent { try await Self.fetch(keys: keys) } }
        }
        guard first.snapshot != nil else {
            // A state the store does not have yet: the empty working copy stays.
            if let stray = first.journal.first {
                throw RemoteStateError.notCairnState(
                    location: keys.place(stray), reason: "journal entries exist without a state snapshot; move them away")
            }
            mutex.withLock {
                unread = false
                confirming()
            }
            return
        }
        let loaded: Loaded?
        do {
            loaded = try await Self.materialize(first, remote, keys: keys, stack: stack, environment: environment, create: true, identity: identity)
        } catch is Gap {
            return try await catchUp(remote, keys: keys)  // compacted while read: read again, now that the lock is held
        }
        guard let loaded else { return }
        let old = mutex.withLock { () -> (StateStore, URL?) in
            defer {
                adopt(loaded)
                unread = false
                confirming()
            }
            return (current, replicaDirectory)
        }
        old.0.close()
        if let directory = old.1 { try? FileManager.default.removeItem(at: directory) }
    }

    /// Whether the state read beside the lock's PUT (a session opened with `remoteForLocking`) is the state as it
    /// was once the lock was held: the second read finds the same snapshot and no journal entry since, but what
    /// this session wrote itself meanwhile (intents recorded while it plans). True for every other session.
    public func readStands() async throws -> Bool {
        guard
            let (pending, first) = mutex.withLock({ () -> (Task<Fetched, any Error>, Fetched)? in
                guard stands == nil, let confirmation, let firstRead else { return nil }
                return (confirmation, firstRead)
            })
        else { return mutex.withLock { stands ?? true } }
        let again = try await pending.value
        // Once this session's writes under way are done, so that what the second read found of them is known as its own.
        await gate.enter()
        let (keys, snapshots) = mutex.withLock { (ownKeys, ownSnapshots) }
        await gate.leave()
        let snapshot = again.snapshot.map { $0.etag == first.snapshot?.etag || snapshots.contains($0.etag) } ?? (first.snapshot == nil)
        let answer = snapshot && Set(again.journal).subtracting(first.journal).isSubset(of: keys)
        mutex.withLock { stands = answer }
        return answer
    }

    /// Confirms the state read beside the lock's PUT (see `readStands`); when another run wrote just before this one
    /// took the lock, reads the state again and returns false: what was worked out from the first read (a plan)
    /// must be worked out again. True at once for every other session.
    public func confirmRead() async throws -> Bool {
        guard let remote, let keys, mutex.withLock({ !confirmed && confirmation != nil }) else { return true }
        mutex.withLock { confirmed = true }
        if try await readStands() { return true }
        // After any write under way (intents recorded ahead of the plan, which the caller does not use then).
        await gate.enter()
        do {
            try await catchUp(remote, keys: keys)
        } catch {
            await gate.leave()
            throw error
        }
        await gate.leave()
        return false
    }

    /// Brings the working copy up to date once the lock is held: what others wrote since it was read (one round
    /// trip when nothing was), or the whole state when it was replaced, compacted, created meanwhile or never read.
    private func catchUp(_ remote: RemoteBackend, keys: Keys) async throws {
        let (store, start, etag, isBorn, neverRead) = mutex.withLock { (current, seq, snapshotETag, born, unread) }
        var lastGap = 0
        for _ in 0..<5 {
            async let checked: Void = neverRead ? (remote.preflight?.run() ?? ()) : ()
            let fetched = try await Self.fetch(keys: keys)
            await checked
            guard let object = fetched.snapshot else {
                if isBorn && !neverRead {
                    throw RemoteStateError.notCairnState(location: keys.place(keys.state), reason: "the state snapshot disappeared")
                }
                if let stray = fetched.journal.first {
                    throw RemoteStateError.notCairnState(
                        location: keys.place(stray), reason: "journal entries exist without a state snapshot; move them away")
                }
                mutex.withLock { unread = false }
                return  // still new: the working copy stays as it is, empty
            }
            if !neverRead && object.etag == etag {
                var seq = start
                do {
                    try await Self.replay(keys: keys, into: store, after: &seq, listed: fetched.journal)
                    mutex.withLock {
                        self.seq = seq
                        foldedKeys = fetched.journal.filter { (keys.seq(of: $0) ?? 0) <= snapshotSeq }
                    }
                    return
                } catch let gap as Gap {
                    lastGap = gap.missing
                    continue
                }
            }
            let loaded: Loaded?
            do {
                loaded = try await Self.materialize(
                    fetched, remote, keys: keys, stack: stack, environment: environment, create: true, identity: identity)
            } catch let gap as Gap {
                lastGap = gap.missing
                continue
            }
            guard let loaded else { return }
            let old = mutex.withLock { () -> (StateStore, URL?) in
                defer {
                    adopt(loaded)
                    unread = false
                }
                return (current, replicaDirectory)
            }
            old.0.close()
            if let directory = old.1 { try? FileManager.default.removeItem(at: directory) }
            return
        }
        throw RemoteStateError.journalGap(location: keys.place(keys.journalPrefix), missing: lastGap)
    }

    /// Releases `lock`; a shared state's holder first waits for the writes still going, and folds the journal into
    /// a new snapshot (a failure there loses nothing: the journal stays).
    @discardableResult
    public func release(_ lock: any StackLock) async throws -> Bool {
        guard let keys, let remoteLock = lock as? RemoteLock, mutex.withLock({ heldLock === remoteLock }) else {
            return try await lock.unlock()
        }
        await drain()
        await gate.enter()
        let grown = mutex.withLock { writeFailure == nil && seq - snapshotSeq >= Self.compactionThreshold }
        var compacted: (folded: [String]?, upTo: Int)?
        if grown, (try? remoteLock.isHeld()) == true { compacted = try? await compact(keys: keys) }
        mutex.withLock { heldLock = nil }
        await gate.leave()
        guard let compacted else { return try await lock.unlock() }
        // The journal entries the previous snapshot had folded are read by no one now: they go beside the unlock.
        async let cleared: Void = Self.deleteFolded(compacted.folded, upTo: compacted.upTo, keys: keys)
        let released = try await lock.unlock()
        await cleared
        return released
    }

    /// How many journal entries the lock holder lets accumulate before folding them into a new snapshot when it
    /// lets go: reading a few small entries (in parallel) is cheaper than writing the whole state after every run.
    static let compactionThreshold = 32

    /// Writes the working copy as the new snapshot (`If-Match` the one read); returns the journal keys the previous
    /// snapshot had folded, for deletion (nil when not known: those up to `upTo`). This generation's entries stay, so
    /// a run whose lock was broken still finds its next position taken.
    private func compact(keys: Keys) async throws -> (folded: [String]?, upTo: Int) {
        let (store, seq, previous, etag, folded) = mutex.withLock { (current, self.seq, snapshotSeq, snapshotETag, foldedKeys) }
        let envelope = SnapshotEnvelope(
            seq: seq, stack: stack, environment: environment, lineage: store.lineage, database: try store.exportDatabase())
        let newETag = try await keys.objects.putConfirmed(keys.state, envelope.encoded(), condition: etag.map(WriteCondition.matching) ?? .absent)
        mutex.withLock {
            snapshotSeq = seq
            snapshotETag = newETag
            foldedKeys = nil
        }
        return (folded, previous)
    }

    /// Deletes the journal entries `known`, or when nil those listed up to `upTo`; best effort: a later compaction
    /// deletes what is left, and no reader reads them.
    private static func deleteFolded(_ known: [String]?, upTo: Int, keys: Keys) async {
        do {
            var doomed = known ?? []
            if known == nil {
                doomed = try await keys.objects.list(prefix: keys.journalPrefix, startAfter: nil).filter { (keys.seq(of: $0) ?? 0) <= upTo }
            }
            try await keys.objects.delete(keys: doomed)
        } catch {}
    }

    /// The lock's holder, or nil when the stack is unlocked.
    public func currentLock() async throws -> LockInfo? {
        guard let remote, let keys else { return try store.currentLock() }
        guard let object = try await keys.objects.get(keys.lock) else { return nil }
        return try LockRecord.decode(object.data, location: keys.place(keys.lock))
            .info(file: keys.url(keys.lock), stack: stack, environment: environment, identity: identity, settings: remote.settings)
    }

    /// Removes the lock (`cairn force-unlock`) when it is still the acquisition `lockID`, unless its holder runs on
    /// this host. See `StateStore.forceUnlock(lockID:)`.
    @discardableResult
    public func forceUnlock(lockID: String?) async throws -> LockInfo? {
        guard let remote, let keys else { return try store.forceUnlock(lockID: lockID) }
        guard let object = try await keys.objects.get(keys.lock) else { return nil }
        let holder = try LockRecord.decode(object.data, location: keys.place(keys.lock))
            .info(file: keys.url(keys.lock), stack: stack, environment: environment, identity: identity, settings: remote.settings)
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
    /// same state (same lineage, serial not lower) that nothing was written to since it was pulled (no journal entry
    /// with operations after the position `pulledDatabase` noted; a file without that note must hold the state's
    /// pending intents), written as the new snapshot with `If-Match`.
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
            pushed = try Self.openCopy(database, at: path, stack: stack, environment: environment, identity: identity)
        } catch let error as StateError {
            throw RemoteStateError.pushRefused(location: keys.place(keys.state), reason: "the file is not this stack's Cairn state (\(error))")
        }
        await drain()
        await gate.enter()
        do {
            let (store, seq, etag, failure, folded) = mutex.withLock { (current, self.seq, snapshotETag, writeFailure, snapshotSeq) }
            if let failure { throw failure }
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
            // Intents, outputs and drift runs do not move the serial: what was written since the pull is in the journal.
            if let pulledAt = try pushed.metadata(Self.pulledAtKey) {
                if let written = try await Self.writtenSince(Int(pulledAt) ?? -1, seq: seq, snapshotSeq: folded, keys: keys) {
                    throw RemoteStateError.pushRefused(
                        location: keys.place(keys.state),
                        reason: "the state was written after the file was pulled (\(written)): pull again and repeat the repair on that copy")
                }
                try pushed.removeMetadata(Self.pulledAtKey)
            } else if try pushed.pendingIntents() != store.pendingIntents() {
                throw RemoteStateError.pushRefused(
                    location: keys.place(keys.state),
                    reason:
                        "the file's pending intents are not the state's, and it does not say when it was pulled: pull the state with `cairn state pull` and repeat the repair on that copy"
                )
            }
            let envelope = SnapshotEnvelope(
                seq: seq, stack: stack, environment: environment, lineage: pushed.lineage, database: try pushed.exportDatabase())
            let newETag: String
            do {
                newETag = try await keys.objects.putConfirmed(keys.state, envelope.encoded(), condition: etag.map(WriteCondition.matching) ?? .absent)
            } catch is PreconditionFailed {
                throw RemoteStateError.staleWriter(location: keys.place(keys.state), holder: nil)
            }
            let old = mutex.withLock { () -> (StateStore, URL?) in
                defer {
                    current = pushed
                    replicaDirectory = directory
                    snapshotSeq = seq
                    snapshotETag = newETag
                    born = true
                    foldedKeys = nil
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

    /// Where the state was written after journal position `position`, in a few words, or nil when it was not: an entry
    /// after it holds operations (a lock's fence holds none), or the snapshot it was read from was replaced since.
    private static func writtenSince(_ position: Int, seq: Int, snapshotSeq: Int, keys: Keys) async throws -> String? {
        guard position >= snapshotSeq, position <= seq else { return "its snapshot was replaced since" }
        guard position < seq else { return nil }
        let read = try await withThrowingTaskGroup(of: (Int, StoredObject?).self) { group in
            for next in (position + 1)...seq { group.addTask { (next, try await keys.objects.get(keys.journal(next))) } }
            var read: [(Int, StoredObject?)] = []
            for try await item in group { read.append(item) }
            return read.sorted { $0.0 < $1.0 }
        }
        for (next, object) in read {
            guard let object else { return "journal entry \(next) is gone" }
            let entry = try JournalEntry.decode(object.data, location: keys.place(keys.journal(next)))
            if !entry.operations.isEmpty { return "journal entry \(next)" }
        }
        return nil
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
            _ = try await backend.objects.putConfirmed(keys.state, envelope.encoded(), condition: .absent)
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
