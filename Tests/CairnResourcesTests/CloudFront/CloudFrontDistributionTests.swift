import CairnAWS
import CairnEngine
import CairnJSON
import Foundation
import TestSupport
import Testing

@testable import CairnResources

/// The distribution's declaration, its XML both ways and its versioned writes, against scripted CloudFront answers
/// (no network): every call and every wait is exact.
@Suite struct CloudFrontDistributionTests {
    typealias Distribution = CloudFrontDistribution

    /// Seed 004's distribution: a private bucket behind an origin access control, a single-page app's error answers.
    static func frontend(domain: String = "frontend.s3.us-east-1.amazonaws.com", oac: String = "E3OACEXAMPLE") -> Distribution {
        Distribution(
            "frontend", origins: [.s3(id: "frontend-s3", domainName: Input(domain), originAccessControl: Input(oac))],
            defaultCacheBehavior: Distribution.CacheBehavior(
                targetOriginId: "frontend-s3", viewerProtocolPolicy: .redirectToHTTPS, allowedMethods: .getHeadOptions, cachedMethods: .getHead,
                compress: true, cachePolicyId: Input(Distribution.CachePolicy.cachingOptimized)),
            comment: "cloud health dashboard", defaultRootObject: "index.html",
            customErrorResponses: [
                .init(errorCode: 404, responseCode: 200, responsePagePath: "/index.html"),
                .init(errorCode: 403, responseCode: 200, responsePagePath: "/index.html"),
            ],
            priceClass: .priceClass100, tags: ["app": "dashboard"])
    }

    /// What CloudFront answers for `frontend()`, as GetDistribution writes it: every member it fills in, the origin's
    /// read timeout, logging, geo restrictions and a WAF ACL that the declaration does not name.
    static func liveXML(enabled: Bool = true, status: String = "Deployed", rootObject: String = "index.html") -> String {
        """
        <?xml version="1.0" encoding="UTF-8"?>
        <Distribution xmlns="http://cloudfront.amazonaws.com/doc/2020-05-31/">
          <Id>E1DIST</Id>
          <ARN>arn:aws:cloudfront::123456789012:distribution/E1DIST</ARN>
          <Status>\(status)</Status>
          <LastModifiedTime>2026-12-05T10:00:00.000Z</LastModifiedTime>
          <InProgressInvalidationBatches>0</InProgressInvalidationBatches>
          <DomainName>d111111abcdef8.cloudfront.net</DomainName>
          <ActiveTrustedSigners><Enabled>false</Enabled><Quantity>0</Quantity></ActiveTrustedSigners>
          <ActiveTrustedKeyGroups><Enabled>false</Enabled><Quantity>0</Quantity></ActiveTrustedKeyGroups>
          \(configXML(enabled: enabled, rootObject: rootObject))
        </Distribution>
        """
    }

    static func configXML(enabled: Bool = true, rootObject: String = "index.html") -> String {
        """
        <DistributionConfig>
            <CallerReference>cairn-0001</CallerReference>
            <Aliases><Quantity>0</Quantity></Aliases>
            <DefaultRootObject>\(rootObject)</DefaultRootObject>
            <Origins><Quantity>1</Quantity><Items><Origin>
              <Id>frontend-s3</Id><DomainName>frontend.s3.us-east-1.amazonaws.com</DomainName><OriginPath></OriginPath>
              <CustomHeaders><Quantity>0</Quantity></CustomHeaders>
              <S3OriginConfig><OriginAccessIdentity></OriginAccessIdentity><OriginReadTimeout>30</OriginReadTimeout></S3OriginConfig>
              <ConnectionAttempts>3</ConnectionAttempts><ConnectionTimeout>10</ConnectionTimeout>
              <OriginShield><Enabled>false</Enabled></OriginShield>
              <OriginAccessControlId>E3OACEXAMPLE</OriginAccessControlId>
            </Origin></Items></Origins>
            <OriginGroups><Quantity>0</Quantity></OriginGroups>
            <DefaultCacheBehavior>
              <TargetOriginId>frontend-s3</TargetOriginId>
              <TrustedSigners><Enabled>false</Enabled><Quantity>0</Quantity></TrustedSigners>
              <TrustedKeyGroups><Enabled>false</Enabled><Quantity>0</Quantity></TrustedKeyGroups>
              <ViewerProtocolPolicy>redirect-to-https</ViewerProtocolPolicy>
              <AllowedMethods><Quantity>3</Quantity><Items><Method>HEAD</Method><Method>GET</Method><Method>OPTIONS</Method></Items>
                <CachedMethods><Quantity>2</Quantity><Items><Method>HEAD</Method><Method>GET</Method></Items></CachedMethods></AllowedMethods>
              <SmoothStreaming>false</SmoothStreaming><Compress>true</Compress>
              <LambdaFunctionAssociations><Quantity>0</Quantity></LambdaFunctionAssociations>
              <FunctionAssociations><Quantity>0</Quantity></FunctionAssociations>
              <FieldLevelEncryptionId></FieldLevelEncryptionId>
              <CachePolicyId>658327ea-f89d-4fab-a63d-7e88639e58f6</CachePolicyId>
            </DefaultCacheBehavior>
            <CacheBehaviors><Quantity>0</Quantity></CacheBehaviors>
            <CustomErrorResponses><Quantity>2</Quantity><Items>
              <CustomErrorResponse><ErrorCode>403</ErrorCode><ResponsePagePath>/index.html</ResponsePagePath><ResponseCode>200</ResponseCode><ErrorCachingMinTTL>10</ErrorCachingMinTTL></CustomErrorResponse>
              <CustomErrorResponse><ErrorCode>404</ErrorCode><ResponsePagePath>/index.html</ResponsePagePath><ResponseCode>200</ResponseCode><ErrorCachingMinTTL>10</ErrorCachingMinTTL></CustomErrorResponse>
            </Items></CustomErrorResponses>
            <Comment>cloud health dashboard</Comment>
            <Logging><Enabled>true</Enabled><IncludeCookies>false</IncludeCookies><Bucket>logs.s3.amazonaws.com</Bucket><Prefix>cf/</Prefix></Logging>
            <PriceClass>PriceClass_100</PriceClass>
            <Enabled>\(enabled)</Enabled>
            <ViewerCertificate><CloudFrontDefaultCertificate>true</CloudFrontDefaultCertificate><SSLSupportMethod>vip</SSLSupportMethod><MinimumProtocolVersion>TLSv1</MinimumProtocolVersion><CertificateSource>cloudfront</CertificateSource></ViewerCertificate>
            <Restrictions><GeoRestriction><RestrictionType>none</RestrictionType><Quantity>0</Quantity></GeoRestriction></Restrictions>
            <WebACLId>arn:aws:wafv2:us-east-1:123456789012:global/webacl/edge/abc</WebACLId>
            <HttpVersion>http2</HttpVersion>
            <IsIPV6Enabled>true</IsIPV6Enabled>
            <Staging>false</Staging>
          </DistributionConfig>
        """
    }

