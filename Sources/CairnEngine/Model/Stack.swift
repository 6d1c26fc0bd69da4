/// The environment a stack is instantiated for (`--env`); declarations may vary names and sizes by it.
public struct StackEnvironment: Sendable, Hashable {
    /// `default` when no `--env` is given.
    public let name: String
    public init(_ name: String = "default") { self.name = name }
    public var isDefault: Bool { name == "default" }

    /// `base` for the default environment, `base-NAME` otherwise: a common way to keep names apart.
    public func suffixed(_ base: String) -> String { isDefault ? base : "\(base)-\(name)" }
}

/// A declared rename, Terraform's `moved` block: the resource the state holds at `from` is the one the stack now
/// declares at `to`. The plan shows it as moved, and apply rewrites the state's address (with a history entry,
/// no API call) instead of deleting one resource and creating another. Once done it is ignored, so the
/// declaration can stay; both addresses have the same type (`aws_ecr_repository.old` → `aws_ecr_repository.new`).
public struct ResourceMove: Sendable, Hashable, CustomStringConvertible {
    /// The address the state holds the resource at.
    public let from: String
    /// The address the stack declares it at now.
    public let to: String

    public init(from: String, to: String) {
        self.from = from
        self.to = to
    }

    /// `moved(from: "…", to: "…")`, as a stack declares it.
    public var description: String { "moved(from: \"\(from)\", to: \"\(to)\")" }
}

/// A stack instantiated for one environment: its resources and declared outputs.
public struct Stack: Sendable {
    public let name: String
    /// The region the stack lives in when the environment names none.
    public let region: String?
    public let environment: StackEnvironment
    public let resources: [any ResourceDeclaration]
    /// Values printed by `cairn output`, e.g. the repository URI for a CI variable.
    public let outputs: [String: Value]
    /// Tags that every taggable resource of the stack carries (a resource's own tags add to them and win
    /// on the same key); drift reports other resources carrying them as unmanaged.
    public let tags: [String: String]
    /// Declared renames (`StackDefinition.moved(from:to:)`), in the order declared.
    public let moves: [ResourceMove]
    /// Existing resources to adopt, address → physical id (`StackDefinition.importing(_:)`), for `cairn import STACK --all`.
    public let imports: [String: String]

    public init(
        name: String, region: String?, environment: StackEnvironment,
        resources: [any ResourceDeclaration], outputs: [String: Value] = [:], tags: [String: String] = [:],
        moves: [ResourceMove] = [], imports: [String: String] = [:]
    ) {
        self.name = name
        self.region = region
        self.environment = environment
        self.resources = resources
        self.outputs = outputs
        self.tags = tags
        self.moves = moves
        self.imports = imports
    }
}

/// A named stack, built for an environment and its variables on demand. A package lists its stacks in
/// `CairnMain.main(stacks:)`.
public struct StackDefinition: Sendable {
    public let name: String
    public let summary: String
    /// The region the stack lives in: after `--region`, before `AWS_REGION` and the profile's.
    public let region: String?
    /// The variables the stack takes (`--var`, `--var-file`, `CAIRN_VAR_name`).
    public let variables: [VariableDeclaration]
    /// Where the stack's state lives unless `--backend` or `CAIRN_BACKEND` says otherwise.
    public let backend: StateBackend
    /// Declared renames, in the order declared (see `moved(from:to:)`).
    public private(set) var moves: [ResourceMove] = []
    /// Existing resources to adopt, address → physical id (see `importing(_:)`).
    public private(set) var imports: [String: String] = [:]
    private let build: @Sendable (StackEnvironment, VariableValues) -> (resources: [any ResourceDeclaration], outputs: [String: Value])
    private let tags: @Sendable (StackEnvironment) -> [String: String]

