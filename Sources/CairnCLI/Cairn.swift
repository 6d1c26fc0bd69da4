import ArgumentParser
import CairnEngine
import Foundation

/// The `cairn` command line: typed AWS stacks, planned, applied, drift-checked and destroyed.
public struct Cairn: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "cairn",
        abstract: "Infrastructure as typed Swift: plan, apply, drift-check and destroy AWS stacks.",
        version: "0.1.0",
        subcommands: [
            ListStacks.self, PlanCommand.self, Apply.self, Destroy.self, Drift.self, Output.self, Graph.self, StateCommand.self, Import.self,
            Generate.self, ForceUnlock.self, Whoami.self,
        ]
    )

    /// Where Cairn's source lives: the Git repository a package generated without `--cairn-path` or `--cairn-url`
    /// depends on, at `configuration.version`.
    public static let gitURL = "https://github.com/cairn-iac/cairn.git"

    public init() {}

    /// Registers `stacks` (see `StackRegistry`), parses the process's arguments and runs the command.
    /// As in Terraform, every error exits 1 (usage errors too), and 2 is kept for "changes present". An
    /// apply or destroy stopped by SIGINT or SIGTERM exits 130 or 143 (see `Interrupts`).
    public static func execute(stacks: [StackDefinition], _ arguments: [String]? = nil) async {
        do {
            try StackRegistry.register(stacks)
            var command = try parseAsRoot(arguments)
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            let code = exitCode(for: error)
            // 130 and 143: interrupted by SIGINT or SIGTERM, the summary already printed.
            if code == .success || code == .failure || code.rawValue == 2 || code.rawValue == 130 || code.rawValue == 143 {
                exit(withError: error)
            }
            FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
            Foundation.exit(1)
        }
    }
}
