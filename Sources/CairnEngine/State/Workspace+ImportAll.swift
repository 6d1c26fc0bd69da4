import CairnJSON
import CairnState
import Foundation

/// A declared resource and the live resource to record at its address, as read by its provider.
struct Adoption {
    let resource: any ResourceDeclaration
    let provider: any ResourceProvider
    var live: Observed
    /// The declared attributes, resolved as far as the outputs read so far allow (the read's `prior`).
    let declared: [String: JSON]
    /// The declared attributes' sensitive paths, sealed in the state.
    let sensitive: Set<String>
}

/// What adopting resources in one step has read so far: the state's records, its ownership, the outputs known.
struct AdoptionReads {
    var records: [String: RecordedResource]
    /// This state's ownership (before it exists, any owner is another state's).
    let ownership: Ownership
    /// Outputs by address: the look-ups', then each resource's as it is read.
    var known: [String: [String: JSON]]

    /// `resource`'s attributes resolved as far as the outputs known allow, and their sensitive paths.
    func declared(_ resource: any ResourceDeclaration) -> (attributes: [String: JSON], sensitive: Set<String>) {
        var sensitive = Set<String>()
        var attributes: [String: JSON] = [:]
        for (key, value) in resource.attributes {
            attributes[key] = value.resolve(path: key, sensitivePaths: &sensitive) { known[$0.address]?[$0.output] }
        }
        return (attributes, sensitive)
    }
}

/// Where an adopted resource's id came from, for the messages that name it.
enum AdoptionOrigin {
    /// The stack's `.importing([...])`.
    case importing
    /// A Terraform state's instance, by its address there.
    case terraform(String)

    /// `app-repo`, or `Terraform's aws_ecr_repository.app (app-repo)`.
    func naming(_ id: String) -> String {
        switch self {
        case .importing: return id
        case .terraform(let instance): return "Terraform's \(instance) (\(id))"
        }
    }

    /// `app-repo`, or `app-repo (Terraform's aws_ecr_repository.app)`.
    func aside(_ id: String) -> String {
        switch self {
        case .importing: return id
        case .terraform(let instance): return "\(id) (Terraform's \(instance))"
        }
    }

    func missing(_ id: String, type: String, region: String) -> String {
        switch self {
        case .importing:
            return
                "AWS has no \(type) with id '\(id)' in \(region), so nothing was imported: fix the id in .importing, or remove it there to have the next apply create it."
        case .terraform:
            return
                "\(naming(id)) does not exist in AWS in \(region), so nothing was imported: refresh Terraform's state (`terraform apply -refresh-only`) or leave it out with --map, then import again."
        }
    }

    var ownedAdvice: String {
        switch self {
        case .importing: return "manage it from that state, or move it here deliberately with --take-ownership (then destroy it only from here)."
        case .terraform: return "manage it from that state, leave it out with --map, or move it here deliberately with --take-ownership."
        }
    }

    var recordedAdvice: String {
        switch self {
        case .importing: return "fix the id in .importing"
        case .terraform(let instance): return "leave \(instance) out with --map"
        }
    }
}

/// What a read for adoption found: a resource to record, or the one the state holds there already.
enum AdoptionRead {
    case adopt(Adoption)
    case recorded(id: String)
}

/// What `cairn import STACK --all` did.
public struct ImportAllReport: Sendable {
    /// A resource the import recorded.
    public struct Imported: Sendable, Hashable {
        public let address: String
        /// The physical id recorded.
        public let id: String
        /// Whether this import put this state's ownership tags on it.
        public let tagged: Bool
    }

    /// Resources recorded now, by address.
    public var imported: [Imported] = []
    /// Addresses the state already held with the declared id: nothing was written for them.
    public var alreadyRecorded: [String] = []
    /// Declared resources (look-ups aside) that the stack declares no import for: the next apply creates them.
    public var notImported: [String] = []
    /// The state's serial after the import; nil when nothing was written.
    public var serial: Int?
}

