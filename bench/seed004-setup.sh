#!/usr/bin/env bash
# shellcheck disable=SC2086 # the TAGS_* lists are split into words on purpose (one Key=…,Value=… argument each)
# Seed 004's way, written out: the seed's nine aws CLI commands (its "Migration Steps": codecommit
# create-repository and get-repository, two codebuild create-project, codepipeline create-pipeline, ecs
# create-cluster and create-service, s3 mb, cloudfront create-distribution), in the seed's order, completed
# with what each needs to run and with the steps the seed leaves to the console or to JSON files (roles,
# ECR, log groups, the task definition, Parameter Store, the bucket's settings, the origin access control,
# the bucket policy, the topic, alarms and rules), so that it ends with the 40 resources
# `cloud-health-dashboard` declares, configured as the stack says (with its corrections:
# stacks/cloud-health-dashboard.md). One aws process per command, as people run them.
#
#   ALERT_EMAIL=… ALERT_PHONE=… JWT_SECRET_KEY=… ENCRYPTION_KEY=… bench/seed004-setup.sh [ENV]
#
# ENV as `cairn --env`: names get "-ENV" unless ENV is "default". Uses AWS_ENDPOINT_URL; the region is the
# stack's, us-east-1. bench/run times it against `cairn apply cloud-health-dashboard`.
#
# Extending it: as bench/seed-setup.sh, one function per declared resource (or per group of alike ones),
# its body starting with one `# resource: ADDRESS` line per address it creates; bench/run compares those
# markers with `cairn graph` and warns about any declared resource without one. Keep values identical to
# stacks/CloudHealthDashboard.swift.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR
. "$(dirname "$0")/seed004-common.sh"
: "${ALERT_EMAIL:?set ALERT_EMAIL}" "${JWT_SECRET_KEY:?set JWT_SECRET_KEY}" "${ENCRYPTION_KEY:?set ENCRYPTION_KEY}"
TAGS_KV="Key=project,Value=cloud-health-dashboard Key=environment,Value=$ENV_NAME Key=managed-by,Value=cairn"
TAGS_LOWER="key=project,value=cloud-health-dashboard key=environment,value=$ENV_NAME key=managed-by,value=cairn"
TAGS_JSON='[{"Key":"project","Value":"cloud-health-dashboard"},{"Key":"environment","Value":"'"$ENV_NAME"'"},{"Key":"managed-by","Value":"cairn"}]'
TAGS_MAP="project=cloud-health-dashboard,environment=$ENV_NAME,managed-by=cairn"
# A shell string as a JSON string, without a process per call.
json_string() { local s="${1//\\/\\\\}"; s="${s//\"/\\\"}"; printf '"%s"' "${s//$'\n'/\\n}"; }

# Filled in as the commands answer.
ACCOUNT_ID="" REPOSITORY_ARN="" BACKEND_IMAGES_ARN="" BACKEND_IMAGES_URI="" ARTIFACTS="" BUILD_ROLE_ARN=""
BACKEND_BUILD_ARN="" FRONTEND_BUILD_ARN="" PIPELINE_ROLE_ARN="" EVENTS_ROLE_ARN="" TASK_EXECUTION_ROLE_ARN="" TASK_ROLE_ARN=""
VPC_ID="" SUBNETS="" SECURITY_GROUP_ID="" TASK_DEFINITION_ARN="" OAC_ID="" DISTRIBUTION_ARN="" DISTRIBUTION_DOMAIN="" TOPIC_ARN=""

# --- 1. The repository (the seed's create-repository and get-repository) ---------------------------
setup_repository() {
    # resource: aws_codecommit_repository.repository
    aws_ codecommit create-repository --repository-name "$PROJECT" --repository-description "Cloud Health Dashboard Application" \
        --tags "$TAGS_MAP" >/dev/null
    # The seed's "configure Git credentials" step: it reads the clone URL and the ARN.
    REPOSITORY_ARN="$(aws_ codecommit get-repository --repository-name "$PROJECT" --query repositoryMetadata.Arn --output text)"
}

# --- 2. What the build projects need --------------------------------------------------------------
setup_account() {
    # resource: aws_caller_identity.current (a look-up: the account id the seed fills in by hand)
    ACCOUNT_ID="$(aws_ sts get-caller-identity --query Account --output text)"
    ARTIFACTS="$(artifacts_bucket "$ACCOUNT_ID")"
}

