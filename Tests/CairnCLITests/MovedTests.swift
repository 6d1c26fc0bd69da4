import Foundation
import TestSupport
import Testing

/// Declared renames through the `cairn-fixtures` binary against moto (`fixture-moves`, whose declaration
/// `FIXTURE_MOVES` picks): apply rewrites the state and calls nothing that changes AWS, as the aws CLI confirms.
@Suite(.integration) struct MovedCLITests {
    let stack = "fixture-moves"

    @Test func aDeclaredMoveKeepsTheResourcesAndChangesNothingInAWS() async throws {
        var cairn = try await CairnRunner.make()
        let env = uniqueEnvironment("moves")
        let name = "fixture-moves-\(env)"
        try await cairn.run(["apply", stack, "--env", env, "--auto-approve"]).requireSuccess("apply")
        let roleID = try await cairn.awsJSON(["iam", "get-role", "--role-name", "\(name)-build"])["Role"]["RoleId"].string
        let repository = try await cairn.awsJSON(["ecr", "describe-repositories", "--repository-names", name])["repositories"][0]
        #expect(roleID != nil && repository["repositoryArn"].string != nil)

        // Renamed without declaring the moves: the plan would take the repository at its new address and delete it at
        // the old one, so it stops and names the move to declare.
        cairn.extraEnvironment["FIXTURE_MOVES"] = "undeclared"
        let undeclared = try await cairn.run(["plan", stack, "--env", env])
        #expect(undeclared.status == 1, "\(undeclared)")
        #expect(
            undeclared.stderr.contains(
                #"looks like a rename of aws_ecr_repository.app to aws_ecr_repository.images: add moved(from: "aws_ecr_repository.app", to: "aws_ecr_repository.images") to the stack to keep it"#
            ), "\(undeclared)")

        cairn.extraEnvironment["FIXTURE_MOVES"] = "renamed"
        let plan = try await cairn.run(["plan", stack, "--env", env, "--detailed-exitcode"])
        #expect(plan.status == 2, "\(plan)")
        #expect(plan.stdout.contains("# aws_ecr_repository.app has moved to aws_ecr_repository.images"), "\(plan)")
        #expect(plan.stdout.contains("# aws_iam_role.build has moved to aws_iam_role.ci"), "\(plan)")
        #expect(plan.stdout.contains("Plan: 0 to create, 0 to update, 0 to replace, 0 to delete, 2 to move."), "\(plan)")

        let apply = try await cairn.run(["apply", stack, "--env", env, "--auto-approve", "--verbose"])
        #expect(
            apply.status == 0 && apply.stdout.contains("Apply complete! Resources: 0 added, 0 changed, 0 replaced, 0 destroyed, 2 moved."), "\(apply)"
        )
        // Every API call of the run, planning included, only read.
        let calls = apply.stderr.split(separator: "\n").filter { $0.hasPrefix("cairn: aws ") }
        #expect(!calls.isEmpty)
        let changing = calls.filter {
            $0.range(
                of: #"^cairn: aws [A-Za-z0-9 ]+\.(Create|Delete|Put|Update|Tag|Untag|Attach|Detach|Set|Register|Deregister)"#,
                options: .regularExpression)
                != nil
        }
        #expect(changing.isEmpty, "\(changing)")
        #expect(try await cairn.awsJSON(["iam", "get-role", "--role-name", "\(name)-build"])["Role"]["RoleId"].string == roleID)
        let after = try await cairn.awsJSON(["ecr", "describe-repositories", "--repository-names", name])["repositories"][0]
        #expect(after["repositoryArn"] == repository["repositoryArn"] && after["createdAt"] == repository["createdAt"])

        let list = try await cairn.run(["state", "list", stack, "--env", env])
        #expect(list.stdout.contains("aws_ecr_repository.images\t") && list.stdout.contains("aws_iam_role.ci\t"), "\(list)")
        let history = try await cairn.run(["state", "history", stack, "--env", env])
        #expect(history.stdout.contains(#"moved(from: "aws_iam_role.build", to: "aws_iam_role.ci")"#), "\(history)")
        // The moves stay declared, and are done: nothing more to do.
        #expect(try await cairn.run(["plan", stack, "--env", env, "--detailed-exitcode"]).status == 0)
        try await cairn.run(["destroy", stack, "--env", env, "--auto-approve"]).requireSuccess("destroy")
    }
}
