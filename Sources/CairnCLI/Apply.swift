import ArgumentParser
import CairnEngine
import Foundation

/// Options shared by the commands that change things.
struct ChangeOptions: ParsableArguments {
    @Flag(help: "Apply without asking for confirmation.")
    var autoApprove = false

    @Option(help: "How many resources may be changed at once.")
    var parallelism: Int = 10

    @OptionGroup var lock: LockOptions

    func validate() throws {
        guard parallelism >= 1 else { throw ValidationError("--parallelism must be at least 1.") }
    }
}

/// `--lock-timeout`, for every command that takes the stack's lock.
struct LockOptions: ParsableArguments {
    @Option(help: "How long to wait for another run to release the stack's lock, in seconds (default: fail at once).")
    var lockTimeout: Int = 0

    func validate() throws {
        guard lockTimeout >= 0 else { throw ValidationError("--lock-timeout must not be negative.") }
    }

    /// The wait, for the workspace.
    var timeout: Duration { .seconds(lockTimeout) }
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

        @Option(
            help:
                "Where the state lives: `local`, or `s3://BUCKET/PREFIX` shared with a team (default: $CAIRN_BACKEND, else the stack's `backend:`, else local)."
        )
        var backend: String?

        @OptionGroup var variables: VariableOptions

        @Option(help: "Read every resource from AWS before planning (true or false).")
        var refresh: Bool = true

        @Flag(help: "Record AWS's current values in the state (accepting drift) instead of changing AWS.")
        var refreshOnly = false

        @OptionGroup var scope: ScopeOptions
        @OptionGroup var change: ChangeOptions
        @OptionGroup var aws: AWSOptions

        func validate() throws {
            if refreshOnly && !scope.replacements.isEmpty { throw ValidationError("--replace goes with a plan, not with --refresh-only.") }
        }

        func run() async throws {
            try await reportingErrors {
                // The stack options the plain commands take, rebuilt for the stack named here.
                let stackArguments =
                    ["--env", environment] + (stateDir.map { ["--state-dir", $0] } ?? []) + (backend.map { ["--backend", $0] } ?? [])
                    + variables.arguments
                if refreshOnly {
                    let target = try StackOptions.parse([stackOrPlan] + stackArguments)
                    let context = try await StackContext(target, aws: aws)
                    let targets = scope.targets
                    let warning = targets.isEmpty ? nil : context.style.yellow("Warning: " + PlanScope.targetingWarning(targets))
                    let (report, recorded) = try await context.workspace.acceptDrift(
                        context.stack, targets: targets, lockTimeout: change.lock.timeout
                    ) { report in
                        say(report.render(style: context.style))
                        if let warning { say("\n" + warning) }
                        return try confirm(
                            "Record these values in the state of '\(report.stack)' (\(report.environment)), leaving AWS as it is?",
                            autoApprove: change.autoApprove)
                    }
                    if recorded {
                        say(
                            context.style.green(
                                "\nRefresh complete: \(report.resources.count) resource\(report.resources.count == 1 ? "" : "s") recorded as AWS has them."
                            ))
                    } else if !report.drifted {
                        say(report.render(style: context.style))
                        if let warning { say("\n" + warning) }
                    }
                    return
                }
                let saved = FileManager.default.fileExists(atPath: stackOrPlan) && stackOrPlan.contains(where: { $0 == "/" || $0 == "." })
                guard saved else {
                    let target = try StackOptions.parse([stackOrPlan] + stackArguments)
                    try await planAndApply(
                        context: try await StackContext(target, aws: aws), change: change, refresh: refresh, destroy: false, scope: scope.scope)
                    return
                }
                guard scope.isEmpty else {
                    throw CLIError(
                        "A saved plan applies exactly what it holds: make a plan with --target or --replace and --out, then apply that file."
                    )
                }
                guard variables.arguments.isEmpty else {
                    throw CLIError(
                        "A saved plan holds the values its variables had when it was made: apply it without --var or --var-file, or make a new plan with them."
                    )
                }
                guard let text = try? String(contentsOfFile: stackOrPlan, encoding: .utf8) else {
                    throw CLIError("Cannot read the plan file \(stackOrPlan): check its permissions.")
                }
                let stateDirectory = URL(fileURLWithPath: stateDir ?? ProcessInfo.processInfo.environment["CAIRN_STATE_DIR"] ?? "state")
                let plan = try Plan(
                    savedJSON: text,
                    codec: StateCodec.load(
                        environment: ProcessInfo.processInfo.environment,
                        stateDir: stateDirectory, create: false))
                let target = try StackOptions.parse(
                    [plan.stack, "--env", plan.environment] + (stateDir.map { ["--state-dir", $0] } ?? [])
                        + (backend.map { ["--backend", $0] } ?? []))
                // The plan holds every value it applies: the stack's variables are not needed again.
                let context = try await StackContext(target, aws: aws, requireVariables: false)
                guard plan.region == context.region else {
                    throw CLIError("The plan was made for region \(plan.region), but the stack now resolves to \(context.region): make a new plan.")
                }
                try await executePlan(plan, context: context, change: change, command: plan.mode == "destroy" ? "destroy" : "apply")
            }
        }
    }
}

