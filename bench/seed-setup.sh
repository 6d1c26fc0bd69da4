#!/usr/bin/env bash
# Seed 000's way, written out: the aws CLI commands that set up what `small-business-invoices`
# declares, one process per command, as people run them. The seed's "Setup Instructions" start with
# `aws ecr create-repository` and `aws s3api create-bucket` and leave the rest to a CloudFormation
# template; here the rest is the commands each declared resource needs to end up configured as the
# stack says (scanning, lifecycle, versioning, Block Public Access, tags, the ECS service and its
# task definition, log group and security group, the CodeBuild project, the pipeline, the roles).
#
#   GITHUB_TOKEN=… bench/seed-setup.sh [ENV]   # ENV as `cairn --env`: names get "-ENV" unless ENV is "default"
#
# Uses AWS_ENDPOINT_URL (passed as --endpoint-url, for aws CLI v1) and AWS_REGION (default
# eu-north-1). bench/run times it against `cairn apply small-business-invoices`.
#
# Extending it: one function per declared resource, named after its address (`aws_ecr_repository.app`
# → setup_aws_ecr_repository_app), its body starting with a `# resource: ADDRESS` line, called at the
# bottom in dependency order. bench/run compares those markers with `cairn graph` and warns about any
# declared resource without a block here. Keep values identical to stacks/SmallBusinessInvoices.swift.
set -euo pipefail

. "$(dirname "$0")/seed-common.sh"
TAGS_KV="Key=project,Value=small-business-invoices Key=environment,Value=$ENV_NAME Key=managed-by,Value=cairn"
TAGS_LOWER="key=project,value=small-business-invoices key=environment,value=$ENV_NAME key=managed-by,value=cairn"

# Filled in as the commands answer.
REPOSITORY_ARN="" REPOSITORY_URI="" ACCOUNT_ID="" VPC_ID="" SUBNETS="" SECURITY_GROUP_ID=""
TASK_EXECUTION_ROLE_ARN="" TASK_DEFINITION_ARN="" BUILD_ROLE_ARN="" PROJECT_ARN="" PIPELINE_ROLE_ARN=""

setup_aws_ecr_repository_app() {
    # resource: aws_ecr_repository.app
    read -r REPOSITORY_ARN REPOSITORY_URI ACCOUNT_ID < <(aws_ ecr create-repository --repository-name "$PROJECT" \
        --image-scanning-configuration scanOnPush=true --image-tag-mutability MUTABLE --tags $TAGS_KV \
        --query 'repository.[repositoryArn,repositoryUri,registryId]' --output text)
    aws_ ecr put-lifecycle-policy --repository-name "$PROJECT" --lifecycle-policy-text \
        '{"rules":[{"rulePriority":1,"description":"Keep the last 30 images","selection":{"tagStatus":"any","countType":"imageCountMoreThan","countNumber":30},"action":{"type":"expire"}}]}' >/dev/null
}

setup_aws_s3_bucket_artifacts() {
    # resource: aws_s3_bucket.artifacts
    aws_ s3api create-bucket --bucket "$BUCKET" --create-bucket-configuration "LocationConstraint=$REGION" \
        --object-ownership BucketOwnerEnforced >/dev/null
    aws_ s3api put-public-access-block --bucket "$BUCKET" --public-access-block-configuration \
        BlockPublicAcls=true,IgnorePublicAcls=true,BlockPublicPolicy=true,RestrictPublicBuckets=true
    aws_ s3api put-bucket-versioning --bucket "$BUCKET" --versioning-configuration Status=Enabled
    aws_ s3api put-bucket-tagging --bucket "$BUCKET" --tagging \
        "TagSet=[{Key=project,Value=small-business-invoices},{Key=environment,Value=$ENV_NAME},{Key=managed-by,Value=cairn}]"
}

setup_aws_ecs_cluster_cluster() {
    # resource: aws_ecs_cluster.cluster
    aws_ ecs create-cluster --cluster-name "$CLUSTER" --settings name=containerInsights,value=enabled --tags $TAGS_LOWER >/dev/null
}

