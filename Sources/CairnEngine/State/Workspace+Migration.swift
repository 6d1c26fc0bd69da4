import CairnState
import Foundation

/// Moving a state between backends (`cairn state migrate`) and copying it out (`cairn state pull`) or back in
/// (`cairn state push`).
extension Workspace {
    /// Copies the state of `stack` (history, intents, drift runs and outputs included, sealed values still sealed)
    /// to `target`'s backend, under this backend's lock so that nothing changes meanwhile. The target must hold no
    /// state for the stack; the source is left as it was.
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
            return (try source.resourceCount(), try source.history().count)
        }
    }

    /// The state's database as a file's bytes (`cairn state pull`): a consistent copy, sealed values sealed.
    public func pullState(_ stack: Stack) async throws -> Data {
        guard let session = try await store(for: stack, create: false) else {
            throw PlanError(
                address: "\(stack.name) (\(stack.environment.name))",
                message: "there is no state at \(stateLocation(stack: stack.name, environment: stack.environment.name)).")
        }
        defer { session.close() }
        return try session.exportDatabase()
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
        let lock = try await session.acquireLock(command: "state push", timeout: lockTimeout)
        do {
            try await session.push(database, lock: lock)
        } catch {
            _ = try? await session.release(lock)
            throw error
        }
        _ = try await session.release(lock)
    }
}
