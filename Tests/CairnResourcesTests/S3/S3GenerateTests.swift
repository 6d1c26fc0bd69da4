import CairnAWS
import CairnJSON
import Foundation
import Testing

@testable import CairnEngine
@testable import CairnResources

/// The Swift `cairn generate` writes for a bucket and a bucket policy, and the lifecycle rules it refuses to widen.
@Suite struct S3GenerateTests {
    static func bucket(_ attributes: [String: JSON]) -> Observed {
        let defaults: [String: JSON] = [
            "name": "site-assets", "versioning": "Disabled", "encryption": S3BucketWire.defaultEncryption, "ownershipControls": "BucketOwnerEnforced",
            "lifecycleRules": [], "policy": nil, "corsRules": [], "website": nil, "tags": [:],
        ]
        return Observed(
            id: "site-assets", attributes: defaults.merging(attributes) { $1 },
            outputs: ["arn": "arn:aws:s3:::site-assets", "name": "site-assets", "regionalDomainName": "site-assets.s3.eu-north-1.amazonaws.com"])
    }

    @Test func aBucketIsDeclaredAsAWSHasIt() {
        let key = "arn:aws:kms:eu-north-1:123456789012:key/k-1"
        let declared = GenerateTesting.declare(
            S3Bucket.typeName,
            Self.bucket([
                "versioning": "Enabled", "encryption": ["algorithm": "aws:kms", "kmsKeyID": .string(key), "bucketKey": true],
                "lifecycleRules": [
                    [
                        "id": "old", "prefix": "tmp/", "enabled": true, "expirationDays": 7, "noncurrentVersionExpirationDays": nil,
                        "abortIncompleteMultipartUploadDays": nil,
                    ]
                ],
                "corsRules": [
                    [
                        "id": nil, "allowedMethods": ["GET", "HEAD"], "allowedOrigins": ["https://example.com"], "allowedHeaders": [],
                        "exposeHeaders": ["ETag"], "maxAgeSeconds": 300,
                    ]
                ],
                "policy": [
                    "Version": "2012-10-17",
                    "Statement": [
                        [
                            "Effect": "Allow", "Principal": ["Service": "cloudfront.amazonaws.com"], "Action": "s3:GetObject",
                            "Resource": "arn:aws:s3:::site-assets/*",
                        ]
                    ],
                ],
            ]), found: [.init(KMSKey.typeName, "key", ["arn": .string(key)])])
        #expect(declared.argument("versioning") == ".enabled")
        #expect(declared.argument("encryption") == ".sseKMS(keyID: .output(key.arn), bucketKey: true)")
        #expect(declared.argument("lifecycleRules") == #"[.init(id: "old", prefix: "tmp/", expirationDays: 7)]"#)
        #expect(
            declared.argument("corsRules")
                == #"[.init(allowedMethods: [.get, .head], allowedOrigins: ["https://example.com"], exposeHeaders: ["ETag"], maxAgeSeconds: 300)]"#)
        #expect(declared.argument("policy")?.hasPrefix("PolicyDocument([PolicyStatement(") == true, "\(declared.text)")
        #expect(declared.unexpressed.isEmpty && declared.ignoredDrift.isEmpty)
        #expect(declared.argument("forceDestroy") == nil)
    }

    /// `forceDestroy` is Cairn's own (AWS never returns it): declared when the stack's state gave it.
    @Test func forceDestroyFromTheStateIsDeclared() {
        #expect(GenerateTesting.declare(S3Bucket.typeName, Self.bucket(["forceDestroy": true])).argument("forceDestroy") == "true")
        let repository = Observed(
            id: "app", attributes: ["name": "app", "forceDestroy": true, "tags": [:]],
            outputs: ["arn": "arn:aws:ecr:eu-north-1:123456789012:repository/app", "repositoryUri": "u", "name": "app"])
        #expect(GenerateTesting.declare(ECRRepository.typeName, repository).argument("forceDestroy") == "true")
    }

