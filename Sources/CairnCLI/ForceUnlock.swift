import ArgumentParser
import CairnEngine
import Foundation

extension Cairn {
    /// Releases a stack's lock left by a process that died.
    struct ForceUnlock: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "force-unlock", abstract: "Release a stack's lock (only when its holder is gone).")

        @OptionGroup var target: StackOptions
        @OptionGroup var aws: AWSOptions

        func run() async throws {
            try await reportingErrors {
                let context = try StackContext(target, aws: aws)
                guard let store = try context.workspace.store(for: context.stack, create: false) else {
                    throw CLIError("The stack '\(target.stack)' (\(target.environment)) has no state, so nothing is locked.")
                }
                defer { store.close() }
                if let info = try store.forceUnlock() {
                    say("Released the lock held by pid \(info.pid) on \(info.host) running '\(info.command)'.")
                } else {
                    say("The stack '\(target.stack)' (\(target.environment)) was not locked.")
                }
            }
        }
    }
}
