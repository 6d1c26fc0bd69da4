import CairnSigner
import Foundation
import TestSupport
import Testing

@testable import CairnAWS

/// A `CommandRunner` that answers from a script and records what it was asked to run.
final class ScriptedCommands: CommandRunner, @unchecked Sendable {
    private let state: Locked<(answers: [Result<CommandOutput, CommandError>], calls: [[String]])>

    init(_ answers: [Result<CommandOutput, CommandError>]) { state = Locked((answers, [])) }

    func run(_ arguments: [String], environment: [String: String], timeout: Duration) async throws(CommandError) -> CommandOutput {
        let answer = state.withLock {
            $0.calls.append(arguments)
            return $0.answers.count > 1 ? $0.answers.removeFirst() : $0.answers[0]
        }
        return try answer.get()
    }

    var calls: [[String]] { state.current.calls }

    /// A successful run printing `json`.
    static func printing(_ json: String, stderr: String = "") -> Result<CommandOutput, CommandError> {
        .success(CommandOutput(status: 0, stdout: Data(json.utf8), stderr: Data(stderr.utf8)))
    }
}

/// `credential_process` in a profile, with the command's answers scripted (no child process).
@Suite struct CredentialProcessTests {
    static let config = """
        [profile ops]
        credential_process = /opt/bin/helper "my role" --json
        """

    private func resolve(_ home: TemporaryHome, _ commands: ScriptedCommands, clock: FakeClock = FakeClock()) throws -> AWSConfiguration {
        try AWSConfiguration.resolve(
            environment: home.environment(["AWS_REGION": "us-east-1"]), profile: "ops", transport: FakeTransport([]), clock: clock,
            random: FixedRandom(0.5), helpers: CredentialHelpers(commands: commands, commandTimeout: .seconds(5)))
    }

    @Test func splitsLikeShlex() throws {
        // Each expectation is what Python's shlex.split (botocore's compat_shell_split on POSIX) gives.
        #expect(try shellSplit("aws-vault export --format=json dev") == ["aws-vault", "export", "--format=json", "dev"])
        #expect(try shellSplit(#"/opt/bin/helper "a b" c\ d"#) == ["/opt/bin/helper", "a b", "c d"])
        #expect(try shellSplit(#"op run -- 'x y' "q\"z\\w\n""#) == ["op", "run", "--", "x y", #"q"z\w\n"#])
        #expect(try shellSplit(#"a"b"c '' e"#) == ["abc", "", "e"])
        #expect(try shellSplit("  lead  trail  ") == ["lead", "trail"])
        #expect(try shellSplit("p#q") == ["p#q"])
        #expect(throws: ShellSplitError(reason: "No closing quotation")) { try shellSplit(#""open"#) }
        #expect(throws: ShellSplitError(reason: "No escaped character")) { try shellSplit(#"trailing\"#) }
    }

