import CairnConcurrency
import CairnGraph
import CairnJSON
import CairnState
import Foundation

/// Something that happened while applying a plan, for progress output.
public enum ApplyEvent: Sendable {
    case started(address: String, action: Action)
    /// A slow operation is still going (every 10 seconds).
    case stillRunning(address: String, action: Action, elapsed: Duration)
    case finished(address: String, action: Action, id: String?, elapsed: Duration)
    case failed(address: String, action: Action, message: String, elapsed: Duration)
    /// The operation is waiting on AWS, and says for what (an IAM role not yet visible to another service).
    case waiting(address: String, message: String)
    /// Not started because something it depends on failed.
    case skipped(address: String, blockedBy: String)
}

/// How an apply went.
public struct ApplyReport: Sendable {
    public var succeeded: [String] = []
    public var failed: [(address: String, message: String)] = []
    public var skipped: [(address: String, blockedBy: String)] = []
    /// Not started because a stop was requested (``ApplyControl/requestStop()``), in plan order.
    public var notStarted: [String] = []
    /// A stop was requested before the apply finished.
    public var interrupted = false
    public var ok: Bool { failed.isEmpty && skipped.isEmpty && notStarted.isEmpty }

    /// One paragraph naming what failed and why, and what was not started.
    public var failureSummary: String {
        var lines = failed.map { "  - \($0.address): \($0.message)" }
        lines += skipped.map { "  - \($0.address): not started, because \($0.blockedBy) failed" }
        lines += notStarted.map { "  - \($0): not started (interrupted)" }
        return lines.joined(separator: "\n")
    }
}

/// Runs a plan over the dependency graph: creates and updates after what they depend on, deletes
/// before what they depend on, up to `parallelism` at once. Every change is committed to the state
/// the moment its API call returns; before a create, an intent records the planned physical id.
/// An ``ApplyControl`` can stop it between operations.
public struct Executor: Sendable {
    public let providers: ProviderRegistry
    public let store: StateSession
    public let codec: StateCodec
    public var parallelism: Int
    /// The command recorded in the history (`apply`, `destroy`).
    public var command: String
    public var progressInterval: Duration = .seconds(10)
    /// Intents recorded while the plan was made (see `IntentsAhead`), by address: a create under the same name
    /// uses its own, the others are discarded.
    public var prerecorded: [String: ResourceIntent] = [:]

    public init(providers: ProviderRegistry, store: StateSession, codec: StateCodec, parallelism: Int = 10, command: String) {
        self.providers = providers
        self.store = store
        self.codec = codec
        self.parallelism = parallelism
        self.command = command
    }

