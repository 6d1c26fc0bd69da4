import CairnAWS
import CairnEngine
import CairnJSON
import Foundation

/// An S3 bucket (`aws s3api create-bucket`) with its versioning, default encryption, Block Public
/// Access, Object Ownership, lifecycle rules, bucket policy, CORS rules, website and tags.
///
/// Every sub-configuration always has a value in the attributes, AWS's default when the declaration
/// leaves it unset, so that reading a fresh bucket gives back exactly the declared attributes.
public struct S3Bucket: ResourceDeclaration {
    /// `aws_s3_bucket`.
    public static let typeName = "aws_s3_bucket"

    /// The name that, with the type, addresses the bucket in the stack.
    public let logicalName: String
    /// The bucket's globally unique name: 3 to 63 lower-case letters, digits, dots and hyphens.
    /// Changing it replaces the bucket.
    public var name: Input<String>
    /// Object versioning; `.disabled` (AWS's default) unless set.
    public var versioning: Versioning
    /// Default encryption; `.sseS3` (AWS's default) unless set.
    public var encryption: Encryption
    /// Block Public Access; `.blockAll` (AWS's default for new buckets) unless set.
    public var publicAccessBlock: PublicAccessBlock
    /// Object Ownership; nil means AWS's default for new buckets, `.bucketOwnerEnforced`.
    public var ownershipControls: ObjectOwnership?
    /// Lifecycle rules, by unique id.
    public var lifecycleRules: [LifecycleRule]
    /// The bucket policy (a resource policy: every statement names a principal and a resource).
    public var policy: PolicyDocument?
    /// CORS rules, matched in order.
    public var corsRules: [CORSRule]
    /// Static website hosting, if any.
    public var website: Website?
    /// The bucket's tags.
    public var tags: Tags
    /// Let `destroy` delete every object version and delete marker first. Without it, destroying a
    /// bucket that holds objects fails. Kept by Cairn only, never read from AWS.
    public var forceDestroy: Bool
    /// What the engine may do with the bucket (`preventDestroy`, `dependsOn`, …).
    public var options: ResourceOptions

    /// Declares a bucket; everything but the name defaults to what AWS gives a new bucket.
    public init(
        _ logicalName: String, name: Input<String>, versioning: Versioning = .disabled, encryption: Encryption = .sseS3,
        publicAccessBlock: PublicAccessBlock = .blockAll, ownershipControls: ObjectOwnership? = nil,
        lifecycleRules: [LifecycleRule] = [], policy: PolicyDocument? = nil, corsRules: [CORSRule] = [],
        website: Website? = nil, tags: Tags = [:], forceDestroy: Bool = false, options: ResourceOptions = ResourceOptions()
    ) {
        self.logicalName = logicalName
        self.name = name
        self.versioning = versioning
        self.encryption = encryption
        self.publicAccessBlock = publicAccessBlock
        self.ownershipControls = ownershipControls
        self.lifecycleRules = lifecycleRules
        self.policy = policy
        self.corsRules = corsRules
        self.website = website
        self.tags = tags
        self.forceDestroy = forceDestroy
        self.options = options
    }

    /// `arn:aws:s3:::NAME`.
    public var arn: Output<String> { Output(output("arn")) }
    /// The bucket's name.
    public var bucketName: Output<String> { Output(output("name")) }
    /// `NAME.s3.REGION.amazonaws.com`, the regional endpoint host of the bucket.
    public var regionalDomainName: Output<String> { Output(output("regionalDomainName")) }

    /// The attributes:
    /// - `name`: the bucket name;
    /// - `versioning`: `"Enabled"`, `"Suspended"` or `"Disabled"`;
    /// - `encryption`: `{"algorithm": "AES256" | "aws:kms", "kmsKeyID": string | null, "bucketKey": bool}`;
    /// - `publicAccessBlock`: `{"blockPublicAcls", "ignorePublicAcls", "blockPublicPolicy", "restrictPublicBuckets"}`, booleans;
    /// - `ownershipControls`: `"BucketOwnerEnforced"`, `"BucketOwnerPreferred"` or `"ObjectWriter"`;
    /// - `lifecycleRules`: rules sorted by id, `{"id", "prefix", "enabled", "expirationDays",
    ///   "noncurrentVersionExpirationDays", "abortIncompleteMultipartUploadDays"}` (days null when unset); a live rule
    ///   also has what a `LifecycleRule` cannot say, when it has it: its filter's `tags` and `objectSizeGreaterThan` /
    ///   `objectSizeLessThan`, and the names of other settings (`unmodeled`: `Transition`, …), so that it never reads as
    ///   the wider rule a declaration would make of it;
    /// - `policy`: the document in IAM's normal form, or null;
    /// - `corsRules`: rules in order, `{"id", "allowedMethods", "allowedOrigins", "allowedHeaders",
    ///   "exposeHeaders", "maxAgeSeconds"}`, lists sorted;
    /// - `website`: `{"indexDocument", "errorDocument"}` or null;
    /// - `tags`: an object; `forceDestroy`: a boolean kept by Cairn only.
    public var attributes: [String: Value] {
        [
            "name": name.value,
            "versioning": .string(versioning.rawValue),
            "encryption": encryption.value,
            "publicAccessBlock": publicAccessBlock.value,
            "ownershipControls": .string((ownershipControls ?? .bucketOwnerEnforced).rawValue),
            "lifecycleRules": .array(lifecycleRules.sorted { $0.id < $1.id }.map(\.value)),
            "policy": policy?.value ?? .null,
            "corsRules": .array(corsRules.map(\.value)),
            "website": website?.value ?? .null,
            "tags": .json(tags.json),
            "forceDestroy": .bool(forceDestroy),
        ]
    }

