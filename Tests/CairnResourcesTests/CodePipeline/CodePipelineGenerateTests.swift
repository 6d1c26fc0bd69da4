import CairnAWS
import CairnJSON
import Testing

@testable import CairnEngine
@testable import CairnResources

/// The Swift `cairn generate` writes for a pipeline, and the V2 settings it cannot say, which it keeps rather than drops.
@Suite struct CodePipelineGenerateTests {
    static let role = "arn:aws:iam::123456789012:role/pipeline"

    static func action(_ name: String, _ category: String, _ provider: String, _ configuration: [String: JSON], extra: [String: JSON] = [:]) -> JSON {
        let members: [String: JSON] = [
            "name": .string(name), "category": .string(category), "owner": "AWS", "provider": .string(provider), "version": "1", "runOrder": 1,
            "configuration": .object(configuration), "inputArtifacts": category == "Source" ? [] : ["src"],
            "outputArtifacts": category == "Source" ? ["src"] : [],
        ]
        return .object(members.merging(extra) { $1 })
    }

    static func pipeline(_ stages: [JSON], extra: [String: JSON] = [:]) -> Observed {
        let attributes: [String: JSON] = [
            "name": "shop", "roleArn": .string(role), "artifactStore": ["type": "S3", "location": "shop-artifacts"], "pipelineType": "V2",
            "variables": [], "stages": .array(stages), "tags": [:],
        ]
        return Observed(id: "shop", attributes: attributes.merging(extra) { $1 }, outputs: [:])
    }

    static let source: JSON = ["name": "Source", "actions": [action("Code", "Source", "S3", ["S3Bucket": "shop-src", "S3ObjectKey": "app.zip"])]]

    @Test func aPipelineIsDeclaredWithReferences() {
        let build: JSON = ["name": "Build", "actions": [Self.action("Build", "Build", "CodeBuild", ["ProjectName": "shop-build"])]]
        let declared = GenerateTesting.declare(
            CodePipeline.typeName, Self.pipeline([Self.source, build]),
            found: [
                .init(IAMRole.typeName, "pipelineRole", ["arn": .string(Self.role)]),
                .init(S3Bucket.typeName, "artifacts", ["name": "shop-artifacts"]),
                .init(CodeBuildProject.typeName, "build", ["name": "shop-build"]),
            ])
        #expect(declared.argument("roleArn") == ".output(pipelineRole.arn)")
        #expect(declared.argument("artifactStore") == ".init(bucket: .output(artifacts.bucketName))")
        #expect(declared.argument("pipelineType") == ".v2")
        #expect(
            declared.argument("stages")?.contains(#".init("Build", .codeBuild(projectName: .output(build.projectName)), inputArtifacts: ["src"])"#)
                == true)
        #expect(declared.unexpressed.isEmpty && declared.undeclarable == nil)
    }

    /// Triggers, an execution mode, a stage's failure handling and an action's role and timeout: none is declared, each
    /// is reported, and an update keeps it as the pipeline has it.
    @Test func settingsItCannotSayAreReportedAndKept() {
        let deploy: JSON = [
            "name": "Deploy",
            "actions": [Self.action("Ship", "Deploy", "ECS", ["ClusterName": "shop", "ServiceName": "web", "DeploymentTimeout": "30"])],
        ]
        let triggers: JSON = [["providerType": "CodeStarSourceConnection", "gitConfiguration": ["sourceActionName": "Code"]]]
        var live = Self.pipeline([Self.source, deploy])
        // GetPipeline's own form of the same pipeline, with what the declaration does not model.
        let wireLive: JSON = [
            "executionMode": "QUEUED", "triggers": triggers,
            "stages": [
                ["name": "Source", "actions": [["name": "Code"]]],
                [
                    "name": "Deploy", "onFailure": ["result": "ROLLBACK"],
                    "actions": [["name": "Ship", "roleArn": "arn:aws:iam::123456789012:role/deployer", "timeoutInMinutes": 20]],
                ],
            ],
        ]
        live.attributes["unmodeled"] = [
            "pipeline": .object(CodePipelineProvider.unmodeledPipeline.read(wireLive)),
            "stages": [
                ["stage": [:], "actions": [[:]]],
                [
                    "stage": ["onFailure": ["result": "ROLLBACK"]],
                    "actions": [["roleArn": "arn:aws:iam::123456789012:role/deployer", "timeoutInMinutes": 20]],
                ],
            ],
        ]
        let declared = GenerateTesting.declare(CodePipeline.typeName, live)
        #expect(
            Set(declared.unexpressed.keys) == [
                "executionMode", "triggers", "stages.Deploy.onFailure", "stages.Deploy.Ship.roleArn", "stages.Deploy.Ship.timeoutInMinutes",
                "stages.Deploy.Ship.configuration",
            ])
        #expect(declared.unexpressed["triggers"] == "CodePipeline does not model it; an apply keeps it as it is")
        // The configuration is an attribute: its drift is ignored, so that apply keeps AWS's.
        #expect(declared.ignoredDrift == ["stages[1].actions[0].configuration"])
        #expect(declared.unexpressed["stages.Deploy.Ship.configuration"]?.hasPrefix("DeploymentTimeout not declared") == true)

