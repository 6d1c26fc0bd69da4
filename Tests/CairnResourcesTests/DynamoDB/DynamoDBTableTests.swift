import CairnEngine
import CairnJSON
import Foundation
import TestSupport
import Testing

@testable import CairnAWS
@testable import CairnResources

@Suite struct DynamoDBTableTests {
    static func describe(_ moto: MotoServer, _ name: String) async throws -> JSONValue {
        try await moto.awsJSON(["dynamodb", "describe-table", "--table-name", name])["Table"]
    }

    static func tags(_ moto: MotoServer, _ arn: String) async throws -> [String: String] {
        // scripts/moto-server makes TagResource replace a value, as AWS does: moto 5.2.1 lists the key twice.
        ProviderTesting.tags(try await moto.awsJSON(["dynamodb", "list-tags-of-resource", "--resource-arn", arn])["Tags"])
    }

    static func pointInTimeRecovery(_ moto: MotoServer, _ name: String) async throws -> String? {
        try await moto.awsJSON(["dynamodb", "describe-continuous-backups", "--table-name", name])["ContinuousBackupsDescription"][
            "PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"].string
    }

    /// Terraform's state lock table, as seed 002 declares it.
    static func locks(_ name: String) -> DynamoDBTable {
        DynamoDBTable(
            "locks", name: Input(name), attributeDefinitions: [.init("LockID", .string)], hashKey: "LockID",
            encryption: .awsManaged, tags: ["purpose": "terraform-locks"])
    }

