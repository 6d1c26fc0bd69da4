import CairnSigner
import Foundation
import TestSupport
import Testing

@testable import CairnAWS

/// `AWS_CA_BUNDLE` / `ca_bundle`: checked when the configuration is resolved, named in `whoami`'s network line.
@Suite struct CABundleTests {
    private func resolve(_ home: TemporaryHome, _ environment: [String: String], profile: String? = nil) throws -> AWSConfiguration {
        try AWSConfiguration.resolve(
            environment: home.environment(
                ["AWS_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "AKIA", "AWS_SECRET_ACCESS_KEY": "s"].merging(environment) { $1 }),
            profile: profile, transport: FakeTransport([]))
    }

    @Test func anUnreadableOrNonPEMBundleIsOneSentence() throws {
        let home = try TemporaryHome()
        defer { home.remove() }
        let missing = home.url.appendingPathComponent("nope.pem").path
        let unreadable = #expect(throws: AWSConfigurationError.self) { try resolve(home, ["AWS_CA_BUNDLE": missing]) }
        #expect(unreadable?.message == "Cannot read the CA bundle \(missing) (from AWS_CA_BUNDLE): check that the file exists and is readable.")
        let text = try home.file("notes.txt", "not a certificate\n")
        let notPEM = #expect(throws: AWSConfigurationError.self) { try resolve(home, ["AWS_CA_BUNDLE": text]) }
        #expect(
            notPEM?.message
                == "The CA bundle \(text) (from AWS_CA_BUNDLE) holds no PEM certificate: give a file of -----BEGIN CERTIFICATE----- blocks.")
        try home.write(config: "[profile corp]\nca_bundle = ~/notes.txt\n", credentials: "[corp]\naws_access_key_id = A\naws_secret_access_key = s\n")
        let fromProfile = #expect(throws: AWSConfigurationError.self) { try resolve(home, [:], profile: "corp") }
        #expect(fromProfile?.message.hasPrefix("The CA bundle \(text) (from ca_bundle of profile 'corp') holds no PEM certificate") == true)
    }

    @Test func aMalformedProxyURLIsOneSentence() throws {
        let home = try TemporaryHome()
        defer { home.remove() }
        let error = #expect(throws: AWSConfigurationError.self) { try resolve(home, ["HTTPS_PROXY": "socks5://proxy:1080"]) }
        #expect(
            error?.message
                == "HTTPS_PROXY is 'socks5://proxy:1080', which is not a proxy URL: use http://HOST:PORT (with USER:PASSWORD@ before the host if it needs them)."
        )
    }

    @Test func theNetworkLineNamesProxyAndBundle() throws {
        let home = try TemporaryHome()
        defer { home.remove() }
        let pem = try home.file("ca.pem", Self.examplePEM)
        let configuration = try resolve(home, ["AWS_CA_BUNDLE": pem, "HTTPS_PROXY": "http://proxy:3128"])
        #expect(configuration.caBundle == CABundle(path: pem, source: "AWS_CA_BUNDLE"))
        #expect(
            configuration.networkSummary(for: URL(string: "https://sts.us-east-1.amazonaws.com")!)
                == "proxy http://proxy:3128 from HTTPS_PROXY; CA bundle \(pem) from AWS_CA_BUNDLE")
        #expect(try resolve(home, [:]).networkSummary(for: URL(string: "https://sts.us-east-1.amazonaws.com")!) == nil)
    }

    /// A self-signed certificate (openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -subj /CN=example -days 36500).
    static let examplePEM = """
        -----BEGIN CERTIFICATE-----
        MIIBezCCASGgAwIBAgIUWfs1PT/ZSmzO3B5ZSn6r1cSTeKUwCgYIKoZIzj0EAwIw
        EjEQMA4GA1UEAwwHZXhhbXBsZTAgFw0yNjEyMDUwMjUyMDFaGA8yMTI2MTExMTAy
        NTIwMVowEjEQMA4GA1UEAwwHZXhhbXBsZTBZMBMGByqGSM49AgEGCCqGSM49AwEH
        A0IABBWySYxJ8Do7R2+Cv6slTt8sD10yc22MxbT0SiRXF0bnBW191zfHPjS0zjOa
        rLSZsVCWhsqJTTURNHbpDyMNDDejUzBRMB0GA1UdDgQWBBSeDXQrLE7FZKn5FcoO
        8QMyKwWmyDAfBgNVHSMEGDAWgBSeDXQrLE7FZKn5FcoO8QMyKwWmyDAPBgNVHRMB
        Af8EBTADAQH/MAoGCCqGSM49BAMCA0gAMEUCIQDZ4hfiPJUXhe6hU39OMdEPoq2G
        DawPEfxfJno2Cny5xQIgNfIGrTvaY4WtGDk+tTJHEd4vOJc2H1YCVtTgkdukNLY=
        -----END CERTIFICATE-----
        """
}

