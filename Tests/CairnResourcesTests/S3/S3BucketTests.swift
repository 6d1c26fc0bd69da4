import CairnAWS
import CairnEngine
import CairnJSON
import Foundation
import TestSupport
import Testing

@testable import CairnResources

@Suite struct S3BucketTests {
    static let kmsKey = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"

    /// A bucket with every sub-configuration set.
    static func fullBucket(_ name: String) -> S3Bucket {
        S3Bucket(
            "full", name: Input(name), versioning: .enabled,
            encryption: .sseKMS(keyID: Input(kmsKey), bucketKey: true),
            publicAccessBlock: S3Bucket.PublicAccessBlock(
                blockPublicAcls: true, ignorePublicAcls: false, blockPublicPolicy: true, restrictPublicBuckets: false),
            ownershipControls: .bucketOwnerPreferred,
            lifecycleRules: [
                S3Bucket.LifecycleRule(id: "logs", prefix: "logs/", expirationDays: 30, noncurrentVersionExpirationDays: 7),
                S3Bucket.LifecycleRule(id: "abort-uploads", enabled: false, abortIncompleteMultipartUploadDays: 3),
            ],
            policy: PolicyDocument([
                PolicyStatement(
                    sid: "AccountReads", principals: [.aws("arn:aws:iam::123456789012:root")],
                    actions: ["s3:GetObject", "s3:ListBucket"],
                    resources: [Input("arn:aws:s3:::\(name)"), Input("arn:aws:s3:::\(name)/*")])
            ]),
            corsRules: [
                S3Bucket.CORSRule(
                    id: "web", allowedMethods: [.put, .get], allowedOrigins: ["https://app.example.com"],
                    allowedHeaders: ["*"], exposeHeaders: ["ETag"], maxAgeSeconds: 300),
                S3Bucket.CORSRule(allowedMethods: [.get], allowedOrigins: ["*"]),
            ],
            website: S3Bucket.Website(indexDocument: "index.html", errorDocument: "error.html"),
            tags: ["team": "invoices", "env": "test"])
    }

    func tagMap(_ json: JSONValue) -> [String: String] {
        Dictionary(uniqueKeysWithValues: (json["TagSet"].array ?? []).map { ($0["Key"].string ?? "", $0["Value"].string ?? "") })
    }