    @Test(.integration) func createReadUpdateReplaceDeleteAgainstMoto() async throws {
        let (client, moto) = try await ProviderTesting.client()
        let provider = DynamoDBTableProvider(client: client)
        #expect(provider.replaceOnChange == ["name", "attributeDefinitions", "hashKey", "rangeKey"])
        let name = ProviderTesting.uniqueName("terraform-locks")
        var table = Self.locks(name)
        #expect(table.validate().isEmpty)
        let declared = ProviderTesting.attributes(of: table)
        #expect(declared["billingMode"] == "PAY_PER_REQUEST" && declared["readCapacity"] == .null)
        #expect(provider.physicalID(for: declared) == name)

        let created = try await provider.create(declared)
        let arn = "arn:aws:dynamodb:us-east-1:\(moto.account):table/\(name)"
        #expect(created.id == name)
        #expect(created.outputs == ["arn": .string(arn), "name": .string(name)])
        let live = try await Self.describe(moto, name)
        #expect(live["TableStatus"].string == "ACTIVE")
        #expect(live["KeySchema"][0]["AttributeName"].string == "LockID" && live["KeySchema"][0]["KeyType"].string == "HASH")
        #expect(live["BillingModeSummary"]["BillingMode"].string == "PAY_PER_REQUEST")
        #expect(live["SSEDescription"]["SSEType"].string == "KMS")
        #expect(live["DeletionProtectionEnabled"].bool == false)
        #expect(try await Self.pointInTimeRecovery(moto, name) == "DISABLED")
        #expect(try await Self.tags(moto, arn) == ["purpose": "terraform-locks"])

        // No drift after the create; an import sees the AWS managed key by its ARN.
        let read = try #require(try await provider.read(id: name, prior: declared))
        #expect(read.attributes == declared)
        #expect(read.outputs == created.outputs)
        let imported = try #require(try await provider.read(id: name, prior: [:])).attributes
        #expect(imported["encryption"]?["kmsKey"]?.stringValue?.hasPrefix("arn:aws:kms:us-east-1:") == true)

        // Billing, encryption, point-in-time recovery, deletion protection and tags in place.
        table.billingMode = .provisioned(readCapacity: 2, writeCapacity: 3)
        table.encryption = .awsOwned
        table.pointInTimeRecovery = true
        table.deletionProtection = true
        table.tags = ["purpose": "locks", "env": "dev"]
        let next = ProviderTesting.attributes(of: table)
        #expect(AttributeDiff.changes(from: declared, to: next, replaceOnChange: provider.replaceOnChange).allSatisfy { !$0.forcesReplacement })
        let updated = try await provider.update(id: name, from: declared, to: next)
        #expect(updated.outputs == created.outputs)
        let after = try await Self.describe(moto, name)
        #expect(after["BillingModeSummary"]["BillingMode"].string ?? "PROVISIONED" == "PROVISIONED")
        #expect(after["ProvisionedThroughput"]["ReadCapacityUnits"] == 2 && after["ProvisionedThroughput"]["WriteCapacityUnits"] == 3)
        #expect(after["SSEDescription"].isNull)  // scripts/moto-server applies UpdateTable's SSESpecification, as AWS does
        #expect(after["DeletionProtectionEnabled"].bool == true)
        #expect(try await Self.pointInTimeRecovery(moto, name) == "ENABLED")
        #expect(try await Self.tags(moto, arn) == ["purpose": "locks", "env": "dev"])
        #expect(try await provider.read(id: name, prior: next)?.attributes == next)

        // Deletion protection turned off outside Cairn: drift, and the apply turns it back on.
        _ = try await moto.awsJSON(["dynamodb", "update-table", "--table-name", name, "--no-deletion-protection-enabled"])
        let drifted = try #require(try await provider.read(id: name, prior: next)).attributes
        #expect(AttributeDiff.changes(from: drifted, to: next).map(\.path) == ["deletionProtection"])
        _ = try await provider.update(id: name, from: drifted, to: next)
        #expect(try await Self.describe(moto, name)["DeletionProtectionEnabled"].bool == true)

        // A customer managed key in place (UpdateTable's SSESpecification), read back in its declared form.
        let key = try await moto.awsJSON(["kms", "create-key", "--description", "table key"])["KeyMetadata"]
        table.encryption = .kms(key: Input(key["KeyId"].string ?? ""))
        let customer = ProviderTesting.attributes(of: table)
        _ = try await provider.update(id: name, from: next, to: customer)
        #expect(try await Self.describe(moto, name)["SSEDescription"]["KMSMasterKeyArn"].string == key["Arn"].string)
        #expect(try await provider.read(id: name, prior: customer)?.attributes == customer)

        // While protected, destroy fails naming the table and the way out.
        await #expect(throws: DynamoDBTableProtectedError.self) { try await provider.delete(id: name, attributes: customer) }
        #expect(try await Self.describe(moto, name)["TableStatus"].string == "ACTIVE")

        // A new key replaces the table: the engine deletes the old one (protection off first), then creates the new.
        table.deletionProtection = false
        let unprotected = ProviderTesting.attributes(of: table)
        _ = try await provider.update(id: name, from: customer, to: unprotected)
        table.attributeDefinitions = [.init("pk", .string), .init("sk", .number)]
        table.hashKey = "pk"
        table.rangeKey = "sk"
        let rekeyed = ProviderTesting.attributes(of: table)
        #expect(
            Set(
                AttributeDiff.changes(from: unprotected, to: rekeyed, replaceOnChange: provider.replaceOnChange)
                    .filter { $0.forcesReplacement }.map(\.path)) == ["attributeDefinitions", "hashKey", "rangeKey"])
        try await provider.delete(id: name, attributes: unprotected)
        #expect(try await provider.read(id: name, prior: [:]) == nil)
        _ = try await provider.create(rekeyed)
        let replaced = try await Self.describe(moto, name)
        #expect(replaced["KeySchema"][1]["AttributeName"].string == "sk")
        #expect(try await Self.pointInTimeRecovery(moto, name) == "ENABLED")
        #expect(try await provider.read(id: name, prior: rekeyed)?.attributes == rekeyed)

