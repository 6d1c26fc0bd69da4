import CairnJSON
import CairnState
import Foundation

/// What `cairn import --from-terraform` did with each resource of the Terraform state and each declaration.
public struct TerraformImportReport: Sendable {
    /// A Terraform resource now in Cairn's state (or already there from an earlier import).
    public struct Imported: Sendable, Hashable {
        /// Its address in the Terraform state.
        public let terraformAddress: String
        /// The declared Cairn address it was recorded at.
        public let address: String
        /// The physical id recorded.
        public let id: String
        /// How the two were matched: `by name`, `by the map`, `by address`, …
        public let matchedBy: String
        /// Whether this import put this state's ownership tags on it.
        public let tagged: Bool
        /// True when an earlier import had recorded it already: nothing was written for it.
        public let alreadyRecorded: Bool
    }

    /// A Terraform resource whose settings Cairn keeps as an attribute of a parent resource.
    public struct Covered: Sendable, Hashable {
        public let terraformAddress: String
        /// The parent: its Cairn address when imported, else its Terraform address or name.
        public let parent: String
        /// The parent's Cairn attribute that holds these settings.
        public let attribute: String
        /// Whether the parent was imported.
        public let parentImported: Bool

        public init(terraformAddress: String, parent: String, attribute: String, parentImported: Bool) {
            self.terraformAddress = terraformAddress
            self.parent = parent
            self.attribute = attribute
            self.parentImported = parentImported
        }
    }

    /// A Terraform resource left out, and why.
    public struct Skipped: Sendable, Hashable {
        public let terraformAddress: String
        public let reason: String

        public init(terraformAddress: String, reason: String) {
            self.terraformAddress = terraformAddress
            self.reason = reason
        }
    }

    public var imported: [Imported] = []
    public var covered: [Covered] = []
    public var skipped: [Skipped] = []
    /// Declared resources (look-ups aside) that no Terraform resource matched: the next apply creates them.
    public var notInTerraform: [String] = []
    /// The state's serial after the import; nil when nothing was written.
    public var serial: Int?
}

