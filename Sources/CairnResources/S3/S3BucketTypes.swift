import CairnAWS
import CairnEngine
import CairnJSON
import Foundation

// The typed sub-configurations of `S3Bucket`, each with its attribute form (what the declaration
// produces and `read` reproduces) and its wire form (S3's XML, as botocore's model describes it).

extension S3Bucket {
    /// Object versioning. A bucket that was ever versioned can only be suspended, never disabled again.
    public enum Versioning: String, Sendable {
        /// Every write keeps the previous version.
        case enabled = "Enabled"
        /// Versioning was on and is paused: existing versions stay, new writes get the `null` version.
        case suspended = "Suspended"
        /// Never versioned: AWS's default for new buckets.
        case disabled = "Disabled"
    }

    /// Default encryption of new objects. Every bucket has one: AWS encrypts with SSE-S3 (AES256)
    /// unless told otherwise, so there is no "no encryption".
    public enum Encryption: Sendable {
        /// Amazon S3 managed keys (AES256): AWS's default.
        case sseS3
        /// AWS KMS keys. `keyID` is a key id, key ARN or alias ARN; nil uses the AWS managed key
        /// `aws/s3`. `bucketKey` turns on S3 Bucket Keys, which cut KMS requests.
        case sseKMS(keyID: Input<String>? = nil, bucketKey: Bool = false)

        /// The attribute value: `{"algorithm": "AES256" | "aws:kms", "kmsKeyID": string | null, "bucketKey": bool}`.
        var value: Value {
            switch self {
            case .sseS3:
                return .object(["algorithm": .string("AES256"), "kmsKeyID": .null, "bucketKey": .bool(false)])
            case .sseKMS(let keyID, let bucketKey):
                return .object(["algorithm": .string("aws:kms"), "kmsKeyID": keyID?.value ?? .null, "bucketKey": .bool(bucketKey)])
            }
        }
    }

    /// The bucket's Block Public Access settings. New buckets block everything.
    public struct PublicAccessBlock: Sendable, Hashable {
        /// Reject requests that set public ACLs.
        public var blockPublicAcls: Bool
        /// Ignore public ACLs already on the bucket and its objects.
        public var ignorePublicAcls: Bool
        /// Reject bucket policies that grant public access.
        public var blockPublicPolicy: Bool
        /// Limit a public policy's effect to AWS services and the bucket owner's account.
        public var restrictPublicBuckets: Bool

        /// Sets each of the four settings.
        public init(blockPublicAcls: Bool, ignorePublicAcls: Bool, blockPublicPolicy: Bool, restrictPublicBuckets: Bool) {
            self.blockPublicAcls = blockPublicAcls
            self.ignorePublicAcls = ignorePublicAcls
            self.blockPublicPolicy = blockPublicPolicy
            self.restrictPublicBuckets = restrictPublicBuckets
        }

        /// All four on: AWS's default for new buckets, and the right choice for almost every bucket.
        public static let blockAll = PublicAccessBlock(
            blockPublicAcls: true, ignorePublicAcls: true, blockPublicPolicy: true, restrictPublicBuckets: true)
        /// All four off: the bucket has no public access block configuration at all.
        public static let blockNone = PublicAccessBlock(
            blockPublicAcls: false, ignorePublicAcls: false, blockPublicPolicy: false, restrictPublicBuckets: false)

        var value: Value {
            .object([
                "blockPublicAcls": .bool(blockPublicAcls), "ignorePublicAcls": .bool(ignorePublicAcls),
                "blockPublicPolicy": .bool(blockPublicPolicy), "restrictPublicBuckets": .bool(restrictPublicBuckets),
            ])
        }
    }

    /// Object Ownership: who owns objects others upload, and whether ACLs apply.
    public enum ObjectOwnership: String, Sendable {
        /// ACLs are disabled and the bucket owner owns every object: AWS's default for new buckets.
        case bucketOwnerEnforced = "BucketOwnerEnforced"
        /// The bucket owner owns objects uploaded with the `bucket-owner-full-control` ACL.
        case bucketOwnerPreferred = "BucketOwnerPreferred"
        /// The uploading account owns the object (how buckets behaved before ownership controls).
        case objectWriter = "ObjectWriter"
    }

