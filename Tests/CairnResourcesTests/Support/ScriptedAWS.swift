import CairnSigner
import Foundation
import TestSupport

@testable import CairnAWS

/// A transport that answers every request from `answer`, by operation (X-Amz-Target's suffix, or the query protocol's
/// `Action`): a status and a body (XML bodies go as text/xml). Every request is kept in `sent`, in order.
struct ScriptedTransport: HTTPTransport {
    let answer: @Sendable (String, Data) -> (Int, String)
    /// Each request sent: its operation and its body as text.
    let sent = Locked<[(operation: String, body: String)]>([])

    /// Answers every operation with HTTP 200 and the body `answer` gives.
    init(_ answer: @escaping @Sendable (String) -> String) { self.answer = { operation, _ in (200, answer(operation)) } }
    /// Answers every operation with the status and body `answer` gives (an error's `__type` in the body).
    init(status answer: @escaping @Sendable (String) -> (Int, String)) { self.answer = { operation, _ in answer(operation) } }
    /// Answers from `answer`, which also gets the request's body (to record what was sent).
    init(reading answer: @escaping @Sendable (String, Data) -> (Int, String)) { self.answer = answer }

    /// The bodies of the requests sent for `operation`.
    func bodies(_ operation: String) -> [String] { sent.withLock { $0.filter { $0.operation == operation }.map(\.body) } }

    func send(_ request: HTTPRequest, timeout: Duration) async throws(TransportError) -> HTTPResponse {
        let text = String(decoding: request.body, as: UTF8.self)
        let target = request.headers.first { $0.name.lowercased() == "x-amz-target" }?.value
        let action = text.split(separator: "&").first { $0.hasPrefix("Action=") }?.dropFirst("Action=".count)
        let operation = target.map { String($0.split(separator: ".").last ?? "") } ?? action.map(String.init) ?? ""
        sent.withLock { $0.append((operation, text)) }
        let (status, body) = answer(operation, request.body)
        let type = body.hasPrefix("<") ? "text/xml" : "application/x-amz-json-1.1"
        return HTTPResponse(status: status, headers: ["content-type": type, "x-amzn-requestid": "req-1"], body: Data(body.utf8))
    }
}

/// True the first `times` times it is asked, then false: for an answer that refuses a few times, then accepts.
struct Countdown: Sendable {
    private let left: Locked<Int>
    init(_ times: Int) { left = Locked(times) }
    /// Whether this call is still within the first `times`.
    func next() -> Bool {
        left.withLock { count -> Bool in
            count -= 1
            return count >= 0
        }
    }
    /// Starts again with `times` left.
    func reset(_ times: Int) { left.withLock { $0 = times } }
}

/// Time that passes only when slept through.
final class SteppingClock: AWSClock, @unchecked Sendable {
    private let lock = NSLock()
    private var current = Date(timeIntervalSince1970: 1_700_000_000)
    private var sleptSoFar: Duration = .zero

    /// Everything slept so far.
    var slept: Duration { lock.withLock { sleptSoFar } }
    func now() -> Date { lock.withLock { current } }
    func sleep(for duration: Duration) async throws {
        lock.withLock {
            sleptSoFar += duration
            current += Double(duration.components.seconds)
        }
    }
}

extension AWSClient {
    /// A client in us-east-1 with static credentials that sends every request to `transport` and waits on `clock`.
    static func scripted(_ transport: ScriptedTransport, clock: SteppingClock) -> AWSClient {
        AWSClient(
            region: "us-east-1", credentials: StaticCredentialProvider(Credentials(accessKeyID: "AKID", secretAccessKey: "secret"), source: "test"),
            transport: transport, clock: clock)
    }
}

/// A transport for rest-xml services (CloudFront) that answers each call from `answer` by `"METHOD /path?query"` and how
/// many times that call came before (0 for the first), and keeps every request in order.
final class ScriptedRESTTransport: HTTPTransport, @unchecked Sendable {
    /// An answer: status, headers and body.
    typealias Answer = (status: Int, headers: [String: String], body: String)

    private let lock = NSLock()
    private var recorded: [HTTPRequest] = []
    private let answer: @Sendable (_ call: String, _ count: Int) -> Answer

    init(_ answer: @escaping @Sendable (_ call: String, _ count: Int) -> Answer) { self.answer = answer }

    /// Every request so far.
    var requests: [HTTPRequest] { lock.withLock { recorded } }
    /// `"METHOD /path?query"` of every request so far.
    var calls: [String] { requests.map(Self.call) }

    static func call(_ request: HTTPRequest) -> String {
        request.method + " " + request.url.path + (request.url.query.map { "?" + $0 } ?? "")
    }

    func send(_ request: HTTPRequest, timeout: Duration) async throws(TransportError) -> HTTPResponse {
        let call = Self.call(request)
        let count = lock.withLock {
            recorded.append(request)
            return recorded.filter { Self.call($0) == call }.count - 1
        }
        let (status, headers, body) = answer(call, count)
        return HTTPResponse(
            status: status, headers: ["content-type": "text/xml", "x-amzn-requestid": "req-1"].merging(headers) { $1 }, body: Data(body.utf8))
    }
}

/// The same number every time, for a fixed CallerReference.
struct FixedRandom: RandomSource {
    let value: Double
    func unit() -> Double { value }
}

extension AWSClient {
    /// A client in `region` with static credentials over `transport`, waiting on `clock` and drawing from `random`.
    static func scripted(
        _ transport: some HTTPTransport, clock: SteppingClock, random: any RandomSource = FixedRandom(value: 0.5), region: String = "us-east-1"
    )
        -> AWSClient
    {
        AWSClient(
            region: region, credentials: StaticCredentialProvider(Credentials(accessKeyID: "AKID", secretAccessKey: "secret"), source: "test"),
            transport: transport, clock: clock, random: random)
    }
}
