import CairnAWS
import CairnEngine
import CairnJSON
import TestSupport
import Testing

@testable import CairnResources

@Suite struct EC2LookupTests {
    @Test(.integration) func lookupsReturnMotosDefaultVPC() async throws {
        let (client, moto) = try await ProviderTesting.client()
        let vpcDeclaration = DefaultVPC("default")
        #expect(vpcDeclaration.attributes.isEmpty)
        let vpc = try await DefaultVPCProvider(client: client).lookup([:])
        let cli = try await moto.awsJSON(["ec2", "describe-vpcs", "--filters", "Name=isDefault,Values=true"])["Vpcs"][0]
        #expect(vpc["id"]?.stringValue == cli["VpcId"].string)
        #expect(vpc["cidrBlock"] == "172.31.0.0/16")
        let vpcId = try #require(vpc["id"]?.stringValue)

        // The subnet look-up's input comes from the VPC look-up, as the engine resolves it at plan time.
        let subnetsDeclaration = DefaultSubnets("default", vpcId: vpcDeclaration.id.input)
        #expect(subnetsDeclaration.dependencies == ["aws_default_vpc.default"])
        let input = LinkedResourceTesting.attributes(of: subnetsDeclaration, outputs: ["aws_default_vpc.default": vpc])
        #expect(input == ["vpcId": .string(vpcId)])
        let subnets = try await DefaultSubnetsProvider(client: client).lookup(input)
        let cliSubnets = try await moto.awsJSON([
            "ec2", "describe-subnets", "--filters", "Name=vpc-id,Values=\(vpcId)", "Name=default-for-az,Values=true",
        ])
        let expected = (cliSubnets["Subnets"].array ?? []).compactMap { $0["SubnetId"].string }.sorted()
        #expect(!expected.isEmpty)
        #expect(subnets["ids"] == .array(expected.map { .string($0) }))

        let group = try await DefaultSecurityGroupProvider(client: client).lookup(["vpcId": .string(vpcId)])
        let cliGroup = try await moto.awsJSON([
            "ec2", "describe-security-groups", "--filters", "Name=vpc-id,Values=\(vpcId)", "Name=group-name,Values=default",
        ])
        #expect(group["id"]?.stringValue == cliGroup["SecurityGroups"][0]["GroupId"].string)

        // An unknown VPC has no default subnets: the look-up fails, naming the VPC.
        let error = await LinkedResourceTesting.error {
            _ = try await DefaultSubnetsProvider(client: client).lookup(["vpcId": "vpc-00000000000000000"])
        }
        #expect(error.map { String(describing: $0).contains("vpc-00000000000000000") } == true)
    }

    @Test(.integration) func lookupsAreLookupProviders() async throws {
        let (client, _) = try await ProviderTesting.client()
        let (vpc, subnets, group): (any ResourceProvider, any ResourceProvider, any ResourceProvider) = (
            DefaultVPCProvider(client: client), DefaultSubnetsProvider(client: client), DefaultSecurityGroupProvider(client: client)
        )
        #expect(vpc is any LookupProvider && subnets is any LookupProvider && group is any LookupProvider)
        #expect([vpc.typeName, subnets.typeName, group.typeName] == ["aws_default_vpc", "aws_default_subnets", "aws_default_security_group"])
        #expect(DefaultSubnets("s", vpcId: "not-a-vpc").validate().map(\.attribute) == ["vpcId"])
    }

    @Test func idListsSortLiteralsAndKeepReferences() {
        let literal: IDList = ["subnet-b", "subnet-a", "subnet-b"]
        #expect(literal.value == .array([.json("subnet-a"), .json("subnet-b")]))
        let subnets = DefaultSubnets("default", vpcId: "vpc-0123456789abcdef0")
        #expect(IDList.all(subnets.ids).value == .reference(Reference(address: "aws_default_subnets.default", output: "ids")))
        let group = SecurityGroup("web", name: "web", vpcId: "vpc-0123456789abcdef0")
        let mixed: IDList = ["sg-b", group.id.input]
        #expect(mixed.value == .array([.json("sg-b"), .reference(Reference(address: "aws_security_group.web", output: "id"))]))
    }
}

@Suite struct SecurityGroupTests {
    static func describe(_ moto: MotoServer, _ id: String) async throws -> JSONValue {
        try await moto.awsJSON(["ec2", "describe-security-groups", "--group-ids", id])["SecurityGroups"][0]
    }

