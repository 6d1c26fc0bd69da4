import CairnAWS
import CairnJSON
import Testing

@testable import CairnEngine
@testable import CairnResources

/// The Swift `cairn generate` writes for a security group, and the rules it cannot say.
@Suite struct EC2GenerateTests {
    static func group(ingress: [JSON]) -> Observed {
        Observed(
            id: "sg-1",
            attributes: [
                "name": "web", "description": "Web", "vpcId": "vpc-1", "ingress": .array(ingress),
                "egress": [["protocol": "-1", "cidrBlock": "0.0.0.0/0"]], "tags": [:],
            ], outputs: ["id": "sg-1"])
    }

    @Test func aGroupIsDeclaredWithItsRulesAndItsVPC() {
        let declared = GenerateTesting.declare(
            SecurityGroup.typeName,
            Self.group(ingress: [
                ["protocol": "tcp", "fromPort": 443, "toPort": 443, "cidrBlock": "0.0.0.0/0"],
                ["protocol": "tcp", "fromPort": 443, "toPort": 443, "ipv6CidrBlock": "::/0"],
            ]), found: [.init(DefaultVPC.typeName, "vpc", ["id": "vpc-1"])])
        #expect(declared.argument("vpcId") == ".output(vpc.id)")
        #expect(declared.argument("ingress") == #"[.tcp(443...443, cidrBlocks: ["0.0.0.0/0"], ipv6CidrBlocks: ["::/0"])]"#)
        #expect(declared.argument("egress") == nil, "AWS's default")
    }

    /// A prefix-list rule cannot be said: the direction's rules are left to AWS (ignoring their drift) rather than
    /// declared without it, which an apply would revoke.
    @Test func aRuleItCannotSayLeavesItsDirectionToAWS() {
        let declared = GenerateTesting.declare(
            SecurityGroup.typeName,
            Self.group(ingress: [
                ["protocol": "tcp", "fromPort": 22, "toPort": 22, "cidrBlock": "10.0.0.0/8"],
                ["protocol": "tcp", "fromPort": 443, "toPort": 443, "prefixListId": "pl-1"],
            ]))
        #expect(declared.ignoredDrift == ["ingress"])
        #expect(declared.unexpressed["ingress"]?.contains("prefix list") == true)
        #expect(declared.unexpressed["ingress"]?.contains("none of the ingress rules are enforced") == true)
    }
}
