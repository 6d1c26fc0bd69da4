import CairnJSON
import CairnSigner
import Foundation
import TestSupport
import Testing

@testable import CairnAWS

/// IAM Identity Center profiles: the token cache `aws sso login` writes, OIDC refresh and the portal's
/// GetRoleCredentials, answered by a scripted transport.
@Suite struct SSOCredentialsTests {
    static let config = """
        [profile dev]
        sso_session = corp
        sso_account_id = 123456789012
        sso_role_name = Deployer
        region = eu-west-1

        [sso-session corp]
        sso_start_url = https://corp.awsapps.com/start
        sso_region = eu-central-1

        [profile old]
        sso_start_url = https://legacy.awsapps.com/start
        sso_region = us-east-1
        sso_account_id = 210987654321
        sso_role_name = ReadOnly

        [profile lost]
        sso_session = nowhere
        sso_account_id = 1
        sso_role_name = R
        """

    /// A token as `aws sso login` caches it (botocore's field names and time format).
    static func token(expiresAt: String, refresh: Bool) -> String {
        let registration =
            refresh
            ? #", "clientId": "client-1", "clientSecret": "client-secret-1", "registrationExpiresAt": "2024-02-01T00:00:00Z", "refreshToken": "refresh-1""#
            : ""
        return
            #"{"startUrl": "https://corp.awsapps.com/start", "region": "eu-central-1", "accessToken": "access-1", "expiresAt": "\#(expiresAt)"\#(registration)}"#
    }

    static let roleCredentials: FakeTransport.Outcome = .json(
        200,
        #"{"roleCredentials": {"accessKeyId": "ASIASSO", "secretAccessKey": "sso-secret", "sessionToken": "sso-token", "expiration": 1700003600000}}"#
    )

