import Foundation
import TestSupport
import Testing

@testable import CairnAWS

/// `CAIRN_HTTP_TIMEOUT` / `CAIRN_HTTP_CONNECT_TIMEOUT` and the profile's `cli_read_timeout` / `cli_connect_timeout`, offline.
@Suite struct TimeoutsTests {
    private func resolve(
        _ home: TemporaryHome, _ extra: [String: String] = [:], profile: String? = nil,
        transport: FakeTransport = FakeTransport([])
    ) throws -> AWSConfiguration {
        try AWSConfiguration.resolve(
            environment: home.environment(
                [
                    "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY": "secret", "AWS_REGION": "us-east-1",
                    "AWS_ENDPOINT_URL": fakeEndpoint.absoluteString,
                ].merging(extra) { $1 }),
            profile: profile, transport: transport, clock: FakeClock(), random: FixedRandom(0.5))
    }

    @Test func theDefaultsAreTheAWSCLIs() throws {
        let home = try TemporaryHome()
        defer { home.remove() }
        let timeouts = try resolve(home).timeouts
        #expect(timeouts == HTTPTimeouts(request: .seconds(60), requestSource: "default", connect: .seconds(60), connectSource: "default"))
        #expect(timeouts.summary == "60 s per attempt (default), 60 s to connect (default)")
    }

    @Test func theEnvironmentWinsOverTheProfileWhichWinsOverTheDefault() throws {
        let home = try TemporaryHome()
        defer { home.remove() }
        try home.write(config: "[default]\ncli_read_timeout = 30\ncli_connect_timeout = 5\n\n[profile slow]\ncli_read_timeout = 120\n")
        let fromProfile = try resolve(home).timeouts
        #expect(fromProfile.request == .seconds(30))
        #expect(fromProfile.requestSource == "profile 'default' in \(home.configPath)")
        #expect(fromProfile.connect == .seconds(5))
        #expect(
            fromProfile.summary
                == "30 s per attempt (from profile 'default' in \(home.configPath)), 5 s to connect (from profile 'default' in \(home.configPath))")

        let fromEnvironment = try resolve(home, ["CAIRN_HTTP_TIMEOUT": "10", "CAIRN_HTTP_CONNECT_TIMEOUT": "2.5"]).timeouts
        #expect(
            fromEnvironment
                == HTTPTimeouts(
                    request: .seconds(10), requestSource: "CAIRN_HTTP_TIMEOUT",
                    connect: .milliseconds(2500), connectSource: "CAIRN_HTTP_CONNECT_TIMEOUT"))
        #expect(fromEnvironment.summary == "10 s per attempt (from CAIRN_HTTP_TIMEOUT), 2.5 s to connect (from CAIRN_HTTP_CONNECT_TIMEOUT)")

        // Another profile: its own setting, the default for what it does not set; an empty variable counts as unset.
        let slow = try resolve(home, ["AWS_PROFILE": "slow", "CAIRN_HTTP_CONNECT_TIMEOUT": ""]).timeouts
        #expect(slow.request == .seconds(120))
        #expect(slow.requestSource == "profile 'slow' in \(home.configPath)")
        #expect(slow.connect == .seconds(60))
        #expect(slow.connectSource == "default")
    }

    /// The client sends every attempt with the resolved timeout.
    @Test func theClientUsesTheTimeout() async throws {
        let home = try TemporaryHome()
        defer { home.remove() }
        let transport = FakeTransport([.callerIdentity])
        let configuration = try resolve(home, ["CAIRN_HTTP_TIMEOUT": "7"], transport: transport)
        #expect(configuration.client(transport: transport, clock: FakeClock()).timeout == .seconds(7))
        _ = try await configuration.client(transport: transport, clock: FakeClock()).callerIdentity()
        #expect(await transport.timeouts == [.seconds(7)])
    }

    @Test(arguments: ["ten", "-1", "0", "", "nan", "inf", "1e9", "5s"])
    func badVariablesAreErrorsNamingThem(value: String) throws {
        let home = try TemporaryHome()
        defer { home.remove() }
        for variable in ["CAIRN_HTTP_TIMEOUT", "CAIRN_HTTP_CONNECT_TIMEOUT"] where !value.isEmpty {
            let error = #expect(throws: AWSConfigurationError.self) { try resolve(home, [variable: value]) }
            #expect(error?.message == "\(variable) is '\(value)': set it to a number of seconds above 0 and at most 86400, such as 60.")
        }
    }

    @Test(arguments: [("cli_read_timeout", "soon"), ("cli_connect_timeout", "-5")])
    func badProfileSettingsAreErrorsNamingThem(key: String, value: String) throws {
        let home = try TemporaryHome()
        defer { home.remove() }
        try home.write(config: "[profile ops]\n\(key) = \(value)\n")
        let error = #expect(throws: AWSConfigurationError.self) { try resolve(home, profile: "ops") }
        #expect(
            error?.message
                == "\(key) in profile 'ops' in \(home.configPath) is '\(value)': set it to a number of seconds above 0 and at most 86400, such as 60."
        )
    }
}
