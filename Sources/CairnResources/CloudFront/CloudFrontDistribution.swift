import CairnAWS
import CairnEngine
import CairnJSON
import Foundation

/// A CloudFront distribution (`aws cloudfront create-distribution-with-tags`): a CDN in front of S3 buckets or web
/// servers, reached at `<id>.cloudfront.net` or at its aliases.
///
/// Attributes (as the state and plans show them), each changed in place (UpdateDistribution, which takes minutes to
/// deploy on AWS):
/// - `enabled`: whether it serves requests.
/// - `comment`: up to 128 characters, `""` by default.
/// - `defaultRootObject`: the object served for `/` (`"index.html"`, no leading slash), `""` for none.
/// - `origins`: sorted by id, each `{"id", "domainName", "originPath", "originAccessControlId" (null for none),
///   "s3OriginConfig": {"originAccessIdentity": ""} for an S3 origin (else null), "customOriginConfig": {"httpPort",
///   "httpsPort", "protocolPolicy", "sslProtocols"} for any other (else null)}`.
/// - `defaultCacheBehavior`: `{"targetOriginId", "viewerProtocolPolicy", "allowedMethods", "cachedMethods" (sorted),
///   "compress", "cachePolicyId", "originRequestPolicyId", "responseHeadersPolicyId" (null for none)}`.
/// - `customErrorResponses`: sorted by error code, `{"errorCode", "responseCode" (text, as CloudFront keeps it, or
///   null), "responsePagePath" (or null), "errorCachingMinTTL"}`.
/// - `aliases`: the alternate domain names, sorted; `viewerCertificate`: null for CloudFront's own certificate, else
///   `{"acmCertificateArn", "minimumProtocolVersion", "sslSupportMethod": "sni-only"}`.
/// - `priceClass`, `httpVersion`, `ipv6Enabled`, `tags`.
///
/// What the declaration does not name (cache behaviours by path, logging, geo restrictions, a WAF ACL, functions) is
/// left as it is in AWS: an update sends back CloudFront's own copy of it. Destroy disables the distribution, waits
/// until that is deployed, then deletes it.
public struct CloudFrontDistribution: ResourceDeclaration {
    /// The type name in addresses and the state.
    public static let typeName = "aws_cloudfront_distribution"

    /// Where CloudFront fetches what it serves.
    public struct Origin: Sendable {
        /// How CloudFront talks to the origin.
        public enum Kind: Sendable {
            /// An S3 bucket's REST endpoint (never its website endpoint), private behind an origin access control.
            case s3
            /// Any other HTTP server (a load balancer, API Gateway, an S3 website endpoint).
            case custom(CustomOriginConfig)
        }

        /// Unique within the distribution; cache behaviours name it (`targetOriginId`).
        public var id: String
        /// The origin's host: `S3Bucket.regionalDomainName` for a bucket.
        public var domainName: Input<String>
        /// A path CloudFront puts before every request's (`/frontend`), `""` for none.
        public var originPath: String
        /// The origin access control CloudFront signs its requests with (`CloudFrontOriginAccessControl.id`).
        public var originAccessControlId: Input<String>?
        /// S3 or custom.
        public var kind: Kind

        /// An origin of any kind.
        public init(id: String, domainName: Input<String>, kind: Kind, originPath: String = "", originAccessControlId: Input<String>? = nil) {
            self.id = id
            self.domainName = domainName
            self.kind = kind
            self.originPath = originPath
            self.originAccessControlId = originAccessControlId
        }

        /// A bucket as origin, reached at its REST endpoint (`bucket.regionalDomainName`) and, with `originAccessControl`,
        /// signed so that the bucket can stay private.
        public static func s3(id: String, domainName: Input<String>, originAccessControl: Input<String>? = nil, originPath: String = "") -> Origin {
            Origin(id: id, domainName: domainName, kind: .s3, originPath: originPath, originAccessControlId: originAccessControl)
        }

        /// An HTTP server as origin.
        public static func custom(
            id: String, domainName: Input<String>, protocolPolicy: OriginProtocolPolicy = .httpsOnly, httpPort: Int = 80, httpsPort: Int = 443,
            sslProtocols: [SSLProtocol] = [.tlsV12], originPath: String = "", originAccessControl: Input<String>? = nil
        ) -> Origin {
            Origin(
                id: id, domainName: domainName,
                kind: .custom(
                    CustomOriginConfig(protocolPolicy: protocolPolicy, httpPort: httpPort, httpsPort: httpsPort, sslProtocols: sslProtocols)),
                originPath: originPath, originAccessControlId: originAccessControl)
        }

        var value: Value {
            var s3: Value = .null
            var custom: Value = .null
            switch kind {
            case .s3: s3 = .object(["originAccessIdentity": .string("")])
            case .custom(let config): custom = config.value
            }
            return .object([
                "id": .string(id), "domainName": domainName.value, "originPath": .string(originPath),
                "originAccessControlId": originAccessControlId?.value ?? .null, "s3OriginConfig": s3, "customOriginConfig": custom,
            ])
        }
    }

    /// How CloudFront reaches a custom origin.
    public struct CustomOriginConfig: Sendable {
        /// HTTP, HTTPS, or whatever the viewer used.
        public var protocolPolicy: OriginProtocolPolicy
        /// 80 by default.
        public var httpPort: Int
        /// 443 by default.
        public var httpsPort: Int
        /// The TLS versions CloudFront may use with the origin.
        public var sslProtocols: [SSLProtocol]

        /// HTTPS on 443 with TLS 1.2 unless said otherwise.
        public init(
            protocolPolicy: OriginProtocolPolicy = .httpsOnly, httpPort: Int = 80, httpsPort: Int = 443, sslProtocols: [SSLProtocol] = [.tlsV12]
        ) {
            self.protocolPolicy = protocolPolicy
            self.httpPort = httpPort
            self.httpsPort = httpsPort
            self.sslProtocols = sslProtocols
        }

        var value: Value {
            .object([
                "protocolPolicy": .string(protocolPolicy.rawValue), "httpPort": .int(httpPort), "httpsPort": .int(httpsPort),
                "sslProtocols": .json(.array(Set(sslProtocols.map(\.rawValue)).sorted().map(JSON.string))),
            ])
        }
    }

    /// botocore's `OriginProtocolPolicy`.
    public enum OriginProtocolPolicy: String, Sendable, CaseIterable {
        case httpOnly = "http-only"
        case matchViewer = "match-viewer"
        case httpsOnly = "https-only"
    }

    /// botocore's `SslProtocol`.
    public enum SSLProtocol: String, Sendable, CaseIterable {
        case sslV3 = "SSLv3"
        case tlsV1 = "TLSv1"
        case tlsV11 = "TLSv1.1"
        case tlsV12 = "TLSv1.2"
    }

    /// How viewers may reach the distribution (botocore's `ViewerProtocolPolicy`).
    public enum ViewerProtocolPolicy: String, Sendable, CaseIterable {
        case allowAll = "allow-all"
        case httpsOnly = "https-only"
        case redirectToHTTPS = "redirect-to-https"
    }

    /// The HTTP methods CloudFront passes on: the three sets it accepts.
    public enum AllowedMethods: String, Sendable, CaseIterable {
        /// GET and HEAD.
        case getHead
        /// GET, HEAD and OPTIONS (CORS preflight).
        case getHeadOptions
        /// Every method, for origins that take writes.
        case all

        /// The methods, sorted.
        public var methods: [String] {
            switch self {
            case .getHead: return ["GET", "HEAD"]
            case .getHeadOptions: return ["GET", "HEAD", "OPTIONS"]
            case .all: return ["DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT"]
            }
        }
    }

    /// The methods whose answers CloudFront caches: the two sets it accepts.
    public enum CachedMethods: String, Sendable, CaseIterable {
        /// GET and HEAD.
        case getHead
        /// GET, HEAD and OPTIONS.
        case getHeadOptions

        /// The methods, sorted.
        public var methods: [String] { self == .getHead ? ["GET", "HEAD"] : ["GET", "HEAD", "OPTIONS"] }
    }

