import CairnAWS
import CairnEngine
import CairnJSON

/// A CloudWatch alarm on one metric with a static threshold (`aws cloudwatch put-metric-alarm`), such as a CodeBuild
/// project's `BuildDuration` in `AWS/CodeBuild`, notifying an SNS topic.
///
/// Attributes (as the state and plans show them):
/// - `name`: the alarm name, unique in the region; a change replaces the alarm.
/// - `description` (`""` by default), `namespace`, `metricName`, `dimensions` (an object of dimension names and values).
/// - `statistic` (`SampleCount`, `Average`, `Sum`, `Minimum`, `Maximum`) or `extendedStatistic` (`p99`, `tm90`, …):
///   one is set, the other null.
/// - `period` (seconds), `evaluationPeriods`, `datapointsToAlarm` (the M of "M out of N"; the number of evaluation
///   periods unless declared), `threshold`, `comparisonOperator`, `treatMissingData` (`missing` by default, as in
///   CloudWatch), `unit` (null for any unit the metric has).
/// - `actionsEnabled` (`true` by default), `alarmActions`, `okActions`, `insufficientDataActions`: ARNs, up to 5 each,
///   such as `SNSTopic.arn`.
/// - `tags`: an object of strings.
///
/// Everything but the name and the tags changes in place: PutMetricAlarm rewrites the whole alarm (without tags,
/// which it ignores on an existing alarm); tags change with TagResource and UntagResource.
public struct CloudWatchMetricAlarm: ResourceDeclaration {
    /// The type name in addresses and the state.
    public static let typeName = "aws_cloudwatch_metric_alarm"

    /// How the metric's data points in each period are aggregated.
    public enum Statistic: Sendable, Hashable {
        case sampleCount
        case average
        case sum
        case minimum
        case maximum
        /// A percentile or another extended statistic, as CloudWatch spells it: `p99`, `p99.9`, `tm90`, `wm90`, `IQM`,
        /// `TM(10%:90%)`, `PR(0:300)`.
        case extended(String)

        /// `Statistic`'s value, or nil for an extended statistic.
        var standardName: String? {
            switch self {
            case .sampleCount: return "SampleCount"
            case .average: return "Average"
            case .sum: return "Sum"
            case .minimum: return "Minimum"
            case .maximum: return "Maximum"
            case .extended: return nil
            }
        }
    }

    /// How the statistic is compared with the threshold.
    public enum ComparisonOperator: String, Sendable {
        case greaterThanOrEqualToThreshold = "GreaterThanOrEqualToThreshold"
        case greaterThanThreshold = "GreaterThanThreshold"
        case lessThanThreshold = "LessThanThreshold"
        case lessThanOrEqualToThreshold = "LessThanOrEqualToThreshold"
    }

    /// What a period without data counts as.
    public enum TreatMissingData: String, Sendable {
        /// As breaching the threshold.
        case breaching
        /// As within the threshold.
        case notBreaching
        /// Not at all: the alarm keeps its state.
        case ignore
        /// As missing: with too few data points the alarm goes to INSUFFICIENT_DATA (CloudWatch's default).
        case missing
    }

    /// The unit of the metric's data points.
    public enum StandardUnit: String, Sendable {
        case seconds = "Seconds"
        case microseconds = "Microseconds"
        case milliseconds = "Milliseconds"
        case bytes = "Bytes"
        case kilobytes = "Kilobytes"
        case megabytes = "Megabytes"
        case gigabytes = "Gigabytes"
        case terabytes = "Terabytes"
        case bits = "Bits"
        case kilobits = "Kilobits"
        case megabits = "Megabits"
        case gigabits = "Gigabits"
        case terabits = "Terabits"
        case percent = "Percent"
        case count = "Count"
        case bytesPerSecond = "Bytes/Second"
        case kilobytesPerSecond = "Kilobytes/Second"
        case megabytesPerSecond = "Megabytes/Second"
        case gigabytesPerSecond = "Gigabytes/Second"
        case terabytesPerSecond = "Terabytes/Second"
        case bitsPerSecond = "Bits/Second"
        case kilobitsPerSecond = "Kilobits/Second"
        case megabitsPerSecond = "Megabits/Second"
        case gigabitsPerSecond = "Gigabits/Second"
        case terabitsPerSecond = "Terabits/Second"
        case countPerSecond = "Count/Second"
        case none = "None"
    }