/// Takes the stack's lock, plans (`destroy`: the deletion of everything), shows the plan, asks for
/// confirmation and applies it under that same lock, with progress output and a closing summary.
func planAndApply(
    context: StackContext, change: ChangeOptions, refresh: Bool, destroy: Bool, excludeProtected: Bool = false, scope: PlanScope = PlanScope()
) async throws {
    let printer = ProgressPrinter(style: context.style)
    let command = destroy ? "destroy" : "apply"
    let control = ApplyControl()
    var started = ContinuousClock.now
    let (plan, report) = try await Interrupts.shared.during(control) {
        try await context.workspace.apply(
            context.stack, region: context.region, refresh: refresh, destroy: destroy, excludeProtected: excludeProtected,
            parallelism: change.parallelism, scope: scope,
            lockTimeout: change.lock.timeout, command: command, control: control,
            waiting: { printer.waiting(for: $0, timeout: change.lock.lockTimeout, stack: context.stack) },
            approve: { plan in
                if destroy && !plan.hasChanges {
                    say("No changes. The stack '\(plan.stack)' (\(plan.environment)) has nothing to destroy.")
                    for line in PlanRenderer(style: context.style).renderWarnings(plan) { say(line) }
                    return false
                }
                say(PlanRenderer(style: context.style).render(plan))
                guard plan.hasChanges || plan.resources.contains(where: \.adopt) else { return false }
                let which = !plan.targets.isEmpty ? "the targeted" : excludeProtected ? "all but the protected" : "all"
                let question =
                    destroy
                    ? "Do you really want to destroy \(which) resources of '\(plan.stack)' (\(plan.environment))?"
                    : "Do you want to perform these actions on '\(plan.stack)' (\(plan.environment))?"
                guard try confirm(question, autoApprove: change.autoApprove) else {
                    say(destroy ? "Destroy cancelled." : "Apply cancelled.")
                    throw ExitCode.failure
                }
                started = ContinuousClock.now
                return true
            },
            events: printer.handle)
    }
    guard let report else { return }
    try conclude(plan, report: report, elapsed: ContinuousClock.now - started, context: context, command: command)
}

/// Runs a saved plan with progress output and a closing summary.
func executePlan(_ plan: Plan, context: StackContext, change: ChangeOptions, command: String) async throws {
    let printer = ProgressPrinter(style: context.style)
    // A saved targeted plan says again that it is partial.
    for line in PlanRenderer(style: context.style).renderWarnings(plan).dropFirst() { say(line) }
    let started = ContinuousClock.now
    let control = ApplyControl()
    let report = try await Interrupts.shared.during(control) {
        try await context.workspace.apply(
            plan, stack: context.stack, parallelism: change.parallelism, lockTimeout: change.lock.timeout, command: command,
            control: control, waiting: { printer.waiting(for: $0, timeout: change.lock.lockTimeout, stack: context.stack) }, events: printer.handle)
    }
    try conclude(plan, report: report, elapsed: ContinuousClock.now - started, context: context, command: command)
}

/// Prints how an apply went; exits 1 if anything failed, 130 or 143 after SIGINT or SIGTERM.
private func conclude(_ plan: Plan, report: ApplyReport, elapsed: Duration, context: StackContext, command: String) throws {
    let verb = command == "destroy" ? "Destroy" : "Apply"
    if let code = Interrupts.shared.exitCode {
        let printer = ProgressPrinter(style: context.style)
        for (address, message) in report.failed { printer.failure(address, message) }
        for address in report.notStarted { printer.notStarted(address) }
        let operations = Set(plan.resources.filter { $0.action != .noop || $0.adopt }.map(\.address))
        let finished = report.succeeded.filter(operations.contains).count
        let failed = report.failed.isEmpty ? "" : ", \(report.failed.count) failed"
        let environment = plan.environment == "default" ? "" : " --env \(plan.environment)"
        FileHandle.standardError.write(
            Data(
                """
                \(verb) of '\(plan.stack)' (\(plan.environment)) interrupted: \(finished) of \(operations.count) operations finished and are recorded in the state\(failed), \
                \(report.notStarted.count + report.skipped.count) not started; the lock is released: run `cairn \(command) \(plan.stack)\(environment)` again to carry on.

                """.utf8))
        throw ExitCode(code)
    }
    if report.ok {
        let moved = plan.moveCount == 0 ? "" : ", \(plan.moveCount) moved"
        let counts =
            command == "destroy"
            ? "\(plan.count(.delete)) destroyed"
            : "\(plan.count(.create)) added, \(plan.count(.update)) changed, \(plan.count(.replace)) replaced, \(plan.count(.delete)) destroyed\(moved)"
        say(
            context.style.green("\n\(verb) complete! Resources: \(counts).")
                + context.style.dim(" [\(elapsed.formatted(.units(allowed: [.seconds], fractionalPart: .show(length: 1))))]"))
        if !plan.targets.isEmpty {
            // As Terraform says after a targeted apply.
            let environment = plan.environment == "default" ? "" : " --env \(plan.environment)"
            say(
                "\n" + context.style.yellow(context.style.bold("Warning:"))
                    + " Applied changes may be incomplete: only the targets and what they relate to were \(command == "destroy" ? "destroyed" : "applied"); run `cairn plan \(plan.stack)\(environment)` to see what else the declaration calls for."
            )
        }
        return
    }
    FileHandle.standardError.write(
        Data(
            """

            Error: \(verb) of '\(plan.stack)' (\(plan.environment)) did not finish: \(report.failed.count) failed, \(report.skipped.count) not started. What finished is recorded in the state; fix the cause and run `cairn \(command) \(plan.stack)` again to carry on.
            \(report.failureSummary)

            """.utf8))
    throw ExitCode.failure
}