    /// AWS's managed cache policies, by id.
    public enum CachePolicy {
        /// `Managed-CachingOptimized`: long TTLs, compression, no cookies or query strings in the key.
        public static let cachingOptimized = "658327ea-f89d-4fab-a63d-7e88639e58f6"
        /// `Managed-CachingDisabled`: nothing cached (APIs).
        public static let cachingDisabled = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
    }

    /// What CloudFront does with requests that match no path-specific behaviour.
    public struct CacheBehavior: Sendable {
        /// The origin's id.
        public var targetOriginId: String
        /// HTTP, HTTPS only, or a redirect to HTTPS.
        public var viewerProtocolPolicy: ViewerProtocolPolicy
        /// The methods passed on.
        public var allowedMethods: AllowedMethods
        /// The methods whose answers are cached: within `allowedMethods`.
        public var cachedMethods: CachedMethods
        /// Compress answers for viewers that accept it.
        public var compress: Bool
        /// The cache policy (`CachePolicy.cachingOptimized`, or a policy's id).
        public var cachePolicyId: Input<String>
        /// An origin request policy's id, if any.
        public var originRequestPolicyId: Input<String>?
        /// A response headers policy's id, if any.
        public var responseHeadersPolicyId: Input<String>?

        /// A behaviour for `targetOriginId`: HTTPS (by redirect), GET and HEAD, compressed, cached by CachingOptimized.
        public init(
            targetOriginId: String, viewerProtocolPolicy: ViewerProtocolPolicy = .redirectToHTTPS, allowedMethods: AllowedMethods = .getHead,
            cachedMethods: CachedMethods = .getHead, compress: Bool = true, cachePolicyId: Input<String> = Input(CachePolicy.cachingOptimized),
            originRequestPolicyId: Input<String>? = nil, responseHeadersPolicyId: Input<String>? = nil
        ) {
            self.targetOriginId = targetOriginId
            self.viewerProtocolPolicy = viewerProtocolPolicy
            self.allowedMethods = allowedMethods
            self.cachedMethods = cachedMethods
            self.compress = compress
            self.cachePolicyId = cachePolicyId
            self.originRequestPolicyId = originRequestPolicyId
            self.responseHeadersPolicyId = responseHeadersPolicyId
        }

        var value: Value {
            .object([
                "targetOriginId": .string(targetOriginId), "viewerProtocolPolicy": .string(viewerProtocolPolicy.rawValue),
                "allowedMethods": .json(.array(allowedMethods.methods.map(JSON.string))),
                "cachedMethods": .json(.array(cachedMethods.methods.map(JSON.string))), "compress": .bool(compress),
                "cachePolicyId": cachePolicyId.value, "originRequestPolicyId": originRequestPolicyId?.value ?? .null,
                "responseHeadersPolicyId": responseHeadersPolicyId?.value ?? .null,
            ])
        }
    }

    /// What CloudFront answers when the origin answers `errorCode`: a single-page app serves `/index.html` with 200
    /// for 403 and 404.
    public struct CustomErrorResponse: Sendable {
        /// The origin's status: one of `CloudFrontDistribution.errorCodes`.
        public var errorCode: Int
        /// The status the viewer gets instead (one of `responseCodes`); nil keeps the origin's.
        public var responseCode: Int?
        /// The object served instead (`/index.html`), beginning with `/`; nil for CloudFront's own error page.
        public var responsePagePath: String?
        /// Seconds CloudFront caches the error, 10 by default (as CloudFront).
        public var errorCachingMinTTL: Int

        /// An error response.
        public init(errorCode: Int, responseCode: Int? = nil, responsePagePath: String? = nil, errorCachingMinTTL: Int = 10) {
            self.errorCode = errorCode
            self.responseCode = responseCode
            self.responsePagePath = responsePagePath
            self.errorCachingMinTTL = errorCachingMinTTL
        }

        var value: Value {
            .object([
                "errorCode": .int(errorCode), "responseCode": .optional(responseCode.map(String.init)),
                "responsePagePath": .optional(responsePagePath), "errorCachingMinTTL": .int(errorCachingMinTTL),
            ])
        }
    }

    /// The TLS certificate for the aliases, an ACM certificate in us-east-1.
    public enum Certificate: Sendable {
        /// An ACM certificate by ARN, served by SNI.
        case acm(arn: Input<String>, minimumProtocolVersion: MinimumProtocolVersion = .tlsV12Of2021)

        var value: Value {
            switch self {
            case .acm(let arn, let version):
                return .object([
                    "acmCertificateArn": arn.value, "minimumProtocolVersion": .string(version.rawValue), "sslSupportMethod": .string("sni-only"),
                ])
            }
        }
    }

    /// The oldest TLS version viewers may use (botocore's `MinimumProtocolVersion`).
    public enum MinimumProtocolVersion: String, Sendable, CaseIterable {
        case sslV3 = "SSLv3"
        case tlsV1 = "TLSv1"
        case tlsV1Of2016 = "TLSv1_2016"
        case tlsV11Of2016 = "TLSv1.1_2016"
        case tlsV12Of2018 = "TLSv1.2_2018"
        case tlsV12Of2019 = "TLSv1.2_2019"
        case tlsV12Of2021 = "TLSv1.2_2021"
        case tlsV13Of2025 = "TLSv1.3_2025"
        case tlsV12Of2025 = "TLSv1.2_2025"
    }

    /// Which edge locations serve it, by price (botocore's `PriceClass`).
    public enum PriceClass: String, Sendable, CaseIterable {
        /// North America, Europe and Israel.
        case priceClass100 = "PriceClass_100"
        /// Those and most of Asia, Africa and the Middle East.
        case priceClass200 = "PriceClass_200"
        /// Every edge location.
        case all = "PriceClass_All"
    }

    /// The highest HTTP version viewers may use (botocore's `HttpVersion`).
    public enum HTTPVersion: String, Sendable, CaseIterable {
        case http11 = "http1.1"
        case http2
        case http3
        case http2and3
    }

    /// The origin statuses CloudFront lets a custom error response replace.
    public static let errorCodes: Set<Int> = [400, 403, 404, 405, 414, 416, 500, 501, 502, 503, 504]
    /// The statuses a custom error response may answer with.
    public static let responseCodes: Set<Int> = [200, 400, 403, 404, 405, 414, 416, 500, 501, 502, 503, 504]
    /// The longest error caching CloudFront takes: a year.
    public static let maxErrorCachingMinTTL = 31_536_000

    /// The name in the stack (`aws_cloudfront_distribution.<logicalName>`).
    public let logicalName: String
    /// Where CloudFront fetches from: at least one.
    public var origins: [Origin]
    /// What it does with every request.
    public var defaultCacheBehavior: CacheBehavior
    /// Whether it serves requests.
    public var enabled: Bool
    /// A note, up to 128 characters.
    public var comment: String
    /// The object served for `/` (`index.html`), without a leading slash; `""` for none.
    public var defaultRootObject: String
    /// Answers in place of the origin's errors, one per error code.
    public var customErrorResponses: [CustomErrorResponse]
    /// Alternate domain names (`www.example.com`); they need `certificate`.
    public var aliases: [String]
    /// The certificate for the aliases; nil for CloudFront's own (`*.cloudfront.net`).
    public var certificate: Certificate?
    /// Which edge locations serve it.
    public var priceClass: PriceClass
    /// The highest HTTP version viewers may use.
    public var httpVersion: HTTPVersion
    /// Answer on IPv6 too.
    public var ipv6Enabled: Bool
    /// AWS tags.
    public var tags: Tags
    /// Dependencies and lifecycle options for the engine.
    public var options: ResourceOptions

