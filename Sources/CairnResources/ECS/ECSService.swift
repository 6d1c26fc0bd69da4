import CairnAWS
import CairnEngine
import CairnJSON
import Foundation

/// An ECS service (`aws ecs create-service`): keeps `desiredCount` tasks of a task definition running in a cluster.
///
/// The physical id is `CLUSTER/NAME`, the cluster's name and the service's name (`read` also takes the service ARN,
/// `arn:aws:ecs:REGION:ACCOUNT:service/CLUSTER/NAME`, for import).
///
/// Attributes (as the state and plans show them):
/// - `name`, `cluster` (the cluster's name or ARN, as declared): a change replaces the service.
/// - `taskDefinition`: the task definition revision's ARN (usually `ECSTaskDefinition.arn`).
/// - `desiredCount`: default 1. Autoscaled services can set `ResourceOptions(ignoreDrift: ["desiredCount"])`.
/// - `launchType`: `"FARGATE"` (default), `"EC2"`, `"EXTERNAL"` or `"MANAGED_INSTANCES"`, or null with a capacity
///   provider strategy; a change replaces the service (UpdateService cannot change it).
/// - `capacityProviderStrategy`: `[{capacityProvider, weight, base}]`, empty with a launch type.
/// - `networkConfiguration`: `{subnets, securityGroups, assignPublicIp ("DISABLED")}` (awsvpc tasks), or null.
/// - `deploymentConfiguration`: `{minimumHealthyPercent (100), maximumPercent (200),
///   deploymentCircuitBreaker: {enable (false), rollback (false)}}`, with `alarms: {alarmNames, enable, rollback}` only
///   when deployment alarms are declared (a service without them reads back without the member).
/// - `loadBalancers`: `[{targetGroupArn, containerName, containerPort}]` (changed in place, with a new deployment).
/// - `tags`: an object of strings.
public struct ECSService: ResourceDeclaration {
    /// The type name in addresses and the state.
    public static let typeName = "aws_ecs_service"

    /// The infrastructure tasks run on.
    public enum LaunchType: String, Sendable {
        case fargate = "FARGATE"
        case ec2 = "EC2"
        case external = "EXTERNAL"
        case managedInstances = "MANAGED_INSTANCES"
    }

    /// One capacity provider of a strategy.
    public struct CapacityProviderStrategyItem: Sendable {
        /// `FARGATE`, `FARGATE_SPOT`, or the name of a capacity provider of the cluster.
        public var capacityProvider: String
        /// The relative share of tasks beyond `base`, 0 to 1000.
        public var weight: Int
        /// Tasks that run on this provider before weights apply, 0 to 100000 (one provider of a strategy only).
        public var base: Int

        /// A provider with `weight` (default 1) and `base` (default 0).
        public init(_ capacityProvider: String, weight: Int = 1, base: Int = 0) {
            self.capacityProvider = capacityProvider
            self.weight = weight
            self.base = base
        }
    }

    /// Where the service's tasks run: a launch type, or a capacity provider strategy.
    public enum Compute: Sendable {
        /// Every task with this launch type.
        case launchType(LaunchType)
        /// Tasks spread over capacity providers, such as `[.init("FARGATE", base: 1), .init("FARGATE_SPOT", weight: 3)]`.
        case capacityProviderStrategy([CapacityProviderStrategyItem])
    }

    /// Whether tasks get a public IP address.
    public enum AssignPublicIp: String, Sendable {
        case enabled = "ENABLED"
        case disabled = "DISABLED"
    }

    /// The network of awsvpc tasks (Fargate).
    public struct NetworkConfiguration: Sendable {
        /// The subnets, of one VPC: ids, or a look-up's list (`.all(defaultSubnets.ids)`); 1 to 16.
        public var subnets: IDList
        /// The security groups, of the same VPC, up to 5. Give them explicitly: with none, AWS uses the VPC's
        /// default group.
        public var securityGroups: IDList
        /// Whether tasks get a public IP (needed in public subnets without a NAT gateway to pull images).
        public var assignPublicIp: AssignPublicIp

        /// Tasks in `subnets` with `securityGroups`.
        public init(subnets: IDList, securityGroups: IDList = [], assignPublicIp: AssignPublicIp = .disabled) {
            self.subnets = subnets
            self.securityGroups = securityGroups
            self.assignPublicIp = assignPublicIp
        }

        var value: Value {
            .object(["subnets": subnets.value, "securityGroups": securityGroups.value, "assignPublicIp": .string(assignPublicIp.rawValue)])
        }
    }

    /// The deployment circuit breaker: stops (and optionally rolls back) deployments whose tasks keep failing.
    public struct CircuitBreaker: Sendable {
        /// Whether failing deployments are stopped.
        public var enable: Bool
        /// Whether a stopped deployment rolls back to the last one that completed.
        public var rollback: Bool