    /// Applies `plan`, reporting progress to `events`. Once `control` asks to stop, no new operation
    /// starts; those running finish and are recorded, the rest are reported as not started.
    public func apply(
        _ plan: Plan, control: ApplyControl = ApplyControl(),
        events: @escaping @Sendable (ApplyEvent) -> Void
    ) async throws -> ApplyReport {
        var initial: [String: [String: JSON]] = [:]
        for change in plan.resources { initial[change.address] = change.outputs }
        // A plan made before the state existed tags resources with its lineage, known from now on.
        initial[Ownership.lineageReference.address] = [Ownership.lineageReference.output: .string(store.lineage)]
        let changes = Dictionary(uniqueKeysWithValues: plan.resources.map { ($0.address, $0) })
        var graph = DependencyGraph<String>()
        for change in plan.resources { graph.add(change.address) }
        // The deleted resources that depend on each address, in plan order (one pass, not one per delete).
        var deletedDependents: [String: [String]] = [:]
        for other in plan.resources where other.action == .delete {
            for dependency in other.dependencies { deletedDependents[dependency, default: []].append(other.address) }
        }
        for change in plan.resources {
            if change.action == .delete {
                // Whatever depends on a deleted resource, and is deleted too, goes first.
                for other in deletedDependents[change.address] ?? [] {
                    graph.addDependency(change.address, on: other)
                }
            } else {
                for dependency in change.dependencies where changes[dependency].map({ $0.action != .delete }) == true {
                    graph.addDependency(change.address, on: dependency)
                }
            }
        }
        let ahead = Set(prerecorded.values.map(\.id))
        let intents = try Dictionary(store.pendingIntents().filter { !ahead.contains($0.id) }.map { ($0.address, [$0.id]) }, uniquingKeysWith: +)
        let ownership = Ownership(stack: plan.stack, environment: plan.environment, state: store.lineage)
        let outputs = OutputTable(initial)
        let failures = FailureTable()
        let superseded = FailureTable()
        let deposed = FailureTable()
        let stopped = FailureTable()
        let walked: WalkReport<String>
        control.beginApplying()
        try await applyMoves(plan, events: events)
        let early = await recordEarlyIntents(plan, stale: intents, outputs: outputs)
        // Operations that only wait lend their place (ParallelismGate), so the walk starts every ready one and the
        // gate holds them to `parallelism`. One at a time stays one at a time: nothing is lent.
        let gate = parallelism > 1 ? ParallelismGate(places: parallelism) : nil
        let order = Dictionary(uniqueKeysWithValues: graph.nodes.enumerated().map { ($1, $0) })
        do {
            walked = try await walk(graph, parallelism: gate == nil ? max(1, parallelism) : max(graph.count, 1)) { address in
                let change = changes[address]!
                if (change.action == .noop || change.action == .move) && !change.adopt { return .succeeded }
                let place = gate.map(ParallelismGate.Place.init)
                if let gate { await gate.enter(order: order[address]!) }
                defer { place?.finish() }
                // Not started: its dependents are skipped by the walk, and reported as not started below.
                guard control.begin(address) else {
                    await stopped.add(address, "not started (interrupted)")
                    return .failed
                }
                defer { control.end(address) }
                let started = ContinuousClock.now
                // Someone released the lock (force-unlock from another host): another apply may be writing now.
                if control.lockWasTaken() {
                    control.requestStop()
                    let message =
                        "not started: the stack's lock was released by someone else (cairn force-unlock) while this apply ran, so it stopped changing things; check the state with `cairn plan`, then apply again."
                    await failures.add(address, message)
                    events(.failed(address: address, action: change.action, message: message, elapsed: .zero))
                    return .failed
                }
                events(.started(address: address, action: change.action))
                let ticker = Task {
                    while !Task.isCancelled {
                        try await Task.sleep(for: progressInterval)
                        events(.stillRunning(address: address, action: change.action, elapsed: ContinuousClock.now - started))
                    }
                }
                defer { ticker.cancel() }
                do {
                    let id = try await ProviderProgress.$receiver.withValue(
                        ProviderProgress.Receiver { events(.waiting(address: address, message: $0)) }
                    ) {
                        try await Idle.$lender.withValue(place) {
                            try await run(
                                change, outputs: outputs, intents: intents[address] ?? [], early: early, ownership: ownership,
                                deposed: deposed)
                        }
                    }
                    if change.action == .update, let old = change.id, let id, id != old { await superseded.add(address, old) }
                    events(.finished(address: address, action: change.action, id: id, elapsed: ContinuousClock.now - started))
                    return .succeeded
                } catch {
                    let message = String(describing: error)
                    await failures.add(address, message)
                    events(.failed(address: address, action: change.action, message: message, elapsed: ContinuousClock.now - started))
                    return .failed
                }
            }
        } catch {
            throw PlanError(address: error.cycle.joined(separator: " → "), message: "the plan's dependencies form a cycle; re-plan the stack.")
        }
        var report = ApplyReport()
        report.succeeded = walked.succeeded
        report.failed = await failures.entries
        let unstarted = Set(await stopped.entries.map(\.address))
        report.skipped = walked.skipped.filter { !unstarted.contains($0.value) }
            .map { (address: $0.key, blockedBy: $0.value) }.sorted { $0.address < $1.address }
        report.notStarted = plan.resources.map(\.address).filter { unstarted.contains($0) || walked.skipped[$0].map(unstarted.contains) == true }
        report.interrupted = control.isStopRequested
        for (address, blocker) in report.skipped { events(.skipped(address: address, blockedBy: blocker)) }
        // Intents recorded ahead for creates that never started (a failure before them, a stop) or that the plan did
        // not hold go again.
        let unused = await early.unused(prerecorded: prerecorded)
        if !unused.isEmpty { _ = try await store.recordIntents([], discarding: unused, command: command) }
        // Old physical resources (task definition revisions) go once every dependent has moved on.
        let unfinished = Set(report.failed.map(\.address)).union(report.skipped.map(\.address)).union(report.notStarted)
        // What replaced them is in the state before they go.
        let (superseding, deposing) = (await superseded.entries, await deposed.entries)
        if !superseding.isEmpty || !deposing.isEmpty { try await store.flush() }
        for (address, oldID) in superseding {
            guard graph.transitiveDependents(of: address).isDisjoint(with: unfinished),
                let provider = providers[changes[address]!.type] as? any SupersededCleanup
            else { continue }
            do {
                try await provider.retire(id: oldID, attributes: changes[address]!.prior ?? [:])
            } catch {
                report.failed.append((address, "its previous version \(oldID) could not be retired: \(error)"))
            }
        }
        // What create-before-destroy replacements left goes once every dependent has moved to the new one; what
        // stays (a dependent failed, or one a targeted plan left out still uses it) stays in the state, and the next
        // apply deletes it.
        let planned = Set(plan.resources.map(\.address))
        // (What this apply set aside is not outside: an old one depending on another old one goes first, below.)
        let usedOutside = Set(
            try store.resources().filter { !planned.contains($0.address) && !PlanScope.isDeposed($0.address) }.flatMap(\.dependencies))
        // Dependents' old ones first, as a destroy goes.
        let rank = Dictionary(uniqueKeysWithValues: ((try? graph.topologicalOrder()) ?? []).enumerated().map { ($1, $0) })
        for (address, old) in deposing.sorted(by: { rank[$0.0, default: 0] > rank[$1.0, default: 0] })
        where graph.transitiveDependents(of: address).isDisjoint(with: unfinished) && !usedOutside.contains(address) {
            do {
                try await deleteDeposed(old, events: events)
            } catch {
                report.failed.append(
                    (address, "the one it replaced could not be deleted: \(error) (it stays in the state at \(old); the next apply deletes it)"))
            }
        }
        if report.ok || !plan.outputs.isEmpty {
            try await recordStackOutputs(plan, outputs: outputs)
        }
        return report
    }

