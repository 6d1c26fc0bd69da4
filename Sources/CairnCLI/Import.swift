import ArgumentParser
import CairnEngine
import CairnResources
import Foundation

extension Cairn {
    /// Brings existing AWS resources under declared addresses: one by its id, every one the stack's `.importing` names,
    /// or every one a Terraform state holds.
    struct Import: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "Adopt an existing AWS resource into the state at a declared address, every one the stack imports, or every resource of a Terraform state.",
            discussion: """
                cairn import STACK ADDRESS ID adopts one resource. cairn import STACK --all adopts every resource the stack's \
                .importing([ADDRESS: ID]) names (as `cairn generate` writes it), in one step. cairn import STACK --from-terraform terraform.tfstate adopts \
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
        @Flag(help: "Import every resource the stack's .importing([...]) names, in one step.") var all = false
        @Option(
            help: ArgumentHelp(
                "With --from-terraform: a JSON object of Terraform addresses and the Cairn addresses to import them at.", valueName: "FILE"))
        var map: String?
        @Flag(help: "Import it even though its ownership tags name another Cairn state (that state must then stop managing it).")
        var takeOwnership = false
        @OptionGroup var lock: LockOptions
        @OptionGroup var aws: AWSOptions

        func validate() throws {
            if all {
                guard address == nil, fromTerraform == nil, map == nil else {
                    throw ValidationError("--all imports what the stack's .importing names: give no ADDRESS, ID or --from-terraform with it.")
                }
            } else if fromTerraform != nil {
                guard address == nil else {
                    throw ValidationError("--from-terraform imports a whole Terraform state: give no ADDRESS or ID with it.")
                }
            } else {
                guard address != nil, id != nil else {
                    throw ValidationError("Give the declared ADDRESS and the resource's ID, --all, or --from-terraform terraform.tfstate.")
                }
                guard map == nil else { throw ValidationError("--map goes with --from-terraform.") }
            }
        }

        func run() async throws {
            try await reportingErrors {
                if let fromTerraform { return try await importTerraform(fromTerraform) }
                if all { return try await importAll() }
                guard let address, let id else { return }
                let context = try await StackContext(target, aws: aws)
                let imported = try await context.workspace.importResource(
                    context.stack, address: address, id: id, region: context.region,
                    takeOwnership: takeOwnership, lockTimeout: lock.timeout)
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
                lockTimeout: lock.timeout)
            say(report.rendered(stack: context.stack, file: path, style: context.style))
        }

        private func importAll() async throws {
            let context = try await StackContext(target, aws: aws)
            let report = try await context.workspace.importAll(
                context.stack, region: context.region, takeOwnership: takeOwnership, lockTimeout: lock.timeout)
            for item in report.imported {
                say("  \(item.address) = \(item.id)\(item.tagged ? " (ownership tags added)" : "")")
            }
            if !report.alreadyRecorded.isEmpty {
                say("Already in the state: \(report.alreadyRecorded.joined(separator: ", ")).")
            }
            if !report.notImported.isEmpty {
                say("Declared without an import (the next apply creates them): \(report.notImported.joined(separator: ", ")).")
            }
            say(
                context.style.green("Imported \(report.imported.count) resource\(report.imported.count == 1 ? "" : "s") into \(target.stack).")
                    + " Run `cairn plan \(target.stack)` to see how they differ from the declarations.")
        }

        private func read(_ path: String, what: String) throws -> Data {
            do { return try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
                throw CLIError("\(what) \(path) cannot be read (\((error as NSError).localizedDescription)): check the path.")
            }
        }
    }
}