    /// A stack without variables.
    ///
    /// - Parameter tags: the tags every taggable resource of the stack carries in an environment; a
    ///   resource's own tags add to them and win on the same key (see `Stack.tags`).
    ///   - backend: where the state lives (default: a local file); `--backend` and `CAIRN_BACKEND` win over it.
    public init(
        name: String, summary: String, region: String?, backend: StateBackend = .local,
        tags: @escaping @Sendable (StackEnvironment) -> [String: String] = { _ in [:] },
        build: @escaping @Sendable (StackEnvironment) -> (resources: [any ResourceDeclaration], outputs: [String: Value])
    ) {
        self.init(name: name, summary: summary, region: region, backend: backend, tags: tags, variables: []) { environment, _ in
            build(environment)
        }
    }

    /// A stack that takes `variables`; `build` reads them from its second argument: `vars[imagesKept]`.
    public init(
        name: String, summary: String, region: String?, backend: StateBackend = .local,
        tags: @escaping @Sendable (StackEnvironment) -> [String: String] = { _ in [:] },
        variables: [any StackVariable],
        build: @escaping @Sendable (StackEnvironment, VariableValues) -> (resources: [any ResourceDeclaration], outputs: [String: Value])
    ) {
        self.name = name
        self.summary = summary
        self.region = region
        self.variables = variables.map(\.declaration)
        self.backend = backend
        self.tags = tags
        self.build = build
    }

    /// The stack with a declared rename: the resource the state holds at `from` is now declared at `to`, as
    /// Terraform's `moved` block says. Apply rewrites the state (no API call) and keeps the resource instead of
    /// deleting and re-creating it; the declaration can stay once done.
    ///
    /// ```swift
    /// let myInfra = StackDefinition(name: "my-infra", summary: "…", region: "eu-north-1") { env in … }
    ///     .moved(from: "aws_ecr_repository.app", to: "aws_ecr_repository.images")
    /// ```
    public func moved(from: String, to: String) -> StackDefinition {
        var copy = self
        copy.moves.append(ResourceMove(from: from, to: to))
        return copy
    }

    /// The stack with existing resources to adopt, as Terraform's `import` blocks say: `cairn import STACK --all` reads
    /// each one by its physical id and records it at its address, all in one step under the lock. Addresses the
    /// state already holds are left as they are, so the declaration can stay once done. `cairn generate` writes it.
    ///
    /// ```swift
    /// let myInfra = StackDefinition(name: "my-infra", summary: "…", region: "eu-north-1") { env in … }
    ///     .importing(["aws_ecr_repository.app": "my-infra"])
    /// ```
    public func importing(_ ids: [String: String]) -> StackDefinition {
        var copy = self
        copy.imports.merge(ids) { _, new in new }
        return copy
    }

    /// The stack's resources and outputs in `environment`, with its variables' defaults (placeholders
    /// for required ones): for looking at a stack, never for applying it.
    public func instantiate(_ environment: StackEnvironment = StackEnvironment()) -> Stack {
        let values =
            (try? VariableValues.resolve(stack: name, declarations: variables))
            ?? VariableValues(declarations: [:], values: [:], sources: [:])
        let built = build(environment, values)
        return Stack(
            name: name, region: region, environment: environment, resources: built.resources, outputs: built.outputs,
            tags: tags(environment), moves: moves, imports: imports)
    }

    /// The stack's resources and outputs in `environment` with `variables`. Throws, naming the
    /// variable, when a required one has no value (unless `requireAll` is false: commands that only
    /// read the state), or the stack's code reads one wrongly (undeclared, or sensitive as plain).
    public func instantiate(_ environment: StackEnvironment, variables values: VariableValues, requireAll: Bool = true) throws -> Stack {
        if requireAll, let name = values.missing.first {
            let declaration = values.declarations[name]!
            throw VariableError(
                "The variable '\(name)' of stack '\(self.name)' is required (\(declaration.kind)\(declaration.description.isEmpty ? "" : ": \(declaration.description)")): set it with --var \(name)=VALUE, in a --var-file, or as \(declaration.environmentHint)."
            )
        }
        let built = build(environment, values)
        if let problem = values.readProblems.first { throw VariableError(problem) }
        return Stack(
            name: name, region: region, environment: environment, resources: built.resources, outputs: built.outputs,
            tags: tags(environment), moves: moves, imports: imports)
    }
}
