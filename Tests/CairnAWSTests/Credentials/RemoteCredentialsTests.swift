import CairnSigner
import Foundation
import TestSupport
import Testing

@testable import CairnAWS

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

private let credentialsJSON =
    #"{"AccessKeyId":"ASIAREMOTE","SecretAccessKey":"remote-secret","Token":"remote-token","Expiration":"2023-11-15T04:13:20Z"}"#
private let remoteCredentials = Credentials(
    accessKeyID: "ASIAREMOTE", secretAccessKey: "remote-secret", sessionToken: "remote-token",
    expiration: Date(timeIntervalSince1970: 1_700_021_600))

/// Resolves with the real transport (these tests talk to stub servers and moto).
/// The clock is fixed (2023-11-14T22:13:20Z) so that the fixtures' expiry times lie ahead; jitter 0 means a retry never sleeps.
private func resolve(_ home: TemporaryHome, _ environment: [String: String], profile: String? = nil) throws -> AWSConfiguration {
    try AWSConfiguration.resolve(
        environment: home.environment(["AWS_REGION": "us-east-1"].merging(environment) { $1 }), profile: profile,
        clock: FakeClock(), random: FixedRandom(0))
}

@Suite struct ContainerCredentialsTests {
    @Test(.integration) func fullURIWithAuthorizationToken() async throws {
        let stub = try await StubServer.start([.json(200, credentialsJSON, headers: ["Content-Type": "application/json"])])
        defer { stub.stop() }
        let home = try TemporaryHome()
        defer { home.remove() }
        let uri = stub.endpoint.absoluteString + "/v2/credentials/task-1?x=1"
        let configuration = try resolve(home, ["AWS_CONTAINER_CREDENTIALS_FULL_URI": uri, "AWS_CONTAINER_AUTHORIZATION_TOKEN": "Basic c2VjcmV0"])
        #expect(configuration.credentials.source == "the container credentials endpoint (ECS / CodeBuild)")
        #expect(try await configuration.credentials.credentials() == remoteCredentials)
        // Cached until close to expiry: a second call does not ask again.
        #expect(try await configuration.credentials.credentials() == remoteCredentials)
        let requests = try await stub.requests()
        #expect(requests.count == 1)
        #expect(requests.first?.method == "GET")
        #expect(requests.first?.target == "/v2/credentials/task-1?x=1")
        #expect(requests.first?.header("Authorization") == "Basic c2VjcmV0")
    }

    @Test(.integration) func theTokenFileWinsOverTheTokenVariable() async throws {
        let stub = try await StubServer.start([.json(200, credentialsJSON)])
        defer { stub.stop() }
        let home = try TemporaryHome()
        defer { home.remove() }
        let tokenFile = try home.file("eks-token", "token-from-file\n")
        let configuration = try resolve(
            home,
            [
                "AWS_CONTAINER_CREDENTIALS_FULL_URI": stub.endpoint.absoluteString + "/creds",
                "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE": tokenFile, "AWS_CONTAINER_AUTHORIZATION_TOKEN": "token-from-variable",
            ])
        #expect(try await configuration.credentials.credentials().accessKeyID == "ASIAREMOTE")
        #expect(try await stub.requests().first?.header("Authorization") == "token-from-file")
    }

    @Test func anUnreadableTokenFileIsAnError() async throws {
        let home = try TemporaryHome()
        defer { home.remove() }
        let configuration = try resolve(
            home,
            [
                "AWS_CONTAINER_CREDENTIALS_FULL_URI": "http://127.0.0.1:1/creds", "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE": home.path + "/missing",
            ])
        let error = try #require(await capture(CredentialsError.self) { try await configuration.credentials.credentials() })
        #expect(error.message == "Cannot read AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE \(home.path)/missing: check that it exists and is readable.")
    }

