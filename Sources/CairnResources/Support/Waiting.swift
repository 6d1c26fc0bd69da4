import CairnAWS
import Foundation

/// A wait for AWS that ran out of time: names the resource, what Cairn waited for, and what to do.
public struct WaitTimeout: Error, CustomStringConvertible, Sendable {
    /// The resource waited on (`ECS service web in cluster main`).
    public let resource: String
    /// What it was to do (`finish draining`).
    public let condition: String
    /// How long Cairn waited.
    public let waited: Duration

    public var description: String {
        let minutes = Int((waited.seconds / 60).rounded(.up))
        return "gave up after \(minutes) minute\(minutes == 1 ? "" : "s") waiting for \(resource) to \(condition): check it in the AWS console, then run the command again to carry on."
    }
}

/// Polls `done` every `interval` until it returns true, or throws `WaitTimeout` once `timeout` has passed
/// on `clock` (the client's, so that tests run without sleeping). The check runs at least once.
func waitUntil(_ resource: String, _ condition: String, clock: any AWSClock, timeout: Duration, interval: Duration = .seconds(5),
               _ done: () async throws -> Bool) async throws {
    let started = clock.now()
    while true {
        if try await done() { return }
        let waited = Duration.seconds(clock.now().timeIntervalSince(started))
        guard waited + interval <= timeout else { throw WaitTimeout(resource: resource, condition: condition, waited: max(waited, timeout)) }
        try await clock.sleep(for: interval)
    }
}

extension Duration {
    /// The duration in seconds, fractional.
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
