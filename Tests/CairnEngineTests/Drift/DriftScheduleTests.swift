import CairnEngine
import Testing

@Suite struct DriftScheduleTests {
    @Test(arguments: [
        ("30s", Duration.seconds(30)), ("15m", .seconds(900)), ("1h", .seconds(3600)), ("1h30m", .seconds(5400)),
        ("1.5h", .seconds(5400)), ("2d", .seconds(172_800)), ("0.5s", .milliseconds(500)),
    ])
    func intervalsAreParsed(_ text: String, _ expected: Duration) {
        #expect(DriftSchedule.parseInterval(text) == expected)
    }

    @Test(arguments: ["", "30", "s", "0s", "0m0s", "-5s", "5x", "5 s", "1..5s", "500ms", "0.0001s", "1e3s", "٣s", "9999999999999999d"])
    func nonIntervalsAreRefused(_ text: String) {
        #expect(DriftSchedule.parseInterval(text) == nil, "\(text)")
    }

    @Test func badInputIsExplainedInOneSentence() throws {
        #expect(throws: DriftScheduleError.notAnInterval("soon")) { try DriftSchedule(every: "soon") }
        #expect(DriftScheduleError.notAnInterval("soon").description == "'soon' is not an interval: write it like 30s, 15m or 1h.")
        #expect(throws: DriftScheduleError.tooFewRuns(0)) { try DriftSchedule(every: "1m", maxRuns: 0) }
        let schedule = try DriftSchedule(every: "1m", maxRuns: 3)
        #expect(schedule.interval == .seconds(60))
        #expect(schedule.maxRuns == 3)
        #expect(schedule.jitter == 0.1)
    }
}