    @Test func relativeURIGoesToTheECSAgent() async throws {
        let home = try TemporaryHome()
        defer { home.remove() }
        let transport = FakeTransport([.json(200, credentialsJSON)])
        let configuration = try AWSConfiguration.resolve(
            environment: home.environment(["AWS_REGION": "us-east-1", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI": "/v2/credentials/abc"]),
            transport: transport)
        #expect(try await configuration.credentials.credentials() == remoteCredentials)
        let request = try #require(await transport.requests.first)
        #expect(request.url.absoluteString == "http://169.254.170.2/v2/credentials/abc")
        #expect(request.header("Authorization") == nil)
    }

    @Test(.integration) func anErrorAnswerIsAClearError() async throws {
        let stub = try await StubServer.start([.http(status: 500, body: "agent not ready")])
        defer { stub.stop() }
        let home = try TemporaryHome()
        defer { home.remove() }
        let uri = stub.endpoint.absoluteString + "/creds"
        let configuration = try resolve(home, ["AWS_CONTAINER_CREDENTIALS_FULL_URI": uri])
        let error = try #require(await capture(CredentialsError.self) { try await configuration.credentials.credentials() })
        #expect(error.message == "the container credentials endpoint \(uri) answered HTTP 500: agent not ready")
        let missingKeys = try await StubServer.start([.json(200, #"{"Code":"Success"}"#)])
        defer { missingKeys.stop() }
        let other = try resolve(home, ["AWS_CONTAINER_CREDENTIALS_FULL_URI": missingKeys.endpoint.absoluteString])
        let parseError = try #require(await capture(CredentialsError.self) { try await other.credentials.credentials() })
        #expect(parseError.message == "the container credentials endpoint answered without AccessKeyId and SecretAccessKey.")
    }

    @Test(.integration) func containerCredentialsSignRequests() async throws {
        let stub = try await StubServer.start([.json(200, credentialsJSON)])
        defer { stub.stop() }
        let home = try TemporaryHome()
        defer { home.remove() }
        let transport = FakeTransport([.callerIdentity])
        let configuration = try resolve(home, ["AWS_CONTAINER_CREDENTIALS_FULL_URI": stub.endpoint.absoluteString + "/creds"])
        _ = try await configuration.client(transport: transport, clock: FakeClock()).callerIdentity()
        let request = try #require(await transport.requests.first)
        #expect(request.header("Authorization")?.hasPrefix("AWS4-HMAC-SHA256 Credential=ASIAREMOTE/") == true)
        #expect(request.header("X-Amz-Security-Token") == "remote-token")
    }
}

@Suite struct InstanceMetadataCredentialsTests {
    @Test(.integration) func imdsV2TokenThenRoleThenCredentials() async throws {
        let stub = try await StubServer.start([
            .http(status: 200, headers: ["Content-Type": "text/plain"], body: "imds-session-token"),
            .http(status: 200, headers: ["Content-Type": "text/plain"], body: "my-instance-role\n"),
            .json(200, credentialsJSON, headers: ["Content-Type": "text/plain"]),
        ])
        defer { stub.stop() }
        let home = try TemporaryHome()
        defer { home.remove() }
        let configuration = try resolve(
            home, ["AWS_EC2_METADATA_DISABLED": "false", "AWS_EC2_METADATA_SERVICE_ENDPOINT": stub.endpoint.absoluteString])
        #expect(configuration.credentials.source == "EC2 instance metadata (IMDSv2)")
        #expect(try await configuration.credentials.credentials() == remoteCredentials)
        let requests = try await stub.requests()
        #expect(
            requests.map { "\($0.method) \($0.target)" } == [
                "PUT /latest/api/token",
                "GET /latest/meta-data/iam/security-credentials/",
                "GET /latest/meta-data/iam/security-credentials/my-instance-role",
            ])
        #expect(requests[0].header("X-aws-ec2-metadata-token-ttl-seconds") == "21600")
        #expect(requests[0].header("X-aws-ec2-metadata-token") == nil)
        #expect(requests[1].header("X-aws-ec2-metadata-token") == "imds-session-token")
        #expect(requests[2].header("X-aws-ec2-metadata-token") == "imds-session-token")
    }

    @Test(.integration) func noInstanceRoleIsAClearError() async throws {
        let stub = try await StubServer.start([.http(status: 200, body: "tok"), .http(status: 200, body: "")])
        defer { stub.stop() }
        let home = try TemporaryHome()
        defer { home.remove() }
        let configuration = try resolve(home, ["AWS_EC2_METADATA_DISABLED": "", "AWS_EC2_METADATA_SERVICE_ENDPOINT": stub.endpoint.absoluteString])
        let error = try #require(await capture(CredentialsError.self) { try await configuration.credentials.credentials() })
        #expect(error.message.hasPrefix("No AWS credentials found: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, "))
        #expect(
            error.message.hasSuffix(
                "(the EC2 instance metadata service at \(stub.endpoint.absoluteString) lists no instance role: attach an instance profile to the instance.)"
            ))
    }

    @Test func anUnreachableMetadataServiceSaysSo() async throws {
        let closed = try ClosedLoopbackPort()
        defer { closed.close() }
        let port = closed.port
        let home = try TemporaryHome()
        defer { home.remove() }
        let configuration = try resolve(
            home, ["AWS_EC2_METADATA_DISABLED": "false", "AWS_EC2_METADATA_SERVICE_ENDPOINT": "http://127.0.0.1:\(port)"])
        let error = try #require(await capture(CredentialsError.self) { try await configuration.credentials.credentials() })
        #expect(
            error.message.hasPrefix(
                "No AWS credentials found: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, set AWS_PROFILE to a profile in \(home.credentialsPath) or \(home.configPath), or run where a container or instance role provides them. (the EC2 instance metadata service at http://127.0.0.1:\(port) did not answer ("
            ))
        #expect(error.message.components(separatedBy: "No AWS credentials found").count == 2)  // said once
    }

    @Test func disabledMeansNoLookup() throws {
        let home = try TemporaryHome()
        defer { home.remove() }
        for value in ["true", "TRUE"] {
            let error = #expect(throws: CredentialsError.self) { try resolve(home, ["AWS_EC2_METADATA_DISABLED": value]) }
            #expect(error?.message.hasPrefix("No AWS credentials found: ") == true)
        }
    }
}

@Suite struct WebIdentityCredentialsTests {
    static let answer = """
        <AssumeRoleWithWebIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
          <AssumeRoleWithWebIdentityResult>
            <Credentials>
              <AccessKeyId>ASIAWEB</AccessKeyId><SecretAccessKey>web-secret</SecretAccessKey>
              <SessionToken>web-token</SessionToken><Expiration>2023-11-15T04:13:20.123Z</Expiration>
            </Credentials>
          </AssumeRoleWithWebIdentityResult>
        </AssumeRoleWithWebIdentityResponse>
        """

    @Test(.integration) func theRequestIsUnsignedAndCarriesTheToken() async throws {
        let stub = try await StubServer.start([.xml(200, Self.answer)])
        defer { stub.stop() }
        let home = try TemporaryHome()
        defer { home.remove() }
        let tokenFile = try home.file("token", "eyJhbGciOiJSUzI1NiJ9.payload.sig\n")
        let configuration = try resolve(
            home,
            [
                "AWS_ENDPOINT_URL": stub.endpoint.absoluteString, "AWS_WEB_IDENTITY_TOKEN_FILE": tokenFile,
                "AWS_ROLE_ARN": "arn:aws:iam::123456789012:role/ci", "AWS_ROLE_SESSION_NAME": "build-7",
            ])
        #expect(configuration.credentials.source == "web identity (AWS_WEB_IDENTITY_TOKEN_FILE, role arn:aws:iam::123456789012:role/ci)")
        let credentials = try await configuration.credentials.credentials()
        #expect(credentials.accessKeyID == "ASIAWEB")
        #expect(credentials.secretAccessKey == "web-secret")
        #expect(credentials.sessionToken == "web-token")
        // Fractional seconds are understood.
        let expiration = try #require(credentials.expiration)
        #expect(abs(expiration.timeIntervalSince1970 - 1_700_021_600.123) < 0.001)
        let request = try #require(try await stub.requests().first)
        #expect(request.header("Authorization") == nil)
        #expect(request.header("X-Amz-Security-Token") == nil)
        #expect(
            request.formParameters == [
                "Action": "AssumeRoleWithWebIdentity", "Version": "2011-06-15", "RoleArn": "arn:aws:iam::123456789012:role/ci",
                "RoleSessionName": "build-7", "WebIdentityToken": "eyJhbGciOiJSUzI1NiJ9.payload.sig",
            ])
    }

    @Test(.integration) func aProfileWithWebIdentityTokenFile() async throws {
        let stub = try await StubServer.start([.xml(200, Self.answer)])
        defer { stub.stop() }
        let home = try TemporaryHome()
        defer { home.remove() }
        let tokenFile = try home.file("token", "profile-token")
        try home.write(
            config: "[profile oidc]\nrole_arn = arn:aws:iam::123456789012:role/oidc\nweb_identity_token_file = \(tokenFile)\nrole_session_name = s1\n"
        )
        let configuration = try resolve(home, ["AWS_PROFILE": "oidc", "AWS_ENDPOINT_URL": stub.endpoint.absoluteString])
        #expect(configuration.credentials.source == "profile 'oidc': web identity for role arn:aws:iam::123456789012:role/oidc")
        #expect(try await configuration.credentials.credentials().accessKeyID == "ASIAWEB")
        let request = try #require(try await stub.requests().first)
        #expect(request.header("Authorization") == nil)
        #expect(request.formParameters["WebIdentityToken"] == "profile-token")
        #expect(request.formParameters["RoleSessionName"] == "s1")
    }

    @Test func misconfigurationsAreClearErrors() async throws {
        let home = try TemporaryHome()
        defer { home.remove() }
        let noRole = #expect(throws: CredentialsError.self) { try resolve(home, ["AWS_WEB_IDENTITY_TOKEN_FILE": home.path + "/token"]) }
        #expect(noRole?.message == "AWS_WEB_IDENTITY_TOKEN_FILE is set but AWS_ROLE_ARN is not: set the role to assume with the token.")

        let configuration = try resolve(
            home,
            [
                "AWS_WEB_IDENTITY_TOKEN_FILE": home.path + "/missing", "AWS_ROLE_ARN": "arn:aws:iam::123456789012:role/ci",
                "AWS_ENDPOINT_URL": "http://127.0.0.1:1",
            ])
        let error = try #require(await capture(CredentialsError.self) { try await configuration.credentials.credentials() })
        #expect(
            error.message
                == "Cannot read the web identity token file \(home.path)/missing (AWS_WEB_IDENTITY_TOKEN_FILE or web_identity_token_file): check that it exists and is readable."
        )
    }

