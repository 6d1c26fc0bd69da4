import CairnAWS
import CairnEngine
import CairnJSON

/// A CloudWatch Logs log group (`aws logs create-log-group`), with its retention, encryption key and tags.
///
/// Attributes (as the state and plans show them):
/// - `name`: the log group name; a change replaces the group.
/// - `retentionInDays`: one of CloudWatch Logs' allowed values (`LogGroup.allowedRetentionDays`), or null for
///   never expire (AWS's default).
/// - `kmsKeyId`: the KMS key ARN that encrypts the group, or null (CloudWatch Logs' own encryption). Changed in
///   place (AssociateKmsKey / DisassociateKmsKey).
/// - `logGroupClass`: `"STANDARD"` (default), `"INFREQUENT_ACCESS"` or `"DELIVERY"`; a change replaces the group.
/// - `tags`: an object of strings.
public struct LogGroup: ResourceDeclaration {
    /// The type name in addresses and the state.
    public static let typeName = "aws_cloudwatch_log_group"

    /// The log class: what the group costs and which features it has. Fixed at creation.
    public enum LogGroupClass: String, Sendable {
        /// Every feature; AWS's default.
        case standard = "STANDARD"
        /// Cheaper ingestion, fewer features (no metric filters, subscriptions, live tail).
        case infrequentAccess = "INFREQUENT_ACCESS"
        /// For vended logs delivered to other destinations; retention is fixed at 1 day.
        case delivery = "DELIVERY"
    }

    /// The retention periods CloudWatch Logs accepts (PutRetentionPolicy's `retentionInDays`), in days.
    public static let allowedRetentionDays: [Int] = [
        1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
    ]

    /// The name in the stack (`aws_cloudwatch_log_group.<logicalName>`).
    public let logicalName: String
    /// The log group name (`/ecs/app`); a change replaces the group.
    public var name: Input<String>
    /// How long events are kept, in days (one of `allowedRetentionDays`); nil keeps them forever.
    public var retentionInDays: Int?
    /// The ARN of a symmetric KMS key to encrypt the group with; nil for CloudWatch Logs' own encryption.
    public var kmsKeyId: Input<String>?
    /// The log class; fixed at creation.
    public var logGroupClass: LogGroupClass
    /// AWS tags.
    public var tags: Tags
    /// Dependencies and lifecycle options for the engine.
    public var options: ResourceOptions

    /// A log group named `name`, with CloudWatch Logs' defaults for everything not given.
    public init(
        _ logicalName: String, name: Input<String>, retentionInDays: Int? = nil, kmsKeyId: Input<String>? = nil,
        logGroupClass: LogGroupClass = .standard, tags: Tags = [:], options: ResourceOptions = ResourceOptions()
    ) {
        self.logicalName = logicalName
        self.name = name
        self.retentionInDays = retentionInDays
        self.kmsKeyId = kmsKeyId
        self.logGroupClass = logGroupClass
        self.tags = tags
        self.options = options
    }

    /// The log group's ARN, without the `:*` suffix (`arn:aws:logs:REGION:ACCOUNT:log-group:NAME`).
    public var arn: Output<String> { Output(output("arn")) }
    /// The log group's name (for `awslogs-group`).
    public var logGroupName: Output<String> { Output(output("name")) }

    /// Every managed attribute, with CloudWatch Logs' defaults filled in (see the type's documentation).
    public var attributes: [String: Value] {
        [
            "name": name.value,
            "retentionInDays": retentionInDays.map { .int($0) } ?? .null,
            "kmsKeyId": kmsKeyId?.value ?? .null,
            "logGroupClass": .string(logGroupClass.rawValue),
            "tags": .json(tags.json),
        ]
    }

