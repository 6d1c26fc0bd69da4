import CairnCrypto
import CairnJSON
import CairnSigner
import Foundation

/// Asks the person at the terminal for a one-time MFA code. Injected (`CredentialHelpers.mfaPrompt`) so tests script it.
public protocol MFAPrompt: Sendable {
    /// The code from the device `serial`, which profile `profile`'s `mfa_serial` names.
    func code(serial: String, profile: String) async throws -> String
}

/// Asks on the terminal (the prompt on stderr, the answer from stdin), and refuses when stdin is not a terminal:
/// in CI nobody can answer, and waiting would hang.
public struct TerminalMFAPrompt: MFAPrompt {
    public init() {}

    public func code(serial: String, profile: String) async throws -> String {
        guard isatty(STDIN_FILENO) == 1 else { throw MFAPromptError.noTerminal(serial: serial, profile: profile) }
        FileHandle.standardError.write(Data("Enter MFA code for \(serial): ".utf8))
        guard let line = readLine(strippingNewline: true)?.trimmingCharacters(in: .whitespaces), !line.isEmpty else {
            throw CredentialsError("No MFA code was entered for profile '\(profile)'.")
        }
        return line
    }
}

/// Why no MFA code could be had.
enum MFAPromptError {
    static func noTerminal(serial: String, profile: String) -> CredentialsError {
        CredentialsError(
            "Profile '\(profile)' needs a code from the MFA device \(serial) (mfa_serial) and stdin is not a terminal: run Cairn once in a terminal, or `aws sts get-caller-identity --profile \(profile)`; either caches the session in ~/.aws/cli/cache for later runs."
        )
    }
}

/// The AWS CLI's cache of assumed-role sessions (`~/.aws/cli/cache/<key>.json`), shared with it so that one MFA code
/// serves the CLI and every Cairn command until the session nears expiry.
struct AssumeRoleCache: Sendable {
    let path: String

    /// botocore's `AssumeRoleCredentialFetcher._create_cache_key`: the SHA-1 of the AssumeRole arguments as
    /// `json.dumps(args, sort_keys=True)` writes them; a generated session name is left out.
    init(directory: String, roleARN: String, sessionName: String?, serial: String, externalID: String?, durationSeconds: Int?) {
        var arguments: [(String, String)] = [("RoleArn", Self.quoted(roleARN)), ("SerialNumber", Self.quoted(serial))]
        if let sessionName { arguments.append(("RoleSessionName", Self.quoted(sessionName))) }
        if let externalID { arguments.append(("ExternalId", Self.quoted(externalID))) }
        if let durationSeconds { arguments.append(("DurationSeconds", String(durationSeconds))) }
        let text = "{" + arguments.sorted { $0.0 < $1.0 }.map { "\(Self.quoted($0.0)): \($0.1)" }.joined(separator: ", ") + "}"
        let key = SHA1.hash(Array(text.utf8)).map { String(format: "%02x", $0) }.joined()
        path = "\(directory)/\(key).json"
    }

    /// A string as Python's `json.dumps` writes it (ASCII only, `\uXXXX` for the rest).
    static func quoted(_ text: String) -> String {
        var out = "\""
        for unit in text.utf16 {
            switch unit {
            case 0x22: out += "\\\""
            case 0x5C: out += "\\\\"
            case 0x0A: out += "\\n"
            case 0x0D: out += "\\r"
            case 0x09: out += "\\t"
            case 0x20..<0x7F: out += String(UnicodeScalar(UInt8(unit)))
            default: out += String(format: "\\u%04x", unit)
            }
        }
        return out + "\""
    }

    /// The cached session when it has more than botocore's 15 minutes left.
    func read(now: Date) -> Credentials? {
        guard let data = FileManager.default.contents(atPath: path), let json = try? JSON(parsing: [UInt8](data)),
            let credentials = json["Credentials"], let key = credentials["AccessKeyId"]?.stringValue,
            let secret = credentials["SecretAccessKey"]?.stringValue,
            let expiration = credentials["Expiration"]?.stringValue.flatMap(parseTimestamp), expiration.timeIntervalSince(now) > 15 * 60
        else { return nil }
        return Credentials(accessKeyID: key, secretAccessKey: secret, sessionToken: credentials["SessionToken"]?.stringValue, expiration: expiration)
    }

    /// Caches `credentials` as the CLI does (its AssumeRole answer's `Credentials`), readable by the owner only.
    func write(_ credentials: Credentials) {
        var fields: [String: JSON] = [
            "AccessKeyId": .string(credentials.accessKeyID), "SecretAccessKey": .string(credentials.secretAccessKey),
        ]
        fields["SessionToken"] = credentials.sessionToken.map(JSON.string)
        fields["Expiration"] = credentials.expiration.map { .string(formatTimestamp($0)) }
        // A cache that cannot be written costs another code next time, nothing more.
        try? writePrivateFile(path, Data(JSON.object(["Credentials": .object(fields)]).prettyDescription.utf8))
    }
}
