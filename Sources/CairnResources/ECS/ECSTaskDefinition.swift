import CairnAWS
import CairnEngine
import CairnJSON

/// An ECS task definition (`aws ecs register-task-definition`): the containers a task runs and the resources it has.
///
/// Task definitions are immutable: every change registers a new revision of the family, and the previous revision is
/// deregistered once the services using it have moved to the new one. The physical id is the revision's ARN
/// (`arn:aws:ecs:REGION:ACCOUNT:task-definition/FAMILY:REVISION`); `read` also takes `FAMILY` or `FAMILY:REVISION`
/// (the latest active revision, for import).
///
/// Attributes (as the state and plans show them):
/// - `family`: the family name.
/// - `cpu`, `memory`: task-level CPU units and MiB, as integers, or null.
/// - `networkMode`: `awsvpc`, `bridge`, `host` or `none`; by default `awsvpc` with Fargate, else `bridge` (AWS's default).
/// - `requiresCompatibilities`: sorted, e.g. `["FARGATE"]` (the default).
/// - `executionRoleArn`, `taskRoleArn`: ARNs or null.
/// - `containers`: in declaration order, each `{name, image, essential (true), cpu (0), memory, memoryReservation,
///   portMappings: [{containerPort, hostPort, protocol}], environment: {NAME: value}, secrets: {NAME: valueFrom},
///   logConfiguration: {logDriver, options} or null, healthCheck: {command, interval (30), timeout (5), retries (3),
///   startPeriod (0)} or null, command: [..] or null}`. A port mapping's `hostPort` is the container port with
///   `awsvpc` and `host`, and 0 (dynamic) with `bridge` when not given.
/// - `tags`: an object of strings (changed in place, without a new revision).
///
/// What the declaration does not model (a task's `volumes`, `runtimePlatform`, `ephemeralStorage`, …; a container's
/// `mountPoints`, `entryPoint`, `ulimits`, `dependsOn`, …) is kept by each new revision as the revision it replaces has it.
public struct ECSTaskDefinition: ResourceDeclaration {
    /// The type name in addresses and the state.
    public static let typeName = "aws_ecs_task_definition"

    /// The Docker networking mode of the task's containers.
    public enum NetworkMode: String, Sendable {
        case awsvpc, bridge, host, none
    }

    /// Where tasks of the definition may run; ECS checks the definition against each.
    public enum Compatibility: String, Sendable {
        case ec2 = "EC2"
        case fargate = "FARGATE"
        case external = "EXTERNAL"
        case managedInstances = "MANAGED_INSTANCES"
    }

    /// A port a container listens on.
    public struct PortMapping: Sendable {
        /// The transport protocol.
        public enum TransportProtocol: String, Sendable {
            case tcp, udp
        }

        /// The port in the container (1 to 65535).
        public var containerPort: Int
        /// The port on the host: with `awsvpc` and `host` the container port (nil means the same); with `bridge`
        /// nil or 0 picks a free port.
        public var hostPort: Int?
        /// TCP (default) or UDP.
        public var `protocol`: TransportProtocol

        /// A mapping of `containerPort`.
        public init(containerPort: Int, hostPort: Int? = nil, protocol: TransportProtocol = .tcp) {
            self.containerPort = containerPort
            self.hostPort = hostPort
            self.protocol = `protocol`
        }
    }

    /// Where a container's output goes.
    public enum LogConfiguration: Sendable {
        /// CloudWatch Logs: `group` (usually `LogGroup.logGroupName`) in `region`, streams named
        /// `PREFIX/CONTAINER/TASK-ID` (a prefix is required on Fargate).
        case awslogs(group: Input<String>, region: String, streamPrefix: String? = nil)
        /// Another log driver, with its options as the driver documents them.
        case driver(Driver, options: [String: Input<String>] = [:])

        /// ECS's log drivers.
        public enum Driver: String, Sendable {
            case jsonFile = "json-file"
            case syslog, journald, gelf, fluentd, awslogs, splunk, awsfirelens
        }

        var value: Value {
            switch self {
            case .awslogs(let group, let region, let streamPrefix):
                var options: [String: Value] = ["awslogs-group": group.value, "awslogs-region": .string(region)]
                if let streamPrefix { options["awslogs-stream-prefix"] = .string(streamPrefix) }
                return .object(["logDriver": .string("awslogs"), "options": .object(options)])
            case .driver(let driver, let options):
                return .object(["logDriver": .string(driver.rawValue), "options": .object(options.mapValues(\.value))])
            }
        }
    }

    /// A container health check (Docker's HEALTHCHECK).
    public struct HealthCheck: Sendable {
        /// `["CMD", "executable", "arg"]` or `["CMD-SHELL", "curl -f http://localhost/ || exit 1"]`.
        public var command: [String]
        /// Seconds between checks, 5 to 300 (default 30).
        public var interval: Int
        /// Seconds a check may take, 2 to 60 (default 5).
        public var timeout: Int
        /// Failed checks in a row before the container is unhealthy, 1 to 10 (default 3).
        public var retries: Int
        /// Seconds after start during which failures do not count, 0 (off, the default) to 300.
        public var startPeriod: Int

        /// A health check running `command`, with ECS's defaults for the rest.
        public init(command: [String], interval: Int = 30, timeout: Int = 5, retries: Int = 3, startPeriod: Int = 0) {
            self.command = command
            self.interval = interval
            self.timeout = timeout
            self.retries = retries
            self.startPeriod = startPeriod
        }