setup_backend_images() {
    # resource: aws_ecr_repository.backend
    local out
    # Through a variable, not `< <(…)`: set -e sees a failure only of a command substitution.
    out="$(aws_ ecr create-repository --repository-name "$PROJECT-backend" \
        --image-scanning-configuration scanOnPush=true --image-tag-mutability MUTABLE --tags $TAGS_KV \
        --query 'repository.[repositoryArn,repositoryUri]' --output text)"
    read -r BACKEND_IMAGES_ARN BACKEND_IMAGES_URI <<<"$out"
    aws_ ecr put-lifecycle-policy --repository-name "$PROJECT-backend" --lifecycle-policy-text \
        '{"rules":[{"rulePriority":1,"description":"Keep the last 30 images","selection":{"tagStatus":"any","countType":"imageCountMoreThan","countNumber":30},"action":{"type":"expire"}}]}' >/dev/null
}

setup_artifacts() {
    # resource: aws_s3_bucket.artifacts
    aws_ s3api create-bucket --bucket "$ARTIFACTS" --object-ownership BucketOwnerEnforced >/dev/null
    aws_ s3api put-public-access-block --bucket "$ARTIFACTS" --public-access-block-configuration \
        BlockPublicAcls=true,IgnorePublicAcls=true,BlockPublicPolicy=true,RestrictPublicBuckets=true
    aws_ s3api put-bucket-versioning --bucket "$ARTIFACTS" --versioning-configuration Status=Enabled
    aws_ s3api put-bucket-encryption --bucket "$ARTIFACTS" --server-side-encryption-configuration \
        '{"Rules":[{"ApplyServerSideEncryptionByDefault":{"SSEAlgorithm":"AES256"}}]}'
    aws_ s3api put-bucket-lifecycle-configuration --bucket "$ARTIFACTS" --lifecycle-configuration \
        '{"Rules":[{"ID":"expire-artifacts","Status":"Enabled","Filter":{"Prefix":""},"Expiration":{"Days":30},"NoncurrentVersionExpiration":{"NoncurrentDays":7}}]}'
    aws_ s3api put-bucket-policy --bucket "$ARTIFACTS" --policy "$(deny_insecure_transport "$ARTIFACTS")"
    aws_ s3api put-bucket-tagging --bucket "$ARTIFACTS" --tagging "{\"TagSet\":$TAGS_JSON}"
}
deny_insecure_transport() {
    printf '{"Version":"2012-10-17","Statement":[%s]}' "$(deny_insecure_statement "$1")"
}
deny_insecure_statement() {
    printf '{"Sid":"DenyInsecureTransport","Effect":"Deny","Principal":"*","Action":"s3:*","Resource":["arn:aws:s3:::%s","arn:aws:s3:::%s/*"],"Condition":{"Bool":{"aws:SecureTransport":"false"}}}' "$1" "$1"
}

setup_build_logs() {
    # resource: aws_cloudwatch_log_group.backendBuild
    # resource: aws_cloudwatch_log_group.frontendBuild
    local build
    for build in "$BACKEND_BUILD" "$FRONTEND_BUILD"; do
        aws_ logs create-log-group --log-group-name "/aws/codebuild/$build" --tags "$TAGS_MAP"
        aws_ logs put-retention-policy --log-group-name "/aws/codebuild/$build" --retention-in-days 30
    done
}

setup_build_role() {
    # resource: aws_iam_role.build
    BUILD_ROLE_ARN="$(create_role "$PROJECT-codebuild" "Builds the dashboard's backend image and frontend" codebuild.amazonaws.com)"
    aws_ iam put-role-policy --role-name "$PROJECT-codebuild" --policy-name build --policy-document "$(cat <<EOF
{"Version":"2012-10-17","Statement":[
 {"Sid":"Logs","Effect":"Allow","Action":["logs:CreateLogGroup","logs:CreateLogStream","logs:PutLogEvents"],"Resource":["arn:aws:logs:$REGION:$ACCOUNT_ID:log-group:/aws/codebuild/$BACKEND_BUILD*","arn:aws:logs:$REGION:$ACCOUNT_ID:log-group:/aws/codebuild/$FRONTEND_BUILD*"]},
 {"Sid":"Artifacts","Effect":"Allow","Action":["s3:GetObject","s3:GetObjectVersion","s3:PutObject"],"Resource":"arn:aws:s3:::$ARTIFACTS/*"},
 {"Sid":"Login","Effect":"Allow","Action":"ecr:GetAuthorizationToken","Resource":"*"},
 {"Sid":"Push","Effect":"Allow","Action":["ecr:BatchCheckLayerAvailability","ecr:CompleteLayerUpload","ecr:InitiateLayerUpload","ecr:PutImage","ecr:UploadLayerPart","ecr:BatchGetImage","ecr:GetDownloadUrlForLayer"],"Resource":"$BACKEND_IMAGES_ARN"}]}
EOF
)"
}

