import CairnJSON
import Foundation
import Testing

@testable import CairnAWS

@Suite struct RetryPolicyTests {
    @Test func backoffIsFullJitterDoublingFromOneSecondCappedAtTwentySeconds() {
        let policy = RetryPolicy.default
        #expect(policy.maxAttempts == 10)
        // The ceiling (jitter 1): 1, 2, 4, 8, 16, then 20 s for ever.
        #expect((1...9).map { policy.delay(afterAttempt: $0, jitter: 1) } == [1, 2, 4, 8, 16, 20, 20, 20, 20].map { Duration.seconds($0) })
        // Full jitter scales the ceiling.
        #expect(
            (1...7).map { policy.delay(afterAttempt: $0, jitter: 0.25) }
                == [.milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2), .seconds(4), .seconds(5), .seconds(5)])
        #expect(policy.delay(afterAttempt: 4, jitter: 0) == .zero)
        // A huge attempt number neither overflows nor exceeds the cap.
        #expect(policy.delay(afterAttempt: 1_000, jitter: 1) == .seconds(20))
        // Jitter outside [0, 1] is clamped.
        #expect(policy.delay(afterAttempt: 2, jitter: 7) == .seconds(2))
        #expect(policy.delay(afterAttempt: 2, jitter: -1) == .zero)
    }

    @Test func retryAfterReplacesTheBackoffAndIsBoundedByMaxRetryAfter() {
        let policy = RetryPolicy.default
        #expect(policy.delay(afterAttempt: 1, jitter: 0.9, retryAfter: 3) == .seconds(3))
        #expect(policy.delay(afterAttempt: 5, jitter: 0.9, retryAfter: 0.25) == .milliseconds(250))
        #expect(policy.delay(afterAttempt: 1, jitter: 0.5, retryAfter: 0) == .zero)
        #expect(policy.delay(afterAttempt: 1, jitter: 0.5, retryAfter: 600) == .seconds(60))
        // Absurd values must not trap converting to an integer.
        #expect(policy.delay(afterAttempt: 1, jitter: 0.5, retryAfter: 1e30) == .seconds(60))
        #expect(policy.delay(afterAttempt: 1, jitter: 0.5, retryAfter: .infinity) == .seconds(60))
        // A negative or NaN Retry-After is ignored: the backoff applies.
        #expect(policy.delay(afterAttempt: 1, jitter: 0.5, retryAfter: -4) == .milliseconds(500))
        #expect(policy.delay(afterAttempt: 1, jitter: 0.5, retryAfter: .nan) == .milliseconds(500))
    }

    @Test func whatIsRetryable() {
        let policy = RetryPolicy.default
        for code in [
            "Throttling", "ThrottlingException", "SlowDown", "RequestLimitExceeded", "TooManyRequestsException",
            "InternalError", "ServiceUnavailable", "RequestTimeout",
        ] {
            #expect(policy.isRetryable(status: 400, code: code), "\(code)")
        }
        for status in [429, 500, 502, 503, 504] {
            #expect(policy.isRetryable(status: status, code: nil), "\(status)")
        }
        for (status, code) in [
            (400, "ValidationException"), (400, "ValidationError"), (404, "NoSuchEntity"),
            (403, "AccessDenied"), (400, "InvalidParameterException"), (409, "BucketAlreadyExists"),
        ] {
            #expect(!policy.isRetryable(status: status, code: code), "\(status) \(code)")
        }
        #expect(!policy.isRetryable(status: 400, code: nil))
        #expect(!policy.isRetryable(status: 403, code: nil))
    }

    /// The README's "Which errors Cairn retries" table names exactly the codes and statuses the policy retries, and the
    /// quotas it does not, so that the two cannot drift apart.
    @Test func theReadmeTableNamesWhatThePolicyRetries() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let readme = try String(contentsOf: root.appendingPathComponent("README.md"), encoding: .utf8)
        let table = try #require(readme.components(separatedBy: "### Which errors Cairn retries").dropFirst().first)
        /// The codes (in backticks) and the HTTP statuses named in the examples of the row `answer`.
        func row(_ answer: String) throws -> (codes: Set<String>, statuses: Set<Int>) {
            let line = try #require(table.split(separator: "\n").first { $0.hasPrefix("| \(answer) |") }, "no row \(answer)")
            let examples = line.components(separatedBy: "|")[2]
            let codes = examples.components(separatedBy: "`").enumerated().filter { $0.offset % 2 == 1 }.map(\.element)
            let statuses = examples.components(separatedBy: CharacterSet(charactersIn: " ,;")).compactMap { Int($0) }
            return (Set(codes), Set(statuses))
        }
        let throttling = try row("throttling")
        let transient = try row("AWS's own transient faults")
        #expect(throttling.codes == RetryPolicy.throttlingCodes)
        #expect(transient.codes == RetryPolicy.transientCodes)
        #expect(throttling.statuses.union(transient.statuses) == RetryPolicy.retryableStatuses)
        #expect(try row("quotas").codes == RetryPolicy.quotaCodes)
    }

    @Test func maxAttemptsIsAtLeastOne() {
        #expect(RetryPolicy(maxAttempts: 0, base: .seconds(1), cap: .seconds(20)).maxAttempts == 1)
        #expect(RetryPolicy(maxAttempts: -3, base: .seconds(1), cap: .seconds(20)).maxAttempts == 1)
    }
}

