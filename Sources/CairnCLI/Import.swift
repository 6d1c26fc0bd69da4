import ArgumentParser
import CairnEngine
import Foundation

extension Cairn {
    /// Brings an existing AWS resource under a declared address.
    struct Import: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Adopt an existing AWS resource into the state at a declared address.")

        @OptionGroup var target: StackOptions
        @Argument(help: "The declared address, e.g. aws_ecr_repository.app.") var address: String
        @Argument(help: "The resource's physical id (its name for most types).") var id: String
        @Flag(help: "Import it even though its ownership tags name another Cairn state (that state must then stop managing it).")
        var takeOwnership = false
        @OptionGroup var aws: AWSOptions

        func run() async throws {
            try await reportingErrors {
                let context = try await StackContext(target, aws: aws)
                let imported = try await context.workspace.importResource(
                    context.stack, address: address, id: id, region: context.region,
                    takeOwnership: takeOwnership)
                say(
                    context.style.green("Imported \(imported) as \(address).")
                        + " Run `cairn plan \(target.stack)` to see how it differs from the declaration.")
            }
        }
    }
}