        /// A circuit breaker; both off by default, as ECS creates services.
        public init(enable: Bool = false, rollback: Bool = false) {
            self.enable = enable
            self.rollback = rollback
        }

        /// Off: ECS's default.
        public static let disabled = CircuitBreaker()
    }

    /// CloudWatch alarms that fail a deployment when one goes to ALARM while it runs (and optionally roll it back).
    public struct DeploymentAlarms: Sendable {
        /// The alarms' names (`CloudWatchMetricAlarm.alarmName`), at least one while enabled.
        public var alarmNames: [Input<String>]
        /// Whether the alarms are watched during deployments.
        public var enable: Bool
        /// Whether a deployment failed by an alarm rolls back to the last one that completed.
        public var rollback: Bool

        /// Deployments watched by `alarmNames`, rolled back on failure when `rollback` is set.
        public init(alarmNames: [Input<String>], enable: Bool = true, rollback: Bool = false) {
            self.alarmNames = alarmNames
            self.enable = enable
            self.rollback = rollback
        }

        var value: Value {
            .object(["alarmNames": IDList.ids(alarmNames).value, "enable": .bool(enable), "rollback": .bool(rollback)])
        }

        /// What UpdateService is sent to stop watching alarms (ECS's own reading of a service without them).
        static let off: JSON = ["alarmNames": [], "enable": false, "rollback": false]
    }

    /// How deployments replace tasks.
    public struct DeploymentConfiguration: Sendable {
        /// The lowest share of `desiredCount` kept running during a deployment, 0 to 100 (default 100).
        public var minimumHealthyPercent: Int
        /// The highest share of `desiredCount` running during a deployment, at least 100 (default 200).
        public var maximumPercent: Int
        /// The deployment circuit breaker (default off).
        public var circuitBreaker: CircuitBreaker
        /// CloudWatch alarms that fail deployments (default none).
        public var alarms: DeploymentAlarms?

        /// ECS's defaults unless given.
        public init(
            minimumHealthyPercent: Int = 100, maximumPercent: Int = 200, circuitBreaker: CircuitBreaker = .disabled,
            alarms: DeploymentAlarms? = nil
        ) {
            self.minimumHealthyPercent = minimumHealthyPercent
            self.maximumPercent = maximumPercent
            self.circuitBreaker = circuitBreaker
            self.alarms = alarms
        }

        var value: Value {
            var members: [String: Value] = [
                "minimumHealthyPercent": .int(minimumHealthyPercent),
                "maximumPercent": .int(maximumPercent),
                "deploymentCircuitBreaker": .object(["enable": .bool(circuitBreaker.enable), "rollback": .bool(circuitBreaker.rollback)]),
            ]
            if let alarms { members["alarms"] = alarms.value }
            return .object(members)
        }
    }

    /// A target group the service registers its tasks with.
    public struct LoadBalancer: Sendable {
        /// The Elastic Load Balancing target group's ARN.
        public var targetGroupArn: Input<String>
        /// The container (of the task definition) that receives the traffic.
        public var containerName: String
        /// The container port that receives the traffic.
        public var containerPort: Int

        /// Traffic from `targetGroupArn` to `containerName`:`containerPort`.
        public init(targetGroupArn: Input<String>, containerName: String, containerPort: Int) {
            self.targetGroupArn = targetGroupArn
            self.containerName = containerName
            self.containerPort = containerPort
        }

        var value: Value {
            .object(["targetGroupArn": targetGroupArn.value, "containerName": .string(containerName), "containerPort": .int(containerPort)])
        }
    }

    /// The name in the stack (`aws_ecs_service.<logicalName>`).
    public let logicalName: String
    /// The service name, unique in the cluster; a change replaces the service.
    public var name: Input<String>
    /// The cluster: `ECSCluster.clusterName` or `ECSCluster.arn`; a change replaces the service.
    public var cluster: Input<String>
    /// The task definition revision to run: `ECSTaskDefinition.arn`.
    public var taskDefinition: Input<String>
    /// How many tasks to keep running.
    public var desiredCount: Int
    /// A launch type (default Fargate) or a capacity provider strategy.
    public var compute: Compute
    /// The tasks' network; required for awsvpc task definitions (Fargate).
    public var networkConfiguration: NetworkConfiguration?
    /// How deployments replace tasks.
    public var deploymentConfiguration: DeploymentConfiguration
    /// Target groups to register tasks with.
    public var loadBalancers: [LoadBalancer]
    /// AWS tags.
    public var tags: Tags
    /// Dependencies and lifecycle options for the engine (e.g. `ignoreDrift: ["desiredCount"]` when autoscaled).
    public var options: ResourceOptions

