import CairnAWS
import CairnEngine
import CairnJSON

/// A CodeCommit Git repository (`aws codecommit create-repository`), such as a pipeline's source
/// (`CodePipeline.ActionKind.codeCommitSource`).
///
/// AWS closed CodeCommit to new customers on 25 July 2024: CreateRepository fails with `OperationNotAllowedException`
/// in an account (and organization) that has never had a repository, and the apply then stops with
/// `CodeCommitUnavailableError`. Repositories of accounts that already used CodeCommit keep working. The fallback is
/// a GitHub (or GitLab, Bitbucket) repository reached through a CodeStar connection (`.codeStarSource`).
///
/// Attributes (as the state and plans show them):
/// - `name`: the repository name; a change replaces the repository, and with it every commit it holds.
/// - `description`: `""` by default; changed in place (UpdateRepositoryDescription).
/// - `kmsKeyId`: the KMS key that encrypts the repository, as declared (a key id, ARN or alias); null for CodeCommit's
///   AWS managed key `aws/codecommit`. Changed in place (UpdateRepositoryEncryptionKey; back to null sends the managed
///   key's alias). While null, a key set outside Cairn is not reported: CodeCommit names its own key as it names any.
/// - `tags`: an object of strings.
///
/// CreateRepository has no default branch: the first branch pushed becomes the default.
public struct CodeCommitRepository: ResourceDeclaration {
    /// The type name in addresses and the state.
    public static let typeName = "aws_codecommit_repository"

    /// The name in the stack (`aws_codecommit_repository.<logicalName>`).
    public let logicalName: String
    /// The repository name: 1 to 100 letters, digits, `_`, `-` and `.`, not ending in `.git`.
    public var name: Input<String>
    /// What the repository holds, up to 1000 characters.
    public var description: String
    /// The KMS key (id, ARN or alias) that encrypts the repository; nil for the AWS managed key `aws/codecommit`.
    public var kmsKeyId: Input<String>?
    /// AWS tags.
    public var tags: Tags
    /// Dependencies and lifecycle options for the engine.
    public var options: ResourceOptions

    /// A repository named `name`, encrypted with the AWS managed key unless `kmsKeyId` is given.
    public init(
        _ logicalName: String, name: Input<String>, description: String = "", kmsKeyId: Input<String>? = nil, tags: Tags = [:],
        options: ResourceOptions = ResourceOptions()
    ) {
        self.logicalName = logicalName
        self.name = name
        self.description = description
        self.kmsKeyId = kmsKeyId
        self.tags = tags
        self.options = options
    }

    /// The repository's ARN, what IAM policies and EventBridge rules take.
    public var arn: Output<String> { Output(output("arn")) }
    /// The repository's name (`CodePipeline.ActionKind.codeCommitSource`'s `repositoryName`).
    public var repositoryName: Output<String> { Output(output("name")) }
    /// The HTTPS clone URL (`https://git-codecommit.REGION.amazonaws.com/v1/repos/NAME`).
    public var cloneUrlHttp: Output<String> { Output(output("cloneUrlHttp")) }
    /// The SSH clone URL (`ssh://git-codecommit.REGION.amazonaws.com/v1/repos/NAME`).
    public var cloneUrlSsh: Output<String> { Output(output("cloneUrlSsh")) }
    /// The repository id CodeCommit assigned (a UUID).
    public var repositoryId: Output<String> { Output(output("repositoryId")) }

    /// Every managed attribute, with CodeCommit's defaults filled in (see the type's documentation).
    public var attributes: [String: Value] {
        [
            "name": name.value,
            "description": .string(description),
            "kmsKeyId": kmsKeyId?.value ?? .null,
            "tags": .json(tags.json),
        ]
    }

    /// The name, the description, the key's form and the tags, as CodeCommit checks them.
    public func validate() -> [ValidationIssue] {
        var issues = checkName(
            name, address: address, attribute: "name", length: 1...100, pattern: #"\A[A-Za-z0-9_.-]+\z"#,
            rule: "repository names are 1 to 100 letters, digits, '_', '-' and '.'")
        func issue(_ attribute: String, _ message: String) {
            issues.append(ValidationIssue(address: address, attribute: attribute, message: message))
        }
        if let text = name.literal, text.lowercased().hasSuffix(".git") {
            issue("name", "'\(text)' ends in .git, which CodeCommit refuses: drop the suffix (clone URLs never show it).")
        }
        if description.count > 1000 {
            issue("description", "the description has \(description.count) characters; CodeCommit allows 1000.")
        }
        if let key = kmsKeyId?.literal, key.range(of: #"\A[A-Za-z0-9:/_-]+\z"#, options: .regularExpression) == nil {
            issue("kmsKeyId", "'\(key)' is not a KMS key id, ARN or alias (letters, digits, ':', '/', '_' and '-'): use KMSKey.arn.")
        }
        return issues + checkTags(tags, address: address)
    }
}

