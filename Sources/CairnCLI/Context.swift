import ArgumentParser
import CairnAWS
import CairnEngine
import CairnResources
import Foundation

/// Which stack, which environment, and where its state lives.
struct StackOptions: ParsableArguments {
    @Argument(help: "The stack's name (see `cairn stacks`).")
    var stack: String

    @Option(name: .customLong("env"), help: "The environment: each has its own state (default: default).")
    var environment: String = "default"

    @Option(help: "Where state databases live (default: $CAIRN_STATE_DIR, else ./state).")
    var stateDir: String?
}

/// Everything a stack command needs: the stack, its region, an AWS client and the workspace.
struct StackContext {
    let stack: Stack
    let region: String
    let client: AWSClient
    let workspace: Workspace
    let style: Style

    init(_ options: StackOptions, aws: AWSOptions) throws {
        let definition = try StackRegistry.definition(named: options.stack)
        guard options.environment.range(of: "^[a-z0-9][a-z0-9-]{0,31}$", options: .regularExpression) != nil else {
            throw CLIError("--env '\(options.environment)' is not a valid environment name: use up to 32 lower-case letters, digits and hyphens.")
        }
        stack = definition.instantiate(StackEnvironment(options.environment))
        let configuration = try aws.configuration(stackRegion: definition.region)
        // A stack that pins its region lives there, whatever the shell's default; --region still wins.
        region = aws.region ?? definition.region ?? configuration.region
        client = configuration.client(region: region, logger: aws.logger)
        let environment = ProcessInfo.processInfo.environment
        let stateDir = options.stateDir ?? environment["CAIRN_STATE_DIR"] ?? "state"
        workspace = Workspace(stateDir: URL(fileURLWithPath: stateDir), providers: awsProviders(client: client), environment: environment,
                              region: region)
        style = Style.forTerminal()
    }
}

/// A usage problem, printed as one sentence.
struct CLIError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

extension Style {
    /// Colour on a terminal, unless `NO_COLOR` is set.
    static func forTerminal(fileDescriptor: Int32 = STDOUT_FILENO) -> Style {
        Style(enabled: isatty(fileDescriptor) == 1 && ProcessInfo.processInfo.environment["NO_COLOR"] == nil)
    }
}

/// Asks "yes" on a terminal; refuses without one.
func confirm(_ question: String, autoApprove: Bool) throws -> Bool {
    if autoApprove { return true }
    guard isatty(STDIN_FILENO) == 1 else {
        throw CLIError("Cairn asks for confirmation before changing anything, and there is no terminal to ask on: pass --auto-approve.")
    }
    say("\n\(question)\n  Only 'yes' will be accepted to approve.\n\n  Enter a value: ", terminator: "")
    return readLine()?.trimmingCharacters(in: .whitespaces) == "yes"
}