    /// A service running `desiredCount` tasks of `taskDefinition` in `cluster`.
    public init(
        _ logicalName: String, name: Input<String>, cluster: Input<String>, taskDefinition: Input<String>,
        desiredCount: Int = 1, compute: Compute = .launchType(.fargate), networkConfiguration: NetworkConfiguration? = nil,
        deploymentConfiguration: DeploymentConfiguration = DeploymentConfiguration(), loadBalancers: [LoadBalancer] = [],
        tags: Tags = [:], options: ResourceOptions = ResourceOptions()
    ) {
        self.logicalName = logicalName
        self.name = name
        self.cluster = cluster
        self.taskDefinition = taskDefinition
        self.desiredCount = desiredCount
        self.compute = compute
        self.networkConfiguration = networkConfiguration
        self.deploymentConfiguration = deploymentConfiguration
        self.loadBalancers = loadBalancers
        self.tags = tags
        self.options = options
    }

    /// The service's ARN.
    public var arn: Output<String> { Output(output("arn")) }
    /// The service's name.
    public var serviceName: Output<String> { Output(output("name")) }

    /// Every managed attribute, with ECS's defaults filled in (see the type's documentation).
    public var attributes: [String: Value] {
        var launchType: Value = .null
        var strategy: [Value] = []
        switch compute {
        case .launchType(let type):
            launchType = .string(type.rawValue)
        case .capacityProviderStrategy(let items):
            strategy = items.map { .object(["capacityProvider": .string($0.capacityProvider), "weight": .int($0.weight), "base": .int($0.base)]) }
        }
        return [
            "name": name.value,
            "cluster": cluster.value,
            "taskDefinition": taskDefinition.value,
            "desiredCount": .int(desiredCount),
            "launchType": launchType,
            "capacityProviderStrategy": .array(strategy),
            "networkConfiguration": networkConfiguration?.value ?? .null,
            "deploymentConfiguration": deploymentConfiguration.value,
            "loadBalancers": .array(loadBalancers.map(\.value)),
            "tags": .json(tags.json),
        ]
    }

    /// The name, the counts and percentages, the strategy, the network, the load balancers and the tags, as ECS checks them.
    public func validate() -> [ValidationIssue] {
        var issues = checkName(
            name, address: address, attribute: "name", length: 1...255, pattern: #"\A[A-Za-z0-9_-]+\z"#,
            rule: "service names are 1 to 255 letters, digits, hyphens and underscores")
        func issue(_ attribute: String, _ message: String) {
            issues.append(ValidationIssue(address: address, attribute: attribute, message: message))
        }
        if let text = cluster.literal, text.isEmpty { issue("cluster", "name the cluster (ECSCluster.clusterName or its ARN).") }
        if let text = taskDefinition.literal, text.isEmpty { issue("taskDefinition", "name the task definition (ECSTaskDefinition.arn).") }
        if desiredCount < 0 { issue("desiredCount", "the desired count cannot be negative (\(desiredCount)).") }
        if case .capacityProviderStrategy(let items) = compute {
            if items.isEmpty { issue("capacityProviderStrategy", "the strategy names no capacity provider: add one, or use a launch type.") }
            if items.count > 20 { issue("capacityProviderStrategy", "a strategy has at most 20 capacity providers.") }
            if items.filter({ $0.base > 0 }).count > 1 {
                issue("capacityProviderStrategy", "only one capacity provider of a strategy may have a base.")
            }
            if !items.isEmpty && !items.contains(where: { $0.weight > 0 }) {
                issue("capacityProviderStrategy", "at least one capacity provider needs a weight above 0.")
            }
            var seen = Set<String>()
            for (i, item) in items.enumerated() {
                if item.capacityProvider.isEmpty || !seen.insert(item.capacityProvider).inserted {
                    issue("capacityProviderStrategy[\(i)].capacityProvider", "each capacity provider is named once, and not empty.")
                }
                if !(0...1000).contains(item.weight) { issue("capacityProviderStrategy[\(i)].weight", "weights are 0 to 1000, not \(item.weight).") }
                if !(0...100_000).contains(item.base) { issue("capacityProviderStrategy[\(i)].base", "bases are 0 to 100000, not \(item.base).") }
            }
        }
        if let network = networkConfiguration {
            if let count = network.subnets.declaredCount, !(1...16).contains(count) {
                issue("networkConfiguration.subnets", "give 1 to 16 subnets, not \(count).")
            }
            if let count = network.securityGroups.declaredCount, count > 5 {
                issue("networkConfiguration.securityGroups", "give at most 5 security groups, not \(count).")
            }
            for (i, id) in (network.subnets.literals ?? []).enumerated() where !id.hasPrefix("subnet-") {
                issue("networkConfiguration.subnets[\(i)]", "'\(id)' is not a subnet id (subnet-…).")
            }
            for (i, id) in (network.securityGroups.literals ?? []).enumerated() where !id.hasPrefix("sg-") {
                issue("networkConfiguration.securityGroups[\(i)]", "'\(id)' is not a security group id (sg-…).")
            }
        }
        let deployment = deploymentConfiguration
        if !(0...100).contains(deployment.minimumHealthyPercent) {
            issue("deploymentConfiguration.minimumHealthyPercent", "must be 0 to 100, not \(deployment.minimumHealthyPercent).")
        }
        if deployment.maximumPercent < 100 {
            issue("deploymentConfiguration.maximumPercent", "must be at least 100, not \(deployment.maximumPercent).")
        }
        if deployment.circuitBreaker.rollback && !deployment.circuitBreaker.enable {
            issue("deploymentConfiguration.deploymentCircuitBreaker.rollback", "rollback needs the circuit breaker enabled: set enable: true.")
        }
        if let alarms = deployment.alarms {
            if alarms.enable && alarms.alarmNames.isEmpty {
                issue("deploymentConfiguration.alarms.alarmNames", "name at least one CloudWatch alarm to watch, or leave alarms out.")
            }
            if alarms.rollback && !alarms.enable {
                issue("deploymentConfiguration.alarms.rollback", "rollback needs the alarms enabled: set enable: true.")
            }
            for (i, name) in alarms.alarmNames.enumerated() {
                if let text = name.literal, !(1...255).contains(text.count) {
                    issue(
                        "deploymentConfiguration.alarms.alarmNames[\(i)]", "alarm names are 1 to 255 characters: use CloudWatchMetricAlarm.alarmName."
                    )
                }
            }
        }
        for (i, balancer) in loadBalancers.enumerated() {
            if balancer.containerName.isEmpty { issue("loadBalancers[\(i)].containerName", "name the container that receives the traffic.") }
            if !(1...65535).contains(balancer.containerPort) {
                issue("loadBalancers[\(i)].containerPort", "ports are 1 to 65535, not \(balancer.containerPort).")
            }
            if let arn = balancer.targetGroupArn.literal, !arn.contains(":targetgroup/") {
                issue("loadBalancers[\(i)].targetGroupArn", "'\(arn)' is not a target group ARN (arn:aws:elasticloadbalancing:…:targetgroup/…).")
            }
        }
        return issues + checkTags(tags, address: address)
    }
}

