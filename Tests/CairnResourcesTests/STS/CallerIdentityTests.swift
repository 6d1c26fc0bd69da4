import CairnEngine
import CairnJSON
import TestSupport
import Testing

@testable import CairnAWS
@testable import CairnResources

/// CairnAWS has a `CallerIdentity` too (what STS answers); the look-up is CairnResources'.
typealias CallerIdentityLookup = CairnResources.CallerIdentity

@Suite struct CallerIdentityTests {
    /// The account id is known at plan time, so a bucket can be named with it (seed 004's artifact bucket); the look-up
    /// answers what the aws CLI's get-caller-identity answers.
    @Test(.integration) func theAccountIsKnownAtPlanTimeAndUsableInNames() async throws {
        let (client, moto) = try await ProviderTesting.client()
        let account = CallerIdentityLookup("account")
        let bucket = S3Bucket("artifacts", name: "codepipeline-artifacts-us-east-1-\(account.accountId)")
        #expect(bucket.dependencies == [account.address])
        let stack = Stack(name: "lookups", region: "us-east-1", environment: StackEnvironment(), resources: [account, bucket])
        let outputs = try await Planner(providers: awsProviders(client: client)).evaluateLookups(stack)
        let cli = try await moto.awsJSON(["sts", "get-caller-identity"])
        #expect(
            outputs[account.address] == [
                "accountId": .string(moto.account), "arn": .string(try #require(cli["Arn"].string)),
                "userId": .string(try #require(cli["UserId"].string)), "partition": "aws",
            ])
        #expect(LinkedResourceTesting.attributes(of: bucket, outputs: outputs)["name"] == .string("codepipeline-artifacts-us-east-1-\(moto.account)"))
    }

    /// One GetCallerIdentity call; the partition comes from the caller's ARN.
    @Test func thePartitionComesFromTheARN() async throws {
        let transport = ScriptedTransport { _ in
            """
            <GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult>\
            <Arn>arn:aws-cn:sts::210987654321:assumed-role/deploy/ci</Arn><UserId>AROAEXAMPLE:ci</UserId>\
            <Account>210987654321</Account></GetCallerIdentityResult></GetCallerIdentityResponse>
            """
        }
        let provider = CallerIdentityProvider(client: .scripted(transport, clock: SteppingClock()))
        #expect(
            try await provider.lookup([:]) == [
                "accountId": "210987654321", "arn": "arn:aws-cn:sts::210987654321:assumed-role/deploy/ci", "userId": "AROAEXAMPLE:ci",
                "partition": "aws-cn",
            ])
        #expect(transport.sent.current.map(\.operation) == ["GetCallerIdentity"])
        let account = CallerIdentityLookup("account")
        #expect(account.attributes.isEmpty)
        #expect(account.accountId.reference == Reference(address: "aws_caller_identity.account", output: "accountId"))
    }
}
