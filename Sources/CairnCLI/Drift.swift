import ArgumentParser
import CairnAWS
import CairnEngine
import CairnJSON
import Foundation

/// Drift output formats.
enum DriftFormat: String, ExpressibleByArgument, CaseIterable {
    case text, json, markdown
}

extension Cairn {
    /// Finds what changed outside Cairn.
    struct Drift: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Compare every resource of a stack with what Cairn last applied; change nothing.",
            discussion: "Exit codes: 0 when nothing drifted, 2 when something did, 1 on error.")

        @OptionGroup var target: StackOptions
        @OptionGroup var aws: AWSOptions

        @Option(help: "Output format: text, json or markdown.")
        var format: DriftFormat = .text

        @Flag(help: "List past drift runs instead of checking.")
        var history = false

        @Option(help: "Check again every interval (e.g. 30s, 15m, 1h) until interrupted.")
        var every: String?

        @Option(help: "With --every: stop after this many runs.")
        var maxRuns: Int?

        @Option(help: ArgumentHelp("Print the recorded drift run ID (see --history) in full instead of checking.", valueName: "ID"))
        var run: Int64?

        @Option(help: "On drift, notify sns:TOPIC_ARN or webhook:URL (repeatable).")
        var notify: [String] = []

        @Option(
            help: ArgumentHelp(
                "With --notify: where the whole report can be read (e.g. the CI job's page), linked from a message cut to fit SNS.",
                valueName: "URL"))
        var reportURL: String?

        @Option(
            name: .customLong("target"),
            help: ArgumentHelp(
                "Check only this resource and what it depends on (no search for unmanaged ones, not recorded in --history); repeatable.",
                valueName: "ADDRESS"))
        var targets: [String] = []

        func validate() throws {
            if let every, DriftSchedule.parseInterval(every) == nil {
                throw ValidationError("--every \(DriftScheduleError.notAnInterval(every))")
            }
            if let maxRuns, maxRuns < 1 { throw ValidationError("--max-runs must be at least 1.") }
            if run != nil, history || every != nil || !notify.isEmpty || !targets.isEmpty {
                throw ValidationError("--run prints a recorded run: leave out --history, --every, --notify and --target.")
            }
            if let reportURL {
                guard let url = URL(string: reportURL), ["http", "https"].contains(url.scheme?.lowercased() ?? ""), url.host?.isEmpty == false else {
                    throw ValidationError("--report-url '\(reportURL)' must be an http or https URL.")
                }
                if notify.isEmpty { throw ValidationError("--report-url goes with --notify: it is linked from the notification.") }
            }
            do {
                _ = try notificationTargets()
            } catch {
                throw ValidationError("--notify \(error)")
            }
        }

        func run() async throws {
            try await reportingErrors {
                let context = try await StackContext(target, aws: aws)
                if history {
                    try await showHistory(context)
                    return
                }
                if let run {
                    emit(try await context.workspace.driftRun(context.stack, id: run), context: context)
                    return
                }
                let notifications = try notificationTargets()
                let notifier =
                    notifications.isEmpty
                    ? nil
                    : DriftNotifier(
                        targets: notifications, transport: CLINotificationTransport(client: context.client),
                        reportURL: reportURL.flatMap(URL.init(string:)))
                guard let every else {
                    let report = try await context.workspace.drift(context.stack, targets: targets)
                    emit(report, context: context)
                    if report.drifted {
                        try await notifier?.notify(report)
                        throw ExitCode(2)
                    }
                    return
                }
                let watch = DriftWatch(schedule: try DriftSchedule(every: every, maxRuns: maxRuns), notifier: notifier, sleeper: StopSignal())
                let outcome = await context.workspace.watchDrift(context.stack, targets: targets, with: watch) { event in
                    switch event {
                    case .report(let report): emit(report, context: context)
                    case .log(let line): say(line)
                    }
                }
                if outcome.drifted { throw ExitCode(2) }
            }
        }

        /// The parsed `--notify` targets.
        private func notificationTargets() throws(DriftNotificationError) -> [DriftNotificationTarget] {
            var targets: [DriftNotificationTarget] = []
            for text in notify { targets.append(try DriftNotificationTarget(parsing: text)) }
            return targets
        }

        private func emit(_ report: DriftReport, context: StackContext) {
            switch format {
            case .text: say(report.render(style: context.style))
            case .json: say(report.json.prettyDescription)
            case .markdown: say(report.markdown)
            }
            guard !targets.isEmpty else { return }
            // Beside the report, never inside JSON or markdown meant for a machine or a job summary.
            let warning = "Warning: " + PlanScope.targetingWarning(targets)
            if format == .text { say("\n" + context.style.yellow(warning)) } else { FileHandle.standardError.write(Data((warning + "\n").utf8)) }
        }

        private func showHistory(_ context: StackContext) async throws {
            let runs = try await context.workspace.driftHistory(context.stack)
            let formatter = ISO8601DateFormatter()
            switch format {
            case .json:
                say(
                    JSON.array(
                        runs.map {
                            [
                                "run": .int(Int($0.id)), "checkedAt": .string(formatter.string(from: $0.checkedAt)), "drifted": .bool($0.drifted),
                                "changed": .int($0.changed), "deleted": .int($0.deleted), "unmanaged": .int($0.unmanaged),
                            ]
                        }
                    ).prettyDescription)
            case .text, .markdown:
                if runs.isEmpty { say("No drift runs recorded for '\(context.stack.name)' (\(context.stack.environment.name)).") }
                for run in runs {
                    let result = run.drifted ? "drifted: \(run.changed) changed, \(run.deleted) deleted, \(run.unmanaged) unmanaged" : "no drift"
                    say("run \(run.id)\t\(formatter.string(from: run.checkedAt))\t\(result)")
                }
            }
        }
    }
}