    /// Rewrites the state's addresses that the plan's declared moves rename, in one commit before anything else:
    /// no API call, one history entry per move.
    private func applyMoves(_ plan: Plan, events: @Sendable (ApplyEvent) -> Void) async throws {
        let moved = plan.resources.compactMap { change in change.movedFrom.map { (from: $0, to: change.address, id: change.id) } }
        guard !moved.isEmpty else { return }
        let (changes, _) = try StateMoves.changes(moving: moved.map { ($0.from, $0.to) }, in: store.resources(), codec: codec)
        let declared = moved.map { ResourceMove(from: $0.from, to: $0.to).description }.joined(separator: ", ")
        try await store.commit(changes, command: "\(command): \(declared)")
        for move in moved { events(.finished(address: move.to, action: .move, id: move.id, elapsed: .zero)) }
    }

    /// Moves the record at `address` aside, to `ADDRESS#deposed-N`, for a create-before-destroy replacement: it stays
    /// in the state (so a crash never forgets it) until it is deleted. Its dependents keep depending on `address`.
    private func depose(_ address: String) async throws -> String {
        let old = try PlanScope.deposedAddress(of: address) { try store.resource(at: $0) != nil }
        let (changes, _) = try StateMoves.changes(moving: [(address, old)], in: store.resources(), codec: codec, renamingDependents: false)
        try await store.commit(changes, command: "\(command): replace \(address), create before destroy")
        return old
    }

    /// Puts a deposed record back at `address`: the replacement's create was refused, so nothing replaces it.
    private func restore(_ old: String, to address: String) async throws {
        let (changes, _) = try StateMoves.changes(moving: [(old, address)], in: store.resources(), codec: codec, renamingDependents: false)
        try await store.commit(changes, command: "\(command): replace \(address) refused, old one kept")
    }

    /// Deletes what a create-before-destroy replacement left at `old` (`ADDRESS#deposed-N`), and its record.
    private func deleteDeposed(_ old: String, events: @Sendable (ApplyEvent) -> Void) async throws {
        guard let record = try store.resource(at: old), let provider = providers[record.type] else { return }
        let started = ContinuousClock.now
        events(.started(address: old, action: .delete))
        let prior = try codec.decode(record.attributes, address: old).attributes
        try await provider.delete(id: record.physicalID, attributes: prior)
        try await store.commitDelete(address: old, command: command)
        events(.finished(address: old, action: .delete, id: record.physicalID, elapsed: ContinuousClock.now - started))
    }

