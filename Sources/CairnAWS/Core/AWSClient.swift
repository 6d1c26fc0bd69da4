import CairnConcurrency
import CairnSigner
import Foundation

/// Cairn's AWS client: signs, sends, retries and decodes errors for every protocol. Its transport,
/// clock, randomness and logger are passed in, so that tests are exact.
public final class AWSClient: Sendable {
    public let region: String
    public let credentials: any CredentialProvider
    public let endpoints: EndpointResolver
    public let retry: RetryPolicy
    public let timeout: Duration
    /// How requests go out (timeouts and proxies included): also for non-AWS calls such as drift webhooks.
    public let transport: any HTTPTransport
    let clock: any AWSClock
    let random: any RandomSource
    let logger: (any AWSLogger)?
    let limiter: ConcurrencyLimiter
    /// Paces the APIs AWS throttles (adaptive retry mode); shared by the client's copies in other regions.
    let rates: AdaptiveRateLimiter?

    /// - Parameters:
    ///   - timeout: per request, per attempt.
    ///   - maxConcurrency: requests in flight at once across every service.
    public init(
        region: String, credentials: any CredentialProvider, endpoints: EndpointResolver = EndpointResolver(),
        retry: RetryPolicy = .default, timeout: Duration = .seconds(60), maxConcurrency: Int = 32,
        transport: any HTTPTransport = HTTPClientTransport(), clock: any AWSClock = SystemClock(),
        random: any RandomSource = SystemRandom(), logger: (any AWSLogger)? = nil
    ) {
        self.region = region
        self.credentials = credentials
        self.endpoints = endpoints
        self.retry = retry
        self.timeout = timeout
        self.transport = transport
        self.clock = clock
        self.random = random
        self.logger = logger
        self.limiter = ConcurrencyLimiter(limit: maxConcurrency)
        self.rates = retry.mode == .adaptive ? AdaptiveRateLimiter(clock: clock) : nil
    }

    private init(copying other: AWSClient, region: String) {
        self.region = region
        credentials = other.credentials
        endpoints = other.endpoints
        retry = other.retry
        timeout = other.timeout
        transport = other.transport
        clock = other.clock
        random = other.random
        logger = other.logger
        limiter = other.limiter
        rates = other.rates
    }

    /// The same client (credentials, connections, concurrency bound) in another region.
    public func withRegion(_ region: String) -> AWSClient {
        region == self.region ? self : AWSClient(copying: self, region: region)
    }

    /// The endpoint requests to `service` go to.
    public func endpoint(for service: ServiceModel) -> ResolvedEndpoint {
        endpoints.resolve(service, region: region)
    }

    // MARK: - The request pipeline

    /// A request before signing: the path and query exactly as they go on the wire.
    struct WireRequest: Sendable {
        var method: String
        var baseURL: URL
        var path: String
        var query: String?
        var headers: [(name: String, value: String)]
        var body: Data
        var payload: PayloadHash = .body
        /// Sent without a signature: the operation is authorised by a token it carries.
        var unsigned = false
    }

    /// What a protocol extracts from an error answer.
    struct ErrorFields {
        var code: String
        var message: String
        var requestID: String?
    }

