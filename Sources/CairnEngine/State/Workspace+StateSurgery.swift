import CairnJSON
import CairnState
import Foundation

/// Repairing the state by hand, as Terraform's `state rm` and `state mv` do: no API call, under the stack's
/// lock, each change in `state history` with the physical id, so that it can be undone (`cairn import` brings a
/// forgotten resource back; a move is undone by the opposite move).
extension Workspace {
    /// Forgets the resource at `address`: the state no longer holds it, and AWS keeps it (nothing is deleted).
    /// Other records that depend on it keep naming it, as Terraform's do.
    ///
    /// - Returns: the record forgotten.
    @discardableResult
    public func forgetResource(_ stack: Stack, address: String, lockTimeout: Duration = .zero) async throws -> ResourceRecord {
        try await surgery(stack, command: "state rm \(address)", lockTimeout: lockTimeout) { store in
            guard let record = try store.resource(at: address) else { throw Self.noRecord(stack, address) }
            try await store.commit(.forget(address), command: "state rm \(address)")
            return record
        }
    }

    /// Moves the record at `source` to `destination` (a renamed declaration), with its sealed values sealed
    /// anew for their new address and every dependency on it renamed: one committed change, no API call.
    ///
    /// - Returns: the record at its new address.
    @discardableResult
    public func moveResource(
        _ stack: Stack, from source: String, to destination: String, lockTimeout: Duration = .zero
    ) async throws
        -> ResourceRecord
    {
        let command = "state mv \(source) \(destination)"
        return try await surgery(stack, command: command, lockTimeout: lockTimeout) { store in
            guard let record = try store.resource(at: source) else { throw Self.noRecord(stack, source) }
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
            try await store.commit(changes, command: command)
            return moved[0]
        }
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

    private static func noRecord(_ stack: Stack, _ address: String) -> PlanError {
        PlanError(
            address: address,
            message:
                "the state of '\(stack.name)' (\(stack.environment.name)) holds nothing at this address: see `cairn state list \(stack.name)`.")
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
