import ArgumentParser
import CairnEngine
import CairnResources
import CairnState
import Foundation

extension Cairn {
    /// Releases a stack's lock left by a process that is gone.
    struct ForceUnlock: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "force-unlock", abstract: "Release a stack's lock (only when its holder is gone).",
            discussion: """
                A lock held by a process on this host is released only when that process is gone (or its pid \
                now belongs to another process); while it runs, force-unlock refuses. A lock held from another \
                host cannot be checked from here: its holder and age are shown, and only 'yes' releases it \
                (--force skips the question). Needs no AWS access.
                """)

        @OptionGroup var target: StackOptions

        @Flag(help: "Release a lock held from another host without asking (for scripts).")
        var force = false

        @Option(help: "The id of the lock to release, as the holder's message shows it (required for a shared state in S3).")
        var lockID: String?

        // Accepted (and hidden) as by every stack command, so scripts can pass the same flags; a local state needs
        // no AWS call.
        @OptionGroup(visibility: .hidden) var aws: AWSOptions

        func run() async throws {
            try await reportingErrors {
                let definition = try StackRegistry.definition(named: target.stack)
                _ = try target.checkedEnvironment()
                let backend = try target.stateBackend(definition)
                var remote: RemoteBackend?
                if backend != .local {
                    let configuration = try aws.configuration(stackRegion: definition.region)
                    remote = try backend.remote(configuration: configuration, region: configuration.region, logger: aws.logger)
                }
                // No providers: releasing a lock reads only the state.
                let workspace = Workspace(
                    stateDir: target.stateDirectory, providers: ProviderRegistry(),
                    environment: ProcessInfo.processInfo.environment, remote: remote, stateOptions: target.stateOptions)
                let outcome = try await workspace.forceUnlock(
                    stack: target.stack, environment: target.environment, lockID: lockID, confirmRemote: confirmRemoteRelease)
                switch outcome {
                case .noState:
                    throw CLIError("The stack '\(target.stack)' (\(target.environment)) has no state, so nothing is locked.")
                case .notLocked:
                    say("The stack '\(target.stack)' (\(target.environment)) was not locked.")
                case .declined:
                    say("Nothing was released.")
                    throw ExitCode.failure
                case .changedMeanwhile:
                    say("The lock of '\(target.stack)' (\(target.environment)) was released or taken over meanwhile: nothing was removed.")
                case .needsLockID(let holder):
                    throw CLIError(
                        "\(holder.place) is held by pid \(holder.pid) on \(holder.host) running '\(holder.command)' since \(ISO8601DateFormatter().string(from: holder.since))\(holder.isStale ? " (stale: its lease ran out)" : ""), lock id \(holder.lockID): release it with `\(holder.forceUnlockCommand)` once you know that run is gone; nothing was removed."
                    )
                case .otherLock(let holder):
                    throw CLIError(
                        "\(holder.place) is held under lock id \(holder.lockID), not \(lockID ?? ""): it was released and taken again meanwhile, so nothing was removed — check the holder (pid \(holder.pid) on \(holder.host) running '\(holder.command)') before trying again."
                    )
                case .released(let released):
                    say("Released the lock held by pid \(released.pid) on \(released.host) running '\(released.command)'.")
                }
            }
        }

        /// Asks before releasing a lock whose holder runs elsewhere, since it may still be writing.
        private func confirmRemoteRelease(of holder: LockInfo) throws -> Bool {
            if !force && isatty(STDIN_FILENO) != 1 {
                throw CLIError(
                    """
                    The lock of '\(target.stack)' (\(target.environment)) is held from another host (\(holder.host), pid \(holder.pid), \
                    running '\(holder.command)' for \(age(since: holder.since))), which Cairn cannot check from here, and there is \
                    no terminal to ask on: pass --force once you know that process is gone.
                    """)
            }
            let question = """
                The lock of '\(target.stack)' (\(target.environment)) is held by pid \(holder.pid) on \(holder.host) running \
                '\(holder.command)' since \(ISO8601DateFormatter().string(from: holder.since)) (\(age(since: holder.since)) ago). \
                Cairn cannot check a process on another host: release the lock only if that process is gone.
                Release it?
                """
            return try confirm(question, autoApprove: force)
        }
    }
}

/// How long ago `date` was, in the largest whole unit: "45 seconds", "3 hours".
private func age(since date: Date, now: Date = Date()) -> String {
    let seconds = max(0, Int(now.timeIntervalSince(date)))
    let (count, unit): (Int, String) =
        switch seconds {
        case ..<120: (seconds, "second")
        case ..<7_200: (seconds / 60, "minute")
        case ..<172_800: (seconds / 3_600, "hour")
        default: (seconds / 86_400, "day")
        }
    return "\(count) \(unit)\(count == 1 ? "" : "s")"
}