/// Creates, reads, updates and deletes ECS services; the physical id is `CLUSTER/NAME`.
struct ECSServiceProvider: ResourceProvider {
    let client: AWSClient
    let typeName = ECSService.typeName
    /// Adoption proof: the ownership tags; CreateService takes the tags (and a client token against retried creates).
    let adoptionProof = AdoptionProof.ownershipTags
    let replaceOnChange: Set<String> = ["name", "cluster", "launchType"]

    /// Codes that mean the service (or its cluster) is gone.
    static let goneCodes: Set<String> = ["ServiceNotFoundException", "ServiceNotActiveException", "ClusterNotFoundException"]

    func physicalID(for attributes: [String: JSON]) -> String? {
        guard let cluster = attributes.string("cluster"), let name = attributes.string("name") else { return nil }
        return "\(Self.clusterName(cluster))/\(name)"
    }

    func read(id: String, prior: [String: JSON]) async throws -> Observed? {
        let (cluster, name) = Self.locate(id, prior: prior)
        guard let service = try await describe(cluster: cluster, name: name) else { return nil }
        let clusterName = Self.clusterName(service["clusterArn"]?.stringValue ?? cluster)
        let serviceName = service["serviceName"]?.stringValue ?? name

        let strategy = (service["capacityProviderStrategy"]?.arrayValue ?? []).map { item -> JSON in
            [
                "capacityProvider": item["capacityProvider"] ?? .null, "weight": .int(item["weight"]?.intValue ?? 0),
                "base": .int(item["base"]?.intValue ?? 0),
            ]
        }
        var network: JSON = .null
        if let vpc = service["networkConfiguration"]?["awsvpcConfiguration"] {
            let priorNetwork = prior["networkConfiguration"]
            network = [
                "subnets": .array(
                    orderedLike(vpc["subnets"]?.arrayValue ?? [], prior: priorNetwork?["subnets"]?.arrayValue ?? [], key: \.description)),
                "securityGroups": .array(
                    orderedLike(
                        vpc["securityGroups"]?.arrayValue ?? [], prior: priorNetwork?["securityGroups"]?.arrayValue ?? [],
                        key: \.description)),
                "assignPublicIp": vpc["assignPublicIp"] ?? "DISABLED",
            ]
        }
        let deployment = service["deploymentConfiguration"]
        let breaker = deployment?["deploymentCircuitBreaker"]
        var deploymentAttribute: [String: JSON] = [
            "minimumHealthyPercent": .int(deployment?["minimumHealthyPercent"]?.intValue ?? 100),
            "maximumPercent": .int(deployment?["maximumPercent"]?.intValue ?? 200),
            "deploymentCircuitBreaker": [
                "enable": .bool(breaker?["enable"]?.boolValue ?? false), "rollback": .bool(breaker?["rollback"]?.boolValue ?? false),
            ],
        ]
        if let alarms = Self.observedAlarms(deployment?["alarms"], prior: prior["deploymentConfiguration"]?["alarms"]) {
            deploymentAttribute["alarms"] = alarms
        }
        let balancers = (service["loadBalancers"]?.arrayValue ?? []).map { item -> JSON in
            [
                "targetGroupArn": item["targetGroupArn"] ?? .null, "containerName": item["containerName"] ?? .null,
                "containerPort": item["containerPort"] ?? .null,
            ]
        }
        return Observed(
            id: "\(clusterName)/\(serviceName)",
            attributes: [
                "name": .string(serviceName),
                "cluster": .string(Self.sameCluster(prior.string("cluster"), clusterName) ? prior.string("cluster")! : clusterName),
                "taskDefinition": Self.taskDefinition(service["taskDefinition"]?.stringValue, prior: prior.string("taskDefinition")),
                "desiredCount": .int(service["desiredCount"]?.intValue ?? 0),
                "launchType": strategy.isEmpty ? (service["launchType"] ?? .null) : .null,
                "capacityProviderStrategy": .array(
                    orderedLike(strategy, prior: prior["capacityProviderStrategy"]?.arrayValue ?? [], key: \.description)),
                "networkConfiguration": network,
                "deploymentConfiguration": .object(deploymentAttribute),
                "loadBalancers": .array(orderedLike(balancers, prior: prior["loadBalancers"]?.arrayValue ?? [], key: \.description)),
                "tags": tagMap(service["tags"]).json,
            ], outputs: Self.outputs(service))
    }

