import CairnJSON
import Foundation
import Testing

@testable import CairnEngine

/// A failure that is not a refusal (no answer): generate writes nothing.
private struct Unanswered: Error, CustomStringConvertible {
    var description: String { "connection reset" }
}

/// What each read of the fake type counted, in a lock (the reads run concurrently).
private final class Reads: @unchecked Sendable {
    private let lock = NSLock()
    private var full: [String] = []
    private var tagsOnly: [String] = []
    private var inFlight = 0
    private(set) var mostAtOnce = 0

    func started() {
        lock.withLock {
            inFlight += 1
            mostAtOnce = max(mostAtOnce, inFlight)
        }
    }
    func ended() { lock.withLock { inFlight -= 1 } }
    func read(_ id: String, tagsOnly only: Bool) { lock.withLock { only ? tagsOnly.append(id) : full.append(id) } }
    private var priorsByID: [String: [String: JSON]] = [:]
    func prior(_ id: String, _ prior: [String: JSON]) { lock.withLock { priorsByID[id] = prior } }
    var priors: [String: [String: JSON]] { lock.withLock { priorsByID } }
    var fullReads: [String] { lock.withLock { full.sorted() } }
    var tagReads: [String] { lock.withLock { tagsOnly.sorted() } }
}

/// A discoverable "widget" whose live resources say what their declaration does: `odd` cannot be said (its drift is
/// ignored), `broken` makes the whole widget undeclarable, `refuse` / `unanswered` make its read fail, and `ref` names
/// another widget by ARN.
private struct FakeWidgets: DiscoverableProvider {
    let typeName = "aws_fake_widget"
    let live: [Observed]
    var refuseListing = false
    let reads = Reads()
    var swiftType: String { "FakeWidget" }
    var swiftNoun: String { "widget" }
    var swiftOutputs: [String: String] { ["arn": "arn"] }
    let replaceOnChange: Set<String> = []

    func discover() async throws -> [DiscoveredResource] {
        if refuseListing { throw FakeRefusal(description: "AccessDenied: not allowed") }
        return live.map { DiscoveredResource(id: $0.id, name: $0.id) }
    }

    func swiftArguments(_ live: Observed, in context: SwiftContext) -> [SwiftArgument] {
        var arguments = [SwiftArgument("name", context.literal(live.id))]
        if let ref = live.attributes["ref"]?.stringValue { arguments.append(SwiftArgument("ref", context.input(ref))) }
        if live.attributes["odd"] != nil { context.cannotExpress("odd", "Widget cannot say it", ignoringDrift: "odd") }
        if live.attributes["broken"] != nil { context.cannotDeclare("its shape is one Widget cannot say") }
        if let tags = context.tags(live) { arguments.append(tags) }
        if live.attributes["forceDestroy"]?.boolValue == true { arguments.append(SwiftArgument("forceDestroy", "true")) }
        return arguments
    }

    func ownershipRead(id: String, prior: [String: JSON]) async throws -> Observed? {
        reads.read(id, tagsOnly: true)
        guard let found = live.first(where: { $0.id == id }) else { return nil }
        return Observed(id: id, attributes: ["tags": found.attributes["tags"] ?? [:]], outputs: [:])
    }

    func read(id: String, prior: [String: JSON]) async throws -> Observed? {
        reads.started()
        defer { reads.ended() }
        reads.read(id, tagsOnly: false)
        reads.prior(id, prior)
        await Task.yield()
        let found = live.first { $0.id == id }
        if found?.attributes["refuse"] != nil { throw FakeRefusal(description: "AccessDenied: not allowed") }
        if found?.attributes["unanswered"] != nil { throw Unanswered() }
        return found
    }

    func physicalID(for attributes: [String: JSON]) -> String? { nil }
    func create(_ attributes: [String: JSON]) async throws -> Applied { throw FakeError(description: "read-only") }
    func update(id: String, from old: [String: JSON], to new: [String: JSON]) async throws -> Applied { throw FakeError(description: "read-only") }
    func delete(id: String, attributes: [String: JSON]) async throws {}
}

/// A type generate cannot search: any registry holding it makes a search by name or tag partial.
private struct FakeUnsearchable: ResourceProvider {
    let typeName = "aws_fake_unsearchable"
    let replaceOnChange: Set<String> = []
    func physicalID(for attributes: [String: JSON]) -> String? { nil }
    func read(id: String, prior: [String: JSON]) async throws -> Observed? { nil }
    func create(_ attributes: [String: JSON]) async throws -> Applied { throw FakeError(description: "read-only") }
    func update(id: String, from old: [String: JSON], to new: [String: JSON]) async throws -> Applied { throw FakeError(description: "read-only") }
    func delete(id: String, attributes: [String: JSON]) async throws {}
}

