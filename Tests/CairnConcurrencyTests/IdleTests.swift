import CairnConcurrency
import Testing

@Suite struct IdleTests {
    /// Counts what the work lends and takes back, in order.
    final class Ledger: IdleLender, @unchecked Sendable {
        var events: [String] = []
        func lend() { events.append("lend") }
        func reclaim() async { events.append("reclaim") }
    }

    struct Refused: Error {}

    @Test func aWaitLendsThePlaceAndTakesItBackAfterward() async throws {
        let ledger = Ledger()
        try await Idle.$lender.withValue(ledger) {
            try await Idle.lending { ledger.events.append("wait") }
        }
        #expect(ledger.events == ["lend", "wait", "reclaim"])
    }

    @Test func aWaitThatThrowsStillTakesThePlaceBack() async throws {
        let ledger = Ledger()
        await #expect(throws: Refused.self) {
            try await Idle.$lender.withValue(ledger) {
                try await Idle.lending { throw Refused() }
            }
        }
        #expect(ledger.events == ["lend", "reclaim"])
    }

    @Test func withoutALenderAWaitIsJustAWait() async throws {
        var waited = false
        try await Idle.lending { waited = true }
        #expect(waited)
    }
}