    /// The name, the retention period, the KMS key and the tags, as CloudWatch Logs checks them.
    public func validate() -> [ValidationIssue] {
        var issues = checkName(
            name, address: address, attribute: "name", length: 1...512, pattern: #"\A[.\-_/#A-Za-z0-9]+\z"#,
            rule: "log group names are 1 to 512 letters, digits and . - _ / #")
        if let retentionInDays, !Self.allowedRetentionDays.contains(retentionInDays) {
            let nearest = Self.allowedRetentionDays.min { abs($0 - retentionInDays) < abs($1 - retentionInDays) }!
            issues.append(
                ValidationIssue(
                    address: address, attribute: "retentionInDays",
                    message: "\(retentionInDays) days is not a retention period CloudWatch Logs accepts (the nearest is \(nearest)); "
                        + "use one of \(Self.allowedRetentionDays.map(String.init).joined(separator: ", ")), or nil to keep events forever."))
        }
        if let key = kmsKeyId?.literal, key.isEmpty || key.count > 256 {
            issues.append(
                ValidationIssue(
                    address: address, attribute: "kmsKeyId",
                    message: "a KMS key ARN is 1 to 256 characters; set kmsKeyId to nil for CloudWatch Logs' own encryption."))
        }
        return issues + checkTags(tags, address: address)
    }
}

/// Creates, reads, updates and deletes CloudWatch Logs log groups; the physical id is the log group name.
struct LogGroupProvider: ResourceProvider {
    let client: AWSClient
    let typeName = LogGroup.typeName
    /// Adoption proof: the ownership tags; CreateLogGroup takes the tags.
    let adoptionProof = AdoptionProof.ownershipTags
    // A delete loses its log events: a plan names an undeclared rename of it.
    let holdsData = true
    let replaceOnChange: Set<String> = ["name", "logGroupClass"]

    func physicalID(for attributes: [String: JSON]) -> String? { attributes.string("name") }

    func read(id: String, prior: [String: JSON]) async throws -> Observed? {
        guard let group = try await describe(id) else { return nil }
        let tags: [String: String]
        do {
            tags =
                try await client.json(.cloudWatchLogs.listTagsForResource, ["resourceArn": .string(Self.arn(group))])["tags"]?
                .objectValue?.compactMapValues(\.stringValue) ?? [:]
        } catch let error as AWSServiceError where error.isNotFound(["ResourceNotFoundException"]) {
            return nil
        }
        return Observed(
            id: id,
            attributes: [
                "name": .string(id),
                "retentionInDays": group["retentionInDays"]?.intValue.map { .int($0) } ?? .null,
                "kmsKeyId": group["kmsKeyId"]?.stringValue.map { .string($0) } ?? .null,
                "logGroupClass": group["logGroupClass"] ?? "STANDARD",
                "tags": tags.json,
            ], outputs: Self.outputs(group, name: id))
    }

    func create(_ attributes: [String: JSON]) async throws -> Applied {
        let name = attributes.string("name") ?? ""
        var input: [String: JSON] = ["logGroupName": .string(name)]
        if let key = attributes.string("kmsKeyId") { input["kmsKeyId"] = .string(key) }
        let logClass = attributes.string("logGroupClass") ?? "STANDARD"
        if logClass != "STANDARD" { input["logGroupClass"] = .string(logClass) }
        let tags = attributes.tags()
        if !tags.isEmpty { input["tags"] = tags.json }
        _ = try await client.json(.cloudWatchLogs.createLogGroup, .object(input))
        if let days = attributes.int("retentionInDays") {
            _ = try await client.json(.cloudWatchLogs.putRetentionPolicy, ["logGroupName": .string(name), "retentionInDays": .int(days)])
        }
        let group = try await describe(name) ?? [:]
        return Applied(id: name, outputs: Self.outputs(group, name: name))
    }

