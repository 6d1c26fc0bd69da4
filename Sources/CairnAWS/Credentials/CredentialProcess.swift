import CairnJSON
import CairnSigner
import Foundation

/// What a finished command wrote and how it exited.
public struct CommandOutput: Sendable, Equatable {
    public var status: Int32
    public var stdout: Data
    public var stderr: Data

    public init(status: Int32, stdout: Data, stderr: Data) {
        self.status = status
        self.stdout = stdout
        self.stderr = stderr
    }
}

/// Why a command gave no output.
public enum CommandError: Error, Sendable, Equatable {
    /// It could not be started (no such executable, not executable); the text says why.
    case cannotStart(String)
    /// It ran past its deadline and was stopped.
    case timedOut
}

/// Runs a command without a shell. Injected into the credential chain so tests script what a command answers.
public protocol CommandRunner: Sendable {
    /// Runs `arguments[0]` (a path, or a name looked up on `environment`'s PATH) with the rest as its arguments,
    /// reads its output to the end, and stops it once `timeout` has passed.
    func run(_ arguments: [String], environment: [String: String], timeout: Duration) async throws(CommandError) -> CommandOutput
}

/// Runs commands with Foundation's `Process`; stdin and the terminal stay the caller's (a helper may prompt).
public struct SystemCommandRunner: CommandRunner {
    public init() {}

    public func run(_ arguments: [String], environment: [String: String], timeout: Duration) async throws(CommandError) -> CommandOutput {
        guard let name = arguments.first, !name.isEmpty else { throw .cannotStart("the command is empty") }
        guard let executable = Self.locate(name, path: environment["PATH"] ?? "/usr/bin:/bin") else {
            throw .cannotStart(name.contains("/") ? "\(name) is not an executable file" : "no executable named '\(name)' on PATH")
        }
        let command = RunningCommand()
        command.process.executableURL = URL(fileURLWithPath: executable)
        command.process.arguments = Array(arguments.dropFirst())
        command.process.environment = environment
        guard let output = await command.run(timeout: timeout) else { throw .timedOut }
        guard let output = output else { throw .cannotStart("\(name) could not be started") }
        return output
    }

    /// `name` itself when it holds a slash, else the first executable of that name on `path`.
    static func locate(_ name: String, path: String) -> String? {
        let candidates = name.contains("/") ? [name] : path.split(separator: ":").map { "\($0)/\(name)" }
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) }
    }
}

/// One child process and its two pipes. Both pipes are drained on their own threads while the process runs,
/// so a command writing more than a pipe holds never blocks on a full pipe.
private final class RunningCommand: @unchecked Sendable {
    let process = Process()
    private let lock = NSLock()
    private var stdout = Data()
    private var stderr = Data()
    private var continuation: CheckedContinuation<CommandOutput??, Never>?

    /// The output; `.some(nil)` when it did not start; nil when the deadline passed first.
    func run(timeout: Duration) async -> CommandOutput?? {
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        let group = DispatchGroup()
        group.enter()
        process.terminationHandler = { _ in group.leave() }
        return await withCheckedContinuation { continuation in
            self.continuation = continuation
            do {
                try process.run()
            } catch {
                finish(.some(nil))
                return
            }
            for (handle, isOut) in [(out.fileHandleForReading, true), (err.fileHandleForReading, false)] {
                DispatchQueue.global().async(group: group) {
                    let data = handle.readDataToEndOfFile()
                    self.lock.withLock { if isOut { self.stdout = data } else { self.stderr = data } }
                }
            }
            group.notify(queue: .global()) {
                let output = self.lock.withLock { CommandOutput(status: self.process.terminationStatus, stdout: self.stdout, stderr: self.stderr) }
                self.finish(output)
            }
            DispatchQueue.global().asyncAfter(deadline: .now() + timeout.seconds) {
                if self.finish(nil), self.process.isRunning {
                    self.process.terminate()
                    // A command ignoring SIGTERM is killed a second later.
                    let pid = self.process.processIdentifier
                    DispatchQueue.global().asyncAfter(deadline: .now() + 1) { if self.process.isRunning { kill(pid, SIGKILL) } }
                }
            }
        }
    }

    /// Resumes the waiting caller once; false when it was already resumed.
    @discardableResult private func finish(_ outcome: CommandOutput??) -> Bool {
        let continuation = lock.withLock {
            defer { self.continuation = nil }
            return self.continuation
        }
        continuation?.resume(returning: outcome)
        return continuation != nil
    }
}

