import CairnAWS
import CairnEngine
import CairnJSON

/// A DynamoDB table (`aws dynamodb create-table`), such as a Terraform state lock table: its key, billing mode,
/// encryption at rest, point-in-time recovery, deletion protection and tags. No secondary indexes or streams.
///
/// Attributes (as the state and plans show them):
/// - `name`: the table name; a change replaces the table.
/// - `attributeDefinitions`: `[{"name": …, "type": "S" | "N" | "B"}]`, sorted by name: exactly the key attributes.
///   A change replaces the table.
/// - `hashKey`, `rangeKey` (null for none): the key schema; a change replaces the table.
/// - `billingMode`: `"PAY_PER_REQUEST"` (Cairn's default) or `"PROVISIONED"`, with `readCapacity` and
///   `writeCapacity` (null when on demand). Changed in place (UpdateTable).
/// - `encryption`: `{"sseType": "AWS_OWNED"}` (DynamoDB's default), `{"sseType": "KMS"}` (the AWS managed key
///   `alias/aws/dynamodb`) or `{"sseType": "KMS", "kmsKey": …}`; changed in place.
/// - `pointInTimeRecovery`: `false` by default; changed in place (UpdateContinuousBackups).
/// - `deletionProtection`: `false` by default; changed in place. While on, destroy fails, naming the table.
/// - `tags`: an object of strings.
///
/// Creation and deletion are asynchronous: the create and each update wait for `ACTIVE`, the delete until the table
/// is gone, each with a deadline.
public struct DynamoDBTable: ResourceDeclaration {
    /// The type name in addresses and the state.
    public static let typeName = "aws_dynamodb_table"

    /// A key attribute's scalar type.
    public enum AttributeType: String, Sendable {
        case string = "S"
        case number = "N"
        case binary = "B"
    }

    /// A key attribute: its name and type.
    public struct AttributeDefinition: Sendable, Hashable {
        /// The attribute's name (1 to 255 characters).
        public var name: String
        /// The attribute's type.
        public var type: AttributeType

        /// The attribute `name` of type `type`.
        public init(_ name: String, _ type: AttributeType) {
            self.name = name
            self.type = type
        }
    }

    /// How reads and writes are paid for.
    public enum BillingMode: Sendable {
        /// On demand, per request.
        case payPerRequest
        /// Provisioned capacity units per second.
        case provisioned(readCapacity: Int, writeCapacity: Int)
    }

    /// Which key encrypts the table at rest.
    public enum Encryption: Sendable {
        /// A key DynamoDB owns (no charge, not visible in the account); DynamoDB's default.
        case awsOwned
        /// The AWS managed key `alias/aws/dynamodb` in the account.
        case awsManaged
        /// A customer managed key: its ARN, key id or alias (`KMSKey.arn`).
        case kms(key: Input<String>)

        var value: Value {
            switch self {
            case .awsOwned: return .object(["sseType": .string("AWS_OWNED")])
            case .awsManaged: return .object(["sseType": .string("KMS")])
            case .kms(let key): return .object(["sseType": .string("KMS"), "kmsKey": key.value])
            }
        }
    }

    /// The name in the stack (`aws_dynamodb_table.<logicalName>`).
    public let logicalName: String
    /// The table name: 3 to 255 letters, digits, `_`, `-` and `.`.
    public var name: Input<String>
    /// The key attributes: exactly `hashKey` and, if any, `rangeKey`.
    public var attributeDefinitions: [AttributeDefinition]
    /// The partition key's attribute name (`"LockID"` for Terraform's lock table).
    public var hashKey: String
    /// The sort key's attribute name; nil for none.
    public var rangeKey: String?
    /// On demand (default) or provisioned capacity.
    public var billingMode: BillingMode
    /// Encryption at rest; default a key DynamoDB owns.
    public var encryption: Encryption
    /// Continuous backups restorable to any second of the last 35 days.
    public var pointInTimeRecovery: Bool
    /// Refuse DeleteTable (also Cairn's destroy) while set.
    public var deletionProtection: Bool
    /// AWS tags.
    public var tags: Tags
    /// Dependencies and lifecycle options for the engine.
    public var options: ResourceOptions

