import Foundation
import TestSupport

/// Runs a built Cairn executable against the test process's moto, with its own state directory: by default
/// `cairn-fixtures`, whose stacks (Tests/Fixtures) are the CLI tests' own; `cairn` for the tests of the seed stacks.
struct CairnRunner {
    let moto: MotoServer
    let stateDir: URL
    var extraEnvironment: [String: String] = [:]
    /// What `run` starts: `cairn-fixtures`, `cairn`, or a user package's executable built by the test (UserPackageTests).
    var executablePath = CairnRunner.fixtures

    static func make(executable: String = CairnRunner.fixtures) async throws -> CairnRunner {
        CairnRunner(moto: try await MotoServer.shared(), stateDir: try makeTemporaryDirectory(), executablePath: executable)
    }

    /// The `cairn` executable (the seed stacks), built beside this test bundle.
    static var executable: String { builtExecutable("cairn") }
    /// The `cairn-fixtures` executable (the fixture stacks `fixture-app`, `fixture-service` and `fixture-lists`), built beside this test bundle.
    static var fixtures: String { builtExecutable("cairn-fixtures") }

    private static func builtExecutable(_ name: String) -> String {
        var directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for _ in 0..<4 {
            let candidate = directory.appendingPathComponent(name).path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            directory.deleteLastPathComponent()
        }
        return Bundle.main.bundleURL.deletingLastPathComponent().appendingPathComponent(name).path
    }

    var environment: [String: String] {
        var environment = moto.environment(region: "eu-north-1")
        environment["CAIRN_STATE_DIR"] = stateDir.path
        environment["CAIRN_STATE_KEY"] = "integration tests"
        environment["NO_COLOR"] = "1"
        environment["GITHUB_TOKEN"] = Self.gitHubToken
        environment.merge(extraEnvironment) { _, new in new }
        return environment
    }

    /// The pipeline's GitHub token in every test: it must never appear in any output or in the state's bytes.
    static let gitHubToken = "ghp_cairnTestToken0123456789abcdefSECRET"

    @discardableResult
    func run(_ arguments: [String], timeout: Duration = defaultProcessBound) async throws -> ProcessResult {
        try await runProcess(executable: executablePath, arguments: arguments, environment: environment, timeout: timeout)
    }

    /// The aws CLI in the stack's region.
    func aws(_ arguments: [String]) async throws -> ProcessResult {
        try await moto.aws(arguments, region: "eu-north-1")
    }

    func awsJSON(_ arguments: [String]) async throws -> JSONValue {
        try await moto.awsJSON(arguments, region: "eu-north-1")
    }
}

/// A fresh environment name, so each test's copy of the stack has its own resource names.
func uniqueEnvironment(_ prefix: String) -> String {
    "\(prefix)\(UInt32.random(in: 0...UInt32.max) % 100_000)"
}
