import CairnAWS
import CairnJSON

/// How one service tags and untags a resource in place: its two operations and the shape of their
/// inputs. Each resource type names one of the tables below; `sync` does the rest.
struct TaggingAPI: Sendable {
    /// The two operations and how the tags and the keys travel.
    enum Shape: Sendable {
        /// json protocol: `{resource: arn, tags: [{key, value}]}` and `{resource: arn, keys: [k]}`.
        case jsonList(tag: JSONOperation, untag: JSONOperation, tags: String, keys: String, key: String, value: String)
        /// json protocol with the tags as a map: `{resource: arn, tags: {k: v}}`.
        case jsonMap(tag: JSONOperation, untag: JSONOperation, tags: String, keys: String)
        /// query protocol: `Tags.member.N.Key/Value` and `TagKeys.member.N`.
        case queryList(tag: QueryOperation, untag: QueryOperation)
        /// EC2: `ResourceId.1`, `Tag.N.Key/Value`.
        case ec2(tag: QueryOperation, untag: QueryOperation)
        /// rest-xml with CloudFront's wrapped lists: `<Tags><Items><Tag><Key/><Value/></Tag></Items></Tags>` and
        /// `<TagKeys><Items><Key/></Items></TagKeys>`, the resource's ARN in the query string.
        case restXMLItems(tag: RestXMLOperation, untag: RestXMLOperation)
    }

    /// The input member naming the resource (`resourceArn`, `RoleName`).
    let resource: String
    let shape: Shape
    /// Members every call of a json shape carries as well (SSM's `ResourceType`, one tagging API for many kinds).
    var fixed: [String: JSON] = [:]
    /// Answers meaning another change to the resource is under way (IAM's `ConcurrentModification`): waited out.
    var conflicts: [Refusal] = []

    static let ecs = TaggingAPI(
        resource: "resourceArn",
        shape: .jsonList(
            tag: .ecs.tagResource, untag: .ecs.untagResource,
            tags: "tags", keys: "tagKeys", key: "key", value: "value"))
    static let ecr = TaggingAPI(
        resource: "resourceArn",
        shape: .jsonList(
            tag: .ecr.tagResource, untag: .ecr.untagResource,
            tags: "tags", keys: "tagKeys", key: "Key", value: "Value"))
    static let codePipeline = TaggingAPI(
        resource: "resourceArn",
        shape: .jsonList(
            tag: .codePipeline.tagResource, untag: .codePipeline.untagResource, tags: "tags", keys: "tagKeys", key: "key", value: "value"))
    static let eventBridge = TaggingAPI(
        resource: "ResourceARN",
        shape: .jsonList(
            tag: .eventBridge.tagResource, untag: .eventBridge.untagResource, tags: "Tags", keys: "TagKeys", key: "Key", value: "Value"))
    static let logs = TaggingAPI(
        resource: "resourceArn",
        shape: .jsonMap(
            tag: .cloudWatchLogs.tagResource, untag: .cloudWatchLogs.untagResource, tags: "tags", keys: "tagKeys"))
    static let kms = TaggingAPI(
        resource: "KeyId",
        shape: .jsonList(
            tag: .kms.tagResource, untag: .kms.untagResource,
            tags: "Tags", keys: "TagKeys", key: "TagKey", value: "TagValue"))
    static let dynamoDB = TaggingAPI(
        resource: "ResourceArn",
        shape: .jsonList(
            tag: .dynamoDB.tagResource, untag: .dynamoDB.untagResource, tags: "Tags", keys: "TagKeys", key: "Key", value: "Value"))
    static let ssmParameter = TaggingAPI(
        resource: "ResourceId",
        shape: .jsonList(
            tag: .ssm.addTagsToResource, untag: .ssm.removeTagsFromResource, tags: "Tags", keys: "TagKeys", key: "Key", value: "Value"),
        fixed: ["ResourceType": "Parameter"])
    static let codeCommit = TaggingAPI(
        resource: "resourceArn",
        shape: .jsonMap(tag: .codeCommit.tagResource, untag: .codeCommit.untagResource, tags: "tags", keys: "tagKeys"))
    static let cloudWatch = TaggingAPI(
        resource: "ResourceARN", shape: .queryList(tag: .cloudWatch.tagResource, untag: .cloudWatch.untagResource))
    static let sns = TaggingAPI(resource: "ResourceArn", shape: .queryList(tag: .sns.tagResource, untag: .sns.untagResource))
    static let iamRole = TaggingAPI(
        resource: "RoleName", shape: .queryList(tag: .iam.tagRole, untag: .iam.untagRole), conflicts: [.iamConcurrentModification])
    static let iamPolicy = TaggingAPI(
        resource: "PolicyArn", shape: .queryList(tag: .iam.tagPolicy, untag: .iam.untagPolicy), conflicts: [.iamConcurrentModification])
    static let iamOIDCProvider = TaggingAPI(
        resource: "OpenIDConnectProviderArn",
        shape: .queryList(
            tag: .iam.tagOpenIDConnectProvider, untag: .iam.untagOpenIDConnectProvider), conflicts: [.iamConcurrentModification])
    static let ec2 = TaggingAPI(resource: "ResourceId.1", shape: .ec2(tag: .ec2.createTags, untag: .ec2.deleteTags))
    static let cloudFront = TaggingAPI(
        resource: "Resource", shape: .restXMLItems(tag: .cloudFront.tagResource, untag: .cloudFront.untagResource))

