import CairnJSON
import Foundation
import Testing

@testable import CairnEngine

/// A discoverable type over a fixed list of live resources: a "role" (its `arn` referenced) and a "project" that
/// names a role by ARN, a bucket by interpolation, and carries a secret.
private struct FakeDiscoverable: DiscoverableProvider {
    let typeName: String
    let live: [Observed]
    var swiftType: String { typeName == "aws_fake_role" ? "FakeRole" : "FakeProject" }
    var swiftNoun: String { typeName == "aws_fake_role" ? "role" : "project" }
    var swiftNounSuffixed: Bool { typeName == "aws_fake_role" }
    var swiftOutputs: [String: String] { ["arn": "arn", "name": "name"] }
    let replaceOnChange: Set<String> = []

    func discover() async throws -> [DiscoveredResource] { live.map { DiscoveredResource(id: $0.id, name: $0.id) } }
    func swiftArguments(_ live: Observed, in context: SwiftContext) -> [SwiftArgument] {
        var arguments = [SwiftArgument("name", context.literal(live.id))]
        if let role = live.attributes["role"]?.stringValue {
            arguments.append(SwiftArgument("role", context.input(role, naming: "aws_fake_role", "arn")))
        }
        if let path = live.attributes["path"]?.stringValue { arguments.append(SwiftArgument("path", context.input(path))) }
        if live.attributes["token"] != nil { arguments.append(SwiftArgument("token", context.secret("TOKEN", attribute: "token"))) }
        if live.attributes["odd"] != nil { context.cannotExpress("odd", "no such argument") }
        if let tags = context.tags(live) { arguments.append(tags) }
        return arguments
    }

    func physicalID(for attributes: [String: JSON]) -> String? { nil }
    func read(id: String, prior: [String: JSON]) async throws -> Observed? { live.first { $0.id == id } }
    func create(_ attributes: [String: JSON]) async throws -> Applied { throw FakeError(description: "read-only") }
    func update(id: String, from old: [String: JSON], to new: [String: JSON]) async throws -> Applied { throw FakeError(description: "read-only") }
    func delete(id: String, attributes: [String: JSON]) async throws {}
}

@Suite struct StackGeneratorTests {
    static func role(_ name: String, tags: [String: JSON]) -> Observed {
        Observed(id: name, attributes: ["tags": .object(tags)], outputs: ["arn": .string("arn:aws:iam::1:role/\(name)"), "name": .string(name)])
    }

    static func project(_ name: String, role: String, extra: [String: JSON] = [:], tags: [String: JSON]) -> Observed {
        var attributes: [String: JSON] = ["role": .string("arn:aws:iam::1:role/\(role)"), "tags": .object(tags)]
        attributes.merge(extra) { $1 }
        return Observed(id: name, attributes: attributes, outputs: ["arn": .string("arn:aws:codebuild:r:1:project/\(name)"), "name": .string(name)])
    }

    static func generator(_ roles: [Observed], _ projects: [Observed]) -> StackGenerator {
        StackGenerator(
            providers: ProviderRegistry([
                FakeDiscoverable(typeName: "aws_fake_role", live: roles), FakeDiscoverable(typeName: "aws_fake_project", live: projects),
            ]), region: "eu-north-1")
    }

