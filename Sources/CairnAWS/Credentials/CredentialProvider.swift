import CairnConcurrency
import CairnSigner
import Foundation

/// Supplies credentials for signing. `source` says where they come from, in words a user can act on.
public protocol CredentialProvider: Sendable {
    var source: String { get }
    func credentials() async throws -> Credentials
}

/// Credentials that never change (environment variables, a profile's keys).
public struct StaticCredentialProvider: CredentialProvider {
    public let source: String
    private let value: Credentials
    public init(_ credentials: Credentials, source: String) {
        self.value = credentials
        self.source = source
    }
    public func credentials() async throws -> Credentials { value }
}

/// Why no credentials could be had.
public struct CredentialsError: Error, Sendable, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// Caches temporary credentials and fetches new ones shortly before they expire. Concurrent callers
/// share one fetch, so a burst of requests never causes a burst of STS calls.
public actor RefreshingCredentialProvider: CredentialProvider {
    public nonisolated let source: String
    private let fetch: @Sendable () async throws -> Credentials
    private let clock: any AWSClock
    private let refreshMargin: TimeInterval
    private var cached: Credentials?
    private var inFlight: Task<Credentials, any Error>?

    /// - Parameter refreshMargin: how long before expiry credentials count as stale (the SDKs use 5 to 15 minutes).
    public init(
        source: String, clock: any AWSClock = SystemClock(), refreshMargin: TimeInterval = 300,
        fetch: @escaping @Sendable () async throws -> Credentials
    ) {
        self.source = source
        self.fetch = fetch
        self.clock = clock
        self.refreshMargin = refreshMargin
    }

    public func credentials() async throws -> Credentials {
        if let cached, !isStale(cached) { return cached }
        if let inFlight { return try await inFlight.value }
        // Every caller waits on it, so it lends no caller's place in an apply.
        let task = Task { try await Idle.unlent { try await fetch() } }
        inFlight = task
        defer { inFlight = nil }
        let fresh = try await task.value
        cached = fresh
        return fresh
    }

    private func isStale(_ credentials: Credentials) -> Bool {
        guard let expiration = credentials.expiration else { return false }
        return expiration.timeIntervalSince(clock.now()) < refreshMargin
    }
}

/// How the credential chain reaches outside Cairn: the commands `credential_process` names (and how long one may
/// run), and the person asked for MFA codes. Injected so that tests script them.
public struct CredentialHelpers: Sendable {
    /// Runs `credential_process` commands.
    public var commands: any CommandRunner
    /// How long a `credential_process` command may run before it is stopped and counts as hung.
    public var commandTimeout: Duration
    /// Asks for the MFA code of a profile with `mfa_serial`.
    public var mfaPrompt: any MFAPrompt

    /// By default commands run as child processes with a minute to finish (a helper may wait for a touch or a prompt),
    /// and MFA codes are asked for on the terminal.
    public init(
        commands: any CommandRunner = SystemCommandRunner(), commandTimeout: Duration = .seconds(60), mfaPrompt: any MFAPrompt = TerminalMFAPrompt()
    ) {
        self.commands = commands
        self.commandTimeout = commandTimeout
        self.mfaPrompt = mfaPrompt
    }
}
