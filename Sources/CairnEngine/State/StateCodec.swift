import CairnCrypto
import CairnJSON
import CairnState
import Foundation

/// Why the state's secrets cannot be read or written.
public struct StateKeyError: Error, Sendable, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}

/// Turns attributes into the JSON text the state stores, with every sensitive value sealed with
/// AES-256-GCM as `{"$sensitive": "<base64 nonce‖ciphertext‖tag>"}`, and back.
public struct StateCodec: Sendable {
    public static let sensitiveKey = "$sensitive"
    /// Nil when no key is available: then a state holding secrets cannot be read, and writing one fails.
    let key: [UInt8]?
    let keySource: String

    public init(key: [UInt8]?, source: String) {
        self.key = key
        self.keySource = source
    }

    /// The key from `CAIRN_STATE_KEY` (64 hex digits or any passphrase, hashed with SHA-256), else from
    /// `<stateDir>/.cairn-state.key`, created with 0600 permissions when `create` is true (and the state
    /// directory with 0700). A key file that others may read or write is refused, as ssh refuses such a
    /// private key: the key opens every secret in the state.
    ///
    /// - Parameter shared: the state is shared (a remote backend): the key comes from `CAIRN_STATE_KEY` alone, never
    ///   from a file of this machine's, which every other machine sharing the state would lack (a secret sealed with it
    ///   could be read nowhere else).
    public static func load(environment: [String: String], stateDir: URL, create: Bool, shared: Bool = false) throws -> StateCodec {
        if let text = environment["CAIRN_STATE_KEY"], !text.isEmpty {
            if text.count == 64, let bytes = hexBytes(text) { return StateCodec(key: bytes, source: "CAIRN_STATE_KEY") }
            return StateCodec(key: SHA256.hash(Array(text.utf8)), source: "CAIRN_STATE_KEY")
        }
        if shared { return StateCodec(key: nil, source: "CAIRN_STATE_KEY (a shared state takes its key from there alone)") }
        let file = stateDir.appendingPathComponent(".cairn-state.key")
        if let data = try readKeyFile(file) {
            guard let text = String(data: data, encoding: .utf8), let bytes = hexBytes(text.trimmingCharacters(in: .whitespacesAndNewlines)),
                bytes.count == AESGCM.keySize
            else {
                throw StateKeyError(
                    message: "The state key file \(file.path) is not 64 hex digits: restore it from a backup, or set CAIRN_STATE_KEY.")
            }
            return StateCodec(key: bytes, source: file.path)
        }
        guard create else { return StateCodec(key: nil, source: file.path) }
        try StateDirectory.create(stateDir)
        let bytes = SecureRandom.bytes(count: AESGCM.keySize)
        let hex = bytes.map { String(format: "%02x", $0) }.joined() + "\n"
        let created: Bool
        do {
            created = try StateDirectory.createPrivateFile(file, contents: Data(hex.utf8))
        } catch {
            throw StateKeyError(message: "Cannot create the state key file \(file.path): check the directory's permissions, or set CAIRN_STATE_KEY.")
        }
        // Another process created the key meanwhile: everyone must seal with that one.
        guard created else { return try load(environment: environment, stateDir: stateDir, create: false) }
        return StateCodec(key: bytes, source: file.path)
    }

    /// The key file's bytes, or nil when there is none. Refused when its mode lets anyone but its owner
    /// in, before it is read.
    private static func readKeyFile(_ file: URL) throws -> Data? {
        var info = stat()
        guard stat(file.path, &info) == 0 else {
            if errno == ENOENT { return nil }
            throw StateKeyError(
                message:
                    "Cannot read the state key file \(file.path) (\(String(cString: strerror(errno)))): check its permissions, or set CAIRN_STATE_KEY."
            )
        }
        let mode = info.st_mode & 0o777
        if mode & 0o077 != 0 {
            // The path as the user gave the state directory, so the command can be pasted.
            let path = file.relativePath
            let access = mode & 0o044 != 0 ? "readable" : mode & 0o022 != 0 ? "writable" : "usable"
            throw StateKeyError(message: "\(path) is \(access) by others (mode \(String(format: "%04o", mode))): run `chmod 600 \(path)`.")
        }
        guard let data = FileManager.default.contents(atPath: file.path) else {
            throw StateKeyError(message: "Cannot read the state key file \(file.path): check its permissions, or set CAIRN_STATE_KEY.")
        }
        return data
    }

