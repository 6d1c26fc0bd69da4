import Foundation

/// Where a service's requests go and which region signs them.
public struct ResolvedEndpoint: Sendable, Equatable {
    public var url: URL
    /// A custom endpoint (an emulator, a proxy, a VPC endpoint): S3 then uses path-style addressing.
    public var isCustom: Bool
    public var signingRegion: String
    /// Where the endpoint came from, for `whoami` and errors.
    public var source: String
}

/// Resolves endpoints the way the AWS CLI does: `AWS_ENDPOINT_URL_<SERVICE>`, then `AWS_ENDPOINT_URL`,
/// then the profile's per-service and global `endpoint_url`, else AWS's standard https endpoint.
public struct EndpointResolver: Sendable {
    public var serviceOverrides: [String: (url: URL, source: String)]
    public var globalOverride: (url: URL, source: String)?

    public init(serviceOverrides: [String: (url: URL, source: String)] = [:], globalOverride: (url: URL, source: String)? = nil) {
        self.serviceOverrides = serviceOverrides
        self.globalOverride = globalOverride
    }

    /// Reads the overrides from the environment and the profile.
    public static func from(environment: [String: String], config: SharedConfig?, profile: String?) throws(AWSConfigurationError) -> EndpointResolver
    {
        var resolver = EndpointResolver()
        // As in botocore: the variable, else the profile's ignore_configured_endpoint_urls.
        let ignore =
            environment["AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"].flatMap { $0.isEmpty ? nil : $0 }
            ?? profile.flatMap { config?.value("ignore_configured_endpoint_urls", profile: $0) }
        if ["true", "1"].contains(ignore?.lowercased()) { return resolver }
        func parse(_ value: String, _ source: String) throws(AWSConfigurationError) -> URL {
            guard let url = URL(string: value), let scheme = url.scheme?.lowercased(), ["http", "https"].contains(scheme), url.host != nil else {
                throw AWSConfigurationError("\(source) is \"\(value)\", which is not an http(s) URL: set it to something like https://host:port.")
            }
            return url
        }
        for (key, value) in environment where key.hasPrefix("AWS_ENDPOINT_URL_") && !value.isEmpty {
            let suffix = String(key.dropFirst("AWS_ENDPOINT_URL_".count))
            resolver.serviceOverrides[suffix] = (try parse(value, key), key)
        }
        if let value = environment["AWS_ENDPOINT_URL"], !value.isEmpty {
            resolver.globalOverride = (try parse(value, "AWS_ENDPOINT_URL"), "AWS_ENDPOINT_URL")
        }
        // AWS_ENDPOINT_URL applies to every service and outranks anything in the profile.
        if resolver.globalOverride == nil, let config, let profile {
            for model in ServiceModel.all {
                let suffix = model.endpointEnvironmentSuffix
                if resolver.serviceOverrides[suffix] == nil,
                    let value = config.serviceEndpoint(profile: profile, serviceKey: model.configSectionKey)
                {
                    let source = "endpoint_url for \(model.configSectionKey) in profile \(profile)'s services (\(config.configPath))"
                    resolver.serviceOverrides[suffix] = (try parse(value, source), source)
                }
            }
            if let value = config.value("endpoint_url", profile: profile) {
                let source = "endpoint_url of profile \(profile) (\(config.configPath))"
                resolver.globalOverride = (try parse(value, source), source)
            }
        }
        return resolver
    }

    /// Where `service`'s requests go from `region`: an override, else the partition's global endpoint for a global
    /// service (IAM, CloudFront: one host, signed for the partition's home region), else the regional host.
    public func resolve(_ service: ServiceModel, region: String) -> ResolvedEndpoint {
        let partition = AWSPartition.of(region: region)
        let global = partition?.globalEndpoints[service.endpointPrefix]
        // A custom endpoint (an emulator) is signed as AWS's own would be.
        let signingRegion = global?.signingRegion ?? region
        if let custom = serviceOverrides[service.endpointEnvironmentSuffix] ?? globalOverride {
            return ResolvedEndpoint(url: custom.url, isCustom: true, signingRegion: signingRegion, source: custom.source)
        }
        let host = global?.hostname ?? "\(service.endpointPrefix).\(region).\(partition?.dnsSuffix ?? "amazonaws.com")"
        return ResolvedEndpoint(
            url: URL(string: "https://\(host)")!, isCustom: false, signingRegion: signingRegion, source: "AWS's standard endpoint")
    }
}

extension ServiceModel {
    /// Every service in the generated table.
    public static let all: [ServiceModel] = [
        .sts, .iam, .s3, .ecr, .ecs, .codeBuild, .codePipeline, .cloudWatchLogs, .ssm, .secretsManager, .sns,
        .cloudWatch, .ec2, .eventBridge, .kms, .dynamoDB, .codeCommit, .cloudFront, .sso, .ssoOIDC,
    ]
}