    @Test(.integration) func fullBucketCreateReadUpdateDelete() async throws {
        let (client, moto) = try await ProviderTesting.client()
        let provider = S3BucketProvider(client: client)
        let name = ProviderTesting.uniqueName("cairn-full")
        var bucket = Self.fullBucket(name)
        #expect(bucket.validate().isEmpty, "\(bucket.validate())")

        let created = try await provider.create(ProviderTesting.attributes(of: bucket))
        #expect(created.id == name)
        #expect(created.outputs["arn"] == .string("arn:aws:s3:::\(name)"))
        #expect(created.outputs["name"] == .string(name))
        #expect(created.outputs["regionalDomainName"] == .string("\(name).s3.us-east-1.amazonaws.com"))

        // Every configuration, as the aws CLI sees it.
        let versioning = try await moto.awsJSON(["s3api", "get-bucket-versioning", "--bucket", name])
        #expect(versioning["Status"] == "Enabled")
        let encryption = try await moto.awsJSON(["s3api", "get-bucket-encryption", "--bucket", name])
        let rule = encryption["ServerSideEncryptionConfiguration"]["Rules"][0]
        #expect(rule["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "aws:kms")
        #expect(rule["ApplyServerSideEncryptionByDefault"]["KMSMasterKeyID"].string == Self.kmsKey)
        #expect(rule["BucketKeyEnabled"] == true)
        let block = try await moto.awsJSON(["s3api", "get-public-access-block", "--bucket", name])["PublicAccessBlockConfiguration"]
        #expect(block["BlockPublicAcls"] == true && block["IgnorePublicAcls"] == false)
        #expect(block["BlockPublicPolicy"] == true && block["RestrictPublicBuckets"] == false)
        let ownership = try await moto.awsJSON(["s3api", "get-bucket-ownership-controls", "--bucket", name])
        #expect(ownership["OwnershipControls"]["Rules"][0]["ObjectOwnership"] == "BucketOwnerPreferred")
        let lifecycle = try await moto.awsJSON(["s3api", "get-bucket-lifecycle-configuration", "--bucket", name])
        let rules = Dictionary(uniqueKeysWithValues: (lifecycle["Rules"].array ?? []).map { ($0["ID"].string ?? "", $0) })
        #expect(rules.count == 2)
        #expect(rules["logs"]?["Filter"]["Prefix"] == "logs/")
        #expect(rules["logs"]?["Status"] == "Enabled")
        #expect(rules["logs"]?["Expiration"]["Days"] == 30)
        #expect(rules["logs"]?["NoncurrentVersionExpiration"]["NoncurrentDays"] == 7)
        #expect(rules["abort-uploads"]?["Status"] == "Disabled")
        #expect(rules["abort-uploads"]?["AbortIncompleteMultipartUpload"]["DaysAfterInitiation"] == 3)
        let policyText = try await moto.awsJSON(["s3api", "get-bucket-policy", "--bucket", name])["Policy"].string ?? ""
        let policy = try JSONValue(parsing: policyText)
        #expect(policy["Statement"][0]["Sid"] == "AccountReads")
        #expect(policy["Statement"][0]["Principal"]["AWS"] == "arn:aws:iam::123456789012:root")
        let cors = try await moto.awsJSON(["s3api", "get-bucket-cors", "--bucket", name])["CORSRules"]
        #expect(cors.array?.count == 2)
        #expect(cors[0]["ID"] == "web")
        #expect(Set(cors[0]["AllowedMethods"].array?.compactMap(\.string) ?? []) == ["GET", "PUT"])
        #expect(cors[0]["AllowedOrigins"][0] == "https://app.example.com")
        #expect(cors[0]["ExposeHeaders"][0] == "ETag")
        #expect(cors[0]["MaxAgeSeconds"] == 300)
        #expect(cors[1]["AllowedOrigins"][0] == "*")
        let website = try await moto.awsJSON(["s3api", "get-bucket-website", "--bucket", name])
        #expect(website["IndexDocument"]["Suffix"] == "index.html")
        #expect(website["ErrorDocument"]["Key"] == "error.html")
        let tags = try await moto.awsJSON(["s3api", "get-bucket-tagging", "--bucket", name])
        #expect(tagMap(tags) == ["team": "invoices", "env": "test"])

        // No false drift: the read gives back exactly what was declared.
        let declared = ProviderTesting.attributes(of: bucket)
        let read = try #require(try await provider.read(id: name, prior: declared))
        #expect(read.attributes == declared)
        #expect(read.outputs == created.outputs)

        // Update: versioning, encryption, tags, policy and lifecycle change; CORS and website go.
        bucket.versioning = .suspended
        bucket.encryption = .sseS3
        bucket.tags = ["team": "billing", "cost-center": "42"]
        bucket.policy = PolicyDocument([
            PolicyStatement(
                sid: "AccountWrites", principals: [.aws("arn:aws:iam::123456789012:root")],
                actions: ["s3:PutObject"], resources: [Input("arn:aws:s3:::\(name)/*")])
        ])
        bucket.lifecycleRules = [S3Bucket.LifecycleRule(id: "tmp", prefix: "tmp/", expirationDays: 1)]
        bucket.corsRules = []
        bucket.website = nil
        let updated = ProviderTesting.attributes(of: bucket)
        _ = try await provider.update(id: name, from: declared, to: updated)

        #expect(try await moto.awsJSON(["s3api", "get-bucket-versioning", "--bucket", name])["Status"] == "Suspended")
        let encryption2 = try await moto.awsJSON(["s3api", "get-bucket-encryption", "--bucket", name])
        #expect(encryption2["ServerSideEncryptionConfiguration"]["Rules"][0]["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256")
        #expect(tagMap(try await moto.awsJSON(["s3api", "get-bucket-tagging", "--bucket", name])) == ["team": "billing", "cost-center": "42"])
        let policy2 = try JSONValue(parsing: try await moto.awsJSON(["s3api", "get-bucket-policy", "--bucket", name])["Policy"].string ?? "")
        #expect(policy2["Statement"][0]["Sid"] == "AccountWrites")
        #expect(policy2["Statement"][0]["Action"] == "s3:PutObject")
        let lifecycle2 = try await moto.awsJSON(["s3api", "get-bucket-lifecycle-configuration", "--bucket", name])
        #expect(lifecycle2["Rules"].array?.count == 1)
        #expect(lifecycle2["Rules"][0]["ID"] == "tmp")
        #expect(lifecycle2["Rules"][0]["Filter"]["Prefix"] == "tmp/")
        let noCORS = try await moto.aws(["s3api", "get-bucket-cors", "--bucket", name])
        #expect(noCORS.stderr.contains("NoSuchCORSConfiguration"), "\(noCORS)")
        let noWebsite = try await moto.aws(["s3api", "get-bucket-website", "--bucket", name])
        #expect(noWebsite.stderr.contains("NoSuchWebsiteConfiguration"), "\(noWebsite)")

        let reread = try #require(try await provider.read(id: name, prior: updated))
        #expect(reread.attributes == updated)

        // Versioning cannot go back to disabled: a clear error, before any call.
        bucket.versioning = .disabled
        await #expect(throws: S3VersioningError.self) {
            _ = try await provider.update(id: name, from: updated, to: ProviderTesting.attributes(of: bucket))
        }

