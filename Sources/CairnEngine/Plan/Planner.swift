import CairnJSON
import CairnState
import Foundation

/// A resource as the state recorded it, with its attribute and output JSON decoded.
public struct RecordedResource: Sendable, Hashable {
    public var address: String
    public var type: String
    public var id: String
    public var attributes: [String: JSON]
    public var outputs: [String: JSON]
    public var dependencies: [String]

    public init(address: String, type: String, id: String, attributes: [String: JSON], outputs: [String: JSON], dependencies: [String]) {
        self.address = address
        self.type = type
        self.id = id
        self.attributes = attributes
        self.outputs = outputs
        self.dependencies = dependencies
    }
}

/// A failure while planning, tied to the resource it concerns.
public struct PlanError: Error, Sendable, CustomStringConvertible {
    public let address: String
    public let message: String
    public init(address: String, message: String) {
        self.address = address
        self.message = message
    }
    public var description: String { "\(address): \(message)" }
}

/// What AWS said about each resource in a refresh: the live resource, nil for gone, or the error.
public typealias RefreshResults = [String: Result<Observed?, any Error>]

/// One resource's refresh.
struct RefreshResult: Sendable {
    let address: String
    let result: Result<Observed?, any Error>
}

/// Makes plans: compares what the code declares, what the state recorded and what AWS says now.
public struct Planner: Sendable {
    public let providers: ProviderRegistry
    /// How many resources are read from AWS at once during a refresh.
    public var refreshParallelism: Int

    public init(providers: ProviderRegistry, refreshParallelism: Int = 32) {
        self.providers = providers
        self.refreshParallelism = refreshParallelism
    }

    /// The refresh key of the check that a recorded resource's new name (a rename, so a replace) is free.
    public static func renameCheckKey(_ address: String) -> String { "\(address) (new name)" }

    /// Reads every recorded resource (and every resource whose create was interrupted) from AWS, in parallel.
    /// - Parameter ownershipOnly: read only what `destroy` checks, existence and tags (`ownershipRead`).
    public func refresh(
        _ targets: [(address: String, type: String, id: String, prior: [String: JSON])], ownershipOnly: Bool = false
    ) async
        -> RefreshResults
    {
        let providers = self.providers
        @Sendable func read(_ target: (address: String, type: String, id: String, prior: [String: JSON])) async -> RefreshResult {
            guard let provider = providers[target.type] else {
                return RefreshResult(
                    address: target.address,
                    result: .failure(
                        PlanError(
                            address: target.address, message: "the state holds type \(target.type), which this Cairn does not know: upgrade Cairn.")))
            }
            do {
                return RefreshResult(
                    address: target.address,
                    result: .success(
                        try await
                            (ownershipOnly
                            ? provider.ownershipRead(id: target.id, prior: target.prior) : provider.read(id: target.id, prior: target.prior))))
            } catch {
                return RefreshResult(address: target.address, result: .failure(error))
            }
        }
        return await withTaskGroup(of: RefreshResult.self, returning: RefreshResults.self) { group in
            var results: RefreshResults = [:]
            var pending = targets.makeIterator()
            for _ in 0..<max(1, refreshParallelism) {
                guard let target = pending.next() else { break }
                group.addTask { await read(target) }
            }
            while let finished = await group.next() {
                results[finished.address] = finished.result
                if let target = pending.next() { group.addTask { await read(target) } }
            }
            return results
        }
    }

