import CairnAWS
import CairnEngine
import CairnJSON

/// An EventBridge rule on the default bus, with its targets: a schedule (`rate(15 minutes)`,
/// `cron(…)`) or an event pattern that starts a CodeBuild project, a pipeline, a topic, ….
public struct EventBridgeRule: ResourceDeclaration {
    public static let typeName = "aws_cloudwatch_event_rule"

    /// When the rule fires.
    public enum Trigger: Sendable {
        /// `rate(N unit)`.
        case rate(Int, RateUnit)
        /// `cron(minutes hours day-of-month month day-of-week year)`.
        case cron(String)
        /// An event pattern, as data.
        case pattern(JSON)
    }

    public enum RateUnit: String, Sendable {
        case minutes, hours, days
    }

    public enum State: String, Sendable {
        case enabled = "ENABLED"
        case disabled = "DISABLED"
    }

    /// What the rule invokes.
    public struct Target: Sendable {
        public var id: String
        public var arn: Input<String>
        /// The role EventBridge assumes to invoke it (CodeBuild and CodePipeline need one).
        public var roleArn: Input<String>?
        /// Constant JSON passed to the target instead of the event.
        public var input: JSON?

        public init(id: String, arn: Input<String>, roleArn: Input<String>? = nil, input: JSON? = nil) {
            self.id = id
            self.arn = arn
            self.roleArn = roleArn
            self.input = input
        }
    }

    public let logicalName: String
    public var name: Input<String>
    public var trigger: Trigger
    public var state: State
    public var description: String?
    public var targets: [Target]
    public var tags: Tags
    public var options: ResourceOptions

    public init(
        _ logicalName: String, name: Input<String>, trigger: Trigger, state: State = .enabled, description: String? = nil,
        targets: [Target] = [], tags: Tags = [:], options: ResourceOptions = ResourceOptions()
    ) {
        self.logicalName = logicalName
        self.name = name
        self.trigger = trigger
        self.state = state
        self.description = description
        self.targets = targets
        self.tags = tags
        self.options = options
    }

    public var arn: Output<String> { Output(output("arn")) }
    public var ruleName: Output<String> { Output(output("name")) }

    var scheduleExpression: String? {
        switch trigger {
        case .rate(let count, let unit):
            // AWS wants the singular for 1: rate(1 hour).
            return "rate(\(count) \(count == 1 ? String(unit.rawValue.dropLast()) : unit.rawValue))"
        case .cron(let expression): return "cron(\(expression))"
        case .pattern: return nil
        }
    }

    public var attributes: [String: Value] {
        var pattern: Value = .null
        if case .pattern(let json) = trigger { pattern = .json(json) }
        return [
            "name": name.value,
            "scheduleExpression": .optional(scheduleExpression),
            "eventPattern": pattern,
            "state": .string(state.rawValue),
            "description": .optional(description),
            "targets": .array(
                targets.sorted { $0.id < $1.id }.map { target in
                    .object([
                        "id": .string(target.id), "arn": target.arn.value, "roleArn": target.roleArn?.value ?? .null,
                        "input": target.input.map { .json($0) } ?? .null,
                    ])
                }),
            "tags": .json(tags.json),
        ]
    }

    public func validate() -> [ValidationIssue] {
        var issues = checkName(
            name, address: address, attribute: "name", length: 1...64, pattern: #"^[\.\-_A-Za-z0-9]+$"#,
            rule: "rule names are 1 to 64 letters, digits, '.', '-' and '_'")
        if case .rate(let count, _) = trigger, count < 1 {
            issues.append(ValidationIssue(address: address, attribute: "scheduleExpression", message: "a rate must be at least 1."))
        }
        if case .cron(let expression) = trigger, expression.split(separator: " ").count != 6 {
            issues.append(
                ValidationIssue(
                    address: address, attribute: "scheduleExpression",
                    message: "'cron(\(expression))' needs six fields: minutes hours day-of-month month day-of-week year."))
        }
        if let description, description.count > 512 {
            issues.append(ValidationIssue(address: address, attribute: "description", message: "must be at most 512 characters."))
        }
        var ids = Set<String>()
        for (i, target) in targets.enumerated() where !ids.insert(target.id).inserted || target.id.isEmpty || target.id.count > 64 {
            issues.append(
                ValidationIssue(address: address, attribute: "targets[\(i)].id", message: "'\(target.id)' must be unique and 1 to 64 characters."))
        }
        if targets.count > 5 {
            issues.append(ValidationIssue(address: address, attribute: "targets", message: "a rule takes at most 5 targets."))
        }
        return issues + checkTags(tags, address: address)
    }
}

/// Creates, reads, updates and deletes EventBridge rules and their targets; the physical id is the rule name.
struct EventBridgeRuleProvider: ResourceProvider {
    let client: AWSClient
    let typeName = EventBridgeRule.typeName
    /// Adoption proof: the ownership tags; PutRule takes the tags.
    let adoptionProof = AdoptionProof.ownershipTags
    let replaceOnChange: Set<String> = ["name"]

