import Foundation
import Testing

@testable import CairnAWS

/// The adaptive retry mode's rate learning, on an injected clock: no test here waits or measures real time.
@Suite struct AdaptiveRateLimiterTests {
    @Test func anAPINeverThrottledIsNeverPaced() async {
        let clock = FakeClock()
        let limiter = AdaptiveRateLimiter(clock: clock)
        for _ in 0..<1_000 {
            #expect(await limiter.admit("us-east-1/IAM.GetRole") == .unpaced)
            await limiter.record("us-east-1/IAM.GetRole", throttled: false)
        }
        #expect(await limiter.rate(of: "us-east-1/IAM.GetRole") == nil)
    }

    @Test func aThrottleCutsTheRateTo70PercentOfWhatWasSentAndOnlyForThatAPI() async {
        let clock = FakeClock()
        let limiter = AdaptiveRateLimiter(clock: clock)
        // Ten answers a second for two seconds, then a throttle.
        await answer(limiter, "IAM.CreateRole", count: 20, clock: clock)
        await limiter.record("IAM.CreateRole", throttled: true)
        let rate = await limiter.rate(of: "IAM.CreateRole")
        #expect(rate.map { abs($0 - 7) < 0.5 } == true, "\(String(describing: rate))")
        #expect(await limiter.rate(of: "IAM.GetRole") == nil)
        // Right after the cut there is no token: the next request waits about 1/7 s.
        let admission = await limiter.admit("IAM.CreateRole")
        guard case .wait(let wait) = admission else {
            Issue.record("no token right after the cut: \(admission)")
            return
        }
        #expect(wait > .milliseconds(100) && wait < .milliseconds(200), "\(wait)")
    }

    /// Five answers at once and then a throttle: AWS's bucket held five. The pace starts at five a second, not 70% of
    /// it, and climbs from there to probe.
    @Test func aFirstThrottleEndingABurstPacesAtTheBurstsSizeWithoutACut() async {
        let clock = FakeClock()
        let limiter = AdaptiveRateLimiter(clock: clock)
        for _ in 0..<5 { await limiter.record("ECS.CreateCluster", throttled: false) }
        clock.advance(by: 0.05)
        await limiter.record("ECS.CreateCluster", throttled: true)
        #expect(await limiter.rate(of: "ECS.CreateCluster") == 5)
        var rates: [Double] = []
        for _ in 0..<50 {
            clock.advance(by: 0.1)
            await limiter.record("ECS.CreateCluster", throttled: false)
            rates.append(await limiter.rate(of: "ECS.CreateCluster")!)
        }
        // Never below 5, slowly above it at first (CUBIC near where AWS said no), then faster.
        #expect(rates.allSatisfy { $0 >= 5 - 0.01 }, "\(rates)")
        #expect(rates[9] < 5.2 && rates.last! > 10, "\(rates)")
        // A throttle after that cuts as any other: to 70% of what was being sent (ten answers a second here).
        await limiter.record("ECS.CreateCluster", throttled: true)
        let cut = await limiter.rate(of: "ECS.CreateCluster")!
        #expect(abs(cut - 7) < 0.5, "\(cut)")
    }

    /// A request to an API never throttled goes unpaced; once AWS throttles it, a request takes a token or waits for
    /// one (the client asks again, with a connection in hand, when the request passed unpaced).
    @Test func admissionSaysWhetherARequestWasPaced() async {
        let clock = FakeClock()
        let limiter = AdaptiveRateLimiter(clock: clock)
        #expect(await limiter.admit("SNS.Publish") == .unpaced)
        for _ in 0..<5 { await limiter.record("SNS.Publish", throttled: false) }
        await limiter.record("SNS.Publish", throttled: true)
        guard case .wait(let wait) = await limiter.admit("SNS.Publish") else {
            Issue.record("a throttled API with no token left must wait")
            return
        }
        clock.advance(by: wait.seconds)
        #expect(await limiter.admit("SNS.Publish") == .admitted)
    }