        // UpdatePipeline gets them back as GetPipeline gave them.
        let wire = CodePipelineProvider.declaration(live.attributes, keeping: wireLive)
        #expect(wire["executionMode"] == "QUEUED" && wire["triggers"] == triggers)
        #expect(wire["stages"]?[1]?["onFailure"] == ["result": "ROLLBACK"])
        #expect(wire["stages"]?[1]?["actions"]?[0]?["roleArn"] == "arn:aws:iam::123456789012:role/deployer")
        #expect(CodePipelineProvider.declaration(live.attributes)["triggers"] == nil, "a create has nothing to keep")
        // A trigger whose source action is no longer declared would be refused: it goes with its action.
        var renamed = live.attributes
        renamed["stages"] = [["name": "Source", "actions": [Self.action("Repo", "Source", "S3", ["S3Bucket": "b", "S3ObjectKey": "k"])]], deploy]
        #expect(CodePipelineProvider.declaration(renamed, keeping: wireLive)["triggers"] == nil)
        #expect(CodePipelineProvider.unmodeledPipeline.read(["executionMode": "SUPERSEDED", "triggers": []]).isEmpty, "AWS's defaults")
    }

    @Test func aCrossRegionPipelineIsLeftOut() {
        var live = Self.pipeline([Self.source])
        live.attributes["artifactStores"] = ["us-east-1": ["type": "S3", "location": "a"]]
        #expect(GenerateTesting.declare(CodePipeline.typeName, live).undeclarable?.contains("a store per region") == true)
    }

    @Test func anActionKindItCannotSayLeavesThePipelineOut() {
        let invoke: JSON = ["name": "Invoke", "actions": [Self.action("Call", "Invoke", "Lambda", ["FunctionName": "f"])]]
        let declared = GenerateTesting.declare(CodePipeline.typeName, Self.pipeline([Self.source, invoke]))
        #expect(declared.undeclarable?.contains("Invoke.Call is a Invoke/AWS/Lambda action") == true, "\(String(describing: declared.undeclarable))")
    }

    /// `cairn generate` finds every pipeline of the account through each page of ListPipelines (nextToken).
    @Test func discoverReadsEveryPageOfThePipelines() async throws {
        let transport = ScriptedTransport(reading: { operation, body in
            guard operation == "ListPipelines" else { return (400, #"{"__type": "ValidationException", "message": "unexpected"}"#) }
            let second = String(decoding: body, as: UTF8.self).contains(#""nextToken":"page-2""#)
            return (
                200,
                second
                    ? #"{"pipelines": [{"name": "shop-c", "version": 1}]}"#
                    : #"{"pipelines": [{"name": "shop-a", "version": 1}, {"name": "shop-b", "version": 2}], "nextToken": "page-2"}"#
            )
        })
        let found = try await CodePipelineProvider(client: .scripted(transport, clock: SteppingClock())).discover()
        #expect(found.map(\.id) == ["shop-a", "shop-b", "shop-c"])
        #expect(transport.bodies("ListPipelines").count == 2)
    }
}