    /// A table named `name` keyed by `hashKey` (and `rangeKey`), on demand, with DynamoDB's defaults otherwise.
    public init(
        _ logicalName: String, name: Input<String>, attributeDefinitions: [AttributeDefinition], hashKey: String,
        rangeKey: String? = nil, billingMode: BillingMode = .payPerRequest, encryption: Encryption = .awsOwned,
        pointInTimeRecovery: Bool = false, deletionProtection: Bool = false, tags: Tags = [:],
        options: ResourceOptions = ResourceOptions()
    ) {
        self.logicalName = logicalName
        self.name = name
        self.attributeDefinitions = attributeDefinitions
        self.hashKey = hashKey
        self.rangeKey = rangeKey
        self.billingMode = billingMode
        self.encryption = encryption
        self.pointInTimeRecovery = pointInTimeRecovery
        self.deletionProtection = deletionProtection
        self.tags = tags
        self.options = options
    }

    /// The table's ARN, what IAM policies take.
    public var arn: Output<String> { Output(output("arn")) }
    /// The table's name (Terraform's `dynamodb_table` backend setting).
    public var tableName: Output<String> { Output(output("name")) }

    /// Every managed attribute, with DynamoDB's defaults filled in (see the type's documentation).
    public var attributes: [String: Value] {
        var mode = "PAY_PER_REQUEST"
        var capacity: (read: Value, write: Value) = (.null, .null)
        if case .provisioned(let read, let write) = billingMode { (mode, capacity) = ("PROVISIONED", (.int(read), .int(write))) }
        return [
            "name": name.value,
            "attributeDefinitions": .array(
                attributeDefinitions.sorted { $0.name < $1.name }.map {
                    .object(["name": .string($0.name), "type": .string($0.type.rawValue)])
                }),
            "hashKey": .string(hashKey),
            "rangeKey": rangeKey.map { .string($0) } ?? .null,
            "billingMode": .string(mode),
            "readCapacity": capacity.read,
            "writeCapacity": capacity.write,
            "encryption": encryption.value,
            "pointInTimeRecovery": .bool(pointInTimeRecovery),
            "deletionProtection": .bool(deletionProtection),
            "tags": .json(tags.json),
        ]
    }

    /// The name, the key schema against the attribute definitions, the capacity, the KMS key and the tags, as
    /// DynamoDB checks them.
    public func validate() -> [ValidationIssue] {
        var issues = checkName(
            name, address: address, attribute: "name", length: 3...255, pattern: #"\A[A-Za-z0-9_.-]+\z"#,
            rule: "table names are 3 to 255 letters, digits, '_', '-' and '.'")
        func issue(_ attribute: String, _ message: String) {
            issues.append(ValidationIssue(address: address, attribute: attribute, message: message))
        }
        let declared = Set(attributeDefinitions.map(\.name))
        for (attribute, key) in [("hashKey", hashKey), ("rangeKey", rangeKey)] {
            guard let key, !declared.contains(key) else { continue }
            issue(
                attribute,
                "the key attribute '\(key)' is not declared in attributeDefinitions: add .init(\"\(key)\", .string) "
                    + "(or .number, .binary) to it.")
        }
        if rangeKey == hashKey {
            issue("rangeKey", "the sort key '\(hashKey)' is also the partition key: name another attribute, or remove rangeKey.")
        }
        let keys = Set([hashKey, rangeKey].compactMap { $0 })
        for (i, definition) in attributeDefinitions.enumerated() {
            if !keys.contains(definition.name) {
                issue(
                    "attributeDefinitions[\(i)]",
                    "'\(definition.name)' is not a key attribute, and without secondary indexes "
                        + "DynamoDB accepts only key attributes here: remove it (items may hold any attribute without declaring it).")
            }
            if definition.name.isEmpty || definition.name.utf8.count > 255 {
                issue("attributeDefinitions[\(i)]", "attribute names are 1 to 255 bytes long.")
            }
            if attributeDefinitions[..<i].contains(where: { $0.name == definition.name }) {
                issue("attributeDefinitions[\(i)]", "'\(definition.name)' is declared twice: keep one definition.")
            }
        }
        if case .provisioned(let read, let write) = billingMode, read < 1 || write < 1 {
            issue(
                "billingMode",
                "provisioned capacity is at least 1 read and 1 write unit, not \(read) and \(write): raise them, "
                    + "or use .payPerRequest.")
        }
        if case .kms(let key) = encryption, let text = key.literal, text.isEmpty || text.count > 2048 {
            issue("encryption.kmsKey", "a KMS key is named by 1 to 2048 characters (an ARN, key id or alias): fix it, or use .awsManaged.")
        }
        return issues + checkTags(tags, address: address)
    }
}

