import CairnAWS
import CairnEngine
import CairnJSON
import Foundation

/// One security group rule: a protocol, a port range and the sources (ingress) or destinations (egress) it
/// allows. A rule with several CIDR blocks stands for one AWS rule per block; Cairn compares rules as a set.
public struct SecurityGroupRule: Sendable {
    /// The IP protocol.
    public enum IPProtocol: String, Sendable {
        case tcp, udp, icmp
        /// Every protocol and port (AWS's `-1`).
        case all = "-1"
    }

    /// The IP protocol.
    public var ipProtocol: IPProtocol
    /// TCP/UDP: the first port. ICMP: the ICMP type (nil or -1 for every type). Not used with `.all`.
    public var fromPort: Int?
    /// TCP/UDP: the last port (nil: `fromPort`). ICMP: the ICMP code (nil or -1 for every code). Not used with `.all`.
    public var toPort: Int?
    /// IPv4 ranges, such as `"0.0.0.0/0"` or `"\(vpc.cidrBlock)"`.
    public var cidrBlocks: [Input<String>]
    /// IPv6 ranges, such as `"::/0"`.
    public var ipv6CidrBlocks: [Input<String>]
    /// Another security group whose members are allowed (`sg-…`).
    public var sourceSecurityGroupId: Input<String>?
    /// Shown in the console; up to 255 characters.
    public var description: String?

    /// A rule for `ipProtocol` and ports, allowing the sources (or destinations) given.
    public init(
        _ ipProtocol: IPProtocol, fromPort: Int? = nil, toPort: Int? = nil, cidrBlocks: [Input<String>] = [],
        ipv6CidrBlocks: [Input<String>] = [], sourceSecurityGroupId: Input<String>? = nil, description: String? = nil
    ) {
        self.ipProtocol = ipProtocol
        self.fromPort = fromPort
        self.toPort = toPort
        self.cidrBlocks = cidrBlocks
        self.ipv6CidrBlocks = ipv6CidrBlocks
        self.sourceSecurityGroupId = sourceSecurityGroupId
        self.description = description
    }

    /// TCP on `ports` (one port: `80...80`).
    public static func tcp(
        _ ports: ClosedRange<Int>, cidrBlocks: [Input<String>] = [], ipv6CidrBlocks: [Input<String>] = [],
        sourceSecurityGroupId: Input<String>? = nil, description: String? = nil
    ) -> SecurityGroupRule {
        SecurityGroupRule(
            .tcp, fromPort: ports.lowerBound, toPort: ports.upperBound, cidrBlocks: cidrBlocks,
            ipv6CidrBlocks: ipv6CidrBlocks, sourceSecurityGroupId: sourceSecurityGroupId, description: description)
    }

    /// Everything to anywhere over IPv4: the egress rule AWS gives every new group.
    public static let allowAllOutbound = SecurityGroupRule(.all, cidrBlocks: ["0.0.0.0/0"])

    /// The AWS rules this stands for, one per source, as attribute values (see `SecurityGroup`).
    var atomicValues: [Value] {
        var base: [String: Value] = ["protocol": .string(ipProtocol.rawValue)]
        switch ipProtocol {
        case .all: break
        case .icmp:
            base["fromPort"] = .int(fromPort ?? -1)
            base["toPort"] = .int(toPort ?? -1)
        case .tcp, .udp:
            base["fromPort"] = .int(fromPort ?? 0)
            base["toPort"] = .int(toPort ?? fromPort ?? 0)
        }
        if let description, !description.isEmpty { base["description"] = .string(description) }
        var rules: [Value] = []
        func add(_ key: String, _ value: Value) {
            var rule = base
            rule[key] = value
            rules.append(.object(rule))
        }
        for block in cidrBlocks { add("cidrBlock", block.value) }
        for block in ipv6CidrBlocks { add("ipv6CidrBlock", block.value) }
        if let sourceSecurityGroupId { add("sourceSecurityGroupId", sourceSecurityGroupId.value) }
        return rules
    }
}