@Suite struct ClientRetryTests {
    @Test func jsonThrottlingExceptionIsRetried() async throws {
        let transport = FakeTransport([
            .jsonError(400, "ThrottlingException", "Rate exceeded"),
            .jsonError(400, "com.amazonaws.ecr#ThrottlingException", "Rate exceeded"),
            .noRepositories,
        ])
        let clock = FakeClock()
        let result = try await makeClient(transport, clock: clock, retry: .standardMode).json(.ecr.describeRepositories, ["maxResults": 5])
        #expect(result == ["repositories": []])
        let requests = await transport.requests
        #expect(requests.count == 3)
        #expect(clock.sleeps == [.milliseconds(500), .seconds(1)])
        // Every attempt sends the same operation and body.
        #expect(Set(requests.map { $0.header("X-Amz-Target") }) == ["AmazonEC2ContainerRegistry_V20150921.DescribeRepositories"])
        #expect(Set(requests.map { String(decoding: $0.body, as: UTF8.self) }) == [#"{"maxResults":5}"#])
    }

    @Test func queryThrottlingIsRetried() async throws {
        let transport = FakeTransport([.queryError(400, "Throttling", "Rate exceeded"), .callerIdentity])
        let clock = FakeClock()
        let identity = try await makeClient(transport, clock: clock, retry: .standardMode).callerIdentity()
        #expect(identity == CallerIdentity(account: "123456789012", arn: "arn:aws:iam::123456789012:user/alice", userID: "AIDAEXAMPLE"))
        #expect(await transport.requestCount == 2)
        #expect(clock.sleeps == [.milliseconds(500)])
    }

    @Test func restXMLSlowDownIsRetried() async throws {
        let transport = FakeTransport([
            .s3Error(503, "SlowDown", "Please reduce your request rate."),
            .s3Error(503, "SlowDown", "Please reduce your request rate."),
            .s3Error(503, "SlowDown", "Please reduce your request rate."),
            .emptyBucketList,
        ])
        let clock = FakeClock()
        let response = try await makeClient(transport, clock: clock, jitter: 1, retry: .standardMode).restXML(.s3.listBuckets)
        #expect(response.status == 200)
        #expect(response.xml?.name == "ListAllMyBucketsResult")
        #expect(await transport.requestCount == 4)
        #expect(clock.sleeps == [.seconds(1), .seconds(2), .seconds(4)])
    }

    @Test(arguments: [500, 502, 503, 504])
    func serverErrorsAreRetried(status: Int) async throws {
        let transport = FakeTransport([
            .status(status, "<html><body><h1>\(status) Server Error</h1></body></html>", headers: ["Content-Type": "text/html"]),
            .callerIdentity,
        ])
        let clock = FakeClock()
        _ = try await makeClient(transport, clock: clock).callerIdentity()
        #expect(await transport.requestCount == 2)
        #expect(clock.sleeps == [.milliseconds(500)])
    }

