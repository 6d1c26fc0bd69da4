import CairnJSON
import Foundation

/// What AWS says a resource is now.
public struct Observed: Sendable, Hashable {
    /// The physical id (a name or an ARN) the provider reads, updates and deletes it by.
    public var id: String
    /// Every managed attribute, in the same shape and with the same defaults as declarations produce.
    public var attributes: [String: JSON]
    /// Values other resources can reference (`arn`, `uri`, …).
    public var outputs: [String: JSON]
    /// When AWS created it, where the read returns that (for `AdoptionProof.creationTime`).
    public var createdAt: Date?

    public init(id: String, attributes: [String: JSON], outputs: [String: JSON], createdAt: Date? = nil) {
        self.id = id
        self.attributes = attributes
        self.outputs = outputs
        self.createdAt = createdAt
    }
}

/// What a create or an update returns.
public struct Applied: Sendable, Hashable {
    public var id: String
    public var outputs: [String: JSON]

    public init(id: String, outputs: [String: JSON]) {
        self.id = id
        self.outputs = outputs
    }
}

/// A create whose resource exists (its first call succeeded) but whose later steps failed: a policy, a setting, a
/// read of its outputs. The executor records the resource, so that the next plan reads it and makes the update that
/// finishes the job, and reports `underlying` as the create's failure; nothing made is ever forgotten.
public struct PartialCreate: Error, CustomStringConvertible {
    /// The resource as far as it was made.
    public let applied: Applied
    /// Why the rest failed.
    public let underlying: any Error

    public init(_ applied: Applied, underlying: any Error) {
        self.applied = applied
        self.underlying = underlying
    }

    public var description: String { "\(underlying) (\(applied.id) was created; the next apply finishes it)" }

    /// Runs `steps`, the rest of a create that made `applied`: a failure among them becomes a `PartialCreate`.
    public static func completing(_ applied: Applied, _ steps: () async throws -> Void) async throws -> Applied {
        do {
            try await steps()
        } catch {
            throw PartialCreate(applied, underlying: error)
        }
        return applied
    }
}

/// Reads, creates, updates and deletes one resource type. Everything it sees is concrete data: the
/// engine has resolved references before calling it.
public protocol ResourceProvider: Sendable {
    var typeName: String { get }
    /// Attributes that AWS cannot change in place: a change replaces the resource.
    var replaceOnChange: Set<String> { get }
    /// Whether the change of the attribute at `path` from `old` to `new` replaces the resource although the attribute
    /// is not in `replaceOnChange`: for what AWS changes in place one way only (an SSM parameter's tier goes up to
    /// Advanced in place, never back down). False unless the type says otherwise.
    func forcesReplacement(_ path: String, from old: JSON?, to new: JSON?) -> Bool
    /// Attributes that only steer Cairn (`forceDestroy`): not read from AWS, never drift.
    var localAttributes: Set<String> { get }
    /// How a live resource under an interrupted create's planned name is proven to come from that
    /// create (see `AdoptionProof`); `.none`, never adopting, unless the type says otherwise.
    var adoptionProof: AdoptionProof { get }
    /// True for resources an account holds at most one of, whose name a declaration cannot choose
    /// (the GitHub Actions OIDC provider): a second stack must share the first's, not rename its own.
    var onePerAccount: Bool { get }
    /// True for types that hold data a delete loses (a bucket's objects, a repository's images, a log group's
    /// events, a table's items): a plan that deletes one and creates another of the same type under a new
    /// address names the likely rename and the `moved(from:to:)` that keeps it. False unless the type says so.
    var holdsData: Bool { get }
    /// True for types where the replacement can exist beside the resource it replaces (a task definition's new
    /// revision, a key whose id AWS chooses): `--replace` then creates the new one first and deletes the old one
    /// once its dependents have moved on. False (delete, then create: the name is fixed) unless the type says so.
    var replacementCoexists: Bool { get }
    /// The physical id a create with these attributes will have, recorded in the intent before the
    /// create call so that a crash can be recovered by finding the resource again.
    func physicalID(for attributes: [String: JSON]) -> String?
    /// The live resource, or nil when it no longer exists. `prior` holds the attributes last applied,
    /// for resources whose read needs them (the cluster of a service).
    func read(id: String, prior: [String: JSON]) async throws -> Observed?
    /// What `destroy` reads before deleting: whether the resource still exists (nil when gone) and its
    /// `tags`, whose ownership tags say which state it belongs to. By default the full `read`; a type
    /// whose tags come from one cheaper call reads only that, so a destroy reads each resource once.
    func ownershipRead(id: String, prior: [String: JSON]) async throws -> Observed?
    /// When AWS created `id`, for types whose `read` does not return it but whose proof uses it; nil by default.
    func creationDate(id: String) async throws -> Date?
    func create(_ attributes: [String: JSON]) async throws -> Applied
    func update(id: String, from old: [String: JSON], to new: [String: JSON]) async throws -> Applied
    func delete(id: String, attributes: [String: JSON]) async throws
}

