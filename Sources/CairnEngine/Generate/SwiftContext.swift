import CairnJSON

/// What a type's `swiftArguments` writes through while `cairn generate` declares one resource: values become literals or
/// references to the other resources found (as stack authors write them: `buildRole.arn.input`, `.output(vpc.id)`,
/// `"\(repository.uri):latest"`), secrets become `Secret.environment`, and what cannot be declared is reported, never
/// dropped. Used by one declaration at a time.
public final class SwiftContext {
    /// One output of a found resource that a value may name.
    struct Target {
        let address: String
        let typeName: String
        let variable: String
        let output: String
        let property: String
    }

    /// A secret a declaration reads from the environment.
    public struct SecretUse: Sendable, Hashable {
        public let variable: String
        public let address: String
        public let attribute: String
    }

    /// Output values → what has them, in a stable order.
    private var targets: [String: [Target]] = [:]
    /// List outputs (a look-up's subnet ids) → what has them.
    private var listTargets: [[String]: [Target]] = [:]
    /// Tags lifted to the stack: left out of each resource's own.
    let stackTags: [String: String]

    /// The resource being declared, and what it may not reference (to break a cycle).
    private(set) var address = ""
    /// The variable of the resource being declared, for names derived from it (`buildBuildspec`).
    public private(set) var variable = ""
    private var banned: Set<String> = []
    /// The addresses the current declaration references.
    private(set) var references: Set<String> = []
    /// Per address: attribute → why it cannot be declared.
    private(set) var unexpressed: [String: [String: String]] = [:]
    /// Per address: the attribute paths whose drift its declaration ignores (`ResourceOptions.ignoreDrift`), so that
    /// apply keeps AWS's value of what the declaration cannot say.
    private(set) var ignoredDrift: [String: [String]] = [:]
    /// Per address: why the resource cannot be declared at all (an attribute it needs cannot be said).
    private(set) var undeclarable: [String: String] = [:]
    /// The `type id` of every resource found, for a type that defers to another (a bucket's policy declared on its own).
    private var found: Set<String> = []
    private(set) var secrets: [SecretUse] = []
    /// File-level constants (multi-line text), by name.
    private(set) var constants: [String: String] = [:]
    private var constantValues: [String: String] = [:]

    init(stackTags: [String: String]) {
        self.stackTags = stackTags
    }

    func addTarget(value: JSON, address: String, typeName: String, variable: String, output: String, property: String) {
        let target = Target(address: address, typeName: typeName, variable: variable, output: output, property: property)
        switch value {
        case .string(let text) where !text.isEmpty: targets[text, default: []].append(target)
        case .array(let items) where !items.isEmpty:
            let strings = items.compactMap(\.stringValue)
            if strings.count == items.count { listTargets[strings.sorted(), default: []].append(target) }
        default: break
        }
    }

    /// Starts the declaration of `address`, which may not reference `banned`.
    func begin(_ address: String, banned: Set<String>) {
        self.address = address
        variable = address.split(separator: ".").last.map(String.init) ?? ""
        self.banned = banned
        references = []
        secrets.removeAll { $0.address == address }
        unexpressed[address] = nil
        ignoredDrift[address] = nil
        undeclarable[address] = nil
    }

    /// Notes that a resource of `typeName` with physical id `id` was found (and will be declared).
    func addFound(typeName: String, id: String) { found.insert("\(typeName) \(id)") }

    /// Whether a resource of `typeName` with physical id `id` is declared in the stack too.
    public func isFound(_ typeName: String, id: String) -> Bool { found.contains("\(typeName) \(id)") }

    private func usable(_ target: Target) -> Bool { target.address != address && !banned.contains(target.address) }

    private func use(_ target: Target) -> String {
        references.insert(target.address)
        return "\(target.variable).\(target.property)"
    }

    // MARK: Values

    /// A string literal.
    public func literal(_ text: String) -> String { SwiftCode.string(text) }

    /// An `Input<String>` for `text`: a reference when it is the ARN or URI of another resource found (`x.arn.input`),
    /// an interpolation when it starts with one (`"\(x.arn)/*"`, `"\(x.uri):latest"`), else the literal.
    public func input(_ text: String) -> String {
        if let target = targets[text]?.first(where: { usable($0) && ["arn", "uri"].contains($0.output) }) {
            return "\(use(target)).input"
        }
        if let interpolated = interpolation(text) { return interpolated }
        return literal(text)
    }

