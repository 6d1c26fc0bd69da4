# shellcheck shell=bash disable=SC2034 # names the sourcing scripts use
# Sourced by bench/seed-setup.sh and bench/seed-cleanup.sh: the names `small-business-invoices` gives
# its resources in environment ENV ($1), `aws_`, which runs one aws process per command, and the
# helpers both seeds' scripts share (bench/seed004-common.sh sources this file too).
ENV_NAME="${1:-default}"
REGION="${AWS_REGION:-eu-north-1}"
suffixed() { if [ "$ENV_NAME" = default ]; then echo "$1"; else echo "$1-$ENV_NAME"; fi; }
PROJECT="$(suffixed small-business-invoices)"
CLUSTER="$(suffixed small-business-cluster)"
BUCKET="$PROJECT-pipeline-artifacts"
# With SEED_TRACE set (bench/run), each command is also listed there.
aws_() {
    [ -z "${SEED_TRACE:-}" ] || echo "aws $1 $2" >>"$SEED_TRACE"
    aws --endpoint-url "${AWS_ENDPOINT_URL:?set AWS_ENDPOINT_URL}" --region "$REGION" "$@"
}
trust() { printf '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"%s"},"Action":"sts:AssumeRole"}]}' "$1"; }
# create_role NAME DESCRIPTION SERVICE: the role SERVICE assumes, tagged with the setup script's TAGS_KV; prints its ARN.
create_role() {
    # shellcheck disable=SC2086 # TAGS_KV is a list of Key=…,Value=… words
    aws_ iam create-role --role-name "$1" --description "$2" --assume-role-policy-document "$(trust "$3")" --tags $TAGS_KV \
        --query Role.Arn --output text
}
# create_service CLUSTER NAME TASK_DEFINITION: a Fargate service as both seed stacks declare it (one task, a public IP
# in the default subnets, the circuit breaker with rollback), in the setup script's SUBNETS and SECURITY_GROUP_ID.
create_service() {
    # shellcheck disable=SC2086 # TAGS_LOWER is a list of key=…,value=… words
    aws_ ecs create-service --cluster "$1" --service-name "$2" --task-definition "$3" --desired-count 1 --launch-type FARGATE \
        --network-configuration "awsvpcConfiguration={subnets=[$SUBNETS],securityGroups=[$SECURITY_GROUP_ID],assignPublicIp=ENABLED}" \
        --deployment-configuration "deploymentCircuitBreaker={enable=true,rollback=true},maximumPercent=200,minimumHealthyPercent=100" \
        --tags $TAGS_LOWER >/dev/null
}
# delete_role NAME [INLINE_POLICY]: the inline policy first, as IAM requires (managed ones must be detached before).
delete_role() {
    [ -z "${2:-}" ] || aws_ iam delete-role-policy --role-name "$1" --policy-name "$2"
    aws_ iam delete-role --role-name "$1"
}
