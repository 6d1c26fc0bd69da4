import CairnAWS
import CairnEngine
import CairnJSON
import Foundation
import TestSupport
import Testing

@testable import CairnResources

@Suite struct CodePipelineTests {
    static let tokenPath = "stages[0].actions[0].configuration.OAuthToken"

    static func pipeline(_ name: String, roleArn: String, token: Input<String> = "ghp_0123456789abcdef") -> CodePipeline {
        CodePipeline(
            "app", name: Input(name), roleArn: Input(roleArn),
            artifactStore: .init(bucket: "acme-pipeline-artifacts", kmsKeyId: "alias/aws/s3"),
            pipelineType: .v2, variables: [.init("DEPLOY_ENV", defaultValue: "staging", description: "Where to deploy")],
            stages: [
                .init(
                    "Source",
                    [
                        .init(
                            "App", .gitHubSource(owner: "acme", repo: "app", branch: "main", oauthToken: token),
                            outputArtifacts: ["app_source"], namespace: "SourceVariables"),
                        .init(
                            "Infra",
                            .codeStarSource(
                                connectionArn: "arn:aws:codeconnections:us-east-1:123456789012:connection/0c2e",
                                fullRepositoryId: "acme/infra", branchName: "main", outputArtifactFormat: .codeBuildCloneRef),
                            outputArtifacts: ["infra_source"]),
                        .init(
                            "Assets", .s3Source(bucket: "acme-assets", objectKey: "site/assets.zip", pollForSourceChanges: false),
                            outputArtifacts: ["assets"]),
                        .init("Lib", .codeCommitSource(repositoryName: "lib", branchName: "release"), outputArtifacts: ["lib"]),
                    ]),
                .init(
                    "Build",
                    [
                        .init("Image", .codeBuild(projectName: "app-build"), inputArtifacts: ["app_source", "lib"], outputArtifacts: ["image"]),
                        .init("UnitTests", .codeBuildTest(projectName: "app-test"), runOrder: 2, inputArtifacts: ["app_source", "image"]),
                    ]),
                .init(
                    "Approve",
                    [
                        .init(
                            "Release",
                            .manualApproval(
                                notificationArn: "arn:aws:sns:us-east-1:123456789012:approvals",
                                customData: "Release #{SourceVariables.CommitId}?"))
                    ]),
                .init(
                    "Deploy",
                    [
                        .init("Service", .ecsDeploy(clusterName: "main", serviceName: "app"), inputArtifacts: ["image"], region: "us-east-1"),
                        .init("Site", .s3Deploy(bucketName: "acme-site", extract: true, cacheControl: "no-cache"), inputArtifacts: ["assets"]),
                    ]),
            ],
            tags: ["team": "invoices", "env": "test"])
    }

    static let siteKey = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"

    static func createRole(_ moto: MotoServer) async throws -> String {
        let name = ProviderTesting.uniqueName("pipeline-role")
        let role = try await moto.awsJSON([
            "iam", "create-role", "--role-name", name, "--assume-role-policy-document",
            #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"codepipeline.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#,
        ])
        return try #require(role["Role"]["Arn"].string)
    }

    /// The attributes and the paths the engine would encrypt, resolved as the planner does.
    @Test func theOAuthTokenIsSensitiveByType() {
        let plain = ProviderTesting.resolved(Self.pipeline("p", roleArn: "arn:aws:iam::123456789012:role/p"))
        #expect(plain.sensitive == [Self.tokenPath])
        #expect(plain.attributes["stages"]?[0]?["actions"]?[0]?["configuration"]?["OAuthToken"] == "ghp_0123456789abcdef")
        // Already marked sensitive: still one sensitive path, the same value.
        let marked = ProviderTesting.resolved(
            Self.pipeline("p", roleArn: "arn:aws:iam::123456789012:role/p", token: .sensitive("ghp_0123456789abcdef")))
        #expect(marked.sensitive == [Self.tokenPath])
        #expect(marked.attributes == plain.attributes)
        let action = Self.pipeline("p", roleArn: "r").stages[0].actions[0].value
        guard case .object(let members) = action, case .object(let configuration)? = members["configuration"],
            case .sensitive? = configuration["OAuthToken"]
        else {
            Issue.record("the token is not a .sensitive value: \(action)")
            return
        }
    }

