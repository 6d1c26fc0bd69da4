#!/usr/bin/env bash
# Seed 004's cleanup, written out (the seed has none): the aws CLI commands that delete everything
# bench/seed004-setup.sh created, one process per command, in the reverse of its order. Names are
# looked up where a person would have to (the account id, the distribution and the OAC ids, the
# security group); CloudFront's distribution is disabled, waited for, then deleted with its ETag.
#
#   bench/seed004-cleanup.sh [ENV]
#
# Extending it: as bench/seed004-setup.sh, one `# resource: ADDRESS` line per address a function deletes.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR
. "$(dirname "$0")/seed004-common.sh"
ACCOUNT_ID=""

cleanup_account() {
    # resource: aws_caller_identity.current (a look-up: the account in the artifact bucket's name and the ARNs)
    ACCOUNT_ID="$(aws_ sts get-caller-identity --query Account --output text)"
}

cleanup_failure_rules() {
    # resource: aws_cloudwatch_event_rule.deploymentFailed
    # resource: aws_cloudwatch_event_rule.pipelineFailed
    aws_ events remove-targets --rule "${RULES[2]}" --ids notifications >/dev/null
    aws_ events delete-rule --name "${RULES[2]}"
    aws_ events remove-targets --rule "${RULES[1]}" --ids alert-1 >/dev/null
    aws_ events delete-rule --name "${RULES[1]}"
}

cleanup_build_duration_alarms() {
    # resource: aws_cloudwatch_metric_alarm.backendBuildDuration
    # resource: aws_cloudwatch_metric_alarm.frontendBuildDuration
    aws_ cloudwatch delete-alarms --alarm-names "${ALARMS[@]}"
}

cleanup_notifications() {
    # resource: aws_sns_topic_subscription.sms
    # resource: aws_sns_topic_subscription.email
    # resource: aws_sns_topic.notifications
    # Deleting a topic deletes its subscriptions.
    aws_ sns delete-topic --topic-arn "arn:aws:sns:$REGION:$ACCOUNT_ID:$TOPIC"
}

cleanup_parameters() {
    # resource: aws_ssm_parameter.backendEncryptionKey
    # resource: aws_ssm_parameter.backendJwtSecretKey
    # resource: aws_ssm_parameter.backendYourAwsRegion
    # resource: aws_ssm_parameter.backendDynamodbTablePrefix
    # resource: aws_ssm_parameter.backendCorsOrigins
    # resource: aws_ssm_parameter.backendFrontendUrl
    # resource: aws_ssm_parameter.backendSesSenderEmail
    # resource: aws_ssm_parameter.backendLogLevel
    # resource: aws_ssm_parameter.backendDebug
    # resource: aws_ssm_parameter.backendEnvironment
    # One call takes up to ten names.
    aws_ ssm delete-parameters --names "${PARAMETER_KEYS[@]/#/$PARAMETER_PATH/}" >/dev/null
}

cleanup_distribution() {
    # resource: aws_cloudfront_distribution.frontend
    # An enabled distribution cannot be deleted: disable it (with the config's ETag), wait until that is
    # deployed (minutes on AWS), then delete it with the ETag the update answered.
    local id current etag config
    id="$(aws_ cloudfront list-distributions --query "DistributionList.Items[?Comment=='$PROJECT frontend'].Id | [0]" --output text)"
    current="$(aws_ cloudfront get-distribution-config --id "$id" --output json)"
    # UpdateDistribution takes the whole config back: only Enabled changes (python3 edits the JSON, as jq would).
    current="$(python3 -c 'import json, sys
d = json.load(sys.stdin); c = d["DistributionConfig"]; c["Enabled"] = False
print(d["ETag"], json.dumps(c, separators=(",", ":")))' <<<"$current")"
    read -r etag config <<<"$current"
    etag="$(aws_ cloudfront update-distribution --id "$id" --if-match "$etag" --distribution-config "$config" --query ETag --output text)"
    aws_ cloudfront wait distribution-deployed --id "$id"
    aws_ cloudfront delete-distribution --id "$id" --if-match "$etag"
}

cleanup_frontend_policy() {
    # resource: aws_s3_bucket_policy.frontend (goes with the bucket: no command of its own)
    :
}

cleanup_origin_access() {
    # resource: aws_cloudfront_origin_access_control.frontend
    local id etag
    id="$(aws_ cloudfront list-origin-access-controls \
        --query "OriginAccessControlList.Items[?Name=='$FRONTEND_BUCKET'].Id | [0]" --output text)"
    etag="$(aws_ cloudfront get-origin-access-control --id "$id" --query ETag --output text)"
    aws_ cloudfront delete-origin-access-control --id "$id" --if-match "$etag"
}

