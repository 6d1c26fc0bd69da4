import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// What the stub server does with one incoming request.
public indirect enum StubResponse: Sendable, Equatable {
    /// A normal HTTP response. `Content-Length` is added unless given (or the status is 204/304);
    /// `Connection: close` among the headers closes the connection afterwards, else it is kept alive.
    case http(status: Int, headers: [String: String] = [:], body: String = "")
    /// Reads the request, then closes the connection with a TCP RST (SO_LINGER 0): the client sees ECONNRESET.
    case resetConnection
    /// Reads the request, then closes the connection cleanly (FIN) without any response.
    case closeWithoutResponse
    /// Reads the request and never answers; the connection is closed once the client closes it
    /// (client-side timeouts). The request is recorded at once.
    case hang
    /// Writes these bytes verbatim (e.g. a truncated or malformed response), then closes the connection.
    case raw(String)
    /// Waits `seconds`, then does `then`.
    case delay(seconds: Double, then: StubResponse = .http(status: 200))

    /// A JSON response (`Content-Type: application/x-amz-json-1.0` unless another type is given).
    public static func json(_ status: Int, _ body: String, headers: [String: String] = [:]) -> StubResponse {
        var headers = headers
        if !headers.keys.contains(where: { $0.lowercased() == "content-type" }) {
            headers["Content-Type"] = "application/x-amz-json-1.0"
        }
        return .http(status: status, headers: headers, body: body)
    }

    /// An XML response (`Content-Type: text/xml` unless another type is given), as the query and
    /// rest-xml protocols (IAM, STS, S3) answer.
    public static func xml(_ status: Int, _ body: String, headers: [String: String] = [:]) -> StubResponse {
        var headers = headers
        if !headers.keys.contains(where: { $0.lowercased() == "content-type" }) {
            headers["Content-Type"] = "text/xml"
        }
        return .http(status: status, headers: headers, body: body)
    }

    var scriptEntry: [String: Any] {
        switch self {
        case .http(let status, let headers, let body):
            return ["type": "http", "status": status, "headers": headers, "body": body]
        case .resetConnection:
            return ["type": "reset"]
        case .closeWithoutResponse:
            return ["type": "close"]
        case .hang:
            return ["type": "hang"]
        case .raw(let data):
            return ["type": "raw", "data": data]
        case .delay(let seconds, let then):
            return ["type": "delay", "seconds": seconds, "then": then.scriptEntry]
        }
    }
}

/// A request the stub server received.
public struct RecordedRequest: Sendable, Equatable, CustomStringConvertible {
    /// The HTTP method, e.g. "POST".
    public let method: String
    /// The request target exactly as sent: path and query, still percent-encoded.
    public let target: String
    /// The path part of `target` (before any "?"), still percent-encoded.
    public let path: String
    /// The query part of `target` (after the "?"), still percent-encoded; "" if there was none.
    public let query: String
    /// Header names are lower-cased; repeated headers are joined with ", ".
    public let headers: [String: String]
    /// The body's exact bytes (a chunked body is de-chunked).
    public let bodyData: Data
    /// Which TCP connection carried it: 1, 2, ... in order of first use (equal numbers: keep-alive reuse).
    public let connection: Int

    /// Creates a record (for tests of code that consumes records).
    public init(method: String, target: String, headers: [String: String], bodyData: Data, connection: Int = 1) {
        self.method = method
        self.target = target
        let parts = target.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        self.path = String(parts[0])
        self.query = parts.count > 1 ? String(parts[1]) : ""
        self.headers = headers
        self.bodyData = bodyData
        self.connection = connection
    }

    /// The body decoded as UTF-8 (invalid bytes replaced).
    public var body: String { String(decoding: bodyData, as: UTF8.self) }

    /// A header by case-insensitive name.
    public func header(_ name: String) -> String? { headers[name.lowercased()] }

    /// The decoded query parameters, in order (`+` is not treated as a space, as in SigV4).
    public var queryItems: [URLQueryItem] {
        guard !query.isEmpty else { return [] }
        return query.split(separator: "&", omittingEmptySubsequences: true).map { pair in
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = String(parts[0]).removingPercentEncoding ?? String(parts[0])
            let value = parts.count > 1 ? (String(parts[1]).removingPercentEncoding ?? String(parts[1])) : nil
            return URLQueryItem(name: name, value: value)
        }
    }

    /// The decoded value of the first query parameter named `name` ("" for a parameter without "=").
    public func queryValue(_ name: String) -> String? {
        queryItems.first { $0.name == name }.map { $0.value ?? "" }
    }

    /// The body parsed as a form (`application/x-www-form-urlencoded`, as the query protocol sends it):
    /// name → value, `+` decoded as a space.
    public var formParameters: [String: String] {
        var result = [String: String]()
        for pair in body.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ text: Substring) -> String {
                let spaced = text.replacingOccurrences(of: "+", with: " ")
                return spaced.removingPercentEncoding ?? spaced
            }
            result[decode(parts[0])] = parts.count > 1 ? decode(parts[1]) : ""
        }
        return result
    }

    /// One line: method, target, connection, headers and the start of the body.
    public var description: String {
        "\(method) \(target) [connection \(connection)] \(headers.sorted { $0.key < $1.key }) \(body.prefix(200))"
    }
}

