import CairnConcurrency
import CairnEngine
import CairnJSON
import Foundation

/// An in-memory cloud for one resource type: resources by id, with every call counted.
final class FakeCloud: @unchecked Sendable {
    private let lock = NSLock()
    private var resources: [String: [String: JSON]] = [:]
    private var calls: [String] = []
    /// Ids whose create, update or delete fails.
    var failing: Set<String> = []
    /// Ids whose create is refused with a 4xx-like answer (`FakeRefusal`).
    var refusing: Set<String> = []
    /// Ids whose create makes the resource but refuses its later step (its `size`): a `PartialCreate`.
    var partial: Set<String> = []
    /// Ids whose create makes the resource (without its `size`, a later step) and then loses the answer, as a
    /// connection reset after AWS acted does.
    var losingAnswers: Set<String> = []
    /// Ids whose create reports that it waits on AWS (an IAM role not yet visible), as a provider does.
    var waiting: Set<String> = []
    /// When each resource was created, as AWS would report it: not in a read, only when asked (as S3's ListBuckets).
    var creationDates: [String: Date] = [:]
    /// Whether a create whose answer is lost made the resource untagged: its tags go on with a later call, as a
    /// bucket's do (PutBucketTagging), which the lost create never made.
    var tagsByLaterCall = false
    /// Ids whose create waits (lending its place, as the AWS client does while a throttled API's token comes) until
    /// the creates of every id in `releasing` have begun.
    var idling: Set<String> = []
    var releasing: Set<String> = []
    private var begun: Set<String> = []
    private var idlers: [CheckedContinuation<Void, Never>] = []
    /// Whether a create ran with a lender (`Idle.lender`) to lend its place to.
    private(set) var lent = false
    func sawLender(_ seen: Bool) { withLock { lent = lent || seen } }
    /// The most creates working at once, not counting those waiting.
    private(set) var mostWorking = 0
    private var working = 0

    /// A create begins working; the idlers go on once every id in `releasing` has begun.
    func beginWork(_ id: String) {
        let ready = withLock { () -> [CheckedContinuation<Void, Never>] in
            working += 1
            mostWorking = max(mostWorking, working)
            begun.insert(id)
            guard releasing.isSubset(of: begun) else { return [] }
            defer { idlers = [] }
            return idlers
        }
        for idler in ready { idler.resume() }
    }

    func endWork() { withLock { working -= 1 } }

    /// Stops working and waits until every id in `releasing` has begun.
    func idle() async {
        endWork()
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let go = withLock { () -> Bool in
                if releasing.isSubset(of: begun) { return true }
                idlers.append(continuation)
                return false
            }
            if go { continuation.resume() }
        }
    }

    /// A create that waited works again (once it holds a place).
    func resumeWork() {
        withLock {
            working += 1
            mostWorking = max(mostWorking, working)
        }
    }

    func withLock<T>(_ body: () throws -> T) rethrows -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body()
    }

    var callLog: [String] { withLock { calls } }
    var ids: [String] { withLock { resources.keys.sorted() } }
    func attributes(_ id: String) -> [String: JSON]? { withLock { resources[id] } }
    func put(_ id: String, _ attributes: [String: JSON]) { withLock { resources[id] = attributes } }
    func remove(_ id: String) { _ = withLock { resources.removeValue(forKey: id) } }
    func record(_ call: String) { withLock { calls.append(call) } }
}

struct FakeError: Error, CustomStringConvertible {
    let description: String
}

/// An answer that refuses an operation, as an AWS 4xx does.
struct FakeRefusal: RefusalError, CustomStringConvertible {
    let description: String
    var isRefusal: Bool { true }
}

/// A provider whose physical id is the `name` attribute, and whose `kind` attribute forces replacement, as does a
/// `size` going to 0 (a change made in place one way only).
struct FakeProvider: ResourceProvider {
    let typeName: String
    let cloud: FakeCloud
    let replaceOnChange: Set<String> = ["name", "kind"]
    var adoptionProof = AdoptionProof.ownershipTags
    /// As a bucket or a repository: a plan names an undeclared rename of it.
    var holdsData = false

    func physicalID(for attributes: [String: JSON]) -> String? { attributes["name"]?.stringValue }

    func forcesReplacement(_ path: String, from old: JSON?, to new: JSON?) -> Bool { path == "size" && new == 0 }

    func read(id: String, prior: [String: JSON]) async throws -> Observed? {
        cloud.record("read \(id)")
        guard var attributes = cloud.attributes(id) else { return nil }
        attributes["forceDestroy"] = nil
        return Observed(id: id, attributes: attributes, outputs: ["arn": .string("arn:fake:\(id)"), "name": .string(id)])
    }

    func creationDate(id: String) async throws -> Date? {
        cloud.record("creation date \(id)")
        return cloud.withLock { cloud.creationDates[id] }
    }

    /// Destroy's cheaper check, logged apart from full reads.
    func ownershipRead(id: String, prior: [String: JSON]) async throws -> Observed? {
        cloud.record("owner \(id)")
        guard let attributes = cloud.attributes(id) else { return nil }
        return Observed(id: id, attributes: ["name": .string(id), "tags": attributes["tags"] ?? [:]], outputs: [:])
    }

