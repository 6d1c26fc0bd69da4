import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL

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
    /// No connection (TCP and TLS) within the connect timeout.
    case connectTimedOut(host: String, seconds: Double)
    /// The connection broke while the request was in flight (reset, closed early).
    case connectionLost(detail: String)
    /// No answer within the per-request timeout.
    case timedOut(seconds: Double)
    /// Any other failure below HTTP (TLS, a malformed response line).
    case other(detail: String)

    /// Failures worth another attempt: the request may never have reached the service.
    public var isRetryable: Bool {
        switch self {
        case .connectionLost, .timedOut, .connectTimedOut: return true
        case .cannotConnect, .other: return false
        }
    }

    /// Whether the request may have reached the service before the failure, so that it may have been carried out.
    public var mayHaveReachedService: Bool {
        switch self {
        case .connectionLost, .timedOut: return true
        case .cannotConnect, .connectTimedOut, .other: return false
        }
    }

    /// Whether the attempt waited out a timeout (the retry policy bounds how many a call may spend).
    public var isTimeout: Bool {
        switch self {
        case .timedOut, .connectTimedOut: return true
        case .cannotConnect, .connectionLost, .other: return false
        }
    }
}

/// Sends one HTTP request. Injected into the client so tests can answer without a network.
public protocol HTTPTransport: Sendable {
    func send(_ request: HTTPRequest, timeout: Duration) async throws(TransportError) -> HTTPResponse
}

/// How the process's HTTP client connects. Every connection-level setting lives here, so that one value
/// decides which shared client (and connection pools) a transport uses.
public struct HTTPClientSettings: Sendable, Hashable {
    /// The longest wait for a connection (TCP, then TLS) to open.
    public var connectTimeout: Duration
    /// Keep-alive connections per endpoint; matches the client's default concurrency bound.
    public var connectionsPerEndpoint: Int
    /// The forward proxy this client's connections go through (CONNECT for https), or nil for direct ones.
    public var proxy: ProxySettings.Proxy?
    /// A PEM file of certificates trusted besides the system's (`AWS_CA_BUNDLE` / `ca_bundle`), checked by `CABundle.resolve`.
    public var caBundle: String?

    /// The defaults are the AWS CLI's connect timeout and the client's default concurrency bound.
    public init(
        connectTimeout: Duration = .seconds(60), connectionsPerEndpoint: Int = 32, proxy: ProxySettings.Proxy? = nil, caBundle: String? = nil
    ) {
        self.connectTimeout = connectTimeout
        self.connectionsPerEndpoint = connectionsPerEndpoint
        self.proxy = proxy
        self.caBundle = caBundle
    }

    /// The async-http-client configuration these settings make.
    var clientConfiguration: HTTPClient.Configuration {
        var configuration = HTTPClient.Configuration(
            redirectConfiguration: .disallow,  // a signed request must not be replayed elsewhere; 3xx answers are AWS errors
            timeout: .init(connect: .nanoseconds(Int64(connectTimeout.seconds * 1e9))))
        configuration.httpVersion = .http1Only  // as the AWS CLI and SDKs speak to AWS's APIs
        configuration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = connectionsPerEndpoint
        // A refused connection fails the attempt at once: Cairn's retry policy decides what happens next.
        configuration.connectionPool.retryConnectionEstablishment = false
        if let proxy {
            let authorization = proxy.username.map { HTTPClient.Authorization.basic(username: $0, password: proxy.password ?? "") }
            configuration.proxy = .server(host: proxy.host, port: proxy.port, authorization: authorization)
        }
        if let caBundle {
            // A TLS-inspecting proxy's or a private endpoint's CA: trusted for every connection, credential calls included.
            var tls = TLSConfiguration.makeClientConfiguration()
            tls.additionalTrustRoots = [.file(caBundle)]
            configuration.tlsConfiguration = tls
        }
        return configuration
    }
}

/// The production transport: swift-server's async-http-client on SwiftNIO, which waits for sockets in
/// epoll rather than polling, keeps connections alive per endpoint, and cancels a request with its task.
public struct HTTPClientTransport: HTTPTransport {
    /// What its (shared) clients are made with; `proxy` is set per request from `proxies`.
    public let settings: HTTPClientSettings
    /// Which requests go through a forward proxy.
    public let proxies: ProxySettings

    /// A transport on the process's clients for `settings`: cheap, so make one wherever needed.
    public init(settings: HTTPClientSettings = HTTPClientSettings(), proxies: ProxySettings = .none) {
        self.settings = settings
        self.proxies = proxies
    }

