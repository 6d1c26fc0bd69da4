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
                    guard let store = try context.workspace.store(for: context.stack, create: false) else { return }
                    defer { store.close() }
                    for record in try store.resources() { say("\(record.address)\t\(record.type)\t\(record.physicalID)") }
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
                    guard let store = try context.workspace.store(for: context.stack, create: false),
                          let record = try store.resource(at: address) else {
                        throw CLIError("The state of '\(target.stack)' (\(target.environment)) has no resource at \(address): see `cairn state list \(target.stack)`.")
                    }
                    defer { store.close() }
                    let (attributes, sensitive) = try context.workspace.codec(create: false).decode(record.attributes, address: address)
                    var masked = JSON.object(attributes)
                    for path in sensitive { masked = maskPath(masked, path) }
                    let json: JSON = ["address": .string(record.address), "type": .string(record.type), "id": .string(record.physicalID),
                                      "attributes": masked, "outputs": (try? JSON(parsing: record.outputs)) ?? [:],
                                      "dependencies": .array(record.dependencies.map { .string($0) })]
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
                    guard let store = try context.workspace.store(for: context.stack, create: false) else { return }
                    defer { store.close() }
                    let formatter = ISO8601DateFormatter()
                    for entry in try store.history(limit: limit) {
                        say("\(entry.serial)\t\(formatter.string(from: entry.at))\t\(entry.command)\t\(entry.action.rawValue)\t\(entry.address)")
                    }
                }
            }
        }
    }
}

/// Replaces the value at `path` with `(sensitive)`.
func maskPath(_ value: JSON, _ path: String) -> JSON {
    guard let dot = path.firstIndex(where: { $0 == "." || $0 == "[" }) else {
        if case .object(var members) = value, members[path] != nil { members[path] = "(sensitive)"; return .object(members) }
        return value
    }
    let head = String(path[..<dot])
    if case .object(var members) = value, let inner = members[head] {
        let rest = path[dot] == "." ? String(path[path.index(after: dot)...]) : String(path[dot...])
        if rest.hasPrefix("[") {
            // Arrays are masked whole: enough for display.
            members[head] = "(sensitive)"
            _ = inner
        } else {
            members[head] = maskPath(inner, rest)
        }
        return .object(members)
    }
    return value
}