    func create(_ attributes: [String: JSON]) async throws -> Applied {
        let cluster = attributes.string("cluster") ?? "default"
        let name = attributes.string("name") ?? ""
        var input: [String: JSON] = [
            "cluster": .string(cluster),
            "serviceName": .string(name),
            "taskDefinition": attributes["taskDefinition"] ?? .null,
            "desiredCount": .int(attributes.int("desiredCount") ?? 1),
            "deploymentConfiguration": attributes["deploymentConfiguration"] ?? [:],
            "schedulingStrategy": "REPLICA",
            "deploymentController": ["type": "ECS"],
        ]
        let strategy = attributes["capacityProviderStrategy"]?.arrayValue ?? []
        if !strategy.isEmpty {
            input["capacityProviderStrategy"] = .array(strategy)
        } else if let launchType = attributes.string("launchType") {
            input["launchType"] = .string(launchType)
        }
        if let network = Self.networkInput(attributes["networkConfiguration"]) { input["networkConfiguration"] = network }
        let balancers = attributes["loadBalancers"]?.arrayValue ?? []
        if !balancers.isEmpty { input["loadBalancers"] = .array(balancers) }
        let tags = attributes.tags()
        if !tags.isEmpty { input["tags"] = tagList(tags) }
        // The same token on every retry of this call: a create retried after a timeout is not made twice.
        input["clientToken"] = .string(UUID().uuidString)
        let result = try await acceptingNewRoles { try await client.json(.ecs.createService, .object(input)) }
        let service = result["service"] ?? [:]
        return Applied(id: "\(Self.clusterName(cluster))/\(name)", outputs: Self.outputs(service))
    }

    /// ECS assumes its service-linked role (and a load balancer's role) when a service is created or changed; in an
    /// account where the role was just made, or a role just changed, ECS refuses until IAM's change reaches it.
    private func acceptingNewRoles(_ call: () async throws -> JSON) async throws -> JSON {
        try await awaitingPropagation(
            of: "the ECS service roles", to: "ECS",
            refusals: [
                Refusal(
                    "InvalidParameterException",
                    messageContains: [
                        "Unable to assume the service linked role", "verify that the ECS service role being passed has the proper permissions",
                    ])
            ], clock: client.waitClock,
            hint:
                "Check that the account has the AWSServiceRoleForECS role (`aws iam create-service-linked-role --aws-service-name ecs.amazonaws.com`).",
            call)
    }