/// CodeCommit refused to create a repository because the account may not use CodeCommit any more.
public struct CodeCommitUnavailableError: Error, Sendable, CustomStringConvertible {
    /// The repository that was to be created.
    public let repository: String
    /// CodeCommit's own message.
    public let awsMessage: String

    /// What happened and the ways out.
    public var description: String {
        "CodeCommit refused to create the repository '\(repository)': AWS closed CodeCommit to new customers on 25 July 2024, "
            + "and this account (and its organization) has never had a repository (AWS said: \(awsMessage)). "
            + "Keep the code on GitHub instead and reach it through a CodeStar connection (CodePipeline's .codeStarSource), "
            + "or run the stack in an account that already uses CodeCommit."
    }
}

/// Creates, reads, updates and deletes CodeCommit repositories; the physical id is the repository name.
struct CodeCommitRepositoryProvider: ResourceProvider {
    let client: AWSClient
    let typeName = CodeCommitRepository.typeName
    /// Adoption proof: the ownership tags; CreateRepository takes the tags.
    let adoptionProof = AdoptionProof.ownershipTags
    // A delete loses its commits: a plan names an undeclared rename of it.
    let holdsData = true
    let replaceOnChange: Set<String> = ["name"]

    /// CodeCommit's answer for a repository that does not exist.
    static let goneCodes: Set<String> = ["RepositoryDoesNotExistException"]
    /// What UpdateRepositoryEncryptionKey is sent to go back to the AWS managed key.
    static let managedKey = "alias/aws/codecommit"

    func physicalID(for attributes: [String: JSON]) -> String? { attributes.string("name") }

    func read(id: String, prior: [String: JSON]) async throws -> Observed? {
        let metadata: JSON
        let tags: JSON
        do {
            metadata = try await client.json(.codeCommit.getRepository, ["repositoryName": .string(id)])["repositoryMetadata"] ?? [:]
            tags = try await allTags(metadata["Arn"] ?? .null)
        } catch let error as AWSServiceError where error.isNotFound(Self.goneCodes) {
            return nil
        }
        return Observed(
            id: metadata["repositoryName"]?.stringValue ?? id,
            attributes: [
                "name": metadata["repositoryName"] ?? .string(id),
                "description": .string(metadata["repositoryDescription"]?.stringValue ?? ""),
                "kmsKeyId": Self.observedKey(metadata["kmsKeyId"]?.stringValue, declared: prior["kmsKeyId"]),
                "tags": (tags.objectValue?.compactMapValues(\.stringValue) ?? [:]).json,
            ], outputs: Self.outputs(metadata))
    }

    /// CreateRepository with the description, the key and the tags. An account closed to CodeCommit fails with
    /// `CodeCommitUnavailableError`.
    func create(_ attributes: [String: JSON]) async throws -> Applied {
        let name = attributes.string("name") ?? ""
        var input: [String: JSON] = ["repositoryName": .string(name)]
        if let description = attributes.string("description"), !description.isEmpty { input["repositoryDescription"] = .string(description) }
        if let key = attributes.string("kmsKeyId") { input["kmsKeyId"] = .string(key) }
        let tags = attributes.tags()
        if !tags.isEmpty { input["tags"] = tags.json }
        let metadata: JSON
        do {
            metadata = try await client.json(.codeCommit.createRepository, .object(input))["repositoryMetadata"] ?? [:]
        } catch let error as AWSServiceError where error.code == "OperationNotAllowedException" {
            throw CodeCommitUnavailableError(repository: name, awsMessage: error.message)
        }
        return Applied(id: name, outputs: Self.outputs(metadata))
    }

    func update(id: String, from old: [String: JSON], to new: [String: JSON]) async throws -> Applied {
        let name: JSON = .string(id)
        if (old["description"] ?? "") != (new["description"] ?? "") {
            _ = try await client.json(
                .codeCommit.updateRepositoryDescription, ["repositoryName": name, "repositoryDescription": new["description"] ?? ""])
        }
        if (old["kmsKeyId"] ?? .null) != (new["kmsKeyId"] ?? .null) {
            let key = new.string("kmsKeyId") ?? Self.managedKey
            _ = try await client.json(.codeCommit.updateRepositoryEncryptionKey, ["repositoryName": name, "kmsKeyId": .string(key)])
        }
        let metadata = try await client.json(.codeCommit.getRepository, ["repositoryName": name])["repositoryMetadata"] ?? [:]
        try await TaggingAPI.codeCommit.sync(client, resource: metadata["Arn"]?.stringValue ?? "", from: old.tags(), to: new.tags())
        return Applied(id: id, outputs: Self.outputs(metadata))
    }

