import Foundation
import TestSupport
import Testing

/// A new IAM role that CodeBuild cannot assume yet, end to end: the fault proxy answers seed 000's `CreateProject` three
/// times as real AWS does in the seconds after `CreateRole` ("not authorized to perform: sts:AssumeRole"); `cairn apply`
/// waits it out, says so on its progress, and the aws CLI (talking to moto directly) finds the project once. In the same
/// apply and destroy, IAM answers one CreateRole and one DeleteRole with `ConcurrentModification` (another change to the
/// role under way), which is waited out as well, and said.
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
        let conflict = "Cannot perform the operation because multiple requests to change this object were submitted simultaneously."
        try await proxy.add([
            FaultProxy.Rule.roleNotAssumable("codebuild:CreateProject", role: role).count(3),
            FaultProxy.Rule.error("iam:CreateRole", code: "ConcurrentModification", status: 409, message: conflict).count(1),
            FaultProxy.Rule.error("iam:DeleteRole", code: "ConcurrentModification", status: 409, message: conflict).count(1),
        ])
        let bound = Duration.seconds(600)  // bound: one apply of seed 000, four 3 s waits, on a busy machine
        let apply = try await cairn.run(["apply", stack, "--env", env, "--auto-approve"], timeout: bound)
        #expect(apply.status == 0, "\(apply)\n\(proxy.logTail())")
        #expect(apply.stdout.contains("waiting for IAM role \(project)-codebuild to reach CodeBuild (attempt 4)"), "\(apply)")
        #expect(!apply.stdout.contains("(attempt 5)"), "\(apply)")
        #expect(try await proxy.stats()["codebuild:CreateProject"].injected == 3)
        #expect(apply.stdout.contains(/waiting for IAM role \S+ to finish another change \(attempt 2\)/), "\(apply)")
        #expect(try await proxy.stats()["iam:CreateRole"].injected == 1)
        let roles = (try await cairn.awsJSON(["iam", "list-roles"])["Roles"].array ?? []).compactMap { $0["RoleName"].string }
        #expect(roles.filter { $0.hasPrefix(project) }.count == 3, "each of seed 000's roles once: \(roles)")
        let projects = (try await cairn.awsJSON(["codebuild", "list-projects"])["projects"].array ?? []).compactMap(\.string)
        #expect(projects.filter { $0.hasPrefix(project) } == ["\(project)-build"], "\(projects)")

        let destroy = try await cairn.run(["destroy", stack, "--env", env, "--auto-approve"], timeout: bound)
        #expect(destroy.status == 0, "\(destroy)\n\(proxy.logTail())")
        #expect(destroy.stdout.contains(/waiting for IAM role \S+ to finish another change \(attempt 2\)/), "\(destroy)")
        #expect(try await proxy.stats()["iam:DeleteRole"].injected == 1)
        let rolesLeft = (try await cairn.awsJSON(["iam", "list-roles"])["Roles"].array ?? []).compactMap { $0["RoleName"].string }
        #expect(rolesLeft.filter { $0.hasPrefix(project) }.isEmpty, "\(rolesLeft)")
        let left = (try await cairn.awsJSON(["codebuild", "list-projects"])["projects"].array ?? []).compactMap(\.string)
        #expect(left.filter { $0.hasPrefix(project) }.isEmpty, "\(left)")
    }
}
