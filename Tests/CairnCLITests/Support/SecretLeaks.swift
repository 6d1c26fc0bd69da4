import Foundation
import TestSupport
import Testing

/// Fails the test for each of `secrets` found in what `results` printed or in any byte of a file under `stateDir`.
func expectNoSecrets(_ secrets: [String], printedBy results: [ProcessResult], stateDir: URL, sourceLocation: SourceLocation = #_sourceLocation) {
    for result in results {
        for value in secrets where result.stdout.contains(value) || result.stderr.contains(value) {
            Issue.record("a secret leaked in what cairn printed: \(result)", sourceLocation: sourceLocation)
        }
    }
    let files = FileManager.default.enumerator(atPath: stateDir.path)?.compactMap { $0 as? String } ?? []
    for file in files {
        guard let bytes = FileManager.default.contents(atPath: stateDir.appendingPathComponent(file).path) else { continue }
        for value in secrets where bytes.range(of: Data(value.utf8)) != nil {
            Issue.record("\(file) holds a secret in clear", sourceLocation: sourceLocation)
        }
    }
}