        try await provider.delete(id: name, attributes: rekeyed)
        let gone = try await moto.aws(["dynamodb", "describe-table", "--table-name", name])
        #expect(gone.status != 0 && gone.stderr.contains("ResourceNotFoundException"))
        try await provider.delete(id: name, attributes: [:])  // deleting what is gone is not an error
    }

    /// Creation is asynchronous: a table that never becomes ACTIVE fails the create, naming the table, once the
    /// deadline passes on the client's clock; likewise a delete that never finishes.
    @Test func waitsForActiveAndForDeletionWithADeadline() async throws {
        let clock = SteppingClock()
        let transport = ScriptedTransport { operation in
            switch operation {
            case "CreateTable": return #"{"TableDescription": {"TableName": "locks", "TableStatus": "CREATING"}}"#
            case "DescribeTable": return #"{"Table": {"TableName": "locks", "TableStatus": "CREATING"}}"#
            default: return "{}"
            }
        }
        let client = AWSClient.scripted(transport, clock: clock)
        let provider = DynamoDBTableProvider(client: client)
        do {
            _ = try await provider.create(ProviderTesting.attributes(of: Self.locks("locks")))
            Issue.record("a table that never became ACTIVE was reported created")
        } catch let error as WaitTimeout {
            #expect(error.description.contains("DynamoDB table locks to become ACTIVE after CreateTable"), "\(error)")
        }
        #expect(clock.slept == DynamoDBTableProvider.timeout)

        await #expect(throws: WaitTimeout.self) { try await provider.delete(id: "locks", attributes: [:]) }
        #expect(clock.slept == DynamoDBTableProvider.timeout * 2)
    }

    /// Right after a create AWS may refuse point-in-time recovery for a while (ContinuousBackupsUnavailableException):
    /// the create retries on the client's clock, and succeeds once AWS accepts it.
    @Test func pointInTimeRecoveryIsRetriedWhileBackupsAreUnavailable() async throws {
        let clock = SteppingClock()
        let refusals = Locked(3)
        let transport = ScriptedTransport(status: { operation in
            switch operation {
            case "DescribeTable":
                return (
                    200,
                    #"{"Table": {"TableName": "locks", "TableStatus": "ACTIVE", "TableArn": "arn:aws:dynamodb:us-east-1:123456789012:table/locks"}}"#
                )
            case "UpdateContinuousBackups":
                let refuse = refusals.withLock { count -> Bool in
                    count -= 1
                    return count >= 0
                }
                return refuse
                    ? (400, #"{"__type": "ContinuousBackupsUnavailableException", "message": "Backups are being enabled for the table"}"#)
                    : (200, "{}")
            default: return (200, "{}")
            }
        })
        let provider = DynamoDBTableProvider(client: AWSClient.scripted(transport, clock: clock))
        var table = Self.locks("locks")
        table.pointInTimeRecovery = true
        let created = try await provider.create(ProviderTesting.attributes(of: table))
        #expect(created.outputs["arn"] == "arn:aws:dynamodb:us-east-1:123456789012:table/locks")
        #expect(clock.slept == .seconds(15))
        #expect(refusals.current == -1)
    }

    /// DynamoDB's "only so many tables can be created, updated, or deleted simultaneously" passes as the others finish:
    /// the create is tried again; a LimitExceededException about anything else is a quota and fails at once.
    @Test func tooManyTablesChangingAtOnceIsWaitedOutButAQuotaIsNot() async throws {
        for (message, creates) in [
            ("Subscriber limit exceeded: Only 10 tables can be created, updated, or deleted simultaneously", 2),
            ("Subscriber limit exceeded: too many tables in this account", 1),
        ] {
            let refusals = Countdown(1)
            let transport = ScriptedTransport(status: { operation in
                switch operation {
                case "CreateTable" where refusals.next(): return (400, #"{"__type": "LimitExceededException", "message": "\#(message)"}"#)
                case "DescribeTable": return (200, #"{"Table": {"TableName": "locks", "TableStatus": "ACTIVE"}}"#)
                default: return (200, "{}")
                }
            })
            let provider = DynamoDBTableProvider(client: AWSClient.scripted(transport, clock: SteppingClock()))
            let created = try? await provider.create(ProviderTesting.attributes(of: Self.locks("locks")))
            #expect((created != nil) == (creates == 2), "\(message)")
            #expect(transport.bodies("CreateTable").count == creates, "\(message)")
        }
    }

    /// Bad input is refused by `validate()`, which makes no API call, in one sentence naming the attribute.
    @Test func validationNamesTheAttribute() {
        let undeclared = DynamoDBTable("bad", name: "locks", attributeDefinitions: [.init("LockId", .string)], hashKey: "LockID")
        let issues = undeclared.validate()
        #expect(issues.map(\.attribute) == ["hashKey", "attributeDefinitions[0]"])
        #expect(issues.first?.address == "aws_dynamodb_table.bad")
        #expect(issues.first?.message.contains("'LockID' is not declared in attributeDefinitions") == true)

        let range = DynamoDBTable("range", name: "orders", attributeDefinitions: [.init("pk", .string)], hashKey: "pk", rangeKey: "sk")
        #expect(range.validate().map(\.attribute) == ["rangeKey"])
        #expect(DynamoDBTable("n", name: "ab", attributeDefinitions: [.init("k", .string)], hashKey: "k").validate().map(\.attribute) == ["name"])
        #expect(
            DynamoDBTable(
                "c", name: "abc", attributeDefinitions: [.init("k", .string)], hashKey: "k",
                billingMode: .provisioned(readCapacity: 0, writeCapacity: 1)
            ).validate().map(\.attribute) == ["billingMode"])
        #expect(
            DynamoDBTable("d", name: "abc", attributeDefinitions: [.init("k", .string), .init("k", .number)], hashKey: "k")
                .validate().map(\.attribute) == ["attributeDefinitions[1]"])
        #expect(Self.locks("terraform-locks").validate().isEmpty)
    }
}
