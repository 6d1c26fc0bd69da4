import CairnCrypto
import CairnJSON
import CairnSigner
import Foundation

/// An IAM Identity Center sign-in as a profile names it: through an `[sso-session NAME]` section (`sso_session`),
/// or the legacy `sso_start_url` / `sso_region` in the profile itself.
struct SSOProfile: Sendable, Equatable {
    /// The profile, for `aws sso login --profile NAME`.
    let profile: String
    /// `sso_session`, or nil for the legacy form.
    let session: String?
    let startURL: String
    let region: String
    let accountID: String
    let roleName: String

    /// The profile's sign-in, nil when it has none; a half-configured one is an error naming what is missing.
    static func from(_ config: SharedConfig, profile: String) throws -> SSOProfile? {
        let sessionName = config.value("sso_session", profile: profile)
        guard sessionName != nil || config.value("sso_start_url", profile: profile) != nil else { return nil }
        var startURL = config.value("sso_start_url", profile: profile)
        var region = config.value("sso_region", profile: profile)
        var definedIn = "profile '\(profile)'"
        if let sessionName {
            guard let section = config.ssoSession(sessionName) else {
                throw CredentialsError(
                    "Profile '\(profile)' names sso_session '\(sessionName)', which is not defined: add an [sso-session \(sessionName)] section to \(config.configPath) (`aws configure sso-session` writes one) or fix the name."
                )
            }
            // As botocore: the session's settings win; a profile may repeat them.
            startURL = section.values["sso_start_url"].flatMap { $0.isEmpty ? nil : $0 } ?? startURL
            region = section.values["sso_region"].flatMap { $0.isEmpty ? nil : $0 } ?? region
            definedIn = "sso-session '\(sessionName)'"
        }
        let accountID = config.value("sso_account_id", profile: profile)
        let roleName = config.value("sso_role_name", profile: profile)
        let missing = [
            startURL == nil ? "sso_start_url in \(definedIn)" : nil, region == nil ? "sso_region in \(definedIn)" : nil,
            accountID == nil ? "sso_account_id" : nil, roleName == nil ? "sso_role_name" : nil,
        ].compactMap { $0 }
        guard let startURL, let region, let accountID, let roleName else {
            throw CredentialsError(
                "Profile '\(profile)' signs in with IAM Identity Center but lacks \(missing.joined(separator: ", ")): add it to \(config.configPath) (`aws configure sso --profile \(profile)` writes them)."
            )
        }
        return SSOProfile(profile: profile, session: sessionName, startURL: startURL, region: region, accountID: accountID, roleName: roleName)
    }

    /// The token cache's file name as botocore makes it (`SSOTokenLoader`): the SHA-1 of the session name, or of
    /// the start URL for the legacy form, in hex.
    var cacheKey: String {
        SHA1.hash(Array((session ?? startURL).utf8)).map { String(format: "%02x", $0) }.joined()
    }

    /// What `whoami` says before the token is read.
    var description: String {
        session.map { "IAM Identity Center session '\($0)'" } ?? "IAM Identity Center start URL \(startURL)"
    }
}

/// Role credentials from IAM Identity Center: the access token `aws sso login` cached (refreshed through SSO OIDC
/// `CreateToken` when it is close to expiry and the cache holds a refresh token, and written back), then the portal's
/// `GetRoleCredentials`. The credentials are refreshed before they expire, like any temporary ones.
final class SSOCredentialProvider: CredentialProvider, Sendable {
    private let fetcher: SSOFetcher
    private let refreshing: RefreshingCredentialProvider

    /// - Parameter client: an unsigned client for a region (the portal and OIDC live in the sign-in's region).
    init(_ sso: SSOProfile, home: String, client: (String) -> AWSClient, clock: any AWSClock) {
        let fetcher = SSOFetcher(
            sso: sso, cacheDirectory: home + "/.aws/sso/cache", portal: client(sso.region), oidc: client(sso.region), clock: clock)
        self.fetcher = fetcher
        refreshing = RefreshingCredentialProvider(source: "", clock: clock) { try await fetcher.fetch() }
    }

    /// "profile 'dev' (IAM Identity Center session 'corp', token cached until 14:02 UTC)" once the token was read.
    var source: String {
        let until = fetcher.tokenExpiry.value.map { ", token cached until \(Self.timeFormatter.string(from: $0)) UTC" } ?? ""
        return "profile '\(fetcher.sso.profile)' (\(fetcher.sso.description)\(until))"
    }

    func credentials() async throws -> Credentials { try await refreshing.credentials() }

    private static let timeFormatter: DateFormatter = {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "HH:mm"
        return formatter
    }()
}

/// One sign-in's token cache and clients.
private struct SSOFetcher: Sendable {
    let sso: SSOProfile
    let cacheDirectory: String
    let portal: AWSClient
    let oidc: AWSClient
    let clock: any AWSClock
    /// When the token in use expires, once read (for `whoami`).
    let tokenExpiry = LockedValue<Date?>(nil)

    /// botocore refreshes a token with less than 15 minutes left.
    static let tokenRefreshWindow: TimeInterval = 15 * 60

    /// The sentence the SDKs use, with the profile to sign in with.
    private func loginError(_ reason: String) -> CredentialsError {
        CredentialsError(
            "The SSO session associated with profile '\(sso.profile)' has expired or is otherwise invalid (\(reason)): to refresh it, run `aws sso login --profile \(sso.profile)`."
        )
    }

    private var cachePath: String { "\(cacheDirectory)/\(sso.cacheKey).json" }

