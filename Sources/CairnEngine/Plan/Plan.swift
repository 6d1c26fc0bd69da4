import CairnJSON

/// What the executor will do to one resource.
public enum Action: String, Sendable, Hashable, CaseIterable {
    case create, update, replace, delete
    /// A declared rename with nothing else to change: the state's address is rewritten, AWS is not called.
    case move
    case noop = "no-op"

    /// Terraform's symbols.
    public var symbol: String {
        switch self {
        case .create: return "+"
        case .update: return "~"
        case .replace: return "-/+"
        case .delete: return "-"
        case .move, .noop: return " "
        }
    }
}

/// One attribute's change: `path` old → new.
public struct AttributeChange: Sendable, Hashable {
    public var path: String
    /// nil when the attribute is new.
    public var old: JSON?
    /// nil when the attribute goes away.
    public var new: JSON?
    /// This change is why the resource must be replaced.
    public var forcesReplacement: Bool
    /// Shown as `(sensitive)`.
    public var sensitive: Bool

    public init(path: String, old: JSON?, new: JSON?, forcesReplacement: Bool = false, sensitive: Bool = false) {
        self.path = path
        self.old = old
        self.new = new
        self.forcesReplacement = forcesReplacement
        self.sensitive = sensitive
    }
}

/// The plan for one resource: the action, why, the attribute changes, and what to apply.
public struct ResourceChange: Sendable, Hashable {
    public var address: String
    public var type: String
    public var action: Action
    /// The physical id it has now (nil for a create).
    public var id: String?
    /// Why, when it is not obvious: `deleted outside Cairn`, `changed outside Cairn`, `adopting … after an interrupted create`.
    public var reason: String?
    public var changes: [AttributeChange]
    /// The attributes to apply (creates, updates, replaces), possibly with `Unknown` markers.
    public var desired: [String: JSON]?
    /// The attributes as last applied or read (updates, replaces, deletes).
    public var prior: [String: JSON]?
    /// Paths of sensitive attributes in `desired`.
    public var sensitivePaths: [String]
    /// The addresses it depends on.
    public var dependencies: [String]
    /// The resource exists in AWS from an interrupted create, or is imported (`importing`), and is taken into the state
    /// first.
    public var adopt: Bool = false
    /// The resource is one the stack's `.importing([...])` names and the state does not hold yet: apply records it
    /// (with `adopt`), then makes whatever `action` says, as Terraform's import blocks.
    public var importing: Bool = false
    /// Its outputs as known at plan time (nil when it is created or replaced).
    public var outputs: [String: JSON]?
    /// A look-up evaluated at plan time: nothing to apply, outputs only.
    public var isLookup: Bool = false
    /// The address the state holds it at, when a declared move (`moved(from:to:)`) renames it: apply rewrites the
    /// state's address first, with no API call, then makes whatever `action` says at the new one.
    public var movedFrom: String?
    /// The replace was asked for (`--replace`), not forced by a change.
    public var replaceRequested: Bool = false
    /// A replace that creates the new resource first and deletes the old one once everything depending on it
    /// has moved on (Terraform's create_before_destroy): for types where two can exist side by side. Otherwise a
    /// replace deletes first, since the name is fixed.
    public var createBeforeDestroy: Bool = false

    public init(
        address: String, type: String, action: Action, id: String? = nil, reason: String? = nil,
        changes: [AttributeChange] = [], desired: [String: JSON]? = nil, prior: [String: JSON]? = nil,
        sensitivePaths: [String] = [], dependencies: [String] = []
    ) {
        self.address = address
        self.type = type
        self.action = action
        self.id = id
        self.reason = reason
        self.changes = changes
        self.desired = desired
        self.prior = prior
        self.sensitivePaths = sensitivePaths
        self.dependencies = dependencies
    }
}

/// A whole plan: plain data that the executor runs and that `--out` saves.
public struct Plan: Sendable, Hashable {
    /// Bumped when the saved format changes incompatibly.
    public static let formatVersion = 1

    public var stack: String
    public var environment: String
    public var region: String
    /// The state it was made against; nil lineage means there was no state yet.
    public var lineage: String?
    public var serial: Int
    /// `apply` or `destroy`.
    public var mode: String
    public var resources: [ResourceChange]
    /// The stack's declared outputs, possibly with unknown markers.
    public var outputs: [String: JSON]
    public var sensitiveOutputs: [String]
    /// The addresses asked for with `--target`; empty when the plan covers the whole stack. A targeted plan holds
    /// only those, what they depend on (a destroy: what depends on them), and the declared moves among them.
    public var targets: [String] = []
    /// What the plan wants the reader to know before applying it: targeting in effect, a likely undeclared rename.
    public var warnings: [String] = []

    public init(
        stack: String, environment: String, region: String, lineage: String?, serial: Int, mode: String = "apply",
        resources: [ResourceChange], outputs: [String: JSON] = [:], sensitiveOutputs: [String] = []
    ) {
        self.stack = stack
        self.environment = environment
        self.region = region
        self.lineage = lineage
        self.serial = serial
        self.mode = mode
        self.resources = resources
        self.outputs = outputs
        self.sensitiveOutputs = sensitiveOutputs
    }

    /// Resources by action.
    public func count(_ action: Action) -> Int { resources.reduce(0) { $0 + ($1.action == action ? 1 : 0) } }

    /// Whether applying it would change anything.
    public var hasChanges: Bool { resources.contains { $0.action != .noop || $0.importing } }

    /// Resources the stack's `.importing` names, which apply records first.
    public var importCount: Int { resources.reduce(0) { $0 + ($1.importing ? 1 : 0) } }

    /// Resources a declared move renames (whatever else their change does).
    public var moveCount: Int { resources.reduce(0) { $0 + ($1.movedFrom == nil ? 0 : 1) } }

    /// `N to create, N to update, N to replace, N to delete.`, `N to move` when a declared move applies, and
    /// `N to import` first when the stack's `.importing` names resources the state does not hold yet (Terraform's order).
    public var summary: String {
        let imports = importCount == 0 ? "" : "\(importCount) to import, "
        let moves = moveCount == 0 ? "" : ", \(moveCount) to move"
        return
            "\(imports)\(count(.create)) to create, \(count(.update)) to update, \(count(.replace)) to replace, \(count(.delete)) to delete\(moves)."
    }
}
