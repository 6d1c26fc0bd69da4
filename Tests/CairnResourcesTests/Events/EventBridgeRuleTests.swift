import CairnAWS
import CairnEngine
import CairnJSON
import TestSupport
import Testing

@testable import CairnResources

@Suite struct EventBridgeRuleTests {
    @Test(.integration) func scheduledRuleWithTargetsLifecycle() async throws {
        let (client, moto) = try await ProviderTesting.client()
        let provider = EventBridgeRuleProvider(client: client)
        let name = ProviderTesting.uniqueName("drift-schedule")
        let topic = try await moto.awsJSON(["sns", "create-topic", "--name", name])["TopicArn"].string ?? ""
        var rule = EventBridgeRule(
            "schedule", name: Input(name), trigger: .rate(15, .minutes), description: "Runs cairn drift",
            targets: [.init(id: "drift", arn: Input(topic), input: ["stack": "small-business-invoices"])],
            tags: ["team": "platform"])
        let declared = ProviderTesting.attributes(of: rule)
        let created = try await provider.create(declared)
        #expect(created.outputs["arn"]?.stringValue?.hasSuffix(":rule/\(name)") == true)

        let described = try await moto.awsJSON(["events", "describe-rule", "--name", name])
        #expect(described["ScheduleExpression"] == "rate(15 minutes)")
        #expect(described["State"] == "ENABLED")
        let targets = try await moto.awsJSON(["events", "list-targets-by-rule", "--rule", name])
        #expect(targets["Targets"][0]["Arn"] == .string(topic))
        #expect(try await provider.read(id: name, prior: declared)?.attributes == declared, "no false drift")

        rule.trigger = .cron("0 6 * * ? *")
        rule.state = .disabled
        rule.targets = []
        rule.tags = ["team": "infra"]
        let updated = ProviderTesting.attributes(of: rule)
        _ = try await provider.update(id: name, from: declared, to: updated)
        let after = try await moto.awsJSON(["events", "describe-rule", "--name", name])
        #expect(after["ScheduleExpression"] == "cron(0 6 * * ? *)")
        #expect(after["State"] == "DISABLED")
        #expect(try await moto.awsJSON(["events", "list-targets-by-rule", "--rule", name])["Targets"].array?.isEmpty == true)
        #expect(try await provider.read(id: name, prior: updated)?.attributes == updated)

        try await provider.delete(id: name, attributes: updated)
        #expect(try await provider.read(id: name, prior: [:]) == nil)
        try await provider.delete(id: name, attributes: updated)
    }

    @Test func validationNamesTheAttribute() {
        let rule = EventBridgeRule(
            "bad", name: "has space", trigger: .cron("0 6 * *"),
            targets: [.init(id: "a", arn: "x"), .init(id: "a", arn: "y")])
        let attributes = Set(rule.validate().compactMap(\.attribute))
        #expect(attributes == ["name", "scheduleExpression", "targets[1].id"])
    }
}
