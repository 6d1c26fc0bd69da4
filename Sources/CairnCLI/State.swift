import ArgumentParser
import CairnEngine
import CairnJSON
import Foundation

extension Cairn {
    /// Looks at the recorded state.
    struct StateCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "state", abstract: "Look at a stack's recorded state, repair it, or move it between backends.",
            subcommands: [List.self, Show.self, History.self, Remove.self, Move.self, Migrate.self, Pull.self, Push.self])

        struct List: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "One line per resource: address, type and physical id.")
            @OptionGroup var target: StackOptions
            @OptionGroup var aws: AWSOptions

            func run() async throws {
                try await reportingErrors {
                    let context = try await StackContext(target, aws: aws, requireVariables: false)
                    for record in try await context.workspace.recordedResources(context.stack) {
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
                    let context = try await StackContext(target, aws: aws, requireVariables: false)
                    let record = try await recorded(context, at: address)
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
                    let context = try await StackContext(target, aws: aws, requireVariables: false)
                    let formatter = ISO8601DateFormatter()
                    for entry in try await context.workspace.stateHistory(context.stack, limit: limit) {
                        say("\(entry.serial)\t\(formatter.string(from: entry.at))\t\(entry.command)\t\(entry.action.rawValue)\t\(entry.address)")
                    }
                }
            }
        }

        struct Remove: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                commandName: "rm", abstract: "Forget a resource: the state drops it, AWS keeps it (`cairn import` brings it back).")
            @OptionGroup var target: StackOptions
            @Argument(help: "The resource's address, e.g. aws_s3_bucket.artifacts.") var address: String
            @Flag(help: "Forget without asking for confirmation.") var autoApprove = false
            @Option(help: "How long to wait for another run to release the stack's lock, in seconds.") var lockTimeout: Int = 0
            @OptionGroup var aws: AWSOptions

            func run() async throws {
                try await reportingErrors {
                    let context = try await StackContext(target, aws: aws, requireVariables: false)
                    let record = try await recorded(context, at: address)
                    let question =
                        "Forget \(address) (\(record.id))? AWS keeps it, and Cairn no longer manages it; if the stack still declares it, the next plan adopts it again."
                    guard try confirm(question, autoApprove: autoApprove) else {
                        say("Nothing was forgotten.")
                        throw ExitCode.failure
                    }
                    let forgotten = try await context.workspace.forgetResource(context.stack, address: address, lockTimeout: .seconds(lockTimeout))
                    say(
                        "Forgot \(address) (\(forgotten.physicalID)); it is still in AWS. Bring it back with `cairn import \(target.stack) \(address) \(forgotten.physicalID)`."
                    )
                }
            }
        }

        struct Move: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                commandName: "mv", abstract: "Move a resource to another address (a renamed declaration) without touching AWS.")
            @OptionGroup var target: StackOptions
            @Argument(help: "The address it has in the state.") var source: String
            @Argument(help: "The address the declaration now gives it.") var destination: String
            @Option(help: "How long to wait for another run to release the stack's lock, in seconds.") var lockTimeout: Int = 0
            @OptionGroup var aws: AWSOptions

            func run() async throws {
                try await reportingErrors {
                    let context = try await StackContext(target, aws: aws, requireVariables: false)
                    let moved = try await context.workspace.moveResource(
                        context.stack, from: source, to: destination, lockTimeout: .seconds(lockTimeout))
                    say(
                        "Moved \(source) to \(destination) (\(moved.physicalID)). Undo with `cairn state mv \(target.stack) \(destination) \(source)`."
                    )
                }
            }
        }
    }
}

/// The resource the state records at `address`, or an error saying there is none and how to list them.
private func recorded(_ context: StackContext, at address: String) async throws -> RecordedResource {
    guard let record = try await context.workspace.recordedResource(context.stack, at: address) else {
        throw CLIError(
            "The state of '\(context.stack.name)' (\(context.stack.environment.name)) has no resource at \(address): see `cairn state list \(context.stack.name)`."
        )
    }
    return record
}
