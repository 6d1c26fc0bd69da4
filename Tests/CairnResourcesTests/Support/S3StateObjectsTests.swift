import CairnAWS
import CairnState
import Foundation
import TestSupport
import Testing

@testable import CairnResources

/// A shared state's bucket over a scripted transport: S3's answers that moto does not give (409
/// ConditionalRequestConflict, 301 PermanentRedirect for a bucket in another region).
@Suite struct S3StateObjectsTests {
    private static func error(_ status: Int, _ code: String, headers: [String: String] = [:]) -> ScriptedRESTTransport.Answer {
        (status, headers, "<Error><Code>\(code)</Code><Message>\(code) for the test</Message><RequestId>req-9</RequestId></Error>")
    }

    @Test func aConditionalWriteMetWithAConflictIsSentAgain() async throws {
        let transport = ScriptedRESTTransport { call, count in
            // Another conditional write to the key is under way the first two times: S3 asks to retry.
            count < 2 ? Self.error(409, "ConditionalRequestConflict") : (200, ["ETag": "\"e1\""], "")
        }
        let clock = SteppingClock()
        let objects = S3StateObjects(client: .scripted(transport, clock: clock), bucket: "team-state")
        let etag = try await objects.put("team/web/default/journal/1", Data("{}".utf8), condition: .absent)
        #expect(etag == "\"e1\"")
        #expect(transport.requests.count == 3, "\(transport.calls)")
        #expect(transport.requests.allSatisfy { $0.headers.contains { $0.name == "If-None-Match" && $0.value == "*" } })
        #expect(clock.slept > .zero, "a short wait between attempts")
    }

    @Test func aConflictThatLastsIsARefusalTheCallerChecks() async throws {
        let transport = ScriptedRESTTransport { _, _ in Self.error(409, "ConditionalRequestConflict") }
        let objects = S3StateObjects(client: .scripted(transport, clock: SteppingClock()), bucket: "team-state")
        await #expect(throws: PreconditionFailed(key: "team/web/default/lock")) {
            _ = try await objects.put("team/web/default/lock", Data("{}".utf8), condition: .matching("\"e0\""))
        }
        #expect(transport.requests.count == S3StateObjects.conflictAttempts)
    }

    @Test func aBucketInAnotherRegionSaysWhichRegionToSet() async throws {
        let transport = ScriptedRESTTransport { _, _ in Self.error(301, "PermanentRedirect", headers: ["x-amz-bucket-region": "us-west-2"]) }
        let objects = S3StateObjects(client: .scripted(transport, clock: SteppingClock(), region: "eu-north-1"), bucket: "team-state")
        do {
            _ = try await objects.get("team/web/default/state")
            Issue.record("a redirect was taken for a missing object")
        } catch let error as RemoteStateError {
            #expect(
                error
                    == .bucketInOtherRegion(
                        bucket: "team-state", location: "s3://team-state/team/web/default/state", region: "us-west-2", asked: "eu-north-1"))
            #expect(error.description.contains("is in us-west-2, not in eu-north-1"), "\(error)")
            #expect(error.description.contains("`s3://team-state/PREFIX?region=us-west-2`"), "\(error)")
        }
        #expect(transport.requests.count == 1, "not retried")
    }
}