/// Adopting many existing resources in one locked step: `cairn import STACK --all` (the stack's declared imports) and
/// `cairn import --from-terraform` share it.
extension Workspace {
    /// Adopts every resource that `stack` declares an import for (`StackDefinition.importing(_:)`): each is read live by
    /// its id with Cairn's own provider, in dependency order (so that a service's cluster name is known from the
    /// cluster's read), given this state's ownership tags, and all are recorded in one commit under the stack's lock,
    /// each with its history row. When the declarations say what AWS has, the next plan has no changes.
    ///
    /// Nothing is written when anything fails: an import at an undeclared address or at a look-up, a resource AWS does
    /// not have, one that another Cairn state owns (unless `takeOwnership`), an address the state holds as another
    /// resource, or a failed read or tag. Addresses the state already holds with the declared id are left alone.
    public func importAll(
        _ stack: Stack, region: String, takeOwnership: Bool = false, lockTimeout: Duration = .zero
    ) async throws -> ImportAllReport {
        guard !stack.imports.isEmpty else {
            throw PlanError(
                address: stack.name,
                message:
                    "the stack declares no imports, so there is nothing to import: add .importing([ADDRESS: ID]) to its StackDefinition (`cairn generate` writes it), or import one resource with `cairn import \(stack.name) ADDRESS ID`."
            )
        }
        try StackValidator.validate(stack, providers: providers)
        let declared = Dictionary(uniqueKeysWithValues: stack.resources.map { ($0.address, $0) })
        for address in stack.imports.keys.sorted() {
            guard let resource = declared[address] else {
                throw PlanError(
                    address: address,
                    message:
                        "the stack imports it, but declares no such resource\(Self.closest(to: address, in: declared.keys)), so nothing was imported: fix the address in .importing, or declare the resource."
                )
            }
            if providers[resource.typeName] is any LookupProvider {
                throw PlanError(
                    address: address, message: "\(resource.typeName) is a look-up, evaluated at every plan: remove it from .importing.")
            }
        }
        var reads = try await adoptionReads(stack, region: region)
        var report = ImportAllReport()
        var adoptions: [Adoption] = []
        for address in try StackValidator.dependencyGraph(stack).topologicalOrder() {
            guard let resource = declared[address], let provider = providers[resource.typeName], !(provider is any LookupProvider) else {
                continue
            }
            guard let id = stack.imports[address] else {
                if reads.records[address] == nil { report.notImported.append(address) }
                continue
            }
            // As Terraform's import blocks: what the state holds already is left alone, so that the declaration can stay.
            if let record = reads.records[address], !takeOwnership {
                var done = record.id == id
                do {
                    if !done {
                        done = try await supersededSince(record, importID: id, provider: provider, declared: reads.declared(resource).attributes)
                    }
                } catch {
                    throw PlanError(address: address, message: "reading \(id) from AWS failed, so nothing was imported: \(error)")
                }
                if done {
                    report.alreadyRecorded.append(address)
                    reads.known[address] = record.outputs
                    continue
                }
            }
            switch try await readForAdoption(
                resource, provider: provider, id: id, origin: .importing, reads: &reads, stack: stack, region: region, takeOwnership: takeOwnership)
            {
            case .adopt(let adoption): adoptions.append(adoption)
            case .recorded: report.alreadyRecorded.append(address)
            }
        }
        report.notImported.sort()
        report.alreadyRecorded.sort()
        let command = takeOwnership ? "import --all --take-ownership" : "import --all"
        guard
            let adopted = try await adopt(
                adoptions, stack: stack, region: region, command: command, takeOwnership: takeOwnership, lockTimeout: lockTimeout)
        else { return report }
        report.imported = zip(adoptions, adopted.tagged).map { .init(address: $0.resource.address, id: $0.live.id, tagged: $1) }
            .sorted { $0.address < $1.address }
        report.serial = adopted.serial
        return report
    }

    /// What adopting resources in one step starts from: the state's records (checked to be of `region`), who owns what
    /// before this state exists, and the stack's look-ups.
    func adoptionReads(_ stack: Stack, region: String) async throws -> AdoptionReads {
        var records: [String: RecordedResource] = [:]
        var lineage: String?
        if let store = try await self.store(for: stack, create: false) {
            defer { store.close() }
            let loaded = try load(store, codec: codec(create: false)).records
            try checkRegion(store, region: region, records: loaded)
            records = Dictionary(uniqueKeysWithValues: loaded.map { ($0.address, $0) })
            lineage = store.lineage
        }
        // Before this state exists, any owner is another state.
        return AdoptionReads(
            records: records, ownership: Ownership(stack: stack.name, environment: stack.environment.name, state: lineage),
            known: try await Planner(providers: providers).evaluateLookups(stack))
    }