# --- 3. The build projects (the seed's two create-project) ----------------------------------------
# The buildspecs as the stack declares them (its Swift multi-line strings, unindented).
stack_text() {
    awk -v name="$1" '$0 == "let " name " = \"\"\"" { on = 1; next } on && $0 == "    \"\"\"" { exit } on { sub(/^    /, ""); print }' \
        "$(dirname "$0")/../stacks/CloudHealthDashboard.swift"
}
TAGS_CODEBUILD='[{"key":"project","value":"cloud-health-dashboard"},{"key":"environment","value":"'"$ENV_NAME"'"},{"key":"managed-by","value":"cairn"}]'

# create_build NAME DESCRIPTION BUILDSPEC CACHE_MODES ENVIRONMENT: one create-project; prints its ARN. ENVIRONMENT is the
# JSON members the two builds' environments differ in.
create_build() {
    [ -n "$3" ] || { echo "bench/seed004-setup.sh: no buildspec for $1 in stacks/CloudHealthDashboard.swift" >&2; exit 1; }
    aws_ codebuild create-project --query project.arn --output text --cli-input-json "$(cat <<EOF
{"name":"$1","description":"$2",
 "source":{"type":"CODEPIPELINE","buildspec":$(json_string "$3")},"artifacts":{"type":"CODEPIPELINE"},
 "cache":{"type":"LOCAL","modes":$4},
 "environment":{"type":"LINUX_CONTAINER","image":"aws/codebuild/standard:7.0","computeType":"BUILD_GENERAL1_SMALL",$5},
 "serviceRole":"$BUILD_ROLE_ARN","timeoutInMinutes":60,
 "logsConfig":{"cloudWatchLogs":{"status":"ENABLED","groupName":"/aws/codebuild/$1"},"s3Logs":{"status":"DISABLED"}},
 "tags":$TAGS_CODEBUILD}
EOF
)"
}

setup_backend_build() {
    # resource: aws_codebuild_project.backend
    BACKEND_BUILD_ARN="$(create_build "$BACKEND_BUILD" "FastAPI backend: lint, tests, image to ECR, imagedefinitions.json" \
        "$(stack_text healthBackendBuildspec)" '["LOCAL_CUSTOM_CACHE","LOCAL_DOCKER_LAYER_CACHE"]' \
        '"privilegedMode":true,"environmentVariables":[{"name":"AWS_ACCOUNT_ID","value":"'"$ACCOUNT_ID"'","type":"PLAINTEXT"},
          {"name":"ECR_REPOSITORY_URI","value":"'"$BACKEND_IMAGES_URI"'","type":"PLAINTEXT"},{"name":"CONTAINER_NAME","value":"backend","type":"PLAINTEXT"}]')"
}

setup_frontend_build() {
    # resource: aws_codebuild_project.frontend
    FRONTEND_BUILD_ARN="$(create_build "$FRONTEND_BUILD" "React frontend: tests and production build" \
        "$(stack_text healthFrontendBuildspec)" '["LOCAL_CUSTOM_CACHE"]' \
        '"environmentVariables":[{"name":"REACT_APP_API_URL","value":"'"${REACT_APP_API_URL:-https://api.yourdomain.com}"'","type":"PLAINTEXT"},
          {"name":"REACT_APP_ENVIRONMENT","value":"production","type":"PLAINTEXT"},{"name":"REACT_APP_VERSION","value":"1.0.0","type":"PLAINTEXT"}]')"
}

