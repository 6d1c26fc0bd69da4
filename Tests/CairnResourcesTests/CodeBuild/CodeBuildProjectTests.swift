import CairnAWS
import CairnEngine
import CairnJSON
import Foundation
import TestSupport
import Testing

@testable import CairnResources

/// Helpers for the CI/CD resources' tests.
enum PipeTesting {
    /// A client for a stub server, with fixed credentials and no profile files.
    static func stubClient(_ stub: StubServer) throws -> AWSClient {
        let home = try makeTemporaryDirectory()
        let environment = [
            "AWS_ENDPOINT_URL": stub.endpoint.absoluteString, "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE",
            "AWS_SECRET_ACCESS_KEY": "secret", "AWS_REGION": "us-east-1", "HOME": home.path,
            "AWS_CONFIG_FILE": home.appendingPathComponent("config").path,
            "AWS_SHARED_CREDENTIALS_FILE": home.appendingPathComponent("credentials").path,
        ]
        return try AWSConfiguration.resolve(environment: environment).client()
    }

    /// A request body as JSON.
    static func body(_ request: RecordedRequest) throws -> JSON { try JSON(parsing: [UInt8](request.bodyData)) }
}

@Suite struct CodeBuildProjectTests {
    static let buildspec = """
        version: 0.2
        phases:
          build:
            commands:
              - docker build -t app .
        """

    static func project(_ name: String, account: String) -> CodeBuildProject {
        CodeBuildProject(
            "build", name: Input(name), description: "Builds the app image",
            serviceRole: Input("arn:aws:iam::\(account):role/cairn/build"),
            source: .gitHub(location: "https://github.com/acme/app.git", buildspec: .inline(buildspec)),
            artifacts: .s3(location: "acme-artifacts", path: "builds", name: "app.zip", namespaceType: .buildID, packaging: .zip),
            environment: .init(
                type: .linuxContainer, image: "aws/codebuild/standard:7.0", computeType: .medium, privilegedMode: true,
                environmentVariables: [
                    .init("STAGE", "prod"),
                    .init("DB_PASSWORD", "/app/db-password", type: .parameterStore),
                    .init("API_KEY", "app/api:key", type: .secretsManager),
                ]),
            cache: .local(modes: [.source, .dockerLayer]),
            logsConfig: .init(
                cloudWatchLogs: .enabled(groupName: "/cairn/build", streamName: "app"),
                s3Logs: .enabled(location: "acme-logs/build", encryptionDisabled: true)),
            timeoutInMinutes: 30, queuedTimeoutInMinutes: 120,
            tags: ["team": "invoices", "env": "test"])
    }