    /// Reads the resource `id` to adopt it at `resource`'s address, with Cairn's own provider, its outputs then known to
    /// the declarations that follow. Refuses, writing nothing, when the read fails, AWS does not have it, another Cairn
    /// state owns it (unless `takeOwnership`) or the state holds the address as another resource; `.recorded` when the
    /// state holds it there already.
    func readForAdoption(
        _ resource: any ResourceDeclaration, provider: any ResourceProvider, id: String, origin: AdoptionOrigin, reads: inout AdoptionReads,
        stack: Stack, region: String, takeOwnership: Bool
    ) async throws -> AdoptionRead {
        let address = resource.address
        let (attributes, sensitive) = reads.declared(resource)
        let live: Observed?
        do {
            live = try await readImport(id, provider: provider, declared: attributes)
        } catch {
            throw PlanError(address: address, message: "reading \(origin.naming(id)) from AWS failed, so nothing was imported: \(error)")
        }
        guard let live else {
            throw PlanError(address: address, message: origin.missing(id, type: resource.typeName, region: region))
        }
        reads.known[address] = live.outputs
        if let owner = Ownership.owner(of: live.attributes), reads.ownership.isForeign(owner), !takeOwnership {
            throw PlanError(
                address: address,
                message: "\(origin.aside(live.id)) belongs to \(owner), so nothing was imported: \(origin.ownedAdvice)")
        }
        if let record = reads.records[address], !(takeOwnership && record.id == live.id) {
            guard record.id == live.id else {
                throw PlanError(
                    address: address,
                    message:
                        "it is already in the state as \(record.id), not \(origin.naming(live.id)), so nothing was imported: forget it first (`cairn state rm \(stack.name) \(address)`), or \(origin.recordedAdvice)."
                )
            }
            return .recorded(id: record.id)
        }
        return .adopt(Adoption(resource: resource, provider: provider, live: live, declared: attributes, sensitive: sensitive))
    }

    /// The live resource an import of `id` adopts: `id` itself, or, for a type whose updates make a new resource (a task
    /// definition's revision), the one its declaration names now (the family's latest revision) when `id` has been
    /// superseded (a deploy registered a newer revision and retired it). Nil when there is neither.
    func readImport(_ id: String, provider: any ResourceProvider, declared: [String: JSON]) async throws -> Observed? {
        if let live = try await provider.read(id: id, prior: declared) { return live }
        guard provider is any SupersededCleanup, let identity = provider.physicalID(for: declared), identity != id else { return nil }
        return try await provider.read(id: identity, prior: declared)
    }

    /// For a plan: reads again, as `readImport` does, each import the refresh found gone whose type supersedes (a task
    /// definition's revision that a deploy replaced), so that the plan imports what its declaration names now.
    func readSupersededImports(
        into refreshed: inout RefreshResults?, stack: Stack, skipping: Set<String>, lookups: [String: [String: JSON]]
    ) async {
        for resource in stack.resources where !skipping.contains(resource.address) {
            guard let id = stack.imports[resource.address], case .success(nil)? = refreshed?[resource.address],
                let provider = providers[resource.typeName], provider is any SupersededCleanup
            else { continue }
            var sensitive = Set<String>()
            let attributes = resource.attributes.mapValues { $0.resolve(sensitivePaths: &sensitive) { lookups[$0.address]?[$0.output] } }
            do {
                refreshed?[resource.address] = .success(try await readImport(id, provider: provider, declared: attributes))
            } catch {
                refreshed?[resource.address] = .failure(error)
            }
        }
    }

    /// Whether the state's `record` is what an import of `importID` adopted, superseded since: for a type whose updates
    /// make a new resource (a task definition's revision), the record and the declaration name the same one (family),
    /// and `importID` is gone or names it too.
    func supersededSince(
        _ record: RecordedResource, importID: String, provider: any ResourceProvider, declared: [String: JSON]
    ) async throws -> Bool {
        guard provider is any SupersededCleanup, let identity = provider.physicalID(for: record.attributes),
            provider.physicalID(for: declared) == identity
        else { return false }
        guard let imported = try await provider.read(id: importID, prior: declared) else { return true }
        return provider.physicalID(for: imported.attributes) == identity
    }