    func fetch() async throws -> Credentials {
        let token = try await accessToken()
        let answer: JSON
        do {
            answer = try await portal.restJSON(
                .sso.getRoleCredentials, ["roleName": .string(sso.roleName), "accountId": .string(sso.accountID), "accessToken": .string(token)])
        } catch let error as AWSServiceError where error.code == "UnauthorizedException" {
            throw loginError("IAM Identity Center refused the cached token")
        }
        let role = answer["roleCredentials"]
        guard let key = role?["accessKeyId"]?.stringValue, let secret = role?["secretAccessKey"]?.stringValue else {
            throw CredentialsError("IAM Identity Center's GetRoleCredentials answered without credentials for profile '\(sso.profile)'.")
        }
        // The model's ExpirationTimestampType is a long: milliseconds since 1970.
        let expiration = role?["expiration"]?.doubleValue.map { Date(timeIntervalSince1970: $0 / 1000) }
        return Credentials(accessKeyID: key, secretAccessKey: secret, sessionToken: role?["sessionToken"]?.stringValue, expiration: expiration)
    }

    /// The cached access token, refreshed first when it is close to expiry and the cache can refresh it.
    private func accessToken() async throws -> String {
        guard let data = FileManager.default.contents(atPath: cachePath) else { throw loginError("no cached token in \(cachePath)") }
        guard var token = (try? JSON(parsing: [UInt8](data)))?.objectValue, let access = token["accessToken"]?.stringValue,
            let expiresText = token["expiresAt"]?.stringValue, let expiresAt = parseTimestamp(expiresText)
        else { throw loginError("the cached token in \(cachePath) has no accessToken and expiresAt") }
        let now = clock.now()
        if expiresAt.timeIntervalSince(now) >= Self.tokenRefreshWindow {
            tokenExpiry.value = expiresAt
            return access
        }
        if let refreshed = try await refresh(token, now: now) {
            token = refreshed.token
            tokenExpiry.value = refreshed.expiresAt
            writeCache(token)
            return refreshed.access
        }
        guard expiresAt > now else {
            let refreshable = token["refreshToken"] != nil
            throw loginError(
                "the cached token expired at \(expiresText)\(refreshable ? " and could not be refreshed" : " and holds no refresh token")")
        }
        tokenExpiry.value = expiresAt
        return access
    }

    /// botocore's `_refresh_access_token`: nil when the cache cannot refresh (no refresh token or client
    /// registration, or the registration expired) or OIDC refuses; the old token may then still serve.
    private func refresh(_ token: [String: JSON], now: Date) async throws -> (token: [String: JSON], access: String, expiresAt: Date)? {
        guard let refreshToken = token["refreshToken"]?.stringValue, let clientID = token["clientId"]?.stringValue,
            let clientSecret = token["clientSecret"]?.stringValue,
            let registration = token["registrationExpiresAt"]?.stringValue.flatMap(parseTimestamp), registration > now
        else { return nil }
        let answer: JSON
        do {
            answer = try await oidc.restJSON(
                .ssoOIDC.createToken,
                [
                    "grantType": "refresh_token", "clientId": .string(clientID), "clientSecret": .string(clientSecret),
                    "refreshToken": .string(refreshToken),
                ])
        } catch is AWSServiceError {
            return nil
        }
        guard let access = answer["accessToken"]?.stringValue, let expiresIn = answer["expiresIn"]?.doubleValue else { return nil }
        let expiresAt = now.addingTimeInterval(expiresIn)
        var updated = token
        updated["startUrl"] = .string(sso.startURL)
        updated["region"] = .string(sso.region)
        updated["accessToken"] = .string(access)
        updated["expiresAt"] = .string(formatTimestamp(expiresAt))
        if let newRefresh = answer["refreshToken"]?.stringValue { updated["refreshToken"] = .string(newRefresh) }
        return (updated, access, expiresAt)
    }

    /// Writes the refreshed token back where `aws sso login` keeps it, readable by its owner only.
    private func writeCache(_ token: [String: JSON]) {
        // A cache that cannot be written costs a refresh next time, nothing more (botocore ignores it too).
        try? writePrivateFile(cachePath, Data(JSON.object(token).prettyDescription.utf8))
    }
}

/// `2023-11-14T22:13:20Z`, as botocore writes times into its caches.
func formatTimestamp(_ date: Date) -> String {
    let formatter = ISO8601DateFormatter()
    formatter.formatOptions = [.withInternetDateTime]
    return formatter.string(from: date)
}

/// Writes `data` to `path` (creating its directory, 0700) atomically, with mode 0600: caches of credentials and tokens.
func writePrivateFile(_ path: String, _ data: Data) throws {
    let directory = (path as NSString).deletingLastPathComponent
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
    let temporary = "\(path).\(UUID().uuidString).tmp"
    guard FileManager.default.createFile(atPath: temporary, contents: data, attributes: [.posixPermissions: 0o600]) else {
        throw CredentialsError("Cannot write \(path): check the permissions of \(directory).")
    }
    guard rename(temporary, path) == 0 else {
        try? FileManager.default.removeItem(atPath: temporary)
        throw CredentialsError("Cannot write \(path): check the permissions of \(directory).")
    }
}

/// A value behind a lock, for the few places a Sendable type keeps something it learns later.
final class LockedValue<Value: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: Value
    init(_ value: Value) { stored = value }
    var value: Value {
        get { lock.withLock { stored } }
        set { lock.withLock { stored = newValue } }
    }
}
