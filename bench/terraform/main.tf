# Seed 000's prerequisites (the small-business-invoices stack, stacks/SmallBusinessInvoices.swift) as Terraform:
# the same resources with the same settings, so that a team moving from Terraform can import this state into Cairn
# (`cairn import small-business-invoices --from-terraform terraform.tfstate`) and get a plan with no changes.
# bench/run times it against Cairn; Tests/CairnCLITests/TerraformMigrationTests.swift imports it.
#
# Run it through bench/terraform/terraform (the provider from the local filesystem mirror, never the network):
#   bench/terraform/terraform -chdir=bench/terraform init
#   bench/terraform/terraform -chdir=bench/terraform apply -var endpoint=http://127.0.0.1:5000 -var environment=dev

terraform {
  required_version = ">= 1.5"
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.0"
    }
  }
}

variable "endpoint" {
  description = "The AWS endpoint every service is reached at (moto, locally)"
  type        = string
}

variable "environment" {
  description = "Cairn's --env: outside `default` every name takes it as a suffix, as Cairn's env.suffixed does"
  type        = string
  default     = "default"
}

variable "github_token" {
  description = "The pipeline's GitHub OAuth token (GITHUB_TOKEN for Cairn)"
  type        = string
  sensitive   = true
}

variable "github_owner" {
  description = "The GitHub owner of the source repository (GITHUB_OWNER for Cairn)"
  type        = string
  default     = "small-business"
}

locals {
  region  = "eu-north-1"
  suffix  = var.environment == "default" ? "" : "-${var.environment}"
  project = "small-business-invoices${local.suffix}"
  # The stack's tags and every resource's own: Cairn puts both on each resource.
  tags = { project = "small-business-invoices", environment = var.environment, "managed-by" = "cairn" }
  # Each role's trust policy: the one service that assumes it.
  trust = {
    for service in ["ecs-tasks", "codebuild", "codepipeline"] : service => jsonencode({
      Version   = "2012-10-17"
      Statement = [{ Effect = "Allow", Principal = { Service = "${service}.amazonaws.com" }, Action = "sts:AssumeRole" }]
    })
  }
}

provider "aws" {
  region                      = local.region
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
  skip_region_validation      = true
  s3_use_path_style           = true
  default_tags { tags = local.tags }
  endpoints {
    codebuild      = var.endpoint
    codepipeline   = var.endpoint
    cloudwatchlogs = var.endpoint
    ec2            = var.endpoint
    ecr            = var.endpoint
    ecs            = var.endpoint
    iam            = var.endpoint
    s3             = var.endpoint
    sts            = var.endpoint
  }
}

# ---- Images and artifacts --------------------------------------------------------------------------------------

resource "aws_ecr_repository" "app" {
  name                 = local.project
  image_tag_mutability = "MUTABLE"
  force_delete         = true
  image_scanning_configuration { scan_on_push = true }
  encryption_configuration { encryption_type = "AES256" }
}

resource "aws_ecr_lifecycle_policy" "app" {
  repository = aws_ecr_repository.app.name
  policy = jsonencode({
    rules = [{
      rulePriority = 1
      description  = "Keep the last 30 images"
      selection    = { tagStatus = "any", countType = "imageCountMoreThan", countNumber = 30 }
      action       = { type = "expire" }
    }]
  })
}

resource "aws_s3_bucket" "artifacts" {
  bucket        = "${local.project}-pipeline-artifacts"
  force_destroy = true
}

resource "aws_s3_bucket_versioning" "artifacts" {
  bucket = aws_s3_bucket.artifacts.id
  versioning_configuration { status = "Enabled" }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "artifacts" {
  bucket = aws_s3_bucket.artifacts.id
  rule {
    apply_server_side_encryption_by_default { sse_algorithm = "AES256" }
    bucket_key_enabled = false
  }
}

resource "aws_s3_bucket_public_access_block" "artifacts" {
  bucket                  = aws_s3_bucket.artifacts.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_ownership_controls" "artifacts" {
  bucket = aws_s3_bucket.artifacts.id
  rule { object_ownership = "BucketOwnerEnforced" }
}

resource "aws_s3_bucket_lifecycle_configuration" "artifacts" {
  bucket     = aws_s3_bucket.artifacts.id
  depends_on = [aws_s3_bucket_versioning.artifacts]
  rule {
    id     = "expire-artifacts"
    status = "Enabled"
    filter { prefix = "" }
    expiration { days = 30 }
    noncurrent_version_expiration { noncurrent_days = 7 }
  }
}

resource "aws_s3_bucket_policy" "artifacts" {
  bucket     = aws_s3_bucket.artifacts.id
  depends_on = [aws_s3_bucket_public_access_block.artifacts]
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "DenyInsecureTransport"
      Effect    = "Deny"
      Principal = "*"
      Action    = "s3:*"
      Resource  = [aws_s3_bucket.artifacts.arn, "${aws_s3_bucket.artifacts.arn}/*"]
      Condition = { Bool = { "aws:SecureTransport" = "false" } }
    }]
  })
}

