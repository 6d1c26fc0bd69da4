import CairnAWS
import CairnJSON
import Testing

@testable import CairnEngine
@testable import CairnResources

/// The Swift `cairn generate` writes for clusters, services and task definitions, and the task definition settings it
/// cannot say, which it reports and a new revision keeps.
@Suite struct ECSGenerateTests {
    static let definitionARN = "arn:aws:ecs:eu-north-1:123456789012:task-definition/web:3"

    @Test func aClusterAndAServiceAreDeclaredWithReferences() {
        let cluster = GenerateTesting.declare(
            ECSCluster.typeName,
            Observed(id: "shop", attributes: ["name": "shop", "containerInsights": "enabled", "capacityProviders": ["FARGATE"]], outputs: [:]))
        #expect(cluster.text == #"name: "shop", containerInsights: .enabled, capacityProviders: ["FARGATE"]"#)
        let newer = GenerateTesting.declare(
            ECSCluster.typeName, Observed(id: "shop", attributes: ["name": "shop", "containerInsights": "galactic"], outputs: [:]))
        #expect(newer.text == #"name: "shop""#, "never a case the enum lacks, which would not compile")
        #expect(newer.ignoredDrift == ["containerInsights"])

        let service = Observed(
            id: "shop/web",
            attributes: [
                "name": "web", "cluster": "shop", "taskDefinition": .string(Self.definitionARN), "desiredCount": 2, "launchType": "FARGATE",
                "networkConfiguration": ["subnets": ["subnet-1"], "securityGroups": ["sg-1"], "assignPublicIp": "ENABLED"],
            ], outputs: [:])
        let declared = GenerateTesting.declare(
            ECSService.typeName, service,
            found: [
                .init(ECSCluster.typeName, "cluster", ["name": "shop"]),
                .init(ECSTaskDefinition.typeName, "web", ["arn": .string(Self.definitionARN)]),
                .init(SecurityGroup.typeName, "webSecurityGroup", ["id": "sg-1"]),
            ])
        #expect(declared.argument("cluster") == ".output(cluster.clusterName)")
        #expect(declared.argument("taskDefinition") == ".output(web.arn)")
        #expect(declared.argument("desiredCount") == "2")
        #expect(
            declared.argument("networkConfiguration")
                == #".init(subnets: ["subnet-1"], securityGroups: [.output(webSecurityGroup.id)], assignPublicIp: .enabled)"#)

        var odd = service
        odd.attributes["launchType"] = "SPOT_SOMEDAY"
        let unknown = GenerateTesting.declare(ECSService.typeName, odd)
        #expect(unknown.argument("compute") == nil)
        #expect(unknown.ignoredDrift == ["launchType"])
    }

    @Test func aTaskDefinitionIsDeclaredAndWhatItCannotSayIsKept() throws {
        let described: JSON = [
            "taskDefinitionArn": .string(Self.definitionARN), "family": "web", "revision": 3, "status": "ACTIVE", "networkMode": "awsvpc",
            "requiresCompatibilities": ["FARGATE"], "cpu": "256", "memory": "512",
            "runtimePlatform": ["operatingSystemFamily": "LINUX", "cpuArchitecture": "ARM64"], "ephemeralStorage": ["sizeInGiB": 20],
            "volumes": [["name": "data"]], "placementConstraints": [],
            "containerDefinitions": [
                [
                    "name": "app", "image": "nginx:1", "essential": true, "cpu": 0, "portMappings": [["containerPort": 80, "protocol": "tcp"]],
                    "environment": [], "mountPoints": [["sourceVolume": "data", "containerPath": "/data"]], "volumesFrom": [],
                    "entryPoint": ["sh", "-c"], "ulimits": [["name": "nofile", "softLimit": 1024, "hardLimit": 2048]], "systemControls": [],
                    "logConfiguration": ["logDriver": "splunk-ish", "options": [:]],
                ]
            ],
        ]
        let liveContainer = try #require(described["containerDefinitions"]?[0])
        // What the declaration cannot say is read as ECS has it, defaults and empty lists aside…
        let container = ECSTaskDefinitionProvider.unmodeledContainer.read(liveContainer)
        #expect(Set(container.keys) == ["mountPoints", "entryPoint", "ulimits"])
        let task = ECSTaskDefinitionProvider.unmodeledTask.read(described)
        #expect(task == ["runtimePlatform": ["operatingSystemFamily": "LINUX", "cpuArchitecture": "ARM64"], "volumes": [["name": "data"]]])
        // …never as attributes (a plan compares only what is declared)…
        let app = ECSTaskDefinitionProvider.container(liveContainer, staticPorts: true)
        #expect(app["mountPoints"] == nil)
        // …and a new revision keeps it as the revision it replaces has it.
        let input = ECSTaskDefinitionProvider.containerInput(app, keeping: liveContainer)
        #expect(input["mountPoints"] == liveContainer["mountPoints"] && input["ulimits"] == liveContainer["ulimits"])
        #expect(ECSTaskDefinitionProvider.containerInput(app)["mountPoints"] == nil)

        let attributes: [String: JSON] = [
            "family": "web", "cpu": 256, "memory": 512, "networkMode": "awsvpc", "requiresCompatibilities": ["FARGATE"], "executionRoleArn": nil,
            "taskRoleArn": nil, "containers": [app], "tags": [:],
            "unmodeled": ["task": .object(task), "containers": [.object(container)]],
        ]
        let declared = GenerateTesting.declare(
            ECSTaskDefinition.typeName, Observed(id: Self.definitionARN, attributes: attributes, outputs: [:]), as: "web")
        #expect(declared.argument("containers") == #"[.init(name: "app", image: "nginx:1", portMappings: [.init(containerPort: 80)])]"#)
        #expect(
            Set(declared.unexpressed.keys) == [
                "runtimePlatform", "volumes", "containers.app.mountPoints", "containers.app.entryPoint", "containers.app.ulimits",
                "containers.app.logConfiguration",
            ])
        #expect(declared.unexpressed["containers.app.mountPoints"] == "ECSTaskDefinition does not model it; an apply keeps it as it is")
        // The log configuration is an attribute: its drift is ignored, so that apply keeps AWS's.
        #expect(declared.ignoredDrift == ["containers[0].logConfiguration"])
        #expect(declared.unexpressed["containers.app.logConfiguration"]?.contains("splunk-ish") == true)
    }
}
