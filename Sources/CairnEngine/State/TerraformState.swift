import CairnJSON
import Foundation

/// A Terraform state file (`terraform.tfstate`, or what `terraform state pull` prints) in format version 4, the
/// one Terraform 0.12 and every later release write: its resource instances with their attributes, as read by
/// `cairn import --from-terraform`.
public struct TerraformState: Sendable {
    /// The only format version Cairn reads.
    public static let formatVersion = 4

    /// One instance of a `resource` or `data` block (one per `count` index or `for_each` key).
    public struct Instance: Sendable, Hashable {
        /// Its address as Terraform prints it: `aws_s3_bucket.artifacts`, `module.ci.aws_iam_role.build[0]`,
        /// `data.aws_vpc.default`.
        public let address: String
        /// The resource type, e.g. `aws_s3_bucket`.
        public let type: String
        /// True for a `data` block (a look-up), false for a managed resource.
        public let isData: Bool
        /// The provider configuration's address, e.g. `provider["registry.terraform.io/hashicorp/aws"]`.
        public let provider: String
        /// The instance's attributes as Terraform last recorded them.
        public let attributes: [String: JSON]

        public init(address: String, type: String, isData: Bool = false, provider: String, attributes: [String: JSON]) {
            self.address = address
            self.type = type
            self.isData = isData
            self.provider = provider
            self.attributes = attributes
        }

        /// Whether the hashicorp/aws provider manages it (any alias of it), or, for a provider address Cairn does
        /// not recognise, whether its type is an `aws_` one.
        public var isAWS: Bool {
            if provider.contains("/hashicorp/aws\"]") { return true }
            return provider.isEmpty && type.hasPrefix("aws_")
        }

        /// The attribute `name` as a string (numbers and booleans in their JSON form), nil when absent or null.
        public func string(_ name: String) -> String? {
            switch attributes[name] {
            case .string(let text)?: return text
            case .int(let number)?: return String(number)
            case .bool(let flag)?: return String(flag)
            default: return nil
            }
        }
    }

    /// The file it was read from, for messages.
    public let path: String
    /// The Terraform release that wrote it (`terraform_version`).
    public let terraformVersion: String?
    /// Every resource instance, managed and data, in the file's order.
    public let instances: [Instance]

    public init(path: String, terraformVersion: String?, instances: [Instance]) {
        self.path = path
        self.terraformVersion = terraformVersion
        self.instances = instances
    }

    /// Parses `data`, the contents of the file at `path`.
    ///
    /// - Throws: `TerraformImportError` when it is not a Terraform state, or one of another format version.
    public init(parsing data: Data, path: String) throws(TerraformImportError) {
        let notAState = TerraformImportError(
            "\(path) is not a Terraform state (a JSON object with \"version\" and \"resources\"): pass the terraform.tfstate file, or what `terraform state pull` prints."
        )
        guard let json = try? JSON(parsing: [UInt8](data)), let top = json.objectValue, let version = top["version"]?.intValue else {
            throw notAState
        }
        guard version == Self.formatVersion else {
            throw TerraformImportError(
                "\(path) is a Terraform state of format version \(version), and Cairn reads version \(Self.formatVersion) (what Terraform 0.12 and later write): "
                    + (version < Self.formatVersion
                        ? "run `terraform apply -refresh-only` with a current Terraform to rewrite it, then import again."
                        : "write it with `terraform state pull` from a Terraform release that uses version \(Self.formatVersion), then import again.")
            )
        }
        guard case .array(let resources)? = top["resources"] else { throw notAState }
        var instances: [Instance] = []
        for resource in resources {
            guard let type = resource["type"]?.stringValue, let name = resource["name"]?.stringValue,
                case .array(let entries)? = resource["instances"]
            else { throw notAState }
            let isData = resource["mode"]?.stringValue == "data"
            let module = resource["module"]?.stringValue.map { "\($0)." } ?? ""
            let base = "\(module)\(isData ? "data." : "")\(type).\(name)"
            for entry in entries {
                guard let attributes = entry["attributes"]?.objectValue else { throw notAState }
                instances.append(
                    Instance(
                        address: base + Self.indexSuffix(entry["index_key"]), type: type, isData: isData,
                        provider: resource["provider"]?.stringValue ?? "", attributes: attributes))
            }
        }
        self.init(path: path, terraformVersion: top["terraform_version"]?.stringValue, instances: instances)
    }

    /// `[0]` for a `count` index, `["key"]` for a `for_each` key, nothing for a single instance.
    static func indexSuffix(_ key: JSON?) -> String {
        switch key {
        case .int(let index)?: return "[\(index)]"
        case .string(let key)?: return "[\(JSON.string(key).description)]"
        default: return ""
        }
    }
}

/// `--map FILE`: Terraform addresses and the declared Cairn addresses to import them at, for what matching by
/// identity cannot decide. A JSON object: `{"aws_kms_key.main": "aws_kms_key.artifacts", "aws_s3_bucket.old": null}`;
/// null leaves that Terraform resource out.
public struct TerraformAddressMap: Sendable, Equatable {
    /// Terraform address → Cairn address, or nil to leave it out.
    public let entries: [String: String?]

    public init(_ entries: [String: String?] = [:]) {
        self.entries = entries
    }

    /// Parses `data`, the contents of the file at `path`.
    public init(parsing data: Data, path: String) throws(TerraformImportError) {
        guard let json = try? JSON(parsing: [UInt8](data)), let members = json.objectValue else {
            throw TerraformImportError(
                "\(path) is not a map of addresses: write a JSON object of Terraform addresses and the Cairn addresses to import them at, e.g. {\"aws_kms_key.main\": \"aws_kms_key.artifacts\"}."
            )
        }
        var entries: [String: String?] = [:]
        for (key, value) in members {
            switch value {
            case .string(let address): entries[key] = .some(address)
            case .null: entries[key] = .some(nil)
            default:
                throw TerraformImportError(
                    "\(path) maps \(key) to \(value), which is not an address: give a Cairn address as a string, or null to leave it out.")
            }
        }
        self.init(entries)
    }
}

/// Why `cairn import --from-terraform` stopped before writing anything: one sentence saying what to do.
public struct TerraformImportError: Error, Sendable, Equatable, CustomStringConvertible {
    public let description: String

    public init(_ description: String) {
        self.description = description
    }
}
