import CairnAWS
import CairnEngine
import CairnJSON
import TestSupport
import Testing

@testable import CairnResources

@Suite struct ECSServiceTests {
    /// A cluster, a Fargate task definition and the default VPC's look-ups, for a service to run in.
    struct Fixture {
        let client: AWSClient
        let moto: MotoServer
        let cluster: ECSCluster
        let definition: ECSTaskDefinition
        let vpc = DefaultVPC("default")
        let subnets: DefaultSubnets
        let defaultGroup: DefaultSecurityGroup
        var outputs: [String: [String: JSON]]
        let clusterName: String
        var definitionArn: String

        static func make() async throws -> Fixture {
            let (client, moto) = try await ProviderTesting.client()
            let clusterName = ProviderTesting.uniqueName("cluster")
            let cluster = ECSCluster("main", name: Input(clusterName), tags: ["team": "web"])
            let definition = ECSTaskDefinition(
                "web", family: Input(ProviderTesting.uniqueName("web")), cpu: 256, memory: 512,
                containers: [
                    .init(name: "web", image: "public.ecr.aws/nginx/nginx:1.27", portMappings: [.init(containerPort: 80)])
                ])
            let vpc = DefaultVPC("default")
            let subnets = DefaultSubnets("default", vpcId: vpc.id.input)
            let defaultGroup = DefaultSecurityGroup("default", vpcId: vpc.id.input)
            var outputs: [String: [String: JSON]] = [:]
            outputs[vpc.address] = try await DefaultVPCProvider(client: client).lookup([:])
            outputs[subnets.address] = try await DefaultSubnetsProvider(client: client).lookup(
                LinkedResourceTesting.attributes(of: subnets, outputs: outputs))
            outputs[defaultGroup.address] = try await DefaultSecurityGroupProvider(client: client)
                .lookup(LinkedResourceTesting.attributes(of: defaultGroup, outputs: outputs))
            outputs[cluster.address] = try await ECSClusterProvider(client: client).create(ProviderTesting.attributes(of: cluster)).outputs
            let registered = try await ECSTaskDefinitionProvider(client: client).create(ProviderTesting.attributes(of: definition))
            outputs[definition.address] = registered.outputs
            return Fixture(
                client: client, moto: moto, cluster: cluster, definition: definition, subnets: subnets, defaultGroup: defaultGroup,
                outputs: outputs, clusterName: clusterName, definitionArn: registered.id)
        }

        /// A service of no tasks in the cluster, on the default subnets with the default security group.
        func idleService(_ logicalName: String, name: String) -> ECSService {
            ECSService(
                logicalName, name: Input(name), cluster: cluster.clusterName.input, taskDefinition: definition.arn.input, desiredCount: 0,
                networkConfiguration: .init(subnets: .all(subnets.ids), securityGroups: [defaultGroup.id.input]))
        }

        func resolve(_ declaration: some ResourceDeclaration) -> [String: JSON] {
            LinkedResourceTesting.attributes(of: declaration, outputs: outputs)
        }

        var subnetIds: [String] { outputs[subnets.address]?["ids"]?.arrayValue?.compactMap(\.stringValue) ?? [] }
        var defaultGroupId: String { outputs[defaultGroup.address]?["id"]?.stringValue ?? "" }

        func tearDown() async throws {
            try await ECSTaskDefinitionProvider(client: client).delete(id: definitionArn, attributes: [:])
            try await ECSClusterProvider(client: client).delete(id: clusterName, attributes: [:])
        }
    }

    static func describe(_ moto: MotoServer, cluster: String, service: String) async throws -> JSONValue {
        try await moto.awsJSON(["ecs", "describe-services", "--cluster", cluster, "--services", service, "--include", "TAGS"])["services"][0]
    }

    static let targetGroup = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web/0123456789abcdef"

