import ArgumentParser
import CairnEngine
import Foundation

/// Options shared by the commands that change things.
struct ChangeOptions: ParsableArguments {
    @Flag(help: "Apply without asking for confirmation.")
    var autoApprove = false

    @Option(help: "How many resources may be changed at once.")
    var parallelism: Int = 10

    @Option(help: "How long to wait for another apply or destroy of the stack to finish, in seconds (default: fail at once).")
    var lockTimeout: Int = 0

    func validate() throws {
        guard parallelism >= 1 else { throw ValidationError("--parallelism must be at least 1.") }
        guard lockTimeout >= 0 else { throw ValidationError("--lock-timeout must not be negative.") }
    }
}

extension Cairn {
    /// Makes the changes a plan shows.
    struct Apply: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Apply a stack (planning it first) or a plan saved with `cairn plan --out FILE`.")

        @Argument(help: "The stack's name, or a plan file saved with `cairn plan --out`.")
        var stackOrPlan: String

        @Option(name: .customLong("env"), help: "The environment: each has its own state (default: default).")
        var environment: String = "default"

        @Option(help: "Where state databases live (default: $CAIRN_STATE_DIR, else ./state).")
        var stateDir: String?

        @Option(help: "Read every resource from AWS before planning (true or false).")
        var refresh: Bool = true

        @Flag(help: "Record AWS's current values in the state (accepting drift) instead of changing AWS.")
        var refreshOnly = false

        @OptionGroup var change: ChangeOptions
        @OptionGroup var aws: AWSOptions

        func run() async throws {
            try await reportingErrors {
                if refreshOnly {
                    let target = try StackOptions.parse([stackOrPlan, "--env", environment] + (stateDir.map { ["--state-dir", $0] } ?? []))
                    let context = try StackContext(target, aws: aws)
                    let (report, recorded) = try await context.workspace.acceptDrift(context.stack, lockTimeout: .seconds(change.lockTimeout)) { report in
                        say(report.render(style: context.style))
                        return try confirm("Record these values in the state of '\(report.stack)' (\(report.environment)), leaving AWS as it is?",
                                           autoApprove: change.autoApprove)
                    }
                    if recorded {
                        say(context.style.green("\nRefresh complete: \(report.resources.count) resource\(report.resources.count == 1 ? "" : "s") recorded as AWS has them."))
                    } else if !report.drifted {
                        say(report.render(style: context.style))
                    }
                    return
                }
                let saved = FileManager.default.fileExists(atPath: stackOrPlan) && stackOrPlan.contains(where: { $0 == "/" || $0 == "." })
                var plan: Plan
                let target: StackOptions
                if saved {
                    guard let text = try? String(contentsOfFile: stackOrPlan, encoding: .utf8) else {
                        throw CLIError("Cannot read the plan file \(stackOrPlan): check its permissions.")
                    }
                    let stateDirectory = URL(fileURLWithPath: stateDir ?? ProcessInfo.processInfo.environment["CAIRN_STATE_DIR"] ?? "state")
                    plan = try Plan(savedJSON: text, codec: StateCodec.load(environment: ProcessInfo.processInfo.environment,
                                                                            stateDir: stateDirectory, create: false))
                    target = try StackOptions.parse([plan.stack, "--env", plan.environment] + (stateDir.map { ["--state-dir", $0] } ?? []))
                } else {
                    target = try StackOptions.parse([stackOrPlan, "--env", environment] + (stateDir.map { ["--state-dir", $0] } ?? []))
                    plan = Plan(stack: "", environment: "", region: "", lineage: nil, serial: 0, resources: [])
                }
                let context = try StackContext(target, aws: aws)
                if !saved {
                    plan = try await context.workspace.plan(context.stack, region: context.region, refresh: refresh)
                    say(PlanRenderer(style: context.style).render(plan))
                    guard plan.hasChanges || plan.resources.contains(where: \.adopt) else { return }
                    guard try confirm("Do you want to perform these actions on '\(plan.stack)' (\(plan.environment))?", autoApprove: change.autoApprove) else {
                        say("Apply cancelled.")
                        throw ExitCode.failure
                    }
                } else if plan.region != context.region {
                    throw CLIError("The plan was made for region \(plan.region), but the stack now resolves to \(context.region): make a new plan.")
                }
                try await executePlan(plan, context: context, change: change, command: plan.mode == "destroy" ? "destroy" : "apply")
            }
        }
    }
}

/// Runs a plan with progress output and a closing summary; exits 1 if anything failed.
func executePlan(_ plan: Plan, context: StackContext, change: ChangeOptions, command: String) async throws {
    let printer = ProgressPrinter(style: context.style)
    let started = ContinuousClock.now
    let report = try await context.workspace.apply(
        plan, stack: context.stack, parallelism: change.parallelism, lockTimeout: .seconds(change.lockTimeout), command: command,
        crashAfterCreate: ProcessInfo.processInfo.environment["CAIRN_CRASH_AFTER_CREATE"], events: printer.handle)
    let elapsed = ContinuousClock.now - started
    let verb = command == "destroy" ? "Destroy" : "Apply"
    if report.ok {
        let counts = command == "destroy"
            ? "\(plan.count(.delete)) destroyed"
            : "\(plan.count(.create)) added, \(plan.count(.update)) changed, \(plan.count(.replace)) replaced, \(plan.count(.delete)) destroyed"
        say(context.style.green("\n\(verb) complete! Resources: \(counts).") + context.style.dim(" [\(elapsed.formatted(.units(allowed: [.seconds], fractionalPart: .show(length: 1))))]"))
        return
    }
    FileHandle.standardError.write(Data("""

        Error: \(verb) of '\(plan.stack)' (\(plan.environment)) did not finish: \(report.failed.count) failed, \(report.skipped.count) not started. What finished is recorded in the state; fix the cause and run `cairn \(command) \(plan.stack)` again to carry on.
        \(report.failureSummary)

        """.utf8))
    throw ExitCode.failure
}
