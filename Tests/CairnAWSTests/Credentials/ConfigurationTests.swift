import CairnSigner
import Foundation
import TestSupport
import Testing

@testable import CairnAWS

/// `AWSConfiguration.resolve`: the credential chain, the region and where each came from, offline.
@Suite struct CredentialChainTests {
    static let profiles = """
        [default]
        aws_access_key_id = AKIADEFAULT
        aws_secret_access_key = default-secret

        [dev]
        aws_access_key_id = AKIADEV
        aws_secret_access_key = dev-secret
        aws_session_token = dev-token
        """

    private func resolve(
        _ home: TemporaryHome, _ environment: [String: String] = [:], profile: String? = nil,
        region: String? = "us-east-1", transport: FakeTransport = FakeTransport([])
    ) throws -> AWSConfiguration {
        let environment = region.map { ["AWS_REGION": $0].merging(environment) { $1 } } ?? environment
        return try AWSConfiguration.resolve(
            environment: home.environment(environment), profile: profile,
            transport: transport, clock: FakeClock(), random: FixedRandom(0.5))
    }

    @Test func environmentKeys() async throws {
        let home = try TemporaryHome()
        defer { home.remove() }
        let configuration = try resolve(
            home, ["AWS_ACCESS_KEY_ID": "AKIAENV", "AWS_SECRET_ACCESS_KEY": "env-secret", "AWS_SESSION_TOKEN": "env-token"])
        #expect(
            try await configuration.credentials.credentials()
                == Credentials(accessKeyID: "AKIAENV", secretAccessKey: "env-secret", sessionToken: "env-token"))
        #expect(configuration.credentials.source == "environment variables (AWS_ACCESS_KEY_ID)")
        #expect(configuration.profile == "default")

