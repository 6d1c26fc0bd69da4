import Foundation

/// One managed resource as recorded in state.
///
/// `attributes` and `outputs` are JSON text that this module stores verbatim and never
/// parses; the engine encrypts sensitive values before they get here.
public struct ResourceRecord: Sendable, Equatable, Hashable, Codable {
    /// Logical address, unique within the state, e.g. `aws_s3_bucket.artifacts`. Any string.
    public var address: String
    /// Resource type, e.g. `aws_s3_bucket`.
    public var type: String
    /// The provider's identifier for the real object (ARN, bucket name, …).
    public var physicalID: String
    /// The resource's attributes as JSON text.
    public var attributes: String
    /// The resource's outputs as JSON text.
    public var outputs: String
    /// Addresses this resource depends on, in the engine's order.
    public var dependencies: [String]
    /// When the resource first entered state. Stamped by the store on create/import/adopt.
    public var createdAt: Date
    /// When the record last changed. Stamped by the store on every write.
    public var updatedAt: Date

    /// Creates a record; the timestamps are replaced by the store when it is committed.
    public init(
        address: String, type: String, physicalID: String,
        attributes: String = "{}", outputs: String = "{}", dependencies: [String] = [],
        createdAt: Date = Date(), updatedAt: Date = Date()
    ) {
        self.address = address
        self.type = type
        self.physicalID = physicalID
        self.attributes = attributes
        self.outputs = outputs
        self.dependencies = dependencies
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}

/// What a committed change did to a resource; also the `action` of a history row.
public enum ChangeAction: String, Sendable, Codable, CaseIterable {
    /// A new resource the engine created.
    case create
    /// An existing resource whose record changed.
    case update
    /// A resource the engine destroyed.
    case delete
    /// An existing cloud object brought under management by `import`.
    case `import`
    /// A resource whose create crashed before being recorded, adopted from a pending intent.
    case adopt
    /// A resource dropped from state without touching the cloud object.
    case forget

    /// Whether this action leaves a record in state (as opposed to removing one).
    public var writesRecord: Bool {
        switch self {
        case .create, .update, .import, .adopt: return true
        case .delete, .forget: return false
        }
    }
}

/// One resource change to commit. Build it with the static constructors so that the
/// action, address and record always agree.
public struct Change: Sendable, Equatable {
    /// What the change does.
    public let action: ChangeAction
    /// The address it applies to.
    public let address: String
    /// The new record for create/update/import/adopt; nil for delete/forget.
    public let record: ResourceRecord?

    private init(action: ChangeAction, address: String, record: ResourceRecord?) {
        self.action = action
        self.address = address
        self.record = record
    }

    /// Records a newly created resource; fails if the address is already tracked.
    public static func create(_ record: ResourceRecord) -> Change {
        Change(action: .create, address: record.address, record: record)
    }

    /// Replaces the record of a tracked resource (keeping its `createdAt`).
    public static func update(_ record: ResourceRecord) -> Change {
        Change(action: .update, address: record.address, record: record)
    }

    /// Records an imported resource; fails if the address is already tracked.
    public static func `import`(_ record: ResourceRecord) -> Change {
        Change(action: .import, address: record.address, record: record)
    }

    /// Records a resource adopted from a pending intent; fails if the address is already tracked.
    public static func adopt(_ record: ResourceRecord) -> Change {
        Change(action: .adopt, address: record.address, record: record)
    }

    /// Removes a destroyed resource; fails if the address is not tracked.
    public static func delete(_ address: String) -> Change {
        Change(action: .delete, address: address, record: nil)
    }

    /// Drops a resource from state without destroying it; fails if the address is not tracked.
    public static func forget(_ address: String) -> Change {
        Change(action: .forget, address: address, record: nil)
    }
}

/// One row of the append-only change history.
public struct HistoryEntry: Sendable, Equatable {
    /// Monotonic row id (newer rows have larger ids).
    public var id: Int64
    /// When the change was committed.
    public var at: Date
    /// The state serial the change produced (all changes of one batch share it).
    public var serial: Int
    /// The command that made the change, e.g. `apply`, `destroy`, `import`.
    public var command: String
    /// What happened to the resource.
    public var action: ChangeAction
    /// The resource's address.
    public var address: String
    /// A record as JSON (the `Codable` form of `ResourceRecord`, dates in milliseconds since 1970): for
    /// create/update/import/adopt the resulting record; for delete/forget the record removed, as it was just before
    /// (nil in rows written before Cairn kept it). Read it through `record` or `removedRecord`, which tell the two
    /// apart: a removed record is not in the state.
    public var recordJSON: String?

