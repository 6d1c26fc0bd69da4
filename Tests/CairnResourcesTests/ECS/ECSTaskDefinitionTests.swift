import CairnAWS
import CairnJSON
import TestSupport
import Testing

@testable import CairnEngine
@testable import CairnResources

@Suite struct ECSTaskDefinitionTests {
    static func describe(_ moto: MotoServer, _ id: String) async throws -> JSONValue {
        try await moto.awsJSON(["ecs", "describe-task-definition", "--task-definition", id, "--include", "TAGS"])
    }

    @Test(.integration) func registerReadReviseRetireDeleteAgainstMoto() async throws {
        let (client, moto) = try await ProviderTesting.client()
        let provider = ECSTaskDefinitionProvider(client: client)
        #expect(provider.replaceOnChange.isEmpty)
        let family = ProviderTesting.uniqueName("app")

        // The resources the definition refers to, created for real.
        let execution = IAMRole("execution", name: Input("\(family)-exec"), assumeRolePolicy: .trust(.service("ecs-tasks.amazonaws.com")))
        let taskRole = IAMRole("task", name: Input("\(family)-task"), assumeRolePolicy: .trust(.service("ecs-tasks.amazonaws.com")))
        let repository = ECRRepository("app", name: Input(family))
        let logGroup = LogGroup("app", name: Input("/ecs/\(family)"), retentionInDays: 7)
        let roles = IAMRoleProvider(client: client)
        let repositories = ECRRepositoryProvider(client: client)
        let logs = LogGroupProvider(client: client)
        var outputs: [String: [String: JSON]] = [:]
        outputs[execution.address] = try await roles.create(ProviderTesting.attributes(of: execution)).outputs
        outputs[taskRole.address] = try await roles.create(ProviderTesting.attributes(of: taskRole)).outputs
        outputs[repository.address] = try await repositories.create(ProviderTesting.attributes(of: repository)).outputs
        outputs[logGroup.address] = try await logs.create(ProviderTesting.attributes(of: logGroup)).outputs
        let executionArn = try #require(outputs[execution.address]?["arn"]?.stringValue)
        let uri = try #require(outputs[repository.address]?["uri"]?.stringValue)

        var definition = ECSTaskDefinition(
            "app", family: Input(family), cpu: 512, memory: 1024,
            executionRoleArn: execution.arn.input, taskRoleArn: taskRole.arn.input,
            containers: [
                .init(
                    name: "web", image: "\(repository.uri):latest", cpu: 256, memory: 768, memoryReservation: 512,
                    portMappings: [.init(containerPort: 8080), .init(containerPort: 8125, protocol: .udp)],
                    environment: ["STAGE": "test", "LOG_GROUP": "\(logGroup.logGroupName)"],
                    secrets: [
                        "DB_PASSWORD": "arn:aws:ssm:us-east-1:123456789012:parameter/app/db-password",
                        "API_KEY": "arn:aws:secretsmanager:us-east-1:123456789012:secret:api-key-AbCdEf",
                    ],
                    logConfiguration: .awslogs(group: logGroup.logGroupName.input, region: "us-east-1", streamPrefix: "web"),
                    healthCheck: .init(
                        command: ["CMD-SHELL", "curl -f http://localhost:8080/health || exit 1"], interval: 15, retries: 5, startPeriod: 30),
                    command: ["./serve", "--port", "8080"]),
                .init(
                    name: "sidecar", image: "public.ecr.aws/aws-observability/aws-otel-collector:v0.40.0", essential: false,
                    healthCheck: .init(command: ["CMD", "/healthcheck"])),
            ], tags: ["team": "invoices"])
        #expect(definition.validate().isEmpty)
        #expect(definition.dependencies == Set([execution.address, taskRole.address, repository.address, logGroup.address]))
        let declared = LinkedResourceTesting.attributes(of: definition, outputs: outputs)
        #expect(declared["networkMode"] == "awsvpc")
        #expect(declared["requiresCompatibilities"] == ["FARGATE"])
        #expect(
            declared["containers"]?[0]?["portMappings"] == [
                ["containerPort": 8080, "hostPort": 8080, "protocol": "tcp"], ["containerPort": 8125, "hostPort": 8125, "protocol": "udp"],
            ])
        #expect(provider.physicalID(for: declared) == family)

        let created = try await provider.create(declared)
        let firstArn = created.id
        #expect(firstArn == "arn:aws:ecs:us-east-1:123456789012:task-definition/\(family):1")
        #expect(created.outputs == ["arn": .string(firstArn), "family": .string(family), "revision": 1])