    /// A rule limited to tagged (or sized) objects, declared without the limit, would expire every object under its
    /// prefix: the rules are left to AWS instead, and reported.
    @Test func lifecycleRulesALifecycleRuleCannotSayAreNeverWidened() throws {
        let xml = try XMLNode.parse(
            Data(
                """
                <LifecycleConfiguration><Rule><ID>logs</ID><Filter><And><Prefix>logs/</Prefix><Tag><Key>tier</Key><Value>temp</Value></Tag>\
                <ObjectSizeGreaterThan>1024</ObjectSizeGreaterThan></And></Filter><Status>Enabled</Status><Expiration><Days>3</Days></Expiration>\
                </Rule><Rule><ID>cold</ID><Filter><Prefix></Prefix></Filter><Status>Enabled</Status>\
                <Transition><Days>30</Days><StorageClass>GLACIER</StorageClass></Transition></Rule></LifecycleConfiguration>
                """.utf8))
        let rules = S3BucketWire.lifecycleRules(from: xml)
        #expect(rules[1]?["tags"] == ["tier": "temp"], "\(rules)")
        #expect(rules[1]?["objectSizeGreaterThan"] == 1024)
        #expect(rules[1]?["prefix"] == "logs/")
        #expect(rules[0]?["unmodeled"] == ["Transition"])

        let declared = GenerateTesting.declare(S3Bucket.typeName, Self.bucket(["lifecycleRules": rules]))
        #expect(declared.argument("lifecycleRules") == nil, "no rule at all rather than a wider one: \(declared.text)")
        #expect(declared.ignoredDrift == ["lifecycleRules"])
        let reason = try #require(declared.unexpressed["lifecycleRules"])
        #expect(reason.contains("rule 'logs' has only objects tagged tier=temp; only objects larger than 1024 bytes"), "\(reason)")
        #expect(reason.contains("rule 'cold' has Transition"), "\(reason)")

        // A rule Cairn declares reads back without any of those keys: nothing changes for declared buckets.
        let plain = S3BucketWire.lifecycleRules(
            from: XMLNode("LifecycleConfiguration", children: S3BucketWire.lifecycleXML([["id": "a", "prefix": "p/", "expirationDays": 1]])))
        #expect(
            plain[0]?.objectValue?.keys.sorted() == [
                "abortIncompleteMultipartUploadDays", "enabled", "expirationDays", "id", "noncurrentVersionExpirationDays", "prefix",
            ])
    }

    @Test func aPolicyItCannotSayIsLeftToAWSAndOneDeclaredOnItsOwnIsLeftToThatResource() {
        let policy: JSON = [
            "Version": "2012-10-17", "Id": "PolicyForCloudFront",
            "Statement": [
                ["Effect": "Allow", "Principal": ["CanonicalUser": "abc"], "Action": "s3:GetObject", "Resource": "arn:aws:s3:::site-assets/*"]
            ],
        ]
        let alone = GenerateTesting.declare(S3Bucket.typeName, Self.bucket(["policy": policy]))
        #expect(alone.argument("policy") == nil)
        #expect(alone.ignoredDrift == ["policy"])
        #expect(alone.unexpressed["policy"]?.contains("a CanonicalUser principal, its Id") == true, "\(alone.unexpressed)")

        let withResource = GenerateTesting.declare(
            S3Bucket.typeName, Self.bucket(["policy": policy]), found: [.init(S3BucketPolicy.typeName, "sitePolicy", ["id": "site-assets"])])
        #expect(withResource.argument("policy") == nil)
        #expect(withResource.ignoredDrift == ["policy"])
        #expect(withResource.unexpressed.isEmpty, "the other resource declares it")
    }

    @Test func aBucketPolicyIsDeclaredOnItsOwnOrNotAtAll() {
        let statement: JSON = [
            "Effect": "Allow", "Principal": ["Service": "cloudfront.amazonaws.com"], "Action": "s3:GetObject",
            "Resource": "arn:aws:s3:::site-assets/*",
        ]
        let live = Observed(
            id: "site-assets", attributes: ["bucket": "site-assets", "policy": ["Version": "2012-10-17", "Statement": [statement]]],
            outputs: ["bucket": "site-assets"])
        let declared = GenerateTesting.declare(
            S3BucketPolicy.typeName, live, found: [.init(S3Bucket.typeName, "assets", ["name": "site-assets", "arn": "arn:aws:s3:::site-assets"])])
        #expect(declared.argument("bucket") == ".output(assets.bucketName)")
        #expect(declared.argument("policy")?.contains(#"resources: ["\(assets.arn)/*"]"#) == true, "\(declared.text)")

        var unsayable = live
        unsayable.attributes["policy"] = [
            "Version": "2012-10-17", "Statement": [.object(statement.objectValue!.merging(["NotPrincipal": "*"]) { $1 })],
        ]
        let refused = GenerateTesting.declare(S3BucketPolicy.typeName, unsayable)
        #expect(refused.undeclarable?.contains("NotPrincipal") == true, "\(String(describing: refused.undeclarable))")
    }
}