    /// A distribution serving `origins` with `defaultCacheBehavior`, enabled, from every edge location, over HTTP/2 and
    /// IPv6 (the console's defaults; the API's own leaves IPv6 off).
    public init(
        _ logicalName: String, origins: [Origin], defaultCacheBehavior: CacheBehavior, enabled: Bool = true, comment: String = "",
        defaultRootObject: String = "", customErrorResponses: [CustomErrorResponse] = [], aliases: [String] = [], certificate: Certificate? = nil,
        priceClass: PriceClass = .all, httpVersion: HTTPVersion = .http2, ipv6Enabled: Bool = true, tags: Tags = [:],
        options: ResourceOptions = ResourceOptions()
    ) {
        self.logicalName = logicalName
        self.origins = origins
        self.defaultCacheBehavior = defaultCacheBehavior
        self.enabled = enabled
        self.comment = comment
        self.defaultRootObject = defaultRootObject
        self.customErrorResponses = customErrorResponses
        self.aliases = aliases
        self.certificate = certificate
        self.priceClass = priceClass
        self.httpVersion = httpVersion
        self.ipv6Enabled = ipv6Enabled
        self.tags = tags
        self.options = options
    }

    /// The id CloudFront gave it (`E2QWRUHAPOMQZL`).
    public var id: Output<String> { Output(output("id")) }
    /// `arn:aws:cloudfront::ACCOUNT:distribution/ID`, what a bucket policy's `AWS:SourceArn` condition names.
    public var arn: Output<String> { Output(output("arn")) }
    /// `<id>.cloudfront.net`.
    public var domainName: Output<String> { Output(output("domainName")) }
    /// The Route 53 hosted zone of every distribution, for alias records.
    public var hostedZoneId: Output<String> { Output(output("hostedZoneId")) }

    /// Every managed attribute (see the type's documentation).
    public var attributes: [String: Value] {
        [
            "enabled": .bool(enabled),
            "comment": .string(comment),
            "defaultRootObject": .string(defaultRootObject),
            "origins": .array(origins.sorted { $0.id < $1.id }.map(\.value)),
            "defaultCacheBehavior": defaultCacheBehavior.value,
            "customErrorResponses": .array(customErrorResponses.sorted { $0.errorCode < $1.errorCode }.map(\.value)),
            "aliases": .json(.array(Set(aliases).sorted().map(JSON.string))),
            "viewerCertificate": certificate?.value ?? .null,
            "priceClass": .string(priceClass.rawValue),
            "httpVersion": .string(httpVersion.rawValue),
            "ipv6Enabled": .bool(ipv6Enabled),
            "tags": .json(tags.json),
        ]
    }

    /// What CloudFront would refuse, named by attribute: origins, the default behaviour's origin and methods, the
    /// default root object, the error responses, aliases and their certificate, the comment and the tags.
    public func validate() -> [ValidationIssue] {
        var issues: [ValidationIssue] = []
        func issue(_ attribute: String, _ message: String) {
            issues.append(ValidationIssue(address: address, attribute: attribute, message: message))
        }
        issues += validateOrigins()
        let behavior = defaultCacheBehavior
        if !origins.contains(where: { $0.id == behavior.targetOriginId }) {
            let known = origins.map { "'\($0.id)'" }.joined(separator: ", ")
            issue(
                "defaultCacheBehavior.targetOriginId",
                "'\(behavior.targetOriginId)' is not the id of any origin\(known.isEmpty ? "" : " (\(known))"): name one of the distribution's origins."
            )
        }
        if !Set(behavior.cachedMethods.methods).isSubset(of: behavior.allowedMethods.methods) {
            issue(
                "defaultCacheBehavior.cachedMethods",
                "OPTIONS is cached but not allowed: allow it too (allowedMethods: .getHeadOptions or .all) or cache .getHead.")
        }
        if behavior.cachePolicyId.literal?.isEmpty == true {
            issue("defaultCacheBehavior.cachePolicyId", "the cache policy id is empty: use CachePolicy.cachingOptimized or a policy's id.")
        }
        if defaultRootObject.hasPrefix("/") {
            issue("defaultRootObject", "'\(defaultRootObject)' begins with '/': CloudFront wants the object's name alone, like \"index.html\".")
        } else if defaultRootObject.count > 255 || defaultRootObject.contains(where: { !Self.rootObjectCharacters.contains($0) }) {
            issue(
                "defaultRootObject",
                "'\(defaultRootObject)' must be at most 255 characters among letters, digits and _ - . * $ / ~ \" ' &, like \"index.html\".")
        }
        if comment.count > 128 { issue("comment", "the comment has \(comment.count) characters; CloudFront allows 128.") }
        issues += validateErrorResponses()
        issues += validateAliases()
        return issues + checkTags(tags, address: address)
    }

    /// The characters CloudFront allows in a default root object's name.
    static let rootObjectCharacters = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.*$/~\"'&")

    private func validateOrigins() -> [ValidationIssue] {
        var issues: [ValidationIssue] = []
        func issue(_ attribute: String, _ message: String) {
            issues.append(ValidationIssue(address: address, attribute: attribute, message: message))
        }
        if origins.isEmpty { issue("origins", "a distribution needs at least one origin: add one, like .s3(id:domainName:originAccessControl:).") }
        var ids = Set<String>()
        for (i, origin) in origins.enumerated() {
            let path = "origins[\(i)]"
            if origin.id.isEmpty { issue("\(path).id", "the origin id is empty: give each origin a name, like \"frontend\".") }
            if !ids.insert(origin.id).inserted { issue("\(path).id", "'\(origin.id)' is the id of two origins: ids must be unique.") }
            if let domain = origin.domainName.literal {
                if domain.isEmpty || domain.contains("/") || domain.contains(":") {
                    issue(
                        "\(path).domainName",
                        "'\(domain)' is not a host name: give the origin's host alone, like \"bucket.s3.us-east-1.amazonaws.com\".")
                } else if case .s3 = origin.kind, domain.contains(".s3-website") {
                    issue(
                        "\(path).domainName",
                        "'\(domain)' is an S3 website endpoint, which an S3 origin cannot use: use the bucket's REST endpoint (regionalDomainName) with an origin access control, or a custom origin for the website."
                    )
                }
            }
            if !origin.originPath.isEmpty, !origin.originPath.hasPrefix("/") || origin.originPath.hasSuffix("/") {
                issue("\(path).originPath", "'\(origin.originPath)' must begin with '/' and not end with one, like \"/frontend\".")
            }
            if origin.originAccessControlId?.literal?.isEmpty == true {
                issue("\(path).originAccessControlId", "the origin access control id is empty: use an origin access control's id output, or nil.")
            }
            if case .custom(let config) = origin.kind {
                for (name, port) in [("httpPort", config.httpPort), ("httpsPort", config.httpsPort)] where !Self.originPorts(port) {
                    issue("\(path).customOriginConfig.\(name)", "\(port) is not a port CloudFront connects to: use 80, 443, or 1024 to 65535.")
                }
                if config.sslProtocols.isEmpty {
                    issue("\(path).customOriginConfig.sslProtocols", "no TLS version is allowed: add one, like .tlsV12.")
                }
            }
        }
        return issues
    }

    /// The origin ports CloudFront accepts.
    static func originPorts(_ port: Int) -> Bool { port == 80 || port == 443 || (1024...65535).contains(port) }

    private func validateErrorResponses() -> [ValidationIssue] {
        var issues: [ValidationIssue] = []
        func issue(_ attribute: String, _ message: String) {
            issues.append(ValidationIssue(address: address, attribute: attribute, message: message))
        }
        var codes = Set<Int>()
        let allowed = Self.errorCodes.sorted().map(String.init).joined(separator: ", ")
        for (i, response) in customErrorResponses.enumerated() {
            let path = "customErrorResponses[\(i)]"
            if !Self.errorCodes.contains(response.errorCode) {
                issue("\(path).errorCode", "\(response.errorCode) is not an error code CloudFront replaces: use one of \(allowed).")
            }
            if !codes.insert(response.errorCode).inserted {
                issue("\(path).errorCode", "\(response.errorCode) has two responses: keep one per error code.")
            }
            if let code = response.responseCode, !Self.responseCodes.contains(code) {
                issue("\(path).responseCode", "\(code) is not a status CloudFront answers with: use 200 or one of \(allowed).")
            }
            if let page = response.responsePagePath, !page.hasPrefix("/") || page.count > 4096 {
                issue("\(path).responsePagePath", "'\(page)' must begin with '/', like \"/index.html\".")
            }
            if (response.responseCode == nil) != (response.responsePagePath == nil) {
                issue(
                    "\(path)",
                    "responseCode and responsePagePath go together: give both (200 and \"/index.html\" for a single-page app) or neither.")
            }
            if !(0...Self.maxErrorCachingMinTTL).contains(response.errorCachingMinTTL) {
                issue(
                    "\(path).errorCachingMinTTL",
                    "\(response.errorCachingMinTTL) seconds is outside 0 to \(Self.maxErrorCachingMinTTL) (a year): CloudFront caches errors for 10 by default."
                )
            }
        }
        return issues
    }

    private func validateAliases() -> [ValidationIssue] {
        var issues: [ValidationIssue] = []
        func issue(_ attribute: String, _ message: String) {
            issues.append(ValidationIssue(address: address, attribute: attribute, message: message))
        }
        for (i, alias) in aliases.enumerated() {
            let name = alias.hasPrefix("*.") ? String(alias.dropFirst(2)) : alias
            let labels = name.split(separator: ".", omittingEmptySubsequences: false)
            let valid =
                name.count <= 253 && labels.count >= 2
                && labels.allSatisfy { label in
                    !label.isEmpty && label.count <= 63 && label.first != "-" && label.last != "-"
                        && label.allSatisfy { $0.isASCII && ($0.isLowercase || $0.isNumber || $0 == "-") }
                }
            if !valid { issue("aliases[\(i)]", "'\(alias)' is not a lower-case domain name, like \"www.example.com\" or \"*.example.com\".") }
        }
        if !aliases.isEmpty && certificate == nil {
            issue(
                "certificate",
                "aliases need a certificate that covers them: add certificate: .acm(arn:) with an ACM certificate from us-east-1.")
        }
        if case .acm(let arn, _)? = certificate, let text = arn.literal {
            let fields = text.split(separator: ":", omittingEmptySubsequences: false)
            if fields.count < 6 || fields[2] != "acm" {
                issue("certificate", "'\(text)' is not an ACM certificate ARN (arn:aws:acm:us-east-1:ACCOUNT:certificate/ID).")
            } else if fields[3] != "us-east-1" {
                issue(
                    "certificate",
                    "the certificate is in \(fields[3]), and CloudFront takes ACM certificates from us-east-1 only: request or import it there.")
            }
        }
        return issues
    }
}

