import CairnJSON
import CairnState
import Foundation

/// A stack's outputs as last applied.
public struct RecordedOutputs: Sendable, Hashable {
    /// Every output's value, sensitive ones included.
    public var values: [String: JSON]
    /// The names of the sensitive outputs.
    public var sensitive: Set<String>

    /// Outputs of `values`, the ones named in `sensitive` being sensitive.
    public init(values: [String: JSON], sensitive: Set<String>) {
        self.values = values
        self.sensitive = sensitive
    }

    /// `values` with each sensitive one replaced by `(sensitive)`.
    public var masked: [String: JSON] {
        values.reduce(into: [:]) { shown, output in shown[output.key] = sensitive.contains(output.key) ? "(sensitive)" : output.value }
    }

    /// One `export NAME='value'` line per output, for `eval "$(cairn output STACK --format env)"` or
    /// `source`: values single-quoted (nothing in them expands), non-string values as JSON. A
    /// sensitive output becomes a comment naming how to read it, so a build log never shows it.
    /// Throws, naming the output, when a name cannot be a shell variable.
    public func shellExports(stack: String) throws(OutputFormatError) -> String {
        var lines: [String] = []
        for name in values.keys.sorted() {
            guard name.range(of: "^[A-Za-z_][A-Za-z0-9_]*$", options: .regularExpression) != nil else {
                throw OutputFormatError(
                    "The output '\(name)' of stack '\(stack)' cannot be a shell variable name: rename it to letters, digits and underscores (e.g. \(name.replacingOccurrences(of: "[^A-Za-z0-9_]", with: "_", options: .regularExpression).uppercased()))."
                )
            }
            if sensitive.contains(name) {
                lines.append("# \(name) is sensitive and not printed: read it with `cairn output \(stack) --show-sensitive \(name)`.")
                continue
            }
            let value = values[name]!
            let text = value.stringValue ?? value.description
            lines.append("export \(name)='\(text.replacingOccurrences(of: "'", with: "'\\''"))'")
        }
        return lines.joined(separator: "\n")
    }
}

/// An output that a format cannot show, in one sentence.
public struct OutputFormatError: Error, CustomStringConvertible, Equatable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// What `Workspace.forceUnlock` did.
public enum ForceUnlockOutcome: Sendable, Equatable {
    /// The stack has no state, so nothing can be locked.
    case noState
    /// The stack was not locked.
    case notLocked
    /// The lock is held from another host and the release was not confirmed; nothing was removed.
    case declined(LockInfo)
    /// The lock was released or taken by someone else between reading and removing it; nothing was removed.
    case changedMeanwhile
    /// This lock was removed.
    case released(LockInfo)
    /// A shared state's lock is removed only with its id: this is the holder and its id; nothing was removed.
    case needsLockID(LockInfo)
    /// The lock is held under another id than the one given; nothing was removed.
    case otherLock(LockInfo)
}

/// Reading the recorded state, for `cairn state`, `cairn output` and `cairn force-unlock`. None of these
/// take the lock or create a state.
extension Workspace {
    /// The resources recorded in the state of `stack`, sealed values still sealed; empty when it has no state.
    public func recordedResources(_ stack: Stack) async throws -> [ResourceRecord] {
        try await reading(stack) { try $0.resources() } ?? []
    }

    /// The resource recorded at `address`, decoded, with its sensitive values shown as `(sensitive)`;
    /// nil when the state (or the stack's state itself) has none.
    public func recordedResource(_ stack: Stack, at address: String) async throws -> RecordedResource? {
        try await reading(stack) { store -> RecordedResource? in
            guard let record = try store.resource(at: address) else { return nil }
            let (attributes, sensitive) = try codec(create: false).decode(record.attributes, address: address)
            let masked = sensitive.reduce(JSON.object(attributes)) { Self.mask($0, at: $1) }
            return RecordedResource(
                address: record.address, type: record.type, id: record.physicalID,
                attributes: masked.objectValue ?? [:], outputs: (try? JSON(parsing: record.outputs))?.objectValue ?? [:],
                dependencies: record.dependencies)
        } ?? nil
    }

    /// The resource recorded at `address`, as `recordedResource` gives it; throws, naming the closest recorded address,
    /// when the state holds nothing there.
    public func requireRecordedResource(_ stack: Stack, at address: String) async throws -> RecordedResource {
        if let record = try await recordedResource(stack, at: address) { return record }
        throw Self.noRecord(stack, address, in: try await recordedResources(stack))
    }

