import CairnAWS
import CairnEngine
import CairnJSON
import Foundation
import TestSupport
import Testing

@testable import CairnResources

/// IAM changes reach other services seconds later on real AWS: the refusals that mean "not yet" are retried, per
/// operation and error (never a blanket retry), with a progress line, for at most two minutes on the client's clock.
@Suite struct PropagationTests {
    /// Answers `operation` with `refusal` `times` times, then with `success`; everything else with `{}`.
    static func transport(_ operation: String, refusal: String, times: Int, success: String) -> ScriptedTransport {
        let refusals = Countdown(times)
        return ScriptedTransport(status: { name in
            guard name == operation else { return (200, "{}") }
            return refusals.next() ? (400, refusal) : (200, success)
        })
    }

    /// Runs `body` as an apply runs a change, collecting the progress lines it reports.
    static func notes(_ body: () async throws -> Void) async rethrows -> [String] {
        let lines = Locked<[String]>([])
        try await ProviderProgress.$receiver.withValue(ProviderProgress.Receiver { line in lines.withLock { $0.append(line) } }) { try await body() }
        return lines.current
    }

    static let notAuthorized =
        #"{"__type": "InvalidInputException", "message": "CodeBuild is not authorized to perform: sts:AssumeRole on arn:aws:iam::123456789012:role/cairn/build"}"#

    @Test func codeBuildWaitsForANewServiceRoleAndSaysSo() async throws {
        let clock = SteppingClock()
        let transport = Self.transport("CreateProject", refusal: Self.notAuthorized, times: 3, success: #"{"project": {"name": "app"}}"#)
        let provider = CodeBuildProjectProvider(client: AWSClient.scripted(transport, clock: clock))
        let declared = ProviderTesting.attributes(of: CodeBuildProjectTests.project("app", account: "123456789012"))
        var created: Applied?
        let notes = try await Self.notes { created = try await provider.create(declared) }
        #expect(created?.id == "app")
        #expect(transport.bodies("CreateProject").count == 4)
        #expect(clock.slept == .seconds(9))
        #expect(
            notes == (2...4).map { "waiting for IAM role build to reach CodeBuild (attempt \($0))" })
    }