    /// The plan that brings AWS to `stack`'s declaration.
    ///
    /// - Parameters:
    ///   - records: the state's resources.
    ///   - intents: creates that were started but never recorded (the process died), by address.
    ///   - refreshed: live reads by address: of every record, of every interrupted create's planned name, and
    ///     of the planned name of every other create (which must not exist yet); nil with `--refresh=false`.
    ///   - lookups: the outputs of the stack's look-ups, evaluated beforehand (see `evaluateLookups`).
    ///   - validated: the caller has just validated `stack` with `StackValidator.validate`.
    ///   - scope: what the plan covers and replaces, resolved from `records` (`PlanScope.resolve`), with the keys of
    ///     `refreshed` and `intents` after its moves; nil for the whole stack (with its declared moves).
    ///
    /// Every taggable resource gets `stack.tags` (its own tags win on a shared key) and the ownership
    /// tags of `stack` and the state `lineage`. A live resource
    /// whose ownership tags name another state stops the plan: it is neither adopted nor changed.
    public func plan(
        stack: Stack, region: String, records: [RecordedResource], intents: [String: PendingCreate],
        refreshed: RefreshResults?, lineage: String?, serial: Int, lookups: [String: [String: JSON]] = [:],
        validated: Bool = false, scope: PlanScope.Resolved? = nil
    ) throws -> Plan {
        let ownership = Ownership(stack: stack.name, environment: stack.environment.name, state: lineage)
        if !validated { try StackValidator.validate(stack, providers: providers) }
        let scope = try scope ?? PlanScope().resolve(stack: stack, records: records)
        let records = scope.records
        // Declarations build their attributes on every access: each is built once here.
        let declaredAttributes = stack.resources.map(\.attributes)
        let graph = StackValidator.dependencyGraph(stack, attributes: declaredAttributes)
        let order = try graph.topologicalOrder()
        let declared = Dictionary(uniqueKeysWithValues: zip(stack.resources, declaredAttributes).map { ($0.0.address, $0) })
        let recorded = Dictionary(uniqueKeysWithValues: records.map { ($0.address, $0) })

        var changes: [ResourceChange] = []
        // Outputs known at plan time: those of resources that keep their identity.
        var knownOutputs: [String: [String: JSON]] = [:]

        for address in order {
            guard scope.includes(address) else {
                // Outside the targets: left as recorded, its outputs known for the stack's outputs.
                if let record = recorded[address] { knownOutputs[address] = record.outputs }
                continue
            }
            let (resource, attributes) = declared[address]!
            let dependencies = StackValidator.dependencies(of: resource, attributes: attributes).sorted()
            let provider = providers[resource.typeName]!
            if provider is any LookupProvider {
                if scope.replace.contains(address) {
                    throw PlanError(address: address, message: "is a look-up, read afresh at every plan: --replace has nothing to replace.")
                }
                guard let outputs = lookups[address] else {
                    throw PlanError(address: address, message: "this look-up was not evaluated; plan again.")
                }
                knownOutputs[address] = outputs
                var change = ResourceChange(address: address, type: resource.typeName, action: .noop, dependencies: dependencies)
                change.outputs = outputs
                change.isLookup = true
                changes.append(change)
                continue
            }
            var sensitive = Set<String>()
            var desired: [String: JSON] = [:]
            for (key, value) in attributes {
                desired[key] = value.resolve(path: key, sensitivePaths: &sensitive) { knownOutputs[$0.address]?[$0.output] }
            }
            // The stack's tags under the resource's own (which win on a shared key), then the ownership tags.
            if case .object(let own)? = desired["tags"] {
                let stackTags = stack.tags.mapValues { JSON.string($0) }
                desired["tags"] = ownership.tagging(.object(stackTags.merging(own) { $1 }))
            }
            var change = ResourceChange(
                address: address, type: resource.typeName, action: .create, desired: desired,
                sensitivePaths: sensitive.sorted(), dependencies: dependencies)

            var prior: [String: JSON]?
            var priorOutputs: [String: JSON] = [:]
            /// Takes a live resource that this state provably created into the state.
            func adopt(_ live: Observed, because reason: String) {
                change.id = live.id
                prior = Self.merge(live: live.attributes, recorded: desired, local: provider.localAttributes)
                priorOutputs = live.outputs
                change.reason = "adopting \(live.id), \(reason)"
                change.adopt = true
            }
            if let record = recorded[address] {
                change.id = record.id
                prior = record.attributes
                priorOutputs = record.outputs
                if let result = refreshed?[address] {
                    switch result {
                    case .failure(let error): throw PlanError(address: address, message: "cannot read it from AWS: \(error)")
                    case .success(nil):
                        prior = nil
                        change.reason = "deleted outside Cairn"
                    case .success(let live?):
                        // Another state's tags stop the plan, unless this state recorded them itself: an import
                        // with --take-ownership, whose apply now puts this state's tags on.
                        let owner = Ownership.owner(of: live.attributes)
                        if ownership.isForeign(owner), let owner, Ownership.owner(of: record.attributes) != owner {
                            throw PlanError(
                                address: address,
                                message:
                                    "\(live.id) carries the ownership tags of \(owner), not of this state, so Cairn will not change it from here: remove it from this stack, or take it over deliberately with `cairn import \(stack.name) \(address) \(live.id) --take-ownership`."
                            )
                        }
                        let merged = Self.merge(live: live.attributes, recorded: record.attributes, local: provider.localAttributes)
                        if !AttributeDiff.changes(from: record.attributes, to: merged).isEmpty { change.reason = "changed outside Cairn" }
                        prior = merged
                        priorOutputs = live.outputs
                        change.id = live.id
                    }
                }
                // Renamed by the declaration: the new name must be free, as for a create (an S3 bucket in
                // us-east-1 would otherwise be handed over, and a later destroy would delete it).
                switch refreshed?[Self.renameCheckKey(address)] {
                case .failure(let error)?:
                    throw PlanError(address: address, message: "cannot check in AWS whether its new name is free: \(error)")
                case .success(let live?)?:
                    throw notCreatedHere(live, address: address, stack: stack, provider: provider)
                case .success(nil)?, nil:
                    break
                }
            } else if let intent = intents[address] {
                // A create that died before it was recorded: adopt what AWS has under the planned name, but
                // only with proof that it came from that create (see `AdoptionProof`).
                guard let refreshed else {
                    throw PlanError(
                        address: address,
                        message:
                            "a create of it\(intent.asPlannedName) was interrupted; plan with refresh so Cairn can find it in AWS and adopt it.")
                }
                switch refreshed[address] {
                case .failure(let error)?:
                    throw PlanError(
                        address: address,
                        message:
                            "a create of it\(intent.asPlannedName) was interrupted, and reading it from AWS failed, so Cairn cannot tell whether it exists: \(error)"
                    )
                case .success(let live?)? where records.contains { $0.type == resource.typeName && $0.id == live.id && $0.address != address }:
                    // What the state records elsewhere (the one a create-before-destroy replaces: same name, same tags) is
                    // not what this create made. It is left where it is, and the executor discards the stale intent.
                    break
                case .success(let live?)?:
                    if let proof = intent.proves(live, by: provider.adoptionProof, ownership: ownership) {
                        adopt(live, because: "created by an interrupted run (\(proof))")
                    } else if let planned = intent.plannedName, provider.physicalID(for: desired) ?? planned == planned {
                        throw notCreatedHere(live, address: address, stack: stack, provider: provider)
                    }
                // Otherwise the declaration now names another resource: the look-alike is left alone, and
                // the executor discards the stale intent.
                case .success(nil)?, nil:
                    break
                }
            } else if let importID = stack.imports[address] {
                // Declared in .importing and not in the state yet: apply records it first, as Terraform's import blocks.
                let live = try importable(importID, address: address, stack: stack, region: region, refreshed: refreshed)
                if let owner = Ownership.owner(of: live.attributes), ownership.isForeign(owner) {
                    throw PlanError(
                        address: address,
                        message:
                            "the stack imports \(live.id), which belongs to \(owner), so Cairn will not take it from a plan: move it here deliberately with `cairn import \(stack.name) --all --take-ownership`, or remove it from .importing."
                    )
                }
                if let other = records.first(where: { $0.type == resource.typeName && $0.id == live.id && $0.address != address }) {
                    throw PlanError(
                        address: address,
                        message:
                            "the stack imports \(live.id), which the state holds at \(other.address) already, so the plan would take it here and delete it there: remove it from .importing, and move it instead (`cairn state mv \(stack.name) \(other.address) \(address)`, or declare .moved(from: \"\(other.address)\", to: \"\(address)\"))."
                    )
                }
                adopt(live, because: "imported as the stack's .importing declares")
                change.importing = true
            } else if case .success(let live?)? = refreshed?[address] {
                if let other = records.first(where: { $0.type == resource.typeName && $0.id == live.id && declared[$0.address] == nil }) {
                    // Taking it here would delete it there: the declaration renamed the address, not the resource.
                    throw PlanError(
                        address: address,
                        message:
                            "its name \(live.id) is the resource the state holds at \(other.address), which the stack no longer declares, so this plan would take it here and delete it there: \(Self.renameHint(from: other.address, to: address)), or move it with `cairn state mv \(stack.name) \(other.address) \(address)`."
                    )
                }
                if let owner = Ownership.owner(of: live.attributes), ownership.state != nil, !ownership.isForeign(owner) {
                    // This state's own tag, with no record or intent: a create whose answer was lost (AWS created it,
                    // the retry was refused as a duplicate).
                    adopt(live, because: "which carries this state's ownership tag (its create's answer was lost)")
                } else {
                    // A create whose name is taken: AWS would refuse it, or (S3 in us-east-1) quietly hand over the
                    // existing bucket, which a later destroy would delete.
                    throw notCreatedHere(live, address: address, stack: stack, provider: provider)
                }
            } else if case .failure(let error)? = refreshed?[address] {
                throw PlanError(address: address, message: "cannot check in AWS whether its name is free: \(error)")
            }

            if let prior {
                change.prior = prior
                // `ignoreDrift` paths keep whatever AWS has (an autoscaled desired count), as Terraform's ignore_changes.
                for path in resource.options.ignoreDrift {
                    if let live = JSONPath.get(.object(prior), path) {
                        desired = JSONPath.set(.object(desired), path, live).objectValue ?? desired
                    }
                }
                change.desired = desired
                change.changes = AttributeDiff.changes(from: prior, to: desired, replaceOnChange: provider.replaceOnChange, sensitivePaths: sensitive)
                for i in change.changes.indices where !change.changes[i].forcesReplacement {
                    let attribute = change.changes[i]
                    change.changes[i].forcesReplacement = provider.forcesReplacement(attribute.path, from: attribute.old, to: attribute.new)
                }
                if change.changes.isEmpty {
                    change.action = .noop
                } else if change.changes.contains(where: \.forcesReplacement) {
                    change.action = .replace
                } else {
                    change.action = .update
                }
                if scope.replace.contains(address) {
                    try requestReplace(&change, resource: resource, provider: provider)
                }
                // An update that makes a new physical resource (a task definition revision) changes its outputs:
                // they stay unknown, so that dependents move to the new one.
                let supersedes = change.action == .update && provider is any SupersededCleanup
                if change.action != .replace && !supersedes {
                    knownOutputs[address] = priorOutputs
                    change.outputs = priorOutputs
                }
            } else {
                change.changes = AttributeDiff.changes(from: [:], to: desired, sensitivePaths: sensitive)
            }
            if let old = scope.movedFrom[address] {
                change.movedFrom = old
                if change.action == .noop { change.action = .move }
            }
            if change.action == .replace, resource.options.preventDestroy {
                let forcing = change.changes.filter(\.forcesReplacement).map(\.path).joined(separator: ", ")
                throw PlanError(
                    address: address,
                    message: "has preventDestroy, but a change to \(forcing) would replace it: revert that change, or remove preventDestroy first.")
            }
            changes.append(change)
        }

        // Recorded but no longer declared: delete, dependents first.
        let removed = records.filter { declared[$0.address] == nil && scope.includes($0.address) }
        for record in removed {
            var change = ResourceChange(
                address: record.address, type: record.type, action: .delete, id: record.id,
                prior: record.attributes, dependencies: record.dependencies)
            change.outputs = record.outputs
            if PlanScope.isDeposed(record.address) { change.reason = "the old one a create-before-destroy replacement left" }
            if case .success(nil)? = refreshed?[record.address] { change.reason = "already deleted outside Cairn" }
            changes.append(change)
        }
        var warnings = scope.warnings
        warnings += hintRenames(&changes)
        warnings += replaceWarnings(changes, records: records, scope: scope)

        var outputs: [String: JSON] = [:]
        var sensitiveOutputs = Set<String>()
        for (name, value) in stack.outputs {
            outputs[name] = value.resolve(path: name, sensitivePaths: &sensitiveOutputs) { knownOutputs[$0.address]?[$0.output] }
        }
        var plan = Plan(
            stack: stack.name, environment: stack.environment.name, region: region, lineage: lineage, serial: serial,
            resources: changes, outputs: outputs, sensitiveOutputs: sensitiveOutputs.sorted())
        plan.targets = scope.targets
        plan.warnings = warnings
        return plan
    }