/// Creates, reads, updates and deletes distributions; the physical id is the id CloudFront chooses. Every change sends
/// the ETag of a read just before it in If-Match, and is tried once more when CloudFront answers PreconditionFailed.
struct CloudFrontDistributionProvider: UnnamedCreateRecovery {
    let client: AWSClient
    let typeName = CloudFrontDistribution.typeName
    /// Adoption proof: the ownership tags; CreateDistributionWithTags sets them with the distribution.
    let adoptionProof = AdoptionProof.ownershipTags
    let replaceOnChange: Set<String> = []
    let localAttributes: Set<String> = []

    /// CloudFront's answer for an id that does not exist.
    static let goneCodes: Set<String> = ["NoSuchDistribution"]
    /// How long a change may take to deploy before destroy gives up: AWS takes minutes, botocore's waiter 35 at most.
    static let deployTimeout: Duration = .seconds(45 * 60)
    /// How often destroy asks whether the disabling is deployed.
    static let deployPollInterval: Duration = .seconds(20)
    /// The Route 53 hosted zone of CloudFront's domain names (the China partition has its own).
    static func hostedZoneID(partition: String) -> String { partition == "aws-cn" ? "Z3RFFRIM2A3IF5" : "Z2FDTNDATAQYW2" }

    /// None: CloudFront chooses the id, so nothing names the distribution before the create.
    func physicalID(for attributes: [String: JSON]) -> String? { nil }

    func read(id: String, prior: [String: JSON]) async throws -> Observed? {
        guard let answer = try await nilIfNotFound(Self.goneCodes, { try await client.restXML(.cloudFront.getDistribution, ["Id": id]) }),
            let distribution = answer.xml
        else { return nil }
        let outputs = outputs(distribution, id: id)
        let tags = try await nilIfNotFound(Self.goneCodes) {
            try await client.restXML(.cloudFront.listTagsForResource, ["Resource": outputs["arn"]?.stringValue ?? ""]).xml
        }
        guard let tags else { return nil }
        var attributes = Self.attributes(from: distribution["DistributionConfig"])
        attributes["tags"] = CloudFrontWire.tags(from: tags).json
        return Observed(id: id, attributes: attributes, outputs: outputs)
    }

    /// CreateDistributionWithTags, with a CallerReference no other create sends. CloudFront answers a repeated one with
    /// DistributionAlreadyExists: when a retry of this call gets that answer (the first attempt's was lost after CloudFront
    /// acted), the distribution made for this CallerReference is this call's own and is returned.
    func create(_ attributes: [String: JSON]) async throws -> Applied {
        let reference = Self.callerReference(client.randomSource)
        let started = client.waitClock.now()
        let config = Self.configXML(attributes, callerReference: reference, live: nil)
        let tags = attributes.tags()
        let body = [config, CloudFrontWire.element("Tags", tags.isEmpty ? [] : CloudFrontWire.tagsXML(tags))]
        var distribution: XMLNode?
        do {
            distribution = try await client.restXML(.cloudFront.createDistributionWithTags, body: .xml(body)).xml
        } catch let error as AWSServiceError where error.code == "DistributionAlreadyExists" {
            guard let id = try await distributionID(madeFor: reference, comment: attributes.string("comment") ?? "", since: started)
            else { throw error }
            ProviderProgress.note("its create's answer was lost, but CloudFront made it: \(id)")
            distribution = try await client.restXML(.cloudFront.getDistribution, ["Id": id]).xml
        }
        let id = distribution?.string("Id") ?? ""
        return Applied(id: id, outputs: outputs(distribution, id: id))
    }

    /// Sends the declared configuration over CloudFront's own copy (GetDistributionConfig), so that what Cairn does not
    /// manage is kept, with that copy's ETag; then the tags.
    func update(id: String, from old: [String: JSON], to new: [String: JSON]) async throws -> Applied {
        var distribution: XMLNode?
        if old.filter({ $0.key != "tags" }) != new.filter({ $0.key != "tags" }) {
            distribution = try await CloudFrontWire.withCurrentETag(read: { try await currentConfig(id) }) { live, etag in
                let config = Self.configXML(new, callerReference: live?.string("CallerReference") ?? "", live: live)
                return try await client.restXML(.cloudFront.updateDistribution, ["Id": id, "IfMatch": etag], body: .xml(config.children)).xml
            }
        } else {
            distribution = try await client.restXML(.cloudFront.getDistribution, ["Id": id]).xml
        }
        let outputs = outputs(distribution, id: id)
        try await TaggingAPI.cloudFront.sync(client, resource: outputs["arn"]?.stringValue ?? "", from: old.tags(), to: new.tags())
        return Applied(id: id, outputs: outputs)
    }

    /// Disables the distribution (when it is enabled), waits until CloudFront has deployed that, then deletes it with
    /// the ETag of that last read, as CloudFront requires. Interrupted anywhere, the next destroy picks up where this
    /// one stopped: a disabled distribution is not disabled again, and the wait starts over. One already gone counts
    /// as deleted.
    func delete(id: String, attributes: [String: JSON]) async throws {
        try await ignoringNotFound(Self.goneCodes) {
            try await CloudFrontWire.withCurrentETag(read: { try await currentConfig(id) }) { live, etag in
                guard live?.string("Enabled") == "true" else { return }
                let disabled = CloudFrontWire.merged(
                    "DistributionConfig", order: Self.configMembers, managed: ["Enabled": CloudFrontWire.element("Enabled", false)], live: live)
                _ = try await client.restXML(.cloudFront.updateDistribution, ["Id": id, "IfMatch": etag], body: .xml(disabled.children))
            }
            try await CloudFrontWire.withCurrentETag(read: { try await deployed(id) }) { _, etag in
                _ = try await client.restXML(.cloudFront.deleteDistribution, ["Id": id, "IfMatch": etag])
            }
        }
    }

