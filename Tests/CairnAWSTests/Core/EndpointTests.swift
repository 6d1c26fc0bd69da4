import Foundation
import TestSupport
import Testing

@testable import CairnAWS

@Suite struct EndpointResolutionTests {
    private func resolver(_ environment: [String: String], config: String? = nil, profile: String? = "default") throws -> EndpointResolver {
        let home = try TemporaryHome()
        defer { home.remove() }
        if let config { try home.write(config: config) }
        let shared = try SharedConfig.load(environment: home.environment())
        return try EndpointResolver.from(environment: environment, config: shared, profile: profile)
    }

    @Test func awsEndpointURLAppliesToEveryService() throws {
        let endpoints = try resolver(["AWS_ENDPOINT_URL": "http://localhost:4566"])
        for service in ServiceModel.all {
            let endpoint = endpoints.resolve(service, region: "eu-west-3")
            #expect(endpoint.url.absoluteString == "http://localhost:4566", "\(service.serviceID)")
            #expect(endpoint.isCustom)
            #expect(endpoint.source == "AWS_ENDPOINT_URL")
        }
        #expect(endpoints.resolve(.ecr, region: "eu-west-3").signingRegion == "eu-west-3")
        // IAM still signs for its home region.
        #expect(endpoints.resolve(.iam, region: "eu-west-3").signingRegion == "us-east-1")
    }

    @Test func serviceVariablesUseBotocoresNames() throws {
        // botocore: AWS_ENDPOINT_URL_ + the service id, spaces as underscores, upper-cased.
        let expected: [(ServiceModel, String)] = [
            (.sts, "STS"), (.iam, "IAM"), (.s3, "S3"), (.ecr, "ECR"), (.ecs, "ECS"), (.codeBuild, "CODEBUILD"),
            (.codePipeline, "CODEPIPELINE"), (.cloudWatchLogs, "CLOUDWATCH_LOGS"), (.ssm, "SSM"), (.secretsManager, "SECRETS_MANAGER"),
            (.sns, "SNS"), (.cloudWatch, "CLOUDWATCH"), (.ec2, "EC2"), (.eventBridge, "EVENTBRIDGE"), (.kms, "KMS"),
            (.dynamoDB, "DYNAMODB"), (.codeCommit, "CODECOMMIT"), (.cloudFront, "CLOUDFRONT"), (.sso, "SSO"), (.ssoOIDC, "SSO_OIDC"),
        ]
        #expect(expected.count == ServiceModel.all.count)
        for (service, suffix) in expected {
            #expect(service.endpointEnvironmentSuffix == suffix)
            let endpoints = try resolver(["AWS_ENDPOINT_URL_\(suffix)": "http://127.0.0.1:9000/\(suffix.lowercased())"])
            let endpoint = endpoints.resolve(service, region: "us-west-2")
            #expect(endpoint.url.absoluteString == "http://127.0.0.1:9000/\(suffix.lowercased())")
            #expect(endpoint.isCustom)
            #expect(endpoint.source == "AWS_ENDPOINT_URL_\(suffix)")
        }
        #expect(ServiceModel.cloudWatchLogs.configSectionKey == "cloudwatch_logs")
        #expect(ServiceModel.secretsManager.configSectionKey == "secrets_manager")
    }

