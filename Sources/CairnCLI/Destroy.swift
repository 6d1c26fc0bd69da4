import ArgumentParser
import CairnEngine
import Foundation

extension Cairn {
    /// Deletes everything in a stack's state.
    struct Destroy: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Delete every resource of a stack, in reverse dependency order.")

        @OptionGroup var target: StackOptions
        @OptionGroup var change: ChangeOptions
        @OptionGroup var aws: AWSOptions

        @Flag(help: "Destroy everything but the resources with preventDestroy and what they depend on, which stay in the state.")
        var excludeProtected = false

        @Option(
            name: .customLong("target"),
            help: ArgumentHelp(
                "Destroy only this resource and what depends on it; repeatable. For recovering from mistakes, not routine use.",
                valueName: "ADDRESS"))
        var targets: [String] = []

        func run() async throws {
            try await reportingErrors {
                // It deletes what the state holds: the stack's variables are not needed.
                try await planAndApply(
                    context: try await StackContext(target, aws: aws, requireVariables: false), change: change, refresh: true, destroy: true,
                    excludeProtected: excludeProtected, scope: PlanScope(targets: targets))
            }
        }
    }
}
