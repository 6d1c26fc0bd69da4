import ArgumentParser
import CairnEngine
import CairnState
import Foundation

extension Cairn.StateCommand {
    /// `cairn state migrate STACK --to s3://BUCKET/PREFIX` (or `--to local`).
    struct Migrate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Copy the state, with its history, to another backend (never over an existing state).",
            discussion: """
                The state is read from the current backend (--backend, CAIRN_BACKEND, the stack's backend, else local) \
                under its lock and written to --to, which must hold no state for the stack. The source is left as it \
                was: remove it once the stack's backend (or CAIRN_BACKEND) points at the new one.
                """)
        @OptionGroup var target: StackOptions
        @Option(help: "Where to copy the state: `s3://BUCKET/PREFIX` or `local` (the state directory).") var to: String
        @OptionGroup var lock: LockOptions
        @OptionGroup var aws: AWSOptions

        func run() async throws {
            try await reportingErrors {
                let context = try await StackContext(target, aws: aws, requireVariables: false)
                let destination = try StateBackend.parse(to, source: "--to")
                let definition = try StackRegistry.definition(named: target.stack)
                let source = try target.stateBackend(definition)
                guard destination != source else { throw CLIError("--to \(to) is where the state already is: name another backend.") }
                let configuration = try aws.configuration(stackRegion: definition.region)
                let targetWorkspace = Workspace(
                    stateDir: target.stateDirectory, providers: ProviderRegistry(), environment: ProcessInfo.processInfo.environment,
                    region: context.region,
                    remote: try destination.remote(configuration: configuration, region: context.region, logger: aws.logger))
                let (resources, history) = try await context.workspace.migrateState(
                    context.stack, to: targetWorkspace, lockTimeout: lock.timeout)
                let from = context.workspace.stateLocation(stack: context.stack.name, environment: context.stack.environment.name)
                let into = targetWorkspace.stateLocation(stack: context.stack.name, environment: context.stack.environment.name)
                say(
                    "Copied the state of '\(context.stack.name)' (\(context.stack.environment.name)): \(resources) resources and \(history) history entries, from \(from) to \(into). Use it with --backend \(shellWord(destination.description)) (or CAIRN_BACKEND, or the stack's backend:); \(from) is kept as a backup, and refuses to be used from now on."
                )
            }
        }
    }

    /// `cairn state pull STACK --out FILE`.
    struct Pull: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write a copy of the state (a SQLite database, sealed values sealed) to a new file, for inspection or repair.")
        @OptionGroup var target: StackOptions
        @Option(help: "The file to write (must not exist).") var out: String
        @OptionGroup var aws: AWSOptions

        func run() async throws {
            try await reportingErrors {
                let context = try await StackContext(target, aws: aws, requireVariables: false)
                let database = try await context.workspace.pullState(context.stack)
                let url = URL(fileURLWithPath: out)
                guard try StateDirectory.createPrivateFile(url, contents: database) else {
                    throw CLIError("\(out) already exists: Cairn never overwrites it; name a new file with --out.")
                }
                say(
                    "Wrote the state of '\(context.stack.name)' (\(context.stack.environment.name)) to \(out) (mode 0600; `sqlite3 \(out)` opens it)."
                )
            }
        }
    }

    /// `cairn state push STACK FILE`.
    struct Push: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Replace the shared state with a file pulled and repaired (same state, not older), under the lock.")
        @OptionGroup var target: StackOptions
        @Argument(help: "A state database written by `cairn state pull`.") var file: String
        @OptionGroup var lock: LockOptions
        @OptionGroup var aws: AWSOptions

        func run() async throws {
            try await reportingErrors {
                let context = try await StackContext(target, aws: aws, requireVariables: false)
                guard let database = FileManager.default.contents(atPath: file) else {
                    throw CLIError("\(file) cannot be read: check the path (a file written by `cairn state pull`).")
                }
                try await context.workspace.pushState(context.stack, database: database, lockTimeout: lock.timeout)
                say("Pushed \(file) as the state of '\(context.stack.name)' (\(context.stack.environment.name)).")
            }
        }
    }
}