    /// The resulting record decoded from `recordJSON`; nil for delete/forget, which leave no record.
    public var record: ResourceRecord? {
        guard action.writesRecord, let recordJSON else { return nil }
        return try? RecordJSON.decode(recordJSON)
    }

    /// For delete/forget, the record the change removed from the state (what `cairn state undo` puts back); nil for
    /// the other actions, and for rows written before Cairn kept it.
    public var removedRecord: ResourceRecord? {
        guard !action.writesRecord, let recordJSON else { return nil }
        return try? RecordJSON.decode(recordJSON)
    }
}

/// A create the engine is about to perform, recorded first so a crash can be recovered.
public struct ResourceIntent: Sendable, Equatable, Hashable {
    /// Row id; pass it to `commitCreate(_:command:resolvingIntent:)` or `discardIntent(_:)`.
    public var id: Int64
    /// The address being created.
    public var address: String
    /// The resource type being created.
    public var type: String
    /// The physical name the engine planned to give the object, if it chose one
    /// (lets the next run look it up and adopt it).
    public var plannedName: String?
    /// The command that recorded the intent.
    public var command: String
    /// When the intent was recorded.
    public var createdAt: Date
}

/// The result of one drift check.
public struct DriftRun: Sendable, Equatable, Hashable {
    /// Row id.
    public var id: Int64
    /// When the check ran.
    public var checkedAt: Date
    /// Whether any drift was found.
    public var drifted: Bool
    /// Resources whose real attributes differ from state.
    public var changed: Int
    /// Resources in state whose real object is gone.
    public var deleted: Int
    /// Real objects found that state does not manage.
    public var unmanaged: Int
    /// The full report as JSON text (opaque to this module).
    public var reportJSON: String
}

/// The identity of a state: saved plans record it and apply refuses if it moved on.
public struct StateSnapshot: Sendable, Equatable, Hashable, Codable {
    /// Random UUID given to the state when it was created; never changes.
    public var lineage: String
    /// Counter bumped by every committed resource transaction.
    public var serial: Int

    /// Creates a snapshot value.
    public init(lineage: String, serial: Int) {
        self.lineage = lineage
        self.serial = serial
    }
}

/// A schema migration recorded as applied in a database.
public struct AppliedMigration: Sendable, Equatable, Hashable {
    /// The migration's id.
    public var id: Int
    /// The migration's name.
    public var name: String
    /// When it was applied.
    public var appliedAt: Date
}

/// Who is asking for the lock: a process id, the process's start time and a host name.
/// Injectable so tests can pretend to be another (live or dead) process.
public struct ProcessIdentity: Sendable, Equatable, Hashable {
    /// Process id.
    public var pid: Int32
    /// Host name as `gethostname` reports it.
    public var host: String
    /// When the process started, in the host's own raw units (see `processStartTime(_:)`), or nil when
    /// unknown. Only compared for equality: together with `pid` it names one process even after the
    /// pid is reused.
    public var startTime: UInt64?

    /// Creates an identity.
    public init(pid: Int32, host: String, startTime: UInt64? = nil) {
        self.pid = pid
        self.host = host
        self.startTime = startTime
    }

    /// This process on this host.
    public static var current: ProcessIdentity {
        let pid = getpid()
        return ProcessIdentity(pid: pid, host: currentHostName(), startTime: processStartTime(pid))
    }
}

/// The holder of a stack's lock.
public struct LockInfo: Sendable, Equatable, Hashable {
    /// The state database the lock belongs to.
    public var file: URL
    /// Random id of this particular acquisition.
    public var lockID: String
    /// The holder's process id.
    public var pid: Int32
    /// The holder's host name.
    public var host: String
    /// The holder process's start time (`ProcessIdentity.startTime`), or nil when the lock was taken
    /// by a Cairn that did not record it.
    public var processStart: UInt64?
    /// The command the holder is running, e.g. `apply`.
    public var command: String
    /// When the lock was taken.
    public var since: Date
    /// True when the holder ran on this host and is gone: no process has its pid, or the one that has
    /// it started at another time than the holder did (the pid was reused).
    /// A lock held from another host is never considered stale: it cannot be checked from here, unless it is a
    /// shared state's lock whose lease ran out (see `leaseExpires`).
    public var isStale: Bool
    /// The user who took the lock (shared states record it), or nil.
    public var user: String? = nil
    /// When the holder's lease ends unless it renews it (shared states), or nil for a local lock.
    public var leaseExpires: Date? = nil
    /// The stack and environment whose state is locked, for the commands a message prints (nil when not known).
    public var stack: String? = nil
    public var environment: String? = nil
    /// What else a command line needs to reach this state (`--state-dir DIR`, `--backend URL`), as shell words already
    /// quoted: the options the command that met the lock was given, for the commands a message prints.
    public var commandOptions: [String] = []