    func physicalID(for attributes: [String: JSON]) -> String? { attributes.string("name") }

    /// Destroy's check: the rule and its tags, without its targets.
    func ownershipRead(id: String, prior: [String: JSON]) async throws -> Observed? {
        let rule: JSON
        do {
            rule = try await client.json(.eventBridge.describeRule, ["Name": .string(id)])
        } catch let error as AWSServiceError where error.code == "ResourceNotFoundException" {
            return nil
        }
        let tags = try await client.json(.eventBridge.listTagsForResource, ["ResourceARN": rule["Arn"] ?? .null])
        return Observed(
            id: id, attributes: ["name": .string(id), "tags": tagMap(tags["Tags"], keyName: "Key", valueName: "Value").json], outputs: [:])
    }

    func read(id: String, prior: [String: JSON]) async throws -> Observed? {
        let rule: JSON
        do {
            rule = try await client.json(.eventBridge.describeRule, ["Name": .string(id)])
        } catch let error as AWSServiceError where error.code == "ResourceNotFoundException" {
            return nil
        }
        let arn = rule["Arn"] ?? .null
        let targets = try await client.jsonAll(.eventBridge.listTargetsByRule, ["Rule": .string(id)], key: "Targets")
        let tags = try await client.json(.eventBridge.listTagsForResource, ["ResourceARN": arn])
        let pattern = rule["EventPattern"]?.stringValue.flatMap { try? JSON(parsing: $0) } ?? .null
        return Observed(
            id: id,
            attributes: [
                "name": .string(id),
                "scheduleExpression": rule["ScheduleExpression"] ?? .null,
                "eventPattern": pattern,
                "state": rule["State"] ?? "ENABLED",
                "description": rule["Description"].flatMap { $0.stringValue?.isEmpty == false ? $0 : nil } ?? .null,
                "targets": .array(
                    targets.sorted { ($0["Id"]?.stringValue ?? "") < ($1["Id"]?.stringValue ?? "") }.map { target in
                        .object([
                            "id": target["Id"] ?? .null, "arn": target["Arn"] ?? .null, "roleArn": target["RoleArn"] ?? .null,
                            "input": target["Input"]?.stringValue.flatMap { try? JSON(parsing: $0) } ?? .null,
                        ])
                    }),
                "tags": tagMap(tags["Tags"], keyName: "Key", valueName: "Value").json,
            ], outputs: ["arn": arn, "name": .string(id)])
    }

    func create(_ attributes: [String: JSON]) async throws -> Applied {
        let name = attributes.string("name") ?? ""
        var input = ruleInput(attributes)
        let tags = attributes.tags()
        if !tags.isEmpty { input["Tags"] = tagList(tags, keyName: "Key", valueName: "Value") }
        let result = try await client.json(.eventBridge.putRule, .object(input))
        try await putTargets(name, attributes["targets"]?.arrayValue ?? [])
        return Applied(id: name, outputs: ["arn": result["RuleArn"] ?? .null, "name": .string(name)])
    }

    func update(id: String, from old: [String: JSON], to new: [String: JSON]) async throws -> Applied {
        let result = try await client.json(.eventBridge.putRule, .object(ruleInput(new)))
        let arn = result["RuleArn"] ?? .null
        let newTargets = new["targets"]?.arrayValue ?? []
        let keep = Set(newTargets.compactMap { $0["id"]?.stringValue })
        let live = try await client.jsonAll(.eventBridge.listTargetsByRule, ["Rule": .string(id)], key: "Targets")
        let stale = live.compactMap { $0["Id"]?.stringValue }.filter { !keep.contains($0) }
        if !stale.isEmpty {
            _ = try await client.json(.eventBridge.removeTargets, ["Rule": .string(id), "Ids": .array(stale.map { .string($0) })])
        }
        try await putTargets(id, newTargets)
        try await TaggingAPI.eventBridge.sync(client, resource: arn.stringValue ?? "", from: old.tags(), to: new.tags())
        return Applied(id: id, outputs: ["arn": arn, "name": .string(id)])
    }

    func delete(id: String, attributes: [String: JSON]) async throws {
        try await ignoringNotFound(["ResourceNotFoundException"]) {
            let targets = try await client.jsonAll(.eventBridge.listTargetsByRule, ["Rule": .string(id)], key: "Targets")
            let ids = targets.compactMap { $0["Id"] }
            if !ids.isEmpty { _ = try await client.json(.eventBridge.removeTargets, ["Rule": .string(id), "Ids": .array(ids)]) }
            _ = try await client.json(.eventBridge.deleteRule, ["Name": .string(id)])
        }
    }

    private func ruleInput(_ attributes: [String: JSON]) -> [String: JSON] {
        var input: [String: JSON] = ["Name": attributes["name"] ?? .null, "State": attributes["state"] ?? "ENABLED"]
        if let schedule = attributes.string("scheduleExpression") { input["ScheduleExpression"] = .string(schedule) }
        if let pattern = attributes["eventPattern"], !pattern.isNull { input["EventPattern"] = .string(pattern.description) }
        input["Description"] = .string(attributes.string("description") ?? "")
        return input
    }

