import Foundation
import TestSupport
import Testing

@Suite(.integration) struct GraphTests {
    @Test func dotHasEveryResourceAndDependency() async throws {
        let cairn = try await CairnRunner.make()
        let result = try await cairn.run(["graph", "fixture-app"])
        #expect(result.status == 0, "\(result)")
        #expect(result.stdout.hasPrefix("digraph \"fixture-app\" {"))
        #expect(result.stdout.contains("\"aws_iam_role.build\" -> \"aws_ecr_repository.app\";"))
        #expect(result.stdout.contains("\"aws_iam_role.build\" -> \"aws_s3_bucket.artifacts\";"))
        #expect(result.stdout.contains("\"aws_ecr_repository.app\" [label = \"aws_ecr_repository\\napp\"];"))
    }

    @Test func svgNeedsGraphvizAndSaysSo() async throws {
        var cairn = try await CairnRunner.make()
        cairn.extraEnvironment["PATH"] = "/nonexistent"
        let result = try await cairn.run(["graph", "fixture-app", "--format", "svg"])
        #expect(result.status == 1)
        #expect(result.stderr.contains("needs Graphviz's `dot` program"))
    }
}