# --- 4. The pipeline (the seed's create-pipeline), and what starts it -------------------------------
setup_pipeline_role() {
    # resource: aws_iam_role.pipeline
    PIPELINE_ROLE_ARN="$(create_role "$PROJECT-codepipeline" "Runs the dashboard's pipeline" codepipeline.amazonaws.com)"
    # The task roles' ARNs are known by name before they exist: the ECS step creates them.
    aws_ iam put-role-policy --role-name "$PROJECT-codepipeline" --policy-name pipeline --policy-document "$(cat <<EOF
{"Version":"2012-10-17","Statement":[
 {"Sid":"Source","Effect":"Allow","Action":["codecommit:GetBranch","codecommit:GetCommit","codecommit:GetRepository","codecommit:UploadArchive","codecommit:GetUploadArchiveStatus","codecommit:CancelUploadArchive"],"Resource":"$REPOSITORY_ARN"},
 {"Sid":"Artifacts","Effect":"Allow","Action":["s3:GetObject","s3:GetObjectVersion","s3:GetBucketVersioning","s3:PutObject"],"Resource":["arn:aws:s3:::$ARTIFACTS","arn:aws:s3:::$ARTIFACTS/*"]},
 {"Sid":"Build","Effect":"Allow","Action":["codebuild:BatchGetBuilds","codebuild:StartBuild"],"Resource":["$BACKEND_BUILD_ARN","$FRONTEND_BUILD_ARN"]},
 {"Sid":"DeployBackend","Effect":"Allow","Action":["ecs:DescribeServices","ecs:DescribeTaskDefinition","ecs:DescribeTasks","ecs:ListTasks","ecs:RegisterTaskDefinition","ecs:TagResource","ecs:UpdateService"],"Resource":"*"},
 {"Sid":"PassTaskRoles","Effect":"Allow","Action":"iam:PassRole","Resource":["arn:aws:iam::$ACCOUNT_ID:role/$PROJECT-task-execution","arn:aws:iam::$ACCOUNT_ID:role/$PROJECT-task"],"Condition":{"StringEqualsIfExists":{"iam:PassedToService":"ecs-tasks.amazonaws.com"}}},
 {"Sid":"DeployFrontend","Effect":"Allow","Action":["s3:PutObject","s3:PutObjectAcl","s3:GetBucketLocation","s3:ListBucket"],"Resource":["arn:aws:s3:::$FRONTEND_BUCKET","arn:aws:s3:::$FRONTEND_BUCKET/*"]}]}
EOF
)"
}

setup_pipeline() {
    # resource: aws_codepipeline.pipeline
    # As in the seed, before the cluster, the service and the frontend bucket it deploys to: CreatePipeline
    # doesn't look for them (its artifact store must exist: step 2 made it).
    aws_ codepipeline create-pipeline --tags $TAGS_LOWER --pipeline "$(cat <<EOF
{"name":"$PROJECT-pipeline","roleArn":"$PIPELINE_ROLE_ARN","artifactStore":{"type":"S3","location":"$ARTIFACTS"},"pipelineType":"V1",
 "stages":[
  {"name":"Source","actions":[{"name":"CodeCommit","actionTypeId":{"category":"Source","owner":"AWS","provider":"CodeCommit","version":"1"},"runOrder":1,
    "configuration":{"RepositoryName":"$PROJECT","BranchName":"main","PollForSourceChanges":"false"},"outputArtifacts":[{"name":"SourceOutput"}]}]},
  {"name":"Build","actions":[
    {"name":"Backend","actionTypeId":{"category":"Build","owner":"AWS","provider":"CodeBuild","version":"1"},"runOrder":1,
     "configuration":{"ProjectName":"$BACKEND_BUILD"},"inputArtifacts":[{"name":"SourceOutput"}],"outputArtifacts":[{"name":"BackendOutput"}]},
    {"name":"Frontend","actionTypeId":{"category":"Build","owner":"AWS","provider":"CodeBuild","version":"1"},"runOrder":1,
     "configuration":{"ProjectName":"$FRONTEND_BUILD"},"inputArtifacts":[{"name":"SourceOutput"}],"outputArtifacts":[{"name":"FrontendOutput"}]}]},
  {"name":"Deploy","actions":[
    {"name":"Backend","actionTypeId":{"category":"Deploy","owner":"AWS","provider":"ECS","version":"1"},"runOrder":1,
     "configuration":{"ClusterName":"$CLUSTER","ServiceName":"$SERVICE","FileName":"imagedefinitions.json"},"inputArtifacts":[{"name":"BackendOutput"}]},
    {"name":"Frontend","actionTypeId":{"category":"Deploy","owner":"AWS","provider":"S3","version":"1"},"runOrder":1,
     "configuration":{"BucketName":"$FRONTEND_BUCKET","Extract":"true","CacheControl":"no-cache"},"inputArtifacts":[{"name":"FrontendOutput"}]}]}]}
EOF
)" >/dev/null
}

setup_events_role() {
    # resource: aws_iam_role.events
    EVENTS_ROLE_ARN="$(create_role "$PROJECT-events" "Lets EventBridge start the dashboard's pipeline" events.amazonaws.com)"
    aws_ iam put-role-policy --role-name "$PROJECT-events" --policy-name start --policy-document \
        "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Sid\":\"StartPipeline\",\"Effect\":\"Allow\",\"Action\":\"codepipeline:StartPipelineExecution\",\"Resource\":\"arn:aws:codepipeline:$REGION:$ACCOUNT_ID:$PROJECT-pipeline\"}]}"
}