    // MARK: Calls

    /// The distribution's configuration (`<DistributionConfig>`) and its ETag.
    private func currentConfig(_ id: String) async throws -> (node: XMLNode?, etag: String) {
        let answer = try await client.restXML(.cloudFront.getDistributionConfig, ["Id": id])
        return (answer.xml, answer.etag ?? "")
    }

    /// Waits until the distribution's last change is deployed (Status `Deployed`), polling GetDistribution on the
    /// client's clock for at most `deployTimeout`, and returns that last answer and its ETag.
    private func deployed(_ id: String) async throws -> (node: XMLNode?, etag: String) {
        var latest: (node: XMLNode?, etag: String) = (nil, "")
        try await waitUntil(
            "CloudFront distribution \(id)", "finish deploying (Status Deployed)", clock: client.waitClock, timeout: Self.deployTimeout,
            interval: Self.deployPollInterval
        ) {
            let answer = try await client.restXML(.cloudFront.getDistribution, ["Id": id])
            latest = (answer.xml, answer.etag ?? "")
            return answer.xml?.string("Status") == "Deployed"
        }
        return latest
    }

    /// The outputs, from a `<Distribution>` (or a summary). The ARN is built here, in AWS's form: the account comes
    /// from the ARN CloudFront returned, whichever form it has.
    private func outputs(_ distribution: XMLNode?, id: String) -> [String: JSON] {
        let partition = CloudFrontWire.partition(client.region)
        let account = CloudFrontWire.account(inARN: distribution?.string("ARN") ?? "") ?? ""
        return [
            "id": .string(id),
            "arn": .string("arn:\(partition):cloudfront::\(account):distribution/\(id)"),
            "domainName": .string(distribution?.string("DomainName") ?? ""),
            "hostedZoneId": .string(Self.hostedZoneID(partition: partition)),
        ]
    }

    /// A CallerReference no other create sends: `cairn-` and 128 random bits from the client's random source.
    static func callerReference(_ random: any RandomSource) -> String {
        let digits = (0..<4).map { _ in String(UInt32(random.unit() * 4_294_967_296), radix: 16) }
        return "cairn-" + digits.map { String(repeating: "0", count: 8 - $0.count) + $0 }.joined()
    }

    // MARK: Recovery

    /// How far before a create's start a distribution it made may say it was last modified: SigV4 refuses requests
    /// from a clock further off than this, so CloudFront's and this machine's differ by less.
    static let clockSkew: TimeInterval = 15 * 60

    /// The distribution CloudFront made for `reference`: among those with the declared comment modified since the
    /// create began (less `clockSkew`), the one whose configuration (GetDistributionConfig) carries that CallerReference.
    func distributionID(madeFor reference: String, comment: String, since started: Date) async throws -> String? {
        for (id, _) in try await recentDistributions(comment: comment, since: started.addingTimeInterval(-Self.clockSkew)) {
            let config = try await nilIfNotFound(Self.goneCodes) { try await currentConfig(id).node }
            if config??.string("CallerReference") == reference { return id }
        }
        return nil
    }

    /// The account's distributions (ListDistributions, every page) with `comment` that were last modified at or after
    /// `since` (a new one was last modified at its creation): each ID with its summary.
    private func recentDistributions(comment: String, since: Date) async throws -> [(id: String, summary: XMLNode)] {
        try await client.restXMLAll(.cloudFront.listDistributions).compactMap { summary in
            guard let id = summary.string("Id"), (summary.string("Comment") ?? "") == comment,
                let modified = summary.string("LastModifiedTime").flatMap(parseTimestamp), modified >= since
            else { return nil }
            return (id, summary)
        }
    }

    /// The distribution an interrupted create made: among the account's distributions, those with the declared comment,
    /// changed since the intent, not in the state and carrying this state's ownership tags (CreateDistributionWithTags
    /// sets them). One tag read per candidate.
    func findInterruptedCreate(
        _ attributes: [String: JSON], ownership: Ownership, since: Date, excluding: Set<String>
    ) async throws -> Observed? {
        guard ownership.state != nil else { return nil }
        var candidates: [String] = []
        for (id, summary) in try await recentDistributions(comment: attributes.string("comment") ?? "", since: since)
        where !excluding.contains(id) {
            let arn = outputs(summary, id: id)["arn"]?.stringValue ?? ""
            let tags = try await nilIfNotFound(Self.goneCodes) { try await client.restXML(.cloudFront.listTagsForResource, ["Resource": arn]).xml }
            if InterruptedCreate.isOurs(CloudFrontWire.tags(from: tags ?? nil), ownership) { candidates.append(id) }
        }
        let advice =
            "import the one this address made (`cairn import STACK ADDRESS DISTRIBUTION_ID`); another distribution that this stack declares may have made the other, so import it at its own address, and disable and delete any left over (`aws cloudfront update-distribution` with Enabled false, then `delete-distribution`)."
        guard let id = try InterruptedCreate.single(candidates, typeName: typeName, advice: advice) else { return nil }
        return try await read(id: id, prior: attributes)
    }

    // MARK: Wire

    /// DistributionConfig's members, in botocore's order.
    static let configMembers = [
        "CallerReference", "Aliases", "DefaultRootObject", "Origins", "OriginGroups", "DefaultCacheBehavior", "CacheBehaviors",
        "CustomErrorResponses", "Comment", "Logging", "PriceClass", "Enabled", "ViewerCertificate", "Restrictions", "WebACLId", "HttpVersion",
        "IsIPV6Enabled", "ContinuousDeploymentPolicyId", "Staging", "AnycastIpListId", "TenantConfig", "ConnectionMode", "ViewerMtlsConfig",
        "ConnectionFunctionAssociation", "CacheTagConfig",
    ]
    /// Origin's members, in botocore's order.
    static let originMembers = [
        "Id", "DomainName", "OriginPath", "CustomHeaders", "S3OriginConfig", "CustomOriginConfig", "VpcOriginConfig", "ConnectionAttempts",
        "ConnectionTimeout", "ResponseCompletionTimeout", "OriginShield", "OriginAccessControlId",
    ]
    /// S3OriginConfig's members, in botocore's order.
    static let s3OriginMembers = ["OriginAccessIdentity", "OriginReadTimeout"]
    /// CustomOriginConfig's members, in botocore's order.
    static let customOriginMembers = [
        "HTTPPort", "HTTPSPort", "OriginProtocolPolicy", "OriginSslProtocols", "OriginReadTimeout", "OriginKeepaliveTimeout", "IpAddressType",
        "OriginMtlsConfig",
    ]
    /// DefaultCacheBehavior's members, in botocore's order.
    static let cacheBehaviorMembers = [
        "TargetOriginId", "TrustedSigners", "TrustedKeyGroups", "ViewerProtocolPolicy", "AllowedMethods", "SmoothStreaming", "Compress",
        "LambdaFunctionAssociations", "FunctionAssociations", "FieldLevelEncryptionId", "RealtimeLogConfigArn", "CachePolicyId",
        "OriginRequestPolicyId", "ResponseHeadersPolicyId", "GrpcConfig", "ForwardedValues", "MinTTL", "DefaultTTL", "MaxTTL",
    ]
    /// CustomErrorResponse's members, in botocore's order.
    static let errorResponseMembers = ["ErrorCode", "ResponsePagePath", "ResponseCode", "ErrorCachingMinTTL"]
    /// ViewerCertificate's members, in botocore's order.
    static let viewerCertificateMembers = [
        "CloudFrontDefaultCertificate", "IAMCertificateId", "ACMCertificateArn", "SSLSupportMethod", "MinimumProtocolVersion", "Certificate",
        "CertificateSource",
    ]