cleanup_frontend_bucket() {
    # resource: aws_s3_bucket.frontend
    # --force empties it first (the S3 deploy's objects).
    aws_ s3 rb "s3://$FRONTEND_BUCKET" --force >/dev/null
}

cleanup_service() {
    # resource: aws_ecs_service.backend
    aws_ ecs delete-service --cluster "$CLUSTER" --service "$SERVICE" --force >/dev/null
}

cleanup_task_definition() {
    # resource: aws_ecs_task_definition.backend
    aws_ ecs deregister-task-definition --task-definition "$PROJECT-backend:1" >/dev/null
}

cleanup_security_group() {
    # resource: aws_security_group.backend
    aws_ ec2 delete-security-group --group-id "$(aws_ ec2 describe-security-groups \
        --filters "Name=group-name,Values=$PROJECT-backend" --query 'SecurityGroups[0].GroupId' --output text)"
}

cleanup_default_network() {
    # resource: aws_default_subnets.default (a look-up: nothing to delete)
    # resource: aws_default_vpc.default (a look-up: nothing to delete)
    :
}

cleanup_app_logs() {
    # resource: aws_cloudwatch_log_group.app
    aws_ logs delete-log-group --log-group-name "/ecs/$PROJECT-backend"
}

cleanup_task_role() {
    # resource: aws_iam_role.task
    delete_role "$PROJECT-task" app
}

cleanup_task_execution_role() {
    # resource: aws_iam_role.taskExecution
    aws_ iam detach-role-policy --role-name "$PROJECT-task-execution" \
        --policy-arn arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy
    delete_role "$PROJECT-task-execution" configuration
}

cleanup_cluster() {
    # resource: aws_ecs_cluster.cluster
    aws_ ecs delete-cluster --cluster "$CLUSTER" >/dev/null
}

cleanup_source_changed() {
    # resource: aws_cloudwatch_event_rule.sourceChanged
    aws_ events remove-targets --rule "${RULES[0]}" --ids pipeline >/dev/null
    aws_ events delete-rule --name "${RULES[0]}"
}

cleanup_events_role() {
    # resource: aws_iam_role.events
    delete_role "$PROJECT-events" start
}

cleanup_pipeline() {
    # resource: aws_codepipeline.pipeline
    aws_ codepipeline delete-pipeline --name "$PROJECT-pipeline"
}

cleanup_pipeline_role() {
    # resource: aws_iam_role.pipeline
    delete_role "$PROJECT-codepipeline" pipeline
}

cleanup_builds() {
    # resource: aws_codebuild_project.frontend
    # resource: aws_codebuild_project.backend
    aws_ codebuild delete-project --name "$FRONTEND_BUILD" >/dev/null
    aws_ codebuild delete-project --name "$BACKEND_BUILD" >/dev/null
}

cleanup_build_role() {
    # resource: aws_iam_role.build
    delete_role "$PROJECT-codebuild" build
}

cleanup_build_logs() {
    # resource: aws_cloudwatch_log_group.frontendBuild
    # resource: aws_cloudwatch_log_group.backendBuild
    aws_ logs delete-log-group --log-group-name "/aws/codebuild/$FRONTEND_BUILD"
    aws_ logs delete-log-group --log-group-name "/aws/codebuild/$BACKEND_BUILD"
}

cleanup_artifacts() {
    # resource: aws_s3_bucket.artifacts
    aws_ s3 rb "s3://$(artifacts_bucket "$ACCOUNT_ID")" --force >/dev/null
}

cleanup_backend_images() {
    # resource: aws_ecr_repository.backend
    aws_ ecr delete-repository --repository-name "$PROJECT-backend" --force >/dev/null
}

cleanup_repository() {
    # resource: aws_codecommit_repository.repository
    aws_ codecommit delete-repository --repository-name "$PROJECT" >/dev/null
}

# The reverse of seed004-setup.sh: dependents first.
cleanup_account
cleanup_failure_rules
cleanup_build_duration_alarms
cleanup_notifications
cleanup_parameters
cleanup_distribution
cleanup_frontend_policy
cleanup_origin_access
cleanup_frontend_bucket
cleanup_service
cleanup_task_definition
cleanup_security_group
cleanup_default_network
cleanup_app_logs
cleanup_task_role
cleanup_task_execution_role
cleanup_cluster
cleanup_source_changed
cleanup_events_role
cleanup_pipeline
cleanup_pipeline_role
cleanup_builds
cleanup_build_role
cleanup_build_logs
cleanup_artifacts
cleanup_backend_images
cleanup_repository