    private func putTargets(_ rule: String, _ targets: [JSON]) async throws {
        guard !targets.isEmpty else { return }
        let list: [JSON] = targets.map { target in
            var item: [String: JSON] = ["Id": target["id"] ?? .null, "Arn": target["arn"] ?? .null]
            if let role = target["roleArn"], !role.isNull { item["RoleArn"] = role }
            if let input = target["input"], !input.isNull { item["Input"] = .string(input.description) }
            return .object(item)
        }
        let result = try await client.json(.eventBridge.putTargets, ["Rule": .string(rule), "Targets": .array(list)])
        if let failed = result["FailedEntryCount"]?.intValue, failed > 0 {
            let first = result["FailedEntries"]?[0]
            throw AWSServiceError(
                JSONOperation.eventBridge.putTargets, status: 200,
                code: first?["ErrorCode"]?.stringValue ?? "FailedEntry",
                message: "target \(first?["TargetId"]?.stringValue ?? "?") of rule \(rule): \(first?["ErrorMessage"]?.stringValue ?? "")",
                requestID: nil)
        }
    }
}

// MARK: cairn generate

extension EventBridgeRuleProvider: DiscoverableProvider {
    var swiftType: String { "EventBridgeRule" }
    var swiftNoun: String { "rule" }
    var swiftNounSuffixed: Bool { true }
    var swiftOutputs: [String: String] { ["arn": "arn", "name": "ruleName"] }

    /// The default event bus's rules, but those AWS services manage themselves (`ManagedBy`).
    func discover() async throws -> [DiscoveredResource] {
        try await client.jsonAll(.eventBridge.listRules).compactMap { rule in
            guard let name = rule["Name"]?.stringValue, rule["ManagedBy"]?.stringValue?.isEmpty ?? true else { return nil }
            return DiscoveredResource(id: name, name: name)
        }
    }

    func swiftArguments(_ live: Observed, in context: SwiftContext) -> [SwiftArgument] {
        let attributes = live.attributes
        var arguments = [SwiftArgument("name", context.literal(live.id))]
        let schedule = attributes.string("scheduleExpression")
        let pattern = attributes["eventPattern"] ?? .null
        if schedule != nil, !pattern.isNull {
            context.cannotExpress(
                "eventPattern", "a rule declares a schedule or a pattern, and this one has both", ignoringDrift: "eventPattern")
        }
        if let schedule {
            guard let trigger = Self.triggerSwift(schedule, in: context) else {
                // A rule needs its trigger, and any other would fire at other times.
                context.cannotDeclare("its schedule '\(schedule)' is not written the way EventBridgeRule writes a rate or cron")
                return arguments
            }
            arguments.append(SwiftArgument("trigger", trigger))
        } else {
            arguments.append(SwiftArgument("trigger", ".pattern(\(SwiftCode.json(pattern)))"))
        }
        if attributes.string("state") == "DISABLED" { arguments.append(SwiftArgument("state", ".disabled")) }
        if let description = attributes.string("description") { arguments.append(SwiftArgument("description", context.literal(description))) }
        let targets = (attributes["targets"]?.arrayValue ?? []).map { target -> String in
            var parts = [
                SwiftArgument("id", context.literal(target["id"]?.stringValue ?? "")),
                SwiftArgument("arn", context.input(target["arn"]?.stringValue ?? "")),
            ]
            if let role = target["roleArn"]?.stringValue {
                parts.append(SwiftArgument("roleArn", context.input(role, naming: IAMRole.typeName, "arn")))
            }
            if let input = target["input"], !input.isNull { parts.append(SwiftArgument("input", SwiftCode.json(input))) }
            return SwiftCode.call(".init", parts)
        }
        if !targets.isEmpty { arguments.append(SwiftArgument("targets", SwiftCode.array(targets))) }
        if let tags = context.tags(live) { arguments.append(tags) }
        return arguments
    }

    /// `.rate(15, .minutes)` or `.cron("…")` for a schedule expression that the declaration writes back the same; nil for
    /// one it does not.
    static func triggerSwift(_ schedule: String, in context: SwiftContext) -> String? {
        if schedule.hasPrefix("cron("), schedule.hasSuffix(")") { return ".cron(\(context.literal(String(schedule.dropFirst(5).dropLast()))))" }
        let parts = schedule.dropFirst("rate(".count).dropLast().split(separator: " ")
        if schedule.hasPrefix("rate("), schedule.hasSuffix(")"), parts.count == 2, let count = Int(parts[0]) {
            let unit = parts[1].hasSuffix("s") ? String(parts[1]) : "\(parts[1])s"
            let written = EventBridgeRule.RateUnit(rawValue: unit).map { EventBridgeRule.Trigger.rate(count, $0) }
            if let written, EventBridgeRule("x", name: "x", trigger: written).scheduleExpression == schedule {
                return ".rate(\(count), .\(unit))"
            }
        }
        return nil
    }
}
