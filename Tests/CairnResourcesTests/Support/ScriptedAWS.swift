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