    @Test func throttlesOfRequestsSentBeforeTheCutDoNotCutAgain() async {
        let clock = FakeClock()
        let limiter = AdaptiveRateLimiter(clock: clock)
        await answer(limiter, "CodeBuild.CreateProject", count: 20, clock: clock)
        let sentBefore = clock.now()
        clock.advance(by: 0.05)
        await limiter.record("CodeBuild.CreateProject", throttled: true, sent: sentBefore)
        let afterFirst = await limiter.rate(of: "CodeBuild.CreateProject")
        // Nine more requests of the same burst come back throttled.
        for _ in 0..<9 { await limiter.record("CodeBuild.CreateProject", throttled: true, sent: sentBefore) }
        #expect(await limiter.rate(of: "CodeBuild.CreateProject") == afterFirst)
        // A request sent after the cut and still throttled cuts again.
        let sentAfter = clock.now()
        clock.advance(by: 0.05)
        await limiter.record("CodeBuild.CreateProject", throttled: true, sent: sentAfter)
        #expect(await limiter.rate(of: "CodeBuild.CreateProject")! < afterFirst!)
    }

    @Test func theRateGrowsBackToWhereAWSSaidNoAndBeyond() async {
        let clock = FakeClock()
        let limiter = AdaptiveRateLimiter(clock: clock)
        await answer(limiter, "ECR.CreateRepository", count: 40, clock: clock)
        await limiter.record("ECR.CreateRepository", throttled: true)
        let cut = await limiter.rate(of: "ECR.CreateRepository")!
        var rates: [Double] = []
        for _ in 0..<60 {
            clock.advance(by: 0.1)
            await limiter.record("ECR.CreateRepository", throttled: false)
            rates.append(await limiter.rate(of: "ECR.CreateRepository")!)
        }
        #expect(rates.allSatisfy { $0 >= cut - 0.01 })
        #expect(rates.last! > 10, "\(rates)")
    }

    /// `count` successful answers to `api`, ten a second.
    private func answer(_ limiter: AdaptiveRateLimiter, _ api: String, count: Int, clock: FakeClock) async {
        for _ in 0..<count {
            await limiter.record(api, throttled: false)
            clock.advance(by: 0.1)
        }
    }

    /// Ten operations at once against an API that allows 5 requests a second (a token bucket holding one second's
    /// worth, as AWS's are), in simulated time: the client learns the rate, so that at least 90% of the allowed rate
    /// gets through and at most 10% of requests are throttled, and no call gives up. The simulation's time is the
    /// injected clock's; nothing here measures real time.
    ///
    /// The first burst is throttled before any rate is known (ten requests against a bucket of five), which weighs more
    /// in a short run: 100 calls are allowed 15%.
    @Test(arguments: [(100, 0.15), (300, 0.1), (1_000, 0.1)])
    func tenConcurrentCallersLearnTheAllowedRate(calls: Int, throttledAtMost: Double) async {
        let result = await Simulation(calls: calls, callers: 10, allowedRate: 5).run()
        #expect(result.completed == calls)
        #expect(result.goodput >= 0.9 * 5, "goodput \(result.goodput)/s")
        #expect(result.throttledShare <= throttledAtMost, "throttled \(result.throttledShare)")
    }

    @Test func withoutPacingTheSameLoadIsThrottledMostOfTheTime() async {
        let result = await Simulation(calls: 300, callers: 10, allowedRate: 5, adaptive: false).run()
        #expect(result.throttledShare > 0.3, "throttled \(result.throttledShare)")
    }
}

/// A discrete-event simulation of callers sharing one `AdaptiveRateLimiter`, against a server that throttles above a
/// token-bucket rate; the limiter reads the simulation's clock, set before each event.
private struct Simulation {
    let calls: Int
    let callers: Int
    let allowedRate: Double
    var adaptive = true
    let latency = 0.05

    struct Result {
        var completed = 0
        var requests = 0
        var throttled = 0
        var finished = 0.0
        var goodput: Double { Double(completed) / finished }
        var throttledShare: Double { Double(throttled) / Double(requests) }
    }

