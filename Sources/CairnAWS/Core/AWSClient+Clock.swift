extension AWSClient {
    /// The clock the client sleeps and signs with, for callers that wait on AWS (a resource reaching a
    /// state) with the same injected time as the client's retries.
    public var waitClock: any AWSClock { clock }

    /// The random source the client's retry jitter draws from, for callers that need a token no one else will send
    /// (CloudFront's CallerReference), fixed in tests like the jitter.
    public var randomSource: any RandomSource { random }
}