    func create(_ attributes: [String: JSON]) async throws -> Applied {
        let id = attributes["name"]?.stringValue ?? "?"
        cloud.record("create \(id)")
        cloud.beginWork(id)
        cloud.sawLender(Idle.lender != nil)
        defer { cloud.endWork() }
        if cloud.idling.contains(id) {
            try await Idle.lending { await cloud.idle() }
            cloud.resumeWork()
        }
        if cloud.failing.contains(id) { throw FakeError(description: "create of \(id) refused") }
        if cloud.refusing.contains(id) { throw FakeRefusal(description: "create of \(id) refused: AlreadyExists") }
        if cloud.waiting.contains(id) { ProviderProgress.note("waiting for the role of \(id) to reach Fake (attempt 2)") }
        var stored = attributes
        stored["forceDestroy"] = nil
        let applied = Applied(id: id, outputs: ["arn": .string("arn:fake:\(id)"), "name": .string(id)])
        if cloud.losingAnswers.contains(id) {
            stored["size"] = nil
            if cloud.tagsByLaterCall { stored["tags"] = [:] }
            cloud.withLock { cloud.creationDates[id] = cloud.creationDates[id] ?? Date() }
            cloud.put(id, stored)
            throw FakeError(description: "the connection was reset before the answer to the create of \(id)")
        }
        if cloud.partial.contains(id) {
            stored["size"] = 0
            cloud.put(id, stored)
            throw PartialCreate(applied, underlying: FakeRefusal(description: "setting the size of \(id) refused"))
        }
        cloud.put(id, stored)
        return applied
    }

    func update(id: String, from old: [String: JSON], to new: [String: JSON]) async throws -> Applied {
        cloud.record("update \(id)")
        if cloud.failing.contains(id) { throw FakeError(description: "update of \(id) refused") }
        var stored = new
        stored["forceDestroy"] = nil
        cloud.put(id, stored)
        return Applied(id: id, outputs: ["arn": .string("arn:fake:\(id)"), "name": .string(id)])
    }

    func delete(id: String, attributes: [String: JSON]) async throws {
        cloud.record("delete \(id)")
        if cloud.failing.contains(id) { throw FakeError(description: "delete of \(id) refused") }
        cloud.remove(id)
    }
}

/// A declaration for `FakeProvider`: a name, a kind, free-form settings and references.
struct FakeResource: ResourceDeclaration {
    static let typeName = "fake_thing"
    let logicalName: String
    var name: String
    var kind: String = "basic"
    var size: Int = 1
    var tags: [String: String] = [:]
    var link: Value? = nil
    var secret: String? = nil
    var policy: JSON? = nil
    var options = ResourceOptions()

    init(_ logicalName: String, name: String? = nil) {
        self.logicalName = logicalName
        self.name = name ?? logicalName
    }

    var arn: Reference { output("arn") }

    var attributes: [String: Value] {
        var result: [String: Value] = [
            "name": .json(.string(name)), "kind": .json(.string(kind)), "size": .json(.int(size)),
            "tags": .json(.object(tags.mapValues { .string($0) })), "forceDestroy": .json(false),
        ]
        if let link { result["link"] = link }
        if let secret { result["secret"] = .sensitive(.json(.string(secret))) }
        if let policy { result["policy"] = .json(policy) }
        return result
    }

    func validate() -> [ValidationIssue] {
        name.contains(" ") ? [ValidationIssue(address: address, attribute: "name", message: "no spaces allowed.")] : []
    }
}

func makeStack(_ resources: [any ResourceDeclaration], outputs: [String: Value] = [:], name: String = "test") -> Stack {
    Stack(name: name, region: "us-east-1", environment: StackEnvironment(), resources: resources, outputs: outputs)
}

func temporaryDirectory() -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("cairn-engine-\(UUID().uuidString)")
    try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// A workspace over a fake cloud, in a fresh state directory, with a fixed key; `providers` beside `fake_thing`'s.
func makeWorkspace(_ cloud: FakeCloud, holdsData: Bool = false, providers: [any ResourceProvider] = []) -> Workspace {
    Workspace(
        stateDir: temporaryDirectory(),
        providers: ProviderRegistry([FakeProvider(typeName: FakeResource.typeName, cloud: cloud, holdsData: holdsData)] + providers),
        environment: ["CAIRN_STATE_KEY": "test passphrase"])
}

/// Plans `stack` in `scope` and applies the plan.
func planAndApply(_ workspace: Workspace, _ stack: Stack, scope: PlanScope = PlanScope()) async throws -> ApplyReport {
    try await workspace.apply(try await workspace.plan(stack, region: "us-east-1", scope: scope), stack: stack, command: "apply") { _ in }
}

/// The error `body` throws, as the CLI prints it; `no error` when it throws none.
func failureMessage(_ body: () async throws -> Void) async -> String {
    do {
        try await body()
        return "no error"
    } catch { return "\(error)" }
}

/// Events collected during an apply.
final class EventLog: @unchecked Sendable {
    private let lock = NSLock()
    private var events: [String] = []
    func add(_ event: ApplyEvent) {
        lock.lock()
        defer { lock.unlock() }
        switch event {
        case .started(let address, let action): events.append("start \(action.rawValue) \(address)")
        case .finished(let address, let action, _, _): events.append("done \(action.rawValue) \(address)")
        case .failed(let address, _, _, _): events.append("failed \(address)")
        case .skipped(let address, let blocker): events.append("skipped \(address) by \(blocker)")
        case .waiting(let address, let message): events.append("waiting \(address): \(message)")
        case .stillRunning: break
        }
    }
    var all: [String] {
        lock.lock()
        defer { lock.unlock() }
        return events
    }
}
