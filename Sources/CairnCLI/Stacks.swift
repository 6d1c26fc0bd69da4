import ArgumentParser
import CairnEngine
import Foundation

extension Cairn {
    /// Lists the registered stacks.
    struct ListStacks: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "stacks", abstract: "List the registered stacks.")

        func run() {
            for definition in StackRegistry.stacks.sorted(by: { $0.name < $1.name }) {
                let resources = definition.instantiate().resources.count
                say("\(definition.name)\t\(definition.region ?? "-")\t\(resources) resources\t\(definition.summary)")
            }
        }
    }
}

/// The stacks this process's commands know, by name.
///
/// The stacks are not part of the CLI: the package that declares them passes them to
/// `CairnMain.main(stacks:)`, which hands them to `Cairn.execute(stacks:)`. ArgumentParser creates the
/// commands itself, so they cannot be given the list; `execute` registers it here once, before parsing
/// the arguments, and every command looks its stack up here.
enum StackRegistry {
    private static let lock = NSLock()
    // Guarded by `lock`. Written once at start-up, before any command runs.
    nonisolated(unsafe) private static var registered: [StackDefinition] = []

    /// The registered stacks, in the order they were given.
    static var stacks: [StackDefinition] { lock.withLock { registered } }

    /// Registers `stacks`, refusing two with one name: a command could not tell them apart.
    static func register(_ stacks: [StackDefinition]) throws {
        var names = Set<String>()
        for definition in stacks where !names.insert(definition.name).inserted {
            throw CLIError("Two stacks are named '\(definition.name)': each stack given to CairnMain.main(stacks:) needs its own name.")
        }
        lock.withLock { registered = stacks }
    }

    /// The stack named `name`, or an error naming the registered ones.
    static func definition(named name: String) throws -> StackDefinition {
        let known = Self.stacks
        if let definition = known.first(where: { $0.name == name }) { return definition }
        guard !known.isEmpty else {
            throw CLIError("There is no stack named '\(name)': no stacks are registered (pass them to CairnMain.main(stacks:)).")
        }
        let names = known.map(\.name).joined(separator: ", ")
        throw CLIError("There is no stack named '\(name)': the registered stacks are \(names) (see `cairn stacks`).")
    }
}