    /// `<DistributionConfig>` for `attributes`, over `live` (CloudFront's current copy, nil for a create).
    static func configXML(_ attributes: [String: JSON], callerReference: String, live: XMLNode?) -> XMLNode {
        typealias W = CloudFrontWire
        let liveOrigins = Dictionary(W.items(live?["Origins"]).map { ($0.string("Id") ?? "", $0) }, uniquingKeysWith: { first, _ in first })
        let origins = (attributes["origins"]?.arrayValue ?? []).map { originXML($0, live: liveOrigins[$0["id"]?.stringValue ?? ""]) }
        let errors = (attributes["customErrorResponses"]?.arrayValue ?? []).map(errorResponseXML)
        let managed: [String: XMLNode?] = [
            "CallerReference": W.element("CallerReference", callerReference),
            "Aliases": W.list("Aliases", attributes.strings("aliases").map { W.element("CNAME", $0) }),
            "DefaultRootObject": W.element("DefaultRootObject", attributes.string("defaultRootObject") ?? ""),
            "Origins": W.list("Origins", origins),
            "DefaultCacheBehavior": cacheBehaviorXML(attributes["defaultCacheBehavior"] ?? [:], live: live?["DefaultCacheBehavior"]),
            "CustomErrorResponses": W.list("CustomErrorResponses", errors),
            "Comment": W.element("Comment", attributes.string("comment") ?? ""),
            "PriceClass": W.element("PriceClass", attributes.string("priceClass") ?? CloudFrontDistribution.PriceClass.all.rawValue),
            "Enabled": W.element("Enabled", attributes.bool("enabled") ?? true),
            "ViewerCertificate": viewerCertificateXML(attributes["viewerCertificate"] ?? .null),
            "HttpVersion": W.element("HttpVersion", attributes.string("httpVersion") ?? CloudFrontDistribution.HTTPVersion.http2.rawValue),
            "IsIPV6Enabled": W.element("IsIPV6Enabled", attributes.bool("ipv6Enabled") ?? true),
        ]
        return W.merged("DistributionConfig", order: configMembers, managed: managed, live: live)
    }

    static func originXML(_ origin: JSON, live: XMLNode?) -> XMLNode {
        typealias W = CloudFrontWire
        var s3: XMLNode?
        if let config = origin["s3OriginConfig"], !config.isNull {
            s3 = W.merged(
                "S3OriginConfig", order: s3OriginMembers,
                managed: ["OriginAccessIdentity": W.element("OriginAccessIdentity", config["originAccessIdentity"]?.stringValue ?? "")],
                live: live?["S3OriginConfig"])
        }
        var custom: XMLNode?
        if let config = origin["customOriginConfig"], !config.isNull {
            let protocols = (config["sslProtocols"]?.arrayValue ?? []).compactMap(\.stringValue).map { W.element("SslProtocol", $0) }
            custom = W.merged(
                "CustomOriginConfig", order: customOriginMembers,
                managed: [
                    "HTTPPort": W.element("HTTPPort", String(config["httpPort"]?.intValue ?? 80)),
                    "HTTPSPort": W.element("HTTPSPort", String(config["httpsPort"]?.intValue ?? 443)),
                    "OriginProtocolPolicy": W.element("OriginProtocolPolicy", config["protocolPolicy"]?.stringValue ?? "https-only"),
                    "OriginSslProtocols": W.list("OriginSslProtocols", protocols),
                ], live: live?["CustomOriginConfig"])
        }
        return W.merged(
            "Origin", order: originMembers,
            managed: [
                "Id": W.element("Id", origin["id"]?.stringValue ?? ""),
                "DomainName": W.element("DomainName", origin["domainName"]?.stringValue ?? ""),
                "OriginPath": W.element("OriginPath", origin["originPath"]?.stringValue ?? ""),
                "S3OriginConfig": s3, "CustomOriginConfig": custom,
                // Empty removes an origin access control, as CloudFront writes "none".
                "OriginAccessControlId": W.element("OriginAccessControlId", origin["originAccessControlId"]?.stringValue ?? ""),
            ], live: live)
    }

    static func cacheBehaviorXML(_ behavior: JSON, live: XMLNode?) -> XMLNode {
        typealias W = CloudFrontWire
        func methods(_ key: String) -> [XMLNode] { (behavior[key]?.arrayValue ?? []).compactMap(\.stringValue).map { W.element("Method", $0) } }
        func optional(_ name: String, _ key: String) -> XMLNode? { behavior[key]?.stringValue.map { W.element(name, $0) } }
        return W.merged(
            "DefaultCacheBehavior", order: cacheBehaviorMembers,
            managed: [
                "TargetOriginId": W.element("TargetOriginId", behavior["targetOriginId"]?.stringValue ?? ""),
                "ViewerProtocolPolicy": W.element("ViewerProtocolPolicy", behavior["viewerProtocolPolicy"]?.stringValue ?? "redirect-to-https"),
                "AllowedMethods": W.list("AllowedMethods", methods("allowedMethods"), extra: [W.list("CachedMethods", methods("cachedMethods"))]),
                "Compress": W.element("Compress", behavior["compress"]?.boolValue ?? true),
                "CachePolicyId": W.element("CachePolicyId", behavior["cachePolicyId"]?.stringValue ?? ""),
                "OriginRequestPolicyId": optional("OriginRequestPolicyId", "originRequestPolicyId"),
                "ResponseHeadersPolicyId": optional("ResponseHeadersPolicyId", "responseHeadersPolicyId"),
                // A cache policy replaces the legacy settings; CloudFront refuses both at once.
                "ForwardedValues": nil, "MinTTL": nil, "DefaultTTL": nil, "MaxTTL": nil,
            ], live: live)
    }

    static func errorResponseXML(_ response: JSON) -> XMLNode {
        typealias W = CloudFrontWire
        var values = [
            "ErrorCode": String(response["errorCode"]?.intValue ?? 0), "ErrorCachingMinTTL": String(response["errorCachingMinTTL"]?.intValue ?? 10),
        ]
        values["ResponsePagePath"] = response["responsePagePath"]?.stringValue
        values["ResponseCode"] = response["responseCode"]?.stringValue
        return W.element("CustomErrorResponse", errorResponseMembers.compactMap { name in values[name].map { W.element(name, $0) } })
    }

    static func viewerCertificateXML(_ certificate: JSON) -> XMLNode {
        typealias W = CloudFrontWire
        guard let arn = certificate["acmCertificateArn"]?.stringValue else {
            return W.element("ViewerCertificate", [W.element("CloudFrontDefaultCertificate", true)])
        }
        let values = [
            "ACMCertificateArn": arn, "SSLSupportMethod": certificate["sslSupportMethod"]?.stringValue ?? "sni-only",
            "MinimumProtocolVersion": certificate["minimumProtocolVersion"]?.stringValue ?? "TLSv1.2_2021",
        ]
        return W.element("ViewerCertificate", viewerCertificateMembers.compactMap { name in values[name].map { W.element(name, $0) } })
    }

    /// The managed attributes of a `<DistributionConfig>` as CloudFront returns it, in the declarations' shape (tags aside).
    static func attributes(from config: XMLNode?) -> [String: JSON] {
        typealias W = CloudFrontWire
        let origins = W.items(config?["Origins"]).map(origin(from:)).sorted { ($0["id"]?.stringValue ?? "") < ($1["id"]?.stringValue ?? "") }
        let errors = W.items(config?["CustomErrorResponses"]).map(errorResponse(from:))
            .sorted { ($0["errorCode"]?.intValue ?? 0) < ($1["errorCode"]?.intValue ?? 0) }
        return [
            "enabled": .bool(config?.string("Enabled") == "true"),
            "comment": .string(config?.string("Comment") ?? ""),
            "defaultRootObject": .string(config?.string("DefaultRootObject") ?? ""),
            "origins": .array(origins),
            "defaultCacheBehavior": cacheBehavior(from: config?["DefaultCacheBehavior"]),
            "customErrorResponses": .array(errors),
            "aliases": .array(W.items(config?["Aliases"]).map(\.text).sorted().map(JSON.string)),
            "viewerCertificate": viewerCertificate(from: config?["ViewerCertificate"]),
            "priceClass": .string(config?.string("PriceClass") ?? CloudFrontDistribution.PriceClass.all.rawValue),
            "httpVersion": .string(config?.string("HttpVersion") ?? CloudFrontDistribution.HTTPVersion.http2.rawValue),
            "ipv6Enabled": .bool(config?.string("IsIPV6Enabled") == "true"),
        ]
    }