    /// Where the lock lives, for messages: the state file's path, or `s3://bucket/key`.
    public var place: String {
        file.isFileURL ? file.path : (file.absoluteString.removingPercentEncoding ?? file.absoluteString)
    }

    /// The `cairn force-unlock` command that releases this lock, runnable as printed: with the stack, the environment
    /// unless it is the default one, the `commandOptions`, and the lock id (which a shared state's lock requires).
    public var forceUnlockCommand: String {
        var words = ["cairn", "force-unlock", stack ?? "STACK"]
        if let environment, StateStore.normalizedEnvironment(environment) != StateStore.defaultEnvironment {
            words += ["--env", environment]
        }
        return (words + commandOptions + ["--lock-id", lockID]).joined(separator: " ")
    }
}

// MARK: - Small helpers shared by the store

/// Milliseconds since 1970: the store's on-disk time format (exact round trip).
@inline(__always) func millis(_ date: Date) -> Int64 {
    Int64((date.timeIntervalSince1970 * 1000).rounded())
}

@inline(__always) func date(millis: Int64) -> Date {
    Date(timeIntervalSince1970: Double(millis) / 1000)
}

func currentHostName() -> String {
    var buffer = [CChar](repeating: 0, count: 256)
    guard gethostname(&buffer, buffer.count - 1) == 0 else { return "localhost" }
    return buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
}

/// Whether a process with this pid exists on this host. EPERM means it exists but
/// belongs to someone else; only ESRCH proves it is gone.
func processExists(_ pid: Int32) -> Bool {
    // kill(0 or negative) would address process groups, never a single holder.
    guard pid > 0 else { return false }
    if kill(pid, 0) == 0 { return true }
    return errno != ESRCH
}

/// Whether the process that recorded (`pid`, `startTime`) still runs on this host: a process with
/// that pid exists and, when a start time was recorded, started then. A start time that cannot be
/// read counts as a match, so an unreadable process is never taken for a dead one.
func processIsAlive(pid: Int32, startTime: UInt64?) -> Bool {
    guard processExists(pid) else { return false }
    guard let startTime, let actual = processStartTime(pid) else { return processExists(pid) }
    return actual == startTime
}

/// When process `pid` started, as a raw value only meant for comparing with another reading on the
/// same host, or nil when there is no such process or it cannot be read.
/// Linux: field 22 of `/proc/PID/stat` (clock ticks since boot). macOS: `p_starttime` from
/// `sysctl(KERN_PROC_PID)`, in microseconds since 1970.
func processStartTime(_ pid: Int32) -> UInt64? {
    guard pid > 0 else { return nil }
    #if os(Linux)
        guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/stat"),
            let text = String(data: data, encoding: .utf8),
            let close = text.lastIndex(of: ")")
        else { return nil }
        // The command name (field 2) is in parentheses and may itself hold spaces and ')': count
        // fields after the last ')'. They start at field 3, so field 22 is the 20th.
        let fields = text[text.index(after: close)...].split(separator: " ", omittingEmptySubsequences: true)
        guard fields.count >= 20 else { return nil }
        return UInt64(fields[19])
    #elseif canImport(Darwin)
        var info = kinfo_proc()
        var size = MemoryLayout<kinfo_proc>.stride
        var name: [Int32] = [CTL_KERN, KERN_PROC, KERN_PROC_PID, pid]
        guard sysctl(&name, UInt32(name.count), &info, &size, nil, 0) == 0, size > 0 else { return nil }
        let start = info.kp_proc.p_un.__p_starttime
        return UInt64(start.tv_sec) &* 1_000_000 &+ UInt64(start.tv_usec)
    #else
        return nil
    #endif
}
