import Foundation

/// Who the credentials belong to (`sts:GetCallerIdentity`).
public struct CallerIdentity: Sendable, Equatable {
    public var account: String
    public var arn: String
    public var userID: String
}

extension AWSClient {
    /// Asks STS who the credentials belong to; needs no permissions.
    public func callerIdentity() async throws -> CallerIdentity {
        let operation: QueryOperation = .sts.getCallerIdentity
        let result = try await query(operation, [:])
        guard let account = result.string("Account"), let arn = result.string("Arn") else {
            throw AWSRequestError(
                service: operation.service.serviceID, operation: operation.name, endpoint: endpoint(for: .sts).url.absoluteString,
                attempts: 1, reason: .unexpectedResponse(status: 200, contentType: nil, snippet: "no Account or Arn in the answer"))
        }
        return CallerIdentity(account: account, arn: arn, userID: result.string("UserId") ?? "")
    }
}
