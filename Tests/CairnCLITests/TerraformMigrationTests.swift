import Foundation
import TestSupport
import Testing

/// Moving from Terraform: seed 000's prerequisites applied by Terraform (bench/terraform, the AWS provider from the
/// local mirror), imported into `small-business-invoices` with `cairn import --from-terraform`, planned with no
/// changes, and destroyed by Cairn; the aws CLI checks that nothing was made twice and nothing is left.
@Suite(.integration) struct TerraformMigrationTests {
    let stack = "small-business-invoices"

    /// What AWS holds of the stack's copy `project` (`small-business-invoices-ENV`), counted with the aws CLI.
    func inventory(_ cairn: CairnRunner, project: String, cluster: String) async throws -> [String: Int] {
        func count(_ arguments: [String], _ list: (JSONValue) -> [JSONValue]) async throws -> Int {
            list(try await cairn.awsJSON(arguments)).count
        }
        func named(_ values: [JSONValue], _ key: String, prefix: String) -> [JSONValue] {
            values.filter { $0[key].string?.hasPrefix(prefix) == true }
        }
        var found: [String: Int] = [:]
        found["ecr"] = try await count(["ecr", "describe-repositories"]) { named($0["repositories"].array ?? [], "repositoryName", prefix: project) }
        found["s3"] = try await count(["s3api", "list-buckets"]) { named($0["Buckets"].array ?? [], "Name", prefix: project) }
        found["iam"] = try await count(["iam", "list-roles"]) { named($0["Roles"].array ?? [], "RoleName", prefix: project) }
        found["logs"] = try await count(["logs", "describe-log-groups", "--log-group-name-prefix", "/ecs/\(project)"]) { $0["logGroups"].array ?? [] }
        found["ec2"] = try await count(["ec2", "describe-security-groups", "--filters", "Name=group-name,Values=\(project)-service"]) {
            $0["SecurityGroups"].array ?? []
        }
        found["codebuild"] = try await count(["codebuild", "list-projects"]) {
            ($0["projects"].array ?? []).filter { $0.string?.hasPrefix(project) == true }
        }
        found["codepipeline"] = try await count(["codepipeline", "list-pipelines"]) { named($0["pipelines"].array ?? [], "name", prefix: project) }
        found["ecs-clusters"] = try await count(["ecs", "describe-clusters", "--clusters", cluster]) {
            ($0["clusters"].array ?? []).filter { $0["status"] == "ACTIVE" }
        }
        found["ecs-services"] = try await count(["ecs", "describe-services", "--cluster", cluster, "--services", "\(project)-service"]) {
            ($0["services"].array ?? []).filter { $0["status"] == "ACTIVE" }
        }
        found["ecs-task-definitions"] = try await count(["ecs", "list-task-definitions", "--family-prefix", project, "--status", "ACTIVE"]) {
            $0["taskDefinitionArns"].array ?? []
        }
        return found
    }

    @Test func aTerraformStateIsImportedPlannedWithNoChangesAndDestroyedByCairn() async throws {
        let cairn = try await CairnRunner.make(executable: CairnRunner.executable)
        let terraform = try await TerraformRunner.make(moto: cairn.moto)
        let env = uniqueEnvironment("tf")
        let project = "small-business-invoices-\(env)"
        let cluster = "small-business-cluster-\(env)"
        let variables = ["-var", "environment=\(env)", "-var", "github_token=\(CairnRunner.gitHubToken)"]

        let applied = try await terraform.run(["apply", "-auto-approve", "-no-color"] + variables)
        #expect(applied.status == 0, "\(applied)")
        #expect(applied.stdout.contains("Apply complete! Resources: 22 added"), "\(applied.stdout)")
        let made = try await inventory(cairn, project: project, cluster: cluster)
        #expect(
            made == [
                "ecr": 1, "s3": 1, "iam": 3, "logs": 1, "ec2": 1, "codebuild": 1, "codepipeline": 1, "ecs-clusters": 1, "ecs-services": 1,
                "ecs-task-definitions": 1,
            ])

