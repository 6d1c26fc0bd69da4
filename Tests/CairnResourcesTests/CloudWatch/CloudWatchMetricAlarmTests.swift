import CairnAWS
import CairnEngine
import CairnJSON
import Foundation
import TestSupport
import Testing

@testable import CairnResources

@Suite struct CloudWatchMetricAlarmTests {
    static func alarm(_ moto: MotoServer, _ name: String) async throws -> JSONValue {
        try await moto.awsJSON(["cloudwatch", "describe-alarms", "--alarm-names", name, "--alarm-types", "MetricAlarm"])["MetricAlarms"][0]
    }

    static func tags(_ moto: MotoServer, _ arn: String) async throws -> [String: String] {
        ProviderTesting.tags(try await moto.awsJSON(["cloudwatch", "list-tags-for-resource", "--resource-arn", arn])["Tags"])
    }

    /// Seed 004's alarm: a CodeBuild project's BuildDuration over 600 s, notifying a topic.
    static func buildDuration(_ name: String, project: Input<String>, topic: Input<String>) -> CloudWatchMetricAlarm {
        CloudWatchMetricAlarm(
            "buildDuration", name: Input(name), description: "backend-build takes over 10 minutes", namespace: "AWS/CodeBuild",
            metricName: "BuildDuration", dimensions: ["ProjectName": project], statistic: .maximum, period: 300, evaluationPeriods: 1,
            threshold: 600, comparisonOperator: .greaterThanThreshold, treatMissingData: .notBreaching, alarmActions: [topic],
            tags: ["team": "web"])
    }

    @Test(.integration) func createReadUpdateDriftDeleteAgainstMoto() async throws {
        let (client, moto) = try await ProviderTesting.client()
        let provider = CloudWatchMetricAlarmProvider(client: client)
        #expect(provider.replaceOnChange == ["name"])
        #expect(provider.adoptionProof == .ownershipTags)
        let topic = try #require(try await moto.awsJSON(["sns", "create-topic", "--name", ProviderTesting.uniqueName("alerts")])["TopicArn"].string)
        let name = ProviderTesting.uniqueName("backend-build-duration")
        var alarm = Self.buildDuration(name, project: "backend-build", topic: Input(topic))
        #expect(alarm.validate().isEmpty)
        let declared = ProviderTesting.attributes(of: alarm)
        #expect(declared["threshold"] == 600)
        #expect(declared["datapointsToAlarm"] == 1)
        #expect(declared["statistic"] == "Maximum" && declared["extendedStatistic"] == .null)
        #expect(provider.physicalID(for: declared) == name)

        let created = try await provider.create(declared)
        let arn = "arn:aws:cloudwatch:us-east-1:\(moto.account):alarm:\(name)"
        #expect(created == Applied(id: name, outputs: ["arn": .string(arn), "name": .string(name)]))
        let live = try await Self.alarm(moto, name)
        #expect(live["Namespace"].string == "AWS/CodeBuild")
        #expect(live["MetricName"].string == "BuildDuration")
        #expect(live["Dimensions"] == [["Name": "ProjectName", "Value": "backend-build"]])
        #expect(live["Statistic"].string == "Maximum")
        #expect(live["Period"].int == 300 && live["EvaluationPeriods"].int == 1)
        #expect(live["Threshold"].double == 600)
        #expect(live["ComparisonOperator"].string == "GreaterThanThreshold")
        #expect(live["TreatMissingData"].string == "notBreaching")
        #expect(live["AlarmActions"] == .array([.string(topic)]))
        #expect(live["ActionsEnabled"].bool == true)
        #expect(try await Self.tags(moto, arn) == ["team": "web"])

        // No drift after the create, nor for an import.
        let read = try #require(try await provider.read(id: name, prior: declared))
        #expect(read.attributes == declared)
        #expect(read.outputs == created.outputs)
        #expect(try await provider.read(id: name, prior: [:])?.attributes == declared)

        // Everything in place: the statistic, the M out of N, the threshold, the unit, the actions, the tags.
        alarm.statistic = .extended("p90")
        alarm.evaluationPeriods = 3
        alarm.datapointsToAlarm = 2
        alarm.threshold = 450.5
        alarm.comparisonOperator = .greaterThanOrEqualToThreshold
        alarm.treatMissingData = .missing
        alarm.unit = .seconds
        alarm.actionsEnabled = false
        alarm.okActions = [Input(topic)]
        alarm.tags = ["team": "platform", "env": "dev"]
        let next = ProviderTesting.attributes(of: alarm)
        #expect(next["threshold"] == 450.5)
        let updated = try await provider.update(id: name, from: declared, to: next)
        #expect(updated.outputs == created.outputs)
        let after = try await Self.alarm(moto, name)
        #expect(after["Statistic"].isNull && after["ExtendedStatistic"].string == "p90")
        #expect(after["EvaluationPeriods"].int == 3 && after["DatapointsToAlarm"].int == 2)
        #expect(after["Threshold"].double == 450.5)
        #expect(after["Unit"].string == "Seconds")
        #expect(after["ActionsEnabled"].bool == false)
        #expect(after["OKActions"] == .array([.string(topic)]))
        #expect(try await Self.tags(moto, arn) == ["team": "platform", "env": "dev"])
        #expect(try await provider.read(id: name, prior: next)?.attributes == next)

        // The threshold changed and a tag added with the aws CLI: drift, and the update puts them back.
        try await moto.aws([
            "cloudwatch", "put-metric-alarm", "--alarm-name", name, "--namespace", "AWS/CodeBuild", "--metric-name", "BuildDuration",
            "--dimensions", "Name=ProjectName,Value=backend-build", "--extended-statistic", "p90", "--period", "300",
            "--evaluation-periods", "3", "--datapoints-to-alarm", "2", "--threshold", "900", "--comparison-operator",
            "GreaterThanOrEqualToThreshold", "--unit", "Seconds", "--no-actions-enabled", "--ok-actions", topic, "--alarm-actions", topic,
            "--alarm-description", "backend-build takes over 10 minutes",
        ]).requireSuccess()
        try await moto.aws(["cloudwatch", "tag-resource", "--resource-arn", arn, "--tags", "Key=owner,Value=someone"]).requireSuccess()
        let drifted = try #require(try await provider.read(id: name, prior: next)).attributes
        #expect(AttributeDiff.changes(from: drifted, to: next).map(\.path).sorted() == ["tags.owner", "threshold"])
        _ = try await provider.update(id: name, from: drifted, to: next)
        #expect(try await Self.alarm(moto, name)["Threshold"].double == 450.5)
        #expect(try await Self.tags(moto, arn) == ["team": "platform", "env": "dev"])

        try await provider.delete(id: name, attributes: next)
        #expect(try await Self.alarm(moto, name).isNull)
        #expect(try await provider.read(id: name, prior: next) == nil)
        try await provider.delete(id: name, attributes: next)  // deleting what is gone is not an error
    }

