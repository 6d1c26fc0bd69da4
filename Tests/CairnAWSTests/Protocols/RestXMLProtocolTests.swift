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

    /// CloudFront on AWS: its one global host, signed for us-east-1 from another region, a query-only member from the
    /// model's URI (`?WithTags`), the payload's namespace from the model, If-Match as a header and the ETag read back.
    @Test func cloudFrontRequestsFollowTheModel() async throws {
        let transport = FakeTransport([
            .xml(201, "<Distribution><Id>E1</Id></Distribution>", headers: ["ETag": "E2QWRUHAPOMQZL"]),
            .xml(200, "<Distribution><Id>E1</Id></Distribution>", headers: ["ETag": "E3"]),
        ])
        let client = makeClient(transport, region: "eu-west-1", endpoints: EndpointResolver())
        let created = try await client.restXML(
            .cloudFront.createDistributionWithTags, body: .xml([XMLNode("DistributionConfig", children: [XMLNode("Comment", text: "hi")])]))
        #expect(created.etag == "E2QWRUHAPOMQZL")
        let updated = try await client.restXML(
            .cloudFront.updateDistribution, ["Id": "E1", "IfMatch": "E2QWRUHAPOMQZL"], body: .xml([XMLNode("Comment", text: "hi")]))
        #expect(updated.etag == "E3")
        let requests = await transport.requests
        #expect(requests.map(\.method) == ["POST", "PUT"])
        #expect(
            requests.map(\.url.absoluteString) == [
                "https://cloudfront.amazonaws.com/2020-05-31/distribution?WithTags",
                "https://cloudfront.amazonaws.com/2020-05-31/distribution/E1/config",
            ])
        #expect(requests[0].header("Authorization")?.contains("/us-east-1/cloudfront/aws4_request") == true)
        #expect(
            String(decoding: requests[0].body, as: UTF8.self)
                == #"<?xml version="1.0" encoding="UTF-8"?><DistributionConfigWithTags xmlns="http://cloudfront.amazonaws.com/doc/2020-05-31/"><DistributionConfig><Comment>hi</Comment></DistributionConfig></DistributionConfigWithTags>"#
        )
        #expect(requests[1].header("If-Match") == "E2QWRUHAPOMQZL")
        #expect(requests[1].header("Content-Type") == "application/xml")
    }

    /// CloudFront's errors wrap `<Error>` in `<ErrorResponse>`, with the request id beside it.
    @Test func cloudFrontErrorsAreRead() async throws {
        let transport = FakeTransport([
            .xml(
                412,
                """
                <?xml version="1.0"?>
                <ErrorResponse xmlns="http://cloudfront.amazonaws.com/doc/2020-05-31/"><Error><Type>Sender</Type><Code>PreconditionFailed</Code><Message>The If-Match version is missing or not valid for the resource.</Message></Error><RequestId>req-cf-1</RequestId></ErrorResponse>
                """)
        ])
        let error = try #require(
            await capture(AWSServiceError.self) {
                try await makeClient(transport).restXML(.cloudFront.deleteDistribution, ["Id": "E1", "IfMatch": "old"])
            })
        #expect(error.code == "PreconditionFailed")
        #expect(error.status == 412)
        #expect(error.requestID == "req-cf-1")
        #expect(error.message == "The If-Match version is missing or not valid for the resource.")

        // A signature checked in front of the service (moto's) is refused in the query protocol's shape.
        let refused = FakeTransport([
            .xml(
                403,
                #"<?xml version="1.0" encoding="utf-8"?><ErrorResponse><Errors><Error><Code>SignatureDoesNotMatch</Code><Message>The request signature we calculated does not match.</Message><Type>Sender</Type></Error></Errors></ErrorResponse>"#
            )
        ])
        let signature = try #require(
            await capture(AWSServiceError.self) { try await makeClient(refused).restXML(.cloudFront.listDistributions) })
        #expect(signature.code == "SignatureDoesNotMatch" && signature.status == 403)
    }

    /// A paginated CloudFront list: the paginator's paths start at the root element (the output payload), pages follow
    /// NextMarker while IsTruncated is true, and the items are the children of each page's wrapped `Items`.
    @Test func cloudFrontListsArePaginated() async throws {
        func page(_ ids: [String], next: String?) -> FakeTransport.Outcome {
            let items = ids.map { "<DistributionSummary><Id>\($0)</Id></DistributionSummary>" }.joined()
            let marker = next.map { "<NextMarker>\($0)</NextMarker>" } ?? ""
            return .xml(
                200,
                """
                <?xml version="1.0"?>
                <DistributionList xmlns="http://cloudfront.amazonaws.com/doc/2020-05-31/"><Marker></Marker>\(marker)<MaxItems>2</MaxItems><IsTruncated>\(next != nil)</IsTruncated><Quantity>\(ids.count)</Quantity><Items>\(items)</Items></DistributionList>
                """)
        }
        let transport = FakeTransport([page(["E1", "E2"], next: "E2"), page(["E3"], next: nil)])
        let items = try await makeClient(transport).restXMLAll(.cloudFront.listDistributions, ["MaxItems": "2"])
        #expect(items.map { $0.string("Id") } == ["E1", "E2", "E3"])
        let queries = await transport.requests.map { Set(($0.url.query ?? "").split(separator: "&").map(String.init)) }
        #expect(queries == [["MaxItems=2"], ["MaxItems=2", "Marker=E2"]])
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

/// S3's and CloudFront's paginated lists over a fake transport: each paginator's tokens followed to the last page.
@Suite struct RestXMLPaginationTests {
    private func queries(_ transport: FakeTransport) async -> [Set<String>] {
        await transport.requests.map { Set(($0.url.query ?? "").split(separator: "&").map(String.init)) }
    }

    private func listing(_ root: String, _ elements: String) -> FakeTransport.Outcome {
        .xml(200, #"<?xml version="1.0" encoding="UTF-8"?><\#(root) xmlns="http://s3.amazonaws.com/doc/2006-03-01/">\#(elements)</\#(root)>"#)
    }

    /// ListObjectsV2: NextContinuationToken while IsTruncated, three pages.
    @Test func listObjectsV2FollowsTheContinuationToken() async throws {
        let transport = FakeTransport([
            listing(
                "ListBucketResult",
                "<IsTruncated>true</IsTruncated><Contents><Key>a</Key></Contents><NextContinuationToken>t/1=</NextContinuationToken>"),
            listing(
                "ListBucketResult",
                "<IsTruncated>true</IsTruncated><ContinuationToken>t/1=</ContinuationToken><Contents><Key>b</Key></Contents><NextContinuationToken>t2</NextContinuationToken>"
            ),
            listing("ListBucketResult", "<IsTruncated>false</IsTruncated><Contents><Key>c</Key></Contents>"),
        ])
        let pages = try await makeClient(transport).restXMLPages(.s3.listObjectsV2, ["Bucket": "b", "MaxKeys": "1"])
        #expect(pages.flatMap { $0.all("Contents") }.map { $0.string("Key") } == ["a", "b", "c"])
        #expect(
            await queries(transport) == [
                ["list-type=2", "max-keys=1"], ["list-type=2", "max-keys=1", "continuation-token=t%2F1%3D"],
                ["list-type=2", "max-keys=1", "continuation-token=t2"],
            ])
    }

    /// ListObjectVersions: both markers while IsTruncated; with encoding-type=url the key marker comes encoded, as the
    /// keys do (a space as `+`), and goes back decoded (encoded once more in the query string), the version id marker as it is.
    @Test func listObjectVersionsFollowsBothMarkersDecodingTheKeyMarker() async throws {
        let transport = FakeTransport([
            listing(
                "ListVersionsResult",
                "<EncodingType>url</EncodingType><IsTruncated>true</IsTruncated><Version><Key>a%01b</Key><VersionId>v1</VersionId></Version>"
                    + "<NextKeyMarker>a+%01b%2B</NextKeyMarker><NextVersionIdMarker>v1%2B</NextVersionIdMarker>"),
            listing(
                "ListVersionsResult",
                "<EncodingType>url</EncodingType><IsTruncated>false</IsTruncated><DeleteMarker><Key>c</Key><VersionId>v2</VersionId></DeleteMarker>"),
        ])
        let pages = try await makeClient(transport).restXMLPages(.s3.listObjectVersions, ["Bucket": "b", "EncodingType": "url"])
        #expect(pages.count == 2)
        #expect(
            await queries(transport) == [
                ["versions", "encoding-type=url"],
                ["versions", "encoding-type=url", "key-marker=a%20%01b%2B", "version-id-marker=v1%252B"],
            ])
    }

    /// ListBuckets: a ContinuationToken and no IsTruncated; the items are the Bucket children of each page's Buckets.
    @Test func listBucketsFollowsTheContinuationToken() async throws {
        let transport = FakeTransport([
            listing("ListAllMyBucketsResult", "<Buckets><Bucket><Name>one</Name></Bucket></Buckets><ContinuationToken>c1</ContinuationToken>"),
            listing("ListAllMyBucketsResult", "<Buckets><Bucket><Name>two</Name></Bucket><Bucket><Name>three</Name></Bucket></Buckets>"),
        ])
        let buckets = try await makeClient(transport).restXMLAll(.s3.listBuckets, ["MaxBuckets": "2"])
        #expect(buckets.map { $0.string("Name") } == ["one", "two", "three"])
        #expect(await queries(transport) == [["max-buckets=2"], ["max-buckets=2", "continuation-token=c1"]])
    }

    /// CloudFront over three pages, and a marker repeated by the server ends the pagination instead of looping.
    @Test func cloudFrontListsFollowThreePagesAndStopOnARepeatedMarker() async throws {
        func page(_ id: String, next: String?) -> FakeTransport.Outcome {
            .xml(
                200,
                """
                <OriginAccessControlList xmlns="http://cloudfront.amazonaws.com/doc/2020-05-31/"><Marker></Marker>\(next.map { "<NextMarker>\($0)</NextMarker>" } ?? "")\
                <MaxItems>1</MaxItems><IsTruncated>\(next != nil)</IsTruncated><Quantity>1</Quantity>\
                <Items><OriginAccessControlSummary><Id>\(id)</Id></OriginAccessControlSummary></Items></OriginAccessControlList>
                """)
        }
        let transport = FakeTransport([page("O1", next: "m1"), page("O2", next: "m2"), page("O3", next: nil)])
        let items = try await makeClient(transport).restXMLAll(.cloudFront.listOriginAccessControls, ["MaxItems": "1"])
        #expect(items.map { $0.string("Id") } == ["O1", "O2", "O3"])
        #expect(await queries(transport) == [["MaxItems=1"], ["MaxItems=1", "Marker=m1"], ["MaxItems=1", "Marker=m2"]])

        let repeating = FakeTransport([page("O1", next: "same"), page("O2", next: "same"), page("never", next: nil)])
        #expect(try await makeClient(repeating).restXMLAll(.cloudFront.listOriginAccessControls).count == 2)
        #expect(await repeating.requestCount == 2)
    }
}
