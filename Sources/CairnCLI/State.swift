import ArgumentParser
import CairnEngine
import CairnJSON
import Foundation

extension Cairn {
    /// Looks at the recorded state.
    struct StateCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "state", abstract: "Look at a stack's recorded state, repair it, or move it between backends.",
            subcommands: [List.self, Show.self, History.self, Remove.self, Move.self, Undo.self, Migrate.self, Pull.self, Push.self])

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
                    let record = try await context.workspace.requireRecordedResource(context.stack, at: address)
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
            static let configuration = CommandConfiguration(
                abstract: "Every recorded change: serial, time, command, action, address and physical id.")
            @OptionGroup var target: StackOptions
            @OptionGroup var aws: AWSOptions
            @Option(help: "Show at most this many entries, newest first.") var limit: Int = 50

            func run() async throws {
                try await reportingErrors {
                    let context = try await StackContext(target, aws: aws, requireVariables: false)
                    let formatter = ISO8601DateFormatter()
                    for entry in try await context.workspace.stateHistory(context.stack, limit: limit) {
                        // A delete or forget shows the id of what it removed: what `state undo` or `cairn import` brings back.
                        let id = (entry.record ?? entry.removedRecord)?.physicalID ?? "-"
                        say(
                            "\(entry.serial)\t\(formatter.string(from: entry.at))\t\(entry.command)\t\(entry.action.rawValue)\t\(entry.address)\t\(id)"
                        )
                    }
                }
            }
        }

        struct Remove: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                commandName: "rm", abstract: "Forget a resource: the state drops it, AWS keeps it (`cairn state undo` brings it back).")
            @OptionGroup var target: StackOptions
            @Argument(help: "The resource's address, e.g. aws_s3_bucket.artifacts.") var address: String
            @Flag(help: "Forget without asking for confirmation.") var autoApprove = false
            @OptionGroup var lock: LockOptions
            @OptionGroup var aws: AWSOptions

            func run() async throws {
                try await reportingErrors {
                    let context = try await StackContext(target, aws: aws, requireVariables: false)
                    let record = try await context.workspace.requireRecordedResource(context.stack, at: address)
                    let question =
                        "Forget \(address) (\(record.id))? AWS keeps it, and Cairn no longer manages it; if the stack still declares it, the next plan adopts it again."
                    guard try confirm(question, autoApprove: autoApprove) else {
                        say("Nothing was forgotten.")
                        throw ExitCode.failure
                    }
                    let forgotten = try await context.workspace.forgetResource(context.stack, address: address, lockTimeout: lock.timeout)
                    let id = forgotten.record.physicalID
                    say(
                        "Forgot \(address) (\(id)); it is still in AWS. Bring it back with `cairn state undo \(target.stack) \(forgotten.serial)\(target.commandSuffix)` (or `cairn import \(target.stack) \(address) \(id)\(target.commandSuffix)`)."
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
            @OptionGroup var lock: LockOptions
            @OptionGroup var aws: AWSOptions

            func run() async throws {
                try await reportingErrors {
                    let context = try await StackContext(target, aws: aws, requireVariables: false)
                    let moved = try await context.workspace.moveResource(
                        context.stack, from: source, to: destination, lockTimeout: lock.timeout)
                    say(
                        "Moved \(source) to \(destination) (\(moved.record.physicalID)). Undo with `cairn state undo \(target.stack) \(moved.serial)\(target.commandSuffix)` (or `cairn state mv \(target.stack) \(destination) \(source)\(target.commandSuffix)`)."
                    )
                }
            }
        }

        struct Undo: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Undo a `state rm` or `state mv` by its serial in `cairn state history`, without touching AWS.")
            @OptionGroup var target: StackOptions
            @Argument(help: "The serial `cairn state history` shows for the change.") var serial: Int
            @OptionGroup var lock: LockOptions
            @OptionGroup var aws: AWSOptions

            func run() async throws {
                try await reportingErrors {
                    let context = try await StackContext(target, aws: aws, requireVariables: false)
                    switch try await context.workspace.undoStateChange(context.stack, serial: serial, lockTimeout: lock.timeout) {
                    case .restored(let record):
                        say(
                            "Recorded \(record.address) (\(record.physicalID)) again, as it was when serial \(serial) forgot it; the next plan reads it from AWS."
                        )
                    case .movedBack(let from, let record):
                        say("Moved \(from) back to \(record.address) (\(record.physicalID)), undoing serial \(serial).")
                    }
                }
            }
        }
    }
}
