import ArgumentParser
import CairnEngine
import CairnResources
import Foundation

extension Cairn {
    /// Brings existing AWS resources under declared addresses: one by its id, or every one a Terraform state holds.
    struct Import: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Adopt an existing AWS resource into the state at a declared address, or every resource of a Terraform state.",
            discussion: """
                cairn import STACK ADDRESS ID adopts one resource. cairn import STACK --from-terraform terraform.tfstate adopts \
                every AWS resource of a Terraform state (format version 4) that a declaration matches by type and name, reads \
                each with Cairn's own provider, gives it this state's ownership tags and records them all in one step; --map \
                FILE pairs Terraform and Cairn addresses where names do not decide ({"aws_kms_key.main": "aws_kms_key.artifacts"}, \
                null to leave one out).
                """)

        @OptionGroup var target: StackOptions
        @Argument(help: "The declared address, e.g. aws_ecr_repository.app.") var address: String?
        @Argument(help: "The resource's physical id (its name for most types).") var id: String?
        @Option(help: ArgumentHelp("Import every resource of this Terraform state that a declaration matches.", valueName: "TFSTATE"))
        var fromTerraform: String?
        @Option(
            help: ArgumentHelp(
                "With --from-terraform: a JSON object of Terraform addresses and the Cairn addresses to import them at.", valueName: "FILE"))
        var map: String?
        @Flag(help: "Import it even though its ownership tags name another Cairn state (that state must then stop managing it).")
        var takeOwnership = false
        @Option(help: "How long to wait for another run to release the stack's lock, in seconds.") var lockTimeout: Int = 0
        @OptionGroup var aws: AWSOptions

        func validate() throws {
            if fromTerraform != nil {
                guard address == nil else {
                    throw ValidationError("--from-terraform imports a whole Terraform state: give no ADDRESS or ID with it.")
                }
            } else {
                guard address != nil, id != nil else {
                    throw ValidationError("Give the declared ADDRESS and the resource's ID, or --from-terraform terraform.tfstate.")
                }
                guard map == nil else { throw ValidationError("--map goes with --from-terraform.") }
            }
        }

        func run() async throws {
            try await reportingErrors {
                if let fromTerraform { return try await importTerraform(fromTerraform) }
                guard let address, let id else { return }
                let context = try await StackContext(target, aws: aws)
                let imported = try await context.workspace.importResource(
                    context.stack, address: address, id: id, region: context.region,
                    takeOwnership: takeOwnership, lockTimeout: .seconds(lockTimeout))
                say(
                    context.style.green("Imported \(imported) as \(address).")
                        + " Run `cairn plan \(target.stack)` to see how it differs from the declaration.")
            }
        }

        private func importTerraform(_ path: String) async throws {
            let state = try TerraformState(parsing: try read(path, what: "The Terraform state"), path: path)
            let pairs = try map.map { try TerraformAddressMap(parsing: try read($0, what: "The map"), path: $0) } ?? TerraformAddressMap()
            let context = try await StackContext(target, aws: aws)
            let report = try await context.workspace.importFromTerraform(
                context.stack, state: state, map: pairs, table: terraformTypes, region: context.region, takeOwnership: takeOwnership,
                lockTimeout: .seconds(lockTimeout))
            say(report.rendered(stack: context.stack, file: path, style: context.style))
        }

        private func read(_ path: String, what: String) throws -> Data {
            do { return try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
                throw CLIError("\(what) \(path) cannot be read (\((error as NSError).localizedDescription)): check the path.")
            }
        }
    }
}
