import CairnAWS
import CairnEngine
import CairnJSON

/// Every resource type Cairn knows, each backed by `client`. Adding a resource type means one file
/// plus one line here.
public func awsProviders(client: AWSClient) -> ProviderRegistry {
    ProviderRegistry([
        CallerIdentityProvider(client: client),
        CloudWatchMetricAlarmProvider(client: client),
        CloudFrontDistributionProvider(client: client),
        CloudFrontOriginAccessControlProvider(client: client),
        CodeBuildProjectProvider(client: client),
        CodeCommitRepositoryProvider(client: client),
        CodePipelineProvider(client: client),
        ECRRepositoryProvider(client: client),
        DefaultSecurityGroupProvider(client: client),
        DefaultSubnetsProvider(client: client),
        DefaultVPCProvider(client: client),
        DynamoDBTableProvider(client: client),
        ECSClusterProvider(client: client),
        ECSServiceProvider(client: client),
        ECSTaskDefinitionProvider(client: client),
        EventBridgeRuleProvider(client: client),
        IAMOIDCProviderProvider(client: client),
        LogGroupProvider(client: client),
        IAMPolicyProvider(client: client),
        IAMRoleProvider(client: client),
        KMSAliasProvider(client: client),
        KMSKeyProvider(client: client),
        S3BucketPolicyProvider(client: client),
        S3BucketProvider(client: client),
        SecurityGroupProvider(client: client),
        SNSSubscriptionProvider(client: client),
        SNSTopicProvider(client: client),
        SSMParameterProvider(client: client),
        SSMParameterValueProvider(client: client),
        SecretsManagerValueProvider(client: client),
    ])
}

/// Helpers shared by the providers.
extension Dictionary where Key == String, Value == JSON {
    func string(_ key: String) -> String? { self[key]?.stringValue }
    func bool(_ key: String) -> Bool? { self[key]?.boolValue }
    func int(_ key: String) -> Int? { self[key]?.intValue }
    func strings(_ key: String) -> [String] { self[key]?.arrayValue?.compactMap(\.stringValue) ?? [] }
    func tags(_ key: String = "tags") -> [String: String] {
        self[key]?.objectValue?.compactMapValues(\.stringValue) ?? [:]
    }
}

extension AWSServiceError {
    /// Whether AWS said the resource does not exist.
    func isNotFound(_ codes: Set<String>) -> Bool { codes.contains(code) }
}

/// Runs `body`, taking AWS's "it does not exist" (one of `codes`) as done: removing what is already gone
/// is not an error.
func ignoringNotFound(_ codes: Set<String>, _ body: () async throws -> Void) async throws {
    do { try await body() } catch let error as AWSServiceError where error.isNotFound(codes) {}
}

/// The result of `body`, or nil when AWS answers that the resource does not exist (one of `codes`): a
/// read of something deleted outside Cairn.
func nilIfNotFound<T>(_ codes: Set<String>, _ body: () async throws -> T) async throws -> T? {
    do { return try await body() } catch let error as AWSServiceError where error.isNotFound(codes) { return nil }
}

/// Whether a call that failed with `error` may nevertheless have been carried out by AWS: no answer after the request
/// may have reached it, or a 5xx.
func mayHaveBeenCarriedOut(_ error: any Error) -> Bool {
    switch error {
    case let error as AWSRequestError:
        if case .transport(let failure) = error.reason { return failure.mayHaveReachedService }
        return true
    case let error as AWSServiceError:
        return error.status >= 500 || error.earlierAttemptMayHaveSucceeded
    default:
        return false
    }
}

/// What the types that find an interrupted create again (`UnnamedCreateRecovery`) share: whose tags count, and the
/// refusal to choose among several candidates.
enum InterruptedCreate {
    /// Whether `tags` name this state (its stack, environment and lineage) as the owner.
    static func isOurs(_ tags: [String: String], _ ownership: Ownership) -> Bool {
        let owner = Ownership.owner(of: ["tags": tags.json])
        return ownership.state != nil && owner?.state == ownership.state && owner?.stack == ownership.stack
            && owner?.environment == ownership.environment
    }

    /// The one id in `candidates`, nil for none; more than one is a `RecoveryAmbiguity` naming them, with `advice`.
    static func single(_ candidates: [String], typeName: String, advice: String) throws -> String? {
        guard candidates.count <= 1 else { throw RecoveryAmbiguity(typeName: typeName, candidates: candidates, advice: advice) }
        return candidates.first
    }
}

extension AWSServiceError: RefusalError {
    /// A 4xx answer: AWS refused and did nothing. After a 5xx the work may have been done, and so it may after an
    /// earlier attempt that got no answer (the 4xx is then likely "already exists", about that attempt's work).
    public var isRefusal: Bool { (400..<500).contains(status) && !earlierAttemptMayHaveSucceeded }
}

/// Tag changes as the APIs take them: what to set, what to remove.
struct TagDelta {
    var changed: [String: String]
    var removed: [String]

    init(old: [String: String], new: [String: String]) {
        changed = new.filter { old[$0.key] != $0.value }
        removed = old.keys.filter { new[$0] == nil }.sorted()
    }

    var isEmpty: Bool { changed.isEmpty && removed.isEmpty }
}

/// `[{"key": k, "value": v}]` (or `Key`/`Value`), as ECS, ECR and others take tags.
func tagList(_ tags: [String: String], keyName: String = "key", valueName: String = "value") -> JSON {
    .array(tags.keys.sorted().map { .object([keyName: .string($0), valueName: .string(tags[$0]!)]) })
}

/// The inverse of `tagList`.
func tagMap(_ list: JSON?, keyName: String = "key", valueName: String = "value") -> [String: String] {
    var tags: [String: String] = [:]
    for item in list?.arrayValue ?? [] {
        if let key = item[keyName]?.stringValue { tags[key] = item[valueName]?.stringValue ?? "" }
    }
    return tags
}

/// Checks a name against a pattern and length, as AWS documents them.
func checkName(
    _ name: Input<String>, address: String, attribute: String, length: ClosedRange<Int>,
    pattern: String, rule: String
) -> [ValidationIssue] {
    guard let text = name.literal else { return [] }
    if !length.contains(text.count) || text.range(of: pattern, options: .regularExpression) == nil {
        return [ValidationIssue(address: address, attribute: attribute, message: "'\(text)' breaks AWS's naming rule: \(rule).")]
    }
    return []
}

/// Checks tags against AWS's limits.
func checkTags(_ tags: Tags, address: String) -> [ValidationIssue] {
    var issues: [ValidationIssue] = []
    if let problem = TagRules.countProblem(tags.count) { issues.append(ValidationIssue(address: address, attribute: "tags", message: problem)) }
    for (key, value) in tags.sorted(by: { $0.key < $1.key }) {
        if let problem = TagRules.problem(key: key, value: value) {
            issues.append(ValidationIssue(address: address, attribute: "tags.\(key)", message: problem))
        }
    }
    return issues
}
