/// AWS answered a request with an error.
public struct AWSServiceError: Error, Sendable, CustomStringConvertible, Equatable {
    /// The service id, e.g. `ECR`.
    public let service: String
    public let operation: String
    public let status: Int
    /// AWS's error code, e.g. `RepositoryNotFoundException`, `NoSuchEntity`.
    public let code: String
    public let message: String
    public let requestID: String?
    /// An earlier attempt of the same call got no answer, or a 5xx, after its request may have reached AWS: AWS may
    /// have carried it out, and this answer (`EntityAlreadyExists` to a retried create) may be about that.
    public let earlierAttemptMayHaveSucceeded: Bool
    /// The region S3 says a bucket is in (its `x-amz-bucket-region` header), on an answer about a bucket asked in another
    /// region (`PermanentRedirect`); nil when the answer does not say.
    public let bucketRegion: String?

    public init(
        service: String, operation: String, status: Int, code: String, message: String, requestID: String?,
        earlierAttemptMayHaveSucceeded: Bool = false, bucketRegion: String? = nil
    ) {
        self.service = service
        self.operation = operation
        self.status = status
        self.code = code
        self.message = message
        self.requestID = requestID
        self.earlierAttemptMayHaveSucceeded = earlierAttemptMayHaveSucceeded
        self.bucketRegion = bucketRegion
    }

    /// The error AWS would give for `operation`, named by its service id and its name.
    public init(_ operation: some ServiceOperation, status: Int, code: String, message: String, requestID: String?) {
        self.init(
            service: operation.service.serviceID, operation: operation.name, status: status, code: code,
            message: message, requestID: requestID)
    }

    /// One sentence: what failed, AWS's own words, and what to do.
    public var description: String {
        var text = "\(service) \(operation) failed: \(code)"
        if !message.isEmpty { text += ": \(message)" }
        if !text.hasSuffix(".") { text += "." }
        if let advice = AWSServiceError.advice[code] {
            text += " " + advice
        } else if RetryPolicy.quotaCodes.contains(code) {
            text += " " + AWSServiceError.quotaAdvice
        }
        if let requestID { text += " (HTTP \(status), request id \(requestID))" } else { text += " (HTTP \(status))" }
        return text
    }

    /// What to do about a quota (AWS's message names it): waiting does not help, so Cairn does not retry.
    static let quotaAdvice =
        "This is an AWS quota on how many such resources or settings the account may have, not a request rate, so Cairn did not retry: remove ones no longer needed, or request an increase in the Service Quotas console (https://console.aws.amazon.com/servicequotas/)."

    /// What a user can do about the codes that mean the same thing in every service.
    static let advice: [String: String] = [
        "InvalidClientTokenId": "The access key id is not valid: check AWS_ACCESS_KEY_ID or the profile's aws_access_key_id.",
        "UnrecognizedClientException": "The access key id is not valid: check AWS_ACCESS_KEY_ID or the profile's aws_access_key_id.",
        "InvalidAccessKeyId": "The access key id is not valid: check AWS_ACCESS_KEY_ID or the profile's aws_access_key_id.",
        "AuthFailure":
            "AWS could not validate the credentials: check the access key id and the secret access key (AWS_SECRET_ACCESS_KEY or aws_secret_access_key), and the machine's clock.",
        "SignatureDoesNotMatch":
            "The request signature was rejected: check the secret access key (AWS_SECRET_ACCESS_KEY or aws_secret_access_key) and the machine's clock.",
        "InvalidSignatureException":
            "The request signature was rejected: check the secret access key (AWS_SECRET_ACCESS_KEY or aws_secret_access_key) and the machine's clock.",
        "IncompleteSignature": "The request signature was incomplete: check the credentials' configuration.",
        "ExpiredToken": "The session token has expired: obtain fresh credentials (for example `aws sso login` or a new role session).",
        "ExpiredTokenException": "The session token has expired: obtain fresh credentials (for example `aws sso login` or a new role session).",
        "RequestExpired": "The request was signed too long ago: check the machine's clock.",
        "AccessDenied": "Grant the caller the permission this call needs, or use other credentials.",
        "AccessDeniedException": "Grant the caller the permission this call needs, or use other credentials.",
        "UnauthorizedOperation": "Grant the caller the permission this call needs, or use other credentials.",
        "OptInRequired": "Enable the service or region for this account first.",
        // Another change to the same resource was under way. Where Terraform's AWS provider waits these out (IAM, an ECS
        // cluster's capacity providers) so does Cairn; elsewhere (SSM, EventBridge, CodePipeline) neither does.
        "TooManyUpdates": anotherChange, "ConcurrentModificationException": anotherChange, "ConcurrentModification": anotherChange,
        "UpdateInProgressException": anotherChange,
    ]

    static let anotherChange = "Another change to the same resource was under way: run the command again once it has finished."
}

/// A request got no usable answer from AWS: no connection, a timeout, or a body that is not AWS's.
public struct AWSRequestError: Error, Sendable, CustomStringConvertible {
    public enum Reason: Sendable {
        case transport(TransportError)
        /// An answer that is not an AWS error document (an HTML page from a proxy, a truncated body).
        case unexpectedResponse(status: Int, contentType: String?, snippet: String)
    }
    public let service: String
    public let operation: String
    public let endpoint: String
    public let attempts: Int
    public let reason: Reason
    public let requestID: String?

    public init(service: String, operation: String, endpoint: String, attempts: Int, reason: Reason, requestID: String? = nil) {
        self.service = service
        self.operation = operation
        self.endpoint = endpoint
        self.attempts = attempts
        self.reason = reason
        self.requestID = requestID
    }

    public var description: String {
        let tries = attempts > 1 ? " after \(attempts) attempts" : ""
        switch reason {
        case .transport(.cannotConnect(let host, let detail)):
            return
                "Cannot reach \(service) at \(endpoint) (\(host): \(detail))\(tries). Check the endpoint (AWS_ENDPOINT_URL, the profile's endpoint_url) and the network."
        case .transport(.connectTimedOut(let host, let seconds)):
            return
                "Cannot connect to \(service) at \(endpoint) (\(host)) within \(formatSeconds(seconds)) s\(tries). Check the endpoint and the network, or raise CAIRN_HTTP_CONNECT_TIMEOUT or the profile's cli_connect_timeout."
        case .transport(.timedOut(let seconds)):
            return
                "\(service) \(operation) got no answer from \(endpoint) within \(formatSeconds(seconds)) s\(tries). Check the network, or raise CAIRN_HTTP_TIMEOUT or the profile's cli_read_timeout."
        case .transport(.connectionLost(let detail)):
            return
                "The connection to \(service) at \(endpoint) broke during \(operation) (\(detail))\(tries). Check the network and run the command again."
        case .transport(.other(let detail)):
            return "\(service) \(operation) to \(endpoint) failed below HTTP (\(detail))\(tries). Check the endpoint and TLS settings."
        case .unexpectedResponse(let status, let contentType, let snippet):
            let kind = contentType.map { " (\($0))" } ?? ""
            let id = requestID.map { ", request id \($0)" } ?? ""
            return
                "\(service) \(operation) answered HTTP \(status) with a body that is not an AWS response\(kind)\(tries)\(id): \"\(snippet)\". If AWS_ENDPOINT_URL points at a proxy or emulator, check that it serves this operation."
        }
    }
}