        var value: Value {
            .object([
                "command": .array(command.map { .string($0) }), "interval": .int(interval), "timeout": .int(timeout),
                "retries": .int(retries), "startPeriod": .int(startPeriod),
            ])
        }
    }

    /// One container of the task.
    public struct Container: Sendable {
        /// Unique in the task: up to 255 letters, digits, hyphens and underscores.
        public var name: String
        /// The image, e.g. `"\(repository.uri):latest"` or `"public.ecr.aws/nginx/nginx:1.27"`.
        public var image: Input<String>
        /// Whether the task stops when this container stops (default true).
        public var essential: Bool
        /// CPU units reserved for the container (default 0: a share of the task's).
        public var cpu: Int
        /// Hard memory limit in MiB; nil for none.
        public var memory: Int?
        /// Soft memory limit (reservation) in MiB; nil for none.
        public var memoryReservation: Int?
        /// Ports the container listens on.
        public var portMappings: [PortMapping]
        /// Environment variables, name → value (values may come from other resources).
        public var environment: [String: Input<String>]
        /// Environment variables filled from secrets at start: name → an SSM parameter ARN (or name) or a
        /// Secrets Manager secret ARN. Needs an execution role allowed to read them.
        public var secrets: [String: Input<String>]
        /// Where the container's output goes; nil for nowhere.
        public var logConfiguration: LogConfiguration?
        /// A health check; nil for none.
        public var healthCheck: HealthCheck?
        /// The command, overriding the image's; nil for the image's own.
        public var command: [String]?

        /// A container running `image`.
        public init(
            name: String, image: Input<String>, essential: Bool = true, cpu: Int = 0, memory: Int? = nil,
            memoryReservation: Int? = nil, portMappings: [PortMapping] = [], environment: [String: Input<String>] = [:],
            secrets: [String: Input<String>] = [:], logConfiguration: LogConfiguration? = nil,
            healthCheck: HealthCheck? = nil, command: [String]? = nil
        ) {
            self.name = name
            self.image = image
            self.essential = essential
            self.cpu = cpu
            self.memory = memory
            self.memoryReservation = memoryReservation
            self.portMappings = portMappings
            self.environment = environment
            self.secrets = secrets
            self.logConfiguration = logConfiguration
            self.healthCheck = healthCheck
            self.command = command
        }

        func value(networkMode: NetworkMode) -> Value {
            let staticPorts = networkMode == .awsvpc || networkMode == .host
            return .object([
                "name": .string(name),
                "image": image.value,
                "essential": .bool(essential),
                "cpu": .int(cpu),
                "memory": memory.map { .int($0) } ?? .null,
                "memoryReservation": memoryReservation.map { .int($0) } ?? .null,
                "portMappings": .array(
                    portMappings.map { mapping in
                        .object([
                            "containerPort": .int(mapping.containerPort),
                            "hostPort": .int(mapping.hostPort ?? (staticPorts ? mapping.containerPort : 0)),
                            "protocol": .string(mapping.protocol.rawValue),
                        ])
                    }),
                "environment": .object(environment.mapValues(\.value)),
                "secrets": .object(secrets.mapValues(\.value)),
                "logConfiguration": logConfiguration?.value ?? .null,
                "healthCheck": healthCheck?.value ?? .null,
                "command": command.flatMap { $0.isEmpty ? nil : Value.array($0.map { .string($0) }) } ?? .null,
            ])
        }
    }

    /// The name in the stack (`aws_ecs_task_definition.<logicalName>`).
    public let logicalName: String
    /// The family: the name that revisions share.
    public var family: Input<String>
    /// Task CPU units (256 = .25 vCPU); required on Fargate.
    public var cpu: Int?
    /// Task memory in MiB; required on Fargate, in the combinations Fargate offers for `cpu`.
    public var memory: Int?
    /// The networking mode; nil for `awsvpc` on Fargate and `bridge` (AWS's default) otherwise.
    public var networkMode: NetworkMode?
    /// Where tasks may run (default Fargate).
    public var requiresCompatibilities: [Compatibility]
    /// The role ECS uses to pull images, fetch secrets and write logs (`IAMRole.arn`).
    public var executionRoleArn: Input<String>?
    /// The role the containers' code runs as (`IAMRole.arn`).
    public var taskRoleArn: Input<String>?
    /// The containers, at least one.
    public var containers: [Container]
    /// AWS tags.
    public var tags: Tags
    /// Dependencies and lifecycle options for the engine.
    public var options: ResourceOptions

    /// A task definition of `family` running `containers`.
    public init(
        _ logicalName: String, family: Input<String>, cpu: Int? = nil, memory: Int? = nil, networkMode: NetworkMode? = nil,
        requiresCompatibilities: [Compatibility] = [.fargate], executionRoleArn: Input<String>? = nil,
        taskRoleArn: Input<String>? = nil, containers: [Container], tags: Tags = [:],
        options: ResourceOptions = ResourceOptions()
    ) {
        self.logicalName = logicalName
        self.family = family
        self.cpu = cpu
        self.memory = memory
        self.networkMode = networkMode
        self.requiresCompatibilities = requiresCompatibilities
        self.executionRoleArn = executionRoleArn
        self.taskRoleArn = taskRoleArn
        self.containers = containers
        self.tags = tags
        self.options = options
    }

