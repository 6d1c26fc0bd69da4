import CairnJSON
import Foundation

/// Where a drift notification goes (`cairn drift --notify`).
public enum DriftNotificationTarget: Sendable, Hashable, CustomStringConvertible {
    /// An SNS topic, by ARN; the message is published in the topic's own region.
    case snsTopic(arn: String)
    /// An http(s) URL that receives the report as JSON in a POST.
    case webhook(URL)

    /// Parses `sns:TOPIC_ARN` or `webhook:URL`.
    public init(parsing text: String) throws(DriftNotificationError) {
        if text.hasPrefix("sns:") {
            let arn = String(text.dropFirst("sns:".count))
            guard Self.region(ofTopic: arn) != nil else { throw .badTarget(text) }
            self = .snsTopic(arn: arn)
        } else if text.hasPrefix("webhook:") {
            guard let url = URL(string: String(text.dropFirst("webhook:".count))),
                ["http", "https"].contains(url.scheme?.lowercased() ?? ""), url.host?.isEmpty == false
            else { throw .badTarget(text) }
            self = .webhook(url)
        } else {
            throw .badTarget(text)
        }
    }

    /// The form it is parsed from.
    public var description: String {
        switch self {
        case .snsTopic(let arn): "sns:\(arn)"
        case .webhook(let url): "webhook:\(url.absoluteString)"
        }
    }

    /// The region of an SNS topic ARN (`arn:PARTITION:sns:REGION:ACCOUNT:NAME`), nil when it is not one.
    static func region(ofTopic arn: String) -> String? {
        let parts = arn.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 6, parts[0] == "arn", !parts[1].isEmpty, parts[2] == "sns", !parts[3].isEmpty,
            !parts[4].isEmpty, parts[4].allSatisfy(\.isNumber), !parts[5].isEmpty
        else { return nil }
        return String(parts[3])
    }
}

/// Carries drift notifications. The CLI's publishes with its AWS client and posts with its HTTP
/// client; tests record what would be sent.
public protocol DriftNotificationTransport: Sendable {
    /// Publishes `message` under `subject` to the SNS topic `topicARN`, calling SNS in `region`.
    func publish(topicARN: String, region: String, subject: String, message: String) async throws
    /// POSTs `body` (JSON) to `url` and returns the HTTP status of the answer.
    func post(json body: Data, to url: URL, timeout: Duration) async throws -> Int
}

/// Sends a drifted report to every target.
public struct DriftNotifier: Sendable {
    /// The largest message SNS accepts, in bytes of UTF-8 (256 KiB).
    public static let snsMessageLimit = 262_144
    /// SNS subjects must stay under 100 characters.
    public static let snsSubjectLimit = 99

    /// Every place a drifted report goes, in order.
    public var targets: [DriftNotificationTarget]
    /// What carries the notifications.
    public var transport: any DriftNotificationTransport
    /// How long a webhook may take to answer.
    public var webhookTimeout: Duration
    /// Where the whole report can be read (a CI job's page, given by `--report-url`): a message cut to fit SNS links it.
    public var reportURL: URL?

    /// A notifier sending to `targets` through `transport`.
    public init(
        targets: [DriftNotificationTarget], transport: any DriftNotificationTransport, webhookTimeout: Duration = .seconds(10),
        reportURL: URL? = nil
    ) {
        self.targets = targets
        self.transport = transport
        self.webhookTimeout = webhookTimeout
        self.reportURL = reportURL
    }

    /// Sends `report` to every target, each even when another fails.
    /// - Throws: `DriftNotificationError.failed` naming every target that could not be notified.
    public func notify(_ report: DriftReport) async throws {
        var failures: [DriftNotificationError.Failure] = []
        for target in targets {
            do {
                try await send(report, to: target)
            } catch {
                failures.append(.init(target: target, reason: "\(error)"))
            }
        }
        if !failures.isEmpty { throw DriftNotificationError.failed(failures) }
    }

