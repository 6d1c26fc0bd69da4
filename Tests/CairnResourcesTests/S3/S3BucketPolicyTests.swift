import CairnAWS
import CairnEngine
import CairnJSON
import Foundation
import TestSupport
import Testing

@testable import CairnResources

@Suite struct S3BucketPolicyTests {
    /// Seed 004's frontend policy: CloudFront may read `frontend/*`, for one distribution only.
    static func document(bucket: String, distributionARN: Input<String>) -> PolicyDocument {
        PolicyDocument([
            PolicyStatement(
                sid: "CloudFrontReads", principals: [.service("cloudfront.amazonaws.com")], actions: ["s3:GetObject"],
                resources: [Input("arn:aws:s3:::\(bucket)/frontend/*")],
                conditions: [PolicyCondition("StringEquals", "AWS:SourceArn", [distributionARN])])
        ])
    }

    /// A bucket has one policy: declared on the bucket too, or on a bucket that would remove it at its next apply
    /// (it says it has none), the policy resource is refused, naming the bucket and what to do.
    @Test func aBucketWithItsOwnPolicyIsRefused() {
        let document = Self.document(bucket: "cairn-frontend", distributionARN: "arn:aws:cloudfront::123456789012:distribution/E1")
        var bucket = S3Bucket("frontend", name: "cairn-frontend", options: ResourceOptions(ignoreDrift: ["policy"]))
        #expect(S3BucketPolicy("frontendPolicy", bucket: bucket, policy: document).validate().isEmpty)

        bucket.policy = document
        #expect(
            S3BucketPolicy("frontendPolicy", bucket: bucket, policy: document).validate().map(\.description) == [
                "aws_s3_bucket_policy.frontendPolicy: bucket: aws_s3_bucket.frontend declares a policy too, and a bucket has one: keep it in one place (remove policy from aws_s3_bucket.frontend, or remove this resource)."
            ])
        let managing = S3Bucket("frontend", name: "cairn-frontend")
        #expect(
            S3BucketPolicy("frontendPolicy", bucket: managing, policy: document).validate().map(\.description) == [
                "aws_s3_bucket_policy.frontendPolicy: bucket: aws_s3_bucket.frontend says it has no policy, so its next apply would remove this one: add \"policy\" to its options' ignoreDrift to leave its policy to this resource."
            ])
        let bad = S3BucketPolicy("bad", bucket: "Not_A_Bucket", policy: PolicyDocument([PolicyStatement(actions: ["s3:GetObject"])]))
        #expect(
            Set(bad.validate().compactMap(\.attribute)) == ["bucket", "policy.Statement[0].Resource", "policy.Statement[0].Principal"])
    }

    /// Put, read back as data (no drift whatever S3's spelling), changed in place, deleted; checked with the aws CLI.
    @Test(.integration) func putReadUpdateDeleteAgainstMoto() async throws {
        let (client, moto) = try await ProviderTesting.client()
        let name = ProviderTesting.uniqueName("cairn-policy")
        _ = try await S3BucketProvider(client: client).create(ProviderTesting.attributes(of: S3Bucket("frontend", name: Input(name))))
        let provider = S3BucketPolicyProvider(client: client)
        #expect(provider.replaceOnChange == ["bucket"])
        let arn = "arn:aws:cloudfront::\(moto.account):distribution/E1EXAMPLE"
        var policy = S3BucketPolicy("frontendPolicy", bucket: Input(name), policy: Self.document(bucket: name, distributionARN: Input(arn)))
        let declared = ProviderTesting.attributes(of: policy)
        #expect(provider.physicalID(for: declared) == name)
        #expect(try await provider.read(id: name, prior: [:]) == nil)  // the bucket has no policy yet

        let created = try await provider.create(declared)
        #expect(created == Applied(id: name, outputs: ["bucket": .string(name)]))
        let text = try await moto.awsJSON(["s3api", "get-bucket-policy", "--bucket", name])["Policy"].string ?? ""
        #expect(PolicyNormalizer.parse(text) == declared["policy"])
        #expect(text.contains(arn))
        #expect(try await provider.read(id: name, prior: declared)?.attributes == declared)

        // Changed by hand, the read shows it; the update puts the declared one back.
        let other = #"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::\#(name)/*"}]}"#
        _ = try await moto.aws(["s3api", "put-bucket-policy", "--bucket", name, "--policy", other])
        let drifted = try #require(try await provider.read(id: name, prior: declared))
        #expect(drifted.attributes["policy"] != declared["policy"])
        policy.policy.statements[0].actions = ["s3:GetObject", "s3:GetObjectVersion"]
        let next = ProviderTesting.attributes(of: policy)
        _ = try await provider.update(id: name, from: drifted.attributes, to: next)
        #expect(try await provider.read(id: name, prior: next)?.attributes == next)

        try await provider.delete(id: name, attributes: next)
        #expect(try await provider.read(id: name, prior: next) == nil)
        let gone = try await moto.aws(["s3api", "get-bucket-policy", "--bucket", name])
        #expect(gone.stderr.contains("NoSuchBucketPolicy"), "\(gone)")
        // Gone twice, and with its bucket: still deleted.
        try await provider.delete(id: name, attributes: next)
        try await S3BucketProvider(client: client).delete(id: name, attributes: [:])
        try await provider.delete(id: name, attributes: next)
        #expect(try await provider.read(id: name, prior: next) == nil)
    }
}