        let imported = try await cairn.run(["import", stack, "--env", env, "--from-terraform", terraform.stateFile.path])
        #expect(imported.status == 0, "\(imported)")
        #expect(
            imported.stdout.contains(
                "12 imported (12 given this state's ownership tags), 0 already in the state, 10 covered by their parent, 2 skipped, 0 declared but not in Terraform."
            ), "\(imported.stdout)")
        #expect(imported.stdout.contains("← aws_ecs_service.app  \(cluster)/\(project)-service  (by cluster and name)"))
        #expect(
            imported.stdout.contains("aws_s3_bucket_versioning.artifacts                            covered by aws_s3_bucket.artifacts (versioning)"))
        #expect(imported.stdout.contains("data.aws_vpc.default      a data source: Cairn evaluates its look-ups at every plan"))
        #expect(!imported.stdout.contains(CairnRunner.gitHubToken) && !imported.stderr.contains(CairnRunner.gitHubToken))
        let history = try await cairn.run(["state", "history", stack, "--env", env])
        let rows = history.stdout.split(separator: "\n")
        #expect(
            rows.count == 12 && rows.allSatisfy { $0.hasPrefix("1\t") && $0.contains("\timport --from-terraform ") }, "one commit: \(history.stdout)")

        let plan = try await cairn.run(["plan", stack, "--env", env, "--detailed-exitcode"])
        #expect(plan.status == 0, "no changes after the import: \(plan)")
        #expect(try await inventory(cairn, project: project, cluster: cluster) == made, "nothing made twice")
        let tags = try await cairn.awsJSON(["s3api", "get-bucket-tagging", "--bucket", "\(project)-pipeline-artifacts"])
        #expect(
            (tags["TagSet"].array ?? []).contains { $0["Key"] == "cairn:stack" && $0["Value"] == .string(stack) },
            "this state's ownership tags, in AWS")

        let again = try await cairn.run(["import", stack, "--env", env, "--from-terraform", terraform.stateFile.path])
        #expect(again.status == 0 && again.stdout.contains("0 imported, 12 already in the state"), "\(again)")

        let destroyed = try await cairn.run(["destroy", stack, "--env", env, "--auto-approve"])
        #expect(destroyed.status == 0, "\(destroyed)")
        let left = try await inventory(cairn, project: project, cluster: cluster)
        #expect(left.values.allSatisfy { $0 == 0 }, "everything gone: \(left)")
    }

    @Test func badInputExitsOneWithOneSentenceAndLeavesTheStateAlone() async throws {
        let cairn = try await CairnRunner.make(executable: CairnRunner.executable)
        let directory = try makeTemporaryDirectory()
        func file(_ name: String, _ text: String) throws -> String {
            let url = directory.appendingPathComponent(name)
            try Data(text.utf8).write(to: url)
            return url.path
        }
        let provider = #"provider[\"registry.terraform.io/hashicorp/aws\"]"#
        let bucket = try file(
            "bucket.tfstate",
            #"{"version": 4, "terraform_version": "1.11.4", "resources": [{"mode": "managed", "type": "aws_s3_bucket", "name": "artifacts", "provider": "\#(provider)", "instances": [{"attributes": {"id": "b", "bucket": "b"}}]}]}"#
        )
        let cases: [(arguments: [String], message: String)] = [
            (
                ["--from-terraform", try file("main.tf", #"resource "aws_s3_bucket" "b" {}"#)],
                "is not a Terraform state (a JSON object with \"version\" and \"resources\"): pass the terraform.tfstate file, or what `terraform state pull` prints."
            ),
            (
                ["--from-terraform", try file("old.tfstate", #"{"version": 3, "terraform_version": "0.11.14", "modules": []}"#)],
                "is a Terraform state of format version 3, and Cairn reads version 4 (what Terraform 0.12 and later write)"
            ),
            (
                [
                    "--from-terraform",
                    try file(
                        "random.tfstate",
                        #"{"version": 4, "resources": [{"mode": "managed", "type": "random_id", "name": "x", "provider": "provider[\"registry.terraform.io/hashicorp/random\"]", "instances": [{"attributes": {"hex": "ab"}}]}]}"#
                    ),
                ],
                "holds no AWS resources (1 resource instance of other providers or data sources): there is nothing for Cairn to import."
            ),
            (
                ["--from-terraform", bucket, "--map", try file("map.json", #"{"aws_s3_bucket.artifacts": "aws_s3_bucket.artefacts"}"#)],
                "the map puts aws_s3_bucket.artifacts at aws_s3_bucket.artefacts, which small-business-invoices does not declare (did you mean aws_s3_bucket.artifacts?)"
            ),
            (["--from-terraform", try file("missing.tfstate", "x") + ".gone"], "cannot be read"),
        ]
        for (arguments, message) in cases {
            let result = try await cairn.run(["import", stack, "--env", "tfbad"] + arguments)
            #expect(result.status == 1, "\(arguments): \(result)")
            #expect(result.stderr.contains(message), "\(arguments): \(result.stderr)")
            #expect(result.stderr.split(separator: "\n").count == 1, "one sentence: \(result.stderr)")
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: cairn.stateDir.path).isEmpty, "no state written")
    }
}