    /// The current revision's ARN (`…:task-definition/FAMILY:REVISION`): what a service runs. It changes with
    /// every change of the definition.
    public var arn: Output<String> { Output(output("arn")) }
    /// The family.
    public var familyName: Output<String> { Output(output("family")) }
    /// The current revision number.
    public var revision: Output<Int> { Output(output("revision")) }

    /// The network mode as registered: the declared one, or the default for the compatibilities.
    public var effectiveNetworkMode: NetworkMode {
        networkMode ?? (requiresCompatibilities.contains(.fargate) ? .awsvpc : .bridge)
    }

    /// Every managed attribute, with ECS's defaults filled in (see the type's documentation).
    public var attributes: [String: Value] {
        let mode = effectiveNetworkMode
        return [
            "family": family.value,
            "cpu": cpu.map { .int($0) } ?? .null,
            "memory": memory.map { .int($0) } ?? .null,
            "networkMode": .string(mode.rawValue),
            "requiresCompatibilities": .array(Set(requiresCompatibilities.map(\.rawValue)).sorted().map { .string($0) }),
            "executionRoleArn": executionRoleArn?.value ?? .null,
            "taskRoleArn": taskRoleArn?.value ?? .null,
            "containers": .array(containers.map { $0.value(networkMode: mode) }),
            "tags": .json(tags.json),
        ]
    }

    /// Fargate's task sizes: CPU units → the memory sizes (MiB) allowed with them.
    public static let fargateSizes: [(cpu: Int, memory: [Int])] = [
        (256, [512, 1024, 2048]),
        (512, Array(stride(from: 1024, through: 4096, by: 1024))),
        (1024, Array(stride(from: 2048, through: 8192, by: 1024))),
        (2048, Array(stride(from: 4096, through: 16384, by: 1024))),
        (4096, Array(stride(from: 8192, through: 30720, by: 1024))),
        (8192, Array(stride(from: 16384, through: 61440, by: 4096))),
        (16384, Array(stride(from: 32768, through: 122880, by: 8192))),
    ]

    static let namePattern = #"\A[A-Za-z0-9_-]+\z"#

    /// The family, Fargate's sizes and network mode, each container, and the tags, as ECS checks them.
    public func validate() -> [ValidationIssue] {
        var issues = checkName(
            family, address: address, attribute: "family", length: 1...255, pattern: Self.namePattern,
            rule: "families are 1 to 255 letters, digits, hyphens and underscores")
        func issue(_ attribute: String, _ message: String) {
            issues.append(ValidationIssue(address: address, attribute: attribute, message: message))
        }
        let fargate = requiresCompatibilities.contains(.fargate)
        let mode = effectiveNetworkMode
        if fargate {
            if mode != .awsvpc {
                issue("networkMode", "Fargate requires the awsvpc network mode, not \(mode.rawValue): remove networkMode or set it to .awsvpc.")
            }
            if let cpu, let memory {
                if let size = Self.fargateSizes.first(where: { $0.cpu == cpu }) {
                    if !size.memory.contains(memory) {
                        issue(
                            "memory",
                            "Fargate has no \(cpu) CPU / \(memory) MiB size: with cpu \(cpu), memory must be one of "
                                + "\(size.memory.map(String.init).joined(separator: ", ")).")
                    }
                } else {
                    issue("cpu", "\(cpu) is not a Fargate CPU size: use one of \(Self.fargateSizes.map { String($0.cpu) }.joined(separator: ", ")).")
                }
            } else {
                if cpu == nil { issue("cpu", "Fargate requires a task cpu (256, 512, 1024, 2048, 4096, 8192 or 16384).") }
                if memory == nil { issue("memory", "Fargate requires a task memory size in MiB (e.g. 512 with cpu 256).") }
            }
        } else {
            if let cpu, !(128...196_608).contains(cpu) { issue("cpu", "task cpu must be 128 to 196608 units, not \(cpu).") }
            if let memory, memory < 6 { issue("memory", "task memory must be at least 6 MiB, not \(memory).") }
        }
        if containers.isEmpty { issue("containers", "a task definition needs at least one container.") }
        var names = Set<String>()
        for (i, container) in containers.enumerated() {
            issues += validate(container, path: "containers[\(i)]", fargate: fargate, mode: mode, names: &names)
        }
        let needsExecutionRole =
            containers.contains { !$0.secrets.isEmpty }
            || (fargate
                && containers.contains {
                    if case .awslogs? = $0.logConfiguration { return true }
                    return false
                })
        if needsExecutionRole && executionRoleArn == nil {
            issue(
                "executionRoleArn",
                "containers with secrets (or awslogs on Fargate) need an execution role: set executionRoleArn to a role "
                    + "that ECS tasks may assume, with AmazonECSTaskExecutionRolePolicy attached.")
        }
        return issues + checkTags(tags, address: address)
    }