    /// What the state of `stack` records for each resource, by type and physical id, each sealed (sensitive) attribute
    /// left out unopened: `cairn generate` reads what it finds as a plan reads it, and takes what AWS never returns from
    /// here. Empty when the stack has no state.
    public func recordedAttributes(_ stack: Stack) async throws -> [StackGenerator.RecordedID: [String: JSON]] {
        let records = try await reading(stack) { try $0.resources() } ?? []
        var result: [StackGenerator.RecordedID: [String: JSON]] = [:]
        for record in records {
            guard let attributes = (try? JSON(parsing: record.attributes))?.objectValue else { continue }
            result[StackGenerator.RecordedID(typeName: record.type, id: record.physicalID)] = attributes.filter { !Self.holdsSealed($0.value) }
        }
        return result
    }

    private static func holdsSealed(_ value: JSON) -> Bool {
        switch value {
        case .object(let members): return members[StateCodec.sensitiveKey] != nil || members.values.contains(where: holdsSealed)
        case .array(let items): return items.contains(where: holdsSealed)
        default: return false
        }
    }

    /// The state's change history, newest first, at most `limit` entries; empty when it has no state.
    public func stateHistory(_ stack: Stack, limit: Int? = nil) async throws -> [HistoryEntry] {
        try await reading(stack) { try $0.history(limit: limit) } ?? []
    }

    /// The stack's outputs as last applied, decoded; nil when it has no state.
    public func recordedOutputs(_ stack: Stack) async throws -> RecordedOutputs? {
        try await reading(stack) { store in
            let (values, sensitive) = try codec(create: false).decode(try store.outputs() ?? "{}", address: "outputs")
            return RecordedOutputs(values: values, sensitive: Set(sensitive))
        }
    }

    /// Releases the lock of `stack`'s state in `environment`, left by a process that is gone. A holder on
    /// this host is checked by the state store, which refuses a live one (`StateError.holderRunning`); one on
    /// another host cannot be checked from here, so `confirmRemote` decides (it may also throw to refuse).
    /// Only the acquisition that was read is removed.
    ///
    /// A shared state's lock is removed only when `lockID` names it (the id the holder's message shows): without
    /// one, the outcome is `.needsLockID` with the holder, and nothing is removed.
    public func forceUnlock(
        stack: String, environment: String, lockID: String? = nil, confirmRemote: (LockInfo) throws -> Bool
    ) async throws -> ForceUnlockOutcome {
        guard let store = try await session(stack: stack, environment: environment, create: false) else { return .noState }
        defer { store.close() }
        guard let holder = try await store.currentLock().map(named) else { return .notLocked }
        if let lockID, holder.lockID != lockID { return .otherLock(holder) }
        if store.isRemote && lockID == nil { return .needsLockID(holder) }
        // Naming the lock id is the confirmation.
        if holder.host != ProcessIdentity.current.host, lockID == nil, try !confirmRemote(holder) { return .declined(holder) }
        guard let released = try await namingLockHolders({ try await store.forceUnlock(lockID: holder.lockID) }) else { return .changedMeanwhile }
        return .released(released)
    }

    /// Runs `body` on the stack's store, or returns nil when it has no state.
    private func reading<T>(_ stack: Stack, _ body: (StateSession) throws -> T) async throws -> T? {
        guard let store = try await store(for: stack, create: false) else { return nil }
        defer { store.close() }
        return try body(store)
    }

    /// `value` with what is at `path` (`a.b`, `a[0]`) replaced by `(sensitive)`; an array is masked whole,
    /// which is enough for display.
    static func mask(_ value: JSON, at path: String) -> JSON {
        guard case .object(var members) = value else { return value }
        guard let separator = path.firstIndex(where: { $0 == "." || $0 == "[" }) else {
            if members[path] != nil { members[path] = "(sensitive)" }
            return .object(members)
        }
        let head = String(path[..<separator])
        guard let inner = members[head] else { return value }
        let rest = String(path[path.index(after: separator)...])
        members[head] = path[separator] == "[" || rest.hasPrefix("[") ? "(sensitive)" : mask(inner, at: rest)
        return .object(members)
    }
}
