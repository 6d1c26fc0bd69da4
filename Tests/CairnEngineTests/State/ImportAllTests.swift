import CairnEngine
import CairnJSON
import Foundation
import Testing

/// `cairn import STACK --all`: the stack's declared imports adopted in one step, never where the next plan would
/// replace or delete what was imported.
@Suite struct ImportAllTests {
    let cloud = FakeCloud()

    func stack(_ resources: [any ResourceDeclaration], imports: [String: String]) -> Stack {
        Stack(name: "test", region: "us-east-1", environment: StackEnvironment(), resources: resources, imports: imports)
    }

    func failure(_ body: () async throws -> Void) async -> String {
        do {
            try await body()
            return "no error"
        } catch { return "\(error)" }
    }

    @Test func everyDeclaredImportIsAdoptedAndTheNextPlanHasNoChanges() async throws {
        let workspace = makeWorkspace(cloud)
        cloud.put("app-repo", ["name": "app-repo", "kind": "basic", "size": 1, "tags": [:]])
        let stack = stack([FakeResource("app", name: "app-repo")], imports: ["fake_thing.app": "app-repo"])
        let report = try await workspace.importAll(stack, region: "us-east-1")
        #expect(report.imported.map(\.address) == ["fake_thing.app"])
        #expect(try await workspace.plan(stack, region: "us-east-1").hasChanges == false)
    }

