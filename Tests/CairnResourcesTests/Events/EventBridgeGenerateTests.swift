import CairnAWS
import CairnJSON
import Testing

@testable import CairnEngine
@testable import CairnResources

/// The Swift `cairn generate` writes for an EventBridge rule.
@Suite struct EventBridgeGenerateTests {
    static func rule(schedule: String?, pattern: JSON = nil) -> Observed {
        Observed(
            id: "shop-nightly",
            attributes: [
                "name": "shop-nightly", "scheduleExpression": schedule.map(JSON.string) ?? nil, "eventPattern": pattern, "state": "ENABLED",
                "description": "Nightly", "targets": [["id": "t", "arn": "arn:aws:sns:eu-north-1:123456789012:alerts", "input": ["go": true]]],
                "tags": [:],
            ], outputs: [:])
    }

    @Test func aRuleIsDeclaredWithItsTriggerAndTargets() {
        let declared = GenerateTesting.declare(
            EventBridgeRule.typeName, Self.rule(schedule: "rate(15 minutes)"),
            found: [.init(SNSTopic.typeName, "alertsTopic", ["arn": "arn:aws:sns:eu-north-1:123456789012:alerts"])])
        #expect(declared.argument("trigger") == ".rate(15, .minutes)")
        #expect(declared.argument("targets") == #"[.init(id: "t", arn: alertsTopic.arn.input, input: ["go": true])]"#)
        #expect(
            GenerateTesting.declare(EventBridgeRule.typeName, Self.rule(schedule: "cron(0 3 * * ? *)")).argument("trigger")
                == #".cron("0 3 * * ? *")"#)
    }

    /// Both a schedule and a pattern: the pattern is left to AWS. A schedule written otherwise than EventBridgeRule writes
    /// it leaves the rule out, rather than declare another schedule.
    @Test func whatItCannotSayIsNeverDeclaredAsSomethingElse() {
        let both = GenerateTesting.declare(EventBridgeRule.typeName, Self.rule(schedule: "rate(1 hour)", pattern: ["source": ["aws.ecs"]]))
        #expect(both.argument("trigger") == ".rate(1, .hours)")
        #expect(both.ignoredDrift == ["eventPattern"])

        let odd = GenerateTesting.declare(EventBridgeRule.typeName, Self.rule(schedule: "at(2030-01-01T00:00:00)"))
        #expect(odd.undeclarable?.contains("its schedule 'at(2030-01-01T00:00:00)'") == true)
        #expect(odd.argument("trigger") == nil)
    }
}