    private func validate(_ container: Container, path: String, fargate: Bool, mode: NetworkMode, names: inout Set<String>) -> [ValidationIssue] {
        var issues: [ValidationIssue] = []
        func issue(_ attribute: String, _ message: String) {
            issues.append(ValidationIssue(address: address, attribute: "\(path)\(attribute)", message: message))
        }
        if container.name.isEmpty || container.name.count > 255 || container.name.range(of: Self.namePattern, options: .regularExpression) == nil {
            issue(".name", "'\(container.name)' is not a container name: use 1 to 255 letters, digits, hyphens and underscores.")
        } else if !names.insert(container.name).inserted {
            issue(".name", "two containers are named '\(container.name)': names must be unique in the task.")
        }
        if let image = container.image.literal, image.isEmpty || image.count > 255 {
            issue(".image", "the image must be 1 to 255 characters, like \"public.ecr.aws/nginx/nginx:latest\".")
        }
        if container.cpu < 0 { issue(".cpu", "container cpu cannot be negative.") }
        if let memory = container.memory, memory < 6 { issue(".memory", "a container needs at least 6 MiB, not \(memory).") }
        if let reservation = container.memoryReservation {
            if reservation < 6 { issue(".memoryReservation", "a container reserves at least 6 MiB, not \(reservation).") }
            if let memory = container.memory, reservation > memory {
                issue(".memoryReservation", "the reservation (\(reservation) MiB) exceeds the hard limit (\(memory) MiB).")
            }
        }
        if !fargate && memory == nil && container.memory == nil && container.memoryReservation == nil {
            issue(".memory", "without a task memory size, each container needs memory or memoryReservation.")
        }
        if let cpu, container.cpu > cpu { issue(".cpu", "the container's \(container.cpu) CPU units exceed the task's \(cpu).") }
        if let memory, let containerMemory = container.memory, containerMemory > memory {
            issue(".memory", "the container's \(containerMemory) MiB exceed the task's \(memory) MiB.")
        }
        if mode == .none && !container.portMappings.isEmpty {
            issue(".portMappings", "the none network mode has no port mappings: remove them or choose another network mode.")
        }
        var seen = Set<String>()
        for (j, mapping) in container.portMappings.enumerated() {
            let at = ".portMappings[\(j)]"
            if !(1...65535).contains(mapping.containerPort) {
                issue("\(at).containerPort", "ports are 1 to 65535, not \(mapping.containerPort).")
            }
            if let host = mapping.hostPort {
                if !(0...65535).contains(host) { issue("\(at).hostPort", "ports are 0 to 65535, not \(host).") }
                if (mode == .awsvpc || mode == .host) && host != mapping.containerPort {
                    issue(
                        "\(at).hostPort",
                        "with the \(mode.rawValue) network mode the host port must equal the container port (\(mapping.containerPort)): remove hostPort."
                    )
                }
            }
            if !seen.insert("\(mapping.containerPort)/\(mapping.protocol.rawValue)").inserted {
                issue("\(at).containerPort", "port \(mapping.containerPort)/\(mapping.protocol.rawValue) is mapped twice.")
            }
        }
        for name in container.environment.keys.sorted() where name.isEmpty {
            issue(".environment", "an environment variable needs a name.")
        }
        for (name, valueFrom) in container.secrets.sorted(by: { $0.key < $1.key }) {
            if name.isEmpty { issue(".secrets", "a secret needs a name.") }
            if let text = valueFrom.literal, text.isEmpty {
                issue(".secrets.\(name)", "valueFrom must name an SSM parameter or a Secrets Manager secret (an ARN).")
            }
        }
        if case .awslogs(let group, let region, let streamPrefix)? = container.logConfiguration {
            if let text = group.literal, text.isEmpty { issue(".logConfiguration.awslogs-group", "the log group name is empty.") }
            if region.range(of: #"\A[a-z]{2}(-[a-z]+)+-\d\z"#, options: .regularExpression) == nil {
                issue(".logConfiguration.awslogs-region", "'\(region)' is not an AWS region like eu-west-1.")
            }
            if fargate && (streamPrefix ?? "").isEmpty {
                issue(".logConfiguration.awslogs-stream-prefix", "Fargate requires a stream prefix for awslogs, like streamPrefix: \"app\".")
            }
        }
        if let check = container.healthCheck {
            if check.command.isEmpty || !["CMD", "CMD-SHELL"].contains(check.command[0]) {
                issue(
                    ".healthCheck.command",
                    "the command must start with \"CMD\" or \"CMD-SHELL\", like [\"CMD-SHELL\", \"curl -f http://localhost/ || exit 1\"].")
            }
            if !(5...300).contains(check.interval) { issue(".healthCheck.interval", "the interval must be 5 to 300 seconds, not \(check.interval).") }
            if !(2...60).contains(check.timeout) { issue(".healthCheck.timeout", "the timeout must be 2 to 60 seconds, not \(check.timeout).") }
            if !(1...10).contains(check.retries) { issue(".healthCheck.retries", "retries must be 1 to 10, not \(check.retries).") }
            if !(0...300).contains(check.startPeriod) {
                issue(".healthCheck.startPeriod", "the start period must be 0 to 300 seconds, not \(check.startPeriod).")
            }
        }
        return issues
    }
}

/// Registers, reads and deregisters ECS task definitions. An update registers a new revision (a new physical id);
/// the engine retires the previous one once the services using it have moved on.
struct ECSTaskDefinitionProvider: SupersededCleanup {
    let client: AWSClient
    let typeName = ECSTaskDefinition.typeName
    /// Adoption proof: the ownership tags; RegisterTaskDefinition takes the tags.
    let adoptionProof = AdoptionProof.ownershipTags
    // Registering makes a new revision beside the old one, deregistered once its services moved on.
    let replacementCoexists = true
    let replaceOnChange: Set<String> = []
    /// How long a register whose answer was lost looks for the revision it may have made before registering again.
    static let lostRevisionLookout: Duration = .seconds(15)

    /// The family: reading it finds the latest active revision, so that an interrupted registration is adopted.
    func physicalID(for attributes: [String: JSON]) -> String? { attributes.string("family") }

