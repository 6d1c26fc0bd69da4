import CairnJSON
import CairnState
import Foundation

/// What keeps one state from touching what it did not create: the region it lives in, the checks that
/// a create's name is free, and deliberate imports.
extension Workspace {
    /// The `meta` key holding the region a state's resources live in.
    static let regionKey = "region"

    /// The region the state's resources live in: as recorded at its first apply, or, for states written
    /// before Cairn recorded it, the region in the ARNs it holds. Nil for a state with no regional resource.
    public func recordedRegion(_ store: StateSession, records: [RecordedResource]) throws -> String? {
        if let region = try store.metadata(Self.regionKey) { return region }
        for record in records {
            for value in record.outputs.values {
                if let text = value.stringValue, let region = Self.region(inARN: text) { return region }
            }
        }
        return nil
    }

    /// The region field of an ARN (`arn:aws:ecr:eu-north-1:…`), nil for global ones (IAM, S3).
    static func region(inARN text: String) -> String? {
        let fields = text.split(separator: ":", maxSplits: 4, omittingEmptySubsequences: false)
        guard fields.count == 5, fields[0] == "arn", !fields[3].isEmpty else { return nil }
        return String(fields[3])
    }

    /// Stops a command run in another region than the state's before it reads or changes anything: in
    /// the wrong region every regional resource looks deleted, and an apply would build a second copy.
    public func checkRegion(_ store: StateSession, region: String, records: [RecordedResource]) throws {
        guard let recorded = try recordedRegion(store, records: records), recorded != region else { return }
        throw PlanError(
            address: "\(store.stack) (\(store.environment))",
            message: """
                the state in \(store.location) is for region \(recorded), but this run uses \(region); nothing was read or changed. \
                Run with --region \(recorded), or keep a copy of the stack in \(region) under another environment (--env NAME). \
                To move the stack, destroy it in \(recorded) first.
                """)
    }

    /// Records `region` as the state's region (at the first apply), or refuses a different one. The records
    /// are read only for a state that has no region yet (written before Cairn recorded it).
    func recordRegion(_ store: StateSession, region: String) async throws {
        if try store.metadata(Self.regionKey) != nil { return try checkRegion(store, region: region, records: []) }
        try checkRegion(store, region: region, records: load(store, codec: codec(create: true)).records)
        try await store.setMetadata(Self.regionKey, region)
    }

    /// Reads of the names that the stack's new resources would take, so that the plan can stop when one
    /// is taken: by a look-alike made by hand, or by another state. Names not known before apply are skipped;
    /// names made of `lookups` outputs are known. A resource the stack's `.importing` names is read by that id.
    func creationChecks(
        _ stack: Stack, skipping: Set<String>, lookups: [String: [String: JSON]] = [:]
    ) -> [(address: String, type: String, id: String, prior: [String: JSON])] {
        var checks: [(address: String, type: String, id: String, prior: [String: JSON])] = []
        for resource in stack.resources where !skipping.contains(resource.address) {
            guard let provider = providers[resource.typeName], !(provider is any LookupProvider) else { continue }
            var sensitive = Set<String>()
            let attributes = resource.attributes.mapValues { $0.resolve(sensitivePaths: &sensitive) { lookups[$0.address]?[$0.output] } }
            guard let id = stack.imports[resource.address] ?? provider.physicalID(for: attributes) else { continue }
            checks.append((resource.address, resource.typeName, id, attributes))
        }
        return checks
    }

    /// Reads of the new names of recorded resources that the declaration renames (a replace), so that the
    /// plan stops when the new name is taken, as for a create. Keyed by `Planner.renameCheckKey`.
    func renameChecks(
        _ stack: Stack, records: [RecordedResource], lookups: [String: [String: JSON]] = [:]
    ) -> [(address: String, type: String, id: String, prior: [String: JSON])] {
        let recorded = Dictionary(records.map { ($0.address, $0) }, uniquingKeysWith: { a, _ in a })
        var checks: [(address: String, type: String, id: String, prior: [String: JSON])] = []
        for resource in stack.resources {
            guard let record = recorded[resource.address], let provider = providers[resource.typeName],
                !(provider is any LookupProvider)
            else { continue }
            var sensitive = Set<String>()
            let attributes = resource.attributes.mapValues { $0.resolve(sensitivePaths: &sensitive) { lookups[$0.address]?[$0.output] } }
            guard let newID = provider.physicalID(for: attributes), let oldID = provider.physicalID(for: record.attributes), newID != oldID
            else { continue }
            checks.append((Planner.renameCheckKey(resource.address), resource.typeName, newID, attributes))
        }
        return checks
    }

    /// Asks AWS when each interrupted create's look-alike was created, for the types whose proof needs
    /// it and whose read does not say.
    func addCreationDates(to refreshed: inout RefreshResults?, intents: [String: PendingCreate], stack: Stack) async throws {
        let types = Dictionary(stack.resources.map { ($0.address, $0.typeName) }, uniquingKeysWith: { a, _ in a })
        for (address, _) in intents {
            guard case .success(let live?)? = refreshed?[address], let provider = types[address].flatMap({ providers[$0] }) else { continue }
            refreshed?[address] = .success(try await provider.withCreationDate(live))
        }
    }

