import CairnJSON

/// What a plan covers and forces beyond the declaration, as Terraform's `-target` and `-replace` do.
public struct PlanScope: Sendable, Hashable {
    /// The addresses to plan, with what they depend on (a destroy: with what depends on them); empty for the
    /// whole stack. Each must be declared or in the state.
    public var targets: [String]
    /// Declared addresses to replace although nothing about them changed.
    public var replace: [String]

    public init(targets: [String] = [], replace: [String] = []) {
        self.targets = targets
        self.replace = replace
    }

    /// The warning a targeted plan, apply, destroy or drift check carries, as Terraform's does: the result is partial.
    public static func targetingWarning(_ targets: [String], destroy: Bool = false) -> String {
        let list = targets.joined(separator: ", ")
        let one = targets.count == 1
        let related = destroy ? "what depends on \(one ? "it" : "them")" : "what \(one ? "it depends" : "they depend") on"
        return
            "Resource targeting is in effect: this covers only \(list) and \(related), so the plan may not show every change the declaration calls for; use --target to recover from mistakes, not routinely."
    }

    /// What the scope is resolved for.
    public enum Purpose: Sendable {
        /// A plan: targets with what they depend on, the stack's declared moves applied.
        case plan
        /// A destroy: targets with what depends on them, where the state holds them (no move).
        case destroy
        /// A drift check: targets with what they depend on, the stack's declared moves applied (in memory only: the
        /// next apply records them), so that a moved resource is checked, and targeted, at its new address.
        case drift
    }

    /// The scope checked against `stack` and the state's `records` (for a plan, with the stack's declared moves
    /// applied to them). Throws, naming the closest existing address, when a target or a replace names nothing; a
    /// move onto an address the state already holds, or to one the stack does not declare, throws too.
    public func resolve(stack: Stack, records: [RecordedResource], for purpose: Purpose = .plan) throws -> Resolved {
        let declared = Dictionary(stack.resources.map { ($0.address, $0) }, uniquingKeysWith: { a, _ in a })
        let destroy = purpose == .destroy
        var resolved = Resolved(records: records)
        if purpose != .destroy { try resolved.applyMoves(stack.moves, declared: declared, stack: stack) }
        let recorded = Dictionary(resolved.records.map { ($0.address, $0) }, uniquingKeysWith: { a, _ in a })
        let movedTo = Dictionary(resolved.movedFrom.map { ($0.value, $0.key) }, uniquingKeysWith: { a, _ in a })
        let known = Set(declared.keys).union(recorded.keys).union(movedTo.keys)
        /// The address as the plan has it: a moved resource's old address means its new one.
        func checked(_ address: String, option: String) throws -> String {
            guard known.contains(address) else { throw Self.unknown(address, option: option, known: known, stack: stack) }
            return movedTo[address] ?? address
        }
        for address in replace {
            let current = try checked(address, option: "--replace")
            guard declared[current] != nil else {
                throw PlanError(
                    address: address,
                    message: "--replace names a resource the stack no longer declares (the plan deletes it), so there is nothing to replace it with.")
            }
            resolved.replace.insert(current)
        }
        guard !targets.isEmpty else { return resolved }
        var pending = try targets.map { try checked($0, option: "--target") } + resolved.replace
        // Dependents, for a destroy: what would break once a target is gone.
        var dependents: [String: [String]] = [:]
        for record in resolved.records {
            for dependency in record.dependencies { dependents[dependency, default: []].append(record.address) }
        }
        var included = Set<String>()
        while let address = pending.popLast() {
            guard included.insert(address).inserted else { continue }
            // What a create-before-destroy replacement left at `ADDRESS#deposed-N` goes with its address.
            pending += recorded.keys.filter { Self.isDeposed($0, of: address) }
            if destroy {
                pending += dependents[address] ?? []
            } else if let resource = declared[address] {
                pending += resource.dependencies
            } else {
                // Deleted from the declaration: whatever else is deleted and depends on it goes first.
                pending += (dependents[address] ?? []).filter { declared[$0] == nil }
            }
        }
        resolved.included = included
        resolved.targets = targets
        resolved.warnings.append(Self.targetingWarning(targets, destroy: destroy))
        return resolved
    }

