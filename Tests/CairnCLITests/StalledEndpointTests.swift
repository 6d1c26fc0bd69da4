import Foundation
import Testing
import TestSupport

/// Waiting on an endpoint that never answers costs no processor time (URLSession on Linux once burnt a
/// whole core doing it), ends after `CAIRN_HTTP_TIMEOUT`, and says which setting to raise.
@Suite struct StalledEndpointTests {
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
        let (result, cpuTime) = try await runProcessMeasuringCPU(
            executable: CairnRunner.executable, arguments: ["whoami"], environment: environment, timeout: .seconds(120))
        #expect(result.status == 1, "\(result)")
        #expect(result.stderr.contains("within 10 s"), "\(result)")
        #expect(result.stderr.contains("raise CAIRN_HTTP_TIMEOUT"), "\(result)")
        #expect(try await stalled.requests().count == 1)
        // Starting up and failing takes a few tens of milliseconds; a spin over the 10 s wait takes seconds.
        #expect(cpuTime < .milliseconds(500), "cairn used \(cpuTime) of CPU while waiting 10 s for an answer")
    }
}