    /// An `Input<String>` for `text`, which names a resource of `type` by its `output` (a cluster by its name): that
    /// resource's output when one was found (`.output(cluster.clusterName)`), else as `input(_:)`.
    public func input(_ text: String, naming type: String, _ output: String) -> String {
        if let target = targets[text]?.first(where: { usable($0) && $0.typeName == type && $0.output == output }) {
            return ".output(\(use(target)))"
        }
        return input(text)
    }

    /// `[Input<String>]` of `texts`, each as `input(_:)`.
    public func inputs(_ texts: [String]) -> String { SwiftCode.array(texts.map { input($0) }) }

    /// The list output of a found look-up (`subnets.ids`) holding exactly `ids`, in any order; nil when none does.
    public func list(_ ids: [String], naming type: String, _ output: String) -> String? {
        guard let target = listTargets[ids.sorted()]?.first(where: { usable($0) && $0.typeName == type && $0.output == output }) else {
            return nil
        }
        return use(target)
    }

    /// `"…\(x.arn)…"` when `text` starts with the ARN or URI of another resource found, followed by `/`, `:` or `@`.
    private func interpolation(_ text: String) -> String? {
        var best: (target: Target, value: String)?
        for (value, found) in targets where text.count > value.count && text.hasPrefix(value) {
            let next = text[text.index(text.startIndex, offsetBy: value.count)]
            guard ["/", ":", "@"].contains(next), let target = found.first(where: { usable($0) && ["arn", "uri"].contains($0.output) }) else {
                continue
            }
            if best == nil || value.count > best!.value.count { best = (target, value) }
        }
        guard let best else { return nil }
        let rest = SwiftCode.string(String(text.dropFirst(best.value.count))).dropFirst()
        return "\"\\(\(use(best.target)))" + rest
    }

    /// `Secret.environment("VARIABLE")`, for a value AWS never returns; listed in the file's header and the output.
    public func secret(_ variable: String, attribute: String) -> String {
        secrets.append(SecretUse(variable: variable, address: address, attribute: attribute))
        return "Secret.environment(\(literal(variable)))"
    }

    /// Reports that `attribute` of the current resource cannot be declared, and why: listed in the output and the
    /// file's header, and the result counts as partial. The declaration must then leave the attribute out rather than
    /// write a value AWS does not have; `ignoringDrift` names the attribute path (`lifecycleRules`,
    /// `containers[0].logConfiguration`) that the declaration's `ignoreDrift` then holds, so that apply keeps AWS's
    /// value instead of enforcing the default left in its place.
    public func cannotExpress(_ attribute: String, _ reason: String, ignoringDrift path: String? = nil) {
        var reason = reason
        if let path {
            ignoreDrift(path)
            reason += "; left out, and ignoreDrift: [\"\(path)\"] keeps what AWS has"
        }
        unexpressed[address, default: [:]][attribute] = reason
    }

    /// Ignores drift on `path` of the current resource, without reporting anything: for an attribute another declaration
    /// of the stack manages (a bucket's policy declared as its own resource).
    public func ignoreDrift(_ path: String) {
        if !(ignoredDrift[address] ?? []).contains(path) { ignoredDrift[address, default: []].append(path) }
    }

    /// Leaves the current resource out of the stack, because something it cannot be declared without (a required
    /// attribute) cannot be said: listed, with `reason`, in the output and the file's header, and the result counts as
    /// partial. Other declarations name it by its literal ARN or name instead.
    public func cannotDeclare(_ reason: String) {
        undeclarable[address] = reason
    }

    /// A file-level constant named after `name` holding `text` (a buildspec), declared after the stack; returns its name.
    public func constant(_ name: String, _ text: String) -> String {
        if let existing = constantValues[text] { return existing }
        var candidate = name
        var n = 2
        while constants[candidate] != nil {
            candidate = "\(name)\(n)"
            n += 1
        }
        constants[candidate] = text
        constantValues[text] = candidate
        return candidate
    }

    /// The `tags:` argument for `live`'s tags: those not lifted to the stack, without Cairn's ownership tags; nil when
    /// none are left.
    public func tags(_ live: Observed) -> SwiftArgument? {
        guard let tags = live.attributes["tags"]?.objectValue else { return nil }
        var own: [String: String] = [:]
        for (key, value) in tags where !key.hasPrefix(Ownership.reservedPrefix) {
            guard let text = value.stringValue else { continue }
            if stackTags[key] != text { own[key] = text }
        }
        if own.isEmpty { return nil }
        return SwiftArgument("tags", SwiftCode.dictionary(own.mapValues(literal)))
    }
}
