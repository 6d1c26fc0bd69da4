import Foundation
import TestSupport
import Testing

/// Seed 000's complete system: applied, re-planned with no changes, destroyed leaving nothing in any
/// service (checked with the aws CLI), and the GitHub token never shown nor stored in clear.
@Suite(.integration) struct SeedStackTests {
    let stack = "small-business-invoices"

    @Test func applyNoChangeDestroyLeavesNothingAndTheTokenStaysSecret() async throws {
        let cairn = try await CairnRunner.make(executable: CairnRunner.executable)
        let env = uniqueEnvironment("seed")
        let project = "small-business-invoices-\(env)"
        let token = CairnRunner.gitHubToken
        var outputs: [ProcessResult] = []

        let planFile = cairn.stateDir.appendingPathComponent("seed.plan").path
        outputs.append(try await cairn.run(["plan", stack, "--env", env, "--out", planFile]))
        outputs.append(try await cairn.run(["plan", stack, "--env", env, "--format", "json"]))
        let apply = try await cairn.run(["apply", planFile, "--verbose"])
        outputs.append(apply)
        #expect(apply.status == 0, "\(apply)")
        #expect(apply.stdout.contains("Apply complete! Resources: 12 added"))

        // Every service involved, checked independently.
        let service = try await cairn.awsJSON([
            "ecs", "describe-services", "--cluster", "small-business-cluster-\(env)", "--services", "\(project)-service",
        ])
        #expect(service["services"][0]["status"] == "ACTIVE")
        #expect(service["services"][0]["taskDefinition"].string?.contains("task-definition/\(project):1") == true)
        #expect(service["services"][0]["networkConfiguration"]["awsvpcConfiguration"]["assignPublicIp"] == "ENABLED")
        let taskDefinition = try await cairn.awsJSON(["ecs", "describe-task-definition", "--task-definition", project])
        #expect(
            taskDefinition["taskDefinition"]["containerDefinitions"][0]["image"]
                == .string("123456789012.dkr.ecr.eu-north-1.amazonaws.com/\(project):latest"))
        #expect(
            taskDefinition["taskDefinition"]["containerDefinitions"][0]["logConfiguration"]["options"]["awslogs-group"] == .string("/ecs/\(project)"))
        let buildProjects = try await cairn.awsJSON(["codebuild", "batch-get-projects", "--names", "\(project)-build"])
        #expect(buildProjects["projects"][0]["environment"]["privilegedMode"] == true)
        #expect(buildProjects["projects"][0]["serviceRole"] == .string("arn:aws:iam::123456789012:role/\(project)-codebuild"))
        let pipeline = try await cairn.awsJSON(["codepipeline", "get-pipeline", "--name", "\(project)-pipeline"])
        let stages = pipeline["pipeline"]["stages"].array ?? []
        #expect(stages.map { $0["name"].string ?? "" } == ["Source", "Build", "Deploy"])
        #expect(stages[2]["actions"][0]["configuration"]["FileName"] == "imagedefinitions.json")
        #expect(pipeline["pipeline"]["artifactStore"]["location"] == .string("\(project)-pipeline-artifacts"))
        let groups = try await cairn.awsJSON(["ec2", "describe-security-groups", "--filters", "Name=group-name,Values=\(project)-service"])
        #expect(groups["SecurityGroups"][0]["IpPermissions"][0]["FromPort"] == 8080)
        let logGroups = try await cairn.awsJSON(["logs", "describe-log-groups", "--log-group-name-prefix", "/ecs/\(project)"])
        #expect(logGroups["logGroups"][0]["retentionInDays"] == 30)

        let replan = try await cairn.run(["plan", stack, "--env", env, "--detailed-exitcode"])
        outputs.append(replan)
        #expect(replan.status == 0, "no changes right after apply: \(replan)")
        let drift = try await cairn.run(["drift", stack, "--env", env])
        outputs.append(drift)
        #expect(drift.status == 0, "no drift right after apply, for every resource type: \(drift)")
        let names = try await cairn.run(["output", stack, "--env", env, "--format", "json"])
        outputs.append(names)
        let values = try JSONValue(parsing: names.stdout)
        #expect(values["ECS_SERVICE_NAME"] == .string("\(project)-service"))
        #expect(values["ECS_CLUSTER_NAME"] == .string("small-business-cluster-\(env)"))
        #expect(values["AWS_ACCOUNT_ID"] == "123456789012")
        #expect(values["AWS_DEFAULT_REGION"] == "eu-north-1")
        #expect(values["ECR_REPOSITORY_URI"] == .string("123456789012.dkr.ecr.eu-north-1.amazonaws.com/\(project)"))
        outputs.append(try await cairn.run(["state", "show", stack, "aws_codepipeline.app", "--env", env]))

        // The token: nowhere in what was printed, in the plan file, or in the state's bytes.
        for result in outputs {
            #expect(!result.stdout.contains(token) && !result.stderr.contains(token), "the token leaked: \(result)")
        }
        #expect(!(try String(contentsOfFile: planFile, encoding: .utf8)).contains(token))
        for file in try FileManager.default.contentsOfDirectory(atPath: cairn.stateDir.path) {
            let bytes = try Data(contentsOf: cairn.stateDir.appendingPathComponent(file))
            #expect(bytes.range(of: Data(token.utf8)) == nil, "\(file) holds the token in clear")
        }
        #expect(pipeline["pipeline"]["stages"][0]["actions"][0]["configuration"]["OAuthToken"].string != nil, "AWS got the token")

        // Content for destroy to clear. moto ignores the bucket policy's aws:SecureTransport condition, so its
        // deny-insecure-transport statement denies every write: lifted for the writes, then put back as it was.
        let artifactsBucket = "\(project)-pipeline-artifacts"
        let bucketPolicy = try #require(try await cairn.awsJSON(["s3api", "get-bucket-policy", "--bucket", artifactsBucket])["Policy"].string)
        #expect(bucketPolicy.contains("aws:SecureTransport"))
        try await cairn.aws(["s3api", "delete-bucket-policy", "--bucket", artifactsBucket]).requireSuccess()
        let file = try makeTemporaryDirectory().appendingPathComponent("artifact.zip")
        try Data("v1".utf8).write(to: file)
        for _ in 0..<2 {
            try await cairn.aws(["s3api", "put-object", "--bucket", artifactsBucket, "--key", "a.zip", "--body", file.path]).requireSuccess()
        }
        try await cairn.aws(["s3api", "put-bucket-policy", "--bucket", artifactsBucket, "--policy", bucketPolicy]).requireSuccess()
        let manifest =
            #"{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json","config":{"mediaType":"application/vnd.docker.container.image.v1+json","size":7023,"digest":"sha256:b5b2b2c507a0944348e0303114d8d93aaaa081732b86451d9bce1f432a537bc7"},"layers":[]}"#
        try await cairn.aws(["ecr", "put-image", "--repository-name", project, "--image-tag", "latest", "--image-manifest", manifest])
            .requireSuccess()

        let destroy = try await cairn.run(["destroy", stack, "--env", env, "--auto-approve"])
        #expect(destroy.status == 0, "\(destroy)")
        #expect(!destroy.stdout.contains(token))
        #expect(try await cairn.aws(["ecr", "describe-repositories", "--repository-names", project]).status != 0)
        #expect(try await cairn.aws(["s3api", "head-bucket", "--bucket", "\(project)-pipeline-artifacts"]).status != 0)
        for role in ["codebuild", "codepipeline", "task-execution"] {
            #expect(try await cairn.aws(["iam", "get-role", "--role-name", "\(project)-\(role)"]).status != 0, "role \(role) left")
        }
        #expect(try await cairn.aws(["codepipeline", "get-pipeline", "--name", "\(project)-pipeline"]).status != 0)
        let builds = try await cairn.awsJSON(["codebuild", "batch-get-projects", "--names", "\(project)-build"])
        #expect(builds["projects"].array?.isEmpty == true)
        let gone = try await cairn.awsJSON([
            "ecs", "describe-services", "--cluster", "small-business-cluster-\(env)", "--services", "\(project)-service",
        ])
        #expect(gone["services"][0]["status"] != "ACTIVE")
        let clusters = try await cairn.awsJSON(["ecs", "describe-clusters", "--clusters", "small-business-cluster-\(env)"])
        #expect(clusters["clusters"][0]["status"] != "ACTIVE")
        let definitions = try await cairn.awsJSON(["ecs", "list-task-definitions", "--family-prefix", project, "--status", "ACTIVE"])
        #expect(definitions["taskDefinitionArns"].array?.isEmpty == true)
        let remainingLogs = try await cairn.awsJSON(["logs", "describe-log-groups", "--log-group-name-prefix", "/ecs/\(project)"])
        #expect(remainingLogs["logGroups"].array?.isEmpty == true)
        let remainingGroups = try await cairn.awsJSON(["ec2", "describe-security-groups", "--filters", "Name=group-name,Values=\(project)-service"])
        #expect(remainingGroups["SecurityGroups"].array?.isEmpty == true)
    }
}