    /// Makes `change` the replace `--replace` asked for: create-before-destroy where two can exist side by side (the
    /// type lets them, or the declaration gives the new one another name), destroy-then-create otherwise. A resource
    /// that does not exist yet is simply created.
    private func requestReplace(_ change: inout ResourceChange, resource: any ResourceDeclaration, provider: any ResourceProvider) throws {
        guard change.id != nil else { return }
        if resource.options.preventDestroy {
            throw PlanError(
                address: change.address,
                message:
                    "has preventDestroy, so --replace cannot delete it: remove preventDestroy from its declaration first if you really mean to replace it."
            )
        }
        change.action = .replace
        change.replaceRequested = true
        // Names compared as the type makes them from attributes (an id may be an ARN); an unknown one decides nothing.
        let newName = change.desired.flatMap(provider.physicalID(for:))
        let renamed = newName != nil && newName != change.prior.flatMap(provider.physicalID(for:))
        change.createBeforeDestroy = provider.replacementCoexists || renamed
    }

    /// What a requested replace costs: the data of a type that holds it, and, where a targeted plan leaves out what
    /// uses the resource, the old one kept until those follow.
    private func replaceWarnings(_ changes: [ResourceChange], records: [RecordedResource], scope: PlanScope.Resolved) -> [String] {
        changes.filter(\.replaceRequested).flatMap { change -> [String] in
            var warnings: [String] = []
            let name = "\(change.address) (\(change.id ?? change.type))"
            if providers[change.type]?.holdsData == true {
                warnings.append("\(name) is replaced as --replace asks: what it holds is not copied to the new one, and is lost with the old one.")
            }
            let users = records.filter { !scope.includes($0.address) && $0.dependencies.contains(change.address) }.map(\.address).sorted()
            if change.createBeforeDestroy, !users.isEmpty {
                warnings.append(
                    "\(users.joined(separator: ", ")) still use\(users.count == 1 ? "s" : "") \(name) and \(users.count == 1 ? "is" : "are") outside the targets: the old one stays until an apply without --target moves \(users.count == 1 ? "it" : "them") to the new one."
                )
            }
            return warnings
        }
    }

