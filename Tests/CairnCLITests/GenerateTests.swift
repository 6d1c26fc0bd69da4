import Foundation
import TestSupport
import Testing

/// `cairn generate` end to end, each test against a moto of its own (so that "every resource" means this test's):
/// seed 000's aws CLI set-up generated into a fresh package, built, imported whole, planned with no changes, checked
/// for drift and destroyed to nothing the aws CLI can still list.
@Suite(.integration) struct GenerateTests {
    static let root = ExampleBuilds.root

    @Test func seed000SetUpWithTheAWSCLIIsGeneratedImportedPlannedCleanAndDestroyed() async throws {
        let moto = try await MotoServer.start(region: "eu-north-1")
        defer { moto.stop() }
        let cairn = CairnRunner(moto: moto, stateDir: try makeTemporaryDirectory(), executablePath: CairnRunner.executable)
        let before = try await Self.inventory(cairn)
        let setup = try await runProcess(
            executable: "/bin/bash", arguments: [Self.root.appendingPathComponent("bench/seed-setup.sh").path],
            environment: moto.environment(region: "eu-north-1", extra: ["GITHUB_TOKEN": CairnRunner.gitHubToken]),
            timeout: .seconds(600))  // bound: 30 aws CLI processes
        try setup.requireSuccess("bench/seed-setup.sh")
        let made = try await Self.inventory(cairn)
        #expect(made.count == before.count + 12, "the seed's 12 resources: \(made.subtracting(before).sorted())")

        let package = try makeTemporaryDirectory().appendingPathComponent("invoices-infra")
        let generate = try await cairn.run([
            "generate", "--region", "eu-north-1", "--name-prefix", "small-business", "--stack", "invoices", "--out", package.path,
            "--cairn-path", Self.root.path,
        ])
        #expect(generate.status == 0, "complete: \(generate)")
        #expect(generate.stdout.contains("GITHUB_TOKEN: aws_codepipeline.pipeline stages.Source.GitHub.OAuthToken"), "\(generate.stdout)")
        let source = try String(
            contentsOf: package.appendingPathComponent("Sources/invoices-infra/Invoices.swift"), encoding: .utf8)
        // References as a person writes them, not the literal ARNs, names and ids.
        for expected in [
            "\"\\(repository.uri):latest\"", ".output(codebuildRole.arn)", ".output(cluster.clusterName)", ".output(taskDefinition.arn)",
            ".all(subnets.ids)", ".output(serviceSecurityGroup.id)", "bucket: .output(pipelineArtifacts.bucketName)",
            "oauthToken: Secret.environment(\"GITHUB_TOKEN\")", "\"\\(pipelineArtifacts.arn)/*\"", "let vpc = DefaultVPC(\"vpc\")",
        ] {
            #expect(source.contains(expected), "\(expected) in:\n\(source)")
        }
        #expect(!source.contains(CairnRunner.gitHubToken))
        #expect(!source.contains("arn:aws:iam::123456789012:role/"), "role ARNs are references:\n\(source)")

        let executable = try await Self.build(package, product: "invoices-infra")
        var user = cairn
        user.executablePath = executable
        // Before the import, a plan shows what .importing names as imports, as Terraform's import blocks (and reads each
        // by that id, as the import does).
        let pending = try await user.run(["plan", "invoices"])
        #expect(pending.status == 0 && pending.stdout.contains("Plan: 12 to import, 0 to create, "), "\(pending)")
        #expect(pending.stdout.contains(" to update, 0 to replace, 0 to delete."), "\(pending)")
        // Only this state's ownership tags go on; a task definition's update being a new revision to a plan, the
        // service's taskDefinition shows as known after apply.
        let retagged = Self.changedAttributes(pending.stdout).subtracting(["aws_ecs_service taskDefinition"])
        #expect(retagged.allSatisfy { $0.hasSuffix(" tags.cairn") }, "\(retagged.sorted()) in \(pending)")
        let imported = try await user.run(["import", "invoices", "--all"])
        #expect(imported.status == 0, "\(imported)")
        #expect(imported.stdout.contains("Imported 12 resources into invoices."), "\(imported)")
        let plan = try await user.run(["plan", "invoices", "--detailed-exitcode"])
        #expect(plan.status == 0, "the generated stack plans no changes once imported: \(plan)")
        let drift = try await user.run(["drift", "invoices"])
        #expect(drift.status == 0, "\(drift)")
        let history = try await user.run(["state", "history", "invoices"])
        #expect(history.stdout.contains("import --all"), "\(history)")

        let destroy = try await user.run(["destroy", "invoices", "--auto-approve"])
        #expect(destroy.status == 0, "\(destroy)")
        let after = try await Self.inventory(cairn)
        #expect(after == before, "left behind: \(after.subtracting(before).sorted()); gone besides: \(before.subtracting(after).sorted())")
    }

