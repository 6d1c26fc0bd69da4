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

        func run() async throws {
            try await reportingErrors {
                try await planAndApply(context: try StackContext(target, aws: aws), change: change, refresh: true, destroy: true)
            }
        }
    }
}
