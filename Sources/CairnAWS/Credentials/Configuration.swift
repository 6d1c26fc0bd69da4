import CairnSigner
import Foundation

/// Everything needed to talk to AWS, resolved the way the AWS CLI and SDKs resolve it, with each
/// value saying where it came from (`cairn whoami` prints these).
public struct AWSConfiguration: Sendable {
    /// The profile in use (`--profile`, else `AWS_PROFILE`, else `default`).
    public let profile: String
    public let region: String
    public let regionSource: String
    public let credentials: any CredentialProvider
    public let endpoints: EndpointResolver
    public let retry: RetryPolicy
    /// Per attempt and to connect, with where each came from.
    public let timeouts: HTTPTimeouts
    /// The forward proxies from `HTTPS_PROXY`, `HTTP_PROXY` and `NO_PROXY`, for every request (credentials too).
    public let proxies: ProxySettings
    /// The extra certificate authorities from `AWS_CA_BUNDLE` or the profile's `ca_bundle`, for every request too.
    public let caBundle: CABundle?

    /// Resolves credentials, region, endpoints, retry settings and timeouts.
    ///
    /// - Parameters:
    ///   - profile: an explicit profile (`--profile`). As in the AWS CLI, naming one makes the
    ///     profile win over the `AWS_ACCESS_KEY_ID` environment variables.
    ///   - stackRegion: the region a stack declares. Cairn's one region rule: `--region`, then the
    ///     stack's declared region, then `AWS_REGION`, `AWS_DEFAULT_REGION` and the profile's `region`.
    ///   - transport: for credential lookups; by default the shared HTTP client with the resolved connect timeout.
    ///   - helpers: how `credential_process` commands run and MFA codes are asked for.
    public static func resolve(
        environment: [String: String] = ProcessInfo.processInfo.environment, profile explicitProfile: String? = nil,
        region explicitRegion: String? = nil, stackRegion: String? = nil, transport: (any HTTPTransport)? = nil,
        clock: any AWSClock = SystemClock(), random: any RandomSource = SystemRandom(), logger: (any AWSLogger)? = nil,
        helpers: CredentialHelpers = CredentialHelpers()
    ) throws -> AWSConfiguration {
        let config = try SharedConfig.load(environment: environment)
        let envProfile = environment["AWS_PROFILE"].flatMap { $0.isEmpty ? nil : $0 }
        let profile = explicitProfile ?? envProfile ?? "default"
        if profile != "default", !config.hasProfile(profile) {
            let origin = explicitProfile != nil ? "--profile" : "AWS_PROFILE"
            throw AWSConfigurationError(
                "The profile '\(profile)' (from \(origin)) is not in \(config.configPath) or \(config.credentialsPath): add it with `aws configure --profile \(profile)`, or name an existing profile."
            )
        }

        let (region, regionSource): (String, String)
        if let explicitRegion {
            (region, regionSource) = (explicitRegion, "--region")
        } else if let stackRegion {
            (region, regionSource) = (stackRegion, "the stack's declared region")
        } else if let value = environment["AWS_REGION"], !value.isEmpty {
            (region, regionSource) = (value, "AWS_REGION")
        } else if let value = environment["AWS_DEFAULT_REGION"], !value.isEmpty {
            (region, regionSource) = (value, "AWS_DEFAULT_REGION")
        } else if let value = config.value("region", profile: profile) {
            (region, regionSource) = (value, "profile '\(profile)' in \(config.configPath)")
        } else {
            throw AWSConfigurationError(
                "No AWS region is set: set AWS_REGION (or AWS_DEFAULT_REGION), or `region` in profile '\(profile)' of \(config.configPath).")
        }
        // A region AWS opened after this build's endpoint data can be allowed, as Terraform's skip_region_validation does.
        if let problem = AWSPartition.problem(with: region), environment["CAIRN_SKIP_REGION_VALIDATION"] != "1" {
            throw AWSConfigurationError(
                "The region '\(region)' (from \(regionSource)) \(problem): fix it, or set CAIRN_SKIP_REGION_VALIDATION=1 for a region AWS opened since."
            )
        }

        var retry = RetryPolicy.default
        if let text = environment["AWS_MAX_ATTEMPTS"] ?? config.value("max_attempts", profile: profile) {
            guard let attempts = Int(text), attempts >= 1 else {
                throw AWSConfigurationError("AWS_MAX_ATTEMPTS / max_attempts is '\(text)': set it to a whole number of at least 1.")
            }
            retry.maxAttempts = attempts
        }
        if let text = environment["AWS_RETRY_MODE"] ?? config.value("retry_mode", profile: profile) {
            // The SDKs' `legacy` mode is their old `standard`: backoff without pacing.
            guard let mode = text == "legacy" ? .standard : RetryMode(rawValue: text) else {
                throw AWSConfigurationError("AWS_RETRY_MODE / retry_mode is '\(text)': set it to adaptive (Cairn's default), standard or legacy.")
            }
            retry.mode = mode
        }
        let timeouts = try HTTPTimeouts.resolve(environment: environment, config: config, profile: profile)
        let proxies = try ProxySettings.resolve(environment: environment)
        let caBundle = try CABundle.resolve(environment: environment, config: config, profile: profile)

        let endpoints = try EndpointResolver.from(environment: environment, config: config, profile: profile)
        let chain = CredentialChain(
            environment: environment, config: config, profile: profile,
            profileIsExplicit: explicitProfile != nil, region: region, endpoints: endpoints,
            transport: transport ?? timeouts.transport(proxies: proxies, caBundle: caBundle), timeout: timeouts.request,
            clock: clock, random: random, logger: logger, helpers: helpers)
        let credentials = try chain.provider()
        return AWSConfiguration(
            profile: profile, region: region, regionSource: regionSource,
            credentials: credentials, endpoints: endpoints, retry: retry, timeouts: timeouts, proxies: proxies, caBundle: caBundle)
    }