    /// Signs and sends `request`, retrying what is worth retrying, and returns a 2xx answer or throws
    /// `AWSServiceError` / `AWSRequestError`.
    func send(
        _ request: WireRequest, service: ServiceModel, operation: String, endpoint: ResolvedEndpoint,
        parseError: @Sendable (HTTPResponse) -> ErrorFields?
    ) async throws -> HTTPResponse {
        // `attempt` counts every try (for the log); `counted` those that use up `maxAttempts`: in adaptive mode
        // throttling does not, it is bounded by `throttledFor` instead.
        var attempt = 0
        var counted = 0
        var timeouts = 0
        var throttledSince: Date?
        var consecutiveThrottles = 0
        // Whether an earlier attempt may have been carried out though no answer said so.
        var uncertain = false
        // Regions have their own limits; the operation is the unit AWS throttles.
        let api = "\(region)/\(service.serviceID).\(operation)"
        let repeatable = !RetryPolicy.notRepeatedWhenUncertain.contains("\(service.serviceID).\(operation)")
        while true {
            attempt += 1
            counted += 1
            // Whether the API was paced when this request passed: one that was not, and that AWS throttled while the
            // request waited for a connection, takes a token when it gets one (below), or the requests queued before
            // the first throttle would all go unpaced.
            var unpaced = false
            if let rates {
                while true {
                    let admission = await rates.admit(api)
                    guard case .wait(let wait) = admission else {
                        unpaced = admission == .unpaced
                        break
                    }
                    try await Idle.lending { try await clock.sleep(for: wait) }
                }
            }
            var sent = clock.now()
            // AssumeRoleWithWebIdentity is authorised by its token alone and goes unsigned.
            let credentials: Credentials? =
                request.unsigned || self.credentials is AnonymousCredentialProvider ? nil : try await self.credentials.credentials()
            let signed = sign(request, credentials: credentials, service: service, endpoint: endpoint)
            let started = ContinuousClock.now
            let outcome: Result<HTTPResponse, TransportError>
            do {
                let answer = try await limiter.run {
                    [transport, timeout, rates, unpaced, clock] () async throws(TransportError) -> (HTTPResponse, Date)? in
                    if unpaced, let rates, case .wait = await rates.admit(api) { return nil }
                    // When it went, for the limiter's episodes: a connection may have been a while coming.
                    let sent = clock.now()
                    return (try await transport.send(signed, timeout: timeout), sent)
                }
                // Paced meanwhile, and no token: wait for one as any other request, without using up an attempt.
                guard let answer else {
                    attempt -= 1
                    counted -= 1
                    continue
                }
                sent = answer.1
                outcome = .success(answer.0)
            } catch let error as TransportError {
                outcome = .failure(error)
            }
            let latency = ContinuousClock.now - started
            let retryDelay: Duration?
            switch outcome {
            case .failure(let error):
                log(service, operation, status: nil, attempt: attempt, latency: latency, requestID: nil, note: "\(error)")
                if error.isTimeout { timeouts += 1 }
                if error.mayHaveReachedService { uncertain = true }
                consecutiveThrottles = 0
                guard error.isRetryable, counted < retry.maxAttempts, timeouts < retry.maxTimedOutAttempts,
                    repeatable || !error.mayHaveReachedService
                else {
                    throw AWSRequestError(
                        service: service.serviceID, operation: operation, endpoint: endpoint.url.absoluteString,
                        attempts: attempt, reason: .transport(error))
                }
                retryDelay = retry.delay(afterAttempt: counted, jitter: random.unit())
            case .success(let response):
                let requestID = Self.requestID(response)
                if (200..<300).contains(response.status) {
                    log(service, operation, status: response.status, attempt: attempt, latency: latency, requestID: requestID, note: nil)
                    await rates?.record(api, throttled: false, sent: sent)
                    return response
                }
                let fields = parseError(response)
                log(
                    service, operation, status: response.status, attempt: attempt, latency: latency,
                    requestID: fields?.requestID ?? requestID, note: fields?.code)
                let throttled = retry.isThrottling(status: response.status, code: fields?.code)
                await rates?.record(api, throttled: throttled, sent: sent)
                let retryAfter = response.headers["retry-after"].flatMap { Double($0.trimmingCharacters(in: .whitespaces)) }
                // Adaptive mode: throttling uses up no attempt, only time (AWS_MAX_ATTEMPTS=1 still means one try).
                if throttled, rates != nil, retry.maxAttempts > 1 {
                    let since = throttledSince ?? clock.now()
                    throttledSince = since
                    consecutiveThrottles += 1
                    counted -= 1
                    let throttledFor = clock.now().timeIntervalSince(since)
                    guard throttledFor < retry.throttledFor.seconds, retryAfter.map({ !($0 >= 0) || retry.honours(retryAfter: $0) }) ?? true
                    else {
                        throw Self.error(
                            for: response, fields: fields, service: service, operation: operation,
                            endpoint: endpoint, attempts: attempt, requestID: requestID, uncertain: uncertain)
                    }
                    retryDelay = retry.delay(afterAttempt: consecutiveThrottles, jitter: random.unit(), retryAfter: retryAfter)
                } else {
                    consecutiveThrottles = 0
                    // A server asking to wait longer than maxRetryAfter gets an error rather than a (shortened) wait.
                    guard retry.isRetryable(status: response.status, code: fields?.code), counted < retry.maxAttempts,
                        retryAfter.map({ !($0 >= 0) || retry.honours(retryAfter: $0) }) ?? true, repeatable || response.status < 500
                    else {
                        throw Self.error(
                            for: response, fields: fields, service: service, operation: operation,
                            endpoint: endpoint, attempts: attempt, requestID: requestID, uncertain: uncertain)
                    }
                    retryDelay = retry.delay(afterAttempt: counted, jitter: random.unit(), retryAfter: retryAfter)
                    if response.status >= 500 { uncertain = true }
                }
            }
            if let retryDelay, retryDelay > .zero { try await Idle.lending { try await clock.sleep(for: retryDelay) } }
        }
    }