    /// The intents of the plan's creates whose physical name is known before anything is applied: those recorded
    /// while the plan was made (`prerecorded`) and the others in one durable write, with the stale ones of an
    /// interrupted run discarded; for a shared state, no round trip of its own before each create. The write goes
    /// on while the creates whose intents are in already start. Only types whose interrupted create is adopted by
    /// its ownership tags take part, so an intent recorded early proves nothing a later one would not; the others
    /// record theirs just before their create. A local state records each just before its create, as ever.
    private func recordEarlyIntents(_ plan: Plan, stale: [String: [Int64]], outputs: OutputTable) async -> EarlyIntents {
        guard store.isRemote else { return EarlyIntents(ready: [:], batch: nil) }
        let known = await outputs.all
        // Outputs still unknown read as a text no name can hold, so that a name made of one is seen as unknown.
        let unknown = "\u{0}unknown\u{0}"
        var ready: [String: ResourceIntent] = [:]
        var planned: [(address: String, type: String, plannedName: String?)] = []
        var discarding: [Int64] = []
        for change in plan.resources where change.action == .create && !change.adopt {
            guard let provider = providers[change.type], [.ownershipTags, .ownershipTagsOrCreationTime].contains(provider.adoptionProof)
            else { continue }
            let desired = (change.desired ?? [:]).mapValues { Unknown.substitute($0) { known[$0.address]?[$0.output] ?? .string(unknown) } }
            guard let name = provider.physicalID(for: desired), !name.contains(unknown) else { continue }
            if let ahead = prerecorded[change.address], ahead.plannedName == name {
                ready[change.address] = ahead
                continue
            }
            planned.append((change.address, change.type, name))
            discarding += stale[change.address] ?? []
        }
        guard !planned.isEmpty else { return EarlyIntents(ready: ready, batch: nil) }
        let (store, command, requests) = (store, command, planned)
        let batch = Task {
            let recorded = try await store.recordIntents(requests, discarding: discarding, command: command)
            return Dictionary(zip(requests.map(\.address), recorded), uniquingKeysWith: { first, _ in first })
        }
        return EarlyIntents(ready: ready, batch: batch, batched: Set(requests.map(\.address)))
    }