    func update(id: String, from old: [String: JSON], to new: [String: JSON]) async throws -> Applied {
        let (cluster, name) = Self.locate(id, prior: new)
        var input: [String: JSON] = [:]
        func changed(_ key: String) -> Bool { (old[key] ?? .null) != (new[key] ?? .null) }
        if changed("taskDefinition") { input["taskDefinition"] = new["taskDefinition"] ?? .null }
        if changed("desiredCount") { input["desiredCount"] = .int(new.int("desiredCount") ?? 1) }
        if changed("deploymentConfiguration") {
            var deployment = new["deploymentConfiguration"]?.objectValue ?? [:]
            // Without the member UpdateService would keep the alarms: removing them is an explicit "off".
            if deployment["alarms"] == nil, old["deploymentConfiguration"]?["alarms"] != nil {
                deployment["alarms"] = ECSService.DeploymentAlarms.off
            }
            input["deploymentConfiguration"] = .object(deployment)
        }
        if changed("capacityProviderStrategy") { input["capacityProviderStrategy"] = new["capacityProviderStrategy"] ?? [] }
        if changed("networkConfiguration"), let network = Self.networkInput(new["networkConfiguration"]) { input["networkConfiguration"] = network }
        if changed("loadBalancers") { input["loadBalancers"] = new["loadBalancers"] ?? [] }
        var service: JSON
        if input.isEmpty {
            guard let live = try await describe(cluster: cluster, name: name) else {
                throw AWSServiceError(
                    JSONOperation.ecs.describeServices, status: 400, code: "ServiceNotFoundException",
                    message: "The service \(id) no longer exists", requestID: nil)
            }
            service = live
        } else {
            input["cluster"] = .string(cluster)
            input["service"] = .string(name)
            service = try await acceptingNewRoles { try await client.json(.ecs.updateService, .object(input)) }["service"] ?? [:]
        }
        let arn = service["serviceArn"] ?? .null
        try await TaggingAPI.ecs.sync(client, resource: arn.stringValue ?? "", from: old.tags(), to: new.tags())
        return Applied(id: "\(Self.clusterName(cluster))/\(name)", outputs: Self.outputs(service))
    }

    /// Scales the service to 0, deletes it (ECS refuses while tasks are desired, and Cairn never forces), and waits
    /// until it is inactive, so that a service of the same name can be created again at once.
    func delete(id: String, attributes: [String: JSON]) async throws {
        let (cluster, name) = Self.locate(id, prior: attributes)
        do {
            _ = try await client.json(.ecs.updateService, ["cluster": .string(cluster), "service": .string(name), "desiredCount": 0])
            let deleted = try await client.json(.ecs.deleteService, ["cluster": .string(cluster), "service": .string(name), "force": false])
            // The answer says whether the service is still draining: wait only then.
            if let status = deleted["service"]?["status"]?.stringValue, !["ACTIVE", "DRAINING"].contains(status) { return }
        } catch let error as AWSServiceError where error.isNotFound(Self.goneCodes) {
            return
        }
        // Draining takes as long as the tasks' deregistration delay; AWS's own waiter allows 10 minutes.
        try await waitUntil(
            "ECS service \(name) in cluster \(cluster)", "finish draining after DeleteService", clock: client.waitClock,
            timeout: Self.drainTimeout
        ) {
            try await describe(cluster: cluster, name: name, includeDraining: true) == nil
        }
    }

    /// How long a deleted service may take to drain before the delete is reported as failed.
    static let drainTimeout: Duration = .seconds(600)

    // MARK: Helpers

    /// The service, or nil when it does not exist or is inactive (or draining, unless `includeDraining`).
    private func describe(cluster: String, name: String, includeDraining: Bool = false) async throws -> JSON? {
        let result: JSON
        do {
            result = try await client.json(.ecs.describeServices, ["cluster": .string(cluster), "services": [.string(name)], "include": ["TAGS"]])
        } catch let error as AWSServiceError where error.isNotFound(Self.goneCodes) {
            return nil
        }
        guard let service = result["services"]?.arrayValue?.first(where: { $0["serviceName"]?.stringValue == name }) else { return nil }
        switch service["status"]?.stringValue {
        case "ACTIVE": return service
        case "DRAINING": return includeDraining ? service : nil
        default: return nil
        }
    }

    /// The deployment alarms as the attribute shows them: nil when ECS reports none watched (no names, off), the names
    /// ordered as last applied.
    static func observedAlarms(_ live: JSON?, prior: JSON?) -> JSON? {
        guard let live, !live.isNull else { return nil }
        let names = live["alarmNames"]?.arrayValue ?? []
        let enable = live["enable"]?.boolValue ?? false
        let rollback = live["rollback"]?.boolValue ?? false
        if names.isEmpty && !enable && !rollback { return nil }
        return [
            "alarmNames": .array(orderedLike(names, prior: prior?["alarmNames"]?.arrayValue ?? [], key: \.description)),
            "enable": .bool(enable), "rollback": .bool(rollback),
        ]
    }