    /// Makes the resource's tags `new` where they were `old`: removes what went, sets what is new or changed.
    /// - Returns: whether anything was sent.
    @discardableResult
    func sync(_ client: AWSClient, resource id: String, from old: [String: String], to new: [String: String]) async throws -> Bool {
        let delta = TagDelta(old: old, new: new)
        if !delta.removed.isEmpty { try await takingTurns(client, id) { try await send(client, id, removing: delta.removed) } }
        if !delta.changed.isEmpty { try await takingTurns(client, id) { try await send(client, id, setting: delta.changed) } }
        return !delta.isEmpty
    }

    /// Sends a tagging call, waiting out `conflicts` (another change to the same resource) where the service has any.
    private func takingTurns(_ client: AWSClient, _ id: String, _ call: () async throws -> Void) async throws {
        guard !conflicts.isEmpty else { return try await call() }
        try await afterOtherChanges(to: "the tags of \(id)", refusals: conflicts, clock: client.waitClock, call)
    }

    /// Sets `tags`, or, when `keys` is not empty, removes `keys`.
    private func send(
        _ client: AWSClient, _ id: String, setting tags: [String: String] = [:],
        removing keys: [String] = []
    ) async throws {
        switch shape {
        case .jsonList(let tag, let untag, let tagsMember, let keysMember, let key, let value):
            var input = fixed
            input[resource] = .string(id)
            if keys.isEmpty {
                input[tagsMember] = tagList(tags, keyName: key, valueName: value)
            } else {
                input[keysMember] = .array(keys.map { .string($0) })
            }
            _ = try await client.json(keys.isEmpty ? tag : untag, .object(input))
        case .jsonMap(let tag, let untag, let tagsMember, let keysMember):
            var input = fixed
            input[resource] = .string(id)
            if keys.isEmpty { input[tagsMember] = tags.json } else { input[keysMember] = .array(keys.map { .string($0) }) }
            _ = try await client.json(keys.isEmpty ? tag : untag, .object(input))
        case .queryList(let tag, let untag):
            var parameters: QueryParameters = [resource: id]
            if keys.isEmpty {
                parameters.list("Tags", tags.keys.sorted().map { ["Key": $0, "Value": tags[$0]!] })
            } else {
                parameters.list("TagKeys", keys)
            }
            _ = try await client.query(keys.isEmpty ? tag : untag, parameters)
        case .ec2(let tag, let untag):
            var parameters: QueryParameters = [resource: id]
            for (i, key) in (keys.isEmpty ? tags.keys.sorted() : keys).enumerated() {
                parameters["Tag.\(i + 1).Key"] = key
                if keys.isEmpty { parameters["Tag.\(i + 1).Value"] = tags[key]! }
            }
            _ = try await client.query(keys.isEmpty ? tag : untag, parameters)
        case .restXMLItems(let tag, let untag):
            let items =
                keys.isEmpty
                ? CloudFrontWire.tagsXML(tags) : [XMLNode("Items", children: keys.map { XMLNode("Key", text: $0) })]
            _ = try await client.restXML(keys.isEmpty ? tag : untag, [resource: id], body: .xml(items))
        }
    }
}
