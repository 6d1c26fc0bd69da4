import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A fault-injecting proxy between a process under test and moto (`python3 scripts/fault_proxy.py`, under
/// `scripts/watchdog.py`): it names each request's operation from botocore's models (`iam:CreateRole`,
/// `s3:ListObjectVersions`) and, as the test's rules say, answers AWS errors in the service's own wire format
/// (before or after forwarding the request to moto), resets connections, delays answers, serves every paginated
/// list K items a page, throttles above a token bucket's rate, and counts what it did per operation.
///
/// Point the client at `endpoint` (`environment(of:)`, or `--endpoint-url` for the aws CLI). Requests reach moto
/// unchanged, except the list calls pagination rewrites, which are signed again with moto's admin key.
/// Rules can be added, removed and reset while the client runs; the JSON they become is documented in
/// fault_proxy.py.
public final class FaultProxy: Sendable {
    /// One rule: what to do to which requests. Build it with the static functions, refine it with the modifiers.
    public struct Rule: Sendable, Equatable {
        /// The rule as fault_proxy.py reads it.
        public var fields: [String: JSONValue]

        /// A rule from its JSON fields (see fault_proxy.py), for what the builders below do not cover.
        public init(_ fields: [String: JSONValue]) { self.fields = fields }

        // MARK: Terminal actions

        /// Answers `code` (HTTP `status`, by default the code's usual one) in the service's wire format.
        /// With `forward`, moto carries the request out first: AWS did it, the client does not learn it.
        public static func error(_ match: String, code: String, status: Int? = nil, message: String? = nil, forward: Bool = false) -> Rule {
            var fields: [String: JSONValue] = ["action": "error", "match": .string(match), "code": .string(code), "forward": .bool(forward)]
            fields["status"] = status.map { .number(Double($0)) }
            fields["message"] = message.map { .string($0) }
            return Rule(fields)
        }

        /// The service's throttling error (ThrottlingException, Throttling, SlowDown 503, RequestLimitExceeded 503…).
        public static func throttle(_ match: String, forward: Bool = false) -> Rule {
            Rule(["action": "throttle", "match": .string(match), "forward": .bool(forward)])
        }

        /// A 500 (InternalError on S3, InternalFailure elsewhere).
        public static func internalError(_ match: String, forward: Bool = false) -> Rule {
            Rule(["action": "error", "match": .string(match), "status": 500, "forward": .bool(forward)])
        }

        /// A 503 ServiceUnavailable.
        public static func serviceUnavailable(_ match: String, forward: Bool = false) -> Rule {
            Rule(["action": "error", "match": .string(match), "status": 503, "forward": .bool(forward)])
        }

        /// A new IAM role another service cannot assume yet (IAM's eventual consistency): CodeBuild's
        /// `InvalidInputException`, or `code` (ECS: InvalidParameterException, CodePipeline: InvalidStructureException).
        public static func roleNotAssumable(_ match: String, role: String, code: String = "InvalidInputException") -> Rule {
            error(match, code: code, status: 400, message: "Service is not authorized to perform: sts:AssumeRole on resource: \(role)")
        }

        /// IAM's `NoSuchEntity` (404) for something just written: a read that does not see the write yet.
        public static func noSuchEntity(_ match: String, message: String = "The entity cannot be found (not yet visible).") -> Rule {
            error(match, code: "NoSuchEntity", status: 404, message: message)
        }

        /// Resets the connection: `.body` after the status line, the headers and half of moto's answer (the request
        /// took effect), `.start` before any byte of an answer (and, unless `forward`, without forwarding). An empty
        /// answer (S3's CreateBucket) is whole before half its body: only `.start` with `forward` loses it.
        public static func reset(_ match: String, at point: ResetPoint = .body, forward: Bool? = nil) -> Rule {
            var fields: [String: JSONValue] = ["action": "reset", "match": .string(match), "at": .string(point.rawValue)]
            if let forward { fields["forward"] = .bool(forward) }
            return Rule(fields)
        }

        /// Lets matching requests through untouched: exempts them from the rules added after it.
        public static func pass(_ match: String) -> Rule {
            Rule(["action": "pass", "match": .string(match)])
        }

        /// With `probability`, one of `faults`, both drawn deterministically from `seed` (the same seed gives the
        /// n-th call of each operation the same fate).
        public static func random(_ match: String = "*", probability: Double, seed: Int, faults: [Fault]) -> Rule {
            Rule([
                "action": "error", "match": .string(match), "probability": .number(probability), "seed": .number(Double(seed)),
                "choices": .array(faults.map(\.json)),
            ])
        }

        // MARK: Non-terminal actions

        /// Waits `milliseconds` before answering (`.response`, after moto answered) or before forwarding (`.request`).
        public static func delay(_ match: String, milliseconds: Int, phase: DelayPhase = .response) -> Rule {
            Rule(["action": "delay", "match": .string(match), "delay_ms": .number(Double(milliseconds)), "phase": .string(phase.rawValue)])
        }

        /// Every paginated operation matching `match` answers at most `pageSize` items a page, with a token for the rest.
        public static func paginate(_ match: String = "*", pageSize: Int) -> Rule {
            Rule(["action": "paginate", "match": .string(match), "page_size": .number(Double(pageSize))])
        }

        /// A token bucket of `burst` tokens refilled at `rate` per second (0: never; count with it in tests), one per
        /// operation, per service or for the whole rule; a request finding it empty gets the service's throttling error.
        public static func rateLimit(_ match: String, rate: Double, burst: Int, per scope: BucketScope = .operation) -> Rule {
            Rule([
                "action": "rate_limit", "match": .string(match), "rate": .number(rate), "burst": .number(Double(burst)),
                "per": .string(scope.rawValue),
            ])
        }

        // MARK: Modifiers

        /// Also matches these patterns (`service:Operation`, fnmatch: `iam:*`, `*:List*`).
        public func matching(_ patterns: String...) -> Rule {
            var copy = self
            var all: [JSONValue] = fields["match"].map { $0.array ?? [$0] } ?? []
            all += patterns.map { .string($0) }
            copy.fields["match"] = .array(all)
            return copy
        }

        /// Acts on at most `count` matching requests.
        public func count(_ count: Int) -> Rule { setting("count", .number(Double(count))) }

        /// Lets the first `count` matching requests through first.
        public func skip(_ count: Int) -> Rule { setting("skip", .number(Double(count))) }

        /// Acts on a matching request with `probability`, drawn deterministically from `seed`.
        public func probability(_ probability: Double, seed: Int) -> Rule {
            setting("probability", .number(probability)).setting("seed", .number(Double(seed)))
        }

        /// Only requests whose body (read as Latin-1) matches this regular expression, e.g. `RoleName=app(&|$)`.
        public func body(_ pattern: String) -> Rule { setting("body", .string(pattern)) }

        /// Only requests whose path and query (as sent) match this regular expression.
        public func target(_ pattern: String) -> Rule { setting("target", .string(pattern)) }

        /// Overrides the error's code, status or message (throttle, rate limit, 500, 503).
        public func answering(code: String? = nil, status: Int? = nil, message: String? = nil) -> Rule {
            var copy = self
            if let code { copy.fields["code"] = .string(code) }
            if let status { copy.fields["status"] = .number(Double(status)) }
            if let message { copy.fields["message"] = .string(message) }
            return copy
        }

        private func setting(_ key: String, _ value: JSONValue) -> Rule {
            var copy = self
            copy.fields[key] = value
            return copy
        }
    }

    /// A fault of `Rule.random`.
    public enum Fault: Sendable, Equatable {
        case throttle, internalError, serviceUnavailable, reset, resetAtStart
        case error(code: String, status: Int)

        var json: JSONValue {
            switch self {
            case .throttle: return "throttle"
            case .internalError: return "500"
            case .serviceUnavailable: return "503"
            case .reset: return "reset"
            case .resetAtStart: return "reset-start"
            case .error(let code, let status): return ["action": "error", "code": .string(code), "status": .number(Double(status))]
            }
        }
    }

    /// Where `Rule.reset` cuts the connection.
    public enum ResetPoint: String, Sendable { case body, start }
    /// When `Rule.delay` waits.
    public enum DelayPhase: String, Sendable { case request, response }
    /// What one token bucket of `Rule.rateLimit` serves.
    public enum BucketScope: String, Sendable { case operation, service, rule }

    /// An added rule, for `remove(_:)`.
    public struct RuleID: Sendable, Hashable {
        public let value: Int
    }

    /// What the proxy did for one operation (`iam:ListRoles`), or for all of them (`Stats.totals`).
    public struct OperationStats: Sendable, Equatable, Decodable {
        /// Requests received.
        public var requests = 0
        /// Requests sent to moto (pagination's extra fetches included).
        public var forwarded = 0
        /// 2xx answers delivered.
        public var ok = 0
        /// Errors answered by rules (throttle, error, random).
        public var injected = 0
        /// Answers refused by a token bucket.
        public var throttled = 0
        /// Connections reset.
        public var resets = 0
        /// Requests delayed.
        public var delayed = 0
        /// moto unreachable (answered 502).
        public var upstreamFailures = 0
        /// Answers the proxy sliced into a page.
        public var pages = 0
        /// Pages served with a next-page token.
        public var truncated = 0
        /// Requests that presented a token the proxy issued.
        public var continued = 0
        /// Tokens issued.
        public var tokensIssued = 0
        /// Tokens presented back.
        public var tokensFollowed = 0
        /// Tokens issued and never presented back: a caller that read only part of a list.
        public var unfollowed = 0
        /// Answers a paginate rule could not slice (a body that did not parse, a token of another type).
        public var unpaginated = 0
        /// The longest whole list sliced.
        public var maxItems = 0
        /// Injected errors by code.
        public var errors: [String: Int] = [:]
        /// Answers delivered by HTTP status ("0" for a reset before any byte).
        public var status: [String: Int] = [:]

        public init() {}
    }

    /// The proxy's counters.
    public struct Stats: Sendable, Equatable, Decodable {
        /// Per `service:Operation`.
        public var operations: [String: OperationStats]
        /// Summed over operations (`maxItems`: the largest).
        public var totals: OperationStats

        /// The counters of `operation` (zero if it never came).
        public subscript(operation: String) -> OperationStats { operations[operation] ?? OperationStats() }
    }

    /// One request as the proxy's log recorded it.
    public struct LogEntry: Sendable, Equatable, Decodable {
        public let op: String
        public let method: String
        public let target: String
        /// The status delivered (0: reset before any byte).
        public let status: Int
        /// `forwarded`, `injected CODE`, `throttled CODE`, `reset mid-body`, …
        public let outcome: String
    }

    private let server: HelperServer

    /// The TCP port on 127.0.0.1.
    public var port: Int { server.port }
    /// The proxy's output (and the watchdog's), alone in a directory of its own.
    public var logFile: URL { server.logFile }
    /// `http://127.0.0.1:PORT`
    public var endpoint: URL { server.endpoint }

    private init(server: HelperServer) { self.server = server }

    deinit { stop() }

    /// Starts a proxy in front of `moto`, signing the requests pagination rewrites with moto's admin key.
    public static func start(upstream moto: MotoServer) async throws -> FaultProxy {
        try await start(upstream: moto.endpoint, signingKey: (moto.accessKeyID, moto.secretAccessKey))
    }

    /// Starts a proxy in front of `upstream`; without `signingKey` pagination cannot rewrite signed requests.
    public static func start(upstream: URL, signingKey: (accessKeyID: String, secretAccessKey: String)?) async throws -> FaultProxy {
        try TestTier.requireIntegration("starts the fault proxy (a Python process)")
        return try await runDetached {
            let directory = try makeTemporaryDirectory(prefix: "cairn-fault-proxy-")
            let logFile = directory.appendingPathComponent("proxy.log")
            var environment = ProcessInfo.processInfo.environment.merging(["PYTHONUNBUFFERED": "1"]) { $1 }
            environment["FAULT_PROXY_ACCESS_KEY_ID"] = signingKey?.accessKeyID
            environment["FAULT_PROXY_SECRET_ACCESS_KEY"] = signingKey?.secretAccessKey
            var arguments = [try SupportScripts.path("watchdog.py"), "--parent-pid", String(getpid())]
            if !keepTestLogs { arguments += ["--cleanup", directory.path] }
            arguments += [
                "--", try SupportScripts.python(), try SupportScripts.path("fault_proxy.py"),
                "--upstream", "\(upstream.host ?? "127.0.0.1"):\(upstream.port ?? 80)",
            ]
            return FaultProxy(server: try HelperServer("fault_proxy.py", arguments: arguments, environment: environment, logFile: logFile))
        }
    }

    /// `moto.environment(region:extra:)` with `AWS_ENDPOINT_URL` pointing at the proxy: for Cairn, boto3 and the aws
    /// CLI (which also needs `--endpoint-url`, as `MotoServer.aws` passes it).
    public func environment(of moto: MotoServer, region: String? = nil, extra: [String: String] = [:]) -> [String: String] {
        moto.environment(region: region, extra: ["AWS_ENDPOINT_URL": endpoint.absoluteString].merging(extra) { $1 })
    }

    /// Runs the aws CLI through the proxy, with one attempt per call (`AWS_MAX_ATTEMPTS=1`) so that what the rules do
    /// shows as it is. A non-zero exit status is returned, not thrown.
    public func aws(
        _ arguments: [String], moto: MotoServer, region: String? = nil, extraEnvironment: [String: String] = [:]
    ) async throws
        -> ProcessResult
    {
        try await moto.aws(
            ["--endpoint-url", endpoint.absoluteString] + arguments, region: region,
            extraEnvironment: ["AWS_MAX_ATTEMPTS": "1", "AWS_RETRY_MODE": "standard"].merging(extraEnvironment) { $1 })
    }

    /// Adds a rule after the others.
    @discardableResult
    public func add(_ rule: Rule) async throws -> RuleID {
        try await add([rule])[0]
    }

    /// Adds rules after the others, in order.
    @discardableResult
    public func add(_ rules: [Rule]) async throws -> [RuleID] {
        let body = try JSONSerialization.data(
            withJSONObject: ["rules": rules.map { JSONValue.object($0.fields).foundationObject }], options: [.sortedKeys])
        let answer = try await control(method: "POST", path: "/__fault/rules", body: body)
        guard let ids = try JSONValue(parsing: answer)["ids"].array?.compactMap(\.int), ids.count == rules.count else {
            throw TestSupportError("fault_proxy: /__fault/rules did not answer the rules' ids")
        }
        return ids.map(RuleID.init)
    }

    /// Removes one rule (its token buckets and counters with it).
    public func remove(_ rule: RuleID) async throws {
        _ = try await control(method: "DELETE", path: "/__fault/rules/\(rule.value)", body: Data())
    }

    /// Removes every rule, token bucket, issued page token, counter and log entry.
    public func reset() async throws {
        _ = try await control(method: "POST", path: "/__fault/reset", body: Data())
    }

    /// Zeroes the counters and the log; the rules stay as they are.
    public func resetStats() async throws {
        _ = try await control(method: "POST", path: "/__fault/stats/reset", body: Data())
    }

    /// The counters, per operation and in total.
    public func stats() async throws -> Stats {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return try decoder.decode(Stats.self, from: try await control(method: "GET", path: "/__fault/stats", body: Data()))
    }

    /// The last `limit` requests (at most 5000 are kept).
    public func log(limit: Int = 200) async throws -> [LogEntry] {
        try JSONDecoder().decode([LogEntry].self, from: try await control(method: "GET", path: "/__fault/log?limit=\(limit)", body: Data()))
    }

    /// The end of the proxy's output (diagnostics for failing tests).
    public func logTail(maxBytes: Int = 8_000) -> String {
        tailOfFile(logFile.path, maxBytes: maxBytes)
    }

    /// Stops the proxy and removes its directory. Idempotent.
    public func stop() { server.stop() }

    private func control(method: String, path: String, body: Data) async throws -> Data {
        try await server.control(method: method, path: path, body: body)
    }
}

extension FaultProxy.Stats {
    /// The operations whose lists the proxy cut into pages and that left a token unfollowed: callers that read the
    /// first page(s) only.
    public var unfollowedOperations: [String] {
        operations.filter { $0.value.unfollowed > 0 }.map(\.key).sorted()
    }
}
