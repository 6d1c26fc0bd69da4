import Cairn

/// The benchmark's synthetic stack (`bench/run`): N resources of mixed types with dependencies, N
/// taken from the environment name — `--env n100` gives 100 resources, `--env n10000` 10,000; any other
/// environment gives 10. Each environment has its own state and its own names, so sizes live side by side.
///
/// Resources come in groups of five, each group `g` being
/// - an ECR repository and an S3 bucket (versioned, tagged, force-destroyed),
/// - an ECS cluster,
/// - an IAM role whose inline policy names the repository's and the bucket's ARNs (depends on both),
/// - an EventBridge rule watching pushes to the repository (depends on it through `dependsOn`);
/// a size that is not a multiple of five ends with a partial group, in that order.
public let benchSynthetic = StackDefinition(
    name: "bench-synthetic",
    summary: "Benchmark: N mixed resources with dependencies, N from the environment name (--env n100)",
    region: "eu-north-1"
) { env in
    let count = BenchSynthetic.size(of: env)
    let prefix = "cairn-bench-\(env.name)"
    let tags: Tags = ["project": "cairn-bench", "environment": env.name, "managed-by": "cairn"]
    var resources: [any ResourceDeclaration] = []
    resources.reserveCapacity(count)
    var group = 0
    while resources.count < count {
        let suffix = String(format: "%05d", group)
        let repository = ECRRepository("repo_\(suffix)", name: Input("\(prefix)-repo-\(suffix)"), scanOnPush: true, tags: tags, forceDestroy: true)
        let bucket = S3Bucket("bucket_\(suffix)", name: Input("\(prefix)-bucket-\(suffix)"), versioning: .enabled, tags: tags, forceDestroy: true)
        let cluster = ECSCluster("cluster_\(suffix)", name: Input("\(prefix)-cluster-\(suffix)"), tags: tags)
        let role = IAMRole(
            "role_\(suffix)", name: Input("\(prefix)-role-\(suffix)"),
            assumeRolePolicy: .trust(.service("ecs-tasks.amazonaws.com")),
            inlinePolicies: [
                "access": PolicyDocument([
                    PolicyStatement(sid: "Pull", actions: ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"], resources: [repository.arn.input]),
                    PolicyStatement(sid: "Artifacts", actions: ["s3:GetObject", "s3:PutObject"], resources: ["\(bucket.arn)/*"]),
                ])
            ],
            tags: tags)
        let rule = EventBridgeRule(
            "rule_\(suffix)", name: Input("\(prefix)-rule-\(suffix)"),
            trigger: .pattern([
                "source": ["aws.ecr"], "detail-type": ["ECR Image Action"],
                "detail": ["repository-name": [.string("\(prefix)-repo-\(suffix)")]],
            ]),
            description: "Pushes to \(prefix)-repo-\(suffix)", tags: tags,
            options: ResourceOptions(dependsOn: [repository.address]))
        for resource in [repository, bucket, cluster, role, rule] as [any ResourceDeclaration] where resources.count < count {
            resources.append(resource)
        }
        group += 1
    }
    return (resources: resources, outputs: ["RESOURCES": .json(.int(count))])
}

/// Helpers for the synthetic stack.
public enum BenchSynthetic {
    /// The number of resources an environment asks for: `nN` → N (1 to 100,000), anything else → 10.
    public static func size(of environment: StackEnvironment) -> Int {
        let name = environment.name
        guard name.first == "n", let n = Int(name.dropFirst()), (1...100_000).contains(n) else { return 10 }
        return n
    }
}