    /// An id whose declaration names another resource would be replaced by the next plan: refused, nothing written.
    @Test func anIDTheDeclarationDoesNotNameIsRefused() async throws {
        let workspace = makeWorkspace(cloud)
        cloud.put("app-repo", ["name": "app-repo", "kind": "basic", "size": 1, "tags": [:]])
        let stack = stack([FakeResource("app", name: "app-repo-v2")], imports: ["fake_thing.app": "app-repo"])
        #expect(
            await failure { _ = try await workspace.importAll(stack, region: "us-east-1") }
                == "fake_thing.app: its declaration names app-repo-v2, but this is app-repo, so the next plan would replace it and what it holds would be lost; nothing was imported: import it at the declaration that names it, or declare its name here."
        )
        #expect(try await workspace.recordedResources(stack).isEmpty)
        #expect(cloud.attributes("app-repo")?["tags"] == [:], "not tagged either")
    }

    /// A resource the state holds at another address, imported again at a new one (a regenerated stack renamed it),
    /// would be deleted there by the next plan: refused, with the move to make instead.
    @Test func aResourceRecordedElsewhereIsRefusedWithTheMoveToMake() async throws {
        let workspace = makeWorkspace(cloud)
        cloud.put("shared", ["name": "shared", "kind": "basic", "size": 1, "tags": [:]])
        let first = stack([FakeResource("old", name: "shared")], imports: ["fake_thing.old": "shared"])
        _ = try await workspace.importAll(first, region: "us-east-1")
        let renamed = stack([FakeResource("old", name: "shared"), FakeResource("new", name: "shared")], imports: ["fake_thing.new": "shared"])
        #expect(
            await failure { _ = try await workspace.importAll(renamed, region: "us-east-1", takeOwnership: true) }
                == #"fake_thing.new: shared is already in the state at fake_thing.old, so importing it here too would have the next plan delete it there; nothing was imported: move it instead (`cairn state mv test fake_thing.old fake_thing.new`, or declare .moved(from: "fake_thing.old", to: "fake_thing.new"))."#
        )
        #expect(try await workspace.recordedResources(first).map(\.address) == ["fake_thing.old"])
    }

    /// An import by revision (what `cairn generate` writes for a task definition) stays done once apply has registered
    /// a newer revision and retired the imported one: the state's revision is of the family the import named.
    @Test func anImportedRevisionSupersededByApplyIsStillImported() async throws {
        let revisions = Revisions()
        let workspace = makeWorkspace(cloud, providers: [RevisionProvider(revisions: revisions)])
        let first = revisions.register(["family": "app", "size": 1])
        #expect(first == "app:1")
        let stack = stack([Revisioned("task", family: "app", size: 1)], imports: ["fake_revisioned.task": first])
        #expect(try await workspace.importAll(stack, region: "us-east-1").imported.map(\.id) == ["app:1"])

        let bigger = self.stack([Revisioned("task", family: "app", size: 2)], imports: ["fake_revisioned.task": first])
        #expect(try await planAndApply(workspace, bigger).ok)
        #expect(try await workspace.recordedResources(bigger).map(\.physicalID) == ["app:2"])
        #expect(revisions.active.keys.sorted() == ["app:2"], "the imported revision is retired")

        let again = try await workspace.importAll(bigger, region: "us-east-1")
        #expect(again.alreadyRecorded == ["fake_revisioned.task"] && again.imported.isEmpty && again.serial == nil)
        #expect(try await workspace.plan(bigger, region: "us-east-1").hasChanges == false, "nothing pending either")

        // A revision of another family is not this one.
        let other = revisions.register(["family": "other", "size": 1])
        #expect(
            await failure {
                _ = try await workspace.importAll(
                    self.stack([Revisioned("task", family: "app", size: 2)], imports: ["fake_revisioned.task": other]), region: "us-east-1")
            }
                == "fake_revisioned.task: it is already in the state as app:2, not other:1, so nothing was imported: forget it first (`cairn state rm test fake_revisioned.task`), or fix the id in .importing."
        )
    }

    /// Before the import, a deploy may have registered a newer revision and retired the one `.importing` names: the
    /// family the declaration names is imported at its latest revision, by import --all and by a plan alike.
    @Test func aRevisionRetiredBeforeTheImportIsImportedByItsFamily() async throws {
        let revisions = Revisions()
        let workspace = makeWorkspace(cloud, providers: [RevisionProvider(revisions: revisions)])
        let first = revisions.register(["family": "app", "size": 1])
        _ = revisions.register(["family": "app", "size": 1])
        revisions.retire(first)
        let stack = stack([Revisioned("task", family: "app", size: 1)], imports: ["fake_revisioned.task": first])
        let plan = try await workspace.plan(stack, region: "us-east-1")
        #expect(plan.resources.map { "\($0.address) \($0.id ?? "-") \($0.importing)" } == ["fake_revisioned.task app:2 true"])
        #expect(try await workspace.importAll(stack, region: "us-east-1").imported.map(\.id) == ["app:2"])
    }

    /// Like Terraform's import blocks, a plan shows what `.importing` names and the state lacks as imports, and its
    /// apply records them (with this state's ownership tags put on) instead of creating anything.
    @Test func aPlanShowsPendingImportsAndItsApplyRecordsThem() async throws {
        let workspace = makeWorkspace(cloud)
        cloud.put("app-repo", ["name": "app-repo", "kind": "basic", "size": 1, "tags": [:]])
        let stack = stack([FakeResource("app", name: "app-repo"), FakeResource("new")], imports: ["fake_thing.app": "app-repo"])
        let plan = try await workspace.plan(stack, region: "us-east-1")
        let app = try #require(plan.resources.first { $0.address == "fake_thing.app" })
        #expect(app.importing && app.adopt && app.action == .update && app.id == "app-repo", "its ownership tags go on: \(app)")
        #expect(plan.summary == "1 to import, 1 to create, 1 to update, 0 to replace, 0 to delete.")
        let rendered = PlanRenderer(style: Style(enabled: false)).render(plan)
        #expect(
            rendered.contains("~ fake_thing.app  (update in place, adopting app-repo, imported as the stack's .importing declares)"), "\(rendered)")
        let codec = try workspace.codec(create: true)
        let saved = try Plan(savedJSON: try plan.savedJSON(sealedWith: codec).description, codec: codec)
        #expect(saved.resources.first { $0.address == "fake_thing.app" }?.importing == true, "a saved plan keeps it")

        #expect(try await workspace.apply(plan, stack: stack, command: "apply") { _ in }.ok)
        #expect(cloud.callLog.filter { $0.hasPrefix("create") } == ["create new"], "imported, not created")
        #expect(cloud.attributes("app-repo")?["tags"]?.objectValue?["cairn:stack"] == "test")
        #expect(try await workspace.recordedResources(stack).map(\.address) == ["fake_thing.app", "fake_thing.new"])
        #expect(try await workspace.plan(stack, region: "us-east-1").hasChanges == false)

        // With nothing else to change, the import alone is a change to apply.
        let untagged = self.stack([Revisioned("task", family: "app", size: 1)], imports: ["fake_revisioned.task": "app"])
        let revisions = Revisions()
        _ = revisions.register(["family": "app", "size": 1])
        let alone = try await makeWorkspace(cloud, providers: [RevisionProvider(revisions: revisions)]).plan(untagged, region: "us-east-1")
        #expect(alone.hasChanges && alone.resources.map(\.action) == [.noop])
        #expect(PlanRenderer(style: Style(enabled: false)).render(alone).contains("fake_revisioned.task  (import, adopting app:1"))
    }

    @Test func aPlanRefusesAnImportAWSLacksOrAnotherStateOwns() async throws {
        let workspace = makeWorkspace(cloud)
        let stack = stack([FakeResource("app", name: "app-repo")], imports: ["fake_thing.app": "app-repo"])
        #expect(
            await failure { _ = try await workspace.plan(stack, region: "us-east-1") }
                == "fake_thing.app: the stack imports it (app-repo), which AWS does not have in us-east-1: fix the id in .importing, or remove it there to have apply create it."
        )
        #expect(
            await failure { _ = try await workspace.plan(stack, region: "us-east-1", refresh: false) }
                == "fake_thing.app: the stack imports it (app-repo), which a plan without refresh cannot read: plan with refresh, or import it first with `cairn import test --all`."
        )
        cloud.put(
            "app-repo",
            ["name": "app-repo", "kind": "basic", "size": 1, "tags": ["cairn:stack": "other", "cairn:env": "default", "cairn:state": "f00d"]])
        #expect(
            await failure { _ = try await workspace.plan(stack, region: "us-east-1") }
                .contains(
                    "the stack imports app-repo, which belongs to stack 'other' (environment 'default', state f00d), so Cairn will not take it from a plan"
                )
        )
    }
}

