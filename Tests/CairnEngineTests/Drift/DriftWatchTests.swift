import CairnEngine
import CairnJSON
import Foundation
import Testing

/// A sleeper that returns at once, recording each wait, and asks to stop (or cancels its task) after
/// a given number of waits.
final class StubSleeper: DriftWatchSleeper, @unchecked Sendable {
    private let lock = NSLock()
    private var waits: [Duration] = []
    private var stop = false
    let stopAfter: Int?
    let cancelAfter: Int?

    init(stopAfter: Int? = nil, cancelAfter: Int? = nil) {
        self.stopAfter = stopAfter
        self.cancelAfter = cancelAfter
    }

    var slept: [Duration] { lock.withLock { waits } }
    var isStopRequested: Bool { lock.withLock { stop } }

    func sleep(for duration: Duration) async {
        let count = lock.withLock {
            waits.append(duration)
            if waits.count == stopAfter { stop = true }
            return waits.count
        }
        if count == cancelAfter { withUnsafeCurrentTask { $0?.cancel() } }
    }
}

/// A report of `resources` for stack `app` (`prod`).
func driftReport(_ resources: [DriftedResource] = []) -> DriftReport {
    DriftReport(stack: "app", environment: "prod", checkedAt: Date(timeIntervalSince1970: 0), resources: resources, checked: 3)
}

/// A resource whose `size` went from 1 to `size`.
func resized(_ size: Int, sensitive: Bool = false) -> DriftedResource {
    DriftedResource(
        address: "fake_thing.a", type: "fake_thing", id: "a", status: .changed,
        attributes: [DriftedAttribute(path: "size", recorded: 1, live: .int(size), sensitive: sensitive)])
}

@Suite struct DriftWatchTests {
    let stamp = "[1970-01-01T00:00:00Z]"

    func watch(maxRuns: Int? = nil, sleeper: StubSleeper, notifier: DriftNotifier? = nil, random: Double = 0) throws -> DriftWatch {
        DriftWatch(
            schedule: try DriftSchedule(interval: .seconds(60), maxRuns: maxRuns), notifier: notifier, sleeper: sleeper,
            now: { Date(timeIntervalSince1970: 0) }, random: { random })
    }

    /// Runs `watch` over `reports` in turn (the last one repeated); a nil report is a failed check.
    func run(_ watch: DriftWatch, _ reports: [DriftReport?]) async -> (DriftWatchOutcome, [DriftWatchEvent]) {
        var events: [DriftWatchEvent] = []
        var index = 0
        let outcome = await watch.run(
            check: {
                defer { index += 1 }
                guard let report = reports[min(index, reports.count - 1)] else { throw DriftCheckFailed() }
                return report
            }, events: { events.append($0) })
        return (outcome, events)
    }