    /// The other way round: a seed stack applied by Cairn (seed 001, with its KMS key and alias), generated from the
    /// account under the seed stack's own name, so that the generated stack is planned against the same state the seed
    /// stack was applied with. Its addresses are the generator's (`aws_s3_bucket.ecommerceArtifactsBucket`), not the
    /// seed's: the renames are declared with `.moved` as a user would. The plan then moves every record and changes
    /// nothing else: what AWS never returns (`forceDestroy`, a KMS key's `deletionWindowInDays`) generate takes from the
    /// stack's state, and the KMS key policy the seed spells out is read as the state has it, not left to the default.
    @Test func anAppliedSeedStackIsGeneratedBackIntoAStackThatPlansNoChangesAgainstItsState() async throws {
        let moto = try await MotoServer.start(region: "us-east-1")
        defer { moto.stop() }
        let cairn = CairnRunner(moto: moto, stateDir: try makeTemporaryDirectory(), executablePath: CairnRunner.executable)
        let stack = "b2b-ecommerce-platform"
        let apply = try await cairn.run(["apply", stack, "--auto-approve"], timeout: .seconds(900))  // bound: 28 creates
        try #require(apply.status == 0, "\(apply)")
        // address, type, id
        let applied = try await cairn.run(["state", "list", stack]).stdout.split(separator: "\n").map { $0.split(separator: "\t").map(String.init) }
            .filter { $0.count == 3 }

        let package = try makeTemporaryDirectory().appendingPathComponent("b2b-infra")
        let generate = try await cairn.run([
            "generate", "--region", "us-east-1", "--name-prefix", "b2b", "--name-prefix", "codepipeline-b2b", "--stack", stack, "--out",
            package.path, "--cairn-path", Self.root.path, "--take-ownership",
        ])
        #expect(generate.status == 0, "complete: \(generate)")
        #expect(generate.stdout.contains("Declared \(applied.count) resources as stack '\(stack)'."), "as many as the seed stack holds: \(generate)")
        let file = package.appendingPathComponent("Sources/b2b-infra/B2bEcommercePlatform.swift")
        var source = try String(contentsOf: file, encoding: .utf8)
        for expected in ["targetKeyId: .output(", "kmsKeyId: .output(", ".sseKMS(keyID: .output(", "enableKeyRotation: true"] {
            #expect(source.contains(expected), "\(expected) in:\n\(source)")
        }

        // The generated addresses, by the ids .importing pairs them with; the seed's record of each id moves there.
        let importing = try NSRegularExpression(pattern: #"^\s*"([a-z0-9_]+\.[A-Za-z0-9_]+)": "([^"]+)",?$"#, options: .anchorsMatchLines)
        var generatedAddress: [String: String] = [:]
        for match in importing.matches(in: source, range: NSRange(source.startIndex..., in: source)) {
            generatedAddress[String(source[Range(match.range(at: 2), in: source)!])] = String(source[Range(match.range(at: 1), in: source)!])
        }
        var moves: [String] = []
        for record in applied {
            let to = try #require(generatedAddress[record[2]], "\(record[0]) (\(record[2])) is declared:\n\(source)")
            if to != record[0] { moves.append(".moved(from: \"\(record[0])\", to: \"\(to)\")") }
        }
        source = source.replacingOccurrences(of: ".importing([", with: moves.joined(separator: "\n") + "\n.importing([")
        try Data(source.utf8).write(to: file)

        let executable = try await Self.build(package, product: "b2b-infra")
        var user = cairn
        user.executablePath = executable
        let plan = try await user.run(["plan", stack])
        #expect(plan.status == 0, "\(plan)")
        #expect(plan.stdout.contains("Plan: 0 to create, 0 to update, 0 to replace, 0 to delete, \(moves.count) to move."), "\(plan)")
        #expect(Self.changedAttributes(plan.stdout).isEmpty, "\(plan)")
        for expected in ["forceDestroy: true", "deletionWindowInDays: 7"] {
            #expect(source.contains(expected), "from the state: \(expected)")
        }
        let moved = try await user.run(["apply", stack, "--auto-approve"])
        #expect(moved.status == 0, "\(moved)")
        let again = try await user.run(["plan", stack, "--detailed-exitcode"])
        #expect(again.status == 0, "the generated stack plans no changes: \(again)")
    }

    /// The types beyond seed 000's: a SecureString (its value read from the environment, never written), a String
    /// parameter, a customer managed policy attached to a role (a reference, not its ARN), an SNS topic and a scheduled
    /// rule that notifies it; an IAM user, which Cairn has no type for, is reported and makes the result partial.
    @Test func parametersPoliciesTopicsAndRulesRoundTripAndAUserIsReported() async throws {
        let moto = try await MotoServer.start(region: "eu-north-1")
        defer { moto.stop() }
        var cairn = CairnRunner(moto: moto, stateDir: try makeTemporaryDirectory(), executablePath: CairnRunner.executable)
        let secret = "s3cret-never-in-code"
        for command in [
            ["ssm", "put-parameter", "--name", "/extra/db-password", "--type", "SecureString", "--value", secret],
            ["ssm", "put-parameter", "--name", "/extra/region", "--type", "String", "--value", "eu-north-1", "--description", "Where it runs"],
            [
                "iam", "create-policy", "--policy-name", "extra-read", "--policy-document",
                #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ssm:GetParameter","Resource":"*"}]}"#,
            ],
            [
                "iam", "create-role", "--role-name", "extra-app", "--assume-role-policy-document",
                #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ecs-tasks.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#,
            ],
            ["iam", "attach-role-policy", "--role-name", "extra-app", "--policy-arn", "arn:aws:iam::123456789012:policy/extra-read"],
            ["sns", "create-topic", "--name", "extra-alerts", "--attributes", "DisplayName=Alerts"],
            ["events", "put-rule", "--name", "extra-nightly", "--schedule-expression", "rate(15 minutes)", "--description", "Checks"],
            [
                "events", "put-targets", "--rule", "extra-nightly", "--targets",
                #"[{"Id":"alerts","Arn":"arn:aws:sns:eu-north-1:123456789012:extra-alerts","Input":"{\"check\":true}"}]"#,
            ],
            ["iam", "create-user", "--user-name", "extra-deployer"],
        ] {
            _ = try await moto.awsJSON(command, region: "eu-north-1")
        }
        let package = try makeTemporaryDirectory().appendingPathComponent("extra-infra")
        let generate = try await cairn.run([
            "generate", "--region", "eu-north-1", "--name-prefix", "extra", "--out", package.path, "--cairn-path", Self.root.path,
        ])
        #expect(generate.status == 2, "partial: the IAM user cannot be declared: \(generate)")
        #expect(generate.stdout.contains("aws_iam_user extra-deployer: Cairn has no resource type aws_iam_user; it is not declared."))
        #expect(generate.stdout.contains("EXTRA_DB_PASSWORD: aws_ssm_parameter.dbPasswordParameter value"), "\(generate)")
        let source = try String(contentsOf: package.appendingPathComponent("Sources/extra-infra/Extra.swift"), encoding: .utf8)
        for expected in [
            "value: Secret.environment(\"EXTRA_DB_PASSWORD\")", "managedPolicyArns: [readPolicy.arn.input]", "displayName: \"Alerts\"",
            "description: \"Where it runs\"", "trigger: .rate(15, .minutes)", "arn: alertsTopic.arn.input, input: [\"check\": true]",
            "// - aws_iam_user extra-deployer: Cairn has no resource type aws_iam_user",
        ] {
            #expect(source.contains(expected), "\(expected) in:\n\(source)")
        }
        #expect(!source.contains(secret) && !generate.stdout.contains(secret))

        cairn.executablePath = try await Self.build(package, product: "extra-infra")
        cairn.extraEnvironment = ["EXTRA_DB_PASSWORD": secret]
        let imported = try await cairn.run(["import", "extra", "--all"])
        #expect(imported.status == 0, "\(imported)")
        let plan = try await cairn.run(["plan", "extra", "--detailed-exitcode"])
        #expect(plan.status == 0, "\(plan)")
    }

    /// Every type Cairn has is searched (a table, a subscription, a CodeCommit repository, an alarm, an origin access
    /// control and a distribution by name; an OIDC provider by tag), so a search that finds only what Cairn can say is
    /// complete; a lifecycle rule limited to tagged objects is never declared as a wider one: the bucket's rules are left
    /// to AWS (their drift ignored) and the result is partial.
    @Test func everyTypeIsSearchedAndALifecycleRuleIsNeverWidened() async throws {
        let moto = try await MotoServer.start(region: "eu-north-1")
        defer { moto.stop() }
        let cairn = CairnRunner(moto: moto, stateDir: try makeTemporaryDirectory(), executablePath: CairnRunner.executable)
        let region = "eu-north-1"
        let oac =
            try await moto.awsJSON(
                [
                    "cloudfront", "create-origin-access-control", "--origin-access-control-config",
                    "Name=more-site,SigningProtocol=sigv4,SigningBehavior=always,OriginAccessControlOriginType=s3",
                ], region: region)["OriginAccessControl"]["Id"].string ?? ""
        let config = FileManager.default.temporaryDirectory.appendingPathComponent("more-site-\(UUID().uuidString).json")
        defer { try? FileManager.default.removeItem(at: config) }
        try Data(
            """
            {"CallerReference": "more-site", "Comment": "more-site", "Enabled": true, "Origins": {"Quantity": 1, "Items": [{"Id": "site", \
            "DomainName": "more-site.s3.eu-north-1.amazonaws.com", "S3OriginConfig": {"OriginAccessIdentity": ""}, "OriginAccessControlId": "\(oac)"}]}, \
            "DefaultCacheBehavior": {"TargetOriginId": "site", "ViewerProtocolPolicy": "redirect-to-https", \
            "CachePolicyId": "658327ea-f89d-4fab-a63d-7e88639e58f6"}}
            """.utf8
        ).write(to: config)
        for command in [
            [
                "dynamodb", "create-table", "--table-name", "more-locks", "--attribute-definitions", "AttributeName=LockID,AttributeType=S",
                "--key-schema", "AttributeName=LockID,KeyType=HASH", "--billing-mode", "PAY_PER_REQUEST",
            ],
            ["sns", "create-topic", "--name", "more-alerts"],
            [
                "sns", "subscribe", "--topic-arn", "arn:aws:sns:eu-north-1:123456789012:more-alerts", "--protocol", "email",
                "--notification-endpoint", "ops@example.com",
            ],
            ["codecommit", "create-repository", "--repository-name", "more-code"],
            [
                "cloudwatch", "put-metric-alarm", "--alarm-name", "more-slow", "--namespace", "AWS/CodeBuild", "--metric-name", "Duration",
                "--statistic", "Average", "--period", "300", "--evaluation-periods", "1", "--threshold", "600", "--comparison-operator",
                "GreaterThanThreshold",
            ],
            ["s3api", "create-bucket", "--bucket", "more-site", "--create-bucket-configuration", "LocationConstraint=eu-north-1"],
            [
                "s3api", "put-bucket-lifecycle-configuration", "--bucket", "more-site", "--lifecycle-configuration",
                #"{"Rules": [{"ID": "temp", "Status": "Enabled", "Filter": {"Tag": {"Key": "tier", "Value": "temp"}}, "Expiration": {"Days": 1}}]}"#,
            ],
            ["cloudfront", "create-distribution", "--distribution-config", "file://\(config.path)"],
            [
                "iam", "create-open-id-connect-provider", "--url", "https://token.actions.githubusercontent.com", "--client-id-list",
                "sts.amazonaws.com", "--thumbprint-list", "6938fd4d98bab03faadb97b34396831e3780aea1", "--tags", "Key=team,Value=more-ci",
            ],
        ] {
            _ = try await moto.awsJSON(command, region: region)
        }
        // moto lacks ListRepositories (scripts/moto-server adds it): it answers as AWS does.
        let listed = try await moto.awsJSON(["codecommit", "list-repositories"], region: region)["repositories"][0]["repositoryName"]
        #expect(listed.string == "more-code")

        let generate = try await cairn.run(["generate", "--region", region, "--name-prefix", "more"])
        #expect(generate.status == 2, "partial: the lifecycle rule cannot be said: \(generate)")
        for expected in [
            "DynamoDBTable(", "SNSSubscription(", "CodeCommitRepository(", "CloudWatchMetricAlarm(", "CloudFrontOriginAccessControl(",
            "CloudFrontDistribution(", "originAccessControl: .output(siteOriginAccessControl.id)",
            #"options: ResourceOptions(ignoreDrift: ["lifecycleRules"])"#,
            "// - aws_s3_bucket.siteBucket: lifecycleRules: rule 'temp' has only objects tagged tier=temp",
        ] {
            #expect(generate.stdout.contains(expected), "\(expected) in:\n\(generate.stdout)")
        }
        #expect(!generate.stdout.contains("Expiration") && !generate.stdout.contains("expirationDays"), "no rule at all, never a wider one")
        #expect(!generate.stderr.contains("Not searched"), "\(generate.stderr)")

        let byTag = try await cairn.run(["generate", "--region", region, "--tag", "team=more-ci"])
        #expect(byTag.status == 0, "complete: every type searched, the provider declared: \(byTag)")
        #expect(byTag.stdout.contains("let githubActionsOidcProvider = IAMOIDCProvider("), "\(byTag)")
        #expect(byTag.stdout.contains(#"url: "https://token.actions.githubusercontent.com""#), "\(byTag)")
    }

    @Test func badInputWritesNothingAndSaysWhyInOneSentence() async throws {
        let moto = try await MotoServer.start(region: "eu-north-1")
        defer { moto.stop() }
        let cairn = CairnRunner(moto: moto, stateDir: try makeTemporaryDirectory(), executablePath: CairnRunner.executable)
        let out = try makeTemporaryDirectory()
        let nothing = try await cairn.run([
            "generate", "--region", "eu-north-1", "--name-prefix", "no-such-thing", "--out", out.path, "--cairn-path", Self.root.path,
        ])
        #expect(nothing.status == 1)
        #expect(nothing.stderr.contains("matches names starting with no-such-thing in eu-north-1, so nothing was written"), "\(nothing)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: out.path).isEmpty)

        try Data("notes".utf8).write(to: out.appendingPathComponent("notes.txt"))
        _ = try await moto.awsJSON(["ecr", "create-repository", "--repository-name", "lone-app"], region: "eu-north-1")
        let occupied = try await cairn.run(["generate", "--region", "eu-north-1", "--name-prefix", "lone", "--out", out.path])
        #expect(occupied.status == 1)
        #expect(occupied.stderr.contains("is not empty and holds no Package.swift, so nothing was written"), "\(occupied)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: out.path) == ["notes.txt"])

        _ = try await moto.awsJSON(
            [
                "ecr", "create-repository", "--repository-name", "owned-app", "--tags", "Key=cairn:stack,Value=other",
                "Key=cairn:env,Value=default", "Key=cairn:state,Value=0123456789abcdef",
            ], region: "eu-north-1")
        let owned = try await cairn.run(["generate", "--region", "eu-north-1", "--name-prefix", "owned"])
        #expect(owned.status == 1)
        #expect(owned.stderr.contains("belongs to another Cairn state"), "\(owned)")
        #expect(owned.stdout.isEmpty)
        let taken = try await cairn.run(["generate", "--region", "eu-north-1", "--name-prefix", "owned", "--take-ownership"])
        #expect(taken.status == 0, "\(taken)")
        #expect(taken.stdout.contains("let app = ECRRepository(\"app\", name: \"owned-app\")"), "\(taken)")
        #expect(!taken.stdout.contains("cairn:"), "ownership tags are Cairn's, never declared: \(taken)")

        var noCredentials = cairn
        noCredentials.extraEnvironment = ["AWS_ACCESS_KEY_ID": "AKIANOTAKEY000000000", "AWS_SECRET_ACCESS_KEY": "wrong"]
        let refused = try await noCredentials.run(["generate", "--region", "eu-north-1", "--name-prefix", "lone"])
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("No AWS credentials work for region eu-north-1"), "\(refused)")
    }

