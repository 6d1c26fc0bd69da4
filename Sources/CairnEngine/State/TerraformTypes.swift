import CairnJSON

/// The matching table of `cairn import --from-terraform`: which Terraform resource type each Cairn type manages,
/// by which attributes the two name the same resource, and which Terraform types Cairn folds into a parent resource
/// (a bucket's versioning, a role's policy attachments). The table itself is data, one line per type, next to the
/// types' registrations (`terraformTypes` in CairnResources).
public struct TerraformTypeTable: Sendable {
    /// One Terraform resource type that a Cairn type manages.
    public struct Mapping: Sendable {
        /// The Terraform type, e.g. `aws_s3_bucket`.
        public let terraformType: String
        /// The Cairn type (its `typeName`), e.g. `aws_s3_bucket`.
        public let cairnType: String
        /// Terraform attribute → Cairn attribute: the Terraform values that, given to the Cairn provider's
        /// `physicalID(for:)`, give the physical id the declaration would have. Empty for types whose id AWS
        /// chooses (a KMS key): those match by address, or as the only one of their type.
        public let identity: [String: String]
        /// The Terraform attribute holding the id Cairn's read takes, when that is not the physical id (a security
        /// group's `sg-` id, a task definition's ARN); nil to read by the physical id.
        public let readID: String?
        /// Puts a Terraform identity value in the form Cairn's declarations use (an OIDC provider's URL with its scheme).
        let normalize: @Sendable (String) -> String

        public init(
            _ terraformType: String, cairn cairnType: String? = nil, identity: [String: String], readID: String? = nil,
            normalize: @escaping @Sendable (String) -> String = { $0 }
        ) {
            self.terraformType = terraformType
            self.cairnType = cairnType ?? terraformType
            self.identity = identity
            self.readID = readID
            self.normalize = normalize
        }

        /// The Cairn attributes that `instance`'s identity attributes stand for; nil when one is missing.
        func identityAttributes(of instance: TerraformState.Instance) -> [String: JSON]? {
            guard !identity.isEmpty else { return nil }
            var attributes: [String: JSON] = [:]
            for (terraform, cairn) in identity {
                guard let value = instance.string(terraform) else { return nil }
                attributes[cairn] = .string(normalize(value))
            }
            return attributes
        }
    }

    /// A Terraform type whose settings Cairn keeps as attributes of a parent resource: reported as "covered by" it.
    public struct Folded: Sendable {
        /// The Terraform type, e.g. `aws_s3_bucket_versioning`.
        public let terraformType: String
        /// The parent's Terraform type, e.g. `aws_s3_bucket`.
        public let parentType: String
        /// The attribute of the folded resource that names its parent, e.g. `bucket`.
        public let link: String
        /// The parent's attribute that `link` holds, e.g. `bucket` (`id` unless said otherwise).
        public let parentAttribute: String
        /// The parent's Cairn attribute that holds these settings, for the report.
        public let cairnAttribute: String

        public init(_ terraformType: String, into parentType: String, by link: String, parentAttribute: String = "id", as cairnAttribute: String) {
            self.terraformType = terraformType
            self.parentType = parentType
            self.link = link
            self.parentAttribute = parentAttribute
            self.cairnAttribute = cairnAttribute
        }
    }

    public let mappings: [Mapping]
    public let folded: [Folded]

    public init(mappings: [Mapping], folded: [Folded]) {
        self.mappings = mappings
        self.folded = folded
    }

    /// The line of the Terraform type `type`, nil when Cairn has no type for it.
    public func mapping(forTerraform type: String) -> Mapping? { mappings.first { $0.terraformType == type } }

    /// The folded line of the Terraform type `type`, nil when Cairn does not fold it into a parent.
    public func folded(forTerraform type: String) -> Folded? { folded.first { $0.terraformType == type } }
}