setup_aws_cloudwatch_log_group_app() {
    # resource: aws_cloudwatch_log_group.app
    aws_ logs create-log-group --log-group-name "/ecs/$PROJECT" \
        --tags "project=small-business-invoices,environment=$ENV_NAME,managed-by=cairn"
    aws_ logs put-retention-policy --log-group-name "/ecs/$PROJECT" --retention-in-days 30
}

setup_aws_default_vpc_default() {
    # resource: aws_default_vpc.default (a look-up: the default VPC's id)
    VPC_ID="$(aws_ ec2 describe-vpcs --filters Name=isDefault,Values=true --query 'Vpcs[0].VpcId' --output text)"
}

setup_aws_default_subnets_default() {
    # resource: aws_default_subnets.default (a look-up: the default VPC's subnets)
    # shellcheck disable=SC2034 # create_service (seed-common.sh) uses it
    SUBNETS="$(aws_ ec2 describe-subnets --filters "Name=vpc-id,Values=$VPC_ID" Name=default-for-az,Values=true \
        --query 'Subnets[].SubnetId' --output text | tr '\t' ',')"
}

setup_aws_security_group_service() {
    # resource: aws_security_group.service
    SECURITY_GROUP_ID="$(aws_ ec2 create-security-group --group-name "$PROJECT-service" \
        --description "Invoices service: HTTP in, anything out" --vpc-id "$VPC_ID" \
        --tag-specifications "ResourceType=security-group,Tags=[{Key=project,Value=small-business-invoices},{Key=environment,Value=$ENV_NAME},{Key=managed-by,Value=cairn}]" \
        --query GroupId --output text)"
    aws_ ec2 authorize-security-group-ingress --group-id "$SECURITY_GROUP_ID" \
        --ip-permissions 'IpProtocol=tcp,FromPort=8080,ToPort=8080,IpRanges=[{CidrIp=0.0.0.0/0,Description=HTTP}]' >/dev/null
}

setup_aws_iam_role_taskExecution() {
    # resource: aws_iam_role.taskExecution
    TASK_EXECUTION_ROLE_ARN="$(create_role "$PROJECT-task-execution" "Pulls images and writes logs for the invoices service" \
        ecs-tasks.amazonaws.com)"
    aws_ iam attach-role-policy --role-name "$PROJECT-task-execution" \
        --policy-arn arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy
}

setup_aws_ecs_task_definition_app() {
    # resource: aws_ecs_task_definition.app
    TASK_DEFINITION_ARN="$(aws_ ecs register-task-definition --family "$PROJECT" --cpu 512 --memory 1024 \
        --network-mode awsvpc --requires-compatibilities FARGATE --execution-role-arn "$TASK_EXECUTION_ROLE_ARN" \
        --container-definitions "$(cat <<EOF
[{"name":"app","image":"$REPOSITORY_URI:latest","cpu":0,"essential":true,
  "portMappings":[{"containerPort":8080,"hostPort":8080,"protocol":"tcp"}],
  "environment":[{"name":"SPRING_PROFILES_ACTIVE","value":"$ENV_NAME"}],
  "logConfiguration":{"logDriver":"awslogs","options":{"awslogs-group":"/ecs/$PROJECT","awslogs-region":"$REGION","awslogs-stream-prefix":"app"}}}]
EOF
)" --tags $TAGS_LOWER --query taskDefinition.taskDefinitionArn --output text)"
}

setup_aws_ecs_service_app() {
    # resource: aws_ecs_service.app
    create_service "$CLUSTER" "$PROJECT-service" "$TASK_DEFINITION_ARN"
}

