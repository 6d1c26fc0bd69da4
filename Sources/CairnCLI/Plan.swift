import ArgumentParser
import CairnEngine
import Foundation

extension Cairn {
    /// Shows what apply would change.
    struct PlanCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "plan",
            abstract: "Compare a stack's declaration with its state and with AWS, and show the changes apply would make.")

        @OptionGroup var target: StackOptions
        @OptionGroup var aws: AWSOptions

        @Flag(help: "Exit 0 when there are no changes, 2 when there are, 1 on error.")
        var detailedExitcode = false

        @Option(help: "Output format: text or json.")
        var format: OutputFormat = .text

        @Option(help: "Save the plan to this file, for `cairn apply FILE`.")
        var out: String?

        @Option(help: "Read every resource from AWS before planning (true or false).")
        var refresh: Bool = true

        @Flag(help: "Plan the destruction of everything in the state.")
        var destroy = false

        @Flag(help: "With --destroy: keep the resources with preventDestroy and what they depend on.")
        var excludeProtected = false

        func validate() throws {
            if excludeProtected && !destroy { throw ValidationError("--exclude-protected goes with --destroy.") }
        }

        func run() async throws {
            try await reportingErrors {
                let context = try await StackContext(target, aws: aws)
                let plan = try await context.workspace.plan(
                    context.stack, region: context.region, refresh: refresh, destroy: destroy,
                    excludeProtected: excludeProtected)
                switch format {
                case .json: say(plan.json().prettyDescription)
                case .text: say(PlanRenderer(style: context.style).render(plan))
                }
                if let out {
                    try savePlan(plan, to: out, codec: context.workspace.codec(create: true))
                    if format == .text { say("\nSaved the plan to \(out): apply exactly it with `cairn apply \(out)`.") }
                }
                if detailedExitcode && plan.hasChanges { throw ExitCode(2) }
            }
        }
    }
}

/// Writes a plan file readable only by its owner, its sensitive values sealed with the state key.
func savePlan(_ plan: Plan, to path: String, codec: StateCodec) throws {
    let data = Data(try plan.savedJSON(sealedWith: codec).prettyDescription.utf8)
    let url = URL(fileURLWithPath: path)
    try? FileManager.default.removeItem(at: url)
    guard FileManager.default.createFile(atPath: url.path, contents: data, attributes: [.posixPermissions: 0o600]) else {
        throw CLIError("Cannot write the plan to \(path): check that its directory exists and is writable.")
    }
}