    @Test(arguments: [
        TransportError.connectionLost(detail: "Connection reset by peer"), .timedOut(seconds: 60),
        .connectTimedOut(host: "aws.test:4566", seconds: 60),
    ])
    func connectionResetsAndTimeoutsAreRetried(failure: TransportError) async throws {
        let transport = FakeTransport([.failure(.connectionLost(detail: "Connection reset by peer")), .failure(failure), .noRepositories])
        let clock = FakeClock()
        let result = try await makeClient(transport, clock: clock, jitter: 0.75).json(.ecr.describeRepositories)
        #expect(result == ["repositories": []])
        #expect(await transport.requestCount == 3)
        #expect(clock.sleeps == [.milliseconds(750), .milliseconds(1500)])
    }

    /// A stalled endpoint costs two timeouts, not ten: the second ends the call whatever AWS_MAX_ATTEMPTS allows.
    @Test func aCallGivesUpAtItsSecondTimeout() async throws {
        let transport = FakeTransport([
            .failure(.timedOut(seconds: 60)), .failure(.connectionLost(detail: "reset")),
            .failure(.connectTimedOut(host: "aws.test:4566", seconds: 60)), .noRepositories,
        ])
        let clock = FakeClock()
        let error = try #require(
            await capture(AWSRequestError.self) { try await makeClient(transport, clock: clock).json(.ecr.describeRepositories) })
        #expect(error.attempts == 3)
        guard case .transport(.connectTimedOut) = error.reason else {
            Issue.record("reason \(error.reason)")
            return
        }
        #expect(await transport.requestCount == 3)
        #expect(clock.sleeps == [.milliseconds(500), .seconds(1)])