    /// How requests to `url` travel, when anything is set: "proxy http://proxy:3128 from HTTPS_PROXY; CA bundle /path from
    /// AWS_CA_BUNDLE" (for `cairn whoami`); nil for a direct connection trusting the system's authorities only.
    public func networkSummary(for url: URL) -> String? {
        let parts = [proxies.isConfigured ? proxies.summary(for: url) : nil, caBundle?.summary].compactMap { $0 }
        return parts.isEmpty ? nil : parts.joined(separator: "; ")
    }

    /// A client for this configuration, optionally in another region; by default on the shared HTTP client.
    public func client(
        region: String? = nil, transport: (any HTTPTransport)? = nil, maxConcurrency: Int = 32,
        clock: any AWSClock = SystemClock(), random: any RandomSource = SystemRandom(),
        logger: (any AWSLogger)? = nil
    ) -> AWSClient {
        AWSClient(
            region: region ?? self.region, credentials: credentials, endpoints: endpoints, retry: retry,
            timeout: timeouts.request, maxConcurrency: maxConcurrency,
            transport: transport ?? timeouts.transport(proxies: proxies, caBundle: caBundle),
            clock: clock, random: random, logger: logger)
    }
}

extension HTTPTimeouts {
    /// The shared HTTP clients with this connect timeout, through `proxies` where they apply, trusting `caBundle` too.
    func transport(proxies: ProxySettings = .none, caBundle: CABundle? = nil) -> HTTPClientTransport {
        HTTPClientTransport(settings: HTTPClientSettings(connectTimeout: connect, caBundle: caBundle?.path), proxies: proxies)
    }
}

/// The SDKs' default credential chain: environment, then the profile (assumed role, web identity,
/// keys), then web identity from the environment, then the container endpoint, then EC2's IMDS.
struct CredentialChain {
    let environment: [String: String]
    let config: SharedConfig
    let profile: String
    let profileIsExplicit: Bool
    let region: String
    let endpoints: EndpointResolver
    let transport: any HTTPTransport
    let timeout: Duration
    let clock: any AWSClock
    let random: any RandomSource
    let logger: (any AWSLogger)?
    let helpers: CredentialHelpers