    /// `add moved(from: "OLD", to: "NEW") to the stack to keep it`, the hint for a rename the stack did not declare.
    static func renameHint(from old: String, to new: String) -> String {
        "looks like a rename of \(old) to \(new): add \(ResourceMove(from: old, to: new)) to the stack to keep it"
    }

    /// Names the likely renames among `changes`: a resource of a type that holds data deleted at one address while
    /// another of its type, which it could become without a replacement, is created at a new one, without a
    /// declared move. Where several could, the one with its name. The hint goes on the delete, and is returned as
    /// warnings.
    private func hintRenames(_ changes: inout [ResourceChange]) -> [String] {
        var warnings: [String] = []
        for index in changes.indices {
            let deleted = changes[index]
            guard deleted.action == .delete, !PlanScope.isDeposed(deleted.address), let provider = providers[deleted.type], provider.holdsData,
                let prior = deleted.prior
            else { continue }
            let candidates = changes.filter { created in
                guard created.action == .create, !created.adopt, created.type == deleted.type, let desired = created.desired else { return false }
                // A move keeps it only if nothing would then replace it.
                return !AttributeDiff.changes(from: prior, to: desired, replaceOnChange: provider.replaceOnChange).contains {
                    $0.forcesReplacement || provider.forcesReplacement($0.path, from: $0.old, to: $0.new)
                }
            }
            let named = candidates.first { $0.desired.flatMap(provider.physicalID(for:)) == deleted.id }
            guard let created = named ?? (candidates.count == 1 ? candidates.first : nil) else { continue }
            let hint = Self.renameHint(from: deleted.address, to: created.address)
            changes[index].reason = [deleted.reason, hint].compactMap { $0 }.joined(separator: "; ")
            warnings.append("\(deleted.address) (\(deleted.id ?? deleted.type)) would be deleted, and what it holds lost: \(hint).")
        }
        return warnings
    }

