import CairnGraph
import CairnJSON
import Foundation

/// Which live resources `cairn generate` takes.
public enum DiscoveryFilter: Sendable, Hashable {
    /// Resources whose name, or a `/`-separated part of it (a log group's `/ecs/NAME`), starts with one of these.
    case namePrefixes([String])
    /// Resources carrying this tag.
    case tag(key: String, value: String)
    /// Exactly these resources: type name (`aws_iam_role`) and physical id, as `cairn import` takes them.
    case ids([(type: String, id: String)])

    public static func == (a: DiscoveryFilter, b: DiscoveryFilter) -> Bool { a.description == b.description }
    public func hash(into hasher: inout Hasher) { hasher.combine(description) }

    var description: String {
        switch self {
        case .namePrefixes(let prefixes): return "names starting with \(prefixes.joined(separator: " or "))"
        case .tag(let key, let value): return "the tag \(key)=\(value)"
        case .ids(let ids): return ids.map { "\($0.type) \($0.id)" }.joined(separator: ", ")
        }
    }
}

/// A stack `cairn generate` wrote.
public struct GeneratedStack: Sendable {
    /// The Swift file: the `StackDefinition`, its imports and the constants it uses.
    public var source: String
    /// The variable holding the `StackDefinition`, for `CairnMain.main(stacks: [...])`.
    public var variable: String
    /// The addresses and ids `cairn import STACK --all` adopts.
    public var imports: [(address: String, id: String)]
    /// Values read from the environment, as `VARIABLE: address attribute`.
    public var secrets: [String]
    /// What could not be declared, one line each (`address: attribute: why`, or a resource left out and why).
    public var unexpressed: [String]
    /// Cairn types whose resources generate does not search yet: resources of these types were not looked for (none
    /// with a list of ids).
    public var typesNotSearched: [String]
    /// Complete: every type was searched, and everything found is declared as AWS has it.
    public var isComplete: Bool { unexpressed.isEmpty && typesNotSearched.isEmpty }
}

/// Why `cairn generate` wrote nothing, as one sentence.
public struct GenerateError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// Writes the Swift stack for live resources: discovers them (`DiscoverableProvider`), reads each with the provider
/// plan uses, and declares each one with its type's `swiftArguments`, references resolved between them, in dependency
/// order, tags shared by all lifted to the stack, and the mapping that `cairn import STACK --all` adopts them by.
public struct StackGenerator: Sendable {
    public let providers: ProviderRegistry
    public let region: String
    /// Kinds Cairn has no type for, searched by name so that what matches is reported as not declared.
    public let undeclarable: [any UndeclarableDiscovery]
    /// What the generated stack's state already records, by type and id: a resource found there is read as a plan
    /// reads it (with its record), and what AWS never returns (`forceDestroy`, a key's deletion window) is taken from
    /// it, so that the generated stack plans no changes against that state.
    public let recorded: [RecordedID: [String: JSON]]

    /// A resource's type and physical id.
    public struct RecordedID: Hashable, Sendable {
        public let typeName: String
        public let id: String
        public init(typeName: String, id: String) {
            self.typeName = typeName
            self.id = id
        }
    }

    public init(
        providers: ProviderRegistry, region: String, undeclarable: [any UndeclarableDiscovery] = [],
        recorded: [RecordedID: [String: JSON]] = [:]
    ) {
        self.providers = providers
        self.region = region
        self.undeclarable = undeclarable
        self.recorded = recorded
    }

    /// One resource found and read.
    struct Found {
        let typeName: String
        let provider: any DiscoverableProvider
        let name: String
        let live: Observed
        var variable = ""
        var address: String { "\(typeName).\(variable)" }
    }

