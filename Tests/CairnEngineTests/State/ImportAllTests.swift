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
}