    /// `TYPE path` of each attribute a rendered plan updates (the path up to its first `:` or space).
    static func changedAttributes(_ plan: String) -> Set<String> {
        var changed = Set<String>()
        var type = ""
        for line in plan.split(separator: "\n") {
            let text = line.trimmingCharacters(in: .whitespaces)
            if text.hasPrefix("~ aws_") {
                type = String(text.dropFirst(2).prefix { $0 != "." })
            } else if let symbol = text.first, "~+-".contains(symbol), text.dropFirst().hasPrefix(" ") {
                // `~ path: old → new`, `+ path = value`, `- path = value`
                changed.insert("\(type) \(text.dropFirst(2).prefix { $0 != ":" && $0 != " " })")
            }
        }
        return changed
    }

    /// Builds a generated package where Cairn is built already (see `ExampleBuilds`).
    static func build(_ package: URL, product: String) async throws -> String {
        try await ExampleBuilds.build(package, product: product)
    }

    /// What the aws CLI lists in the region, one `service kind name` line each (AWS's own defaults aside).
    static func inventory(_ cairn: CairnRunner) async throws -> Set<String> {
        var found = Set<String>()
        func add(_ kind: String, _ values: [JSONValue]?) {
            for value in values ?? [] { if let text = value.string { found.insert("\(kind) \(text)") } }
        }
        add("ecr", try await cairn.awsJSON(["ecr", "describe-repositories", "--query", "repositories[].repositoryName"]).array)
        add("s3", try await cairn.awsJSON(["s3api", "list-buckets", "--query", "Buckets[].Name"]).array)
        add(
            "ecs-task-definition",
            try await cairn.awsJSON(["ecs", "list-task-definitions", "--status", "ACTIVE", "--query", "taskDefinitionArns"]).array)
        add("logs", try await cairn.awsJSON(["logs", "describe-log-groups", "--query", "logGroups[].logGroupName"]).array)
        add(
            "ec2-sg",
            try await cairn.awsJSON(["ec2", "describe-security-groups", "--query", "SecurityGroups[?GroupName!='default'].GroupName"]).array)
        add("iam-role", try await cairn.awsJSON(["iam", "list-roles", "--query", "Roles[].RoleName"]).array)
        add("codebuild", try await cairn.awsJSON(["codebuild", "list-projects", "--query", "projects"]).array)
        add("codepipeline", try await cairn.awsJSON(["codepipeline", "list-pipelines", "--query", "pipelines[].name"]).array)
        // moto lists deleted clusters and services too (INACTIVE): only active ones count.
        for cluster in try await cairn.awsJSON(["ecs", "list-clusters", "--query", "clusterArns"]).array ?? [] {
            guard let arn = cluster.string else { continue }
            add(
                "ecs-cluster",
                try await cairn.awsJSON(["ecs", "describe-clusters", "--clusters", arn, "--query", "clusters[?status=='ACTIVE'].clusterName"]).array)
            for service in try await cairn.awsJSON(["ecs", "list-services", "--cluster", arn, "--query", "serviceArns"]).array ?? [] {
                guard let serviceArn = service.string else { continue }
                add(
                    "ecs-service",
                    try await cairn.awsJSON([
                        "ecs", "describe-services", "--cluster", arn, "--services", serviceArn, "--query", "services[?status=='ACTIVE'].serviceName",
                    ]).array)
            }
        }
        return found
    }
}
