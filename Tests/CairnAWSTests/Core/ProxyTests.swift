import Foundation
import Testing

@testable import CairnAWS

@Suite struct ProxySettingsTests {
    let https = URL(string: "https://ecr.eu-north-1.amazonaws.com/")!
    let http = URL(string: "http://127.0.0.1:5000/")!

    @Test func theEnvironmentNamesAProxyPerScheme() throws {
        let settings = try ProxySettings.resolve(environment: ["https_proxy": "proxy.corp:3128", "HTTP_PROXY": "http://alice:s%40cret@local:8080"])
        #expect(settings.proxy(for: https) == .init(host: "proxy.corp", port: 3128, username: nil, password: nil, source: "https_proxy"))
        #expect(settings.proxy(for: http)?.username == "alice")
        #expect(settings.proxy(for: http)?.password == "s@cret")
        #expect(settings.proxy(for: http)?.description == "http://alice@local:8080", "never the password")
        #expect(settings.summary(for: https) == "proxy http://proxy.corp:3128 from https_proxy")
        #expect(try ProxySettings.resolve(environment: [:]) == .none)
    }

    @Test func noProxyMatchesHostsDomainsAndPorts() throws {
        func direct(_ noProxy: String, _ url: String) throws -> Bool {
            try ProxySettings.resolve(environment: ["HTTPS_PROXY": "http://p:1", "HTTP_PROXY": "http://p:1", "NO_PROXY": noProxy])
                .proxy(for: URL(string: url)!) == nil
        }
        #expect(try direct("*", "https://anything.example"))
        #expect(try direct("amazonaws.com", "https://s3.eu-north-1.amazonaws.com/"))
        #expect(try direct(".amazonaws.com", "https://s3.eu-north-1.amazonaws.com/"))
        #expect(try !direct("azonaws.com", "https://s3.eu-north-1.amazonaws.com/"), "a suffix only matches at a dot")
        #expect(try direct("localhost, 127.0.0.1", "http://127.0.0.1:5000/"))
        #expect(try direct("127.0.0.1:5000", "http://127.0.0.1:5000/"))
        #expect(try !direct("127.0.0.1:6000", "http://127.0.0.1:5000/"), "another port")
        #expect(try direct("", "http://169.254.169.254/latest/api/token"), "instance metadata is never proxied")
        #expect(
            try ProxySettings.resolve(environment: ["HTTPS_PROXY": "http://p:1", "NO_PROXY": "example.com"])
                .summary(for: URL(string: "https://api.example.com")!) == "direct (NO_PROXY)")
    }

    @Test func aMalformedProxyURLNamesItsVariable() {
        for bad in ["ftp://proxy:21", "http://", "http://proxy:3128/path", "https://proxy:443"] {
            #expect(throws: AWSConfigurationError.self, "\(bad)") { _ = try ProxySettings.resolve(environment: ["HTTPS_PROXY": bad]) }
        }
        do {
            _ = try ProxySettings.resolve(environment: ["http_proxy": "ftp://proxy:21"])
        } catch {
            #expect("\(error)".contains("http_proxy is 'ftp://proxy:21', which is not a proxy URL"))
        }
    }
}