    /// The shared client for requests to `url`: the direct one, or the one through its proxy.
    private func client(for url: URL) -> HTTPClient {
        var settings = self.settings
        settings.proxy = proxies.proxy(for: url)
        return SharedHTTPClients.client(for: settings)
    }

    /// The largest answer read into memory. AWS's API answers are small (a page of a listing).
    static let maxResponseBytes = 64 << 20

    /// Sends `request`; `timeout` bounds the whole attempt, waiting for a connection included.
    public func send(_ request: HTTPRequest, timeout: Duration) async throws(TransportError) -> HTTPResponse {
        var outgoing = HTTPClientRequest(url: request.url.absoluteString)
        outgoing.method = HTTPMethod(rawValue: request.method)
        for header in request.headers { outgoing.headers.add(name: header.name, value: header.value) }
        if !request.body.isEmpty || ["PUT", "POST"].contains(request.method) { outgoing.body = .bytes(request.body) }
        do {
            let response = try await client(for: request.url).execute(outgoing, timeout: .nanoseconds(Int64(timeout.seconds * 1e9)))
            let body = try await response.body.collect(upTo: Self.maxResponseBytes)
            var headers: [String: String] = [:]
            for (name, value) in response.headers {
                let key = name.lowercased()
                headers[key] = headers[key].map { "\($0), \(value)" } ?? value
            }
            return HTTPResponse(status: Int(response.status.code), headers: headers, body: Data(body.readableBytesView))
        } catch {
            throw Self.classify(error, url: request.url, timeout: timeout, connectTimeout: settings.connectTimeout)
        }
    }

    /// Sorts async-http-client's and SwiftNIO's errors into the reasons the retry policy and messages know.
    static func classify(_ error: any Error, url: URL, timeout: Duration, connectTimeout: Duration) -> TransportError {
        let host = url.host.map { h in url.port.map { "\(h):\($0)" } ?? h } ?? url.absoluteString
        switch error {
        case let error as HTTPClientError:
            switch error {
            case .deadlineExceeded, .readTimeout:
                return .timedOut(seconds: timeout.seconds)
            case .connectTimeout, .tlsHandshakeTimeout, .getConnectionFromPoolTimeout:
                return .connectTimedOut(host: host, seconds: connectTimeout.seconds)
            case .remoteConnectionClosed:
                return .connectionLost(detail: "the server closed the connection without an answer")
            default:
                return .other(detail: "\(error)")
            }
        case let error as NIOConnectionError:
            if let dns = error.dnsAError ?? error.dnsAAAAError { return .cannotConnect(host: host, detail: "cannot resolve the name (\(dns))") }
            guard let failure = error.connectionErrors.last?.error else { return .cannotConnect(host: host, detail: "\(error)") }
            return classify(failure, url: url, timeout: timeout, connectTimeout: connectTimeout)
        case let error as IOError:
            let detail = String(cString: strerror(error.errnoCode))
            switch error.errnoCode {
            case ECONNREFUSED, EHOSTUNREACH, ENETUNREACH, EADDRNOTAVAIL: return .cannotConnect(host: host, detail: detail)
            case ETIMEDOUT: return .connectTimedOut(host: host, seconds: connectTimeout.seconds)
            case ECONNRESET, EPIPE, ECONNABORTED: return .connectionLost(detail: detail)
            default: return .other(detail: detail)
            }
        case HTTPParserError.invalidEOFState:
            return .connectionLost(detail: "the answer was cut short")
        // A kept-alive connection the server (or a proxy) closed just as a request was put on it.
        case ChannelError.ioOnClosedChannel, ChannelError.alreadyClosed, ChannelError.outputClosed, ChannelError.eof:
            return .connectionLost(detail: "the connection was closed under the request (\(error))")
        case is NIOTooManyBytesError:
            return .other(detail: "an answer larger than \(maxResponseBytes >> 20) MiB")
        default:
            return .other(detail: "\(error)")
        }
    }
}

/// The process's HTTP clients, one per distinct settings (in practice one): created on first use and kept
/// for the life of the process, like `HTTPClient.shared`. They are never released, so never need shutting
/// down (async-http-client traps when a client is released unshut); idle, they wait in epoll and cost nothing.
private enum SharedHTTPClients {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var clients: [HTTPClientSettings: HTTPClient] = [:]

    static func client(for settings: HTTPClientSettings) -> HTTPClient {
        lock.lock()
        defer { lock.unlock() }
        if let client = clients[settings] { return client }
        let client = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: settings.clientConfiguration)
        clients[settings] = client
        return client
    }
}

extension Duration {
    /// The duration in seconds, as a `Double` (for Foundation's dates and intervals).
    public var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
