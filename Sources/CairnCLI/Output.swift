import ArgumentParser
import CairnEngine
import CairnJSON
import Foundation

/// `cairn output` formats.
enum OutputsFormat: String, ExpressibleByArgument, CaseIterable {
    case text, json, env
}

extension Cairn {
    /// Prints a stack's declared outputs as last applied.
    struct Output: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print the stack's outputs as last applied.")

        @OptionGroup var target: StackOptions
        @OptionGroup var aws: AWSOptions

        @Option(help: "Output format: text, json, or env (export lines for eval or source; sensitive outputs left out).")
        var format: OutputsFormat = .text

        @Option(help: "Print this sensitive output's value.")
        var showSensitive: String?

        func run() async throws {
            try await reportingErrors {
                let context = try await StackContext(target, aws: aws, requireVariables: false)
                guard let outputs = try await context.workspace.recordedOutputs(context.stack) else {
                    throw CLIError("The stack '\(target.stack)' (\(target.environment)) has no state yet: run `cairn apply \(target.stack)` first.")
                }
                if let name = showSensitive {
                    guard let value = outputs.values[name] else { throw CLIError("The stack has no output named '\(name)'.") }
                    say(value.stringValue ?? value.description)
                    return
                }
                let shown = outputs.masked
                switch format {
                case .json: say(JSON.object(shown).prettyDescription)
                case .env: say(try outputs.shellExports(stack: target.stack))
                case .text:
                    for name in shown.keys.sorted() { say("\(name) = \(shown[name]!.stringValue ?? shown[name]!.description)") }
                }
            }
        }
    }
}