    /// Generates the stack `stackName` of what `filter` finds. `command` is the command line, quoted in the file's
    /// header. Throws `GenerateError` when nothing matches, or when something found belongs to a Cairn state
    /// (unless `takeOwnership`).
    public func generate(
        stackName: String, filter: DiscoveryFilter, command: String, takeOwnership: Bool = false
    ) async throws
        -> GeneratedStack
    {
        let discoverable = providers.providers.values.compactMap { $0 as? any DiscoverableProvider }.sorted { $0.typeName < $1.typeName }
        var unexpressed: [String] = []
        var candidates: [Candidate] = []
        switch filter {
        case .ids(let ids):
            for (type, id) in ids {
                guard let provider = providers[type] else {
                    unexpressed.append("\(type) \(id): Cairn has no resource type \(type); it is not declared.")
                    continue
                }
                guard let discoverable = provider as? any DiscoverableProvider else {
                    unexpressed.append("\(type) \(id): cairn generate cannot declare \(type) resources yet; it is not declared.")
                    continue
                }
                candidates.append(Candidate(provider: discoverable, resource: DiscoveredResource(id: id, name: id)))
            }
        case .namePrefixes(let prefixes):
            for (provider, listed) in try await discoverAll(discoverable, unexpressed: &unexpressed) {
                for resource in listed where Self.matches(resource.name, prefixes) {
                    candidates.append(Candidate(provider: provider, resource: resource))
                }
            }
            for discovery in undeclarable {
                let resources: [DiscoveredResource]
                do {
                    resources = try await discovery.discover()
                } catch {
                    throw GenerateError("listing the \(discovery.kind) resources in \(region) failed, so nothing was written: \(error)")
                }
                for resource in resources where Self.matches(resource.name, prefixes) {
                    unexpressed.append("\(discovery.kind) \(resource.id): \(discovery.reason); it is not declared.")
                }
            }
        case .tag:
            for (provider, listed) in try await discoverAll(discoverable, unexpressed: &unexpressed) {
                candidates += listed.map { Candidate(provider: provider, resource: $0) }
            }
        }
        var found: [Found] = []
        for (candidate, outcome) in zip(candidates, await read(candidates, filter: filter)) {
            switch outcome {
            case .live(let live):
                found.append(Found(typeName: candidate.provider.typeName, provider: candidate.provider, name: candidate.resource.name, live: live))
            case .skipped:
                continue
            case .gone:
                if case .ids = filter {
                    throw GenerateError(
                        "AWS has no \(candidate.provider.typeName) with id '\(candidate.resource.id)' in \(region), so nothing was written: fix the line in the ids file."
                    )
                }
            case .refused(let error):
                unexpressed.append(
                    "\(candidate.provider.typeName) \(candidate.resource.id): could not be read (\(error)); it is not declared.")
            case .failed(let error):
                throw GenerateError(
                    "reading the \(candidate.provider.typeName) \(candidate.resource.id) failed, so nothing was written: \(error)")
            }
        }
        guard !found.isEmpty else {
            let others =
                unexpressed.isEmpty
                ? "" : " (what does cannot be declared: \(unexpressed.map { $0.prefix { $0 != ":" } }.joined(separator: ", ")))"
            throw GenerateError(
                "no resource of a type Cairn declares matches \(filter.description) in \(region)\(others), so nothing was written: check the filter and --region."
            )
        }
        if !takeOwnership {
            let owned = found.compactMap { item in Ownership.owner(of: item.live.attributes).map { "\(item.typeName) \(item.live.id) (\($0))" } }
            if !owned.isEmpty {
                throw GenerateError(
                    "\(owned.count == 1 ? "\(owned[0]) belongs" : "\(owned.count) resources found belong") to another Cairn state\(owned.count == 1 ? "" : " (\(owned.prefix(3).joined(separator: ", "))\(owned.count > 3 ? ", …" : ""))"), so nothing was written: manage \(owned.count == 1 ? "it" : "them") from there, narrow the filter, or take \(owned.count == 1 ? "it" : "them") over deliberately with --take-ownership."
                )
            }
        }
        found.sort { ($0.typeName, $0.name) < ($1.typeName, $1.name) }
        Self.name(&found, filter: filter)

        var lookups: [DiscoveredLookup] = []
        for provider in providers.providers.values.compactMap({ $0 as? any DiscoverableLookups }).sorted(by: { $0.typeName < $1.typeName }) {
            lookups += (try? await provider.discoverLookups()) ?? []
        }
        let taken = Set(found.map(\.variable))
        lookups = lookups.filter { !taken.contains($0.variable) }

        /// A context in which values name `items` and the look-ups.
        func makeContext(_ items: [Found], stackTags: [String: String]) -> SwiftContext {
            let context = SwiftContext(stackTags: stackTags)
            for item in items {
                context.addFound(typeName: item.typeName, id: item.live.id)
                for (output, property) in item.provider.swiftOutputs {
                    guard let value = item.live.outputs[output] else { continue }
                    context.addTarget(
                        value: value, address: item.address, typeName: item.typeName, variable: item.variable, output: output, property: property)
                }
            }
            for lookup in lookups {
                for (output, property) in lookup.swiftOutputs {
                    guard let value = lookup.outputs[output] else { continue }
                    context.addTarget(
                        value: value, address: "\(lookup.typeName).\(lookup.variable)", typeName: lookup.typeName, variable: lookup.variable,
                        output: output, property: property)
                }
            }
            return context
        }
        // What cannot be declared at all (something it needs cannot be said) is left out first, so that nothing names it.
        let probe = makeContext(found, stackTags: [:])
        found.removeAll { item in
            probe.begin(item.address, banned: [])
            _ = item.provider.swiftArguments(item.live, in: probe)
            guard let reason = probe.undeclarable[item.address] else { return false }
            unexpressed.append("\(item.typeName) \(item.live.id): \(reason); it is not declared.")
            return true
        }

        let stackTags = Self.sharedTags(found)
        let context = makeContext(found, stackTags: stackTags)

        // Declarations, regenerated without a reference where one would close a cycle.
        var declarations: [String: (type: String, variable: String, arguments: [SwiftArgument], references: Set<String>)] = [:]
        var banned: [String: Set<String>] = [:]
        func declare(_ item: Found) {
            context.begin(item.address, banned: banned[item.address] ?? [])
            var arguments = item.provider.swiftArguments(item.live, in: context)
            if let paths = context.ignoredDrift[item.address], !paths.isEmpty {
                arguments.append(SwiftArgument("options", "ResourceOptions(ignoreDrift: \(SwiftCode.strings(paths)))"))
            }
            declarations[item.address] = (item.provider.swiftType, item.variable, arguments, context.references)
        }
        for item in found { declare(item) }
        // Look-ups referenced, and what they reference in turn.
        var pending = Set(declarations.values.flatMap(\.references))
        let lookupsByAddress = Dictionary(uniqueKeysWithValues: lookups.map { ("\($0.typeName).\($0.variable)", $0) })
        while let address = pending.popFirst() {
            guard declarations[address] == nil, let lookup = lookupsByAddress[address] else { continue }
            context.begin(address, banned: [])
            let arguments = lookup.arguments(context)
            declarations[address] = (lookup.swiftType, lookup.variable, arguments, context.references)
            pending.formUnion(context.references)
        }
        let rank = Dictionary(uniqueKeysWithValues: lookups.map { "\($0.typeName).\($0.variable)" }.enumerated().map { ($1, $0 - 1000) })
        let byAddress = Dictionary(uniqueKeysWithValues: found.map { ($0.address, $0) })
        // Each round bans one reference, so the references bound the rounds; should they run out, declaration order stands.
        var order = declarations.keys.sorted()
        for _ in 0...declarations.values.reduce(0, { $0 + $1.references.count }) {
            var graph = DependencyGraph<String>()
            let nodes = declarations.keys.sorted {
                (rank[$0] ?? Self.typeRank(byAddress[$0]?.typeName), $0) < (rank[$1] ?? Self.typeRank(byAddress[$1]?.typeName), $1)
            }
            for node in nodes { graph.add(node) }
            for node in nodes {
                for reference in declarations[node]!.references.sorted() where declarations[reference] != nil {
                    graph.addDependency(node, on: reference)
                }
            }
            if let cycle = graph.findCycle(), cycle.count > 1 {
                // Break it at a role's policy if there is one (the usual cycle: a role that names what uses it).
                let from = cycle.first { byAddress[$0]?.typeName == "aws_iam_role" } ?? cycle[0]
                let index = cycle.firstIndex(of: from)!
                let to = cycle[(index + 1) % cycle.count]
                banned[from, default: []].insert(to)
                if let item = byAddress[from] { declare(item) }
                continue
            }
            order = (try? graph.topologicalOrder()) ?? nodes
            break
        }

        for item in found {
            for (attribute, reason) in (context.unexpressed[item.address] ?? [:]).sorted(by: { $0.key < $1.key }) {
                unexpressed.append("\(item.address): \(attribute): \(reason)")
            }
        }
        let secrets = context.secrets.map { "\($0.variable): \($0.address) \($0.attribute)" }
        let variable = Self.camelCase(Self.words(stackName), fallback: "stack")
        // With a list of ids nothing is searched: what the list names and no type covers is reported above instead.
        var notSearched: [String] = []
        if case .ids = filter {
        } else {
            notSearched = providers.providers.values.filter { !($0 is any DiscoverableProvider) && !($0 is any LookupProvider) }.map(\.typeName)
                .sorted()
        }
        let imports = found.map { (address: $0.address, id: $0.live.id) }.sorted { $0.address < $1.address }
        let source = render(
            stackName: stackName, variable: variable, command: command, filter: filter, order: order, declarations: declarations,
            stackTags: stackTags, imports: imports, secrets: secrets, unexpressed: unexpressed, constants: context.constants,
            notSearched: notSearched)
        return GeneratedStack(
            source: source, variable: variable, imports: imports, secrets: secrets, unexpressed: unexpressed, typesNotSearched: notSearched)
    }

