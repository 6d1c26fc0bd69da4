import Foundation
import TestSupport
import Testing

@testable import CairnAWS

@Suite struct QueryProtocolTests {
    @Test func formEncoding() {
        var parameters: QueryParameters = ["RoleName": "a b/c+d~e_f.g-h", "Description": "café & co"]
        parameters.list("Tags", [["Value": "v1", "Key": "k1"], ["Key": "k2", "Value": "v2"]])
        parameters.list("ClientIDList", ["x", "y"])
        parameters.map("Attributes", ["DisplayName": "Ops", "Policy": "{}"])
        #expect(
            parameters.encoded(action: "CreateRole", version: "2010-05-08")
                == [
                    "Action=CreateRole", "Version=2010-05-08",
                    // Spaces as `+` (as botocore sends forms); everything but RFC 3986's unreserved characters escaped.
                    "RoleName=a+b%2Fc%2Bd~e_f.g-h", "Description=caf%C3%A9+%26+co",
                    "Tags.member.1.Key=k1", "Tags.member.1.Value=v1", "Tags.member.2.Key=k2", "Tags.member.2.Value=v2",
                    "ClientIDList.member.1=x", "ClientIDList.member.2=y",
                    "Attributes.entry.1.key=DisplayName", "Attributes.entry.1.value=Ops",
                    "Attributes.entry.2.key=Policy", "Attributes.entry.2.value=%7B%7D",
                ].joined(separator: "&"))

        var ec2 = QueryParameters()
        ec2.ec2Style = true
        ec2.list("VpcId", ["vpc-1", "vpc-2"])
        #expect(ec2.encoded(action: "DescribeVpcs", version: "2016-11-15") == "Action=DescribeVpcs&Version=2016-11-15&VpcId.1=vpc-1&VpcId.2=vpc-2")

        // A list built before the protocol is known still takes ec2's form when sent as ec2.
        var late = QueryParameters()
        late.list("SubnetId", ["subnet-1"])
        late.list("Filter", [["Name": "vpc-id"]])
        late.ec2Style = true
        #expect(
            late.encoded(action: "DescribeSubnets", version: "2016-11-15")
                == "Action=DescribeSubnets&Version=2016-11-15&SubnetId.1=subnet-1&Filter.1.Name=vpc-id")

        // Setting a name again replaces it; nil removes it.
        var replaced: QueryParameters = ["Marker": "a"]
        replaced["Marker"] = "b"
        replaced["MaxItems"] = "1"
        replaced["MaxItems"] = nil
        #expect(replaced.encoded(action: "ListRoles", version: "v") == "Action=ListRoles&Version=v&Marker=b")
    }

    @Test func requestShapeAndResultElement() async throws {
        let transport = FakeTransport([
            .xml(
                200,
                """
                <GetRoleResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/">
                  <GetRoleResult><Role><RoleName>a</RoleName><Arn>arn:aws:iam::123456789012:role/a</Arn></Role></GetRoleResult>
                  <ResponseMetadata><RequestId>r</RequestId></ResponseMetadata>
                </GetRoleResponse>
                """),
            .xml(
                200,
                #"<DescribeVpcsResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>e</requestId><vpcSet><item><vpcId>vpc-1</vpcId></item></vpcSet></DescribeVpcsResponse>"#
            ),
            .xml(200, "<DeleteRoleResponse><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></DeleteRoleResponse>"),
        ])
        let client = makeClient(transport)
        let role = try await client.query(.iam.getRole, ["RoleName": "a"])
        #expect(role.name == "GetRoleResult")
        #expect(role.path("Role", "Arn")?.text == "arn:aws:iam::123456789012:role/a")
        var vpcs = QueryParameters()
        vpcs.list("VpcId", ["vpc-1"])
        let ec2 = try await client.query(.ec2.describeVpcs, vpcs)
        #expect(ec2.name == "DescribeVpcsResponse")
        #expect(ec2.list("vpcSet").map { $0.string("vpcId") } == ["vpc-1"])
        // No result element: an empty one.
        #expect(try await client.query(.iam.deleteRole, ["RoleName": "a"]) == XMLNode("DeleteRoleResult"))

        let requests = await transport.requests
        #expect(
            requests.map { String(decoding: $0.body, as: UTF8.self) } == [
                "Action=GetRole&Version=2010-05-08&RoleName=a",
                "Action=DescribeVpcs&Version=2016-11-15&VpcId.1=vpc-1",
                "Action=DeleteRole&Version=2010-05-08&RoleName=a",
            ])
        #expect(requests.allSatisfy { $0.method == "POST" && $0.header("Content-Type") == "application/x-www-form-urlencoded; charset=utf-8" })
    }
}

