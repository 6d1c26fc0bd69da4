import CairnAWS
import CairnEngine
import CairnJSON
import Foundation

/// An SSM Parameter Store parameter (`aws ssm put-parameter`): configuration as `String` or `StringList`, a secret as
/// `SecureString`, encrypted with a KMS key.
///
/// Attributes (as the state and plans show them):
/// - `name`: the parameter name (`/project/dev/mysql/host`); a change replaces the parameter.
/// - `type`: `"String"`, `"StringList"` or `"SecureString"`; a change replaces the parameter (AWS refuses to change a
///   parameter's type in place: HierarchyTypeMismatchException).
/// - `value`: the value. A SecureString's is sensitive: never shown in plans, drift reports or output, sealed in the
///   state, and compared with the decrypted live value. `ignoreDrift: ["value"]` keeps a value rotated outside Cairn.
/// - `keyId`: the KMS key of a SecureString (`"alias/aws/ssm"` by default), null for the other types; changed in place.
/// - `description`: `""` by default; changed in place.
/// - `tier`: `"Standard"` by default, `"Advanced"` or `"Intelligent-Tiering"` (AWS then picks, and Cairn shows the
///   declared tier). A move up is made in place; back to Standard replaces the parameter (AWS never moves one down).
/// - `allowedPattern`: a regular expression the value must match, or null; changed in place.
/// - `dataType`: `"text"` by default, or `"aws:ec2:image"` (an AMI id); a change replaces the parameter.
/// - `tags`: an object of strings, set apart from the value (AWS refuses tags on an overwrite).
///
/// Every change but the tags writes a new version of the parameter (PutParameter with `Overwrite`).
public struct SSMParameter: ResourceDeclaration {
    /// The type name in addresses and the state.
    public static let typeName = "aws_ssm_parameter"

    /// What the value is.
    public enum ParameterType: String, Sendable {
        /// Plain text.
        case string = "String"
        /// Comma-separated items (`a,b,c`); an item cannot contain a comma.
        case stringList = "StringList"
        /// A secret, encrypted with a KMS key (`keyId`). Its value must be sensitive (`Secret.environment`).
        case secureString = "SecureString"
    }

    /// Where AWS keeps the parameter, which bounds its size and price.
    public enum Tier: String, Sendable {
        /// Values up to 4 KB, no charge.
        case standard = "Standard"
        /// Values up to 8 KB, charged per parameter.
        case advanced = "Advanced"
        /// AWS picks Standard, or Advanced when the value needs it.
        case intelligentTiering = "Intelligent-Tiering"
    }

    /// How AWS checks the value.
    public enum DataType: String, Sendable {
        /// Any text.
        case text = "text"
        /// An AMI id (`ami-…`), which AWS checks after the write; String parameters only.
        case ec2Image = "aws:ec2:image"
    }

    /// The AWS managed key for Parameter Store, used when a SecureString names no key.
    public static let defaultKeyId = "alias/aws/ssm"

    /// The name in the stack (`aws_ssm_parameter.<logicalName>`).
    public let logicalName: String
    /// The parameter name: letters, digits, `_`, `.` and `-`, with `/` between the levels of a hierarchy, which then
    /// starts with `/` (`/project/dev/mysql/host`). Names beginning with `aws` or `ssm` are AWS's.
    public var name: Input<String>
    /// What the value is; fixed at creation.
    public var type: ParameterType
    /// The value: for a SecureString a secret (`Secret.environment("DB_PASSWORD")`), never text in the code.
    public var value: Input<String>
    /// The KMS key (id, ARN or alias) that encrypts a SecureString; nil for `alias/aws/ssm`. Other types take none.
    public var keyId: Input<String>?
    /// What the parameter is for, up to 1024 characters.
    public var description: String
    /// The tier; Standard holds values up to 4 KB.
    public var tier: Tier
    /// A regular expression the value must match (`^\d+$`), checked at plan time; nil for none.
    public var allowedPattern: String?
    /// How AWS checks the value.
    public var dataType: DataType
    /// AWS tags.
    public var tags: Tags
    /// Dependencies and lifecycle options for the engine (`ignoreDrift: ["value"]` for a value rotated outside Cairn).
    public var options: ResourceOptions