    /// A resource listed, to be read.
    struct Candidate: Sendable {
        let provider: any DiscoverableProvider
        let resource: DiscoveredResource
    }

    /// What reading a candidate gave.
    enum ReadOutcome: Sendable {
        case live(Observed)
        /// Gone since it was listed.
        case gone
        /// Not what the filter takes (another tag).
        case skipped
        /// AWS refused to show it (access denied, an invalid state): listed as not read, the result partial.
        case refused(String)
        /// No answer, or an error not about this resource alone: nothing is written.
        case failed(any Error)
    }

    /// How many reads generate has in flight at once.
    static let readConcurrency = 8

    /// Every type's listing, each type's refusal (access denied) noted in `unexpressed` as not searched; any other failure
    /// throws, since nothing could then be trusted to be complete.
    private func discoverAll(
        _ providers: [any DiscoverableProvider], unexpressed: inout [String]
    ) async throws -> [(any DiscoverableProvider, [DiscoveredResource])] {
        var listed: [(any DiscoverableProvider, [DiscoveredResource])] = []
        for provider in providers {
            do {
                listed.append((provider, try await provider.discover()))
            } catch let error as any RefusalError where error.isRefusal {
                unexpressed.append("\(provider.typeName): listing them was refused (\(error)), so none was searched.")
            } catch {
                throw GenerateError("listing the \(provider.typeName) resources in \(region) failed, so nothing was written: \(error)")
            }
        }
        return listed
    }