    @Test func runsMaxRunsTimesWaitingTheIntervalBetweenRuns() async throws {
        let sleeper = StubSleeper()
        let (outcome, events) = await run(try watch(maxRuns: 3, sleeper: sleeper), [driftReport()])
        #expect(outcome == DriftWatchOutcome(runs: 3, drifted: false, stopped: false))
        #expect(sleeper.slept == [.seconds(60), .seconds(60)], "no wait after the last run")
        #expect(
            events == [
                .report(driftReport()), .log("\(stamp) run 2: drift picture unchanged (no drift)."),
                .log("\(stamp) run 3: drift picture unchanged (no drift)."),
            ])
    }

    @Test func waitsAreSpreadByTheJitter() async throws {
        let longer = StubSleeper()
        _ = await run(try watch(maxRuns: 2, sleeper: longer, random: 1), [driftReport()])
        // Within a millisecond: the jitter is computed in floating point.
        #expect(longer.slept.count == 1 && longer.slept.allSatisfy { nearly($0, .seconds(66)) }, "\(longer.slept)")
        let shorter = StubSleeper()
        _ = await run(try watch(maxRuns: 2, sleeper: shorter, random: -1), [driftReport()])
        #expect(shorter.slept.count == 1 && shorter.slept.allSatisfy { nearly($0, .seconds(54)) }, "\(shorter.slept)")
    }

    @Test func laterRunsLogOnlyWhatChanged() async throws {
        let reports = [driftReport(), driftReport([resized(2)]), driftReport([resized(2)]), driftReport([resized(3)]), driftReport()]
        let (outcome, events) = await run(try watch(maxRuns: 5, sleeper: StubSleeper()), reports)
        #expect(outcome == DriftWatchOutcome(runs: 5, drifted: false, stopped: false))
        #expect(
            events == [
                .report(driftReport()),
                .log("\(stamp) run 2: new drift: fake_thing.a changed size = 2"),
                .log("\(stamp) run 3: drift picture unchanged (1 drifted)."),
                .log("\(stamp) run 4: new drift: fake_thing.a changed size = 3"),
                .log("\(stamp) run 4: resolved: fake_thing.a changed size = 2"),
                .log("\(stamp) run 5: resolved: fake_thing.a changed size = 3"),
            ])
    }

    @Test func aStopRequestEndsTheWatchAfterTheWait() async throws {
        let sleeper = StubSleeper(stopAfter: 2)
        let (outcome, events) = await run(try watch(sleeper: sleeper), [driftReport([resized(2)])])
        #expect(outcome == DriftWatchOutcome(runs: 2, drifted: true, stopped: true))
        #expect(events.last == .log("\(stamp) stopped after 2 runs."))
    }

    @Test func cancellingTheTaskEndsTheWatch() async throws {
        let sleeper = StubSleeper(cancelAfter: 1)
        let watch = try watch(sleeper: sleeper)
        let outcome = await Task { await run(watch, [driftReport()]).0 }.value
        #expect(outcome == DriftWatchOutcome(runs: 1, drifted: false, stopped: true))
    }

    @Test func aFailedRunIsLoggedAndTheWatchGoesOn() async throws {
        let (outcome, events) = await run(try watch(maxRuns: 3, sleeper: StubSleeper()), [nil, driftReport([resized(2)]), nil])
        #expect(outcome == DriftWatchOutcome(runs: 3, drifted: true, stopped: false), "the last run that succeeded decides")
        #expect(
            events == [
                .log("\(stamp) run 1: drift check failed: AWS was unreachable."), .report(driftReport([resized(2)])),
                .log("\(stamp) run 3: drift check failed: AWS was unreachable."),
            ])
    }

    @Test func notifiesOnTheFirstDriftAndOnNewDriftOnly() async throws {
        let transport = StubTransport()
        let notifier = DriftNotifier(targets: [.webhook(URL(string: "https://hooks.example.com/a")!)], transport: transport)
        let reports = [driftReport([resized(2)]), driftReport([resized(2)]), driftReport(), driftReport([resized(3)])]
        _ = await run(try watch(maxRuns: 4, sleeper: StubSleeper(), notifier: notifier), reports)
        let posted = transport.posts.map { try? JSON(parsing: String(decoding: $0.body, as: UTF8.self)) }
        #expect(posted.count == 2, "run 1 (drift) and run 4 (new drift); not the unchanged run nor the resolution")
        let last = try #require(posted.last ?? nil)
        #expect(last["resources"]?[0]?["attributes"]?[0]?["live"] == 3)
    }

    @Test func aFailedNotificationIsLoggedAndTheWatchGoesOn() async throws {
        let transport = StubTransport(status: 500)
        let notifier = DriftNotifier(targets: [.webhook(URL(string: "https://hooks.example.com/a")!)], transport: transport)
        let (outcome, events) = await run(try watch(maxRuns: 2, sleeper: StubSleeper(), notifier: notifier), [driftReport([resized(2)])])
        #expect(outcome.runs == 2)
        #expect(
            events.contains(
                .log(
                    "\(stamp) run 1: The drift notification could not be sent to webhook:https://hooks.example.com/a (it answered HTTP 500: check the URL)."
                )))
    }

    @Test func sensitiveValuesStayOutOfTheLog() async throws {
        let (_, events) = await run(try watch(maxRuns: 2, sleeper: StubSleeper()), [driftReport(), driftReport([resized(42, sensitive: true)])])
        #expect(events.last == .log("\(stamp) run 2: new drift: fake_thing.a changed size = (sensitive)"))
    }
}

/// Within a millisecond of each other.
func nearly(_ a: Duration, _ b: Duration) -> Bool {
    a - b < .milliseconds(1) && b - a < .milliseconds(1)
}

struct DriftCheckFailed: Error, CustomStringConvertible {
    var description: String { "AWS was unreachable." }
}