    enum Step {
        case acquire, send
        case answer(ok: Bool, sent: Date)
    }
    struct Event {
        var time: Double
        var order: Int
        var caller: Int
        var step: Step
        var throttles: Int
    }

    func run() async -> Result {
        let clock = FakeClock(Date(timeIntervalSinceReferenceDate: 0))
        let limiter = AdaptiveRateLimiter(clock: clock)
        var random = SplitMix(seed: 42)
        var tokens = allowedRate
        var lastFill = 0.0
        var result = Result()
        var queue: [Event] = []
        var order = 0
        func schedule(_ time: Double, _ caller: Int, _ step: Step, _ throttles: Int) {
            order += 1
            queue.append(Event(time: time, order: order, caller: caller, step: step, throttles: throttles))
        }
        var remaining = calls
        for caller in 0..<min(callers, calls) {
            remaining -= 1
            schedule(0, caller, .acquire, 0)
        }
        while let next = queue.min(by: { ($0.time, $0.order) < ($1.time, $1.order) }) {
            queue.removeAll { $0.order == next.order }
            clock.set(Date(timeIntervalSinceReferenceDate: next.time))
            let now = next.time
            switch next.step {
            case .acquire:
                var wait = Duration.zero
                if adaptive, case .wait(let pause) = await limiter.admit("API") { wait = pause }
                schedule(now + wait.seconds, next.caller, wait == .zero ? .send : .acquire, next.throttles)
            case .send:
                result.requests += 1
                tokens = min(allowedRate, tokens + (now - lastFill) * allowedRate)
                lastFill = now
                let ok = tokens >= 1
                if ok { tokens -= 1 } else { result.throttled += 1 }
                schedule(now + latency, next.caller, .answer(ok: ok, sent: clock.now()), next.throttles)
            case .answer(let ok, let sent):
                if adaptive { await limiter.record("API", throttled: !ok, sent: sent) }
                if ok {
                    result.completed += 1
                    result.finished = now
                    if remaining > 0 {
                        remaining -= 1
                        schedule(now, next.caller, .acquire, 0)
                    }
                } else {
                    // The client's backoff: full jitter, 1 s doubling.
                    let throttles = next.throttles + 1
                    let backoff = RetryPolicy.default.delay(afterAttempt: throttles, jitter: random.unit())
                    schedule(now + backoff.seconds, next.caller, .acquire, throttles)
                }
            }
        }
        return result
    }
}

/// A small seeded generator, so the simulation is the same on every run.
private struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func unit() -> Double {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return Double((z ^ (z >> 31)) >> 11) / Double(1 << 53)
    }
}

/// The client in adaptive mode (the default): throttling uses up time, not attempts; quotas are never retried.
@Suite struct AdaptiveClientTests {
    @Test func aCallThrottledThirtyTimesStillSucceeds() async throws {
        let transport = FakeTransport(
            Array(repeating: .queryError(400, "Throttling", "Rate exceeded"), count: 30) + [.callerIdentity])
        let clock = FakeClock()
        let identity = try await makeClient(transport, clock: clock).callerIdentity()
        #expect(identity.account == "123456789012")
        #expect(await transport.requestCount == 31)
    }

