import ArgumentParser
import CairnEngine
import Foundation

/// Graph output formats.
enum GraphFormat: String, ExpressibleByArgument, CaseIterable {
    case dot, svg
}

extension Cairn {
    /// Prints the stack's dependency graph.
    struct Graph: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print a stack's dependency graph in Graphviz DOT, or render it as SVG with `dot`.")

        @OptionGroup var target: StackOptions
        @OptionGroup var aws: AWSOptions

        @Option(help: "dot (Graphviz source) or svg (rendered by the `dot` program).")
        var format: GraphFormat = .dot

        func run() async throws {
            try await reportingErrors {
                let context = try await StackContext(target, aws: aws)
                try StackValidator.validate(context.stack, providers: context.workspace.providers, secrets: false)
                let dot = GraphRenderer.dot(context.stack)
                switch format {
                case .dot:
                    say(dot, terminator: "")
                case .svg:
                    guard let dotPath = findProgram("dot") else {
                        throw CLIError("Rendering SVG needs Graphviz's `dot` program, which is not on PATH: install graphviz, or use --format dot.")
                    }
                    let process = Process()
                    process.executableURL = URL(fileURLWithPath: dotPath)
                    process.arguments = ["-Tsvg"]
                    let input = Pipe()
                    let output = Pipe()
                    process.standardInput = input
                    process.standardOutput = output
                    try process.run()
                    input.fileHandleForWriting.write(Data(dot.utf8))
                    try input.fileHandleForWriting.close()
                    let svg = output.fileHandleForReading.readDataToEndOfFile()
                    process.waitUntilExit()
                    guard process.terminationStatus == 0 else { throw CLIError("`dot -Tsvg` failed with status \(process.terminationStatus).") }
                    FileHandle.standardOutput.write(svg)
                }
            }
        }
    }
}

/// The first executable named `name` on PATH.
func findProgram(_ name: String) -> String? {
    for directory in (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":") {
        let path = "\(directory)/\(name)"
        if FileManager.default.isExecutableFile(atPath: path) { return path }
    }
    return nil
}
