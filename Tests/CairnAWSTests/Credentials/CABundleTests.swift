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
        let pem = try home.file("ca.pem", TestCertificates.selfSignedPEM)
        let configuration = try resolve(home, ["AWS_CA_BUNDLE": pem, "HTTPS_PROXY": "http://proxy:3128"])
        #expect(configuration.caBundle == CABundle(path: pem, source: "AWS_CA_BUNDLE"))
        #expect(
            configuration.networkSummary(for: URL(string: "https://sts.us-east-1.amazonaws.com")!)
                == "proxy http://proxy:3128 from HTTPS_PROXY; CA bundle \(pem) from AWS_CA_BUNDLE")
        #expect(try resolve(home, [:]).networkSummary(for: URL(string: "https://sts.us-east-1.amazonaws.com")!) == nil)
    }
}