/// Revisions of families, as ECS keeps task definitions: `FAMILY:N`, the latest active one read by the family.
final class Revisions: @unchecked Sendable {
    private let lock = NSLock()
    private var revisions: [String: [String: JSON]] = [:]
    private var retired: Set<String> = []

    var active: [String: [String: JSON]] { lock.withLock { revisions.filter { !retired.contains($0.key) } } }

    func register(_ attributes: [String: JSON]) -> String {
        lock.withLock {
            let family = attributes["family"]?.stringValue ?? "?"
            let id = "\(family):\(revisions.keys.filter { $0.hasPrefix(family + ":") }.count + 1)"
            revisions[id] = attributes
            return id
        }
    }

    func retire(_ id: String) { _ = lock.withLock { retired.insert(id) } }

    /// The active revision `id` names: `FAMILY:N`, or the family's latest.
    func read(_ id: String) -> (id: String, attributes: [String: JSON])? {
        lock.withLock {
            let active = revisions.filter { !retired.contains($0.key) }
            if let attributes = active[id] { return (id, attributes) }
            let latest = active.keys.filter { $0.hasPrefix(id + ":") }.max { Int($0.split(separator: ":")[1])! < Int($1.split(separator: ":")[1])! }
            return latest.map { ($0, active[$0]!) }
        }
    }
}

/// A provider over `Revisions`: every change registers a new revision, the old one retired once dependents moved on.
struct RevisionProvider: SupersededCleanup {
    let revisions: Revisions
    let typeName = Revisioned.typeName
    let replaceOnChange: Set<String> = ["family"]
    let replacementCoexists = true

    func physicalID(for attributes: [String: JSON]) -> String? { attributes["family"]?.stringValue }
    func read(id: String, prior: [String: JSON]) async throws -> Observed? {
        revisions.read(id).map { Observed(id: $0.id, attributes: $0.attributes, outputs: ["arn": .string($0.id)]) }
    }
    func create(_ attributes: [String: JSON]) async throws -> Applied {
        let id = revisions.register(attributes)
        return Applied(id: id, outputs: ["arn": .string(id)])
    }
    func update(id: String, from old: [String: JSON], to new: [String: JSON]) async throws -> Applied { try await create(new) }
    func delete(id: String, attributes: [String: JSON]) async throws { revisions.retire(id) }
    func retire(id: String, attributes: [String: JSON]) async throws { revisions.retire(id) }
}

/// A declaration for `RevisionProvider`.
struct Revisioned: ResourceDeclaration {
    static let typeName = "fake_revisioned"
    let logicalName: String
    var family: String
    var size: Int
    var options = ResourceOptions()

    init(_ logicalName: String, family: String, size: Int) {
        self.logicalName = logicalName
        self.family = family
        self.size = size
    }

    var attributes: [String: Value] { ["family": .json(.string(family)), "size": .json(.int(size))] }
}