/// The table has deletion protection, so destroy did not delete it.
public struct DynamoDBTableProtectedError: Error, Sendable, CustomStringConvertible {
    /// The table's name.
    public let table: String

    /// What happened and the way out.
    public var description: String {
        "The DynamoDB table '\(table)' has deletion protection, so it was not deleted: set deletionProtection: false on it and apply, then destroy again."
    }
}

/// Creates, reads, updates and deletes DynamoDB tables; the physical id is the table name.
struct DynamoDBTableProvider: ResourceProvider {
    let client: AWSClient
    let typeName = DynamoDBTable.typeName
    /// Adoption proof: the ownership tags; CreateTable takes the tags.
    let adoptionProof = AdoptionProof.ownershipTags
    // A delete loses its items: a plan names an undeclared rename of it.
    let holdsData = true
    let replaceOnChange: Set<String> = ["name", "attributeDefinitions", "hashKey", "rangeKey"]

    /// DynamoDB's answers for a table that does not exist.
    static let goneCodes: Set<String> = ["ResourceNotFoundException", "TableNotFoundException"]
    /// How long a table may take to become ACTIVE after a create or an update, or to disappear after a delete
    /// (AWS's own waiters allow 500 seconds).
    static let timeout: Duration = .seconds(600)

    func physicalID(for attributes: [String: JSON]) -> String? { attributes.string("name") }

    func read(id: String, prior: [String: JSON]) async throws -> Observed? {
        let table: JSON
        let pitr: JSON
        let tags: [JSON]
        do {
            guard let described = try await describe(id), described["TableStatus"]?.stringValue != "DELETING" else { return nil }
            table = described
            pitr = try await client.json(.dynamoDB.describeContinuousBackups, ["TableName": .string(id)])
            tags = try await client.jsonAll(.dynamoDB.listTagsOfResource, ["ResourceArn": table["TableArn"] ?? .null])
        } catch let error as AWSServiceError where error.isNotFound(Self.goneCodes) {
            return nil
        }
        let keys = table["KeySchema"]?.arrayValue ?? []
        func key(_ type: String) -> JSON { keys.first { $0["KeyType"]?.stringValue == type }?["AttributeName"] ?? .null }
        let billing = table["BillingModeSummary"]?["BillingMode"]?.stringValue ?? "PROVISIONED"
        let throughput = table["ProvisionedThroughput"]
        let status = pitr["ContinuousBackupsDescription"]?["PointInTimeRecoveryDescription"]?["PointInTimeRecoveryStatus"]
        return Observed(
            id: id,
            attributes: [
                "name": .string(id),
                "attributeDefinitions": .array(
                    (table["AttributeDefinitions"]?.arrayValue ?? [])
                        .map { JSON.object(["name": $0["AttributeName"] ?? .null, "type": $0["AttributeType"] ?? .null]) }
                        .sorted { ($0["name"]?.stringValue ?? "") < ($1["name"]?.stringValue ?? "") }),
                "hashKey": key("HASH"),
                "rangeKey": key("RANGE"),
                "billingMode": .string(billing),
                "readCapacity": billing == "PROVISIONED" ? throughput?["ReadCapacityUnits"] ?? .null : .null,
                "writeCapacity": billing == "PROVISIONED" ? throughput?["WriteCapacityUnits"] ?? .null : .null,
                "encryption": Self.observedEncryption(table["SSEDescription"], declared: prior["encryption"]),
                "pointInTimeRecovery": .bool(status?.stringValue == "ENABLED"),
                "deletionProtection": table["DeletionProtectionEnabled"] ?? false,
                "tags": tagMap(.array(tags), keyName: "Key", valueName: "Value").json,
            ], outputs: Self.outputs(table))
    }

