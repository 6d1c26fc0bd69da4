import Cairn
import Foundation

/// Who hears of failed pipelines, deployments and slow builds (the seed's `devops@yourdomain.com`).
let healthAlertEmail = Variable<String>(
    "alert_email", description: "who hears of failures and slow builds", environment: "ALERT_EMAIL", validation: emailRule)
/// A phone for SMS alerts in E.164 form (`+15555550123`); none when unset.
let healthAlertPhone = Variable<String?>("alert_phone", description: "an E.164 phone number for SMS alerts", environment: "ALERT_PHONE")
/// The backend's sender address for SES mail.
let healthSenderEmail = Variable<String>(
    "ses_sender_email", default: "noreply@yourdomain.com", description: "the backend's SES sender", environment: "SES_SENDER_EMAIL",
    validation: emailRule)
/// Where the frontend finds the API (`REACT_APP_API_URL`).
let healthAPIURL = Variable<String>(
    "api_url", default: "https://api.yourdomain.com", description: "the API's URL, built into the frontend", environment: "REACT_APP_API_URL")
/// The frontend's version (`REACT_APP_VERSION`).
let healthVersion = Variable<String>("app_version", default: "1.0.0", description: "the version built into the frontend")

/// Seed 004 (`004_b42bcc893d5ba5ca.txt`): the Cloud Health Dashboard's delivery in us-east-1. A push to
/// `main` of the CodeCommit repository starts (through EventBridge) a pipeline that builds the FastAPI
/// backend's image and the React frontend side by side, deploys the backend to an ECS Fargate service
/// and the frontend to a private bucket served by CloudFront through an origin access control. Failed
/// executions and deployments, and slow builds, reach the team by e-mail (and SMS). The backend's
/// configuration is in Parameter Store, its two secrets as SecureStrings, and its AWS rights come from a
/// task role, not stored keys. The seed's errors and this stack's corrections:
/// `stacks/cloud-health-dashboard.md`.
///
/// Secrets come from the environment: `JWT_SECRET_KEY` and `ENCRYPTION_KEY`. The artifact bucket is
/// named after the account, looked up at plan time.
public let cloudHealthDashboard = StackDefinition(
    name: "cloud-health-dashboard",
    summary: "Seed 004: CodeCommit → builds → ECS backend and CloudFront frontend, with alerts and Parameter Store config",
    region: "us-east-1",
    tags: { env in ["project": "cloud-health-dashboard", "environment": env.name, "managed-by": "cairn"] },
    variables: [healthAlertEmail, healthAlertPhone, healthSenderEmail, healthAPIURL, healthVersion]
) { env, vars in
    let region = "us-east-1"
    let project = env.suffixed("cloud-health-dashboard")
    let account = CallerIdentity("current")
    let accountId = account.accountId

    // MARK: Source, images, artifacts

    let repository = CodeCommitRepository(
        "repository", name: Input(project), description: "Cloud Health Dashboard Application")
    // The name the seed's role policies expect (codepipeline-artifacts-*), with the account id looked up at plan time.
    let artifactsSuffix = env.isDefault ? "" : "-\(env.name)"
    let artifacts = S3Bucket.pipelineArtifacts("artifacts", name: "codepipeline-artifacts-\(region)-\(accountId)\(artifactsSuffix)")
    let backendImages = ECRRepository(
        "backend", name: Input("\(project)-backend"), scanOnPush: true,
        lifecyclePolicy: [.init(priority: 1, description: "Keep the last 30 images", tagStatus: .any, countType: .imageCountMoreThan(30))],
        forceDestroy: true)

    // MARK: Backend configuration

    let parameterPath = "/\(env.suffixed("cloud-health"))/backend/production"
    let frontendBucketName = "\(project)-frontend"

    // MARK: Frontend: a private bucket behind CloudFront

    // The bucket policy is its own resource (it names the distribution, which names the bucket).
    let frontend = S3Bucket(
        "frontend", name: Input(frontendBucketName), versioning: .enabled, publicAccessBlock: .blockAll,
        corsRules: [.init(allowedMethods: [.get, .head], allowedOrigins: ["*"], allowedHeaders: ["*"], maxAgeSeconds: 3000)],
        forceDestroy: true, options: ResourceOptions(ignoreDrift: ["policy"]))
    let originAccess = CloudFrontOriginAccessControl(
        "frontend", name: Input(frontendBucketName), description: "CloudFront reads the dashboard's private bucket")
    let distribution = CloudFrontDistribution(
        "frontend",
        origins: [.s3(id: "frontend", domainName: frontend.regionalDomainName.input, originAccessControl: originAccess.id.input)],
        defaultCacheBehavior: .init(
            targetOriginId: "frontend", viewerProtocolPolicy: .redirectToHTTPS, allowedMethods: .getHeadOptions, cachedMethods: .getHead),
        comment: "\(project) frontend", defaultRootObject: "index.html",
        // The single-page app routes itself: unknown paths get index.html.
        customErrorResponses: [
            .init(errorCode: 403, responseCode: 200, responsePagePath: "/index.html"),
            .init(errorCode: 404, responseCode: 200, responsePagePath: "/index.html"),
        ])
    let frontendPolicy = S3BucketPolicy(
        "frontend", bucket: frontend,
        policy: PolicyDocument([
            PolicyStatement(
                sid: "CloudFrontReads", principals: [.service("cloudfront.amazonaws.com")], actions: ["s3:GetObject"],
                resources: ["\(frontend.arn)/*"], conditions: [PolicyCondition("StringEquals", "AWS:SourceArn", [distribution.arn.input])]),
            .denyInsecureTransport(bucket: Input(frontendBucketName)),
        ]))
    let frontendURL = "https://\(distribution.domainName)" as Input<String>

    func parameter(_ key: String, _ value: Input<String>, secure: Bool = false) -> (key: String, parameter: SSMParameter) {
        let parameter = SSMParameter(
            "backend\(key.split(separator: "_").map { $0.capitalized }.joined())", name: Input("\(parameterPath)/\(key)"),
            type: secure ? .secureString : .string, value: value, description: "\(key) of the backend in production")
        return (key, parameter)
    }
    let configuration = [
        parameter("ENVIRONMENT", "production"), parameter("DEBUG", "false"), parameter("LOG_LEVEL", "INFO"),
        parameter("SES_SENDER_EMAIL", Input(vars[healthSenderEmail])), parameter("FRONTEND_URL", frontendURL),
        parameter("CORS_ORIGINS", frontendURL), parameter("DYNAMODB_TABLE_PREFIX", "prod"), parameter("YOUR_AWS_REGION", Input(region)),
        parameter("JWT_SECRET_KEY", Secret.environment("JWT_SECRET_KEY"), secure: true),
        parameter("ENCRYPTION_KEY", Secret.environment("ENCRYPTION_KEY"), secure: true),
    ]

    // MARK: Builds

    let backendBuildName = env.suffixed("backend-build")
    let frontendBuildName = env.suffixed("frontend-build")
    let buildLogs = [backendBuildName, frontendBuildName].map { name in
        LogGroup(name.hasPrefix("backend") ? "backendBuild" : "frontendBuild", name: Input("/aws/codebuild/\(name)"), retentionInDays: 30)
    }
    let buildRole = IAMRole(
        "build", name: Input("\(project)-codebuild"), description: "Builds the dashboard's backend image and frontend",
        assumeRolePolicy: .trust(.service("codebuild.amazonaws.com")),
        inlinePolicies: [
            "build": PolicyDocument([
                PolicyStatement(
                    sid: "Logs", actions: ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
                    resources: [backendBuildName, frontendBuildName].map { "arn:aws:logs:\(region):\(accountId):log-group:/aws/codebuild/\($0)*" }),
                PolicyStatement(
                    sid: "Artifacts", actions: ["s3:GetObject", "s3:GetObjectVersion", "s3:PutObject"], resources: ["\(artifacts.arn)/*"]),
                .ecrLogin,
                .ecrPush([backendImages.arn.input]),
            ])
        ])
    let backendBuild = CodeBuildProject(
        "backend", name: Input(backendBuildName), description: "FastAPI backend: lint, tests, image to ECR, imagedefinitions.json",
        serviceRole: buildRole.arn.input, source: .codePipeline(buildspec: .inline(healthBackendBuildspec)), artifacts: .codePipeline,
        environment: .init(
            image: "aws/codebuild/standard:7.0", computeType: .small, privilegedMode: true,
            environmentVariables: [
                .init("AWS_ACCOUNT_ID", accountId.input), .init("ECR_REPOSITORY_URI", backendImages.uri.input),
                .init("CONTAINER_NAME", "backend"),
            ]),
        cache: .local(modes: [.custom, .dockerLayer]), logsConfig: .init(cloudWatchLogs: .enabled(groupName: buildLogs[0].logGroupName.input)),
        timeoutInMinutes: 60)
    let frontendBuild = CodeBuildProject(
        "frontend", name: Input(frontendBuildName), description: "React frontend: tests and production build",
        serviceRole: buildRole.arn.input, source: .codePipeline(buildspec: .inline(healthFrontendBuildspec)), artifacts: .codePipeline,
        environment: .init(
            image: "aws/codebuild/standard:7.0", computeType: .small,
            environmentVariables: [
                .init("REACT_APP_API_URL", Input(vars[healthAPIURL])), .init("REACT_APP_ENVIRONMENT", "production"),
                .init("REACT_APP_VERSION", Input(vars[healthVersion])),
            ]),
        cache: .local(modes: [.custom]), logsConfig: .init(cloudWatchLogs: .enabled(groupName: buildLogs[1].logGroupName.input)),
        timeoutInMinutes: 60)

    // MARK: The backend service

    let clusterName = env.suffixed("cloud-health-cluster")
    let serviceName = env.suffixed("backend-service")
    let cluster = ECSCluster("cluster", name: Input(clusterName), containerInsights: .enabled)
    let taskExecutionRole = IAMRole(
        "taskExecution", name: Input("\(project)-task-execution"), description: "Pulls the backend's image, reads its configuration, writes logs",
        assumeRolePolicy: .trust(.service("ecs-tasks.amazonaws.com")),
        inlinePolicies: [
            "configuration": PolicyDocument([
                PolicyStatement(
                    sid: "Parameters", actions: ["ssm:GetParameters"],
                    resources: ["arn:aws:ssm:\(region):\(accountId):parameter\(parameterPath)/*"]),
                PolicyStatement(
                    sid: "DecryptParameters", actions: ["kms:Decrypt"], resources: ["*"],
                    conditions: [PolicyCondition("StringEquals", "kms:ViaService", ["ssm.\(region).amazonaws.com"])]),
            ])
        ],
        managedPolicyArns: ["arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"])
    // What the dashboard does with AWS, instead of the seed's stored access keys.
    let taskRole = IAMRole(
        "task", name: Input("\(project)-task"), description: "The dashboard backend's own AWS rights",
        assumeRolePolicy: .trust(.service("ecs-tasks.amazonaws.com")),
        inlinePolicies: [
            "app": PolicyDocument([
                PolicyStatement(
                    sid: "Tables",
                    actions: [
                        "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:Query",
                        "dynamodb:Scan", "dynamodb:BatchGetItem", "dynamodb:BatchWriteItem", "dynamodb:DescribeTable",
                    ],
                    resources: ["arn:aws:dynamodb:\(region):\(accountId):table/prod*"]),
                PolicyStatement(
                    sid: "Mail", actions: ["ses:SendEmail", "ses:SendRawEmail"], resources: ["*"],
                    conditions: [PolicyCondition("StringEquals", "ses:FromAddress", [Input(vars[healthSenderEmail])])]),
                PolicyStatement(
                    sid: "Monitoring",
                    actions: [
                        "cloudwatch:GetMetricData", "cloudwatch:ListMetrics", "cloudwatch:DescribeAlarms", "health:DescribeEvents",
                        "health:DescribeEventDetails", "ce:GetCostAndUsage", "ec2:DescribeInstances", "ecs:ListServices",
                        "ecs:DescribeServices", "rds:DescribeDBInstances", "lambda:ListFunctions",
                    ],
                    resources: ["*"]),
            ])
        ])
    let appLogs = LogGroup("app", name: Input("/ecs/\(project)-backend"), retentionInDays: 30)
    let vpc = DefaultVPC("default")
    let subnets = DefaultSubnets("default", vpcId: .output(vpc.id))
    let serviceSecurityGroup = SecurityGroup(
        "backend", name: Input("\(project)-backend"), description: "Dashboard backend: HTTP 8000 in, anything out",
        vpcId: .output(vpc.id), ingress: [.tcp(8000...8000, cidrBlocks: ["0.0.0.0/0"], description: "FastAPI")])
    let taskDefinition = ECSTaskDefinition(
        "backend", family: Input("\(project)-backend"), cpu: 256, memory: 512, networkMode: .awsvpc, requiresCompatibilities: [.fargate],
        executionRoleArn: taskExecutionRole.arn.input, taskRoleArn: taskRole.arn.input,
        containers: [
            .init(
                name: "backend", image: "\(backendImages.uri):latest", portMappings: [.init(containerPort: 8000)],
                secrets: Dictionary(uniqueKeysWithValues: configuration.map { ($0.key, $0.parameter.arn.input) }),
                logConfiguration: .awslogs(group: appLogs.logGroupName.input, region: region, streamPrefix: "backend"))
        ])
    let service = ECSService(
        "backend", name: Input(serviceName), cluster: cluster.clusterName.input, taskDefinition: taskDefinition.arn.input,
        desiredCount: 1, compute: .launchType(.fargate),
        networkConfiguration: .init(subnets: .all(subnets.ids), securityGroups: [.output(serviceSecurityGroup.id)], assignPublicIp: .enabled),
        deploymentConfiguration: .init(circuitBreaker: .init(enable: true, rollback: true)))

    // MARK: The pipeline

    let pipelineName = "\(project)-pipeline"
    let pipelineRole = IAMRole(
        "pipeline", name: Input("\(project)-codepipeline"), description: "Runs the dashboard's pipeline",
        assumeRolePolicy: .trust(.service("codepipeline.amazonaws.com")),
        inlinePolicies: [
            "pipeline": PolicyDocument([
                PolicyStatement(
                    sid: "Source",
                    actions: [
                        "codecommit:GetBranch", "codecommit:GetCommit", "codecommit:GetRepository", "codecommit:UploadArchive",
                        "codecommit:GetUploadArchiveStatus", "codecommit:CancelUploadArchive",
                    ],
                    resources: [repository.arn.input]),
                .pipelineArtifacts(artifacts),
                .startBuilds([backendBuild.arn.input, frontendBuild.arn.input]),
                PolicyStatement(
                    sid: "DeployBackend",
                    actions: [
                        "ecs:DescribeServices", "ecs:DescribeTaskDefinition", "ecs:DescribeTasks", "ecs:ListTasks",
                        "ecs:RegisterTaskDefinition", "ecs:TagResource", "ecs:UpdateService",
                    ],
                    resources: ["*"]),
                PolicyStatement(
                    sid: "PassTaskRoles", actions: ["iam:PassRole"], resources: [taskExecutionRole.arn.input, taskRole.arn.input],
                    conditions: [PolicyCondition("StringEqualsIfExists", "iam:PassedToService", ["ecs-tasks.amazonaws.com"])]),
                PolicyStatement(
                    sid: "DeployFrontend", actions: ["s3:PutObject", "s3:PutObjectAcl", "s3:GetBucketLocation", "s3:ListBucket"],
                    resources: [frontend.arn.input, "\(frontend.arn)/*"]),
            ])
        ])
    let pipeline = CodePipeline(
        "pipeline", name: Input(pipelineName), roleArn: pipelineRole.arn.input, artifactStore: .init(bucket: artifacts.bucketName.input),
        stages: [
            .init(
                "Source",
                [
                    .init(
                        "CodeCommit",
                        .codeCommitSource(repositoryName: repository.repositoryName.input, branchName: "main", pollForSourceChanges: false),
                        outputArtifacts: ["SourceOutput"])
                ]),
            // Both builds at once, as the seed describes them (it runs them in two stages).
            .init(
                "Build",
                [
                    .init(
                        "Backend", .codeBuild(projectName: backendBuild.projectName.input), inputArtifacts: ["SourceOutput"],
                        outputArtifacts: ["BackendOutput"]),
                    .init(
                        "Frontend", .codeBuild(projectName: frontendBuild.projectName.input), inputArtifacts: ["SourceOutput"],
                        outputArtifacts: ["FrontendOutput"]),
                ]),
            .init(
                "Deploy",
                [
                    .init(
                        "Backend", .ecsDeploy(clusterName: cluster.clusterName.input, serviceName: service.serviceName.input),
                        inputArtifacts: ["BackendOutput"]),
                    // index.html must not be cached for a day at the edge: the app's other files carry hashed names.
                    .init(
                        "Frontend", .s3Deploy(bucketName: frontend.bucketName.input, extract: true, cacheControl: "no-cache"),
                        inputArtifacts: ["FrontendOutput"]),
                ]),
        ])

    // A push to main starts the pipeline (a repository trigger cannot target a pipeline).
    let eventsRole = IAMRole(
        "events", name: Input("\(project)-events"), description: "Lets EventBridge start the dashboard's pipeline",
        assumeRolePolicy: .trust(.service("events.amazonaws.com")),
        inlinePolicies: [
            "start": PolicyDocument([
                PolicyStatement(sid: "StartPipeline", actions: ["codepipeline:StartPipelineExecution"], resources: [pipeline.arn.input])
            ])
        ])
    let sourceChanged = EventBridgeRule(
        "sourceChanged", name: Input("\(project)-main-changed"),
        trigger: .pattern([
            "source": ["aws.codecommit"],
            "detail-type": ["CodeCommit Repository State Change"],
            "detail": [
                "event": ["referenceCreated", "referenceUpdated"], "referenceType": ["branch"], "referenceName": ["main"],
                "repositoryName": .array([.string(project)]),
            ],
        ]),
        description: "A push to main of \(project) starts its pipeline",
        targets: [.init(id: "pipeline", arn: pipeline.arn.input, roleArn: eventsRole.arn.input)])

    // MARK: Alerts

    let notifications = SNSTopic(
        "notifications", name: Input(env.suffixed("cloud-health-pipeline-notifications")), displayName: "Cloud Health Dashboard",
        policy: .alertsCanPublish(account: accountId.input))
    var alerts: [any ResourceDeclaration] = [
        notifications,
        SNSSubscription("email", topicArn: notifications.arn.input, protocol: .email, endpoint: Input(vars[healthAlertEmail])),
    ]
    if let phone = vars[healthAlertPhone] {
        alerts.append(SNSSubscription("sms", topicArn: notifications.arn.input, protocol: .sms, endpoint: Input(phone)))
    }
    // BuildDuration is the BUILD phase only, in seconds: over 10 minutes is slow.
    for (logical, build, name) in [
        ("backendBuildDuration", backendBuild, backendBuildName), ("frontendBuildDuration", frontendBuild, frontendBuildName),
    ] {
        alerts.append(
            CloudWatchMetricAlarm(
                logical, name: Input("\(name)-duration"), description: "The BUILD phase of \(name) took over 10 minutes",
                namespace: "AWS/CodeBuild", metricName: "BuildDuration", dimensions: ["ProjectName": build.projectName.input],
                statistic: .maximum, period: 300, evaluationPeriods: 1, threshold: 600, comparisonOperator: .greaterThanThreshold,
                treatMissingData: .notBreaching, unit: .seconds, alarmActions: [notifications.arn.input]))
    }
    alerts.append(
        EventBridgeRule.pipelineFailed(
            "pipelineFailed", name: Input("\(project)-pipeline-failed"), pipelineName: pipelineName, topics: [notifications.arn.input]))
    alerts.append(
        EventBridgeRule(
            "deploymentFailed", name: Input("\(project)-deployment-failed"),
            trigger: .pattern([
                "source": ["aws.ecs"],
                "detail-type": ["ECS Deployment State Change"],
                "detail": ["eventName": ["SERVICE_DEPLOYMENT_FAILED"]],
                "resources": [["suffix": .string(":service/\(clusterName)/\(serviceName)")]],
            ]),
            description: "A failed deployment of \(serviceName) (the circuit breaker rolls it back)",
            targets: [.init(id: "notifications", arn: notifications.arn.input)]))

    var resources: [any ResourceDeclaration] = [account, repository, artifacts, backendImages, frontend, originAccess, distribution]
    resources += [frontendPolicy] + configuration.map(\.parameter) as [any ResourceDeclaration]
    resources += [buildRole, backendBuild, frontendBuild] + buildLogs as [any ResourceDeclaration]
    resources += [cluster, taskExecutionRole, taskRole, appLogs, vpc, subnets, serviceSecurityGroup, taskDefinition, service]
    resources += [pipelineRole, pipeline, eventsRole, sourceChanged]
    resources += alerts
    return (
        resources: resources,
        outputs: [
            "CODECOMMIT_CLONE_URL_HTTP": .reference(repository.cloneUrlHttp.reference),
            "ECR_REPOSITORY_URI": .reference(backendImages.uri.reference),
            "ECS_CLUSTER_NAME": .reference(cluster.clusterName.reference),
            "ECS_SERVICE_NAME": .reference(service.serviceName.reference),
            "FRONTEND_BUCKET": .reference(frontend.bucketName.reference),
            "CLOUDFRONT_DOMAIN_NAME": .reference(distribution.domainName.reference),
            "CLOUDFRONT_DISTRIBUTION_ID": .reference(distribution.id.reference),
            "NOTIFICATION_TOPIC_ARN": .reference(notifications.arn.reference),
            "PIPELINE_NAME": .reference(pipeline.pipelineName.reference),
            "REACT_APP_API_URL": .json(.string(vars[healthAPIURL])),
            "REACT_APP_ENVIRONMENT": .json("production"),
            "REACT_APP_VERSION": .json(.string(vars[healthVersion])),
        ]
    )
}

