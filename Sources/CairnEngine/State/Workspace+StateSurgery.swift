import CairnJSON
import CairnState
import Foundation

/// What `Workspace.undoStateChange` did.
public enum StateUndo: Sendable, Equatable {
    /// A forgotten record is recorded again, at its address, as it was when it was forgotten.
    case restored(ResourceRecord)
    /// A move is reversed: the record moved from `from` back to its address before the move.
    case movedBack(from: String, record: ResourceRecord)
}

/// A change made to the state by hand: the record it is about, and the serial `state undo` takes back.
public struct StateSurgery: Sendable, Equatable {
    /// The record forgotten, or the record at its new address.
    public let record: ResourceRecord
    /// The serial the change was committed with (its line in `state history`).
    public let serial: Int
}

/// Repairing the state by hand, as Terraform's `state rm` and `state mv` do: no API call, under the stack's
/// lock, each change in `state history` with the physical id, so that it can be undone from there
/// (`undoStateChange`, `cairn state undo`).
extension Workspace {
    /// Forgets the resource at `address`: the state no longer holds it, and AWS keeps it (nothing is deleted).
    /// Other records that depend on it keep naming it, as Terraform's do.
    ///
    /// - Returns: the record forgotten, and the serial that forgot it.
    @discardableResult
    public func forgetResource(_ stack: Stack, address: String, lockTimeout: Duration = .zero) async throws -> StateSurgery {
        try await surgery(stack, command: "state rm \(address)", lockTimeout: lockTimeout) { store in
            guard let record = try store.resource(at: address) else { throw Self.noRecord(stack, address, in: try store.resources()) }
            let serial = try await store.commit([.forget(address)], command: "state rm \(address)")
            return StateSurgery(record: record, serial: serial)
        }
    }

    /// Moves the record at `source` to `destination` (a renamed declaration), with its sealed values sealed
    /// anew for their new address and every dependency on it renamed: one committed change, no API call.
    ///
    /// - Returns: the record at its new address, and the serial that moved it.
    @discardableResult
    public func moveResource(
        _ stack: Stack, from source: String, to destination: String, lockTimeout: Duration = .zero
    ) async throws
        -> StateSurgery
    {
        let command = "state mv \(source) \(destination)"
        return try await surgery(stack, command: command, lockTimeout: lockTimeout) { store in
            guard let record = try store.resource(at: source) else { throw Self.noRecord(stack, source, in: try store.resources()) }
            guard destination.hasPrefix("\(record.type)."), destination.count > record.type.count + 1 else {
                throw PlanError(
                    address: source,
                    message: "it is a \(record.type), so it can only move to an address of that type (\(record.type).NAME), not \(destination).")
            }
            if try store.resource(at: destination) != nil {
                throw PlanError(
                    address: destination,
                    message: "the state already holds a resource there: forget it first (`cairn state rm`), or move to another address.")
            }
            let (changes, moved) = try StateMoves.changes(moving: [(source, destination)], in: store.resources(), codec: codec(create: false))
            let serial = try await store.commit(changes, command: command)
            return StateSurgery(record: moved[0], serial: serial)
        }
    }

    /// Undoes the `state rm` or `state mv` that made `serial` (as `state history` shows it), under the lock and with no
    /// API call, as a history entry of its own (`state undo SERIAL`):
    /// - a forget: the record is recorded again at its address as it was when it was forgotten (the history keeps
    ///   it). AWS is not read: the next plan or drift check reads it, as it reads every resource, and shows what
    ///   changed there since, or that it is gone.
    /// - a move: the opposite move, dependencies on it renamed back.
    ///
    /// Refused, changing nothing: any other change (an apply's changes AWS, and apply or destroy change it back), a
    /// serial already undone, an address taken since, a moved record moved or forgotten since.
    @discardableResult
    public func undoStateChange(_ stack: Stack, serial: Int, lockTimeout: Duration = .zero) async throws -> StateUndo {
        let command = "state undo \(serial)"
        return try await surgery(stack, command: command, lockTimeout: lockTimeout) { store in
            let history = try store.history()
            let entries = history.filter { $0.serial == serial }
            let named = "serial \(serial)"
            guard let first = entries.first else {
                throw PlanError(
                    address: named,
                    message:
                        "the state of '\(stack.name)' (\(stack.environment.name)) has no change with this serial (the latest is \(history.first?.serial ?? 0)): see `cairn state history \(stack.name)`."
                )
            }
            if let undo = history.first(where: { $0.command == command }) {
                throw PlanError(address: named, message: "it was undone already, at serial \(undo.serial), so there is nothing left to undo.")
            }
            if first.command.hasPrefix("state rm "), entries.count == 1, first.action == .forget {
                let record = try Self.forgottenRecord(first, stack: stack)
                if let occupant = try store.resource(at: record.address) {
                    throw PlanError(
                        address: record.address,
                        message: occupant.physicalID == record.physicalID
                            ? "the state holds \(record.physicalID) here again already (imported or adopted since), so there is nothing to undo."
                            : "the state holds \(occupant.physicalID) here since serial \(serial): move or forget it first (`cairn state mv`, `cairn state rm`), then undo again."
                    )
                }
                // Recorded twice, the one at an address no longer declared would be deleted by the next plan.
                if let other = try store.resources().first(where: { $0.type == record.type && $0.physicalID == record.physicalID }) {
                    throw PlanError(
                        address: record.address,
                        message:
                            "the state holds \(record.physicalID) at \(other.address) since serial \(serial) (imported or adopted there), and recorded twice the next plan would delete it: move it back instead (`cairn state mv \(stack.name) \(other.address) \(record.address)`), or leave it where it is."
                    )
                }
                try await store.commit([.import(record)], command: command)
                return .restored(try store.resource(at: record.address) ?? record)
            }
            if first.command.hasPrefix("state mv "), let forget = entries.first(where: { $0.action == .forget }),
                let moved = entries.first(where: { $0.action == .import })?.record
            {
                let (source, destination) = (forget.address, moved.address)
                guard let current = try store.resource(at: destination), current.physicalID == moved.physicalID, current.type == moved.type else {
                    throw PlanError(
                        address: destination,
                        message:
                            "the state no longer holds here what serial \(serial) moved here (\(moved.physicalID)): undo what changed it since first, or move it by hand with `cairn state mv`."
                    )
                }
                if let occupant = try store.resource(at: source) {
                    throw PlanError(
                        address: source,
                        message:
                            "the state holds \(occupant.physicalID) here since serial \(serial): move or forget it first (`cairn state mv`, `cairn state rm`), then undo again."
                    )
                }
                let (changes, back) = try StateMoves.changes(
                    moving: [(destination, source)], in: store.resources(), codec: codec(create: false))
                try await store.commit(changes, command: command)
                return .movedBack(from: destination, record: back[0])
            }
            throw PlanError(
                address: named,
                message:
                    "it was made by `\(first.command)`, and only a `state rm` or a `state mv` is undone from the history: change it back with apply or destroy (an apply's changes are in AWS too)."
            )
        }
    }

