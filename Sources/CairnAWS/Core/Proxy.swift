import Foundation

/// The forward proxies the environment names, read as the AWS CLI and SDKs read them: `HTTPS_PROXY`
/// (or `https_proxy`) for https endpoints, `HTTP_PROXY` (or `http_proxy`) for http ones, and `NO_PROXY`
/// (or `no_proxy`) for the hosts reached directly.
public struct ProxySettings: Sendable, Hashable {
    /// One forward proxy: `http://[user:password@]host[:port]`.
    public struct Proxy: Sendable, Hashable, CustomStringConvertible {
        public var host: String
        public var port: Int
        public var username: String?
        public var password: String?
        /// The variable it came from (`HTTPS_PROXY`).
        public var source: String

        /// `http://host:port`, never the password.
        public var description: String { "http://\(username.map { "\($0)@" } ?? "")\(host):\(port)" }
    }

    /// For https endpoints.
    public var https: Proxy?
    /// For http endpoints (a local emulator, say).
    public var http: Proxy?
    /// `NO_PROXY`'s entries, lower-cased: `*`, host names, domain suffixes (`.example.com`), IP addresses.
    public var noProxy: [String]

    /// No proxy at all.
    public static let none = ProxySettings(https: nil, http: nil, noProxy: [])

    public init(https: Proxy?, http: Proxy?, noProxy: [String]) {
        self.https = https
        self.http = http
        self.noProxy = noProxy
    }

    /// The settings `environment` gives; a proxy URL that is not `http://host[:port]` is an error naming its variable.
    public static func resolve(environment: [String: String]) throws(AWSConfigurationError) -> ProxySettings {
        func variable(_ name: String) -> (name: String, value: String)? {
            for candidate in [name, name.lowercased()] {
                if let value = environment[candidate]?.trimmingCharacters(in: .whitespaces), !value.isEmpty { return (candidate, value) }
            }
            return nil
        }
        func proxy(_ name: String) throws(AWSConfigurationError) -> Proxy? {
            guard let (source, text) = variable(name) else { return nil }
            // Like the SDKs, a proxy given without a scheme is an http one.
            let withScheme = text.contains("://") ? text : "http://\(text)"
            guard let url = URLComponents(string: withScheme), url.scheme?.lowercased() == "http",
                let host = url.host, !host.isEmpty, url.path.isEmpty || url.path == "/", url.query == nil
            else {
                throw AWSConfigurationError(
                    "\(source) is '\(text)', which is not a proxy URL: use http://HOST:PORT (with USER:PASSWORD@ before the host if it needs them).")
            }
            return Proxy(
                host: host, port: url.port ?? 80, username: url.user?.removingPercentEncoding,
                password: url.password?.removingPercentEncoding, source: source)
        }
        let exclusions =
            variable("NO_PROXY")?.value.split(separator: ",")
            .map { $0.trimmingCharacters(in: .whitespaces).lowercased() }.filter { !$0.isEmpty } ?? []
        return ProxySettings(https: try proxy("HTTPS_PROXY"), http: try proxy("HTTP_PROXY"), noProxy: exclusions)
    }

    /// Whether any proxy is set (`NO_PROXY` alone changes nothing).
    public var isConfigured: Bool { https != nil || http != nil }

    /// The proxy a request to `url` goes through, or nil to connect directly: by its scheme, unless `NO_PROXY`
    /// names its host. Link-local addresses (EC2 instance metadata, the container credentials endpoint) are
    /// always reached directly.
    public func proxy(for url: URL) -> Proxy? {
        guard let candidate = url.scheme?.lowercased() == "https" ? https : http, let host = url.host?.lowercased() else { return nil }
        if host.hasPrefix("169.254.") || host.hasPrefix("[fe80:") || host.hasPrefix("fe80:") { return nil }
        for entry in noProxy {
            if entry == "*" { return nil }
            // An entry may carry a port (`localhost:4566`): it then matches that port only.
            var name = entry
            if let colon = entry.lastIndex(of: ":"), !entry.hasPrefix("["), let port = Int(entry[entry.index(after: colon)...]) {
                guard port == url.port ?? (url.scheme == "https" ? 443 : 80) else { continue }
                name = String(entry[..<colon])
            }
            let domain = name.hasPrefix(".") ? String(name.dropFirst()) : name
            if host == domain || host.hasSuffix(".\(domain)") { return nil }
        }
        return candidate
    }

    /// Where a request to `url` goes, for `cairn whoami`: "proxy http://proxy:3128 from HTTPS_PROXY" or "direct".
    public func summary(for url: URL) -> String {
        guard let proxy = proxy(for: url) else {
            let configured = url.scheme?.lowercased() == "https" ? https : http
            return configured == nil ? "direct" : "direct (NO_PROXY)"
        }
        return "proxy \(proxy) from \(proxy.source)"
    }
}