/// The backend's build, corrected: from `backend/`, lint and test, then the image pushed to ECR and
/// `imagedefinitions.json` at the source root for the ECS deploy (buildspec 0.2 keeps one shell, so the
/// `cd` holds for every phase).
let healthBackendBuildspec = """
    version: 0.2
    phases:
      install:
        runtime-versions:
          python: 3.11
        commands:
          - cd backend
          - pip install --upgrade pip
          - pip install -r requirements.txt flake8 pytest pytest-asyncio
      pre_build:
        commands:
          - flake8 app/ --max-line-length=120 --exclude=__pycache__
          - if [ -d tests ]; then pytest tests/ -v; fi
          - aws ecr get-login-password --region $AWS_DEFAULT_REGION | docker login --username AWS --password-stdin $AWS_ACCOUNT_ID.dkr.ecr.$AWS_DEFAULT_REGION.amazonaws.com
          - IMAGE_TAG=$(echo $CODEBUILD_RESOLVED_SOURCE_VERSION | cut -c 1-7)
      build:
        commands:
          - docker build -t $ECR_REPOSITORY_URI:latest -t $ECR_REPOSITORY_URI:$IMAGE_TAG .
      post_build:
        commands:
          - docker push $ECR_REPOSITORY_URI:latest
          - docker push $ECR_REPOSITORY_URI:$IMAGE_TAG
          - printf '[{"name":"%s","imageUri":"%s"}]' $CONTAINER_NAME $ECR_REPOSITORY_URI:$IMAGE_TAG > $CODEBUILD_SRC_DIR/imagedefinitions.json
    artifacts:
      files:
        - imagedefinitions.json
    cache:
      paths:
        - '/root/.cache/pip/**/*'
    """

/// The frontend's build, corrected: from `frontend/`, tests once, then the production build, whose
/// `frontend/build` directory is the artifact the S3 deploy extracts.
let healthFrontendBuildspec = """
    version: 0.2
    phases:
      install:
        runtime-versions:
          nodejs: 18
        commands:
          - cd frontend
          - npm ci
      build:
        commands:
          - CI=true npm test --if-present
          - npm run build
    artifacts:
      files:
        - '**/*'
      base-directory: frontend/build
    cache:
      paths:
        - 'frontend/node_modules/**/*'
    """
