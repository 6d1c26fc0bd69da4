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
