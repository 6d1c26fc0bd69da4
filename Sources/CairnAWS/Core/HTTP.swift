import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// An HTTP request as the client signs and sends it.
public struct HTTPRequest: Sendable {
    public var method: String
    public var url: URL
    /// Header fields in order; names as sent.
    public var headers: [(name: String, value: String)]
    public var body: Data

    public init(method: String, url: URL, headers: [(name: String, value: String)] = [], body: Data = Data()) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
    }

    /// The value of the first header called `name` (case-insensitive).
    public func header(_ name: String) -> String? {
        headers.first { $0.name.caseInsensitiveCompare(name) == .orderedSame }?.value
    }
}

/// An HTTP response; header names are lower-cased.
public struct HTTPResponse: Sendable {
    public var status: Int
    public var headers: [String: String]
    public var body: Data

    public init(status: Int, headers: [String: String] = [:], body: Data = Data()) {
        self.status = status
        self.headers = Dictionary(headers.map { ($0.key.lowercased(), $0.value) }, uniquingKeysWith: { a, _ in a })
        self.body = body
    }
}

/// Why a request got no HTTP answer at all.
public enum TransportError: Error, Sendable, Equatable {
    /// Nothing listens there, or the name does not resolve.
    case cannotConnect(host: String, detail: String)
    /// The connection broke while the request was in flight (reset, closed early).
    case connectionLost(detail: String)
    /// No answer within the per-request timeout.
    case timedOut(seconds: Double)
    /// Any other failure below HTTP (TLS, a malformed response line).
    case other(detail: String)

    /// Failures worth another attempt: the request may never have reached the service.
    public var isRetryable: Bool {
        switch self {
        case .connectionLost, .timedOut: return true
        case .cannotConnect, .other: return false
        }
    }
}

/// Sends one HTTP request. Injected into the client so tests can answer without a network.
public protocol HTTPTransport: Sendable {
    func send(_ request: HTTPRequest, timeout: Duration) async throws(TransportError) -> HTTPResponse
}

/// A URLSessionTask that may be cancelled before or after it starts.
private final class RunningTask: @unchecked Sendable {
    private let lock = NSLock()
    private var task: URLSessionTask?
    private var cancelled = false

    func start(_ task: URLSessionTask) {
        lock.lock()
        self.task = task
        let cancelled = self.cancelled
        lock.unlock()
        task.resume()
        if cancelled { task.cancel() }
    }

    func cancel() {
        lock.lock()
        cancelled = true
        let task = self.task
        lock.unlock()
        task?.cancel()
    }
}

/// The production transport: Foundation's `URLSession` (libcurl with the system OpenSSL on Linux),
/// which keeps connections alive and reuses them across requests to the same host.
public final class URLSessionTransport: HTTPTransport {
    private let session: URLSession

    /// - Parameter maxConnectionsPerHost: keep-alive pool size per host; matches the client's concurrency bound.
    public init(maxConnectionsPerHost: Int = 32) {
        let configuration = URLSessionConfiguration.ephemeral
        configuration.httpMaximumConnectionsPerHost = maxConnectionsPerHost
        configuration.requestCachePolicy = .reloadIgnoringLocalCacheData
        configuration.urlCache = nil
        configuration.httpCookieStorage = nil
        configuration.httpShouldSetCookies = false
        // Proxies come from the environment, as with every AWS tool.
        session = URLSession(configuration: configuration)
    }

    deinit { session.finishTasksAndInvalidate() }

    public func send(_ request: HTTPRequest, timeout: Duration) async throws(TransportError) -> HTTPResponse {
        var urlRequest = URLRequest(url: request.url)
        urlRequest.httpMethod = request.method
        urlRequest.timeoutInterval = Double(timeout.components.seconds) + Double(timeout.components.attoseconds) / 1e18
        #if !canImport(Darwin)
        // swift-corelibs-foundation arms its timer with Int(timeoutInterval) seconds: anything under a second
        // would time out at once, and 1.5 s would be 1 s. Whole seconds, rounded up, behave as asked.
        urlRequest.timeoutInterval = max(1, urlRequest.timeoutInterval.rounded(.up))
        #endif
        for header in request.headers { urlRequest.addValue(header.value, forHTTPHeaderField: header.name) }
        if !request.body.isEmpty || ["PUT", "POST"].contains(request.method) { urlRequest.httpBody = request.body }
        let prepared = urlRequest
        let running = RunningTask()
        let outcome: Result<(Data, URLResponse), any Error> = await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let task = session.dataTask(with: prepared) { data, response, error in
                    if let error {
                        continuation.resume(returning: .failure(error))
                    } else if let response {
                        continuation.resume(returning: .success((data ?? Data(), response)))
                    } else {
                        continuation.resume(returning: .failure(TransportError.other(detail: "no response")))
                    }
                }
                running.start(task)
            }
        } onCancel: {
            // swift-corelibs-foundation's own async `data(for:)` cancels the URLSessionTask right here, under the
            // Swift task's status lock, and can deadlock with a completion that is resuming at the same moment
            // (seen as a hung `cairn drift` when a failed read cancelled its siblings). Cancel from elsewhere.
            DispatchQueue.global().async { running.cancel() }
        }
        do {
            let (data, response) = try outcome.get()
            guard let http = response as? HTTPURLResponse else { throw TransportError.other(detail: "not an HTTP response") }
            var headers: [String: String] = [:]
            for (key, value) in http.allHeaderFields {
                if let key = key as? String, let value = value as? String { headers[key.lowercased()] = value }
            }
            return HTTPResponse(status: http.statusCode, headers: headers, body: data)
        } catch let error as TransportError {
            throw error
        } catch let error as URLError {
            throw Self.classify(error, url: request.url, timeout: prepared.timeoutInterval)
        } catch {
            throw .other(detail: "\(error)")
        }
    }

    static func classify(_ error: URLError, url: URL, timeout: Double) -> TransportError {
        let detail = (error as NSError).userInfo[NSLocalizedDescriptionKey] as? String ?? "\(error.code)"
        switch error.code {
        case .cannotConnectToHost, .cannotFindHost, .dnsLookupFailed, .notConnectedToInternet:
            return .cannotConnect(host: url.host.map { h in url.port.map { "\(h):\($0)" } ?? h } ?? url.absoluteString, detail: detail)
        case .timedOut:
            return .timedOut(seconds: timeout)
        case .networkConnectionLost, .badServerResponse, .cannotParseResponse, .zeroByteResource:
            return .connectionLost(detail: detail)
        default:
            // libcurl reports a reset as a generic failure whose text names it.
            if detail.localizedCaseInsensitiveContains("reset") || detail.localizedCaseInsensitiveContains("recv failure")
                || detail.localizedCaseInsensitiveContains("empty reply") {
                return .connectionLost(detail: detail)
            }
            return .other(detail: detail)
        }
    }
}