    /// The `networkConfiguration` CreateService and UpdateService take, from the attribute form.
    static func networkInput(_ attribute: JSON?) -> JSON? {
        guard let network = attribute, !network.isNull else { return nil }
        var vpc: [String: JSON] = ["subnets": network["subnets"] ?? [], "assignPublicIp": network["assignPublicIp"] ?? "DISABLED"]
        if let groups = network["securityGroups"]?.arrayValue, !groups.isEmpty { vpc["securityGroups"] = .array(groups) }
        return ["awsvpcConfiguration": .object(vpc)]
    }

    static func outputs(_ service: JSON) -> [String: JSON] {
        ["arn": service["serviceArn"] ?? .null, "name": service["serviceName"] ?? .null]
    }

    /// The cluster and service names of a physical id: `CLUSTER/NAME`, a service ARN (`…:service/CLUSTER/NAME`, or the
    /// old `…:service/NAME` with the cluster from `prior`), or a bare name (cluster from `prior`, else `default`).
    static func locate(_ id: String, prior: [String: JSON]) -> (cluster: String, name: String) {
        let priorCluster = prior.string("cluster")
        if id.hasPrefix("arn:"), let range = id.range(of: ":service/") {
            let path = id[range.upperBound...].split(separator: "/").map(String.init)
            if path.count >= 2 { return (path[path.count - 2], path[path.count - 1]) }
            return (priorCluster ?? "default", path.last ?? id)
        }
        if let slash = id.lastIndex(of: "/") {
            return (String(id[..<slash]), String(id[id.index(after: slash)...]))
        }
        return (priorCluster ?? "default", id)
    }

    /// A cluster's name, from its name or ARN (`arn:aws:ecs:REGION:ACCOUNT:cluster/NAME`).
    static func clusterName(_ nameOrArn: String) -> String {
        if nameOrArn.hasPrefix("arn:"), let range = nameOrArn.range(of: ":cluster/") { return String(nameOrArn[range.upperBound...]) }
        return nameOrArn
    }

    /// Whether `declared` (a name or ARN) names the cluster called `name`.
    static func sameCluster(_ declared: String?, _ name: String) -> Bool {
        guard let declared else { return false }
        return clusterName(declared) == name
    }

    /// The live task definition ARN in the form last applied, when it is the same revision (`FAMILY:REVISION` or an
    /// ARN), or when a bare family was declared and the service runs a revision of it.
    static func taskDefinition(_ live: String?, prior: String?) -> JSON {
        guard let live else { return .null }
        guard let prior, prior != live else { return .string(live) }
        let liveTail = live.split(separator: "/").last.map(String.init) ?? live
        let priorTail = prior.split(separator: "/").last.map(String.init) ?? prior
        if liveTail == priorTail { return .string(prior) }
        if !priorTail.contains(":"), liveTail.hasPrefix(priorTail + ":") { return .string(prior) }
        return .string(live)
    }
}

// MARK: cairn generate

extension ECSServiceProvider: DiscoverableProvider {
    var swiftType: String { "ECSService" }
    var swiftNoun: String { "service" }
    var swiftOutputs: [String: String] { ["arn": "arn", "name": "serviceName"] }

    /// The active services of every cluster, as `CLUSTER/NAME`.
    func discover() async throws -> [DiscoveredResource] {
        var found: [DiscoveredResource] = []
        for clusterArn in try await client.jsonAll(.ecs.listClusters).compactMap(\.stringValue) {
            let cluster = Self.clusterName(clusterArn)
            let arns = try await client.jsonAll(.ecs.listServices, ["cluster": .string(cluster)]).compactMap(\.stringValue)
            for start in stride(from: 0, to: arns.count, by: 10) {
                let batch = arns[start..<min(start + 10, arns.count)]
                let result = try await client.json(
                    .ecs.describeServices, ["cluster": .string(cluster), "services": .array(batch.map { .string($0) })])
                for service in result["services"]?.arrayValue ?? [] where service["status"]?.stringValue == "ACTIVE" {
                    if let name = service["serviceName"]?.stringValue { found.append(DiscoveredResource(id: "\(cluster)/\(name)", name: name)) }
                }
            }
        }
        return found
    }

