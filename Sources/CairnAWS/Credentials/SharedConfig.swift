import Foundation

/// A problem with the shared config or credentials file, or with the settings they name.
public struct AWSConfigurationError: Error, Sendable, CustomStringConvertible, Equatable {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// An INI file as the AWS CLI reads it: sections, `key = value`, and indented sub-keys under a key
/// with an empty value (`s3 =` followed by `  endpoint_url = …`).
public struct INIFile: Sendable, Equatable {
    public struct Section: Sendable, Equatable {
        public var values: [String: String] = [:]
        public var nested: [String: [String: String]] = [:]
    }
    public var sections: [String: Section] = [:]

    /// Parses `text`; `path` names the file in errors.
    public init(parsing text: String, path: String) throws(AWSConfigurationError) {
        var current: String?
        var lastKey: String?
        // "\r\n" is one Character in Swift: split on it too, or a file saved on Windows is one long line.
        for (number, rawLine) in text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" }).enumerated() {
            let line = rawLine.hasSuffix("\r") ? String(rawLine.dropLast()) : String(rawLine)
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty || trimmed.hasPrefix("#") || trimmed.hasPrefix(";") { continue }
            let indented = line.first == " " || line.first == "\t"
            if trimmed.hasPrefix("[") {
                guard trimmed.hasSuffix("]"), trimmed.count > 2 else {
                    throw AWSConfigurationError(
                        "Cannot parse \(path), line \(number + 1): \"\(trimmed)\" is not a valid section header: write it as [name]; fix the file.")
                }
                let name = trimmed.dropFirst().dropLast().trimmingCharacters(in: .whitespaces)
                current = name
                lastKey = nil
                if sections[name] == nil { sections[name] = Section() }
                continue
            }
            guard let section = current else {
                throw AWSConfigurationError(
                    "Cannot parse \(path), line \(number + 1): \"\(trimmed)\" comes before any [section] header; fix the file.")
            }
            guard let equals = trimmed.firstIndex(of: "=") else {
                throw AWSConfigurationError("Cannot parse \(path), line \(number + 1): \"\(trimmed)\" is not of the form key = value; fix the file.")
            }
            let key = trimmed[..<equals].trimmingCharacters(in: .whitespaces).lowercased()
            let value = trimmed[trimmed.index(after: equals)...].trimmingCharacters(in: .whitespaces)
            guard !key.isEmpty else {
                throw AWSConfigurationError("Cannot parse \(path), line \(number + 1): the key before '=' is empty; fix the file.")
            }
            if indented, let parent = lastKey, sections[section]?.values[parent] == "" {
                sections[section]!.nested[parent, default: [:]][key] = value
            } else {
                sections[section]!.values[key] = value
                lastKey = key
            }
        }
    }
}

/// The shared `config` and `credentials` files, read once, with the AWS CLI's rules for names:
/// `[profile NAME]` (or `[default]`) in config, `[NAME]` in credentials, `[services NAME]` in config.
public struct SharedConfig: Sendable {
    public let configPath: String
    public let credentialsPath: String
    public let config: INIFile
    public let credentials: INIFile

    /// Reads the files that `environment` points at (`AWS_CONFIG_FILE`, `AWS_SHARED_CREDENTIALS_FILE`,
    /// else `~/.aws/…` under `HOME`). A missing file is empty; an unreadable or malformed one is an error.
    public static func load(environment: [String: String]) throws(AWSConfigurationError) -> SharedConfig {
        let home = environment["HOME"] ?? NSHomeDirectory()
        func expand(_ path: String) -> String { path.hasPrefix("~/") ? home + path.dropFirst(1) : path }
        let configPath = expand(environment["AWS_CONFIG_FILE"] ?? "~/.aws/config")
        let credentialsPath = expand(environment["AWS_SHARED_CREDENTIALS_FILE"] ?? "~/.aws/credentials")
        return SharedConfig(
            configPath: configPath, credentialsPath: credentialsPath,
            config: try read(configPath), credentials: try read(credentialsPath))
    }

    public init(configPath: String, credentialsPath: String, config: INIFile, credentials: INIFile) {
        self.configPath = configPath
        self.credentialsPath = credentialsPath
        self.config = config
        self.credentials = credentials
    }

    private static func read(_ path: String) throws(AWSConfigurationError) -> INIFile {
        guard FileManager.default.fileExists(atPath: path) else { return try INIFile(parsing: "", path: path) }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw AWSConfigurationError("Cannot read \(path): check its permissions.")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw AWSConfigurationError("Cannot parse \(path): it is not UTF-8 text; fix the file.")
        }
        return try INIFile(parsing: text, path: path)
    }

    /// Whether either file defines `profile`.
    public func hasProfile(_ profile: String) -> Bool {
        configSection(profile) != nil || credentials.sections[profile] != nil
    }

    private func configSection(_ profile: String) -> INIFile.Section? {
        if profile == "default", let section = config.sections["default"] { return section }
        return config.sections["profile \(profile)"]
    }

    /// A profile's setting: the credentials file wins for keys, the config file holds the rest.
    public func value(_ key: String, profile: String) -> String? {
        if let value = credentials.sections[profile]?.values[key], !value.isEmpty { return value }
        if let value = configSection(profile)?.values[key], !value.isEmpty { return value }
        return nil
    }

    /// Where a profile's key was found, for "where the credentials came from".
    public func file(definingKey key: String, profile: String) -> String {
        credentials.sections[profile]?.values[key] != nil ? credentialsPath : configPath
    }

    /// An `[sso-session NAME]` section of the config file (IAM Identity Center sign-ins shared by profiles).
    public func ssoSession(_ name: String) -> INIFile.Section? {
        config.sections["sso-session \(name)"]
    }

    /// The `endpoint_url` for one service from the profile's `services` section.
    public func serviceEndpoint(profile: String, serviceKey: String) -> String? {
        guard let name = value("services", profile: profile),
            let section = config.sections["services \(name)"]
        else { return nil }
        return section.nested[serviceKey]?["endpoint_url"]
    }
}