    @Test(.integration) func createReadUpdateDeleteAgainstMoto() async throws {
        let (client, moto) = try await ProviderTesting.client()
        let provider = CodeBuildProjectProvider(client: client)
        #expect(provider.replaceOnChange == ["name"])
        let name = ProviderTesting.uniqueName("build")
        let project = Self.project(name, account: moto.account)
        #expect(project.validate().isEmpty)
        let declared = ProviderTesting.attributes(of: project)
        #expect(provider.physicalID(for: declared) == name)

        let created = try await provider.create(declared)
        #expect(created.id == name)
        #expect(created.outputs == ["arn": .string("arn:aws:codebuild:us-east-1:\(moto.account):project/\(name)"), "name": .string(name)])

        // What CodeBuild has, seen by the aws CLI.
        let got = try await moto.awsJSON(["codebuild", "batch-get-projects", "--names", name])["projects"][0]
        #expect(got["description"].string == "Builds the app image")
        #expect(got["serviceRole"].string == "arn:aws:iam::\(moto.account):role/cairn/build")
        #expect(got["source"]["type"].string == "GITHUB" && got["source"]["location"].string == "https://github.com/acme/app.git")
        #expect(got["source"]["buildspec"].string == Self.buildspec)
        #expect(
            got["artifacts"] == [
                "type": "S3", "location": "acme-artifacts", "path": "builds", "name": "app.zip",
                "namespaceType": "BUILD_ID", "packaging": "ZIP", "encryptionDisabled": false,
            ])
        #expect(got["environment"]["type"].string == "LINUX_CONTAINER" && got["environment"]["image"].string == "aws/codebuild/standard:7.0")
        #expect(got["environment"]["computeType"].string == "BUILD_GENERAL1_MEDIUM" && got["environment"]["privilegedMode"].bool == true)
        #expect(
            got["environment"]["environmentVariables"] == [
                ["name": "STAGE", "value": "prod", "type": "PLAINTEXT"],
                ["name": "DB_PASSWORD", "value": "/app/db-password", "type": "PARAMETER_STORE"],
                ["name": "API_KEY", "value": "app/api:key", "type": "SECRETS_MANAGER"],
            ])
        #expect(got["cache"] == ["type": "LOCAL", "modes": ["LOCAL_DOCKER_LAYER_CACHE", "LOCAL_SOURCE_CACHE"]])
        #expect(got["logsConfig"]["cloudWatchLogs"] == ["status": "ENABLED", "groupName": "/cairn/build", "streamName": "app"])
        #expect(got["logsConfig"]["s3Logs"] == ["status": "ENABLED", "location": "acme-logs/build", "encryptionDisabled": true])
        #expect(got["timeoutInMinutes"].int == 30 && got["queuedTimeoutInMinutes"].int == 120)
        #expect(
            Dictionary(uniqueKeysWithValues: (got["tags"].array ?? []).map { ($0["key"].string ?? "", $0["value"].string ?? "") })
                == ["team": "invoices", "env": "test"])

        // No false drift, with or without prior attributes (an import).
        let read = try #require(try await provider.read(id: name, prior: declared))
        #expect(read.attributes == declared)
        #expect(read.outputs == created.outputs)
        #expect(try await provider.read(id: name, prior: [:])?.attributes == declared)

        // Update in place with UpdateProject (the test harness's moto has it; the request body itself is checked
        // against a stub in updateSendsTheWholeProjectWithUpdateProject).
        var changed = project
        changed.description = nil
        changed.environment.computeType = .large
        changed.environment.environmentVariables = [.init("STAGE", "staging")]
        changed.cache = .s3(location: "acme-cache/app")
        changed.logsConfig = .init(cloudWatchLogs: .disabled)
        changed.timeoutInMinutes = 45
        changed.tags = ["team": "billing"]
        let next = ProviderTesting.attributes(of: changed)
        let updated = try await provider.update(id: name, from: read.attributes, to: next)
        #expect(updated == created)
        let after = try await moto.awsJSON(["codebuild", "batch-get-projects", "--names", name])["projects"][0]
        #expect(after["description"].string ?? "" == "")
        #expect(after["environment"]["computeType"].string == "BUILD_GENERAL1_LARGE")
        #expect(after["environment"]["environmentVariables"] == [["name": "STAGE", "value": "staging", "type": "PLAINTEXT"]])
        #expect(after["cache"] == ["type": "S3", "location": "acme-cache/app"])
        #expect(after["logsConfig"] == ["cloudWatchLogs": ["status": "DISABLED"], "s3Logs": ["status": "DISABLED"]])
        #expect(after["timeoutInMinutes"].int == 45)
        #expect(after["tags"] == [["key": "team", "value": "billing"]])
        #expect(try await provider.read(id: name, prior: next)?.attributes == next)

        try await provider.delete(id: name, attributes: next)
        #expect(try await provider.read(id: name, prior: [:]) == nil)
        #expect(try await moto.awsJSON(["codebuild", "batch-get-projects", "--names", name])["projects"].array?.isEmpty == true)
        try await provider.delete(id: name, attributes: [:])  // deleting what is gone is not an error
    }

    @Test(.integration) func defaultsReadBackWithoutDrift() async throws {
        let (client, moto) = try await ProviderTesting.client()
        let provider = CodeBuildProjectProvider(client: client)
        let name = ProviderTesting.uniqueName("minimal")
        let project = CodeBuildProject(
            "minimal", name: Input(name), serviceRole: Input("arn:aws:iam::\(moto.account):role/build"),
            source: .codeCommit(location: "https://git-codecommit.us-east-1.amazonaws.com/v1/repos/app"),
            artifacts: .noArtifacts, environment: .init(type: .armContainer, image: "aws/codebuild/amazonlinux2-aarch64-standard:3.0"),
            cache: .s3(location: "acme-cache/app"))
        let declared = ProviderTesting.attributes(of: project)
        #expect(declared["timeoutInMinutes"] == 60 && declared["queuedTimeoutInMinutes"] == 480)
        #expect(declared["description"] == .null)
        #expect(declared["logsConfig"] == ["cloudWatchLogs": ["status": "ENABLED"], "s3Logs": ["status": "DISABLED"]])
        _ = try await provider.create(declared)
        let got = try await moto.awsJSON(["codebuild", "batch-get-projects", "--names", name])["projects"][0]
        #expect(got["timeoutInMinutes"].int == 60 && got["queuedTimeoutInMinutes"].int == 480)
        #expect(got["artifacts"] == ["type": "NO_ARTIFACTS"])
        #expect(try await provider.read(id: name, prior: declared)?.attributes == declared)
        try await provider.delete(id: name, attributes: declared)
    }

    /// What real CodeBuild answers, with the defaults it fills in (and members Cairn does not manage), reads
    /// as the declaration.
    @Test func awsFilledDefaultsAreNotDrift() throws {
        let live: JSON = [
            "name": "app",
            "source": ["type": "CODEPIPELINE", "insecureSsl": false, "gitCloneDepth": 1],
            "artifacts": ["type": "S3", "location": "bucket", "name": "app", "path": "", "encryptionDisabled": false],
            "environment": [
                "type": "LINUX_CONTAINER", "image": "aws/codebuild/standard:7.0", "computeType": "BUILD_GENERAL1_SMALL",
                "imagePullCredentialsType": "CODEBUILD",
            ],
            "cache": ["type": "NO_CACHE"],
            "logsConfig": ["cloudWatchLogs": ["status": "ENABLED"], "s3Logs": ["status": "DISABLED", "encryptionDisabled": false]],
        ]
        let project = CodeBuildProject(
            "app", name: "app", serviceRole: "arn:aws:iam::123456789012:role/build", source: .codePipeline(),
            artifacts: .s3(location: "bucket"), environment: .init(image: "aws/codebuild/standard:7.0"))
        let declared = ProviderTesting.attributes(of: project)
        #expect(CodeBuildProjectProvider.source(live["source"]) == declared["source"])
        #expect(CodeBuildProjectProvider.artifacts(live["artifacts"], projectName: "app", prior: declared["artifacts"]) == declared["artifacts"])
        #expect(CodeBuildProjectProvider.environment(live["environment"]) == declared["environment"])
        #expect(CodeBuildProjectProvider.cache(live["cache"]) == declared["cache"])
        #expect(CodeBuildProjectProvider.logsConfig(live["logsConfig"]) == declared["logsConfig"])
        // An artifact name that was not declared is drift when it is not CodeBuild's default.
        #expect(
            CodeBuildProjectProvider.artifacts(
                ["type": "S3", "location": "bucket", "name": "other"], projectName: "app", prior: declared["artifacts"])["name"] == "other")
    }

    /// The UpdateProject request on the wire, exactly as real CodeBuild takes it.
    @Test(.integration) func updateSendsTheWholeProjectWithUpdateProject() async throws {
        let stub = try await StubServer.start([
            .json(
                200, #"{"project": {"name": "app", "arn": "arn:aws:codebuild:us-east-1:123456789012:project/app"}}"#,
                headers: ["Content-Type": "application/x-amz-json-1.1"])
        ])
        defer { stub.stop() }
        let provider = CodeBuildProjectProvider(client: try PipeTesting.stubClient(stub))
        var project = Self.project("app", account: "123456789012")
        let old = ProviderTesting.attributes(of: project)
        project.description = nil
        project.source = .codePipeline(buildspec: .path("ci/buildspec.yml"))
        project.artifacts = .codePipeline
        project.environment.computeType = .large
        project.environment.environmentVariables = [.init("STAGE", "staging")]
        project.cache = .noCache
        project.timeoutInMinutes = 90
        project.tags = [:]
        let new = ProviderTesting.attributes(of: project)
        let applied = try await provider.update(id: "app", from: old, to: new)
        #expect(applied == Applied(id: "app", outputs: ["arn": "arn:aws:codebuild:us-east-1:123456789012:project/app", "name": "app"]))

        let requests = try await stub.requests()
        #expect(requests.count == 1)
        let request = try #require(requests.first)
        #expect(request.header("X-Amz-Target") == "CodeBuild_20161006.UpdateProject")
        #expect(request.header("Content-Type") == "application/x-amz-json-1.1")
        let body = try PipeTesting.body(request)
        #expect(
            body == [
                "name": "app",
                "description": "",  // clears it
                "serviceRole": "arn:aws:iam::123456789012:role/cairn/build",
                "source": ["type": "CODEPIPELINE", "buildspec": "ci/buildspec.yml"],
                "artifacts": ["type": "CODEPIPELINE"],
                "environment": [
                    "type": "LINUX_CONTAINER", "image": "aws/codebuild/standard:7.0", "computeType": "BUILD_GENERAL1_LARGE",
                    "privilegedMode": true, "environmentVariables": [["name": "STAGE", "value": "staging", "type": "PLAINTEXT"]],
                ],
                "cache": ["type": "NO_CACHE"],
                "logsConfig": [
                    "cloudWatchLogs": ["status": "ENABLED", "groupName": "/cairn/build", "streamName": "app"],
                    "s3Logs": ["status": "ENABLED", "location": "acme-logs/build", "encryptionDisabled": true],
                ],
                "timeoutInMinutes": 90,
                "queuedTimeoutInMinutes": 120,
                "tags": [],  // removes them all
            ])
    }

    /// CodePipeline sources and artifacts go without a location, as CodeBuild documents them.
    @Test(.integration) func createForCodePipelineSendsNoLocation() async throws {
        let stub = try await StubServer.start([.json(200, #"{"project": {"arn": "arn:aws:codebuild:us-east-1:123456789012:project/p"}}"#)])
        defer { stub.stop() }
        let provider = CodeBuildProjectProvider(client: try PipeTesting.stubClient(stub))
        let project = CodeBuildProject(
            "p", name: "p", serviceRole: "arn:aws:iam::123456789012:role/build",
            source: .codePipeline(), artifacts: .codePipeline,
            environment: .init(image: "aws/codebuild/standard:7.0"))
        _ = try await provider.create(ProviderTesting.attributes(of: project))
        let body = try PipeTesting.body(try #require(try await stub.requests().first))
        #expect(body["source"] == ["type": "CODEPIPELINE"])
        #expect(body["artifacts"] == ["type": "CODEPIPELINE"])
        #expect(body["description"] == nil && body["tags"] == nil)
        #expect(body["environment"]?["privilegedMode"] == false)
    }

    @Test func validationNamesTheAttribute() {
        let bad = CodeBuildProject(
            "bad", name: "-bad name", description: String(repeating: "d", count: 256), serviceRole: "build-role",
            source: .noSource(buildspec: .path("buildspec.yml")), artifacts: .s3(location: ""),
            environment: .init(
                type: .linuxLambdaContainer, image: "", computeType: .small, privilegedMode: true,
                environmentVariables: [.init("A", "1"), .init("A", "2"), .init("CODEBUILD_X", "3"), .init("S", "", type: .secretsManager)]),
            cache: .local(modes: []), logsConfig: .init(s3Logs: .enabled(location: "")),
            timeoutInMinutes: 4, queuedTimeoutInMinutes: 481)
        let attributes = bad.validate().compactMap(\.attribute)
        #expect(
            attributes == [
                "name", "description", "serviceRole", "source.buildspec", "artifacts.location", "environment.image",
                "environment.computeType", "environment.privilegedMode", "environment.environmentVariables[1].name",
                "environment.environmentVariables[2].name", "environment.environmentVariables[3].value", "cache.modes",
                "logsConfig.s3Logs.location", "timeoutInMinutes", "queuedTimeoutInMinutes",
            ])
        #expect(bad.validate().allSatisfy { $0.address == "aws_codebuild_project.bad" })
        #expect(Self.project("good", account: "123456789012").validate().isEmpty)
    }
}
