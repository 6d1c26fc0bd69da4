import CairnAWS
import CairnEngine
import CairnJSON
import Foundation

/// A bucket's policy as a resource of its own (`aws s3api put-bucket-policy`), for a policy that names something made
/// after the bucket: a CloudFront distribution whose origin is the bucket, in the policy's `AWS:SourceArn` condition.
/// Declared inside the bucket, that would be a cycle (bucket → distribution → bucket).
///
/// A bucket has one policy. Declare it here or in `S3Bucket.policy`, never both: built from the bucket's declaration
/// (`init(_:bucket:policy:)`), validation refuses a bucket that declares a policy too, and one that does not leave its
/// policy to this resource (`ignoreDrift: ["policy"]` in the bucket's options): the bucket would otherwise remove this
/// policy at its next apply, as its own `policy` says none.
///
/// Attributes (as the state and plans show them):
/// - `bucket`: the bucket's name; a change replaces the policy (the new bucket gets it, the old one loses it).
/// - `policy`: the document in IAM's normal form, compared as a policy (key order, whitespace and one-element lists are
///   no difference); changed in place (PutBucketPolicy).
///
/// A policy has no tags: it belongs to its bucket.
public struct S3BucketPolicy: ResourceDeclaration {
    /// The type name in addresses and the state.
    public static let typeName = "aws_s3_bucket_policy"

    /// The name in the stack (`aws_s3_bucket_policy.<logicalName>`).
    public let logicalName: String
    /// The bucket's name (`S3Bucket.bucketName`).
    public var bucket: Input<String>
    /// The policy (a resource policy: every statement names a principal and a resource).
    public var policy: PolicyDocument
    /// Dependencies and lifecycle options for the engine.
    public var options: ResourceOptions
    /// The bucket's declaration, when the policy was built from it: what validation checks against.
    let declaredBucket: S3Bucket?

    /// The policy of the bucket named `bucket` (a bucket this stack does not declare, or `S3Bucket.bucketName`).
    public init(_ logicalName: String, bucket: Input<String>, policy: PolicyDocument, options: ResourceOptions = ResourceOptions()) {
        self.logicalName = logicalName
        self.bucket = bucket
        self.policy = policy
        self.options = options
        self.declaredBucket = nil
    }

    /// The policy of `bucket`, declared in this stack with `ignoreDrift: ["policy"]` and no policy of its own (which
    /// validation checks).
    public init(_ logicalName: String, bucket: S3Bucket, policy: PolicyDocument, options: ResourceOptions = ResourceOptions()) {
        self.logicalName = logicalName
        self.bucket = bucket.bucketName.input
        self.policy = policy
        self.options = options
        self.declaredBucket = bucket
    }

    /// The bucket's name, once the policy is on it.
    public var bucketName: Output<String> { Output(output("bucket")) }

    /// Every managed attribute (see the type's documentation).
    public var attributes: [String: Value] { ["bucket": bucket.value, "policy": policy.value] }

    /// The bucket name, the policy as S3 checks it, and the bucket's declaration when there is one.
    public func validate() -> [ValidationIssue] {
        var issues: [ValidationIssue] = []
        if let text = bucket.literal, let problem = S3Bucket.bucketNameProblem(text) {
            issues.append(ValidationIssue(address: address, attribute: "bucket", message: "'\(text)' is not a valid bucket name: \(problem)."))
        }
        issues += policy.validate(address: address, attribute: "policy", requiresResource: true, requiresPrincipal: true)
        if let declared = declaredBucket {
            if declared.policy != nil {
                issues.append(
                    ValidationIssue(
                        address: address, attribute: "bucket",
                        message:
                            "\(declared.address) declares a policy too, and a bucket has one: keep it in one place (remove policy from \(declared.address), or remove this resource)."
                    ))
            } else if !declared.options.ignoreDrift.contains("policy") {
                issues.append(
                    ValidationIssue(
                        address: address, attribute: "bucket",
                        message:
                            "\(declared.address) says it has no policy, so its next apply would remove this one: add \"policy\" to its options' ignoreDrift to leave its policy to this resource."
                    ))
            }
        }
        return issues
    }
}

/// Puts, reads and deletes a bucket's policy; the physical id is the bucket's name.
struct S3BucketPolicyProvider: ResourceProvider {
    let client: AWSClient
    let typeName = S3BucketPolicy.typeName
    /// Adoption proof: none. A policy has no tags and no creation time, so nothing proves that one found on the bucket
    /// came from the interrupted put: the plan stops and asks for `cairn import`.
    let adoptionProof = AdoptionProof.none
    let replaceOnChange: Set<String> = ["bucket"]
    let localAttributes: Set<String> = []