@Suite struct QueryPaginationTests {
    private func rolesPage(_ names: [String], marker: String?) -> FakeTransport.Outcome {
        let members = names.map { "<member><RoleName>\($0)</RoleName></member>" }.joined()
        let truncated = marker.map { "<IsTruncated>true</IsTruncated><Marker>\($0)</Marker>" } ?? "<IsTruncated>false</IsTruncated>"
        return .xml(200, "<ListRolesResponse><ListRolesResult><Roles>\(members)</Roles>\(truncated)</ListRolesResult></ListRolesResponse>")
    }

    @Test func queryPagesFollowsTheMarkerWhileTruncated() async throws {
        let transport = FakeTransport([rolesPage(["a"], marker: "m1"), rolesPage(["b"], marker: "m/2+"), rolesPage(["c"], marker: nil)])
        let pages = try await makeClient(transport).queryPages(.iam.listRoles, ["MaxItems": "1"])
        #expect(pages.count == 3)
        #expect(pages.map { $0.string("IsTruncated") } == ["true", "true", "false"])
        #expect(
            await transport.requests.map { String(decoding: $0.body, as: UTF8.self) } == [
                "Action=ListRoles&Version=2010-05-08&MaxItems=1",
                "Action=ListRoles&Version=2010-05-08&MaxItems=1&Marker=m1",
                "Action=ListRoles&Version=2010-05-08&MaxItems=1&Marker=m%2F2%2B",
            ])
    }

    @Test func queryAllCollectsTheListMembers() async throws {
        let transport = FakeTransport([rolesPage(["a", "b"], marker: "m1"), rolesPage(["c"], marker: nil)])
        let roles = try await makeClient(transport).queryAll(.iam.listRoles)
        #expect(roles.map { $0.string("RoleName") } == ["a", "b", "c"])
    }

    @Test func aTruncatedPageWithoutMarkerEndsThePagination() async throws {
        let transport = FakeTransport([
            .xml(
                200,
                "<ListRolesResponse><ListRolesResult><Roles><member><RoleName>a</RoleName></member></Roles><IsTruncated>true</IsTruncated></ListRolesResult></ListRolesResponse>"
            ),
            rolesPage(["never"], marker: nil),
        ])
        #expect(try await makeClient(transport).queryAll(.iam.listRoles).count == 1)
        #expect(await transport.requestCount == 1)
    }

    @Test func tokenPaginatorsWithoutMoreResultsFollowTheToken() async throws {
        // SNS ListTopics: NextToken, no IsTruncated.
        let transport = FakeTransport([
            .xml(
                200,
                "<ListTopicsResponse><ListTopicsResult><Topics><member><TopicArn>t1</TopicArn></member></Topics><NextToken>n1</NextToken></ListTopicsResult></ListTopicsResponse>"
            ),
            .xml(
                200,
                "<ListTopicsResponse><ListTopicsResult><Topics><member><TopicArn>t2</TopicArn></member></Topics></ListTopicsResult></ListTopicsResponse>"
            ),
        ])
        let topics = try await makeClient(transport).queryAll(.sns.listTopics)
        #expect(topics.map { $0.string("TopicArn") } == ["t1", "t2"])
        #expect(await transport.requests.last.map { String(decoding: $0.body, as: UTF8.self) } == "Action=ListTopics&Version=2010-03-31&NextToken=n1")
    }

    @Test func ec2PaginationUsesTheRootElement() async throws {
        let transport = FakeTransport([
            .xml(200, "<DescribeVpcsResponse><vpcSet><item><vpcId>vpc-1</vpcId></item></vpcSet><nextToken>n1</nextToken></DescribeVpcsResponse>"),
            .xml(200, "<DescribeVpcsResponse><vpcSet><item><vpcId>vpc-2</vpcId></item></vpcSet></DescribeVpcsResponse>"),
        ])
        // The generated paginator names the output token `NextToken`; EC2 answers with `nextToken`. The result
        // list's wire name (`vpcSet`) cannot be derived from the model's `Vpcs`: callers pass it as `key:`.
        let vpcs = try await makeClient(transport).queryAll(.ec2.describeVpcs, ["MaxResults": "5"], key: "vpcSet")
        #expect(vpcs.map { $0.string("vpcId") } == ["vpc-1", "vpc-2"])
        #expect(
            await transport.requests.map { String(decoding: $0.body, as: UTF8.self) } == [
                "Action=DescribeVpcs&Version=2016-11-15&MaxResults=5",
                "Action=DescribeVpcs&Version=2016-11-15&MaxResults=5&NextToken=n1",
            ])
    }

    @Test func aRepeatedMarkerEndsThePagination() async throws {
        let transport = FakeTransport([rolesPage(["a"], marker: "same"), rolesPage(["b"], marker: "same"), rolesPage(["never"], marker: nil)])
        #expect(try await makeClient(transport).queryAll(.iam.listRoles).map { $0.string("RoleName") } == ["a", "b"])
        #expect(await transport.requestCount == 2)
    }

    @Test func maxPagesBoundsThePagination() async throws {
        let transport = FakeTransport((1...6).map { rolesPage(["r\($0)"], marker: "m\($0)") })
        #expect(try await makeClient(transport).queryPages(.iam.listRoles, maxPages: 3).count == 3)
        #expect(await transport.requestCount == 3)
    }
}

