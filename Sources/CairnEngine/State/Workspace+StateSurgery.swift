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
            let codec = try codec(create: false)
            let (attributes, sensitive) = try codec.decode(record.attributes, address: source)
            let moved = ResourceRecord(
                address: destination, type: record.type, physicalID: record.physicalID,
                attributes: try codec.encode(attributes, sensitivePaths: sensitive, address: destination), outputs: record.outputs,
                dependencies: record.dependencies, createdAt: record.createdAt)
            var changes: [Change] = [.forget(source), .import(moved)]
            for dependent in try store.resources() where dependent.dependencies.contains(source) {
                var renamed = dependent
                renamed.dependencies = dependent.dependencies.map { $0 == source ? destination : $0 }
                changes.append(.update(renamed))
            }
            try await store.commit(changes, command: command)
            return moved
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