    @Test(.integration) func createReadUpdateDeleteAgainstMoto() async throws {
        var fixture = try await Fixture.make()
        let moto = fixture.moto
        let provider = ECSServiceProvider(client: fixture.client)
        #expect(provider.replaceOnChange == ["name", "cluster", "launchType"])
        let name = ProviderTesting.uniqueName("web")
        var service = ECSService(
            "web", name: Input(name), cluster: fixture.cluster.clusterName.input, taskDefinition: fixture.definition.arn.input,
            desiredCount: 2,
            networkConfiguration: .init(
                subnets: .all(fixture.subnets.ids), securityGroups: [fixture.defaultGroup.id.input],
                assignPublicIp: .enabled),
            loadBalancers: [.init(targetGroupArn: Input(Self.targetGroup), containerName: "web", containerPort: 80)],
            tags: ["team": "web"], options: ResourceOptions(ignoreDrift: ["desiredCount"]))
        #expect(service.validate().isEmpty)
        #expect(
            service.dependencies == Set([fixture.cluster.address, fixture.definition.address, fixture.subnets.address, fixture.defaultGroup.address]))
        let declared = fixture.resolve(service)
        #expect(declared["networkConfiguration"]?["subnets"] == .array(fixture.subnetIds.map { .string($0) }))
        #expect(
            declared["deploymentConfiguration"] == [
                "minimumHealthyPercent": 100, "maximumPercent": 200, "deploymentCircuitBreaker": ["enable": false, "rollback": false],
            ])
        #expect(provider.physicalID(for: declared) == "\(fixture.clusterName)/\(name)")

        let created = try await provider.create(declared)
        #expect(created.id == "\(fixture.clusterName)/\(name)")
        #expect(created.outputs["arn"] == .string("arn:aws:ecs:us-east-1:123456789012:service/\(fixture.clusterName)/\(name)"))
        #expect(created.outputs["name"] == .string(name))

        let live = try await Self.describe(moto, cluster: fixture.clusterName, service: name)
        #expect(live["status"] == "ACTIVE")
        #expect(live["desiredCount"] == 2)
        #expect(live["launchType"] == "FARGATE")
        #expect(live["taskDefinition"].string == fixture.definitionArn)
        #expect(live["networkConfiguration"]["awsvpcConfiguration"]["subnets"] == .array(fixture.subnetIds.map { .string($0) }))
        #expect(live["networkConfiguration"]["awsvpcConfiguration"]["securityGroups"] == .array([.string(fixture.defaultGroupId)]))
        #expect(live["networkConfiguration"]["awsvpcConfiguration"]["assignPublicIp"] == "ENABLED")
        #expect(live["loadBalancers"] == [["targetGroupArn": .string(Self.targetGroup), "containerName": "web", "containerPort": 80]])
        #expect(live["tags"] == [["key": "team", "value": "web"]])

        // Read right after create equals the declaration; so does an import by the service ARN alone.
        let read = try #require(try await provider.read(id: created.id, prior: declared))
        #expect(read.attributes == declared)
        #expect(read.outputs == created.outputs)
        let imported = try #require(try await provider.read(id: created.outputs["arn"]!.stringValue!, prior: [:]))
        #expect(imported.id == created.id)
        #expect(imported.attributes == declared)

        // A new task definition revision, a new count, deployment settings, no load balancer, other tags.
        let revisions = ECSTaskDefinitionProvider(client: fixture.client)
        var definition = fixture.definition
        definition.containers[0].image = "public.ecr.aws/nginx/nginx:1.28"
        let oldDefinition = fixture.definitionArn
        let revised = try await revisions.update(
            id: oldDefinition, from: ProviderTesting.attributes(of: fixture.definition),
            to: ProviderTesting.attributes(of: definition))
        fixture.outputs[fixture.definition.address] = revised.outputs
        fixture.definitionArn = revised.id
        service.desiredCount = 3
        service.deploymentConfiguration = .init(minimumHealthyPercent: 50, maximumPercent: 150, circuitBreaker: .init(enable: true, rollback: true))
        service.loadBalancers = []
        service.tags = ["team": "platform", "env": "dev"]
        let desired = fixture.resolve(service)
        #expect(desired["taskDefinition"] == .string(revised.id))
        let updated = try await provider.update(id: created.id, from: declared, to: desired)
        #expect(updated.id == created.id)
        #expect(updated.outputs == created.outputs)
        let afterUpdate = try await Self.describe(moto, cluster: fixture.clusterName, service: name)
        #expect(afterUpdate["desiredCount"] == 3)
        #expect(afterUpdate["taskDefinition"].string == revised.id)
        #expect(
            afterUpdate["deploymentConfiguration"] == [
                "minimumHealthyPercent": 50, "maximumPercent": 150, "deploymentCircuitBreaker": ["enable": true, "rollback": true],
            ])
        #expect(afterUpdate["loadBalancers"] == [])
        let tags = Set((afterUpdate["tags"].array ?? []).map { "\($0["key"].string ?? "")=\($0["value"].string ?? "")" })
        #expect(tags == ["team=platform", "env=dev"])
        #expect(try await provider.read(id: created.id, prior: desired)?.attributes == desired)

        // The engine retires the old revision once the service runs the new one.
        try await revisions.retire(id: oldDefinition, attributes: [:])
        #expect(
            try await moto.awsJSON(["ecs", "describe-task-definition", "--task-definition", oldDefinition])["taskDefinition"]["status"] == "INACTIVE")

        try await provider.delete(id: created.id, attributes: desired)
        let deleted = try await Self.describe(moto, cluster: fixture.clusterName, service: name)
        #expect(deleted["status"] == "INACTIVE")
        #expect(deleted["desiredCount"] == 0)
        #expect(try await provider.read(id: created.id, prior: desired) == nil)
        try await provider.delete(id: created.id, attributes: [:])  // deleting what is gone is not an error
        try await provider.delete(id: "no-such-cluster-\(name)/\(name)", attributes: [:])

        try await fixture.tearDown()
    }

    /// Deployment alarms (seed 004: fail and roll back a deployment when an alarm fires) set by an update, changed,
    /// turned off out of band, and removed: each read back as the aws CLI sees it. moto 5.2.1 alone returns no
    /// deploymentConfiguration until an UpdateService sets one; scripts/moto-server keeps what CreateService is given,
    /// as AWS does, so the service created without alarms reads back as declared before the update sets them.
    @Test(.integration) func deploymentAlarmsThroughAnUpdate() async throws {
        let fixture = try await Fixture.make()
        let moto = fixture.moto
        let provider = ECSServiceProvider(client: fixture.client)
        let name = ProviderTesting.uniqueName("backend-service")
        var service = fixture.idleService("backend", name: name)
        let declared = fixture.resolve(service)
        #expect(declared["deploymentConfiguration"]?["alarms"] == nil)
        let created = try await provider.create(declared)
        #expect(try await provider.read(id: created.id, prior: declared)?.attributes == declared)

        service.deploymentConfiguration = .init(
            circuitBreaker: .init(enable: true, rollback: true),
            alarms: .init(alarmNames: ["backend-build-duration", "backend-errors"], rollback: true))
        #expect(service.validate().isEmpty)
        let alarmed = fixture.resolve(service)
        #expect(
            alarmed["deploymentConfiguration"]?["alarms"] == [
                "alarmNames": ["backend-build-duration", "backend-errors"], "enable": true, "rollback": true,
            ])
        _ = try await provider.update(id: created.id, from: declared, to: alarmed)
        let live = try await Self.describe(moto, cluster: fixture.clusterName, service: name)
        #expect(live["deploymentConfiguration"]["alarms"]["enable"].bool == true)
        #expect(live["deploymentConfiguration"]["alarms"]["rollback"].bool == true)
        #expect(
            Set((live["deploymentConfiguration"]["alarms"]["alarmNames"].array ?? []).compactMap(\.string)) == [
                "backend-build-duration", "backend-errors",
            ])
        #expect(try await provider.read(id: created.id, prior: alarmed)?.attributes == alarmed)

        // Turned off outside Cairn: drift, and the apply turns them back on.
        _ = try await moto.awsJSON([
            "ecs", "update-service", "--cluster", fixture.clusterName, "--service", name, "--deployment-configuration",
            #"{"maximumPercent": 200, "minimumHealthyPercent": 100, "deploymentCircuitBreaker": {"enable": true, "rollback": true}, "alarms": {"alarmNames": ["backend-errors"], "enable": false, "rollback": false}}"#,
        ])
        let drifted = try #require(try await provider.read(id: created.id, prior: alarmed)).attributes
        #expect(
            AttributeDiff.changes(from: drifted, to: alarmed).map(\.path).sorted() == [
                "deploymentConfiguration.alarms.alarmNames", "deploymentConfiguration.alarms.enable", "deploymentConfiguration.alarms.rollback",
            ])
        _ = try await provider.update(id: created.id, from: drifted, to: alarmed)
        #expect(try await provider.read(id: created.id, prior: alarmed)?.attributes == alarmed)

        // Removed from the declaration: UpdateService turns them off, and the service reads back without them.
        service.deploymentConfiguration.alarms = nil
        let plain = fixture.resolve(service)
        _ = try await provider.update(id: created.id, from: alarmed, to: plain)
        let off = try await Self.describe(moto, cluster: fixture.clusterName, service: name)
        #expect(off["deploymentConfiguration"]["alarms"] == ["alarmNames": [], "enable": false, "rollback": false])
        #expect(try await provider.read(id: created.id, prior: plain)?.attributes == plain)

        try await provider.delete(id: created.id, attributes: plain)
        try await fixture.tearDown()
    }

    @Test(.integration) func unmanagedServicesInAManagedClusterAreFound() async throws {
        let fixture = try await Fixture.make()
        let moto = fixture.moto
        let provider = ECSServiceProvider(client: fixture.client)
        let managedName = ProviderTesting.uniqueName("managed")
        let service = fixture.idleService("managed", name: managedName)
        let declared = fixture.resolve(service)
        let created = try await provider.create(declared)

        // One made by hand with the aws CLI, and one made and deleted (moto still lists inactive services).
        let handmade = ProviderTesting.uniqueName("handmade")
        let gone = ProviderTesting.uniqueName("gone")
        for name in [handmade, gone] {
            _ = try await moto.awsJSON([
                "ecs", "create-service", "--cluster", fixture.clusterName, "--service-name", name,
                "--task-definition", fixture.definitionArn, "--desired-count", "0", "--launch-type", "FARGATE",
                "--network-configuration",
                "awsvpcConfiguration={subnets=[\(fixture.subnetIds[0])],securityGroups=[\(fixture.defaultGroupId)]}",
            ])
        }
        _ = try await moto.awsJSON(["ecs", "delete-service", "--cluster", fixture.clusterName, "--service", gone])

        let records = [
            RecordedResource(
                address: fixture.cluster.address, type: ECSCluster.typeName, id: fixture.clusterName,
                attributes: ProviderTesting.attributes(of: fixture.cluster), outputs: fixture.outputs[fixture.cluster.address] ?? [:],
                dependencies: []),
            RecordedResource(
                address: service.address, type: ECSService.typeName, id: created.id, attributes: declared, outputs: created.outputs,
                dependencies: [fixture.cluster.address]),
        ]
        let cluster = ECSClusterProvider(client: fixture.client)
        let found = try await cluster.unmanaged(managed: records, stack: "web", environment: "default")
        #expect(
            found == [
                DriftedResource(
                    address: "aws_ecs_service[\"\(handmade)\"]", type: "aws_ecs_service",
                    id: "\(fixture.clusterName)/\(handmade)", status: .unmanaged)
            ])
        // The id reported is one `read` takes, for an import.
        let importable = try #require(try await provider.read(id: found[0].id, prior: [:]))
        #expect(importable.attributes["name"] == .string(handmade))
        // The drift detector asks every provider that discovers.
        #expect((cluster as Any) is any UnmanagedDiscovery)

        try await provider.delete(id: created.id, attributes: declared)
        try await provider.delete(id: found[0].id, attributes: [:])
        #expect(try await cluster.unmanaged(managed: records, stack: "web", environment: "default").isEmpty)
        try await fixture.tearDown()
    }

    @Test func capacityProviderStrategyAttributes() {
        let service = ECSService(
            "spot", name: "web", cluster: "main", taskDefinition: "arn:aws:ecs:us-east-1:123456789012:task-definition/web:3",
            compute: .capacityProviderStrategy([.init("FARGATE", base: 1), .init("FARGATE_SPOT", weight: 3)]),
            networkConfiguration: .init(subnets: ["subnet-b", "subnet-a"], securityGroups: ["sg-1"]))
        #expect(service.validate().isEmpty)
        let attributes = ProviderTesting.attributes(of: service)
        #expect(attributes["launchType"] == .null)
        #expect(
            attributes["capacityProviderStrategy"] == [
                ["capacityProvider": "FARGATE", "weight": 1, "base": 1], ["capacityProvider": "FARGATE_SPOT", "weight": 3, "base": 0],
            ])
        #expect(
            attributes["networkConfiguration"] == ["subnets": ["subnet-a", "subnet-b"], "securityGroups": ["sg-1"], "assignPublicIp": "DISABLED"])
        #expect(
            ECSServiceProvider.networkInput(attributes["networkConfiguration"]) == [
                "awsvpcConfiguration": ["subnets": ["subnet-a", "subnet-b"], "securityGroups": ["sg-1"], "assignPublicIp": "DISABLED"]
            ])
    }

    @Test func physicalIdsAndTheirForms() {
        #expect(ECSServiceProvider.locate("main/web", prior: [:]) == ("main", "web"))
        #expect(ECSServiceProvider.locate("arn:aws:ecs:us-east-1:123456789012:service/main/web", prior: [:]) == ("main", "web"))
        #expect(ECSServiceProvider.locate("arn:aws:ecs:us-east-1:123456789012:service/web", prior: ["cluster": "main"]) == ("main", "web"))
        #expect(
            ECSServiceProvider.locate("arn:aws:ecs:us-east-1:123456789012:cluster/main/web", prior: [:])
                == ("arn:aws:ecs:us-east-1:123456789012:cluster/main", "web"))
        #expect(ECSServiceProvider.clusterName("arn:aws:ecs:us-east-1:123456789012:cluster/main") == "main")
        let arn = "arn:aws:ecs:us-east-1:123456789012:task-definition/web:3"
        #expect(ECSServiceProvider.taskDefinition(arn, prior: "web:3") == "web:3")
        #expect(ECSServiceProvider.taskDefinition(arn, prior: "web") == "web")
        #expect(ECSServiceProvider.taskDefinition(arn, prior: "web:2") == .string(arn))
        #expect(
            ECSServiceProvider(client: ECSServiceTests.client).physicalID(for: [
                "cluster": "arn:aws:ecs:us-east-1:123456789012:cluster/main", "name": "web",
            ])
                == "main/web")
    }

    static let client = AWSClient(region: "us-east-1", credentials: AnonymousCredentialProvider())

    @Test func validationNamesTheAttribute() {
        func attributes(_ service: ECSService) -> [String] { service.validate().compactMap(\.attribute) }
        let base = ECSService("bad", name: "web", cluster: "main", taskDefinition: "web:1")
        #expect(attributes(base).isEmpty)
        var bad = base
        bad.name = "no spaces"
        bad.desiredCount = -1
        bad.deploymentConfiguration = .init(minimumHealthyPercent: 150, maximumPercent: 50, circuitBreaker: .init(enable: false, rollback: true))
        bad.networkConfiguration = .init(subnets: [], securityGroups: ["sg-1", "sg-2", "sg-3", "sg-4", "sg-5", "sg-6"])
        bad.loadBalancers = [.init(targetGroupArn: "arn:aws:iam::123456789012:role/x", containerName: "web", containerPort: 0)]
        #expect(
            attributes(bad) == [
                "name", "desiredCount", "networkConfiguration.subnets", "networkConfiguration.securityGroups",
                "deploymentConfiguration.minimumHealthyPercent", "deploymentConfiguration.maximumPercent",
                "deploymentConfiguration.deploymentCircuitBreaker.rollback", "loadBalancers[0].containerPort", "loadBalancers[0].targetGroupArn",
            ])
        #expect(bad.validate().allSatisfy { $0.address == "aws_ecs_service.bad" })
        let strategy = ECSService(
            "s", name: "web", cluster: "main", taskDefinition: "web:1",
            compute: .capacityProviderStrategy([.init("FARGATE", weight: 0, base: 1), .init("FARGATE_SPOT", weight: 0, base: 2)]))
        #expect(attributes(strategy) == ["capacityProviderStrategy", "capacityProviderStrategy"])
        var alarms = base
        alarms.deploymentConfiguration.alarms = .init(alarmNames: [], rollback: true)
        #expect(attributes(alarms) == ["deploymentConfiguration.alarms.alarmNames"])
        alarms.deploymentConfiguration.alarms = .init(alarmNames: ["a", ""], enable: false, rollback: true)
        #expect(attributes(alarms) == ["deploymentConfiguration.alarms.rollback", "deploymentConfiguration.alarms.alarmNames[1]"])
        alarms.deploymentConfiguration.alarms = .init(alarmNames: ["errors"], enable: false)
        #expect(attributes(alarms).isEmpty)
    }

    /// Deployment alarms appear in the attribute only when declared (a service without them keeps the attribute it
    /// had); their literal names are sorted. Removing them sends ECS's "off" explicitly, since UpdateService without
    /// the member would keep them.
    @Test func deploymentAlarmsAttributesAndUpdates() async throws {
        var service = ECSService("web", name: "web", cluster: "main", taskDefinition: "web:1")
        #expect(
            ProviderTesting.attributes(of: service)["deploymentConfiguration"] == [
                "minimumHealthyPercent": 100, "maximumPercent": 200, "deploymentCircuitBreaker": ["enable": false, "rollback": false],
            ])
        let plain = ProviderTesting.attributes(of: service)
        service.deploymentConfiguration.alarms = .init(alarmNames: ["b", "a", "b"], rollback: true)
        let alarmed = ProviderTesting.attributes(of: service)
        #expect(alarmed["deploymentConfiguration"]?["alarms"] == ["alarmNames": ["a", "b"], "enable": true, "rollback": true])

        let transport = ScriptedTransport { _ in #"{"service": {"serviceArn": "arn:aws:ecs:us-east-1:123456789012:service/main/web"}}"# }
        let provider = ECSServiceProvider(client: .scripted(transport, clock: SteppingClock()))
        _ = try await provider.update(id: "main/web", from: plain, to: alarmed)
        _ = try await provider.update(id: "main/web", from: alarmed, to: plain)
        let bodies = try transport.bodies("UpdateService").compactMap { try JSON(parsing: $0)["deploymentConfiguration"]?["alarms"] }
        #expect(bodies == [["alarmNames": ["a", "b"], "enable": true, "rollback": true], ["alarmNames": [], "enable": false, "rollback": false]])

        // What ECS reports for a service without alarms reads as none; names keep the order last applied.
        #expect(ECSServiceProvider.observedAlarms(["alarmNames": [], "enable": false, "rollback": false], prior: nil) == nil)
        #expect(
            ECSServiceProvider.observedAlarms(["alarmNames": ["b", "a"], "enable": true, "rollback": false], prior: ["alarmNames": ["a", "b"]])
                == ["alarmNames": ["a", "b"], "enable": true, "rollback": false])
    }
}
