import CairnJSON
import Foundation
import TestSupport
import Testing

@testable import CairnAWS

@Suite struct JSONProtocolTests {
    @Test func requestShape() async throws {
        let transport = FakeTransport([.noRepositories, .json(200, "")])
        let client = makeClient(transport)
        _ = try await client.json(.ecr.describeRepositories, ["repositoryNames": ["web", "api"], "maxResults": 10, "registryId": "123456789012"])
        // An empty 200 body is an empty object.
        #expect(try await client.json(.cloudWatchLogs.deleteLogGroup, ["logGroupName": "/x"]) == [:])
        let requests = await transport.requests
        #expect(requests.map(\.method) == ["POST", "POST"])
        #expect(requests.map(\.url.absoluteString) == ["http://aws.test:4566/", "http://aws.test:4566/"])
        #expect(
            String(decoding: requests[0].body, as: UTF8.self) == #"{"maxResults":10,"registryId":"123456789012","repositoryNames":["web","api"]}"#)
        #expect(requests[0].header("Content-Type") == "application/x-amz-json-1.1")
        #expect(requests[0].header("X-Amz-Target") == "AmazonEC2ContainerRegistry_V20150921.DescribeRepositories")
        #expect(requests[1].header("X-Amz-Target") == "Logs_20140328.DeleteLogGroup")
        #expect(requests[0].header("Authorization")?.contains("/us-east-1/ecr/aws4_request") == true)
        #expect(requests[1].header("Authorization")?.contains("/us-east-1/logs/aws4_request") == true)
    }

    @Test func anEmptyInputIsAnEmptyObject() async throws {
        let transport = FakeTransport([.noRepositories])
        _ = try await makeClient(transport).json(.ecr.describeRepositories)
        #expect(await transport.requests.first.map { String(decoding: $0.body, as: UTF8.self) } == "{}")
    }

    @Test(.integration) func anXMLErrorDocumentFromAFrontEndIsRead() async throws {
        // moto (and some gateways) reject a json-protocol call's signature with a query-style XML document.
        let transport = FakeTransport([
            .xml(
                403,
                """
                <?xml version="1.0" encoding="utf-8"?>
                <ErrorResponse><Errors><Error><Code>SignatureDoesNotMatch</Code><Message>The request signature we calculated does not match the signature you provided.</Message><Type>Sender</Type></Error></Errors></ErrorResponse>
                """, headers: ["x-amzn-RequestId": "xml-1"])
        ])
        let error = try #require(await capture(AWSServiceError.self) { try await makeClient(transport).json(.ecr.describeRepositories) })
        #expect(
            error
                == AWSServiceError(
                    service: "ECR", operation: "DescribeRepositories", status: 403, code: "SignatureDoesNotMatch",
                    message: "The request signature we calculated does not match the signature you provided.", requestID: "xml-1"))
    }
}