    /// The name in the stack (`aws_cloudwatch_metric_alarm.<logicalName>`).
    public let logicalName: String
    /// The alarm name: 1 to 255 characters, no control characters; unique in the region.
    public var name: Input<String>
    /// What the alarm watches for, up to 1024 characters.
    public var description: String
    /// The metric's namespace (`AWS/CodeBuild`).
    public var namespace: String
    /// The metric's name (`BuildDuration`).
    public var metricName: String
    /// The metric's dimensions, by name (`["ProjectName": .output(project.projectName)]`), up to 30.
    public var dimensions: [String: Input<String>]
    /// How data points are aggregated per period.
    public var statistic: Statistic
    /// The length of a period in seconds: 10, 20, 30 or a multiple of 60.
    public var period: Int
    /// How many recent periods are evaluated (the N of "M out of N").
    public var evaluationPeriods: Int
    /// How many of them must breach to alarm (the M); nil for all of them.
    public var datapointsToAlarm: Int?
    /// The value the statistic is compared with.
    public var threshold: Double
    /// How the statistic is compared with the threshold.
    public var comparisonOperator: ComparisonOperator
    /// What periods without data count as.
    public var treatMissingData: TreatMissingData
    /// The unit of the data points evaluated; nil for whatever the metric has (what CloudWatch recommends).
    public var unit: StandardUnit?
    /// Whether state changes run the actions.
    public var actionsEnabled: Bool
    /// What to notify when the alarm goes to ALARM: ARNs (an SNS topic's `arn`), up to 5.
    public var alarmActions: [Input<String>]
    /// What to notify when it goes back to OK, up to 5.
    public var okActions: [Input<String>]
    /// What to notify when it goes to INSUFFICIENT_DATA, up to 5.
    public var insufficientDataActions: [Input<String>]
    /// AWS tags.
    public var tags: Tags
    /// Dependencies and lifecycle options for the engine.
    public var options: ResourceOptions

    /// An alarm when `statistic` of `namespace`/`metricName` over `evaluationPeriods` periods of `period` seconds
    /// compares with `threshold` as `comparisonOperator` says.
    public init(
        _ logicalName: String, name: Input<String>, description: String = "", namespace: String, metricName: String,
        dimensions: [String: Input<String>] = [:], statistic: Statistic, period: Int, evaluationPeriods: Int,
        datapointsToAlarm: Int? = nil, threshold: Double, comparisonOperator: ComparisonOperator,
        treatMissingData: TreatMissingData = .missing, unit: StandardUnit? = nil, actionsEnabled: Bool = true,
        alarmActions: [Input<String>] = [], okActions: [Input<String>] = [], insufficientDataActions: [Input<String>] = [],
        tags: Tags = [:], options: ResourceOptions = ResourceOptions()
    ) {
        self.logicalName = logicalName
        self.name = name
        self.description = description
        self.namespace = namespace
        self.metricName = metricName
        self.dimensions = dimensions
        self.statistic = statistic
        self.period = period
        self.evaluationPeriods = evaluationPeriods
        self.datapointsToAlarm = datapointsToAlarm
        self.threshold = threshold
        self.comparisonOperator = comparisonOperator
        self.treatMissingData = treatMissingData
        self.unit = unit
        self.actionsEnabled = actionsEnabled
        self.alarmActions = alarmActions
        self.okActions = okActions
        self.insufficientDataActions = insufficientDataActions
        self.tags = tags
        self.options = options
    }

    /// The alarm's ARN.
    public var arn: Output<String> { Output(output("arn")) }
    /// The alarm's name (what an ECS service's deployment alarms take).
    public var alarmName: Output<String> { Output(output("name")) }

    /// Every managed attribute, with CloudWatch's defaults filled in (see the type's documentation).
    public var attributes: [String: Value] {
        var extended: Value = .null
        if case .extended(let text) = statistic { extended = .string(text) }
        return [
            "name": name.value,
            "description": .string(description),
            "namespace": .string(namespace),
            "metricName": .string(metricName),
            "dimensions": .object(dimensions.mapValues(\.value)),
            "statistic": .optional(statistic.standardName),
            "extendedStatistic": extended,
            "period": .int(period),
            "evaluationPeriods": .int(evaluationPeriods),
            "datapointsToAlarm": .int(datapointsToAlarm ?? evaluationPeriods),
            "threshold": .json(CloudWatchMetricAlarmProvider.number(threshold)),
            "comparisonOperator": .string(comparisonOperator.rawValue),
            "treatMissingData": .string(treatMissingData.rawValue),
            "unit": .optional(unit?.rawValue),
            "actionsEnabled": .bool(actionsEnabled),
            // Literal ARNs sorted and deduplicated, so that their order never shows as a change.
            "alarmActions": IDList.ids(alarmActions).value,
            "okActions": IDList.ids(okActions).value,
            "insufficientDataActions": IDList.ids(insufficientDataActions).value,
            "tags": .json(tags.json),
        ]
    }

