import CairnEngine

/// `cairn import --from-terraform`'s matching table: for every resource type in `awsProviders` (look-ups aside), the
/// Terraform type it manages and the Terraform attributes that make its physical id (`identity`, Terraform name →
/// Cairn attribute), or the one Cairn reads it by (`readID`); then the Terraform types Cairn keeps as attributes of a
/// parent, reported as "covered by" it. Adding a resource type means one line here too (a test checks every type has
/// one).
public let terraformTypes = TerraformTypeTable(
    mappings: [
        .init("aws_cloudfront_distribution", identity: [:], readID: "id"),
        .init("aws_cloudfront_origin_access_control", identity: ["name": "name"], readID: "id"),
        .init("aws_cloudwatch_event_rule", identity: ["name": "name"]),
        .init("aws_cloudwatch_log_group", identity: ["name": "name"]),
        .init("aws_cloudwatch_metric_alarm", identity: ["alarm_name": "name"]),
        .init("aws_codebuild_project", identity: ["name": "name"]),
        .init("aws_codecommit_repository", identity: ["repository_name": "name"]),
        .init("aws_codepipeline", identity: ["name": "name"]),
        .init("aws_dynamodb_table", identity: ["name": "name"]),
        .init("aws_ecr_repository", identity: ["name": "name"]),
        .init("aws_ecs_cluster", identity: ["name": "name"]),
        .init("aws_ecs_service", identity: ["cluster": "cluster", "name": "name"]),
        .init("aws_ecs_task_definition", identity: ["family": "family"], readID: "arn"),
        .init("aws_iam_openid_connect_provider", identity: ["url": "url"], readID: "arn", normalize: { $0.contains("://") ? $0 : "https://" + $0 }),
        .init("aws_iam_policy", identity: ["name": "name", "path": "path"], readID: "arn"),
        .init("aws_iam_role", identity: ["name": "name"]),
        .init("aws_kms_alias", identity: ["name": "name"]),
        .init("aws_kms_key", identity: [:], readID: "key_id"),
        .init("aws_s3_bucket", identity: ["bucket": "name"]),
        .init("aws_s3_bucket_policy", identity: ["bucket": "bucket"]),
        .init("aws_security_group", identity: ["vpc_id": "vpcId", "name": "name"], readID: "id"),
        .init("aws_sns_topic", identity: ["name": "name"], readID: "arn"),
        .init("aws_sns_topic_subscription", identity: [:], readID: "arn"),
        .init("aws_ssm_parameter", identity: ["name": "name"]),
    ],
    folded: [
        .init("aws_s3_bucket_versioning", into: "aws_s3_bucket", by: "bucket", as: "versioning"),
        .init("aws_s3_bucket_server_side_encryption_configuration", into: "aws_s3_bucket", by: "bucket", as: "encryption"),
        .init("aws_s3_bucket_public_access_block", into: "aws_s3_bucket", by: "bucket", as: "publicAccessBlock"),
        .init("aws_s3_bucket_ownership_controls", into: "aws_s3_bucket", by: "bucket", as: "ownershipControls"),
        .init("aws_s3_bucket_lifecycle_configuration", into: "aws_s3_bucket", by: "bucket", as: "lifecycleRules"),
        .init("aws_s3_bucket_cors_configuration", into: "aws_s3_bucket", by: "bucket", as: "corsRules"),
        .init("aws_s3_bucket_website_configuration", into: "aws_s3_bucket", by: "bucket", as: "website"),
        // Unless the stack declares an S3BucketPolicy for the bucket: then it is imported as that.
        .init("aws_s3_bucket_policy", into: "aws_s3_bucket", by: "bucket", as: "policy"),
        .init("aws_iam_role_policy", into: "aws_iam_role", by: "role", parentAttribute: "name", as: "inlinePolicies"),
        .init("aws_iam_role_policies_exclusive", into: "aws_iam_role", by: "role_name", parentAttribute: "name", as: "inlinePolicies"),
        .init("aws_iam_role_policy_attachment", into: "aws_iam_role", by: "role", parentAttribute: "name", as: "managedPolicyArns"),
        .init("aws_iam_role_policy_attachments_exclusive", into: "aws_iam_role", by: "role_name", parentAttribute: "name", as: "managedPolicyArns"),
        .init("aws_ecr_lifecycle_policy", into: "aws_ecr_repository", by: "repository", parentAttribute: "name", as: "lifecyclePolicy"),
        .init("aws_ecr_repository_policy", into: "aws_ecr_repository", by: "repository", parentAttribute: "name", as: "repositoryPolicy"),
        .init("aws_ecs_cluster_capacity_providers", into: "aws_ecs_cluster", by: "cluster_name", parentAttribute: "name", as: "capacityProviders"),
        .init("aws_sns_topic_policy", into: "aws_sns_topic", by: "arn", parentAttribute: "arn", as: "policy"),
        .init("aws_kms_key_policy", into: "aws_kms_key", by: "key_id", parentAttribute: "key_id", as: "policy"),
        .init("aws_cloudwatch_event_target", into: "aws_cloudwatch_event_rule", by: "rule", parentAttribute: "name", as: "targets"),
        .init("aws_security_group_rule", into: "aws_security_group", by: "security_group_id", as: "ingress/egress"),
        .init("aws_vpc_security_group_ingress_rule", into: "aws_security_group", by: "security_group_id", as: "ingress"),
        .init("aws_vpc_security_group_egress_rule", into: "aws_security_group", by: "security_group_id", as: "egress"),
    ])