    /// One lifecycle rule: which objects (a key prefix) and what happens to them.
    public struct LifecycleRule: Sendable {
        /// Unique within the bucket, at most 255 characters.
        public var id: String
        /// The key prefix the rule applies to; empty for the whole bucket.
        public var prefix: String
        /// Whether the rule runs.
        public var enabled: Bool
        /// Days after creation when current versions expire (become delete markers when versioned).
        public var expirationDays: Int?
        /// Days after becoming noncurrent when old versions are deleted.
        public var noncurrentVersionExpirationDays: Int?
        /// Days after starting when incomplete multipart uploads are aborted.
        public var abortIncompleteMultipartUploadDays: Int?

        /// A rule; give it at least one of the three actions.
        public init(
            id: String, prefix: String = "", enabled: Bool = true, expirationDays: Int? = nil,
            noncurrentVersionExpirationDays: Int? = nil, abortIncompleteMultipartUploadDays: Int? = nil
        ) {
            self.id = id
            self.prefix = prefix
            self.enabled = enabled
            self.expirationDays = expirationDays
            self.noncurrentVersionExpirationDays = noncurrentVersionExpirationDays
            self.abortIncompleteMultipartUploadDays = abortIncompleteMultipartUploadDays
        }

        var value: Value {
            .object([
                "id": .string(id), "prefix": .string(prefix), "enabled": .bool(enabled),
                "expirationDays": expirationDays.map(Value.int) ?? .null,
                "noncurrentVersionExpirationDays": noncurrentVersionExpirationDays.map(Value.int) ?? .null,
                "abortIncompleteMultipartUploadDays": abortIncompleteMultipartUploadDays.map(Value.int) ?? .null,
            ])
        }
    }

    /// An HTTP method a CORS rule allows.
    public enum CORSMethod: String, Sendable {
        /// `GET`, `PUT`, `POST`, `DELETE` or `HEAD`.
        case get = "GET"
        case put = "PUT"
        case post = "POST"
        case delete = "DELETE"
        case head = "HEAD"
    }

    /// One CORS rule. Rules are matched in order; within a rule, each list is a set.
    public struct CORSRule: Sendable {
        /// An optional name, at most 255 characters.
        public var id: String?
        /// The methods cross-origin requests may use.
        public var allowedMethods: [CORSMethod]
        /// The origins allowed, e.g. `https://www.example.com`; each may hold one `*`.
        public var allowedOrigins: [String]
        /// Headers a preflight may ask for (`Access-Control-Request-Headers`); each may hold one `*`.
        public var allowedHeaders: [String]
        /// Response headers the browser may expose to the page (e.g. `ETag`).
        public var exposeHeaders: [String]
        /// How long browsers may cache a preflight answer.
        public var maxAgeSeconds: Int?

        /// A rule; `allowedMethods` and `allowedOrigins` must not be empty.
        public init(
            id: String? = nil, allowedMethods: [CORSMethod], allowedOrigins: [String], allowedHeaders: [String] = [],
            exposeHeaders: [String] = [], maxAgeSeconds: Int? = nil
        ) {
            self.id = id
            self.allowedMethods = allowedMethods
            self.allowedOrigins = allowedOrigins
            self.allowedHeaders = allowedHeaders
            self.exposeHeaders = exposeHeaders
            self.maxAgeSeconds = maxAgeSeconds
        }

        var value: Value {
            func list(_ items: [String]) -> Value { .array(Array(Set(items)).sorted().map(Value.string)) }
            return .object([
                "id": .optional(id),
                "allowedMethods": list(allowedMethods.map(\.rawValue)),
                "allowedOrigins": list(allowedOrigins),
                "allowedHeaders": list(allowedHeaders),
                "exposeHeaders": list(exposeHeaders),
                "maxAgeSeconds": maxAgeSeconds.map(Value.int) ?? .null,
            ])
        }
    }

    /// Static website hosting.
    public struct Website: Sendable {
        /// The suffix served for requests to a directory, e.g. `index.html` (no slashes).
        public var indexDocument: String
        /// The object served on 4xx errors, e.g. `error.html`.
        public var errorDocument: String?