        // Removing everything else: the policy, lifecycle and tags go, PAB and ownership change.
        bucket.versioning = .suspended
        bucket.policy = nil
        bucket.lifecycleRules = []
        bucket.tags = [:]
        bucket.publicAccessBlock = .blockNone
        bucket.ownershipControls = .objectWriter
        let stripped = ProviderTesting.attributes(of: bucket)
        _ = try await provider.update(id: name, from: updated, to: stripped)
        #expect(try await moto.aws(["s3api", "get-bucket-policy", "--bucket", name]).stderr.contains("NoSuchBucketPolicy"))
        #expect(
            try await moto.aws(["s3api", "get-bucket-lifecycle-configuration", "--bucket", name]).stderr.contains("NoSuchLifecycleConfiguration"))
        #expect(try await moto.aws(["s3api", "get-public-access-block", "--bucket", name]).stderr.contains("NoSuchPublicAccessBlockConfiguration"))
        let ownership2 = try await moto.awsJSON(["s3api", "get-bucket-ownership-controls", "--bucket", name])
        #expect(ownership2["OwnershipControls"]["Rules"][0]["ObjectOwnership"] == "ObjectWriter")
        #expect(try await provider.read(id: name, prior: stripped)?.attributes == stripped)

        // An empty bucket deletes without forceDestroy; deleting what is gone is not an error.
        try await provider.delete(id: name, attributes: stripped)
        #expect(try await provider.read(id: name, prior: [:]) == nil)
        let head = try await moto.aws(["s3api", "head-bucket", "--bucket", name])
        #expect(!head.succeeded)
        try await provider.delete(id: name, attributes: [:])
    }

    @Test(.integration) func minimalBucketReadsAsDeclared() async throws {
        let (client, moto) = try await ProviderTesting.client()
        let provider = S3BucketProvider(client: client)
        let name = ProviderTesting.uniqueName("cairn-min")
        let bucket = S3Bucket("minimal", name: Input(name))
        #expect(bucket.validate().isEmpty)
        let declared = ProviderTesting.attributes(of: bucket)
        #expect(declared["versioning"] == "Disabled")
        #expect(declared["encryption"] == ["algorithm": "AES256", "kmsKeyID": nil, "bucketKey": false])
        #expect(declared["ownershipControls"] == "BucketOwnerEnforced")
        #expect(declared["policy"] == .null && declared["website"] == .null)
        #expect(declared["lifecycleRules"] == [] && declared["corsRules"] == [] && declared["tags"] == [:])

        _ = try await provider.create(declared)
        // AWS's defaults for new buckets hold, whether or not the emulator applies them by itself.
        let block = try await moto.awsJSON(["s3api", "get-public-access-block", "--bucket", name])["PublicAccessBlockConfiguration"]
        #expect(block == ["BlockPublicAcls": true, "IgnorePublicAcls": true, "BlockPublicPolicy": true, "RestrictPublicBuckets": true])
        let ownership = try await moto.awsJSON(["s3api", "get-bucket-ownership-controls", "--bucket", name])
        #expect(ownership["OwnershipControls"]["Rules"][0]["ObjectOwnership"] == "BucketOwnerEnforced")
        #expect(try await moto.awsJSON(["s3api", "get-bucket-versioning", "--bucket", name])["Status"].isNull)

        let read = try #require(try await provider.read(id: name, prior: declared))
        #expect(read.attributes == declared)
        // forceDestroy is Cairn's own: it comes from the prior attributes, never from AWS.
        #expect(try await provider.read(id: name, prior: [:])?.attributes["forceDestroy"] == false)
        try await provider.delete(id: name, attributes: declared)
        #expect(try await provider.read(id: name, prior: [:]) == nil)
    }

    @Test(.integration) func forceDestroyDeletesEveryVersionAndDeleteMarker() async throws {
        let (client, moto) = try await ProviderTesting.client()
        let provider = S3BucketProvider(client: client)
        let name = ProviderTesting.uniqueName("cairn-force")
        var bucket = S3Bucket("force", name: Input(name), versioning: .enabled, forceDestroy: true)
        let declared = ProviderTesting.attributes(of: bucket)
        _ = try await provider.create(declared)

        let file = moto.directory.appendingPathComponent("\(name).txt")
        try Data("hello".utf8).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        for key in ["a.txt", "a.txt", "dir/b.txt", "dir/b.txt", "c.txt"] {
            _ = try await moto.awsJSON(["s3api", "put-object", "--bucket", name, "--key", key, "--body", file.path])
        }
        _ = try await moto.awsJSON(["s3api", "delete-object", "--bucket", name, "--key", "a.txt"])
        _ = try await moto.awsJSON(["s3api", "delete-object", "--bucket", name, "--key", "c.txt"])
        let before = try await moto.awsJSON(["s3api", "list-object-versions", "--bucket", name])
        #expect(before["Versions"].array?.count == 5)
        #expect(before["DeleteMarkers"].array?.count == 2)

        // Pages of two entries, so that the listing crosses page boundaries while it deletes.
        try await provider.empty(name, pageSize: 2)
        let emptied = try await moto.awsJSON(["s3api", "list-object-versions", "--bucket", name])
        #expect(emptied["Versions"].array?.isEmpty ?? true, "\(emptied)")
        #expect(emptied["DeleteMarkers"].array?.isEmpty ?? true, "\(emptied)")

        // Refill, then destroy for real with the default page size.
        for key in ["x.txt", "x.txt", "y.txt"] {
            _ = try await moto.awsJSON(["s3api", "put-object", "--bucket", name, "--key", key, "--body", file.path])
        }
        _ = try await moto.awsJSON(["s3api", "delete-object", "--bucket", name, "--key", "x.txt"])

        // A policy denying deletes to everyone (moto ignores conditions, so such policies bite there):
        // forceDestroy removes the policy before emptying.
        bucket.policy = PolicyDocument([
            PolicyStatement(
                sid: "NoDeletes", effect: .deny, principals: [.anyone],
                actions: ["s3:DeleteObject", "s3:DeleteObjectVersion"], resources: [Input("arn:aws:s3:::\(name)/*")])
        ])
        let withPolicy = ProviderTesting.attributes(of: bucket)
        _ = try await provider.update(id: name, from: declared, to: withPolicy)
        let denied = try await moto.aws(["s3api", "delete-object", "--bucket", name, "--key", "y.txt"])
        #expect(!denied.succeeded && (denied.stderr.contains("AccessDenied") || denied.stderr.contains("403")), "\(denied)")
        try await provider.delete(id: name, attributes: withPolicy)
        #expect(try await provider.read(id: name, prior: [:]) == nil)
        let listing = try await moto.awsJSON(["s3api", "list-buckets"])
        #expect(!(listing["Buckets"].array ?? []).contains { $0["Name"].string == name })
    }

    @Test(.integration) func deletingANonEmptyBucketWithoutForceDestroyExplains() async throws {
        let (client, moto) = try await ProviderTesting.client()
        let provider = S3BucketProvider(client: client)
        let name = ProviderTesting.uniqueName("cairn-full-bucket")
        let bucket = S3Bucket("kept", name: Input(name))
        let declared = ProviderTesting.attributes(of: bucket)
        _ = try await provider.create(declared)
        let file = moto.directory.appendingPathComponent("\(name).txt")
        try Data("data".utf8).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        _ = try await moto.awsJSON(["s3api", "put-object", "--bucket", name, "--key", "report.csv", "--body", file.path])

        do {
            try await provider.delete(id: name, attributes: declared)
            Issue.record("deleting a non-empty bucket without forceDestroy succeeded")
        } catch let error as S3BucketNotEmptyError {
            #expect(error.bucket == name)
            #expect(error.description.contains("'\(name)'"))
            #expect(error.description.contains("forceDestroy"))
            #expect(error.description.contains("not empty"))
        }
        #expect(try await provider.read(id: name, prior: declared) != nil)

        // Unversioned objects (version "null") go with forceDestroy.
        var forced = declared
        forced["forceDestroy"] = true
        try await provider.delete(id: name, attributes: forced)
        #expect(try await provider.read(id: name, prior: [:]) == nil)
    }

    @Test(.integration) func bucketOutsideUSEast1() async throws {
        let (client, moto) = try await ProviderTesting.client(region: "eu-north-1")
        let provider = S3BucketProvider(client: client)
        let name = ProviderTesting.uniqueName("cairn-north")
        let bucket = S3Bucket("north", name: Input(name), versioning: .enabled, tags: ["region": "eu-north-1"])
        let declared = ProviderTesting.attributes(of: bucket)
        let created = try await provider.create(declared)
        #expect(created.outputs["regionalDomainName"] == .string("\(name).s3.eu-north-1.amazonaws.com"))
        #expect(created.outputs["arn"] == .string("arn:aws:s3:::\(name)"))

        let location = try await moto.awsJSON(["s3api", "get-bucket-location", "--bucket", name], region: "eu-north-1")
        #expect(location["LocationConstraint"] == "eu-north-1")
        let head = try await moto.awsJSON(["s3api", "head-bucket", "--bucket", name], region: "eu-north-1")
        #expect(head["BucketRegion"] == "eu-north-1")

        #expect(try await provider.read(id: name, prior: declared)?.attributes == declared)
        try await provider.delete(id: name, attributes: declared)
        #expect(try await provider.read(id: name, prior: [:]) == nil)
    }

    @Test(arguments: [
        "ab", String(repeating: "a", count: 64), "Upper-case", "under_score", "-leading", "trailing-", "two..dots",
        "192.168.5.4", "xn--punycode", "sthree-bucket", "amzn-s3-demo-bucket", "my-bucket-s3alias", "my-bucket--ol-s3",
        "my.bucket.mrap", "my-bucket--x-s3", "space in-name",
    ])
    func badBucketNamesNameTheAttribute(_ name: String) {
        let issues = S3Bucket("bad", name: Input(name)).validate()
        #expect(issues.count == 1, "\(issues)")
        #expect(issues.first?.attribute == "name")
        #expect(issues.first?.address == "aws_s3_bucket.bad")
        #expect(issues.first?.message.contains(name) == true)
    }

    @Test(arguments: ["abc", "my.bucket.example.com", "a-b-c-1", "1.2.3", "192.168.5.4a", String(repeating: "a", count: 63)])
    func goodBucketNamesPass(_ name: String) {
        #expect(S3Bucket("good", name: Input(name)).validate().isEmpty)
    }

    @Test func validationOfRulesPolicyAndTags() {
        let bucket = S3Bucket(
            "checked", name: "cairn-checked",
            encryption: .sseKMS(keyID: "", bucketKey: true),
            lifecycleRules: [
                S3Bucket.LifecycleRule(id: "same", expirationDays: 1),
                S3Bucket.LifecycleRule(id: "same", abortIncompleteMultipartUploadDays: 2),
                S3Bucket.LifecycleRule(id: "nothing"),
                S3Bucket.LifecycleRule(id: String(repeating: "x", count: 256), expirationDays: 0),
            ],
            policy: PolicyDocument([PolicyStatement(actions: ["s3:GetObject"])]),
            corsRules: [S3Bucket.CORSRule(allowedMethods: [], allowedOrigins: ["https://*.*.example.com"])],
            website: S3Bucket.Website(indexDocument: "pages/index.html"),
            tags: ["aws:reserved": "x"])
        let attributes = Set(bucket.validate().compactMap(\.attribute))
        #expect(
            attributes == [
                "encryption.kmsKeyID",
                "lifecycleRules[1].id", "lifecycleRules[2]", "lifecycleRules[3].id", "lifecycleRules[3].expirationDays",
                "policy.Statement[0].Resource", "policy.Statement[0].Principal",
                "corsRules[0].allowedMethods", "corsRules[0].allowedOrigins",
                "website.indexDocument",
                "tags.aws:reserved",
            ])
        #expect(Self.fullBucket("cairn-valid").validate().isEmpty)
    }

    @Test func readsLegacyAndSparseXML() throws {
        let lifecycle = try XMLNode.parse(
            Data(
                """
                <LifecycleConfiguration><Rule><ID>b</ID><Prefix>old/</Prefix><Status>Enabled</Status>\
                <Expiration><Days>9</Days></Expiration></Rule><Rule><ID>a</ID><Filter/><Status>Disabled</Status>\
                <AbortIncompleteMultipartUpload><DaysAfterInitiation>2</DaysAfterInitiation></AbortIncompleteMultipartUpload></Rule>\
                </LifecycleConfiguration>
                """.utf8))
        #expect(
            S3BucketWire.lifecycleRules(from: lifecycle) == [
                [
                    "id": "a", "prefix": "", "enabled": false, "expirationDays": nil, "noncurrentVersionExpirationDays": nil,
                    "abortIncompleteMultipartUploadDays": 2,
                ],
                [
                    "id": "b", "prefix": "old/", "enabled": true, "expirationDays": 9, "noncurrentVersionExpirationDays": nil,
                    "abortIncompleteMultipartUploadDays": nil,
                ],
            ])
        let tags = try XMLNode.parse(
            Data("<Tagging><TagSet><Tag><Key>empty</Key></Tag><Tag><Key>k</Key><Value>v</Value></Tag></TagSet></Tagging>".utf8))
        #expect(S3BucketWire.tags(from: tags) == ["empty": "", "k": "v"])
        #expect(S3BucketWire.encryption(from: nil) == S3BucketWire.defaultEncryption)
        #expect(
            S3BucketWire.publicAccessBlock(from: nil) == [
                "blockPublicAcls": false, "ignorePublicAcls": false, "blockPublicPolicy": false, "restrictPublicBuckets": false,
            ])
        #expect(S3BucketWire.ownership(from: nil) == "ObjectWriter")
        #expect(S3BucketWire.versioning(from: XMLNode("VersioningConfiguration")) == "Disabled")

        // The attribute form round-trips through the wire form.
        let declared = ProviderTesting.attributes(of: Self.fullBucket("cairn-roundtrip"))
        func root(_ name: String, _ children: [XMLNode]) -> XMLNode { XMLNode(name, children: children) }
        #expect(
            S3BucketWire.lifecycleRules(from: root("LifecycleConfiguration", S3BucketWire.lifecycleXML(declared["lifecycleRules"]!)))
                == declared["lifecycleRules"])
        #expect(S3BucketWire.corsRules(from: root("CORSConfiguration", S3BucketWire.corsXML(declared["corsRules"]!))) == declared["corsRules"])
        #expect(
            S3BucketWire.encryption(from: root("ServerSideEncryptionConfiguration", S3BucketWire.encryptionXML(declared["encryption"]!)))
                == declared["encryption"])
        #expect(S3BucketWire.website(from: root("WebsiteConfiguration", S3BucketWire.websiteXML(declared["website"]!))) == declared["website"])
        #expect(
            S3BucketWire.publicAccessBlock(
                from: root("PublicAccessBlockConfiguration", S3BucketWire.publicAccessBlockXML(declared["publicAccessBlock"]!)))
                == declared["publicAccessBlock"])
    }

    /// A client for a stub server, with fixed credentials and no profile files.
    static func stubClient(_ stub: StubServer) throws -> AWSClient {
        let home = try makeTemporaryDirectory()
        let environment = [
            "AWS_ENDPOINT_URL": stub.endpoint.absoluteString, "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE",
            "AWS_SECRET_ACCESS_KEY": "secret", "AWS_REGION": "us-east-1", "HOME": home.path,
            "AWS_CONFIG_FILE": home.appendingPathComponent("config").path,
            "AWS_SHARED_CREDENTIALS_FILE": home.appendingPathComponent("credentials").path,
        ]
        return try AWSConfiguration.resolve(environment: environment).client()
    }

    @Test(.integration) func deleteObjectsCarriesContentMD5AndReportsPerKeyErrors() async throws {
        let listing = """
            <?xml version="1.0" encoding="UTF-8"?><ListVersionsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">\
            <IsTruncated>false</IsTruncated><Version><Key>a &amp; b.txt</Key><VersionId>v1</VersionId></Version>\
            <DeleteMarker><Key>a &amp; b.txt</Key><VersionId>v2</VersionId></DeleteMarker>\
            <Version><Key>plain.txt</Key><VersionId>null</VersionId></Version></ListVersionsResult>
            """
        let stub = try await StubServer.start([
            // The delete is tried first; only a bucket S3 calls non-empty is emptied.
            .xml(
                409,
                #"<?xml version="1.0" encoding="UTF-8"?><Error><Code>BucketNotEmpty</Code><Message>The bucket you tried to delete is not empty</Message></Error>"#
            ),
            .http(status: 204),  // DeleteBucketPolicy
            .xml(200, listing),
            .xml(200, #"<?xml version="1.0" encoding="UTF-8"?><DeleteResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"/>"#),
            .http(status: 204),
        ])
        defer { stub.stop() }
        let provider = S3BucketProvider(client: try Self.stubClient(stub))
        try await provider.delete(id: "stub-bucket", attributes: ["name": "stub-bucket", "forceDestroy": true])

        let requests = try await stub.requests()
        #expect(requests.map(\.method) == ["DELETE", "DELETE", "GET", "POST", "DELETE"], "\(requests)")
        #expect(requests.first?.query == "", "DeleteBucket first")
        #expect(requests.dropFirst().first?.query == "policy")
        let delete = try #require(requests.first { $0.method == "POST" })
        #expect(delete.path == "/stub-bucket" && delete.query == "delete")
        let body = try XMLNode.parse(delete.bodyData)
        #expect(body.name == "Delete" && body.attributes["xmlns"] == "http://s3.amazonaws.com/doc/2006-03-01/")
        #expect(
            body.all("Object").map { "\($0.string("Key") ?? "")@\($0.string("VersionId") ?? "")" } == [
                "a & b.txt@v1", "a & b.txt@v2", "plain.txt@null",
            ])
        #expect(body.string("Quiet") == "true")
        // Content-MD5 is the base64 MD5 of exactly the bytes sent, as S3 requires for DeleteObjects.
        let python = try #require(findExecutable("python3"))
        let md5 = try await runProcess(
            executable: python,
            arguments: [
                "-c", "import sys,hashlib,base64;print(base64.b64encode(hashlib.md5(bytes.fromhex(sys.argv[1])).digest()).decode())",
                delete.bodyData.map { String(format: "%02x", $0) }.joined(),
            ])
        #expect(delete.header("Content-MD5") == md5.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
        #expect(delete.header("Authorization")?.contains("content-md5") == true)

        // Keys S3 refuses to delete surface as an error naming them.
        try await stub.reset()
        try await stub.enqueue(
            .xml(200, listing),
            .xml(
                200,
                """
                <?xml version="1.0" encoding="UTF-8"?><DeleteResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">\
                <Error><Key>plain.txt</Key><VersionId>null</VersionId><Code>AccessDenied</Code><Message>Access Denied</Message></Error>\
                </DeleteResult>
                """))
        do {
            try await provider.empty("stub-bucket")
            Issue.record("per-key DeleteObjects errors were ignored")
        } catch let error as S3BucketEmptyingError {
            #expect(error.count == 1)
            #expect(error.description.contains("plain.txt"))
            #expect(error.description.contains("AccessDenied"))
            #expect(error.description.contains("stub-bucket"))
        }
    }
}