setup_source_changed() {
    # resource: aws_cloudwatch_event_rule.sourceChanged
    # The seed's repository trigger, corrected: a trigger cannot start a pipeline, a rule on pushes to main can.
    aws_ events put-rule --name "${RULES[0]}" --description "A push to main of $PROJECT starts its pipeline" --tags $TAGS_KV \
        --event-pattern "{\"source\":[\"aws.codecommit\"],\"detail-type\":[\"CodeCommit Repository State Change\"],\"detail\":{\"event\":[\"referenceCreated\",\"referenceUpdated\"],\"referenceType\":[\"branch\"],\"referenceName\":[\"main\"],\"repositoryName\":[\"$PROJECT\"]}}" >/dev/null
    aws_ events put-targets --rule "${RULES[0]}" \
        --targets "Id=pipeline,Arn=arn:aws:codepipeline:$REGION:$ACCOUNT_ID:$PROJECT-pipeline,RoleArn=$EVENTS_ROLE_ARN" >/dev/null
}

# --- 5. The backend's service (the seed's create-cluster and create-service) -----------------------
setup_cluster() {
    # resource: aws_ecs_cluster.cluster
    aws_ ecs create-cluster --cluster-name "$CLUSTER" --settings name=containerInsights,value=enabled --tags $TAGS_LOWER >/dev/null
}

setup_task_execution_role() {
    # resource: aws_iam_role.taskExecution
    TASK_EXECUTION_ROLE_ARN="$(create_role "$PROJECT-task-execution" "Pulls the backend's image, reads its configuration, writes logs" ecs-tasks.amazonaws.com)"
    aws_ iam attach-role-policy --role-name "$PROJECT-task-execution" \
        --policy-arn arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy
    aws_ iam put-role-policy --role-name "$PROJECT-task-execution" --policy-name configuration --policy-document "$(cat <<EOF
{"Version":"2012-10-17","Statement":[
 {"Sid":"Parameters","Effect":"Allow","Action":"ssm:GetParameters","Resource":"arn:aws:ssm:$REGION:$ACCOUNT_ID:parameter$PARAMETER_PATH/*"},
 {"Sid":"DecryptParameters","Effect":"Allow","Action":"kms:Decrypt","Resource":"*","Condition":{"StringEquals":{"kms:ViaService":"ssm.$REGION.amazonaws.com"}}}]}
EOF
)"
}

setup_task_role() {
    # resource: aws_iam_role.task
    # Instead of the seed's AWS keys in Parameter Store: the backend's own rights.
    TASK_ROLE_ARN="$(create_role "$PROJECT-task" "The dashboard backend's own AWS rights" ecs-tasks.amazonaws.com)"
    aws_ iam put-role-policy --role-name "$PROJECT-task" --policy-name app --policy-document "$(cat <<EOF
{"Version":"2012-10-17","Statement":[
 {"Sid":"Tables","Effect":"Allow","Action":["dynamodb:GetItem","dynamodb:PutItem","dynamodb:UpdateItem","dynamodb:DeleteItem","dynamodb:Query","dynamodb:Scan","dynamodb:BatchGetItem","dynamodb:BatchWriteItem","dynamodb:DescribeTable"],"Resource":"arn:aws:dynamodb:$REGION:$ACCOUNT_ID:table/prod*"},
 {"Sid":"Mail","Effect":"Allow","Action":["ses:SendEmail","ses:SendRawEmail"],"Resource":"*","Condition":{"StringEquals":{"ses:FromAddress":"${SES_SENDER_EMAIL:-noreply@yourdomain.com}"}}},
 {"Sid":"Monitoring","Effect":"Allow","Action":["cloudwatch:GetMetricData","cloudwatch:ListMetrics","cloudwatch:DescribeAlarms","health:DescribeEvents","health:DescribeEventDetails","ce:GetCostAndUsage","ec2:DescribeInstances","ecs:ListServices","ecs:DescribeServices","rds:DescribeDBInstances","lambda:ListFunctions"],"Resource":"*"}]}
EOF
)"
}

setup_app_logs() {
    # resource: aws_cloudwatch_log_group.app
    aws_ logs create-log-group --log-group-name "/ecs/$PROJECT-backend" --tags "$TAGS_MAP"
    aws_ logs put-retention-policy --log-group-name "/ecs/$PROJECT-backend" --retention-in-days 30
}

setup_default_network() {
    # resource: aws_default_vpc.default (a look-up: the default VPC's id)
    # resource: aws_default_subnets.default (a look-up: its default subnets)
    VPC_ID="$(aws_ ec2 describe-vpcs --filters Name=isDefault,Values=true --query 'Vpcs[0].VpcId' --output text)"
    # shellcheck disable=SC2034 # create_service (seed-common.sh) uses it
    SUBNETS="$(aws_ ec2 describe-subnets --filters "Name=vpc-id,Values=$VPC_ID" Name=default-for-az,Values=true \
        --query 'Subnets[].SubnetId' --output text | tr '\t' ',')"
}