    /// The scope of a plan, resolved against a stack and its state.
    public struct Resolved: Sendable {
        /// The state's resources, those a declared move renames at their new address.
        public var records: [RecordedResource]
        /// The declared moves that apply: new address → the address the state holds it at.
        public var movedFrom: [String: String] = [:]
        /// The addresses the plan covers; nil for the whole stack.
        public var included: Set<String>?
        /// The addresses to replace.
        public var replace: Set<String> = []
        /// The targets as asked for.
        public var targets: [String] = []
        /// What the plan must warn about.
        public var warnings: [String] = []

        public init(records: [RecordedResource]) { self.records = records }

        /// Whether the plan covers `address`.
        public func includes(_ address: String) -> Bool { included?.contains(address) ?? true }

        /// `stack` with only the resources the plan covers.
        public func narrowing(_ stack: Stack) -> Stack {
            guard included != nil else { return stack }
            return Stack(
                name: stack.name, region: stack.region, environment: stack.environment,
                resources: stack.resources.filter { includes($0.address) }, outputs: stack.outputs, tags: stack.tags, moves: stack.moves)
        }

        /// `byOldAddress` (sensitive paths by address) keyed by the addresses after the moves.
        func renamed<T>(_ byOldAddress: [String: T]) -> [String: T] {
            var result = byOldAddress
            for (new, old) in movedFrom {
                result[new] = result.removeValue(forKey: old)
            }
            return result
        }

        /// Applies `moves` in the order declared (so that A → B then B → C moves A to C), each once: a move whose
        /// source the state does not hold (done already, or never applied) is skipped.
        mutating func applyMoves(_ moves: [ResourceMove], declared: [String: any ResourceDeclaration], stack: Stack) throws {
            guard !moves.isEmpty else { return }
            var current = Dictionary(records.map { ($0.address, $0.address) }, uniquingKeysWith: { a, _ in a })
            let ids = Dictionary(records.map { ($0.address, $0.id) }, uniquingKeysWith: { a, _ in a })
            for move in moves {
                guard let original = current[move.from] else { continue }
                if let occupant = current[move.to] {
                    throw PlanError(
                        address: move.to,
                        message:
                            "\(move) would put \(move.from) where the state already holds \(ids[occupant] ?? occupant): forget one of them first with `cairn state rm \(stack.name) ADDRESS`, or move it to a free address."
                    )
                }
                current[move.from] = nil
                current[move.to] = original
            }
            for (address, original) in current where address != original {
                guard declared[address] == nil else {
                    movedFrom[address] = original
                    continue
                }
                throw PlanError(
                    address: address,
                    message:
                        "a declared move renames \(original) (\(ids[original] ?? original)) to this address, which the stack does not declare: declare the resource here, or remove the move."
                )
            }
            let renamed = Dictionary(movedFrom.map { ($0.value, $0.key) }, uniquingKeysWith: { a, _ in a })
            records = records.map { record in
                var record = record
                record.address = renamed[record.address] ?? record.address
                record.dependencies = record.dependencies.map { renamed[$0] ?? $0 }
                return record
            }
        }
    }

    /// The address where a create-before-destroy replacement keeps the resource it replaces until it is deleted.
    static func deposedAddress(of address: String, taken: (String) throws -> Bool) rethrows -> String {
        var number = 1
        while try taken("\(address)#deposed-\(number)") { number += 1 }
        return "\(address)#deposed-\(number)"
    }

    /// Whether `address` holds what a create-before-destroy replacement of `resource` left.
    static func isDeposed(_ address: String, of resource: String? = nil) -> Bool {
        guard let range = address.range(of: "#deposed-") else { return false }
        return resource.map { address[..<range.lowerBound] == $0 } ?? true
    }

    /// The error for an address that is neither declared nor in the state, naming the closest that is.
    static func unknown(_ address: String, option: String, known: Set<String>, stack: Stack) -> PlanError {
        let hint = known.closest(to: address).map { "did you mean \($0)?" } ?? "the stack declares nothing and its state is empty."
        return PlanError(
            address: address, message: "\(option) names no resource that '\(stack.name)' declares or holds in its state: \(hint)")
    }
}