    /// Applies one change; returns the physical id it ends with. `early` holds the intents recorded ahead.
    private func run(
        _ change: ResourceChange, outputs: OutputTable, intents: [Int64], early: EarlyIntents, ownership: Ownership, deposed: FailureTable
    ) async throws -> String? {
        guard let provider = providers[change.type] else {
            throw PlanError(address: change.address, message: "its type \(change.type) is not known to this Cairn.")
        }
        let address = change.address
        if change.adopt, let id = change.id, let prior = change.prior {
            let record = ResourceRecord(
                address: address, type: change.type, physicalID: id,
                attributes: try codec.encode(prior, sensitivePaths: change.sensitivePaths, address: address),
                outputs: JSON.object(await outputs.outputs(of: address) ?? [:]).description,
                dependencies: change.dependencies)
            _ = try await store.commit(.adopt(record), command: command, resolvingIntent: intents.first)
            for extra in intents.dropFirst() { _ = try await store.discardIntent(extra) }
            if change.action == .noop { return id }
        }
        switch change.action {
        case .noop, .move:
            return change.id
        case .delete:
            if let id = change.id { try await provider.delete(id: id, attributes: change.prior ?? [:]) }
            try await store.commitDelete(address: address, command: command)
            await outputs.remove(address)
            return nil
        case .update:
            let desired = try await resolved(change, outputs: outputs)
            let applied = try await provider.update(id: change.id ?? "", from: change.prior ?? [:], to: desired)
            await outputs.set(address, applied.outputs)
            try await store.commitUpdate(record(change, id: applied.id, attributes: desired, outputs: applied.outputs), command: command)
            // A new physical resource (a task definition's revision) has no intent: in the state before anything goes on.
            if applied.id != change.id { try await store.flush() }
            return applied.id
        case .replace, .create:
            let desired = try await resolved(change, outputs: outputs)
            // Create before destroy: the old one waits aside, deleted once its dependents have moved on.
            var old: String?
            if change.action == .replace, let id = change.id {
                if change.createBeforeDestroy {
                    if try store.resource(at: address) != nil { old = try await depose(address) }
                } else {
                    try await provider.delete(id: id, attributes: change.prior ?? [:])
                    if try store.resource(at: address) != nil { try await store.commitDelete(address: address, command: command) }
                    await outputs.remove(address)
                }
            }
            let intent: ResourceIntent
            let plannedName = provider.physicalID(for: desired)
            if change.action == .create, let ahead = try await early.take(address, plannedName: plannedName) {
                intent = ahead
            } else {
                for stale in intents where !change.adopt { _ = try await store.discardIntent(stale) }
                intent = try await store.recordIntent(address: address, type: change.type, plannedName: plannedName, command: command)
            }
            let applied: Applied
            do {
                applied = try await provider.create(desired)
            } catch let partial as PartialCreate {
                // It exists: recorded, so that the next plan reads it and finishes it.
                let made = try record(change, id: partial.applied.id, attributes: desired, outputs: partial.applied.outputs)
                if try store.resource(at: address) != nil {
                    try await store.commitUpdate(made, command: command)
                    _ = try await store.discardIntent(intent.id)
                } else {
                    try await store.commitCreate(made, command: command, resolvingIntent: intent.id)
                }
                throw partial
            } catch let error as any RefusalError where error.isRefusal {
                // AWS answered no: nothing was created, and nothing under that name may be adopted later.
                _ = try await store.discardIntent(intent.id)
                if let old { try await restore(old, to: address) }
                throw error
            } catch {
                // The create may have happened: its answer was lost, or a retry was refused as a duplicate of it. (The one
                // a create-before-destroy replaces has the same name and tags, and is never taken for it.)
                guard let found = try await lostCreate(intent, provider: provider, desired: desired, ownership: ownership) else { throw error }
                applied = found
            }
            await outputs.set(address, applied.outputs)
            if try store.resource(at: address) != nil {
                // Deleted outside Cairn and re-created: the old record is replaced.
                try await store.commitUpdate(record(change, id: applied.id, attributes: desired, outputs: applied.outputs), command: command)
                _ = try await store.discardIntent(intent.id)
            } else {
                try await store.commitCreate(
                    record(change, id: applied.id, attributes: desired, outputs: applied.outputs),
                    command: command, resolvingIntent: intent.id)
            }
            // What an intent cannot bring back (no ownership tag, no creation time) is in the state before its dependents start.
            if provider.adoptionProof == .none { try await store.flush() }
            if let old { await deposed.add(address, old) }
            return applied.id
        }
    }

    /// What a create whose answer was lost made, brought to the declaration: AWS's resource under the planned name,
    /// adopted only with the proof the next plan would ask (this state's ownership tag, or a creation time after the
    /// intent), then updated where it falls short of `desired` (a multi-call create stopped after its first call).
    /// Nil when there is nothing to prove it, or when what AWS has under the name is already recorded at another address
    /// (the one a create-before-destroy replaces, whose name and tags are the same), or could only be brought to the
    /// declaration by a replace: the intent stays, and the next plan looks again.
    private func lostCreate(
        _ intent: ResourceIntent, provider: any ResourceProvider, desired: [String: JSON], ownership: Ownership
    ) async throws -> Applied? {
        guard let name = intent.plannedName, ownership.state != nil,
            let read = try? await provider.read(id: name, prior: [:]),
            // A bucket whose tags the lost create never set is proved by when AWS made it, which its read does not say.
            let live = try? await provider.withCreationDate(read),
            try !store.resources().contains(where: { $0.type == intent.type && $0.physicalID == live.id && $0.address != intent.address }),
            PendingCreate(plannedName: name, recordedAt: intent.createdAt).proves(live, by: provider.adoptionProof, ownership: ownership) != nil
        else { return nil }
        // What only Cairn knows (forceDestroy) is not AWS's to return, as in the plan's own adoption.
        let current = Planner.merge(live: live.attributes, recorded: desired, local: provider.localAttributes)
        let differences = AttributeDiff.changes(from: current, to: desired, replaceOnChange: provider.replaceOnChange, sensitivePaths: [])
        guard !differences.contains(where: \.forcesReplacement) else { return nil }
        ProviderProgress.note("its create's answer was lost, but AWS made it: adopting \(live.id)")
        if differences.isEmpty { return Applied(id: live.id, outputs: live.outputs) }
        return try await provider.update(id: live.id, from: current, to: desired)
    }