setup_security_group() {
    # resource: aws_security_group.backend
    SECURITY_GROUP_ID="$(aws_ ec2 create-security-group --group-name "$PROJECT-backend" \
        --description "Dashboard backend: HTTP 8000 in, anything out" --vpc-id "$VPC_ID" \
        --tag-specifications "ResourceType=security-group,Tags=[{Key=project,Value=cloud-health-dashboard},{Key=environment,Value=$ENV_NAME},{Key=managed-by,Value=cairn}]" --query GroupId --output text)"
    aws_ ec2 authorize-security-group-ingress --group-id "$SECURITY_GROUP_ID" \
        --ip-permissions 'IpProtocol=tcp,FromPort=8000,ToPort=8000,IpRanges=[{CidrIp=0.0.0.0/0,Description=FastAPI}]' >/dev/null
}

setup_task_definition() {
    # resource: aws_ecs_task_definition.backend
    # The seed's Parameter Store map as one parameter per key (ECS reads them when a task starts, so the two that
    # carry the CloudFront domain can follow in step 6, as the seed's order has it).
    local secrets="" key
    for key in "${PARAMETER_KEYS[@]}"; do
        secrets+="${secrets:+,}{\"name\":\"$key\",\"valueFrom\":\"arn:aws:ssm:$REGION:$ACCOUNT_ID:parameter$PARAMETER_PATH/$key\"}"
    done
    TASK_DEFINITION_ARN="$(aws_ ecs register-task-definition --family "$PROJECT-backend" --cpu 256 --memory 512 \
        --network-mode awsvpc --requires-compatibilities FARGATE --execution-role-arn "$TASK_EXECUTION_ROLE_ARN" \
        --task-role-arn "$TASK_ROLE_ARN" --container-definitions "$(cat <<EOF
[{"name":"backend","image":"$BACKEND_IMAGES_URI:latest","essential":true,
  "portMappings":[{"containerPort":8000,"hostPort":8000,"protocol":"tcp"}],"secrets":[$secrets],
  "logConfiguration":{"logDriver":"awslogs","options":{"awslogs-group":"/ecs/$PROJECT-backend","awslogs-region":"$REGION","awslogs-stream-prefix":"backend"}}}]
EOF
)" --tags $TAGS_LOWER --query taskDefinition.taskDefinitionArn --output text)"
}

setup_service() {
    # resource: aws_ecs_service.backend
    create_service "$CLUSTER" "$SERVICE" "$TASK_DEFINITION_ARN"
}

# --- 6. The frontend (the seed's s3 mb and create-distribution), private behind an OAC ----------------
setup_frontend_bucket() {
    # resource: aws_s3_bucket.frontend
    aws_ s3 mb "s3://$FRONTEND_BUCKET" >/dev/null
    aws_ s3api put-public-access-block --bucket "$FRONTEND_BUCKET" --public-access-block-configuration \
        BlockPublicAcls=true,IgnorePublicAcls=true,BlockPublicPolicy=true,RestrictPublicBuckets=true
    aws_ s3api put-bucket-versioning --bucket "$FRONTEND_BUCKET" --versioning-configuration Status=Enabled
    aws_ s3api put-bucket-cors --bucket "$FRONTEND_BUCKET" --cors-configuration \
        '{"CORSRules":[{"AllowedMethods":["GET","HEAD"],"AllowedOrigins":["*"],"AllowedHeaders":["*"],"MaxAgeSeconds":3000}]}'
    aws_ s3api put-bucket-tagging --bucket "$FRONTEND_BUCKET" --tagging "{\"TagSet\":$TAGS_JSON}"
}

setup_origin_access() {
    # resource: aws_cloudfront_origin_access_control.frontend
    # Instead of the seed's access identity, never created (and the website endpoint, which no OAI/OAC can read).
    OAC_ID="$(aws_ cloudfront create-origin-access-control --origin-access-control-config \
        "{\"Name\":\"$FRONTEND_BUCKET\",\"Description\":\"CloudFront reads the dashboard's private bucket\",\"SigningProtocol\":\"sigv4\",\"SigningBehavior\":\"always\",\"OriginAccessControlOriginType\":\"s3\"}" \
        --query OriginAccessControl.Id --output text)"
}