/// The query protocol against moto with signature checking on.
@Suite(.integration) struct QueryProtocolMotoTests {
    @Test func getCallerIdentityIsSignedCorrectly() async throws {
        let (moto, client) = try await motoClient()
        let identity = try await client.callerIdentity()
        #expect(identity.account == moto.account)
        #expect(identity.arn == "arn:aws:iam::\(moto.account):user/\(moto.userName)")
        #expect(!identity.userID.isEmpty)
    }

    @Test func callsFromAnotherRegionAreSignedForIt() async throws {
        let (moto, client) = try await motoClient(region: "eu-west-1")
        #expect(client.region == "eu-west-1")
        #expect(try await client.callerIdentity().account == moto.account)
        // IAM signs for us-east-1 even from eu-west-1.
        _ = try await client.query(.iam.listRoles, ["MaxItems": "1"])
    }

    @Test func listsRolesAcrossPages() async throws {
        let (moto, client) = try await motoClient()
        let path = "/\(uniqueName())/"
        let trust =
            #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ecs-tasks.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#
        let names = ["one", "two", "three"].map { "\(uniqueName("role"))-\($0)" }
        for name in names {
            _ = try await client.query(.iam.createRole, ["RoleName": name, "Path": path, "AssumeRolePolicyDocument": trust])
        }
        let pages = try await client.queryPages(.iam.listRoles, ["PathPrefix": path, "MaxItems": "1"])
        #expect(pages.count == 3)
        #expect(pages.map { $0.list("Roles").count } == [1, 1, 1])
        let roles = try await client.queryAll(.iam.listRoles, ["PathPrefix": path, "MaxItems": "1"])
        #expect(Set(roles.compactMap { $0.string("RoleName") }) == Set(names))
        #expect(roles.allSatisfy { $0.string("Path") == path })

        let cli = try await moto.awsJSON(["iam", "list-roles", "--path-prefix", path])
        #expect(Set(cli["Roles"].array?.compactMap { $0["RoleName"].string } ?? []) == Set(names))
        for name in names { _ = try await client.query(.iam.deleteRole, ["RoleName": name]) }
    }

    @Test func aWrongSecretIsRejectedWithAdvice() async throws {
        let (_, client) = try await motoClient(["AWS_SECRET_ACCESS_KEY": "not-the-secret"])
        let error = try #require(await capture(AWSServiceError.self) { try await client.callerIdentity() })
        #expect(error.code == "SignatureDoesNotMatch")
        #expect(error.status == 403)
        #expect(error.service == "STS")
        #expect(error.operation == "GetCallerIdentity")
        #expect(
            error.description.hasPrefix(
                "STS GetCallerIdentity failed: SignatureDoesNotMatch: The request signature we calculated does not match the signature you provided.")
        )
        #expect(error.description.contains(signatureAdvice))
    }

    @Test func anUnknownAccessKeyIsRejectedWithAdvice() async throws {
        let (_, client) = try await motoClient(["AWS_ACCESS_KEY_ID": "AKIAUNKNOWNKEY000000"])
        let error = try #require(await capture(AWSServiceError.self) { try await client.query(.iam.listRoles) })
        #expect(error.code == "InvalidClientTokenId")
        #expect(error.description.contains("The access key id is not valid: check AWS_ACCESS_KEY_ID or the profile's aws_access_key_id."))
    }

    @Test func anIAMErrorCarriesItsCode() async throws {
        let (_, client) = try await motoClient()
        let error = try #require(await capture(AWSServiceError.self) { try await client.query(.iam.getRole, ["RoleName": uniqueName("missing")]) })
        #expect(error.code == "NoSuchEntity")
        #expect(error.status == 404)
        #expect(error.description.hasPrefix("IAM GetRole failed: NoSuchEntity: "))
    }
}