/// A VPC security group (`aws ec2 create-security-group`) and its rules. Cairn manages the rules exclusively:
/// rules AWS has but the declaration does not are revoked on the next apply.
///
/// Attributes (as the state and plans show them):
/// - `name`, `description` (default `"Managed by Cairn"`), `vpcId`: a change replaces the group.
/// - `ingress`, `egress`: arrays of single rules, one per source: `{"protocol": "tcp", "fromPort": 443,
///   "toPort": 443, "cidrBlock": "0.0.0.0/0", "description": "…"}`. The source is one of `cidrBlock`,
///   `ipv6CidrBlock`, `sourceSecurityGroupId` (AWS may also report `prefixListId`); `protocol` is `tcp`, `udp`,
///   `icmp` or `-1` (all, without ports); `description` only when there is one. Sorted canonically when every value
///   is literal; compared as sets.
/// - `tags`: an object of strings.
public struct SecurityGroup: ResourceDeclaration {
    /// The type name in addresses and the state.
    public static let typeName = "aws_security_group"

    /// The name in the stack (`aws_security_group.<logicalName>`).
    public let logicalName: String
    /// The group name, unique in the VPC; a change replaces the group.
    public var name: Input<String>
    /// Required by AWS; a change replaces the group.
    public var description: String
    /// The VPC, such as `DefaultVPC.id`; a change replaces the group.
    public var vpcId: Input<String>
    /// What may reach members of the group.
    public var ingress: [SecurityGroupRule]
    /// Where members may connect to; by default anywhere, as AWS sets up a new group.
    public var egress: [SecurityGroupRule]
    /// AWS tags.
    public var tags: Tags
    /// Dependencies and lifecycle options for the engine.
    public var options: ResourceOptions

    /// A group named `name` in `vpcId`, allowing `ingress` in and `egress` out.
    public init(
        _ logicalName: String, name: Input<String>, description: String = "Managed by Cairn", vpcId: Input<String>,
        ingress: [SecurityGroupRule] = [], egress: [SecurityGroupRule] = [.allowAllOutbound], tags: Tags = [:],
        options: ResourceOptions = ResourceOptions()
    ) {
        self.logicalName = logicalName
        self.name = name
        self.description = description
        self.vpcId = vpcId
        self.ingress = ingress
        self.egress = egress
        self.tags = tags
        self.options = options
    }

    /// The group id (`sg-…`), the physical id.
    public var id: Output<String> { Output(output("id")) }
    /// The group's ARN.
    public var arn: Output<String> { Output(output("arn")) }
    /// The group's name.
    public var groupName: Output<String> { Output(output("name")) }

    /// Every managed attribute (see the type's documentation).
    public var attributes: [String: Value] {
        [
            "name": name.value,
            "description": .string(description),
            "vpcId": vpcId.value,
            "ingress": Self.ruleSet(ingress),
            "egress": Self.ruleSet(egress),
            "tags": .json(tags.json),
        ]
    }

    /// The single rules, sorted and without duplicates when all are literal; in declaration order otherwise
    /// (the provider's read follows the order last applied).
    static func ruleSet(_ rules: [SecurityGroupRule]) -> Value {
        let values = rules.flatMap(\.atomicValues)
        let literal = values.compactMap(literalJSON)
        guard literal.count == values.count else { return .array(values) }
        return .array(SecurityGroupProvider.canonical(literal).map { .json($0) })
    }

    static let textPattern = #"\A[a-zA-Z0-9 ._\-:/()#,@\[\]+=&;{}!$*]*\z"#

    /// The name, the description, the VPC id, each rule and the tags, as EC2 checks them.
    public func validate() -> [ValidationIssue] {
        var issues = checkName(
            name, address: address, attribute: "name", length: 1...255, pattern: Self.textPattern,
            rule: "security group names are 1 to 255 letters, digits, spaces and ._-:/()#,@[]+=&;{}!$*")
        func issue(_ attribute: String, _ message: String) {
            issues.append(ValidationIssue(address: address, attribute: attribute, message: message))
        }
        if let text = name.literal, text.lowercased().hasPrefix("sg-") {
            issue("name", "'\(text)' starts with 'sg-', which EC2 reserves for group ids: choose another name.")
        }
        if description.isEmpty || description.count > 255 || description.range(of: Self.textPattern, options: .regularExpression) == nil {
            issue("description", "the description must be 1 to 255 letters, digits, spaces and ._-:/()#,@[]+=&;{}!$* (AWS requires one).")
        }
        issues += checkVPCId(vpcId, address: address)
        for (kind, rules) in [("ingress", ingress), ("egress", egress)] {
            for (i, rule) in rules.enumerated() {
                issues += Self.validate(rule, address: address, path: "\(kind)[\(i)]")
            }
        }
        return issues + checkTags(tags, address: address)
    }