setup_distribution() {
    # resource: aws_cloudfront_distribution.frontend
    # The seed's create-distribution, with its tags: the REST endpoint through the OAC, a root object, a cache policy
    # (CachingOptimized) instead of DefaultTTL without ForwardedValues.
    local out
    out="$(aws_ cloudfront create-distribution-with-tags \
        --query 'Distribution.[ARN,DomainName]' --output text --distribution-config-with-tags "$(cat <<EOF
{"DistributionConfig":{"CallerReference":"$PROJECT-frontend","Comment":"$PROJECT frontend","Enabled":true,"DefaultRootObject":"index.html",
  "Origins":{"Quantity":1,"Items":[{"Id":"frontend","DomainName":"$FRONTEND_BUCKET.s3.$REGION.amazonaws.com","OriginPath":"",
    "OriginAccessControlId":"$OAC_ID","S3OriginConfig":{"OriginAccessIdentity":""}}]},
  "DefaultCacheBehavior":{"TargetOriginId":"frontend","ViewerProtocolPolicy":"redirect-to-https","Compress":true,
    "CachePolicyId":"658327ea-f89d-4fab-a63d-7e88639e58f6",
    "AllowedMethods":{"Quantity":3,"Items":["GET","HEAD","OPTIONS"],"CachedMethods":{"Quantity":2,"Items":["GET","HEAD"]}}},
  "CustomErrorResponses":{"Quantity":2,"Items":[
    {"ErrorCode":403,"ResponseCode":"200","ResponsePagePath":"/index.html","ErrorCachingMinTTL":10},
    {"ErrorCode":404,"ResponseCode":"200","ResponsePagePath":"/index.html","ErrorCachingMinTTL":10}]},
  "PriceClass":"PriceClass_All","HttpVersion":"http2","IsIPV6Enabled":true},
 "Tags":{"Items":$TAGS_JSON}}
EOF
)")"
    read -r DISTRIBUTION_ARN DISTRIBUTION_DOMAIN <<<"$out"
}