    /// A parameter named `name` of type `type` holding `value`, with Parameter Store's defaults for everything not given.
    public init(
        _ logicalName: String, name: Input<String>, type: ParameterType, value: Input<String>, keyId: Input<String>? = nil,
        description: String = "", tier: Tier = .standard, allowedPattern: String? = nil, dataType: DataType = .text,
        tags: Tags = [:], options: ResourceOptions = ResourceOptions()
    ) {
        self.logicalName = logicalName
        self.name = name
        self.type = type
        self.value = value
        self.keyId = keyId
        self.description = description
        self.tier = tier
        self.allowedPattern = allowedPattern
        self.dataType = dataType
        self.tags = tags
        self.options = options
    }

    /// The parameter's ARN, what IAM policies name.
    public var arn: Output<String> { Output(output("arn")) }
    /// The parameter's name, what CodeBuild's `PARAMETER_STORE` variables and ECS secrets take.
    public var parameterName: Output<String> { Output(output("name")) }

    /// Every managed attribute, with Parameter Store's defaults filled in (see the type's documentation).
    public var attributes: [String: Value] {
        let secure = type == .secureString
        var declaredValue = value.value
        if secure, !isSensitive { declaredValue = .sensitive(declaredValue) }
        return [
            "name": name.value,
            "type": .string(type.rawValue),
            "value": declaredValue,
            "keyId": secure ? keyId?.value ?? .string(Self.defaultKeyId) : .null,
            "description": .string(description),
            "tier": .string(tier.rawValue),
            "allowedPattern": .optional(allowedPattern),
            "dataType": .string(dataType.rawValue),
            "tags": .json(tags.json),
        ]
    }

    /// The most a value may hold, in bytes: 4 KB in the Standard tier, 8 KB otherwise.
    var maxValueBytes: Int { tier == .standard ? 4096 : 8192 }

    /// The name, the value (its secrecy, size and `allowedPattern`), the key, the description and the tags, as
    /// Parameter Store checks them; a value is never quoted.
    public func validate() -> [ValidationIssue] {
        var issues: [ValidationIssue] = []
        func issue(_ attribute: String, _ message: String) {
            issues.append(ValidationIssue(address: address, attribute: attribute, message: message))
        }
        if let text = name.literal, let problem = Self.nameProblem(text) { issue("name", problem) }
        if type == .secureString, case .json = value.value {
            issue(
                "value",
                "a SecureString's value is a secret, so it is never written in the stack's code: read it with "
                    + "Secret.environment(\"NAME\") (or a sensitive variable), or use type .string for a value that is not secret.")
        }
        if let text = knownValue {
            if text.isEmpty {
                issue("value", "AWS keeps no empty value: give the parameter at least one character.")
            } else if text.utf8.count > maxValueBytes {
                issue(
                    "value",
                    "the value is longer than the \(maxValueBytes) bytes a \(tier.rawValue) parameter holds: shorten it"
                        + (tier == .standard ? ", or use tier .advanced (8 KB)." : "."))
            } else if text.range(of: #"\{\{.*\}\}"#, options: .regularExpression) != nil {
                issue("value", "AWS refuses values holding '{{…}}' (its reference syntax): remove the double braces.")
            }
        }
        if let pattern = allowedPattern {
            if pattern.count > 1024 {
                issue("allowedPattern", "the pattern has \(pattern.count) characters; AWS allows 1024.")
            } else if let regex = try? NSRegularExpression(pattern: pattern) {
                // Searched for anywhere in the value (AWS's examples anchor theirs, `^\d+$`): the looser reading never
                // refuses a value AWS would take.
                if let text = knownValue, !text.isEmpty,
                    regex.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) == nil
                {
                    issue(
                        "value",
                        "the value does not match allowedPattern \(pattern), so AWS would refuse it: fix the value"
                            + (isSensitive ? " (where the secret comes from)" : "") + ", or the pattern.")
                }
            } else {
                issue("allowedPattern", "\(pattern) is not a regular expression: fix it, or remove allowedPattern.")
            }
        }
        if let key = keyId {
            if type != .secureString {
                issue("keyId", "only a SecureString is encrypted with a KMS key: remove keyId, or use type .secureString.")
            } else if let text = key.literal,
                text.isEmpty || text.count > 256 || text.range(of: #"\A[A-Za-z0-9:/_-]+\z"#, options: .regularExpression) == nil
            {
                issue("keyId", "'\(text)' is not a KMS key id, ARN or alias (up to 256 letters, digits, ':', '/', '_' and '-').")
            }
        }
        if dataType == .ec2Image && type != .string {
            issue("dataType", "an AMI id (aws:ec2:image) is held only by a String parameter: use type .string, or dataType .text.")
        }
        if description.count > 1024 {
            issue("description", "the description has \(description.count) characters; AWS allows 1024.")
        }
        return issues + checkTags(tags, address: address)
    }