/// What `cairn generate` does with what it cannot fully declare: every case is listed (in the result and atop the file)
/// and makes the result partial, and nothing wrong is declared in its place.
@Suite struct StackGeneratorPartialTests {
    static func widget(_ name: String, _ extra: [String: JSON] = [:]) -> Observed {
        Observed(id: name, attributes: extra, outputs: ["arn": .string("arn:aws:fake:r:1:widget/\(name)")])
    }

    fileprivate static func generator(_ widgets: FakeWidgets, unsearchable: Bool = false) -> StackGenerator {
        var providers: [any ResourceProvider] = [widgets]
        if unsearchable { providers.append(FakeUnsearchable()) }
        return StackGenerator(providers: ProviderRegistry(providers), region: "eu-north-1")
    }

    /// Generating a stack back from what its state records: each resource the state holds is read with its record, as
    /// a plan reads it, and what AWS never returns (a local attribute such as `forceDestroy`) comes from the record;
    /// sealed values are never part of it.
    @Test func aResourceTheStateRecordsIsReadWithItsRecordAndKeepsWhatAWSNeverReturns() async throws {
        let widgets = FakeWidgets(live: [Self.widget("app-kept"), Self.widget("app-new")])
        let record: [String: JSON] = ["forceDestroy": true, "policy": ["Version": "2012-10-17"]]
        let generator = StackGenerator(
            providers: ProviderRegistry([widgets]), region: "eu-north-1",
            recorded: [.init(typeName: "aws_fake_widget", id: "app-kept"): record])
        let stack = try await generator.generate(stackName: "app", filter: .namePrefixes(["app"]), command: "c")
        #expect(widgets.reads.priors == ["app-kept": record, "app-new": [:]])
        #expect(stack.source.contains(#"let kept = FakeWidget("kept", name: "app-kept", forceDestroy: true)"#), "\(stack.source)")
        #expect(stack.source.contains(#"let new = FakeWidget("new", name: "app-new")"#), "\(stack.source)")
        #expect(stack.isComplete)
    }

    @Test func anAttributeItCannotSayIsLeftOutListedAndItsDriftIgnored() async throws {
        let stack = try await Self.generator(FakeWidgets(live: [Self.widget("app-one", ["odd": true])]))
            .generate(stackName: "app", filter: .namePrefixes(["app"]), command: "cairn generate")
        #expect(
            stack.source.contains(#"let one = FakeWidget("one", name: "app-one", options: ResourceOptions(ignoreDrift: ["odd"]))"#), "\(stack.source)"
        )
        #expect(stack.unexpressed == [#"aws_fake_widget.one: odd: Widget cannot say it; left out, and ignoreDrift: ["odd"] keeps what AWS has"#])
        #expect(stack.source.contains("// - aws_fake_widget.one: odd: Widget cannot say it"))
        #expect(!stack.isComplete)
    }

    @Test func aResourceItCannotDeclareIsLeftOutAndWhatNamesItUsesItsARN() async throws {
        let widgets = FakeWidgets(live: [
            Self.widget("app-broken", ["broken": true]), Self.widget("app-user", ["ref": "arn:aws:fake:r:1:widget/app-broken"]),
        ])
        let stack = try await Self.generator(widgets).generate(stackName: "app", filter: .namePrefixes(["app"]), command: "c")
        #expect(stack.imports.map(\.id) == ["app-user"], "the broken widget is neither declared nor imported")
        #expect(!stack.source.contains("FakeWidget(\"broken\""), "\(stack.source)")
        #expect(stack.source.contains(#"ref: "arn:aws:fake:r:1:widget/app-broken""#), "a literal, not a variable never declared: \(stack.source)")
        #expect(stack.unexpressed == ["aws_fake_widget app-broken: its shape is one Widget cannot say; it is not declared."])
        #expect(!stack.isComplete)
    }

