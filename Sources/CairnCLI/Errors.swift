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

/// Writes to stdout unbuffered, so that plan text and progress lines reach a CI log in order, as they happen.
func say(_ text: String = "", terminator: String = "\n") {
    FileHandle.standardOutput.write(Data((text + terminator).utf8))
}

/// `word` as one word of a command Cairn prints for the user to run: as is when it holds only letters, digits and
/// `-_./:=@,+`, else single-quoted so that a shell reads it back unchanged (`&` and `?` in a backend's options).
func shellWord(_ word: String) -> String {
    let plain = !word.isEmpty && word.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "-_./:=@,+".contains($0)) }
    return plain ? word : "'" + word.replacingOccurrences(of: "'", with: #"'\''"#) + "'"
}
