import CairnAWS
import CairnJSON
import Testing

@testable import CairnEngine
@testable import CairnResources

/// The Swift `cairn generate` writes for a DynamoDB table.
@Suite struct DynamoDBGenerateTests {
    @Test func aTableIsDeclaredAndWhatItCannotSayIsReported() {
        let live = Observed(
            id: "shop-locks",
            attributes: [
                "name": "shop-locks", "attributeDefinitions": [["name": "LockID", "type": "S"]], "hashKey": "LockID", "rangeKey": nil,
                "billingMode": "PROVISIONED", "readCapacity": 5, "writeCapacity": 2, "encryption": ["sseType": "AWS_OWNED"],
                "pointInTimeRecovery": true, "deletionProtection": false, "tags": [:], "unmodeled": ["GlobalSecondaryIndexes"],
            ], outputs: [:])
        let declared = GenerateTesting.declare(DynamoDBTable.typeName, live)
        #expect(
            declared.text
                == #"name: "shop-locks", attributeDefinitions: [.init("LockID", .string)], hashKey: "LockID", billingMode: .provisioned(readCapacity: 5, writeCapacity: 2), pointInTimeRecovery: true"#
        )
        #expect(declared.unexpressed["GlobalSecondaryIndexes"] == "DynamoDBTable does not model it; an apply leaves it as it is")
    }
}
