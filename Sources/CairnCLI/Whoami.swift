import ArgumentParser
import CairnAWS
import CairnJSON
import Foundation

extension Cairn {
    /// Shows which AWS identity, region and endpoint Cairn would use, and where each came from.
    struct Whoami: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show the AWS account, identity, region, endpoint and timeouts Cairn uses, and where each comes from.",
            discussion:
                "The region: --region, else the stack's declared region (name the stack), else AWS_REGION, AWS_DEFAULT_REGION, the profile's region.")

        @Argument(help: "A stack: show the region its commands use (its declared region comes after --region, before AWS_REGION).")
        var stack: String?

        @OptionGroup var aws: AWSOptions

        @Option(help: "Output format: text or json.")
        var format: OutputFormat = .text

        func run() async throws {
            try await reportingErrors {
                let configuration = try aws.configuration(stackRegion: try stack.map { try StackRegistry.definition(named: $0) }?.region)
                let client = configuration.client(logger: aws.logger)
                let identity = try await client.callerIdentity()
                let endpoint = client.endpoint(for: .sts)
                switch format {
                case .json:
                    let json: JSON = [
                        "account": .string(identity.account), "arn": .string(identity.arn), "userId": .string(identity.userID),
                        "profile": .string(configuration.profile),
                        "region": .string(configuration.region), "regionSource": .string(configuration.regionSource),
                        "credentialsSource": .string(configuration.credentials.source),
                        "endpoint": .string(endpoint.url.absoluteString), "endpointSource": .string(endpoint.source),
                        "timeoutSeconds": .double(configuration.timeouts.request / .seconds(1)),
                        "timeoutSource": .string(configuration.timeouts.requestSource),
                        "connectTimeoutSeconds": .double(configuration.timeouts.connect / .seconds(1)),
                        "connectTimeoutSource": .string(configuration.timeouts.connectSource),
                    ]
                    var described = json.objectValue ?? [:]
                    if let network = configuration.networkSummary(for: endpoint.url) { described["network"] = .string(network) }
                    say(JSON.object(described).prettyDescription)
                case .text:
                    say(
                        """
                        Account:      \(identity.account)
                        Identity:     \(identity.arn)
                        User id:      \(identity.userID)
                        Region:       \(configuration.region)  (from \(configuration.regionSource))
                        Credentials:  \(configuration.credentials.source)
                        Endpoint:     \(endpoint.url.absoluteString)  (from \(endpoint.source))
                        Timeouts:     \(configuration.timeouts.summary)
                        """ + (configuration.networkSummary(for: endpoint.url).map { "\nNetwork:      \($0)" } ?? ""))
                }
            }
        }
    }
}