    @Test func aServiceVariableWinsOverTheGlobalOneForThatServiceOnly() throws {
        let endpoints = try resolver([
            "AWS_ENDPOINT_URL": "http://localhost:4566", "AWS_ENDPOINT_URL_S3": "http://localhost:9000",
            "AWS_ENDPOINT_URL_CODEBUILD": "https://codebuild.internal.example",
        ])
        #expect(
            endpoints.resolve(.s3, region: "us-east-1")
                == ResolvedEndpoint(
                    url: URL(string: "http://localhost:9000")!, isCustom: true, signingRegion: "us-east-1", source: "AWS_ENDPOINT_URL_S3"))
        #expect(endpoints.resolve(.codeBuild, region: "us-east-1").url.absoluteString == "https://codebuild.internal.example")
        #expect(endpoints.resolve(.sts, region: "us-east-1").url.absoluteString == "http://localhost:4566")
        #expect(endpoints.resolve(.sts, region: "us-east-1").source == "AWS_ENDPOINT_URL")
    }

    @Test func profileEndpointURLAndServicesSection() throws {
        let config = """
            [profile dev]
            region = eu-west-1
            endpoint_url = http://localhost:4566
            services = local

            [services local]
            s3 =
              endpoint_url = http://localhost:9000
            cloudwatch_logs =
              endpoint_url = http://localhost:9001
            """
        let endpoints = try resolver([:], config: config, profile: "dev")
        let s3 = endpoints.resolve(.s3, region: "eu-west-1")
        #expect(s3.url.absoluteString == "http://localhost:9000")
        #expect(s3.source.hasPrefix("endpoint_url for s3 in profile dev's services ("))
        #expect(endpoints.resolve(.cloudWatchLogs, region: "eu-west-1").url.absoluteString == "http://localhost:9001")
        let sts = endpoints.resolve(.sts, region: "eu-west-1")
        #expect(sts.url.absoluteString == "http://localhost:4566")
        #expect(sts.source.hasPrefix("endpoint_url of profile dev ("))
        #expect(sts.isCustom)

        // The environment outranks the profile, as in botocore: service variable, global variable, then the profile.
        let overridden = try resolver(
            ["AWS_ENDPOINT_URL_S3": "http://env-s3:1", "AWS_ENDPOINT_URL": "http://env-all:2"], config: config, profile: "dev")
        #expect(overridden.resolve(.s3, region: "eu-west-1").url.absoluteString == "http://env-s3:1")
        #expect(overridden.resolve(.cloudWatchLogs, region: "eu-west-1").url.absoluteString == "http://env-all:2")
        #expect(overridden.resolve(.sts, region: "eu-west-1").url.absoluteString == "http://env-all:2")
        let serviceOnly = try resolver(["AWS_ENDPOINT_URL_STS": "http://env-sts:3"], config: config, profile: "dev")
        #expect(serviceOnly.resolve(.sts, region: "eu-west-1").url.absoluteString == "http://env-sts:3")
        #expect(serviceOnly.resolve(.s3, region: "eu-west-1").url.absoluteString == "http://localhost:9000")
        #expect(serviceOnly.resolve(.ecr, region: "eu-west-1").url.absoluteString == "http://localhost:4566")

        // Another profile sees none of it.
        let other = try resolver([:], config: config + "\n[default]\nregion = us-east-1\n", profile: "default")
        #expect(!other.resolve(.s3, region: "us-east-1").isCustom)
    }

    @Test func ignoreConfiguredEndpointURLs() throws {
        let config = "[default]\nendpoint_url = http://localhost:4566\n"
        for value in ["true", "TRUE", "1"] {
            let endpoints = try resolver(
                [
                    "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": value, "AWS_ENDPOINT_URL": "http://localhost:1",
                    "AWS_ENDPOINT_URL_S3": "http://localhost:2",
                ], config: config)
            #expect(endpoints.resolve(.s3, region: "us-east-1").url.absoluteString == "https://s3.us-east-1.amazonaws.com")
            #expect(endpoints.resolve(.sts, region: "us-east-1").url.absoluteString == "https://sts.us-east-1.amazonaws.com")
            #expect(!endpoints.resolve(.sts, region: "us-east-1").isCustom)
        }
        let kept = try resolver(["AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": "false", "AWS_ENDPOINT_URL": "http://localhost:1"])
        #expect(kept.resolve(.sts, region: "us-east-1").url.absoluteString == "http://localhost:1")
        // The profile setting, as in botocore; the variable outranks it.
        let ignoringProfile = "[default]\nendpoint_url = http://localhost:4566\nignore_configured_endpoint_urls = true\n"
        #expect(!(try resolver(["AWS_ENDPOINT_URL": "http://localhost:1"], config: ignoringProfile).resolve(.sts, region: "us-east-1").isCustom))
        #expect(
            try resolver(["AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": "false"], config: ignoringProfile)
                .resolve(.sts, region: "us-east-1").url.absoluteString == "http://localhost:4566")
    }

    @Test func awsStandardEndpoints() {
        let endpoints = EndpointResolver()
        #expect(
            endpoints.resolve(.sts, region: "eu-central-1")
                == ResolvedEndpoint(
                    url: URL(string: "https://sts.eu-central-1.amazonaws.com")!, isCustom: false, signingRegion: "eu-central-1",
                    source: "AWS's standard endpoint"))
        #expect(endpoints.resolve(.ecr, region: "ap-southeast-2").url.absoluteString == "https://api.ecr.ap-southeast-2.amazonaws.com")
        #expect(endpoints.resolve(.cloudWatch, region: "us-west-2").url.absoluteString == "https://monitoring.us-west-2.amazonaws.com")
        #expect(endpoints.resolve(.cloudWatchLogs, region: "us-west-2").url.absoluteString == "https://logs.us-west-2.amazonaws.com")
        // S3 is regional.
        #expect(
            endpoints.resolve(.s3, region: "eu-west-1")
                == ResolvedEndpoint(
                    url: URL(string: "https://s3.eu-west-1.amazonaws.com")!, isCustom: false, signingRegion: "eu-west-1",
                    source: "AWS's standard endpoint"))
        // IAM is global and signs for us-east-1 whatever the region.
        #expect(
            endpoints.resolve(.iam, region: "eu-west-1")
                == ResolvedEndpoint(
                    url: URL(string: "https://iam.amazonaws.com")!, isCustom: false, signingRegion: "us-east-1", source: "AWS's standard endpoint"))
        // Other partitions: each global service has one host there, as botocore's endpoints.json lists it.
        #expect(endpoints.resolve(.iam, region: "cn-northwest-1").url.absoluteString == "https://iam.cn-north-1.amazonaws.com.cn")
        #expect(endpoints.resolve(.iam, region: "cn-northwest-1").signingRegion == "cn-north-1")
        #expect(endpoints.resolve(.iam, region: "us-gov-east-1").url.absoluteString == "https://iam.us-gov.amazonaws.com")
        #expect(endpoints.resolve(.iam, region: "us-gov-east-1").signingRegion == "us-gov-west-1")
        #expect(endpoints.resolve(.ecr, region: "us-iso-east-1").url.absoluteString == "https://api.ecr.us-iso-east-1.c2s.ic.gov")
        #expect(endpoints.resolve(.s3, region: "cn-north-1").url.absoluteString == "https://s3.cn-north-1.amazonaws.com.cn")
        // The AWS European Sovereign Cloud: its own partition and DNS suffix, no global hosts in botocore's data.
        #expect(AWSPartition.of(region: "eusc-de-east-1")?.name == "aws-eusc")
        #expect(endpoints.resolve(.ecr, region: "eusc-de-east-1").url.absoluteString == "https://api.ecr.eusc-de-east-1.amazonaws.eu")
        #expect(endpoints.resolve(.iam, region: "eusc-de-east-1").url.absoluteString == "https://iam.eusc-de-east-1.amazonaws.eu")
        #expect(endpoints.resolve(.iam, region: "eusc-de-east-1").signingRegion == "eusc-de-east-1")
        #expect(endpoints.resolve(.s3, region: "eusc-de-east-1").url.absoluteString == "https://s3.eusc-de-east-1.amazonaws.eu")
        // Each partition's name is the ARN prefix its resources carry.
        #expect(
            ["us-east-1", "cn-north-1", "us-gov-west-1", "eusc-de-east-1"].map { AWSPartition.of(region: $0)?.name } == [
                "aws", "aws-cn", "aws-us-gov", "aws-eusc",
            ])
    }

    /// CloudFront is global: cloudfront.amazonaws.com signed for us-east-1 from any region of the aws partition, and
    /// its China endpoint (in cn-northwest-1) from either Chinese region; an emulator is signed the same way.
    @Test func cloudFrontIsGlobalInEachPartition() {
        let endpoints = EndpointResolver()
        for region in ["us-east-1", "eu-west-3", "ap-southeast-2"] {
            #expect(
                endpoints.resolve(.cloudFront, region: region)
                    == ResolvedEndpoint(
                        url: URL(string: "https://cloudfront.amazonaws.com")!, isCustom: false, signingRegion: "us-east-1",
                        source: "AWS's standard endpoint"))
        }
        for region in ["cn-north-1", "cn-northwest-1"] {
            let endpoint = endpoints.resolve(.cloudFront, region: region)
            #expect(endpoint.url.absoluteString == "https://cloudfront.cn-northwest-1.amazonaws.com.cn")
            #expect(endpoint.signingRegion == "cn-northwest-1")
        }
        let custom = EndpointResolver(globalOverride: (URL(string: "http://127.0.0.1:4566")!, "test")).resolve(.cloudFront, region: "eu-west-1")
        #expect(custom.isCustom && custom.signingRegion == "us-east-1")
        // Regional services stay regional.
        #expect(endpoints.resolve(.sts, region: "eu-west-3").url.absoluteString == "https://sts.eu-west-3.amazonaws.com")
    }

    @Test func aMalformedEndpointIsAConfigurationError() throws {
        for (key, value) in [
            ("AWS_ENDPOINT_URL", "localhost:4566"), ("AWS_ENDPOINT_URL_S3", "ftp://files.example.com"), ("AWS_ENDPOINT_URL", "not a url"),
        ] {
            let error = #expect(throws: AWSConfigurationError.self) { try resolver([key: value]) }
            #expect(error?.message == "\(key) is \"\(value)\", which is not an http(s) URL: set it to something like https://host:port.")
        }
        let error = #expect(throws: AWSConfigurationError.self) {
            try resolver([:], config: "[profile p]\nendpoint_url = 4566\n", profile: "p")
        }
        #expect(error?.message.hasPrefix("endpoint_url of profile p (") == true)
        #expect(error?.message.hasSuffix(") is \"4566\", which is not an http(s) URL: set it to something like https://host:port.") == true)
    }

    @Test func anEmptyVariableIsUnset() throws {
        let endpoints = try resolver(["AWS_ENDPOINT_URL": "", "AWS_ENDPOINT_URL_S3": ""])
        #expect(!endpoints.resolve(.s3, region: "us-east-1").isCustom)
    }

    @Test func aClientSendsToTheResolvedEndpoint() async throws {
        let transport = FakeTransport([.callerIdentity, .callerIdentity])
        let endpoints = try resolver(["AWS_ENDPOINT_URL_STS": "http://127.0.0.1:7777/prefix"])
        let client = makeClient(transport, region: "eu-west-1", endpoints: endpoints)
        _ = try await client.callerIdentity()
        _ = try await client.withRegion("ap-south-1").callerIdentity()
        let requests = await transport.requests
        #expect(requests.map(\.url.absoluteString) == ["http://127.0.0.1:7777/prefix/", "http://127.0.0.1:7777/prefix/"])
        #expect(requests.map { $0.header("Host") } == ["127.0.0.1:7777", "127.0.0.1:7777"])
        #expect(requests[0].header("Authorization")?.contains("/eu-west-1/sts/aws4_request") == true)
        #expect(requests[1].header("Authorization")?.contains("/ap-south-1/sts/aws4_request") == true)

        let standard = FakeTransport([.callerIdentity])
        _ = try await makeClient(standard, region: "eu-west-1", endpoints: EndpointResolver()).callerIdentity()
        let request = try #require(await standard.requests.first)
        #expect(request.url.absoluteString == "https://sts.eu-west-1.amazonaws.com/")
        #expect(request.header("Host") == "sts.eu-west-1.amazonaws.com")
    }

    @Test func iamIsSignedForUSEast1FromAnyRegion() async throws {
        let transport = FakeTransport([
            .xml(200, "<ListRolesResponse><ListRolesResult><Roles/><IsTruncated>false</IsTruncated></ListRolesResult></ListRolesResponse>")
        ])
        _ = try await makeClient(transport, region: "eu-west-1", endpoints: EndpointResolver()).query(.iam.listRoles)
        let request = try #require(await transport.requests.first)
        #expect(request.url.absoluteString == "https://iam.amazonaws.com/")
        #expect(request.header("Authorization")?.contains("/us-east-1/iam/aws4_request") == true)
    }

    @Test func s3IsVirtualHostedOnAWSAndPathStyleOnCustomEndpoints() async throws {
        let aws = FakeTransport([.xml(200, "<VersioningConfiguration/>"), .xml(200, "<VersioningConfiguration/>"), .emptyBucketList])
        let onAWS = makeClient(aws, region: "eu-west-1", endpoints: EndpointResolver())
        _ = try await onAWS.restXML(.s3.getBucketVersioning, ["Bucket": "my-bucket"])
        // A name with dots cannot be a TLS host label: path style.
        _ = try await onAWS.restXML(.s3.getBucketVersioning, ["Bucket": "my.dotted.bucket"])
        _ = try await onAWS.restXML(.s3.listBuckets)
        let awsRequests = await aws.requests
        #expect(
            awsRequests.map(\.url.absoluteString) == [
                "https://my-bucket.s3.eu-west-1.amazonaws.com/?versioning",
                "https://s3.eu-west-1.amazonaws.com/my.dotted.bucket?versioning",
                "https://s3.eu-west-1.amazonaws.com/",
            ])
        #expect(awsRequests[0].header("Host") == "my-bucket.s3.eu-west-1.amazonaws.com")
        #expect(awsRequests[0].header("Authorization")?.contains("/eu-west-1/s3/aws4_request") == true)
        #expect(awsRequests[0].header("x-amz-content-sha256") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")

        let custom = FakeTransport([.xml(200, "<VersioningConfiguration/>")])
        _ = try await makeClient(custom, endpoints: EndpointResolver(globalOverride: (URL(string: "http://127.0.0.1:4566")!, "test")))
            .restXML(.s3.getBucketVersioning, ["Bucket": "my-bucket"])
        let request = try #require(await custom.requests.first)
        #expect(request.url.absoluteString == "http://127.0.0.1:4566/my-bucket?versioning")
        #expect(request.header("Host") == "127.0.0.1:4566")
    }
}