    private func write(_ home: TemporaryHome, key: String, _ text: String) throws -> String {
        let directory = home.url.appendingPathComponent(".aws/sso/cache")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let path = directory.appendingPathComponent("\(key).json").path
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    private func resolve(
        _ home: TemporaryHome, profile: String, transport: FakeTransport, clock: FakeClock = FakeClock()
    ) throws
        -> AWSConfiguration
    {
        try AWSConfiguration.resolve(
            environment: home.environment(["AWS_REGION": "us-east-1"]), profile: profile, transport: transport, clock: clock, random: FixedRandom(0))
    }

    @Test func cacheKeysAreBotocores() throws {
        // From botocore.utils.SSOTokenLoader._generate_cache_key (SSOIntegrationTests checks it against botocore itself).
        let config = SharedConfig(
            configPath: "c", credentialsPath: "k", config: try INIFile(parsing: Self.config, path: "c"),
            credentials: try INIFile(parsing: "", path: "k"))
        #expect(try SSOProfile.from(config, profile: "dev")?.cacheKey == "ee0bfd2552fbd840c02cc48b6e823320543c450f")
        #expect(try SSOProfile.from(config, profile: "old")?.cacheKey == "79e435d7a515078e81c9dffc35f38d5687ebd3a7")
    }

    @Test func aValidTokenGetsRoleCredentials() async throws {
        let home = try TemporaryHome()
        defer { home.remove() }
        try home.write(config: Self.config)
        _ = try write(home, key: "ee0bfd2552fbd840c02cc48b6e823320543c450f", Self.token(expiresAt: "2023-11-15T06:13:20Z", refresh: false))
        let transport = FakeTransport([Self.roleCredentials])
        let configuration = try resolve(home, profile: "dev", transport: transport)
        #expect(configuration.credentials.source == "profile 'dev' (IAM Identity Center session 'corp')")
        #expect(
            try await configuration.credentials.credentials()
                == Credentials(accessKeyID: "ASIASSO", secretAccessKey: "sso-secret", sessionToken: "sso-token", expiration: FakeClock.epoch + 3600))
        #expect(configuration.credentials.source == "profile 'dev' (IAM Identity Center session 'corp', token cached until 06:13 UTC)")
        let request = try #require(await transport.requests.first)
        #expect(request.method == "GET")
        #expect(
            request.url.absoluteString
                == "https://portal.sso.eu-central-1.amazonaws.com/federation/credentials?role_name=Deployer&account_id=123456789012")
        #expect(request.headers.first { $0.name == "x-amz-sso_bearer_token" }?.value == "access-1")
        #expect(!request.headers.contains { $0.name == "Authorization" })
    }

    @Test func anExpiringTokenIsRefreshedThroughOIDCAndWrittenBack() async throws {
        let home = try TemporaryHome()
        defer { home.remove() }
        try home.write(config: Self.config)
        let path = try write(home, key: "ee0bfd2552fbd840c02cc48b6e823320543c450f", Self.token(expiresAt: "2023-11-14T22:00:00Z", refresh: true))
        let transport = FakeTransport([
            .json(200, #"{"accessToken": "access-2", "tokenType": "Bearer", "expiresIn": 28800, "refreshToken": "refresh-2"}"#),
            Self.roleCredentials,
        ])
        let configuration = try resolve(home, profile: "dev", transport: transport)
        #expect(try await configuration.credentials.credentials().accessKeyID == "ASIASSO")
        let requests = await transport.requests
        #expect(requests.map(\.url.absoluteString).first == "https://oidc.eu-central-1.amazonaws.com/token")
        let body = try JSON(parsing: [UInt8](requests[0].body))
        #expect(
            body == ["grantType": "refresh_token", "clientId": "client-1", "clientSecret": "client-secret-1", "refreshToken": "refresh-1"])
        #expect(requests[0].headers.first { $0.name == "Content-Type" }?.value == "application/json")
        #expect(requests[1].headers.first { $0.name == "x-amz-sso_bearer_token" }?.value == "access-2")
        let cached = try JSON(parsing: [UInt8](try Data(contentsOf: URL(fileURLWithPath: path))))
        #expect(cached["accessToken"] == "access-2")
        #expect(cached["refreshToken"] == "refresh-2")
        #expect(cached["expiresAt"] == "2023-11-15T06:13:20Z")
        #expect(cached["clientSecret"] == "client-secret-1")
        let mode = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
        #expect(mode == 0o600)
        #expect(configuration.credentials.source == "profile 'dev' (IAM Identity Center session 'corp', token cached until 06:13 UTC)")
    }

    @Test func theLegacyFormReadsTheCacheByStartURL() async throws {
        let home = try TemporaryHome()
        defer { home.remove() }
        try home.write(config: Self.config)
        _ = try write(home, key: "79e435d7a515078e81c9dffc35f38d5687ebd3a7", Self.token(expiresAt: "2023-11-15T06:13:20Z", refresh: false))
        let transport = FakeTransport([Self.roleCredentials])
        let configuration = try resolve(home, profile: "old", transport: transport)
        #expect(try await configuration.credentials.credentials().accessKeyID == "ASIASSO")
        #expect(
            configuration.credentials.source
                == "profile 'old' (IAM Identity Center start URL https://legacy.awsapps.com/start, token cached until 06:13 UTC)")
        #expect(await transport.requests.first?.url.host == "portal.sso.us-east-1.amazonaws.com")
    }

    @Test func noUsableTokenAsksForASignIn() async throws {
        let home = try TemporaryHome()
        defer { home.remove() }
        try home.write(config: Self.config)
        let advice = "to refresh it, run `aws sso login --profile dev`."
        let noCache = try resolve(home, profile: "dev", transport: FakeTransport([]))
        let missing = await capture(CredentialsError.self) { try await noCache.credentials.credentials() }
        let path = home.url.appendingPathComponent(".aws/sso/cache/ee0bfd2552fbd840c02cc48b6e823320543c450f.json").path
        #expect(
            missing?.message
                == "The SSO session associated with profile 'dev' has expired or is otherwise invalid (no cached token in \(path)): \(advice)")

        _ = try write(home, key: "ee0bfd2552fbd840c02cc48b6e823320543c450f", Self.token(expiresAt: "2023-11-14T20:00:00Z", refresh: false))
        let transport = FakeTransport([])
        let expired = try resolve(home, profile: "dev", transport: transport)
        let error = await capture(CredentialsError.self) { try await expired.credentials.credentials() }
        #expect(
            error?.message
                == "The SSO session associated with profile 'dev' has expired or is otherwise invalid (the cached token expired at 2023-11-14T20:00:00Z and holds no refresh token): \(advice)"
        )
        #expect(await transport.requestCount == 0)

        // A token the portal refuses is the same advice.
        _ = try write(home, key: "ee0bfd2552fbd840c02cc48b6e823320543c450f", Self.token(expiresAt: "2023-11-15T06:13:20Z", refresh: false))
        let refused = try resolve(
            home, profile: "dev",
            transport: FakeTransport([
                .status(401, #"{"message":"Session token not found or invalid"}"#, headers: ["x-amzn-ErrorType": "UnauthorizedException"])
            ]))
        let refusal = await capture(CredentialsError.self) { try await refused.credentials.credentials() }
        #expect(
            refusal?.message
                == "The SSO session associated with profile 'dev' has expired or is otherwise invalid (IAM Identity Center refused the cached token): \(advice)"
        )
    }

    @Test func aMissingSSOSessionIsOneSentence() throws {
        let home = try TemporaryHome()
        defer { home.remove() }
        try home.write(config: Self.config)
        let error = #expect(throws: CredentialsError.self) { try resolve(home, profile: "lost", transport: FakeTransport([])) }
        #expect(
            error?.message
                == "Profile 'lost' names sso_session 'nowhere', which is not defined: add an [sso-session nowhere] section to \(home.configPath) (`aws configure sso-session` writes one) or fix the name."
        )
        try home.write(config: "[profile half]\nsso_start_url = https://x.awsapps.com/start\nsso_role_name = R\n")
        let half = #expect(throws: CredentialsError.self) { try resolve(home, profile: "half", transport: FakeTransport([])) }
        #expect(
            half?.message
                == "Profile 'half' signs in with IAM Identity Center but lacks sso_region in profile 'half', sso_account_id: add it to \(home.configPath) (`aws configure sso --profile half` writes them)."
        )
    }
}