# ---- The service -----------------------------------------------------------------------------------------------

resource "aws_ecs_cluster" "cluster" {
  name = "small-business-cluster${local.suffix}"
  setting {
    name  = "containerInsights"
    value = "enabled"
  }
}

resource "aws_cloudwatch_log_group" "app" {
  name              = "/ecs/${local.project}"
  retention_in_days = 30
}

data "aws_vpc" "default" {
  default = true
}

data "aws_subnets" "default" {
  filter {
    name   = "vpc-id"
    values = [data.aws_vpc.default.id]
  }
  filter {
    name   = "default-for-az"
    values = ["true"]
  }
}

resource "aws_security_group" "service" {
  name        = "${local.project}-service"
  description = "Invoices service: HTTP in, anything out"
  vpc_id      = data.aws_vpc.default.id
  ingress {
    description = "HTTP"
    protocol    = "tcp"
    from_port   = 8080
    to_port     = 8080
    cidr_blocks = ["0.0.0.0/0"]
  }
  egress {
    protocol    = "-1"
    from_port   = 0
    to_port     = 0
    cidr_blocks = ["0.0.0.0/0"]
  }
}

resource "aws_iam_role" "taskExecution" {
  name               = "${local.project}-task-execution"
  description        = "Pulls images and writes logs for the invoices service"
  assume_role_policy = local.trust["ecs-tasks"]
}

resource "aws_iam_role_policy_attachment" "taskExecution" {
  role       = aws_iam_role.taskExecution.name
  policy_arn = "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"
}

resource "aws_ecs_task_definition" "app" {
  family                   = local.project
  cpu                      = "512"
  memory                   = "1024"
  network_mode             = "awsvpc"
  requires_compatibilities = ["FARGATE"]
  execution_role_arn       = aws_iam_role.taskExecution.arn
  container_definitions = jsonencode([{
    name         = "app"
    image        = "${aws_ecr_repository.app.repository_url}:latest"
    cpu          = 0
    essential    = true
    portMappings = [{ containerPort = 8080, hostPort = 8080, protocol = "tcp" }]
    environment  = [{ name = "SPRING_PROFILES_ACTIVE", value = var.environment }]
    logConfiguration = {
      logDriver = "awslogs"
      options = {
        "awslogs-group"         = aws_cloudwatch_log_group.app.name
        "awslogs-region"        = local.region
        "awslogs-stream-prefix" = "app"
      }
    }
  }])
}

resource "aws_ecs_service" "app" {
  name                               = "${local.project}-service"
  cluster                            = aws_ecs_cluster.cluster.arn
  task_definition                    = aws_ecs_task_definition.app.arn
  desired_count                      = 1
  launch_type                        = "FARGATE"
  deployment_maximum_percent         = 200
  deployment_minimum_healthy_percent = 100
  deployment_circuit_breaker {
    enable   = true
    rollback = true
  }
  network_configuration {
    subnets          = data.aws_subnets.default.ids
    security_groups  = [aws_security_group.service.id]
    assign_public_ip = true
  }
}

# ---- The pipeline ----------------------------------------------------------------------------------------------

resource "aws_iam_role" "build" {
  name               = "${local.project}-codebuild"
  description        = "Builds, tests and pushes the invoices image"
  assume_role_policy = local.trust["codebuild"]
}

resource "aws_iam_role_policy" "build" {
  name = "build"
  role = aws_iam_role.build.name
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid      = "Logs"
        Effect   = "Allow"
        Action   = ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"]
        Resource = "arn:aws:logs:${local.region}:*:log-group:/aws/codebuild/${local.project}-build*"
      },
      { Sid = "Login", Effect = "Allow", Action = "ecr:GetAuthorizationToken", Resource = "*" },
      {
        Sid    = "Push"
        Effect = "Allow"
        Action = [
          "ecr:BatchCheckLayerAvailability", "ecr:CompleteLayerUpload", "ecr:InitiateLayerUpload", "ecr:PutImage",
          "ecr:UploadLayerPart", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer",
        ]
        Resource = aws_ecr_repository.app.arn
      },
      {
        Sid      = "Artifacts"
        Effect   = "Allow"
        Action   = ["s3:GetObject", "s3:GetObjectVersion", "s3:PutObject"]
        Resource = "${aws_s3_bucket.artifacts.arn}/*"
      },
    ]
  })
}

