import CairnGraph

/// Everything wrong with a stack's declarations, found before any API call.
public struct StackValidationError: Error, Sendable, CustomStringConvertible {
    public let stack: String
    public let issues: [ValidationIssue]

    public var description: String {
        let lines = issues.map { "  - \($0)" }.joined(separator: "\n")
        return
            "The stack '\(stack)' has \(issues.count) problem\(issues.count == 1 ? "" : "s"); fix \(issues.count == 1 ? "it" : "them") in its declaration:\n\(lines)"
    }
}

/// Checks a stack before anything talks to AWS: duplicate names, unknown types and references,
/// cycles, and each resource's own rules (names, policies).
public enum StackValidator {
    /// - Parameter secrets: whether a secret that cannot be read is a problem; commands that only show the
    ///   stack's shape (`graph`) need no secret.
    public static func validate(_ stack: Stack, providers: ProviderRegistry, secrets: Bool = true) throws(StackValidationError) {
        var issues: [ValidationIssue] = []
        for (key, value) in stack.tags.sorted(by: { $0.key < $1.key }) {
            if let problem = TagRules.problem(key: key, value: value) {
                issues.append(ValidationIssue(address: stack.name, attribute: "tags.\(key)", message: problem))
            }
        }
        var addresses: [String: Int] = [:]
        for resource in stack.resources { addresses[resource.address, default: 0] += 1 }
        for (address, count) in addresses.sorted(by: { $0.key < $1.key }) where count > 1 {
            issues.append(ValidationIssue(address: address, message: "is declared \(count) times: give each resource its own logical name."))
        }
        // Declarations build their attributes on every access: each is built once here.
        let declaredAttributes = stack.resources.map(\.attributes)
        for (resource, attributes) in zip(stack.resources, declaredAttributes) {
            if providers[resource.typeName] == nil {
                issues.append(
                    ValidationIssue(
                        address: resource.address,
                        message: "has type \(resource.typeName), which no provider registers: register it in awsProviders(client:)."))
            }
            if resource.logicalName.isEmpty || !resource.logicalName.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" }) {
                issues.append(
                    ValidationIssue(
                        address: resource.address,
                        message: "the logical name '\(resource.logicalName)' may contain only letters, digits, '_' and '-'."))
            }
            let sortedAttributes = attributes.sorted(by: { $0.key < $1.key })
            for (attribute, value) in sortedAttributes {
                var referenced = Set<String>()
                collectReferencedAddresses(value, into: &referenced)
                guard referenced.contains(where: { addresses[$0] == nil }) else { continue }
                for reference in value.references.sorted() where addresses[reference.address] == nil {
                    issues.append(
                        ValidationIssue(
                            address: resource.address, attribute: attribute,
                            message: "refers to \(reference.address), which is not in the stack: add it to the stack or remove the reference."))
                }
            }
            for (attribute, value) in sortedAttributes where secrets {
                for missing in value.missingSecrets(path: attribute) {
                    issues.append(
                        ValidationIssue(
                            address: resource.address, attribute: missing.path,
                            message: "is a secret read from \(missing.source), which is not set: set it (secrets never live in the code)."))
                }
            }
            for dependency in resource.options.dependsOn where addresses[dependency] == nil {
                issues.append(
                    ValidationIssue(
                        address: resource.address, attribute: "dependsOn",
                        message: "names \(dependency), which is not in the stack: add it or remove it from dependsOn."))
            }
            issues += resource.validate()
            // The stack's tags join the resource's own (see `Planner.plan`): together within AWS's limit.
            if !stack.tags.isEmpty, case .json(.object(let own))? = attributes["tags"],
                let problem = TagRules.countProblem(Set(own.keys).union(stack.tags.keys).count), TagRules.countProblem(own.count) == nil
            {
                issues.append(ValidationIssue(address: resource.address, attribute: "tags", message: "with the stack's tags, " + problem))
            }
        }
        for (name, value) in stack.outputs.sorted(by: { $0.key < $1.key }) {
            for reference in value.references.sorted() where addresses[reference.address] == nil {
                issues.append(
                    ValidationIssue(
                        address: stack.name, attribute: "outputs.\(name)",
                        message: "refers to \(reference.address), which is not in the stack."))
            }
        }
        issues += moveIssues(stack, declared: addresses)
        if issues.isEmpty, let cycle = dependencyGraph(stack, attributes: declaredAttributes).findCycle() {
            issues.append(
                ValidationIssue(
                    address: cycle[0],
                    message:
                        "is part of a dependency cycle: \((cycle + [cycle[0]]).joined(separator: " → ")); break it by removing one reference or dependsOn."
                ))
        }
        if !issues.isEmpty { throw StackValidationError(stack: stack.name, issues: issues) }
    }

    /// What is wrong with the stack's declared moves on their own: addresses that are not `TYPE.NAME`, a move
    /// across types (a move keeps the resource, whose type cannot change), a source still declared, a source moved twice.
    static func moveIssues(_ stack: Stack, declared: [String: Int]) -> [ValidationIssue] {
        var issues: [ValidationIssue] = []
        var sources = Set<String>()
        func type(of address: String) -> Substring? {
            let parts = address.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
            return parts.count == 2 && !parts[0].isEmpty && !parts[1].isEmpty ? parts[0] : nil
        }
        for move in stack.moves {
            func issue(_ message: String) { issues.append(ValidationIssue(address: stack.name, attribute: move.description, message: message)) }
            guard let from = type(of: move.from), let to = type(of: move.to) else {
                issue("both addresses must be resource addresses, TYPE.NAME (aws_s3_bucket.artifacts).")
                continue
            }
            if from != to {
                issue("moves a \(from) to an address of another type (\(to)): a move keeps the resource, so both addresses must have type \(from).")
            } else if move.from == move.to {
                issue("moves a resource onto its own address: remove the move.")
            }
            if declared[move.from] != nil {
                issue("\(move.from) is still declared: a move renames it, so remove its old declaration (or the move).")
            }
            if !sources.insert(move.from).inserted { issue("moves \(move.from) a second time: keep one move per address.") }
        }
        return issues
    }

    /// The declared resources and their dependency edges.
    public static func dependencyGraph(_ stack: Stack) -> DependencyGraph<String> {
        dependencyGraph(stack, attributes: stack.resources.map(\.attributes))
    }

    /// The dependency graph, from each resource's attributes built beforehand (`attributes[i]` is
    /// `stack.resources[i].attributes`).
    static func dependencyGraph(_ stack: Stack, attributes: [[String: Value]]) -> DependencyGraph<String> {
        var graph = DependencyGraph<String>()
        for resource in stack.resources { graph.add(resource.address) }
        for (resource, attributes) in zip(stack.resources, attributes) {
            for dependency in dependencies(of: resource, attributes: attributes).sorted() where graph.contains(dependency) {
                graph.addDependency(resource.address, on: dependency)
            }
        }
        return graph
    }

    /// `resource.dependencies`, from its attributes built beforehand: what they reference, and `dependsOn`.
    static func dependencies(of resource: any ResourceDeclaration, attributes: [String: Value]) -> Set<String> {
        var result = Set(resource.options.dependsOn)
        for value in attributes.values { collectReferencedAddresses(value, into: &result) }
        result.remove(resource.address)
        return result
    }

    /// The addresses of `value.references`, added to `addresses` without building a set per level.
    static func collectReferencedAddresses(_ value: Value, into addresses: inout Set<String>) {
        switch value {
        case .json: return
        case .reference(let reference): addresses.insert(reference.address)
        case .concat(let parts), .array(let parts): for part in parts { collectReferencedAddresses(part, into: &addresses) }
        case .object(let members): for member in members.values { collectReferencedAddresses(member, into: &addresses) }
        case .sensitive(let inner): collectReferencedAddresses(inner, into: &addresses)
        }
    }
}