    @Test func theARNIsTheNameInTheRolesPartitionAndAccount() {
        #expect(
            CodePipelineProvider.arn(name: "p", region: "eu-north-1", roleArn: "arn:aws:iam::123456789012:role/ci/p")
                == "arn:aws:codepipeline:eu-north-1:123456789012:p")
        #expect(
            CodePipelineProvider.arn(name: "p", region: "cn-north-1", roleArn: "arn:aws-cn:iam::123456789012:role/p")
                == "arn:aws-cn:codepipeline:cn-north-1:123456789012:p")
        // Anything else is read back from AWS instead.
        #expect(CodePipelineProvider.arn(name: "p", region: "us-east-1", roleArn: "r") == nil)
        #expect(CodePipelineProvider.arn(name: "p", region: "us-east-1", roleArn: nil) == nil)
    }

    @Test(.integration) func createReadUpdateDeleteAgainstMoto() async throws {
        let (client, moto) = try await ProviderTesting.client()
        let provider = CodePipelineProvider(client: client)
        #expect(provider.replaceOnChange == ["name"])
        let roleArn = try await Self.createRole(moto)
        let name = ProviderTesting.uniqueName("pipeline")
        var pipeline = Self.pipeline(name, roleArn: roleArn)
        #expect(pipeline.validate().isEmpty)
        let declared = ProviderTesting.resolved(pipeline).attributes
        #expect(provider.physicalID(for: declared) == name)

        let created = try await provider.create(declared)
        #expect(created.id == name)
        let arn = "arn:aws:codepipeline:us-east-1:\(moto.account):\(name)"
        #expect(created.outputs == ["arn": .string(arn), "name": .string(name)])

        // What CodePipeline has, seen by the aws CLI.
        let got = try await moto.awsJSON(["codepipeline", "get-pipeline", "--name", name])
        let live = got["pipeline"]
        #expect(got["metadata"]["pipelineArn"].string == arn)
        #expect(live["roleArn"].string == roleArn)
        #expect(live["pipelineType"].string == "V2")
        #expect(
            live["artifactStore"] == ["type": "S3", "location": "acme-pipeline-artifacts", "encryptionKey": ["id": "alias/aws/s3", "type": "KMS"]])
        #expect(live["variables"] == [["name": "DEPLOY_ENV", "defaultValue": "staging", "description": "Where to deploy"]])
        #expect((live["stages"].array ?? []).compactMap { $0["name"].string } == ["Source", "Build", "Approve", "Deploy"])
        let github = live["stages"][0]["actions"][0]
        #expect(github["actionTypeId"] == ["category": "Source", "owner": "ThirdParty", "provider": "GitHub", "version": "1"])
        #expect(
            github["configuration"] == [
                "Owner": "acme", "Repo": "app", "Branch": "main", "OAuthToken": "ghp_0123456789abcdef",
                "PollForSourceChanges": "true",
            ])
        #expect(github["outputArtifacts"] == [["name": "app_source"]] && github["namespace"].string == "SourceVariables")
        #expect(
            live["stages"][0]["actions"][1]["configuration"] == [
                "ConnectionArn": "arn:aws:codeconnections:us-east-1:123456789012:connection/0c2e", "FullRepositoryId": "acme/infra",
                "BranchName": "main", "OutputArtifactFormat": "CODEBUILD_CLONE_REF", "DetectChanges": "true",
            ])
        let build = live["stages"][1]["actions"]
        #expect(build[0]["actionTypeId"]["category"].string == "Build" && build[0]["configuration"] == ["ProjectName": "app-build"])
        #expect(build[0]["inputArtifacts"] == [["name": "app_source"], ["name": "lib"]])
        #expect(build[1]["actionTypeId"]["category"].string == "Test" && build[1]["runOrder"].int == 2)
        #expect(
            live["stages"][2]["actions"][0]["configuration"] == [
                "NotificationArn": "arn:aws:sns:us-east-1:123456789012:approvals",
                "CustomData": "Release #{SourceVariables.CommitId}?",
            ])
        #expect(
            live["stages"][3]["actions"][0]["configuration"] == ["ClusterName": "main", "ServiceName": "app", "FileName": "imagedefinitions.json"])
        #expect(live["stages"][3]["actions"][1]["configuration"] == ["BucketName": "acme-site", "Extract": "true", "CacheControl": "no-cache"])
        let tags = try await moto.awsJSON(["codepipeline", "list-tags-for-resource", "--resource-arn", arn])["tags"].array ?? []
        #expect(
            Dictionary(uniqueKeysWithValues: tags.map { ($0["key"].string ?? "", $0["value"].string ?? "") }) == ["team": "invoices", "env": "test"])

        // No false drift, with or without prior attributes (an import).
        let read = try #require(try await provider.read(id: name, prior: declared))
        #expect(read.attributes == declared)
        #expect(read.outputs == created.outputs)
        #expect(try await provider.read(id: name, prior: [:])?.attributes == declared)

        // Update in place: a new token, another test action, a changed deploy, tags.
        pipeline.stages[0].actions[0].kind = .gitHubSource(
            owner: "acme", repo: "app", branch: "main", oauthToken: "ghp_rotated", pollForSourceChanges: false)
        pipeline.stages[1].actions.append(.init("Lint", .codeBuildTest(projectName: "app-lint"), runOrder: 2, inputArtifacts: ["app_source"]))
        pipeline.stages[3].actions[1].kind = .s3Deploy(
            bucketName: "acme-site", extract: false, objectKey: "site.zip", cacheControl: "public, max-age=3600", cannedACL: .bucketOwnerFullControl,
            kmsEncryptionKeyARN: Input(Self.siteKey))
        pipeline.tags = ["team": "billing"]
        #expect(pipeline.validate().isEmpty)
        let next = ProviderTesting.resolved(pipeline).attributes
        let updated = try await provider.update(id: name, from: read.attributes, to: next)
        #expect(updated.outputs == created.outputs)
        let after = try await moto.awsJSON(["codepipeline", "get-pipeline", "--name", name])["pipeline"]
        #expect(after["version"].int == 2)
        #expect(after["stages"][0]["actions"][0]["configuration"]["OAuthToken"].string == "ghp_rotated")
        #expect(after["stages"][0]["actions"][0]["configuration"]["PollForSourceChanges"].string == "false")
        #expect((after["stages"][1]["actions"].array ?? []).compactMap { $0["name"].string } == ["Image", "UnitTests", "Lint"])
        #expect(
            after["stages"][3]["actions"][1]["configuration"] == [
                "BucketName": "acme-site", "Extract": "false", "ObjectKey": "site.zip", "CacheControl": "public, max-age=3600",
                "CannedACL": "bucket-owner-full-control", "KMSEncryptionKeyARN": .string(Self.siteKey),
            ])
        let afterTags = try await moto.awsJSON(["codepipeline", "list-tags-for-resource", "--resource-arn", arn])["tags"].array ?? []
        #expect(afterTags.map { "\($0["key"].string ?? "")=\($0["value"].string ?? "")" } == ["team=billing"])
        #expect(try await provider.read(id: name, prior: next)?.attributes == next)

        // Tags alone do not touch the pipeline's structure (no new version).
        pipeline.tags = [:]
        _ = try await provider.update(id: name, from: next, to: ProviderTesting.resolved(pipeline).attributes)
        #expect(try await moto.awsJSON(["codepipeline", "get-pipeline", "--name", name])["pipeline"]["version"].int == 2)
        #expect(try await moto.awsJSON(["codepipeline", "list-tags-for-resource", "--resource-arn", arn])["tags"].array?.isEmpty == true)

        try await provider.delete(id: name, attributes: next)
        #expect(try await provider.read(id: name, prior: [:]) == nil)
        let gone = try await moto.aws(["codepipeline", "get-pipeline", "--name", name])
        #expect(gone.status != 0 && gone.stderr.contains("PipelineNotFoundException"))
        try await provider.delete(id: name, attributes: [:])  // deleting what is gone is not an error
    }

    /// Real CodePipeline answers the token as `****`: a read keeps the token last applied, so it is no drift.
    @Test(.integration) func aMaskedTokenIsNotDrift() async throws {
        let pipeline = Self.pipeline("app", roleArn: "arn:aws:iam::123456789012:role/pipeline")
        let declared = ProviderTesting.resolved(pipeline).attributes
        var wire = CodePipelineProvider.declaration(declared)
        // As AWS answers: the token masked, the version, and the pipeline's region on an action that declared none.
        guard case .object(var members) = wire, case .array(var stages)? = members["stages"],
            case .object(var source) = stages[0], case .array(var actions)? = source["actions"],
            case .object(var github) = actions[0], case .object(var configuration)? = github["configuration"],
            case .object(var site) = (stages[3]["actions"]?[1] ?? .null)
        else {
            Issue.record("unexpected declaration shape: \(wire)")
            return
        }
        configuration["OAuthToken"] = "****"
        github["configuration"] = .object(configuration)
        actions[0] = .object(github)
        source["actions"] = .array(actions)
        stages[0] = .object(source)
        site["region"] = "us-east-1"
        var deployActions = stages[3]["actions"]?.arrayValue ?? []
        deployActions[1] = .object(site)
        stages[3] = ["name": "Deploy", "actions": .array(deployActions)]
        members["stages"] = .array(stages)
        members["version"] = 3
        members["executionMode"] = "QUEUED"
        wire = .object(members)
        let answer: JSON = ["pipeline": wire, "metadata": ["pipelineArn": "arn:aws:codepipeline:us-east-1:123456789012:app"]]
        let tags = #"{"tags": [{"key": "env", "value": "test"}, {"key": "team", "value": "invoices"}]}"#
        let stub = try await StubServer.start([.json(200, answer.description), .json(200, tags), .json(200, answer.description), .json(200, tags)])
        defer { stub.stop() }
        let provider = CodePipelineProvider(client: try PipeTesting.stubClient(stub))

        let read = try #require(try await provider.read(id: "app", prior: declared))
        #expect(read.attributes == declared)
        #expect(read.outputs == ["arn": "arn:aws:codepipeline:us-east-1:123456789012:app", "name": "app"])
        // Without a prior (an import), the token is unknown: the mask is what there is.
        let imported = try #require(try await provider.read(id: "app", prior: [:]))
        #expect(imported.attributes["stages"]?[0]?["actions"]?[0]?["configuration"]?["OAuthToken"] == "****")
        #expect(imported.attributes["stages"]?[3]?["actions"]?[1]?["region"] == "us-east-1")
    }

    @Test(.integration) func updateSendsTheTokenInClear() async throws {
        let old = ProviderTesting.resolved(Self.pipeline("app", roleArn: "arn:aws:iam::123456789012:role/pipeline")).attributes
        let new = ProviderTesting.resolved(Self.pipeline("app", roleArn: "arn:aws:iam::123456789012:role/pipeline", token: .sensitive("ghp_new")))
            .attributes
        // The pipeline as it is, with what Cairn does not model: the update keeps it.
        let live = #"{"pipeline": {"name": "app", "executionMode": "QUEUED", "stages": [{"name": "Source", "onFailure": {"result": "RETRY"}}]}}"#
        let stub = try await StubServer.start([
            .json(200, live), .json(200, #"{"pipeline": {}}"#),
            .json(200, #"{"pipeline": {}, "metadata": {"pipelineArn": "arn:aws:codepipeline:us-east-1:123456789012:app"}}"#),
        ])
        defer { stub.stop() }
        let provider = CodePipelineProvider(client: try PipeTesting.stubClient(stub))
        _ = try await provider.update(id: "app", from: old, to: new)
        let requests = try await stub.requests()
        #expect(
            requests.map { $0.header("X-Amz-Target") } == [
                "CodePipeline_20150709.GetPipeline", "CodePipeline_20150709.UpdatePipeline", "CodePipeline_20150709.GetPipeline",
            ])
        let body = try PipeTesting.body(requests[1])
        #expect(body["pipeline"]?["executionMode"] == "QUEUED")
        #expect(body["pipeline"]?["stages"]?[0]?["onFailure"] == ["result": "RETRY"])
        #expect(body["pipeline"]?["stages"]?[0]?["actions"]?[0]?["configuration"]?["OAuthToken"] == "ghp_new")
        #expect(
            body["pipeline"]?["stages"]?[0]?["actions"]?[0]?["actionTypeId"] == [
                "category": "Source", "owner": "ThirdParty", "provider": "GitHub", "version": "1",
            ])
        #expect(body["pipeline"]?["name"] == "app" && body["pipeline"]?["pipelineType"] == "V2")
    }

    @Test func validationNamesTheAttributePath() {
        let role: Input<String> = "arn:aws:iam::123456789012:role/pipeline"
        let store = CodePipeline.ArtifactStore(bucket: "artifacts")
        let source = CodePipeline.Stage("Source", [.init("Src", .s3Source(bucket: "b", objectKey: "k.zip"), outputArtifacts: ["src"])])
        func issues(_ stages: [CodePipeline.Stage], variables: [CodePipeline.Variable] = []) -> [String] {
            CodePipeline("p", name: "p", roleArn: role, artifactStore: store, variables: variables, stages: stages).validate().compactMap(\.attribute)
        }

        // Duplicate action names within a stage.
        #expect(
            issues([
                source,
                .init(
                    "Build",
                    [
                        .init("Build", .codeBuild(projectName: "a"), inputArtifacts: ["src"]),
                        .init("Build", .codeBuild(projectName: "b"), inputArtifacts: ["src"]),
                    ]),
            ]) == ["stages[1].actions[1].name"])
        // An input artifact no action produces.
        #expect(
            issues([source, .init("Build", [.init("Build", .codeBuild(projectName: "a"), inputArtifacts: ["missing"])])])
                == ["stages[1].actions[0].inputArtifacts"])
        // A bad run order.
        #expect(
            issues([source, .init("Build", [.init("Build", .codeBuild(projectName: "a"), runOrder: 0, inputArtifacts: ["src"])])])
                == ["stages[1].actions[0].runOrder"])
        // Produced in the same stage: only a lower run order counts.
        let sameStage: [CodePipeline.Action] = [
            .init("Build", .codeBuild(projectName: "a"), inputArtifacts: ["src"], outputArtifacts: ["out"]),
            .init("Test", .codeBuildTest(projectName: "b"), inputArtifacts: ["out"]),
        ]
        #expect(issues([source, .init("Build", sameStage)]) == ["stages[1].actions[1].inputArtifacts"])
        var ordered = sameStage
        ordered[1].runOrder = 2
        #expect(issues([source, .init("Build", ordered)]).isEmpty)
        // Produced only by a later stage.
        #expect(
            issues([
                source, .init("Deploy", [.init("Ecs", .ecsDeploy(clusterName: "c", serviceName: "s"), inputArtifacts: ["image"])]),
                .init("Build", [.init("Build", .codeBuild(projectName: "a"), inputArtifacts: ["src"], outputArtifacts: ["image"])]),
            ])
                == ["stages[1].actions[0].inputArtifacts"])
        // Output artifact names are unique in the pipeline; stage names too.
        #expect(
            issues([source, .init("Source", [.init("Build", .codeBuild(projectName: "a"), inputArtifacts: ["src"], outputArtifacts: ["src"])])])
                == ["stages[1].name", "stages[1].actions[0].outputArtifacts"])
        // At least two stages; the first only of source actions, source actions only there.
        #expect(issues([source]) == ["stages"])
        #expect(
            issues([.init("Build", [.init("Build", .codeBuild(projectName: "a"), inputArtifacts: ["src"])]), source])
                == ["stages[0].actions[0]", "stages[0].actions[0].inputArtifacts", "stages[1].actions[0]"])
        // Each action type's artifact counts, and its configuration.
        #expect(
            issues([
                source, .init("Approve", [.init("Ok", .manualApproval(), inputArtifacts: ["src"])]),
                .init("Deploy", [.init("Site", .s3Deploy(bucketName: "site", extract: false), inputArtifacts: ["src"])]),
            ])
                == ["stages[1].actions[0].inputArtifacts", "stages[2].actions[0].configuration.ObjectKey"])
        // The S3 deploy action's Cache-Control is one line; its KMS key an ARN.
        #expect(
            issues([
                source,
                .init(
                    "Deploy",
                    [
                        .init("Site", .s3Deploy(bucketName: "site", extract: true, cacheControl: ""), inputArtifacts: ["src"]),
                        .init("Key", .s3Deploy(bucketName: "site", extract: true, kmsEncryptionKeyARN: "alias/site"), inputArtifacts: ["src"]),
                        .init(
                            "Ok", .s3Deploy(bucketName: "site", extract: true, cacheControl: "no-cache", kmsEncryptionKeyARN: Input(Self.siteKey)),
                            inputArtifacts: ["src"]),
                    ]),
            ])
                == ["stages[1].actions[0].configuration.CacheControl", "stages[1].actions[1].configuration.KMSEncryptionKeyARN"])
        // Variables need V2.
        #expect(issues([source, .init("Approve", [.init("Ok", .manualApproval())])], variables: [.init("ENV")]) == ["variables"])
        #expect(
            CodePipeline(
                "p", name: "p", roleArn: role, artifactStore: store, pipelineType: .v2, variables: [.init("ENV"), .init("ENV")],
                stages: [source, .init("Approve", [.init("Ok", .manualApproval())])]
            ).validate().compactMap(\.attribute) == ["variables[1].name"])
        // Every issue names the resource.
        #expect(
            CodePipeline("bad", name: "bad name", roleArn: "role", artifactStore: store, stages: []).validate()
                .allSatisfy { $0.address == "aws_codepipeline.bad" })
        #expect(Self.pipeline("p", roleArn: "arn:aws:iam::123456789012:role/p").validate().isEmpty)
    }
}