    /// Checks the bucket name, lifecycle rules, policy, CORS rules, website, KMS key and tags.
    public func validate() -> [ValidationIssue] {
        var issues: [ValidationIssue] = []
        if let text = name.literal, let problem = Self.bucketNameProblem(text) {
            issues.append(ValidationIssue(address: address, attribute: "name", message: "'\(text)' is not a valid bucket name: \(problem)."))
        }
        if case .sseKMS(let keyID?, _) = encryption, keyID.literal?.isEmpty == true {
            issues.append(
                ValidationIssue(
                    address: address, attribute: "encryption.kmsKeyID",
                    message: "the KMS key id is empty: give a key id or ARN, or nil for the AWS managed key aws/s3."))
        }
        issues += validateLifecycle()
        if let policy {
            issues += policy.validate(address: address, attribute: "policy", requiresResource: true, requiresPrincipal: true)
        }
        issues += validateCORS()
        if let website {
            if website.indexDocument.isEmpty || website.indexDocument.contains("/") {
                issues.append(
                    ValidationIssue(
                        address: address, attribute: "website.indexDocument",
                        message: "'\(website.indexDocument)' must be a non-empty suffix without slashes, like \"index.html\"."))
            }
            if let error = website.errorDocument, error.isEmpty {
                issues.append(
                    ValidationIssue(
                        address: address, attribute: "website.errorDocument",
                        message: "the error document key is empty: give an object key like \"error.html\", or nil."))
            }
        }
        return issues + checkTags(tags, address: address)
    }

    private func validateLifecycle() -> [ValidationIssue] {
        var issues: [ValidationIssue] = []
        if lifecycleRules.count > 1000 {
            issues.append(
                ValidationIssue(
                    address: address, attribute: "lifecycleRules", message: "\(lifecycleRules.count) rules is more than S3's 1000: merge some."))
        }
        var ids = Set<String>()
        for (i, rule) in lifecycleRules.enumerated() {
            let path = "lifecycleRules[\(i)]"
            if rule.id.isEmpty || rule.id.count > 255 {
                issues.append(ValidationIssue(address: address, attribute: "\(path).id", message: "rule ids must be 1 to 255 characters."))
            }
            if !ids.insert(rule.id).inserted {
                issues.append(
                    ValidationIssue(address: address, attribute: "\(path).id", message: "'\(rule.id)' is the id of two rules: ids must be unique."))
            }
            if rule.expirationDays == nil && rule.noncurrentVersionExpirationDays == nil && rule.abortIncompleteMultipartUploadDays == nil {
                issues.append(
                    ValidationIssue(
                        address: address, attribute: path,
                        message:
                            "rule '\(rule.id)' has no action: set expirationDays, noncurrentVersionExpirationDays or abortIncompleteMultipartUploadDays."
                    ))
            }
            for (name, days) in [
                ("expirationDays", rule.expirationDays), ("noncurrentVersionExpirationDays", rule.noncurrentVersionExpirationDays),
                ("abortIncompleteMultipartUploadDays", rule.abortIncompleteMultipartUploadDays),
            ] {
                if let days, days < 1 {
                    issues.append(
                        ValidationIssue(
                            address: address, attribute: "\(path).\(name)", message: "\(days) is not a number of days S3 accepts: use 1 or more."))
                }
            }
            if rule.prefix.utf8.count > 1024 {
                issues.append(ValidationIssue(address: address, attribute: "\(path).prefix", message: "the prefix is longer than S3's 1024 bytes."))
            }
        }
        return issues
    }

