import CairnAWS
import CairnJSON
import Testing

@testable import CairnEngine
@testable import CairnResources

/// The Swift `cairn generate` writes for KMS keys and aliases.
@Suite struct KMSGenerateTests {
    @Test func aKeyAndItsAliasAreDeclaredAndADisabledKeyIsLeftDisabled() {
        let key = Observed(
            id: "k-1", attributes: ["description": "Artifacts", "policy": nil, "enableKeyRotation": true, "keyState": "Disabled", "tags": [:]],
            outputs: ["arn": "arn:aws:kms:eu-north-1:123456789012:key/k-1", "keyId": "k-1"])
        let declared = GenerateTesting.declare(KMSKey.typeName, key)
        #expect(declared.text == #"description: "Artifacts", enableKeyRotation: true"#)
        #expect(declared.ignoredDrift == ["keyState"], "a declared key is enabled: apply would enable it")

        let alias = GenerateTesting.declare(
            KMSAlias.typeName, Observed(id: "alias/artifacts", attributes: ["targetKeyId": "k-1"], outputs: [:]),
            found: [.init(KMSKey.typeName, "artifactsKey", key.outputs)])
        #expect(alias.text == #"name: "alias/artifacts", targetKeyId: .output(artifactsKey.keyId)"#)
    }

    /// The deletion window is Cairn's own (KMS never returns it): declared when the stack's state gave one other than
    /// KMS's 30 days.
    @Test func aDeletionWindowFromTheStateIsDeclared() {
        func key(_ days: Int) -> Observed {
            Observed(id: "k-1", attributes: ["policy": nil, "deletionWindowInDays": .int(days), "tags": [:]], outputs: [:])
        }
        #expect(GenerateTesting.declare(KMSKey.typeName, key(7)).text == "deletionWindowInDays: 7")
        #expect(GenerateTesting.declare(KMSKey.typeName, key(30)).text == "")
    }
}
