import Foundation

/// Form parameters for the query and ec2 protocols, flattened by the protocol's rules:
/// lists as `Name.member.N` (query) or `Name.N` (ec2), maps as `Name.entry.N.key` / `.value`.
public struct QueryParameters: Sendable, ExpressibleByDictionaryLiteral {
    public private(set) var fields: [(String, String)] = []
    public var ec2Style = false

    public init() {}
    public init(dictionaryLiteral elements: (String, String)...) { fields = elements }

    public subscript(name: String) -> String? {
        get { fields.last { $0.0 == name }?.1 }
        set {
            fields.removeAll { $0.0 == name }
            if let newValue { fields.append((name, newValue)) }
        }
    }

    /// A list of scalars.
    public mutating func list(_ name: String, _ values: [String]) {
        for (i, value) in values.enumerated() { fields.append(("\(listPrefix(name)).\(i + 1)", value)) }
    }

    /// A list of structures with scalar members (e.g. tags: `Key`, `Value`).
    public mutating func list(_ name: String, _ values: [[String: String]]) {
        for (i, value) in values.enumerated() {
            for key in value.keys.sorted() { fields.append(("\(listPrefix(name)).\(i + 1).\(key)", value[key]!)) }
        }
    }

    /// A map of strings (e.g. SNS `Attributes`).
    public mutating func map(_ name: String, _ values: [String: String], keyName: String = "key", valueName: String = "value") {
        for (i, key) in values.keys.sorted().enumerated() {
            fields.append(("\(name).entry.\(i + 1).\(keyName)", key))
            fields.append(("\(name).entry.\(i + 1).\(valueName)", values[key]!))
        }
    }

    private func listPrefix(_ name: String) -> String { ec2Style ? name : "\(name).member" }

    /// `application/x-www-form-urlencoded` with RFC 3986 escaping.
    /// Spaces go as `+`, as botocore sends them: AWS accepts either, and servers that re-encode the
    /// form to check the signature (moto) expect this form.
    func encoded(action: String, version: String) -> String {
        // Lists built before the protocol was known (query() sets ec2Style) still get ec2's `Name.N` form.
        ([("Action", action), ("Version", version)] + fields.map { (ec2Style ? $0.0.replacingOccurrences(of: ".member.", with: ".") : $0.0, $0.1) })
            .map { "\(formEncode($0.0))=\(formEncode($0.1))" }
            .joined(separator: "&")
    }

    private func formEncode(_ value: String) -> String {
        percentEncode(value).replacingOccurrences(of: "%20", with: "+")
    }
}

/// Percent-encodes everything but RFC 3986's unreserved characters, as AWS requires.
func percentEncode(_ value: String, keepSlash: Bool = false) -> String {
    var out = ""
    for byte in value.utf8 {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
            UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "~"):
            out.unicodeScalars.append(UnicodeScalar(byte))
        case UInt8(ascii: "/") where keepSlash:
            out += "/"
        default:
            out += String(format: "%%%02X", byte)
        }
    }
    return out
}

extension AWSClient {
    /// Calls a query- or ec2-protocol operation and returns the `<OperationResult>` element
    /// (for ec2, the response root, which holds the members directly).
    /// - Parameters:
    ///   - operation: a generated operation of a query- or ec2-protocol service, e.g. `.iam.getRole`.
    ///   - parameters: the operation's input members.
    public func query(_ operation: QueryOperation, _ parameters: QueryParameters = QueryParameters()) async throws -> XMLNode {
        let service = operation.service
        let operationName = operation.name
        let endpoint = endpoint(for: service)
        var parameters = parameters
        parameters.ec2Style = service.protocol == .ec2
        let request = WireRequest(
            method: operation.model.method, baseURL: endpoint.url, path: "/", query: nil,
            headers: [("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")],
            body: Data(parameters.encoded(action: operationName, version: service.apiVersion).utf8))
        let response = try await send(request, service: service, operation: operationName, endpoint: endpoint, parseError: Self.queryError)
        let root: XMLNode
        do {
            root = try XMLNode.parse(response.body)
        } catch {
            throw AWSRequestError(
                service: service.serviceID, operation: operationName, endpoint: endpoint.url.absoluteString, attempts: 1,
                reason: .unexpectedResponse(
                    status: response.status, contentType: response.headers["content-type"],
                    snippet: String(decoding: response.body.prefix(200), as: UTF8.self)),
                requestID: Self.requestID(response))
        }
        if service.protocol == .ec2 { return root }
        return root["\(operationName)Result"] ?? XMLNode("\(operationName)Result")
    }

    /// Calls a paginated query operation until the last page and returns every page's result element.
    public func queryPages(
        _ operation: QueryOperation, _ parameters: QueryParameters = QueryParameters(), maxPages: Int = 10_000
    ) async throws -> [XMLNode] {
        guard let paginator = operation.model.paginator else {
            return [try await query(operation, parameters)]
        }
        var pages: [XMLNode] = []
        var request = parameters
        var seen = Set<[String]>()
        while pages.count < maxPages {
            let page = try await query(operation, request)
            pages.append(page)
            if let more = paginator.moreResults, page.string(more) != "true" { break }
            // ec2 answers with lower-camel-case element names (`nextToken` for the model's `NextToken`).
            let tokens = paginator.outputTokens.map { name in
                page.string(name) ?? (operation.service.protocol == .ec2 ? page.string(name.prefix(1).lowercased() + name.dropFirst()) : nil) ?? ""
            }
            // An answer that repeats its token would loop forever.
            guard tokens.contains(where: { !$0.isEmpty }), seen.insert(tokens).inserted else { break }
            for (name, token) in zip(paginator.inputTokens, tokens) { request[name] = token }
        }
        return pages
    }

    /// Every item of the paginator's result list across all pages (e.g. the `member`s of `Roles`).
    public func queryAll(_ operation: QueryOperation, _ parameters: QueryParameters = QueryParameters(), key: String? = nil) async throws -> [XMLNode]
    {
        let resultKey = key ?? operation.model.paginator?.resultKeys.first
        guard let resultKey else { preconditionFailure("\(operation) has no result key: pass key:") }
        return try await queryPages(operation, parameters).flatMap { $0.list(resultKey) }
    }

    /// `<ErrorResponse><Error><Code>…` (query) or `<Response><Errors><Error><Code>…` (ec2).
    @Sendable static func queryError(_ response: HTTPResponse) -> ErrorFields? {
        guard let root = try? XMLNode.parse(response.body) else { return nil }
        let error = root["Error"] ?? root.path("Errors", "Error")
        guard let code = error?.string("Code"), !code.isEmpty else { return nil }
        return ErrorFields(
            code: code, message: error?.string("Message") ?? "",
            requestID: root.string("RequestId") ?? root.string("RequestID") ?? requestID(response))
    }
}