    func create(_ attributes: [String: JSON]) async throws -> Applied {
        let name = attributes.string("name") ?? ""
        var keySchema: [JSON] = [["AttributeName": attributes["hashKey"] ?? .null, "KeyType": "HASH"]]
        if let range = attributes["rangeKey"], !range.isNull { keySchema.append(["AttributeName": range, "KeyType": "RANGE"]) }
        var input: [String: JSON] = [
            "TableName": .string(name),
            "AttributeDefinitions": .array(
                (attributes["attributeDefinitions"]?.arrayValue ?? []).map {
                    ["AttributeName": $0["name"] ?? .null, "AttributeType": $0["type"] ?? .null]
                }),
            "KeySchema": .array(keySchema),
            "DeletionProtectionEnabled": .bool(attributes.bool("deletionProtection") ?? false),
        ]
        input.merge(Self.billing(attributes)) { _, new in new }
        if let sse = Self.sseSpecification(attributes["encryption"], turningOff: false) { input["SSESpecification"] = sse }
        let tags = attributes.tags()
        if !tags.isEmpty { input["Tags"] = tagList(tags, keyName: "Key", valueName: "Value") }
        _ = try await takingTurns(name) { try await client.json(.dynamoDB.createTable, .object(input)) }
        var table = try await waitUntilActive(name, after: "CreateTable")
        if attributes.bool("pointInTimeRecovery") == true {
            try await setPointInTimeRecovery(name, true)
            table = try await describe(name) ?? table
        }
        return Applied(id: name, outputs: Self.outputs(table))
    }

    /// One UpdateTable per change (DynamoDB takes one kind of change at a time), each waited on until the table is
    /// ACTIVE again; then point-in-time recovery and tags.
    func update(id: String, from old: [String: JSON], to new: [String: JSON]) async throws -> Applied {
        let name: JSON = .string(id)
        func changed(_ keys: String...) -> Bool { keys.contains { (old[$0] ?? .null) != (new[$0] ?? .null) } }
        var updates: [[String: JSON]] = []
        if changed("billingMode", "readCapacity", "writeCapacity") { updates.append(Self.billing(new)) }
        if changed("encryption"), let sse = Self.sseSpecification(new["encryption"], turningOff: true) {
            updates.append(["SSESpecification": sse])
        }
        if changed("deletionProtection") { updates.append(["DeletionProtectionEnabled": .bool(new.bool("deletionProtection") ?? false)]) }
        for update in updates {
            _ = try await takingTurns(id) {
                try await client.json(.dynamoDB.updateTable, .object(update.merging(["TableName": name]) { _, new in new }))
            }
            _ = try await waitUntilActive(id, after: "UpdateTable")
        }
        if changed("pointInTimeRecovery") { try await setPointInTimeRecovery(id, new.bool("pointInTimeRecovery") ?? false) }
        guard let table = try await describe(id) else {
            throw AWSServiceError(
                JSONOperation.dynamoDB.describeTable, status: 400, code: "ResourceNotFoundException",
                message: "The DynamoDB table \(id) no longer exists", requestID: nil)
        }
        try await TaggingAPI.dynamoDB.sync(client, resource: table["TableArn"]?.stringValue ?? "", from: old.tags(), to: new.tags())
        return Applied(id: id, outputs: Self.outputs(table))
    }

    /// Deletes the table and waits until it is gone, so that a table of the same name can be created at once. A table
    /// that is gone counts as deleted; one with deletion protection fails with `DynamoDBTableProtectedError`.
    func delete(id: String, attributes: [String: JSON]) async throws {
        do {
            _ = try await takingTurns(id) { try await client.json(.dynamoDB.deleteTable, ["TableName": .string(id)]) }
        } catch let error as AWSServiceError where error.isNotFound(Self.goneCodes) {
            return
        } catch let error as AWSServiceError where error.code == "ValidationException" {
            if try await describe(id)?["DeletionProtectionEnabled"]?.boolValue == true { throw DynamoDBTableProtectedError(table: id) }
            throw error
        }
        try await waitUntil("DynamoDB table \(id)", "be deleted", clock: client.waitClock, timeout: Self.timeout) {
            try await describe(id) == nil
        }
    }