    static let tagsXML = """
        <?xml version="1.0" encoding="UTF-8"?>
        <Tags xmlns="http://cloudfront.amazonaws.com/doc/2020-05-31/"><Items><Tag><Key>app</Key><Value>dashboard</Value></Tag></Items></Tags>
        """

    static func error(_ status: Int, _ code: String) -> ScriptedRESTTransport.Answer {
        (
            status, [:],
            "<ErrorResponse><Error><Type>Sender</Type><Code>\(code)</Code><Message>\(code)</Message></Error><RequestId>r</RequestId></ErrorResponse>"
        )
    }

    static let distributionPath = "/2020-05-31/distribution/E1DIST"

    // MARK: XML

    /// A create sends exactly the declared configuration, in the model's order, with a CallerReference drawn from the
    /// client's random source and the tags; the ARN comes back in AWS's form whatever form CloudFront's answer has.
    @Test func createSendsTheModelsXMLAndBuildsTheARN() async throws {
        let transport = ScriptedRESTTransport { _, _ in
            // An emulator's ARN form, without the empty region field.
            (
                201, ["ETag": "E1"],
                "<Distribution><Id>E1DIST</Id><ARN>arn:aws:cloudfront:123456789012:distribution/E1DIST</ARN><DomainName>d1.cloudfront.net</DomainName></Distribution>"
            )
        }
        let provider = CloudFrontDistributionProvider(client: .scripted(transport, clock: SteppingClock(), random: FixedRandom(value: 0.5)))
        let created = try await provider.create(ProviderTesting.attributes(of: Self.frontend()))
        #expect(created.id == "E1DIST")
        #expect(
            created.outputs == [
                "id": "E1DIST", "arn": "arn:aws:cloudfront::123456789012:distribution/E1DIST", "domainName": "d1.cloudfront.net",
                "hostedZoneId": "Z2FDTNDATAQYW2",
            ])
        let request = try #require(transport.requests.first)
        #expect(transport.calls == ["POST /2020-05-31/distribution?WithTags"])
        let expected = """
            <?xml version="1.0" encoding="UTF-8"?><DistributionConfigWithTags xmlns="http://cloudfront.amazonaws.com/doc/2020-05-31/">\
            <DistributionConfig><CallerReference>cairn-80000000800000008000000080000000</CallerReference>\
            <Aliases><Quantity>0</Quantity></Aliases><DefaultRootObject>index.html</DefaultRootObject>\
            <Origins><Quantity>1</Quantity><Items><Origin><Id>frontend-s3</Id><DomainName>frontend.s3.us-east-1.amazonaws.com</DomainName>\
            <OriginPath/><S3OriginConfig><OriginAccessIdentity/></S3OriginConfig><OriginAccessControlId>E3OACEXAMPLE</OriginAccessControlId>\
            </Origin></Items></Origins>\
            <DefaultCacheBehavior><TargetOriginId>frontend-s3</TargetOriginId><ViewerProtocolPolicy>redirect-to-https</ViewerProtocolPolicy>\
            <AllowedMethods><Quantity>3</Quantity><Items><Method>GET</Method><Method>HEAD</Method><Method>OPTIONS</Method></Items>\
            <CachedMethods><Quantity>2</Quantity><Items><Method>GET</Method><Method>HEAD</Method></Items></CachedMethods></AllowedMethods>\
            <Compress>true</Compress><CachePolicyId>658327ea-f89d-4fab-a63d-7e88639e58f6</CachePolicyId></DefaultCacheBehavior>\
            <CustomErrorResponses><Quantity>2</Quantity><Items>\
            <CustomErrorResponse><ErrorCode>403</ErrorCode><ResponsePagePath>/index.html</ResponsePagePath><ResponseCode>200</ResponseCode>\
            <ErrorCachingMinTTL>10</ErrorCachingMinTTL></CustomErrorResponse>\
            <CustomErrorResponse><ErrorCode>404</ErrorCode><ResponsePagePath>/index.html</ResponsePagePath><ResponseCode>200</ResponseCode>\
            <ErrorCachingMinTTL>10</ErrorCachingMinTTL></CustomErrorResponse></Items></CustomErrorResponses>\
            <Comment>cloud health dashboard</Comment><PriceClass>PriceClass_100</PriceClass><Enabled>true</Enabled>\
            <ViewerCertificate><CloudFrontDefaultCertificate>true</CloudFrontDefaultCertificate></ViewerCertificate>\
            <HttpVersion>http2</HttpVersion><IsIPV6Enabled>true</IsIPV6Enabled></DistributionConfig>\
            <Tags><Items><Tag><Key>app</Key><Value>dashboard</Value></Tag></Items></Tags></DistributionConfigWithTags>
            """
        #expect(String(decoding: request.body, as: UTF8.self) == expected)
        #expect(request.header("Authorization")?.contains("/us-east-1/cloudfront/aws4_request") == true)
    }

    /// CloudFront's answer, with every member it fills in and the method lists in its own order, reads back as the
    /// declaration: no drift. China's partition has its own ARN prefix and hosted zone.
    @Test func aLiveDistributionReadsBackAsDeclared() async throws {
        let transport = ScriptedRESTTransport { call, _ in
            call.hasPrefix("GET /2020-05-31/tagging") ? (200, [:], Self.tagsXML) : (200, ["ETag": "E2"], Self.liveXML())
        }
        let provider = CloudFrontDistributionProvider(client: .scripted(transport, clock: SteppingClock()))
        let live = try #require(try await provider.read(id: "E1DIST", prior: [:]))
        #expect(live.attributes == ProviderTesting.attributes(of: Self.frontend()))
        #expect(live.outputs["arn"] == "arn:aws:cloudfront::123456789012:distribution/E1DIST")
        #expect(live.outputs["domainName"] == "d111111abcdef8.cloudfront.net")
        #expect(transport.calls.last == "GET /2020-05-31/tagging?Resource=arn%3Aaws%3Acloudfront%3A%3A123456789012%3Adistribution%2FE1DIST")

        let china = CloudFrontDistributionProvider(client: .scripted(transport, clock: SteppingClock(), region: "cn-north-1"))
        let outputs = try #require(try await china.read(id: "E1DIST", prior: [:])).outputs
        #expect(outputs["arn"] == "arn:aws-cn:cloudfront::123456789012:distribution/E1DIST")
        #expect(outputs["hostedZoneId"] == "Z3RFFRIM2A3IF5")
        #expect(transport.requests.last?.url.host == "cloudfront.cn-northwest-1.amazonaws.com.cn")
    }

    /// An update sends CloudFront's own copy back with the declared members replaced: the CallerReference, logging,
    /// the WAF ACL, geo restrictions and the origin's read timeout stay; the changed comment and root object go in.
    @Test func anUpdateKeepsWhatTheDeclarationDoesNotName() throws {
        let live = try XMLNode.parse(Data(Self.configXML().utf8))
        var declared = Self.frontend()
        declared.comment = "renamed"
        declared.defaultRootObject = "app.html"
        let sent = CloudFrontDistributionProvider.configXML(ProviderTesting.attributes(of: declared), callerReference: "cairn-0001", live: live)
        #expect(sent.children.map(\.name).filter { live[$0] == nil }.isEmpty)
        #expect(
            sent.children.map(\.name) == [
                "CallerReference", "Aliases", "DefaultRootObject", "Origins", "OriginGroups", "DefaultCacheBehavior", "CacheBehaviors",
                "CustomErrorResponses", "Comment", "Logging", "PriceClass", "Enabled", "ViewerCertificate", "Restrictions", "WebACLId",
                "HttpVersion", "IsIPV6Enabled", "Staging",
            ])
        #expect(sent.string("CallerReference") == "cairn-0001")
        #expect(sent.string("Comment") == "renamed" && sent.string("DefaultRootObject") == "app.html")
        #expect(sent["Logging"] == live["Logging"] && sent["Restrictions"] == live["Restrictions"])
        #expect(sent.string("WebACLId") == "arn:aws:wafv2:us-east-1:123456789012:global/webacl/edge/abc")
        let origin = try #require(CloudFrontWire.items(sent["Origins"]).first)
        #expect(origin.path("S3OriginConfig", "OriginReadTimeout")?.text == "30")
        #expect(origin.string("ConnectionAttempts") == "3" && origin.string("OriginAccessControlId") == "E3OACEXAMPLE")
        #expect(sent["DefaultCacheBehavior"]?["TrustedSigners"] == live["DefaultCacheBehavior"]?["TrustedSigners"])
        // What it reads back as is what was declared.
        var attributes = CloudFrontDistributionProvider.attributes(from: sent)
        attributes["tags"] = ["app": "dashboard"]
        #expect(attributes == ProviderTesting.attributes(of: declared))
    }

    /// The legacy TTL settings go when a cache policy is declared (CloudFront refuses both), and a custom origin and an
    /// ACM certificate are written in the model's shape.
    @Test func legacySettingsGoAndCustomOriginsAndCertificatesAreWritten() throws {
        let live = try XMLNode.parse(
            Data(
                """
                <DefaultCacheBehavior><TargetOriginId>api</TargetOriginId><ViewerProtocolPolicy>allow-all</ViewerProtocolPolicy>\
                <ForwardedValues><QueryString>false</QueryString><Cookies><Forward>none</Forward></Cookies></ForwardedValues>\
                <MinTTL>0</MinTTL><DefaultTTL>86400</DefaultTTL><MaxTTL>31536000</MaxTTL></DefaultCacheBehavior>
                """.utf8))
        let declared = Distribution(
            "api", origins: [.custom(id: "api", domainName: "api.example.com", protocolPolicy: .httpsOnly)],
            defaultCacheBehavior: .init(targetOriginId: "api", allowedMethods: .all, cachePolicyId: Input(Distribution.CachePolicy.cachingDisabled)),
            aliases: ["www.example.com"],
            certificate: .acm(arn: "arn:aws:acm:us-east-1:123456789012:certificate/abc"))
        #expect(declared.validate().isEmpty, "\(declared.validate())")
        let attributes = ProviderTesting.attributes(of: declared)
        let behavior = CloudFrontDistributionProvider.cacheBehaviorXML(attributes["defaultCacheBehavior"] ?? [:], live: live)
        #expect(behavior.children.map(\.name) == ["TargetOriginId", "ViewerProtocolPolicy", "AllowedMethods", "Compress", "CachePolicyId"])
        #expect(CloudFrontWire.items(behavior["AllowedMethods"]).map(\.text) == ["DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT"])
        let config = CloudFrontDistributionProvider.configXML(attributes, callerReference: "r", live: nil)
        let origin = try #require(CloudFrontWire.items(config["Origins"]).first)
        #expect(origin["S3OriginConfig"] == nil)
        #expect(
            origin["CustomOriginConfig"]?.xmlString(declaration: false)
                == "<CustomOriginConfig><HTTPPort>80</HTTPPort><HTTPSPort>443</HTTPSPort><OriginProtocolPolicy>https-only</OriginProtocolPolicy><OriginSslProtocols><Quantity>1</Quantity><Items><SslProtocol>TLSv1.2</SslProtocol></Items></OriginSslProtocols></CustomOriginConfig>"
        )
        #expect(
            config["ViewerCertificate"]?.xmlString(declaration: false)
                == "<ViewerCertificate><ACMCertificateArn>arn:aws:acm:us-east-1:123456789012:certificate/abc</ACMCertificateArn><SSLSupportMethod>sni-only</SSLSupportMethod><MinimumProtocolVersion>TLSv1.2_2021</MinimumProtocolVersion></ViewerCertificate>"
        )
        #expect(
            config["Aliases"]?.xmlString(declaration: false)
                == "<Aliases><Quantity>1</Quantity><Items><CNAME>www.example.com</CNAME></Items></Aliases>")
        var read = CloudFrontDistributionProvider.attributes(from: config)
        read["tags"] = [:]
        #expect(read == attributes)
    }

    // MARK: Versioned writes

    /// Destroy disables an enabled distribution with the ETag of its configuration, waits on the client's clock until
    /// CloudFront reports it Deployed, then deletes it with the ETag of that last read.
    @Test func destroyDisablesWaitsUntilDeployedThenDeletes() async throws {
        let clock = SteppingClock()
        let path = Self.distributionPath
        let transport = ScriptedRESTTransport { call, count in
            switch call {
            case "GET \(path)/config": return (200, ["ETag": "ETAG1"], "<?xml version=\"1.0\"?>" + Self.configXML())
            case "PUT \(path)/config": return (200, ["ETag": "ETAG2"], Self.liveXML(enabled: false, status: "InProgress"))
            case "GET \(path)": return (200, ["ETag": "ETAG2"], Self.liveXML(enabled: false, status: count < 2 ? "InProgress" : "Deployed"))
            case "DELETE \(path)": return (204, [:], "")
            default: return Self.error(400, "Unexpected")
            }
        }
        let provider = CloudFrontDistributionProvider(client: .scripted(transport, clock: clock))
        try await provider.delete(id: "E1DIST", attributes: [:])
        #expect(transport.calls == ["GET \(path)/config", "PUT \(path)/config", "GET \(path)", "GET \(path)", "GET \(path)", "DELETE \(path)"])
        let requests = transport.requests
        #expect(requests[1].header("If-Match") == "ETAG1")
        #expect(requests[5].header("If-Match") == "ETAG2")
        // The disabling sends CloudFront's configuration back with Enabled false, and nothing else changed.
        let sent = try XMLNode.parse(requests[1].body)
        let live = try XMLNode.parse(Data(Self.configXML().utf8))
        #expect(sent.string("Enabled") == "false")
        #expect(sent.children.filter { $0.name != "Enabled" } == live.children.filter { $0.name != "Enabled" })
        #expect(clock.slept == CloudFrontDistributionProvider.deployPollInterval * 2)
    }

    /// A destroy interrupted after the disabling picks up where it stopped: no second disabling, the wait, the delete.
    /// A distribution already gone is deleted.
    @Test func anInterruptedDestroyResumesAndAGoneOneIsDeleted() async throws {
        let path = Self.distributionPath
        let transport = ScriptedRESTTransport { call, _ in
            switch call {
            case "GET \(path)/config": return (200, ["ETag": "ETAG2"], Self.configXML(enabled: false))
            case "GET \(path)": return (200, ["ETag": "ETAG2"], Self.liveXML(enabled: false))
            case "DELETE \(path)": return (204, [:], "")
            default: return Self.error(400, "Unexpected")
            }
        }
        let clock = SteppingClock()
        try await CloudFrontDistributionProvider(client: .scripted(transport, clock: clock)).delete(id: "E1DIST", attributes: [:])
        #expect(transport.calls == ["GET \(path)/config", "GET \(path)", "DELETE \(path)"])
        #expect(clock.slept == .zero)

        let gone = ScriptedRESTTransport { _, _ in Self.error(404, "NoSuchDistribution") }
        try await CloudFrontDistributionProvider(client: .scripted(gone, clock: clock)).delete(id: "E1DIST", attributes: [:])
        #expect(gone.calls == ["GET \(path)/config"])
    }

    /// A disabling that never deploys ends the destroy after the deadline, on the client's clock, naming the
    /// distribution and what to do; nothing is deleted.
    @Test func aDeploymentThatNeverEndsTimesOut() async throws {
        let clock = SteppingClock()
        let path = Self.distributionPath
        let transport = ScriptedRESTTransport { call, _ in
            switch call {
            case "GET \(path)/config": return (200, ["ETag": "ETAG2"], Self.configXML(enabled: false))
            case "GET \(path)": return (200, ["ETag": "ETAG2"], Self.liveXML(enabled: false, status: "InProgress"))
            default: return Self.error(400, "Unexpected")
            }
        }
        let provider = CloudFrontDistributionProvider(client: .scripted(transport, clock: clock))
        let error = await #expect(throws: WaitTimeout.self) { try await provider.delete(id: "E1DIST", attributes: [:]) }
        #expect(error?.description.hasPrefix("gave up after 45 minutes waiting for CloudFront distribution E1DIST to finish deploying") == true)
        #expect(clock.slept == CloudFrontDistributionProvider.deployTimeout)
        #expect(!transport.calls.contains("DELETE \(path)"))
    }

    /// An update whose ETag went stale in between (PreconditionFailed) reads the configuration again and is sent once
    /// more with the new ETag; a tag change alone updates only the tags.
    @Test func aStaleETagIsReadAgainOnce() async throws {
        let path = Self.distributionPath
        let transport = ScriptedRESTTransport { call, count in
            switch call {
            case "GET \(path)/config": return (200, ["ETag": count == 0 ? "OLD" : "NEW"], Self.configXML())
            case "PUT \(path)/config": return count == 0 ? Self.error(412, "PreconditionFailed") : (200, ["ETag": "NEWER"], Self.liveXML())
            case "GET \(path)": return (200, ["ETag": "NEWER"], Self.liveXML())
            default: return (204, [:], "")
            }
        }
        let provider = CloudFrontDistributionProvider(client: .scripted(transport, clock: SteppingClock()))
        let old = ProviderTesting.attributes(of: Self.frontend())
        var declared = Self.frontend()
        declared.comment = "renamed"
        let applied = try await provider.update(id: "E1DIST", from: old, to: ProviderTesting.attributes(of: declared))
        #expect(applied.outputs["arn"] == "arn:aws:cloudfront::123456789012:distribution/E1DIST")
        #expect(transport.calls == ["GET \(path)/config", "PUT \(path)/config", "GET \(path)/config", "PUT \(path)/config"])
        #expect(transport.requests.map { $0.header("If-Match") } == [nil, "OLD", nil, "NEW"])

        declared.tags = ["app": "dashboard", "team": "web"]
        let tagged = ScriptedRESTTransport { call, _ in call.hasPrefix("GET") ? (200, ["ETag": "E"], Self.liveXML()) : (204, [:], "") }
        let before = ProviderTesting.attributes(of: Self.frontend())
        var after = before
        after["tags"] = ["app": "dashboard", "team": "web"]
        _ = try await CloudFrontDistributionProvider(client: .scripted(tagged, clock: SteppingClock())).update(id: "E1DIST", from: before, to: after)
        #expect(
            tagged.calls == [
                "GET \(path)", "POST /2020-05-31/tagging?Operation=Tag&Resource=arn%3Aaws%3Acloudfront%3A%3A123456789012%3Adistribution%2FE1DIST",
            ])
        #expect(
            String(decoding: tagged.requests[1].body, as: UTF8.self)
                == #"<?xml version="1.0" encoding="UTF-8"?><Tags xmlns="http://cloudfront.amazonaws.com/doc/2020-05-31/"><Items><Tag><Key>team</Key><Value>web</Value></Tag></Items></Tags>"#
        )
    }

    // MARK: Recovery

    /// An interrupted create is found among the account's distributions by its comment, its modification since the
    /// intent and this state's tags, read through every page of ListDistributions (Marker, NextMarker, IsTruncated);
    /// two that fit are named, not adopted.
    @Test func anInterruptedCreateIsFoundByCommentTimeAndTags() async throws {
        let ownership = Ownership(stack: "dashboard", environment: "prod", state: "lineage-1")
        let ours =
            "<Items><Tag><Key>cairn:stack</Key><Value>dashboard</Value></Tag><Tag><Key>cairn:env</Key><Value>prod</Value></Tag><Tag><Key>cairn:state</Key><Value>lineage-1</Value></Tag></Items>"
        @Sendable func summary(_ id: String, comment: String, modified: String) -> String {
            "<DistributionSummary><Id>\(id)</Id><ARN>arn:aws:cloudfront::123456789012:distribution/\(id)</ARN><LastModifiedTime>\(modified)</LastModifiedTime><Comment>\(comment)</Comment></DistributionSummary>"
        }
        func transport(ourIDs: Set<String>) -> ScriptedRESTTransport {
            ScriptedRESTTransport { call, _ in
                if call.hasPrefix("GET /2020-05-31/distribution?") || call == "GET /2020-05-31/distribution" {
                    // Two pages: the second asked for by the first's NextMarker.
                    let second = call.contains("Marker=E3KNOWN")
                    let items =
                        second
                        ? [
                            summary("E4NEW", comment: "cloud health dashboard", modified: "2023-11-14T22:20:00.000Z"),
                            summary("E5NEW", comment: "cloud health dashboard", modified: "2023-11-14T22:21:00.000Z"),
                        ]
                        : [
                            summary("E1OLD", comment: "cloud health dashboard", modified: "2023-11-14T22:00:00Z"),
                            summary("E2OTHER", comment: "another", modified: "2023-11-14T22:20:00.000Z"),
                            summary("E3KNOWN", comment: "cloud health dashboard", modified: "2023-11-14T22:20:00.000Z"),
                        ]
                    let more = second ? "<IsTruncated>false</IsTruncated>" : "<IsTruncated>true</IsTruncated><NextMarker>E3KNOWN</NextMarker>"
                    return (
                        200, [:],
                        "<DistributionList>\(more)<Quantity>\(items.count)</Quantity><Items>\(items.joined())</Items></DistributionList>"
                    )
                }
                if call.hasPrefix("GET /2020-05-31/tagging") {
                    let mine = ourIDs.contains { call.hasSuffix("%2F\($0)") }
                    return (200, [:], "<Tags>\(mine ? ours : "<Items/>")</Tags>")
                }
                return (200, ["ETag": "E"], Self.liveXML())
            }
        }
        let since = Date(timeIntervalSince1970: 1_700_000_000)  // 2023-11-14T22:13:20Z
        let attributes = ProviderTesting.attributes(of: Self.frontend())
        let one = transport(ourIDs: ["E1OLD", "E3KNOWN", "E4NEW"])
        let provider = CloudFrontDistributionProvider(client: .scripted(one, clock: SteppingClock()))
        let found = try await provider.findInterruptedCreate(attributes, ownership: ownership, since: since, excluding: ["E3KNOWN"])
        #expect(found?.id == "E4NEW")
        let lists = one.calls.filter { $0 == "GET /2020-05-31/distribution" || $0.hasPrefix("GET /2020-05-31/distribution?") }
        #expect(lists == ["GET /2020-05-31/distribution", "GET /2020-05-31/distribution?Marker=E3KNOWN"], "both pages: \(one.calls)")
        // Only the fitting ones' tags are read: not the old one's, the other comment's or the known one's.
        let tagReads = one.calls.filter { $0.hasPrefix("GET /2020-05-31/tagging") }.map { $0.components(separatedBy: "%2F").last ?? "" }
        #expect(tagReads == ["E4NEW", "E5NEW", "E4NEW"])  // the last by the read of the one found

        let two = CloudFrontDistributionProvider(client: .scripted(transport(ourIDs: ["E4NEW", "E5NEW"]), clock: SteppingClock()))
        let error = await #expect(throws: RecoveryAmbiguity.self) {
            try await two.findInterruptedCreate(attributes, ownership: ownership, since: since, excluding: [])
        }
        #expect(error?.candidates == ["E4NEW", "E5NEW"])
        #expect(error?.description.contains("cairn import STACK ADDRESS DISTRIBUTION_ID") == true)
    }

    /// A create whose first answer is lost (a 503 after CloudFront acted) is retried, and CloudFront refuses the retry as
    /// DistributionAlreadyExists (its CallerReference was sent before): the create returns the distribution made for that
    /// CallerReference, found among the recent ones with the declared comment, and never one made for another reference.
    /// When none carries it, the refusal stands.
    @Test func aRetriedCreateRefusedAsADuplicateReturnsTheOneItMade() async throws {
        let reference = "cairn-80000000800000008000000080000000"  // FixedRandom(value: 0.5)
        @Sendable func summary(_ id: String, comment: String, modified: String) -> String {
            "<DistributionSummary><Id>\(id)</Id><ARN>arn:aws:cloudfront::123456789012:distribution/\(id)</ARN><LastModifiedTime>\(modified)</LastModifiedTime><Comment>\(comment)</Comment></DistributionSummary>"
        }
        func transport(made: String?) -> ScriptedRESTTransport {
            ScriptedRESTTransport { call, count in
                switch call {
                case "POST /2020-05-31/distribution?WithTags":
                    return count == 0 ? Self.error(503, "ServiceUnavailable") : Self.error(409, "DistributionAlreadyExists")
                case "GET /2020-05-31/distribution":
                    // The clock reads 2023-11-14T22:13:20Z: E1OLD is older than the create by more than any clock skew.
                    let items = [
                        summary("E1OLD", comment: "cloud health dashboard", modified: "2023-11-14T21:00:00Z"),
                        summary("E2OTHER", comment: "another", modified: "2023-11-14T22:13:30Z"),
                        summary("E3TWIN", comment: "cloud health dashboard", modified: "2023-11-14T22:13:25Z"),
                        summary("E4MINE", comment: "cloud health dashboard", modified: "2023-11-14T22:13:30Z"),
                    ]
                    return (
                        200, [:],
                        "<DistributionList><IsTruncated>false</IsTruncated><Quantity>4</Quantity><Items>\(items.joined())</Items></DistributionList>"
                    )
                case let config where config.hasSuffix("/config"):
                    let id = config.components(separatedBy: "/").dropLast().last ?? ""
                    let carried = id == made ? reference : "cairn-\(id)"
                    return (200, ["ETag": "E"], "<DistributionConfig><CallerReference>\(carried)</CallerReference></DistributionConfig>")
                default:
                    return (
                        200, ["ETag": "E"],
                        "<Distribution><Id>E4MINE</Id><ARN>arn:aws:cloudfront::123456789012:distribution/E4MINE</ARN><DomainName>d4.cloudfront.net</DomainName></Distribution>"
                    )
                }
            }
        }
        let attributes = ProviderTesting.attributes(of: Self.frontend())
        let mine = transport(made: "E4MINE")
        let created = try await CloudFrontDistributionProvider(client: .scripted(mine, clock: SteppingClock())).create(attributes)
        #expect(created.id == "E4MINE")
        #expect(created.outputs["domainName"] == "d4.cloudfront.net")
        // Only the recent ones with the declared comment are read, until the one with this CallerReference.
        #expect(
            mine.calls == [
                "POST /2020-05-31/distribution?WithTags", "POST /2020-05-31/distribution?WithTags", "GET /2020-05-31/distribution",
                "GET /2020-05-31/distribution/E3TWIN/config", "GET /2020-05-31/distribution/E4MINE/config", "GET /2020-05-31/distribution/E4MINE",
            ])
        let posts = mine.requests.filter { $0.method == "POST" }.map { String(decoding: $0.body, as: UTF8.self) }
        #expect(posts.count == 2 && posts.allSatisfy { $0.contains("<CallerReference>\(reference)</CallerReference>") })

        let none = CloudFrontDistributionProvider(client: .scripted(transport(made: nil), clock: SteppingClock()))
        let refused = await #expect(throws: AWSServiceError.self) { try await none.create(attributes) }
        #expect(refused?.code == "DistributionAlreadyExists")
    }

    // MARK: Validation

    /// Bad input is refused by `validate()`, which makes no API call, in one sentence naming the attribute.
    @Test func validationNamesTheAttribute() {
        #expect(Self.frontend().validate().isEmpty, "\(Self.frontend().validate())")
        func issues(_ change: (inout Distribution) -> Void) -> [String] {
            var distribution = Self.frontend()
            change(&distribution)
            return distribution.validate().map(\.description)
        }
        let address = "aws_cloudfront_distribution.frontend"
        #expect(
            issues { $0.origins = [] } == [
                "\(address): origins: a distribution needs at least one origin: add one, like .s3(id:domainName:originAccessControl:).",
                "\(address): defaultCacheBehavior.targetOriginId: 'frontend-s3' is not the id of any origin: name one of the distribution's origins.",
            ])
        #expect(
            issues { $0.defaultCacheBehavior.targetOriginId = "api" } == [
                "\(address): defaultCacheBehavior.targetOriginId: 'api' is not the id of any origin ('frontend-s3'): name one of the distribution's origins."
            ])
        #expect(
            issues { $0.defaultRootObject = "/index.html" } == [
                "\(address): defaultRootObject: '/index.html' begins with '/': CloudFront wants the object's name alone, like \"index.html\"."
            ])
        #expect(
            issues { $0.customErrorResponses = [.init(errorCode: 302), .init(errorCode: 600, responseCode: 299, responsePagePath: "index.html")] }
                == [
                    "\(address): customErrorResponses[0].errorCode: 302 is not an error code CloudFront replaces: use one of 400, 403, 404, 405, 414, 416, 500, 501, 502, 503, 504.",
                    "\(address): customErrorResponses[1].errorCode: 600 is not an error code CloudFront replaces: use one of 400, 403, 404, 405, 414, 416, 500, 501, 502, 503, 504.",
                    "\(address): customErrorResponses[1].responseCode: 299 is not a status CloudFront answers with: use 200 or one of 400, 403, 404, 405, 414, 416, 500, 501, 502, 503, 504.",
                    "\(address): customErrorResponses[1].responsePagePath: 'index.html' must begin with '/', like \"/index.html\".",
                ])
        #expect(
            issues { $0.customErrorResponses = [.init(errorCode: 404, responseCode: 200), .init(errorCode: 404, errorCachingMinTTL: -1)] } == [
                "\(address): customErrorResponses[0]: responseCode and responsePagePath go together: give both (200 and \"/index.html\" for a single-page app) or neither.",
                "\(address): customErrorResponses[1].errorCode: 404 has two responses: keep one per error code.",
                "\(address): customErrorResponses[1].errorCachingMinTTL: -1 seconds is outside 0 to 31536000 (a year): CloudFront caches errors for 10 by default.",
            ])
        #expect(
            issues {
                $0.defaultCacheBehavior.allowedMethods = .getHead
                $0.defaultCacheBehavior.cachedMethods = .getHeadOptions
            } == [
                "\(address): defaultCacheBehavior.cachedMethods: OPTIONS is cached but not allowed: allow it too (allowedMethods: .getHeadOptions or .all) or cache .getHead."
            ])
        #expect(
            issues { $0.origins.append(.s3(id: "frontend-s3", domainName: "site.s3-website-us-east-1.amazonaws.com", originPath: "app/")) } == [
                "\(address): origins[1].id: 'frontend-s3' is the id of two origins: ids must be unique.",
                "\(address): origins[1].domainName: 'site.s3-website-us-east-1.amazonaws.com' is an S3 website endpoint, which an S3 origin cannot use: use the bucket's REST endpoint (regionalDomainName) with an origin access control, or a custom origin for the website.",
                "\(address): origins[1].originPath: 'app/' must begin with '/' and not end with one, like \"/frontend\".",
            ])
        #expect(
            issues { $0.aliases = ["www.example.com", "Bad_Name"] } == [
                "\(address): aliases[1]: 'Bad_Name' is not a lower-case domain name, like \"www.example.com\" or \"*.example.com\".",
                "\(address): certificate: aliases need a certificate that covers them: add certificate: .acm(arn:) with an ACM certificate from us-east-1.",
            ])
        #expect(
            issues { $0.certificate = .acm(arn: "arn:aws:acm:eu-west-1:123456789012:certificate/abc") } == [
                "\(address): certificate: the certificate is in eu-west-1, and CloudFront takes ACM certificates from us-east-1 only: request or import it there."
            ])
        #expect(
            issues { $0.comment = String(repeating: "c", count: 129) } == [
                "\(address): comment: the comment has 129 characters; CloudFront allows 128."
            ])
        #expect(
            issues { $0.origins = [.custom(id: "frontend-s3", domainName: "https://api.example.com", httpsPort: 444, sslProtocols: [])] } == [
                "\(address): origins[0].domainName: 'https://api.example.com' is not a host name: give the origin's host alone, like \"bucket.s3.us-east-1.amazonaws.com\".",
                "\(address): origins[0].customOriginConfig.httpsPort: 444 is not a port CloudFront connects to: use 80, 443, or 1024 to 65535.",
                "\(address): origins[0].customOriginConfig.sslProtocols: no TLS version is allowed: add one, like .tlsV12.",
            ])
        #expect(issues { $0.tags = ["cairn:stack": "x"] }.count == 1)
    }

    /// The caller reference is unique per create and fixed by the client's random source.
    @Test func callerReferencesComeFromTheRandomSource() {
        #expect(CloudFrontDistributionProvider.callerReference(FixedRandom(value: 0)) == "cairn-00000000000000000000000000000000")
        #expect(CloudFrontDistributionProvider.callerReference(FixedRandom(value: 0.999_999_999_9)) == "cairn-ffffffffffffffffffffffffffffffff")
        #expect(CloudFrontWire.account(inARN: "arn:aws:cloudfront:123456789012:distribution/E1") == "123456789012")
        #expect(CloudFrontWire.account(inARN: "arn:aws:cloudfront::123456789012:distribution/E1") == "123456789012")
    }
}
