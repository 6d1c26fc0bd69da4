import Foundation

/// How long Cairn waits for AWS, resolved like the AWS CLI's `cli_read_timeout` and `cli_connect_timeout`,
/// each with where it came from (`cairn whoami` prints them).
public struct HTTPTimeouts: Sendable, Equatable {
    /// The whole of one attempt, connecting included: `CAIRN_HTTP_TIMEOUT`, else the profile's
    /// `cli_read_timeout`, else 60 s. A call gives up after `RetryPolicy.maxTimedOutAttempts` of these.
    public var request: Duration
    /// `CAIRN_HTTP_TIMEOUT`, "profile 'NAME' in FILE" or "default".
    public var requestSource: String
    /// Opening a connection (TCP, then TLS): `CAIRN_HTTP_CONNECT_TIMEOUT`, else the profile's
    /// `cli_connect_timeout`, else 60 s. It matters when shorter than `request`.
    public var connect: Duration
    /// `CAIRN_HTTP_CONNECT_TIMEOUT`, "profile 'NAME' in FILE" or "default".
    public var connectSource: String

    /// The AWS CLI's defaults.
    public static let `default` = HTTPTimeouts(request: .seconds(60), requestSource: "default", connect: .seconds(60), connectSource: "default")

    /// Timeouts as given, with where each came from.
    public init(request: Duration, requestSource: String, connect: Duration, connectSource: String) {
        self.request = request
        self.requestSource = requestSource
        self.connect = connect
        self.connectSource = connectSource
    }

    /// The environment variable wins over the profile's setting, which wins over the default.
    static func resolve(environment: [String: String], config: SharedConfig, profile: String) throws(AWSConfigurationError) -> HTTPTimeouts {
        func setting(_ variable: String, _ key: String, default value: Duration) throws(AWSConfigurationError) -> (Duration, String) {
            if let text = environment[variable], !text.isEmpty { return (try seconds(text, setting: variable), variable) }
            if let text = config.value(key, profile: profile) {
                let source = "profile '\(profile)' in \(config.file(definingKey: key, profile: profile))"
                return (try seconds(text, setting: "\(key) in \(source)"), source)
            }
            return (value, "default")
        }
        let (request, requestSource) = try setting("CAIRN_HTTP_TIMEOUT", "cli_read_timeout", default: HTTPTimeouts.default.request)
        let (connect, connectSource) = try setting("CAIRN_HTTP_CONNECT_TIMEOUT", "cli_connect_timeout", default: HTTPTimeouts.default.connect)
        return HTTPTimeouts(request: request, requestSource: requestSource, connect: connect, connectSource: connectSource)
    }

    /// A positive number of seconds, at most a day; fractions allowed. 0 (the AWS CLI's "wait forever") is refused:
    /// a stalled endpoint must end in an error.
    private static func seconds(_ text: String, setting: String) throws(AWSConfigurationError) -> Duration {
        guard let value = Double(text.trimmingCharacters(in: .whitespaces)), value.isFinite, value > 0, value <= 86_400 else {
            throw AWSConfigurationError("\(setting) is '\(text)': set it to a number of seconds above 0 and at most 86400, such as 60.")
        }
        return .milliseconds(Int64((value * 1000).rounded(.up)))
    }

    /// One line: "60 s per attempt (default), 10 s to connect (from CAIRN_HTTP_CONNECT_TIMEOUT)".
    public var summary: String {
        func origin(_ source: String) -> String { source == "default" ? "(default)" : "(from \(source))" }
        return
            "\(formatSeconds(request.seconds)) s per attempt \(origin(requestSource)), \(formatSeconds(connect.seconds)) s to connect \(origin(connectSource))"
    }
}

/// "60", "0.25": whole seconds without a fraction.
func formatSeconds(_ seconds: Double) -> String {
    seconds == seconds.rounded() ? String(Int(seconds)) : String(seconds)
}
