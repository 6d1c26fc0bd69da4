import CairnAWS
import CairnEngine
import CairnJSON
import Foundation

@testable import CairnResources

/// Resolves declarations that refer to other resources, as the engine does once their outputs are known.
enum LinkedResourceTesting {
    /// The declaration's attributes with every reference replaced by `outputs[address][output]`.
    static func attributes(of declaration: some ResourceDeclaration, outputs: [String: [String: JSON]]) -> [String: JSON] {
        var sensitive = Set<String>()
        return declaration.attributes.mapValues { value in
            value.resolve(sensitivePaths: &sensitive) { outputs[$0.address]?[$0.output] }
        }
    }

    /// Runs `body` and returns the error it throws, or nil.
    static func error(_ body: () async throws -> Void) async -> (any Error)? {
        do { try await body() } catch { return error }
        return nil
    }
}