    /// The plan that deletes everything in the state. Stops, naming them, if any declared resource has
    /// `preventDestroy`, or if a live read (`refreshed`) says a resource belongs to another state.
    /// With `excludeProtected` (Pulumi's `destroy --exclude-protected`) it deletes the rest instead, and
    /// keeps the protected resources and what they depend on, as no-ops saying why. With a targeted `scope`
    /// (resolved for `.destroy`), only the targets and what depends on them.
    public func destroyPlan(
        stack: Stack, region: String, records: [RecordedResource], lineage: String?, serial: Int,
        refreshed: RefreshResults? = nil, excludeProtected: Bool = false, scope: PlanScope.Resolved? = nil
    ) throws -> Plan {
        let records = records.filter { scope?.includes($0.address) ?? true }
        let declared = Dictionary(stack.resources.map { ($0.address, $0) }, uniquingKeysWith: { a, _ in a })
        let protected = records.filter { declared[$0.address]?.options.preventDestroy == true }.map(\.address)
        if !protected.isEmpty && !excludeProtected {
            throw PlanError(
                address: protected.joined(separator: ", "),
                message:
                    "has preventDestroy, so nothing was destroyed: destroy the rest with --exclude-protected, or remove preventDestroy from the declaration first if you really mean to destroy it."
            )
        }
        // A kept resource's dependencies stay too: deleting them would break it.
        let recorded = Dictionary(records.map { ($0.address, $0) }, uniquingKeysWith: { a, _ in a })
        var kept: [String: String] = [:]
        var pending = protected.map { ($0, "it has preventDestroy (--exclude-protected)") }
        while let (address, reason) = pending.popLast() {
            guard kept[address] == nil else { continue }
            kept[address] = reason
            pending += (recorded[address]?.dependencies ?? []).map { ($0, "\(address), which is kept, depends on it") }
        }
        let ownership = Ownership(stack: stack.name, environment: stack.environment.name, state: lineage)
        let changes = try records.map { record in
            var change = ResourceChange(
                address: record.address, type: record.type, action: .delete, id: record.id,
                prior: record.attributes, dependencies: record.dependencies)
            if let reason = kept[record.address] {
                change.action = .noop
                change.reason = "kept: \(reason)"
                return change
            }
            switch refreshed?[record.address] {
            case .failure(let error)?:
                throw PlanError(address: record.address, message: "cannot read it from AWS, so nothing was destroyed: \(error)")
            case .success(let live?)?:
                if let owner = Ownership.owner(of: live.attributes), ownership.isForeign(owner), Ownership.owner(of: record.attributes) != owner {
                    throw PlanError(
                        address: record.address,
                        message:
                            "\(live.id) carries the ownership tags of \(owner), not of this state, so nothing was destroyed: destroy it from the state that owns it, or take it over first with `cairn import \(stack.name) \(record.address) \(live.id) --take-ownership`."
                    )
                }
            case .success(nil)?:
                change.reason = "already deleted outside Cairn"
            case nil:
                break
            }
            return change
        }
        var plan = Plan(
            stack: stack.name, environment: stack.environment.name, region: region, lineage: lineage, serial: serial,
            mode: "destroy", resources: changes)
        plan.targets = scope?.targets ?? []
        plan.warnings = scope?.warnings ?? []
        return plan
    }