    /// Deletes the repository with everything it holds. CodeCommit answers a repository already gone without an
    /// error (and no id), so a second delete is no error either.
    func delete(id: String, attributes: [String: JSON]) async throws {
        _ = try await client.json(.codeCommit.deleteRepository, ["repositoryName": .string(id)])
    }

    // MARK: Helpers

    /// Every tag of the repository. ListTagsForResource answers a `nextToken` while more tags remain, although
    /// botocore's model has no paginator for it (so `jsonPages` would read one page): followed here.
    private func allTags(_ arn: JSON) async throws -> JSON {
        var tags: [String: JSON] = [:]
        var input: [String: JSON] = ["resourceArn": arn]
        var seen = Set<JSON>()
        while true {
            let page = try await client.json(.codeCommit.listTagsForResource, .object(input))
            tags.merge(page["tags"]?.objectValue ?? [:]) { $1 }
            // An answer that repeats its token would loop forever.
            guard let token = page["nextToken"], token.stringValue?.isEmpty == false, seen.insert(token).inserted else { return .object(tags) }
            input["nextToken"] = token
        }
    }

    /// The key as declared when CodeCommit names the same key (by id, ARN or, for a declared alias, whatever key it
    /// resolves to); null while none is declared (the AWS managed key); otherwise the live key.
    static func observedKey(_ live: String?, declared: JSON?) -> JSON {
        guard let declared = declared?.stringValue else { return .null }
        guard let live else { return .null }
        // An id and an ARN of one key name it either way round; an alias cannot be compared without a look-up.
        let same =
            live == declared || live.hasSuffix(":key/\(declared)") || declared.hasSuffix(":key/\(live)") || declared.hasPrefix("alias/")
            || declared.contains(":alias/")
        return .string(same ? declared : live)
    }

    static func outputs(_ metadata: JSON) -> [String: JSON] {
        [
            "arn": metadata["Arn"] ?? .null, "name": metadata["repositoryName"] ?? .null, "cloneUrlHttp": metadata["cloneUrlHttp"] ?? .null,
            "cloneUrlSsh": metadata["cloneUrlSsh"] ?? .null, "repositoryId": metadata["repositoryId"] ?? .null,
        ]
    }
}

// MARK: cairn generate

extension CodeCommitRepositoryProvider: DiscoverableProvider {
    var swiftType: String { "CodeCommitRepository" }
    var swiftNoun: String { "repository" }
    var swiftOutputs: [String: String] { ["arn": "arn", "name": "repositoryName"] }

    func discover() async throws -> [DiscoveredResource] {
        try await client.jsonAll(.codeCommit.listRepositories).compactMap { repository in
            repository["repositoryName"]?.stringValue.map { DiscoveredResource(id: $0, name: $0) }
        }
    }

    /// The read with the repository's key when it is a customer managed one (CodeCommit names its own AWS managed key
    /// as it names any, which `read` leaves out unless one was declared): DescribeKey tells them apart. A key it may not
    /// describe is kept, as the key the repository has.
    func readForGeneration(id: String, prior: [String: JSON]) async throws -> Observed? {
        // A declared key that no live one matches makes the read report the live one.
        guard var live = try await read(id: id, prior: ["kmsKeyId": ""]) else { return nil }
        if let key = live.attributes.string("kmsKeyId"),
            let metadata = try? await client.json(.kms.describeKey, ["KeyId": .string(key)])["KeyMetadata"],
            metadata["KeyManager"]?.stringValue == "AWS"
        {
            live.attributes["kmsKeyId"] = .null
        }
        return live
    }

    func swiftArguments(_ live: Observed, in context: SwiftContext) -> [SwiftArgument] {
        let attributes = live.attributes
        var arguments = [SwiftArgument("name", context.literal(live.id))]
        if let description = attributes.string("description"), !description.isEmpty {
            arguments.append(SwiftArgument("description", context.literal(description)))
        }
        if let key = attributes.string("kmsKeyId") {
            arguments.append(SwiftArgument("kmsKeyId", context.input(key, naming: KMSKey.typeName, key.hasPrefix("arn:") ? "arn" : "keyId")))
        }
        if let tags = context.tags(live) { arguments.append(tags) }
        return arguments
    }
}