    private func validateCORS() -> [ValidationIssue] {
        var issues: [ValidationIssue] = []
        if corsRules.count > 100 {
            issues.append(
                ValidationIssue(address: address, attribute: "corsRules", message: "\(corsRules.count) rules is more than S3's 100: merge some."))
        }
        for (i, rule) in corsRules.enumerated() {
            let path = "corsRules[\(i)]"
            if let id = rule.id, id.isEmpty || id.count > 255 {
                issues.append(ValidationIssue(address: address, attribute: "\(path).id", message: "rule ids must be 1 to 255 characters (or nil)."))
            }
            if rule.allowedMethods.isEmpty {
                issues.append(
                    ValidationIssue(address: address, attribute: "\(path).allowedMethods", message: "the rule allows no method: add some, like .get.")
                )
            }
            if rule.allowedOrigins.isEmpty {
                issues.append(
                    ValidationIssue(
                        address: address, attribute: "\(path).allowedOrigins",
                        message: "the rule allows no origin: add some, like \"https://www.example.com\" (or \"*\")."))
            }
            for (name, items) in [("allowedOrigins", rule.allowedOrigins), ("allowedHeaders", rule.allowedHeaders)] {
                for item in items where item.isEmpty || item.filter({ $0 == "*" }).count > 1 {
                    issues.append(
                        ValidationIssue(
                            address: address, attribute: "\(path).\(name)", message: "'\(item)' must be non-empty and hold at most one '*'."))
                }
            }
            if let age = rule.maxAgeSeconds, age < 0 {
                issues.append(
                    ValidationIssue(address: address, attribute: "\(path).maxAgeSeconds", message: "\(age) is negative: use 0 or more seconds."))
            }
        }
        return issues
    }

    /// Why `name` breaks S3's rules for general purpose bucket names, or nil when it is valid.
    static func bucketNameProblem(_ name: String) -> String? {
        if !(3...63).contains(name.count) { return "bucket names are 3 to 63 characters long, this one has \(name.count)" }
        if let bad = name.first(where: { !($0.isASCII && ($0.isLowercase || $0.isNumber || $0 == "." || $0 == "-")) }) {
            return "bucket names may contain only lower-case letters, digits, dots and hyphens, not '\(bad)'"
        }
        func isAlphanumeric(_ c: Character?) -> Bool { c.map { $0.isLowercase || $0.isNumber } ?? false }
        if !isAlphanumeric(name.first) || !isAlphanumeric(name.last) { return "bucket names must begin and end with a letter or digit" }
        if name.contains("..") { return "bucket names must not contain two adjacent periods" }
        let parts = name.split(separator: ".", omittingEmptySubsequences: false)
        if parts.count == 4, parts.allSatisfy({ !$0.isEmpty && $0.allSatisfy(\.isNumber) }) {
            return "bucket names must not be formatted as an IP address"
        }
        for prefix in ["xn--", "sthree-", "amzn-s3-demo-"] where name.hasPrefix(prefix) {
            return "bucket names must not start with '\(prefix)'"
        }
        for suffix in ["-s3alias", "--ol-s3", ".mrap", "--x-s3"] where name.hasSuffix(suffix) {
            return "bucket names must not end with '\(suffix)'"
        }
        return nil
    }
}

/// Destroying a bucket that still holds objects, without `forceDestroy`.
public struct S3BucketNotEmptyError: Error, Sendable, CustomStringConvertible {
    /// The bucket's name.
    public let bucket: String
    /// Whether Cairn had already tried to empty it (objects were written while it did).
    public let afterEmptying: Bool

    /// What went wrong with `bucket`.
    public init(bucket: String, afterEmptying: Bool) {
        self.bucket = bucket
        self.afterEmptying = afterEmptying
    }

    /// One paragraph: what failed and the two ways out.
    public var description: String {
        if afterEmptying {
            return
                "S3 bucket '\(bucket)' is still not empty after Cairn deleted every object version in it (BucketNotEmpty): something keeps writing to it. Stop the writers and destroy again."
        }
        return
            "S3 bucket '\(bucket)' is not empty, so AWS refuses to delete it (BucketNotEmpty). Empty it first (every object version and delete marker, e.g. `aws s3 rm s3://\(bucket) --recursive` for an unversioned bucket), or set forceDestroy: true on the bucket and apply, so that Cairn deletes its contents with it."
    }
}

/// Objects S3 would not delete while Cairn emptied a bucket for `forceDestroy`.
public struct S3BucketEmptyingError: Error, Sendable, CustomStringConvertible {
    /// The bucket's name.
    public let bucket: String
    /// `key (version): Code: message`, for the first few failures.
    public let failures: [String]
    /// How many object versions could not be deleted.
    public let count: Int

    /// The failures of one DeleteObjects call.
    public init(bucket: String, failures: [String], count: Int) {
        self.bucket = bucket
        self.failures = failures
        self.count = count
    }

