import CairnSigner
import Foundation
import TestSupport
import Testing

@testable import CairnAWS

/// Counts fetches and hands out numbered credentials expiring at a given offset from the clock's time.
private final class Fetcher: @unchecked Sendable {
    private let state = Locked<(count: Int, gate: CheckedContinuation<Void, Never>?, closed: Bool, failNext: Bool)>((0, nil, false, false))
    let clock: FakeClock
    let lifetime: TimeInterval?

    init(clock: FakeClock, lifetime: TimeInterval?) {
        self.clock = clock
        self.lifetime = lifetime
    }

    var count: Int { state.current.count }

    /// Makes fetches wait until `open()`.
    func close() { state.withLock { $0.closed = true } }

    func open() {
        let gate = state.withLock { value -> CheckedContinuation<Void, Never>? in
            value.closed = false
            defer { value.gate = nil }
            return value.gate
        }
        gate?.resume()
    }

    func failNext() { state.withLock { $0.failNext = true } }

    func fetch() async throws -> Credentials {
        let (number, closed, fail) = state.withLock { value -> (Int, Bool, Bool) in
            value.count += 1
            defer { value.failNext = false }
            return (value.count, value.closed, value.failNext)
        }
        if closed {
            await withCheckedContinuation { continuation in
                let resumeNow = state.withLock { value -> Bool in
                    if !value.closed { return true }
                    value.gate = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        }
        if fail { throw CredentialsError("STS is down") }
        return Credentials(
            accessKeyID: "ASIA\(number)", secretAccessKey: "secret-\(number)", sessionToken: "token-\(number)",
            expiration: lifetime.map { clock.now().addingTimeInterval($0) })
    }
}

@Suite struct RefreshingCredentialProviderTests {
    @Test func cachesUntilTheRefreshMarginBeforeExpiry() async throws {
        let clock = FakeClock()
        let fetcher = Fetcher(clock: clock, lifetime: 3600)
        let provider = RefreshingCredentialProvider(source: "test", clock: clock, refreshMargin: 300) { try await fetcher.fetch() }
        #expect(provider.source == "test")
        #expect(fetcher.count == 0)  // nothing fetched before the first use

        #expect(try await provider.credentials().accessKeyID == "ASIA1")
        #expect(try await provider.credentials().accessKeyID == "ASIA1")
        clock.advance(by: 3300)  // exactly 300 s left: still fresh
        #expect(try await provider.credentials().accessKeyID == "ASIA1")
        clock.advance(by: 1)  // 299 s left: refreshed before it expires
        #expect(try await provider.credentials().accessKeyID == "ASIA2")
        #expect(fetcher.count == 2)
        clock.advance(by: 3300)  // 300 s left of the second set
        #expect(try await provider.credentials().accessKeyID == "ASIA2")
        clock.advance(by: 1)
        #expect(try await provider.credentials().accessKeyID == "ASIA3")
        #expect(fetcher.count == 3)
    }

    @Test func credentialsWithoutExpiryAreFetchedOnce() async throws {
        let clock = FakeClock()
        let fetcher = Fetcher(clock: clock, lifetime: nil)
        let provider = RefreshingCredentialProvider(source: "test", clock: clock) { try await fetcher.fetch() }
        for _ in 0..<5 {
            #expect(try await provider.credentials().accessKeyID == "ASIA1")
            clock.advance(by: 86_400)
        }
        #expect(fetcher.count == 1)
    }

    @Test func concurrentCallersShareOneFetch() async throws {
        let clock = FakeClock()
        let fetcher = Fetcher(clock: clock, lifetime: 3600)
        fetcher.close()
        let provider = RefreshingCredentialProvider(source: "test", clock: clock) { try await fetcher.fetch() }
        let results = try await withThrowingTaskGroup(of: String.self) { group in
            for _ in 0..<50 { group.addTask { try await provider.credentials().accessKeyID } }
            // Let the callers pile up behind the first fetch, then let it finish.
            while fetcher.count == 0 { await Task.yield() }
            try await Task.sleep(for: .milliseconds(50))
            fetcher.open()
            return try await group.reduce(into: [String]()) { $0.append($1) }
        }
        #expect(results.count == 50)
        #expect(Set(results) == ["ASIA1"])
        #expect(fetcher.count == 1)
    }

    @Test func aFailedFetchReachesEveryWaiterAndTheNextCallTriesAgain() async throws {
        let clock = FakeClock()
        let fetcher = Fetcher(clock: clock, lifetime: 3600)
        fetcher.failNext()
        fetcher.close()
        let provider = RefreshingCredentialProvider(source: "test", clock: clock) { try await fetcher.fetch() }
        let outcomes = await withTaskGroup(of: String.self) { group in
            for _ in 0..<10 {
                group.addTask {
                    do { return try await provider.credentials().accessKeyID } catch { return "\(error)" }
                }
            }
            while fetcher.count == 0 { await Task.yield() }
            try? await Task.sleep(for: .milliseconds(50))
            fetcher.open()
            return await group.reduce(into: [String]()) { $0.append($1) }
        }
        #expect(fetcher.count == 1)
        #expect(Set(outcomes) == ["STS is down"])
        #expect(try await provider.credentials().accessKeyID == "ASIA2")
        #expect(fetcher.count == 2)
    }

    @Test func clientsSignWithTheRefreshedCredentials() async throws {
        let clock = FakeClock()
        let fetcher = Fetcher(clock: clock, lifetime: 900)
        let provider = RefreshingCredentialProvider(source: "test", clock: clock) { try await fetcher.fetch() }
        let transport = FakeTransport([.callerIdentity])
        let client = AWSClient(
            region: "us-east-1", credentials: provider, endpoints: EndpointResolver(globalOverride: (fakeEndpoint, "test")),
            transport: transport, clock: clock, random: FixedRandom(0.5))
        _ = try await client.callerIdentity()
        clock.advance(by: 601)
        _ = try await client.callerIdentity()
        let requests = await transport.requests
        #expect(requests.map { $0.header("X-Amz-Security-Token") } == ["token-1", "token-2"])
        #expect(requests[1].header("Authorization")?.contains("Credential=ASIA2/") == true)
    }

    @Test func staticProvider() async throws {
        let provider = StaticCredentialProvider(exampleCredentials, source: "somewhere")
        #expect(provider.source == "somewhere")
        #expect(try await provider.credentials() == exampleCredentials)
    }
}

@Suite struct TimestampTests {
    @Test func awsTimestamps() {
        #expect(parseTimestamp("2023-11-14T22:13:20Z") == Date(timeIntervalSince1970: 1_700_000_000))
        #expect(parseTimestamp("2023-11-14T23:13:20+01:00") == Date(timeIntervalSince1970: 1_700_000_000))
        let fractional = parseTimestamp("2023-11-14T22:13:20.250Z")
        #expect(fractional.map { abs($0.timeIntervalSince1970 - 1_700_000_000.25) < 0.001 } == true)
        #expect(parseTimestamp("yesterday") == nil)
    }
}
