import CairnAWS
import CairnEngine
import CairnJSON
import Foundation
import TestSupport
import Testing

@testable import CairnResources

@Suite struct IAMRoleTests {
    static let readOnly = "arn:aws:iam::aws:policy/ReadOnlyAccess"
    static let taskExecution = "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"

    static let trust = PolicyDocument([
        PolicyStatement(
            principals: [
                .service("ecs-tasks.amazonaws.com"), .service("codebuild.amazonaws.com"),
                .aws("arn:aws:iam::123456789012:root"),
            ],
            actions: ["sts:AssumeRole"]),
        PolicyStatement(
            sid: "GitHub", principals: [.federated("arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com")],
            actions: ["sts:AssumeRoleWithWebIdentity"],
            conditions: [
                PolicyCondition("StringEquals", "token.actions.githubusercontent.com:aud", ["sts.amazonaws.com"]),
                PolicyCondition("StringLike", "token.actions.githubusercontent.com:sub", ["repo:acme/app:*", "repo:acme/lib:*"]),
            ]),
    ])

    static let ecrPull = PolicyDocument([
        PolicyStatement(
            sid: "Pull", actions: ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
            resources: ["arn:aws:ecr:us-east-1:123456789012:repository/app"]),
        PolicyStatement(actions: ["ecr:GetAuthorizationToken"], resources: ["*"]),
    ])

    static let logs = PolicyDocument([
        PolicyStatement(
            actions: ["logs:CreateLogStream", "logs:PutLogEvents"], resources: ["*"],
            conditions: [PolicyCondition("Bool", "aws:SecureTransport", ["true"])])
    ])

    static func aws(_ moto: MotoServer, _ arguments: [String]) async throws {
        _ = try await moto.awsJSON(arguments)
    }

    static func inlineNames(_ moto: MotoServer, _ role: String) async throws -> [String] {
        (try await moto.awsJSON(["iam", "list-role-policies", "--role-name", role])["PolicyNames"].array ?? []).compactMap(\.string).sorted()
    }

    static func attachedArns(_ moto: MotoServer, _ role: String) async throws -> [String] {
        (try await moto.awsJSON(["iam", "list-attached-role-policies", "--role-name", role])["AttachedPolicies"].array ?? [])
            .compactMap { $0["PolicyArn"].string }.sorted()
    }