        let noToken = try resolve(home, ["AWS_ACCESS_KEY_ID": "AKIAENV", "AWS_SECRET_ACCESS_KEY": "env-secret", "AWS_SESSION_TOKEN": ""])
        #expect(try await noToken.credentials.credentials().sessionToken == nil)
    }

    @Test func anAccessKeyWithoutSecretIsAnError() throws {
        let home = try TemporaryHome()
        defer { home.remove() }
        let error = #expect(throws: CredentialsError.self) { try resolve(home, ["AWS_ACCESS_KEY_ID": "AKIAENV"]) }
        #expect(error?.message == "AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not: set both, or unset AWS_ACCESS_KEY_ID to use a profile.")
    }

    @Test func environmentKeysWinOverProfilesUnlessAProfileIsNamedExplicitly() async throws {
        let home = try TemporaryHome()
        defer { home.remove() }
        try home.write(credentials: Self.profiles)
        let keys = ["AWS_ACCESS_KEY_ID": "AKIAENV", "AWS_SECRET_ACCESS_KEY": "env-secret"]

        // The default profile, and AWS_PROFILE, lose to the variables (as in the AWS CLI).
        #expect(try await resolve(home, keys).credentials.credentials().accessKeyID == "AKIAENV")
        let viaVariable = try resolve(home, keys.merging(["AWS_PROFILE": "dev"]) { $1 })
        #expect(viaVariable.profile == "dev")
        #expect(try await viaVariable.credentials.credentials().accessKeyID == "AKIAENV")

        // --profile wins over them.
        let explicit = try resolve(home, keys, profile: "dev")
        #expect(explicit.profile == "dev")
        #expect(
            try await explicit.credentials.credentials()
                == Credentials(accessKeyID: "AKIADEV", secretAccessKey: "dev-secret", sessionToken: "dev-token"))
        #expect(explicit.credentials.source == "profile 'dev' in \(home.credentialsPath)")
        // --profile also wins over AWS_PROFILE.
        #expect(try resolve(home, keys.merging(["AWS_PROFILE": "nope"]) { $1 }, profile: "default").profile == "default")
    }

    @Test func awsProfileSelectsTheProfile() async throws {
        let home = try TemporaryHome()
        defer { home.remove() }
        try home.write(credentials: Self.profiles)
        let dev = try resolve(home, ["AWS_PROFILE": "dev"])
        #expect(try await dev.credentials.credentials().accessKeyID == "AKIADEV")
        #expect(dev.credentials.source == "profile 'dev' in \(home.credentialsPath)")
        let fallback = try resolve(home)
        #expect(try await fallback.credentials.credentials().accessKeyID == "AKIADEFAULT")
        #expect(fallback.credentials.source == "profile 'default' in \(home.credentialsPath)")
        // An empty AWS_PROFILE is unset.
        #expect(try resolve(home, ["AWS_PROFILE": ""]).profile == "default")
    }

    @Test func anUnknownProfileIsAnError() throws {
        let home = try TemporaryHome()
        defer { home.remove() }
        try home.write(credentials: Self.profiles)
        let fromVariable = #expect(throws: AWSConfigurationError.self) { try resolve(home, ["AWS_PROFILE": "staging"]) }
        #expect(
            fromVariable?.message
                == "The profile 'staging' (from AWS_PROFILE) is not in \(home.configPath) or \(home.credentialsPath): add it with `aws configure --profile staging`, or name an existing profile."
        )
        let fromFlag = #expect(throws: AWSConfigurationError.self) {
            try resolve(home, ["AWS_ACCESS_KEY_ID": "AKIAENV", "AWS_SECRET_ACCESS_KEY": "s"], profile: "staging")
        }
        #expect(
            fromFlag?.message
                == "The profile 'staging' (from --profile) is not in \(home.configPath) or \(home.credentialsPath): add it with `aws configure --profile staging`, or name an existing profile."
        )
    }

    @Test func profileKeysFromTheConfigFile() async throws {
        let home = try TemporaryHome()
        defer { home.remove() }
        try home.write(
            config: """
                [profile cfg]
                aws_access_key_id = AKIACFG
                aws_secret_access_key = cfg-secret
                region = eu-west-2
                """)
        let configuration = try resolve(home, ["AWS_PROFILE": "cfg"], region: nil)
        #expect(try await configuration.credentials.credentials() == Credentials(accessKeyID: "AKIACFG", secretAccessKey: "cfg-secret"))
        #expect(configuration.credentials.source == "profile 'cfg' in \(home.configPath)")
        #expect(configuration.region == "eu-west-2")
        #expect(configuration.regionSource == "profile 'cfg' in \(home.configPath)")
    }

    @Test func roleProfilesThatCannotWorkAreErrors() throws {
        let home = try TemporaryHome()
        defer { home.remove() }
        let role = "role_arn = arn:aws:iam::123456789012:role/deploy"
        try home.write(
            config: """
                [profile loop-a]
                \(role)
                source_profile = loop-b
                [profile loop-b]
                \(role)
                source_profile = loop-a
                [profile self]
                \(role)
                source_profile = self
                [profile dangling]
                \(role)
                source_profile = missing
                [profile empty-source]
                \(role)
                source_profile = nothing-here
                [profile nothing-here]
                region = us-east-1
                [profile no-source]
                \(role)
                [profile bad-source]
                \(role)
                credential_source = Laptop
                [profile env-source]
                \(role)
                credential_source = Environment
                """)
        let cases: [(String, String)] = [
            ("loop-a", "The profiles loop-a → loop-b → loop-a form a source_profile loop: break it in \(home.configPath)."),
            ("self", "The profiles self → self form a source_profile loop: break it in \(home.configPath)."),
            (
                "dangling",
                "Profile 'dangling' names source_profile 'missing', which is not defined: add it to \(home.credentialsPath) or fix the name."
            ),
            (
                "empty-source",
                "Profile 'nothing-here' (source_profile of 'empty-source') has no credentials: add aws_access_key_id and aws_secret_access_key, credential_process or an IAM Identity Center sign-in to it."
            ),
            ("no-source", "Profile 'no-source' sets role_arn without source_profile or credential_source: add one of them to \(home.configPath)."),
            ("bad-source", "Profile 'bad-source' has credential_source = Laptop: use Environment, EcsContainer or Ec2InstanceMetadata."),
            ("env-source", "Profile 'env-source' has credential_source = Environment but AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY are not set."),
        ]
        for (profile, message) in cases {
            let error = #expect(throws: CredentialsError.self, "\(profile)") { try resolve(home, ["AWS_PROFILE": profile]) }
            #expect(error?.message == message)
        }
    }

    @Test func aSelfReferencingRoleProfileUsesItsOwnKeys() async throws {
        let home = try TemporaryHome()
        defer { home.remove() }
        try home.write(
            config: "[profile ops]\nrole_arn = arn:aws:iam::123456789012:role/ops\nsource_profile = ops\nrole_session_name = me\n",
            credentials: "[ops]\naws_access_key_id = AKIAOPS\naws_secret_access_key = ops-secret\n")
        let transport = FakeTransport([.xml(200, Self.assumeRoleAnswer)])
        let configuration = try resolve(home, ["AWS_PROFILE": "ops", "AWS_ENDPOINT_URL": "http://sts.test"], transport: transport)
        #expect(
            configuration.credentials.source
                == "profile 'ops': role arn:aws:iam::123456789012:role/ops assumed with profile 'ops' in \(home.credentialsPath)")
        let credentials = try await configuration.credentials.credentials()
        #expect(
            credentials
                == Credentials(
                    accessKeyID: "ASIAASSUMED", secretAccessKey: "assumed-secret", sessionToken: "assumed-token",
                    expiration: Date(timeIntervalSince1970: 1_700_003_600)))
        let request = try #require(await transport.requests.first)
        #expect(
            String(decoding: request.body, as: UTF8.self)
                == "Action=AssumeRole&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fops&RoleSessionName=me")
        #expect(request.header("Authorization")?.hasPrefix("AWS4-HMAC-SHA256 Credential=AKIAOPS/20231114/us-east-1/sts/aws4_request") == true)
    }

    @Test func assumeRoleOptionsAreSent() async throws {
        let home = try TemporaryHome()
        defer { home.remove() }
        try home.write(
            config: """
                [profile deploy]
                role_arn = arn:aws:iam::123456789012:role/deploy
                source_profile = base
                external_id = ext-42
                duration_seconds = 1800
                """,
            credentials: "[base]\naws_access_key_id = AKIABASE\naws_secret_access_key = base-secret\n")
        let transport = FakeTransport([.xml(200, Self.assumeRoleAnswer)])
        let configuration = try resolve(home, ["AWS_PROFILE": "deploy", "AWS_ENDPOINT_URL": "http://sts.test"], transport: transport)
        _ = try await configuration.credentials.credentials()
        let request = try #require(await transport.requests.first)
        // The default session name is cairn-<unix time> at the injected clock.
        #expect(
            String(decoding: request.body, as: UTF8.self)
                == "Action=AssumeRole&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fdeploy&RoleSessionName=cairn-1700000000&ExternalId=ext-42&DurationSeconds=1800"
        )
        #expect(
            configuration.credentials.source
                == "profile 'deploy': role arn:aws:iam::123456789012:role/deploy assumed with profile 'base' in \(home.credentialsPath)")
    }

    @Test func aChainOfRolesAssumesEachInTurn() async throws {
        let home = try TemporaryHome()
        defer { home.remove() }
        try home.write(
            config: """
                [profile first]
                role_arn = arn:aws:iam::123456789012:role/first
                source_profile = base
                [profile second]
                role_arn = arn:aws:iam::210987654321:role/second
                source_profile = first
                """,
            credentials: "[base]\naws_access_key_id = AKIABASE\naws_secret_access_key = base-secret\n")
        let transport = FakeTransport([.xml(200, Self.assumeRoleAnswer), .xml(200, Self.assumeRoleAnswer)])
        let configuration = try resolve(home, ["AWS_PROFILE": "second", "AWS_ENDPOINT_URL": "http://sts.test"], transport: transport)
        _ = try await configuration.credentials.credentials()
        let requests = await transport.requests
        #expect(requests.count == 2)
        // First hop signed with the base keys for role/first, second hop with the first role's session.
        #expect(String(decoding: requests[0].body, as: UTF8.self).contains("RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Ffirst"))
        #expect(requests[0].header("Authorization")?.contains("Credential=AKIABASE/") == true)
        #expect(String(decoding: requests[1].body, as: UTF8.self).contains("RoleArn=arn%3Aaws%3Aiam%3A%3A210987654321%3Arole%2Fsecond"))
        #expect(requests[1].header("Authorization")?.contains("Credential=ASIAASSUMED/") == true)
        #expect(requests[1].header("X-Amz-Security-Token") == "assumed-token")
    }

    @Test func noCredentialsAtAll() throws {
        let home = try TemporaryHome()
        defer { home.remove() }
        let error = #expect(throws: CredentialsError.self) { try resolve(home) }
        #expect(
            error?.message
                == "No AWS credentials found: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, set AWS_PROFILE to a profile in \(home.credentialsPath) or \(home.configPath), or run where a container or instance role provides them."
        )
        // A profile without keys falls through the chain to the same message.
        try home.write(config: "[default]\nregion = us-east-1\n")
        #expect(throws: CredentialsError.self) { try resolve(home) }
    }

    static let assumeRoleAnswer = """
        <AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
          <AssumeRoleResult>
            <Credentials>
              <AccessKeyId>ASIAASSUMED</AccessKeyId>
              <SecretAccessKey>assumed-secret</SecretAccessKey>
              <SessionToken>assumed-token</SessionToken>
              <Expiration>2023-11-14T23:13:20Z</Expiration>
            </Credentials>
            <AssumedRoleUser><Arn>arn:aws:sts::123456789012:assumed-role/r/s</Arn><AssumedRoleId>AROA:s</AssumedRoleId></AssumedRoleUser>
          </AssumeRoleResult>
        </AssumeRoleResponse>
        """
}

