import CairnAWS
import CairnEngine
import CairnJSON
import Foundation
import TestSupport
import Testing

@testable import CairnResources

/// The CloudFront types against moto (extended by scripts/moto-server where moto 5.2.1 differs from AWS), each step
/// checked with the aws CLI as an independent client.
@Suite(.integration) struct CloudFrontMotoTests {
    static func config(_ moto: MotoServer, _ id: String) async throws -> JSONValue {
        try await moto.awsJSON(["cloudfront", "get-distribution-config", "--id", id])
    }

    /// Seed 004's chain: a private bucket, an origin access control, the distribution in front of it and the bucket's
    /// policy naming the distribution; read back, changed, drifted, and destroyed in dependency order.
    @Test func bucketAccessControlDistributionAndPolicy() async throws {
        let (client, moto) = try await ProviderTesting.client()
        let name = ProviderTesting.uniqueName("cairn-cf")
        let bucket = S3Bucket("frontend", name: Input(name), options: ResourceOptions(ignoreDrift: ["policy"]))
        let bucketProvider = S3BucketProvider(client: client)
        let bucketOutputs = try await bucketProvider.create(ProviderTesting.attributes(of: bucket)).outputs
        let domain = try #require(bucketOutputs["regionalDomainName"]?.stringValue)

        let oacProvider = CloudFrontOriginAccessControlProvider(client: client)
        let oacDeclared = ProviderTesting.attributes(of: CloudFrontOriginAccessControl("frontend", name: Input(name), description: "frontend"))
        #expect(try await oacProvider.read(id: name, prior: [:]) == nil)  // the name is free
        let oac = try await oacProvider.create(oacDeclared)
        let oacLive = try await moto.awsJSON(["cloudfront", "get-origin-access-control", "--id", oac.id])["OriginAccessControl"]
        #expect(oacLive["OriginAccessControlConfig"]["Name"].string == name)
        #expect(oacLive["OriginAccessControlConfig"]["SigningBehavior"] == "always")
        #expect(try await oacProvider.read(id: oac.id, prior: oacDeclared)?.attributes == oacDeclared)
        #expect(try await oacProvider.read(id: name, prior: [:])?.id == oac.id)  // by its name too

        var distribution = CloudFrontDistributionTests.frontend(domain: domain, oac: oac.id)
        distribution.comment = name
        let provider = CloudFrontDistributionProvider(client: client)
        let declared = ProviderTesting.attributes(of: distribution)
        let created = try await provider.create(declared)
        let arn = "arn:aws:cloudfront::\(moto.account):distribution/\(created.id)"
        #expect(created.outputs["arn"] == .string(arn))
        #expect(created.outputs["domainName"]?.stringValue?.hasSuffix(".cloudfront.net") == true)

        // The origin uses the OAC and the bucket's REST endpoint, as the aws CLI sees it.
        let live = try await Self.config(moto, created.id)
        let origin = live["DistributionConfig"]["Origins"]["Items"][0]
        #expect(origin["DomainName"].string == "\(name).s3.us-east-1.amazonaws.com")
        #expect(origin["OriginAccessControlId"].string == oac.id)
        #expect(origin["S3OriginConfig"]["OriginAccessIdentity"] == "")
        #expect(live["DistributionConfig"]["DefaultRootObject"] == "index.html")
        #expect(live["DistributionConfig"]["DefaultCacheBehavior"]["CachePolicyId"].string == CloudFrontDistribution.CachePolicy.cachingOptimized)
        #expect(live["DistributionConfig"]["CustomErrorResponses"]["Quantity"] == 2)
        let tags = try await moto.awsJSON(["cloudfront", "list-tags-for-resource", "--resource", arn])["Tags"]["Items"]
        #expect(ProviderTesting.tags(tags) == ["app": "dashboard"])
        #expect(try await provider.read(id: created.id, prior: declared)?.attributes == declared)

        // The bucket's policy names the distribution.
        let policyProvider = S3BucketPolicyProvider(client: client)
        let policy = S3BucketPolicy(
            "frontendPolicy", bucket: bucket, policy: S3BucketPolicyTests.document(bucket: name, distributionARN: Input(arn)))
        #expect(policy.validate().isEmpty, "\(policy.validate())")
        var policyDeclared = ProviderTesting.attributes(of: policy)
        policyDeclared["bucket"] = .string(name)  // the bucket's output, as the engine resolves it
        _ = try await policyProvider.create(policyDeclared)
        let policyText = try await moto.awsJSON(["s3api", "get-bucket-policy", "--bucket", name])["Policy"].string ?? ""
        #expect(policyText.contains(arn))

        // Comment and tags in place; CloudFront's ETag moves on.
        let etag = live["ETag"].string
        distribution.comment = name + " v2"
        distribution.tags = ["app": "dashboard", "team": "web"]
        let next = ProviderTesting.attributes(of: distribution)
        _ = try await provider.update(id: created.id, from: declared, to: next)
        let updated = try await Self.config(moto, created.id)
        #expect(updated["DistributionConfig"]["Comment"].string == name + " v2")
        #expect(updated["ETag"].string != etag)
        let retagged = try await moto.awsJSON(["cloudfront", "list-tags-for-resource", "--resource", arn])["Tags"]["Items"]
        #expect(ProviderTesting.tags(retagged) == ["app": "dashboard", "team": "web"])
        #expect(try await provider.read(id: created.id, prior: next)?.attributes == next)

        // Drift: the default root object changed by hand shows in the read, and the update puts it back.
        let manual = try await Self.config(moto, created.id)
        var changed = manual["DistributionConfig"].object ?? [:]
        changed["DefaultRootObject"] = "other.html"
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("\(name)-config.json")
        try Data(JSONValue.object(changed).description.utf8).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        _ = try await moto.awsJSON([
            "cloudfront", "update-distribution", "--id", created.id, "--if-match", manual["ETag"].string ?? "",
            "--distribution-config", "file://\(file.path)",
        ])
        let drifted = try #require(try await provider.read(id: created.id, prior: next))
        #expect(drifted.attributes["defaultRootObject"] == "other.html")
        _ = try await provider.update(id: created.id, from: drifted.attributes, to: next)
        #expect(try await provider.read(id: created.id, prior: next)?.attributes == next)

        // Destroy in dependency order: the policy, the distribution (disabled, deployed, deleted), then its OAC, which
        // CloudFront refuses to delete while the distribution uses it.
        try await policyProvider.delete(id: name, attributes: policyDeclared)
        let inUse = await #expect(throws: AWSServiceError.self) { try await oacProvider.delete(id: oac.id, attributes: oacDeclared) }
        #expect(inUse?.code == "OriginAccessControlInUse")
        try await provider.delete(id: created.id, attributes: next)
        #expect(try await provider.read(id: created.id, prior: next) == nil)
        let gone = try await moto.aws(["cloudfront", "get-distribution", "--id", created.id])
        #expect(gone.stderr.contains("NoSuchDistribution"), "\(gone)")
        try await provider.delete(id: created.id, attributes: next)  // gone already: done
        try await oacProvider.delete(id: oac.id, attributes: oacDeclared)
        #expect(try await oacProvider.read(id: oac.id, prior: oacDeclared) == nil)
        try await bucketProvider.delete(id: name, attributes: [:])
    }