    /// What S3 said about the objects it kept.
    public var description: String {
        "S3 kept \(count) object version(s) of bucket '\(bucket)' while Cairn emptied it for forceDestroy: \(failures.joined(separator: "; ")). Check the caller's s3:DeleteObject and s3:DeleteObjectVersion permissions and any Object Lock retention, then destroy again."
    }
}

/// Creates, reads, updates and deletes S3 buckets; the physical id is the bucket name. Buckets live in
/// the client's region.
struct S3BucketProvider: ResourceProvider {
    let client: AWSClient
    let typeName = S3Bucket.typeName
    /// Adoption proof: the ownership tags, else the creation time; the tags go on with PutBucketTagging after CreateBucket, which an interruption can cut off; then the bucket's CreationDate (ListBuckets) must be after the intent.
    let adoptionProof = AdoptionProof.ownershipTagsOrCreationTime
    // A delete loses its objects: a plan names an undeclared rename of it.
    let holdsData = true
    let replaceOnChange: Set<String> = ["name"]

    func physicalID(for attributes: [String: JSON]) -> String? { attributes.string("name") }

    // MARK: Calls

    @discardableResult
    private func call(
        _ operation: RestXMLOperation, _ bucket: String, _ members: [String: String] = [:], body: RestXMLBody = .none
    ) async throws -> RestXMLResponse {
        var members = members
        members["Bucket"] = bucket
        return try await client.restXML(operation, members, body: body)
    }

    /// The answer's root element, or nil when AWS says the configuration does not exist (`missing`).
    private func configuration(_ operation: RestXMLOperation, _ bucket: String, missing: String) async throws -> XMLNode? {
        do {
            return try await call(operation, bucket).xml
        } catch let error as AWSServiceError where error.code == missing {
            return nil
        }
    }

    /// A Delete* call; a configuration that is already gone is fine.
    private func remove(_ operation: RestXMLOperation, _ bucket: String) async throws {
        do {
            try await call(operation, bucket)
        } catch let error as AWSServiceError where error.code.hasPrefix("NoSuch") && error.code != "NoSuchBucket" {
            return
        }
    }

    private static func isMissingBucket(_ error: AWSServiceError) -> Bool {
        error.code == "NoSuchBucket" || (error.status == 404 && error.code == "NotFound")
    }

    private func outputs(_ name: String) -> [String: JSON] {
        let region = client.region
        let partition = region.hasPrefix("cn-") ? "aws-cn" : region.hasPrefix("us-gov-") ? "aws-us-gov" : "aws"
        let suffix = region.hasPrefix("cn-") ? "amazonaws.com.cn" : "amazonaws.com"
        return [
            "arn": .string("arn:\(partition):s3:::\(name)"),
            "name": .string(name),
            "regionalDomainName": .string("\(name).s3.\(region).\(suffix)"),
        ]
    }

    // MARK: Read

    func read(id: String, prior: [String: JSON]) async throws -> Observed? {
        do {
            // GetBucketVersioning doubles as the existence check.
            let versioning = try await call(.s3.getBucketVersioning, id).xml
            async let encryption = configuration(.s3.getBucketEncryption, id, missing: "ServerSideEncryptionConfigurationNotFoundError")
            async let publicAccessBlock = configuration(.s3.getPublicAccessBlock, id, missing: "NoSuchPublicAccessBlockConfiguration")
            async let ownership = configuration(.s3.getBucketOwnershipControls, id, missing: "OwnershipControlsNotFoundError")
            async let lifecycle = configuration(.s3.getBucketLifecycleConfiguration, id, missing: "NoSuchLifecycleConfiguration")
            async let policy = S3BucketPolicyCalls(client: client).read(id)
            async let cors = configuration(.s3.getBucketCors, id, missing: "NoSuchCORSConfiguration")
            async let website = configuration(.s3.getBucketWebsite, id, missing: "NoSuchWebsiteConfiguration")
            async let tagging = configuration(.s3.getBucketTagging, id, missing: "NoSuchTagSet")
            let attributes: [String: JSON] = [
                "name": .string(id),
                "versioning": S3BucketWire.versioning(from: versioning),
                "encryption": S3BucketWire.encryption(from: try await encryption),
                "publicAccessBlock": S3BucketWire.publicAccessBlock(from: try await publicAccessBlock),
                "ownershipControls": S3BucketWire.ownership(from: try await ownership),
                "lifecycleRules": S3BucketWire.lifecycleRules(from: try await lifecycle),
                "policy": try await policy,
                "corsRules": S3BucketWire.corsRules(from: try await cors),
                "website": S3BucketWire.website(from: try await website),
                "tags": S3BucketWire.tags(from: try await tagging),
                "forceDestroy": prior["forceDestroy"] ?? .bool(false),
            ]
            return Observed(id: id, attributes: attributes, outputs: outputs(id))
        } catch let error as AWSServiceError where Self.isMissingBucket(error) {
            return nil
        }
    }