    static func origin(from node: XMLNode) -> JSON {
        typealias W = CloudFrontWire
        let s3: JSON =
            node["S3OriginConfig"].map { config -> JSON in ["originAccessIdentity": .string(config.string("OriginAccessIdentity") ?? "")] } ?? .null
        let custom: JSON =
            node["CustomOriginConfig"].map { config -> JSON in
                [
                    "protocolPolicy": .string(config.string("OriginProtocolPolicy") ?? ""),
                    "httpPort": .int(config.string("HTTPPort").flatMap { Int($0) } ?? 80),
                    "httpsPort": .int(config.string("HTTPSPort").flatMap { Int($0) } ?? 443),
                    "sslProtocols": .array(W.items(config["OriginSslProtocols"]).map(\.text).sorted().map(JSON.string)),
                ]
            } ?? .null
        return [
            "id": .string(node.string("Id") ?? ""), "domainName": .string(node.string("DomainName") ?? ""),
            "originPath": .string(node.string("OriginPath") ?? ""),
            "originAccessControlId": W.text(node, "OriginAccessControlId").map(JSON.string) ?? .null, "s3OriginConfig": s3,
            "customOriginConfig": custom,
        ]
    }

    static func cacheBehavior(from node: XMLNode?) -> JSON {
        typealias W = CloudFrontWire
        let allowed = node?["AllowedMethods"]
        return [
            "targetOriginId": .string(node?.string("TargetOriginId") ?? ""),
            "viewerProtocolPolicy": .string(node?.string("ViewerProtocolPolicy") ?? ""),
            "allowedMethods": .array(W.items(allowed).map(\.text).sorted().map(JSON.string)),
            "cachedMethods": .array(W.items(allowed?["CachedMethods"]).map(\.text).sorted().map(JSON.string)),
            "compress": .bool(node?.string("Compress") == "true"),
            "cachePolicyId": .string(node?.string("CachePolicyId") ?? ""),
            "originRequestPolicyId": W.text(node, "OriginRequestPolicyId").map(JSON.string) ?? .null,
            "responseHeadersPolicyId": W.text(node, "ResponseHeadersPolicyId").map(JSON.string) ?? .null,
        ]
    }

    static func errorResponse(from node: XMLNode) -> JSON {
        typealias W = CloudFrontWire
        return [
            "errorCode": .int(node.string("ErrorCode").flatMap { Int($0) } ?? 0),
            "responseCode": W.text(node, "ResponseCode").map(JSON.string) ?? .null,
            "responsePagePath": W.text(node, "ResponsePagePath").map(JSON.string) ?? .null,
            "errorCachingMinTTL": .int(node.string("ErrorCachingMinTTL").flatMap { Int($0) } ?? 10),
        ]
    }

    /// Null for CloudFront's own certificate, else the ACM certificate's settings.
    static func viewerCertificate(from node: XMLNode?) -> JSON {
        guard let node, node.string("CloudFrontDefaultCertificate") != "true" else { return .null }
        return [
            "acmCertificateArn": .string(node.string("ACMCertificateArn") ?? ""),
            "minimumProtocolVersion": .string(node.string("MinimumProtocolVersion") ?? ""),
            "sslSupportMethod": .string(node.string("SSLSupportMethod") ?? ""),
        ]
    }
}

// MARK: cairn generate

extension CloudFrontDistributionProvider: DiscoverableProvider {
    var swiftType: String { "CloudFrontDistribution" }
    var swiftNoun: String { "distribution" }
    var swiftNounSuffixed: Bool { true }
    var swiftOutputs: [String: String] { ["id": "id", "arn": "arn", "domainName": "domainName"] }

    /// Every distribution, named by its comment, else by its first origin's host (`site-bucket` of
    /// `site-bucket.s3.eu-north-1.amazonaws.com`): a distribution has no name of its own.
    func discover() async throws -> [DiscoveredResource] {
        try await client.restXMLAll(.cloudFront.listDistributions).compactMap { summary in
            guard let id = summary.string("Id") else { return nil }
            let origin = CloudFrontWire.items(summary["Origins"]).first?.string("DomainName")
            let name = CloudFrontWire.text(summary, "Comment") ?? origin.map { String($0.prefix { $0 != "." }) } ?? id
            return DiscoveredResource(id: id, name: name)
        }
    }

    /// The read, with what the declaration does not name but CloudFront has (cache behaviours by path, logging, a WAF ACL,
    /// …) listed under `unmanaged`, for `swiftArguments` to report.
    func readForGeneration(id: String, prior: [String: JSON]) async throws -> Observed? {
        guard var live = try await read(id: id, prior: prior) else { return nil }
        let answer = try await nilIfNotFound(Self.goneCodes) { try await client.restXML(.cloudFront.getDistribution, ["Id": id]) }
        let unmanaged = Self.unmanagedSettings(answer?.xml?["DistributionConfig"])
        if !unmanaged.isEmpty { live.attributes["unmanaged"] = .array(unmanaged.map(JSON.string)) }
        return live
    }

    /// The parts of a configuration that say more than CloudFront's defaults and that `CloudFrontDistribution` does not
    /// name.
    static func unmanagedSettings(_ config: XMLNode?) -> [String] {
        typealias W = CloudFrontWire
        func quantity(_ node: XMLNode?) -> Int { node?.string("Quantity").flatMap { Int($0) } ?? W.items(node).count }
        var found: [String] = []
        for name in ["OriginGroups", "CacheBehaviors"] where quantity(config?[name]) > 0 { found.append(name) }
        if config?["Logging"]?.string("Enabled") == "true" { found.append("Logging") }
        if let type = config?["Restrictions"]?["GeoRestriction"]?.string("RestrictionType"), type != "none" { found.append("Restrictions") }
        for name in ["WebACLId", "ContinuousDeploymentPolicyId", "AnycastIpListId"] where W.text(config, name) != nil { found.append(name) }
        if config?.string("Staging") == "true" { found.append("Staging") }
        let behavior = config?["DefaultCacheBehavior"]
        for name in ["LambdaFunctionAssociations", "FunctionAssociations"] where quantity(behavior?[name]) > 0 {
            found.append("DefaultCacheBehavior.\(name)")
        }
        for name in ["TrustedSigners", "TrustedKeyGroups"] where behavior?[name]?.string("Enabled") == "true" {
            found.append("DefaultCacheBehavior.\(name)")
        }
        for name in ["FieldLevelEncryptionId", "RealtimeLogConfigArn"] where W.text(behavior, name) != nil {
            found.append("DefaultCacheBehavior.\(name)")
        }
        for origin in W.items(config?["Origins"]) {
            let id = origin.string("Id") ?? ""
            if quantity(origin["CustomHeaders"]) > 0 { found.append("Origins.\(id).CustomHeaders") }
            if origin["OriginShield"]?.string("Enabled") == "true" { found.append("Origins.\(id).OriginShield") }
            if origin["VpcOriginConfig"] != nil { found.append("Origins.\(id).VpcOriginConfig") }
        }
        return found
    }

