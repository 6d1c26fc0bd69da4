import CairnSigner
import Foundation
import TestSupport
import Testing

@testable import CairnAWS

/// IAM Identity Center end to end: botocore's own cache-key rule, a portal stub (a local HTTP server) answering
/// GetRoleCredentials with moto's keys, then one call to moto with them.
@Suite(.integration) struct SSOIntegrationTests {
    @Test func theCacheKeyIsBotocoresOwn() async throws {
        let script = """
            from botocore.utils import SSOTokenLoader
            l = SSOTokenLoader()
            print(l._generate_cache_key('https://corp.awsapps.com/start', 'corp'))
            print(l._generate_cache_key('https://legacy.awsapps.com/start', None))
            """
        let result = try await runProcess(executable: "/usr/bin/env", arguments: ["python3", "-c", script])
            .requireSuccess("python3 with botocore (scripts/install-deps installs it)")
        let config = SharedConfig(
            configPath: "c", credentialsPath: "k", config: try INIFile(parsing: SSOCredentialsTests.config, path: "c"),
            credentials: try INIFile(parsing: "", path: "k"))
        let ours = [try SSOProfile.from(config, profile: "dev")?.cacheKey, try SSOProfile.from(config, profile: "old")?.cacheKey]
        #expect(result.stdout.split(separator: "\n").map(String.init) == ours.compactMap { $0 })
    }

    @Test func portalCredentialsSignARealCall() async throws {
        let moto = try await MotoServer.shared()
        let expiration = Int64((Date().timeIntervalSince1970 + 3600) * 1000)
        let portal = try await StubServer.start([
            .json(
                200,
                #"{"roleCredentials": {"accessKeyId": "\#(moto.accessKeyID)", "secretAccessKey": "\#(moto.secretAccessKey)", "expiration": \#(expiration)}}"#
            )
        ])
        defer { portal.stop() }
        var environment = moto.environment(extra: ["AWS_ENDPOINT_URL_SSO": portal.endpoint.absoluteString])
        environment["AWS_ACCESS_KEY_ID"] = nil
        environment["AWS_SECRET_ACCESS_KEY"] = nil
        let home = try #require(environment["HOME"])
        let configFile = try #require(environment["AWS_CONFIG_FILE"])
        try FileManager.default.createDirectory(atPath: (configFile as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try Data(SSOCredentialsTests.config.utf8).write(to: URL(fileURLWithPath: configFile))
        let cache = home + "/.aws/sso/cache"
        try FileManager.default.createDirectory(atPath: cache, withIntermediateDirectories: true)
        let expiresAt = formatTimestamp(Date().addingTimeInterval(8 * 3600))
        try Data(SSOCredentialsTests.token(expiresAt: expiresAt, refresh: false).utf8)
            .write(to: URL(fileURLWithPath: cache + "/ee0bfd2552fbd840c02cc48b6e823320543c450f.json"))

        let configuration = try AWSConfiguration.resolve(environment: environment, profile: "dev")
        let identity = try await configuration.client().callerIdentity()
        #expect(identity.account == moto.account)
        #expect(configuration.credentials.source.hasPrefix("profile 'dev' (IAM Identity Center session 'corp', token cached until "))
        let request = try #require(try await portal.requests().first)
        #expect(request.target == "/federation/credentials?role_name=Deployer&account_id=123456789012")
        #expect(request.header("x-amz-sso_bearer_token") == "access-1")
        #expect(request.header("authorization") == nil)
    }
}