    /// The bucket's CreationDate, from ListBuckets narrowed to its name (the only API that reports it).
    func creationDate(id: String) async throws -> Date? {
        let bucket = try await client.restXMLAll(.s3.listBuckets, ["Prefix": id, "MaxBuckets": "1000"]).first { $0.string("Name") == id }
        return bucket?.string("CreationDate").flatMap(parseTimestamp)
    }

    /// Destroy's check: the tags alone, one call (a missing bucket is gone).
    func ownershipRead(id: String, prior: [String: JSON]) async throws -> Observed? {
        do {
            let tagging = try await configuration(.s3.getBucketTagging, id, missing: "NoSuchTagSet")
            return Observed(id: id, attributes: ["name": .string(id), "tags": S3BucketWire.tags(from: tagging)], outputs: outputs(id))
        } catch let error as AWSServiceError where Self.isMissingBucket(error) {
            return nil
        }
    }

    // MARK: Create and update

    func create(_ attributes: [String: JSON]) async throws -> Applied {
        let name = attributes.string("name") ?? ""
        let ownership = attributes.string("ownershipControls") ?? S3Bucket.ObjectOwnership.bucketOwnerEnforced.rawValue
        let body: RestXMLBody =
            client.region == "us-east-1"
            ? .none : .xml([S3BucketWire.element("LocationConstraint", client.region)])
        // Object Ownership goes with the create: buckets without it would behave as ObjectWriter.
        try await call(.s3.createBucket, name, ["ObjectOwnership": ownership], body: body)
        return try await PartialCreate.completing(Applied(id: name, outputs: outputs(name))) {
            try await apply(name, from: newBucket, to: attributes)
        }
    }

    /// What a new bucket is, as far as `apply` needs to know: what it must change after CreateBucket.
    /// Block Public Access is absent on purpose, so that it is always set (AWS turns it on for new
    /// buckets, some emulators and older partitions do not).
    private var newBucket: [String: JSON] {
        [
            "versioning": .string(S3Bucket.Versioning.disabled.rawValue),
            "encryption": S3BucketWire.defaultEncryption,
            "lifecycleRules": [], "policy": .null, "corsRules": [], "website": .null, "tags": [:],
        ]
    }

    func update(id: String, from old: [String: JSON], to new: [String: JSON]) async throws -> Applied {
        if old["ownershipControls"] != new["ownershipControls"] {
            try await call(.s3.putBucketOwnershipControls, id, body: .xml(S3BucketWire.ownershipXML(new["ownershipControls"] ?? .null)))
        }
        try await apply(id, from: old, to: new)
        return Applied(id: id, outputs: outputs(id))
    }

    /// Makes every sub-configuration whose attribute differs between `old` and `new` what `new` says.
    /// Each is a call of its own on the bucket and they don't depend on each other, so they go at once;
    /// the policy goes last, once Block Public Access is what `new` says (a public policy needs it relaxed).
    private func apply(_ bucket: String, from old: [String: JSON], to new: [String: JSON]) async throws {
        func changed(_ key: String) -> Bool { old[key] != new[key] }
        // Suspending versioning is the only way back, and it is not "disabled": refuse before any call.
        if changed("versioning"), (new.string("versioning") ?? S3Bucket.Versioning.disabled.rawValue) == S3Bucket.Versioning.disabled.rawValue {
            throw S3VersioningError(bucket: bucket)
        }
        var changes: [@Sendable () async throws -> Void] = []
        if changed("publicAccessBlock") {
            changes.append {
                if S3BucketWire.blocksNothing(new["publicAccessBlock"]) {
                    try await remove(.s3.deletePublicAccessBlock, bucket)
                } else {
                    try await call(.s3.putPublicAccessBlock, bucket, body: .xml(S3BucketWire.publicAccessBlockXML(new["publicAccessBlock"] ?? .null)))
                }
            }
        }
        if changed("versioning") {
            changes.append {
                let status = new.string("versioning") ?? S3Bucket.Versioning.disabled.rawValue
                try await call(.s3.putBucketVersioning, bucket, body: .xml([S3BucketWire.element("Status", status)]))
            }
        }
        if changed("encryption") {
            changes.append {
                try await call(
                    .s3.putBucketEncryption, bucket, body: .xml(S3BucketWire.encryptionXML(new["encryption"] ?? S3BucketWire.defaultEncryption)))
            }
        }
        if changed("lifecycleRules") {
            changes.append {
                let rules = new["lifecycleRules"] ?? []
                if rules.arrayValue?.isEmpty ?? true {
                    try await remove(.s3.deleteBucketLifecycle, bucket)
                } else {
                    try await call(.s3.putBucketLifecycleConfiguration, bucket, body: .xml(S3BucketWire.lifecycleXML(rules)))
                }
            }
        }
        if changed("corsRules") {
            changes.append {
                let rules = new["corsRules"] ?? []
                if rules.arrayValue?.isEmpty ?? true {
                    try await remove(.s3.deleteBucketCors, bucket)
                } else {
                    try await call(.s3.putBucketCors, bucket, body: .xml(S3BucketWire.corsXML(rules)))
                }
            }
        }
        if changed("website") {
            changes.append {
                if let website = new["website"], !website.isNull {
                    try await call(.s3.putBucketWebsite, bucket, body: .xml(S3BucketWire.websiteXML(website)))
                } else {
                    try await remove(.s3.deleteBucketWebsite, bucket)
                }
            }
        }
        if changed("tags") {
            changes.append {
                let tags = new.tags()
                if tags.isEmpty {
                    try await remove(.s3.deleteBucketTagging, bucket)
                } else {
                    try await call(.s3.putBucketTagging, bucket, body: .xml(S3BucketWire.taggingXML(tags)))
                }
            }
        }
        _ = try await changes.concurrentMap { try await $0() }
        if changed("policy") { try await S3BucketPolicyCalls(client: client).write(bucket, new["policy"] ?? .null) }
    }

