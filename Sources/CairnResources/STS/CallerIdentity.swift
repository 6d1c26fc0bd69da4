import CairnAWS
import CairnEngine
import CairnJSON

/// The account and principal of the credentials Cairn runs with, looked up at plan time (`aws sts
/// get-caller-identity`; needs no permission). Never created, changed or deleted. Its outputs are known in the plan,
/// so they can go into names: `"codepipeline-artifacts-us-east-1-\(account.accountId)"`.
///
/// Outputs: `accountId` (12 digits), `arn` (the caller's ARN), `userId`, `partition` (`aws`, `aws-cn`, `aws-us-gov`,
/// from the ARN).
public struct CallerIdentity: ResourceDeclaration {
    /// The type name in addresses.
    public static let typeName = "aws_caller_identity"

    /// The name in the stack (`aws_caller_identity.<logicalName>`).
    public let logicalName: String
    /// Dependencies for the engine (a look-up may depend only on other look-ups).
    public var options: ResourceOptions

    /// The identity of the credentials the plan runs with.
    public init(_ logicalName: String, options: ResourceOptions = ResourceOptions()) {
        self.logicalName = logicalName
        self.options = options
    }

    /// The account id (12 digits), for names and ARNs.
    public var accountId: Output<String> { Output(output("accountId")) }
    /// The caller's ARN (a user, or an assumed role's session).
    public var arn: Output<String> { Output(output("arn")) }
    /// The caller's unique id (`AIDA…`, or `AROA…:session` for a role).
    public var userId: Output<String> { Output(output("userId")) }
    /// The partition (`aws`, `aws-cn`, `aws-us-gov`), for ARNs written by hand.
    public var partition: Output<String> { Output(output("partition")) }

    /// None: the look-up takes no input.
    public var attributes: [String: Value] { [:] }
}

/// Asks STS who the credentials belong to.
struct CallerIdentityProvider: LookupProvider {
    let client: AWSClient
    let typeName = CallerIdentity.typeName

    func lookup(_ attributes: [String: JSON]) async throws -> [String: JSON] {
        let identity = try await client.callerIdentity()
        let parts = identity.arn.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
        return [
            "accountId": .string(identity.account), "arn": .string(identity.arn), "userId": .string(identity.userID),
            "partition": .string(parts.count > 2 ? String(parts[1]) : "aws"),
        ]
    }
}
