#!/usr/bin/env python3
"""The lower bound: one process making exactly the create calls `small-business-invoices` needs,
one after another, with no state and no reads but one (the default subnets, which the ECS service
needs and no create returns): what bench/seed-setup.sh does, without a process per command.

    bench/boto3-create.py [ENV]        # names as `cairn --env ENV`

Uses AWS_ENDPOINT_URL and AWS_REGION (default eu-north-1). Prints the number of calls it made.

Extending it: one function per declared resource, named after its address, with a
`# resource: ADDRESS` line, listed in CREATES in dependency order (bench/run checks the markers
against `cairn graph`). Keep values identical to stacks/SmallBusinessInvoices.swift.
"""
import json
import os
import sys
import time

started = time.monotonic()
import boto3  # noqa: E402  (its import is part of the cost, as it is for any boto3 script)

ENV = sys.argv[1] if len(sys.argv) > 1 else "default"
REGION = os.environ.get("AWS_REGION", "eu-north-1")
ENDPOINT = os.environ["AWS_ENDPOINT_URL"]


def suffixed(base):
    return base if ENV == "default" else f"{base}-{ENV}"


PROJECT = suffixed("small-business-invoices")
CLUSTER = suffixed("small-business-cluster")
BUCKET = f"{PROJECT}-pipeline-artifacts"
TAGS = {"project": "small-business-invoices", "environment": ENV, "managed-by": "cairn"}
session = boto3.session.Session(region_name=REGION)
clients = {}
calls = 0
created = {}


def call(service, operation, **params):
    global calls
    client = clients.get(service)
    if client is None:
        client = clients[service] = session.client(service, endpoint_url=ENDPOINT)
    calls += 1
    return getattr(client, operation)(**params)


def tag_list(key="Key", value="Value"):
    return [{key: k, value: v} for k, v in TAGS.items()]


def trust(service):
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}]})


def aws_ecr_repository_app():
    # resource: aws_ecr_repository.app
    result = call("ecr", "create_repository", repositoryName=PROJECT, imageTagMutability="MUTABLE",
                  imageScanningConfiguration={"scanOnPush": True}, tags=tag_list())
    created["repository"] = result["repository"]
    call("ecr", "put_lifecycle_policy", repositoryName=PROJECT, lifecyclePolicyText=json.dumps({"rules": [{
        "rulePriority": 1, "description": "Keep the last 30 images",
        "selection": {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 30},
        "action": {"type": "expire"}}]}))