    static func validate(_ rule: SecurityGroupRule, address: String, path: String) -> [ValidationIssue] {
        var issues: [ValidationIssue] = []
        func issue(_ attribute: String, _ message: String) {
            issues.append(ValidationIssue(address: address, attribute: "\(path)\(attribute)", message: message))
        }
        switch rule.ipProtocol {
        case .all:
            if rule.fromPort != nil || rule.toPort != nil {
                issue(".fromPort", "a rule for all protocols covers every port: remove fromPort and toPort.")
            }
        case .icmp:
            if let type = rule.fromPort, !(-1...255).contains(type) { issue(".fromPort", "the ICMP type must be -1 (all) to 255, not \(type).") }
            if let code = rule.toPort, !(-1...255).contains(code) { issue(".toPort", "the ICMP code must be -1 (all) to 255, not \(code).") }
        case .tcp, .udp:
            if let from = rule.fromPort {
                let to = rule.toPort ?? from
                if !(0...65535).contains(from) { issue(".fromPort", "ports are 0 to 65535, not \(from).") }
                if !(0...65535).contains(to) { issue(".toPort", "ports are 0 to 65535, not \(to).") }
                if to < from { issue(".toPort", "the port range \(from)-\(to) ends before it starts.") }
            } else {
                issue(".fromPort", "a \(rule.ipProtocol.rawValue) rule needs a port (fromPort, and toPort for a range).")
            }
        }
        if rule.cidrBlocks.isEmpty && rule.ipv6CidrBlocks.isEmpty && rule.sourceSecurityGroupId == nil {
            issue("", "the rule allows nothing: give cidrBlocks, ipv6CidrBlocks or sourceSecurityGroupId.")
        }
        for (j, block) in rule.cidrBlocks.enumerated() {
            guard let text = block.literal else { continue }
            if text.range(of: #"\A(\d{1,3}\.){3}\d{1,3}/\d{1,2}\z"#, options: .regularExpression) == nil {
                issue(".cidrBlocks[\(j)]", "'\(text)' is not an IPv4 CIDR block like 10.0.0.0/16.")
            }
        }
        for (j, block) in rule.ipv6CidrBlocks.enumerated() {
            guard let text = block.literal else { continue }
            if text.range(of: #"\A[0-9A-Fa-f:]*:[0-9A-Fa-f:]*/\d{1,3}\z"#, options: .regularExpression) == nil {
                issue(".ipv6CidrBlocks[\(j)]", "'\(text)' is not an IPv6 CIDR block like ::/0.")
            }
        }
        if let source = rule.sourceSecurityGroupId?.literal, !source.hasPrefix("sg-") {
            issue(".sourceSecurityGroupId", "'\(source)' is not a security group id (sg-…).")
        }
        if let description = rule.description,
            description.count > 255 || description.range(of: textPattern, options: .regularExpression) == nil
        {
            issue(".description", "rule descriptions are up to 255 letters, digits, spaces and ._-:/()#,@[]+=&;{}!$*.")
        }
        return issues
    }
}

/// The JSON of a value without references, or nil.
private func literalJSON(_ value: Value) -> JSON? {
    switch value {
    case .json(let json): return json
    case .array(let items):
        let converted = items.compactMap(literalJSON)
        return converted.count == items.count ? .array(converted) : nil
    case .object(let members):
        var out: [String: JSON] = [:]
        for (key, member) in members {
            guard let json = literalJSON(member) else { return nil }
            out[key] = json
        }
        return .object(out)
    case .reference, .concat, .sensitive:
        return nil
    }
}

