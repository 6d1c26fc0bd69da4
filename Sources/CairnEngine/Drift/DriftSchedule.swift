import Foundation

/// How often a drift watch (`cairn drift --every`) checks, and how many times at most.
public struct DriftSchedule: Sendable, Hashable {
    /// The time between the end of one run and the start of the next, before jitter.
    public var interval: Duration
    /// The number of runs after which the watch ends by itself; nil runs until stopped.
    public var maxRuns: Int?
    /// The fraction by which each wait is spread at random (0.1: ±10%), so that many watchers
    /// started together don't all call AWS at the same moment.
    public var jitter: Double

    /// A schedule of `interval`, at least 1 run when `maxRuns` is given.
    public init(interval: Duration, maxRuns: Int? = nil, jitter: Double = 0.1) throws(DriftScheduleError) {
        guard interval > .zero else { throw .notAnInterval("\(interval)") }
        if let maxRuns, maxRuns < 1 { throw .tooFewRuns(maxRuns) }
        self.interval = interval
        self.maxRuns = maxRuns
        self.jitter = jitter
    }

    /// A schedule from an interval written like `30s`, `15m`, `1h` or `1h30m`.
    public init(every text: String, maxRuns: Int? = nil) throws(DriftScheduleError) {
        guard let interval = Self.parseInterval(text) else { throw .notAnInterval(text) }
        try self.init(interval: interval, maxRuns: maxRuns)
    }

    /// Parses `30s`, `15m`, `1h`, `2d` or a sum of them (`1h30m`, `1.5h`); nil when `text` is not
    /// such an interval, is zero, or is too long to count in milliseconds.
    public static func parseInterval(_ text: String) -> Duration? {
        var total = 0.0
        var number = ""
        var sawUnit = false
        for c in text {
            if c.isASCII && (c.isNumber || c == ".") {
                number.append(c)
                continue
            }
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
        // The bound keeps the conversion to whole milliseconds from overflowing.
        guard number.isEmpty, sawUnit, total > 0, total * 1000 < Double(Int64.max) else { return nil }
        let milliseconds = Int64(total * 1000)
        return milliseconds > 0 ? .milliseconds(milliseconds) : nil
    }

    /// The wait before the next run for a random draw `unit` in -1...1.
    func wait(unit: Double) -> Duration {
        interval + interval * (jitter * min(1, max(-1, unit)))
    }
}

/// A drift schedule that cannot be made.
public enum DriftScheduleError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The text given as the interval.
    case notAnInterval(String)
    /// The maximum number of runs given.
    case tooFewRuns(Int)

    /// One sentence saying what is wrong.
    public var description: String {
        switch self {
        case .notAnInterval(let text): "'\(text)' is not an interval: write it like 30s, 15m or 1h."
        case .tooFewRuns(let runs): "A drift watch needs at least 1 run, not \(runs)."
        }
    }
}