    /// moto checks signatures, and an unsigned request fails its check (HTTP 500), so a private server lets exactly one
    /// unauthenticated call through (`/moto-api/reset-auth`): the web identity call. Everything after it is checked.
    @Test(.integration) func againstMotoTheAssumedRoleIsTheIdentity() async throws {
        let moto = try await MotoServer.start()
        defer { moto.stop() }
        var request = URLRequest(url: moto.endpoint.appendingPathComponent("moto-api/reset-auth"))
        request.httpMethod = "POST"
        request.setValue("text/plain", forHTTPHeaderField: "Content-Type")  // moto reads the raw body, not a form
        request.httpBody = Data("1".utf8)
        let (_, response) = try await URLSession.shared.data(for: request)
        #expect((response as? HTTPURLResponse)?.statusCode == 200)

        let home = try TemporaryHome()
        defer { home.remove() }
        let tokenFile = try home.file("token", "any-token-moto-accepts")
        let configuration = try resolve(
            home,
            [
                "AWS_ENDPOINT_URL": moto.endpoint.absoluteString, "AWS_WEB_IDENTITY_TOKEN_FILE": tokenFile,
                "AWS_ROLE_ARN": "arn:aws:iam::\(moto.account):role/github-actions", "AWS_ROLE_SESSION_NAME": "run-42",
            ])
        let identity = try await configuration.client(clock: FakeClock(), random: FixedRandom(0)).callerIdentity()
        #expect(identity.arn == "arn:aws:sts::\(moto.account):assumed-role/github-actions/run-42")
        #expect(identity.account == moto.account)
        // The web identity call really was the one unauthenticated call: a wrong key is refused again.
        let (_, wrong) = try await motoClientFor(moto, key: "AKIAWRONGWRONGWRONG0")
        #expect(await capture(AWSServiceError.self) { try await wrong.callerIdentity() }?.code == "InvalidClientTokenId")
    }