    /// Reads the candidates, `readConcurrency` at a time, in their order. With a tag filter each is first read for its tags
    /// alone (`ownershipRead`), and only those carrying the tag are read whole.
    private func read(_ candidates: [Candidate], filter: DiscoveryFilter) async -> [ReadOutcome] {
        var tag: (key: String, value: String)?
        if case .tag(let key, let value) = filter { tag = (key, value) }
        let wanted = tag
        let recorded = self.recorded
        let outcomes = await Self.concurrently(candidates, limit: Self.readConcurrency) { candidate -> ReadOutcome in
            do {
                if let wanted {
                    guard let tagged = try await candidate.provider.ownershipRead(id: candidate.resource.id, prior: [:]) else { return .gone }
                    guard tagged.attributes["tags"]?[wanted.key]?.stringValue == wanted.value else { return .skipped }
                }
                let record = recorded[RecordedID(typeName: candidate.provider.typeName, id: candidate.resource.id)] ?? [:]
                guard var live = try await candidate.provider.readForGeneration(id: candidate.resource.id, prior: record) else { return .gone }
                for key in candidate.provider.localAttributes { live.attributes[key] = record[key] ?? live.attributes[key] }
                if let wanted, live.attributes["tags"]?[wanted.key]?.stringValue != wanted.value { return .skipped }
                return .live(live)
            } catch let error as any RefusalError where error.isRefusal {
                return .refused("\(error)")
            } catch {
                return .failed(error)
            }
        }
        return outcomes
    }

    /// `body` over `items`, at most `limit` at once, the results in the items' order.
    static func concurrently<Item: Sendable, Result: Sendable>(
        _ items: [Item], limit: Int, _ body: @escaping @Sendable (Item) async -> Result
    ) async -> [Result] {
        await withTaskGroup(of: (Int, Result).self, returning: [Result].self) { group in
            var results = [Result?](repeating: nil, count: items.count)
            var next = 0
            while next < min(limit, items.count) {
                let index = next
                group.addTask { (index, await body(items[index])) }
                next += 1
            }
            while let (index, result) = await group.next() {
                results[index] = result
                if next < items.count {
                    let following = next
                    group.addTask { (following, await body(items[following])) }
                    next += 1
                }
            }
            return results.map { $0! }
        }
    }