/// Publishes drift notifications with the stack's AWS client and posts them over HTTP.
struct CLINotificationTransport: DriftNotificationTransport {
    let client: AWSClient

    func publish(topicARN: String, region: String, subject: String, message: String) async throws {
        _ = try await client.withRegion(region).query(
            .sns.publish,
            [
                "TopicArn": topicARN, "Subject": subject, "Message": message,
            ])
    }

    // Through the client's transport, so HTTPS_PROXY / NO_PROXY apply as they do to AWS calls.
    func post(json body: Data, to url: URL, timeout: Duration) async throws -> Int {
        try await client.transport.send(
            HTTPRequest(method: "POST", url: url, headers: [("Content-Type", "application/json")], body: body), timeout: timeout
        ).status
    }
}

/// SIGINT and SIGTERM end a watch cleanly between runs.
final class StopSignal: DriftWatchSleeper, @unchecked Sendable {
    private let lock = NSLock()
    private var stopped = false
    private var sources: [DispatchSourceSignal] = []
    private var waiter: CheckedContinuation<Void, Never>?

    init() {
        for number in [SIGINT, SIGTERM] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { [weak self] in self?.trigger() }
            source.resume()
            sources.append(source)
        }
    }

    var isStopRequested: Bool {
        lock.lock()
        defer { lock.unlock() }
        return stopped
    }

    private func trigger() {
        lock.lock()
        stopped = true
        let continuation = waiter
        waiter = nil
        lock.unlock()
        continuation?.resume()
    }

    /// Sleeps for `duration`, or until a signal arrives.
    func sleep(for duration: Duration) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            lock.lock()
            if stopped {
                lock.unlock()
                continuation.resume()
                return
            }
            waiter = continuation
            lock.unlock()
            DispatchQueue.global().asyncAfter(deadline: .now() + duration.seconds) { [weak self] in
                guard let self else { return }
                self.lock.lock()
                let pending = self.waiter
                self.waiter = nil
                self.lock.unlock()
                pending?.resume()
            }
        }
    }
}