    func read(id: String, prior: [String: JSON]) async throws -> Observed? {
        guard let (definition, tags) = try await describe(id), definition["status"]?.stringValue == "ACTIVE",
            let arn = definition["taskDefinitionArn"]?.stringValue
        else { return nil }
        let mode = definition["networkMode"]?.stringValue ?? "bridge"
        let staticPorts = mode == "awsvpc" || mode == "host"
        let attributes: [String: JSON] = [
            "family": definition["family"] ?? .null,
            "cpu": Self.integer(definition["cpu"]),
            "memory": Self.integer(definition["memory"]),
            "networkMode": .string(mode),
            "requiresCompatibilities": .array(
                Set((definition["requiresCompatibilities"]?.arrayValue ?? []).compactMap(\.stringValue)).sorted().map { .string($0) }),
            "executionRoleArn": definition["executionRoleArn"] ?? .null,
            "taskRoleArn": definition["taskRoleArn"] ?? .null,
            "containers": .array((definition["containerDefinitions"]?.arrayValue ?? []).map { Self.container($0, staticPorts: staticPorts) }),
            "tags": tagMap(tags).json,
        ]
        return Observed(id: arn, attributes: attributes, outputs: Self.outputs(definition))
    }

    /// What ECSTaskDefinition does not model (see `UnmodeledSettings`): a task's volumes, its runtime platform (other than
    /// Linux on x86-64), its ephemeral storage (beyond the 20 GiB Fargate gives), …. A new revision keeps them.
    static let unmodeledTask = UnmodeledSettings(
        [
            "volumes", "placementConstraints", "runtimePlatform", "ephemeralStorage", "pidMode", "ipcMode", "proxyConfiguration",
            "inferenceAccelerators", "enableFaultInjection",
        ],
        defaults: [
            "runtimePlatform": [["operatingSystemFamily": "LINUX"], ["operatingSystemFamily": "LINUX", "cpuArchitecture": "X86_64"]],
            "ephemeralStorage": [["sizeInGiB": 20]],
        ])

    /// A container's settings that ECSTaskDefinition does not model: its mount points, entry point, ulimits, dependencies,
    /// …. A new revision keeps them (matching containers by name).
    static let unmodeledContainer = UnmodeledSettings(
        [
            "repositoryCredentials", "links", "restartPolicy", "entryPoint", "environmentFiles", "mountPoints", "volumesFrom",
            "linuxParameters", "dependsOn", "startTimeout", "stopTimeout", "versionConsistency", "hostname", "user", "workingDirectory",
            "disableNetworking", "privileged", "readonlyRootFilesystem", "dnsServers", "dnsSearchDomains", "extraHosts",
            "dockerSecurityOptions", "interactive", "pseudoTerminal", "dockerLabels", "ulimits", "systemControls", "resourceRequirements",
            "firelensConfiguration", "credentialSpecs",
        ],
        defaults: ["restartPolicy": [["enabled": false]], "versionConsistency": ["enabled"]])

    func create(_ attributes: [String: JSON]) async throws -> Applied {
        try await register(attributes)
    }

    /// Tags alone change in place; anything else registers a new revision, which keeps what the declaration does not
    /// model as the current revision has it.
    func update(id: String, from old: [String: JSON], to new: [String: JSON]) async throws -> Applied {
        var oldRest = old
        var newRest = new
        oldRest["tags"] = nil
        newRest["tags"] = nil
        guard oldRest == newRest else { return try await register(new, keeping: try await describe(id)?.0) }
        try await TaggingAPI.ecs.sync(client, resource: id, from: old.tags(), to: new.tags())
        let (family, revision) = Self.parse(id)
        return Applied(id: id, outputs: ["arn": .string(id), "family": .string(family), "revision": revision.map { .int($0) } ?? .null])
    }

    /// Deregisters the revision (what ECS offers instead of deleting it); a revision already gone or inactive is fine.
    func delete(id: String, attributes: [String: JSON]) async throws {
        do {
            _ = try await client.json(.ecs.deregisterTaskDefinition, ["taskDefinition": .string(id)])
        } catch let error as AWSServiceError where error.code == "ClientException" {
            // "Unable to describe task definition." / "Revision is missing.": gone. Otherwise look before failing.
            if let (definition, _) = try await describe(id), definition["status"]?.stringValue == "ACTIVE" { throw error }
        }
    }

    /// Deregisters the previous revision once its dependents use the new one.
    func retire(id: String, attributes: [String: JSON]) async throws {
        try await delete(id: id, attributes: attributes)
    }

    // MARK: Helpers