    /// The CLI's permissions as `protocol from-to source description` lines, sorted.
    static func flat(_ permissions: JSONValue) -> [String] {
        var out: [String] = []
        for permission in permissions.array ?? [] {
            let ports = permission["IpProtocol"].string == "-1" ? "" : " \(permission["FromPort"].int ?? 0)-\(permission["ToPort"].int ?? 0)"
            let head = "\(permission["IpProtocol"].string ?? "")\(ports)"
            for range in permission["IpRanges"].array ?? [] {
                out.append("\(head) \(range["CidrIp"].string ?? "") \(range["Description"].string ?? "")")
            }
            for range in permission["Ipv6Ranges"].array ?? [] {
                out.append("\(head) \(range["CidrIpv6"].string ?? "") \(range["Description"].string ?? "")")
            }
            for pair in permission["UserIdGroupPairs"].array ?? [] {
                out.append("\(head) \(pair["GroupId"].string ?? "") \(pair["Description"].string ?? "")")
            }
        }
        return out.map { $0.trimmingCharacters(in: .whitespaces) }.sorted()
    }

    @Test(.integration) func createReadUpdateDeleteAgainstMoto() async throws {
        let (client, moto) = try await ProviderTesting.client()
        let provider = SecurityGroupProvider(client: client)
        #expect(provider.replaceOnChange == ["name", "description", "vpcId"])
        let vpcOutputs = try await DefaultVPCProvider(client: client).lookup([:])
        let defaultGroup = try await DefaultSecurityGroupProvider(client: client).lookup(["vpcId": vpcOutputs["id"]!])
        let defaultGroupId = try #require(defaultGroup["id"]?.stringValue)
        let outputs = ["aws_default_vpc.default": vpcOutputs, "aws_default_security_group.default": defaultGroup]

        let vpc = DefaultVPC("default")
        let lookupGroup = DefaultSecurityGroup("default", vpcId: vpc.id.input)
        let name = ProviderTesting.uniqueName("web")
        var group = SecurityGroup(
            "web", name: Input(name), description: "Web tier (HTTPS)", vpcId: vpc.id.input,
            ingress: [
                .tcp(443...443, cidrBlocks: ["0.0.0.0/0"], ipv6CidrBlocks: ["::/0"], description: "HTTPS"),
                SecurityGroupRule(.tcp, fromPort: 8080, toPort: 8090, cidrBlocks: ["\(vpc.cidrBlock)"], sourceSecurityGroupId: lookupGroup.id.input),
                SecurityGroupRule(.icmp, fromPort: 8, cidrBlocks: ["10.0.0.0/8"]),
            ], tags: ["team": "web"])
        #expect(group.validate().isEmpty)
        #expect(group.dependencies == ["aws_default_vpc.default", "aws_default_security_group.default"])
        let declared = LinkedResourceTesting.attributes(of: group, outputs: outputs)
        #expect(declared["egress"] == [["protocol": "-1", "cidrBlock": "0.0.0.0/0"]])
        #expect(provider.physicalID(for: declared) == "\(vpcOutputs["id"]!.stringValue!)/\(name)")

        let created = try await provider.create(declared)
        #expect(created.id.hasPrefix("sg-"))
        #expect(created.outputs["id"] == .string(created.id))
        #expect(created.outputs["name"] == .string(name))
        #expect(created.outputs["arn"]?.stringValue?.hasSuffix(":security-group/\(created.id)") == true)

        let live = try await Self.describe(moto, created.id)
        #expect(live["GroupName"].string == name)
        #expect(live["Description"].string == "Web tier (HTTPS)")
        #expect(live["VpcId"].string == vpcOutputs["id"]?.stringValue)
        #expect(live["Tags"] == [["Key": "team", "Value": "web"]])
        #expect(
            Self.flat(live["IpPermissions"]) == [
                "icmp 8--1 10.0.0.0/8", "tcp 443-443 0.0.0.0/0 HTTPS", "tcp 443-443 ::/0 HTTPS",
                "tcp 8080-8090 172.31.0.0/16", "tcp 8080-8090 \(defaultGroupId)",
            ])
        #expect(Self.flat(live["IpPermissionsEgress"]) == ["-1 0.0.0.0/0"])

        let read = try #require(try await provider.read(id: created.id, prior: declared))
        #expect(read.attributes == declared)
        #expect(read.outputs == created.outputs)
        // Import: by id with no prior, and by VPC/NAME (what an interrupted create recorded).
        let imported = try #require(try await provider.read(id: created.id, prior: [:]))
        #expect(Set(imported.attributes["ingress"]?.arrayValue ?? []) == Set(declared["ingress"]?.arrayValue ?? []))
        let byName = try #require(try await provider.read(id: provider.physicalID(for: declared)!, prior: declared))
        #expect(byName.id == created.id)
        #expect(byName.attributes == declared)

