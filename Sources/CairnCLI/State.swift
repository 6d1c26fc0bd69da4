import ArgumentParser
import CairnEngine
import CairnJSON
import Foundation

extension Cairn {
    /// Looks at the recorded state.
    struct StateCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "state", abstract: "Look at a stack's recorded state.",
            subcommands: [List.self, Show.self, History.self])

        struct List: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "One line per resource: address, type and physical id.")
            @OptionGroup var target: StackOptions
            @OptionGroup var aws: AWSOptions

            func run() async throws {
                try await reportingErrors {
                    let context = try StackContext(target, aws: aws, requireVariables: false)
                    for record in try context.workspace.recordedResources(context.stack) {
                        say("\(record.address)\t\(record.type)\t\(record.physicalID)")
                    }
                }
            }
        }

        struct Show: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "A resource's recorded attributes and outputs (sensitive values masked).")
            @OptionGroup var target: StackOptions
            @Argument(help: "The resource's address, e.g. aws_s3_bucket.artifacts.") var address: String
            @OptionGroup var aws: AWSOptions

            func run() async throws {
                try await reportingErrors {
                    let context = try StackContext(target, aws: aws, requireVariables: false)
                    guard let record = try context.workspace.recordedResource(context.stack, at: address) else {
                        throw CLIError(
                            "The state of '\(target.stack)' (\(target.environment)) has no resource at \(address): see `cairn state list \(target.stack)`."
                        )
                    }
                    let json: JSON = [
                        "address": .string(record.address), "type": .string(record.type), "id": .string(record.id),
                        "attributes": .object(record.attributes), "outputs": .object(record.outputs),
                        "dependencies": .array(record.dependencies.map { .string($0) }),
                    ]
                    say(json.prettyDescription)
                }
            }
        }

        struct History: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Every recorded change: serial, time, command, action and address.")
            @OptionGroup var target: StackOptions
            @OptionGroup var aws: AWSOptions
            @Option(help: "Show at most this many entries, newest first.") var limit: Int = 50

            func run() async throws {
                try await reportingErrors {
                    let context = try StackContext(target, aws: aws, requireVariables: false)
                    let formatter = ISO8601DateFormatter()
                    for entry in try context.workspace.stateHistory(context.stack, limit: limit) {
                        say("\(entry.serial)\t\(formatter.string(from: entry.at))\t\(entry.command)\t\(entry.action.rawValue)\t\(entry.address)")
                    }
                }
            }
        }
    }
}
