import Foundation
import TestSupport
import Testing

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
        #expect(apply.stdout.contains("Apply complete! Resources: 12 added"))

        // The scheduled check runs the binary the publish project stored: no clone, no build.
        let projects = try await cairn.awsJSON(["codebuild", "batch-get-projects", "--names", name, "\(name)-publish"])
        let check = try #require(projects["projects"].array?.first { $0["name"].string == name })
        let buildspec = check["source"]["buildspec"].string ?? ""
        #expect(buildspec.contains("aws s3 cp \"s3://$TOOLS_BUCKET/releases/latest/cairn\""), "\(buildspec)")
        #expect(!buildspec.contains("swift build") && !buildspec.contains("git clone"), "\(buildspec)")
        #expect(check["environment"]["image"] == "aws/codebuild/standard:7.0")
        let variables = check["environment"]["environmentVariables"].array ?? []
        #expect(variables.contains { $0["name"] == "TOOLS_BUCKET" && $0["value"] == .string("\(name)-tools") })
        #expect(variables.contains { $0["name"] == "CAIRN_STATE_KEY" && $0["type"] == "PARAMETER_STORE" })
        let publish = try #require(projects["projects"].array?.first { $0["name"].string == "\(name)-publish" })
        #expect(publish["artifacts"]["type"] == "S3")
        #expect(publish["artifacts"]["location"] == .string("\(name)-tools"))
        #expect(publish["artifacts"]["path"] == "releases" && publish["artifacts"]["name"] == "latest")
        #expect(publish["source"]["buildspec"].string?.contains("swift build -c release --product cairn --static-swift-stdlib") == true)
        let versioning = try await cairn.awsJSON(["s3api", "get-bucket-versioning", "--bucket", "\(name)-tools"])
        #expect(versioning["Status"] == "Enabled")

        let rule = try await cairn.awsJSON(["events", "describe-rule", "--name", name])
        #expect(rule["ScheduleExpression"] == "rate(15 minutes)")
        let targets = try await cairn.awsJSON(["events", "list-targets-by-rule", "--rule", name])
        #expect(targets["Targets"][0]["Arn"] == .string("arn:aws:codebuild:eu-north-1:123456789012:project/\(name)"))
        let providers = try await cairn.awsJSON(["iam", "list-open-id-connect-providers"])
        #expect(
            (providers["OpenIDConnectProviderList"].array ?? []).contains {
                $0["Arn"].string?.hasSuffix("token.actions.githubusercontent.com") == true
            })
        let attached = try await cairn.awsJSON(["iam", "list-attached-role-policies", "--role-name", "\(name)-github"])
        #expect(attached["AttachedPolicies"][0]["PolicyName"] == .string("\(name)-read"))

        #expect(try await cairn.run(["plan", stack, "--env", env, "--detailed-exitcode"]).status == 0, "no changes after apply")
        let drift = try await cairn.run(["drift", stack, "--env", env])
        #expect(drift.status == 0, "no drift after apply: \(drift)")

        let destroy = try await cairn.run(["destroy", stack, "--env", env, "--auto-approve"])
        #expect(destroy.status == 0, "\(destroy)")
        #expect(try await cairn.aws(["events", "describe-rule", "--name", name]).status != 0)
        #expect(try await cairn.aws(["iam", "get-role", "--role-name", "\(name)-github"]).status != 0)
        #expect(try await cairn.aws(["s3api", "head-bucket", "--bucket", "\(name)-tools"]).status != 0)
        let gone = try await cairn.awsJSON(["codebuild", "batch-get-projects", "--names", name, "\(name)-publish"])
        #expect((gone["projects"].array ?? []).isEmpty, "\(gone)")
        let topics = try await cairn.awsJSON(["sns", "list-topics"])
        #expect(!(topics["Topics"].array ?? []).contains { $0["TopicArn"].string?.hasSuffix(":\(name)-alerts") == true })
        let policies = try await cairn.awsJSON(["iam", "list-policies", "--scope", "Local"])
        #expect(!(policies["Policies"].array ?? []).contains { $0["PolicyName"].string == "\(name)-read" })
    }
}