/// Creates, reads, updates and deletes security groups; the physical id is the group id. `read` also takes
/// `VPCID/NAME` (what a create records before it knows the id, and a way to import by name).
struct SecurityGroupProvider: ResourceProvider {
    let client: AWSClient
    let typeName = SecurityGroup.typeName
    /// Adoption proof: the ownership tags; CreateSecurityGroup takes the tags (TagSpecification).
    let adoptionProof = AdoptionProof.ownershipTags
    let replaceOnChange: Set<String> = ["name", "description", "vpcId"]

    func physicalID(for attributes: [String: JSON]) -> String? {
        guard let vpc = attributes.string("vpcId"), let name = attributes.string("name") else { return nil }
        return "\(vpc)/\(name)"
    }

    func read(id: String, prior: [String: JSON]) async throws -> Observed? {
        guard let group = try await describe(id) else { return nil }
        let groupID = group.string("groupId") ?? id
        let ingress = Self.rules(group.list("ipPermissions"))
        let egress = Self.rules(group.list("ipPermissionsEgress"))
        return Observed(
            id: groupID,
            attributes: [
                "name": .string(group.string("groupName") ?? ""),
                "description": .string(group.string("groupDescription") ?? ""),
                "vpcId": group.string("vpcId").map { .string($0) } ?? .null,
                "ingress": .array(orderedLike(ingress, prior: prior["ingress"]?.arrayValue ?? [], key: \.description)),
                "egress": .array(orderedLike(egress, prior: prior["egress"]?.arrayValue ?? [], key: \.description)),
                "tags": Self.tags(group.list("tagSet")).json,
            ], outputs: outputs(group))
    }

    func create(_ attributes: [String: JSON]) async throws -> Applied {
        var parameters: QueryParameters = [
            "GroupName": attributes.string("name") ?? "",
            "GroupDescription": attributes.string("description") ?? "Managed by Cairn",
        ]
        if let vpc = attributes.string("vpcId") { parameters["VpcId"] = vpc }
        let tags = attributes.tags()
        if !tags.isEmpty {
            parameters["TagSpecification.1.ResourceType"] = "security-group"
            for (i, key) in tags.keys.sorted().enumerated() {
                parameters["TagSpecification.1.Tag.\(i + 1).Key"] = key
                parameters["TagSpecification.1.Tag.\(i + 1).Value"] = tags[key]!
            }
        }
        let result = try await client.query(.ec2.createSecurityGroup, parameters)
        guard let groupID = result.string("groupId") else {
            throw EC2LookupError(description: "EC2 CreateSecurityGroup answered without a group id.")
        }
        let group = try await syncRules(groupID, to: attributes)
        return Applied(id: groupID, outputs: outputs(group))
    }

    func update(id: String, from old: [String: JSON], to new: [String: JSON]) async throws -> Applied {
        try await TaggingAPI.ec2.sync(client, resource: id, from: old.tags(), to: new.tags())
        let group = try await syncRules(id, to: new)
        return Applied(id: id, outputs: outputs(group))
    }

    /// Deletes the group. EC2 refuses while network interfaces still use it (an ECS service's tasks take a few
    /// minutes to release theirs), so `DependencyViolation` is retried for up to five minutes.
    func delete(id: String, attributes: [String: JSON]) async throws {
        guard id.hasPrefix("sg-") else {
            guard let group = try await describe(id), let groupID = group.string("groupId") else { return }
            return try await delete(id: groupID, attributes: attributes)
        }
        var attempt = 0
        while true {
            attempt += 1
            do {
                _ = try await client.query(.ec2.deleteSecurityGroup, ["GroupId": id])
                return
            } catch let error as AWSServiceError where error.isNotFound(["InvalidGroup.NotFound", "InvalidGroupId.NotFound"]) {
                return
            } catch let error as AWSServiceError where error.code == "DependencyViolation" && attempt < 30 {
                try await Task.sleep(for: .seconds(10))
            }
        }
    }

    // MARK: Rules