    @Test func aCallThrottledForLongerThanThrottledForFails() async throws {
        let transport = FakeTransport([.queryError(400, "Throttling", "Rate exceeded")])
        let clock = FakeClock()
        var policy = RetryPolicy.default
        policy.throttledFor = .seconds(120)
        let error = try #require(
            await capture(AWSServiceError.self) { try await makeClient(transport, clock: clock, retry: policy).callerIdentity() })
        #expect(error.code == "Throttling")
        // The injected clock's time, not real time: the client stopped once 120 s of throttling had passed.
        let slept = clock.sleeps.reduce(Duration.zero, +)
        #expect(slept >= .seconds(120) && slept < .seconds(150), "\(slept)")
    }

    @Test func otherErrorsStillUseUpAttempts() async throws {
        let transport = FakeTransport([.jsonError(503, "ServiceUnavailableException", "busy")])
        let error = try #require(await capture(AWSServiceError.self) { try await makeClient(transport).json(.ecr.describeRepositories) })
        #expect(error.code == "ServiceUnavailableException")
        #expect(await transport.requestCount == 10)
    }

    /// A quota is not a rate: IAM's LimitExceeded, ECR's LimitExceededException fail at once, naming the quota; so do the
    /// services' own names for theirs (SNS, SSM, CodeCommit, CloudFront).
    @Test(arguments: [
        ("LimitExceeded", "Cannot exceed quota for RolesPerAccount: 1000"),
        ("LimitExceededException", "The maximum number of repositories has been reached."),
        ("ServiceQuotaExceededException", "You have reached the quota for rules."),
        ("TopicLimitExceeded", "Topic limit exceeded"),
        ("SubscriptionLimitExceeded", "Subscription limit exceeded"),
        ("ParameterLimitExceeded", "You have exceeded the number of parameters for this AWS account."),
        ("RepositoryLimitExceededException", "The maximum number of allowed repositories was exceeded."),
        ("TooManyDistributions", "Processing your request would cause you to exceed the maximum number of distributions allowed."),
        ("TooManyOriginAccessControls", "The number of origin access controls in your account exceeds the maximum allowed."),
    ])
    func quotasFailAtOnceNamingTheQuota(code: String, message: String) async throws {
        let transport = FakeTransport([.jsonError(400, code, message), .noRepositories])
        let clock = FakeClock()
        let error = try #require(
            await capture(AWSServiceError.self) { try await makeClient(transport, clock: clock).json(.ecr.describeRepositories) })
        #expect(await transport.requestCount == 1)
        #expect(clock.sleeps.isEmpty)
        #expect(error.description.contains(message))
        #expect(error.description.contains("AWS quota"), "\(error)")
        #expect(error.description.contains("Service Quotas console"))
    }

    @Test func throttlingPacesOnlyTheThrottledOperation() async throws {
        let transport = FakeTransport([.jsonError(400, "ThrottlingException", "Rate exceeded"), .noRepositories, .noRepositories])
        let clock = FakeClock()
        let client = makeClient(transport, clock: clock, jitter: 0)
        _ = try await client.json(.ecr.describeRepositories)
        #expect(await client.rates?.rate(of: "us-east-1/ECR.DescribeRepositories") != nil)
        #expect(await client.rates?.rate(of: "us-east-1/ECR.ListImages") == nil)
        #expect(await client.rates?.rate(of: "eu-west-1/ECR.DescribeRepositories") == nil)
    }
}

@Suite struct RetryModeConfigurationTests {
    private func mode(_ environment: [String: String], config: String? = nil) throws -> RetryMode {
        let home = try TemporaryHome()
        defer { home.remove() }
        if let config { try home.write(config: config) }
        let base = [
            "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY": "secret", "AWS_REGION": "us-east-1",
            "AWS_ENDPOINT_URL": fakeEndpoint.absoluteString,
        ]
        return try AWSConfiguration.resolve(
            environment: home.environment(base.merging(environment) { $1 }), transport: FakeTransport([]), clock: FakeClock(),
            random: FixedRandom(0.5)
        ).retry.mode
    }

    @Test func adaptiveUnlessAWSRetryModeOrTheProfileSaysOtherwise() throws {
        #expect(try mode([:]) == .adaptive)
        #expect(try mode(["AWS_RETRY_MODE": "standard"]) == .standard)
        #expect(try mode(["AWS_RETRY_MODE": "legacy"]) == .standard)
        #expect(try mode([:], config: "[default]\nretry_mode = standard\n") == .standard)
        #expect(try mode(["AWS_RETRY_MODE": "adaptive"], config: "[default]\nretry_mode = standard\n") == .adaptive)
        let error = #expect(throws: AWSConfigurationError.self) { try mode(["AWS_RETRY_MODE": "turbo"]) }
        #expect(error?.description.contains("AWS_RETRY_MODE / retry_mode is 'turbo'") == true)
    }