    /// Attributes as stored: sensitive paths sealed.
    public func encode(_ attributes: [String: JSON], sensitivePaths: [String], address: String) throws -> String {
        var object = JSON.object(attributes)
        for path in sensitivePaths {
            guard let value = JSONPath.get(object, path), !value.isNull else { continue }
            guard let key else {
                throw StateKeyError(
                    message:
                        "\(address): \(path) is sensitive, and there is no state key to encrypt it with (\(keySource)): set CAIRN_STATE_KEY, the same value wherever this state is used."
                )
            }
            let sealed = try AESGCM.seal(Array(value.description.utf8), key: key, authenticating: Array(address.utf8))
            object = JSONPath.set(object, path, .object([Self.sensitiveKey: .string(Data(sealed).base64EncodedString())]))
        }
        return object.description
    }

    /// Attributes as stored → attributes and the paths that were sensitive.
    public func decode(_ text: String, address: String) throws -> (attributes: [String: JSON], sensitivePaths: [String]) {
        let parsed: JSON
        do { parsed = try JSON(parsing: text) } catch {
            throw StateKeyError(
                message: "\(address): its recorded attributes are not valid JSON (\(error)): the state file is damaged; restore it from a backup.")
        }
        var paths: [String] = []
        let opened = try open(parsed, path: "", address: address, paths: &paths)
        return (opened.objectValue ?? [:], paths)
    }

    private func open(_ value: JSON, path: String, address: String, paths: inout [String]) throws -> JSON {
        switch value {
        case .object(let members):
            if members.count == 1, let box = members[Self.sensitiveKey]?.stringValue {
                paths.append(path)
                guard let key else {
                    throw StateKeyError(
                        message:
                            "\(address): \(path) is encrypted in the state, and no key was found at \(keySource): set CAIRN_STATE_KEY to the key the state was written with."
                    )
                }
                guard let bytes = Data(base64Encoded: box),
                    let plain = try? AESGCM.open([UInt8](bytes), key: key, authenticating: Array(address.utf8)),
                    let json = try? JSON(parsing: plain)
                else {
                    throw StateKeyError(
                        message:
                            "\(address): \(path) cannot be decrypted with the key from \(keySource): it is the wrong key; set CAIRN_STATE_KEY to the key the state was written with."
                    )
                }
                return json
            }
            var out: [String: JSON] = [:]
            for (key, member) in members {
                out[key] = try open(member, path: path.isEmpty ? key : "\(path).\(key)", address: address, paths: &paths)
            }
            return .object(out)
        case .array(let items):
            return .array(try items.enumerated().map { try open($1, path: "\(path)[\($0)]", address: address, paths: &paths) })
        default:
            return value
        }
    }

    private static func hexBytes(_ text: String) -> [UInt8]? {
        guard text.count % 2 == 0 else { return nil }
        var bytes: [UInt8] = []
        var index = text.startIndex
        while index < text.endIndex {
            let next = text.index(index, offsetBy: 2)
            guard let byte = UInt8(text[index..<next], radix: 16) else { return nil }
            bytes.append(byte)
            index = next
        }
        return bytes
    }
}

/// Reads and writes values at the paths `Value.resolve` produces: `a.b`, `a[0].c`.
enum JSONPath {
    enum Step {
        case key(String)
        case index(Int)
    }

    static func steps(_ path: String) -> [Step] {
        var steps: [Step] = []
        var current = ""
        var i = path.startIndex
        while i < path.endIndex {
            let c = path[i]
            if c == "." {
                if !current.isEmpty {
                    steps.append(.key(current))
                    current = ""
                }
            } else if c == "[" {
                if !current.isEmpty {
                    steps.append(.key(current))
                    current = ""
                }
                let close = path[i...].firstIndex(of: "]") ?? path.endIndex
                steps.append(.index(Int(path[path.index(after: i)..<close]) ?? 0))
                i = close
            } else {
                current.append(c)
            }
            if i < path.endIndex { i = path.index(after: i) }
        }
        if !current.isEmpty { steps.append(.key(current)) }
        return steps
    }

    static func get(_ value: JSON, _ path: String) -> JSON? {
        var current: JSON? = value
        for step in steps(path) {
            switch step {
            case .key(let key): current = current?[key]
            case .index(let index): current = current?[index]
            }
        }
        return current
    }

    static func set(_ value: JSON, _ path: String, _ newValue: JSON) -> JSON {
        set(value, steps(path)[...], newValue)
    }

    private static func set(_ value: JSON, _ steps: ArraySlice<Step>, _ newValue: JSON) -> JSON {
        guard let step = steps.first else { return newValue }
        switch (step, value) {
        case (.key(let key), .object(var members)):
            members[key] = set(members[key] ?? .null, steps.dropFirst(), newValue)
            return .object(members)
        case (.index(let index), .array(var items)) where items.indices.contains(index):
            items[index] = set(items[index], steps.dropFirst(), newValue)
            return .array(items)
        default:
            return value
        }
    }
}
