extension AWSClient {
    /// The clock the client sleeps and signs with, for callers that wait on AWS (a resource reaching a
    /// state) with the same injected time as the client's retries.
    public var waitClock: any AWSClock { clock }
}