    /// Revokes the rules AWS has that `attributes` does not, then authorizes the missing ones; returns the group.
    private func syncRules(_ groupID: String, to attributes: [String: JSON]) async throws -> XMLNode {
        guard let group = try await describe(groupID) else {
            throw AWSServiceError(
                QueryOperation.ec2.describeSecurityGroups, status: 400, code: "InvalidGroup.NotFound",
                message: "The security group '\(groupID)' does not exist", requestID: nil)
        }
        var changed = false
        let directions: [(String, String, revoke: QueryOperation, authorize: QueryOperation)] = [
            ("ingress", "ipPermissions", .ec2.revokeSecurityGroupIngress, .ec2.authorizeSecurityGroupIngress),
            ("egress", "ipPermissionsEgress", .ec2.revokeSecurityGroupEgress, .ec2.authorizeSecurityGroupEgress),
        ]
        for (key, element, revokeOperation, authorizeOperation) in directions {
            let live = Set(Self.rules(group.list(element)))
            let desired = Set(attributes[key]?.arrayValue ?? [])
            let revoke = Self.canonical(Array(live.subtracting(desired)))
            let authorize = Self.canonical(Array(desired.subtracting(live)))
            // Revocations first, so that a rule whose description changed can be authorized again.
            try await apply(revokeOperation, revoke, groupID: groupID, alreadyDone: "InvalidPermission.NotFound")
            try await apply(authorizeOperation, authorize, groupID: groupID, alreadyDone: "InvalidPermission.Duplicate")
            changed = changed || !revoke.isEmpty || !authorize.isEmpty
        }
        return changed ? (try await describe(groupID) ?? group) : group
    }

    /// Calls `operation` for all `rules` at once. EC2 rejects the whole call when one rule is already in place (or
    /// already gone), as after a concurrent change: then each rule goes on its own, skipping those.
    private func apply(_ operation: QueryOperation, _ rules: [JSON], groupID: String, alreadyDone: String) async throws {
        guard !rules.isEmpty else { return }
        do {
            _ = try await client.query(operation, Self.permissions(rules, groupID: groupID))
        } catch let error as AWSServiceError where error.code == alreadyDone {
            for rule in rules {
                do {
                    _ = try await client.query(operation, Self.permissions([rule], groupID: groupID))
                } catch let error as AWSServiceError where error.code == alreadyDone {
                    continue
                }
            }
        }
    }

    /// `IpPermissions.N.…` for single rules, one permission each.
    static func permissions(_ rules: [JSON], groupID: String) -> QueryParameters {
        var parameters: QueryParameters = ["GroupId": groupID]
        for (i, rule) in rules.enumerated() {
            let prefix = "IpPermissions.\(i + 1)"
            parameters["\(prefix).IpProtocol"] = rule["protocol"]?.stringValue ?? "-1"
            if let from = rule["fromPort"]?.intValue { parameters["\(prefix).FromPort"] = String(from) }
            if let to = rule["toPort"]?.intValue { parameters["\(prefix).ToPort"] = String(to) }
            let description = rule["description"]?.stringValue
            func source(_ list: String, _ member: String, _ value: String) {
                parameters["\(prefix).\(list).1.\(member)"] = value
                if let description { parameters["\(prefix).\(list).1.Description"] = description }
            }
            if let block = rule["cidrBlock"]?.stringValue { source("IpRanges", "CidrIp", block) }
            if let block = rule["ipv6CidrBlock"]?.stringValue { source("Ipv6Ranges", "CidrIpv6", block) }
            if let group = rule["sourceSecurityGroupId"]?.stringValue { source("Groups", "GroupId", group) }
            if let list = rule["prefixListId"]?.stringValue { source("PrefixListIds", "PrefixListId", list) }
        }
        return parameters
    }

    /// AWS's `ipPermissions` items as single rules, sorted.
    static func rules(_ permissions: [XMLNode]) -> [JSON] {
        var rules: [JSON] = []
        for permission in permissions {
            let ipProtocol = permission.string("ipProtocol") ?? "-1"
            var base: [String: JSON] = ["protocol": .string(ipProtocol)]
            if ipProtocol != "-1" {
                if let from = permission.string("fromPort").flatMap({ Int($0) }) { base["fromPort"] = .int(from) }
                if let to = permission.string("toPort").flatMap({ Int($0) }) { base["toPort"] = .int(to) }
            }
            for (list, member, key) in [
                ("ipRanges", "cidrIp", "cidrBlock"), ("ipv6Ranges", "cidrIpv6", "ipv6CidrBlock"),
                ("groups", "groupId", "sourceSecurityGroupId"), ("prefixListIds", "prefixListId", "prefixListId"),
            ] {
                for item in permission.list(list) {
                    guard let value = item.string(member) else { continue }
                    var rule = base
                    rule[key] = .string(value)
                    if let description = item.string("description"), !description.isEmpty { rule["description"] = .string(description) }
                    rules.append(.object(rule))
                }
            }
        }
        return canonical(rules)
    }

