import CairnSigner
import Foundation
import TestSupport
import Testing

@testable import CairnAWS
@testable import CairnResources

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
        try await waitUntil("it", "be ready", clock: clock, timeout: .seconds(60)) {
            checks.withLock {
                $0 += 1
                return $0 == 3
            }
        }
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
        let client = AWSClient.scripted(transport, clock: clock)
        let provider = ECSServiceProvider(client: client)
        await #expect(throws: WaitTimeout.self) {
            try await provider.delete(id: "main/web", attributes: ["cluster": "main", "name": "web"])
        }
        #expect(clock.slept == ECSServiceProvider.drainTimeout)
    }
}