        /// A website configuration.
        public init(indexDocument: String = "index.html", errorDocument: String? = nil) {
            self.indexDocument = indexDocument
            self.errorDocument = errorDocument
        }

        var value: Value {
            .object(["indexDocument": .string(indexDocument), "errorDocument": .optional(errorDocument)])
        }
    }
}

/// S3's XML for each sub-configuration, both ways: from attributes (JSON) to the request payload's
/// children, and from the answer's root element back to attributes, AWS's defaults filled in.
enum S3BucketWire {
    static let s3Namespace = "http://s3.amazonaws.com/doc/2006-03-01/"

    static func element(_ name: String, _ text: String) -> XMLNode { XMLNode(name, text: text) }
    static func element(_ name: String, _ children: [XMLNode]) -> XMLNode { XMLNode(name, children: children) }

    /// How a listing's keys read: URL-encoded when the answer says `EncodingType` url (S3 honours
    /// `encoding-type=url`), as they are otherwise (an implementation that ignores the parameter says nothing).
    struct ListingKeys {
        let encoded: Bool

        init(_ listing: XMLNode?) { encoded = listing?.string("EncodingType") == "url" }

        /// A key (or key marker) as S3 stores it.
        func decoded(_ key: String) -> String { encoded ? key.formURLDecoded : key }
    }

    /// Whether an XML 1.0 document can carry `key` (its Char production; a carriage return goes as `&#13;`).
    static func xmlCanCarry(_ key: String) -> Bool {
        key.unicodeScalars.allSatisfy { scalar in
            switch scalar.value {
            case 0x9, 0xA, 0xD, 0x20...0xD7FF, 0xE000...0xFFFD, 0x10000...0x10FFFF: return true
            default: return false
            }
        }
    }

    // MARK: Versioning

    /// `"Enabled"`, `"Suspended"`, or `"Disabled"` for a bucket that was never versioned (no `Status`).
    static func versioning(from root: XMLNode?) -> JSON {
        .string(root?.string("Status").flatMap { $0.isEmpty ? nil : $0 } ?? S3Bucket.Versioning.disabled.rawValue)
    }

    // MARK: Encryption

    /// AWS's default encryption, as the attribute holds it.
    static let defaultEncryption: JSON = ["algorithm": "AES256", "kmsKeyID": nil, "bucketKey": false]

    static func encryptionXML(_ value: JSON) -> [XMLNode] {
        var byDefault = [element("SSEAlgorithm", value["algorithm"]?.stringValue ?? "AES256")]
        if let key = value["kmsKeyID"]?.stringValue { byDefault.append(element("KMSMasterKeyID", key)) }
        return [
            element(
                "Rule",
                [
                    element("ApplyServerSideEncryptionByDefault", byDefault),
                    element("BucketKeyEnabled", value["bucketKey"]?.boolValue == true ? "true" : "false"),
                ])
        ]
    }

    /// The first rule's default encryption; nil (no configuration) reads as AWS's default, SSE-S3.
    static func encryption(from root: XMLNode?) -> JSON {
        guard let rule = root?["Rule"], let byDefault = rule["ApplyServerSideEncryptionByDefault"],
            let algorithm = byDefault.string("SSEAlgorithm")
        else { return defaultEncryption }
        return .object([
            "algorithm": .string(algorithm),
            "kmsKeyID": byDefault.string("KMSMasterKeyID").map(JSON.string) ?? .null,
            "bucketKey": .bool(rule.string("BucketKeyEnabled") == "true"),
        ])
    }

    // MARK: Public access block

    static let publicAccessBlockKeys = ["BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets"]

    static func attributeKey(_ xmlName: String) -> String { xmlName.prefix(1).lowercased() + xmlName.dropFirst() }

    static func publicAccessBlockXML(_ value: JSON) -> [XMLNode] {
        publicAccessBlockKeys.map { element($0, value[attributeKey($0)]?.boolValue == true ? "true" : "false") }
    }