    @Test func declaresReferencesNamesOrderTagsSecretsAndImports() async throws {
        let shared: [String: JSON] = ["project": "shop", "team": "web"]
        let generator = Self.generator(
            [Self.role("shop-build", tags: shared.merging(["cairn:stack": "x"]) { $1 })],
            [
                Self.project(
                    "shop-app", role: "shop-build",
                    extra: ["path": "arn:aws:iam::1:role/shop-build/extra", "token": "****", "odd": true],
                    tags: shared.merging(["owner": "me"]) { $1 }),
                Self.project("other-thing", role: "elsewhere", tags: shared),
            ])
        let stack = try await generator.generate(stackName: "shop", filter: .namePrefixes(["shop"]), command: "cairn generate")
        let source = stack.source
        // The role comes first (the project depends on it) and is named from its name without the shared prefix.
        let role = try #require(source.range(of: "let buildRole = FakeRole(\"buildRole\", name: \"shop-build\")"))
        let project = try #require(source.range(of: "let app = FakeProject(\"app\", name: \"shop-app\", role: .output(buildRole.arn)"))
        #expect(role.lowerBound < project.lowerBound)
        #expect(source.contains("path: \"\\(buildRole.arn)/extra\""), "\(source)")
        #expect(source.contains("token: Secret.environment(\"TOKEN\")"))
        // Tags every resource shares go on the stack, a resource's others stay on it, and Cairn's never appear.
        #expect(source.contains("tags: { _ in [\"project\": \"shop\", \"team\": \"web\"] }"), "\(source)")
        #expect(source.contains("tags: [\"owner\": \"me\"]"))
        #expect(!source.contains("cairn:stack"))
        #expect(!source.contains("other-thing"), "the prefix filter leaves it out")
        #expect(source.contains(".importing([\n    \"aws_fake_project.app\": \"shop-app\",\n    \"aws_fake_role.buildRole\": \"shop-build\",\n])"))
        #expect(stack.imports.map(\.address) == ["aws_fake_project.app", "aws_fake_role.buildRole"])
        #expect(stack.secrets == ["TOKEN: aws_fake_project.app token"])
        #expect(stack.unexpressed == ["aws_fake_project.app: odd: no such argument"])
        #expect(!stack.isComplete)
        #expect(source.contains("// - aws_fake_project.app: odd: no such argument"))
    }

    @Test func refusesWhenNothingMatchesOrAStateOwnsWhatMatches() async throws {
        let generator = Self.generator(
            [Self.role("shop-build", tags: ["cairn:state": "abc", "cairn:stack": "shop", "cairn:env": "default"])], [])
        await #expect(throws: GenerateError.self) {
            try await generator.generate(stackName: "x", filter: .namePrefixes(["nothing"]), command: "c")
        }
        do {
            _ = try await generator.generate(stackName: "x", filter: .namePrefixes(["shop"]), command: "c")
            Issue.record("a resource another state owns was generated")
        } catch let error as GenerateError {
            #expect(error.description.contains("belongs to another Cairn state"), "\(error)")
            #expect(error.description.contains("--take-ownership"))
        }
        let taken = try await generator.generate(stackName: "x", filter: .namePrefixes(["shop"]), command: "c", takeOwnership: true)
        #expect(taken.imports.count == 1)
    }

    @Test func filtersByTagAndByIds() async throws {
        let generator = Self.generator(
            [Self.role("a-role", tags: ["team": "web"]), Self.role("b-role", tags: ["team": "ops"])], [])
        let tagged = try await generator.generate(stackName: "x", filter: .tag(key: "team", value: "ops"), command: "c")
        #expect(tagged.imports.map(\.id) == ["b-role"])
        let listed = try await generator.generate(
            stackName: "x", filter: .ids([("aws_fake_role", "a-role"), ("aws_iam_user", "alice")]), command: "c")
        #expect(listed.imports.map(\.id) == ["a-role"])
        #expect(listed.unexpressed == ["aws_iam_user alice: Cairn has no resource type aws_iam_user; it is not declared."])
    }

    @Test func namesReadLikeHandWrittenOnes() {
        #expect(StackGenerator.words("/ecs/small-business-invoices") == ["ecs", "small", "business", "invoices"])
        #expect(StackGenerator.words("taskExecution") == ["task", "Execution"])
        #expect(StackGenerator.camelCase(["pipeline", "artifacts"], fallback: "x") == "pipelineArtifacts")
        #expect(StackGenerator.matches("/ecs/small-business-invoices", ["small-business"]))
        #expect(!StackGenerator.matches("big-business", ["small-business"]))
        #expect(!StackGenerator.matches("/prod/db/password", ["db"]), "a part in the middle is not the name")
        #expect(StackGenerator.matches("alias/app-key", ["app"]))
        #expect(SwiftCode.string("a \"b\" \\ \n c") == "\"a \\\"b\\\" \\\\ \\n c\"")
        #expect(SwiftCode.string("cost: \\(x)") == "\"cost: \\\\(x)\"", "an interpolation in live text stays text")
        #expect(
            SwiftCode.json(["source": ["aws.codepipeline"], "n": 1, "on": true, "none": nil])
                == #"["n": 1, "none": nil, "on": true, "source": ["aws.codepipeline"]]"#)
        #expect(SwiftCode.multilineConstant("spec", "a: 1\n  b: \\2") == "private let spec = \"\"\"\n    a: 1\n      b: \\\\2\n    \"\"\"\n")
    }
}