    /// The bucket: a plan stops when it has a policy already, which a put would replace.
    func physicalID(for attributes: [String: JSON]) -> String? { attributes.string("bucket") }

    /// Nil when the bucket has no policy, or no longer exists.
    func read(id: String, prior: [String: JSON]) async throws -> Observed? {
        let policy = try await nilIfNotFound(["NoSuchBucket"]) { try await S3BucketPolicyCalls(client: client).read(id) }
        guard let policy, !policy.isNull else { return nil }
        return Observed(id: id, attributes: ["bucket": .string(id), "policy": policy], outputs: ["bucket": .string(id)])
    }

    func create(_ attributes: [String: JSON]) async throws -> Applied {
        let bucket = attributes.string("bucket") ?? ""
        try await S3BucketPolicyCalls(client: client).write(bucket, attributes["policy"] ?? .null)
        return Applied(id: bucket, outputs: ["bucket": .string(bucket)])
    }

    func update(id: String, from old: [String: JSON], to new: [String: JSON]) async throws -> Applied {
        try await S3BucketPolicyCalls(client: client).write(id, new["policy"] ?? .null)
        return Applied(id: id, outputs: ["bucket": .string(id)])
    }

    /// DeleteBucketPolicy; a bucket already gone took its policy with it.
    func delete(id: String, attributes: [String: JSON]) async throws {
        try await ignoringNotFound(["NoSuchBucket"]) { try await S3BucketPolicyCalls(client: client).write(id, .null) }
    }
}

/// A bucket policy's three calls, shared by `S3Bucket.policy` and `S3BucketPolicy`.
struct S3BucketPolicyCalls {
    let client: AWSClient

    /// The policy in IAM's normal form (the text itself when it is not JSON), or null when the bucket has none. A missing
    /// bucket is S3's NoSuchBucket.
    func read(_ bucket: String) async throws -> JSON {
        do {
            let response = try await client.restXML(.s3.getBucketPolicy, ["Bucket": bucket])
            let text = String(decoding: response.body, as: UTF8.self)
            return PolicyNormalizer.parse(text) ?? .string(text)
        } catch let error as AWSServiceError where error.code == "NoSuchBucketPolicy" {
            return .null
        }
    }

    /// Puts `policy` on the bucket; null deletes the bucket's policy (none there is fine).
    func write(_ bucket: String, _ policy: JSON) async throws {
        if !policy.isNull {
            // S3 refuses a principal that IAM created seconds ago (MalformedPolicy "Invalid principal in policy") until
            // IAM's change reaches it: retried for a minute, as KMS key policies are. MalformedPolicy with another message
            // (an action S3 does not have, a resource outside the bucket) is a mistake in the policy and fails at once.
            _ = try await retrying(
                while: [Refusal("MalformedPolicy", messageContains: ["Invalid principal in policy"])], "the policy of S3 bucket \(bucket)",
                "be accepted", clock: client.waitClock, timeout: .seconds(60),
                interval: .seconds(3)
            ) {
                try await client.restXML(
                    .s3.putBucketPolicy, ["Bucket": bucket], body: .raw(Data(policy.description.utf8), contentType: "application/json"))
            }
            return
        }
        do {
            _ = try await client.restXML(.s3.deleteBucketPolicy, ["Bucket": bucket])
        } catch let error as AWSServiceError where error.code == "NoSuchBucketPolicy" {
            return
        }
    }
}

// MARK: cairn generate

extension S3BucketPolicyProvider: DiscoverableProvider {
    var swiftType: String { "S3BucketPolicy" }
    var swiftNoun: String { "bucketPolicy" }
    var swiftNounSuffixed: Bool { true }
    var swiftOutputs: [String: String] { [:] }

    /// None of its own: a bucket's policy is found, read and declared with its bucket (`S3Bucket.policy`). Only a list of
    /// ids names one on its own, and the bucket then leaves its policy to it (`ignoreDrift: ["policy"]`).
    func discover() async throws -> [DiscoveredResource] { [] }

    func swiftArguments(_ live: Observed, in context: SwiftContext) -> [SwiftArgument] {
        let policy = live.attributes["policy"] ?? .null
        guard let swift = PolicyDocument.swift(policy, in: context) else {
            // The policy is all this resource is: any other would grant something else.
            context.cannotDeclare("its policy uses what PolicyStatement cannot say (\(PolicyDocument.unsayable(policy)))")
            return []
        }
        return [SwiftArgument("bucket", context.input(live.id, naming: S3Bucket.typeName, "name")), SwiftArgument("policy", swift)]
    }
}
