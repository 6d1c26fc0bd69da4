import ArgumentParser
import Foundation

/// The `cairn` command line: typed AWS stacks, planned, applied, drift-checked and destroyed.
public struct Cairn: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "cairn",
        abstract: "Infrastructure as typed Swift: plan, apply, drift-check and destroy AWS stacks.",
        version: "0.1.0",
        subcommands: [ListStacks.self, PlanCommand.self, Apply.self, Destroy.self, Drift.self, Output.self, StateCommand.self, Import.self,
                      ForceUnlock.self, Whoami.self]
    )

    public init() {}
}
