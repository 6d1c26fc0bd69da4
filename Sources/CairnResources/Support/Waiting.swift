import CairnAWS
import CairnConcurrency
import CairnEngine
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
        // The operation's place in the apply goes to other work meanwhile.
        try await Idle.lending { try await clock.sleep(for: interval) }
    }
}

/// An AWS refusal that passes by itself: an error code and, where the same code also reports a real mistake, the
/// words its message must contain (any of them, case aside). A bare string literal is a code whatever the message.
struct Refusal: Sendable, ExpressibleByStringLiteral {
    let code: String
    let messageContains: [String]

    init(_ code: String, messageContains: [String] = []) {
        self.code = code
        self.messageContains = messageContains
    }

    init(stringLiteral code: String) { self.init(code) }

    func matches(_ error: AWSServiceError) -> Bool {
        guard error.code == code else { return false }
        let message = error.message.lowercased()
        return messageContains.isEmpty || messageContains.contains { message.contains($0.lowercased()) }
    }
}

/// A refusal that was meant to pass by itself and did not within the bound: names what Cairn waited for, AWS's last
/// answer, and what to check.
public struct StillRefused: Error, CustomStringConvertible, Sendable {
    /// What was waited on (`IAM role deploy`).
    public let resource: String
    /// What it was to do (`reach CodeBuild`).
    public let condition: String
    public let waited: Duration
    public let attempts: Int
    /// AWS's last answer.
    public let refusal: AWSServiceError
    /// What to check when the wait was not the cause (the role's trust policy).
    public let hint: String?

    public var description: String {
        let minutes = Int((waited.seconds / 60).rounded(.up))
        var text =
            "gave up after \(minutes) minute\(minutes == 1 ? "" : "s") (\(attempts) attempts) waiting for \(resource) to \(condition); AWS's last answer: \(refusal)"
        if let hint { text += " " + hint }
        return text + " Then run the command again."
    }
}

/// How long Cairn waits for an IAM change to reach another service (Terraform's AWS provider waits as long), and how
/// often it tries again meanwhile.
enum Propagation {
    static let timeout: Duration = .seconds(120)
    static let interval: Duration = .seconds(3)
}

/// Runs `call` again while AWS answers with one of `refusals` (KMS or CodeBuild not yet seeing a new IAM role, DynamoDB
/// still setting up backups), every `interval` on `clock`, saying so on the apply's progress ("waiting for IAM role
/// deploy to reach CodeBuild (attempt 2)"); after `timeout` it throws ``StillRefused`` with AWS's last answer. Any
/// other error ends it at once.
func retrying<T>(
    while refusals: [Refusal], _ resource: String, _ condition: String, clock: any AWSClock, timeout: Duration,
    interval: Duration = .seconds(5), hint: String? = nil, _ call: () async throws -> T
) async throws -> T {
    var result: T?
    var refusal: AWSServiceError?
    var attempts = 0
    do {
        try await waitUntil(resource, condition, clock: clock, timeout: timeout, interval: interval) {
            attempts += 1
            if attempts > 1 { ProviderProgress.note("waiting for \(resource) to \(condition) (attempt \(attempts))") }
            do {
                result = try await call()
                return true
            } catch let error as AWSServiceError where refusals.contains(where: { $0.matches(error) }) {
                refusal = error
                return false
            }
        }
    } catch let timeout as WaitTimeout {
        guard let refusal else { throw timeout }
        throw StillRefused(resource: resource, condition: condition, waited: timeout.waited, attempts: attempts, refusal: refusal, hint: hint)
    }
    guard let result else { throw WaitTimeout(resource: resource, condition: condition, waited: timeout) }
    return result
}

/// Runs a call that names an IAM role (or another principal) which may have been created moments ago: while the
/// service answers with one of `refusals` (it cannot assume the role yet), it is tried again for up to two minutes,
/// shown as "waiting for IAM role deploy to reach CodeBuild (attempt 2)".
func awaitingPropagation<T>(
    of principal: String, to service: String, refusals: [Refusal], clock: any AWSClock, hint: String? = nil,
    _ call: () async throws -> T
) async throws -> T {
    try await retrying(
        while: refusals, principal, "reach \(service)", clock: clock, timeout: Propagation.timeout, interval: Propagation.interval,
        hint: hint, call)
}

/// Runs a call that AWS refuses while another change to the same resource is under way (one of `refusals`: IAM's
/// `ConcurrentModification`, ECS's `UpdateInProgressException`): that passes once the other change finishes, so the call
/// is tried again every 3 s for up to `timeout`, shown as "waiting for IAM role deploy to finish another change (attempt 2)".
func afterOtherChanges<T>(
    to resource: String, refusals: [Refusal], clock: any AWSClock, timeout: Duration = Propagation.timeout, _ call: () async throws -> T
) async throws -> T {
    try await retrying(
        while: refusals, resource, "finish another change", clock: clock, timeout: timeout, interval: Propagation.interval,
        hint: "Check what else is changing it (another apply, a pipeline, the console).", call)
}

extension Refusal {
    /// IAM's answer while other requests change the same entity ("multiple requests to change this object were submitted
    /// simultaneously"); Terraform's AWS provider waits it out too.
    static let iamConcurrentModification: Refusal = "ConcurrentModification"
}

/// "IAM role deploy" for a role ARN, for the progress line; the ARN itself if it is not a role's.
func roleDescription(_ arn: String?) -> String {
    guard let arn, let range = arn.range(of: ":role/") else { return arn.map { "IAM principal \($0)" } ?? "the IAM role" }
    return "IAM role \(arn[range.upperBound...].split(separator: "/").last.map(String.init) ?? arn)"
}
