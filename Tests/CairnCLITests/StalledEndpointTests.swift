import Foundation
import TestSupport
import Testing

/// Waiting on an endpoint that never answers costs no processor time (URLSession on Linux once burnt a
/// whole core doing it), ends after `CAIRN_HTTP_TIMEOUT`, and says which setting to raise.
@Suite(.integration) struct StalledEndpointTests {
    @Test func waitingOnAStalledEndpointDoesNotSpin() async throws {
        let stalled = try await StubServer.start([.hang])
        defer { stalled.stop() }
        let home = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: home) }
        let environment = [
            "PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin", "HOME": home.path,
            "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY": "secret", "AWS_REGION": "us-east-1",
            "AWS_EC2_METADATA_DISABLED": "true", "AWS_ENDPOINT_URL": stalled.endpoint.absoluteString,
            "AWS_MAX_ATTEMPTS": "1", "CAIRN_HTTP_TIMEOUT": "10",
        ]
        let (result, usage) = try await runProcessMeasuringUsage(
            executable: CairnRunner.executable, arguments: ["whoami"], environment: environment, timeout: .seconds(120))
        #expect(result.status == 1, "\(result)")
        #expect(result.stderr.contains("within 10 s"), "\(result)")
        #expect(result.stderr.contains("raise CAIRN_HTTP_TIMEOUT"), "\(result)")
        #expect(try await stalled.requests().count == 1)
        // Bounds only a spin breaks. Starting up and failing costs a few tens of milliseconds and a few dozen
        // wake-ups; URLSession's loop woke about 1,000 times a second (10,600 in this wait on a 2-core VM), and
        // burnt 0.1–0.4 s there, up to a whole core elsewhere.
        #expect(usage.cpuTime < .milliseconds(500), "cairn used \(usage.cpuTime) of CPU while waiting 10 s for an answer")
        #expect(usage.wakeUps < 1_000, "cairn woke \(usage.wakeUps) times while waiting 10 s for an answer")
    }
}