    func provider() throws -> any CredentialProvider {
        if !profileIsExplicit, let key = environment["AWS_ACCESS_KEY_ID"], !key.isEmpty {
            guard let secret = environment["AWS_SECRET_ACCESS_KEY"], !secret.isEmpty else {
                throw CredentialsError(
                    "AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not: set both, or unset AWS_ACCESS_KEY_ID to use a profile.")
            }
            let token = environment["AWS_SESSION_TOKEN"].flatMap { $0.isEmpty ? nil : $0 }
            return StaticCredentialProvider(
                Credentials(accessKeyID: key, secretAccessKey: secret, sessionToken: token),
                source: "environment variables (AWS_ACCESS_KEY_ID)")
        }
        if let provider = try profileProvider(profile, visited: []) { return provider }
        if let tokenFile = environment["AWS_WEB_IDENTITY_TOKEN_FILE"], !tokenFile.isEmpty {
            guard let roleARN = environment["AWS_ROLE_ARN"], !roleARN.isEmpty else {
                throw CredentialsError("AWS_WEB_IDENTITY_TOKEN_FILE is set but AWS_ROLE_ARN is not: set the role to assume with the token.")
            }
            let session = environment["AWS_ROLE_SESSION_NAME"].flatMap { $0.isEmpty ? nil : $0 } ?? defaultSessionName()
            return webIdentity(
                roleARN: roleARN, tokenFile: tokenFile, session: session,
                source: "web identity (AWS_WEB_IDENTITY_TOKEN_FILE, role \(roleARN))")
        }
        return try metadataProvider(
            whenMissing:
                "No AWS credentials found: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, set AWS_PROFILE to a profile in \(config.credentialsPath) or \(config.configPath), or run where a container or instance role provides them."
        )
    }

    /// The container endpoint when its variables are set, otherwise IMDS (unless disabled).
    private func metadataProvider(whenMissing message: String) throws -> any CredentialProvider {
        let env = environment
        let transport = self.transport
        if !(env["AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"] ?? "").isEmpty || !(env["AWS_CONTAINER_CREDENTIALS_FULL_URI"] ?? "").isEmpty {
            return RefreshingCredentialProvider(source: "the container credentials endpoint (ECS / CodeBuild)", clock: clock) {
                try await MetadataCredentials.container(environment: env, transport: transport)
            }
        }
        if (env["AWS_EC2_METADATA_DISABLED"] ?? "").lowercased() == "true" { throw CredentialsError(message) }
        return RefreshingCredentialProvider(source: "EC2 instance metadata (IMDSv2)", clock: clock) {
            do {
                return try await MetadataCredentials.instanceMetadata(environment: env, transport: transport)
            } catch {
                throw CredentialsError("\(message) (\(error))")
            }
        }
    }

