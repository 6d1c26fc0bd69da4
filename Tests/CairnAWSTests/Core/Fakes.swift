import CairnSigner
import Foundation
import TestSupport
import Testing

@testable import CairnAWS

// Test doubles shared by the CairnAWS tests: a scripted transport, a clock that records sleeps instead
// of sleeping, fixed jitter and a recording logger, so that retries and logs are asserted exactly.

/// An `HTTPTransport` that records every request and answers with scripted outcomes, in order.
/// When the script runs out, the last outcome repeats (so `[.status(503)]` means "always 503").
actor FakeTransport: HTTPTransport {
    enum Outcome: Sendable {
        case response(HTTPResponse)
        case failure(TransportError)
    }

    private var script: [Outcome]
    private var last: Outcome?
    private(set) var requests: [HTTPRequest] = []
    private(set) var timeouts: [Duration] = []

    init(_ script: [Outcome]) { self.script = script }

    func send(_ request: HTTPRequest, timeout: Duration) async throws(TransportError) -> HTTPResponse {
        requests.append(request)
        timeouts.append(timeout)
        let outcome: Outcome
        if !script.isEmpty {
            outcome = script.removeFirst()
            last = outcome
        } else if let last {
            outcome = last
        } else {
            return HTTPResponse(status: 418, headers: ["content-type": "text/plain"], body: Data("FakeTransport: nothing scripted".utf8))
        }
        switch outcome {
        case .response(let response): return response
        case .failure(let error): throw error
        }
    }

    var requestCount: Int { requests.count }
}

extension FakeTransport.Outcome {
    static func status(_ status: Int, _ body: String = "", headers: [String: String] = [:]) -> Self {
        .response(HTTPResponse(status: status, headers: headers, body: Data(body.utf8)))
    }

    /// A json-protocol answer.
    static func json(_ status: Int, _ body: String, headers: [String: String] = [:]) -> Self {
        .status(status, body, headers: ["Content-Type": "application/x-amz-json-1.1"].merging(headers) { $1 })
    }

