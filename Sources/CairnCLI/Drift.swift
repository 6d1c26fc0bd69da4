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

        @Option(help: "On drift, notify sns:TOPIC_ARN or webhook:URL (repeatable).")
        var notify: [String] = []

        func validate() throws {
            if let every, parseInterval(every) == nil {
                throw ValidationError("--every '\(every)' is not an interval: write it like 30s, 15m or 1h.")
            }
            for target in notify {
                let isTopic = target.hasPrefix("sns:arn:") && target.split(separator: ":").count >= 7
                let isWebhook = target.hasPrefix("webhook:") && webhookURL(target) != nil
                guard isTopic || isWebhook else {
                    throw ValidationError("--notify '\(target)' must be sns:TOPIC_ARN (arn:aws:sns:REGION:ACCOUNT:NAME) or webhook:URL (http or https).")
                }
            }
            if let maxRuns, maxRuns < 1 { throw ValidationError("--max-runs must be at least 1.") }
        }

        func run() async throws {
            try await reportingErrors {
                let context = try StackContext(target, aws: aws)
                if history {
                    try showHistory(context)
                    return
                }
                guard let every, let interval = parseInterval(every) else {
                    let report = try await context.workspace.drift(context.stack)
                    emit(report, context: context)
                    if report.drifted {
                        try await notifyAll(report, context: context)
                        throw ExitCode(2)
                    }
                    return
                }
                try await loop(context, interval: interval)
            }
        }

        private func emit(_ report: DriftReport, context: StackContext) {
            switch format {
            case .text: say(report.render(style: context.style))
            case .json: say(report.json.prettyDescription)
            case .markdown: say(report.markdown)
            }
        }

        private func showHistory(_ context: StackContext) throws {
            let runs = try context.workspace.driftHistory(context.stack)
            let formatter = ISO8601DateFormatter()
            switch format {
            case .json:
                say(JSON.array(runs.map {
                    ["checkedAt": .string(formatter.string(from: $0.checkedAt)), "drifted": .bool($0.drifted),
                     "changed": .int($0.changed), "deleted": .int($0.deleted), "unmanaged": .int($0.unmanaged)]
                }).prettyDescription)
            case .text, .markdown:
                if runs.isEmpty { say("No drift runs recorded for '\(context.stack.name)' (\(context.stack.environment.name)).") }
                for run in runs {
                    let result = run.drifted ? "drifted: \(run.changed) changed, \(run.deleted) deleted, \(run.unmanaged) unmanaged" : "no drift"
                    say("\(formatter.string(from: run.checkedAt))\t\(result)")
                }
            }
        }

        /// Runs until SIGINT/SIGTERM or `--max-runs`, reporting only what changed since the previous run.
        private func loop(_ context: StackContext, interval: Duration) async throws {
            let stop = StopSignal()
            var previous: Set<String>?
            var runs = 0
            var lastDrifted = false
            while !stop.requested {
                runs += 1
                do {
                    let report = try await context.workspace.drift(context.stack)
                    let picture = Set(report.resources.flatMap { resource in
                        resource.attributes.isEmpty ? ["\(resource.address) \(resource.status.rawValue)"]
                            : resource.attributes.map { "\(resource.address) \(resource.status.rawValue) \($0.path) = \($0.live?.description ?? "absent")" }
                    })
                    lastDrifted = report.drifted
                    if let previous {
                        let appeared = picture.subtracting(previous).sorted()
                        let resolved = previous.subtracting(picture).sorted()
                        if appeared.isEmpty && resolved.isEmpty {
                            log("run \(runs): drift picture unchanged (\(report.drifted ? "\(report.resources.count) drifted" : "no drift")).")
                        } else {
                            for line in appeared { log("run \(runs): new drift: \(line)") }
                            for line in resolved { log("run \(runs): resolved: \(line)") }
                            if !appeared.isEmpty { try? await notifyAll(report, context: context) }
                        }
                    } else {
                        emit(report, context: context)
                        if report.drifted { try? await notifyAll(report, context: context) }
                    }
                    previous = picture
                } catch {
                    // A transient failure must not end the watch; the next run goes ahead.
                    log("run \(runs): drift check failed: \(error)")
                }
                if let maxRuns, runs >= maxRuns { break }
                // Spread runs by up to ±10% so many watchers don't hit AWS in step.
                let jitter = Double.random(in: -0.1...0.1)
                let wait = interval + interval * jitter
                await stop.sleep(for: wait)
            }
            if stop.requested { log("stopped after \(runs) run\(runs == 1 ? "" : "s").") }
            if lastDrifted { throw ExitCode(2) }
        }

        private func log(_ line: String) {
            say("[\(ISO8601DateFormatter().string(from: Date()))] \(line)")
        }

        private func notifyAll(_ report: DriftReport, context: StackContext) async throws {
            for target in notify {
                let summary = "Cairn drift in \(report.stack) (\(report.environment)): \(report.count(.changed)) changed, \(report.count(.deleted)) deleted, \(report.count(.unmanaged)) unmanaged."
                if target.hasPrefix("sns:") {
                    let arn = String(target.dropFirst(4))
                    let region = arn.split(separator: ":", omittingEmptySubsequences: false).dropFirst(3).first.map(String.init) ?? context.region
                    _ = try await context.client.withRegion(region).query(.sns.publish, [
                        "TopicArn": arn, "Subject": String(summary.prefix(99)), "Message": report.markdown,
                    ])
                } else {
                    guard let url = webhookURL(target) else { continue }
                    var body = report.json
                    if case .object(var members) = body {
                        members["text"] = .string(summary + "\n" + report.markdown)
                        body = .object(members)
                    }
                    let response = try await HTTPClientTransport().send(
                        HTTPRequest(method: "POST", url: url, headers: [("Content-Type", "application/json")], body: Data(body.description.utf8)),
                        timeout: .seconds(10))
                    guard (200..<300).contains(response.status) else {
                        throw CLIError("The drift webhook \(url.absoluteString) answered HTTP \(response.status): check the URL.")
                    }
                }
            }
        }
    }
}

/// The URL of a `webhook:URL` target, if it is a valid http(s) URL.
func webhookURL(_ target: String) -> URL? {
    guard let url = URL(string: String(target.dropFirst("webhook:".count))),
          ["http", "https"].contains(url.scheme?.lowercased() ?? ""), url.host != nil else { return nil }
    return url
}

/// `30s`, `15m`, `1h`, `1h30m`.
func parseInterval(_ text: String) -> Duration? {
    var total = 0.0
    var number = ""
    var sawUnit = false
    for c in text {
        if c.isNumber || c == "." { number.append(c); continue }
        guard let value = Double(number) else { return nil }
        switch c {
        case "s": total += value
        case "m": total += value * 60
        case "h": total += value * 3600
        case "d": total += value * 86400
        default: return nil
        }
        number = ""
        sawUnit = true
    }
    guard number.isEmpty, sawUnit, total > 0 else { return nil }
    return .milliseconds(Int64(total * 1000))
}

/// SIGINT and SIGTERM end a watch cleanly between runs.
final class StopSignal: @unchecked Sendable {
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

    var requested: Bool { lock.lock(); defer { lock.unlock() }; return stopped }

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
            DispatchQueue.global().asyncAfter(deadline: .now() + Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18) { [weak self] in
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
