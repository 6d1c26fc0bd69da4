/// The parts of an HTTP request that SigV4 signs.
public struct SigningRequest: Sendable {
    /// HTTP method, e.g. `"GET"`.
    public var method: String
    /// The path exactly as sent on the wire, already percent-encoded (e.g. `"/a%20b"`).
    /// Encode with RFC 3986 unreserved characters only (see `SigV4Signer.percentEncode`).
    public var path: String
    /// The raw query string as sent, without the leading `"?"`; nil or empty for none.
    public var query: String?
    /// Headers in order, as they will be sent. Must include `Host`.
    public var headers: [(name: String, value: String)]
    /// The body; only hashed when the payload hash is `.body`.
    public var body: [UInt8]

    public init(
        method: String, path: String, query: String? = nil,
        headers: [(name: String, value: String)] = [], body: [UInt8] = []
    ) {
        self.method = method
        self.path = path
        self.query = query
        self.headers = headers
        self.body = body
    }
}

/// What goes in the canonical request's payload-hash line (and `x-amz-content-sha256`).
public enum PayloadHash: Sendable, Equatable {
    /// Hex SHA-256 of the request body.
    case body
    /// `UNSIGNED-PAYLOAD`: the body is not covered by the signature (S3 over TLS, presigned URLs).
    case unsigned
    /// `STREAMING-AWS4-HMAC-SHA256-PAYLOAD`: S3 chunked upload; each chunk is signed separately.
    case streaming
    /// A hash the caller already computed (hex SHA-256, or another literal value AWS accepts).
    case precomputed(String)
}

/// The result of query-string (presigned URL) signing.
public struct PresignedRequest: Sendable, Equatable {
    /// The canonical request that was signed (useful for debugging signature mismatches).
    public var canonicalRequest: String
    /// The string to sign derived from `canonicalRequest`.
    public var stringToSign: String
    /// Hex signature.
    public var signature: String
    /// The full query string to send (original query, then the `X-Amz-*` parameters), without `"?"`.
    public var query: String
}
