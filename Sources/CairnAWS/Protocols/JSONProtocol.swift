import CairnJSON
import Foundation

extension AWSClient {
    /// Calls an `awsJson1.x` operation: POST / with `X-Amz-Target` and the input as the JSON body.
    /// - Parameters:
    ///   - operation: a generated operation of a json-protocol service, e.g. `.ecr.describeRepositories`.
    ///   - input: the operation's input members.
    public func json(_ operation: JSONOperation, _ input: JSON = [:]) async throws -> JSON {
        let service = operation.service
        let operationName = operation.name
        let endpoint = endpoint(for: service)
        let request = WireRequest(
            method: operation.model.method, baseURL: endpoint.url, path: "/", query: nil,
            headers: [
                ("Content-Type", "application/x-amz-json-\(service.jsonVersion ?? "1.1")"),
                ("X-Amz-Target", "\(service.targetPrefix ?? "").\(operationName)"),
            ],
            body: Data(input.description.utf8))
        let response = try await send(request, service: service, operation: operationName, endpoint: endpoint, parseError: Self.jsonError)
        return try Self.decodeJSON(response, service: service, operation: operationName, endpoint: endpoint)
    }

    /// A JSON answer's body (`{}` when empty); one that does not parse is an unexpected answer, not an empty one.
    static func decodeJSON(_ response: HTTPResponse, service: ServiceModel, operation: String, endpoint: ResolvedEndpoint) throws -> JSON {
        if response.body.isEmpty { return [:] }
        do {
            return try JSON(parsing: [UInt8](response.body))
        } catch {
            throw AWSRequestError(
                service: service.serviceID, operation: operation, endpoint: endpoint.url.absoluteString, attempts: 1,
                reason: .unexpectedResponse(
                    status: response.status, contentType: response.headers["content-type"],
                    snippet: String(decoding: response.body.prefix(200), as: UTF8.self)),
                requestID: Self.requestID(response))
        }
    }

    /// Calls a paginated json operation until the last page and returns every page: while the paginator's
    /// more-results member (KMS's `Truncated`) says so, if it has one, and an output token is set.
    public func jsonPages(_ operation: JSONOperation, _ input: JSON = [:], maxPages: Int = 10_000) async throws -> [JSON] {
        guard let paginator = operation.model.paginator else {
            return [try await json(operation, input)]
        }
        var pages: [JSON] = []
        var request = input.objectValue ?? [:]
        var seen = Set<JSON>()
        while pages.count < maxPages {
            let page = try await json(operation, .object(request))
            pages.append(page)
            if let more = paginator.moreResults, page[more]?.boolValue != true { break }
            let tokens = paginator.outputTokens.map { page[$0] ?? .null }
            guard tokens.contains(where: { !$0.isNull && $0 != "" }), seen.insert(.array(tokens)).inserted else { break }
            for (name, token) in zip(paginator.inputTokens, tokens) { request[name] = token }
        }
        return pages
    }

    /// Every element of the paginator's result key across all pages (e.g. `repositories`).
    public func jsonAll(_ operation: JSONOperation, _ input: JSON = [:], key: String? = nil) async throws -> [JSON] {
        let resultKey = key ?? operation.model.paginator?.resultKeys.first
        guard let resultKey else { preconditionFailure("\(operation) has no result key: pass key:") }
        return try await jsonPages(operation, input).flatMap { $0[resultKey]?.arrayValue ?? [] }
    }

    /// `{"__type": "ns#Code", "message": …}`, or the `x-amzn-ErrorType` header.
    @Sendable static func jsonError(_ response: HTTPResponse) -> ErrorFields? {
        let body = try? JSON(parsing: [UInt8](response.body))
        // A front end that rejects the call before the service sees it (moto's signature check, some proxies)
        // may answer with a query-style XML error document: read its code rather than report an unknown body.
        if body == nil, response.headers["x-amzn-errortype"] == nil, response.body.first == UInt8(ascii: "<") {
            return queryError(response)
        }
        var code = response.headers["x-amzn-errortype"] ?? body?["__type"]?.stringValue ?? body?["code"]?.stringValue
        guard var raw = code, !raw.isEmpty else { return nil }
        // Either form may carry a namespace before '#' or a URL after ':'.
        if let colon = raw.firstIndex(of: ":") { raw = String(raw[..<colon]) }
        if let hash = raw.lastIndex(of: "#") { raw = String(raw[raw.index(after: hash)...]) }
        code = raw
        let message = body?["message"]?.stringValue ?? body?["Message"]?.stringValue ?? body?["errorMessage"]?.stringValue ?? ""
        return ErrorFields(code: raw, message: message, requestID: requestID(response))
    }
}