@Suite struct JSONPaginationTests {
    private func page(_ names: [String], next: String?) -> FakeTransport.Outcome {
        let repositories = names.map { #"{"repositoryName":"\#($0)"}"# }.joined(separator: ",")
        let token = next.map { #","nextToken":"\#($0)""# } ?? ""
        return .json(200, #"{"repositories":[\#(repositories)]\#(token)}"#)
    }

    private func bodies(_ transport: FakeTransport) async -> [String] {
        await transport.requests.map { String(decoding: $0.body, as: UTF8.self) }
    }

    @Test func jsonPagesFollowsNextTokenToTheLastPage() async throws {
        let transport = FakeTransport([page(["a"], next: "t1"), page(["b", "c"], next: "t2"), page(["d"], next: nil)])
        let pages = try await makeClient(transport).jsonPages(.ecr.describeRepositories, ["maxResults": 2])
        #expect(pages.count == 3)
        #expect(pages.map { $0["nextToken"] } == ["t1", "t2", nil])
        #expect(await bodies(transport) == [#"{"maxResults":2}"#, #"{"maxResults":2,"nextToken":"t1"}"#, #"{"maxResults":2,"nextToken":"t2"}"#])
    }

    @Test func jsonAllCollectsTheResultKeyAcrossPages() async throws {
        let transport = FakeTransport([page(["a"], next: "t1"), page([], next: "t2"), page(["b", "c"], next: nil)])
        let repositories = try await makeClient(transport).jsonAll(.ecr.describeRepositories)
        #expect(repositories.compactMap { $0["repositoryName"]?.stringValue } == ["a", "b", "c"])
        #expect(await transport.requestCount == 3)
    }

    @Test func jsonAllWithAnExplicitKey() async throws {
        let transport = FakeTransport([
            .json(200, #"{"logGroups":[{"logGroupName":"/a"}],"nextToken":"n"}"#),
            .json(200, #"{"logGroups":[{"logGroupName":"/b"}],"nextToken":null}"#),
        ])
        let groups = try await makeClient(transport).jsonAll(.cloudWatchLogs.describeLogGroups, ["limit": 1], key: "logGroups")
        #expect(groups.compactMap { $0["logGroupName"]?.stringValue } == ["/a", "/b"])
    }

    @Test func anEmptyOrRepeatedTokenEndsThePagination() async throws {
        let empty = FakeTransport([page(["a"], next: "t1"), page(["b"], next: ""), page(["never"], next: nil)])
        #expect(try await makeClient(empty).jsonPages(.ecr.describeRepositories).count == 2)

        // A server that hands back the same token again would loop for ever.
        let repeating = FakeTransport([page(["a"], next: "same"), page(["b"], next: "same"), page(["never"], next: nil)])
        #expect(try await makeClient(repeating).jsonPages(.ecr.describeRepositories).count == 2)
        #expect(await repeating.requestCount == 2)
    }

    @Test func maxPagesBoundsThePagination() async throws {
        let script = (1...10).map { page(["r\($0)"], next: "t\($0)") }
        let transport = FakeTransport(script)
        let pages = try await makeClient(transport).jsonPages(.ecr.describeRepositories, maxPages: 4)
        #expect(pages.count == 4)
        #expect(await transport.requestCount == 4)
    }

    @Test func anOperationWithoutPaginatorIsOneCall() async throws {
        let transport = FakeTransport([.json(200, #"{"repository":{"repositoryName":"a"},"nextToken":"ignored"}"#)])
        let pages = try await makeClient(transport).jsonPages(.ecr.createRepository, ["repositoryName": "a"])
        #expect(pages.count == 1)
        #expect(await transport.requestCount == 1)
    }

    /// KMS's paginators have a more-results member: pages follow NextMarker while Truncated is true, over three
    /// pages, and a page that says Truncated false ends the listing even if it carries a marker.
    @Test func aMoreResultsMemberIsHonoured() async throws {
        func keys(_ ids: [String], next: String?, truncated: Bool) -> FakeTransport.Outcome {
            let keys = ids.map { #"{"KeyId":"\#($0)"}"# }.joined(separator: ",")
            let marker = next.map { #","NextMarker":"\#($0)""# } ?? ""
            return .json(200, #"{"Keys":[\#(keys)],"Truncated":\#(truncated)\#(marker)}"#)
        }
        let transport = FakeTransport([
            keys(["k1"], next: "m1", truncated: true), keys(["k2"], next: "m2", truncated: true), keys(["k3"], next: nil, truncated: false),
        ])
        let all = try await makeClient(transport).jsonAll(.kms.listKeys, ["Limit": 1])
        #expect(all.compactMap { $0["KeyId"]?.stringValue } == ["k1", "k2", "k3"])
        #expect(await bodies(transport) == [#"{"Limit":1}"#, #"{"Limit":1,"Marker":"m1"}"#, #"{"Limit":1,"Marker":"m2"}"#])

        let stale = FakeTransport([
            keys(["k1"], next: "m1", truncated: true), keys(["k2"], next: "m2", truncated: false), keys(["never"], next: nil, truncated: false),
        ])
        #expect(try await makeClient(stale).jsonAll(.kms.listKeys).count == 2)
        #expect(await stale.requestCount == 2)
    }

    @Test func anErrorOnALaterPageIsThrown() async throws {
        let transport = FakeTransport([page(["a"], next: "t1"), .jsonError(400, "InvalidParameterException", "Invalid nextToken")])
        let error = try #require(await capture(AWSServiceError.self) { try await makeClient(transport).jsonAll(.ecr.describeRepositories) })
        #expect(error.code == "InvalidParameterException")
    }
}

/// The json protocol against moto with signature checking on.
@Suite(.integration) struct JSONProtocolMotoTests {
    @Test func createAndDescribeARepositoryIsSignedCorrectly() async throws {
        let (moto, client) = try await motoClient()
        let name = uniqueName()
        let created = try await client.json(.ecr.createRepository, ["repositoryName": .string(name), "imageTagMutability": "IMMUTABLE"])
        let arn = try #require(created["repository"]?["repositoryArn"]?.stringValue)
        #expect(arn == "arn:aws:ecr:us-east-1:\(moto.account):repository/\(name)")

        let described = try await client.jsonAll(.ecr.describeRepositories, ["repositoryNames": [.string(name)]])
        #expect(described.count == 1)
        #expect(described.first?["repositoryName"]?.stringValue == name)
        #expect(described.first?["imageTagMutability"]?.stringValue == "IMMUTABLE")

        // An independent client sees the same repository.
        let cli = try await moto.awsJSON(["ecr", "describe-repositories", "--repository-names", name])
        #expect(cli["repositories"][0]["repositoryArn"].string == arn)
        #expect(cli["repositories"][0]["imageTagMutability"].string == "IMMUTABLE")

        _ = try await client.json(.ecr.deleteRepository, ["repositoryName": .string(name)])
        let error = try #require(
            await capture(AWSServiceError.self) {
                try await client.json(.ecr.describeRepositories, ["repositoryNames": [.string(name)]])
            })
        #expect(error.code == "RepositoryNotFoundException")
        #expect(error.status == 400)
        #expect(error.service == "ECR")
        #expect(error.operation == "DescribeRepositories")
        #expect(error.requestID?.isEmpty == false)
    }

    @Test func paginatesAgainstMoto() async throws {
        let (moto, client) = try await motoClient()
        let prefix = "/\(uniqueName())/"
        for name in ["a", "b", "c"] {
            _ = try await client.json(.cloudWatchLogs.createLogGroup, ["logGroupName": .string(prefix + name)])
        }
        let pages = try await client.jsonPages(.cloudWatchLogs.describeLogGroups, ["logGroupNamePrefix": .string(prefix), "limit": 1])
        #expect(pages.count == 3)
        let all = try await client.jsonAll(.cloudWatchLogs.describeLogGroups, ["logGroupNamePrefix": .string(prefix), "limit": 1])
        #expect(all.compactMap { $0["logGroupName"]?.stringValue } == ["a", "b", "c"].map { prefix + $0 })
        let cli = try await moto.awsJSON(["logs", "describe-log-groups", "--log-group-name-prefix", prefix])
        #expect(cli["logGroups"].array?.count == 3)
        for name in ["a", "b", "c"] { _ = try await client.json(.cloudWatchLogs.deleteLogGroup, ["logGroupName": .string(prefix + name)]) }
    }

    @Test func aWrongSecretIsRejectedWithAdvice() async throws {
        let (_, client) = try await motoClient(["AWS_SECRET_ACCESS_KEY": "not-the-secret"])
        let error = try #require(await capture(AWSServiceError.self) { try await client.json(.ecr.describeRepositories) })
        #expect(["SignatureDoesNotMatch", "InvalidSignatureException"].contains(error.code))
        #expect(error.status == 403)
        #expect(error.description.hasPrefix("ECR DescribeRepositories failed: \(error.code): "))
        #expect(error.description.contains(signatureAdvice))
    }

    @Test func anUnknownAccessKeyIsRejectedWithAdvice() async throws {
        let (_, client) = try await motoClient(["AWS_ACCESS_KEY_ID": "AKIAUNKNOWNKEY000000"])
        let error = try #require(await capture(AWSServiceError.self) { try await client.json(.ecr.describeRepositories) })
        #expect(["InvalidClientTokenId", "UnrecognizedClientException"].contains(error.code))
        #expect(error.description.contains("The access key id is not valid: check AWS_ACCESS_KEY_ID or the profile's aws_access_key_id."))
    }
}
