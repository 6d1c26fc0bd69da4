/// Where a provider says what it is waiting on while a change runs ("waiting for IAM role deploy to reach
/// CodeBuild (attempt 4)"), so that a resource that takes long shows why. The executor sets it around each
/// change and turns each line into an ``ApplyEvent/waiting(address:message:)``; outside an apply the lines go nowhere.
public enum ProviderProgress {
    /// Where the lines of one change go. A class, not a bare closure: Swift 6.3's optimiser miscompiles a
    /// task-local whose value is a closure (a release build crashed in `swift_task_localValuePush` on every apply).
    public final class Receiver: Sendable {
        let report: @Sendable (String) -> Void
        /// Lines go to `report`.
        public init(_ report: @escaping @Sendable (String) -> Void) { self.report = report }
    }

    /// The current change's receiver.
    @TaskLocal public static var receiver: Receiver?

    /// Reports `message` for the change running in this task, if any.
    public static func note(_ message: String) { receiver?.report(message) }
}