extension ResourceProvider {
    public var localAttributes: Set<String> { ["forceDestroy"] }
    public var adoptionProof: AdoptionProof { .none }
    public func forcesReplacement(_ path: String, from old: JSON?, to new: JSON?) -> Bool { false }
    public var onePerAccount: Bool { false }
    public var holdsData: Bool { false }
    public var replacementCoexists: Bool { false }
    public func ownershipRead(id: String, prior: [String: JSON]) async throws -> Observed? { try await read(id: id, prior: prior) }
    public func creationDate(id: String) async throws -> Date? { nil }

    /// `live` with its creation time, asked of AWS (`creationDate(id:)`) when the type's proof uses it and its read did
    /// not say: what an interrupted create's look-alike needs before `PendingCreate.proves` can judge it.
    public func withCreationDate(_ live: Observed) async throws -> Observed {
        guard live.createdAt == nil, [.creationTime, .ownershipTagsOrCreationTime].contains(adoptionProof) else { return live }
        var dated = live
        dated.createdAt = try await creationDate(id: live.id)
        return dated
    }
}

/// A resource whose update makes a new physical resource (an ECS task definition's new revision):
/// the old one is retired only once everything that depends on it has moved to the new one.
public protocol SupersededCleanup: ResourceProvider {
    /// Retires the old physical resource `id` after its dependents were updated.
    func retire(id: String, attributes: [String: JSON]) async throws
}

/// A resource type whose physical id AWS chooses at create (a KMS key id): an interrupted create's intent names
/// nothing to read, so the next plan searches for what it may have made, by the ownership tags the create call set.
public protocol UnnamedCreateRecovery: ResourceProvider {
    /// The resource an interrupted create of `attributes` made, if any: one carrying `ownership`'s tags (this
    /// state's), created at or after `since`, and not among `excluding` (the ids the state already holds). Nil
    /// when there is none; throws, naming the candidates, when more than one fits: adopting the wrong one would
    /// leave the other unmanaged.
    func findInterruptedCreate(
        _ attributes: [String: JSON], ownership: Ownership, since: Date, excluding: Set<String>
    ) async throws -> Observed?
}

/// A read-only look-up (the default VPC, its subnets), evaluated at plan time so that its outputs
/// are known in the plan. Look-ups are never recorded, changed or deleted; `create`, `update` and
/// `delete` are never called.
public protocol LookupProvider: ResourceProvider {
    /// The outputs for these (fully known) attributes; throws when nothing matches.
    func lookup(_ attributes: [String: JSON]) async throws -> [String: JSON]
}

extension LookupProvider {
    public var replaceOnChange: Set<String> { [] }
    public func physicalID(for attributes: [String: JSON]) -> String? { nil }
    public func read(id: String, prior: [String: JSON]) async throws -> Observed? { nil }
    public func create(_ attributes: [String: JSON]) async throws -> Applied { Applied(id: "", outputs: try await lookup(attributes)) }
    public func update(id: String, from old: [String: JSON], to new: [String: JSON]) async throws -> Applied {
        Applied(id: id, outputs: try await lookup(new))
    }
    public func delete(id: String, attributes: [String: JSON]) async throws {}
}

/// The providers of every resource type Cairn knows, by type name.
public struct ProviderRegistry: Sendable {
    public private(set) var providers: [String: any ResourceProvider] = [:]

    public init(_ providers: [any ResourceProvider] = []) {
        for provider in providers { register(provider) }
    }

    public mutating func register(_ provider: any ResourceProvider) {
        providers[provider.typeName] = provider
    }

    public subscript(type: String) -> (any ResourceProvider)? { providers[type] }
}
