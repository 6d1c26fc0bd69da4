import Foundation
import TestSupport
import Testing

/// `--target` and `--replace` through the `cairn-fixtures` binary against moto, checked with the aws CLI: only the
/// targets (and what they depend on) are made or destroyed, and a replaced resource has a new identity.
@Suite(.integration) struct TargetingCLITests {
    let stack = "fixture-app"

    @Test func onlyTheTargetsAreMadeAndASavedTargetedPlanAppliesOnlyThem() async throws {
        let cairn = try await CairnRunner.make()
        let env = uniqueEnvironment("target")
        let name = "fixture-app-\(env)"
        let typo = try await cairn.run(["plan", stack, "--env", env, "--target", "aws_iam_role.bild"])
        #expect(typo.status == 1, "\(typo)")
        #expect(
            typo.stderr.contains(
                "Error: aws_iam_role.bild: --target names no resource that 'fixture-app' declares or holds in its state: did you mean aws_iam_role.build?"
            ), "\(typo)")

        // The role refers to the repository and the bucket: those three, not the task definition.
        let apply = try await cairn.run(["apply", stack, "--env", env, "--target", "aws_iam_role.build", "--auto-approve"])
        #expect(apply.status == 0, "\(apply)")
        #expect(apply.stdout.contains("Warning: Resource targeting is in effect: this covers only aws_iam_role.build and what it depends on"))
        #expect(apply.stdout.contains("Apply complete! Resources: 3 added, 0 changed, 0 replaced, 0 destroyed."), "\(apply)")
        #expect(apply.stdout.contains("Warning: Applied changes may be incomplete"))
        #expect(try await cairn.aws(["iam", "get-role", "--role-name", "\(name)-build"]).status == 0)
        #expect(try await cairn.aws(["ecr", "describe-repositories", "--repository-names", name]).status == 0)
        #expect(try await cairn.aws(["s3api", "head-bucket", "--bucket", "\(name)-artifacts"]).status == 0)
        let families = try await cairn.awsJSON(["ecs", "list-task-definitions", "--family-prefix", name])
        #expect(families["taskDefinitionArns"].array?.isEmpty == true, "not targeted, not registered")

        // Saved with --out: applying the file makes only what it holds.
        let planFile = cairn.stateDir.appendingPathComponent("target.plan").path
        let plan = try await cairn.run(["plan", stack, "--env", env, "--target", "aws_ecs_task_definition.app", "--out", planFile])
        #expect(plan.status == 0 && plan.stdout.contains("+ aws_ecs_task_definition.app"), "\(plan)")
        #expect(plan.stdout.contains("Plan: 1 to create, 0 to update, 0 to replace, 0 to delete."), "\(plan)")
        let retargeted = try await cairn.run(["apply", planFile, "--target", "aws_iam_role.build"])
        #expect(retargeted.status == 1 && retargeted.stderr.contains("A saved plan applies exactly what it holds"), "\(retargeted)")
        let saved = try await cairn.run(["apply", planFile])
        #expect(saved.status == 0 && saved.stdout.contains("Resource targeting is in effect"), "\(saved)")
        #expect(try await cairn.awsJSON(["ecs", "list-task-definitions", "--family-prefix", name])["taskDefinitionArns"].array?.count == 1)
        #expect(try await cairn.run(["plan", stack, "--env", env, "--detailed-exitcode"]).status == 0, "everything is made now")

