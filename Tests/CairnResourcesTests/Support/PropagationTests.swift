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

    // MARK: Every call that waits for a new principal

    /// A call that waits for IAM's change to reach a service: the operation, AWS's refusal while it has not, what the
    /// progress line says is waited for, the bound, and the change (run with `client`) that makes the call.
    struct Waited: Sendable, CustomTestStringConvertible {
        let operation: String
        let refusal: String
        var status = 400
        let waitingFor: String
        var bound: Duration = .seconds(120)
        let success: String
        /// The answer to every other operation.
        var other: @Sendable (String) -> String = { _ in "{}" }
        let change: @Sendable (AWSClient) async throws -> Void

        var testDescription: String { operation }
    }

    static let keyMetadata = #"{"KeyMetadata": {"KeyId": "k-1", "KeyState": "Enabled", "Arn": "arn:aws:kms:us-east-1:123456789012:key/k-1"}}"#
    static let newRolePolicy: JSON = [
        "Version": "2012-10-17",
        "Statement": [["Effect": "Allow", "Principal": ["AWS": "arn:aws:iam::123456789012:role/new"], "Action": "kms:Decrypt", "Resource": "*"]],
    ]

    static let waited: [Waited] = [
        Waited(
            operation: "CreateService",
            refusal:
                #"{"__type": "InvalidParameterException", "message": "Unable to assume the service linked role. Please verify that the ECS service linked role exists."}"#,
            waitingFor: "the ECS service roles to reach ECS",
            success: #"{"service": {"serviceArn": "arn:aws:ecs:us-east-1:123456789012:service/main/web"}}"#
        ) { client in
            _ = try await ECSServiceProvider(client: client).create(["cluster": "main", "name": "web", "taskDefinition": "web:1", "desiredCount": 1])
        },
        Waited(
            operation: "UpdateService",
            refusal:
                #"{"__type": "InvalidParameterException", "message": "Unable to assume role and validate the specified targetGroupArn. Please verify that the ECS service role being passed has the proper permissions."}"#,
            waitingFor: "the ECS service roles to reach ECS",
            success: #"{"service": {"serviceArn": "arn:aws:ecs:us-east-1:123456789012:service/main/web"}}"#
        ) { client in
            _ = try await ECSServiceProvider(client: client).update(
                id: "main/web", from: ["cluster": "main", "desiredCount": 1], to: ["cluster": "main", "desiredCount": 2])
        },
        Waited(
            operation: "PutKeyPolicy",
            refusal:
                #"{"__type": "MalformedPolicyDocumentException", "message": "Policy contains a statement with one or more invalid principals."}"#,
            waitingFor: "the KMS key policy to be accepted", bound: KMSKeyProvider.policyPropagationTimeout, success: "{}",
            other: { _ in PropagationTests.keyMetadata }
        ) { client in
            _ = try await KMSKeyProvider(client: client).update(id: "k-1", from: ["policy": .null], to: ["policy": PropagationTests.newRolePolicy])
        },
        Waited(
            operation: "CreateRole",
            refusal:
                #"<ErrorResponse><Error><Type>Sender</Type><Code>MalformedPolicyDocument</Code><Message>Invalid principal in policy: "AWS":"arn:aws:iam::123456789012:role/new"</Message></Error><RequestId>r-1</RequestId></ErrorResponse>"#,
            waitingFor: "the principals of role r's trust policy to reach IAM",
            success: "<CreateRoleResponse><CreateRoleResult><Role><RoleName>r</RoleName></Role></CreateRoleResult></CreateRoleResponse>",
            other: { _ in "<Response/>" }
        ) { client in
            _ = try await IAMRoleProvider(client: client).create(["name": "r", "assumeRolePolicy": PropagationTests.newRolePolicy])
        },
        Waited(
            operation: "SetTopicAttributes",
            refusal:
                "<ErrorResponse><Error><Type>Sender</Type><Code>InvalidParameter</Code><Message>Invalid parameter: Policy Error: PrincipalNotFound</Message></Error><RequestId>r-1</RequestId></ErrorResponse>",
            waitingFor: "the principals of topic alerts's policy to reach SNS", success: "<SetTopicAttributesResponse/>",
            other: { _ in "<Response/>" }
        ) { client in
            _ = try await SNSTopicProvider(client: client).update(
                id: "arn:aws:sns:us-east-1:123456789012:alerts", from: ["policy": .null], to: ["policy": PropagationTests.newRolePolicy])
        },
        Waited(
            operation: "GetParameter", refusal: #"{"__type": "ParameterNotFound", "message": ""}"#,
            waitingFor: "the new SSM parameter /app/x to be readable",
            success: #"{"Parameter": {"Name": "/app/x", "ARN": "arn:aws:ssm:us-east-1:123456789012:parameter/app/x"}}"#,
            other: { _ in #"{"Version": 1, "Tier": "Standard"}"# }
        ) { client in
            _ = try await SSMParameterProvider(client: client).create(["name": "/app/x", "type": "String", "value": "v", "tier": "Standard"])
        },
    ]

    /// Runs `waited`'s change against AWS refusing its operation `refusals` times: how many times the operation was
    /// sent, the progress lines, how long was slept on the client's clock, and the error, if any.
    static func run(_ waited: Waited, refusals: Int) async -> (calls: Int, notes: [String], slept: Duration, error: (any Error)?) {
        let clock = SteppingClock()
        let left = Countdown(refusals)
        let transport = ScriptedTransport(status: { operation in
            guard operation == waited.operation else { return (200, waited.other(operation)) }
            return left.next() ? (waited.status, waited.refusal) : (200, waited.success)
        })
        var failure: (any Error)?
        let notes = await Self.notes {
            do { try await waited.change(AWSClient.scripted(transport, clock: clock)) } catch { failure = error }
        }
        return (transport.bodies(waited.operation).count, notes, clock.slept, failure)
    }

    /// Three refusals, then the call goes through: four calls, a progress line for each retry, three intervals slept.
    @Test(arguments: waited) func aRefusalWhileIAMCatchesUpIsRetriedAndSaidSo(_ waited: Waited) async throws {
        let result = await Self.run(waited, refusals: 3)
        #expect(result.error == nil, "\(result.error.map { "\($0)" } ?? "")")
        #expect(result.calls == 4)
        #expect(result.notes == (2...4).map { "waiting for \(waited.waitingFor) (attempt \($0))" })
        #expect(result.slept == Propagation.interval * 3)
    }

    /// A refusal that outlasts the bound (on the injected clock) ends in ``StillRefused``: what was waited for, for how
    /// long, and AWS's last answer.
    @Test(arguments: waited) func aRefusalThatOutlastsTheBoundEndsInStillRefused(_ waited: Waited) async throws {
        let result = await Self.run(waited, refusals: 1_000)
        let error = try #require(
            (result.error as? StillRefused) ?? ((result.error as? PartialCreate)?.underlying as? StillRefused), "\(String(describing: result.error))")
        #expect(error.description.contains("waiting for \(waited.waitingFor); AWS's last answer:"), "\(error)")
        #expect(error.refusal.operation == waited.operation)
        #expect(result.slept == waited.bound)
        #expect(result.calls == Int(waited.bound / Propagation.interval) + 1)
    }

    /// KMS's lockout check answers with the same code as a principal not yet visible; it is a mistake in the policy and
    /// fails after one call, whether the key is being made or its policy changed.
    @Test func kmsRefusingAPolicyThatLocksTheKeyOutIsNotRetried() async throws {
        let lockout =
            #"{"__type": "MalformedPolicyDocumentException", "message": "The new key policy will not allow you to update the key policy in the future."}"#
        for operation in ["CreateKey", "PutKeyPolicy"] {
            let clock = SteppingClock()
            let transport = ScriptedTransport(status: { name in name == operation ? (400, lockout) : (200, Self.keyMetadata) })
            let provider = KMSKeyProvider(client: AWSClient.scripted(transport, clock: clock))
            let error = try #require(
                await #expect(throws: AWSServiceError.self) {
                    if operation == "CreateKey" {
                        _ = try await provider.create(["policy": Self.newRolePolicy])
                    } else {
                        _ = try await provider.update(id: "k-1", from: ["policy": .null], to: ["policy": Self.newRolePolicy])
                    }
                })
            #expect(error.message.contains("will not allow you to update the key policy"))
            #expect(transport.bodies(operation).count == 1, "\(operation)")
            #expect(clock.slept == .zero)
        }
    }

    /// S3 answers MalformedPolicy both for a principal IAM has not shown it yet, which is waited for, and for a mistake in
    /// the policy (an action S3 does not have), which fails after one call.
    @Test func s3WaitsOnlyForAPrincipalItCannotSeeYet() async throws {
        let invalidPrincipal = "Invalid principal in policy"
        for (message, refusals, calls) in [(invalidPrincipal, 3, 4), ("Policy has invalid action", 1_000, 1), (invalidPrincipal, 1_000, 21)] {
            let clock = SteppingClock()
            let left = Countdown(refusals)
            let transport = ScriptedRESTTransport { call, _ in
                guard call.hasPrefix("PUT"), call.contains("policy"), left.next() else { return (200, [:], "") }
                return (400, [:], "<Error><Code>MalformedPolicy</Code><Message>\(message)</Message><RequestId>r-1</RequestId></Error>")
            }
            var failure: (any Error)?
            let notes = await Self.notes {
                do { try await S3BucketPolicyCalls(client: AWSClient.scripted(transport, clock: clock)).write("b", Self.newRolePolicy) } catch {
                    failure = error
                }
            }
            #expect(transport.calls.filter { $0.hasPrefix("PUT") }.count == calls, "\(message), \(refusals)")
            #expect(notes == (1..<calls).map { "waiting for the policy of S3 bucket b to be accepted (attempt \($0 + 1))" })
            switch calls {
            case 4: #expect(failure == nil)
            case 1: #expect((failure as? AWSServiceError)?.message == message)
            default:
                #expect(
                    (failure as? StillRefused)?.description.hasPrefix("gave up after 1 minute (21 attempts) waiting for the policy of S3 bucket b")
                        == true)
            }
        }
    }

    // MARK: Another change to the same resource under way

    static let iamConflict =
        "<ErrorResponse><Error><Type>Sender</Type><Code>ConcurrentModification</Code><Message>The request was rejected because multiple requests to change this object were submitted simultaneously.</Message></Error><RequestId>r-1</RequestId></ErrorResponse>"

    /// IAM answers ConcurrentModification while other requests change the same entity: Terraform's AWS provider waits it
    /// out, and so does Cairn, for the calls that create, delete and tag a role, a policy or an OIDC provider.
    @Test func iamWaitsOutAnotherChangeToTheSameRole() async throws {
        let clock = SteppingClock()
        let conflicts = Countdown(2)
        let transport = ScriptedTransport(status: { operation in
            switch operation {
            case "CreateRole" where conflicts.next(), "TagRole" where conflicts.next(): return (409, Self.iamConflict)
            case "CreateRole":
                return (200, "<CreateRoleResponse><CreateRoleResult><Role><RoleName>r</RoleName></Role></CreateRoleResult></CreateRoleResponse>")
            default: return (200, "<Response/>")
            }
        })
        let client = AWSClient.scripted(transport, clock: clock)
        let created = try await Self.notes {
            _ = try await IAMRoleProvider(client: client).create(["name": "r", "assumeRolePolicy": ["Version": "2012-10-17", "Statement": []]])
        }
        #expect(transport.bodies("CreateRole").count == 3)
        #expect(created == (2...3).map { "waiting for IAM role r to finish another change (attempt \($0))" })
        conflicts.reset(1)
        let tagged = try await Self.notes { try await TaggingAPI.iamRole.sync(client, resource: "r", from: [:], to: ["team": "a"]) }
        #expect(transport.bodies("TagRole").count == 2)
        #expect(tagged == ["waiting for the tags of r to finish another change (attempt 2)"])
    }

    /// ECS refuses a cluster's capacity providers while an earlier change of them is being carried out
    /// (UpdateInProgressException); Terraform's AWS provider waits for it, up to 10 minutes, and so does Cairn.
    @Test func ecsWaitsForAnEarlierCapacityProviderChange() async throws {
        let clock = SteppingClock()
        let inProgress = Countdown(2)
        let transport = ScriptedTransport(status: { operation in
            switch operation {
            case "PutClusterCapacityProviders" where inProgress.next():
                return (400, #"{"__type": "UpdateInProgressException", "message": "The cluster is being updated."}"#)
            case "DescribeClusters": return (200, #"{"clusters": [{"clusterArn": "arn:aws:ecs:us-east-1:123456789012:cluster/main"}]}"#)
            default: return (200, "{}")
            }
        })
        let notes = try await Self.notes {
            _ = try await ECSClusterProvider(client: AWSClient.scripted(transport, clock: clock)).update(
                id: "main", from: ["capacityProviders": ["FARGATE"]], to: ["capacityProviders": ["FARGATE", "FARGATE_SPOT"]])
        }
        #expect(transport.bodies("PutClusterCapacityProviders").count == 3)
        #expect(notes == (2...3).map { "waiting for ECS cluster main to finish another change (attempt \($0))" })
    }

    /// SSM's TooManyUpdates (and EventBridge's and CodePipeline's ConcurrentModificationException), which Terraform's AWS
    /// provider does not retry either, fail after one call, saying another change was under way.
    @Test func ssmTooManyUpdatesFailsAtOnceSayingWhy() async throws {
        let clock = SteppingClock()
        let transport = ScriptedTransport(status: { operation in
            operation == "PutParameter"
                ? (
                    400,
                    #"{"__type": "TooManyUpdates", "message": "There are concurrent updates for a resource that supports one update at a time."}"#
                )
                : (200, "{}")
        })
        let error = try #require(
            await #expect(throws: AWSServiceError.self) {
                _ = try await SSMParameterProvider(client: AWSClient.scripted(transport, clock: clock)).create(
                    ["name": "/app/x", "type": "String", "value": "v", "tier": "Standard"])
            })
        #expect(transport.bodies("PutParameter").count == 1)
        #expect(clock.slept == .zero)
        #expect(error.description.contains("Another change to the same resource was under way: run the command again"), "\(error)")
    }
}