    // MARK: Delete

    func delete(id: String, attributes: [String: JSON]) async throws {
        let force = attributes.bool("forceDestroy") ?? false
        do {
            // Most buckets are empty by the time they go: try the delete first, and empty only when S3 says so.
            var attempts = 0
            while true {
                attempts += 1
                do {
                    try await call(.s3.deleteBucket, id)
                    return
                } catch let error as AWSServiceError where error.code == "BucketNotEmpty" || (force && error.code == "AccessDenied" && attempts == 1)
                {
                    // Something may write while the bucket is emptied: try again, a few times.
                    guard force else { throw S3BucketNotEmptyError(bucket: id, afterEmptying: false) }
                    guard attempts < 4 else { throw S3BucketNotEmptyError(bucket: id, afterEmptying: true) }
                    if attempts == 1 {
                        // The bucket goes anyway; its policy could deny the deletes that empty it.
                        try await S3BucketPolicyCalls(client: client).write(id, .null)
                    }
                    try await empty(id)
                }
            }
        } catch let error as AWSServiceError where Self.isMissingBucket(error) {
            return
        }
    }

    /// Deletes every object version and delete marker, 1000 at a time (a DeleteObjects maximum).
    /// Each listing starts from the beginning again: what was deleted is gone from it, and a marker
    /// naming a deleted version is not something every S3 implementation continues from.
    /// The listing asks for URL-encoded keys (`encoding-type=url`), as a key may hold characters XML 1.0 cannot
    /// carry; such a key cannot go in DeleteObjects' XML body either, so it is deleted on its own (DeleteObject,
    /// the key in the URI). `pageSize` limits each listing (tests use it to cross page boundaries).
    func empty(_ bucket: String, pageSize: Int? = nil) async throws {
        var members = ["EncodingType": "url"]
        members["MaxKeys"] = pageSize.map(String.init)
        // Each round lists from the top what the last one left: a first page unchanged by its deletes would loop.
        var previous: [String]?
        while true {
            let page = try await call(.s3.listObjectVersions, bucket, members).xml
            let keys = S3BucketWire.ListingKeys(page)
            let objects = (page?.children ?? []).compactMap { entry -> (key: String, version: String)? in
                guard entry.name == "Version" || entry.name == "DeleteMarker", let key = entry.string("Key") else { return nil }
                return (keys.decoded(key), entry.string("VersionId") ?? "null")
            }
            let listed = objects.map { "\($0.key) (\($0.version))" }
            if !listed.isEmpty, listed == previous {
                throw S3BucketEmptyingError(
                    bucket: bucket,
                    failures: ["the listing shows them again after S3 accepted their deletion: " + listed.prefix(3).joined(separator: ", ")],
                    count: listed.count)
            }
            previous = listed
            let carried = objects.filter { S3BucketWire.xmlCanCarry($0.key) }
            for start in stride(from: 0, to: carried.count, by: 1000) {
                try await deleteObjects(bucket, carried[start..<min(start + 1000, carried.count)])
            }
            for object in objects where !S3BucketWire.xmlCanCarry(object.key) {
                try await call(.s3.deleteObject, bucket, ["Key": object.key, "VersionId": object.version])
            }
            guard page?.string("IsTruncated") == "true", !objects.isEmpty else { return }
        }
    }

