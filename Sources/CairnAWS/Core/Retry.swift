/// When and how long to retry. AWS's SDKs retry 3 times by default; provisioning runs long and
/// meets throttling in bursts, so Cairn, like Terraform's AWS provider, tries harder.
public struct RetryPolicy: Sendable, Equatable {
    /// Total attempts, the first included. `AWS_MAX_ATTEMPTS` sets it, as for the SDKs.
    public var maxAttempts: Int
    /// The backoff before attempt n+1 is uniform in [0, min(cap, base × 2ⁿ⁻¹)] ("full jitter").
    public var base: Duration
    public var cap: Duration
    /// The longest `Retry-After` honoured; a server asking for more is answered with an error instead.
    public var maxRetryAfter: Duration
    /// Attempts that may time out before a call gives up, within `maxAttempts`. One retry recovers a dropped
    /// connection; a second timeout means a stalled endpoint, which 10 × 60 s of waiting would not cure.
    public var maxTimedOutAttempts: Int

    public static let `default` = RetryPolicy(maxAttempts: 10, base: .seconds(1), cap: .seconds(20), maxRetryAfter: .seconds(60))

    public init(maxAttempts: Int, base: Duration, cap: Duration, maxRetryAfter: Duration = .seconds(60), maxTimedOutAttempts: Int = 2) {
        self.maxAttempts = max(1, maxAttempts)
        self.base = base
        self.cap = cap
        self.maxRetryAfter = maxRetryAfter
        self.maxTimedOutAttempts = max(1, maxTimedOutAttempts)
    }

    /// AWS error codes that mean "slow down" in some service.
    public static let throttlingCodes: Set<String> = [
        "Throttling", "ThrottlingException", "ThrottledException", "RequestThrottledException",
        "TooManyRequestsException", "ProvisionedThroughputExceededException", "TransactionInProgressException",
        "RequestLimitExceeded", "BandwidthLimitExceeded", "LimitExceededException", "RequestThrottled",
        "SlowDown", "PriorRequestNotComplete", "EC2ThrottledException",
    ]

    /// AWS error codes for transient faults on AWS's side.
    public static let transientCodes: Set<String> = [
        "RequestTimeout", "RequestTimeoutException", "InternalError", "InternalFailure", "InternalServerError",
        "ServiceUnavailable", "ServiceUnavailableException",
    ]

    /// HTTP statuses retried whatever the body says.
    public static let retryableStatuses: Set<Int> = [429, 500, 502, 503, 504, 509]

    /// Whether an answer with this status and error code deserves another attempt.
    public func isRetryable(status: Int, code: String?) -> Bool {
        if let code, Self.throttlingCodes.contains(code) || Self.transientCodes.contains(code) { return true }
        // IAM answers some throttling as 400 LimitExceeded; everything else at 4xx is final.
        return Self.retryableStatuses.contains(status)
    }

    /// Whether a server's `Retry-After` (in seconds) is short enough to wait for; a longer one is answered with an error.
    public func honours(retryAfter: Double) -> Bool {
        retryAfter <= Double(maxRetryAfter.components.seconds) + Double(maxRetryAfter.components.attoseconds) / 1e18
    }

    /// The wait before attempt `attempt + 1` (attempt counts from 1), given a jitter in [0, 1)
    /// and the server's `Retry-After` in seconds, if any.
    public func delay(afterAttempt attempt: Int, jitter: Double, retryAfter: Double? = nil) -> Duration {
        if let retryAfter, retryAfter >= 0 {  // NaN fails the comparison and falls through to the backoff
            // Compared as a Double first: converting 1e30 or infinity to an integer would trap.
            return honours(retryAfter: retryAfter) ? .milliseconds(Int64(retryAfter * 1000)) : maxRetryAfter
        }
        let exponent = min(attempt - 1, 30)
        let ceiling = min(cap, base * (1 << exponent))
        return ceiling * min(max(jitter, 0), 1)
    }
}
