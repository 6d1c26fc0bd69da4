import CairnAWS
import CairnEngine
import CairnJSON

/// An ECS cluster (`aws ecs create-cluster`).
public struct ECSCluster: ResourceDeclaration {
    public static let typeName = "aws_ecs_cluster"

    /// CloudWatch Container Insights.
    public enum ContainerInsights: String, Sendable {
        case enabled, disabled, enhanced
    }

    public let logicalName: String
    public var name: Input<String>
    public var containerInsights: ContainerInsights
    /// `FARGATE`, `FARGATE_SPOT`, or capacity provider names.
    public var capacityProviders: [String]
    public var tags: Tags
    public var options: ResourceOptions

    public init(
        _ logicalName: String, name: Input<String>, containerInsights: ContainerInsights = .disabled,
        capacityProviders: [String] = [], tags: Tags = [:], options: ResourceOptions = ResourceOptions()
    ) {
        self.logicalName = logicalName
        self.name = name
        self.containerInsights = containerInsights
        self.capacityProviders = capacityProviders
        self.tags = tags
        self.options = options
    }

    public var arn: Output<String> { Output(output("arn")) }
    public var clusterName: Output<String> { Output(output("name")) }

    public var attributes: [String: Value] {
        [
            "name": name.value,
            "containerInsights": .string(containerInsights.rawValue),
            "capacityProviders": .json(.array(capacityProviders.sorted().map { .string($0) })),
            "tags": .json(tags.json),
        ]
    }

    public func validate() -> [ValidationIssue] {
        checkName(
            name, address: address, attribute: "name", length: 1...255, pattern: "^[A-Za-z0-9_-]+$",
            rule: "cluster names are 1 to 255 letters, digits, hyphens and underscores")
            + checkTags(tags, address: address)
    }
}

/// Creates, reads, updates and deletes ECS clusters; the physical id is the cluster name.
struct ECSClusterProvider: ResourceProvider {
    let client: AWSClient
    let typeName = ECSCluster.typeName
    /// Adoption proof: the ownership tags; CreateCluster takes the tags.
    let adoptionProof = AdoptionProof.ownershipTags
    let replaceOnChange: Set<String> = ["name"]

    func physicalID(for attributes: [String: JSON]) -> String? { attributes.string("name") }

    func read(id: String, prior: [String: JSON]) async throws -> Observed? {
        let result = try await client.json(.ecs.describeClusters, ["clusters": [.string(id)], "include": ["SETTINGS", "TAGS"]])
        guard let cluster = result["clusters"]?.arrayValue?.first, cluster["status"]?.stringValue != "INACTIVE",
            let arn = cluster["clusterArn"]?.stringValue
        else { return nil }
        let insights = cluster["settings"]?.arrayValue?.first { $0["name"]?.stringValue == "containerInsights" }?["value"]?.stringValue ?? "disabled"
        let providers = (cluster["capacityProviders"]?.arrayValue ?? []).compactMap(\.stringValue).sorted()
        return Observed(
            id: id,
            attributes: [
                "name": .string(cluster["clusterName"]?.stringValue ?? id),
                "containerInsights": .string(insights),
                "capacityProviders": .array(providers.map { .string($0) }),
                "tags": tagMap(cluster["tags"]).json,
            ], outputs: ["arn": .string(arn), "name": .string(id)])
    }

    func create(_ attributes: [String: JSON]) async throws -> Applied {
        let name = attributes.string("name") ?? ""
        var input: [String: JSON] = [
            "clusterName": .string(name),
            "settings": [["name": "containerInsights", "value": .string(attributes.string("containerInsights") ?? "disabled")]],
        ]
        let providers = attributes.strings("capacityProviders")
        if !providers.isEmpty { input["capacityProviders"] = .array(providers.map { .string($0) }) }
        let tags = attributes.tags()
        if !tags.isEmpty { input["tags"] = tagList(tags) }
        let result = try await client.json(.ecs.createCluster, .object(input))
        return Applied(id: name, outputs: ["arn": result["cluster"]?["clusterArn"] ?? .null, "name": .string(name)])
    }

    func update(id: String, from old: [String: JSON], to new: [String: JSON]) async throws -> Applied {
        let result = try await client.json(.ecs.describeClusters, ["clusters": [.string(id)]])
        let arn = result["clusters"]?[0]?["clusterArn"] ?? .null
        if old["containerInsights"] != new["containerInsights"] {
            _ = try await client.json(
                .ecs.updateClusterSettings,
                [
                    "cluster": .string(id),
                    "settings": [["name": "containerInsights", "value": new["containerInsights"] ?? "disabled"]],
                ])
        }
        if old["capacityProviders"] != new["capacityProviders"] {
            // ECS refuses while an earlier change of the cluster's capacity providers is still being carried out
            // (UpdateInProgressException); Terraform's AWS provider waits up to 10 minutes for it, as Cairn does.
            _ = try await afterOtherChanges(
                to: "ECS cluster \(id)", refusals: ["UpdateInProgressException"], clock: client.waitClock, timeout: .seconds(600)
            ) {
                try await client.json(
                    .ecs.putClusterCapacityProviders,
                    [
                        "cluster": .string(id), "capacityProviders": new["capacityProviders"] ?? [], "defaultCapacityProviderStrategy": [],
                    ])
            }
        }
        try await TaggingAPI.ecs.sync(client, resource: arn.stringValue ?? "", from: old.tags(), to: new.tags())
        return Applied(id: id, outputs: ["arn": arn, "name": .string(id)])
    }

    func delete(id: String, attributes: [String: JSON]) async throws {
        try await ignoringNotFound(["ClusterNotFoundException"]) {
            _ = try await client.json(.ecs.deleteCluster, ["cluster": .string(id)])
        }
    }
}

// MARK: cairn generate

extension ECSClusterProvider: DiscoverableProvider {
    var swiftType: String { "ECSCluster" }
    var swiftNoun: String { "cluster" }
    var swiftOutputs: [String: String] { ["arn": "arn", "name": "clusterName"] }

    func discover() async throws -> [DiscoveredResource] {
        try await client.jsonAll(.ecs.listClusters).compactMap(\.stringValue).map { arn in
            let name = ECSServiceProvider.clusterName(arn)
            return DiscoveredResource(id: name, name: name)
        }
    }

    func swiftArguments(_ live: Observed, in context: SwiftContext) -> [SwiftArgument] {
        let attributes = live.attributes
        var arguments = [SwiftArgument("name", context.literal(attributes.string("name") ?? live.id))]
        if let insights = attributes.string("containerInsights"), insights != "disabled" {
            if let known = ECSCluster.ContainerInsights(rawValue: insights) {
                arguments.append(SwiftArgument("containerInsights", ".\(known.rawValue)"))
            } else {
                context.cannotExpress(
                    "containerInsights", "\(insights) is not one ECSCluster.ContainerInsights names", ignoringDrift: "containerInsights")
            }
        }
        let providers = attributes.strings("capacityProviders")
        if !providers.isEmpty { arguments.append(SwiftArgument("capacityProviders", SwiftCode.strings(providers))) }
        if let tags = context.tags(live) { arguments.append(tags) }
        return arguments
    }
}
