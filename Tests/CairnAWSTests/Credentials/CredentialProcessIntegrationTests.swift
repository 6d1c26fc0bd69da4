import CairnSigner
import Foundation
import TestSupport
import Testing

@testable import CairnAWS

/// `credential_process` running real scripts as child processes, then one call to moto with what they print.
@Suite(.integration) struct CredentialProcessIntegrationTests {
    /// Writes an executable script into `home` and returns a profile whose credential_process runs it with `arguments`.
    private func profile(_ home: TemporaryHome, script: String, arguments: String = "") throws -> String {
        let path = try home.file("helper with space.sh", "#!/bin/sh\n" + script)
        try FileManager.default.setAttributes([.posixPermissions: 0o700], ofItemAtPath: path)
        return "[profile ops]\ncredential_process = '\(path)' \(arguments)\n"
    }

    private func credentials(_ home: TemporaryHome, timeout: Duration = .seconds(30)) async throws -> (any CredentialProvider) {
        try AWSConfiguration.resolve(
            environment: home.environment(["AWS_REGION": "us-east-1", "PATH": "/usr/bin:/bin"]), profile: "ops",
            helpers: CredentialHelpers(commandTimeout: timeout)
        ).credentials
    }

    @Test func aScriptsOutputSignsARealCall() async throws {
        let moto = try await MotoServer.shared()
        var environment = moto.environment()
        let home = URL(fileURLWithPath: try #require(environment["HOME"]))
        let script = home.appendingPathComponent("creds.sh").path
        // The arguments arrive split as shlex splits them: "$1" is one word with a space.
        try Data(
            """
            #!/bin/sh
            [ "$1" = "two words" ] || { echo "bad argument: $1" >&2; exit 9; }
            echo '{"Version": 1, "AccessKeyId": "\(moto.accessKeyID)", "SecretAccessKey": "\(moto.secretAccessKey)", "Expiration": "2999-01-01T00:00:00Z"}'
            """.utf8
        ).write(to: URL(fileURLWithPath: script))
        try FileManager.default.setAttributes([.posixPermissions: 0o700], ofItemAtPath: script)
        let configFile = try #require(environment["AWS_CONFIG_FILE"])
        try FileManager.default.createDirectory(atPath: (configFile as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try Data("[profile ops]\ncredential_process = \(script) \"two words\"\n".utf8).write(to: URL(fileURLWithPath: configFile))
        environment["AWS_ACCESS_KEY_ID"] = nil
        environment["AWS_SECRET_ACCESS_KEY"] = nil
        let configuration = try AWSConfiguration.resolve(environment: environment, profile: "ops")
        #expect(configuration.credentials.source == "credential_process of profile 'ops'")
        let identity = try await configuration.client().callerIdentity()
        #expect(identity.account == moto.account)
    }

    @Test func failingMalformedAndSilentScripts() async throws {
        let home = try TemporaryHome()
        defer { home.remove() }
        let cases = [
            ("echo 'token expired, run helper login' >&2\nexit 4\n", "exited with status 4: token expired, run helper login."),
            ("echo 'AccessKeyId=AKIASECRET'\n", "printed something that is not a JSON object (nothing on stderr)."),
            ("echo '{\"Version\": 1}'\n", "printed no AccessKeyId and SecretAccessKey (nothing on stderr)."),
            (
                "echo '{\"Version\": 1, \"AccessKeyId\": \"A\", \"SecretAccessKey\": \"s\", \"Expiration\": \"2001-01-01T00:00:00Z\"}'\n",
                "printed credentials that expired at 2001-01-01T00:00:00Z: check the helper's own cache."
            ),
        ]
        for (script, ending) in cases {
            try home.write(config: try profile(home, script: script))
            let error = await capture(CredentialsError.self) { try await credentials(home).credentials() }
            #expect(error?.message == "The credential_process of profile 'ops' \(ending)")
        }
    }

    @Test func aLargeAnswerOnBothPipesDoesNotDeadlock() async throws {
        let home = try TemporaryHome()
        defer { home.remove() }
        // 200 KB on stderr before stdout is written: more than a pipe holds, so both must be drained at once.
        let script = """
            head -c 200000 /dev/zero | tr '\\0' x >&2
            printf '{"Version": 1, "AccessKeyId": "AKIABIG", "SecretAccessKey": "s", "Padding": "%s"}' "$(head -c 200000 /dev/zero | tr '\\0' y)"
            """
        try home.write(config: try profile(home, script: script))
        #expect(try await credentials(home).credentials().accessKeyID == "AKIABIG")
    }

    @Test func aHangingScriptIsStoppedAtTheDeadline() async throws {
        let home = try TemporaryHome()
        defer { home.remove() }
        try home.write(config: try profile(home, script: "exec sleep 600\n"))
        let error = await capture(CredentialsError.self) { try await credentials(home, timeout: .milliseconds(300)).credentials() }
        #expect(
            error?.message
                == "The credential_process of profile 'ops' did not finish within 0.3 s and was stopped: run it yourself to see where it waits.")
    }

    @Test func aMissingExecutable() async throws {
        let home = try TemporaryHome()
        defer { home.remove() }
        try home.write(config: "[profile ops]\ncredential_process = no-such-helper-cairn --json\n")
        let error = await capture(CredentialsError.self) { try await credentials(home).credentials() }
        #expect(
            error?.message
                == "The credential_process of profile 'ops' cannot start: no executable named 'no-such-helper-cairn' on PATH; fix the command in the config file."
        )
    }
}