    /// The desired attributes with every output they reference now known.
    private func resolved(_ change: ResourceChange, outputs: OutputTable) async throws -> [String: JSON] {
        let snapshot = await outputs.all
        var result: [String: JSON] = [:]
        for (key, value) in change.desired ?? [:] {
            let substituted = Unknown.substitute(value) { snapshot[$0.address]?[$0.output] }
            if Unknown.contains(substituted) {
                throw PlanError(
                    address: change.address, message: "\(key) depends on an output that is still unknown; apply the resources it refers to first.")
            }
            result[key] = substituted
        }
        return result
    }

    private func record(_ change: ResourceChange, id: String, attributes: [String: JSON], outputs: [String: JSON]) throws -> ResourceRecord {
        ResourceRecord(
            address: change.address, type: change.type, physicalID: id,
            attributes: try codec.encode(attributes, sensitivePaths: change.sensitivePaths, address: change.address),
            outputs: JSON.object(outputs).description, dependencies: change.dependencies)
    }

    private func recordStackOutputs(_ plan: Plan, outputs: OutputTable) async throws {
        let snapshot = await outputs.all
        var values: [String: JSON] = [:]
        for (name, value) in plan.outputs {
            values[name] = Unknown.substitute(value) { snapshot[$0.address]?[$0.output] }
        }
        var paths = plan.sensitiveOutputs
        if !plan.targets.isEmpty {
            // A targeted apply knows only part of the stack: an output it could not work out keeps its recorded value.
            let (recorded, sealed) = try codec.decode(try store.outputs() ?? "{}", address: "outputs")
            for (name, value) in values where Unknown.contains(value) {
                values[name] = recorded[name]
                if recorded[name] != nil && sealed.contains(name) && !paths.contains(name) { paths.append(name) }
            }
        }
        try await store.setOutputs(json: codec.encode(values, sensitivePaths: paths, address: "outputs"))
    }
}

/// Outputs known so far during an apply, by address.
actor OutputTable {
    private(set) var all: [String: [String: JSON]]
    init(_ initial: [String: [String: JSON]]) { all = initial }
    func set(_ address: String, _ outputs: [String: JSON]) { all[address] = outputs }
    func remove(_ address: String) { all[address] = nil }
    func outputs(of address: String) -> [String: JSON]? { all[address] }
}

/// The intents an apply recorded ahead of its creates: those in the store already, and those of a write under way.
actor EarlyIntents {
    private let ready: [String: ResourceIntent]
    private let batch: Task<[String: ResourceIntent], any Error>?
    private let batched: Set<String>
    private var taken: Set<Int64> = []

    init(ready: [String: ResourceIntent], batch: Task<[String: ResourceIntent], any Error>?, batched: Set<String> = []) {
        self.ready = ready
        self.batch = batch
        self.batched = batched
    }

    /// The intent of `address`'s create under `plannedName`, once in the store; nil when none was recorded ahead.
    func take(_ address: String, plannedName: String?) async throws -> ResourceIntent? {
        var found = ready[address]
        if found == nil, batched.contains(address), let batch { found = try await batch.value[address] }
        guard let intent = found, intent.plannedName == plannedName else { return nil }
        taken.insert(intent.id)
        return intent
    }

    /// The ids of those recorded ahead (and of `prerecorded`) that no create took: a failure or a stop came first, or
    /// the plan did not hold that create.
    func unused(prerecorded: [String: ResourceIntent]) async -> [Int64] {
        let batched = (try? await batch?.value) ?? [:]
        let all = Set(prerecorded.values.map(\.id)).union(ready.values.map(\.id)).union(batched.values.map(\.id))
        return all.subtracting(taken).sorted()
    }
}

actor FailureTable {
    private(set) var entries: [(address: String, message: String)] = []
    func add(_ address: String, _ message: String) { entries.append((address, message)) }
}