    /// The name, the metric, the statistic, the periods, the actions and the tags, as CloudWatch checks them.
    public func validate() -> [ValidationIssue] {
        var issues = checkName(
            name, address: address, attribute: "name", length: 1...255, pattern: #"\A[^\x00-\x1F\x7F]+\z"#,
            rule: "alarm names are 1 to 255 characters without control characters")
        func issue(_ attribute: String, _ message: String) {
            issues.append(ValidationIssue(address: address, attribute: attribute, message: message))
        }
        if description.count > 1024 { issue("description", "the description has \(description.count) characters; CloudWatch allows 1024.") }
        if !(1...255).contains(namespace.count) || namespace.hasPrefix(":") {
            issue("namespace", "'\(namespace)' is not a metric namespace: 1 to 255 characters, not starting with ':' (such as AWS/CodeBuild).")
        }
        if !(1...255).contains(metricName.count) { issue("metricName", "name the metric in 1 to 255 characters (such as BuildDuration).") }
        if dimensions.count > 30 { issue("dimensions", "a metric has at most 30 dimensions, not \(dimensions.count).") }
        for (dimension, value) in dimensions.sorted(by: { $0.key < $1.key }) {
            if !(1...255).contains(dimension.count) { issue("dimensions", "dimension names are 1 to 255 characters: '\(dimension)' is not.") }
            if let text = value.literal, !(1...1024).contains(text.count) {
                issue("dimensions.\(dimension)", "dimension values are 1 to 1024 characters, not \(text.count).")
            }
        }
        if case .extended(let text) = statistic, !Self.isExtendedStatistic(text) {
            issue(
                "extendedStatistic",
                "'\(text)' is not a CloudWatch statistic: use .sampleCount, .average, .sum, .minimum or .maximum, or an extended statistic such as p99, p99.9, tm90, IQM or TM(10%:90%)."
            )
        }
        if period < 1 || !([10, 20, 30].contains(period) || period % 60 == 0) {
            issue("period", "\(period) seconds is not a period CloudWatch takes: use 10, 20, 30 or a multiple of 60.")
        }
        if evaluationPeriods < 1 { issue("evaluationPeriods", "evaluate at least 1 period, not \(evaluationPeriods).") }
        if let points = datapointsToAlarm, points < 1 || points > evaluationPeriods {
            issue(
                "datapointsToAlarm",
                "\(points) data points to alarm out of \(evaluationPeriods) evaluation periods: use 1 to \(max(evaluationPeriods, 1)).")
        }
        if period > 0 && evaluationPeriods > 0 {
            let total = period * evaluationPeriods
            if total > 604_800 {
                issue("evaluationPeriods", "period × evaluationPeriods is \(total) seconds; CloudWatch evaluates at most 7 days (604800).")
            } else if period < 3600 && total > 86_400 {
                issue(
                    "evaluationPeriods",
                    "period × evaluationPeriods is \(total) seconds; with periods under an hour CloudWatch evaluates at most 1 day (86400).")
            }
        }
        if !threshold.isFinite { issue("threshold", "the threshold must be a finite number.") }
        for (attribute, actions) in [("alarmActions", alarmActions), ("okActions", okActions), ("insufficientDataActions", insufficientDataActions)] {
            if actions.count > 5 { issue(attribute, "an alarm takes at most 5 actions per state, not \(actions.count).") }
            for (i, action) in actions.enumerated() {
                if let text = action.literal, !text.hasPrefix("arn:") {
                    issue("\(attribute)[\(i)]", "'\(text)' is not an ARN: use an SNS topic's arn (or another action's ARN).")
                }
            }
        }
        return issues + checkTags(tags, address: address)
    }