    private func deleteObjects(_ bucket: String, _ objects: ArraySlice<(key: String, version: String)>) async throws {
        let children =
            objects.map { S3BucketWire.element("Object", [S3BucketWire.element("Key", $0.key), S3BucketWire.element("VersionId", $0.version)]) }
            + [S3BucketWire.element("Quiet", "true")]
        let answer = try await call(.s3.deleteObjects, bucket, body: .xml(children)).xml
        let errors = answer?.all("Error") ?? []
        guard errors.isEmpty else {
            let failures = errors.prefix(3).map { error in
                "\(error.string("Key") ?? "?") (\(error.string("VersionId") ?? "null")): \(error.string("Code") ?? "?"): \(error.string("Message") ?? "")"
            }
            throw S3BucketEmptyingError(bucket: bucket, failures: failures, count: errors.count)
        }
    }
}

/// A declaration turned versioning back to `.disabled`, which S3 cannot do.
public struct S3VersioningError: Error, Sendable, CustomStringConvertible {
    /// The bucket's name.
    public let bucket: String

    /// The error for `bucket`.
    public init(bucket: String) { self.bucket = bucket }

    /// What to declare instead.
    public var description: String {
        "S3 bucket '\(bucket)' has been versioned, and S3 cannot turn versioning off again: declare versioning: .suspended to stop keeping new versions (or replace the bucket)."
    }
}

// MARK: cairn generate

extension S3BucketProvider: DiscoverableProvider {
    var swiftType: String { "S3Bucket" }
    var swiftNoun: String { "bucket" }
    var swiftOutputs: [String: String] { ["arn": "arn", "name": "bucketName", "regionalDomainName": "regionalDomainName"] }

    /// The buckets in this region: ListBuckets names every region's, so it is asked for this one's (and each answer's
    /// `BucketRegion` checked, where given).
    func discover() async throws -> [DiscoveredResource] {
        try await client.restXMLAll(.s3.listBuckets, ["BucketRegion": client.region, "MaxBuckets": "1000"]).compactMap { bucket in
            guard let name = bucket.string("Name"), (bucket.string("BucketRegion") ?? client.region) == client.region else { return nil }
            return DiscoveredResource(id: name, name: name)
        }
    }

