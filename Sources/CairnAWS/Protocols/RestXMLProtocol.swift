import CairnCrypto
import Foundation

/// The body of a rest-xml request.
public enum RestXMLBody: Sendable {
    case none
    /// The children of the operation's payload element; the client adds the root element and namespace.
    case xml([XMLNode])
    /// A raw payload (a bucket policy, an object's bytes).
    case raw(Data, contentType: String)
}

/// A rest-xml answer: headers, the raw body and, when the body is XML, its root element.
public struct RestXMLResponse: Sendable {
    public let status: Int
    public let headers: [String: String]
    public let body: Data
    public let xml: XMLNode?

    /// The `ETag` header: the version of what was read or written (CloudFront wants it back in `If-Match`).
    public var etag: String? { headers["etag"] }
}

extension AWSClient {
    /// Calls a rest-xml (S3) operation. `members` are the input members bound to the URI, the query
    /// string and headers, by their model names (`Bucket`, `Prefix`, `ExpectedBucketOwner`).
    /// - Parameters:
    ///   - operation: a generated rest-xml operation, e.g. `.s3.getBucketVersioning`.
    ///   - members: the input members bound to the URI, the query string and headers.
    ///   - body: the payload, when the operation takes one.
    public func restXML(_ operation: RestXMLOperation, _ members: [String: String] = [:], body: RestXMLBody = .none) async throws -> RestXMLResponse {
        let service = operation.service
        let operationName = operation.name
        let model = operation.model
        let endpoint = endpoint(for: service)
        var baseURL = endpoint.url

        let parts = model.requestURI.split(separator: "?", maxSplits: 1).map(String.init)
        var template = parts[0]
        var queryItems: [String] = parts.count > 1 ? parts[1].split(separator: "&").map(String.init) : []

        // Virtual-hosted style on AWS; path style on custom endpoints and for names DNS can't carry.
        if !endpoint.isCustom, let bucket = members["Bucket"], template.hasPrefix("/{Bucket}"), Self.isVirtualHostable(bucket) {
            baseURL = URL(string: "https://\(bucket).\(endpoint.url.host ?? "")")!
            template.removeFirst("/{Bucket}".count)
        }
        let (path, boundHeaders) = Self.bind(members, template: template, bindings: model.bindings, query: &queryItems, operation: operationName)
        var headers = boundHeaders

        var data = Data()
        switch body {
        case .none: break
        case .xml(let children):
            guard let payload = model.payload else { preconditionFailure("\(operationName) takes no XML payload") }
            let namespace = payload.namespace ?? service.xmlNamespace
            let root = XMLNode(payload.rootElement, attributes: namespace.map { ["xmlns": $0] } ?? [:], children: children)
            data = Data(root.xmlString().utf8)
            headers.append(("Content-Type", "application/xml"))
        case .raw(let bytes, let contentType):
            data = bytes
            headers.append(("Content-Type", contentType))
        }
        if model.checksumRequired && members["ContentMD5"] == nil {
            headers.append(("Content-MD5", Data(MD5.hash([UInt8](data))).base64EncodedString()))
        }

        let request = WireRequest(
            method: model.method, baseURL: baseURL, path: path,
            query: queryItems.isEmpty ? nil : queryItems.joined(separator: "&"), headers: headers, body: data)
        let response = try await send(request, service: service, operation: operationName, endpoint: endpoint, parseError: Self.restXMLError)
        var xml: XMLNode?
        if response.body.first == UInt8(ascii: "<") {
            do {
                xml = try XMLNode.parse(response.body)
            } catch {
                // A truncated or garbled answer must not pass for an empty one.
                let snippet = String(decoding: response.body.prefix(200), as: UTF8.self).replacingOccurrences(of: "\n", with: " ")
                throw AWSRequestError(
                    service: service.serviceID, operation: operationName, endpoint: endpoint.url.absoluteString, attempts: 1,
                    reason: .unexpectedResponse(status: response.status, contentType: response.headers["content-type"], snippet: snippet),
                    requestID: Self.requestID(response))
            }
        }
        return RestXMLResponse(status: response.status, headers: response.headers, body: response.body, xml: xml)
    }

    /// Calls a paginated rest-xml operation until the last page and returns every page's root element. The
    /// paginator's paths (`DistributionList.NextMarker`) start at the answer's root element when the operation has an
    /// output payload (`Operation.outputPayload`), else at its children.
    public func restXMLPages(_ operation: RestXMLOperation, _ members: [String: String] = [:], maxPages: Int = 10_000) async throws -> [XMLNode] {
        guard let paginator = operation.model.paginator else {
            return [try await restXML(operation, members).xml].compactMap { $0 }
        }
        var pages: [XMLNode] = []
        var request = members
        var seen = Set<[String]>()
        while pages.count < maxPages {
            guard let page = try await restXML(operation, request).xml else { break }
            pages.append(page)
            if let more = paginator.moreResults, Self.node(page, at: more, payload: operation.model.outputPayload)?.text != "true" { break }
            let tokens = paginator.outputTokens.map { name in
                let token = Self.node(page, at: name, payload: operation.model.outputPayload)?.text ?? ""
                // With encoding-type=url S3 encodes its key markers as it encodes the keys; they go back decoded.
                return Self.urlEncodedKeyMarkers.contains(name) && page.string("EncodingType") == "url" ? token.formURLDecoded : token
            }
            // An answer that repeats its marker would loop forever.
            guard tokens.contains(where: { !$0.isEmpty }), seen.insert(tokens).inserted else { break }
            for (name, token) in zip(paginator.inputTokens, tokens) { request[name] = token }
        }
        return pages
    }