    @Test(.integration) func createReadUpdateDeleteAgainstMoto() async throws {
        let (client, moto) = try await ProviderTesting.client()
        let provider = IAMRoleProvider(client: client)
        #expect(provider.replaceOnChange == ["name", "path"])
        let name = ProviderTesting.uniqueName("role")
        var role = IAMRole(
            "build", name: Input(name), path: "/cairn/ci/", description: "CI/CD:build,deploy(app)+release",
            assumeRolePolicy: Self.trust, inlinePolicies: ["ecr-pull": Self.ecrPull, "logs": Self.logs],
            managedPolicyArns: [Input(Self.taskExecution), Input(Self.readOnly)], maxSessionDuration: 7200,
            tags: ["team": "invoices", "env": "test"])
        #expect(role.validate().isEmpty)
        let declared = ProviderTesting.attributes(of: role)

        let created = try await provider.create(declared)
        #expect(created.id == name)
        #expect(created.outputs["arn"]?.stringValue == "arn:aws:iam::\(moto.account):role/cairn/ci/\(name)")
        #expect(created.outputs["name"]?.stringValue == name)
        #expect(created.outputs["uniqueId"]?.stringValue?.hasPrefix("AROA") == true)

        // What AWS has, seen by an independent client.
        let got = try await moto.awsJSON(["iam", "get-role", "--role-name", name])["Role"]
        #expect(got["Path"].string == "/cairn/ci/")
        #expect(got["Description"].string == "CI/CD:build,deploy(app)+release")
        #expect(got["MaxSessionDuration"].int == 7200)
        #expect(got["AssumeRolePolicyDocument"]["Statement"][0]["Principal"]["Service"] == ["ecs-tasks.amazonaws.com", "codebuild.amazonaws.com"])
        #expect(
            got["AssumeRolePolicyDocument"]["Statement"][1]["Condition"]["StringLike"]["token.actions.githubusercontent.com:sub"]
                == ["repo:acme/app:*", "repo:acme/lib:*"])
        let tags = got["Tags"].array ?? []
        #expect(
            Dictionary(uniqueKeysWithValues: tags.map { ($0["Key"].string ?? "", $0["Value"].string ?? "") }) == ["team": "invoices", "env": "test"])
        #expect(try await Self.inlineNames(moto, name) == ["ecr-pull", "logs"])
        let inline = try await moto.awsJSON(["iam", "get-role-policy", "--role-name", name, "--policy-name", "logs"])
        #expect(inline["PolicyDocument"]["Statement"][0]["Action"] == ["logs:CreateLogStream", "logs:PutLogEvents"])
        #expect(try await Self.attachedArns(moto, name) == [Self.readOnly, Self.taskExecution])

        // No false drift: a read gives back exactly what was declared.
        let read = try #require(try await provider.read(id: name, prior: declared))
        #expect(read.attributes == declared)
        #expect(read.outputs == created.outputs)

        // The same documents, written by another tool with other key order, whitespace and one-element
        // lists, still read as equal.
        try await Self.aws(
            moto,
            [
                "iam", "put-role-policy", "--role-name", name, "--policy-name", "logs", "--policy-document",
                """
                {
                    "Statement": {
                        "Resource": ["*"],
                        "Condition": { "Bool": { "aws:SecureTransport": true } },
                        "Action": [ "logs:CreateLogStream",
                                    "logs:PutLogEvents" ],
                        "Effect": "Allow"
                    },
                    "Version": "2012-10-17"
                }
                """,
            ])
        try await Self.aws(
            moto,
            [
                "iam", "update-assume-role-policy", "--role-name", name, "--policy-document",
                """
                {"Version": "2012-10-17", "Statement": [
                  {"Action": ["sts:AssumeRole"], "Effect": "Allow",
                   "Principal": {"AWS": ["arn:aws:iam::123456789012:root"], "Service": ["ecs-tasks.amazonaws.com", "codebuild.amazonaws.com"]}},
                  {"Condition": {"StringLike": {"token.actions.githubusercontent.com:sub": ["repo:acme/app:*", "repo:acme/lib:*"]},
                                 "StringEquals": {"token.actions.githubusercontent.com:aud": ["sts.amazonaws.com"]}},
                   "Sid": "GitHub", "Effect": "Allow", "Action": "sts:AssumeRoleWithWebIdentity",
                   "Principal": {"Federated": "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"}}
                ]}
                """,
            ])
        let reread = try #require(try await provider.read(id: name, prior: declared))
        #expect(reread.attributes == declared)

        // Update in place: trust, description, session length, one inline policy changed, one removed, one added,
        // one managed policy detached, tags.
        role.description = "deploy-only"
        role.maxSessionDuration = 3600
        role.assumeRolePolicy = .trust(.service("codebuild.amazonaws.com"))
        role.inlinePolicies = [
            "logs": PolicyDocument([PolicyStatement(actions: ["logs:PutLogEvents"], resources: ["*"])]),
            "s3-read": PolicyDocument([PolicyStatement(actions: ["s3:GetObject"], resources: ["arn:aws:s3:::artifacts/*"])]),
        ]
        role.managedPolicyArns = [Input(Self.readOnly)]
        role.tags = ["team": "billing", "owner": "ops"]
        let updated = try await provider.update(id: name, from: read.attributes, to: ProviderTesting.attributes(of: role))
        #expect(updated.outputs == created.outputs)
        let after = try await moto.awsJSON(["iam", "get-role", "--role-name", name])["Role"]
        #expect(after["Description"].string == "deploy-only")
        #expect(after["MaxSessionDuration"].int == 3600)
        #expect(after["AssumeRolePolicyDocument"]["Statement"][0]["Principal"]["Service"].string == "codebuild.amazonaws.com")
        let afterTags = after["Tags"].array ?? []
        #expect(
            Dictionary(uniqueKeysWithValues: afterTags.map { ($0["Key"].string ?? "", $0["Value"].string ?? "") }) == [
                "team": "billing", "owner": "ops",
            ])
        #expect(try await Self.inlineNames(moto, name) == ["logs", "s3-read"])
        let logs = try await moto.awsJSON(["iam", "get-role-policy", "--role-name", name, "--policy-name", "logs"])
        #expect(logs["PolicyDocument"]["Statement"][0]["Action"].string == "logs:PutLogEvents")
        #expect(try await Self.attachedArns(moto, name) == [Self.readOnly])
        #expect(try await provider.read(id: name, prior: ProviderTesting.attributes(of: role))?.attributes == ProviderTesting.attributes(of: role))

        // Clearing the description.
        let withDescription = ProviderTesting.attributes(of: role)
        role.description = nil
        _ = try await provider.update(id: name, from: withDescription, to: ProviderTesting.attributes(of: role))
        #expect(try await moto.awsJSON(["iam", "get-role", "--role-name", name])["Role"]["Description"].string ?? "" == "")
        #expect(try await provider.read(id: name, prior: [:])?.attributes["description"] == .null)

        // Delete (also out of an instance profile); deleting what is gone is not an error.
        let profile = ProviderTesting.uniqueName("profile")
        try await Self.aws(moto, ["iam", "create-instance-profile", "--instance-profile-name", profile])
        try await Self.aws(moto, ["iam", "add-role-to-instance-profile", "--instance-profile-name", profile, "--role-name", name])
        try await provider.delete(id: name, attributes: ProviderTesting.attributes(of: role))
        #expect(try await provider.read(id: name, prior: [:]) == nil)
        let gone = try await moto.aws(["iam", "get-role", "--role-name", name])
        #expect(gone.status != 0 && gone.stderr.contains("NoSuchEntity"))
        let profileRoles = try await moto.awsJSON(["iam", "get-instance-profile", "--instance-profile-name", profile])["InstanceProfile"]["Roles"]
        #expect(profileRoles.array?.isEmpty == true)
        try await Self.aws(moto, ["iam", "delete-instance-profile", "--instance-profile-name", profile])
        try await provider.delete(id: name, attributes: [:])
    }

    @Test(.integration) func inlinePoliciesAndAttachmentsAreManagedExclusively() async throws {
        let (client, moto) = try await ProviderTesting.client()
        let provider = IAMRoleProvider(client: client)
        let name = ProviderTesting.uniqueName("exclusive")
        let role = IAMRole(
            "app", name: Input(name), assumeRolePolicy: .trust(.service("ecs-tasks.amazonaws.com")),
            inlinePolicies: ["logs": Self.logs], managedPolicyArns: [Input(Self.readOnly)])
        let declared = ProviderTesting.attributes(of: role)
        _ = try await provider.create(declared)

        // Someone adds an inline policy and attaches two managed policies (one AWS-managed, one their own).
        let customer = try await moto.awsJSON([
            "iam", "create-policy", "--policy-name", ProviderTesting.uniqueName("intruder"), "--policy-document",
            #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}"#,
        ])
        let customerArn = try #require(customer["Policy"]["Arn"].string)
        try await Self.aws(
            moto,
            [
                "iam", "put-role-policy", "--role-name", name, "--policy-name", "intruder", "--policy-document",
                #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:*","Resource":"*"}]}"#,
            ])
        try await Self.aws(moto, ["iam", "attach-role-policy", "--role-name", name, "--policy-arn", Self.taskExecution])
        try await Self.aws(moto, ["iam", "attach-role-policy", "--role-name", name, "--policy-arn", customerArn])

        // The read shows everything AWS has, so a plan shows the difference.
        let live = try #require(try await provider.read(id: name, prior: declared))
        #expect(live.attributes["inlinePolicies"]?.objectValue?.keys.sorted() == ["intruder", "logs"])
        #expect(
            live.attributes["inlinePolicies"]?["intruder"] == [
                "Version": "2012-10-17", "Statement": [["Effect": "Allow", "Action": "iam:*", "Resource": "*"]],
            ])
        #expect(Set(live.attributes.strings("managedPolicyArns")) == [Self.readOnly, Self.taskExecution, customerArn])
        #expect(live.attributes.strings("managedPolicyArns").first == Self.readOnly)  // the declared ones keep their order
        #expect(live.attributes != declared)

        // Applying the declaration removes them.
        _ = try await provider.update(id: name, from: live.attributes, to: declared)
        #expect(try await Self.inlineNames(moto, name) == ["logs"])
        #expect(try await Self.attachedArns(moto, name) == [Self.readOnly])
        #expect(try await provider.read(id: name, prior: declared)?.attributes == declared)

        // Even when the prior attributes are stale (no refresh), what AWS has decides.
        try await Self.aws(
            moto,
            [
                "iam", "put-role-policy", "--role-name", name, "--policy-name", "late", "--policy-document",
                #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sqs:*","Resource":"*"}]}"#,
            ])
        try await Self.aws(moto, ["iam", "attach-role-policy", "--role-name", name, "--policy-arn", customerArn])
        _ = try await provider.update(id: name, from: declared, to: declared)
        #expect(try await Self.inlineNames(moto, name) == ["logs"])
        #expect(try await Self.attachedArns(moto, name) == [Self.readOnly])

        // Delete detaches and deletes whatever is there, recorded or not.
        try await Self.aws(moto, ["iam", "attach-role-policy", "--role-name", name, "--policy-arn", customerArn])
        try await Self.aws(
            moto,
            [
                "iam", "put-role-policy", "--role-name", name, "--policy-name", "extra", "--policy-document",
                #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sqs:*","Resource":"*"}]}"#,
            ])
        try await provider.delete(id: name, attributes: declared)
        #expect(try await provider.read(id: name, prior: [:]) == nil)
        try await Self.aws(moto, ["iam", "delete-policy", "--policy-arn", customerArn])
    }

    /// Spaces in query-protocol values are sent as `+`, as botocore sends them; moto's signature check
    /// rebuilds the form that way, so this proves the encoding.
    @Test(.integration) func descriptionsWithSpaces() async throws {
        let (client, _) = try await ProviderTesting.client()
        let provider = IAMRoleProvider(client: client)
        let name = ProviderTesting.uniqueName("spaces")
        let role = IAMRole(
            "spaces", name: Input(name), description: "Builds and deploys the app",
            assumeRolePolicy: .trust(.service("codebuild.amazonaws.com")))
        let declared = ProviderTesting.attributes(of: role)
        _ = try await provider.create(declared)
        #expect(try await provider.read(id: name, prior: declared)?.attributes == declared)
        try await provider.delete(id: name, attributes: declared)
    }

    @Test(.integration) func deletingARoleThatIsGoneIsNotAnError() async throws {
        let (client, _) = try await ProviderTesting.client()
        let provider = IAMRoleProvider(client: client)
        let name = ProviderTesting.uniqueName("never")
        try await provider.delete(id: name, attributes: [:])
        #expect(try await provider.read(id: name, prior: [:]) == nil)
    }

    @Test func attributesAndDefaults() {
        let role = IAMRole(
            "r", name: "svc", assumeRolePolicy: .trust(.service("ecs-tasks.amazonaws.com")),
            managedPolicyArns: ["arn:aws:iam::aws:policy/b", "arn:aws:iam::aws:policy/a", "arn:aws:iam::aws:policy/b"])
        let attributes = ProviderTesting.attributes(of: role)
        #expect(attributes["path"] == "/")
        #expect(attributes["description"] == .null)
        #expect(attributes["maxSessionDuration"] == 3600)
        #expect(attributes["inlinePolicies"] == [:])
        #expect(attributes["tags"] == [:])
        #expect(attributes["managedPolicyArns"] == ["arn:aws:iam::aws:policy/a", "arn:aws:iam::aws:policy/b"])
        #expect(
            attributes["assumeRolePolicy"] == [
                "Version": "2012-10-17",
                "Statement": [
                    ["Effect": "Allow", "Principal": ["Service": "ecs-tasks.amazonaws.com"], "Action": "sts:AssumeRole"]
                ],
            ])

        // With references, declaration order is kept, and the read follows the order last applied.
        let other = IAMRole("o", name: "o", assumeRolePolicy: .trust(.service("x.amazonaws.com")))
        let referencing = IAMRole(
            "r", name: "svc", assumeRolePolicy: .trust(.service("x.amazonaws.com")),
            managedPolicyArns: ["arn:aws:iam::aws:policy/z", other.arn.input])
        #expect(referencing.dependencies == ["aws_iam_role.o"])
        #expect(IAMRoleProvider.ordered(["a", "c", "z"], like: ["z", "a"]) == ["z", "a", "c"])
        #expect(IAMRoleProvider.ordered(["b", "a"], like: []) == ["a", "b"])
    }

    @Test func validationNamesTheAttribute() {
        let trust = PolicyDocument.trust(.service("ecs-tasks.amazonaws.com"))
        func attributes(_ role: IAMRole) -> [String?] { role.validate().map(\.attribute) }

        #expect(
            IAMRole(
                "ok", name: "a+b=c,d.e@f_g-h", path: "/a/b/", description: "fine", assumeRolePolicy: trust,
                maxSessionDuration: 43200
            ).validate().isEmpty)
        for bad in ["", "has space", "slash/no", String(repeating: "r", count: 65), "é"] {
            let issues = IAMRole("bad", name: Input(bad), assumeRolePolicy: trust).validate()
            #expect(issues.map(\.attribute) == ["name"], "\(bad)")
            #expect(issues.first?.address == "aws_iam_role.bad")
        }
        for bad in ["", "a/", "/a", "//x y/", "/\u{7F}/", "/" + String(repeating: "p", count: 511) + "/"] {
            #expect(attributes(IAMRole("r", name: "r", path: bad, assumeRolePolicy: trust)) == ["path"], "\(bad)")
        }
        #expect(attributes(IAMRole("r", name: "r", description: String(repeating: "d", count: 1001), assumeRolePolicy: trust)) == ["description"])
        #expect(attributes(IAMRole("r", name: "r", description: "emoji 🙂", assumeRolePolicy: trust)) == ["description"])
        #expect(attributes(IAMRole("r", name: "r", assumeRolePolicy: trust, maxSessionDuration: 3599)) == ["maxSessionDuration"])
        #expect(attributes(IAMRole("r", name: "r", assumeRolePolicy: trust, maxSessionDuration: 43201)) == ["maxSessionDuration"])

        let noPrincipal = PolicyDocument([PolicyStatement(actions: ["sts:AssumeRole"])])
        #expect(attributes(IAMRole("r", name: "r", assumeRolePolicy: noPrincipal)) == ["assumeRolePolicy.Statement[0].Principal"])

        let inline: [String: PolicyDocument] = [
            "bad name": PolicyDocument([PolicyStatement(actions: ["s3:GetObject"], resources: ["*"])]),
            "no-resource": PolicyDocument([PolicyStatement(actions: ["s3:GetObject"])]),
            "principal": PolicyDocument([PolicyStatement(principals: [.anyone], actions: ["s3:GetObject"], resources: ["*"])]),
            "bad-action": PolicyDocument([PolicyStatement(actions: ["GetObject"], resources: ["*"])]),
        ]
        #expect(
            attributes(IAMRole("r", name: "r", assumeRolePolicy: trust, inlinePolicies: inline)) == [
                "inlinePolicies.bad name",
                "inlinePolicies.bad-action.Statement[0].Action",
                "inlinePolicies.no-resource.Statement[0].Resource",
                "inlinePolicies.principal.Statement[0].Principal",
            ])
        #expect(
            attributes(
                IAMRole(
                    "r", name: "r", assumeRolePolicy: trust,
                    managedPolicyArns: ["ReadOnlyAccess", "arn:aws:iam::aws:policy/ReadOnlyAccess", "arn:aws:iam::aws:policy/ReadOnlyAccess"]))
                == ["managedPolicyArns[0]", "managedPolicyArns[2]"])
        #expect(attributes(IAMRole("r", name: "r", assumeRolePolicy: trust, tags: ["": "x"])) == ["tags."])
    }
}