        // Add a rule, remove two (the ICMP one and the security-group source), change a description, drop egress.
        var old = declared
        group.ingress = [
            .tcp(443...443, cidrBlocks: ["0.0.0.0/0"], ipv6CidrBlocks: ["::/0"], description: "HTTPS in"),
            SecurityGroupRule(.tcp, fromPort: 8080, toPort: 8090, cidrBlocks: ["\(vpc.cidrBlock)"]),
            SecurityGroupRule(.udp, fromPort: 53, cidrBlocks: ["10.0.0.0/8"], description: "DNS"),
        ]
        group.egress = [.tcp(443...443, cidrBlocks: ["0.0.0.0/0"])]
        group.tags = ["team": "platform"]
        var desired = LinkedResourceTesting.attributes(of: group, outputs: outputs)
        let updated = try await provider.update(id: created.id, from: old, to: desired)
        #expect(updated.id == created.id)
        let afterUpdate = try await Self.describe(moto, created.id)
        #expect(
            Self.flat(afterUpdate["IpPermissions"]) == [
                "tcp 443-443 0.0.0.0/0 HTTPS in", "tcp 443-443 ::/0 HTTPS in", "tcp 8080-8090 172.31.0.0/16", "udp 53-53 10.0.0.0/8 DNS",
            ])
        #expect(Self.flat(afterUpdate["IpPermissionsEgress"]) == ["tcp 443-443 0.0.0.0/0"])
        #expect(afterUpdate["Tags"] == [["Key": "team", "Value": "platform"]])
        #expect(try await provider.read(id: created.id, prior: desired)?.attributes == desired)

        // A rule added outside Cairn shows as drift and is revoked by the next update.
        _ = try await moto.awsJSON([
            "ec2", "authorize-security-group-ingress", "--group-id", created.id, "--protocol", "tcp", "--port", "22", "--cidr", "0.0.0.0/0",
        ])
        let drifted = try #require(try await provider.read(id: created.id, prior: desired))
        #expect(drifted.attributes != desired)
        old = drifted.attributes
        desired = LinkedResourceTesting.attributes(of: group, outputs: outputs)
        _ = try await provider.update(id: created.id, from: old, to: desired)
        #expect(try await provider.read(id: created.id, prior: desired)?.attributes == desired)

        try await provider.delete(id: created.id, attributes: desired)
        let gone = try await moto.aws(["ec2", "describe-security-groups", "--group-ids", created.id])
        #expect(gone.status != 0 && gone.stderr.contains("InvalidGroup.NotFound"))
        #expect(try await provider.read(id: created.id, prior: desired) == nil)
        try await provider.delete(id: created.id, attributes: [:])  // deleting what is gone is not an error
    }

    @Test func literalRulesAreSortedCanonically() {
        let a = SecurityGroup(
            "a", name: "a", vpcId: "vpc-0123456789abcdef0",
            ingress: [
                .tcp(80...80, cidrBlocks: ["10.0.0.0/8", "0.0.0.0/0"]), SecurityGroupRule(.all, cidrBlocks: ["10.1.0.0/16"]),
            ])
        let b = SecurityGroup(
            "b", name: "a", vpcId: "vpc-0123456789abcdef0",
            ingress: [
                SecurityGroupRule(.all, cidrBlocks: ["10.1.0.0/16"]), .tcp(80...80, cidrBlocks: ["0.0.0.0/0"]),
                .tcp(80...80, cidrBlocks: ["10.0.0.0/8", "10.0.0.0/8"]),
            ])
        #expect(a.attributes["ingress"] == b.attributes["ingress"])
        #expect(ProviderTesting.attributes(of: a)["ingress"]?.arrayValue?.count == 3)
    }

    @Test func validationNamesTheAttribute() {
        let group = SecurityGroup(
            "bad", name: "sg-web", description: "", vpcId: "vpc-0123456789abcdef0",
            ingress: [
                SecurityGroupRule(.tcp, cidrBlocks: ["0.0.0.0/0"]),
                .tcp(80...80, cidrBlocks: ["10.0.0/8"]),
                SecurityGroupRule(.udp, fromPort: 70000, cidrBlocks: ["0.0.0.0/0"]),
                SecurityGroupRule(.all, fromPort: 1),
            ])
        let attributes = Set(group.validate().compactMap(\.attribute))
        #expect(
            attributes == [
                "name", "description", "ingress[0].fromPort", "ingress[1].cidrBlocks[0]", "ingress[2].fromPort",
                "ingress[2].toPort", "ingress[3].fromPort", "ingress[3]",
            ])
        #expect(group.validate().allSatisfy { $0.address == "aws_security_group.bad" })
    }
}