    /// Whether `name`, or the first or last `/`-separated part of it (`/app/db-password` and `/ecs/app` for `app`,
    /// `alias/app-key`), starts with one of `prefixes`. A part in the middle does not count: `/prod/db/password` is
    /// not `db`'s.
    static func matches(_ name: String, _ prefixes: [String]) -> Bool {
        let parts = name.split(separator: "/").map(String.init)
        return prefixes.contains { prefix in ([name] + parts.prefix(1) + parts.suffix(1)).contains { $0.hasPrefix(prefix) } }
    }

    /// Declaration order among resources that do not depend on each other: look-ups, then what is referenced most.
    static func typeRank(_ type: String?) -> Int {
        let order = [
            "aws_kms_key", "aws_kms_alias", "aws_ecr_repository", "aws_s3_bucket", "aws_ecs_cluster", "aws_cloudwatch_log_group",
            "aws_security_group",
            "aws_iam_role", "aws_ecs_task_definition", "aws_ecs_service", "aws_codebuild_project", "aws_codepipeline",
        ]
        return type.flatMap { order.firstIndex(of: $0) } ?? order.count
    }

    /// The tags every taggable resource found carries with the same value (Cairn's own aside), when two or more do.
    static func sharedTags(_ found: [Found]) -> [String: String] {
        let tagSets = found.compactMap { $0.live.attributes["tags"]?.objectValue }
        guard tagSets.count >= 2 else { return [:] }
        var shared: [String: String] = [:]
        for (key, value) in tagSets[0] where !key.hasPrefix(Ownership.reservedPrefix) {
            guard let text = value.stringValue, tagSets.allSatisfy({ $0[key]?.stringValue == text }) else { continue }
            shared[key] = text
        }
        return shared
    }

    // MARK: Names

    /// Gives each resource its variable (and logical name): its name (a path's last part) without the part many share
    /// (`small-business-invoices-codebuild` → `codebuild`), in lower camel case, with its type's noun where the type
    /// asks for it or two would otherwise be alike (`codebuildRole`, `serviceSecurityGroup`), or the noun alone.
    static func name(_ found: inout [Found], filter: DiscoveryFilter) {
        var stems: [String] = []
        if case .namePrefixes(let prefixes) = filter { stems = prefixes }
        let names = found.map(\.name)
        // A name that a third of the others start with (or hold after a `/`) is the project's: `small-business-invoices`.
        for name in Set(names)
        where names.filter({ $0 != name && ($0.hasPrefix(name + "-") || $0.contains("/" + name)) }).count >= max(2, names.count / 3) {
            stems.append(name)
        }
        stems.sort { $0.count > $1.count }
        var used = Set<String>()
        var bases: [[String]] = []
        for item in found {
            // A path's last part names it: `/aws/codebuild/app-build` → `app-build`, `alias/artifacts` → `artifacts`.
            var name = item.name.split(separator: "/").last.map(String.init) ?? item.name
            if let stem = stems.first(where: { name.contains($0) }), let range = name.range(of: stem) {
                name.removeSubrange(range)
            }
            bases.append(words(name))
        }
        // A base two types share gets each type's noun.
        var counts: [String: Int] = [:]
        for base in bases { counts[camelCase(base, fallback: ""), default: 0] += 1 }
        for i in found.indices {
            let provider = found[i].provider
            let noun = words(provider.swiftNoun)
            var parts = bases[i]
            let plain = camelCase(parts, fallback: "")
            if parts.isEmpty {
                parts = noun
            } else if provider.swiftNounSuffixed || (counts[plain] ?? 0) > 1 || SwiftCode.keywords.contains(plain)
                || parts[0].first?.isNumber == true
            {
                if parts.suffix(noun.count).map({ $0.lowercased() }) != noun.map({ $0.lowercased() }) { parts += noun }
            }
            var candidate = camelCase(parts, fallback: provider.swiftNoun)
            if candidate.first?.isNumber == true { candidate = provider.swiftNoun + candidate }
            var unique = candidate
            var n = 2
            while used.contains(unique) || SwiftCode.keywords.contains(unique) {
                unique = "\(candidate)\(n)"
                n += 1
            }
            used.insert(unique)
            found[i].variable = unique
        }
    }

