import Foundation
import TestSupport
import Testing

/// A new IAM role that CodeBuild cannot assume yet, end to end: the fault proxy answers seed 000's `CreateProject` three
/// times as real AWS does in the seconds after `CreateRole` ("not authorized to perform: sts:AssumeRole"); `cairn apply`
/// waits it out, says so on its progress, and the aws CLI (talking to moto directly) finds the project once.
@Suite(.integration) struct PropagationRetryTests {
    let stack = "small-business-invoices"

    @Test func applyWaitsForANewRoleToReachCodeBuildAndSaysSo() async throws {
        var cairn = try await CairnRunner.make(executable: CairnRunner.executable)
        let proxy = try await FaultProxy.start(upstream: cairn.moto)
        defer { proxy.stop() }
        cairn.extraEnvironment["AWS_ENDPOINT_URL"] = proxy.endpoint.absoluteString
        let env = uniqueEnvironment("reach")
        let project = "\(stack)-\(env)"
        let role = "arn:aws:iam::123456789012:role/\(project)-codebuild"
        try await proxy.add(FaultProxy.Rule.roleNotAssumable("codebuild:CreateProject", role: role).count(3))
        let bound = Duration.seconds(600)  // bound: one apply of seed 000, three 3 s waits, on a busy machine
        let apply = try await cairn.run(["apply", stack, "--env", env, "--auto-approve"], timeout: bound)
        #expect(apply.status == 0, "\(apply)\n\(proxy.logTail())")
        #expect(apply.stdout.contains("waiting for IAM role \(project)-codebuild to reach CodeBuild (attempt 4)"), "\(apply)")
        #expect(!apply.stdout.contains("(attempt 5)"), "\(apply)")
        #expect(try await proxy.stats()["codebuild:CreateProject"].injected == 3)
        let projects = (try await cairn.awsJSON(["codebuild", "list-projects"])["projects"].array ?? []).compactMap(\.string)
        #expect(projects.filter { $0.hasPrefix(project) } == ["\(project)-build"], "\(projects)")

        let destroy = try await cairn.run(["destroy", stack, "--env", env, "--auto-approve"], timeout: bound)
        #expect(destroy.status == 0, "\(destroy)\n\(proxy.logTail())")
        let left = (try await cairn.awsJSON(["codebuild", "list-projects"])["projects"].array ?? []).compactMap(\.string)
        #expect(left.filter { $0.hasPrefix(project) }.isEmpty, "\(left)")
    }
}
