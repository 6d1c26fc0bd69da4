/// The environment a stack is instantiated for (`--env`); declarations may vary names and sizes by it.
public struct StackEnvironment: Sendable, Hashable {
    /// `default` when no `--env` is given.
    public let name: String
    public init(_ name: String = "default") { self.name = name }
    public var isDefault: Bool { name == "default" }

    /// `base` for the default environment, `base-NAME` otherwise: a common way to keep names apart.
    public func suffixed(_ base: String) -> String { isDefault ? base : "\(base)-\(name)" }
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
    /// Tags that every resource of the stack carries: drift reports other resources carrying them as unmanaged.
    public let tags: [String: String]

    public init(name: String, region: String?, environment: StackEnvironment,
                resources: [any ResourceDeclaration], outputs: [String: Value] = [:], tags: [String: String] = [:]) {
        self.name = name
        self.region = region
        self.environment = environment
        self.resources = resources
        self.outputs = outputs
        self.tags = tags
    }
}

/// A named stack, registered in `stacks/`, built for an environment on demand.
public struct StackDefinition: Sendable {
    public let name: String
    public let summary: String
    public let region: String?
    private let build: @Sendable (StackEnvironment) -> (resources: [any ResourceDeclaration], outputs: [String: Value])
    private let tags: @Sendable (StackEnvironment) -> [String: String]

    /// - Parameter tags: the tags every resource of the stack carries in an environment (see `Stack.tags`).
    public init(name: String, summary: String, region: String?, tags: @escaping @Sendable (StackEnvironment) -> [String: String] = { _ in [:] },
                build: @escaping @Sendable (StackEnvironment) -> (resources: [any ResourceDeclaration], outputs: [String: Value])) {
        self.name = name
        self.summary = summary
        self.region = region
        self.tags = tags
        self.build = build
    }

    /// The stack's resources and outputs in `environment`.
    public func instantiate(_ environment: StackEnvironment = StackEnvironment()) -> Stack {
        let built = build(environment)
        return Stack(name: name, region: region, environment: environment, resources: built.resources, outputs: built.outputs,
                     tags: tags(environment))
    }
}