        let live = try await Self.describe(moto, firstArn)
        let registered = live["taskDefinition"]
        #expect(registered["status"] == "ACTIVE")
        #expect(registered["cpu"] == "512")
        #expect(registered["memory"] == "1024")
        #expect(registered["networkMode"] == "awsvpc")
        #expect(registered["requiresCompatibilities"] == ["FARGATE"])
        #expect(registered["executionRoleArn"].string == executionArn)
        #expect(registered["taskRoleArn"].string == outputs[taskRole.address]?["arn"]?.stringValue)
        let web = registered["containerDefinitions"][0]
        #expect(web["name"] == "web")
        #expect(web["image"].string == "\(uri):latest")
        #expect(web["memory"] == 768)
        #expect(web["memoryReservation"] == 512)
        #expect(web["portMappings"][1]["protocol"] == "udp")
        #expect(web["environment"] == [["name": "LOG_GROUP", "value": .string("/ecs/\(family)")], ["name": "STAGE", "value": "test"]])
        #expect(web["secrets"][1] == ["name": "DB_PASSWORD", "valueFrom": "arn:aws:ssm:us-east-1:123456789012:parameter/app/db-password"])
        #expect(
            web["logConfiguration"] == [
                "logDriver": "awslogs",
                "options": [
                    "awslogs-group": .string("/ecs/\(family)"), "awslogs-region": "us-east-1", "awslogs-stream-prefix": "web",
                ],
            ])
        #expect(web["healthCheck"]["startPeriod"] == 30)
        #expect(web["command"] == ["./serve", "--port", "8080"])
        #expect(registered["containerDefinitions"][1]["essential"] == false)
        #expect(live["tags"] == [["key": "team", "value": "invoices"]])

        // Read right after create equals the declaration; so does an import by family alone.
        let read = try #require(try await provider.read(id: firstArn, prior: declared))
        #expect(read.attributes == declared)
        #expect(read.outputs == created.outputs)
        let imported = try #require(try await provider.read(id: family, prior: [:]))
        #expect(imported.id == firstArn)
        #expect(imported.attributes == declared)

        // A change registers revision 2; revision 1 stays active until the engine retires it.
        definition.containers[0].environment["STAGE"] = "prod"
        definition.containers[0].image = "\(repository.uri):v2"
        let revised = LinkedResourceTesting.attributes(of: definition, outputs: outputs)
        let second = try await provider.update(id: firstArn, from: declared, to: revised)
        #expect(second.id == "arn:aws:ecs:us-east-1:123456789012:task-definition/\(family):2")
        #expect(second.outputs["revision"] == 2)
        #expect(try await Self.describe(moto, firstArn)["taskDefinition"]["status"] == "ACTIVE")
        #expect(try await Self.describe(moto, second.id)["taskDefinition"]["containerDefinitions"][0]["image"].string == "\(uri):v2")
        #expect(try await provider.read(id: second.id, prior: revised)?.attributes == revised)
        #expect(try await provider.read(id: family, prior: [:])?.id == second.id)

        try await provider.retire(id: firstArn, attributes: declared)
        #expect(try await Self.describe(moto, firstArn)["taskDefinition"]["status"] == "INACTIVE")
        #expect(try await provider.read(id: firstArn, prior: declared) == nil)
        try await provider.retire(id: firstArn, attributes: declared)  // retiring twice is harmless

        // Tags alone change in place: no new revision.
        definition.tags = ["team": "billing", "env": "dev"]
        let retagged = LinkedResourceTesting.attributes(of: definition, outputs: outputs)
        let sameRevision = try await provider.update(id: second.id, from: revised, to: retagged)
        #expect(sameRevision.id == second.id)
        #expect(sameRevision.outputs["revision"] == 2)
        let tags = try await moto.awsJSON(["ecs", "list-tags-for-resource", "--resource-arn", second.id])["tags"].array ?? []
        let tagSet = Set(tags.map { tag -> String in "\(tag["key"].string ?? "")=\(tag["value"].string ?? "")" })
        #expect(tagSet == ["team=billing", "env=dev"])
        #expect(try await provider.read(id: second.id, prior: retagged)?.attributes == retagged)

        try await provider.delete(id: second.id, attributes: retagged)
        #expect(try await Self.describe(moto, second.id)["taskDefinition"]["status"] == "INACTIVE")
        #expect(try await provider.read(id: second.id, prior: retagged) == nil)
        try await provider.delete(id: second.id, attributes: [:])  // deleting what is gone is not an error
        try await provider.delete(id: "arn:aws:ecs:us-east-1:123456789012:task-definition/\(family):99", attributes: [:])

        try await logs.delete(id: "/ecs/\(family)", attributes: [:])
        try await repositories.delete(id: family, attributes: ["forceDestroy": true])
        try await roles.delete(id: "\(family)-exec", attributes: [:])
        try await roles.delete(id: "\(family)-task", attributes: [:])
    }

    @Test func bridgeModeDefaultsForEC2() {
        let definition = ECSTaskDefinition(
            "ec2", family: "worker", requiresCompatibilities: [.ec2],
            containers: [
                .init(
                    name: "worker", image: "busybox", memory: 128, portMappings: [.init(containerPort: 80), .init(containerPort: 81, hostPort: 8081)])
            ])
        #expect(definition.validate().isEmpty)
        let attributes = ProviderTesting.attributes(of: definition)
        #expect(attributes["networkMode"] == "bridge")
        #expect(
            attributes["containers"]?[0]?["portMappings"] == [
                ["containerPort": 80, "hostPort": 0, "protocol": "tcp"], ["containerPort": 81, "hostPort": 8081, "protocol": "tcp"],
            ])
        // What RegisterTaskDefinition gets: no hostPort for a dynamic port, no startPeriod when off.
        let input = ECSTaskDefinitionProvider.containerInput(attributes["containers"]![0]!)
        #expect(input["portMappings"] == [["containerPort": 80, "protocol": "tcp"], ["containerPort": 81, "hostPort": 8081, "protocol": "tcp"]])
        // And what ECS answers (without the defaults it fills in) reads back as declared.
        let live: JSON = [
            "name": "worker", "image": "busybox", "memory": 128, "portMappings": [["containerPort": 80], ["containerPort": 81, "hostPort": 8081]],
        ]
        #expect(ECSTaskDefinitionProvider.container(live, staticPorts: false) == attributes["containers"]![0]!)
    }

    @Test func validationNamesTheAttribute() {
        func attributes(_ definition: ECSTaskDefinition) -> [String] { definition.validate().compactMap(\.attribute) }
        let web = ECSTaskDefinition.Container(name: "web", image: "nginx")

        #expect(attributes(ECSTaskDefinition("a", family: "app", cpu: 256, memory: 4096, containers: [web])) == ["memory"])
        #expect(attributes(ECSTaskDefinition("a", family: "app", cpu: 300, memory: 1024, containers: [web])) == ["cpu"])
        #expect(attributes(ECSTaskDefinition("a", family: "app", containers: [web])) == ["cpu", "memory"])
        let issue = ECSTaskDefinition("bad", family: "app", cpu: 1024, memory: 1024, containers: [web]).validate().first
        #expect(issue?.address == "aws_ecs_task_definition.bad")
        #expect(issue?.message.contains("2048") == true)
        // Every combination of the Fargate table is accepted, and each step beside it refused.
        for size in ECSTaskDefinition.fargateSizes {
            for memory in size.memory {
                #expect(attributes(ECSTaskDefinition("a", family: "app", cpu: size.cpu, memory: memory, containers: [web])).isEmpty)
            }
            #expect(
                attributes(ECSTaskDefinition("a", family: "app", cpu: size.cpu, memory: size.memory.last! + 1024, containers: [web])) == ["memory"])
        }
        #expect(attributes(ECSTaskDefinition("a", family: "app", cpu: 8192, memory: 17408, containers: [web])) == ["memory"])

        #expect(attributes(ECSTaskDefinition("a", family: "app", cpu: 256, memory: 512, networkMode: .bridge, containers: [web])) == ["networkMode"])
        #expect(attributes(ECSTaskDefinition("a", family: "bad family", cpu: 256, memory: 512, containers: [web])) == ["family"])
        #expect(attributes(ECSTaskDefinition("a", family: "app", cpu: 256, memory: 512, containers: [])) == ["containers"])
        let secret = ECSTaskDefinition.Container(name: "web", image: "nginx", secrets: ["KEY": "arn:aws:ssm:us-east-1:123456789012:parameter/k"])
        #expect(attributes(ECSTaskDefinition("a", family: "app", cpu: 256, memory: 512, containers: [secret])) == ["executionRoleArn"])
        let logged = ECSTaskDefinition.Container(name: "web", image: "nginx", logConfiguration: .awslogs(group: "g", region: "us-east-1"))
        #expect(
            attributes(
                ECSTaskDefinition(
                    "a", family: "app", cpu: 256, memory: 512, executionRoleArn: "arn:aws:iam::123456789012:role/x",
                    containers: [logged])) == ["containers[0].logConfiguration.awslogs-stream-prefix"])
        let checked = ECSTaskDefinition.Container(
            name: "web", image: "nginx", portMappings: [.init(containerPort: 80, hostPort: 8080)],
            healthCheck: .init(command: ["curl"], timeout: 100))
        #expect(
            attributes(ECSTaskDefinition("a", family: "app", cpu: 256, memory: 512, containers: [checked, web])) == [
                "containers[0].portMappings[0].hostPort", "containers[0].healthCheck.command", "containers[0].healthCheck.timeout",
                "containers[1].name",
            ])
        let noMemory = ECSTaskDefinition("a", family: "app", requiresCompatibilities: [.ec2], containers: [web])
        #expect(attributes(noMemory) == ["containers[0].memory"])
    }
}