    /// The ASCII letter-and-digit runs of `text`, split where the case rises (`taskExecution` → task, Execution).
    static func words(_ text: String) -> [String] {
        var words: [String] = []
        var current = ""
        for character in text {
            if character.isASCII && (character.isLetter || character.isNumber) {
                if character.isUppercase, let last = current.last, last.isLowercase {
                    words.append(current)
                    current = ""
                }
                current.append(character)
            } else if !current.isEmpty {
                words.append(current)
                current = ""
            }
        }
        if !current.isEmpty { words.append(current) }
        return words
    }

    /// `["task", "execution", "role"]` → `taskExecutionRole`.
    static func camelCase(_ words: [String], fallback: String) -> String {
        guard let first = words.first else { return fallback }
        return first.lowercased() + words.dropFirst().map { $0.prefix(1).uppercased() + $0.dropFirst().lowercased() }.joined()
    }

    // MARK: Rendering

    /// `text` as `//` comment lines of at most 120 characters, broken at spaces (a list item's lines indented under it).
    static func comment(_ text: String, width: Int = 120) -> [String] {
        let indent = text.hasPrefix("- ") ? "  " : ""
        var lines: [String] = []
        var line = "//"
        for word in text.split(separator: " ", omittingEmptySubsequences: false) {
            if line.count + 1 + word.count > width, line.count > 3 {
                lines.append(line)
                line = "// " + indent + word
            } else {
                line += " " + word
            }
        }
        lines.append(line)
        return lines
    }

    private func render(
        stackName: String, variable: String, command: String, filter: DiscoveryFilter, order: [String],
        declarations: [String: (type: String, variable: String, arguments: [SwiftArgument], references: Set<String>)],
        stackTags: [String: String], imports: [(address: String, id: String)], secrets: [String], unexpressed: [String],
        constants: [String: String], notSearched: [String]
    ) -> String {
        var lines = ["import Cairn", ""]
        let count = imports.count == 1 ? "the resource" : "the \(imports.count) resources"
        lines += Self.comment(
            "Written by `\(command)`: \(count) with \(filter.description) in \(region), declared as AWS has them. "
                + "`cairn import \(stackName) --all` adopts them (the ids are in .importing below); `cairn plan \(stackName)` should then "
                + "show no changes.")
        if !secrets.isEmpty {
            lines.append("//")
            lines += Self.comment("Values AWS never returns, read from the environment: set them before plan and apply.")
            for secret in secrets { lines += Self.comment("- \(secret)") }
        }
        if !unexpressed.isEmpty {
            lines.append("//")
            lines += Self.comment("Not declared (Cairn cannot say it yet): add it by hand, or leave it to the console.")
            for line in unexpressed { lines += Self.comment("- \(line)") }
        }
        if !notSearched.isEmpty {
            lines.append("//")
            lines += Self.comment("Not searched (cairn generate does not list these types yet): \(notSearched.joined(separator: ", ")).")
        }
        lines.append("")
        lines.append("/// The resources found in \(region), declared as they are.")
        lines.append("let \(variable) = StackDefinition(")
        var header =
            "    name: \(SwiftCode.string(stackName)), summary: \(SwiftCode.string("Generated from the resources with \(filter.description)")), region: \(SwiftCode.string(region))"
        if !stackTags.isEmpty {
            header += ","
            lines.append(header)
            header = "    tags: { _ in \(SwiftCode.dictionary(stackTags.mapValues(SwiftCode.string))) }"
        }
        lines.append(header)
        lines.append(") { _ in")
        var resources: [String] = []
        for address in order {
            guard let declaration = declarations[address] else { continue }
            let arguments = [SwiftArgument(nil, SwiftCode.string(declaration.variable))] + declaration.arguments
            lines.append("    let \(declaration.variable) = \(SwiftCode.call(declaration.type, arguments))")
            resources.append(declaration.variable)
        }
        lines.append("")
        lines.append("    return (resources: \(SwiftCode.array(resources)), outputs: [:])")
        lines.append("}")
        lines.append(".importing([")
        for item in imports { lines.append("    \(SwiftCode.string(item.address)): \(SwiftCode.string(item.id)),") }
        lines.append("])")
        for name in constants.keys.sorted() {
            lines.append("")
            lines.append(SwiftCode.multilineConstant(name, constants[name]!).trimmingCharacters(in: .newlines))
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