    /// Whether the value is a secret (from the environment, a sensitive variable or a look-up).
    private var isSensitive: Bool {
        if case .sensitive = value.value { return true }
        return false
    }

    /// The value's text when the declaration holds it (a literal, or a secret read from the environment); nil when it
    /// comes from another resource or the secret is missing (which the stack's validation reports).
    private var knownValue: String? {
        var inner = value.value
        if case .sensitive(let wrapped) = inner { inner = wrapped }
        if case .json(.string(let text)) = inner { return text }
        return nil
    }

    /// The longest name AWS takes: 1011 characters with the ARN before it (`arn:aws:ssm:us-east-1:123456789012:parameter/`,
    /// 45 characters; longer region names leave a few less).
    static let maxNameLength = 1011 - 45

    /// What is wrong with a parameter name by AWS's rules, or nil.
    static func nameProblem(_ name: String) -> String? {
        let levels = (name.hasPrefix("/") ? name.dropFirst() : Substring(name)).split(separator: "/", omittingEmptySubsequences: false)
        let first = levels.first.map { $0.lowercased() } ?? ""
        if name.isEmpty || name.count - (name.hasPrefix("/") ? 1 : 0) > maxNameLength {
            return "a parameter name has 1 to \(maxNameLength) characters (AWS counts the ARN's prefix too)."
        }
        if name.range(of: #"\A[A-Za-z0-9_./-]+\z"#, options: .regularExpression) == nil {
            return "'\(name)' breaks AWS's naming rule: letters, digits, '_', '.', '-' and '/' between levels, no spaces."
        }
        if name.contains("/") && !name.hasPrefix("/") {
            return "'\(name)' is a path, and a path starts with '/': write '/\(name)'."
        }
        if levels.contains(where: \.isEmpty) {
            return "'\(name)' has an empty level ('//' or a '/' at the end): remove the extra '/'."
        }
        if levels.count > 15 {
            return "'\(name)' has \(levels.count) levels; AWS allows 15."
        }
        if first == "aws" && name.hasPrefix("/") {
            return "names under /aws/ are AWS's own public parameters: put yours under a path of your project, like /my-project/..."
        }
        if first.hasPrefix("aws") || first.hasPrefix("ssm") {
            return "AWS reserves names beginning with 'aws' or 'ssm' (in any case), also as the first level of a path: choose another."
        }
        return nil
    }
}