/// RegisterTaskDefinition makes a revision each time, so after a lost answer (here a 500, which the client does not
/// repeat for it) the provider looks at the family instead of registering blindly again.
@Suite struct ECSTaskDefinitionLostAnswerTests {
    static let declared: [String: JSON] = [
        "family": "web", "networkMode": "awsvpc", "containers": [], "tags": ["cairn:state": "lineage-1"],
    ]

    static func revision(_ number: Int, tags: String) -> String {
        #"{"taskDefinition": {"taskDefinitionArn": "arn:aws:ecs:us-east-1:123456789012:task-definition/web:\#(number)", "family": "web", "revision": \#(number), "status": "ACTIVE"}, "tags": \#(tags)}"#
    }

    /// ECS answers Describe with revision 3 until a register has been carried out (and `lag` more describes have
    /// passed: eventual consistency), then with 4.
    static func transport(registerCarriedOut: Bool, lag: Int = 0) -> (ScriptedTransport, Locked<Int>) {
        let stale = Countdown(lag)
        let registers = Locked(0)
        let transport = ScriptedTransport(status: { operation in
            switch operation {
            case "RegisterTaskDefinition":
                let count = registers.withLock { count -> Int in
                    count += 1
                    return count
                }
                if count == 1 { return (500, #"{"__type": "ServerException", "message": "internal error"}"#) }
                return (200, revision(4, tags: #"[{"key": "cairn:state", "value": "lineage-1"}]"#))
            case "DescribeTaskDefinition":
                // The first `lag` describes after the register still see revision 3.
                let made = registerCarriedOut ? registers.current >= 1 && !stale.next() : registers.current >= 2
                return (200, made ? revision(4, tags: #"[{"key": "cairn:state", "value": "lineage-1"}]"#) : revision(3, tags: "[]"))
            default: return (200, "{}")
            }
        })
        return (transport, registers)
    }

    @Test func aRevisionRegisteredDespiteTheErrorIsTakenNotRegisteredTwice() async throws {
        let (transport, registers) = Self.transport(registerCarriedOut: true)
        let provider = ECSTaskDefinitionProvider(client: AWSClient.scripted(transport, clock: SteppingClock()))
        let applied = try await provider.create(Self.declared)
        #expect(applied.id == "arn:aws:ecs:us-east-1:123456789012:task-definition/web:4")
        #expect(registers.current == 1)
    }

    /// ECS shows the revision a few seconds late: it is waited for on the client's clock, not registered again.
    @Test func aRevisionShownLateIsWaitedForNotRegisteredTwice() async throws {
        let (transport, registers) = Self.transport(registerCarriedOut: true, lag: 2)
        let clock = SteppingClock()
        let provider = ECSTaskDefinitionProvider(client: AWSClient.scripted(transport, clock: clock))
        let applied = try await provider.create(Self.declared)
        #expect(applied.id == "arn:aws:ecs:us-east-1:123456789012:task-definition/web:4")
        #expect(registers.current == 1)
        #expect(clock.slept == .seconds(6))
    }

    @Test func aRegisterThatDidNotHappenIsSentOnceMore() async throws {
        let (transport, registers) = Self.transport(registerCarriedOut: false)
        let provider = ECSTaskDefinitionProvider(client: AWSClient.scripted(transport, clock: SteppingClock()))
        let applied = try await provider.create(Self.declared)
        #expect(applied.id == "arn:aws:ecs:us-east-1:123456789012:task-definition/web:4")
        #expect(registers.current == 2)
    }
}

/// The Swift `cairn generate` writes for a task definition.
@Suite struct ECSTaskDefinitionGenerateTests {
    /// Network mode `none` is written so that Swift cannot read it as an absent optional (the default mode).
    @Test func networkModeNoneIsSpelledOut() {
        let provider = ECSTaskDefinitionProvider(client: AWSClient.scripted(ScriptedTransport(status: { _ in (200, "{}") }), clock: SteppingClock()))
        let live = Observed(
            id: "arn:aws:ecs:us-east-1:123456789012:task-definition/batch:1",
            attributes: ["family": "batch", "networkMode": "none", "requiresCompatibilities": ["EC2"], "containers": []], outputs: [:])
        let arguments = provider.swiftArguments(live, in: SwiftContext(stackTags: [:]))
        #expect(arguments.first { $0.label == "networkMode" }?.expression == "ECSTaskDefinition.NetworkMode.none", "\(arguments)")
    }
}
