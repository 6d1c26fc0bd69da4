import CairnAWS
import CairnJSON
import Testing

@testable import CairnEngine
@testable import CairnResources

/// The Swift `cairn generate` writes for SSM parameters: a SecureString's value never, and never decrypted to write it.
@Suite struct SSMGenerateTests {
    @Test func aSecureStringIsReadFromTheEnvironment() {
        let live = Observed(
            id: "/shop/db-password",
            attributes: [
                "name": "/shop/db-password", "type": "SecureString", "value": "AQICAHh-ciphertext", "keyId": "alias/aws/ssm",
                "description": "", "tier": "Standard", "allowedPattern": nil, "dataType": "text", "tags": [:],
            ], outputs: [:])
        let declared = GenerateTesting.declare(SSMParameter.typeName, live)
        #expect(declared.text == #"name: "/shop/db-password", type: .secureString, value: Secret.environment("SHOP_DB_PASSWORD")"#)
    }

    /// Generate asks GetParameter not to decrypt: the value it would get is the one it never writes.
    @Test func generateReadsWithoutDecrypting() async throws {
        let transport = ScriptedTransport(reading: { operation, _ in
            switch operation {
            case "GetParameter":
                return (200, #"{"Parameter": {"Name": "/shop/db-password", "Type": "SecureString", "Value": "AQICAHh-ciphertext"}}"#)
            case "DescribeParameters": return (200, #"{"Parameters": [{"Name": "/shop/db-password", "Type": "SecureString"}]}"#)
            default: return (200, #"{"TagList": []}"#)
            }
        })
        let provider = SSMParameterProvider(client: AWSClient.scripted(transport, clock: SteppingClock()))
        let live = try #require(try await provider.readForGeneration(id: "/shop/db-password", prior: [:]))
        #expect(live.attributes["type"] == "SecureString")
        #expect(transport.bodies("GetParameter").allSatisfy { $0.contains(#""WithDecryption":false"#) }, "\(transport.bodies("GetParameter"))")
    }
}
