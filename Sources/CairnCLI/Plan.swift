import ArgumentParser
import CairnEngine
import Foundation

extension Cairn {
    /// Shows what apply would change.
    struct PlanCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "plan",
            abstract: "Compare a stack's declaration with its state and with AWS, and show the changes apply would make.",
            discussion: """
                --target ADDRESS plans only that resource and what it depends on (with --destroy: what depends on it), \
                --replace ADDRESS replaces a resource although nothing about it changed; both are repeatable, and a \
                plan saved with them (--out) applies only what it holds. Declared renames (moved(from:to:)) show as moved.
                """)

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

        @OptionGroup var scope: ScopeOptions

        func validate() throws {
            if excludeProtected && !destroy { throw ValidationError("--exclude-protected goes with --destroy.") }
            if destroy && !scope.replacements.isEmpty { throw ValidationError("--replace goes with a plan that applies, not with --destroy.") }
        }

        func run() async throws {
            try await reportingErrors {
                let context = try await StackContext(target, aws: aws)
                let plan = try await context.workspace.plan(
                    context.stack, region: context.region, refresh: refresh, destroy: destroy,
                    excludeProtected: excludeProtected, scope: scope.scope)
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

/// `--target` and `--replace`: a plan of part of a stack, and replacements nothing else asks for.
struct ScopeOptions: ParsableArguments {
    @Option(
        name: .customLong("target"),
        help: ArgumentHelp(
            "Plan only this resource and what it depends on (a destroy: what depends on it); repeatable. For recovering from mistakes, not routine use.",
            valueName: "ADDRESS"))
    var targets: [String] = []

    @Option(
        name: .customLong("replace"),
        help: ArgumentHelp(
            "Replace this resource although nothing about it changed (create the new one first where two can coexist); repeatable.",
            valueName: "ADDRESS"))
    var replacements: [String] = []

    var scope: PlanScope { PlanScope(targets: targets, replace: replacements) }
    var isEmpty: Bool { targets.isEmpty && replacements.isEmpty }
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