    /// Registers a revision of `attributes`, with what the declaration does not model as `current` (the revision it
    /// replaces) has it.
    private func register(_ attributes: [String: JSON], keeping current: JSON? = nil) async throws -> Applied {
        let liveContainers = current?["containerDefinitions"]?.arrayValue ?? []
        var input: [String: JSON] = [
            "family": attributes["family"] ?? .null,
            "networkMode": attributes["networkMode"] ?? "bridge",
            "containerDefinitions": .array(
                (attributes["containers"]?.arrayValue ?? []).map { container in
                    Self.containerInput(container, keeping: liveContainers.first { $0["name"] == container["name"] })
                }),
        ]
        if let cpu = attributes.int("cpu") { input["cpu"] = .string(String(cpu)) }
        if let memory = attributes.int("memory") { input["memory"] = .string(String(memory)) }
        let compatibilities = attributes.strings("requiresCompatibilities")
        if !compatibilities.isEmpty { input["requiresCompatibilities"] = .array(compatibilities.map { .string($0) }) }
        if let role = attributes.string("executionRoleArn") { input["executionRoleArn"] = .string(role) }
        if let role = attributes.string("taskRoleArn") { input["taskRoleArn"] = .string(role) }
        Self.unmodeledTask.keep(from: current, into: &input)
        let tags = attributes.tags()
        if !tags.isEmpty { input["tags"] = tagList(tags) }
        // ECS checks the roles it is given; one created seconds earlier is "not valid" until IAM's change reaches ECS.
        let roles = [attributes.string("executionRoleArn"), attributes.string("taskRoleArn")].compactMap { $0 }.map(roleDescription)
        func send() async throws -> JSON {
            try await awaitingPropagation(
                of: roles.isEmpty ? "the task's IAM roles" : roles.joined(separator: " and "), to: "ECS",
                refusals: [Refusal("ClientException", messageContains: ["Role is not valid"])], clock: client.waitClock,
                hint: "Check that the roles exist and that their trust policies let ecs-tasks.amazonaws.com assume them."
            ) { try await client.json(.ecs.registerTaskDefinition, .object(input)) }
        }
        // Each RegisterTaskDefinition makes a revision, and the client does not repeat one whose answer was lost; so the
        // family's latest revision is noted first, and after a lost answer a newer one with this state's tags is it.
        let family = attributes.string("family") ?? ""
        let before = try await describe(family).flatMap { $0.0["revision"]?.intValue } ?? 0
        let definition: JSON
        do {
            definition = try await send()["taskDefinition"] ?? [:]
        } catch  where mayHaveBeenCarriedOut(error) {
            // ECS may show the revision a lost answer made only a moment later: it is looked for a while before
            // registering again, which would leave that one behind.
            var made: JSON?
            do {
                try await waitUntil(
                    "task definition family \(family)", "show the revision whose answer was lost", clock: client.waitClock,
                    timeout: Self.lostRevisionLookout, interval: .seconds(3)
                ) {
                    guard let (latest, latestTags) = try await describe(family), (latest["revision"]?.intValue ?? 0) > before,
                        tagMap(latestTags) == tags
                    else { return false }
                    made = latest
                    return true
                }
            } catch is WaitTimeout {}
            if let made {
                definition = made
            } else {
                definition = try await send()["taskDefinition"] ?? [:]
            }
        }
        guard let arn = definition["taskDefinitionArn"]?.stringValue else {
            throw AWSServiceError(
                JSONOperation.ecs.registerTaskDefinition, status: 200, code: "MissingTaskDefinitionArn",
                message: "ECS answered without the new revision's ARN", requestID: nil)
        }
        return Applied(id: arn, outputs: Self.outputs(definition))
    }

    /// The task definition and its tags, or nil when ECS does not know it.
    private func describe(_ id: String) async throws -> (JSON, JSON?)? {
        do {
            let result = try await client.json(.ecs.describeTaskDefinition, ["taskDefinition": .string(id), "include": ["TAGS"]])
            guard let definition = result["taskDefinition"] else { return nil }
            return (definition, result["tags"])
        } catch let error as AWSServiceError
            where error.code == "ClientException"
            && ["unable to describe", "not found", "does not exist", "missing"].contains(where: error.message.lowercased().contains)
        {
            return nil
        }
    }

    /// A container as RegisterTaskDefinition takes it, from its attribute form, with what the declaration does not model
    /// as `live` (the current revision's container of that name) has it.
    static func containerInput(_ container: JSON, keeping live: JSON? = nil) -> JSON {
        var out: [String: JSON] = [
            "name": container["name"] ?? .null,
            "image": container["image"] ?? .null,
            "essential": container["essential"] ?? true,
            "cpu": container["cpu"] ?? 0,
        ]
        for key in ["memory", "memoryReservation", "command"] {
            if let value = container[key], !value.isNull { out[key] = value }
        }
        out["portMappings"] = .array(
            (container["portMappings"]?.arrayValue ?? []).map { mapping in
                var item: [String: JSON] = ["containerPort": mapping["containerPort"] ?? .null, "protocol": mapping["protocol"] ?? "tcp"]
                if let host = mapping["hostPort"]?.intValue, host != 0 { item["hostPort"] = .int(host) }
                return .object(item)
            })
        let environment = container["environment"]?.objectValue ?? [:]
        out["environment"] = .array(environment.keys.sorted().map { ["name": .string($0), "value": environment[$0]!] })
        let secrets = container["secrets"]?.objectValue ?? [:]
        if !secrets.isEmpty {
            out["secrets"] = .array(secrets.keys.sorted().map { ["name": .string($0), "valueFrom": secrets[$0]!] })
        }
        if let log = container["logConfiguration"], !log.isNull { out["logConfiguration"] = log }
        if let check = container["healthCheck"], case .object(var members) = check {
            if members["startPeriod"]?.intValue == 0 { members["startPeriod"] = nil }  // 0 means off: leave it out
            out["healthCheck"] = .object(members)
        }
        unmodeledContainer.keep(from: live, into: &out)
        return .object(out)
    }