    /// A profile's credentials, or nil when the profile defines none (so the chain goes on).
    private func profileProvider(_ name: String, visited: [String]) throws -> (any CredentialProvider)? {
        guard !visited.contains(name) else {
            throw CredentialsError(
                "The profiles \((visited + [name]).joined(separator: " → ")) form a source_profile loop: break it in \(config.configPath).")
        }
        if let roleARN = config.value("role_arn", profile: name) {
            let session = config.value("role_session_name", profile: name) ?? defaultSessionName()
            if let tokenFile = config.value("web_identity_token_file", profile: name) {
                return webIdentity(
                    roleARN: roleARN, tokenFile: tokenFile, session: session,
                    source: "profile '\(name)': web identity for role \(roleARN)")
            }
            let base: any CredentialProvider
            if let sourceProfile = config.value("source_profile", profile: name) {
                guard config.hasProfile(sourceProfile) else {
                    throw CredentialsError(
                        "Profile '\(name)' names source_profile '\(sourceProfile)', which is not defined: add it to \(config.credentialsPath) or fix the name."
                    )
                }
                // A role profile's source uses its own keys even when it also assumes a role (as the CLI does for the first hop).
                if sourceProfile == name, let keys = staticKeys(name) {
                    base = keys
                } else if let provider = try profileProvider(sourceProfile, visited: visited + [name]) {
                    base = provider
                } else {
                    throw CredentialsError(
                        "Profile '\(sourceProfile)' (source_profile of '\(name)') has no credentials: add aws_access_key_id and aws_secret_access_key, credential_process or an IAM Identity Center sign-in to it."
                    )
                }
            } else if let source = config.value("credential_source", profile: name) {
                switch source {
                case "Environment":
                    guard let key = environment["AWS_ACCESS_KEY_ID"], let secret = environment["AWS_SECRET_ACCESS_KEY"] else {
                        throw CredentialsError(
                            "Profile '\(name)' has credential_source = Environment but AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY are not set.")
                    }
                    base = StaticCredentialProvider(
                        Credentials(accessKeyID: key, secretAccessKey: secret, sessionToken: environment["AWS_SESSION_TOKEN"]),
                        source: "environment variables")
                case "EcsContainer", "Ec2InstanceMetadata":
                    base = try metadataProvider(whenMissing: "Profile '\(name)' takes its credentials from \(source), which is not available here.")
                default:
                    throw CredentialsError(
                        "Profile '\(name)' has credential_source = \(source): use Environment, EcsContainer or Ec2InstanceMetadata.")
                }
            } else {
                throw CredentialsError(
                    "Profile '\(name)' sets role_arn without source_profile or credential_source: add one of them to \(config.configPath).")
            }
            let externalID = config.value("external_id", profile: name)
            let duration = config.value("duration_seconds", profile: name).flatMap(Int.init)
            let sts = stsClient(credentials: base)
            guard let serial = config.value("mfa_serial", profile: name) else {
                return RefreshingCredentialProvider(source: "profile '\(name)': role \(roleARN) assumed with \(base.source)", clock: clock) {
                    try await STSCredentials.assumeRole(
                        sts: sts, roleARN: roleARN, sessionName: session, externalID: externalID, durationSeconds: duration)
                }
            }
            let cache = AssumeRoleCache(
                directory: (environment["HOME"] ?? NSHomeDirectory()) + "/.aws/cli/cache", roleARN: roleARN,
                sessionName: config.value("role_session_name", profile: name), serial: serial, externalID: externalID,
                durationSeconds: duration)
            let (prompt, clock) = (helpers.mfaPrompt, self.clock)
            return RefreshingCredentialProvider(
                source: "profile '\(name)': role \(roleARN) assumed with \(base.source) and MFA device \(serial)", clock: clock
            ) {
                if let cached = cache.read(now: clock.now()) { return cached }
                let code = try await prompt.code(serial: serial, profile: name)
                let credentials = try await STSCredentials.assumeRole(
                    sts: sts, roleARN: roleARN, sessionName: session, externalID: externalID, durationSeconds: duration,
                    mfa: (serial, code))
                cache.write(credentials)
                return credentials
            }
        }
        if let sso = try SSOProfile.from(config, profile: name) {
            return SSOCredentialProvider(
                sso, home: environment["HOME"] ?? NSHomeDirectory(), client: { stsClient(credentials: AnonymousCredentialProvider(), region: $0) },
                clock: clock)
        }
        if let keys = staticKeys(name) { return keys }
        if let command = config.value("credential_process", profile: name) {
            let (environment, helpers, clock) = (self.environment, self.helpers, self.clock)
            return RefreshingCredentialProvider(source: "credential_process of profile '\(name)'", clock: clock) {
                try await CredentialProcess.credentials(
                    command: command, profile: name, runner: helpers.commands, environment: environment,
                    timeout: helpers.commandTimeout, now: clock.now())
            }
        }
        return nil
    }

    private func staticKeys(_ name: String) -> (any CredentialProvider)? {
        guard let key = config.value("aws_access_key_id", profile: name) else { return nil }
        guard let secret = config.value("aws_secret_access_key", profile: name) else { return nil }
        let credentials = Credentials(
            accessKeyID: key, secretAccessKey: secret,
            sessionToken: config.value("aws_session_token", profile: name))
        return StaticCredentialProvider(credentials, source: "profile '\(name)' in \(config.file(definingKey: "aws_access_key_id", profile: name))")
    }

    private func webIdentity(roleARN: String, tokenFile: String, session: String, source: String) -> any CredentialProvider {
        let sts = stsClient(credentials: AnonymousCredentialProvider())
        return RefreshingCredentialProvider(source: source, clock: clock) {
            try await STSCredentials.assumeRoleWithWebIdentity(sts: sts, roleARN: roleARN, sessionName: session, tokenFile: tokenFile)
        }
    }

    /// A client for the credential calls (STS, IAM Identity Center), on the chain's transport.
    private func stsClient(credentials: any CredentialProvider, region: String? = nil) -> AWSClient {
        AWSClient(
            region: region ?? self.region, credentials: credentials, endpoints: endpoints, timeout: timeout, transport: transport,
            clock: clock, random: random, logger: logger)
    }

    private func defaultSessionName() -> String {
        "cairn-\(Int(clock.now().timeIntervalSince1970))"
    }
}
