import CairnJSON
import CairnState
import Foundation

/// Where a stack's state lives and how its secrets are sealed: the glue between the state store,
/// the planner and the executor that each command uses.
public struct Workspace: Sendable {
    public let stateDir: URL
    public let providers: ProviderRegistry
    public let environment: [String: String]
    /// The region the providers' client talks to; commands refuse a state recorded in another one.
    public let region: String?
    /// Where shared state lives (an S3 bucket); nil keeps each stack's state in `stateDir`.
    public let remote: RemoteBackend?
    /// How a command line reaches this state besides the stack and `--env` (`--state-dir DIR`, `--backend URL`), as
    /// shell words already quoted: put into the `cairn force-unlock` commands that lock errors print.
    public let stateOptions: [String]

    public init(
        stateDir: URL, providers: ProviderRegistry, environment: [String: String], region: String? = nil, remote: RemoteBackend? = nil,
        stateOptions: [String] = []
    ) {
        self.stateDir = stateDir
        self.providers = providers
        self.environment = environment
        self.region = region
        self.remote = remote
        self.stateOptions = stateOptions
    }

    /// `holder` naming, in its printed commands, the state options this workspace was given.
    func named(_ holder: LockInfo) -> LockInfo {
        var named = holder
        named.commandOptions = stateOptions
        return named
    }