    /// Evaluates the stack's look-ups in dependency order. A look-up may refer only to other look-ups,
    /// since everything else is unknown until apply.
    public func evaluateLookups(_ stack: Stack) async throws -> [String: [String: JSON]] {
        let lookupsPresent = stack.resources.contains { providers[$0.typeName] is any LookupProvider }
        guard lookupsPresent else { return [:] }
        let order = try StackValidator.dependencyGraph(stack).topologicalOrder()
        let declared = Dictionary(uniqueKeysWithValues: stack.resources.map { ($0.address, $0) })
        var results: [String: [String: JSON]] = [:]
        for address in order {
            let resource = declared[address]!
            guard let provider = providers[resource.typeName] as? any LookupProvider else { continue }
            var sensitive = Set<String>()
            var attributes: [String: JSON] = [:]
            for (key, value) in resource.attributes {
                let resolved = value.resolve(path: key, sensitivePaths: &sensitive) { results[$0.address]?[$0.output] }
                if Unknown.contains(resolved) {
                    throw PlanError(
                        address: address,
                        message:
                            "\(key) refers to a resource that is not a look-up; look-ups are evaluated at plan time and can only use literal values and other look-ups."
                    )
                }
                attributes[key] = resolved
            }
            do {
                results[address] = try await provider.lookup(attributes)
            } catch {
                throw PlanError(address: address, message: "the look-up failed: \(error)")
            }
        }
        return results
    }