    func swiftArguments(_ live: Observed, in context: SwiftContext) -> [SwiftArgument] {
        let attributes = live.attributes
        var arguments = [SwiftArgument("name", context.literal(live.id))]
        switch attributes.string("versioning") {
        case "Enabled": arguments.append(SwiftArgument("versioning", ".enabled"))
        case "Suspended": arguments.append(SwiftArgument("versioning", ".suspended"))
        default: break
        }
        if let encryption = attributes["encryption"], encryption["algorithm"]?.stringValue == "aws:kms" {
            var parts: [SwiftArgument] = []
            if let key = encryption["kmsKeyID"]?.stringValue {
                parts.append(SwiftArgument("keyID", context.input(key, naming: "aws_kms_key", "arn")))
            }
            if encryption["bucketKey"]?.boolValue == true { parts.append(SwiftArgument("bucketKey", "true")) }
            arguments.append(SwiftArgument("encryption", SwiftCode.call(".sseKMS", parts)))
        } else if let algorithm = attributes["encryption"]?["algorithm"]?.stringValue, algorithm != "AES256" {
            context.cannotExpress("encryption", "the algorithm \(algorithm) is neither AES256 nor aws:kms")
        }
        if let block = attributes["publicAccessBlock"]?.objectValue {
            let keys = ["blockPublicAcls", "ignorePublicAcls", "blockPublicPolicy", "restrictPublicBuckets"]
            let values = keys.map { block[$0]?.boolValue ?? false }
            if values.allSatisfy({ !$0 }) {
                arguments.append(SwiftArgument("publicAccessBlock", ".blockNone"))
            } else if !values.allSatisfy({ $0 }) {
                arguments.append(SwiftArgument("publicAccessBlock", SwiftCode.call(".init", zip(keys, values).map { SwiftArgument($0, String($1)) })))
            }
        }
        switch attributes.string("ownershipControls") {
        case "BucketOwnerPreferred": arguments.append(SwiftArgument("ownershipControls", ".bucketOwnerPreferred"))
        case "ObjectWriter": arguments.append(SwiftArgument("ownershipControls", ".objectWriter"))
        default: break
        }
        let lifecycle = attributes["lifecycleRules"]?.arrayValue ?? []
        if let reason = Self.lifecycleProblem(lifecycle) {
            // Never a rule wider than AWS's: one limited to tagged objects, declared without its tags, would expire every
            // object under its prefix.
            context.cannotExpress("lifecycleRules", reason, ignoringDrift: "lifecycleRules")
        } else if !lifecycle.isEmpty {
            let rules = lifecycle.map { rule -> String in
                var parts = [SwiftArgument("id", context.literal(rule["id"]?.stringValue ?? ""))]
                if let prefix = rule["prefix"]?.stringValue, !prefix.isEmpty { parts.append(SwiftArgument("prefix", context.literal(prefix))) }
                if rule["enabled"]?.boolValue == false { parts.append(SwiftArgument("enabled", "false")) }
                for key in ["expirationDays", "noncurrentVersionExpirationDays", "abortIncompleteMultipartUploadDays"] {
                    if let days = rule[key]?.intValue { parts.append(SwiftArgument(key, String(days))) }
                }
                return SwiftCode.call(".init", parts)
            }
            arguments.append(SwiftArgument("lifecycleRules", SwiftCode.array(rules)))
        }
        if let policy = attributes["policy"], !policy.isNull {
            if context.isFound(S3BucketPolicy.typeName, id: live.id) {
                // Declared on its own (an aws_s3_bucket_policy found too): the bucket leaves it to that resource.
                context.ignoreDrift("policy")
            } else if let swift = PolicyDocument.swift(policy, in: context) {
                arguments.append(SwiftArgument("policy", swift))
            } else {
                context.cannotExpress(
                    "policy", "the policy uses what PolicyStatement cannot say (\(PolicyDocument.unsayable(policy)))", ignoringDrift: "policy")
            }
        }
        let cors = (attributes["corsRules"]?.arrayValue ?? []).map { rule -> String in
            var parts: [SwiftArgument] = []
            if let id = rule["id"]?.stringValue { parts.append(SwiftArgument("id", context.literal(id))) }
            let methods = (rule["allowedMethods"]?.arrayValue ?? []).compactMap { $0.stringValue.map { ".\($0.lowercased())" } }
            parts.append(SwiftArgument("allowedMethods", SwiftCode.array(methods)))
            parts.append(SwiftArgument("allowedOrigins", SwiftCode.strings(rule["allowedOrigins"]?.arrayValue?.compactMap(\.stringValue) ?? [])))
            for key in ["allowedHeaders", "exposeHeaders"] {
                let items = rule[key]?.arrayValue?.compactMap(\.stringValue) ?? []
                if !items.isEmpty { parts.append(SwiftArgument(key, SwiftCode.strings(items))) }
            }
            if let age = rule["maxAgeSeconds"]?.intValue { parts.append(SwiftArgument("maxAgeSeconds", String(age))) }
            return SwiftCode.call(".init", parts)
        }
        if !cors.isEmpty { arguments.append(SwiftArgument("corsRules", SwiftCode.array(cors))) }
        if let website = attributes["website"], !website.isNull {
            var parts: [SwiftArgument] = []
            if let index = website["indexDocument"]?.stringValue, index != "index.html" {
                parts.append(SwiftArgument("indexDocument", context.literal(index)))
            }
            if let error = website["errorDocument"]?.stringValue { parts.append(SwiftArgument("errorDocument", context.literal(error))) }
            arguments.append(SwiftArgument("website", SwiftCode.call(".init", parts)))
        }
        if let tags = context.tags(live) { arguments.append(tags) }
        // Cairn's own (never read from AWS): known when the stack's state records the bucket.
        if attributes.bool("forceDestroy") == true { arguments.append(SwiftArgument("forceDestroy", "true")) }
        return arguments
    }

    /// Why the lifecycle rules cannot be declared as they are (a rule's filter or action that `LifecycleRule` cannot
    /// say), or nil when they can.
    static func lifecycleProblem(_ rules: [JSON]) -> String? {
        var problems: [String] = []
        for rule in rules {
            var what: [String] = []
            if let tags = rule["tags"]?.objectValue, !tags.isEmpty {
                what.append("only objects tagged \(tags.keys.sorted().map { "\($0)=\(tags[$0]?.stringValue ?? "")" }.joined(separator: ", "))")
            }
            if let size = rule["objectSizeGreaterThan"]?.intValue { what.append("only objects larger than \(size) bytes") }
            if let size = rule["objectSizeLessThan"]?.intValue { what.append("only objects smaller than \(size) bytes") }
            let unmodeled = rule["unmodeled"]?.arrayValue?.compactMap(\.stringValue) ?? []
            if !unmodeled.isEmpty { what.append(unmodeled.joined(separator: ", ")) }
            if !what.isEmpty { problems.append("rule '\(rule["id"]?.stringValue ?? "")' has \(what.joined(separator: "; "))") }
        }
        guard !problems.isEmpty else { return nil }
        return problems.joined(separator: "; ")
            + ", which LifecycleRule cannot say (declared without them, a rule would cover every object under its prefix)"
    }
}
