import CairnJSON
import Foundation

extension AWSClient {
    /// Calls a rest-json operation: the input members the model binds to the URI, the query string and headers go
    /// there (as strings); the others form the JSON body, sent as botocore sends it (`{}` when the input has body
    /// members but none is given). Unsigned operations (`unsigned` in the model) go without a signature.
    /// - Parameters:
    ///   - operation: a generated rest-json operation, e.g. `.sso.getRoleCredentials`.
    ///   - input: the operation's input members, by their model names.
    public func restJSON(_ operation: RestJSONOperation, _ input: JSON = [:]) async throws -> JSON {
        let service = operation.service
        let model = operation.model
        let endpoint = endpoint(for: service)
        var members = input.objectValue ?? [:]
        var bound: [String: String] = [:]
        for binding in model.bindings {
            guard let value = members.removeValue(forKey: binding.member) else { continue }
            bound[binding.member] = value.stringValue ?? value.description
        }
        let parts = model.requestURI.split(separator: "?", maxSplits: 1).map(String.init)
        var queryItems: [String] = parts.count > 1 ? parts[1].split(separator: "&").map(String.init) : []
        let (path, boundHeaders) = Self.bind(bound, template: parts[0], bindings: model.bindings, query: &queryItems, operation: model.name)
        var headers = boundHeaders
        var body = Data()
        if !members.isEmpty || model.jsonBody {
            body = Data(JSON.object(members).description.utf8)
            headers.append(("Content-Type", "application/json"))
        }
        var request = WireRequest(
            method: model.method, baseURL: endpoint.url, path: path, query: queryItems.isEmpty ? nil : queryItems.joined(separator: "&"),
            headers: headers, body: body)
        request.unsigned = model.unsigned
        let response = try await send(request, service: service, operation: model.name, endpoint: endpoint, parseError: Self.jsonError)
        return try Self.decodeJSON(response, service: service, operation: model.name, endpoint: endpoint)
    }
}
