import Foundation
import TestSupport
import Testing

/// Asserts that `fixture-app` in `env` is applied exactly once: four records, no pending change, and (by the aws CLI)
/// one bucket, one repository, one role and one task definition revision.
func expectFixtureAppConverged(_ cairn: CairnRunner, env: String, sourceLocation: SourceLocation = #_sourceLocation) async throws {
    let stack = "fixture-app"
    let state = try await cairn.run(["state", "list", stack, "--env", env])
    #expect(state.stdout.split(separator: "\n").count == 4, "every resource recorded once: \(state.stdout)")
    #expect(try await cairn.run(["plan", stack, "--env", env, "--detailed-exitcode"]).status == 0)
    let name = "fixture-app-\(env)"
    let buckets = try await cairn.awsJSON(["s3api", "list-buckets"])
    #expect((buckets["Buckets"].array ?? []).filter { $0["Name"].string == "\(name)-artifacts" }.count == 1)
    let repositories = try await cairn.awsJSON(["ecr", "describe-repositories"])
    #expect((repositories["repositories"].array ?? []).filter { $0["repositoryName"].string == name }.count == 1)
    let roles = try await cairn.awsJSON(["iam", "list-roles"])
    #expect((roles["Roles"].array ?? []).filter { $0["RoleName"].string == "\(name)-build" }.count == 1)
    // A second RegisterTaskDefinition would have made revision 2.
    let revisions = try await cairn.awsJSON(["ecs", "list-task-definitions", "--family-prefix", name])
    #expect(revisions["taskDefinitionArns"].array?.count == 1, "\(revisions)")
}