    private func send(_ report: DriftReport, to target: DriftNotificationTarget) async throws {
        switch target {
        case .snsTopic(let arn):
            let region = DriftNotificationTarget.region(ofTopic: arn) ?? ""
            try await transport.publish(
                topicARN: arn, region: region, subject: Self.subject(report), message: Self.snsMessage(report, reportURL: reportURL))
        case .webhook(let url):
            let status = try await transport.post(json: Data(Self.webhookBody(report).description.utf8), to: url, timeout: webhookTimeout)
            guard (200..<300).contains(status) else { throw WebhookRefused(status: status) }
        }
    }

    /// One line: the stack, its environment and the counts.
    public static func summary(_ report: DriftReport) -> String {
        "Cairn drift in \(report.stack) (\(report.environment)): \(report.count(.changed)) changed, \(report.count(.deleted)) deleted, \(report.count(.unmanaged)) unmanaged."
    }

    /// The SNS subject: the summary, cut to SNS's limit.
    public static func subject(_ report: DriftReport) -> String {
        String(summary(report).prefix(snsSubjectLimit))
    }

    /// The SNS message: the report's Markdown, cut at a line to fit SNS's limit with a note saying so and where the
    /// whole report is: at `reportURL` when one is given, and in the drift history as the run that recorded it.
    public static func snsMessage(_ report: DriftReport, limit: Int = snsMessageLimit, reportURL: URL? = nil) -> String {
        let markdown = report.markdown
        guard markdown.utf8.count > limit else { return markdown }
        let note =
            "\n\n(Truncated to fit SNS's \(limit / 1024) KiB limit: \(report.resources.count) resources drifted. " + whereToRead(report, reportURL)
            + ")"
        let budget = max(0, limit - note.utf8.count)
        var kept = ""
        var size = 0
        for character in markdown {
            let length = character.utf8.count
            guard size + length <= budget else { break }
            kept.append(character)
            size += length
        }
        // A whole table row reads better than half of one.
        if let newline = kept.lastIndex(of: "\n") { kept = String(kept[..<newline]) }
        return kept + note
    }

    /// Where the whole of a cut report can be read, as a sentence: the link given, and the run of the drift history
    /// that recorded it (a targeted check is not recorded: then the command that checks again).
    static func whereToRead(_ report: DriftReport, _ reportURL: URL?) -> String {
        let command = "cairn drift \(report.stack) --env \(report.environment)"
        switch (reportURL, report.run) {
        case (let url?, let run?):
            return "The whole report: \(url.absoluteString) (also drift run \(run) of the stack's history: `\(command) --run \(run)` prints it)."
        case (let url?, nil):
            return "The whole report: \(url.absoluteString)."
        case (nil, let run?):
            return "The whole report is drift run \(run) of the stack's history: `\(command) --run \(run)` prints it."
        case (nil, nil):
            return "Run `\(command)` for the whole report."
        }
    }

    /// The webhook body: the report's JSON, plus `text` (summary and Markdown) for chat webhooks.
    public static func webhookBody(_ report: DriftReport) -> JSON {
        guard case .object(var members) = report.json else { return report.json }
        members["text"] = .string(summary(report) + "\n" + report.markdown)
        return .object(members)
    }
}

/// A webhook that answered with an error status.
struct WebhookRefused: Error, CustomStringConvertible {
    let status: Int
    var description: String { "it answered HTTP \(status): check the URL" }
}

/// A drift notification target that cannot be parsed, or notifications that could not be sent.
public enum DriftNotificationError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The text given as a target.
    case badTarget(String)
    /// Every target that failed, with why.
    case failed([Failure])

    /// One target that could not be notified.
    public struct Failure: Sendable, Equatable {
        public var target: DriftNotificationTarget
        public var reason: String

        /// A failure to notify `target`, with why.
        public init(target: DriftNotificationTarget, reason: String) {
            self.target = target
            self.reason = reason
        }
    }

    /// One sentence saying what is wrong.
    public var description: String {
        switch self {
        case .badTarget(let text):
            "'\(text)' must be sns:TOPIC_ARN (arn:aws:sns:REGION:ACCOUNT:NAME) or webhook:URL (http or https)."
        case .failed(let failures):
            "The drift notification could not be sent to " + failures.map { "\($0.target) (\($0.reason))" }.joined(separator: " nor to ") + "."
        }
    }
}
