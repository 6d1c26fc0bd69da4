import CairnAWS
import CairnJSON

@testable import CairnEngine
@testable import CairnResources

/// One live resource declared as `cairn generate` declares it, offline: a type's `swiftArguments` given a read (an
/// `Observed`) and the other resources found, whose outputs its values may name.
enum GenerateTesting {
    /// Another resource found: its type, variable and outputs (`["arn": "arn:aws:iam::1:role/build"]`).
    struct Found {
        let type: String
        let variable: String
        let outputs: [String: JSON]

        init(_ type: String, _ variable: String, _ outputs: [String: JSON]) {
            self.type = type
            self.variable = variable
            self.outputs = outputs
        }
    }

    /// What the declaration came to.
    struct Declared {
        let arguments: [SwiftArgument]
        /// Attribute → why it cannot be said.
        let unexpressed: [String: String]
        /// What the declaration's `ignoreDrift` holds.
        let ignoredDrift: [String]
        /// Why the resource cannot be declared at all, if it cannot.
        let undeclarable: String?
        /// The file-level constants written (buildspecs).
        let constants: [String: String]

        /// The expression of the argument labelled `label`.
        func argument(_ label: String) -> String? { arguments.first { $0.label == label }?.expression }
        /// The arguments as the call writes them: `name: "x", …`.
        var text: String { arguments.map(\.text).joined(separator: ", ") }
    }

    /// A client that is never called: a generator only writes Swift.
    static let providers = awsProviders(
        client: AWSClient.scripted(ScriptedTransport(status: { _ in (500, "{}") }), clock: SteppingClock()))

    /// `live`, of `type`, declared as `variable`, with `found` found too.
    static func declare(_ type: String, _ live: Observed, as variable: String = "subject", found: [Found] = []) -> Declared {
        let provider = providers[type] as! any DiscoverableProvider
        let context = SwiftContext(stackTags: [:])
        for other in found {
            let properties = (providers[other.type] as? any DiscoverableProvider)?.swiftOutputs ?? [:]
            context.addFound(typeName: other.type, id: other.outputs["id"]?.stringValue ?? other.variable)
            for (output, value) in other.outputs {
                context.addTarget(
                    value: value, address: "\(other.type).\(other.variable)", typeName: other.type, variable: other.variable, output: output,
                    property: properties[output] ?? output)
            }
        }
        let address = "\(type).\(variable)"
        context.begin(address, banned: [])
        let arguments = provider.swiftArguments(live, in: context)
        return Declared(
            arguments: arguments, unexpressed: context.unexpressed[address] ?? [:], ignoredDrift: context.ignoredDrift[address] ?? [],
            undeclarable: context.undeclarable[address], constants: context.constants)
    }
}