/// `cairn import --from-terraform`: adopting what a Terraform state manages, matched to the declarations.
extension Workspace {
    /// Adopts every resource of `terraform` that a declaration of `stack` matches: by the map, else by identity
    /// (the attributes that make the Cairn provider's physical id: a name, a bucket, a cluster and a service name),
    /// else, for types whose id AWS chooses, by address or as the only one of its type. Each match is read live
    /// with Cairn's own provider (in dependency order, so that a service's cluster name is known from the cluster's
    /// read), given this state's ownership tags, and all of them are recorded in one commit under the stack's lock,
    /// each with its history row: when the declarations agree with what Terraform made, the next plan has no changes.
    ///
    /// Nothing is written when anything fails: a bad map, an ambiguous match, a resource Terraform lists but AWS no
    /// longer has, one that another Cairn state owns (unless `takeOwnership`), one already in the state as another
    /// resource, or a failed read or tag. Terraform resources without a Cairn type, folded into a parent (a bucket's
    /// versioning) or matching no declaration are reported, as are declarations Terraform has nothing for.
    public func importFromTerraform(
        _ stack: Stack, state terraform: TerraformState, map: TerraformAddressMap = TerraformAddressMap(),
        table: TerraformTypeTable, region: String, takeOwnership: Bool = false, lockTimeout: Duration = .zero
    ) async throws -> TerraformImportReport {
        let managed = terraform.instances.filter { !$0.isData && $0.isAWS }
        guard !managed.isEmpty else {
            throw TerraformImportError(
                "\(terraform.path) holds no AWS resources (\(terraform.instances.count) resource instance\(terraform.instances.count == 1 ? "" : "s") of other providers or data sources): there is nothing for Cairn to import."
            )
        }
        try StackValidator.validate(stack, providers: providers)
        let importable = stack.resources.filter { providers[$0.typeName].map { !($0 is any LookupProvider) } ?? false }
        let declared = Dictionary(uniqueKeysWithValues: importable.map { ($0.address, $0) })
        let assigned = try assignments(map, terraform: terraform, managed: managed, declared: declared, table: table, stack: stack)
        var claimed = Set(map.entries.keys)

        var reads = try await adoptionReads(stack, region: region)
        var declaredPerType: [String: Int] = [:]
        for resource in importable { declaredPerType[resource.typeName, default: 0] += 1 }
        var matches: [TerraformMatch] = []
        var report = TerraformImportReport()
        for address in try StackValidator.dependencyGraph(stack).topologicalOrder() {
            guard let resource = declared[address], let provider = providers[resource.typeName] else { continue }
            let attributes = reads.declared(resource).attributes
            let candidates = managed.filter { !claimed.contains($0.address) && table.mapping(forTerraform: $0.type)?.cairnType == resource.typeName }
            guard
                let (instance, matchedBy) = try assigned[address].map({ ($0, "by the map") })
                    ?? match(
                        resource, provider: provider, attributes: attributes, candidates: candidates, table: table,
                        onlyOfItsType: declaredPerType[resource.typeName] == 1)
            else {
                report.notInTerraform.append(address)
                continue
            }
            claimed.insert(instance.address)
            let mapping = table.mapping(forTerraform: instance.type)
            let identity = mapping?.identityAttributes(of: instance).flatMap(provider.physicalID(for:))
            guard let readID = mapping?.readID.flatMap(instance.string) ?? identity ?? instance.string("id") else {
                throw TerraformImportError(
                    "\(address): Terraform's \(instance.address) records no id to read it by: refresh Terraform's state and import again.")
            }
            let read = try await readForAdoption(
                resource, provider: provider, id: readID, origin: .terraform(instance.address), reads: &reads, stack: stack, region: region,
                takeOwnership: takeOwnership)
            switch read {
            case .recorded(let id):
                report.imported.append(
                    .init(terraformAddress: instance.address, address: address, id: id, matchedBy: matchedBy, tagged: false, alreadyRecorded: true))
            case .adopt(let adoption):
                // A map may pair a resource with a declaration that names another: recorded there, the next plan would
                // replace it, deleting what it holds.
                if assigned[address] != nil, let declaredName = provider.physicalID(for: attributes),
                    let liveName = provider.physicalID(for: adoption.live.attributes), declaredName != liveName
                {
                    throw TerraformImportError(
                        "the map puts Terraform's \(instance.address) (\(liveName)) at \(address), which declares \(declaredName), so the next plan would replace it and what it holds would be lost; nothing was imported: map it to the declaration that names \(liveName), or declare that name at \(address)."
                    )
                }
                matches.append(TerraformMatch(adoption: adoption, instance: instance, matchedBy: matchedBy))
            }
        }
        report.notInTerraform.sort()
        classifyTheRest(
            of: terraform, managed: managed, claimed: claimed, map: map,
            matches: report.imported.map { ($0.terraformAddress, $0.address) } + matches.map { ($0.instance.address, $0.adoption.resource.address) },
            table: table, into: &report)
        guard !matches.isEmpty || !report.imported.isEmpty else {
            throw TerraformImportError(
                "no resource in \(terraform.path) matches a declaration of \(stack.name) by type and name, so nothing was imported: check the stack and --env, or pair them with --map FILE ({\"TERRAFORM_ADDRESS\": \"CAIRN_ADDRESS\"})."
            )
        }
        report.imported.sort { $0.address < $1.address }
        if matches.isEmpty { return report }

        let command = "import --from-terraform \(terraform.path)"
        guard
            let adopted = try await adopt(
                matches.map(\.adoption), stack: stack, region: region, command: command, takeOwnership: takeOwnership, lockTimeout: lockTimeout)
        else { return report }
        for (match, tagged) in zip(matches, adopted.tagged) {
            report.imported.append(
                .init(
                    terraformAddress: match.instance.address, address: match.adoption.resource.address, id: match.adoption.live.id,
                    matchedBy: match.matchedBy, tagged: tagged, alreadyRecorded: false))
        }
        report.serial = adopted.serial
        report.imported.sort { $0.address < $1.address }
        return report
    }

    /// The map's pairs, checked: each Terraform address is in the state, each Cairn address declared, of the type
    /// that manages the Terraform one, and named once.
    private func assignments(
        _ map: TerraformAddressMap, terraform: TerraformState, managed: [TerraformState.Instance], declared: [String: any ResourceDeclaration],
        table: TerraformTypeTable, stack: Stack
    ) throws -> [String: TerraformState.Instance] {
        let instances = Dictionary(managed.map { ($0.address, $0) }, uniquingKeysWith: { a, _ in a })
        var assigned: [String: TerraformState.Instance] = [:]
        for (source, target) in map.entries.sorted(by: { $0.key < $1.key }) {
            guard let instance = instances[source] else {
                throw TerraformImportError(
                    "the map names \(source), which \(terraform.path) does not hold as an AWS resource\(Self.closest(to: source, in: instances.keys)): use an address that `terraform state list` prints."
                )
            }
            guard let target else { continue }
            guard let resource = declared[target] else {
                throw TerraformImportError(
                    "the map puts \(source) at \(target), which \(stack.name) does not declare\(Self.closest(to: target, in: declared.keys)): use an address that `cairn graph \(stack.name)` shows."
                )
            }
            guard let mapping = table.mapping(forTerraform: instance.type) else {
                throw TerraformImportError(
                    "the map puts \(source) at \(target), but Cairn has no type for \(instance.type): leave it out of the map.")
            }
            guard mapping.cairnType == resource.typeName else {
                throw TerraformImportError(
                    "the map puts \(source), which Cairn manages as \(mapping.cairnType), at \(target), a \(resource.typeName): put it at a declared \(mapping.cairnType)."
                )
            }
            if let other = assigned[target] {
                throw TerraformImportError("the map puts both \(other.address) and \(source) at \(target): map each declared resource once.")
            }
            assigned[target] = instance
        }
        return assigned
    }

