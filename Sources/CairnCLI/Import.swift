import ArgumentParser
import CairnEngine
import CairnJSON
import CairnState
import Foundation

extension Cairn {
    /// Brings an existing AWS resource under a declared address.
    struct Import: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Adopt an existing AWS resource into the state at a declared address.")

        @OptionGroup var target: StackOptions
        @Argument(help: "The declared address, e.g. aws_ecr_repository.app.") var address: String
        @Argument(help: "The resource's physical id (its name for most types).") var id: String
        @OptionGroup var aws: AWSOptions

        func run() async throws {
            try await reportingErrors {
                let context = try StackContext(target, aws: aws)
                guard let resource = context.stack.resources.first(where: { $0.address == address }) else {
                    let known = context.stack.resources.map(\.address).joined(separator: ", ")
                    throw CLIError("The stack '\(target.stack)' declares no \(address): declare it first (declared: \(known)).")
                }
                guard let provider = context.workspace.providers[resource.typeName] else {
                    throw CLIError("No provider handles \(resource.typeName).")
                }
                var sensitive = Set<String>()
                let declared = resource.attributes.mapValues { $0.resolve(sensitivePaths: &sensitive) { _ in nil } }
                guard let live = try await provider.read(id: id, prior: declared) else {
                    throw CLIError("\(address): AWS has no \(resource.typeName) with id '\(id)' in \(context.region): check the id and the region.")
                }
                guard let store = try context.workspace.store(for: context.stack, create: true) else { return }
                defer { store.close() }
                let lock = try await store.acquireLock(command: "import")
                defer { _ = try? lock.release() }
                if try store.resource(at: address) != nil {
                    throw CLIError("\(address) is already in the state: remove it from the state or choose another address.")
                }
                var attributes = live.attributes
                for key in provider.localAttributes { attributes[key] = declared[key] }
                let codec = try context.workspace.codec(create: true)
                let record = ResourceRecord(address: address, type: resource.typeName, physicalID: live.id,
                                            attributes: try codec.encode(attributes, sensitivePaths: sensitive.sorted(), address: address),
                                            outputs: JSON.object(live.outputs).description, dependencies: resource.dependencies.sorted())
                _ = try store.commit(.import(record), command: "import")
                say(context.style.green("Imported \(live.id) as \(address).") + " Run `cairn plan \(target.stack)` to see how it differs from the declaration.")
            }
        }
    }
}