    /// Whether CloudWatch knows the extended statistic: a percentile (`p50`, `p99.9`), a trimmed or winsorized form
    /// (`tm90`, `TM(10%:90%)`), `IQM`, or a percentile rank (`PR(0:300)`).
    static func isExtendedStatistic(_ text: String) -> Bool {
        let percent = #"(100|\d{1,2}(\.\d{1,10})?)"#
        let patterns = [
            #"\A(p|tm|tc|ts|wm)\#(percent)\z"#, #"\AIQM\z"#,
            #"\A(TM|TC|TS|WM)\((\#(percent)%)?:(\#(percent)%)?\)\z"#, #"\APR\(-?\d*(\.\d+)?:-?\d*(\.\d+)?\)\z"#,
        ]
        return patterns.contains { text.range(of: $0, options: .regularExpression) != nil }
    }
}

/// Creates, reads, updates and deletes CloudWatch metric alarms; the physical id is the alarm name.
struct CloudWatchMetricAlarmProvider: ResourceProvider {
    let client: AWSClient
    let typeName = CloudWatchMetricAlarm.typeName
    /// Adoption proof: the ownership tags; PutMetricAlarm takes the tags when it creates the alarm.
    let adoptionProof = AdoptionProof.ownershipTags
    let replaceOnChange: Set<String> = ["name"]

    /// CloudWatch's answer for an alarm (or an ARN) that does not exist.
    static let goneCodes: Set<String> = ["ResourceNotFound", "ResourceNotFoundException"]

    func physicalID(for attributes: [String: JSON]) -> String? { attributes.string("name") }

    func read(id: String, prior: [String: JSON]) async throws -> Observed? {
        guard let alarm = try await describe(id) else { return nil }
        let arn = alarm.string("AlarmArn") ?? ""
        let tags = try await nilIfNotFound(Self.goneCodes) {
            try await client.query(.cloudWatch.listTagsForResource, ["ResourceARN": arn]).list("Tags")
        }
        guard let tags else { return nil }
        var dimensions: [String: JSON] = [:]
        for dimension in alarm.list("Dimensions") {
            if let name = dimension.string("Name") { dimensions[name] = .string(dimension.string("Value") ?? "") }
        }
        func actions(_ key: String) -> JSON {
            let live = alarm.list(key).map { JSON.string($0.text) }
            return .array(orderedLike(live, prior: prior[key]?.arrayValue ?? [], key: \.description))
        }
        let evaluationPeriods = Int(alarm.string("EvaluationPeriods") ?? "") ?? 1
        return Observed(
            id: alarm.string("AlarmName") ?? id,
            attributes: [
                "name": .string(alarm.string("AlarmName") ?? id),
                "description": .string(alarm.string("AlarmDescription") ?? ""),
                "namespace": .string(alarm.string("Namespace") ?? ""),
                "metricName": .string(alarm.string("MetricName") ?? ""),
                "dimensions": .object(dimensions),
                "statistic": alarm.string("Statistic").map { .string($0) } ?? .null,
                "extendedStatistic": alarm.string("ExtendedStatistic").map { .string($0) } ?? .null,
                "period": .int(Int(alarm.string("Period") ?? "") ?? 0),
                "evaluationPeriods": .int(evaluationPeriods),
                "datapointsToAlarm": .int(Int(alarm.string("DatapointsToAlarm") ?? "") ?? evaluationPeriods),
                "threshold": Self.number(Double(alarm.string("Threshold") ?? "") ?? 0),
                "comparisonOperator": .string(alarm.string("ComparisonOperator") ?? ""),
                "treatMissingData": .string(alarm.string("TreatMissingData") ?? "missing"),
                "unit": alarm.string("Unit").map { .string($0) } ?? .null,
                "actionsEnabled": .bool(alarm.string("ActionsEnabled") != "false"),
                "alarmActions": actions("AlarmActions"),
                "okActions": actions("OKActions"),
                "insufficientDataActions": actions("InsufficientDataActions"),
                "tags": Self.tags(tags).json,
            ], outputs: Self.outputs(alarm))
    }

    /// PutMetricAlarm with the tags: on a new alarm it sets them.
    func create(_ attributes: [String: JSON]) async throws -> Applied {
        var parameters = Self.alarmParameters(attributes)
        let tags = attributes.tags()
        if !tags.isEmpty { parameters.list("Tags", tags.keys.sorted().map { ["Key": $0, "Value": tags[$0]!] }) }
        _ = try await client.query(.cloudWatch.putMetricAlarm, parameters)
        let name = attributes.string("name") ?? ""
        let alarm = try await describe(name)
        return Applied(id: name, outputs: alarm.map(Self.outputs) ?? ["name": .string(name)])
    }