/// A self-signed HTTPS endpoint (openssl, Python's ssl): trusted with the bundle, refused without it.
@Suite(.integration) struct CABundleIntegrationTests {
    @Test func theBundleIsTrustedForRequests() async throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let cert = directory.appendingPathComponent("cert.pem").path
        let key = directory.appendingPathComponent("key.pem").path
        try await runProcess(
            executable: "/usr/bin/env",
            arguments: [
                "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert, "-days", "2",
                "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
            ], timeout: .seconds(60)
        ).requireSuccess("openssl req")
        let portFile = directory.appendingPathComponent("port").path
        let server = """
            import http.server, ssl, sys
            class H(http.server.BaseHTTPRequestHandler):
                def do_POST(self):
                    self.rfile.read(int(self.headers.get('Content-Length', 0)))
                    body = b'<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult><Arn>arn:aws:iam::111122223333:user/tls</Arn><UserId>AIDATLS</UserId><Account>111122223333</Account></GetCallerIdentityResult></GetCallerIdentityResponse>'
                    self.send_response(200); self.send_header('Content-Type', 'text/xml'); self.send_header('Content-Length', str(len(body))); self.end_headers(); self.wfile.write(body)
                def log_message(self, *a): pass
            s = http.server.HTTPServer(('127.0.0.1', 0), H)
            c = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER); c.load_cert_chain(sys.argv[1], sys.argv[2])
            s.socket = c.wrap_socket(s.socket, server_side=True)
            open(sys.argv[3] + '.tmp', 'w').write(str(s.server_address[1])); __import__('os').rename(sys.argv[3] + '.tmp', sys.argv[3])
            s.serve_forever()
            """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", server, cert, key, portFile]
        try process.run()
        defer { process.terminate() }
        var port: String?
        for _ in 0..<200 where port == nil {
            port = try? String(contentsOfFile: portFile, encoding: .utf8)
            if port == nil { try await Task.sleep(for: .milliseconds(50)) }
        }
        let endpoint = "https://127.0.0.1:\(try #require(port, "the HTTPS stub did not start"))"
        let home = try TemporaryHome()
        defer { home.remove() }
        let environment = home.environment([
            "AWS_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "AKIA", "AWS_SECRET_ACCESS_KEY": "s", "AWS_ENDPOINT_URL": endpoint,
            "NO_PROXY": "127.0.0.1",
        ])

        let trusted = try AWSConfiguration.resolve(environment: environment.merging(["AWS_CA_BUNDLE": cert]) { $1 })
        #expect(try await trusted.client().callerIdentity().account == "111122223333")
        #expect(trusted.networkSummary(for: URL(string: endpoint)!) == "CA bundle \(cert) from AWS_CA_BUNDLE")

        let untrusted = try AWSConfiguration.resolve(environment: environment)
        let error = await capture(AWSRequestError.self) { try await untrusted.client().callerIdentity() }
        #expect("\(error.map { "\($0)" } ?? "")".lowercased().contains("certificate"), "\(String(describing: error))")
    }
}