/// Creates, reads, updates and deletes SSM parameters; the physical id is the name.
struct SSMParameterProvider: ResourceProvider {
    let client: AWSClient
    let typeName = SSMParameter.typeName
    /// Adoption proof: the ownership tags; PutParameter takes the tags when it creates the parameter.
    let adoptionProof = AdoptionProof.ownershipTags
    /// AWS changes neither the name nor the data type in place, nor the type ("you can't change a parameter from a
    /// String type to a SecureString type. You must create a new, unique parameter": HierarchyTypeMismatchException).
    let replaceOnChange: Set<String> = ["name", "type", "dataType"]

    /// SSM's answers for a parameter that does not exist (ListTagsForResource says InvalidResourceId).
    static let goneCodes: Set<String> = ["ParameterNotFound", "InvalidResourceId"]

    /// Back to Standard replaces the parameter: AWS never moves one down from Advanced (where Intelligent-Tiering may
    /// have put it). Any other tier change is made in place.
    /// AWS never moves a parameter from Advanced back to Standard: that replaces it. From Intelligent-Tiering (which
    /// shows as declared) it is updated in place, since AWS may well hold it at Standard.
    func forcesReplacement(_ path: String, from old: JSON?, to new: JSON?) -> Bool {
        path == "tier" && new == .string(SSMParameter.Tier.standard.rawValue) && old == .string(SSMParameter.Tier.advanced.rawValue)
    }

    func physicalID(for attributes: [String: JSON]) -> String? { attributes.string("name") }

    /// Only the tags (one call, no decryption): what destroy checks.
    func ownershipRead(id: String, prior: [String: JSON]) async throws -> Observed? {
        guard let tags = try await nilIfNotFound(Self.goneCodes, { try await tags(of: id) }) else { return nil }
        return Observed(id: id, attributes: ["name": .string(id), "tags": tags.json], outputs: [:])
    }

    /// The value from GetParameter, decrypted only when the prior attributes are a SecureString's (or absent, for an
    /// interrupted create), which the state seals: a String turned SecureString by hand shows its ciphertext, never
    /// the secret in plain text. The rest from DescribeParameters and ListTagsForResource.
    func read(id: String, prior: [String: JSON]) async throws -> Observed? {
        try await read(id: id, prior: prior, decrypt: prior["type"].map { $0 == .string(SSMParameter.ParameterType.secureString.rawValue) } ?? true)
    }

    /// The read, decrypting a SecureString's value only when `decrypt` (else its value is the ciphertext).
    func read(id: String, prior: [String: JSON], decrypt: Bool) async throws -> Observed? {
        let parameter: JSON
        let metadata: JSON
        let tags: [String: String]
        do {
            parameter = try await client.json(.ssm.getParameter, ["Name": .string(id), "WithDecryption": .bool(decrypt)])["Parameter"] ?? [:]
            let filter: JSON = ["Key": "Name", "Option": "Equals", "Values": [.string(id)]]
            let described = try await client.jsonAll(.ssm.describeParameters, ["ParameterFilters": [filter], "MaxResults": 50])
            guard let found = described.first(where: { $0["Name"]?.stringValue == id }) else { return nil }
            metadata = found
            tags = try await self.tags(of: id)
        } catch let error as AWSServiceError where error.isNotFound(Self.goneCodes) {
            return nil
        }
        let type = parameter["Type"]?.stringValue ?? metadata["Type"]?.stringValue ?? SSMParameter.ParameterType.string.rawValue
        let secure = type == SSMParameter.ParameterType.secureString.rawValue
        let pattern = metadata["AllowedPattern"]?.stringValue ?? ""
        return Observed(
            id: id,
            attributes: [
                "name": .string(id),
                "type": .string(type),
                "value": parameter["Value"] ?? "",
                "keyId": secure ? Self.observedKey(metadata["KeyId"]?.stringValue, declared: prior["keyId"]) : .null,
                "description": metadata["Description"] ?? "",
                "tier": Self.observedTier(metadata["Tier"], declared: prior["tier"]),
                "allowedPattern": pattern.isEmpty ? .null : .string(pattern),
                "dataType": parameter["DataType"] ?? metadata["DataType"] ?? "text",
                "tags": tags.json,
            ], outputs: ["arn": parameter["ARN"] ?? .null, "name": .string(id)])
    }