setup_aws_iam_role_build() {
    # resource: aws_iam_role.build
    BUILD_ROLE_ARN="$(create_role "$PROJECT-codebuild" "Builds, tests and pushes the invoices image" codebuild.amazonaws.com)"
    aws_ iam put-role-policy --role-name "$PROJECT-codebuild" --policy-name build --policy-document "$(cat <<EOF
{"Version":"2012-10-17","Statement":[
 {"Sid":"Logs","Effect":"Allow","Action":["logs:CreateLogGroup","logs:CreateLogStream","logs:PutLogEvents"],"Resource":"arn:aws:logs:$REGION:*:log-group:/aws/codebuild/$PROJECT-build*"},
 {"Sid":"Login","Effect":"Allow","Action":"ecr:GetAuthorizationToken","Resource":"*"},
 {"Sid":"Push","Effect":"Allow","Action":["ecr:BatchCheckLayerAvailability","ecr:CompleteLayerUpload","ecr:InitiateLayerUpload","ecr:PutImage","ecr:UploadLayerPart","ecr:BatchGetImage","ecr:GetDownloadUrlForLayer"],"Resource":"$REPOSITORY_ARN"},
 {"Sid":"Artifacts","Effect":"Allow","Action":["s3:GetObject","s3:GetObjectVersion","s3:PutObject"],"Resource":"arn:aws:s3:::$BUCKET/*"}]}
EOF
)"
}

setup_aws_codebuild_project_build() {
    # resource: aws_codebuild_project.build
    PROJECT_ARN="$(aws_ codebuild create-project --query project.arn --output text --cli-input-json "$(cat <<EOF
{"name":"$PROJECT-build","description":"Maven build and test, Docker image to ECR",
 "source":{"type":"CODEPIPELINE","buildspec":"version: 0.2\nphases:\n  pre_build:\n    commands:\n      - aws ecr get-login-password --region \$AWS_DEFAULT_REGION | docker login --username AWS --password-stdin \$AWS_ACCOUNT_ID.dkr.ecr.\$AWS_DEFAULT_REGION.amazonaws.com\n      - IMAGE_TAG=\$(echo \$CODEBUILD_RESOLVED_SOURCE_VERSION | cut -c 1-7)\n  build:\n    commands:\n      - mvn -B verify\n      - docker build -t \$ECR_REPOSITORY_URI:latest -t \$ECR_REPOSITORY_URI:\$IMAGE_TAG .\n  post_build:\n    commands:\n      - docker push \$ECR_REPOSITORY_URI:latest\n      - docker push \$ECR_REPOSITORY_URI:\$IMAGE_TAG\n      - printf '[{\"name\":\"%s\",\"imageUri\":\"%s\"}]' \$CONTAINER_NAME \$ECR_REPOSITORY_URI:\$IMAGE_TAG > imagedefinitions.json\nartifacts:\n  files:\n    - imagedefinitions.json\ncache:\n  paths:\n    - '/root/.m2/**/*'"},
 "artifacts":{"type":"CODEPIPELINE"},
 "cache":{"type":"LOCAL","modes":["LOCAL_DOCKER_LAYER_CACHE","LOCAL_SOURCE_CACHE"]},
 "environment":{"type":"LINUX_CONTAINER","image":"aws/codebuild/standard:7.0","computeType":"BUILD_GENERAL1_MEDIUM","privilegedMode":true,
   "environmentVariables":[{"name":"AWS_DEFAULT_REGION","value":"$REGION","type":"PLAINTEXT"},{"name":"AWS_ACCOUNT_ID","value":"$ACCOUNT_ID","type":"PLAINTEXT"},
     {"name":"ECR_REPOSITORY_URI","value":"$REPOSITORY_URI","type":"PLAINTEXT"},{"name":"CONTAINER_NAME","value":"app","type":"PLAINTEXT"}]},
 "serviceRole":"$BUILD_ROLE_ARN","timeoutInMinutes":60,"queuedTimeoutInMinutes":480,
 "logsConfig":{"cloudWatchLogs":{"status":"ENABLED","groupName":"/aws/codebuild/$PROJECT-build"},"s3Logs":{"status":"DISABLED"}},
 "tags":[{"key":"project","value":"small-business-invoices"},{"key":"environment","value":"$ENV_NAME"},{"key":"managed-by","value":"cairn"}]}
EOF
)")"
}

