import CairnCrypto
import Foundation

/// A pure AWS Signature Version 4 signer: no I/O and no clock (the signing time is passed in).
///
/// Header signing: `signedHeaders(for:date:)` returns the headers to send (adding `X-Amz-Date`,
/// `X-Amz-Security-Token`, optionally `x-amz-content-sha256`, and `Authorization`).
/// Query signing: `presign(_:date:expires:)` / `presignedQuery(for:date:expires:)`.
/// The intermediate strings are exposed for tests and for debugging `SignatureDoesNotMatch`.
public struct SigV4Signer: Sendable {
    /// The only algorithm this signer implements.
    public static let algorithm = "AWS4-HMAC-SHA256"

    public var credentials: Credentials
    public var region: String
    public var service: String
    /// Remove `.`/`..` and empty path segments before signing (every service except S3).
    public var normalizePath: Bool
    /// Percent-encode the (already encoded) path once more (every service except S3).
    public var doubleEncodePath: Bool
    /// Whether `X-Amz-Security-Token` is covered by the signature. It is always sent when the
    /// credentials have a token; a few services want it added after signing (then pass false).
    public var signsSessionToken: Bool

    /// Headers never signed: `authorization` is replaced by the signer; the rest are commonly
    /// added or rewritten by HTTP stacks and proxies, which would break the signature.
    static let unsignedHeaderNames: Set<String> = [
        "authorization", "user-agent", "expect", "x-amzn-trace-id", "connection", "transfer-encoding",
    ]

    public init(
        credentials: Credentials, region: String, service: String,
        normalizePath: Bool = true, doubleEncodePath: Bool = true, signsSessionToken: Bool = true
    ) {
        self.credentials = credentials
        self.region = region
        self.service = service
        self.normalizePath = normalizePath
        self.doubleEncodePath = doubleEncodePath
        self.signsSessionToken = signsSessionToken
    }

    /// The S3 signer. S3 must use `normalizePath: false, doubleEncodePath: false` (AWS's rule:
    /// object keys may contain `//` or `..`, and the path is signed exactly as sent);
    /// everything else uses the defaults. S3 callers should also pass
    /// `addContentSHA256Header: true`, which S3 requires.
    public static func s3(credentials: Credentials, region: String) -> SigV4Signer {
        SigV4Signer(credentials: credentials, region: region, service: "s3", normalizePath: false, doubleEncodePath: false)
    }

    /// Percent-encodes `text` as SigV4 expects (only RFC 3986 unreserved characters are left as is).
    /// Use it to build `SigningRequest.path` (e.g. S3 object keys, `preservingSlashes: true`)
    /// and query strings.
    public static func percentEncode(_ text: String, preservingSlashes: Bool = false) -> String {
        Canonical.encode(text.utf8, keepSlash: preservingSlashes)
    }

    // MARK: - Header signing

    /// The canonical request for header signing (step 1 of SigV4).
    public func canonicalRequest(
        _ request: SigningRequest, date: Date, payload: PayloadHash = .body, addContentSHA256Header: Bool = false
    ) -> String {
        headerSigning(request, AMZDate(date), payload, addContentSHA256Header).canonicalRequest
    }

    /// The string to sign for header signing (step 2).
    public func stringToSign(
        _ request: SigningRequest, date: Date, payload: PayloadHash = .body, addContentSHA256Header: Bool = false
    ) -> String {
        let amzDate = AMZDate(date)
        let canonical = headerSigning(request, amzDate, payload, addContentSHA256Header).canonicalRequest
        return stringToSign(canonicalRequest: canonical, date: amzDate)
    }

    /// The hex signature for header signing (step 3).
    public func signature(
        _ request: SigningRequest, date: Date, payload: PayloadHash = .body, addContentSHA256Header: Bool = false
    ) -> String {
        let amzDate = AMZDate(date)
        let canonical = headerSigning(request, amzDate, payload, addContentSHA256Header).canonicalRequest
        return signature(stringToSign: stringToSign(canonicalRequest: canonical, date: amzDate), date: amzDate)
    }

    /// Returns the request's headers plus `X-Amz-Security-Token` (when a session token exists),
    /// `X-Amz-Date`, `x-amz-content-sha256` (when asked: S3 always asks) and `Authorization`.
    /// Any `Authorization`/`X-Amz-Date` (and the other added headers) already in the request are replaced.
    public func signedHeaders(
        for request: SigningRequest, date: Date, payload: PayloadHash = .body, addContentSHA256Header: Bool = false
    ) -> [(name: String, value: String)] {
        let amzDate = AMZDate(date)
        let prepared = headerSigning(request, amzDate, payload, addContentSHA256Header)
        let signature = signature(
            stringToSign: stringToSign(canonicalRequest: prepared.canonicalRequest, date: amzDate), date: amzDate)
        let authorization =
            "\(Self.algorithm) Credential=\(credentials.accessKeyID)/\(scope(amzDate)), "
            + "SignedHeaders=\(prepared.signedNames), Signature=\(signature)"
        return prepared.headers + [(name: "Authorization", value: authorization)]
    }

    private struct HeaderSigning {
        var canonicalRequest: String
        var signedNames: String
        /// The headers to send, except `Authorization`.
        var headers: [(name: String, value: String)]
    }