    /// PutParameter without Overwrite, with the tags (AWS takes them only then).
    func create(_ attributes: [String: JSON]) async throws -> Applied {
        let name = attributes.string("name") ?? ""
        var input = Self.putInput(attributes)
        let tags = attributes.tags()
        if !tags.isEmpty { input["Tags"] = tagList(tags, keyName: "Key", valueName: "Value") }
        _ = try await client.json(.ssm.putParameter, .object(input))
        do {
            // An aws:ec2:image value is validated after the put: the parameter shows once that is done.
            let read = try await retrying(
                while: ["ParameterNotFound"], "the new SSM parameter \(name)", "be readable", clock: client.waitClock, timeout: .seconds(120),
                interval: .seconds(3)
            ) { try await outputs(name) }
            return Applied(id: name, outputs: read)
        } catch {
            throw PartialCreate(Applied(id: name, outputs: [:]), underlying: error)
        }
    }

    /// A new version with every attribute (PutParameter with Overwrite) when anything but the tags changed; then the
    /// tags, apart, since AWS refuses them with Overwrite.
    func update(id: String, from old: [String: JSON], to new: [String: JSON]) async throws -> Applied {
        if old.filter({ $0.key != "tags" }) != new.filter({ $0.key != "tags" }) {
            var input = Self.putInput(new)
            input["Name"] = .string(id)
            input["Overwrite"] = true
            _ = try await client.json(.ssm.putParameter, .object(input))
        }
        try await TaggingAPI.ssmParameter.sync(client, resource: id, from: old.tags(), to: new.tags())
        return Applied(id: id, outputs: try await outputs(id))
    }

    /// Deletes the parameter and all its versions; deleting one that is gone succeeds.
    func delete(id: String, attributes: [String: JSON]) async throws {
        try await ignoringNotFound(Self.goneCodes) { _ = try await client.json(.ssm.deleteParameter, ["Name": .string(id)]) }
    }

    // MARK: Helpers

    /// PutParameter's members for `attributes`: all of them, so that an overwrite keeps nothing of the old version
    /// (an empty description or pattern removes it).
    static func putInput(_ attributes: [String: JSON]) -> [String: JSON] {
        var input: [String: JSON] = [
            "Name": attributes["name"] ?? .null,
            "Type": attributes["type"] ?? .null,
            "Value": attributes["value"] ?? .null,
            "Description": attributes["description"] ?? "",
            "Tier": attributes["tier"] ?? .null,
            "AllowedPattern": .string(attributes.string("allowedPattern") ?? ""),
            "DataType": attributes["dataType"] ?? "text",
        ]
        if attributes.string("type") == SSMParameter.ParameterType.secureString.rawValue {
            input["KeyId"] = .string(attributes.string("keyId") ?? SSMParameter.defaultKeyId)
        }
        return input
    }

    /// The parameter's ARN (GetParameter, not decrypted: the value is not wanted) and name.
    private func outputs(_ name: String) async throws -> [String: JSON] {
        let parameter = try await client.json(.ssm.getParameter, ["Name": .string(name), "WithDecryption": false])["Parameter"]
        return ["arn": parameter?["ARN"] ?? .null, "name": .string(name)]
    }

    private func tags(of name: String) async throws -> [String: String] {
        let listed = try await client.json(.ssm.listTagsForResource, ["ResourceType": "Parameter", "ResourceId": .string(name)])
        return tagMap(listed["TagList"], keyName: "Key", valueName: "Value")
    }