    /// A container as ECS describes it, in the attribute form, with ECS's defaults filled in.
    static func container(_ live: JSON, staticPorts: Bool) -> JSON {
        var environment: [String: JSON] = [:]
        for item in live["environment"]?.arrayValue ?? [] {
            if let name = item["name"]?.stringValue { environment[name] = item["value"] ?? "" }
        }
        var secrets: [String: JSON] = [:]
        for item in live["secrets"]?.arrayValue ?? [] {
            if let name = item["name"]?.stringValue { secrets[name] = item["valueFrom"] ?? "" }
        }
        var log: JSON = .null
        if let driver = live["logConfiguration"]?["logDriver"] {
            log = ["logDriver": driver, "options": live["logConfiguration"]?["options"] ?? [:]]
        }
        var check: JSON = .null
        if let health = live["healthCheck"], let command = health["command"] {
            check = [
                "command": command, "interval": .int(health["interval"]?.intValue ?? 30), "timeout": .int(health["timeout"]?.intValue ?? 5),
                "retries": .int(health["retries"]?.intValue ?? 3), "startPeriod": .int(health["startPeriod"]?.intValue ?? 0),
            ]
        }
        let command = live["command"]?.arrayValue.flatMap { $0.isEmpty ? nil : JSON.array($0) } ?? .null
        return [
            "name": live["name"] ?? .null,
            "image": live["image"] ?? .null,
            "essential": .bool(live["essential"]?.boolValue ?? true),
            "cpu": .int(live["cpu"]?.intValue ?? 0),
            "memory": live["memory"]?.intValue.map { .int($0) } ?? .null,
            "memoryReservation": live["memoryReservation"]?.intValue.map { .int($0) } ?? .null,
            "portMappings": .array(
                (live["portMappings"]?.arrayValue ?? []).map { mapping in
                    let port = mapping["containerPort"]?.intValue ?? 0
                    return [
                        "containerPort": .int(port),
                        "hostPort": .int(mapping["hostPort"]?.intValue ?? (staticPorts ? port : 0)),
                        "protocol": mapping["protocol"] ?? "tcp",
                    ]
                }),
            "environment": .object(environment),
            "secrets": .object(secrets),
            "logConfiguration": log,
            "healthCheck": check,
            "command": command,
        ]
    }

    /// ECS writes task cpu and memory as strings.
    static func integer(_ value: JSON?) -> JSON {
        if let int = value?.intValue { return .int(int) }
        if let text = value?.stringValue, let int = Int(text) { return .int(int) }
        return .null
    }

    static func outputs(_ definition: JSON) -> [String: JSON] {
        [
            "arn": definition["taskDefinitionArn"] ?? .null,
            "family": definition["family"] ?? .null,
            "revision": definition["revision"] ?? .null,
        ]
    }

    /// `FAMILY` and `REVISION` of an ARN (or `FAMILY:REVISION`).
    static func parse(_ id: String) -> (family: String, revision: Int?) {
        let tail = id.split(separator: "/").last.map(String.init) ?? id
        let parts = tail.split(separator: ":")
        if parts.count >= 2, let revision = Int(parts[parts.count - 1]) {
            return (parts[parts.count - 2].description, revision)
        }
        return (tail, nil)
    }
}

// MARK: cairn generate

extension ECSTaskDefinitionProvider: DiscoverableProvider {
    var swiftType: String { "ECSTaskDefinition" }
    var swiftNoun: String { "taskDefinition" }
    var swiftOutputs: [String: String] { ["arn": "arn", "family": "familyName"] }

    /// Each family with an active revision, once: its latest revision is the one declared.
    func discover() async throws -> [DiscoveredResource] {
        let arns = try await client.jsonAll(.ecs.listTaskDefinitions, ["status": "ACTIVE"]).compactMap(\.stringValue)
        return Set(arns.map { Self.parse($0).family }).sorted().map { DiscoveredResource(id: $0, name: $0) }
    }

    /// The read, with what the declaration does not model (`UnmodeledSettings`) under `unmodeled` (`{"task": {…},
    /// "containers": [{…}]}`, containers in order), for `swiftArguments` to report.
    func readForGeneration(id: String, prior: [String: JSON]) async throws -> Observed? {
        guard var live = try await read(id: id, prior: prior), let (definition, _) = try await describe(live.id) else { return nil }
        let containers = (definition["containerDefinitions"]?.arrayValue ?? []).map { JSON.object(Self.unmodeledContainer.read($0)) }
        live.attributes["unmodeled"] = ["task": .object(Self.unmodeledTask.read(definition)), "containers": .array(containers)]
        return live
    }

    func swiftArguments(_ live: Observed, in context: SwiftContext) -> [SwiftArgument] {
        let attributes = live.attributes
        var arguments = [SwiftArgument("family", context.literal(attributes.string("family") ?? ""))]
        if let cpu = attributes.int("cpu") { arguments.append(SwiftArgument("cpu", String(cpu))) }
        if let memory = attributes.int("memory") { arguments.append(SwiftArgument("memory", String(memory))) }
        let compatibilities = attributes.strings("requiresCompatibilities")
        let mode = attributes.string("networkMode") ?? "bridge"
        // `.none` alone would be read as Optional.none (no mode, so the default): the enum is spelled out for it.
        if mode != (compatibilities.contains("FARGATE") ? "awsvpc" : "bridge") {
            arguments.append(SwiftArgument("networkMode", mode == "none" ? "ECSTaskDefinition.NetworkMode.none" : ".\(mode)"))
        }
        if compatibilities != ["FARGATE"] {
            let cases = ["EC2": ".ec2", "FARGATE": ".fargate", "EXTERNAL": ".external", "MANAGED_INSTANCES": ".managedInstances"]
            let known = compatibilities.compactMap { cases[$0] }
            if known.count < compatibilities.count {
                context.cannotExpress(
                    "requiresCompatibilities", "\(compatibilities) names one ECSTaskDefinition.Compatibility does not",
                    ignoringDrift: "requiresCompatibilities")
            }
            arguments.append(SwiftArgument("requiresCompatibilities", SwiftCode.array(known)))
        }
        for key in ["executionRoleArn", "taskRoleArn"] {
            if let role = attributes.string(key) { arguments.append(SwiftArgument(key, context.input(role, naming: IAMRole.typeName, "arn"))) }
        }
        let unmodeled = attributes["unmodeled"]
        Self.unmodeledTask.report(unmodeled?["task"], label: "", type: "ECSTaskDefinition", in: context)
        let containers = (attributes["containers"]?.arrayValue ?? []).enumerated().map { index, container in
            Self.unmodeledContainer.report(
                unmodeled?["containers"]?[index], label: "containers.\(container["name"]?.stringValue ?? "")", type: "ECSTaskDefinition",
                in: context)
            return Self.containerSwift(container, index: index, staticPorts: mode == "awsvpc" || mode == "host", in: context)
        }
        arguments.append(SwiftArgument("containers", SwiftCode.array(containers)))
        if let tags = context.tags(live) { arguments.append(tags) }
        return arguments
    }

