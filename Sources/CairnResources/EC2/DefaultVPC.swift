import CairnAWS
import CairnEngine
import CairnJSON

// MARK: - Look-up declarations

/// The region's default VPC, looked up at plan time (`aws ec2 describe-vpcs --filters Name=isDefault,Values=true`).
/// Never created, changed or deleted. Outputs: `id`, `cidrBlock`.
public struct DefaultVPC: ResourceDeclaration {
    /// The type name in addresses.
    public static let typeName = "aws_default_vpc"

    /// The name in the stack (`aws_default_vpc.<logicalName>`).
    public let logicalName: String
    /// Dependencies for the engine (a look-up may depend only on other look-ups).
    public var options: ResourceOptions

    /// The default VPC of the stack's region.
    public init(_ logicalName: String, options: ResourceOptions = ResourceOptions()) {
        self.logicalName = logicalName
        self.options = options
    }

    /// The VPC id (`vpc-…`).
    public var id: Output<String> { Output(output("id")) }
    /// The VPC's primary IPv4 CIDR block (`172.31.0.0/16` in every default VPC).
    public var cidrBlock: Output<String> { Output(output("cidrBlock")) }

    /// None: the look-up takes no input.
    public var attributes: [String: Value] { [:] }
}

/// The default subnets (one per availability zone) of a VPC, looked up at plan time. Output: `ids`, sorted.
public struct DefaultSubnets: ResourceDeclaration {
    /// The type name in addresses.
    public static let typeName = "aws_default_subnets"

    /// The name in the stack (`aws_default_subnets.<logicalName>`).
    public let logicalName: String
    /// The VPC, usually `DefaultVPC.id`.
    public var vpcId: Input<String>
    /// Dependencies for the engine (a look-up may depend only on other look-ups).
    public var options: ResourceOptions

    /// The default subnets of `vpcId`.
    public init(_ logicalName: String, vpcId: Input<String>, options: ResourceOptions = ResourceOptions()) {
        self.logicalName = logicalName
        self.vpcId = vpcId
        self.options = options
    }

    /// The subnet ids, sorted: use as `IDList.all(subnets.ids)`, e.g. for an ECS service's subnets.
    public var ids: Output<[String]> { Output(output("ids")) }

    /// The look-up's input: `vpcId`.
    public var attributes: [String: Value] { ["vpcId": vpcId.value] }

    /// The VPC id's form.
    public func validate() -> [ValidationIssue] { checkVPCId(vpcId, address: address) }
}

/// The security group named `default` of a VPC, looked up at plan time. Output: `id`.
public struct DefaultSecurityGroup: ResourceDeclaration {
    /// The type name in addresses.
    public static let typeName = "aws_default_security_group"

    /// The name in the stack (`aws_default_security_group.<logicalName>`).
    public let logicalName: String
    /// The VPC, usually `DefaultVPC.id`.
    public var vpcId: Input<String>
    /// Dependencies for the engine (a look-up may depend only on other look-ups).
    public var options: ResourceOptions

    /// The `default` security group of `vpcId`.
    public init(_ logicalName: String, vpcId: Input<String>, options: ResourceOptions = ResourceOptions()) {
        self.logicalName = logicalName
        self.vpcId = vpcId
        self.options = options
    }

    /// The security group id (`sg-…`).
    public var id: Output<String> { Output(output("id")) }

    /// The look-up's input: `vpcId`.
    public var attributes: [String: Value] { ["vpcId": vpcId.value] }

    /// The VPC id's form.
    public func validate() -> [ValidationIssue] { checkVPCId(vpcId, address: address) }
}

func checkVPCId(_ vpcId: Input<String>, address: String) -> [ValidationIssue] {
    guard let text = vpcId.literal else { return [] }
    if text.range(of: #"\Avpc-[0-9a-f]{8,17}\z"#, options: .regularExpression) == nil {
        return [
            ValidationIssue(
                address: address, attribute: "vpcId",
                message: "'\(text)' is not a VPC id (vpc- and 8 or 17 hex digits): use DefaultVPC's id or a literal id.")
        ]
    }
    return []
}

// MARK: - Lists of ids

/// A list of ids (subnets, security groups) as an input: ids given one by one, literal or from other resources
/// (`["subnet-0abc", .output(group.id)]`), or a whole list from a look-up (`.all(subnets.ids)`).
public enum IDList: Sendable, ExpressibleByArrayLiteral {
    /// These ids, in this order (sorted when they are all literal).
    case ids([Input<String>])
    /// Every id of a list output, such as `DefaultSubnets.ids`.
    case all(Output<[String]>)

    /// The ids listed.
    public init(arrayLiteral elements: Input<String>...) { self = .ids(elements) }

    /// As an attribute value: an array of strings once resolved. Literal ids are sorted and deduplicated so that
    /// their order never shows as a change.
    public var value: Value {
        switch self {
        case .all(let output):
            return .reference(output.reference)
        case .ids(let inputs):
            let literals = inputs.compactMap(\.literal)
            guard literals.count == inputs.count else { return .array(inputs.map(\.value)) }
            return .array(Set(literals).sorted().map { .string($0) })
        }
    }