    // MARK: Helpers

    /// DescribeTable's `Table`, or nil when there is no such table.
    private func describe(_ name: String) async throws -> JSON? {
        let table: JSON?? = try await nilIfNotFound(Self.goneCodes) {
            try await client.json(.dynamoDB.describeTable, ["TableName": .string(name)])["Table"]
        }
        return table ?? nil
    }

    /// Waits until the table is ACTIVE (its encryption too) and returns it.
    private func waitUntilActive(_ name: String, after call: String) async throws -> JSON {
        var table: JSON = [:]
        try await waitUntil("DynamoDB table \(name)", "become ACTIVE after \(call)", clock: client.waitClock, timeout: Self.timeout) {
            table = try await describe(name) ?? [:]
            let sse = table["SSEDescription"]?["Status"]?.stringValue
            return table["TableStatus"]?.stringValue == "ACTIVE" && sse != "UPDATING" && sse != "ENABLING" && sse != "DISABLING"
        }
        return table
    }

    /// DynamoDB lets an account create, update or delete only so many tables at once; beyond that it answers
    /// LimitExceededException "... simultaneously", which passes as the others finish (a quota in name only), so it is
    /// tried again until `timeout`. Every other LimitExceededException is a quota and fails at once.
    private func takingTurns<T>(_ name: String, _ call: () async throws -> T) async throws -> T {
        try await retrying(
            while: [Refusal("LimitExceededException", messageContains: ["simultaneously"])], "DynamoDB table \(name)",
            "get its turn among the tables changing at once", clock: client.waitClock, timeout: Self.timeout, call)
    }

    /// Turns point-in-time recovery on or off. Right after a create AWS may answer ContinuousBackupsUnavailableException
    /// while it sets up backups: that answer is retried until `timeout`, then stands.
    private func setPointInTimeRecovery(_ name: String, _ enabled: Bool) async throws {
        _ = try await retrying(
            while: ["ContinuousBackupsUnavailableException"], "DynamoDB table \(name)", "accept point-in-time recovery",
            clock: client.waitClock, timeout: Self.timeout
        ) {
            try await client.json(
                .dynamoDB.updateContinuousBackups,
                [
                    "TableName": .string(name), "PointInTimeRecoverySpecification": ["PointInTimeRecoveryEnabled": .bool(enabled)],
                ])
        }
    }

    /// `BillingMode` and, when provisioned, `ProvisionedThroughput`.
    static func billing(_ attributes: [String: JSON]) -> [String: JSON] {
        guard attributes.string("billingMode") == "PROVISIONED" else { return ["BillingMode": "PAY_PER_REQUEST"] }
        return [
            "BillingMode": "PROVISIONED",
            "ProvisionedThroughput": [
                "ReadCapacityUnits": attributes["readCapacity"] ?? 1, "WriteCapacityUnits": attributes["writeCapacity"] ?? 1,
            ],
        ]
    }

    /// The SSESpecification for an `encryption` attribute; for a key DynamoDB owns, nothing at creation (the default)
    /// and `Enabled: false` when turning KMS encryption off.
    static func sseSpecification(_ encryption: JSON?, turningOff: Bool) -> JSON? {
        guard encryption?["sseType"]?.stringValue == "KMS" else { return turningOff ? ["Enabled": false] : nil }
        var sse: [String: JSON] = ["Enabled": true, "SSEType": "KMS"]
        if let key = encryption?["kmsKey"], !key.isNull { sse["KMSMasterKeyId"] = key }
        return .object(sse)
    }

    /// The encryption as declared. DynamoDB names the key by ARN, also the AWS managed one: a declaration of the AWS
    /// managed key, or of this key by id, ARN or alias, is reported as declared.
    static func observedEncryption(_ sse: JSON?, declared: JSON?) -> JSON {
        guard let sse, ["ENABLED", "UPDATING"].contains(sse["Status"]?.stringValue ?? ""),
            let liveKey = sse["KMSMasterKeyArn"]?.stringValue
        else { return ["sseType": "AWS_OWNED"] }
        guard declared?["sseType"]?.stringValue == "KMS" else { return ["sseType": "KMS", "kmsKey": .string(liveKey)] }
        guard let key = declared?["kmsKey"]?.stringValue else { return ["sseType": "KMS"] }
        let same = key == liveKey || liveKey.hasSuffix(":key/\(key)") || key.hasPrefix("alias/")
        return ["sseType": "KMS", "kmsKey": .string(same ? key : liveKey)]
    }

