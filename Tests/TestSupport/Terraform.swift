import Foundation

/// Terraform in a working directory of its own, run through `bench/terraform/terraform`: the AWS provider comes from
/// this machine's local filesystem mirror (never the network), and every call goes to `moto`.
/// If terraform or the mirror is missing, `make` throws a `TestSupportError` naming `scripts/install-deps`: tests fail,
/// they never skip.
public struct TerraformRunner: Sendable {
    /// The working directory: the configuration, `.terraform` and `terraform.tfstate`.
    public let directory: URL
    /// The moto server every call goes to.
    public let moto: MotoServer

    /// The repository's `bench/terraform` (its `main.tf`, `buildspec.yml` and the `terraform` wrapper).
    public static let configuration = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("bench/terraform", isDirectory: true)
    static var wrapper: String { configuration.appendingPathComponent("terraform").path }

    /// Copies `bench/terraform` into a fresh directory and runs `terraform init` there, from the local mirror.
    public static func make(moto: MotoServer) async throws -> TerraformRunner {
        try TestTier.requireIntegration("runs terraform")
        let directory = try makeTemporaryDirectory()
        for file in ["main.tf", "buildspec.yml"] {
            try FileManager.default.copyItem(at: configuration.appendingPathComponent(file), to: directory.appendingPathComponent(file))
        }
        let runner = TerraformRunner(directory: directory, moto: moto)
        let mirror = try await runProcess(executable: wrapper, arguments: ["--mirror"], environment: runner.environment)
        guard mirror.succeeded else {
            throw TestSupportError(
                "Terraform and its AWS provider mirror are needed (run scripts/install-deps, which checks for both): \(mirror.stderr.trimmingCharacters(in: .whitespacesAndNewlines))"
            )
        }
        try await runner.run(["init", "-no-color"], timeout: .seconds(600)).requireSuccess("terraform init")  // bound: a hang, not the usual 5-20 s
        return runner
    }

    /// moto's credentials and an isolated HOME, as the aws CLI gets them.
    var environment: [String: String] { moto.environment(region: "eu-north-1") }

    /// `terraform -chdir=DIRECTORY ARGUMENTS...` with `-var endpoint=` moto's. A non-zero exit status is returned, not thrown.
    @discardableResult
    public func run(_ arguments: [String], timeout: Duration? = nil) async throws -> ProcessResult {
        let timeout = timeout ?? .seconds(900)  // bound: a hang; an apply takes 1-3 minutes
        let variables = ["apply", "plan", "destroy"].contains(arguments.first ?? "") ? ["-var", "endpoint=\(moto.endpoint.absoluteString)"] : []
        return try await runProcess(
            executable: Self.wrapper, arguments: ["-chdir=\(directory.path)"] + arguments + variables, environment: environment, timeout: timeout)
    }

    /// The Terraform state file, `terraform.tfstate`.
    public var stateFile: URL { directory.appendingPathComponent("terraform.tfstate") }
}