    /// The literal ids, or nil when some come from other resources.
    var literals: [String]? {
        guard case .ids(let inputs) = self else { return nil }
        let literals = inputs.compactMap(\.literal)
        return literals.count == inputs.count ? literals : nil
    }

    /// How many ids are listed; nil for a list output, whose length is known only at plan time.
    var declaredCount: Int? {
        if case .ids(let inputs) = self { return inputs.count }
        return nil
    }
}

/// Orders what AWS reports like what was last applied, so that sets whose order AWS does not keep never show as
/// a change: the items of `prior` that AWS still has, in `prior`'s order, then the others sorted by `key`.
func orderedLike<T: Hashable>(_ live: [T], prior: [T], key: (T) -> String) -> [T] {
    let liveSet = Set(live)
    var seen = Set<T>()
    let kept = prior.filter { liveSet.contains($0) && seen.insert($0).inserted }
    var rest: [T] = []
    for item in live where seen.insert(item).inserted { rest.append(item) }
    return kept + rest.sorted { key($0) < key($1) }
}

// MARK: - Providers

/// A look-up found nothing.
public struct EC2LookupError: Error, Sendable, CustomStringConvertible {
    /// What was looked for and what to do.
    public let description: String
}

/// EC2 filters in the ec2 protocol's form: `Filter.N.Name`, `Filter.N.Value.M`.
func ec2Filters(_ filters: [(String, [String])]) -> QueryParameters {
    var parameters = QueryParameters()
    for (i, filter) in filters.enumerated() {
        parameters["Filter.\(i + 1).Name"] = filter.0
        for (j, value) in filter.1.enumerated() { parameters["Filter.\(i + 1).Value.\(j + 1)"] = value }
    }
    return parameters
}

/// Looks up the region's default VPC.
struct DefaultVPCProvider: LookupProvider {
    let client: AWSClient
    let typeName = DefaultVPC.typeName

    func lookup(_ attributes: [String: JSON]) async throws -> [String: JSON] {
        let vpcs = try await client.queryAll(.ec2.describeVpcs, ec2Filters([("isDefault", ["true"])]), key: "vpcSet")
        guard let vpc = vpcs.first, let id = vpc.string("vpcId") else {
            throw EC2LookupError(
                description:
                    "region \(client.region) has no default VPC: create one with `aws ec2 create-default-vpc`, or declare the VPC's ids yourself.")
        }
        return ["id": .string(id), "cidrBlock": vpc.string("cidrBlock").map { .string($0) } ?? .null]
    }
}

/// Looks up the default subnets of a VPC.
struct DefaultSubnetsProvider: LookupProvider {
    let client: AWSClient
    let typeName = DefaultSubnets.typeName

    func lookup(_ attributes: [String: JSON]) async throws -> [String: JSON] {
        let vpcId = attributes.string("vpcId") ?? ""
        let subnets = try await client.queryAll(
            .ec2.describeSubnets,
            ec2Filters([("vpc-id", [vpcId]), ("default-for-az", ["true"])]), key: "subnetSet")
        let ids = Set(subnets.compactMap { $0.string("subnetId") }).sorted()
        guard !ids.isEmpty else {
            throw EC2LookupError(
                description:
                    "VPC \(vpcId) has no default subnets in region \(client.region): create them with `aws ec2 create-default-subnet`, or list the subnet ids yourself."
            )
        }
        return ["ids": .array(ids.map { .string($0) })]
    }
}

/// Looks up the `default` security group of a VPC.
struct DefaultSecurityGroupProvider: LookupProvider {
    let client: AWSClient
    let typeName = DefaultSecurityGroup.typeName

    func lookup(_ attributes: [String: JSON]) async throws -> [String: JSON] {
        let vpcId = attributes.string("vpcId") ?? ""
        let groups = try await client.queryAll(
            .ec2.describeSecurityGroups,
            ec2Filters([("vpc-id", [vpcId]), ("group-name", ["default"])]), key: "securityGroupInfo")
        guard let id = groups.first?.string("groupId") else {
            throw EC2LookupError(description: "VPC \(vpcId) has no security group named 'default' in region \(client.region): check the VPC id.")
        }
        return ["id": .string(id)]
    }
}

// MARK: cairn generate

/// The default VPC and its subnets, offered to generated stacks: declared where a security group or a service names them.
extension DefaultVPCProvider: DiscoverableLookups {
    func discoverLookups() async throws -> [DiscoveredLookup] {
        let vpc = try await lookup([:])
        guard let id = vpc["id"]?.stringValue else { return [] }
        let subnets = try await DefaultSubnetsProvider(client: client).lookup(["vpcId": .string(id)])
        return [
            DiscoveredLookup(typeName: DefaultVPC.typeName, swiftType: "DefaultVPC", variable: "vpc", outputs: vpc, swiftOutputs: ["id": "id"]),
            DiscoveredLookup(
                typeName: DefaultSubnets.typeName, swiftType: "DefaultSubnets", variable: "subnets", outputs: subnets, swiftOutputs: ["ids": "ids"]
            ) { context in [SwiftArgument("vpcId", context.input(id, naming: DefaultVPC.typeName, "id"))] },
        ]
    }
}
