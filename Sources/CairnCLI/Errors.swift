import ArgumentParser
import Foundation

/// Prints any error as Cairn's one-sentence message on stderr and exits 1, as Terraform does.
func reportingErrors(_ body: () async throws -> Void) async throws {
    do {
        try await body()
    } catch let error as ExitCode {
        throw error
    } catch let error as CleanExit {
        throw error
    } catch {
        printError(error)
        throw ExitCode.failure
    }
}

/// Writes `Error: …` to stderr.
func printError(_ error: any Error) {
    FileHandle.standardError.write(Data("Error: \(String(describing: error))\n".utf8))
}