    /// The four settings; no configuration means nothing is blocked.
    static func publicAccessBlock(from root: XMLNode?) -> JSON {
        .object(Dictionary(uniqueKeysWithValues: publicAccessBlockKeys.map { (attributeKey($0), JSON.bool(root?.string($0) == "true")) }))
    }

    static func blocksNothing(_ value: JSON?) -> Bool {
        publicAccessBlockKeys.allSatisfy { value?[attributeKey($0)]?.boolValue != true }
    }

    // MARK: Ownership

    static func ownershipXML(_ value: JSON) -> [XMLNode] {
        [element("Rule", [element("ObjectOwnership", value.stringValue ?? S3Bucket.ObjectOwnership.bucketOwnerEnforced.rawValue)])]
    }

    /// The rule's setting; a bucket without ownership controls behaves as `ObjectWriter`.
    static func ownership(from root: XMLNode?) -> JSON {
        .string(root?["Rule"]?.string("ObjectOwnership") ?? S3Bucket.ObjectOwnership.objectWriter.rawValue)
    }

    // MARK: Lifecycle

    static func lifecycleXML(_ value: JSON) -> [XMLNode] {
        (value.arrayValue ?? []).map { rule in
            // Members in the model's order.
            var children: [XMLNode] = []
            if let days = rule["expirationDays"]?.intValue { children.append(element("Expiration", [element("Days", String(days))])) }
            children.append(element("ID", rule["id"]?.stringValue ?? ""))
            children.append(element("Filter", [element("Prefix", rule["prefix"]?.stringValue ?? "")]))
            children.append(element("Status", rule["enabled"]?.boolValue == false ? "Disabled" : "Enabled"))
            if let days = rule["noncurrentVersionExpirationDays"]?.intValue {
                children.append(element("NoncurrentVersionExpiration", [element("NoncurrentDays", String(days))]))
            }
            if let days = rule["abortIncompleteMultipartUploadDays"]?.intValue {
                children.append(element("AbortIncompleteMultipartUpload", [element("DaysAfterInitiation", String(days))]))
            }
            return element("Rule", children)
        }
    }

    /// The rules, sorted by id as declarations sort them; no configuration means no rules. What a `LifecycleRule` cannot
    /// say is kept, so that it is never taken for a rule it can (a rule limited to tagged or sized objects is not the
    /// rule for every object under its prefix): the filter's tags (`tags`) and object sizes (`objectSizeGreaterThan`,
    /// `objectSizeLessThan`), and the names of the other settings (`unmodeled`: `Transition`, `Expiration.Date`, …),
    /// each only when there is one.
    static func lifecycleRules(from root: XMLNode?) -> JSON {
        func days(_ node: XMLNode?, _ name: String) -> JSON { node?.string(name).flatMap { Int($0) }.map(JSON.int) ?? .null }
        let rules = (root?.all("Rule") ?? []).map { rule -> JSON in
            // The filter's prefix, or the deprecated rule-level prefix.
            let prefix = rule["Filter"]?.string("Prefix") ?? rule["Filter"]?["And"]?.string("Prefix") ?? rule.string("Prefix") ?? ""
            var members: [String: JSON] = [
                "id": .string(rule.string("ID") ?? ""),
                "prefix": .string(prefix),
                "enabled": .bool(rule.string("Status") == "Enabled"),
                "expirationDays": days(rule["Expiration"], "Days"),
                "noncurrentVersionExpirationDays": days(rule["NoncurrentVersionExpiration"], "NoncurrentDays"),
                "abortIncompleteMultipartUploadDays": days(rule["AbortIncompleteMultipartUpload"], "DaysAfterInitiation"),
            ]
            let conditions = [rule["Filter"], rule["Filter"]?["And"]].compactMap { $0 }
            var tags: [String: JSON] = [:]
            for tag in conditions.flatMap({ $0.all("Tag") }) {
                if let key = tag.string("Key") { tags[key] = .string(tag.string("Value") ?? "") }
            }
            if !tags.isEmpty { members["tags"] = .object(tags) }
            for name in ["ObjectSizeGreaterThan", "ObjectSizeLessThan"] {
                if let size = conditions.lazy.compactMap({ $0.string(name).flatMap { Int($0) } }).first {
                    members[name.prefix(1).lowercased() + name.dropFirst()] = .int(size)
                }
            }
            let modeled: [String: Set<String>] = [
                "ID": [], "Filter": [], "Prefix": [], "Status": [], "Expiration": ["Days"], "NoncurrentVersionExpiration": ["NoncurrentDays"],
                "AbortIncompleteMultipartUpload": ["DaysAfterInitiation"],
            ]
            var unmodeled = Set<String>()
            for child in rule.children {
                guard let known = modeled[child.name] else {
                    unmodeled.insert(child.name)
                    continue
                }
                // A setting of an expiration that Cairn does not model (a date, delete markers, newer versions kept).
                for setting in child.children where !known.isEmpty && !known.contains(setting.name) {
                    unmodeled.insert("\(child.name).\(setting.name)")
                }
            }
            if !unmodeled.isEmpty { members["unmodeled"] = .array(unmodeled.sorted().map { .string($0) }) }
            return .object(members)
        }
        return .array(rules.sorted { ($0["id"]?.stringValue ?? "") < ($1["id"]?.stringValue ?? "") })
    }