    /// The Terraform instance among `candidates` that `resource` declares, and how it was matched: by identity when
    /// the declared physical id is known, else by the same address, else (for a type without identity) as the only
    /// one of its type on both sides. Nil when none matches; throws when several do.
    private func match(
        _ resource: any ResourceDeclaration, provider: any ResourceProvider, attributes: [String: JSON], candidates: [TerraformState.Instance],
        table: TerraformTypeTable, onlyOfItsType: Bool
    ) throws -> (TerraformState.Instance, String)? {
        if let id = provider.physicalID(for: attributes) {
            let found = candidates.filter { instance in
                table.mapping(forTerraform: instance.type)?.identityAttributes(of: instance).flatMap(provider.physicalID(for:)) == id
            }
            if found.count > 1 {
                throw TerraformImportError(
                    "\(resource.address): \(found.map(\.address).joined(separator: " and ")) are all named \(id) in the Terraform state: say which one with --map FILE ({\"\(found[0].address)\": \"\(resource.address)\"})."
                )
            }
            if let instance = found.first {
                let attributes = table.mapping(forTerraform: instance.type)?.identity.keys.sorted() ?? []
                return (instance, "by \(attributes.joined(separator: " and "))")
            }
            return nil
        }
        if let instance = candidates.first(where: { $0.address == resource.address }) { return (instance, "by address") }
        if onlyOfItsType, candidates.count == 1, let instance = candidates.first, table.mapping(forTerraform: instance.type)?.identity.isEmpty == true
        {
            return (instance, "as the only \(resource.typeName)")
        }
        return nil
    }

    /// Reports every Terraform instance not imported: folded into a parent, matching no declaration, without a Cairn
    /// type, left out by the map, a data source, or another provider's.
    private func classifyTheRest(
        of terraform: TerraformState, managed: [TerraformState.Instance], claimed: Set<String>, map: TerraformAddressMap,
        matches: [(terraform: String, cairn: String)], table: TerraformTypeTable, into report: inout TerraformImportReport
    ) {
        let importedAt = Dictionary(matches.map { ($0.terraform, $0.cairn) }, uniquingKeysWith: { a, _ in a })
        for instance in terraform.instances where importedAt[instance.address] == nil {
            func skip(_ reason: String) { report.skipped.append(.init(terraformAddress: instance.address, reason: reason)) }
            if instance.isData {
                skip("a data source: Cairn evaluates its look-ups at every plan")
                continue
            }
            if !instance.isAWS {
                skip("not an AWS resource (\(instance.provider.isEmpty ? "no provider" : instance.provider))")
                continue
            }
            if case .some(.none) = map.entries[instance.address] {
                skip("left out by the map")
                continue
            }
            if let folded = table.folded(forTerraform: instance.type) {
                let link = instance.string(folded.link) ?? "?"
                let parent = managed.first { $0.type == folded.parentType && $0.string(folded.parentAttribute) == link }
                report.covered.append(
                    .init(
                        terraformAddress: instance.address,
                        parent: parent.flatMap { importedAt[$0.address] } ?? parent?.address ?? "\(folded.parentType) \(link)",
                        attribute: folded.cairnAttribute, parentImported: parent.flatMap { importedAt[$0.address] } != nil))
                continue
            }
            guard let mapping = table.mapping(forTerraform: instance.type) else {
                skip("Cairn has no type for \(instance.type)")
                continue
            }
            let names = mapping.identity.keys.sorted().compactMap { key in instance.string(key).map { "\(key) \($0)" } }
            skip(
                names.isEmpty
                    ? "no declared \(mapping.cairnType) matches it: pair it with one in --map FILE"
                    : "no declared \(mapping.cairnType) has its \(names.joined(separator: ", ")): declare it, or pair it with one in --map FILE")
        }
    }

    /// ` (did you mean X?)` with the closest of `candidates` to `name`, or nothing when there are none.
    static func closest(to name: String, in candidates: some Sequence<String>) -> String {
        guard let best = candidates.closest(to: name) else { return "" }
        return " (did you mean \(best)?)"
    }
}

/// A declared resource and the Terraform instance it was matched to, as read live.
private struct TerraformMatch {
    let adoption: Adoption
    let instance: TerraformState.Instance
    let matchedBy: String
}
