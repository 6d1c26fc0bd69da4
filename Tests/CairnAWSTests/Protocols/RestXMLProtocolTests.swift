import Foundation
import TestSupport
import Testing

@testable import CairnAWS

@Suite struct RestXMLProtocolTests {
    @Test func requestShape() async throws {
        let transport = FakeTransport([.status(200), .status(200)])
        let client = makeClient(transport)
        _ = try await client.restXML(
            .s3.createBucket, ["Bucket": "my-bucket", "ACL": "private", "ObjectOwnership": "BucketOwnerEnforced"],
            body: .xml([XMLNode("LocationConstraint", text: "eu-west-1")]))
        _ = try await client.restXML(.s3.putBucketVersioning, ["Bucket": "my-bucket"], body: .xml([XMLNode("Status", text: "Enabled")]))
        let requests = await transport.requests
        #expect(requests.map(\.method) == ["PUT", "PUT"])
        #expect(requests.map(\.url.absoluteString) == ["http://aws.test:4566/my-bucket", "http://aws.test:4566/my-bucket?versioning"])
        #expect(requests[0].header("x-amz-acl") == "private")
        #expect(requests[0].header("x-amz-object-ownership") == "BucketOwnerEnforced")
        #expect(requests[0].header("Content-Type") == "application/xml")
        let createBody =
            #"<?xml version="1.0" encoding="UTF-8"?><CreateBucketConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><LocationConstraint>eu-west-1</LocationConstraint></CreateBucketConfiguration>"#
        #expect(String(decoding: requests[0].body, as: UTF8.self) == createBody)
        // The body hash is signed and sent.
        #expect(requests[0].header("x-amz-content-sha256") == "e8321bc68dd323b82b9258cacc2e3f4d491fc443cc1d58569d56c4c359e9ccc7")  // sha256sum
        // PutBucketVersioning requires a checksum: Content-MD5 of the body.
        let versioningBody =
            #"<?xml version="1.0" encoding="UTF-8"?><VersioningConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Status>Enabled</Status></VersioningConfiguration>"#
        #expect(String(decoding: requests[1].body, as: UTF8.self) == versioningBody)
        #expect(requests[1].header("Content-MD5") == "IjhtHf5gnkMYmEeiwoaHWg==")  // openssl md5 -binary | base64
    }

    @Test func queryStringMembersAreEncoded() async throws {
        let transport = FakeTransport([.emptyBucketList])
        _ = try await makeClient(transport).restXML(.s3.listBuckets, ["Prefix": "a b/c", "MaxBuckets": "5"])
        let request = try #require(await transport.requests.first)
        let query = try #require(request.url.query)
        #expect(Set(query.split(separator: "&").map(String.init)) == ["max-buckets=5", "prefix=a%20b%2Fc"])
    }
}

/// The rest-xml protocol (S3) against moto with signature checking on.
@Suite(.integration) struct RestXMLProtocolMotoTests {
    @Test func createAndListBucketsIsSignedCorrectly() async throws {
        let (moto, client) = try await motoClient()
        let bucket = uniqueName()
        let created = try await client.restXML(.s3.createBucket, ["Bucket": bucket])
        #expect(created.status == 200)
        #expect(created.headers["location"] == "/\(bucket)")

        // The aws CLI sees the bucket.
        let head = try await moto.aws(["s3api", "head-bucket", "--bucket", bucket])
        #expect(head.status == 0, "\(head)")
        let cli = try await moto.awsJSON(["s3api", "list-buckets"])
        #expect(cli["Buckets"].array?.contains { $0["Name"].string == bucket } == true)

        let listed = try await client.restXML(.s3.listBuckets)
        let names = listed.xml?.list("Buckets").compactMap { $0.string("Name") } ?? []
        #expect(names.contains(bucket))

        _ = try await client.restXML(.s3.deleteBucket, ["Bucket": bucket])
        let error = try #require(await capture(AWSServiceError.self) { try await client.restXML(.s3.headBucket, ["Bucket": bucket]) })
        #expect(error.code == "NotFound")
        #expect(error.status == 404)
    }

    @Test func aBodyAndAChecksumAreSignedCorrectly() async throws {
        let (moto, client) = try await motoClient(region: "eu-west-1")
        let bucket = uniqueName()
        _ = try await client.restXML(.s3.createBucket, ["Bucket": bucket], body: .xml([XMLNode("LocationConstraint", text: "eu-west-1")]))
        _ = try await client.restXML(.s3.putBucketVersioning, ["Bucket": bucket], body: .xml([XMLNode("Status", text: "Enabled")]))

        let location = try await moto.awsJSON(["s3api", "get-bucket-location", "--bucket", bucket], region: "eu-west-1")
        #expect(location["LocationConstraint"].string == "eu-west-1")
        let versioning = try await moto.awsJSON(["s3api", "get-bucket-versioning", "--bucket", bucket], region: "eu-west-1")
        #expect(versioning["Status"].string == "Enabled")
        let read = try await client.restXML(.s3.getBucketVersioning, ["Bucket": bucket])
        #expect(read.xml?.string("Status") == "Enabled")
        _ = try await client.restXML(.s3.deleteBucket, ["Bucket": bucket])
    }

    @Test func aWrongSecretIsRejectedWithAdvice() async throws {
        let (_, client) = try await motoClient(["AWS_SECRET_ACCESS_KEY": "not-the-secret"])
        let error = try #require(await capture(AWSServiceError.self) { try await client.restXML(.s3.listBuckets) })
        #expect(error.code == "SignatureDoesNotMatch")
        #expect(error.status == 403)
        #expect(error.description.hasPrefix("S3 ListBuckets failed: SignatureDoesNotMatch: "))
        #expect(error.description.contains(signatureAdvice))
        #expect(error.requestID?.isEmpty == false)
    }

    @Test func anUnknownAccessKeyIsRejectedWithAdvice() async throws {
        let (_, client) = try await motoClient(["AWS_ACCESS_KEY_ID": "AKIAUNKNOWNKEY000000"])
        let error = try #require(await capture(AWSServiceError.self) { try await client.restXML(.s3.createBucket, ["Bucket": uniqueName()]) })
        #expect(error.code == "InvalidAccessKeyId")
        #expect(error.description.contains("The access key id is not valid: check AWS_ACCESS_KEY_ID or the profile's aws_access_key_id."))
    }
}
