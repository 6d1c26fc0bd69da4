import CairnJSON
import CairnState
import Foundation

// What an apply on a shared state starts before it needs it, so that the round trips to the state's bucket go
// beside the plan's reads of AWS rather than after them.

/// A stack's look-ups, started before its lock is taken; discarded (cancelled) when the lock had to be waited for.
final class LookupsAhead: @unchecked Sendable {
    private let mutex = NSLock()
    private var task: Task<[String: [String: JSON]], any Error>?  // only touched with `mutex` held

    init(_ planner: Planner, _ stack: Stack) {
        task = Task { try await planner.evaluateLookups(stack) }
    }

    /// The look-ups' values, or nil when they were discarded.
    func take() async throws -> [String: [String: JSON]]? {
        guard let task = mutex.withLock({ task }) else { return nil }
        return try await task.value
    }

    /// The values started ahead, or evaluated now when there are none.
    static func values(_ ahead: LookupsAhead?, planner: Planner, stack: Stack) async throws -> [String: [String: JSON]] {
        if let values = try await ahead?.take() { return values }
        return try await planner.evaluateLookups(stack)
    }

    func discard() {
        mutex.withLock {
            task?.cancel()
            task = nil
        }
    }
}

/// Intents recorded while an apply's plan is made (a shared state), for the creates the plan will most likely hold:
/// the declared resources the state lacks whose names the declaration gives, of types whose interrupted create is
/// adopted by its ownership tags. Written beside the plan's reads, they cost the apply no round trip of its own;
/// the executor takes those the plan confirms (a create under that name) and discards the rest, and an apply that
/// does not go ahead discards them all (what a crash leaves, the next apply discards: nothing has its name).
final class IntentsAhead: @unchecked Sendable {
    let command: String
    private let mutex = NSLock()
    private var task: Task<[ResourceIntent], any Error>?  // only touched with `mutex` held

    init(command: String) { self.command = command }

    /// Starts recording intents for the creates `stack` would make in `store`, skipping `skipping` (what the
    /// state holds or has intents for) and what `scope` leaves out.
    func start(_ store: StateSession, stack: Stack, skipping: Set<String>, providers: ProviderRegistry) {
        // A reference (to a look-up, to another resource) reads as a text no name holds: such a name is unknown.
        let unknown = "\u{0}unknown\u{0}"
        var planned: [(address: String, type: String, plannedName: String?)] = []
        for resource in stack.resources where !skipping.contains(resource.address) {
            guard let provider = providers[resource.typeName], !(provider is any LookupProvider),
                [.ownershipTags, .ownershipTagsOrCreationTime].contains(provider.adoptionProof)
            else { continue }
            var sensitive = Set<String>()
            let attributes = resource.attributes.mapValues { $0.resolve(sensitivePaths: &sensitive) { _ in .string(unknown) } }
            guard let name = provider.physicalID(for: attributes), !name.contains(unknown) else { continue }
            planned.append((resource.address, resource.typeName, name))
        }
        guard !planned.isEmpty else { return }
        let (command, requests) = (self.command, planned)
        // Written at once, beside the read that confirms the state they were worked out from: if that read finds it
        // changed, the write finds its place taken and fails, and `recorded` gives none.
        let started = Task { try await store.recordIntents(requests, command: command) }
        mutex.withLock { task = started }
    }

    /// The intents by address, once they are in the store: none when none were started, when their write failed
    /// (the executor records them itself), or when the state they were worked out from had changed before the
    /// lock (see `StateSession.confirmRead`).
    func recorded(_ store: StateSession) async throws -> [String: ResourceIntent] {
        guard let task = mutex.withLock({ task }), let intents = try? await task.value, try await store.readStands() else { return [:] }
        return Dictionary(intents.map { ($0.address, $0) }, uniquingKeysWith: { first, _ in first })
    }

    /// Discards them: the apply does not go ahead. Best effort (what is left, the next apply discards).
    func discard(_ store: StateSession) async {
        guard
            let task = mutex.withLock({ () -> Task<[ResourceIntent], any Error>? in
                defer { self.task = nil }
                return self.task
            }),
            let intents = try? await task.value, !intents.isEmpty, (try? await store.readStands()) == true
        else { return }
        _ = try? await store.recordIntents([], discarding: intents.map(\.id), command: command)
    }
}
