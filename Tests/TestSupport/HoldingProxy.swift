import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A loopback proxy between a process under test and moto (`python3 scripts/hold_proxy.py`) that can hold
/// chosen answers back: the matching call has taken effect in moto, but the client has not seen its answer
/// until the test calls `release(_:)`. Meanwhile the test can interrupt or kill the client at a known point
/// of its work, from outside, as a user or a crash would.
///
/// Point the client at `endpoint` (AWS_ENDPOINT_URL); requests reach moto with their bytes unchanged, so
/// signatures stay valid. Each `hold(_:)` catches the first request that matches it after it was armed.
public final class HoldingProxy: Sendable {
    /// Which request to hold: every given field must match (regular expressions, `re.search`).
    public struct Match: Sendable {
        /// The HTTP method, e.g. "PUT".
        public var method: String?
        /// A regular expression for the request target (path and query, still percent-encoded).
        public var target: String?
        /// A header name, and a regular expression its value must match.
        public var header: (name: String, value: String)?
        /// A regular expression for the body (read as Latin-1).
        public var body: String?

        public init(method: String? = nil, target: String? = nil, header: (name: String, value: String)? = nil, body: String? = nil) {
            self.method = method
            self.target = target
            self.header = header
            self.body = body
        }

        /// S3 CreateBucket of `bucket` (path-style, as with a custom endpoint).
        public static func s3CreateBucket(_ bucket: String) -> Match {
            Match(method: "PUT", target: "^/\(NSRegularExpression.escapedPattern(for: bucket))/?$")
        }

        /// A call of the JSON protocols, by its `X-Amz-Target` (e.g. "AmazonEC2ContainerRegistry_V20150921.CreateRepository").
        public static func jsonTarget(_ target: String) -> Match {
            Match(method: "POST", header: ("X-Amz-Target", "^\(NSRegularExpression.escapedPattern(for: target))$"))
        }

        /// A call of the query protocol (IAM, STS, EC2), by its `Action` and optionally another form parameter
        /// (e.g. `RoleName`), both as sent (form-encoded).
        public static func queryAction(_ action: String, _ parameter: (name: String, value: String)? = nil) -> Match {
            var pattern = "(^|&)Action=\(NSRegularExpression.escapedPattern(for: action))(&|$)"
            if let (name, value) = parameter {
                pattern = "(?=.*\(pattern))(?=.*(^|&)\(name)=\(NSRegularExpression.escapedPattern(for: value))(&|$))"
            }
            return Match(method: "POST", body: pattern)
        }

        var json: [String: String] {
            var result: [String: String] = [:]
            result["method"] = method
            result["target"] = target
            result["header"] = header?.name
            result["header_value"] = header?.value
            result["body"] = body
            return result
        }
    }

    /// One armed hold rule.
    public struct Hold: Sendable, Hashable {
        let rule: Int
    }

    /// A request the proxy forwarded, and the status the upstream answered.
    public struct Forwarded: Sendable, Equatable {
        public let method: String
        public let target: String
        public let status: Int
    }

    private let server: HelperServer

    /// The TCP port on 127.0.0.1.
    public var port: Int { server.port }
    /// The proxy's output (one line per request, and each hold), alone in a directory of its own.
    public var logFile: URL { server.logFile }
    /// `http://127.0.0.1:PORT`
    public var endpoint: URL { server.endpoint }

    private init(server: HelperServer) { self.server = server }

    deinit { stop() }

    /// Starts a proxy to `upstream` (e.g. a `MotoServer`'s endpoint) on a loopback port of its choosing.
    public static func start(upstream: URL) async throws -> HoldingProxy {
        try TestTier.requireIntegration("starts the holding proxy (a Python process)")
        return try await runDetached {
            let directory = try makeTemporaryDirectory(prefix: "cairn-proxy-")
            let logFile = directory.appendingPathComponent("proxy.log")
            let server = try HelperServer(
                "hold_proxy.py",
                arguments: [
                    try SupportScripts.path("hold_proxy.py"), "--upstream", "\(upstream.host ?? "127.0.0.1"):\(upstream.port ?? 80)",
                    "--parent-pid", String(getpid()),
                ],
                environment: ProcessInfo.processInfo.environment.merging(["PYTHONUNBUFFERED": "1"]) { $1 }, logFile: logFile)
            return HoldingProxy(server: server)
        }
    }

    /// Arms a rule: the first request matching `match` from now on has its answer held.
    public func hold(_ match: Match) async throws -> Hold {
        let body = try JSONSerialization.data(withJSONObject: match.json, options: [.sortedKeys])
        let answer = try await control(method: "POST", path: "/__proxy/hold", body: body)
        guard let object = try JSONSerialization.jsonObject(with: answer) as? [String: Any], let rule = object["rule"] as? Int else {
            throw TestSupportError("hold_proxy: /__proxy/hold did not answer a rule number")
        }
        return Hold(rule: rule)
    }

    /// Waits until `hold` holds an answer, and returns the held request ("PUT /bucket").
    /// Throws if none comes within `timeout` (which only bounds a hang).
    @discardableResult
    public func waitUntilHeld(_ hold: Hold, timeout: Duration = .seconds(600)) async throws -> String {
        let deadline = ContinuousClock.now.advanced(by: timeout)
        while ContinuousClock.now < deadline {
            let answer = try await control(method: "GET", path: "/__proxy/held?rule=\(hold.rule)&wait=5", body: Data())
            if let object = try? JSONSerialization.jsonObject(with: answer) as? [String: Any] {
                return "\(object["method"] as? String ?? "") \(object["target"] as? String ?? "")"
            }
        }
        throw TestSupportError("hold_proxy: nothing matched rule \(hold.rule) within \(timeout):\n\(tailOfFile(logFile.path, maxBytes: 4_000))")
    }

    /// Lets the held answer of `hold` go to the client (or the next match through, if none is held yet).
    public func release(_ hold: Hold) async throws {
        _ = try await control(method: "POST", path: "/__proxy/release?rule=\(hold.rule)", body: Data())
    }

    /// Every request forwarded so far, in order.
    public func requests() async throws -> [Forwarded] {
        let answer = try await control(method: "GET", path: "/__proxy/requests", body: Data())
        guard let list = try JSONSerialization.jsonObject(with: answer) as? [[String: Any]] else {
            throw TestSupportError("hold_proxy: /__proxy/requests did not answer a JSON array")
        }
        return list.map { Forwarded(method: $0["method"] as? String ?? "", target: $0["target"] as? String ?? "", status: $0["status"] as? Int ?? 0) }
    }

    /// Stops the proxy and removes its directory. Idempotent.
    public func stop() { server.stop() }

    private func control(method: String, path: String, body: Data) async throws -> Data {
        try await server.control(method: method, path: path, body: body)
    }
}
