import CairnAWS
import CairnEngine
import CairnJSON
import Foundation
import TestSupport
import Testing

@testable import CairnResources

/// The bucket's list calls over a scripted transport: every page read, and keys that XML cannot carry.
@Suite struct S3BucketListingTests {
    private static func listing(_ root: String, _ elements: String) -> ScriptedRESTTransport.Answer {
        (200, [:], #"<?xml version="1.0" encoding="UTF-8"?><\#(root) xmlns="http://s3.amazonaws.com/doc/2006-03-01/">\#(elements)</\#(root)>"#)
    }

    /// Emptying asks for URL-encoded keys and decodes them as S3 encodes them (a space as `+`, a plus as `%2B`): a key with a control character (which XML 1.0 cannot
    /// carry, in the listing or in DeleteObjects' body) is deleted on its own with its key in the URI, the others
    /// in one DeleteObjects. moto ignores `encoding-type=url` in ListObjectVersions (it writes keys raw, so such
    /// a key makes its listing unreadable XML): this side is tested here only.
    @Test func emptyingDecodesURLEncodedKeysAndDeletesWhatXMLCannotCarryOneByOne() async throws {
        let transport = ScriptedRESTTransport { call, _ in
            if call.hasPrefix("GET ") && call.contains("versions") {
                return Self.listing(
                    "ListVersionsResult",
                    "<EncodingType>url</EncodingType><IsTruncated>false</IsTruncated>"
                        + "<Version><Key>logs/ctl%01key</Key><VersionId>v1</VersionId></Version>"
                        + "<Version><Key>a+%26+b%2Btxt</Key><VersionId>v2</VersionId></Version>"
                        + "<DeleteMarker><Key>plain</Key><VersionId>v3</VersionId></DeleteMarker>")
            }
            if call.hasPrefix("POST ") { return Self.listing("DeleteResult", "") }
            return (204, [:], "")
        }
        let provider = S3BucketProvider(client: .scripted(transport, clock: SteppingClock()))
        try await provider.empty("stub-bucket")

        let requests = transport.requests
        #expect(requests.map(\.method) == ["GET", "POST", "DELETE"], "\(transport.calls)")
        #expect(Set((requests[0].url.query ?? "").split(separator: "&")) == ["versions", "encoding-type=url"])
        let body = try XMLNode.parse(requests[1].body)
        #expect(body.all("Object").map { "\($0.string("Key") ?? "")@\($0.string("VersionId") ?? "")" } == ["a & b+txt@v2", "plain@v3"])
        #expect(requests[2].url.absoluteString.hasSuffix("/logs/ctl%01key?versionId=v1"), "\(requests[2].url)")
    }

    /// A listing that still shows what S3 accepted to delete (a key read differently from how it is stored) stops
    /// with the bucket and the versions named, rather than listing and deleting for ever.
    @Test func emptyingStopsWhenItsDeletesChangeNothing() async throws {
        let transport = ScriptedRESTTransport { call, _ in
            call.hasPrefix("GET ")
                ? Self.listing(
                    "ListVersionsResult", "<IsTruncated>true</IsTruncated><Version><Key>stuck</Key><VersionId>v1</VersionId></Version>")
                : Self.listing("DeleteResult", "")
        }
        let error = await #expect(throws: S3BucketEmptyingError.self) {
            try await S3BucketProvider(client: .scripted(transport, clock: SteppingClock())).empty("stub-bucket")
        }
        #expect(error?.bucket == "stub-bucket" && error?.count == 1)
        #expect(error.map { "\($0)".contains("stuck (v1)") } == true, "\(String(describing: error))")
        #expect(transport.requests.map(\.method) == ["GET", "POST", "GET"])
    }

    /// Without `EncodingType` in the answer (an implementation that ignores the parameter), keys are taken as written.
    @Test func keysOfAnAnswerWithoutEncodingTypeAreTakenAsWritten() async throws {
        let transport = ScriptedRESTTransport { call, _ in
            call.hasPrefix("GET ")
                ? Self.listing("ListVersionsResult", "<IsTruncated>false</IsTruncated><Version><Key>100%25</Key><VersionId>v1</VersionId></Version>")
                : Self.listing("DeleteResult", "")
        }
        try await S3BucketProvider(client: .scripted(transport, clock: SteppingClock())).empty("stub-bucket")
        let body = try XMLNode.parse(try #require(transport.requests.last).body)
        #expect(body.all("Object").compactMap { $0.string("Key") } == ["100%25"])
    }

    /// The creation date comes from ListBuckets, read to its last page.
    @Test func theCreationDateIsFoundOnALaterPage() async throws {
        let transport = ScriptedRESTTransport { call, _ in
            !call.contains("continuation-token")
                ? Self.listing(
                    "ListAllMyBucketsResult",
                    "<Buckets><Bucket><Name>app-logs</Name><CreationDate>2020-01-01T00:00:00.000Z</CreationDate></Bucket></Buckets><ContinuationToken>c1</ContinuationToken>"
                )
                : Self.listing(
                    "ListAllMyBucketsResult",
                    "<Buckets><Bucket><Name>app</Name><CreationDate>2024-05-06T07:08:09.000Z</CreationDate></Bucket></Buckets>")
        }
        let date = try await S3BucketProvider(client: .scripted(transport, clock: SteppingClock())).creationDate(id: "app")
        #expect(date == Date(timeIntervalSince1970: 1_714_979_289))
        #expect(transport.requests.count == 2)
        #expect(transport.requests.last?.url.query?.contains("continuation-token=c1") == true)
    }
}
