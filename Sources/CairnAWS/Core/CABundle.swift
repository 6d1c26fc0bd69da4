import Foundation
import NIOSSL

/// The extra certificate authorities to trust, as the AWS CLI reads them: `AWS_CA_BUNDLE`, else the profile's `ca_bundle`.
public struct CABundle: Sendable, Hashable {
    /// The PEM file.
    public var path: String
    /// `AWS_CA_BUNDLE` or "ca_bundle of profile 'NAME'".
    public var source: String

    /// The bundle the environment or profile names, checked now: an unreadable file, or one without a PEM certificate,
    /// is an error naming it (rather than a TLS failure on the first request).
    static func resolve(environment: [String: String], config: SharedConfig, profile: String) throws(AWSConfigurationError) -> CABundle? {
        let named: (String, String)?
        if let path = environment["AWS_CA_BUNDLE"], !path.isEmpty {
            named = (path, "AWS_CA_BUNDLE")
        } else if let path = config.value("ca_bundle", profile: profile) {
            named = (path, "ca_bundle of profile '\(profile)'")
        } else {
            named = nil
        }
        guard let (given, source) = named else { return nil }
        let home = environment["HOME"] ?? NSHomeDirectory()
        let path = given.hasPrefix("~/") ? home + given.dropFirst(1) : given
        guard let data = FileManager.default.contents(atPath: path) else {
            throw AWSConfigurationError("Cannot read the CA bundle \(path) (from \(source)): check that the file exists and is readable.")
        }
        guard let certificates = try? NIOSSLCertificate.fromPEMBytes(Array(data)), !certificates.isEmpty else {
            throw AWSConfigurationError(
                "The CA bundle \(path) (from \(source)) holds no PEM certificate: give a file of -----BEGIN CERTIFICATE----- blocks.")
        }
        return CABundle(path: path, source: source)
    }

    /// "CA bundle /path from AWS_CA_BUNDLE", for `cairn whoami`.
    public var summary: String { "CA bundle \(path) from \(source)" }
}