    /// The tier as declared under Intelligent-Tiering, where AWS reports the tier it picked.
    static func observedTier(_ live: JSON?, declared: JSON?) -> JSON {
        let intelligent = JSON.string(SSMParameter.Tier.intelligentTiering.rawValue)
        return declared == intelligent ? intelligent : live ?? .string(SSMParameter.Tier.standard.rawValue)
    }

    /// The key as declared when AWS names the same key another way (an ARN for a key id or an alias).
    static func observedKey(_ live: String?, declared: JSON?) -> JSON {
        let live = live ?? SSMParameter.defaultKeyId
        guard let declared = declared?.stringValue else { return .string(live) }
        return .string(keyResource(live) == keyResource(declared) ? declared : live)
    }

    /// `key/ID` or `alias/NAME`, from an ARN, an alias or a key id.
    static func keyResource(_ key: String) -> String {
        if key.hasPrefix("arn:") { return String(key.split(separator: ":", maxSplits: 5, omittingEmptySubsequences: false).last ?? "") }
        return key.hasPrefix("alias/") ? key : "key/\(key)"
    }
}

// MARK: cairn generate

extension SSMParameterProvider: DiscoverableProvider {
    var swiftType: String { "SSMParameter" }
    var swiftNoun: String { "parameter" }
    var swiftNounSuffixed: Bool { true }
    var swiftOutputs: [String: String] { ["arn": "arn", "name": "parameterName"] }

    func discover() async throws -> [DiscoveredResource] {
        try await client.jsonAll(.ssm.describeParameters, ["MaxResults": 50]).compactMap { parameter in
            parameter["Name"]?.stringValue.map { DiscoveredResource(id: $0, name: $0) }
        }
    }

    /// Read without decrypting: a SecureString's value is never written (see `swiftArguments`), so it is never asked for.
    func readForGeneration(id: String, prior: [String: JSON]) async throws -> Observed? { try await read(id: id, prior: [:], decrypt: false) }

    /// A SecureString's value is never written: it is read from an environment variable named after the parameter
    /// (`/app/db-password` → `APP_DB_PASSWORD`).
    func swiftArguments(_ live: Observed, in context: SwiftContext) -> [SwiftArgument] {
        let attributes = live.attributes
        var arguments = [SwiftArgument("name", context.literal(live.id))]
        let type = attributes.string("type") ?? "String"
        switch type {
        case "SecureString":
            let variable = live.id.uppercased().map { $0.isASCII && ($0.isLetter || $0.isNumber) ? $0 : "_" }
            let name = String(variable).split(separator: "_").joined(separator: "_")
            arguments.append(SwiftArgument("type", ".secureString"))
            arguments.append(SwiftArgument("value", context.secret(name.first?.isNumber == true ? "P_\(name)" : name, attribute: "value")))
            if let key = attributes.string("keyId"), key != SSMParameter.defaultKeyId {
                arguments.append(SwiftArgument("keyId", context.input(key, naming: KMSKey.typeName, "arn")))
            }
        case "StringList":
            arguments.append(SwiftArgument("type", ".stringList"))
            arguments.append(SwiftArgument("value", context.input(attributes.string("value") ?? "")))
        default:
            arguments.append(SwiftArgument("type", ".string"))
            arguments.append(SwiftArgument("value", context.input(attributes.string("value") ?? "")))
        }
        if let description = attributes.string("description"), !description.isEmpty {
            arguments.append(SwiftArgument("description", context.literal(description)))
        }
        switch attributes.string("tier") {
        case "Advanced": arguments.append(SwiftArgument("tier", ".advanced"))
        case "Intelligent-Tiering": arguments.append(SwiftArgument("tier", ".intelligentTiering"))
        default: break
        }
        if let pattern = attributes.string("allowedPattern") { arguments.append(SwiftArgument("allowedPattern", context.literal(pattern))) }
        if attributes.string("dataType") == "aws:ec2:image" { arguments.append(SwiftArgument("dataType", ".ec2Image")) }
        if let tags = context.tags(live) { arguments.append(tags) }
        return arguments
    }
}
