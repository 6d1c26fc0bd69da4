# shellcheck shell=bash disable=SC2034 # names the sourcing scripts use
# Sourced by bench/seed004-setup.sh and bench/seed004-cleanup.sh: the names `cloud-health-dashboard`
# (stacks/CloudHealthDashboard.swift) gives its resources in environment ENV ($1). `aws_`, `suffixed`
# and SEED_TRACE come from seed-common.sh; its seed-000 names are replaced here.
# shellcheck source-path=SCRIPTDIR
. "$(dirname "${BASH_SOURCE[0]}")/seed-common.sh"
# The stack's declared region, whatever AWS_REGION says (bench/run exports eu-north-1 for seed 000).
REGION=us-east-1
PROJECT="$(suffixed cloud-health-dashboard)"
CLUSTER="$(suffixed cloud-health-cluster)"
SERVICE="$(suffixed backend-service)"
BACKEND_BUILD="$(suffixed backend-build)"
FRONTEND_BUILD="$(suffixed frontend-build)"
FRONTEND_BUCKET="$PROJECT-frontend"
PARAMETER_PATH="/$(suffixed cloud-health)/backend/production"
TOPIC="$(suffixed cloud-health-pipeline-notifications)"
# The artifact bucket is named after the account (the stack looks it up at plan time).
artifacts_bucket() { if [ "$ENV_NAME" = default ]; then echo "codepipeline-artifacts-$REGION-$1"; else echo "codepipeline-artifacts-$REGION-$1-$ENV_NAME"; fi; }
# The rules, alarms and parameters, in the stack's order.
RULES=("$PROJECT-main-changed" "$PROJECT-pipeline-failed" "$PROJECT-deployment-failed")
ALARMS=("$BACKEND_BUILD-duration" "$FRONTEND_BUILD-duration")
PARAMETER_KEYS=(ENVIRONMENT DEBUG LOG_LEVEL SES_SENDER_EMAIL FRONTEND_URL CORS_ORIGINS DYNAMODB_TABLE_PREFIX YOUR_AWS_REGION JWT_SECRET_KEY ENCRYPTION_KEY)
