import CairnAWS
import CairnEngine
import CairnJSON
import Foundation

/// Where a stack's secrets come from: the environment, or SSM / Secrets Manager at plan time —
/// never the source code. Every secret is sensitive: masked in output, encrypted in the state.
public enum Secret {
    /// The value of an environment variable, read when the stack is instantiated. A missing variable
    /// stops the plan before any API call, naming the attribute and the variable.
    public static func environment(_ name: String, in environment: [String: String] = ProcessInfo.processInfo.environment) -> Input<String> {
        guard let value = environment[name], !value.isEmpty else {
            return Input(value: .missingSecret("the environment variable \(name)"))
        }
        return Input(value: .sensitive(.json(.string(value))))
    }
}

/// An SSM parameter's value, read at plan time (a SecureString is decrypted). Use `value` as a
/// property of another resource; it is sensitive.
public struct SSMParameterValue: ResourceDeclaration {
    public static let typeName = "aws_ssm_parameter_value"
    public let logicalName: String
    public var name: String
    public var options = ResourceOptions()

    public init(_ logicalName: String, name: String) {
        self.logicalName = logicalName
        self.name = name
    }

    /// The parameter's value, sensitive.
    public var value: Input<String> { Input(value: .sensitive(.reference(output("value")))) }
    public var attributes: [String: Value] { ["name": .string(name)] }

    public func validate() -> [ValidationIssue] {
        name.isEmpty || name.count > 2048
            ? [ValidationIssue(address: address, attribute: "name", message: "an SSM parameter name is 1 to 2048 characters.")] : []
    }
}

/// A Secrets Manager secret's current value, read at plan time. Use `value` as a property of
/// another resource; it is sensitive.
public struct SecretsManagerValue: ResourceDeclaration {
    public static let typeName = "aws_secretsmanager_secret_value"
    public let logicalName: String
    public var secretID: String
    public var options = ResourceOptions()

    public init(_ logicalName: String, secretID: String) {
        self.logicalName = logicalName
        self.secretID = secretID
    }

    public var value: Input<String> { Input(value: .sensitive(.reference(output("value")))) }
    public var attributes: [String: Value] { ["secretId": .string(secretID)] }
}

struct SSMParameterValueProvider: LookupProvider {
    let client: AWSClient
    let typeName = SSMParameterValue.typeName

    func lookup(_ attributes: [String: JSON]) async throws -> [String: JSON] {
        let result = try await client.json(.ssm.getParameter, ["Name": attributes["name"] ?? .null, "WithDecryption": true])
        return ["value": result["Parameter"]?["Value"] ?? .null, "arn": result["Parameter"]?["ARN"] ?? .null]
    }
}

struct SecretsManagerValueProvider: LookupProvider {
    let client: AWSClient
    let typeName = SecretsManagerValue.typeName

    func lookup(_ attributes: [String: JSON]) async throws -> [String: JSON] {
        let result = try await client.json(.secretsManager.getSecretValue, ["SecretId": attributes["secretId"] ?? .null])
        return ["value": result["SecretString"] ?? .null, "arn": result["ARN"] ?? .null]
    }
}