    @Test func goodOutputIsCachedUntilShortlyBeforeItExpires() async throws {
        let home = try TemporaryHome()
        defer { home.remove() }
        try home.write(config: Self.config)
        let clock = FakeClock()
        let commands = ScriptedCommands([
            ScriptedCommands.printing(
                #"{"Version": 1, "AccessKeyId": "AKIAPROC1", "SecretAccessKey": "s1", "SessionToken": "t1", "Expiration": "2023-11-14T23:13:20Z"}"#),
            ScriptedCommands.printing(#"{"Version": 1, "AccessKeyId": "AKIAPROC2", "SecretAccessKey": "s2"}"#),
        ])
        let configuration = try resolve(home, commands, clock: clock)
        #expect(configuration.credentials.source == "credential_process of profile 'ops'")
        let first = try await configuration.credentials.credentials()
        #expect(first == Credentials(accessKeyID: "AKIAPROC1", secretAccessKey: "s1", sessionToken: "t1", expiration: FakeClock.epoch + 3600))
        #expect(commands.calls == [["/opt/bin/helper", "my role", "--json"]])
        clock.advance(by: 3000)  // 10 minutes left: still fresh
        #expect(try await configuration.credentials.credentials().accessKeyID == "AKIAPROC1")
        clock.advance(by: 400)  // inside the 5-minute margin: run again
        #expect(try await configuration.credentials.credentials().accessKeyID == "AKIAPROC2")
        #expect(commands.calls.count == 2)
    }

    @Test func badOutputIsOneSentenceNamingTheProfileAndStderr() async throws {
        let home = try TemporaryHome()
        defer { home.remove() }
        try home.write(config: Self.config)
        let cases: [(Result<CommandOutput, CommandError>, String)] = [
            (
                .success(CommandOutput(status: 3, stdout: Data("AKIASECRET".utf8), stderr: Data("helper: not signed in\nmore\n".utf8))),
                "The credential_process of profile 'ops' exited with status 3: helper: not signed in."
            ),
            (
                ScriptedCommands.printing("Access key: AKIASECRET", stderr: "warning: old config"),
                "The credential_process of profile 'ops' printed something that is not a JSON object: warning: old config."
            ),
            (
                ScriptedCommands.printing(#"{"Version": 1, "SecretAccessKey": "s"}"#),
                "The credential_process of profile 'ops' printed no AccessKeyId and SecretAccessKey (nothing on stderr)."
            ),
            (
                ScriptedCommands.printing(#"{"Version": 2, "AccessKeyId": "A", "SecretAccessKey": "s"}"#),
                "The credential_process of profile 'ops' printed Version 2: Cairn reads Version 1."
            ),
            (
                ScriptedCommands.printing(#"{"Version": 1, "AccessKeyId": "A", "SecretAccessKey": "s", "Expiration": "2023-11-14T21:00:00Z"}"#),
                "The credential_process of profile 'ops' printed credentials that expired at 2023-11-14T21:00:00Z: check the helper's own cache."
            ),
            (
                .failure(.timedOut),
                "The credential_process of profile 'ops' did not finish within 5 s and was stopped: run it yourself to see where it waits."
            ),
            (
                .failure(.cannotStart("/opt/bin/helper is not an executable file")),
                "The credential_process of profile 'ops' cannot start: /opt/bin/helper is not an executable file; fix the command in the config file."
            ),
        ]
        for (answer, message) in cases {
            let configuration = try resolve(home, ScriptedCommands([answer]))
            let error = await capture(CredentialsError.self) { try await configuration.credentials.credentials() }
            #expect(error?.message == message)
            #expect(error?.message.contains("AKIASECRET") != true)
        }
    }

    @Test func unbalancedQuotesAreAnError() async throws {
        let home = try TemporaryHome()
        defer { home.remove() }
        try home.write(config: "[profile ops]\ncredential_process = helper \"unclosed\n")
        let configuration = try resolve(home, ScriptedCommands([ScriptedCommands.printing("{}")]))
        let error = await capture(CredentialsError.self) { try await configuration.credentials.credentials() }
        #expect(
            error?.message
                == "The credential_process of profile 'ops' cannot be split into arguments (No closing quotation): fix its quoting in the config file."
        )
    }

    @Test func aSourceProfileMayUseCredentialProcess() throws {
        let home = try TemporaryHome()
        defer { home.remove() }
        try home.write(config: Self.config + "\n[profile admin]\nrole_arn = arn:aws:iam::123456789012:role/admin\nsource_profile = ops\n")
        let configuration = try AWSConfiguration.resolve(
            environment: home.environment(["AWS_REGION": "us-east-1"]), profile: "admin", transport: FakeTransport([]), clock: FakeClock(),
            helpers: CredentialHelpers(commands: ScriptedCommands([ScriptedCommands.printing("{}")])))
        #expect(
            configuration.credentials.source
                == "profile 'admin': role arn:aws:iam::123456789012:role/admin assumed with credential_process of profile 'ops'")
    }
}
