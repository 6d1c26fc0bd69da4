#!/usr/bin/env bash
# Seed 000's cleanup, written out: the seed's own commands (`aws ecr delete-repository --force`,
# `aws s3 rb --force`; its `cloudformation delete-stack` stands for the rest) plus the commands that
# delete everything else bench/seed-setup.sh created, one process per command, dependents first.
#
#   bench/seed-cleanup.sh [ENV]
#
# Extending it: one function per declared resource, named after its address, its body starting with
# a `# resource: ADDRESS` line, called at the bottom in reverse dependency order (as in seed-setup.sh).
set -euo pipefail

. "$(dirname "$0")/seed-common.sh"

cleanup_aws_codepipeline_app() {
    # resource: aws_codepipeline.app
    aws_ codepipeline delete-pipeline --name "$PROJECT-pipeline"
}

cleanup_aws_iam_role_pipeline() {
    # resource: aws_iam_role.pipeline
    delete_role "$PROJECT-codepipeline" pipeline
}

cleanup_aws_codebuild_project_build() {
    # resource: aws_codebuild_project.build
    aws_ codebuild delete-project --name "$PROJECT-build" >/dev/null
}

cleanup_aws_iam_role_build() {
    # resource: aws_iam_role.build
    delete_role "$PROJECT-codebuild" build
}

cleanup_aws_ecs_service_app() {
    # resource: aws_ecs_service.app
    aws_ ecs delete-service --cluster "$CLUSTER" --service "$PROJECT-service" --force >/dev/null
}

cleanup_aws_ecs_task_definition_app() {
    # resource: aws_ecs_task_definition.app
    aws_ ecs deregister-task-definition --task-definition "$PROJECT:1" >/dev/null
}

cleanup_aws_iam_role_taskExecution() {
    # resource: aws_iam_role.taskExecution
    aws_ iam detach-role-policy --role-name "$PROJECT-task-execution" \
        --policy-arn arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy
    delete_role "$PROJECT-task-execution"
}

cleanup_aws_security_group_service() {
    # resource: aws_security_group.service
    aws_ ec2 delete-security-group --group-id "$(aws_ ec2 describe-security-groups \
        --filters "Name=group-name,Values=$PROJECT-service" --query 'SecurityGroups[0].GroupId' --output text)"
}

cleanup_aws_default_subnets_default() {
    # resource: aws_default_subnets.default (a look-up: nothing to delete)
    :
}

cleanup_aws_default_vpc_default() {
    # resource: aws_default_vpc.default (a look-up: nothing to delete)
    :
}

cleanup_aws_cloudwatch_log_group_app() {
    # resource: aws_cloudwatch_log_group.app
    aws_ logs delete-log-group --log-group-name "/ecs/$PROJECT"
}

cleanup_aws_ecs_cluster_cluster() {
    # resource: aws_ecs_cluster.cluster
    aws_ ecs delete-cluster --cluster "$CLUSTER" >/dev/null
}

cleanup_aws_ecr_repository_app() {
    # resource: aws_ecr_repository.app (the seed's own command)
    aws_ ecr delete-repository --repository-name "$PROJECT" --force >/dev/null
}

cleanup_aws_s3_bucket_artifacts() {
    # resource: aws_s3_bucket.artifacts (the seed's own command)
    aws_ s3 rb "s3://$PROJECT-pipeline-artifacts" --force >/dev/null
}

# Dependents first (the reverse of seed-setup.sh).
cleanup_aws_codepipeline_app
cleanup_aws_iam_role_pipeline
cleanup_aws_codebuild_project_build
cleanup_aws_iam_role_build
cleanup_aws_ecs_service_app
cleanup_aws_ecs_task_definition_app
cleanup_aws_iam_role_taskExecution
cleanup_aws_security_group_service
cleanup_aws_default_subnets_default
cleanup_aws_default_vpc_default
cleanup_aws_cloudwatch_log_group_app
cleanup_aws_ecs_cluster_cluster
cleanup_aws_ecr_repository_app
cleanup_aws_s3_bucket_artifacts
