import CairnState
import Foundation

/// Moving a state between backends (`cairn state migrate`) and copying it out (`cairn state pull`) or back in
/// (`cairn state push`).
extension Workspace {
    /// Copies the state of `stack` (history, intents, drift runs and outputs included, sealed values still sealed)
    /// to `target`'s backend, under this backend's lock so that nothing changes meanwhile. The target must hold no
    /// state for the stack. The source keeps its resources and history, and records where it went: it is refused from
    /// then on (``StateMigrated``), so that no one applies to the copy left behind, whose resources now belong to the
    /// target.
    ///
    /// - Returns: how many resources and history entries were copied.
    public func migrateState(_ stack: Stack, to target: Workspace, lockTimeout: Duration = .zero) async throws -> (resources: Int, history: Int) {
        guard let source = try await store(for: stack, create: false) else {
            throw PlanError(
                address: "\(stack.name) (\(stack.environment.name))",
                message: "there is no state at \(stateLocation(stack: stack.name, environment: stack.environment.name)) to migrate.")
        }
        defer { source.close() }
        return try await withLock(source, command: "state migrate", timeout: lockTimeout) {
            let database = try source.exportDatabase()
            if let remote = target.remote {
                try await StateSession.create(
                    remote, stack: stack.name, environment: stack.environment.name, database: database, lineage: source.lineage)
            } else {
                let path = StateStore.path(stateDir: target.stateDir, stack: stack.name, environment: stack.environment.name)
                guard try StateStore.importDatabase(database, at: path, stack: stack.name, environment: stack.environment.name) else {
                    throw RemoteStateError.targetExists(location: path.path)
                }
            }
            try await source.setMetadata(StateMigrated.key, target.stateLocation(stack: stack.name, environment: stack.environment.name))
            return (try source.resourceCount(), try source.history().count)
        }
    }

    /// The state's database as a file's bytes (`cairn state pull`): a consistent copy, sealed values sealed, noting
    /// where a shared state's journal stood (see `StateSession.push`).
    public func pullState(_ stack: Stack) async throws -> Data {
        guard let session = try await store(for: stack, create: false) else {
            throw PlanError(
                address: "\(stack.name) (\(stack.environment.name))",
                message: "there is no state at \(stateLocation(stack: stack.name, environment: stack.environment.name)).")
        }
        defer { session.close() }
        return try session.pulledDatabase()
    }

    /// Replaces the shared state with `database` (`cairn state push`), under the lock: only a later version of the
    /// same state is accepted (see `StateSession.push`).
    public func pushState(_ stack: Stack, database: Data, lockTimeout: Duration = .zero) async throws {
        guard let session = try await store(for: stack, create: false) else {
            throw PlanError(
                address: "\(stack.name) (\(stack.environment.name))",
                message:
                    "there is no state at \(stateLocation(stack: stack.name, environment: stack.environment.name)) to push over: use `cairn state migrate` to create one."
            )
        }
        defer { session.close() }
        let lock = try await namingLockHolders { try await session.acquireLock(command: "state push", timeout: lockTimeout) }
        do {
            try await session.push(database, lock: lock)
        } catch {
            _ = try? await session.release(lock)
            throw error
        }
        _ = try await session.release(lock)
    }
}

/// A state that `cairn state migrate` copied elsewhere: its resources belong to the copy, so this one is not used.
public struct StateMigrated: Error, CustomStringConvertible, Sendable {
    /// The metadata key the source keeps the target's location under.
    static let key = "migrated_to"
    /// Where the state is.
    public let location: String
    /// Where it went.
    public let target: String

    /// Names the target and how to use it.
    public var description: String {
        "the state at \(location) was migrated to \(target) (cairn state migrate), which now manages its resources: use that backend (--backend, CAIRN_BACKEND or the stack's backend:). The copy here is kept only as a backup; nothing was changed."
    }
}
