import ArgumentParser
import CairnEngine
import Stacks

extension Cairn {
    /// Lists the registered stacks.
    struct ListStacks: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "stacks", abstract: "List the stacks declared in stacks/.")

        func run() {
            for definition in registeredStacks.sorted(by: { $0.name < $1.name }) {
                let resources = definition.instantiate().resources.count
                say("\(definition.name)\t\(definition.region ?? "-")\t\(resources) resources\t\(definition.summary)")
            }
        }
    }
}