    /// The query parameters PutMetricAlarm gets: the dimensions and actions as `.member.N` lists, the tags on the create
    /// only (CloudWatch ignores them on an existing alarm; TagResource changes them).
    @Test func putMetricAlarmSendsTheModelsMembers() async throws {
        let arn = "arn:aws:cloudwatch:us-east-1:123456789012:alarm:build"
        let transport = ScriptedTransport { operation in
            operation == "DescribeAlarms"
                ? """
                <DescribeAlarmsResponse><DescribeAlarmsResult><MetricAlarms><member><AlarmName>build</AlarmName>\
                <AlarmArn>\(arn)</AlarmArn></member></MetricAlarms></DescribeAlarmsResult></DescribeAlarmsResponse>
                """
                : "<\(operation)Response><\(operation)Result/></\(operation)Response>"
        }
        let provider = CloudWatchMetricAlarmProvider(client: .scripted(transport, clock: SteppingClock()))
        var alarm = Self.buildDuration("build", project: "backend-build", topic: "arn:aws:sns:us-east-1:123456789012:alerts")
        let declared = ProviderTesting.attributes(of: alarm)
        #expect(try await provider.create(declared) == Applied(id: "build", outputs: ["arn": .string(arn), "name": "build"]))
        let put = try Self.form(#require(transport.bodies("PutMetricAlarm").first))
        #expect(
            put == [
                "Action": "PutMetricAlarm", "Version": "2010-08-01", "AlarmName": "build", "AlarmDescription": "backend-build takes over 10 minutes",
                "Namespace": "AWS/CodeBuild", "MetricName": "BuildDuration", "Dimensions.member.1.Name": "ProjectName",
                "Dimensions.member.1.Value": "backend-build", "Statistic": "Maximum", "Period": "300", "EvaluationPeriods": "1",
                "DatapointsToAlarm": "1", "Threshold": "600", "ComparisonOperator": "GreaterThanThreshold", "TreatMissingData": "notBreaching",
                "ActionsEnabled": "true", "AlarmActions.member.1": "arn:aws:sns:us-east-1:123456789012:alerts", "Tags.member.1.Key": "team",
                "Tags.member.1.Value": "web",
            ])

        // An update rewrites the alarm without tags, then tags by TagResource; a change of tags alone sends no PutMetricAlarm.
        alarm.threshold = 0.25
        alarm.tags = ["team": "platform"]
        _ = try await provider.update(id: "build", from: declared, to: ProviderTesting.attributes(of: alarm))
        let rewrite = try Self.form(#require(transport.bodies("PutMetricAlarm").last))
        #expect(rewrite["Threshold"] == "0.25")
        #expect(rewrite.keys.contains { $0.hasPrefix("Tags.") } == false)
        let tagged = try Self.form(#require(transport.bodies("TagResource").last))
        #expect(tagged["ResourceARN"] == arn && tagged["Tags.member.1.Key"] == "team" && tagged["Tags.member.1.Value"] == "platform")
        let retagged = ProviderTesting.attributes(of: alarm)
        alarm.tags = ["team": "web"]
        _ = try await provider.update(id: "build", from: retagged, to: ProviderTesting.attributes(of: alarm))
        #expect(transport.bodies("PutMetricAlarm").count == 2)
        #expect(transport.bodies("TagResource").count == 2)
    }

    /// A form body as its fields.
    static func form(_ body: String) throws -> [String: String] {
        var fields: [String: String] = [:]
        for pair in body.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1).map { $0.replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? "" }
            fields[parts[0]] = parts.count > 1 ? parts[1] : ""
        }
        return fields
    }

