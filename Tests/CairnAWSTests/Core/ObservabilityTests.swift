import CairnSigner
import Foundation
import TestSupport
import Testing

@testable import CairnAWS

@Suite struct ObservabilityTests {
    /// `cairn: aws <Service>.<Operation> status=<n|-> attempt=<n> latency=<n>ms request-id=<id|->[ error=<code or failure>]`
    private func parse(_ line: String) -> (head: String, latency: Int, tail: String)? {
        guard let match = line.firstMatch(of: /^(.* attempt=\d+) latency=(\d+)ms (request-id=.*)$/) else { return nil }
        return (String(match.1), Int(match.2)!, String(match.3))
    }

    @Test func oneLinePerAttemptWithServiceOperationStatusAttemptLatencyAndRequestID() async throws {
        let transport = FakeTransport([
            .queryError(400, "Throttling", "Rate exceeded", requestID: "req-a"),
            .status(502, "<html>bad gateway</html>", headers: ["Content-Type": "text/html", "x-amzn-RequestId": "req-b"]),
            .failure(.connectionLost(detail: "Connection reset by peer")),
            .callerIdentity,
        ])
        let logger = RecordingLogger()
        _ = try await makeClient(transport, logger: logger).callerIdentity()
        let lines = logger.lines
        #expect(lines.count == 4)
        let parsed = lines.compactMap(parse)
        #expect(parsed.count == 4, "\(lines)")
        #expect(
            parsed.map(\.head) == [
                "cairn: aws STS.GetCallerIdentity status=400 attempt=1",
                "cairn: aws STS.GetCallerIdentity status=502 attempt=2",
                "cairn: aws STS.GetCallerIdentity status=- attempt=3",
                "cairn: aws STS.GetCallerIdentity status=200 attempt=4",
            ])
        #expect(
            parsed.map(\.tail) == [
                "request-id=req-a error=Throttling",
                "request-id=req-b",
                "request-id=- error=connectionLost(detail: \"Connection reset by peer\")",
                "request-id=req-ok",
            ])
        // Every line has its latency in whole milliseconds (parsed above); its value is the transport's time,
        // which latencyIsMeasured checks against an answer delayed on purpose. No bound on it here: the
        // fake answers at once, but how long "at once" takes is up to the machine's load.
        #expect(parsed.allSatisfy { $0.latency >= 0 })
    }

    @Test func eachProtocolLogsItsRequestID() async throws {
        let logger = RecordingLogger()
        _ = try await makeClient(FakeTransport([.noRepositories]), logger: logger).json(.ecr.describeRepositories)
        _ = try await makeClient(FakeTransport([.emptyBucketList]), logger: logger).restXML(.s3.listBuckets)
        _ = await capture(AWSServiceError.self) {
            try await makeClient(FakeTransport([.s3Error(404, "NoSuchBucket", "gone", requestID: "body-id")]), logger: logger)
                .restXML(.s3.getBucketVersioning, ["Bucket": "gone-bucket"])
        }
        let parsed = logger.lines.compactMap(parse)
        #expect(
            parsed.map { "\($0.head) \($0.tail)" } == [
                "cairn: aws ECR.DescribeRepositories status=200 attempt=1 request-id=req-ecr-ok",
                "cairn: aws S3.ListBuckets status=200 attempt=1 request-id=req-s3-ok",
                "cairn: aws S3.GetBucketVersioning status=404 attempt=1 request-id=body-id error=NoSuchBucket",
            ])
    }

    @Test(.integration) func latencyIsMeasured() async throws {
        let stub = try await StubServer.start([.delay(seconds: 0.3, then: .json(200, #"{"repositories":[]}"#))])
        defer { stub.stop() }
        let logger = RecordingLogger()
        _ = try await makeNetworkClient(endpoint: stub.endpoint, logger: logger).json(.ecr.describeRepositories)
        let line = try #require(logger.lines.first.flatMap(parse))
        // bound: at least the 300 ms delay (a lower bound, which load only makes easier); under 5 s only bounds a hang.
        #expect(line.latency >= 290 && line.latency < 5_000, "\(logger.lines)")
    }

    @Test func noSecretEverAppearsInTheLog() async throws {
        let secret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
        let token = "FwoGZXIvYXdzEXAMPLESESSIONTOKEN"
        let transport = FakeTransport([
            .queryError(403, "SignatureDoesNotMatch", "The request signature we calculated does not match", requestID: "r1")
        ])
        let logger = RecordingLogger()
        let error = await capture(AWSServiceError.self) {
            try await makeClient(
                transport, logger: logger, credentials: Credentials(accessKeyID: "AKIDEXAMPLE", secretAccessKey: secret, sessionToken: token)
            )
            .callerIdentity()
        }
        _ = await capture(AWSRequestError.self) {
            try await makeClient(FakeTransport([.failure(.other(detail: "TLS"))]), logger: logger).callerIdentity()
        }
        #expect(logger.lines.count == 2)
        for text in logger.lines + [error?.description ?? ""] {
            #expect(!text.contains(secret))
            #expect(!text.contains(token))
            #expect(!text.contains("Signature="))
        }
    }

    @Test(.integration) func againstMotoEveryCallLogsAndNoSecretLeaks() async throws {
        let moto = try await MotoServer.shared()
        let logger = RecordingLogger()
        let configuration = try AWSConfiguration.resolve(environment: moto.environment(), logger: logger)
        let client = configuration.client(logger: logger)
        _ = try await client.callerIdentity()
        _ = try await client.json(.ecr.describeRepositories)
        _ = try await client.restXML(.s3.listBuckets)
        let parsed = logger.lines.compactMap(parse)
        #expect(parsed.count == 3, "\(logger.lines)")
        #expect(
            parsed.map(\.head) == [
                "cairn: aws STS.GetCallerIdentity status=200 attempt=1",
                "cairn: aws ECR.DescribeRepositories status=200 attempt=1",
                "cairn: aws S3.ListBuckets status=200 attempt=1",
            ])
        #expect(parsed.allSatisfy { $0.tail.hasPrefix("request-id=") && $0.tail != "request-id=-" }, "\(logger.lines)")
        #expect(logger.lines.allSatisfy { !$0.contains(moto.secretAccessKey) })
    }
}
