import CairnAWS
import CairnJSON
import Foundation
import Testing

@testable import CairnEngine
@testable import CairnResources

/// The Swift `cairn generate` writes for CloudFront distributions and origin access controls.
@Suite struct CloudFrontGenerateTests {
    static let bucketDomain = "site-assets.s3.eu-north-1.amazonaws.com"

    static func distribution(behavior: [String: JSON] = [:], extra: [String: JSON] = [:]) -> Observed {
        var defaultBehavior: [String: JSON] = [
            "targetOriginId": "assets", "viewerProtocolPolicy": "redirect-to-https", "allowedMethods": ["GET", "HEAD"],
            "cachedMethods": ["GET", "HEAD"], "compress": true, "cachePolicyId": .string(CloudFrontDistribution.CachePolicy.cachingOptimized),
            "originRequestPolicyId": nil, "responseHeadersPolicyId": nil,
        ]
        defaultBehavior.merge(behavior) { $1 }
        let attributes: [String: JSON] = [
            "enabled": true, "comment": "Site", "defaultRootObject": "index.html",
            "origins": [
                [
                    "id": "assets", "domainName": .string(bucketDomain), "originPath": "", "originAccessControlId": "OAC1",
                    "s3OriginConfig": ["originAccessIdentity": ""], "customOriginConfig": nil,
                ]
            ],
            "defaultCacheBehavior": .object(defaultBehavior),
            "customErrorResponses": [["errorCode": 404, "responseCode": "200", "responsePagePath": "/index.html", "errorCachingMinTTL": 10]],
            "aliases": [], "viewerCertificate": nil, "priceClass": "PriceClass_100", "httpVersion": "http2", "ipv6Enabled": true, "tags": [:],
        ]
        return Observed(id: "E1", attributes: attributes.merging(extra) { $1 }, outputs: [:])
    }

    @Test func aDistributionIsDeclaredWithItsBucketAndOriginAccessControl() {
        let declared = GenerateTesting.declare(
            CloudFrontDistribution.typeName, Self.distribution(),
            found: [
                .init(S3Bucket.typeName, "assets", ["regionalDomainName": .string(Self.bucketDomain)]),
                .init(CloudFrontOriginAccessControl.typeName, "assetsOriginAccessControl", ["id": "OAC1"]),
            ])
        #expect(
            declared.argument("origins")
                == #"[.s3(id: "assets", domainName: .output(assets.regionalDomainName), originAccessControl: .output(assetsOriginAccessControl.id))]"#
        )
        #expect(declared.argument("defaultCacheBehavior") == #".init(targetOriginId: "assets")"#)
        #expect(declared.argument("customErrorResponses") == #"[.init(errorCode: 404, responseCode: 200, responsePagePath: "/index.html")]"#)
        #expect(declared.argument("priceClass") == ".priceClass100")
        #expect(declared.unexpressed.isEmpty && declared.undeclarable == nil)
    }

    /// What the declaration does not name is reported (an update keeps it); legacy cache settings leave it out.
    @Test func whatItCannotSayIsReportedOrLeavesItOut() throws {
        let config = try XMLNode.parse(
            Data(
                """
                <DistributionConfig><CacheBehaviors><Quantity>1</Quantity></CacheBehaviors><Logging><Enabled>true</Enabled></Logging>\
                <WebACLId>arn:aws:wafv2:acl</WebACLId><Restrictions><GeoRestriction><RestrictionType>none</RestrictionType></GeoRestriction>\
                </Restrictions></DistributionConfig>
                """.utf8))
        #expect(CloudFrontDistributionProvider.unmanagedSettings(config) == ["CacheBehaviors", "Logging", "WebACLId"])
        let reported = GenerateTesting.declare(CloudFrontDistribution.typeName, Self.distribution(extra: ["unmanaged": ["Logging"]]))
        #expect(reported.unexpressed["Logging"] == "CloudFrontDistribution does not model it; an apply keeps it as it is")

        let legacy = GenerateTesting.declare(CloudFrontDistribution.typeName, Self.distribution(behavior: ["cachePolicyId": ""]))
        #expect(legacy.undeclarable?.contains("legacy cache settings") == true)
    }

    @Test func anOriginAccessControlIsDeclared() {
        let live = Observed(
            id: "OAC1",
            attributes: ["name": "site", "description": "", "originType": "s3", "signingBehavior": "no-override", "signingProtocol": "sigv4"],
            outputs: ["id": "OAC1"])
        #expect(GenerateTesting.declare(CloudFrontOriginAccessControl.typeName, live).text == #"name: "site", signingBehavior: .noOverride"#)
    }
}