    func update(id: String, from old: [String: JSON], to new: [String: JSON]) async throws -> Applied {
        let name: JSON = .string(id)
        if (old["retentionInDays"] ?? .null) != (new["retentionInDays"] ?? .null) {
            if let days = new.int("retentionInDays") {
                _ = try await client.json(.cloudWatchLogs.putRetentionPolicy, ["logGroupName": name, "retentionInDays": .int(days)])
            } else {
                _ = try await client.json(.cloudWatchLogs.deleteRetentionPolicy, ["logGroupName": name])
            }
        }
        if (old["kmsKeyId"] ?? .null) != (new["kmsKeyId"] ?? .null) {
            if let key = new.string("kmsKeyId") {
                _ = try await client.json(.cloudWatchLogs.associateKmsKey, ["logGroupName": name, "kmsKeyId": .string(key)])
            } else {
                _ = try await client.json(.cloudWatchLogs.disassociateKmsKey, ["logGroupName": name])
            }
        }
        guard let group = try await describe(id) else {
            throw AWSServiceError(
                JSONOperation.cloudWatchLogs.describeLogGroups, status: 404, code: "ResourceNotFoundException",
                message: "The log group \(id) no longer exists", requestID: nil)
        }
        let arn = JSON.string(Self.arn(group))
        try await TaggingAPI.logs.sync(client, resource: arn.stringValue ?? "", from: old.tags(), to: new.tags())
        return Applied(id: id, outputs: Self.outputs(group, name: id))
    }

    func delete(id: String, attributes: [String: JSON]) async throws {
        try await ignoringNotFound(["ResourceNotFoundException"]) {
            _ = try await client.json(.cloudWatchLogs.deleteLogGroup, ["logGroupName": .string(id)])
        }
    }

    // MARK: Helpers

    /// The group named exactly `name`, or nil. DescribeLogGroups matches by prefix, so every page is searched.
    private func describe(_ name: String) async throws -> JSON? {
        let groups = try await client.jsonAll(.cloudWatchLogs.describeLogGroups, ["logGroupNamePrefix": .string(name)])
        return groups.first { $0["logGroupName"]?.stringValue == name }
    }

    /// The ARN without `:*` (what TagResource takes): `logGroupArn`, or `arn` with its suffix removed.
    static func arn(_ group: JSON) -> String {
        if let arn = group["logGroupArn"]?.stringValue { return arn }
        let arn = group["arn"]?.stringValue ?? ""
        return arn.hasSuffix(":*") ? String(arn.dropLast(2)) : arn
    }

    static func outputs(_ group: JSON, name: String) -> [String: JSON] {
        let arn = arn(group)
        return ["arn": arn.isEmpty ? .null : .string(arn), "name": .string(name)]
    }
}

// MARK: cairn generate

extension LogGroupProvider: DiscoverableProvider {
    var swiftType: String { "LogGroup" }
    var swiftNoun: String { "logGroup" }
    var swiftNounSuffixed: Bool { true }
    var swiftOutputs: [String: String] { ["arn": "arn", "name": "logGroupName"] }

    func discover() async throws -> [DiscoveredResource] {
        try await client.jsonAll(.cloudWatchLogs.describeLogGroups).compactMap { group in
            group["logGroupName"]?.stringValue.map { DiscoveredResource(id: $0, name: $0) }
        }
    }

    func swiftArguments(_ live: Observed, in context: SwiftContext) -> [SwiftArgument] {
        let attributes = live.attributes
        var arguments = [SwiftArgument("name", context.literal(attributes.string("name") ?? live.id))]
        if let days = attributes.int("retentionInDays") { arguments.append(SwiftArgument("retentionInDays", String(days))) }
        if let key = attributes.string("kmsKeyId") { arguments.append(SwiftArgument("kmsKeyId", context.input(key, naming: "aws_kms_key", "arn"))) }
        switch attributes.string("logGroupClass") {
        case "INFREQUENT_ACCESS": arguments.append(SwiftArgument("logGroupClass", ".infrequentAccess"))
        case "DELIVERY": arguments.append(SwiftArgument("logGroupClass", ".delivery"))
        default: break
        }
        if let tags = context.tags(live) { arguments.append(tags) }
        return arguments
    }
}