    private func headerSigning(
        _ request: SigningRequest, _ date: AMZDate, _ payload: PayloadHash, _ addContentSHA256Header: Bool
    ) -> HeaderSigning {
        let payloadHash = hash(of: payload, body: request.body)
        var added: [(name: String, value: String)] = []
        if let token = credentials.sessionToken { added.append(("X-Amz-Security-Token", token)) }
        added.append(("X-Amz-Date", date.timestamp))
        if addContentSHA256Header { added.append(("x-amz-content-sha256", payloadHash)) }

        // Headers the signer sets replace any the caller passed, so they are never duplicated.
        let replaced = Set(added.map { $0.name.lowercased() } + ["authorization"])
        let headers = request.headers.filter { !replaced.contains(Canonical.headerName($0.name)) } + added
        let signed = headers.filter { header in
            let name = Canonical.headerName(header.name)
            return !Self.unsignedHeaderNames.contains(name) && (signsSessionToken || name != "x-amz-security-token")
        }
        let (canonical, signedNames) = canonicalRequest(
            method: request.method, path: request.path, query: Canonical.queryPairs(request.query),
            headers: signed, payloadHash: payloadHash)
        return HeaderSigning(canonicalRequest: canonical, signedNames: signedNames, headers: headers)
    }

    // MARK: - Query (presigned URL) signing

    /// Signs by adding `X-Amz-*` query parameters instead of headers (presigned URLs).
    /// Only the request's headers are signed (typically just `Host`), and whoever uses the URL
    /// must send exactly those. `expires` is in seconds (AWS allows at most 604800, 7 days).
    public func presign(
        _ request: SigningRequest, date: Date, expires: Int, payload: PayloadHash = .unsigned
    ) -> PresignedRequest {
        let amzDate = AMZDate(date)
        let headers = request.headers.filter { !Self.unsignedHeaderNames.contains(Canonical.headerName($0.name)) }
        var parameters: [(key: String, value: String)] = [
            ("X-Amz-Algorithm", Self.algorithm),
            ("X-Amz-Credential", "\(credentials.accessKeyID)/\(scope(amzDate))"),
            ("X-Amz-Date", amzDate.timestamp),
            ("X-Amz-SignedHeaders", Canonical.headers(headers).signedNames),
            ("X-Amz-Expires", String(expires)),
        ]
        if let token = credentials.sessionToken { parameters.append(("X-Amz-Security-Token", token)) }
        let encoded = parameters.map { (key: Canonical.encode($0.key.utf8), value: Canonical.encode($0.value.utf8)) }
        let signedParameters = encoded.filter { signsSessionToken || $0.key != "X-Amz-Security-Token" }

        let (canonical, _) = canonicalRequest(
            method: request.method, path: request.path,
            query: Canonical.queryPairs(request.query) + signedParameters,
            headers: headers, payloadHash: hash(of: payload, body: request.body))
        let toSign = stringToSign(canonicalRequest: canonical, date: amzDate)
        let signature = signature(stringToSign: toSign, date: amzDate)

        // The caller's query stays as sent; the X-Amz-* parameters follow it, signature last.
        let query = ([request.query ?? ""] + encoded.map { "\($0.key)=\($0.value)" } + ["X-Amz-Signature=\(signature)"])
            .filter { !$0.isEmpty }
            .joined(separator: "&")
        return PresignedRequest(canonicalRequest: canonical, stringToSign: toSign, signature: signature, query: query)
    }

    /// The presigned query string (without `"?"`); see `presign(_:date:expires:payload:)`.
    public func presignedQuery(
        for request: SigningRequest, date: Date, expires: Int, payload: PayloadHash = .unsigned
    ) -> String {
        presign(request, date: date, expires: expires, payload: payload).query
    }

    // MARK: - Shared steps

    private func hash(of payload: PayloadHash, body: [UInt8]) -> String {
        switch payload {
        case .body: SHA256.hash(body).hexString
        case .unsigned: "UNSIGNED-PAYLOAD"
        case .streaming: "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"
        case .precomputed(let value): value
        }
    }

    private func canonicalPath(_ path: String) -> String {
        var path = path.isEmpty ? "/" : path
        if normalizePath { path = Canonical.normalizedPath(path) }
        // The path arrives encoded; non-S3 services sign it encoded once more.
        if doubleEncodePath { path = Canonical.encode(path.utf8, keepSlash: true) }
        return path
    }

    private func canonicalRequest(
        method: String, path: String, query: [(key: String, value: String)],
        headers: [(name: String, value: String)], payloadHash: String
    ) -> (String, signedNames: String) {
        let (block, signedNames) = Canonical.headers(headers)
        // `block` ends with "\n", so joining leaves the blank line AWS expects before the names.
        let text = [method, canonicalPath(path), Canonical.query(query), block, signedNames, payloadHash]
            .joined(separator: "\n")
        return (text, signedNames)
    }

    private func scope(_ date: AMZDate) -> String {
        "\(date.day)/\(region)/\(service)/aws4_request"
    }

    private func stringToSign(canonicalRequest: String, date: AMZDate) -> String {
        [Self.algorithm, date.timestamp, scope(date), SHA256.hash(canonicalRequest.utf8).hexString]
            .joined(separator: "\n")
    }

    private func signature(stringToSign: String, date: AMZDate) -> String {
        // Key derivation: the secret is never used directly, only keys scoped to day/region/service.
        var key = Array("AWS4\(credentials.secretAccessKey)".utf8)
        for part in [date.day, region, service, "aws4_request"] {
            key = HMACSHA256.authenticate(key: key, message: Array(part.utf8))
        }
        return HMACSHA256.authenticate(key: key, message: Array(stringToSign.utf8)).hexString
    }
}