    @Test func aRefusalThatLastsNamesTheRoleTheWaitAndWhatToCheck() async throws {
        let clock = SteppingClock()
        let transport = Self.transport("CreateProject", refusal: Self.notAuthorized, times: 1_000, success: "{}")
        let provider = CodeBuildProjectProvider(client: AWSClient.scripted(transport, clock: clock))
        let declared = ProviderTesting.attributes(of: CodeBuildProjectTests.project("app", account: "123456789012"))
        let error = try #require(await #expect(throws: StillRefused.self) { try await provider.create(declared) })
        #expect(error.refusal.code == "InvalidInputException")
        #expect(
            error.description.hasPrefix(
                "gave up after 2 minutes (41 attempts) waiting for IAM role build to reach CodeBuild; AWS's last answer: CodeBuild CreateProject failed: InvalidInputException: CodeBuild is not authorized"
            ), "\(error)")
        #expect(error.description.contains("trust policy lets codebuild.amazonaws.com assume it"))
        #expect(clock.slept == .seconds(120))
    }

    /// The same code for a real mistake is not retried: one call, AWS's error at once.
    @Test func theSameCodeWithAnotherMessageIsNotRetried() async throws {
        let clock = SteppingClock()
        let invalid = #"{"__type": "InvalidInputException", "message": "Invalid compute type: BUILD_GENERAL9_HUGE"}"#
        let transport = Self.transport("CreateProject", refusal: invalid, times: 1_000, success: "{}")
        let provider = CodeBuildProjectProvider(client: AWSClient.scripted(transport, clock: clock))
        let declared = ProviderTesting.attributes(of: CodeBuildProjectTests.project("app", account: "123456789012"))
        let error = try #require(await #expect(throws: AWSServiceError.self) { try await provider.create(declared) })
        #expect(error.code == "InvalidInputException")
        #expect(transport.bodies("CreateProject").count == 1)
        #expect(clock.slept == .zero)
    }

    @Test func codePipelineWaitsForItsRole() async throws {
        let clock = SteppingClock()
        let refusal =
            #"{"__type": "InvalidStructureException", "message": "CodePipeline is not authorized to perform AssumeRole on role arn:aws:iam::123456789012:role/deploy"}"#
        let transport = Self.transport("CreatePipeline", refusal: refusal, times: 2, success: "{}")
        let provider = CodePipelineProvider(client: AWSClient.scripted(transport, clock: clock))
        let declared: [String: JSON] = [
            "name": "app", "roleArn": "arn:aws:iam::123456789012:role/deploy",
            "artifactStore": ["type": "S3", "location": "artifacts"], "stages": [],
        ]
        let notes = try await Self.notes { _ = try await provider.create(declared) }
        #expect(transport.bodies("CreatePipeline").count == 3)
        #expect(
            notes == [
                "waiting for IAM role deploy to reach CodePipeline (attempt 2)", "waiting for IAM role deploy to reach CodePipeline (attempt 3)",
            ])
    }

    @Test func ecsTaskDefinitionsWaitForTheirRoles() async throws {
        let clock = SteppingClock()
        let refusal = #"{"__type": "ClientException", "message": "Role is not valid"}"#
        let success = #"{"taskDefinition": {"taskDefinitionArn": "arn:aws:ecs:us-east-1:123456789012:task-definition/web:1", "revision": 1}}"#
        let transport = Self.transport("RegisterTaskDefinition", refusal: refusal, times: 1, success: success)
        let provider = ECSTaskDefinitionProvider(client: AWSClient.scripted(transport, clock: clock))
        let declared: [String: JSON] = [
            "family": "web", "executionRoleArn": "arn:aws:iam::123456789012:role/web-exec",
            "taskRoleArn": "arn:aws:iam::123456789012:role/web-task", "containers": [],
        ]
        let notes = try await Self.notes { _ = try await provider.create(declared) }
        #expect(transport.bodies("RegisterTaskDefinition").count == 2)
        #expect(notes == ["waiting for IAM role web-exec and IAM role web-task to reach ECS (attempt 2)"])
    }

    @Test func iamRetriesARoleNotYetVisibleToItsNextCall() async throws {
        let clock = SteppingClock()
        let refusals = Countdown(2)
        let transport = ScriptedTransport(status: { operation in
            switch operation {
            case "CreateRole":
                return (
                    200,
                    "<CreateRoleResponse><CreateRoleResult><Role><RoleName>r</RoleName><Arn>arn:aws:iam::123456789012:role/r</Arn></Role></CreateRoleResult></CreateRoleResponse>"
                )
            case "PutRolePolicy":
                return refusals.next()
                    ? (
                        404,
                        "<ErrorResponse><Error><Type>Sender</Type><Code>NoSuchEntity</Code><Message>The role with name r cannot be found.</Message></Error></ErrorResponse>"
                    )
                    : (200, "<PutRolePolicyResponse/>")
            default: return (200, "<Response/>")
            }
        })
        let provider = IAMRoleProvider(client: AWSClient.scripted(transport, clock: clock))
        let declared: [String: JSON] = [
            "name": "r", "assumeRolePolicy": ["Version": "2012-10-17", "Statement": []],
            "inlinePolicies": ["p": ["Version": "2012-10-17", "Statement": []]],
        ]
        let notes = try await Self.notes { _ = try await provider.create(declared) }
        #expect(transport.bodies("PutRolePolicy").count == 3)
        #expect(notes.first == "waiting for IAM role r and its policies to be visible throughout IAM (attempt 2)")
    }

    /// An AWS managed policy is never new: one that does not exist (a typo) is told at once, naming the ARN; a policy
    /// of the account's own may be a moment old and is waited for, as the role is.
    @Test func aMissingAWSManagedPolicyIsNotWaitedFor() async throws {
        for (arn, attachments) in [
            ("arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolPolicy", 1), ("arn:aws:iam::123456789012:policy/new", 3),
        ] {
            let refusals = Countdown(2)
            let transport = ScriptedTransport(status: { operation in
                switch operation {
                case "CreateRole":
                    return (200, "<CreateRoleResponse><CreateRoleResult><Role><RoleName>r</RoleName></Role></CreateRoleResult></CreateRoleResponse>")
                case "AttachRolePolicy" where arn.contains("::aws:") || refusals.next():
                    return (
                        404,
                        "<ErrorResponse><Error><Type>Sender</Type><Code>NoSuchEntity</Code><Message>Policy \(arn) does not exist or is not attachable.</Message></Error></ErrorResponse>"
                    )
                default: return (200, "<Response/>")
                }
            })
            let provider = IAMRoleProvider(client: AWSClient.scripted(transport, clock: SteppingClock()))
            let declared: [String: JSON] = [
                "name": "r", "assumeRolePolicy": ["Version": "2012-10-17", "Statement": []], "managedPolicyArns": [.string(arn)],
            ]
            do {
                _ = try await provider.create(declared)
                #expect(attachments == 3, "the account's own policy became visible")
            } catch {
                #expect(attachments == 1 && "\(error)".contains("Policy \(arn) does not exist"), "\(error)")
            }
            #expect(transport.bodies("AttachRolePolicy").count == attachments, "\(arn)")
        }
    }

    /// ECR answers a wrong policy as it answers one naming a role it cannot see yet: only a policy naming IAM roles or
    /// users is tried again.
    @Test func ecrWaitsOnlyForAPolicyNamingIAMPrincipals() async throws {
        let refusal =
            #"{"__type": "InvalidParameterException", "message": "Invalid parameter at 'PolicyText' failed to satisfy constraint: 'Invalid repository policy provided'"}"#
        for (principal, calls) in [(JSON.string("arn:aws:iam::123456789012:role/puller"), 2), (JSON.string("*"), 1)] {
            let transport = Self.transport("SetRepositoryPolicy", refusal: refusal, times: 1, success: "{}")
            let provider = ECRRepositoryProvider(client: AWSClient.scripted(transport, clock: SteppingClock()))
            let policy: JSON = [
                "Version": "2012-10-17", "Statement": [["Effect": "Allow", "Principal": ["AWS": principal], "Action": "ecr:BatchGetImage"]],
            ]
            _ = try? await provider.update(id: "app", from: ["repositoryPolicy": .null], to: ["repositoryPolicy": policy])
            #expect(transport.bodies("SetRepositoryPolicy").count == calls, "\(principal)")
        }
    }
}