setup_frontend_policy() {
    # resource: aws_s3_bucket_policy.frontend
    aws_ s3api put-bucket-policy --bucket "$FRONTEND_BUCKET" --policy "$(cat <<EOF
{"Version":"2012-10-17","Statement":[
 {"Sid":"CloudFrontReads","Effect":"Allow","Principal":{"Service":"cloudfront.amazonaws.com"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::$FRONTEND_BUCKET/*","Condition":{"StringEquals":{"AWS:SourceArn":"$DISTRIBUTION_ARN"}}},
 $(deny_insecure_statement "$FRONTEND_BUCKET")]}
EOF
)"
}

setup_parameters() {
    # resource: aws_ssm_parameter.backendEnvironment
    # resource: aws_ssm_parameter.backendDebug
    # resource: aws_ssm_parameter.backendLogLevel
    # resource: aws_ssm_parameter.backendSesSenderEmail
    # resource: aws_ssm_parameter.backendFrontendUrl
    # resource: aws_ssm_parameter.backendCorsOrigins
    # resource: aws_ssm_parameter.backendDynamodbTablePrefix
    # resource: aws_ssm_parameter.backendYourAwsRegion
    # resource: aws_ssm_parameter.backendJwtSecretKey
    # resource: aws_ssm_parameter.backendEncryptionKey
    # The seed's /cloud-health/backend/production map, one parameter per key, without the AWS keys.
    local -A values=([ENVIRONMENT]=production [DEBUG]=false [LOG_LEVEL]=INFO [SES_SENDER_EMAIL]="${SES_SENDER_EMAIL:-noreply@yourdomain.com}"
        [FRONTEND_URL]="https://$DISTRIBUTION_DOMAIN" [CORS_ORIGINS]="https://$DISTRIBUTION_DOMAIN" [DYNAMODB_TABLE_PREFIX]=prod
        [YOUR_AWS_REGION]="$REGION" [JWT_SECRET_KEY]="$JWT_SECRET_KEY" [ENCRYPTION_KEY]="$ENCRYPTION_KEY")
    local key type
    for key in "${PARAMETER_KEYS[@]}"; do
        case "$key" in JWT_SECRET_KEY|ENCRYPTION_KEY) type=SecureString ;; *) type=String ;; esac
        # As JSON: aws CLI v1 fetches a --value that starts with https:// (the frontend's URL).
        aws_ ssm put-parameter --cli-input-json "{\"Name\":\"$PARAMETER_PATH/$key\",\"Type\":\"$type\",\"Value\":$(json_string "${values[$key]}"),\"Description\":\"$key of the backend in production\",\"Tags\":$TAGS_JSON}" >/dev/null
    done
}

# --- 7. Notifications and monitoring (the seed's "Monitoring and Notifications", corrected) ----------
setup_notifications() {
    # resource: aws_sns_topic.notifications
    # resource: aws_sns_topic_subscription.email
    # resource: aws_sns_topic_subscription.sms
    local policy
    policy="{\"Version\":\"2012-10-17\",\"Statement\":[{\"Sid\":\"EventBridgeCanPublish\",\"Effect\":\"Allow\",\"Principal\":{\"Service\":\"events.amazonaws.com\"},\"Action\":\"sns:Publish\",\"Resource\":\"arn:aws:sns:$REGION:$ACCOUNT_ID:$TOPIC\",\"Condition\":{\"StringEquals\":{\"aws:SourceAccount\":\"$ACCOUNT_ID\"}}}]}"
    TOPIC_ARN="$(aws_ sns create-topic --name "$TOPIC" --tags $TAGS_KV \
        --attributes "{\"DisplayName\":\"Cloud Health Dashboard\",\"Policy\":$(json_string "$policy")}" --query TopicArn --output text)"
    aws_ sns subscribe --topic-arn "$TOPIC_ARN" --protocol email --notification-endpoint "$ALERT_EMAIL" >/dev/null
    # The stack declares the SMS subscription only with a phone.
    if [ -n "${ALERT_PHONE:-}" ]; then
        aws_ sns subscribe --topic-arn "$TOPIC_ARN" --protocol sms --notification-endpoint "$ALERT_PHONE" >/dev/null
    fi
}

setup_build_duration_alarms() {
    # resource: aws_cloudwatch_metric_alarm.backendBuildDuration
    # resource: aws_cloudwatch_metric_alarm.frontendBuildDuration
    # BuildDuration, not the seed's ExecutionFailure and DeploymentFailure, which are no metrics.
    local build
    for build in "$BACKEND_BUILD" "$FRONTEND_BUILD"; do
        aws_ cloudwatch put-metric-alarm --alarm-name "$build-duration" --alarm-description "The BUILD phase of $build took over 10 minutes" \
            --namespace AWS/CodeBuild --metric-name BuildDuration --dimensions "Name=ProjectName,Value=$build" --statistic Maximum \
            --period 300 --evaluation-periods 1 --threshold 600 --comparison-operator GreaterThanThreshold \
            --treat-missing-data notBreaching --unit Seconds --alarm-actions "$TOPIC_ARN" --tags $TAGS_KV
    done
}

setup_failure_rules() {
    # resource: aws_cloudwatch_event_rule.pipelineFailed
    # resource: aws_cloudwatch_event_rule.deploymentFailed
    aws_ events put-rule --name "${RULES[1]}" --description "Failed executions of $PROJECT-pipeline, to the alert topics" --tags $TAGS_KV \
        --event-pattern "{\"source\":[\"aws.codepipeline\"],\"detail-type\":[\"CodePipeline Pipeline Execution State Change\"],\"detail\":{\"state\":[\"FAILED\"],\"pipeline\":[\"$PROJECT-pipeline\"]}}" >/dev/null
    aws_ events put-targets --rule "${RULES[1]}" --targets "Id=alert-1,Arn=$TOPIC_ARN" >/dev/null
    aws_ events put-rule --name "${RULES[2]}" --description "A failed deployment of $SERVICE (the circuit breaker rolls it back)" --tags $TAGS_KV \
        --event-pattern "{\"source\":[\"aws.ecs\"],\"detail-type\":[\"ECS Deployment State Change\"],\"detail\":{\"eventName\":[\"SERVICE_DEPLOYMENT_FAILED\"]},\"resources\":[{\"suffix\":\":service/$CLUSTER/$SERVICE\"}]}" >/dev/null
    aws_ events put-targets --rule "${RULES[2]}" --targets "Id=notifications,Arn=$TOPIC_ARN" >/dev/null
}

# In the seed's order: repository; build projects; pipeline; cluster and service; bucket and distribution;
# then what its later sections describe (Parameter Store, notifications, monitoring).
setup_repository
setup_account
setup_backend_images
setup_artifacts
setup_build_logs
setup_build_role
setup_backend_build
setup_frontend_build
setup_pipeline_role
setup_pipeline
setup_events_role
setup_source_changed
setup_cluster
setup_task_execution_role
setup_task_role
setup_app_logs
setup_default_network
setup_security_group
setup_task_definition
setup_service
setup_frontend_bucket
setup_origin_access
setup_distribution
setup_frontend_policy
setup_parameters
setup_notifications
setup_build_duration_alarms
setup_failure_rules