    /// Runs `body`, whose lock errors (another run holds it) come out naming the state options in their commands.
    func namingLockHolders<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch StateError.locked(let holder) {
            throw StateError.locked(named(holder))
        } catch StateError.holderRunning(let holder) {
            throw StateError.holderRunning(named(holder))
        }
    }

    /// The stack's state, or nil when it has none and `create` is false.
    public func store(for stack: Stack, create: Bool) async throws -> StateSession? {
        try await session(stack: stack.name, environment: stack.environment.name, create: create)
    }

    /// The state of `stack` in `environment`, local or shared, or nil when it has none and `create` is false.
    /// A state that `cairn state migrate` moved elsewhere throws `StateMigrated`.
    public func session(stack: String, environment: String, create: Bool) async throws -> StateSession? {
        let session =
            if let remote { try await StateSession.remote(remote, stack: stack, environment: environment, create: create) } else {
                try StateSession.local(stateDir: stateDir, stack: stack, environment: environment, create: create)
            }
        if let session, let target = try session.metadata(StateMigrated.key) {
            session.close()
            throw StateMigrated(location: stateLocation(stack: stack, environment: environment), target: target)
        }
        return session
    }

    /// The state of `stack` for a command that takes its lock at once (`underLock`): a shared state is read beside
    /// the lock's request rather than before and again after it. Nil when there is none and `create` is false, but
    /// with `emptyWhenMissing` a shared state is read under the lock all the same, and stands empty when there is
    /// none (nothing is written for it unless something changes).
    private func lockingStore(for stack: Stack, create: Bool, emptyWhenMissing: Bool = false) async throws -> StateSession? {
        guard let remote, create || emptyWhenMissing else { return try await store(for: stack, create: create) }
        return try StateSession.remoteForLocking(remote, stack: stack.name, environment: stack.environment.name)
    }

    /// Where the state of `stack` lives, for messages: its file, or its place in the bucket.
    public func stateLocation(stack: String, environment: String) -> String {
        if let remote { return remote.objects.location + "/" + remote.base(stack: stack, environment: environment) }
        return StateStore.path(stateDir: stateDir, stack: stack, environment: environment).path
    }

    /// Runs `body` holding the lock of `session`'s stack, released afterwards whether `body` returns or throws.
    func withLock<T>(
        _ session: StateSession, command: String, timeout: Duration, _ body: () async throws -> T
    ) async throws -> T {
        let lock = try await namingLockHolders { try await session.acquireLock(command: command, timeout: timeout) }
        let result: T
        do {
            result = try await body()
        } catch {
            _ = try? await session.release(lock)
            throw error
        }
        _ = try await session.release(lock)
        return result
    }

    public func codec(create: Bool) throws -> StateCodec {
        try StateCodec.load(environment: environment, stateDir: stateDir, create: create, shared: remote != nil)
    }

    /// The state's resources, decoded, and the creates that were interrupted.
    public func load(
        _ store: StateSession?, codec: StateCodec
    ) throws -> (records: [RecordedResource], intents: [String: PendingCreate], sensitive: [String: [String]]) {
        guard let store else { return ([], [:], [:]) }
        var records: [RecordedResource] = []
        var sensitive: [String: [String]] = [:]
        for record in try store.resources() {
            let (attributes, paths) = try codec.decode(record.attributes, address: record.address)
            let outputs = (try? JSON(parsing: record.outputs))?.objectValue ?? [:]
            records.append(
                RecordedResource(
                    address: record.address, type: record.type, id: record.physicalID,
                    attributes: attributes, outputs: outputs, dependencies: record.dependencies))
            if !paths.isEmpty { sensitive[record.address] = paths }
        }
        let tracked = Set(records.map(\.address))
        var intents: [String: PendingCreate] = [:]
        for intent in try store.pendingIntents() where !tracked.contains(intent.address) {
            // An intent with no name is kept only where the type can search for what the create made; other
            // unnamed creates (an SNS subscription) are idempotent in AWS, and the executor discards the intent.
            guard intent.plannedName != nil || providers[intent.type] is any UnnamedCreateRecovery else { continue }
            intents[intent.address] = PendingCreate(plannedName: intent.plannedName, recordedAt: intent.createdAt)
        }
        return (records, intents, sensitive)
    }

    /// Plans `stack`: validates it, reads the state, refreshes from AWS unless `refresh` is false,
    /// and compares. `destroy` plans the deletion of everything in the state instead (but the resources
    /// with `preventDestroy` and what they depend on, with `excludeProtected`). `scope` narrows the plan to
    /// targets and forces replacements (`--target`, `--replace`); only what it covers is read from AWS.
    public func plan(
        _ stack: Stack, region: String, refresh: Bool = true, destroy: Bool = false, excludeProtected: Bool = false,
        refreshParallelism: Int = 32, scope: PlanScope = PlanScope()
    ) async throws -> Plan {
        // A destroy works from the state: a declaration it cannot instantiate (variables and secrets left unset) is fine.
        if !destroy { try StackValidator.validate(stack, providers: providers) }
        let store = try await self.store(for: stack, create: false)
        defer { store?.close() }
        return try await plan(
            stack, store: store, region: region, refresh: refresh, destroy: destroy, excludeProtected: excludeProtected,
            refreshParallelism: refreshParallelism, scope: scope)
    }

    /// Plans a validated `stack` against `store` (nil: no state yet), with its look-ups from `lookupsAhead` when
    /// they were started already.
    private func plan(
        _ stack: Stack, store: StateSession?, region: String, refresh: Bool, destroy: Bool, excludeProtected: Bool = false,
        refreshParallelism: Int, scope requested: PlanScope = PlanScope(), lookupsAhead: LookupsAhead? = nil,
        intentsAhead: IntentsAhead? = nil
    ) async throws -> Plan {
        let planner = Planner(providers: providers, refreshParallelism: refreshParallelism)
        let codec = try self.codec(create: false)
        let (state, allIntents, stateSensitive) = try load(store, codec: codec)
        if let store { try checkRegion(store, region: region, records: state) }
        let snapshot = try store?.snapshot()
        // Declared moves rename records, and targets narrow what is read and planned.
        let scope = try requested.resolve(stack: stack, records: state, for: destroy ? .destroy : .plan)
        if let intentsAhead, let store {
            // What the state holds, what has intents, and what .importing names (imported, not created).
            let skipping = Set(scope.records.map(\.address)).union(try store.pendingIntents().map(\.address)).union(stack.imports.keys)
            intentsAhead.start(store, stack: scope.narrowing(stack), skipping: skipping, providers: providers)
        }
        let records = scope.records.filter { scope.includes($0.address) }
        let intents = allIntents.filter { scope.includes($0.key) }
        let sensitive = scope.renamed(stateSensitive)
        if destroy {
            let refreshed = refresh ? await planner.refresh(records.map { ($0.address, $0.type, $0.id, $0.attributes) }, ownershipOnly: true) : nil
            var plan = try planner.destroyPlan(
                stack: stack, region: region, records: records, lineage: snapshot?.lineage,
                serial: snapshot?.serial ?? 0, refreshed: refreshed, excludeProtected: excludeProtected, scope: scope)
            for i in plan.resources.indices { plan.resources[i].sensitivePaths = sensitive[plan.resources[i].address] ?? [] }
            return plan
        }
        // Look-ups read AWS too, independently of the refresh: both run at once.
        async let evaluatedLookups = LookupsAhead.values(lookupsAhead, planner: planner, stack: stack)
        var refreshed: RefreshResults?
        if refresh {
            let stack = scope.narrowing(stack)
            let recordsByAddress = Dictionary(uniqueKeysWithValues: records.map { ($0.address, $0) })
            var targets = records.map { (address: $0.address, type: $0.type, id: $0.id, prior: $0.attributes) }
            let declared = Dictionary(uniqueKeysWithValues: stack.resources.map { ($0.address, $0) })
            for (address, intent) in intents.sorted(by: { $0.key < $1.key }) where recordsByAddress[address] == nil {
                if let resource = declared[address], let name = intent.plannedName { targets.append((address, resource.typeName, name, [:])) }
            }
            let skipping = Set(recordsByAddress.keys).union(intents.keys)
            targets += creationChecks(stack, skipping: skipping)
            targets += renameChecks(stack, records: records)
            // Names made of look-up outputs (a bucket named after the account id) are checked once those are known,
            // beside the other reads rather than after them.
            let checked = Set(targets.map(\.address))
            async let read = planner.refresh(targets)
            let lookups = try await evaluatedLookups
            let later = (creationChecks(stack, skipping: skipping, lookups: lookups) + renameChecks(stack, records: records, lookups: lookups))
                .filter { !checked.contains($0.address) }
            let readLater = later.isEmpty ? nil : await planner.refresh(later)
            refreshed = await read
            if let readLater { refreshed?.merge(readLater) { $1 } }
            try await addCreationDates(to: &refreshed, intents: intents, stack: stack)
            await readSupersededImports(into: &refreshed, stack: stack, skipping: skipping, lookups: lookups)
            await findUnnamedCreates(
                into: &refreshed, intents: intents, stack: stack, records: records,
                ownership: Ownership(stack: stack.name, environment: stack.environment.name, state: snapshot?.lineage))
        }
        let lookups = try await evaluatedLookups
        var plan = try planner.plan(
            stack: stack, region: region, records: state, intents: intents, refreshed: refreshed,
            lineage: snapshot?.lineage, serial: snapshot?.serial ?? 0, lookups: lookups, validated: true, scope: scope)
        // Values sealed in the state stay masked in the plan even where the declaration no longer marks them.
        for i in plan.resources.indices {
            guard let paths = sensitive[plan.resources[i].address] else { continue }
            let all = Set(paths).union(plan.resources[i].sensitivePaths)
            for j in plan.resources[i].changes.indices where AttributeDiff.isSensitive(plan.resources[i].changes[j].path, all) {
                plan.resources[i].changes[j].sensitive = true
            }
            if plan.resources[i].action == .delete { plan.resources[i].sensitivePaths = paths }
        }
        return plan
    }

    /// Plans `stack` and applies the plan under one hold of its lock, as Terraform does: takes the lock
    /// (waiting up to `lockTimeout`, after telling `waiting` who holds it), plans (`destroy`: the deletion
    /// of everything in the state), asks `approve`, and applies. Nothing can change the state between the
    /// plan and the apply, so a wait for the lock never makes the plan stale. `approve` sees the plan
    /// first and returns false to apply nothing (no changes, or declined); so does a stop requested
    /// through `control` before the first operation. `scope` narrows and forces as for `plan`.
    ///
    /// - Returns: The plan, and the report of its apply (nil when nothing was applied).
    public func apply(
        _ stack: Stack, region: String, refresh: Bool = true, destroy: Bool = false, excludeProtected: Bool = false,
        parallelism: Int = 10, scope: PlanScope = PlanScope(),
        lockTimeout: Duration = .zero, command: String, control: ApplyControl = ApplyControl(),
        waiting: (LockInfo) -> Void = { _ in }, approve: (Plan) async throws -> Bool,
        events: @escaping @Sendable (ApplyEvent) -> Void
    ) async throws -> (plan: Plan, report: ApplyReport?) {
        if !destroy { try StackValidator.validate(stack, providers: providers) }
        // A destroy of a stack without state has nothing to lock and nothing to do.
        guard let store = try await lockingStore(for: stack, create: !destroy, emptyWhenMissing: true) else {
            let plan = try await plan(
                stack, store: nil, region: region, refresh: refresh, destroy: destroy, refreshParallelism: 32, scope: scope)
            _ = try await approve(plan)
            return (plan, nil)
        }
        defer { store.close() }
        // Look-ups read AWS, not the state: they go beside the lock's round trips rather than after them (and again
        // after the lock when it had to be waited for, so that a long wait leaves no stale values).
        let lookupsAhead = destroy || !refresh ? nil : LookupsAhead(Planner(providers: providers), stack)
        defer { lookupsAhead?.discard() }
        let waitingDiscards = { (holder: LockInfo) in
            lookupsAhead?.discard()
            waiting(holder)
        }
        // A shared state's intents for the likely creates go beside the plan's reads.
        let intentsAhead = destroy || !refresh || !store.isRemote ? nil : IntentsAhead(command: command)
        return try await underLock(store, command: command, timeout: lockTimeout, control: control, waiting: waitingDiscards) {
            var plan: Plan
            do {
                plan = try await self.plan(
                    stack, store: store, region: region, refresh: refresh, destroy: destroy, excludeProtected: excludeProtected,
                    refreshParallelism: 32, scope: scope, lookupsAhead: lookupsAhead, intentsAhead: intentsAhead)
                // A shared state read beside the lock's request: when another run wrote just before the lock, plan again.
                if try await !store.confirmRead() {
                    plan = try await self.plan(
                        stack, store: store, region: region, refresh: refresh, destroy: destroy, excludeProtected: excludeProtected,
                        refreshParallelism: 32, scope: scope, lookupsAhead: lookupsAhead)
                }
            } catch {
                await intentsAhead?.discard(store)
                throw error
            }
            guard !control.isStopRequested, try await approve(plan), !control.isStopRequested else {
                await intentsAhead?.discard(store)
                return (plan, nil)
            }
            var executor = Executor(providers: providers, store: store, codec: try codec(create: true), parallelism: parallelism, command: command)
            executor.prerecorded = try await intentsAhead?.recorded(store) ?? [:]
            return try await store.pipelined {
                try await recordRegion(store, region: region)
                return (plan, try await executor.apply(plan, control: control, events: events))
            }
        }
    }

    /// Applies a saved `plan` under the stack's lock, after checking that it was made against the current state.
    public func apply(
        _ plan: Plan, stack: Stack, parallelism: Int = 10, lockTimeout: Duration = .zero, command: String,
        control: ApplyControl = ApplyControl(), waiting: (LockInfo) -> Void = { _ in },
        events: @escaping @Sendable (ApplyEvent) -> Void
    ) async throws -> ApplyReport {
        guard let store = try await lockingStore(for: stack, create: plan.mode != "destroy") else {
            try plan.checkFresh(lineage: nil, serial: 0)
            return ApplyReport()
        }
        defer { store.close() }
        return try await underLock(store, command: command, timeout: lockTimeout, control: control, waiting: waiting) {
            _ = try await store.confirmRead()
            // A brand-new store was created just now, by this apply: it counts as "no state".
            let snapshot = try store.snapshot()
            let isFresh = try snapshot.serial == 0 && store.resourceCount() == 0 && store.history(limit: 1).isEmpty
            try plan.checkFresh(lineage: isFresh && plan.lineage == nil ? nil : snapshot.lineage, serial: snapshot.serial)
            let executor = Executor(providers: providers, store: store, codec: try codec(create: true), parallelism: parallelism, command: command)
            return try await store.pipelined {
                try await recordRegion(store, region: plan.region)
                return try await executor.apply(plan, control: control, events: events)
            }
        }
    }

    /// Runs `body` holding the stack lock, which `control` can release at once meanwhile. When another run
    /// holds the lock and `timeout` allows waiting, tells `waiting` first.
    private func underLock<T>(
        _ store: StateSession, command: String, timeout: Duration, control: ApplyControl,
        waiting: (LockInfo) -> Void, _ body: () async throws -> T
    ) async throws -> T {
        let lock = try await namingLockHolders { () async throws -> any StackLock in
            do {
                return try await store.tryAcquireLock(command: command)
            } catch StateError.locked(let holder) where timeout > .zero {
                waiting(named(holder))
                return try await store.acquireLock(command: command, timeout: timeout)
            }
        }
        control.holding(lock)
        let result: T
        do {
            result = try await body()
        } catch {
            control.holding(nil)
            _ = try? await store.release(lock)
            throw error
        }
        control.holding(nil)
        _ = try await store.release(lock)
        return result
    }
}