    private static func error(
        for response: HTTPResponse, fields: ErrorFields?, service: ServiceModel, operation: String,
        endpoint: ResolvedEndpoint, attempts: Int, requestID: String?, uncertain: Bool
    ) -> any Error {
        if let fields {
            return AWSServiceError(
                service: service.serviceID, operation: operation, status: response.status,
                code: fields.code, message: fields.message, requestID: fields.requestID ?? requestID,
                earlierAttemptMayHaveSucceeded: uncertain, bucketRegion: response.headers["x-amz-bucket-region"])
        }
        let snippet = String(decoding: response.body.prefix(200), as: UTF8.self)
            .replacingOccurrences(of: "\n", with: " ").trimmingCharacters(in: .whitespaces)
        return AWSRequestError(
            service: service.serviceID, operation: operation, endpoint: endpoint.url.absoluteString,
            attempts: attempts,
            reason: .unexpectedResponse(
                status: response.status, contentType: response.headers["content-type"],
                snippet: snippet.isEmpty ? "(empty body)" : snippet),
            requestID: requestID)
    }

    static func requestID(_ response: HTTPResponse) -> String? {
        response.headers["x-amzn-requestid"] ?? response.headers["x-amz-request-id"] ?? response.headers["x-amzn-request-id"]
    }

    private func sign(_ request: WireRequest, credentials: Credentials?, service: ServiceModel, endpoint: ResolvedEndpoint) -> HTTPRequest {
        let base = request.baseURL
        var host = base.host ?? ""
        if let port = base.port, !((base.scheme == "https" && port == 443) || (base.scheme == "http" && port == 80)) {
            host += ":\(port)"
        }
        let basePath = base.path == "/" ? "" : base.path
        let path = basePath + request.path
        var headers = [(name: "Host", value: host)] + request.headers
        let isS3 = service.signingName == "s3"
        if let credentials {
            let signer =
                isS3
                ? SigV4Signer.s3(credentials: credentials, region: endpoint.signingRegion)
                : SigV4Signer(credentials: credentials, region: endpoint.signingRegion, service: service.signingName)
            let signingRequest = SigningRequest(
                method: request.method, path: path, query: request.query, headers: headers, body: [UInt8](request.body))
            headers = signer.signedHeaders(for: signingRequest, date: clock.now(), payload: request.payload, addContentSHA256Header: isS3)
        }
        var text = "\(base.scheme ?? "https")://\(host)\(path.isEmpty ? "/" : path)"
        if let query = request.query, !query.isEmpty { text += "?" + query }
        return HTTPRequest(method: request.method, url: URL(string: text)!, headers: headers, body: request.body)
    }

    private func log(_ service: ServiceModel, _ operation: String, status: Int?, attempt: Int, latency: Duration, requestID: String?, note: String?) {
        guard let logger else { return }
        let ms = latency.seconds * 1000
        var line =
            "cairn: aws \(service.serviceID).\(operation) status=\(status.map(String.init) ?? "-") attempt=\(attempt) latency=\(String(format: "%.0f", ms))ms request-id=\(requestID ?? "-")"
        if let note { line += " error=\(note)" }
        logger.log(line)
    }
}