        let patient = FakeTransport([.failure(.timedOut(seconds: 60)), .failure(.timedOut(seconds: 60)), .noRepositories])
        let retry = RetryPolicy(maxAttempts: 10, base: .seconds(1), cap: .seconds(20), maxTimedOutAttempts: 3)
        _ = try await makeClient(patient, retry: retry).json(.ecr.describeRepositories)
        #expect(await patient.requestCount == 3)
    }

    @Test(arguments: [TransportError.cannotConnect(host: "aws.test:4566", detail: "Connection refused"), .other(detail: "TLS handshake failed")])
    func failuresThatNeverReachedAWSAreNotRetried(failure: TransportError) async throws {
        let transport = FakeTransport([.failure(failure), .noRepositories])
        let clock = FakeClock()
        let error = try #require(
            await capture(AWSRequestError.self) { try await makeClient(transport, clock: clock).json(.ecr.describeRepositories) })
        #expect(error.attempts == 1)
        guard case .transport(let reported) = error.reason else {
            Issue.record("reason \(error.reason)")
            return
        }
        #expect(reported == failure)
        #expect(await transport.requestCount == 1)
        #expect(clock.sleeps.isEmpty)
    }

    @Test func jsonValidationErrorsAreNotRetried() async throws {
        let transport = FakeTransport([.jsonError(400, "InvalidParameterException", "Invalid parameter at 'maxResults'"), .noRepositories])
        let clock = FakeClock()
        let error = try #require(
            await capture(AWSServiceError.self) { try await makeClient(transport, clock: clock).json(.ecr.describeRepositories) })
        #expect(error.code == "InvalidParameterException")
        #expect(error.status == 400)
        #expect(await transport.requestCount == 1)
        #expect(clock.sleeps.isEmpty)
    }

    @Test func queryValidationErrorsAreNotRetried() async throws {
        let transport = FakeTransport([.queryError(400, "ValidationError", "1 validation error detected"), .callerIdentity])
        let clock = FakeClock()
        let error = try #require(await capture(AWSServiceError.self) { try await makeClient(transport, clock: clock).query(.iam.listRoles) })
        #expect(error.code == "ValidationError")
        #expect(await transport.requestCount == 1)
        #expect(clock.sleeps.isEmpty)
    }

    @Test func restXMLClientErrorsAreNotRetried() async throws {
        let transport = FakeTransport([.s3Error(400, "InvalidBucketName", "The specified bucket is not valid."), .emptyBucketList])
        let clock = FakeClock()
        let error = try #require(
            await capture(AWSServiceError.self) {
                try await makeClient(transport, clock: clock).restXML(.s3.getBucketVersioning, ["Bucket": "Bad_Name"])
            })
        #expect(error.code == "InvalidBucketName")
        #expect(await transport.requestCount == 1)
        #expect(clock.sleeps.isEmpty)
    }

    @Test func maxAttemptsIsRespected() async throws {
        let transport = FakeTransport([.jsonError(503, "ServiceUnavailableException", "Service unavailable")])
        let clock = FakeClock()
        let client = makeClient(transport, clock: clock, retry: RetryPolicy(maxAttempts: 4, base: .seconds(1), cap: .seconds(20)))
        let error = try #require(await capture(AWSServiceError.self) { try await client.json(.ecr.describeRepositories) })
        #expect(
            error
                == AWSServiceError(
                    service: "ECR", operation: "DescribeRepositories", status: 503,
                    code: "ServiceUnavailableException", message: "Service unavailable", requestID: "req-json-1",
                    earlierAttemptMayHaveSucceeded: true))
        #expect(await transport.requestCount == 4)
        #expect(clock.sleeps == [.milliseconds(500), .seconds(1), .seconds(2)])
    }

    @Test func oneAttemptMeansNoRetry() async throws {
        let transport = FakeTransport([.queryError(400, "Throttling", "Rate exceeded"), .callerIdentity])
        let clock = FakeClock()
        let client = makeClient(transport, clock: clock, retry: RetryPolicy(maxAttempts: 1, base: .seconds(1), cap: .seconds(20)))
        let error = try #require(await capture(AWSServiceError.self) { try await client.callerIdentity() })
        #expect(error.code == "Throttling")
        #expect(await transport.requestCount == 1)
        #expect(clock.sleeps.isEmpty)
    }

    @Test func theDefaultPolicyWaitsTheFullJitterScheduleOverTenAttempts() async throws {
        let transport = FakeTransport([.queryError(400, "Throttling", "Rate exceeded")])
        let clock = FakeClock()
        let error = try #require(
            await capture(AWSServiceError.self) { try await makeClient(transport, clock: clock, jitter: 0.75, retry: .standardMode).callerIdentity() }
        )
        #expect(error.code == "Throttling")
        #expect(await transport.requestCount == 10)
        // min(20 s, 2^(n-1) s) × 0.75
        #expect(
            clock.sleeps == [
                .milliseconds(750), .milliseconds(1500), .seconds(3), .seconds(6), .seconds(12),
                .seconds(15), .seconds(15), .seconds(15), .seconds(15),
            ])
    }

    @Test func zeroJitterRetriesWithoutSleeping() async throws {
        let transport = FakeTransport([.status(502), .status(502), .callerIdentity])
        let clock = FakeClock()
        _ = try await makeClient(transport, clock: clock, jitter: 0).callerIdentity()
        #expect(await transport.requestCount == 3)
        #expect(clock.sleeps.isEmpty)
    }

    @Test func retryAfterIsHonoured() async throws {
        let transport = FakeTransport([
            .jsonError(503, "ServiceUnavailableException", "busy", headers: ["Retry-After": "7"]),
            .jsonError(429, "TooManyRequestsException", "slow down", headers: ["Retry-After": " 2 "]),
            .jsonError(503, "ServiceUnavailableException", "busy", headers: ["Retry-After": "0"]),
            // An HTTP-date Retry-After is not understood: the backoff applies.
            .jsonError(503, "ServiceUnavailableException", "busy", headers: ["Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"]),
            .noRepositories,
        ])
        let clock = FakeClock()
        _ = try await makeClient(transport, clock: clock, jitter: 0.5, retry: .standardMode).json(.ecr.describeRepositories)
        #expect(await transport.requestCount == 5)
        #expect(clock.sleeps == [.seconds(7), .seconds(2), .seconds(4)])  // attempt 4's backoff: 8 s × 0.5
    }

    @Test func aRetryAfterLongerThanMaxRetryAfterIsAnErrorNotAWait() async throws {
        for header in ["61", "3600", "1e30", "inf"] {
            let transport = FakeTransport([
                .queryError(503, "ServiceUnavailable", "Come back later", headers: ["Retry-After": header]), .callerIdentity,
            ])
            let clock = FakeClock()
            let error = try #require(await capture(AWSServiceError.self) { try await makeClient(transport, clock: clock).callerIdentity() })
            #expect(error.code == "ServiceUnavailable")
            #expect(await transport.requestCount == 1, "Retry-After: \(header)")
            #expect(clock.sleeps.isEmpty, "Retry-After: \(header)")
        }
        // 60 s exactly is still honoured.
        let transport = FakeTransport([.queryError(503, "ServiceUnavailable", "Come back later", headers: ["Retry-After": "60"]), .callerIdentity])
        let clock = FakeClock()
        _ = try await makeClient(transport, clock: clock).callerIdentity()
        #expect(clock.sleeps == [.seconds(60)])
    }

    @Test func everyAttemptIsSignedAfreshAtTheClocksTime() async throws {
        let transport = FakeTransport([.status(500), .callerIdentity])
        let clock = FakeClock()
        _ = try await makeClient(transport, clock: clock, jitter: 1).callerIdentity()
        let requests = await transport.requests
        // 2023-11-14T22:13:20Z, then one second of backoff later.
        #expect(requests.map { $0.header("X-Amz-Date") } == ["20231114T221320Z", "20231114T221321Z"])
        #expect(
            requests.allSatisfy {
                $0.header("Authorization")?.hasPrefix("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20231114/us-east-1/sts/aws4_request") == true
            })
        #expect(Set(requests.map { $0.header("Authorization") }).count == 2)
    }
}

