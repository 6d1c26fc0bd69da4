import CairnJSON
import CairnState
import Foundation

extension Workspace {
    /// Checks `stack` for drift and records the run in its state. Takes no lock: it can run while
    /// a plan or an apply runs. With `targets` (`--target`), only those and what they depend on, without the
    /// search for unmanaged resources, and the partial run is not recorded.
    public func drift(_ stack: Stack, targets: [String] = [], now: Date = Date(), parallelism: Int = 32) async throws -> DriftReport {
        guard let store = try await self.store(for: stack, create: false) else {
            throw PlanError(
                address: stack.name,
                message:
                    "has no state in \(remote.map { "\($0.objects.location)/\($0.prefix)" } ?? stateDir.path) (environment \(stack.environment.name)): apply it first, or check --state-dir and --env."
            )
        }
        defer { store.close() }
        let (state, _, stateSensitive) = try load(store, codec: try codec(create: false))
        if let region { try checkRegion(store, region: region, records: state) }
        // Declared moves apply, as in a plan: the record of a renamed declaration is checked at its new address.
        let scope = try PlanScope(targets: targets).resolve(stack: stack, records: state, for: .drift)
        let records = scope.records.filter { scope.includes($0.address) }
        let sensitive = scope.renamed(stateSensitive)
        var ignore: [String: [String]] = [:]
        for resource in stack.resources where !resource.options.ignoreDrift.isEmpty {
            ignore[resource.address] = resource.options.ignoreDrift
        }
        let report = try await DriftDetector(providers: providers, parallelism: parallelism)
            .check(
                stack: stack.name, environment: stack.environment.name, records: records, ignore: ignore, sensitive: sensitive,
                stackTags: [stack.tags, Ownership(stack: stack.name, environment: stack.environment.name, state: store.lineage).discoveryTags],
                managedTypes: Set(stack.resources.map(\.typeName)), discoverUnmanaged: targets.isEmpty, now: now)
        guard targets.isEmpty else { return report }
        var recorded = report
        recorded.run =
            try await store.recordDriftRun(
                drifted: report.drifted, changed: report.count(.changed), deleted: report.count(.deleted),
                unmanaged: report.count(.unmanaged), reportJSON: report.json.description, checkedAt: now
            ).id
        return recorded
    }

    /// The report of the drift run `id` of the stack's history, in full, as it was recorded.
    /// - Throws: `PlanError` naming the stack when it has no such run, saying how to list its runs.
    public func driftRun(_ stack: Stack, id: Int64) async throws -> DriftReport {
        let runs = try await driftHistory(stack)
        let listing = "`cairn drift \(stack.name) --env \(stack.environment.name) --history` lists its runs."
        guard let run = runs.first(where: { $0.id == id }) else {
            throw PlanError(
                address: stack.name, message: "has no drift run \(id) in its history (environment \(stack.environment.name)): \(listing)")
        }
        guard let json = try? JSON(parsing: run.reportJSON), let report = DriftReport(json: json, run: run.id) else {
            throw PlanError(address: stack.name, message: "has a drift run \(id) whose recorded report cannot be read: \(listing)")
        }
        return report
    }

    /// Past drift runs, newest first.
    public func driftHistory(_ stack: Stack, limit: Int? = nil) async throws -> [DriftRun] {
        guard let store = try await self.store(for: stack, create: false) else { return [] }
        defer { store.close() }
        return try store.driftRuns(limit: limit)
    }

    /// Accepts drift: records the live values of every resource in the state without changing AWS
    /// (`apply --refresh-only`), once `confirm` approves the report. Returns the report and whether it was recorded.
    /// With `targets` (`--target`), as a targeted drift check: only those and what they depend on are read and recorded.
    public func acceptDrift(
        _ stack: Stack, targets: [String] = [], lockTimeout: Duration = .zero,
        confirm: (DriftReport) throws -> Bool
    ) async throws -> (report: DriftReport, recorded: Bool) {
        guard let store = try await self.store(for: stack, create: false) else {
            throw PlanError(address: stack.name, message: "has no state: there is nothing to refresh.")
        }
        defer { store.close() }
        return try await withLock(store, command: "apply --refresh-only", timeout: lockTimeout) {
            try await acceptDrift(stack, targets: targets, store: store, confirm: confirm)
        }
    }

    private func acceptDrift(
        _ stack: Stack, targets: [String], store: StateSession, confirm: (DriftReport) throws -> Bool
    ) async throws -> (report: DriftReport, recorded: Bool) {
        let codec = try self.codec(create: true)
        var (records, _, sensitive) = try load(store, codec: codec)
        if let region { try checkRegion(store, region: region, records: records) }
        if !targets.isEmpty {
            // Scoped as a targeted drift check is, declared moves included; the records keep the addresses the state
            // holds them at, since a refresh records values, not moves (the next apply moves them).
            let scope = try PlanScope(targets: targets).resolve(stack: stack, records: records, for: .drift)
            let included = Set(scope.included?.map { scope.movedFrom[$0] ?? $0 } ?? [])
            records = records.filter { included.contains($0.address) }
        }
        let planner = Planner(providers: providers)
        let results = await planner.refresh(records.map { ($0.address, $0.type, $0.id, $0.attributes) })
        var changes: [Change] = []
        var drifted: [DriftedResource] = []
        for record in records {
            switch results[record.address] {
            case .failure(let error)?:
                throw PlanError(address: record.address, message: "cannot read it from AWS, so nothing was recorded: \(error)")
            case .success(nil)?:
                changes.append(.forget(record.address))
                drifted.append(DriftedResource(address: record.address, type: record.type, id: record.id, status: .deleted))
            case .success(let live?)?:
                let merged = Planner.merge(live: live.attributes, recorded: record.attributes, local: providers[record.type]?.localAttributes ?? [])
                let diff = AttributeDiff.changes(from: record.attributes, to: merged)
                guard !diff.isEmpty || JSON.object(live.outputs) != JSON.object(record.outputs) else { continue }
                let updated = ResourceRecord(
                    address: record.address, type: record.type, physicalID: live.id,
                    attributes: try codec.encode(merged, sensitivePaths: sensitive[record.address] ?? [], address: record.address),
                    outputs: JSON.object(live.outputs).description, dependencies: record.dependencies)
                changes.append(.update(updated))
                if !diff.isEmpty {
                    drifted.append(
                        DriftedResource(
                            address: record.address, type: record.type, id: live.id, status: .changed,
                            attributes: diff.map { DriftedAttribute(path: $0.path, recorded: $0.old, live: $0.new, sensitive: $0.sensitive) }))
                }
            case nil:
                continue
            }
        }
        let report = DriftReport(
            stack: stack.name, environment: stack.environment.name, checkedAt: Date(), resources: drifted, checked: records.count)
        guard !changes.isEmpty, try confirm(report) else { return (report, false) }
        try await store.commit(changes, command: "apply --refresh-only")
        return (report, true)
    }
}