    /// `.init(name: …)` for the container at `index` of the definition.
    static func containerSwift(_ container: JSON, index: Int, staticPorts: Bool, in context: SwiftContext) -> String {
        let name = container["name"]?.stringValue ?? ""
        var arguments = [
            SwiftArgument("name", context.literal(name)), SwiftArgument("image", context.input(container["image"]?.stringValue ?? "")),
        ]
        if container["essential"]?.boolValue == false { arguments.append(SwiftArgument("essential", "false")) }
        if let cpu = container["cpu"]?.intValue, cpu != 0 { arguments.append(SwiftArgument("cpu", String(cpu))) }
        for key in ["memory", "memoryReservation"] {
            if let value = container[key]?.intValue { arguments.append(SwiftArgument(key, String(value))) }
        }
        let mappings = (container["portMappings"]?.arrayValue ?? []).map { mapping -> String in
            let port = mapping["containerPort"]?.intValue ?? 0
            var parts = [SwiftArgument("containerPort", String(port))]
            if let host = mapping["hostPort"]?.intValue, host != (staticPorts ? port : 0) { parts.append(SwiftArgument("hostPort", String(host))) }
            if mapping["protocol"]?.stringValue == "udp" { parts.append(SwiftArgument("protocol", ".udp")) }
            return SwiftCode.call(".init", parts)
        }
        if !mappings.isEmpty { arguments.append(SwiftArgument("portMappings", SwiftCode.array(mappings))) }
        if let environment = container["environment"]?.objectValue, !environment.isEmpty {
            arguments.append(SwiftArgument("environment", SwiftCode.dictionary(environment.mapValues { context.input($0.stringValue ?? "") })))
        }
        if let secrets = container["secrets"]?.objectValue, !secrets.isEmpty {
            arguments.append(SwiftArgument("secrets", SwiftCode.dictionary(secrets.mapValues { context.input($0.stringValue ?? "") })))
        }
        if let log = container["logConfiguration"], !log.isNull {
            let driver = log["logDriver"]?.stringValue ?? ""
            let options = log["options"]?.objectValue ?? [:]
            if driver == "awslogs", let group = options["awslogs-group"]?.stringValue, let region = options["awslogs-region"]?.stringValue,
                Set(options.keys).isSubset(of: ["awslogs-group", "awslogs-region", "awslogs-stream-prefix"])
            {
                var parts = [
                    SwiftArgument("group", context.input(group, naming: LogGroup.typeName, "name")), SwiftArgument("region", context.literal(region)),
                ]
                if let prefix = options["awslogs-stream-prefix"]?.stringValue { parts.append(SwiftArgument("streamPrefix", context.literal(prefix))) }
                arguments.append(SwiftArgument("logConfiguration", SwiftCode.call(".awslogs", parts)))
            } else if let known = ECSTaskDefinition.LogConfiguration.Driver(rawValue: driver) {
                let driverCase = known == .jsonFile ? ".jsonFile" : ".\(driver)"
                var parts = [SwiftArgument(nil, driverCase)]
                if !options.isEmpty {
                    parts.append(SwiftArgument("options", SwiftCode.dictionary(options.mapValues { context.input($0.stringValue ?? "") })))
                }
                arguments.append(SwiftArgument("logConfiguration", SwiftCode.call(".driver", parts)))
            } else {
                context.cannotExpress(
                    "containers.\(name).logConfiguration", "the log driver \(driver) is not one ECSTaskDefinition names",
                    ignoringDrift: "containers[\(index)].logConfiguration")
            }
        }
        if let check = container["healthCheck"], !check.isNull {
            var parts = [SwiftArgument("command", SwiftCode.strings(check["command"]?.arrayValue?.compactMap(\.stringValue) ?? []))]
            for (key, fallback) in [("interval", 30), ("timeout", 5), ("retries", 3), ("startPeriod", 0)] {
                if let value = check[key]?.intValue, value != fallback { parts.append(SwiftArgument(key, String(value))) }
            }
            arguments.append(SwiftArgument("healthCheck", SwiftCode.call(".init", parts)))
        }
        if let command = container["command"]?.arrayValue, !command.isEmpty {
            arguments.append(SwiftArgument("command", SwiftCode.strings(command.compactMap(\.stringValue))))
        }
        return SwiftCode.call(".init", arguments)
    }
}