        // A targeted destroy takes what depends on the target: the role and the task definition name the repository.
        let destroy = try await cairn.run(["destroy", stack, "--env", env, "--target", "aws_ecr_repository.app", "--auto-approve"])
        #expect(destroy.status == 0 && destroy.stdout.contains("Destroy complete! Resources: 3 destroyed."), "\(destroy)")
        #expect(
            destroy.stdout.contains(
                "Warning: Resource targeting is in effect: this covers only aws_ecr_repository.app and what depends on it"), "\(destroy)")
        #expect(
            destroy.stdout.contains("Warning: Applied changes may be incomplete: only the targets and what they relate to were destroyed"),
            "\(destroy)")
        #expect(try await cairn.aws(["ecr", "describe-repositories", "--repository-names", name]).status != 0)
        #expect(try await cairn.aws(["iam", "get-role", "--role-name", "\(name)-build"]).status != 0)
        #expect(
            try await cairn.aws(["s3api", "head-bucket", "--bucket", "\(name)-artifacts"]).status == 0, "the bucket depends on nothing destroyed")
        let list = try await cairn.run(["state", "list", stack, "--env", env])
        #expect(list.stdout.split(separator: "\n").map { $0.split(separator: "\t")[0] } == ["aws_s3_bucket.artifacts"], "\(list)")
        try await cairn.run(["destroy", stack, "--env", env, "--auto-approve"]).requireSuccess("destroy")
    }

    @Test func aReplacedRoleHasANewIdAndAReplacedTaskDefinitionANewRevision() async throws {
        let cairn = try await CairnRunner.make()
        let env = uniqueEnvironment("replace")
        let name = "fixture-app-\(env)"
        try await cairn.run(["apply", stack, "--env", env, "--auto-approve"]).requireSuccess("apply")
        let roleID = try await cairn.awsJSON(["iam", "get-role", "--role-name", "\(name)-build"])["Role"]["RoleId"].string
        #expect(roleID != nil)

        let plan = try await cairn.run([
            "plan", stack, "--env", env, "--replace", "aws_iam_role.build", "--replace", "aws_ecs_task_definition.app", "--detailed-exitcode",
        ])
        #expect(plan.status == 2, "\(plan)")
        #expect(
            plan.stdout.contains("-/+ aws_iam_role.build  (must be replaced, as requested: destroy then create, because its name is fixed)"),
            "\(plan)")
        #expect(
            plan.stdout.contains("+/- aws_ecs_task_definition.app  (must be replaced, as requested: create the new one, then destroy the old one"))
        let typo = try await cairn.run(["plan", stack, "--env", env, "--replace", "aws_iam_role.buld"])
        #expect(typo.status == 1 && typo.stderr.contains("did you mean aws_iam_role.build?"), "\(typo)")

        let apply = try await cairn.run([
            "apply", stack, "--env", env, "--replace", "aws_iam_role.build", "--replace", "aws_ecs_task_definition.app", "--auto-approve",
        ])
        #expect(apply.status == 0 && apply.stdout.contains("Apply complete! Resources: 0 added, 0 changed, 2 replaced, 0 destroyed."), "\(apply)")
        let newRoleID = try await cairn.awsJSON(["iam", "get-role", "--role-name", "\(name)-build"])["Role"]["RoleId"].string
        #expect(newRoleID != nil && newRoleID != roleID, "a new role under the same name")
        let latest = try await cairn.awsJSON(["ecs", "describe-task-definition", "--task-definition", name])
        #expect(latest["taskDefinition"]["revision"] == 2)
        let first = try await cairn.awsJSON(["ecs", "describe-task-definition", "--task-definition", "\(name):1"])
        #expect(first["taskDefinition"]["status"] == "INACTIVE", "the old revision goes once the new one is in place")
        #expect(try await cairn.run(["plan", stack, "--env", env, "--detailed-exitcode"]).status == 0)
        try await cairn.run(["destroy", stack, "--env", env, "--auto-approve"]).requireSuccess("destroy")
    }

    @Test func aTargetedDriftCheckAndRefreshWarnThatTheyArePartial() async throws {
        let cairn = try await CairnRunner.make()
        let env = uniqueEnvironment("tdrift")
        let name = "fixture-app-\(env)"
        try await cairn.run(["apply", stack, "--env", env, "--auto-approve"]).requireSuccess("apply")
        try await cairn.aws([
            "ecr", "put-image-scanning-configuration", "--repository-name", name, "--image-scanning-configuration", "scanOnPush=false",
        ]).requireSuccess()
        try await cairn.aws(["s3api", "put-bucket-versioning", "--bucket", "\(name)-artifacts", "--versioning-configuration", "Status=Suspended"])
            .requireSuccess()
        let warning = "Warning: Resource targeting is in effect: this covers only aws_s3_bucket.artifacts and what it depends on"

        let text = try await cairn.run(["drift", stack, "--env", env, "--target", "aws_s3_bucket.artifacts"])
        #expect(text.status == 2 && text.stdout.contains(warning), "\(text)")
        #expect(text.stdout.contains("aws_s3_bucket.artifacts") && !text.stdout.contains("aws_ecr_repository.app"), "\(text)")
        let json = try await cairn.run(["drift", stack, "--env", env, "--target", "aws_s3_bucket.artifacts", "--format", "json"])
        #expect(json.status == 2 && json.stderr.contains(warning), "the warning beside the JSON, not in it: \(json)")
        #expect(try JSONValue(parsing: json.stdout)["resources"].array?.compactMap { $0["address"].string } == ["aws_s3_bucket.artifacts"])

        // Terraform's `apply -refresh-only -target`: only the repository's drift is accepted.
        let refresh = try await cairn.run([
            "apply", stack, "--env", env, "--refresh-only", "--target", "aws_ecr_repository.app", "--auto-approve",
        ])
        #expect(refresh.status == 0 && refresh.stdout.contains("Refresh complete: 1 resource recorded as AWS has them."), "\(refresh)")
        #expect(
            refresh.stdout.contains("Warning: Resource targeting is in effect: this covers only aws_ecr_repository.app and what it depends on"),
            "\(refresh)")
        let after = try await cairn.run(["drift", stack, "--env", env, "--format", "json"])
        #expect(after.status == 2, "\(after)")
        #expect(try JSONValue(parsing: after.stdout)["resources"].array?.compactMap { $0["address"].string } == ["aws_s3_bucket.artifacts"])
        #expect(
            try await cairn.awsJSON(["ecr", "describe-repositories", "--repository-names", name])["repositories"][0]["imageScanningConfiguration"][
                "scanOnPush"] == false, "AWS is left as it is")
        let replace = try await cairn.run(["apply", stack, "--env", env, "--refresh-only", "--replace", "aws_ecr_repository.app"])
        #expect(replace.status != 0 && replace.stderr.contains("--replace goes with a plan, not with --refresh-only."), "\(replace)")
        try await cairn.run(["destroy", stack, "--env", env, "--auto-approve"]).requireSuccess("destroy")
    }
}
