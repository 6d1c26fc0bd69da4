import CairnAWS
import CairnJSON
import Testing

@testable import CairnEngine
@testable import CairnResources

/// The Swift `cairn generate` writes for a log group.
@Suite struct LogGroupGenerateTests {
    @Test func aLogGroupIsDeclaredWithItsRetentionKeyAndClass() {
        let live = Observed(
            id: "/ecs/shop",
            attributes: [
                "name": "/ecs/shop", "retentionInDays": 14, "kmsKeyId": "arn:aws:kms:eu-north-1:123456789012:key/k-1",
                "logGroupClass": "INFREQUENT_ACCESS", "tags": ["team": "web"],
            ], outputs: [:])
        let declared = GenerateTesting.declare(
            LogGroup.typeName, live, found: [.init(KMSKey.typeName, "logsKey", ["arn": "arn:aws:kms:eu-north-1:123456789012:key/k-1"])])
        #expect(
            declared.text
                == #"name: "/ecs/shop", retentionInDays: 14, kmsKeyId: .output(logsKey.arn), logGroupClass: .infrequentAccess, tags: ["team": "web"]"#
        )
    }
}
