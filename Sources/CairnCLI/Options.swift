import ArgumentParser
import CairnAWS
import Foundation

/// How to reach AWS: the standard profile and region settings, plus verbosity.
struct AWSOptions: ParsableArguments {
    @Option(help: "The AWS profile to use (overrides AWS_PROFILE and the AWS_ACCESS_KEY_ID variables).")
    var profile: String?

    @Option(help: "The AWS region (overrides AWS_REGION, AWS_DEFAULT_REGION and the profile's region).")
    var region: String?

    @Flag(name: .shortAndLong, help: "Print one line per AWS API call to stderr (as CAIRN_LOG=debug does).")
    var verbose = false

    /// The logger for API calls, when asked for by flag or by `CAIRN_LOG=debug`.
    var logger: (any AWSLogger)? {
        verbose || ProcessInfo.processInfo.environment["CAIRN_LOG"]?.lowercased() == "debug" ? StandardErrorLogger() : nil
    }

    /// Resolves the configuration; a stack's declared region comes after `--region` and before the
    /// environment and profile (`AWSConfiguration.resolve`).
    func configuration(stackRegion: String? = nil) throws -> AWSConfiguration {
        try AWSConfiguration.resolve(profile: profile, region: region, stackRegion: stackRegion, logger: logger)
    }
}

/// Output format for commands that can print data.
enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    case text, json
}
