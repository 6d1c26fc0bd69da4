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
    /// Whether the client learns each API's allowed rate from throttling (`AWS_RETRY_MODE`, `retry_mode`).
    public var mode: RetryMode
    /// In adaptive mode, how long one call keeps retrying answers that only say "slow down". There throttling does not
    /// use up `maxAttempts`: at AWS's rate limits a long apply is throttled often, and giving up on it would leave the
    /// work half done. This only bounds a service that never lets the call through.
    public var throttledFor: Duration

    public static let `default` = RetryPolicy(maxAttempts: 10, base: .seconds(1), cap: .seconds(20), maxRetryAfter: .seconds(60))

    public init(
        maxAttempts: Int, base: Duration, cap: Duration, maxRetryAfter: Duration = .seconds(60), maxTimedOutAttempts: Int = 2,
        mode: RetryMode = .adaptive, throttledFor: Duration = .seconds(900)
    ) {
        self.maxAttempts = max(1, maxAttempts)
        self.base = base
        self.cap = cap
        self.maxRetryAfter = maxRetryAfter
        self.maxTimedOutAttempts = max(1, maxTimedOutAttempts)
        self.mode = mode
        self.throttledFor = throttledFor
    }

    /// AWS error codes that mean "slow down" in some service.
    public static let throttlingCodes: Set<String> = [
        "Throttling", "ThrottlingException", "ThrottledException", "RequestThrottledException",
        "TooManyRequestsException", "ProvisionedThroughputExceededException", "TransactionInProgressException",
        "RequestLimitExceeded", "BandwidthLimitExceeded", "RequestThrottled", "SlowDown", "PriorRequestNotComplete",
        "EC2ThrottledException",
    ]

    /// AWS error codes for a quota (how many roles, repositories, rules an account may have): retrying cannot help,
    /// so they fail at once, with the quota AWS names. (Only EC2's `RequestLimitExceeded` is a request rate.)
    public static let quotaCodes: Set<String> = [
        "LimitExceeded", "LimitExceededException", "ServiceQuotaExceededException", "AccountLimitExceededException",
        "ResourceLimitExceeded", "ResourceLimitExceededException", "TooManyBuckets", "QuotaExceededException",
        // Services' own names for theirs (botocore's models): SNS topics and subscriptions, SSM parameters, CodeCommit
        // repositories, and the CloudFront quotas the distribution and origin access control calls answer with.
        "TopicLimitExceeded", "SubscriptionLimitExceeded", "ParameterLimitExceeded", "RepositoryLimitExceededException",
        "TooManyCacheBehaviors", "TooManyCertificates", "TooManyCookieNamesInWhiteList", "TooManyDistributionCNAMEs",
        "TooManyDistributions", "TooManyDistributionsAssociatedToCachePolicy", "TooManyDistributionsAssociatedToFieldLevelEncryptionConfig",
        "TooManyDistributionsAssociatedToKeyGroup", "TooManyDistributionsAssociatedToOriginAccessControl",
        "TooManyDistributionsAssociatedToOriginRequestPolicy", "TooManyDistributionsAssociatedToResponseHeadersPolicy",
        "TooManyDistributionsWithFunctionAssociations", "TooManyDistributionsWithLambdaAssociations",
        "TooManyDistributionsWithSingleFunctionARN", "TooManyFunctionAssociations", "TooManyHeadersInForwardedValues",
        "TooManyKeyGroupsAssociatedToDistribution", "TooManyLambdaFunctionAssociations", "TooManyOriginAccessControls",
        "TooManyOriginCustomHeaders", "TooManyOriginGroupsPerDistribution", "TooManyOrigins", "TooManyQueryStringParameters",
        "TooManyTrustedSigners",
    ]

    /// AWS error codes for transient faults on AWS's side.
    public static let transientCodes: Set<String> = [
        "RequestTimeout", "RequestTimeoutException", "InternalError", "InternalFailure", "InternalServerError",
        "ServiceUnavailable", "ServiceUnavailableException",
    ]

    /// Operations (`SERVICE.Operation`, by service id) that make something new each time and take no idempotency token:
    /// after an attempt that may have been carried out (no answer, or a 5xx) they are not sent again, since that
    /// could make a second one; the caller checks what AWS has instead.
    public static let notRepeatedWhenUncertain: Set<String> = ["KMS.CreateKey", "ECS.RegisterTaskDefinition"]

    /// HTTP statuses retried whatever the body says.
    public static let retryableStatuses: Set<Int> = [429, 500, 502, 503, 504, 509]

    /// Whether an answer with this status and error code deserves another attempt.
    public func isRetryable(status: Int, code: String?) -> Bool {
        if let code, Self.quotaCodes.contains(code) { return false }
        if let code, Self.throttlingCodes.contains(code) || Self.transientCodes.contains(code) { return true }
        return Self.retryableStatuses.contains(status)
    }

    /// Whether an answer says "slow down": a throttling code, or HTTP 429 whatever the code.
    public func isThrottling(status: Int, code: String?) -> Bool {
        if let code, Self.quotaCodes.contains(code) { return false }
        return status == 429 || code.map(Self.throttlingCodes.contains) == true
    }

    /// Whether a server's `Retry-After` (in seconds) is short enough to wait for; a longer one is answered with an error.
    public func honours(retryAfter: Double) -> Bool {
        retryAfter <= maxRetryAfter.seconds
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

/// How the client retries, as the AWS SDKs name it (`AWS_RETRY_MODE`, the profile's `retry_mode`).
public enum RetryMode: String, Sendable, Equatable {
    /// Retries with backoff only.
    case standard
    /// Retries with backoff, and paces each API AWS has throttled at the rate it learns AWS allows
    /// (``AdaptiveRateLimiter``). Cairn's default: provisioning sends bursts that IAM and CodeBuild throttle.
    case adaptive
}