    /// Through the engine: the chain applies in dependency order, a second plan has nothing to do (the bucket leaves its
    /// policy to the policy resource), and destroy removes everything, the OAC after the distribution.
    @Test func theChainAppliesPlansNoChangeAndDestroys() async throws {
        let (client, moto) = try await ProviderTesting.client()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("cairn-cloudfront-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let workspace = Workspace(stateDir: directory, providers: awsProviders(client: client), environment: ["CAIRN_STATE_KEY": "cloudfront"])
        let name = ProviderTesting.uniqueName("cairn-chain")
        let bucket = S3Bucket("frontend", name: Input(name), options: ResourceOptions(ignoreDrift: ["policy"]))
        let oac = CloudFrontOriginAccessControl("frontend", name: Input(name))
        var distribution = CloudFrontDistributionTests.frontend()
        distribution.comment = name
        distribution.origins = [.s3(id: "frontend-s3", domainName: bucket.regionalDomainName.input, originAccessControl: oac.id.input)]
        let policy = S3BucketPolicy(
            "frontendPolicy", bucket: bucket, policy: S3BucketPolicyTests.document(bucket: name, distributionARN: distribution.arn.input))
        let stack = Stack(
            name: "cloudfront-chain", region: "us-east-1", environment: StackEnvironment(), resources: [bucket, oac, distribution, policy])

        let plan = try await workspace.plan(stack, region: "us-east-1")
        #expect(plan.count(.create) == 4)
        let report = try await workspace.apply(plan, stack: stack, command: "apply") { _ in }
        #expect(report.ok, "\(report.failureSummary)")
        let again = try await workspace.plan(stack, region: "us-east-1")
        #expect(
            again.resources.allSatisfy { $0.action == .noop }, "\(again.resources.filter { $0.action != .noop }.map { ($0.address, $0.changes) })")
        let id = try #require(again.resources.first { $0.address == distribution.address }?.id)
        let policyText = try await moto.awsJSON(["s3api", "get-bucket-policy", "--bucket", name])["Policy"].string ?? ""
        #expect(policyText.contains("arn:aws:cloudfront::\(moto.account):distribution/\(id)"))

        let destroy = try await workspace.plan(stack, region: "us-east-1", destroy: true)
        #expect(try await workspace.apply(destroy, stack: stack, command: "destroy") { _ in }.ok)
        #expect(try await moto.aws(["cloudfront", "get-distribution", "--id", id]).status != 0)
        let controls = try await moto.awsJSON(["cloudfront", "list-origin-access-controls"])["OriginAccessControlList"]["Items"].array ?? []
        #expect(!controls.contains { $0["Name"].string == name })
        #expect(try await moto.aws(["s3api", "head-bucket", "--bucket", name]).status != 0)
    }

