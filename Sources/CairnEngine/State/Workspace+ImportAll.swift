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
        let existingOwnership = Ownership(stack: stack.name, environment: stack.environment.name, state: lineage)
        var known = try await Planner(providers: providers).evaluateLookups(stack)
        var report = ImportAllReport()
        var adoptions: [Adoption] = []
        for address in try StackValidator.dependencyGraph(stack).topologicalOrder() {
            guard let resource = declared[address], let provider = providers[resource.typeName], !(provider is any LookupProvider) else {
                continue
            }
            guard let id = stack.imports[address] else {
                if records[address] == nil { report.notImported.append(address) }
                continue
            }
            if let record = records[address], record.id == id, !takeOwnership {
                report.alreadyRecorded.append(address)
                known[address] = record.outputs
                continue
            }
            var sensitive = Set<String>()
            var attributes: [String: JSON] = [:]
            for (key, value) in resource.attributes {
                attributes[key] = value.resolve(path: key, sensitivePaths: &sensitive) { known[$0.address]?[$0.output] }
            }
            let live: Observed?
            do {
                live = try await provider.read(id: id, prior: attributes)
            } catch {
                throw PlanError(address: address, message: "reading \(id) from AWS failed, so nothing was imported: \(error)")
            }
            guard let live else {
                throw PlanError(
                    address: address,
                    message:
                        "AWS has no \(resource.typeName) with id '\(id)' in \(region), so nothing was imported: fix the id in .importing, or remove it there to have the next apply create it."
                )
            }
            known[address] = live.outputs
            if let owner = Ownership.owner(of: live.attributes), existingOwnership.isForeign(owner), !takeOwnership {
                throw PlanError(
                    address: address,
                    message:
                        "\(live.id) belongs to \(owner), so nothing was imported: manage it from that state, or move it here deliberately with --take-ownership (then destroy it only from here)."
                )
            }
            if let record = records[address], record.id != live.id {
                throw PlanError(
                    address: address,
                    message:
                        "it is already in the state as \(record.id), not \(live.id), so nothing was imported: forget it first (`cairn state rm \(stack.name) \(address)`), or fix the id in .importing."
                )
            }
            adoptions.append(Adoption(resource: resource, provider: provider, live: live, declared: attributes, sensitive: sensitive))
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
