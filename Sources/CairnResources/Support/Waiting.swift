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
        return
            "gave up after \(minutes) minute\(minutes == 1 ? "" : "s") waiting for \(resource) to \(condition): check it in the AWS console, then run the command again to carry on."
    }
}

/// Polls `done` every `interval` until it returns true, or throws `WaitTimeout` once `timeout` has passed
/// on `clock` (the client's, so that tests run without sleeping). The check runs at least once.
func waitUntil(
    _ resource: String, _ condition: String, clock: any AWSClock, timeout: Duration, interval: Duration = .seconds(5),
    _ done: () async throws -> Bool
) async throws {
    let started = clock.now()
    while true {
        if try await done() { return }
        let waited = Duration.seconds(clock.now().timeIntervalSince(started))
        guard waited + interval <= timeout else { throw WaitTimeout(resource: resource, condition: condition, waited: max(waited, timeout)) }
        try await clock.sleep(for: interval)
    }
}

/// Runs `call` again while AWS answers with one of `codes`, a refusal that passes by itself (KMS not yet seeing a new
/// IAM role, DynamoDB still setting up backups), polling every `interval` on `clock` for at most `timeout`; after
/// that AWS's last refusal stands. Any other error ends it at once.
func retrying<T>(
    while codes: Set<String>, _ resource: String, _ condition: String, clock: any AWSClock, timeout: Duration,
    interval: Duration = .seconds(5), _ call: () async throws -> T
) async throws -> T {
    var result: T?
    var refusal: AWSServiceError?
    do {
        try await waitUntil(resource, condition, clock: clock, timeout: timeout, interval: interval) {
            do {
                result = try await call()
                return true
            } catch let error as AWSServiceError where codes.contains(error.code) {
                refusal = error
                return false
            }
        }
    } catch let timeout as WaitTimeout {
        throw refusal ?? timeout
    }
    guard let result else { throw refusal ?? WaitTimeout(resource: resource, condition: condition, waited: timeout) }
    return result
}

extension Duration {
    /// The duration in seconds, fractional.
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