/// A scriptable local HTTP/1.1 server for client tests (retries, throttling, Retry-After, error parsing,
/// signing, connection resets and timeouts): a `python3 scripts/stub_server.py` child process, controlled
/// over HTTP on the same port (paths under `/__stub/`, which are never recorded).
///
/// Tests queue responses (`start(_:)`, `enqueue(_:)`); each request consumes the next one. When the queue is
/// empty the `whenQueueEmpty` policy answers: by default the last response served repeats (so `[.json(503, …)]`
/// means "always 503"), and before anything was served the answer is a 500 with header `X-Stub-Error`.
/// Every request is recorded (`requests()`), including those answered by a reset or a hang.
/// Keep-alive works: `RecordedRequest.connection` tells which requests shared a TCP connection.
public final class StubServer: Sendable {
    /// How long a new stub server may take to start before starting it counts as failed.
    static let startupBound: TimeInterval = 120  // bound: python can take many seconds to start on a loaded 2-core machine

    /// What answers a request when the queue is empty.
    public enum WhenQueueEmpty: Sendable {
        /// The last response served again (a 500 with `X-Stub-Error: no-response-queued` if none was).
        case repeatLast
        /// Always this response.
        case respond(StubResponse)
    }

    private let server: HelperServer

    /// `http://127.0.0.1:PORT`
    public var endpoint: URL { server.endpoint }
    /// The TCP port on 127.0.0.1.
    public var port: Int { server.port }
    /// The stub's output (one line per request, plus connection errors), alone in a directory of its own.
    public var logFile: URL { server.logFile }

    private init(server: HelperServer) { self.server = server }

    deinit { stop() }

    /// Starts a stub server on a free loopback port with `responses` queued, and waits until it answers.
    /// Stop it with `stop()` (or let it deinit); it also exits by itself when the test process goes away.
    public static func start(
        _ responses: [StubResponse] = [], whenQueueEmpty: WhenQueueEmpty = .repeatLast
    ) async throws -> StubServer {
        try TestTier.requireIntegration("starts a stub server (a Python process)")
        let script = try JSONSerialization.data(withJSONObject: responses.map(\.scriptEntry), options: [.sortedKeys])
        var fallback: Data?
        if case .respond(let response) = whenQueueEmpty {
            fallback = try JSONSerialization.data(withJSONObject: response.scriptEntry, options: [.sortedKeys])
        }
        let whenEmpty = fallback
        return try await runDetached { try launch(script: script, whenEmpty: whenEmpty) }
    }

    /// Appends responses to the queue.
    public func enqueue(_ responses: [StubResponse]) async throws {
        let body = try JSONSerialization.data(withJSONObject: responses.map(\.scriptEntry), options: [.sortedKeys])
        _ = try await control(method: "POST", path: "/__stub/enqueue", body: body)
    }

    /// Appends responses to the queue.
    public func enqueue(_ responses: StubResponse...) async throws {
        try await enqueue(responses)
    }

    /// Empties the queue, forgets the recorded requests and the last response served.
    public func reset() async throws {
        _ = try await control(method: "POST", path: "/__stub/reset", body: Data())
    }

    /// Every request received so far, in arrival order.
    public func requests() async throws -> [RecordedRequest] {
        let body = try await control(method: "GET", path: "/__stub/requests", body: Data())
        guard let list = try JSONSerialization.jsonObject(with: body) as? [[String: Any]] else {
            throw TestSupportError("stub server: /__stub/requests did not answer a JSON array")
        }
        return list.map { entry in
            let bodyData = (entry["body_base64"] as? String).flatMap { Data(base64Encoded: $0) } ?? Data()
            return RecordedRequest(
                method: entry["method"] as? String ?? "",
                target: entry["target"] as? String ?? "",
                headers: entry["headers"] as? [String: String] ?? [:],
                bodyData: bodyData,
                connection: entry["connection"] as? Int ?? 0)
        }
    }

    /// Waits until at least `count` requests were received (e.g. before asserting on a `.hang`), and returns
    /// them all. Throws if they do not arrive within `timeout`.
    public func waitForRequests(count: Int, timeout: Duration = .seconds(10)) async throws -> [RecordedRequest] {
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: timeout)
        while true {
            let received = try await requests()
            if received.count >= count { return received }
            if clock.now >= deadline {
                throw TestSupportError("stub server: \(received.count) request(s) after \(timeout), expected \(count): \(received)")
            }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    /// Stops the server and removes its directory. Idempotent.
    public func stop() { server.stop() }

    private func control(method: String, path: String, body: Data) async throws -> Data {
        try await server.control(method: method, path: path, body: body)
    }

    /// Starts the stub on a port of its own choosing (it prints `ready PORT` once it listens: no other server can be
    /// taken for it, as one could when a free port was picked here and bound there).
    private static func launch(script: Data, whenEmpty: Data?) throws -> StubServer {
        let directory = try makeTemporaryDirectory(prefix: "cairn-stub-")
        let scriptFile = directory.appendingPathComponent("script.json")
        try script.write(to: scriptFile)
        var arguments = [try SupportScripts.path("stub_server.py"), "--script", "@" + scriptFile.path, "--parent-pid", String(getpid())]
        if let whenEmpty {
            let whenEmptyFile = directory.appendingPathComponent("when-empty.json")
            try whenEmpty.write(to: whenEmptyFile)
            arguments += ["--when-empty", "@" + whenEmptyFile.path]
        }
        let server = try HelperServer(
            "stub_server.py", arguments: arguments,
            environment: ProcessInfo.processInfo.environment.merging(["PYTHONUNBUFFERED": "1"]) { $1 },
            logFile: directory.appendingPathComponent("stub.log"), startupBound: startupBound)
        return StubServer(server: server)
    }
}
