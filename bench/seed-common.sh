# Sourced by bench/seed-setup.sh and bench/seed-cleanup.sh: the names `small-business-invoices` gives
# its resources in environment ENV ($1), and `aws_`, which runs one aws process per command.
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
