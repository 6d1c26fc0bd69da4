import Foundation

/// Waits between the runs of a drift watch. The CLI's wakes early on SIGINT or SIGTERM; tests pass one
/// that returns at once, so no test sleeps.
public protocol DriftWatchSleeper: Sendable {
    /// Waits for `duration`, or less once a stop is requested.
    func sleep(for duration: Duration) async
    /// Whether the watch should end instead of starting another run.
    var isStopRequested: Bool { get }
}

/// What a drift watch has to show.
public enum DriftWatchEvent: Sendable, Equatable {
    /// The first run's report, to show whole in the format the user chose.
    case report(DriftReport)
    /// A line for the log, already timestamped.
    case log(String)
}

/// How a drift watch ended.
public struct DriftWatchOutcome: Sendable, Equatable {
    /// How many runs were made, the failed ones included.
    public var runs: Int
    /// Whether the last run that succeeded found drift.
    public var drifted: Bool
    /// Whether it ended because a stop was requested (or its task was cancelled) rather than after `maxRuns`.
    public var stopped: Bool

    /// An outcome, as a watch reports it.
    public init(runs: Int, drifted: Bool, stopped: Bool) {
        self.runs = runs
        self.drifted = drifted
        self.stopped = stopped
    }
}

/// Checks for drift on a schedule until stopped (`cairn drift --every`): the first run's report is shown
/// whole, later runs log only what appeared or was resolved since the run before, and notifications go
/// out for the first drifted run and whenever new drift appears.
public struct DriftWatch: Sendable {
    /// How often to check, and how many times at most.
    public var schedule: DriftSchedule
    /// Notified on new drift; nil notifies nobody.
    public var notifier: DriftNotifier?
    /// Waits between runs and says when to stop.
    public var sleeper: any DriftWatchSleeper
    /// The time written on log lines.
    public var now: @Sendable () -> Date
    /// A random number in -1...1 that spreads each wait by the schedule's jitter.
    public var random: @Sendable () -> Double

    /// A watch on `schedule`; `now` and `random` default to the real clock and a random jitter.
    public init(
        schedule: DriftSchedule, notifier: DriftNotifier? = nil, sleeper: any DriftWatchSleeper,
        now: @escaping @Sendable () -> Date = { Date() },
        random: @escaping @Sendable () -> Double = { Double.random(in: -1...1) }
    ) {
        self.schedule = schedule
        self.notifier = notifier
        self.sleeper = sleeper
        self.now = now
        self.random = random
    }

    /// Runs `check` on the schedule, telling `events` what to show, until a stop is requested, the task
    /// is cancelled or `maxRuns` runs were made. A failed run is logged and the watch goes on, since a
    /// transient failure must not end it.
    public func run(check: () async throws -> DriftReport, events: (DriftWatchEvent) -> Void) async -> DriftWatchOutcome {
        var previous: Set<String>?
        var runs = 0
        var drifted = false
        func log(_ line: String) { events(stamped("run \(runs): \(line)")) }
        while !isStopped {
            runs += 1
            do {
                let report = try await check()
                let picture = Self.picture(of: report)
                drifted = report.drifted
                var notify = false
                if let previous {
                    let appeared = picture.subtracting(previous).sorted()
                    let resolved = previous.subtracting(picture).sorted()
                    if appeared.isEmpty && resolved.isEmpty {
                        log("drift picture unchanged (\(report.drifted ? "\(report.resources.count) drifted" : "no drift")).")
                    }
                    for line in appeared { log("new drift: \(line)") }
                    for line in resolved { log("resolved: \(line)") }
                    notify = !appeared.isEmpty
                } else {
                    events(.report(report))
                    notify = report.drifted
                }
                previous = picture
                if notify, let notifier {
                    do { try await notifier.notify(report) } catch { log("\(error)") }
                }
            } catch {
                log("drift check failed: \(error)")
            }
            if let maxRuns = schedule.maxRuns, runs >= maxRuns { break }
            await sleeper.sleep(for: schedule.wait(unit: random()))
        }
        let stopped = isStopped
        if stopped {
            events(stamped("stopped after \(runs) run\(runs == 1 ? "" : "s")."))
        }
        return DriftWatchOutcome(runs: runs, drifted: drifted, stopped: stopped)
    }

    private func stamped(_ line: String) -> DriftWatchEvent {
        .log("[\(ISO8601DateFormatter().string(from: now()))] \(line)")
    }

    private var isStopped: Bool { sleeper.isStopRequested || Task.isCancelled }

    /// One line per drifted resource or attribute, compared between runs. Sensitive values stay masked,
    /// as in the report.
    static func picture(of report: DriftReport) -> Set<String> {
        Set(
            report.resources.flatMap { resource in
                guard !resource.attributes.isEmpty else { return ["\(resource.address) \(resource.status.rawValue)"] }
                return resource.attributes.map { attribute in
                    let live = attribute.sensitive ? "(sensitive)" : attribute.live?.description ?? "absent"
                    return "\(resource.address) \(resource.status.rawValue) \(attribute.path) = \(live)"
                }
            })
    }
}

extension Workspace {
    /// Watches `stack` for drift with `watch` (see `DriftWatch.run(check:events:)`), only `targets` and what they
    /// depend on when there are any.
    public func watchDrift(
        _ stack: Stack, targets: [String] = [], with watch: DriftWatch, events: (DriftWatchEvent) -> Void
    ) async -> DriftWatchOutcome {
        await watch.run(check: { try await drift(stack, targets: targets) }, events: events)
    }
}