    /// The live resource that `.importing` names for `address`, as the refresh read it; refuses one that cannot be read.
    private func importable(_ id: String, address: String, stack: Stack, region: String, refreshed: RefreshResults?) throws -> Observed {
        guard let refreshed else {
            throw PlanError(
                address: address,
                message:
                    "the stack imports it (\(id)), which a plan without refresh cannot read: plan with refresh, or import it first with `cairn import \(stack.name) --all`."
            )
        }
        switch refreshed[address] {
        case .failure(let error)?:
            throw PlanError(address: address, message: "the stack imports it (\(id)), and reading that from AWS failed: \(error)")
        case .success(let live?)?:
            return live
        case .success(nil)?, nil:
            throw PlanError(
                address: address,
                message:
                    "the stack imports it (\(id)), which AWS does not have in \(region): fix the id in .importing, or remove it there to have apply create it."
            )
        }
    }

    /// The plan error for a resource that exists in AWS under the name a create would take.
    private func notCreatedHere(_ live: Observed, address: String, stack: Stack, provider: any ResourceProvider) -> PlanError {
        let importing = "cairn import \(stack.name) \(address) \(live.id)"
        if let owner = Ownership.owner(of: live.attributes), provider.onePerAccount {
            return PlanError(
                address: address,
                message:
                    "\(live.id) already exists in AWS and belongs to \(owner), and an account holds only one: remove it from this stack and use its ARN, \(live.id), where this stack refers to it (or move it here deliberately with `\(importing) --take-ownership`)."
            )
        }
        if let owner = Ownership.owner(of: live.attributes) {
            return PlanError(
                address: address,
                message:
                    "\(live.id) already exists in AWS and belongs to \(owner): give the resource another name (per environment, say), or take it over deliberately with `\(importing) --take-ownership`."
            )
        }
        return PlanError(
            address: address,
            message:
                "\(live.id) already exists in AWS and was not created by this stack (it carries no Cairn ownership tags): manage it here with `\(importing)`, or give the resource another name."
        )
    }

    /// Live attributes, with the attributes only Cairn knows taken from the record.
    static func merge(live: [String: JSON], recorded: [String: JSON], local: Set<String>) -> [String: JSON] {
        var merged = live
        for key in local { merged[key] = recorded[key] ?? merged[key] }
        return merged
    }
}
