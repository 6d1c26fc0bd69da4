import CairnJSON
import Foundation

/// The tags by which a resource names the Cairn state that created it: `cairn:stack`, `cairn:env`
/// and `cairn:state` (the state's lineage). Every taggable resource carries them, set in the create
/// call itself where the API takes tags at creation. Plans refuse to adopt, import, update or delete a
/// resource whose tags name another state.
public struct Ownership: Sendable, Hashable {
    public static let stackTag = "cairn:stack"
    public static let environmentTag = "cairn:env"
    public static let stateTag = "cairn:state"
    /// Tag keys a declaration cannot set itself.
    public static let reservedPrefix = "cairn:"
    /// Stands for the state's lineage in a plan made before the state exists (a first apply): the
    /// executor knows it once the state is created.
    public static let lineageReference = Reference(address: "cairn.state", output: "lineage")

    public var stack: String
    public var environment: String
    /// The state's lineage; nil before the state exists.
    public var state: String?

    public init(stack: String, environment: String, state: String?) {
        self.stack = stack
        self.environment = environment
        self.state = state
    }

    /// The ownership tags as attribute values (`cairn:state` unknown until the state exists).
    public var tagValues: [String: JSON] {
        [
            Self.stackTag: .string(stack),
            Self.environmentTag: .string(environment),
            Self.stateTag: state.map { .string($0) } ?? Unknown.marker(Self.lineageReference),
        ]
    }

    /// The tags that identify this stack's resources whatever state holds them (drift's search for unmanaged ones).
    public var discoveryTags: [String: String] { [Self.stackTag: stack, Self.environmentTag: environment] }

    /// `tags` with the ownership tags added.
    public func tagging(_ tags: JSON) -> JSON {
        guard case .object(var members) = tags else { return tags }
        for (key, value) in tagValues { members[key] = value }
        return .object(members)
    }

    /// The owner a live resource's tags name, or nil when they name none.
    public static func owner(of attributes: [String: JSON]) -> Owner? {
        guard let tags = attributes["tags"]?.objectValue, let state = tags[stateTag]?.stringValue else { return nil }
        return Owner(stack: tags[stackTag]?.stringValue ?? "?", environment: tags[environmentTag]?.stringValue ?? "?", state: state)
    }

    /// Whether `owner` is another state than this one (before this state exists, any owner is).
    public func isForeign(_ owner: Owner?) -> Bool {
        guard let owner else { return false }
        return owner.state != state
    }
}

/// The Cairn state a resource's ownership tags name.
public struct Owner: Sendable, Hashable, CustomStringConvertible {
    public var stack: String
    public var environment: String
    /// The owning state's lineage.
    public var state: String

    public init(stack: String, environment: String, state: String) {
        self.stack = stack
        self.environment = environment
        self.state = state
    }

    /// `stack 'x' (environment 'y', state 1a2b3c4d)`.
    public var description: String { "stack '\(stack)' (environment '\(environment)', state \(state.prefix(8)))" }
}

/// How a resource type proves that a live resource under an interrupted create's planned name came from
/// that create, so that the next run may adopt it. Anything unproven is never adopted: adopting a
/// look-alike (a colleague's bucket with the same name) would later delete it. Each type declares its
/// proof in its own file.
public enum AdoptionProof: Sendable, Hashable {
    /// The create call itself sets the ownership tags: a resource carrying this state's tag came from it.
    case ownershipTags
    /// AWS reports when the resource was created (`Observed.createdAt`): one created after the intent came from it.
    case creationTime
    /// The ownership tags when they are there, else the creation time (tags set by a call after the create,
    /// which an interruption may have cut off).
    case ownershipTagsOrCreationTime
    /// Neither exists for this type: an interrupted create is never adopted; the plan asks for an import.
    case none
}

/// A create that was started but never recorded: the process died, or AWS's answer was lost.
public struct PendingCreate: Sendable, Hashable {
    /// The physical id the create was to have; nil for types whose id AWS chooses (see `UnnamedCreateRecovery`).
    public var plannedName: String?
    /// When the intent was recorded, just before the create call.
    public var recordedAt: Date

    public init(plannedName: String?, recordedAt: Date) {
        self.plannedName = plannedName
        self.recordedAt = recordedAt
    }

    /// AWS's clocks and ours agree to well within this; creation times are often whole seconds.
    static let clockTolerance: TimeInterval = 1

    /// Whether `live` provably came from this create, by `proof`; the reason when it did.
    public func proves(_ live: Observed, by proof: AdoptionProof, ownership: Ownership) -> String? {
        let owner = Ownership.owner(of: live.attributes)
        let tagged = owner != nil && ownership.state != nil && owner?.state == ownership.state
        let recent = live.createdAt.map { $0.timeIntervalSince(recordedAt) >= -Self.clockTolerance } ?? false
        switch proof {
        case .ownershipTags:
            return tagged ? "it carries this state's ownership tag" : nil
        case .creationTime:
            return recent ? "AWS created it after the interrupted create began" : nil
        case .ownershipTagsOrCreationTime:
            if tagged { return "it carries this state's ownership tag" }
            return recent && owner == nil ? "AWS created it after the interrupted create began" : nil
        case .none:
            return nil
        }
    }

    /// `" (as NAME)"`, or nothing when the create had no name of its own, for messages.
    var asPlannedName: String { plannedName.map { " (as \($0))" } ?? "" }
}

/// More than one live resource could be what an interrupted create made (see `UnnamedCreateRecovery`): Cairn
/// adopts none of them, since adopting the wrong one would leave the other unmanaged and billed.
public struct RecoveryAmbiguity: Error, CustomStringConvertible, Sendable {
    public var typeName: String
    public var candidates: [String]
    /// What the user does about it, one sentence.
    public var advice: String

    public init(typeName: String, candidates: [String], advice: String) {
        self.typeName = typeName
        self.candidates = candidates
        self.advice = advice
    }

    public var description: String {
        let found =
            candidates.count == 1
            ? "the \(typeName) \(candidates[0]) carries this state's ownership tags and was created since the interrupted create"
            : "\(candidates.count) \(typeName) resources carry this state's ownership tags and were created since the interrupted create (\(candidates.joined(separator: ", ")))"
        return "\(found), so Cairn cannot tell which one it made: \(advice)"
    }
}

/// An error answer from the cloud that says the operation was refused and did nothing (a 4xx), as
/// opposed to a lost connection or a timeout, after which it may have happened. A create refused this
/// way discards its intent.
public protocol RefusalError: Error {
    /// True when the service answered and refused.
    var isRefusal: Bool { get }
}