resource "aws_codebuild_project" "build" {
  name           = "${local.project}-build"
  description    = "Maven build and test, Docker image to ECR"
  service_role   = aws_iam_role.build.arn
  build_timeout  = 60
  queued_timeout = 480
  source {
    type      = "CODEPIPELINE"
    buildspec = trimspace(file("${path.module}/buildspec.yml")) # the text of mavenBuildspec
  }
  artifacts { type = "CODEPIPELINE" }
  environment {
    image           = "aws/codebuild/standard:7.0"
    type            = "LINUX_CONTAINER"
    compute_type    = "BUILD_GENERAL1_MEDIUM"
    privileged_mode = true
    environment_variable {
      name  = "AWS_DEFAULT_REGION"
      value = local.region
    }
    environment_variable {
      name  = "AWS_ACCOUNT_ID"
      value = aws_ecr_repository.app.registry_id
    }
    environment_variable {
      name  = "ECR_REPOSITORY_URI"
      value = aws_ecr_repository.app.repository_url
    }
    environment_variable {
      name  = "CONTAINER_NAME"
      value = "app"
    }
  }
  cache {
    type  = "LOCAL"
    modes = ["LOCAL_DOCKER_LAYER_CACHE", "LOCAL_SOURCE_CACHE"]
  }
  logs_config {
    cloudwatch_logs {
      status     = "ENABLED"
      group_name = "/aws/codebuild/${local.project}-build"
    }
    s3_logs { status = "DISABLED" }
  }
}

resource "aws_iam_role" "pipeline" {
  name               = "${local.project}-codepipeline"
  description        = "Runs the invoices pipeline"
  assume_role_policy = local.trust["codepipeline"]
}

resource "aws_iam_role_policy" "pipeline" {
  name = "pipeline"
  role = aws_iam_role.pipeline.name
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid      = "Artifacts"
        Effect   = "Allow"
        Action   = ["s3:GetObject", "s3:GetObjectVersion", "s3:GetBucketVersioning", "s3:PutObject"]
        Resource = [aws_s3_bucket.artifacts.arn, "${aws_s3_bucket.artifacts.arn}/*"]
      },
      { Sid = "Build", Effect = "Allow", Action = ["codebuild:BatchGetBuilds", "codebuild:StartBuild"], Resource = aws_codebuild_project.build.arn },
      {
        Sid    = "Deploy"
        Effect = "Allow"
        Action = [
          "ecs:DescribeServices", "ecs:DescribeTaskDefinition", "ecs:DescribeTasks", "ecs:ListTasks",
          "ecs:RegisterTaskDefinition", "ecs:UpdateService",
        ]
        Resource = "*"
      },
      {
        Sid       = "PassRoles"
        Effect    = "Allow"
        Action    = "iam:PassRole"
        Resource  = aws_iam_role.taskExecution.arn
        Condition = { StringEqualsIfExists = { "iam:PassedToService" = "ecs-tasks.amazonaws.com" } }
      },
    ]
  })
}

resource "aws_codepipeline" "app" {
  name     = "${local.project}-pipeline"
  role_arn = aws_iam_role.pipeline.arn
  artifact_store {
    type     = "S3"
    location = aws_s3_bucket.artifacts.bucket
  }
  stage {
    name = "Source"
    action {
      name             = "GitHub"
      category         = "Source"
      owner            = "ThirdParty"
      provider         = "GitHub"
      version          = "1"
      output_artifacts = ["SourceOutput"]
      configuration = {
        Owner                = var.github_owner
        Repo                 = "small-business-invoices"
        Branch               = "main"
        OAuthToken           = var.github_token
        PollForSourceChanges = "true"
      }
    }
  }
  stage {
    name = "Build"
    action {
      name             = "Maven"
      category         = "Build"
      owner            = "AWS"
      provider         = "CodeBuild"
      version          = "1"
      input_artifacts  = ["SourceOutput"]
      output_artifacts = ["BuildOutput"]
      configuration    = { ProjectName = aws_codebuild_project.build.name }
    }
  }
  stage {
    name = "Deploy"
    action {
      name            = "ECS"
      category        = "Deploy"
      owner           = "AWS"
      provider        = "ECS"
      version         = "1"
      input_artifacts = ["BuildOutput"]
      configuration = {
        ClusterName = aws_ecs_cluster.cluster.name
        ServiceName = aws_ecs_service.app.name
        FileName    = "imagedefinitions.json"
      }
    }
  }
  depends_on = [aws_iam_role_policy.pipeline]
}