    /// PutMetricAlarm rewrites the alarm's whole configuration (it ignores tags on an existing alarm), then the tags
    /// change by TagResource and UntagResource.
    func update(id: String, from old: [String: JSON], to new: [String: JSON]) async throws -> Applied {
        var withoutTags = (old: old, new: new)
        withoutTags.old["tags"] = nil
        withoutTags.new["tags"] = nil
        if withoutTags.old != withoutTags.new {
            _ = try await client.query(.cloudWatch.putMetricAlarm, Self.alarmParameters(new))
        }
        guard let alarm = try await describe(id) else {
            throw AWSServiceError(
                QueryOperation.cloudWatch.describeAlarms, status: 404, code: "ResourceNotFound",
                message: "The alarm \(id) was deleted while Cairn updated it: run apply again, which re-creates it", requestID: nil)
        }
        try await TaggingAPI.cloudWatch.sync(client, resource: alarm.string("AlarmArn") ?? "", from: old.tags(), to: new.tags())
        return Applied(id: id, outputs: Self.outputs(alarm))
    }

    /// Deletes the alarm; one already gone counts as deleted.
    func delete(id: String, attributes: [String: JSON]) async throws {
        var parameters = QueryParameters()
        parameters.list("AlarmNames", [id])
        try await ignoringNotFound(Self.goneCodes) { _ = try await client.query(.cloudWatch.deleteAlarms, parameters) }
    }

    // MARK: Helpers

    /// The metric alarm named `name`, or nil.
    private func describe(_ name: String) async throws -> XMLNode? {
        var parameters = QueryParameters()
        parameters.list("AlarmNames", [name])
        parameters.list("AlarmTypes", ["MetricAlarm"])
        let result = try await client.query(.cloudWatch.describeAlarms, parameters)
        return result.list("MetricAlarms").first { $0.string("AlarmName") == name }
    }

    /// PutMetricAlarm's parameters for an alarm's attributes, tags aside.
    static func alarmParameters(_ attributes: [String: JSON]) -> QueryParameters {
        var parameters: QueryParameters = [
            "AlarmName": attributes.string("name") ?? "",
            "AlarmDescription": attributes.string("description") ?? "",
            "Namespace": attributes.string("namespace") ?? "",
            "MetricName": attributes.string("metricName") ?? "",
            "Period": String(attributes.int("period") ?? 60),
            "EvaluationPeriods": String(attributes.int("evaluationPeriods") ?? 1),
            "DatapointsToAlarm": String(attributes.int("datapointsToAlarm") ?? attributes.int("evaluationPeriods") ?? 1),
            "Threshold": (attributes["threshold"] ?? 0).description,
            "ComparisonOperator": attributes.string("comparisonOperator") ?? "",
            "TreatMissingData": attributes.string("treatMissingData") ?? "missing",
            "ActionsEnabled": attributes.bool("actionsEnabled") == false ? "false" : "true",
        ]
        if let statistic = attributes.string("statistic") { parameters["Statistic"] = statistic }
        if let statistic = attributes.string("extendedStatistic") { parameters["ExtendedStatistic"] = statistic }
        if let unit = attributes.string("unit") { parameters["Unit"] = unit }
        let dimensions = attributes["dimensions"]?.objectValue ?? [:]
        parameters.list("Dimensions", dimensions.keys.sorted().map { ["Name": $0, "Value": dimensions[$0]?.stringValue ?? ""] })
        parameters.list("AlarmActions", attributes.strings("alarmActions"))
        parameters.list("OKActions", attributes.strings("okActions"))
        parameters.list("InsufficientDataActions", attributes.strings("insufficientDataActions"))
        return parameters
    }

    /// A number as JSON prints it back: whole numbers as integers, so that a threshold of 600 compares equal after a
    /// round trip through the state.
    static func number(_ value: Double) -> JSON {
        value.isFinite && value == value.rounded() && abs(value) < 1e15 ? .int(Int(value)) : .double(value)
    }

    static func tags(_ list: [XMLNode]) -> [String: String] {
        var tags: [String: String] = [:]
        for tag in list { if let key = tag.string("Key") { tags[key] = tag.string("Value") ?? "" } }
        return tags
    }

    static func outputs(_ alarm: XMLNode) -> [String: JSON] {
        ["arn": alarm.string("AlarmArn").map { .string($0) } ?? .null, "name": alarm.string("AlarmName").map { .string($0) } ?? .null]
    }
}

// MARK: cairn generate