def aws_s3_bucket_artifacts():
    # resource: aws_s3_bucket.artifacts
    call("s3", "create_bucket", Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION},
         ObjectOwnership="BucketOwnerEnforced")
    call("s3", "put_public_access_block", Bucket=BUCKET, PublicAccessBlockConfiguration={
        "BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True, "RestrictPublicBuckets": True})
    call("s3", "put_bucket_versioning", Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
    call("s3", "put_bucket_tagging", Bucket=BUCKET, Tagging={"TagSet": tag_list()})


def aws_ecs_cluster_cluster():
    # resource: aws_ecs_cluster.cluster
    call("ecs", "create_cluster", clusterName=CLUSTER, settings=[{"name": "containerInsights", "value": "enabled"}],
         tags=tag_list("key", "value"))


def aws_cloudwatch_log_group_app():
    # resource: aws_cloudwatch_log_group.app
    call("logs", "create_log_group", logGroupName=f"/ecs/{PROJECT}", tags=TAGS)
    call("logs", "put_retention_policy", logGroupName=f"/ecs/{PROJECT}", retentionInDays=30)


def aws_default_vpc_default():
    # resource: aws_default_vpc.default (a look-up; with the subnets below, the one read this script makes:
    # an awsvpc service cannot be created without the default subnets' ids)
    pass


def aws_default_subnets_default():
    # resource: aws_default_subnets.default
    subnets = call("ec2", "describe_subnets", Filters=[{"Name": "default-for-az", "Values": ["true"]}])["Subnets"]
    created["subnets"] = sorted(s["SubnetId"] for s in subnets)
    created["vpc_id"] = subnets[0]["VpcId"]


def aws_security_group_service():
    # resource: aws_security_group.service
    group = call("ec2", "create_security_group", GroupName=f"{PROJECT}-service", Description="Invoices service: HTTP in, anything out",
                 VpcId=created["vpc_id"], TagSpecifications=[{"ResourceType": "security-group", "Tags": tag_list()}])
    created["security_group_id"] = group["GroupId"]
    call("ec2", "authorize_security_group_ingress", GroupId=group["GroupId"], IpPermissions=[{
        "IpProtocol": "tcp", "FromPort": 8080, "ToPort": 8080, "IpRanges": [{"CidrIp": "0.0.0.0/0", "Description": "HTTP"}]}])


def aws_iam_role_taskExecution():
    # resource: aws_iam_role.taskExecution
    result = call("iam", "create_role", RoleName=f"{PROJECT}-task-execution",
                  Description="Pulls images and writes logs for the invoices service",
                  AssumeRolePolicyDocument=trust("ecs-tasks.amazonaws.com"), Tags=tag_list())
    created["task_execution_role_arn"] = result["Role"]["Arn"]
    call("iam", "attach_role_policy", RoleName=f"{PROJECT}-task-execution",
         PolicyArn="arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy")


def aws_ecs_task_definition_app():
    # resource: aws_ecs_task_definition.app
    result = call("ecs", "register_task_definition", family=PROJECT, cpu="512", memory="1024", networkMode="awsvpc",
                  requiresCompatibilities=["FARGATE"], executionRoleArn=created["task_execution_role_arn"],
                  containerDefinitions=[{
                      "name": "app", "image": f"{created['repository']['repositoryUri']}:latest", "cpu": 0, "essential": True,
                      "portMappings": [{"containerPort": 8080, "hostPort": 8080, "protocol": "tcp"}],
                      "environment": [{"name": "SPRING_PROFILES_ACTIVE", "value": ENV}],
                      "logConfiguration": {"logDriver": "awslogs", "options": {
                          "awslogs-group": f"/ecs/{PROJECT}", "awslogs-region": REGION, "awslogs-stream-prefix": "app"}}}],
                  tags=tag_list("key", "value"))
    created["task_definition_arn"] = result["taskDefinition"]["taskDefinitionArn"]


def aws_ecs_service_app():
    # resource: aws_ecs_service.app
    call("ecs", "create_service", cluster=CLUSTER, serviceName=f"{PROJECT}-service", taskDefinition=created["task_definition_arn"],
         desiredCount=1, launchType="FARGATE",
         networkConfiguration={"awsvpcConfiguration": {"subnets": created["subnets"], "securityGroups": [created["security_group_id"]],
                                                       "assignPublicIp": "ENABLED"}},
         deploymentConfiguration={"deploymentCircuitBreaker": {"enable": True, "rollback": True},
                                  "maximumPercent": 200, "minimumHealthyPercent": 100},
         tags=tag_list("key", "value"))


def aws_iam_role_build():
    # resource: aws_iam_role.build
    result = call("iam", "create_role", RoleName=f"{PROJECT}-codebuild", Description="Builds, tests and pushes the invoices image",
                  AssumeRolePolicyDocument=trust("codebuild.amazonaws.com"), Tags=tag_list())
    created["build_role_arn"] = result["Role"]["Arn"]
    call("iam", "put_role_policy", RoleName=f"{PROJECT}-codebuild", PolicyName="build", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [
            {"Sid": "Logs", "Effect": "Allow", "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
             "Resource": f"arn:aws:logs:{REGION}:*:log-group:/aws/codebuild/{PROJECT}-build*"},
            {"Sid": "Login", "Effect": "Allow", "Action": "ecr:GetAuthorizationToken", "Resource": "*"},
            {"Sid": "Push", "Effect": "Allow", "Action": [
                "ecr:BatchCheckLayerAvailability", "ecr:CompleteLayerUpload", "ecr:InitiateLayerUpload", "ecr:PutImage",
                "ecr:UploadLayerPart", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"], "Resource": created["repository"]["repositoryArn"]},
            {"Sid": "Artifacts", "Effect": "Allow", "Action": ["s3:GetObject", "s3:GetObjectVersion", "s3:PutObject"],
             "Resource": f"arn:aws:s3:::{BUCKET}/*"}]}))


def aws_codebuild_project_build():
    # resource: aws_codebuild_project.build
    repository = created["repository"]
    result = call("codebuild", "create_project", name=f"{PROJECT}-build", description="Maven build and test, Docker image to ECR",
                  source={"type": "CODEPIPELINE", "buildspec": BUILDSPEC}, artifacts={"type": "CODEPIPELINE"},
                  cache={"type": "LOCAL", "modes": ["LOCAL_DOCKER_LAYER_CACHE", "LOCAL_SOURCE_CACHE"]},
                  environment={"type": "LINUX_CONTAINER", "image": "aws/codebuild/standard:7.0", "computeType": "BUILD_GENERAL1_MEDIUM",
                               "privilegedMode": True, "environmentVariables": [
                                   {"name": "AWS_DEFAULT_REGION", "value": REGION, "type": "PLAINTEXT"},
                                   {"name": "AWS_ACCOUNT_ID", "value": repository["registryId"], "type": "PLAINTEXT"},
                                   {"name": "ECR_REPOSITORY_URI", "value": repository["repositoryUri"], "type": "PLAINTEXT"},
                                   {"name": "CONTAINER_NAME", "value": "app", "type": "PLAINTEXT"}]},
                  serviceRole=created["build_role_arn"], timeoutInMinutes=60, queuedTimeoutInMinutes=480,
                  logsConfig={"cloudWatchLogs": {"status": "ENABLED", "groupName": f"/aws/codebuild/{PROJECT}-build"},
                              "s3Logs": {"status": "DISABLED"}},
                  tags=tag_list("key", "value"))
    created["project_arn"] = result["project"]["arn"]


def aws_iam_role_pipeline():
    # resource: aws_iam_role.pipeline
    result = call("iam", "create_role", RoleName=f"{PROJECT}-codepipeline", Description="Runs the invoices pipeline",
                  AssumeRolePolicyDocument=trust("codepipeline.amazonaws.com"), Tags=tag_list())
    created["pipeline_role_arn"] = result["Role"]["Arn"]
    call("iam", "put_role_policy", RoleName=f"{PROJECT}-codepipeline", PolicyName="pipeline", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [
            {"Sid": "Artifacts", "Effect": "Allow", "Action": ["s3:GetObject", "s3:GetObjectVersion", "s3:GetBucketVersioning", "s3:PutObject"],
             "Resource": [f"arn:aws:s3:::{BUCKET}", f"arn:aws:s3:::{BUCKET}/*"]},
            {"Sid": "Build", "Effect": "Allow", "Action": ["codebuild:BatchGetBuilds", "codebuild:StartBuild"], "Resource": created["project_arn"]},
            {"Sid": "Deploy", "Effect": "Allow", "Action": [
                "ecs:DescribeServices", "ecs:DescribeTaskDefinition", "ecs:DescribeTasks", "ecs:ListTasks",
                "ecs:RegisterTaskDefinition", "ecs:UpdateService"], "Resource": "*"},
            {"Sid": "PassRoles", "Effect": "Allow", "Action": "iam:PassRole", "Resource": created["task_execution_role_arn"],
             "Condition": {"StringEqualsIfExists": {"iam:PassedToService": "ecs-tasks.amazonaws.com"}}}]}))


def aws_codepipeline_app():
    # resource: aws_codepipeline.app
    def action(name, category, owner, provider, configuration, inputs=(), outputs=()):
        return {"name": name, "actionTypeId": {"category": category, "owner": owner, "provider": provider, "version": "1"},
                "runOrder": 1, "configuration": configuration,
                "inputArtifacts": [{"name": n} for n in inputs], "outputArtifacts": [{"name": n} for n in outputs]}
    call("codepipeline", "create_pipeline", tags=tag_list("key", "value"), pipeline={
        "name": f"{PROJECT}-pipeline", "roleArn": created["pipeline_role_arn"],
        "artifactStore": {"type": "S3", "location": BUCKET}, "pipelineType": "V1",
        "stages": [
            {"name": "Source", "actions": [action("GitHub", "Source", "ThirdParty", "GitHub", {
                "Owner": os.environ.get("GITHUB_OWNER", "small-business"), "Repo": "small-business-invoices", "Branch": "main",
                "OAuthToken": os.environ["GITHUB_TOKEN"], "PollForSourceChanges": "true"}, outputs=["SourceOutput"])]},
            {"name": "Build", "actions": [action("Maven", "Build", "AWS", "CodeBuild", {"ProjectName": f"{PROJECT}-build"},
                                                 inputs=["SourceOutput"], outputs=["BuildOutput"])]},
            {"name": "Deploy", "actions": [action("ECS", "Deploy", "AWS", "ECS", {
                "ClusterName": CLUSTER, "ServiceName": f"{PROJECT}-service", "FileName": "imagedefinitions.json"},
                inputs=["BuildOutput"])]}]})


BUILDSPEC = """version: 0.2
phases:
  pre_build:
    commands:
      - aws ecr get-login-password --region $AWS_DEFAULT_REGION | docker login --username AWS --password-stdin $AWS_ACCOUNT_ID.dkr.ecr.$AWS_DEFAULT_REGION.amazonaws.com
      - IMAGE_TAG=$(echo $CODEBUILD_RESOLVED_SOURCE_VERSION | cut -c 1-7)
  build:
    commands:
      - mvn -B verify
      - docker build -t $ECR_REPOSITORY_URI:latest -t $ECR_REPOSITORY_URI:$IMAGE_TAG .
  post_build:
    commands:
      - docker push $ECR_REPOSITORY_URI:latest
      - docker push $ECR_REPOSITORY_URI:$IMAGE_TAG
      - printf '[{"name":"%s","imageUri":"%s"}]' $CONTAINER_NAME $ECR_REPOSITORY_URI:$IMAGE_TAG > imagedefinitions.json
artifacts:
  files:
    - imagedefinitions.json
cache:
  paths:
    - '/root/.m2/**/*'"""


# Dependency order (see `cairn graph small-business-invoices`).
CREATES = [aws_ecr_repository_app, aws_s3_bucket_artifacts, aws_ecs_cluster_cluster, aws_cloudwatch_log_group_app,
           aws_default_vpc_default, aws_default_subnets_default, aws_security_group_service, aws_iam_role_taskExecution,
           aws_ecs_task_definition_app, aws_ecs_service_app, aws_iam_role_build, aws_codebuild_project_build,
           aws_iam_role_pipeline, aws_codepipeline_app]

for create in CREATES:
    create()
print(f"boto3-create: {calls} calls in {time.monotonic() - started:.2f} s")
