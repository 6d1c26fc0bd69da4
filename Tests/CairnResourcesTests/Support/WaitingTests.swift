@testable import CairnAWS
@testable import CairnResources
import CairnSigner
import Foundation
import Testing
import TestSupport

/// A transport that answers every request from `answer`, by operation (X-Amz-Target's suffix).
private struct ScriptedTransport: HTTPTransport {
    let answer: @Sendable (String) -> String

    func send(_ request: HTTPRequest, timeout: Duration) async throws(TransportError) -> HTTPResponse {
        let target = request.headers.first { $0.name.lowercased() == "x-amz-target" }?.value ?? ""
        let operation = String(target.split(separator: ".").last ?? "")
        return HTTPResponse(status: 200, headers: ["content-type": "application/x-amz-json-1.1", "x-amzn-requestid": "req-1"],
                            body: Data(answer(operation).utf8))
    }
}

/// Time that passes only when slept through.
private final class SteppingClock: AWSClock, @unchecked Sendable {
    private let lock = NSLock()
    private var current = Date(timeIntervalSince1970: 1_700_000_000)
    private(set) var slept: Duration = .zero

    func now() -> Date { lock.withLock { current } }
    func sleep(for duration: Duration) async throws {
        lock.withLock {
            slept += duration
            current += Double(duration.components.seconds)
        }
    }
}

@Suite struct WaitingTests {
    @Test func aWaitThatRunsOutThrowsNamingWhatItWaitedFor() async throws {
        let clock = SteppingClock()
        let checks = Locked(0)
        do {
            try await waitUntil("ECS service web", "finish draining", clock: clock, timeout: .seconds(60), interval: .seconds(5)) {
                checks.withLock { $0 += 1 }
                return false
            }
            Issue.record("the wait never gave up")
        } catch let error as WaitTimeout {
            #expect(error.description.hasPrefix("gave up after 1 minute waiting for ECS service web to finish draining"), "\(error)")
        }
        #expect(clock.slept == .seconds(60))
        #expect(checks.current == 13)
    }

    @Test func aWaitEndsAsSoonAsTheConditionHolds() async throws {
        let clock = SteppingClock()
        let checks = Locked(0)
        try await waitUntil("it", "be ready", clock: clock, timeout: .seconds(60)) { checks.withLock { $0 += 1; return $0 == 3 } }
        #expect(clock.slept == .seconds(10))
    }

    /// A deleted service that never finishes draining: the delete fails, naming the service, instead of reporting success.
    @Test func anECSServiceThatNeverDrainsFailsItsDelete() async throws {
        let clock = SteppingClock()
        let transport = ScriptedTransport { operation in
            switch operation {
            case "DeleteService": return #"{"service": {"serviceName": "web", "status": "DRAINING"}}"#
            case "DescribeServices": return #"{"services": [{"serviceName": "web", "status": "DRAINING"}], "failures": []}"#
            default: return "{}"
            }
        }
        let client = AWSClient(region: "us-east-1", credentials: StaticCredentialProvider(Credentials(accessKeyID: "AKID", secretAccessKey: "secret"), source: "test"),
                               transport: transport, clock: clock)
        let provider = ECSServiceProvider(client: client)
        await #expect(throws: WaitTimeout.self) {
            try await provider.delete(id: "main/web", attributes: ["cluster": "main", "name": "web"])
        }
        #expect(clock.slept == ECSServiceProvider.drainTimeout)
    }
}