/// A profile's `credential_process`: the command is split as botocore splits it (`shlex.split`) and run
/// without a shell; its stdout is the documented JSON (Version 1). Its output is never printed: it holds secrets.
enum CredentialProcess {
    static func credentials(
        command: String, profile: String, runner: any CommandRunner, environment: [String: String], timeout: Duration,
        now: Date
    ) async throws -> Credentials {
        let what = "The credential_process of profile '\(profile)'"
        let arguments: [String]
        do {
            arguments = try shellSplit(command)
        } catch {
            throw CredentialsError("\(what) cannot be split into arguments (\(error.reason)): fix its quoting in the config file.")
        }
        let output: CommandOutput
        do {
            output = try await runner.run(arguments, environment: environment, timeout: timeout)
        } catch .cannotStart(let reason) {
            throw CredentialsError("\(what) cannot start: \(reason); fix the command in the config file.")
        } catch .timedOut {
            throw CredentialsError(
                "\(what) did not finish within \(formatSeconds(timeout.seconds)) s and was stopped: run it yourself to see where it waits.")
        }
        let firstLine = String(decoding: output.stderr, as: UTF8.self).split(whereSeparator: \.isNewline).first.map(String.init)
        let stderr = firstLine.map { ": \($0)" } ?? " (nothing on stderr)"
        guard output.status == 0 else {
            throw CredentialsError("\(what) exited with status \(output.status)\(stderr).")
        }
        guard let json = try? JSON(parsing: [UInt8](output.stdout)), json.objectValue != nil else {
            throw CredentialsError("\(what) printed something that is not a JSON object\(stderr).")
        }
        guard json["Version"]?.intValue == 1 else {
            throw CredentialsError("\(what) printed Version \(json["Version"].map { "\($0)" } ?? "(none)"): Cairn reads Version 1.")
        }
        guard let key = json["AccessKeyId"]?.stringValue, !key.isEmpty, let secret = json["SecretAccessKey"]?.stringValue, !secret.isEmpty
        else {
            throw CredentialsError("\(what) printed no AccessKeyId and SecretAccessKey\(stderr).")
        }
        var expiration: Date?
        if let text = json["Expiration"]?.stringValue {
            guard let date = parseTimestamp(text) else {
                throw CredentialsError("\(what) printed Expiration '\(text)', which is not an ISO 8601 time.")
            }
            guard date > now else {
                throw CredentialsError("\(what) printed credentials that expired at \(text): check the helper's own cache.")
            }
            expiration = date
        }
        return Credentials(accessKeyID: key, secretAccessKey: secret, sessionToken: json["SessionToken"]?.stringValue, expiration: expiration)
    }
}

/// Why a command line cannot be split.
struct ShellSplitError: Error, Equatable {
    let reason: String
}

/// Splits `text` into words as Python's `shlex.split` does (POSIX mode), which botocore uses for
/// `credential_process`: whitespace separates words; '…' is literal; in "…" a backslash escapes only `"` and `\`;
/// outside quotes a backslash escapes any character; quoted parts join the word around them.
func shellSplit(_ text: String) throws(ShellSplitError) -> [String] {
    var words: [String] = []
    var word = ""
    var inWord = false
    var characters = Array(text)[...]
    while let character = characters.popFirst() {
        switch character {
        case " ", "\t", "\n", "\r":
            if inWord { words.append(word) }
            word = ""
            inWord = false
        case "'":
            inWord = true
            guard let close = characters.firstIndex(of: "'") else { throw ShellSplitError(reason: "No closing quotation") }
            word += characters[..<close]
            characters = characters[(close + 1)...]
        case "\"":
            inWord = true
            var closed = false
            while let next = characters.popFirst() {
                if next == "\"" {
                    closed = true
                    break
                }
                if next == "\\", let escaped = characters.first, escaped == "\"" || escaped == "\\" {
                    word.append(escaped)
                    characters = characters.dropFirst()
                } else {
                    word.append(next)
                }
            }
            guard closed else { throw ShellSplitError(reason: "No closing quotation") }
        case "\\":
            inWord = true
            guard let escaped = characters.popFirst() else { throw ShellSplitError(reason: "No escaped character") }
            word.append(escaped)
        default:
            inWord = true
            word.append(character)
        }
    }
    if inWord { words.append(word) }
    return words
}