    private func motoClientFor(_ moto: MotoServer, key: String) async throws -> (MotoServer, AWSClient) {
        let configuration = try AWSConfiguration.resolve(environment: moto.environment(extra: ["AWS_ACCESS_KEY_ID": key]))
        return (moto, configuration.client())
    }
}

@Suite(.integration) struct AssumeRoleMotoTests {
    /// Creates a role that the test admin user may assume and returns its ARN.
    private func createRole(_ moto: MotoServer) async throws -> (name: String, arn: String) {
        let name = uniqueName("deploy")
        let trust =
            #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::\#(moto.account):user/\#(moto.userName)"},"Action":"sts:AssumeRole"}]}"#
        let created = try await moto.awsJSON(["iam", "create-role", "--role-name", name, "--assume-role-policy-document", trust])
        let arn = try #require(created["Role"]["Arn"].string)
        return (name, arn)
    }

    /// moto's environment (endpoint, region, an empty HOME) without its access key variables, and with these profile files.
    private func environment(_ moto: MotoServer, config: String, credentials: String, keepKeys: Bool = false) throws -> [String: String] {
        var environment = moto.environment()
        if !keepKeys {
            environment["AWS_ACCESS_KEY_ID"] = nil
            environment["AWS_SECRET_ACCESS_KEY"] = nil
        }
        let configFile = try #require(environment["AWS_CONFIG_FILE"])
        let credentialsFile = try #require(environment["AWS_SHARED_CREDENTIALS_FILE"])
        try FileManager.default.createDirectory(atPath: (configFile as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try Data(config.utf8).write(to: URL(fileURLWithPath: configFile))
        try Data(credentials.utf8).write(to: URL(fileURLWithPath: credentialsFile))
        return environment
    }

    @Test func roleArnWithSourceProfile() async throws {
        let moto = try await MotoServer.shared()
        let role = try await createRole(moto)
        let environment = try environment(
            moto,
            config: "[profile deploy]\nrole_arn = \(role.arn)\nsource_profile = base\nrole_session_name = cairn-test\n",
            credentials: "[base]\naws_access_key_id = \(moto.accessKeyID)\naws_secret_access_key = \(moto.secretAccessKey)\n")
        let configuration = try AWSConfiguration.resolve(environment: environment.merging(["AWS_PROFILE": "deploy"]) { $1 })
        #expect(
            configuration.credentials.source
                == "profile 'deploy': role \(role.arn) assumed with profile 'base' in \(environment["AWS_SHARED_CREDENTIALS_FILE"]!)")
        let credentials = try await configuration.credentials.credentials()
        #expect(credentials.accessKeyID.hasPrefix("ASIA"))
        #expect(credentials.sessionToken?.isEmpty == false)
        #expect(credentials.expiration != nil)
        let identity = try await configuration.client().callerIdentity()
        #expect(identity.arn == "arn:aws:sts::\(moto.account):assumed-role/\(role.name)/cairn-test")
    }

    @Test func credentialSourceEnvironment() async throws {
        let moto = try await MotoServer.shared()
        let role = try await createRole(moto)
        let environment = try environment(
            moto, config: "[profile ci]\nrole_arn = \(role.arn)\ncredential_source = Environment\nrole_session_name = from-env\n",
            credentials: "", keepKeys: true)
        // With the key variables set, the profile must be named explicitly (as with the AWS CLI).
        let configuration = try AWSConfiguration.resolve(environment: environment, profile: "ci")
        #expect(configuration.credentials.source == "profile 'ci': role \(role.arn) assumed with environment variables")
        let identity = try await configuration.client().callerIdentity()
        #expect(identity.arn == "arn:aws:sts::\(moto.account):assumed-role/\(role.name)/from-env")
        // Through AWS_PROFILE the variables win and no role is assumed.
        let viaVariable = try AWSConfiguration.resolve(environment: environment.merging(["AWS_PROFILE": "ci"]) { $1 })
        #expect(try await viaVariable.client().callerIdentity().arn == "arn:aws:iam::\(moto.account):user/\(moto.userName)")
    }
}
