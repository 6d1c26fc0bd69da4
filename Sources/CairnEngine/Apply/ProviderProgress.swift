/// Where a provider says what it is waiting on while a change runs ("waiting for IAM role deploy to reach
/// CodeBuild (attempt 4)"), so that a resource that takes long shows why. The executor sets it around each
/// change and turns each line into an ``ApplyEvent/waiting(address:message:)``; outside an apply the lines go nowhere.
public enum ProviderProgress {
    /// The current change's receiver.
    @TaskLocal public static var receiver: (@Sendable (String) -> Void)?

    /// Reports `message` for the change running in this task, if any.
    public static func note(_ message: String) { receiver?(message) }
}