    // MARK: CORS

    static func corsXML(_ value: JSON) -> [XMLNode] {
        (value.arrayValue ?? []).map { rule in
            var children: [XMLNode] = []
            if let id = rule["id"]?.stringValue { children.append(element("ID", id)) }
            for (key, name) in [
                ("allowedHeaders", "AllowedHeader"), ("allowedMethods", "AllowedMethod"),
                ("allowedOrigins", "AllowedOrigin"), ("exposeHeaders", "ExposeHeader"),
            ] {
                for item in rule[key]?.arrayValue ?? [] { children.append(element(name, item.stringValue ?? "")) }
            }
            if let age = rule["maxAgeSeconds"]?.intValue { children.append(element("MaxAgeSeconds", String(age))) }
            return element("CORSRule", children)
        }
    }

    /// The rules in AWS's order, each list sorted as declarations sort them; none means no rules.
    static func corsRules(from root: XMLNode?) -> JSON {
        .array(
            (root?.all("CORSRule") ?? []).map { rule in
                func list(_ name: String) -> JSON { .array(Array(Set(rule.all(name).map(\.text))).sorted().map(JSON.string)) }
                return .object([
                    "id": rule.string("ID").map(JSON.string) ?? .null,
                    "allowedMethods": list("AllowedMethod"),
                    "allowedOrigins": list("AllowedOrigin"),
                    "allowedHeaders": list("AllowedHeader"),
                    "exposeHeaders": list("ExposeHeader"),
                    "maxAgeSeconds": rule.string("MaxAgeSeconds").flatMap { Int($0) }.map(JSON.int) ?? .null,
                ])
            })
    }

    // MARK: Website

    static func websiteXML(_ value: JSON) -> [XMLNode] {
        var children: [XMLNode] = []
        if let error = value["errorDocument"]?.stringValue { children.append(element("ErrorDocument", [element("Key", error)])) }
        children.append(element("IndexDocument", [element("Suffix", value["indexDocument"]?.stringValue ?? "index.html")]))
        return children
    }

    /// The index and error documents; null when the bucket is no website. A redirect-all website
    /// (which Cairn does not declare) reads with an empty index document, so that it shows as drift.
    static func website(from root: XMLNode?) -> JSON {
        guard let root else { return .null }
        return .object([
            "indexDocument": .string(root["IndexDocument"]?.string("Suffix") ?? ""),
            "errorDocument": root["ErrorDocument"]?.string("Key").map(JSON.string) ?? .null,
        ])
    }

    // MARK: Tags

    static func taggingXML(_ tags: [String: String]) -> [XMLNode] {
        [element("TagSet", tags.keys.sorted().map { element("Tag", [element("Key", $0), element("Value", tags[$0]!)]) })]
    }

    /// The tag set; none means no tags.
    static func tags(from root: XMLNode?) -> JSON {
        var tags: [String: JSON] = [:]
        for tag in root?.list("TagSet") ?? [] {
            if let key = tag.string("Key") { tags[key] = .string(tag.string("Value") ?? "") }
        }
        return .object(tags)
    }
}
