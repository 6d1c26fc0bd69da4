import CairnAWS
import CairnJSON

/// How one service tags and untags a resource in place: its two operations and the shape of their
/// inputs. Each resource type names one of the tables below; `sync` does the rest.
struct TaggingAPI: Sendable {
    /// How the tags and the keys travel.
    enum Shape: Sendable {
        /// json protocol: `{resource: arn, tags: [{key, value}]}` and `{resource: arn, keys: [k]}`.
        case jsonList(tags: String, keys: String, key: String, value: String)
        /// json protocol with the tags as a map: `{resource: arn, tags: {k: v}}`.
        case jsonMap(tags: String, keys: String)
        /// query protocol: `Tags.member.N.Key/Value` and `TagKeys.member.N`.
        case queryList
        /// EC2: `ResourceId.1`, `Tag.N.Key/Value`.
        case ec2
    }

    let service: ServiceModel
    let tag: String
    let untag: String
    /// The input member naming the resource (`resourceArn`, `RoleName`).
    let resource: String
    let shape: Shape

    static let ecs = TaggingAPI(service: .ecs, tag: "TagResource", untag: "UntagResource", resource: "resourceArn",
                                shape: .jsonList(tags: "tags", keys: "tagKeys", key: "key", value: "value"))
    static let ecr = TaggingAPI(service: .ecr, tag: "TagResource", untag: "UntagResource", resource: "resourceArn",
                                shape: .jsonList(tags: "tags", keys: "tagKeys", key: "Key", value: "Value"))
    static let codePipeline = TaggingAPI(service: .codePipeline, tag: "TagResource", untag: "UntagResource", resource: "resourceArn",
                                         shape: .jsonList(tags: "tags", keys: "tagKeys", key: "key", value: "value"))
    static let eventBridge = TaggingAPI(service: .eventBridge, tag: "TagResource", untag: "UntagResource", resource: "ResourceARN",
                                        shape: .jsonList(tags: "Tags", keys: "TagKeys", key: "Key", value: "Value"))
    static let logs = TaggingAPI(service: .cloudWatchLogs, tag: "TagResource", untag: "UntagResource", resource: "resourceArn",
                                 shape: .jsonMap(tags: "tags", keys: "tagKeys"))
    static let sns = TaggingAPI(service: .sns, tag: "TagResource", untag: "UntagResource", resource: "ResourceArn", shape: .queryList)
    static let iamRole = TaggingAPI(service: .iam, tag: "TagRole", untag: "UntagRole", resource: "RoleName", shape: .queryList)
    static let iamPolicy = TaggingAPI(service: .iam, tag: "TagPolicy", untag: "UntagPolicy", resource: "PolicyArn", shape: .queryList)
    static let iamOIDCProvider = TaggingAPI(service: .iam, tag: "TagOpenIDConnectProvider", untag: "UntagOpenIDConnectProvider",
                                            resource: "OpenIDConnectProviderArn", shape: .queryList)
    static let ec2 = TaggingAPI(service: .ec2, tag: "CreateTags", untag: "DeleteTags", resource: "ResourceId.1", shape: .ec2)

    /// Makes the resource's tags `new` where they were `old`: removes what went, sets what is new or changed.
    /// - Returns: whether anything was sent.
    @discardableResult
    func sync(_ client: AWSClient, resource id: String, from old: [String: String], to new: [String: String]) async throws -> Bool {
        let delta = TagDelta(old: old, new: new)
        if !delta.removed.isEmpty { try await send(client, untag, id, removing: delta.removed) }
        if !delta.changed.isEmpty { try await send(client, tag, id, setting: delta.changed) }
        return !delta.isEmpty
    }

    private func send(_ client: AWSClient, _ operation: String, _ id: String, setting tags: [String: String] = [:],
                      removing keys: [String] = []) async throws {
        switch shape {
        case .jsonList(let tagsMember, let keysMember, let key, let value):
            let input: JSON = keys.isEmpty
                ? [resource: .string(id), tagsMember: tagList(tags, keyName: key, valueName: value)]
                : [resource: .string(id), keysMember: .array(keys.map { .string($0) })]
            _ = try await client.json(service, operation, input)
        case .jsonMap(let tagsMember, let keysMember):
            let input: JSON = keys.isEmpty
                ? [resource: .string(id), tagsMember: tags.json]
                : [resource: .string(id), keysMember: .array(keys.map { .string($0) })]
            _ = try await client.json(service, operation, input)
        case .queryList:
            var parameters: QueryParameters = [resource: id]
            if keys.isEmpty {
                parameters.list("Tags", tags.keys.sorted().map { ["Key": $0, "Value": tags[$0]!] })
            } else {
                parameters.list("TagKeys", keys)
            }
            _ = try await client.query(service, operation, parameters)
        case .ec2:
            var parameters: QueryParameters = [resource: id]
            for (i, key) in (keys.isEmpty ? tags.keys.sorted() : keys).enumerated() {
                parameters["Tag.\(i + 1).Key"] = key
                if keys.isEmpty { parameters["Tag.\(i + 1).Value"] = tags[key]! }
            }
            _ = try await client.query(service, operation, parameters)
        }
    }
}