@Suite struct RegionTests {
    private func resolve(
        _ home: TemporaryHome, _ environment: [String: String], profile: String? = nil, region: String? = nil,
        stackRegion: String? = nil
    ) throws -> AWSConfiguration {
        try AWSConfiguration.resolve(
            environment: home.environment(["AWS_ACCESS_KEY_ID": "AKIA", "AWS_SECRET_ACCESS_KEY": "s"].merging(environment) { $1 }),
            profile: profile, region: region, stackRegion: stackRegion, transport: FakeTransport([]))
    }

    /// One rule, each step tested: `--region`, the stack's declared region, `AWS_REGION`,
    /// `AWS_DEFAULT_REGION`, the profile's `region`.
    @Test func precedence() throws {
        let home = try TemporaryHome()
        defer { home.remove() }
        try home.write(
            config: "[default]\nregion = eu-west-1\n[profile other]\nregion = ap-northeast-1\n",
            credentials: "[other]\naws_access_key_id = AKIAOTHER\naws_secret_access_key = s\n")
        let all = ["AWS_REGION": "us-west-2", "AWS_DEFAULT_REGION": "us-east-2"]

        let fromFlag = try resolve(home, all, region: "ca-central-1", stackRegion: "sa-east-1")
        #expect(fromFlag.region == "ca-central-1")
        #expect(fromFlag.regionSource == "--region")
        let fromStack = try resolve(home, all, stackRegion: "sa-east-1")
        #expect(fromStack.region == "sa-east-1")
        #expect(fromStack.regionSource == "the stack's declared region")
        let fromRegion = try resolve(home, all)
        #expect(fromRegion.region == "us-west-2")
        #expect(fromRegion.regionSource == "AWS_REGION")
        let fromDefault = try resolve(home, ["AWS_DEFAULT_REGION": "us-east-2", "AWS_REGION": ""])
        #expect(fromDefault.region == "us-east-2")
        #expect(fromDefault.regionSource == "AWS_DEFAULT_REGION")
        let fromProfile = try resolve(home, [:])
        #expect(fromProfile.region == "eu-west-1")
        #expect(fromProfile.regionSource == "profile 'default' in \(home.configPath)")
        let fromOther = try resolve(home, [:], profile: "other")
        #expect(fromOther.region == "ap-northeast-1")
        #expect(fromOther.regionSource == "profile 'other' in \(home.configPath)")
    }