    /// An interrupted create is found again by its comment, its time and this state's tags, and a second search that
    /// excludes it (the state now holds it) finds nothing.
    @Test func anInterruptedCreateIsFoundAgain() async throws {
        let (client, _) = try await ProviderTesting.client()
        let provider = CloudFrontDistributionProvider(client: client)
        let ownership = Ownership(stack: "cf-recovery", environment: "test", state: UUID().uuidString)
        var distribution = CloudFrontDistributionTests.frontend(domain: "recovery.s3.us-east-1.amazonaws.com")
        distribution.comment = ProviderTesting.uniqueName("recovery")
        distribution.tags = Dictionary(uniqueKeysWithValues: ownership.tagValues.map { ($0.key, $0.value.stringValue ?? "") })
        let declared = ProviderTesting.attributes(of: distribution)
        let since = Date().addingTimeInterval(-5)
        let created = try await provider.create(declared)
        let found = try await provider.findInterruptedCreate(declared, ownership: ownership, since: since, excluding: [])
        #expect(found?.id == created.id)
        #expect(found?.attributes == declared)
        #expect(try await provider.findInterruptedCreate(declared, ownership: ownership, since: since, excluding: [created.id]) == nil)
        let other = Ownership(stack: "cf-recovery", environment: "test", state: UUID().uuidString)
        #expect(try await provider.findInterruptedCreate(declared, ownership: other, since: since, excluding: []) == nil)
        try await provider.delete(id: created.id, attributes: declared)
    }

    /// A create whose answer is lost after moto made the distribution (the connection reset before the answer's first
    /// byte) is retried, refused as DistributionAlreadyExists, and returns the one it made: the aws CLI finds exactly one
    /// distribution with the comment, the one returned.
    @Test func aCreateWhoseAnswerIsLostReturnsTheOneItMade() async throws {
        let (client, moto, proxy) = try await ProviderTesting.proxiedClient()
        defer { proxy.stop() }
        try await proxy.add(FaultProxy.Rule.reset("cloudfront:CreateDistributionWithTags", at: .start, forward: true).count(1))
        let provider = CloudFrontDistributionProvider(client: client)
        var distribution = CloudFrontDistributionTests.frontend(domain: "lost.s3.us-east-1.amazonaws.com")
        distribution.comment = ProviderTesting.uniqueName("lost-answer")
        let declared = ProviderTesting.attributes(of: distribution)
        let created = try await provider.create(declared)
        #expect(try await proxy.stats()["cloudfront:CreateDistributionWithTags"].resets == 1)
        let listed = try await moto.awsJSON(["cloudfront", "list-distributions"])["DistributionList"]["Items"].array ?? []
        #expect(listed.filter { $0["Comment"].string == distribution.comment }.compactMap { $0["Id"].string } == [created.id])
        try await provider.delete(id: created.id, attributes: declared)
    }

    /// The XML Cairn writes follows botocore's model: each structure's members in the model's order, every name one the
    /// model has. (CloudFront reads members in that order.)
    @Test func memberOrdersAreBotocores() async throws {
        let moto = try await MotoServer.shared()
        let result = try await moto.python(
            """
            import botocore.session, json
            model = botocore.session.get_session().get_service_model("cloudfront")
            print(json.dumps({name: list(model.shape_for(name).members) for name in ["DistributionConfig", "Origin",
                "S3OriginConfig", "CustomOriginConfig", "DefaultCacheBehavior", "CustomErrorResponse", "ViewerCertificate",
                "OriginAccessControlConfig"]}))
            """)
        #expect(result.succeeded, "\(result)")
        let members = try JSONValue(parsing: result.stdout)
        func names(_ shape: String) -> [String] { (members[shape].array ?? []).compactMap(\.string) }
        typealias P = CloudFrontDistributionProvider
        #expect(names("DistributionConfig") == P.configMembers)
        #expect(names("Origin") == P.originMembers)
        #expect(names("S3OriginConfig") == P.s3OriginMembers)
        #expect(names("CustomOriginConfig") == P.customOriginMembers)
        #expect(names("DefaultCacheBehavior") == P.cacheBehaviorMembers)
        #expect(names("CustomErrorResponse") == P.errorResponseMembers)
        #expect(names("ViewerCertificate") == P.viewerCertificateMembers)
        #expect(names("OriginAccessControlConfig") == CloudFrontOriginAccessControlProvider.configMembers)
    }
}
