import Foundation
import Testing
import TestSupport

/// The scheduled drift-check stack: the resource types seed 000 does not use (SNS topic and
/// subscription, IAM policy, OIDC provider, EventBridge rule) applied, clean, and destroyed.
@Suite(.integration) struct DriftWatchStackTests {
    let stack = "cairn-drift-watch"

    @Test func appliesCleanlyWithNoDriftAndDestroysEverything() async throws {
        let cairn = try await CairnRunner.make(executable: CairnRunner.executable)
        let env = uniqueEnvironment("watch")
        let name = "cairn-drift-watch-\(env)"
        let apply = try await cairn.run(["apply", stack, "--env", env, "--auto-approve"])
        #expect(apply.status == 0, "\(apply)")
        #expect(apply.stdout.contains("Apply complete! Resources: 9 added"))

        let rule = try await cairn.awsJSON(["events", "describe-rule", "--name", name])
        #expect(rule["ScheduleExpression"] == "rate(15 minutes)")
        let targets = try await cairn.awsJSON(["events", "list-targets-by-rule", "--rule", name])
        #expect(targets["Targets"][0]["Arn"] == .string("arn:aws:codebuild:eu-north-1:123456789012:project/\(name)"))
        let providers = try await cairn.awsJSON(["iam", "list-open-id-connect-providers"])
        #expect((providers["OpenIDConnectProviderList"].array ?? []).contains { $0["Arn"].string?.hasSuffix("token.actions.githubusercontent.com") == true })
        let attached = try await cairn.awsJSON(["iam", "list-attached-role-policies", "--role-name", "\(name)-github"])
        #expect(attached["AttachedPolicies"][0]["PolicyName"] == .string("\(name)-read"))

        #expect(try await cairn.run(["plan", stack, "--env", env, "--detailed-exitcode"]).status == 0, "no changes after apply")
        let drift = try await cairn.run(["drift", stack, "--env", env])
        #expect(drift.status == 0, "no drift after apply: \(drift)")

        let destroy = try await cairn.run(["destroy", stack, "--env", env, "--auto-approve"])
        #expect(destroy.status == 0, "\(destroy)")
        #expect(try await cairn.aws(["events", "describe-rule", "--name", name]).status != 0)
        #expect(try await cairn.aws(["iam", "get-role", "--role-name", "\(name)-github"]).status != 0)
        let topics = try await cairn.awsJSON(["sns", "list-topics"])
        #expect(!(topics["Topics"].array ?? []).contains { $0["TopicArn"].string?.hasSuffix(":\(name)-alerts") == true })
        let policies = try await cairn.awsJSON(["iam", "list-policies", "--scope", "Local"])
        #expect(!(policies["Policies"].array ?? []).contains { $0["PolicyName"].string == "\(name)-read" })
    }
}
