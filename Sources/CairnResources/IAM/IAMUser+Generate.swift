import CairnAWS
import CairnEngine
import CairnJSON

/// IAM users, which Cairn has no resource type for: `cairn generate` lists those its name prefix matches as not
/// declared, so that a set-up's users are never left out unsaid.
struct IAMUserDiscovery: UndeclarableDiscovery {
    let client: AWSClient
    let kind = "aws_iam_user"

    func discover() async throws -> [DiscoveredResource] {
        try await client.queryAll(.iam.listUsers).compactMap { user in
            user.string("UserName").map { DiscoveredResource(id: $0, name: $0) }
        }
    }
}

/// The kinds `cairn generate` finds but Cairn cannot declare, reached with `client`.
public func awsUndeclarableDiscoveries(client: AWSClient) -> [any UndeclarableDiscovery] {
    [IAMUserDiscovery(client: client), PendingSNSSubscriptionDiscovery(client: client)]
}