    /// Records `adoptions` in one commit under the stack's lock, each with its history row, after putting this state's
    /// ownership tags on those that take tags and lack them. Refuses, writing nothing, when another run recorded one of
    /// the addresses meanwhile. Nil when there was nothing to adopt; else the state's serial and, per adoption, whether
    /// it was tagged.
    func adopt(
        _ adoptions: [Adoption], stack: Stack, region: String, command: String, takeOwnership: Bool, lockTimeout: Duration
    ) async throws -> (serial: Int, tagged: [Bool])? {
        guard !adoptions.isEmpty, let store = try await self.store(for: stack, create: true) else { return nil }
        defer { store.close() }
        return try await withLock(store, command: command, timeout: lockTimeout) {
            let ownership = Ownership(stack: stack.name, environment: stack.environment.name, state: store.lineage)
            let recorded = try store.resources()
            for adoption in adoptions {
                let address = adoption.resource.address
                let id = adoption.live.id
                if let existing = try store.resource(at: address), !(takeOwnership && existing.physicalID == id) {
                    throw PlanError(
                        address: address,
                        message: "another run recorded it meanwhile (as \(existing.physicalID)), so nothing was imported: import again."
                    )
                }
                // Recorded where the declaration names another resource, the next plan would replace it. (Both names in the
                // provider's form: a security group's is its VPC and name, not its id.)
                if let declaredName = adoption.provider.physicalID(for: adoption.declared),
                    let liveName = adoption.provider.physicalID(for: adoption.live.attributes), declaredName != liveName
                {
                    throw PlanError(
                        address: address,
                        message:
                            "its declaration names \(declaredName), but \(liveName == id ? "this is \(id)" : "\(id) is \(liveName)"), so the next plan would replace it and what it holds would be lost; nothing was imported: import it at the declaration that names it, or declare its name here."
                    )
                }
                // Recorded twice, the next plan would delete it at the address no longer declared.
                if let other = recorded.first(where: { $0.type == adoption.resource.typeName && $0.physicalID == id && $0.address != address }) {
                    throw PlanError(
                        address: address,
                        message:
                            "\(id) is already in the state at \(other.address), so importing it here too would have the next plan delete it there; nothing was imported: move it instead (`cairn state mv \(stack.name) \(other.address) \(address)`, or declare .moved(from: \"\(other.address)\", to: \"\(address)\"))."
                    )
                }
            }
            try await recordRegion(store, region: region)
            let codec = try self.codec(create: true)
            var changes: [Change] = []
            var tagged: [Bool] = []
            var taggedSoFar: [String] = []
            for var adoption in adoptions {
                do {
                    tagged.append(try await tag(&adoption, ownership: ownership))
                } catch let error as PlanError where !taggedSoFar.isEmpty {
                    // Tags are AWS's, not the state's: those already put on stay, and say so.
                    throw PlanError(
                        address: error.address,
                        message:
                            "\(error.message) \(taggedSoFar.joined(separator: ", ")) already carry this state's ownership tags, which the next import (or plan) takes as this state's."
                    )
                }
                if tagged.last == true { taggedSoFar.append(adoption.live.id) }
                let record = try importedRecord(
                    adoption.resource, provider: adoption.provider, live: adoption.live, declared: adoption.declared,
                    sensitive: adoption.sensitive, codec: codec)
                changes.append(try store.resource(at: record.address) == nil ? .import(record) : .update(record))
            }
            return (try await store.commit(changes, command: command), tagged)
        }
    }

    /// Puts this state's ownership tags on an adoption that takes tags and lacks them, and reads it back. Returns whether it did.
    private func tag(_ adoption: inout Adoption, ownership: Ownership) async throws -> Bool {
        guard adoption.declared["tags"] != nil, case .object(let tags)? = adoption.live.attributes["tags"] else { return false }
        let wanted = ownership.tagging(.object(tags))
        guard wanted != .object(tags) else { return false }
        var attributes = adoption.live.attributes
        attributes["tags"] = wanted
        let address = adoption.resource.address
        do {
            let applied = try await adoption.provider.update(id: adoption.live.id, from: adoption.live.attributes, to: attributes)
            guard let live = try await adoption.provider.read(id: applied.id, prior: adoption.declared) else {
                throw PlanError(address: address, message: "\(applied.id) disappeared from AWS while this state's ownership tags were put on it.")
            }
            adoption.live = live
        } catch {
            throw PlanError(
                address: address,
                message:
                    "putting this state's ownership tags on \(adoption.live.id) failed, so nothing was recorded: \(error). Import again once that is fixed."
            )
        }
        return true
    }
}