@Suite struct MaxAttemptsConfigurationTests {
    private func resolve(_ home: TemporaryHome, _ extra: [String: String], transport: FakeTransport) throws -> AWSConfiguration {
        try AWSConfiguration.resolve(
            environment: home.environment(
                [
                    "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY": "secret", "AWS_REGION": "us-east-1",
                    "AWS_ENDPOINT_URL": fakeEndpoint.absoluteString,
                ].merging(extra) { $1 }),
            transport: transport, clock: FakeClock(), random: FixedRandom(0.5))
    }

    @Test func awsMaxAttemptsSetsTheNumberOfAttempts() async throws {
        let home = try TemporaryHome()
        defer { home.remove() }
        let transport = FakeTransport([.status(500, "<html>oops</html>", headers: ["Content-Type": "text/html"])])
        let configuration = try resolve(home, ["AWS_MAX_ATTEMPTS": "3"], transport: transport)
        #expect(configuration.retry == RetryPolicy(maxAttempts: 3, base: .seconds(1), cap: .seconds(20), maxRetryAfter: .seconds(60)))
        let clock = FakeClock()
        let client = configuration.client(transport: transport, clock: clock, random: FixedRandom(0.5))
        let error = try #require(await capture(AWSRequestError.self) { try await client.callerIdentity() })
        #expect(error.attempts == 3)
        #expect(await transport.requestCount == 3)
        #expect(clock.sleeps == [.milliseconds(500), .seconds(1)])
    }

    @Test func profileMaxAttemptsAppliesUnlessTheEnvironmentSetsIt() throws {
        let home = try TemporaryHome()
        defer { home.remove() }
        try home.write(config: "[default]\nmax_attempts = 5\n")
        let transport = FakeTransport([])
        #expect(try resolve(home, [:], transport: transport).retry.maxAttempts == 5)
        #expect(try resolve(home, ["AWS_MAX_ATTEMPTS": "2"], transport: transport).retry.maxAttempts == 2)
        try home.write(config: "[default]\n")
        #expect(try resolve(home, [:], transport: transport).retry.maxAttempts == 10)
    }

    @Test(arguments: ["0", "three", "-1", "2.5"])
    func invalidMaxAttemptsIsAnError(value: String) throws {
        let home = try TemporaryHome()
        defer { home.remove() }
        let error = #expect(throws: AWSConfigurationError.self) {
            try resolve(home, ["AWS_MAX_ATTEMPTS": value], transport: FakeTransport([]))
        }
        #expect(error?.message == "AWS_MAX_ATTEMPTS / max_attempts is '\(value)': set it to a whole number of at least 1.")
    }
}
