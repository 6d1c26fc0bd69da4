import Foundation
import TestSupport
import Testing

/// The bootstrap stack `cairn-state`: the shared-state bucket, checked with the aws CLI.
@Suite(.integration) struct CairnStateStackTests {
    @Test func theBootstrapMakesAVersionedEncryptedPrivateTLSOnlyProtectedBucket() async throws {
        var cairn = try await CairnRunner.make(executable: CairnRunner.executable)
        cairn.extraEnvironment["AWS_REGION"] = "eu-north-1"
        let bucket = "acme-cairn-state-\(UInt32.random(in: 0...UInt32.max) % 1_000_000)"
        let applied = try await cairn.run(["apply", "cairn-state", "--var", "bucket=\(bucket)", "--auto-approve"])
        #expect(applied.status == 0, "\(applied)")

        let versioning = try await cairn.awsJSON(["s3api", "get-bucket-versioning", "--bucket", bucket])
        #expect(versioning["Status"].string == "Enabled")
        // SSE-S3 is what AWS applies to every bucket since 2023, so Cairn sets nothing for it; moto has no such default
        // and answers "not found" then. Anything else it reports must be SSE-S3.
        let encryption = try await cairn.aws(["s3api", "get-bucket-encryption", "--bucket", bucket])
        if encryption.status == 0 {
            #expect(encryption.stdout.contains("AES256"), "\(encryption)")
        } else {
            #expect(encryption.stderr.contains("ServerSideEncryptionConfigurationNotFoundError"), "\(encryption)")
        }
        let block = try await cairn.awsJSON(["s3api", "get-public-access-block", "--bucket", bucket])["PublicAccessBlockConfiguration"]
        for setting in ["BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets"] {
            #expect(block[setting].bool == true, "\(setting)")
        }
        let policy = try await cairn.awsJSON(["s3api", "get-bucket-policy", "--bucket", bucket])["Policy"].string ?? ""
        #expect(policy.contains("aws:SecureTransport") && policy.contains("Deny"), "\(policy)")
        let lifecycle = try await cairn.awsJSON(["s3api", "get-bucket-lifecycle-configuration", "--bucket", bucket])
        #expect(lifecycle["Rules"][0]["NoncurrentVersionExpiration"]["NoncurrentDays"].int == 90, "\(lifecycle)")
        #expect(lifecycle["Rules"][0]["Expiration"].isNull || lifecycle["Rules"][0]["Expiration"].string == nil, "the current state never expires")

        let output = try await cairn.run(["output", "cairn-state", "--format", "env"])
        #expect(output.stdout.contains("export CAIRN_BACKEND='s3://\(bucket)/cairn'"), "\(output)")

        // TLS only: this moto is reached over plain HTTP, so the bucket refuses to serve a state here (AWS is HTTPS).
        var fixtures = try await CairnRunner.make()
        fixtures.extraEnvironment["CAIRN_BACKEND"] = "s3://\(bucket)/cairn"
        let plain = try await fixtures.run(["state", "list", "fixture-app"])
        #expect(plain.status == 1, "\(plain)")
        #expect(plain.stderr.contains("Access to s3://\(bucket)/cairn/fixture-app/default/state was denied"), "\(plain.stderr)")

        // Protected: a destroy refuses it; it goes only by hand.
        let refused = try await cairn.run(["destroy", "cairn-state", "--var", "bucket=\(bucket)", "--auto-approve"])
        #expect(refused.status == 1, "\(refused)")
        #expect(try await cairn.aws(["s3api", "head-bucket", "--bucket", bucket]).status == 0)
    }
}