    @Test func standardModeHasNoPacing() {
        #expect(makeClient(FakeTransport([]), retry: .standardMode).rates == nil)
        #expect(makeClient(FakeTransport([])).rates != nil)
    }
}

/// An answer after an attempt that may have been carried out says so, so that "already exists" is not taken for a
/// refusal of work that the earlier attempt did.
@Suite struct UncertainAttemptTests {
    @Test(arguments: [
        (TransportError.connectionLost(detail: "reset"), true), (.timedOut(seconds: 60), true),
        (.connectTimedOut(host: "aws.test:4566", seconds: 60), false),
    ])
    func aRetriedCreateRefusedAsADuplicateSaysAnEarlierAttemptMayHaveSucceeded(failure: TransportError, uncertain: Bool) async throws {
        let transport = FakeTransport([
            .failure(failure), .jsonError(400, "RepositoryAlreadyExistsException", "The repository already exists"),
        ])
        let error = try #require(
            await capture(AWSServiceError.self) { try await makeClient(transport).json(.ecr.createRepository, ["repositoryName": "app"]) })
        #expect(error.code == "RepositoryAlreadyExistsException")
        #expect(error.earlierAttemptMayHaveSucceeded == uncertain)
    }

    @Test func aServerErrorBeforeTheRefusalMakesItUncertainButThrottlingDoesNot() async throws {
        let afterFault = FakeTransport([
            .jsonError(500, "InternalFailure", "oops"), .jsonError(400, "RepositoryAlreadyExistsException", "exists"),
        ])
        let first = try #require(await capture(AWSServiceError.self) { try await makeClient(afterFault).json(.ecr.createRepository) })
        #expect(first.earlierAttemptMayHaveSucceeded)
        let afterThrottle = FakeTransport([
            .jsonError(400, "ThrottlingException", "slow"), .jsonError(400, "RepositoryAlreadyExistsException", "exists"),
        ])
        let second = try #require(await capture(AWSServiceError.self) { try await makeClient(afterThrottle).json(.ecr.createRepository) })
        #expect(!second.earlierAttemptMayHaveSucceeded)
    }
}

/// Operations that make something new each time are not sent again after an attempt that may have been carried out.
@Suite struct NotRepeatedTests {
    @Test func kmsCreateKeyIsNotRepeatedAfterAResetOrA500() async throws {
        let reset = FakeTransport([.failure(.connectionLost(detail: "reset")), .json(200, #"{"KeyMetadata": {"KeyId": "k"}}"#)])
        let error = try #require(await capture(AWSRequestError.self) { try await makeClient(reset).json(.kms.createKey) })
        #expect(error.attempts == 1)
        #expect(await reset.requestCount == 1)
        let fault = FakeTransport([.jsonError(500, "KMSInternalException", "oops"), .json(200, #"{"KeyMetadata": {"KeyId": "k"}}"#)])
        let serviceError = try #require(await capture(AWSServiceError.self) { try await makeClient(fault).json(.kms.createKey) })
        #expect(serviceError.status == 500)
        #expect(await fault.requestCount == 1)
    }

    @Test func itIsRepeatedAfterAFailureThatNeverReachedAWSAndAfterThrottling() async throws {
        let transport = FakeTransport([
            .failure(.connectTimedOut(host: "aws.test:4566", seconds: 60)), .jsonError(400, "ThrottlingException", "slow"),
            .json(200, #"{"KeyMetadata": {"KeyId": "k"}}"#),
        ])
        #expect(try await makeClient(transport).json(.kms.createKey)["KeyMetadata"]?["KeyId"] == "k")
        #expect(await transport.requestCount == 3)
    }

    @Test func otherCreatesAreRepeated() async throws {
        let transport = FakeTransport([.failure(.connectionLost(detail: "reset")), .json(200, #"{"repository": {}}"#)])
        _ = try await makeClient(transport).json(.ecr.createRepository, ["repositoryName": "app"])
        #expect(await transport.requestCount == 2)
    }
}
