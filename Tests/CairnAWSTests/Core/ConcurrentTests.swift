import CairnAWS
import Testing

@Suite struct ConcurrentMapTests {
    /// Results come back in the elements' order however the work finishes, and the work overlaps.
    @Test func keepsTheOrderAndRunsAtOnce() async throws {
        let running = Gauge()
        let results = await Array(0..<20).concurrentMap { index -> Int in
            await running.enter()
            // Later elements finish first.
            try? await Task.sleep(for: .milliseconds(5 * (20 - index)))
            await running.leave()
            return index * 10
        }
        #expect(results == Array(0..<20).map { $0 * 10 })
        #expect(await running.peak > 1)
    }

    @Test func theFirstErrorIsThrown() async {
        struct Refused: Error {}
        await #expect(throws: Refused.self) {
            _ = try await [1, 2, 3].concurrentMap { value -> Int in
                if value == 2 { throw Refused() }
                return value
            }
        }
        #expect(await [Int]().concurrentMap { $0 }.isEmpty)
    }
}

private actor Gauge {
    private var current = 0
    private(set) var peak = 0
    func enter() {
        current += 1
        peak = max(peak, current)
    }
    func leave() { current -= 1 }
}