    /// The record a `state rm` history entry forgot.
    private static func forgottenRecord(_ entry: HistoryEntry, stack: Stack) throws -> ResourceRecord {
        guard let record = entry.removedRecord else {
            throw PlanError(
                address: entry.address,
                message:
                    "serial \(entry.serial) was recorded before Cairn kept what `state rm` forgets, so it cannot be undone from the history: bring it back with `cairn import \(stack.name) \(entry.address) ID`."
            )
        }
        return record
    }

    /// Runs `body` on the stack's state under its lock; a stack without state has nothing to change.
    private func surgery<T>(
        _ stack: Stack, command: String, lockTimeout: Duration, _ body: (StateSession) async throws -> T
    ) async throws -> T {
        guard let store = try await store(for: stack, create: false) else {
            throw PlanError(address: "\(stack.name) (\(stack.environment.name))", message: "the stack has no state here: nothing to change.")
        }
        defer { store.close() }
        return try await withLock(store, command: command, timeout: lockTimeout) { try await body(store) }
    }

    /// The error for an address the state does not hold, naming the closest that it does.
    static func noRecord(_ stack: Stack, _ address: String, in records: [ResourceRecord]) -> PlanError {
        let hint =
            records.map(\.address).closest(to: address).map { "did you mean \($0)?" }
            ?? "it holds no resource at all (`cairn state list \(stack.name)`)."
        return PlanError(
            address: address,
            message: "the state of '\(stack.name)' (\(stack.environment.name)) holds nothing at this address: \(hint)")
    }
}

/// Moving records to other addresses in the state, for `cairn state mv`, declared moves and create-before-destroy
/// replacements: no API call.
enum StateMoves {
    /// The changes that move each record at `from` to `to`, to commit at once: its sealed values sealed anew for
    /// the new address (they are bound to it), and, with `renamingDependents`, every dependency on it renamed. The
    /// history records each as a forget and an import, with the physical id.
    ///
    /// - Returns: the changes, and the records at their new addresses in the order of `moves`.
    static func changes(
        moving moves: [(from: String, to: String)], in records: [ResourceRecord], codec: StateCodec, renamingDependents: Bool = true
    ) throws -> (changes: [Change], moved: [ResourceRecord]) {
        let byAddress = Dictionary(records.map { ($0.address, $0) }, uniquingKeysWith: { a, _ in a })
        let renames = renamingDependents ? Dictionary(moves.map { ($0.from, $0.to) }, uniquingKeysWith: { a, _ in a }) : [:]
        var moved: [ResourceRecord] = []
        for (source, destination) in moves {
            guard let record = byAddress[source] else {
                throw PlanError(address: source, message: "the state holds nothing at this address any more: make a new plan.")
            }
            let (attributes, sensitive) = try codec.decode(record.attributes, address: source)
            moved.append(
                ResourceRecord(
                    address: destination, type: record.type, physicalID: record.physicalID,
                    attributes: try codec.encode(attributes, sensitivePaths: sensitive, address: destination), outputs: record.outputs,
                    dependencies: record.dependencies.map { renames[$0] ?? $0 }, createdAt: record.createdAt))
        }
        var changes = moves.map { Change.forget($0.from) } + moved.map { Change.import($0) }
        for record in records where renames[record.address] == nil && record.dependencies.contains(where: { renames[$0] != nil }) {
            var renamed = record
            renamed.dependencies = record.dependencies.map { renames[$0] ?? $0 }
            changes.append(.update(renamed))
        }
        return (changes, moved)
    }
}
