import CairnEngine
import CairnJSON
import Testing

/// A stack's tags go on every taggable resource, under the resource's own and the ownership tags.
@Suite struct StackTagsTests {
    let cloud = FakeCloud()

    func stack(_ resources: [any ResourceDeclaration], tags: [String: String]) -> Stack {
        Stack(name: "test", region: "us-east-1", environment: StackEnvironment(), resources: resources, tags: tags)
    }

    @Test func everyResourceCarriesTheStackTagsAndItsOwnWin() async throws {
        let workspace = makeWorkspace(cloud)
        var plain = FakeResource("plain")
        plain.tags = [:]
        var own = FakeResource("own")
        own.tags = ["team": "data", "cost-centre": "42"]
        let declared = stack([plain, own], tags: ["team": "platform", "project": "web"])
        let plan = try await workspace.plan(declared, region: "us-east-1")
        let report = try await workspace.apply(plan, stack: declared, command: "apply") { _ in }
        #expect(report.ok, "\(report.failureSummary)")

        let plainTags = try #require(cloud.attributes("plain")?["tags"]?.objectValue)
        #expect(plainTags["team"] == "platform" && plainTags["project"] == "web")
        #expect(plainTags["cairn:stack"] == "test", "the ownership tags still go on")
        let ownTags = try #require(cloud.attributes("own")?["tags"]?.objectValue)
        #expect(ownTags["team"] == "data", "the resource's own tag wins")
        #expect(ownTags["project"] == "web" && ownTags["cost-centre"] == "42")

        // Applied once, the stack's tags plan no change; a new stack tag is an update of every resource.
        #expect(!(try await workspace.plan(declared, region: "us-east-1")).hasChanges)
        let more = stack([plain, own], tags: ["team": "platform", "project": "web", "owner": "ops"])
        let next = try await workspace.plan(more, region: "us-east-1")
        #expect(next.resources.map(\.action) == [.update, .update])
        #expect(next.resources.allSatisfy { $0.changes.map(\.path) == ["tags.owner"] })
    }

    @Test func stackTagsFollowAWSRules() throws {
        var crowded = FakeResource("crowded")
        crowded.tags = Dictionary(uniqueKeysWithValues: (1...40).map { ("own-\($0)", "v") })
        let tags = Dictionary(uniqueKeysWithValues: (1...10).map { ("stack-\($0)", "v") }).merging(["cairn:owner": "me", "aws:x": "y"]) { $1 }
        let error = #expect(throws: StackValidationError.self) {
            try StackValidator.validate(stack([crowded], tags: tags), providers: makeWorkspace(cloud).providers)
        }
        let issues = error?.issues.map(\.description) ?? []
        #expect(issues.contains { $0.hasPrefix("test: tags.aws:x: tag keys must be 1 to 128 characters") }, "\(issues)")
        #expect(issues.contains { $0.hasPrefix("test: tags.cairn:owner: tag keys starting with 'cairn:'") }, "\(issues)")
        #expect(
            issues.contains { $0.contains("fake_thing.crowded") && $0.contains("with the stack's tags, 52 tags and Cairn's 3 ownership tags") },
            "\(issues)")
    }
}
