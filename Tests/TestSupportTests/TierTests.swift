import TestSupport
import Testing

/// The unit tier's guard: in it (CAIRN_TEST_TIER=unit) whatever starts a process fails the test, naming the
/// trait to add; in a full run nothing is refused.
@Suite struct TierTests {
    @Test func theUnitTierRefusesProcessesAndNamesTheTrait() async throws {
        guard TestTier.isUnitOnly else {
            try TestTier.requireIntegration("starts moto")
            return
        }
        let error = await #expect(throws: TestSupportError.self) { try await runProcess(executable: "/bin/true") }
        #expect(error?.message.contains("starts a child process (/bin/true)") == true, "\(String(describing: error))")
        #expect(error?.message.contains("mark it, or its suite, .integration") == true)
        await #expect(throws: TestSupportError.self) { _ = try await MotoServer.start() }
        await #expect(throws: TestSupportError.self) { _ = try await StubServer.start() }
    }
}