extension CloudWatchMetricAlarmProvider: DiscoverableProvider {
    var swiftType: String { "CloudWatchMetricAlarm" }
    var swiftNoun: String { "alarm" }
    var swiftNounSuffixed: Bool { true }
    var swiftOutputs: [String: String] { ["arn": "arn", "name": "alarmName"] }

    /// The region's metric alarms (composite alarms are another kind, which Cairn has no type for).
    func discover() async throws -> [DiscoveredResource] {
        var parameters = QueryParameters()
        parameters.list("AlarmTypes", ["MetricAlarm"])
        return try await client.queryAll(.cloudWatch.describeAlarms, parameters).compactMap { alarm in
            alarm.string("AlarmName").map { DiscoveredResource(id: $0, name: $0) }
        }
    }

    func swiftArguments(_ live: Observed, in context: SwiftContext) -> [SwiftArgument] {
        let attributes = live.attributes
        guard let namespace = attributes.string("namespace"), !namespace.isEmpty, let metric = attributes.string("metricName"), !metric.isEmpty
        else {
            // An alarm on metric math or an anomaly band names no single metric.
            context.cannotDeclare("it watches metric math or an anomaly detection band, which CloudWatchMetricAlarm cannot say")
            return []
        }
        var arguments = [SwiftArgument("name", context.literal(live.id))]
        if let description = attributes.string("description"), !description.isEmpty {
            arguments.append(SwiftArgument("description", context.literal(description)))
        }
        arguments.append(SwiftArgument("namespace", context.literal(namespace)))
        arguments.append(SwiftArgument("metricName", context.literal(metric)))
        if let dimensions = attributes["dimensions"]?.objectValue, !dimensions.isEmpty {
            arguments.append(SwiftArgument("dimensions", SwiftCode.dictionary(dimensions.mapValues { context.input($0.stringValue ?? "") })))
        }
        let standard = ["SampleCount": ".sampleCount", "Average": ".average", "Sum": ".sum", "Minimum": ".minimum", "Maximum": ".maximum"]
        if let statistic = attributes.string("statistic") {
            arguments.append(SwiftArgument("statistic", standard[statistic] ?? ".extended(\(context.literal(statistic)))"))
        } else {
            arguments.append(SwiftArgument("statistic", ".extended(\(context.literal(attributes.string("extendedStatistic") ?? "")))"))
        }
        let periods = attributes.int("evaluationPeriods") ?? 1
        arguments.append(SwiftArgument("period", String(attributes.int("period") ?? 60)))
        arguments.append(SwiftArgument("evaluationPeriods", String(periods)))
        if let points = attributes.int("datapointsToAlarm"), points != periods {
            arguments.append(SwiftArgument("datapointsToAlarm", String(points)))
        }
        arguments.append(SwiftArgument("threshold", SwiftCode.json(attributes["threshold"] ?? 0)))
        let comparison = attributes.string("comparisonOperator") ?? ""
        guard let known = CloudWatchMetricAlarm.ComparisonOperator(rawValue: comparison) else {
            context.cannotDeclare("its comparison \(comparison) is not one CloudWatchMetricAlarm.ComparisonOperator names (an anomaly band's)")
            return arguments
        }
        arguments.append(SwiftArgument("comparisonOperator", ".\(String(describing: known))"))
        if let missing = attributes.string("treatMissingData"), missing != "missing",
            let treat = CloudWatchMetricAlarm.TreatMissingData(rawValue: missing)
        {
            arguments.append(SwiftArgument("treatMissingData", ".\(String(describing: treat))"))
        }
        if let unit = attributes.string("unit") {
            if let known = CloudWatchMetricAlarm.StandardUnit(rawValue: unit) {
                arguments.append(SwiftArgument("unit", known == .none ? "CloudWatchMetricAlarm.StandardUnit.none" : ".\(String(describing: known))"))
            } else {
                context.cannotExpress("unit", "\(unit) is not a unit CloudWatchMetricAlarm names", ignoringDrift: "unit")
            }
        }
        if attributes.bool("actionsEnabled") == false { arguments.append(SwiftArgument("actionsEnabled", "false")) }
        for key in ["alarmActions", "okActions", "insufficientDataActions"] {
            let actions = attributes.strings(key)
            if !actions.isEmpty { arguments.append(SwiftArgument(key, context.inputs(actions))) }
        }
        if let tags = context.tags(live) { arguments.append(tags) }
        return arguments
    }
}
