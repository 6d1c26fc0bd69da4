import ArgumentParser
import CairnAWS
import CairnEngine
import CairnResources
import CairnState
import Foundation

/// Which stack, which environment, and where its state lives.
struct StackOptions: ParsableArguments {
    @Argument(help: "The stack's name (see `cairn stacks`).")
    var stack: String

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

    /// The stack in the chosen environment with its variables; `requireAll` false for commands that
    /// only read the state, which need no variable set.
    func instantiate(_ definition: StackDefinition, requireAll: Bool = true) throws -> Stack {
        let environment = try checkedEnvironment()
        let files = try variables.files.map { path in
            do { return (path: path, contents: try Data(contentsOf: URL(fileURLWithPath: path))) } catch {
                throw CLIError("The variable file \(path) cannot be read (\((error as NSError).localizedDescription)): check the path.")
            }
        }
        let values = try VariableValues.resolve(
            stack: definition.name, declarations: definition.variables, assignments: variables.assignments,
            files: files, environment: ProcessInfo.processInfo.environment)
        return try definition.instantiate(environment, variables: values, requireAll: requireAll)
    }

    /// `--env`, refused unless it is a valid environment name.
    func checkedEnvironment() throws -> StackEnvironment {
        guard environment.range(of: "^[a-z0-9][a-z0-9-]{0,31}$", options: .regularExpression) != nil else {
            throw CLIError("--env '\(environment)' is not a valid environment name: use up to 32 lower-case letters, digits and hyphens.")
        }
        return StackEnvironment(environment)
    }

    /// `--state-dir`, else `CAIRN_STATE_DIR`, else `./state`.
    var stateDirectory: URL {
        URL(fileURLWithPath: stateDir ?? ProcessInfo.processInfo.environment["CAIRN_STATE_DIR"] ?? "state")
    }

    /// `--backend`, else `CAIRN_BACKEND`, else what the stack declares.
    func stateBackend(_ definition: StackDefinition) throws -> StateBackend {
        if let backend { return try StateBackend.parse(backend, source: "--backend") }
        if let text = ProcessInfo.processInfo.environment["CAIRN_BACKEND"], !text.isEmpty {
            return try StateBackend.parse(text, source: "CAIRN_BACKEND")
        }
        return definition.backend
    }
}

extension StackOptions {
    /// What a printed command needs to reach the same state as this one, runnable as printed: ` --env E` unless it is
    /// the default environment, and the `--state-dir` and `--backend` given (each shell-quoted when it needs it).
    var commandSuffix: String {
        ((environment == "default" ? [] : ["--env", shellWord(environment)]) + stateOptions).map { " " + $0 }.joined()
    }

    /// The `--state-dir` and `--backend` given, as shell words (quoted when they need it), for printed commands.
    var stateOptions: [String] {
        var words: [String] = []
        if let stateDir { words += ["--state-dir", stateDir] }
        if let backend { words += ["--backend", backend] }
        return words.map(shellWord)
    }
}

extension StateBackend {
    /// The shared state this backend names, reached with `configuration` (in the bucket's region when the backend
    /// names one, else `region`), or nil for local state. Warns on stderr when the bucket keeps no versions.
    func remote(configuration: AWSConfiguration, region: String, logger: (any AWSLogger)?) throws -> RemoteBackend? {
        guard case .s3(let bucket, let key, let bucketRegion, let kmsKeyId) = self else { return nil }
        let objects = S3StateObjects(client: configuration.client(region: bucketRegion ?? region, logger: logger), bucket: bucket, kmsKeyId: kmsKeyId)
        // Beside the first read of the state; a bucket that cannot be read is reported by that read.
        return RemoteBackend(objects: objects, prefix: key, replicaRoot: FileManager.default.temporaryDirectory) {
            if let warning = try? await objects.versioningWarning() {
                FileHandle.standardError.write(Data((warning + "\n").utf8))
            }
        }
    }
}

/// `--var` and `--var-file`: the values of a stack's variables.
struct VariableOptions: ParsableArguments {
    @Option(
        name: .customLong("var"),
        help: ArgumentHelp("Set a stack variable (repeatable; wins over --var-file and CAIRN_VAR_NAME).", valueName: "NAME=VALUE"))
    var assignments: [String] = []

    @Option(
        name: .customLong("var-file"),
        help: ArgumentHelp("Set stack variables from a JSON object of names and values (repeatable; later files win).", valueName: "FILE"))
    var files: [String] = []

    /// The options as they were given, to pass on to another parse.
    var arguments: [String] { assignments.flatMap { ["--var", $0] } + files.flatMap { ["--var-file", $0] } }
}

/// Everything a stack command needs: the stack, its region, an AWS client and the workspace.
struct StackContext {
    let stack: Stack
    let region: String
    let client: AWSClient
    let workspace: Workspace
    let style: Style

    /// - Parameter requireVariables: false for commands that only read the state.
    init(_ options: StackOptions, aws: AWSOptions, requireVariables: Bool = true) async throws {
        let definition = try StackRegistry.definition(named: options.stack)
        stack = try options.instantiate(definition, requireAll: requireVariables)
        let backend = try options.stateBackend(definition)
        let configuration = try aws.configuration(stackRegion: definition.region)
        region = configuration.region
        client = configuration.client(region: region, logger: aws.logger)
        workspace = Workspace(
            stateDir: options.stateDirectory, providers: awsProviders(client: client),
            environment: ProcessInfo.processInfo.environment, region: region,
            remote: try backend.remote(configuration: configuration, region: region, logger: aws.logger), stateOptions: options.stateOptions)
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