    /// Sorted by their JSON text, without duplicates.
    static func canonical(_ rules: [JSON]) -> [JSON] {
        Set(rules).sorted { $0.description < $1.description }
    }

    // MARK: Helpers

    /// The group with id `id` (or `VPCID/NAME`), or nil when it does not exist.
    private func describe(_ id: String) async throws -> XMLNode? {
        var parameters = QueryParameters()
        if id.hasPrefix("sg-") {
            parameters["GroupId.1"] = id
        } else if let slash = id.firstIndex(of: "/") {
            parameters = ec2Filters([("vpc-id", [String(id[..<slash])]), ("group-name", [String(id[id.index(after: slash)...])])])
        } else {
            parameters = ec2Filters([("group-name", [id])])
        }
        do {
            let groups = try await client.queryAll(.ec2.describeSecurityGroups, parameters, key: "securityGroupInfo")
            return groups.first
        } catch let error as AWSServiceError where error.isNotFound(["InvalidGroup.NotFound", "InvalidGroupId.NotFound", "InvalidGroupId.Malformed"])
        {
            return nil
        }
    }

    private func outputs(_ group: XMLNode) -> [String: JSON] {
        let id = group.string("groupId") ?? ""
        var arn = group.string("securityGroupArn")
        if arn == nil, let owner = group.string("ownerId") {
            let partition = client.region.hasPrefix("cn-") ? "aws-cn" : client.region.hasPrefix("us-gov-") ? "aws-us-gov" : "aws"
            arn = "arn:\(partition):ec2:\(client.region):\(owner):security-group/\(id)"
        }
        return [
            "id": .string(id),
            "arn": arn.map { .string($0) } ?? .null,
            "name": group.string("groupName").map { .string($0) } ?? .null,
        ]
    }

    /// `<tagSet><item><key>…</key><value>…</value></item>…</tagSet>` as a map.
    static func tags(_ items: [XMLNode]) -> [String: String] {
        var tags: [String: String] = [:]
        for item in items {
            if let key = item.string("key") { tags[key] = item.string("value") ?? "" }
        }
        return tags
    }
}

// MARK: cairn generate

extension SecurityGroupProvider: DiscoverableProvider {
    var swiftType: String { "SecurityGroup" }
    var swiftNoun: String { "securityGroup" }
    var swiftNounSuffixed: Bool { true }
    var swiftOutputs: [String: String] { ["id": "id", "arn": "arn"] }

    /// Every group but the VPCs' own `default` groups, which EC2 makes with each VPC (`DefaultSecurityGroup` looks them up).
    func discover() async throws -> [DiscoveredResource] {
        try await client.queryAll(.ec2.describeSecurityGroups, [:], key: "securityGroupInfo").compactMap { group in
            guard let id = group.string("groupId"), let name = group.string("groupName"), name != "default" else { return nil }
            return DiscoveredResource(id: id, name: name)
        }
    }

    func swiftArguments(_ live: Observed, in context: SwiftContext) -> [SwiftArgument] {
        let attributes = live.attributes
        var arguments = [SwiftArgument("name", context.literal(attributes.string("name") ?? ""))]
        if let description = attributes.string("description"), description != "Managed by Cairn" {
            arguments.append(SwiftArgument("description", context.literal(description)))
        }
        arguments.append(SwiftArgument("vpcId", context.input(attributes.string("vpcId") ?? "", naming: DefaultVPC.typeName, "id")))
        let ingress = attributes["ingress"]?.arrayValue ?? []
        if !ingress.isEmpty { arguments.append(SwiftArgument("ingress", Self.rulesSwift(ingress, attribute: "ingress", in: context))) }
        let egress = attributes["egress"]?.arrayValue ?? []
        if egress != [["protocol": "-1", "cidrBlock": "0.0.0.0/0"]] {
            arguments.append(SwiftArgument("egress", Self.rulesSwift(egress, attribute: "egress", in: context)))
        }
        if let tags = context.tags(live) { arguments.append(tags) }
        return arguments
    }