    @Test func aRefusedReadIsListedAsNotReadAndTheRestIsDeclared() async throws {
        let widgets = FakeWidgets(live: [Self.widget("app-a"), Self.widget("app-secret", ["refuse": true])])
        let stack = try await Self.generator(widgets).generate(stackName: "app", filter: .namePrefixes(["app"]), command: "c")
        #expect(stack.imports.map(\.id) == ["app-a"])
        #expect(stack.unexpressed == ["aws_fake_widget app-secret: could not be read (AccessDenied: not allowed); it is not declared."])
        #expect(stack.source.contains("// - aws_fake_widget app-secret: could not be read"))
        #expect(!stack.isComplete)

        let unanswered = FakeWidgets(live: [Self.widget("app-a"), Self.widget("app-lost", ["unanswered": true])])
        await #expect(throws: GenerateError.self) {
            try await Self.generator(unanswered).generate(stackName: "app", filter: .namePrefixes(["app"]), command: "c")
        }
    }

    @Test func aRefusedListingAndATypeNotSearchedMakeItPartial() async throws {
        var refused = FakeWidgets(live: [Self.widget("app-a")])
        refused.refuseListing = true
        let generator = StackGenerator(
            providers: ProviderRegistry([refused, FakeWidgets(live: [Self.widget("app-b")]).renamed("aws_fake_other")]), region: "eu-north-1")
        let stack = try await generator.generate(stackName: "app", filter: .namePrefixes(["app"]), command: "c")
        #expect(stack.unexpressed == ["aws_fake_widget: listing them was refused (AccessDenied: not allowed), so none was searched."])
        #expect(!stack.isComplete)

        let unsearched = try await Self.generator(FakeWidgets(live: [Self.widget("app-a")]), unsearchable: true)
            .generate(stackName: "app", filter: .namePrefixes(["app"]), command: "c")
        #expect(unsearched.unexpressed.isEmpty)
        #expect(unsearched.typesNotSearched == ["aws_fake_unsearchable"])
        #expect(!unsearched.isComplete, "a type not searched may hold what the filter takes")
        let listed = try await Self.generator(FakeWidgets(live: [Self.widget("app-a")]), unsearchable: true)
            .generate(stackName: "app", filter: .ids([("aws_fake_widget", "app-a")]), command: "c")
        #expect(listed.isComplete, "a list of ids searches nothing")
    }

    @Test func aTagFilterReadsTagsFirstAndOnlyWhatCarriesTheTagWhole() async throws {
        var live = (0..<20).map { Self.widget("w\($0)", ["tags": ["team": "web"]]) }
        live.append(Observed(id: "other", attributes: ["tags": ["team": "ops"]], outputs: [:]))
        let widgets = FakeWidgets(live: live)
        let stack = try await Self.generator(widgets).generate(stackName: "web", filter: .tag(key: "team", value: "web"), command: "c")
        #expect(stack.imports.count == 20)
        #expect(widgets.reads.tagReads.count == 21)
        #expect(!widgets.reads.fullReads.contains("other"), "read whole only when it carries the tag")
        #expect(widgets.reads.mostAtOnce <= StackGenerator.readConcurrency)
    }

    @Test func concurrentReadsKeepTheirOrderAndTheirBound() async {
        let reads = Reads()
        let results = await StackGenerator.concurrently(Array(0..<50), limit: 4) { item -> Int in
            reads.started()
            defer { reads.ended() }
            await Task.yield()
            return item * 2
        }
        #expect(results == (0..<50).map { $0 * 2 })
        #expect(reads.mostAtOnce <= 4)
    }
}

extension FakeWidgets {
    /// The same widgets under another type name.
    fileprivate func renamed(_ name: String) -> some DiscoverableProvider { RenamedWidgets(typeName: name, widgets: self) }
}

/// `FakeWidgets` under another type name, so that a registry holds two discoverable types.
private struct RenamedWidgets: DiscoverableProvider {
    let typeName: String
    let widgets: FakeWidgets
    var swiftType: String { "OtherWidget" }
    var swiftNoun: String { "other" }
    var swiftOutputs: [String: String] { [:] }
    var replaceOnChange: Set<String> { [] }
    func discover() async throws -> [DiscoveredResource] { try await widgets.discover() }
    func swiftArguments(_ live: Observed, in context: SwiftContext) -> [SwiftArgument] { widgets.swiftArguments(live, in: context) }
    func physicalID(for attributes: [String: JSON]) -> String? { nil }
    func read(id: String, prior: [String: JSON]) async throws -> Observed? { try await widgets.read(id: id, prior: prior) }
    func create(_ attributes: [String: JSON]) async throws -> Applied { throw FakeError(description: "read-only") }
    func update(id: String, from old: [String: JSON], to new: [String: JSON]) async throws -> Applied { throw FakeError(description: "read-only") }
    func delete(id: String, attributes: [String: JSON]) async throws {}
}