    func swiftArguments(_ live: Observed, in context: SwiftContext) -> [SwiftArgument] {
        let attributes = live.attributes
        var arguments = [
            SwiftArgument("name", context.literal(attributes.string("name") ?? "")),
            SwiftArgument("cluster", context.input(attributes.string("cluster") ?? "", naming: ECSCluster.typeName, "name")),
            SwiftArgument("taskDefinition", context.input(attributes.string("taskDefinition") ?? "", naming: ECSTaskDefinition.typeName, "arn")),
        ]
        if let count = attributes.int("desiredCount"), count != 1 { arguments.append(SwiftArgument("desiredCount", String(count))) }
        let strategy = attributes["capacityProviderStrategy"]?.arrayValue ?? []
        if !strategy.isEmpty {
            let items = strategy.map { item -> String in
                var parts = [SwiftArgument(nil, context.literal(item["capacityProvider"]?.stringValue ?? ""))]
                if let weight = item["weight"]?.intValue, weight != 1 { parts.append(SwiftArgument("weight", String(weight))) }
                if let base = item["base"]?.intValue, base != 0 { parts.append(SwiftArgument("base", String(base))) }
                return SwiftCode.call(".init", parts)
            }
            arguments.append(SwiftArgument("compute", ".capacityProviderStrategy(\(SwiftCode.array(items)))"))
        } else if let launchType = attributes.string("launchType"), launchType != "FARGATE" {
            let cases = ["EC2": ".ec2", "EXTERNAL": ".external", "MANAGED_INSTANCES": ".managedInstances"]
            if let swift = cases[launchType] {
                arguments.append(SwiftArgument("compute", ".launchType(\(swift))"))
            } else {
                context.cannotExpress("launchType", "\(launchType) is not a launch type ECSService names", ignoringDrift: "launchType")
            }
        }
        if let network = attributes["networkConfiguration"], !network.isNull {
            let subnetIDs = network["subnets"]?.arrayValue?.compactMap(\.stringValue) ?? []
            let subnets = context.list(subnetIDs, naming: DefaultSubnets.typeName, "ids").map { ".all(\($0))" } ?? context.inputs(subnetIDs)
            var parts = [SwiftArgument("subnets", subnets)]
            let groups = network["securityGroups"]?.arrayValue?.compactMap(\.stringValue) ?? []
            if !groups.isEmpty {
                parts.append(SwiftArgument("securityGroups", SwiftCode.array(groups.map { context.input($0, naming: SecurityGroup.typeName, "id") })))
            }
            if network["assignPublicIp"]?.stringValue == "ENABLED" { parts.append(SwiftArgument("assignPublicIp", ".enabled")) }
            arguments.append(SwiftArgument("networkConfiguration", SwiftCode.call(".init", parts)))
        }
        if let deployment = attributes["deploymentConfiguration"] {
            var parts: [SwiftArgument] = []
            if let minimum = deployment["minimumHealthyPercent"]?.intValue, minimum != 100 {
                parts.append(SwiftArgument("minimumHealthyPercent", String(minimum)))
            }
            if let maximum = deployment["maximumPercent"]?.intValue, maximum != 200 { parts.append(SwiftArgument("maximumPercent", String(maximum))) }
            let breaker = deployment["deploymentCircuitBreaker"]
            let enable = breaker?["enable"]?.boolValue ?? false
            let rollback = breaker?["rollback"]?.boolValue ?? false
            if enable || rollback {
                parts.append(SwiftArgument("circuitBreaker", ".init(enable: \(enable), rollback: \(rollback))"))
            }
            if let alarms = deployment["alarms"], !alarms.isNull {
                let names = alarms["alarmNames"]?.arrayValue?.compactMap(\.stringValue) ?? []
                var alarmParts = [
                    SwiftArgument("alarmNames", SwiftCode.array(names.map { context.input($0, naming: "aws_cloudwatch_metric_alarm", "name") }))
                ]
                if alarms["enable"]?.boolValue == false { alarmParts.append(SwiftArgument("enable", "false")) }
                if alarms["rollback"]?.boolValue == true { alarmParts.append(SwiftArgument("rollback", "true")) }
                parts.append(SwiftArgument("alarms", SwiftCode.call(".init", alarmParts)))
            }
            if !parts.isEmpty { arguments.append(SwiftArgument("deploymentConfiguration", SwiftCode.call(".init", parts))) }
        }
        let balancers = (attributes["loadBalancers"]?.arrayValue ?? []).map { item in
            SwiftCode.call(
                ".init",
                [
                    SwiftArgument("targetGroupArn", context.input(item["targetGroupArn"]?.stringValue ?? "")),
                    SwiftArgument("containerName", context.literal(item["containerName"]?.stringValue ?? "")),
                    SwiftArgument("containerPort", String(item["containerPort"]?.intValue ?? 0)),
                ])
        }
        if !balancers.isEmpty { arguments.append(SwiftArgument("loadBalancers", SwiftCode.array(balancers))) }
        if let tags = context.tags(live) { arguments.append(tags) }
        return arguments
    }
}