setup_aws_iam_role_pipeline() {
    # resource: aws_iam_role.pipeline
    PIPELINE_ROLE_ARN="$(create_role "$PROJECT-codepipeline" "Runs the invoices pipeline" codepipeline.amazonaws.com)"
    aws_ iam put-role-policy --role-name "$PROJECT-codepipeline" --policy-name pipeline --policy-document "$(cat <<EOF
{"Version":"2012-10-17","Statement":[
 {"Sid":"Artifacts","Effect":"Allow","Action":["s3:GetObject","s3:GetObjectVersion","s3:GetBucketVersioning","s3:PutObject"],"Resource":["arn:aws:s3:::$BUCKET","arn:aws:s3:::$BUCKET/*"]},
 {"Sid":"Build","Effect":"Allow","Action":["codebuild:BatchGetBuilds","codebuild:StartBuild"],"Resource":"$PROJECT_ARN"},
 {"Sid":"Deploy","Effect":"Allow","Action":["ecs:DescribeServices","ecs:DescribeTaskDefinition","ecs:DescribeTasks","ecs:ListTasks","ecs:RegisterTaskDefinition","ecs:UpdateService"],"Resource":"*"},
 {"Sid":"PassRoles","Effect":"Allow","Action":"iam:PassRole","Resource":"$TASK_EXECUTION_ROLE_ARN","Condition":{"StringEqualsIfExists":{"iam:PassedToService":"ecs-tasks.amazonaws.com"}}}]}
EOF
)"
}

setup_aws_codepipeline_app() {
    # resource: aws_codepipeline.app
    aws_ codepipeline create-pipeline --tags $TAGS_LOWER --pipeline "$(cat <<EOF
{"name":"$PROJECT-pipeline","roleArn":"$PIPELINE_ROLE_ARN","artifactStore":{"type":"S3","location":"$BUCKET"},"pipelineType":"V1",
 "stages":[
  {"name":"Source","actions":[{"name":"GitHub","actionTypeId":{"category":"Source","owner":"ThirdParty","provider":"GitHub","version":"1"},"runOrder":1,
    "configuration":{"Owner":"${GITHUB_OWNER:-small-business}","Repo":"small-business-invoices","Branch":"main","OAuthToken":"${GITHUB_TOKEN:?set GITHUB_TOKEN}","PollForSourceChanges":"true"},
    "outputArtifacts":[{"name":"SourceOutput"}]}]},
  {"name":"Build","actions":[{"name":"Maven","actionTypeId":{"category":"Build","owner":"AWS","provider":"CodeBuild","version":"1"},"runOrder":1,
    "configuration":{"ProjectName":"$PROJECT-build"},"inputArtifacts":[{"name":"SourceOutput"}],"outputArtifacts":[{"name":"BuildOutput"}]}]},
  {"name":"Deploy","actions":[{"name":"ECS","actionTypeId":{"category":"Deploy","owner":"AWS","provider":"ECS","version":"1"},"runOrder":1,
    "configuration":{"ClusterName":"$CLUSTER","ServiceName":"$PROJECT-service","FileName":"imagedefinitions.json"},"inputArtifacts":[{"name":"BuildOutput"}]}]}]}
EOF
)" >/dev/null
}

# In dependency order (see `cairn graph small-business-invoices`).
setup_aws_ecr_repository_app
setup_aws_s3_bucket_artifacts
setup_aws_ecs_cluster_cluster
setup_aws_cloudwatch_log_group_app
setup_aws_default_vpc_default
setup_aws_default_subnets_default
setup_aws_security_group_service
setup_aws_iam_role_taskExecution
setup_aws_ecs_task_definition_app
setup_aws_ecs_service_app
setup_aws_iam_role_build
setup_aws_codebuild_project_build
setup_aws_iam_role_pipeline
setup_aws_codepipeline_app