    @Test func noRegionIsAnError() throws {
        let home = try TemporaryHome()
        defer { home.remove() }
        let error = #expect(throws: AWSConfigurationError.self) { try resolve(home, [:]) }
        #expect(
            error?.message == "No AWS region is set: set AWS_REGION (or AWS_DEFAULT_REGION), or `region` in profile 'default' of \(home.configPath).")
    }

    @Test(arguments: ["us-east", "US-EAST-1", "us_east_1", "useast1", "us-east-1 ", "eu-west-1a"])
    func invalidRegionIsAnError(region: String) throws {
        let home = try TemporaryHome()
        defer { home.remove() }
        let error = #expect(throws: AWSConfigurationError.self) { try resolve(home, ["AWS_REGION": region]) }
        #expect(error?.message.hasPrefix("The region '\(region)' (from AWS_REGION) is not an AWS region name such as us-east-1") == true)
        #expect(error?.message.hasSuffix(": fix it, or set CAIRN_SKIP_REGION_VALIDATION=1 for a region AWS opened since.") == true)
    }

    /// A name of the right shape that botocore's endpoint data does not list: named with the nearest
    /// listed regions, from wherever it came; the escape hatch lets a newer region through.
    @Test func unlistedRegionIsAnError() throws {
        let home = try TemporaryHome()
        defer { home.remove() }
        let typo = #expect(throws: AWSConfigurationError.self) { try resolve(home, [:], stackRegion: "eu-nort-1") }
        #expect(
            typo?.message
                == "The region 'eu-nort-1' (from the stack's declared region) is not one of the aws partition's regions in this build's endpoint data (did you mean eu-north-1?): fix it, or set CAIRN_SKIP_REGION_VALIDATION=1 for a region AWS opened since."
        )
        let unknown = #expect(throws: AWSConfigurationError.self) { try resolve(home, [:], region: "us-east-7") }
        #expect(unknown?.message.hasPrefix("The region 'us-east-7' (from --region) is not one of the aws partition's regions") == true)
        #expect(try resolve(home, ["CAIRN_SKIP_REGION_VALIDATION": "1"], region: "us-east-7").region == "us-east-7")
        #expect(AWSPartition.of(region: "cn-north-1")?.dnsSuffix == "amazonaws.com.cn")
        #expect(AWSPartition.of(region: "us-gov-west-1")?.name == "aws-us-gov")
        #expect(AWSPartition.of(region: "us-east-7")?.name == "aws")
    }

    @Test(arguments: ["us-east-1", "eu-central-2", "ap-southeast-4", "us-gov-west-1", "cn-northwest-1", "il-central-1", "us-isob-east-1"])
    func validRegions(region: String) throws {
        let home = try TemporaryHome()
        defer { home.remove() }
        #expect(try resolve(home, ["AWS_REGION": region]).region == region)
    }
}
