import CairnAWS
import CairnJSON
import Testing

@testable import CairnEngine
@testable import CairnResources

/// The Swift `cairn generate` writes for a metric alarm.
@Suite struct CloudWatchGenerateTests {
    static func alarm(_ extra: [String: JSON] = [:]) -> Observed {
        let attributes: [String: JSON] = [
            "name": "shop-slow-builds", "description": "", "namespace": "AWS/CodeBuild", "metricName": "Duration",
            "dimensions": ["ProjectName": "shop-build"], "statistic": "Average", "extendedStatistic": nil, "period": 300, "evaluationPeriods": 2,
            "datapointsToAlarm": 2, "threshold": 600, "comparisonOperator": "GreaterThanThreshold", "treatMissingData": "notBreaching",
            "unit": nil, "actionsEnabled": true, "alarmActions": ["arn:aws:sns:eu-north-1:123456789012:alerts"], "okActions": [],
            "insufficientDataActions": [], "tags": [:],
        ]
        return Observed(id: "shop-slow-builds", attributes: attributes.merging(extra) { $1 }, outputs: [:])
    }

    @Test func anAlarmIsDeclaredWithItsActions() {
        let declared = GenerateTesting.declare(
            CloudWatchMetricAlarm.typeName, Self.alarm(),
            found: [.init(SNSTopic.typeName, "alertsTopic", ["arn": "arn:aws:sns:eu-north-1:123456789012:alerts"])])
        #expect(
            declared.text
                == #"name: "shop-slow-builds", namespace: "AWS/CodeBuild", metricName: "Duration", dimensions: ["ProjectName": "shop-build"], statistic: .average, period: 300, evaluationPeriods: 2, threshold: 600, comparisonOperator: .greaterThanThreshold, treatMissingData: .notBreaching, alarmActions: [alertsTopic.arn.input]"#
        )
    }

    @Test func anAlarmOnMetricMathIsLeftOut() {
        let declared = GenerateTesting.declare(CloudWatchMetricAlarm.typeName, Self.alarm(["namespace": "", "metricName": ""]))
        #expect(declared.undeclarable?.contains("metric math") == true)
    }
}