    static func outputs(_ table: JSON) -> [String: JSON] {
        ["arn": table["TableArn"] ?? .null, "name": table["TableName"] ?? .null]
    }
}

// MARK: cairn generate

extension DynamoDBTableProvider: DiscoverableProvider {
    var swiftType: String { "DynamoDBTable" }
    var swiftNoun: String { "table" }
    var swiftNounSuffixed: Bool { true }
    var swiftOutputs: [String: String] { ["arn": "arn", "name": "tableName"] }

    func discover() async throws -> [DiscoveredResource] {
        try await client.jsonAll(.dynamoDB.listTables).compactMap(\.stringValue).map { DiscoveredResource(id: $0, name: $0) }
    }

    /// The read, with what DynamoDBTable does not model (secondary indexes, a stream, a table class) named under
    /// `unmodeled`, for `swiftArguments` to report.
    func readForGeneration(id: String, prior: [String: JSON]) async throws -> Observed? {
        guard var live = try await read(id: id, prior: prior), let table = try await describe(id) else { return nil }
        var unmodeled: [String] = []
        for key in ["GlobalSecondaryIndexes", "LocalSecondaryIndexes", "Replicas"] where !(table[key]?.arrayValue ?? []).isEmpty {
            unmodeled.append(key)
        }
        if table["StreamSpecification"]?["StreamEnabled"]?.boolValue == true { unmodeled.append("StreamSpecification") }
        if let tableClass = table["TableClassSummary"]?["TableClass"]?.stringValue, tableClass != "STANDARD" { unmodeled.append("TableClass") }
        if !unmodeled.isEmpty { live.attributes["unmodeled"] = .array(unmodeled.map(JSON.string)) }
        return live
    }

    func swiftArguments(_ live: Observed, in context: SwiftContext) -> [SwiftArgument] {
        let attributes = live.attributes
        let types = ["S": ".string", "N": ".number", "B": ".binary"]
        let definitions = (attributes["attributeDefinitions"]?.arrayValue ?? []).map { definition in
            ".init(\(context.literal(definition["name"]?.stringValue ?? "")), \(types[definition["type"]?.stringValue ?? ""] ?? ".string"))"
        }
        var arguments = [
            SwiftArgument("name", context.literal(live.id)), SwiftArgument("attributeDefinitions", SwiftCode.array(definitions)),
            SwiftArgument("hashKey", context.literal(attributes.string("hashKey") ?? "")),
        ]
        if let range = attributes.string("rangeKey") { arguments.append(SwiftArgument("rangeKey", context.literal(range))) }
        if attributes.string("billingMode") == "PROVISIONED" {
            let read = attributes.int("readCapacity") ?? 1
            let write = attributes.int("writeCapacity") ?? 1
            arguments.append(SwiftArgument("billingMode", ".provisioned(readCapacity: \(read), writeCapacity: \(write))"))
        }
        if attributes["encryption"]?["sseType"]?.stringValue == "KMS" {
            let key = attributes["encryption"]?["kmsKey"]?.stringValue
            arguments.append(
                SwiftArgument("encryption", key.map { ".kms(key: \(context.input($0, naming: KMSKey.typeName, "arn")))" } ?? ".awsManaged"))
        }
        if attributes.bool("pointInTimeRecovery") == true { arguments.append(SwiftArgument("pointInTimeRecovery", "true")) }
        if attributes.bool("deletionProtection") == true { arguments.append(SwiftArgument("deletionProtection", "true")) }
        for setting in attributes.strings("unmodeled") {
            // Never sent by an update (it changes only what differs), so an apply leaves it as it is.
            context.cannotExpress(setting, "DynamoDBTable does not model it; an apply leaves it as it is")
        }
        if let tags = context.tags(live) { arguments.append(tags) }
        return arguments
    }
}