    func swiftArguments(_ live: Observed, in context: SwiftContext) -> [SwiftArgument] {
        let attributes = live.attributes
        let origins = (attributes["origins"]?.arrayValue ?? []).enumerated().map { index, origin in
            Self.originSwift(origin, index: index, in: context)
        }
        var arguments = [SwiftArgument("origins", SwiftCode.array(origins))]
        let behavior = attributes["defaultCacheBehavior"] ?? [:]
        guard let cachePolicy = behavior["cachePolicyId"]?.stringValue, !cachePolicy.isEmpty else {
            // Its legacy cache settings (ForwardedValues and TTLs) instead of a cache policy.
            context.cannotDeclare("its default cache behaviour has no cache policy (legacy cache settings), which CacheBehavior cannot say")
            return arguments
        }
        arguments.append(SwiftArgument("defaultCacheBehavior", Self.behaviorSwift(behavior, cachePolicy: cachePolicy, in: context)))
        if attributes.bool("enabled") == false { arguments.append(SwiftArgument("enabled", "false")) }
        for key in ["comment", "defaultRootObject"] {
            if let text = attributes.string(key), !text.isEmpty { arguments.append(SwiftArgument(key, context.literal(text))) }
        }
        let errors = (attributes["customErrorResponses"]?.arrayValue ?? []).map { response -> String in
            var parts = [SwiftArgument("errorCode", String(response["errorCode"]?.intValue ?? 0))]
            if let code = response["responseCode"]?.stringValue.flatMap({ Int($0) }) { parts.append(SwiftArgument("responseCode", String(code))) }
            if let path = response["responsePagePath"]?.stringValue { parts.append(SwiftArgument("responsePagePath", context.literal(path))) }
            if let ttl = response["errorCachingMinTTL"]?.intValue, ttl != 10 { parts.append(SwiftArgument("errorCachingMinTTL", String(ttl))) }
            return SwiftCode.call(".init", parts)
        }
        if !errors.isEmpty { arguments.append(SwiftArgument("customErrorResponses", SwiftCode.array(errors))) }
        let aliases = attributes.strings("aliases")
        if !aliases.isEmpty { arguments.append(SwiftArgument("aliases", SwiftCode.strings(aliases))) }
        if let certificate = attributes["viewerCertificate"], !certificate.isNull {
            guard let arn = certificate["acmCertificateArn"]?.stringValue, !arn.isEmpty,
                certificate["sslSupportMethod"]?.stringValue == "sni-only"
            else {
                context.cannotDeclare("its certificate is not an ACM certificate served by SNI, the one Certificate names")
                return arguments
            }
            var parts = [SwiftArgument("arn", context.input(arn))]
            let version = certificate["minimumProtocolVersion"]?.stringValue ?? ""
            if let known = CloudFrontDistribution.MinimumProtocolVersion(rawValue: version) {
                if known != .tlsV12Of2021 { parts.append(SwiftArgument("minimumProtocolVersion", ".\(String(describing: known))")) }
            } else {
                context.cannotExpress(
                    "viewerCertificate.minimumProtocolVersion", "\(version) is not one MinimumProtocolVersion names",
                    ignoringDrift: "viewerCertificate.minimumProtocolVersion")
            }
            arguments.append(SwiftArgument("certificate", SwiftCode.call(".acm", parts)))
        }
        for (key, fallback, type) in [
            ("priceClass", CloudFrontDistribution.PriceClass.all.rawValue, "PriceClass"),
            ("httpVersion", CloudFrontDistribution.HTTPVersion.http2.rawValue, "HTTPVersion"),
        ] {
            guard let value = attributes.string(key), value != fallback else { continue }
            let known: String? =
                type == "PriceClass"
                ? CloudFrontDistribution.PriceClass(rawValue: value).map { String(describing: $0) }
                : CloudFrontDistribution.HTTPVersion(rawValue: value).map { String(describing: $0) }
            if let known {
                arguments.append(SwiftArgument(key, ".\(known)"))
            } else {
                context.cannotExpress(key, "\(value) is not one \(type) names", ignoringDrift: key)
            }
        }
        if attributes.bool("ipv6Enabled") == false { arguments.append(SwiftArgument("ipv6Enabled", "false")) }
        for setting in attributes.strings("unmanaged") {
            // An update sends CloudFront's own copy of what the declaration does not name.
            context.cannotExpress(setting, "CloudFrontDistribution does not model it; an apply keeps it as it is")
        }
        if let tags = context.tags(live) { arguments.append(tags) }
        return arguments
    }

    /// `.s3(…)` or `.custom(…)` for the origin at `index`.
    static func originSwift(_ origin: JSON, index: Int, in context: SwiftContext) -> String {
        let id = origin["id"]?.stringValue ?? ""
        let domain = origin["domainName"]?.stringValue ?? ""
        var parts = [SwiftArgument("id", context.literal(id))]
        let control = origin["originAccessControlId"]?.stringValue.map {
            SwiftArgument("originAccessControl", context.input($0, naming: CloudFrontOriginAccessControl.typeName, "id"))
        }
        let path = (origin["originPath"]?.stringValue).flatMap { $0.isEmpty ? nil : SwiftArgument("originPath", context.literal($0)) }
        if let s3 = origin["s3OriginConfig"], !s3.isNull {
            if let identity = s3["originAccessIdentity"]?.stringValue, !identity.isEmpty {
                context.cannotExpress(
                    "origins.\(id).s3OriginConfig", "a legacy origin access identity, which Origin.s3 cannot say",
                    ignoringDrift: "origins[\(index)].s3OriginConfig")
            }
            parts.append(SwiftArgument("domainName", context.input(domain, naming: S3Bucket.typeName, "regionalDomainName")))
            parts += [control, path].compactMap { $0 }
            return SwiftCode.call(".s3", parts)
        }
        parts.append(SwiftArgument("domainName", context.input(domain)))
        let custom = origin["customOriginConfig"] ?? [:]
        let policy = custom["protocolPolicy"]?.stringValue ?? "https-only"
        if policy != "https-only", let known = CloudFrontDistribution.OriginProtocolPolicy(rawValue: policy) {
            parts.append(SwiftArgument("protocolPolicy", ".\(String(describing: known))"))
        }
        if let port = custom["httpPort"]?.intValue, port != 80 { parts.append(SwiftArgument("httpPort", String(port))) }
        if let port = custom["httpsPort"]?.intValue, port != 443 { parts.append(SwiftArgument("httpsPort", String(port))) }
        let protocols = (custom["sslProtocols"]?.arrayValue ?? []).compactMap { $0.stringValue.flatMap(CloudFrontDistribution.SSLProtocol.init) }
        if protocols != [.tlsV12] { parts.append(SwiftArgument("sslProtocols", SwiftCode.array(protocols.map { ".\(String(describing: $0))" }))) }
        if let path { parts.append(path) }
        if let control { parts.append(control) }
        return SwiftCode.call(".custom", parts)
    }

    /// `.init(targetOriginId: …)` for the default cache behaviour.
    static func behaviorSwift(_ behavior: JSON, cachePolicy: String, in context: SwiftContext) -> String {
        var parts = [SwiftArgument("targetOriginId", context.literal(behavior["targetOriginId"]?.stringValue ?? ""))]
        let viewer = behavior["viewerProtocolPolicy"]?.stringValue ?? ""
        if viewer != "redirect-to-https", let known = CloudFrontDistribution.ViewerProtocolPolicy(rawValue: viewer) {
            parts.append(SwiftArgument("viewerProtocolPolicy", ".\(String(describing: known))"))
        }
        let allowed = behavior["allowedMethods"]?.arrayValue?.compactMap(\.stringValue) ?? []
        if let known = CloudFrontDistribution.AllowedMethods.allCases.first(where: { $0.methods.sorted() == allowed.sorted() }), known != .getHead {
            parts.append(SwiftArgument("allowedMethods", ".\(String(describing: known))"))
        }
        let cached = behavior["cachedMethods"]?.arrayValue?.compactMap(\.stringValue) ?? []
        if let known = CloudFrontDistribution.CachedMethods.allCases.first(where: { $0.methods.sorted() == cached.sorted() }), known != .getHead {
            parts.append(SwiftArgument("cachedMethods", ".\(String(describing: known))"))
        }
        if behavior["compress"]?.boolValue == false { parts.append(SwiftArgument("compress", "false")) }
        switch cachePolicy {
        case CloudFrontDistribution.CachePolicy.cachingOptimized: break
        case CloudFrontDistribution.CachePolicy.cachingDisabled:
            parts.append(SwiftArgument("cachePolicyId", "Input(CloudFrontDistribution.CachePolicy.cachingDisabled)"))
        default: parts.append(SwiftArgument("cachePolicyId", context.literal(cachePolicy)))
        }
        for key in ["originRequestPolicyId", "responseHeadersPolicyId"] {
            if let id = behavior[key]?.stringValue { parts.append(SwiftArgument(key, context.literal(id))) }
        }
        return SwiftCode.call(".init", parts)
    }
}