    /// The output tokens S3 URL-encodes when asked for `encoding-type=url` (its documentation of ListObjects,
    /// ListObjectVersions and ListMultipartUploads); continuation tokens and version id markers are opaque.
    static let urlEncodedKeyMarkers: Set<String> = ["NextKeyMarker", "NextMarker"]

    /// Every item of the paginator's result list across all pages: the children of a wrapped list such as
    /// CloudFront's `DistributionList.Items` (S3's flattened lists repeat their element instead: read those pages
    /// with `restXMLPages`).
    public func restXMLAll(_ operation: RestXMLOperation, _ members: [String: String] = [:], key: String? = nil) async throws -> [XMLNode] {
        let resultKey = key ?? operation.model.paginator?.resultKeys.first
        guard let resultKey else { preconditionFailure("\(operation) has no result key: pass key:") }
        return try await restXMLPages(operation, members).flatMap {
            Self.node($0, at: resultKey, payload: operation.model.outputPayload)?.children ?? []
        }
    }

    /// The element at a paginator path (`DistributionList.IsTruncated`): the first name is the root itself when
    /// it is the output payload.
    static func node(_ root: XMLNode, at path: String, payload: String?) -> XMLNode? {
        var names = path.split(separator: ".").map(String.init)
        if let payload, names.first == payload { names.removeFirst() }
        var node: XMLNode? = root
        for name in names { node = node?[name] }
        return node
    }

    /// Puts the members a REST operation binds into its URI template, query string and headers (rest-xml and rest-json).
    static func bind(
        _ members: [String: String], template: String, bindings: [Operation.Binding], query: inout [String], operation: String
    ) -> (path: String, headers: [(name: String, value: String)]) {
        var path = ""
        var rest = Substring(template)
        while let open = rest.firstIndex(of: "{"), let close = rest[open...].firstIndex(of: "}") {
            path += rest[..<open]
            var label = String(rest[rest.index(after: open)..<close])
            let greedy = label.hasSuffix("+")
            if greedy { label.removeLast() }
            guard let value = members[label] else { preconditionFailure("\(operation) needs the URI member \(label)") }
            path += percentEncode(value, keepSlash: greedy)
            rest = rest[rest.index(after: close)...]
        }
        path += rest
        if path.isEmpty { path = "/" }
        var headers: [(name: String, value: String)] = []
        for binding in bindings {
            guard let value = members[binding.member] else { continue }
            switch binding.location {
            case .querystring: query.append("\(percentEncode(binding.name))=\(percentEncode(value))")
            case .header: headers.append((binding.name, value))
            case .uri, .headerPrefix: break
            }
        }
        return (path, headers)
    }

    /// A bucket name usable as a TLS host label: lower-case letters, digits and hyphens, no dots.
    static func isVirtualHostable(_ bucket: String) -> Bool {
        (3...63).contains(bucket.count) && bucket.allSatisfy { $0.isLowercase || $0.isNumber || $0 == "-" }
            && bucket.first != "-" && bucket.last != "-"
    }

    /// `<Error><Code>…</Code><Message>…</Message><RequestId>…</RequestId></Error>` (S3), or the same `<Error>` inside
    /// `<ErrorResponse>` (CloudFront); answers without
    /// a body (HEAD) are named by their status, as the SDKs do.
    @Sendable static func restXMLError(_ response: HTTPResponse) -> ErrorFields? {
        if response.body.isEmpty {
            let code: String
            switch response.status {
            case 301: code = "PermanentRedirect"
            case 400: code = "BadRequest"
            case 403: code = "Forbidden"
            case 404: code = "NotFound"
            case 405: code = "MethodNotAllowed"
            case 412: code = "PreconditionFailed"
            default: return nil
            }
            return ErrorFields(code: code, message: "", requestID: requestID(response))
        }
        guard let root = try? XMLNode.parse(response.body) else { return nil }
        // A front end that checks signatures before the service (moto's) writes `<ErrorResponse><Errors><Error>`.
        let error = root.name == "Error" ? root : root["Error"] ?? root.path("Errors", "Error")
        guard let code = error?.string("Code"), !code.isEmpty else { return nil }
        // S3 puts the request id in <Error>, CloudFront next to it in <ErrorResponse>.
        return ErrorFields(
            code: code, message: error?.string("Message") ?? "",
            requestID: error?.string("RequestId") ?? root.string("RequestId") ?? requestID(response))
    }
}

extension String {
    /// The text of a value S3 sent URL-encoded (`encoding-type=url`): S3 encodes as HTML forms do, a space as `+` and a
    /// plus as `%2B`, so `+` is decoded first (Python's `unquote_plus`, which botocore applies to the same elements).
    public var formURLDecoded: String {
        let spaced = replacingOccurrences(of: "+", with: " ")
        return spaced.removingPercentEncoding ?? spaced
    }
}
