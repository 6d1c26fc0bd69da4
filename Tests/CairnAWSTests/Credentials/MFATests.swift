import CairnSigner
import Foundation
import TestSupport
import Testing

@testable import CairnAWS

/// An MFA prompt that answers from a script and counts how often it was asked.
final class ScriptedMFAPrompt: MFAPrompt, @unchecked Sendable {
    private let state: Locked<(codes: [String], asked: [String])>
    init(_ codes: [String]) { state = Locked((codes, [])) }

    func code(serial: String, profile: String) async throws -> String {
        try state.withLock {
            $0.asked.append("\(profile) \(serial)")
            guard !$0.codes.isEmpty else { throw MFAPromptError.noTerminal(serial: serial, profile: profile) }
            return $0.codes.removeFirst()
        }
    }

    var asked: [String] { state.current.asked }
}

/// `mfa_serial` on an assume-role profile: one code, then the CLI-compatible session cache.
@Suite struct MFATests {
    static let config = """
        [profile admin]
        role_arn = arn:aws:iam::123456789012:role/admin
        source_profile = base
        mfa_serial = arn:aws:iam::123456789012:mfa/alice
        duration_seconds = 3600
        """
    static let credentials = "[base]\naws_access_key_id = AKIABASE\naws_secret_access_key = base-secret\n"

    private func resolve(
        _ home: TemporaryHome, _ transport: FakeTransport, _ prompt: ScriptedMFAPrompt, clock: FakeClock = FakeClock()
    ) throws
        -> AWSConfiguration
    {
        try AWSConfiguration.resolve(
            environment: home.environment(["AWS_REGION": "us-east-1", "AWS_ENDPOINT_URL": "http://sts.test"]), profile: "admin",
            transport: transport, clock: clock, helpers: CredentialHelpers(mfaPrompt: prompt))
    }

    @Test func theCacheKeyIsTheCLIs() {
        // botocore: sha1(json.dumps({"DurationSeconds": 3600, "RoleArn": …, "SerialNumber": …}, sort_keys=True)).
        let cache = AssumeRoleCache(
            directory: "/c", roleARN: "arn:aws:iam::123456789012:role/admin", sessionName: nil, serial: "arn:aws:iam::123456789012:mfa/alice",
            externalID: nil, durationSeconds: 3600)
        #expect(cache.path == "/c/41d4267e6179c1844ad6b311dbfbc7f0bb1311b7.json")
        #expect(AssumeRoleCache.quoted("a\"é\\") == #""a\"\u00e9\\""#)
    }

    @Test func oneCodeServesEveryRunUntilTheSessionNearsExpiry() async throws {
        let home = try TemporaryHome()
        defer { home.remove() }
        try home.write(config: Self.config, credentials: Self.credentials)
        let prompt = ScriptedMFAPrompt(["123456"])
        let transport = FakeTransport([.xml(200, CredentialChainTests.assumeRoleAnswer)])
        let configuration = try resolve(home, transport, prompt)
        #expect(
            configuration.credentials.source
                == "profile 'admin': role arn:aws:iam::123456789012:role/admin assumed with profile 'base' in \(home.credentialsPath) and MFA device arn:aws:iam::123456789012:mfa/alice"
        )
        #expect(try await configuration.credentials.credentials().accessKeyID == "ASIAASSUMED")
        #expect(prompt.asked == ["admin arn:aws:iam::123456789012:mfa/alice"])
        let body = String(decoding: try #require(await transport.requests.first).body, as: UTF8.self)
        #expect(body.hasSuffix("&DurationSeconds=3600&SerialNumber=arn%3Aaws%3Aiam%3A%3A123456789012%3Amfa%2Falice&TokenCode=123456"))
        let path = home.url.appendingPathComponent(".aws/cli/cache/41d4267e6179c1844ad6b311dbfbc7f0bb1311b7.json").path
        #expect(try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int == 0o600)

        // A second command (a new configuration, as `cairn apply` after `cairn plan`) reads the cache: no prompt, no call.
        let again = try resolve(home, FakeTransport([]), prompt)
        #expect(
            try await again.credentials.credentials()
                == Credentials(
                    accessKeyID: "ASIAASSUMED", secretAccessKey: "assumed-secret", sessionToken: "assumed-token",
                    expiration: Date(timeIntervalSince1970: 1_700_003_600)))
        #expect(prompt.asked.count == 1)

        // With 10 minutes left the session is not reused: a new code is asked for.
        let clock = FakeClock(FakeClock.epoch + 3000)
        let late = try resolve(home, FakeTransport([.xml(200, CredentialChainTests.assumeRoleAnswer)]), prompt, clock: clock)
        let error = await capture(CredentialsError.self) { try await late.credentials.credentials() }
        #expect(prompt.asked.count == 2)
        #expect(
            error?.message
                == "Profile 'admin' needs a code from the MFA device arn:aws:iam::123456789012:mfa/alice (mfa_serial) and stdin is not a terminal: run Cairn once in a terminal, or `aws sts get-caller-identity --profile admin`; either caches the session in ~/.aws/cli/cache for later runs."
        )
    }
}