    /// Searches AWS for what each interrupted create without a planned name made (see `UnnamedCreateRecovery`),
    /// and files the answer as that address's read: found (the planner checks the proof and adopts it), none
    /// (created again), or the error (the plan stops: more than one candidate, or the search failed).
    func findUnnamedCreates(
        into refreshed: inout RefreshResults?, intents: [String: PendingCreate], stack: Stack, records: [RecordedResource],
        ownership: Ownership
    ) async {
        let recordedIDs = Set(records.map(\.id))
        var claimed: [String: [String]] = [:]  // found id → the addresses whose search found it
        for resource in stack.resources {
            guard let intent = intents[resource.address], intent.plannedName == nil,
                let provider = providers[resource.typeName] as? any UnnamedCreateRecovery
            else { continue }
            var sensitive = Set<String>()
            let attributes = resource.attributes.mapValues { $0.resolve(sensitivePaths: &sensitive) { _ in nil } }
            do {
                let found = try await provider.findInterruptedCreate(
                    attributes, ownership: ownership, since: intent.recordedAt.addingTimeInterval(-PendingCreate.clockTolerance),
                    excluding: recordedIDs)
                refreshed?[resource.address] = .success(found)
                if let found { claimed[found.id, default: []].append(resource.address) }
            } catch {
                refreshed?[resource.address] = .failure(error)
            }
        }
        // Two interrupted creates that both find the same resource: only one made it, and nothing says which.
        for (id, addresses) in claimed where addresses.count > 1 {
            for address in addresses {
                refreshed?[address] = .failure(
                    RecoveryAmbiguity(
                        typeName: stack.resources.first { $0.address == address }?.typeName ?? "", candidates: [id],
                        advice:
                            "the interrupted creates of \(addresses.sorted().joined(separator: " and ")) could each have made it: import it at the address it belongs to (`cairn import \(stack.name) ADDRESS \(id)`), and the next apply creates the other."
                    ))
            }
        }
    }

    /// Adopts the existing resource `id` into the state at `address` (`cairn import`), under the stack's lock.
    /// A resource whose ownership tags name another state is refused unless `takeOwnership` is set, the
    /// deliberate way to move a resource between states; then an existing record of the same resource
    /// at `address` is replaced. The next apply sets this state's ownership tags.
    ///
    /// - Returns: the physical id recorded.
    @discardableResult
    public func importResource(
        _ stack: Stack, address: String, id: String, region: String, takeOwnership: Bool = false,
        lockTimeout: Duration = .zero
    ) async throws -> String {
        guard let resource = stack.resources.first(where: { $0.address == address }) else {
            let known = stack.resources.map(\.address).joined(separator: ", ")
            throw PlanError(address: address, message: "the stack '\(stack.name)' declares no such resource: declare it first (declared: \(known)).")
        }
        guard let provider = providers[resource.typeName], !(provider is any LookupProvider) else {
            throw PlanError(address: address, message: "\(resource.typeName) is a look-up, evaluated at every plan: there is nothing to import.")
        }
        var sensitive = Set<String>()
        let declared = resource.attributes.mapValues { $0.resolve(sensitivePaths: &sensitive) { _ in nil } }
        if let store = try await self.store(for: stack, create: false) {
            defer { store.close() }
            try checkRegion(store, region: region, records: load(store, codec: codec(create: false)).records)
        }
        guard let live = try await provider.read(id: id, prior: declared) else {
            throw PlanError(address: address, message: "AWS has no \(resource.typeName) with id '\(id)' in \(region): check the id and the region.")
        }
        guard let store = try await self.store(for: stack, create: true) else { return live.id }
        defer { store.close() }
        return try await withLock(store, command: "import", timeout: lockTimeout) {
            try await importLocked(
                live, into: store, stack: stack, address: address, resource: resource, provider: provider, declared: declared,
                sensitive: sensitive, region: region, takeOwnership: takeOwnership)
        }
    }

    private func importLocked(
        _ live: Observed, into store: StateSession, stack: Stack, address: String, resource: any ResourceDeclaration,
        provider: any ResourceProvider, declared: [String: JSON], sensitive: Set<String>, region: String, takeOwnership: Bool
    ) async throws -> String {
        let ownership = Ownership(stack: stack.name, environment: stack.environment.name, state: store.lineage)
        if let owner = Ownership.owner(of: live.attributes), ownership.isForeign(owner), !takeOwnership {
            throw PlanError(
                address: address,
                message:
                    "\(live.id) belongs to \(owner), so it was not imported: manage it from that state, or move it here deliberately with --take-ownership (then destroy it only from here)."
            )
        }
        let existing = try store.resource(at: address)
        if let existing, !(takeOwnership && existing.physicalID == live.id) {
            throw PlanError(
                address: address,
                message:
                    "it is already in the state (as \(existing.physicalID)): import under another address, or remove it from the declaration first.")
        }
        try await recordRegion(store, region: region)
        let record = try importedRecord(
            resource, provider: provider, live: live, declared: declared, sensitive: sensitive, codec: codec(create: true))
        let command = takeOwnership ? "import --take-ownership" : "import"
        if existing != nil {
            _ = try await store.commitUpdate(record, command: command)
        } else {
            _ = try await store.commit(.import(record), command: command)
        }
        return live.id
    }

    /// The record of `live` imported at `resource`'s address: what AWS has, with the declared values of the attributes
    /// that only steer Cairn (`forceDestroy`), `sensitive` paths sealed.
    func importedRecord(
        _ resource: any ResourceDeclaration, provider: any ResourceProvider, live: Observed, declared: [String: JSON], sensitive: Set<String>,
        codec: StateCodec
    ) throws -> ResourceRecord {
        var attributes = live.attributes
        for key in provider.localAttributes { attributes[key] = declared[key] }
        return ResourceRecord(
            address: resource.address, type: resource.typeName, physicalID: live.id,
            attributes: try codec.encode(attributes, sensitivePaths: sensitive.sorted(), address: resource.address),
            outputs: JSON.object(live.outputs).description, dependencies: resource.dependencies.sorted())
    }
}