    /// A json-protocol error: `{"__type": type, "message": message}` with a request id header.
    static func jsonError(_ status: Int, _ type: String, _ message: String, requestID: String = "req-json-1", headers: [String: String] = [:]) -> Self
    {
        json(status, #"{"__type":"\#(type)","message":"\#(message)"}"#, headers: ["x-amzn-RequestId": requestID].merging(headers) { $1 })
    }

    /// An XML answer (query and rest-xml protocols).
    static func xml(_ status: Int, _ body: String, headers: [String: String] = [:]) -> Self {
        .status(status, body, headers: ["Content-Type": "text/xml"].merging(headers) { $1 })
    }

    /// A query-protocol error document.
    static func queryError(
        _ status: Int, _ code: String, _ message: String, requestID: String = "req-query-1", headers: [String: String] = [:]
    ) -> Self {
        xml(
            status,
            """
            <ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
              <Error><Type>Sender</Type><Code>\(code)</Code><Message>\(message)</Message></Error>
              <RequestId>\(requestID)</RequestId>
            </ErrorResponse>
            """, headers: headers)
    }

    /// An S3 (rest-xml) error document.
    static func s3Error(_ status: Int, _ code: String, _ message: String, requestID: String = "req-s3-1", headers: [String: String] = [:]) -> Self {
        xml(
            status,
            """
            <?xml version="1.0" encoding="UTF-8"?>
            <Error><Code>\(code)</Code><Message>\(message)</Message><RequestId>\(requestID)</RequestId><HostId>host-id</HostId></Error>
            """, headers: ["Content-Type": "application/xml"].merging(headers) { $1 })
    }

    static let callerIdentity: Self = xml(
        200,
        """
        <GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
          <GetCallerIdentityResult>
            <Arn>arn:aws:iam::123456789012:user/alice</Arn>
            <UserId>AIDAEXAMPLE</UserId>
            <Account>123456789012</Account>
          </GetCallerIdentityResult>
          <ResponseMetadata><RequestId>req-ok</RequestId></ResponseMetadata>
        </GetCallerIdentityResponse>
        """, headers: ["x-amzn-RequestId": "req-ok"])

    static let emptyBucketList: Self = xml(
        200,
        """
        <?xml version="1.0" encoding="UTF-8"?>
        <ListAllMyBucketsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Owner><ID>o</ID></Owner><Buckets></Buckets></ListAllMyBucketsResult>
        """, headers: ["x-amz-request-id": "req-s3-ok"])

    static let noRepositories: Self = json(200, #"{"repositories":[]}"#, headers: ["x-amzn-RequestId": "req-ecr-ok"])
}

/// A clock frozen at a fixed instant that records requested sleeps and returns at once
/// (advancing its time by the sleep, as a real clock would).
final class FakeClock: AWSClock, @unchecked Sendable {
    private let state: Locked<(now: Date, sleeps: [Duration])>

    /// 2023-11-14T22:13:20Z
    static let epoch = Date(timeIntervalSince1970: 1_700_000_000)

    init(_ now: Date = FakeClock.epoch) { state = Locked((now, [])) }

    func now() -> Date { state.current.now }

    func sleep(for duration: Duration) async throws {
        record(duration)
    }

    private func record(_ duration: Duration) {
        state.withLock {
            $0.sleeps.append(duration)
            $0.now += duration.seconds
        }
    }

    /// Every sleep requested so far, in order.
    var sleeps: [Duration] { state.current.sleeps }

    func advance(by seconds: TimeInterval) { state.withLock { $0.now += seconds } }
    func set(_ date: Date) { state.withLock { $0.now = date } }
}

/// The same jitter every time.
struct FixedRandom: RandomSource {
    let value: Double
    init(_ value: Double) { self.value = value }
    func unit() -> Double { value }
}

/// A logger that keeps every line.
final class RecordingLogger: AWSLogger, @unchecked Sendable {
    private let state = Locked<[String]>([])
    func log(_ line: String) { state.withLock { $0.append(line) } }
    var lines: [String] { state.current }
}

/// Credentials for offline tests: the AWS documentation's example key.
let exampleCredentials = Credentials(
    accessKeyID: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
    sessionToken: "FwoGZXIvYXdzEXAMPLESESSIONTOKEN")

/// The endpoint every fake-transport client talks to: a custom one, so S3 uses path-style addressing.
let fakeEndpoint = URL(string: "http://aws.test:4566")!

/// A client over `transport` with a fixed clock and jitter, talking to `fakeEndpoint` unless `endpoints` says otherwise.
func makeClient(
    _ transport: FakeTransport, clock: FakeClock = FakeClock(), jitter: Double = 0.5,
    retry: RetryPolicy = .default, logger: (any AWSLogger)? = nil, region: String = "us-east-1",
    endpoints: EndpointResolver = EndpointResolver(globalOverride: (fakeEndpoint, "the test")),
    credentials: Credentials = exampleCredentials
) -> AWSClient {
    AWSClient(
        region: region, credentials: StaticCredentialProvider(credentials, source: "the test's credentials"),
        endpoints: endpoints, retry: retry, transport: transport, clock: clock, random: FixedRandom(jitter), logger: logger)
}

/// A client on the real transport (async-http-client) aimed at `endpoint`, with a fake clock (no real backoff waits).
func makeNetworkClient(
    endpoint: URL, clock: FakeClock = FakeClock(), retry: RetryPolicy = .default, timeout: Duration = .seconds(10),
    logger: (any AWSLogger)? = nil
) -> AWSClient {
    AWSClient(
        region: "us-east-1", credentials: StaticCredentialProvider(exampleCredentials, source: "the test's credentials"),
        endpoints: EndpointResolver(globalOverride: (endpoint, "the test")), retry: retry, timeout: timeout,
        transport: HTTPClientTransport(), clock: clock, random: FixedRandom(0.5), logger: logger)
}

/// Captures the error `body` throws, failing if it returns normally.
func capture<E: Error>(_ type: E.Type, _ body: () async throws -> some Any) async -> E? {
    do {
        _ = try await body()
        return nil
    } catch let error as E {
        return error
    } catch {
        Issue.record("expected \(E.self), got \(Swift.type(of: error)): \(error)")
        return nil
    }
}

/// A private directory standing in for HOME, with helpers to write `~/.aws/config` and `~/.aws/credentials`.
struct TemporaryHome {
    let url: URL

    init() throws { url = try makeTemporaryDirectory() }

    var path: String { url.path }
    var configPath: String { url.appendingPathComponent(".aws/config").path }
    var credentialsPath: String { url.appendingPathComponent(".aws/credentials").path }

    func write(config: String? = nil, credentials: String? = nil) throws {
        try FileManager.default.createDirectory(at: url.appendingPathComponent(".aws"), withIntermediateDirectories: true)
        if let config { try Data(config.utf8).write(to: URL(fileURLWithPath: configPath)) }
        if let credentials { try Data(credentials.utf8).write(to: URL(fileURLWithPath: credentialsPath)) }
    }

    /// Writes `text` to a file in the directory and returns its path.
    func file(_ name: String, _ text: String) throws -> String {
        let path = url.appendingPathComponent(name).path
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    /// An environment with only HOME (so `~/.aws/...` resolve here), metadata lookups off, plus `extra`.
    func environment(_ extra: [String: String] = [:]) -> [String: String] {
        ["HOME": path, "AWS_EC2_METADATA_DISABLED": "true"].merging(extra) { $1 }
    }

    func remove() { try? FileManager.default.removeItem(at: url) }
}

// MARK: - moto

/// A client configured exactly as Cairn configures itself (`AWSConfiguration.resolve`) from moto's environment
/// (signature-checked admin key, AWS_ENDPOINT_URL, region), plus `extra` (e.g. a wrong secret).
func motoClient(_ extra: [String: String] = [:], region: String? = nil, logger: (any AWSLogger)? = nil) async throws -> (MotoServer, AWSClient) {
    let moto = try await MotoServer.shared()
    let configuration = try AWSConfiguration.resolve(environment: moto.environment(region: region, extra: extra), logger: logger)
    // No jitter: a retried call (moto answers 500 now and then under load) never sleeps for real.
    return (moto, configuration.client(random: FixedRandom(0), logger: logger))
}

/// A unique, lower-case resource name (valid for S3 buckets, ECR repositories, IAM roles and log groups).
func uniqueName(_ prefix: String = "cairn-test") -> String {
    "\(prefix)-\(UUID().uuidString.prefix(8).lowercased())"
}

extension RetryPolicy {
    /// The default policy without the adaptive mode's pacing: backoff alone, so a test sees the backoff schedule exactly.
    static var standardMode: RetryPolicy {
        var policy = RetryPolicy.default
        policy.mode = .standard
        return policy
    }
}
