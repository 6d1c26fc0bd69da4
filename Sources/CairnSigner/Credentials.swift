import Foundation

/// AWS credentials: a long-term access key pair, or temporary credentials with a session token.
public struct Credentials: Sendable, Equatable {
    public var accessKeyID: String
    public var secretAccessKey: String
    /// Present for temporary (STS) credentials; sent as `X-Amz-Security-Token`.
    public var sessionToken: String?
    /// When temporary credentials stop working; nil for long-term keys.
    public var expiration: Date?

    public init(accessKeyID: String, secretAccessKey: String, sessionToken: String? = nil, expiration: Date? = nil) {
        self.accessKeyID = accessKeyID
        self.secretAccessKey = secretAccessKey
        self.sessionToken = sessionToken
        self.expiration = expiration
    }
}

extension Credentials: CustomStringConvertible, CustomDebugStringConvertible {
    /// Never prints the secret or the token, so credentials can't leak into logs by accident.
    public var description: String {
        "Credentials(accessKeyID: \(accessKeyID), secretAccessKey: <redacted>, sessionToken: "
            + (sessionToken == nil ? "nil" : "<redacted>")
            + ", expiration: \(expiration.map { "\($0)" } ?? "nil"))"
    }

    public var debugDescription: String { description }
}