    @Test func validationNamesTheAttribute() {
        func issues(_ change: (inout CloudWatchMetricAlarm) -> Void) -> [String?] {
            var alarm = Self.buildDuration("build", project: "backend-build", topic: "arn:aws:sns:us-east-1:123456789012:alerts")
            change(&alarm)
            return alarm.validate().map(\.attribute)
        }
        #expect(issues { _ in }.isEmpty)
        #expect(issues { $0.period = 20 }.isEmpty)
        #expect(issues { $0.period = 45 } == ["period"])
        #expect(issues { $0.period = 0 } == ["period"])
        #expect(issues { $0.datapointsToAlarm = 2 } == ["datapointsToAlarm"])
        #expect(issues { $0.evaluationPeriods = 0 }.contains("evaluationPeriods"))
        #expect(issues { $0.evaluationPeriods = 289 } == ["evaluationPeriods"])  // 289 × 300 s is over a day
        #expect(issues { ($0.period, $0.evaluationPeriods) = (3600, 169) } == ["evaluationPeriods"])  // over 7 days
        #expect(issues { ($0.period, $0.evaluationPeriods) = (3600, 168) }.isEmpty)
        #expect(issues { $0.statistic = .extended("p999") } == ["extendedStatistic"])
        #expect(issues { $0.statistic = .extended("Max") } == ["extendedStatistic"])
        for statistic in ["p99", "p99.9", "p100", "tm90", "wm90", "IQM", "TM(10%:90%)", "TC(:95%)", "PR(0:300)"] {
            #expect(issues { $0.statistic = .extended(statistic) }.isEmpty, "\(statistic)")
        }
        #expect(issues { $0.name = "tab\there" } == ["name"])
        #expect(issues { $0.name = Input(String(repeating: "a", count: 256)) } == ["name"])
        #expect(issues { $0.description = String(repeating: "x", count: 1025) } == ["description"])
        #expect(issues { $0.namespace = "" } == ["namespace"])
        #expect(issues { $0.metricName = "" } == ["metricName"])
        #expect(issues { $0.dimensions["ProjectName"] = "" } == ["dimensions.ProjectName"])
        #expect(issues { $0.threshold = .nan } == ["threshold"])
        #expect(issues { $0.alarmActions = ["alerts"] } == ["alarmActions[0]"])
        #expect(issues { $0.okActions = (1...6).map { Input("arn:aws:sns:us-east-1:123456789012:t\($0)") } } == ["okActions"])
        #expect(issues { $0.tags = ["aws:x": "y"] } == ["tags.aws:x"])
        let issue = Self.buildDuration("build", project: "p", topic: "t").validate().first
        #expect(issue?.address == "aws_cloudwatch_metric_alarm.buildDuration")
        #expect(issue?.message.contains("not an ARN") == true)
        // An operator AWS does not have cannot be written; from text, it is refused by name.
        #expect(CloudWatchMetricAlarm.ComparisonOperator(rawValue: "GreaterThanThreshold") == .greaterThanThreshold)
        #expect(CloudWatchMetricAlarm.ComparisonOperator(rawValue: "GreaterThan") == nil)
    }

    /// Literal actions are sorted, so their order is no change; whole thresholds compare equal after the state's round trip.
    @Test func attributesCompareLikeForLike() throws {
        var alarm = Self.buildDuration("build", project: "p", topic: "arn:aws:sns:us-east-1:123456789012:b")
        alarm.alarmActions = ["arn:aws:sns:us-east-1:123456789012:b", "arn:aws:sns:us-east-1:123456789012:a"]
        let attributes = ProviderTesting.attributes(of: alarm)
        #expect(attributes["alarmActions"] == ["arn:aws:sns:us-east-1:123456789012:a", "arn:aws:sns:us-east-1:123456789012:b"])
        let stored = try JSON(parsing: JSON.object(attributes).description)
        #expect(stored["threshold"] == attributes["threshold"])
        alarm.threshold = 0.5
        let fractional = ProviderTesting.attributes(of: alarm)
        #expect(try JSON(parsing: JSON.object(fractional).description)["threshold"] == 0.5)
    }
}