    /// The rules as `SecurityGroupRule`s: atomic rules that differ only in their IPv4 or IPv6 blocks become one rule.
    static func rulesSwift(_ rules: [JSON], attribute: String, in context: SwiftContext) -> String {
        struct Key: Hashable {
            let ipProtocol: String
            let from: Int?
            let to: Int?
            let description: String?
        }
        var order: [Key] = []
        var blocks: [Key: (v4: [String], v6: [String])] = [:]
        var out: [String] = []
        for rule in rules {
            let key = Key(
                ipProtocol: rule["protocol"]?.stringValue ?? "-1", from: rule["fromPort"]?.intValue, to: rule["toPort"]?.intValue,
                description: rule["description"]?.stringValue)
            guard ["tcp", "udp", "icmp", "-1"].contains(key.ipProtocol) else {
                context.cannotExpress(
                    attribute,
                    "a rule of protocol \(key.ipProtocol) (SecurityGroupRule takes tcp, udp, icmp or all), so none of the \(attribute) rules are enforced",
                    ignoringDrift: attribute)
                continue
            }
            if let source = rule["sourceSecurityGroupId"]?.stringValue {
                out.append(
                    ruleSwift(
                        key.ipProtocol, key.from, key.to,
                        [SwiftArgument("sourceSecurityGroupId", context.input(source, naming: SecurityGroup.typeName, "id"))], key.description,
                        context))
                continue
            }
            guard rule["cidrBlock"] != nil || rule["ipv6CidrBlock"] != nil else {
                context.cannotExpress(
                    attribute,
                    "a rule allowing a prefix list (SecurityGroupRule takes CIDR blocks and groups), so none of the \(attribute) rules are enforced",
                    ignoringDrift: attribute)
                continue
            }
            if blocks[key] == nil { order.append(key) }
            if let block = rule["cidrBlock"]?.stringValue { blocks[key, default: ([], [])].v4.append(block) }
            if let block = rule["ipv6CidrBlock"]?.stringValue { blocks[key, default: ([], [])].v6.append(block) }
        }
        for key in order {
            let (v4, v6) = blocks[key]!
            var sources: [SwiftArgument] = []
            if !v4.isEmpty { sources.append(SwiftArgument("cidrBlocks", context.inputs(v4))) }
            if !v6.isEmpty { sources.append(SwiftArgument("ipv6CidrBlocks", context.inputs(v6))) }
            out.insert(ruleSwift(key.ipProtocol, key.from, key.to, sources, key.description, context), at: out.count)
        }
        if out == [SwiftCode.call("SecurityGroupRule", [SwiftArgument(nil, ".all"), SwiftArgument("cidrBlocks", "[\"0.0.0.0/0\"]")])] {
            return "[.allowAllOutbound]"
        }
        return SwiftCode.array(out)
    }

    private static func ruleSwift(
        _ ipProtocol: String, _ from: Int?, _ to: Int?, _ sources: [SwiftArgument], _ description: String?, _ context: SwiftContext
    ) -> String {
        let described = sources + (description.map { [SwiftArgument("description", context.literal($0))] } ?? [])
        if ipProtocol == "tcp", let from, let to {
            return SwiftCode.call(".tcp", [SwiftArgument(nil, "\(from)...\(to)")] + described)
        }
        var arguments = [SwiftArgument(nil, ipProtocol == "-1" ? ".all" : ".\(ipProtocol)")]
        if ipProtocol != "-1" {
            if let from { arguments.append(SwiftArgument("fromPort", String(from))) }
            if let to { arguments.append(SwiftArgument("toPort", String(to))) }
        }
        return SwiftCode.call("SecurityGroupRule", arguments + described)
    }
}
