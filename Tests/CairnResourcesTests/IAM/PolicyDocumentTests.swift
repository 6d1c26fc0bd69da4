import CairnEngine
import CairnJSON
import Foundation
import Testing

@testable import CairnResources

@Suite struct PolicyDocumentTests {
    static func resolved(_ document: PolicyDocument) -> JSON {
        var sensitive = Set<String>()
        return document.value.resolve(sensitivePaths: &sensitive) { _ in nil }
    }

    @Test func normalFormWritesOneElementListsAsTheirElement() {
        let document = PolicyDocument([
            PolicyStatement(sid: "One", actions: ["s3:GetObject"], resources: ["arn:aws:s3:::b/*"]),
            PolicyStatement(
                effect: .deny, notActions: ["iam:*", "sts:*"], notResources: ["*"],
                conditions: [
                    PolicyCondition("Bool", "aws:SecureTransport", ["false"]),
                    PolicyCondition("StringEquals", "aws:RequestedRegion", ["eu-west-1", "eu-central-1"]),
                    PolicyCondition("StringEquals", "aws:PrincipalAccount", ["123456789012"]),
                ]),
        ])
        #expect(
            Self.resolved(document) == [
                "Version": "2012-10-17",
                "Statement": [
                    ["Sid": "One", "Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"],
                    [
                        "Effect": "Deny", "NotAction": ["iam:*", "sts:*"], "NotResource": "*",
                        "Condition": [
                            "Bool": ["aws:SecureTransport": "false"],
                            "StringEquals": ["aws:RequestedRegion": ["eu-west-1", "eu-central-1"], "aws:PrincipalAccount": "123456789012"],
                        ],
                    ],
                ],
            ])
    }

    @Test func principalsAreGroupedByKind() {
        let statement = PolicyStatement(
            principals: [
                .service("a.amazonaws.com"), .aws("arn:aws:iam::123456789012:root"),
                .service("b.amazonaws.com"), .federated("arn:aws:iam::123456789012:oidc-provider/x"),
            ],
            actions: ["sts:AssumeRole"])
        #expect(
            Self.resolved(PolicyDocument([statement]))["Statement"]?[0]?["Principal"] == [
                "Service": ["a.amazonaws.com", "b.amazonaws.com"],
                "AWS": "arn:aws:iam::123456789012:root",
                "Federated": "arn:aws:iam::123456789012:oidc-provider/x",
            ])
        let anyone = PolicyStatement(principals: [.anyone], actions: ["ecr:BatchGetImage"])
        #expect(Self.resolved(PolicyDocument([anyone]))["Statement"]?[0]?["Principal"] == "*")
    }

    @Test func trustPoliciesPickTheAction() {
        #expect(Self.resolved(.trust(.service("codebuild.amazonaws.com")))["Statement"]?[0]?["Action"] == "sts:AssumeRole")
        let oidc = PolicyDocument.trust(
            .federated("arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"),
            conditions: [PolicyCondition("StringEquals", "token.actions.githubusercontent.com:aud", ["sts.amazonaws.com"])])
        let statement = Self.resolved(oidc)["Statement"]?[0]
        #expect(statement?["Action"] == "sts:AssumeRoleWithWebIdentity")
        #expect(statement?["Condition"] == ["StringEquals": ["token.actions.githubusercontent.com:aud": "sts.amazonaws.com"]])
    }

    @Test func referencesStayReferences() {
        let reference = Reference(address: "aws_s3_bucket.artifacts", output: "arn")
        let document = PolicyDocument([PolicyStatement(actions: ["s3:GetObject"], resources: [Input<String>.output(Output(reference))])])
        #expect(document.value.references == [reference])
        var sensitive = Set<String>()
        let resolved = document.value.resolve(sensitivePaths: &sensitive) { $0 == reference ? "arn:aws:s3:::artifacts" : nil }
        #expect(resolved["Statement"]?[0]?["Resource"] == "arn:aws:s3:::artifacts")
    }

    /// A condition may name another resource's output (a bucket policy's `AWS:SourceArn` naming a CloudFront
    /// distribution): a dependency, resolved like any other; literal conditions are written as before.
    @Test func conditionsTakeOutputs() {
        let reference = Reference(address: "aws_cloudfront_distribution.frontend", output: "arn")
        let condition = PolicyCondition("StringEquals", "AWS:SourceArn", [Input<String>.output(Output(reference))])
        let document = PolicyDocument([
            PolicyStatement(
                principals: [.service("cloudfront.amazonaws.com")], actions: ["s3:GetObject"], resources: ["arn:aws:s3:::site/*"],
                conditions: [condition, PolicyCondition("Bool", "aws:SecureTransport", ["true"])])
        ])
        #expect(document.value.references == [reference])
        #expect(
            condition.values.map(\.literal) == [nil] && PolicyCondition("Bool", "aws:SecureTransport", ["true"]).values.map(\.literal) == ["true"])
        var sensitive = Set<String>()
        let resolved = document.value.resolve(sensitivePaths: &sensitive) {
            $0 == reference ? "arn:aws:cloudfront::123456789012:distribution/E1" : nil
        }
        #expect(
            resolved["Statement"]?[0]?["Condition"]
                == ["StringEquals": ["AWS:SourceArn": "arn:aws:cloudfront::123456789012:distribution/E1"], "Bool": ["aws:SecureTransport": "true"]])
    }

    @Test func normalizerMakesEquivalentTextsEqual() throws {
        let declared = Self.resolved(
            PolicyDocument([
                PolicyStatement(
                    sid: "Read", actions: ["s3:GetObject", "s3:ListBucket"], resources: ["*"],
                    conditions: [
                        PolicyCondition("Bool", "aws:SecureTransport", ["true"]),
                        PolicyCondition("NumericLessThan", "s3:max-keys", ["10"]),
                    ])
            ]))
        let reordered = """
            {
              "Statement" : {
                "Condition": {"NumericLessThan": {"s3:max-keys": [10]}, "Bool": {"aws:SecureTransport": true}},
                "Resource": ["*"], "Effect": "Allow",
                "Action": ["s3:GetObject", "s3:ListBucket"], "Sid": "Read"
              },
              "Version": "2012-10-17"
            }
            """
        #expect(PolicyNormalizer.parse(reordered) == declared)
        // IAM returns documents URL-encoded; formatting before the first brace must not matter either.
        let encoded = try #require(reordered.addingPercentEncoding(withAllowedCharacters: .alphanumerics))
        #expect(encoded.hasPrefix("%7B"))
        #expect(PolicyNormalizer.parse(encoded) == declared)
        let leadingNewline = try #require(("\n" + reordered).addingPercentEncoding(withAllowedCharacters: .alphanumerics))
        #expect(PolicyNormalizer.parse(leadingNewline) == declared)
        #expect(PolicyNormalizer.parse(declared.description) == declared)
    }

    @Test func normalizerKeepsPercentSignsOfPlainJSON() {
        let text = #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/100%25/*"}]}"#
        #expect(PolicyNormalizer.parse(text)?["Statement"]?[0]?["Resource"] == "arn:aws:s3:::b/100%25/*")
    }

    @Test func normalizerRejectsWhatIsNotJSON() {
        #expect(PolicyNormalizer.parse("not json") == nil)
        #expect(PolicyNormalizer.parse("%7Bbroken") == nil)
        #expect(PolicyNormalizer.parse("") == nil)
    }

    @Test func normalizerLeavesMultiElementListsAndPrincipalStar() {
        let text =
            #"{"Statement":[{"Effect":"Allow","Principal":"*","Action":["a:B","a:C"],"Resource":["x"],"Condition":{"StringEquals":{"k":["1","2"]}}}]}"#
        #expect(
            PolicyNormalizer.parse(text) == [
                "Statement": [
                    [
                        "Effect": "Allow", "Principal": "*", "Action": ["a:B", "a:C"], "Resource": "x",
                        "Condition": ["StringEquals": ["k": ["1", "2"]]],
                    ]
                ]
            ])
    }

    @Test func validationNamesTheAttribute() {
        func attributes(_ document: PolicyDocument, resource: Bool = true, principal: Bool = false) -> [String?] {
            document.validate(address: "aws_iam_role.r", attribute: "inlinePolicies.p", requiresResource: resource, requiresPrincipal: principal)
                .map(\.attribute)
        }
        let good = PolicyDocument([PolicyStatement(sid: "Ok1", actions: ["s3:Get*", "ecr:BatchGetImage", "*"], resources: ["*"])])
        #expect(attributes(good).isEmpty)

        #expect(
            attributes(PolicyDocument(version: "2020-01-01", [PolicyStatement(actions: ["s3:GetObject"], resources: ["*"])]))
                == ["inlinePolicies.p.Version"])
        #expect(attributes(PolicyDocument([])) == ["inlinePolicies.p"])
        #expect(
            attributes(
                PolicyDocument([
                    PolicyStatement(sid: "has-dash", actions: ["s3:GetObject"], resources: ["*"]),
                    PolicyStatement(sid: "Same", actions: ["s3:GetObject"], resources: ["*"]),
                    PolicyStatement(sid: "Same", actions: ["s3:GetObject"], resources: ["*"]),
                ])) == ["inlinePolicies.p.Statement[0].Sid", "inlinePolicies.p.Statement[2].Sid"])
        #expect(attributes(PolicyDocument([PolicyStatement(resources: ["*"])])) == ["inlinePolicies.p.Statement[0].Action"])
        #expect(
            attributes(PolicyDocument([PolicyStatement(actions: ["s3GetObject", "s3:", ":x", "s3:Get Object"], resources: ["*"])]))
                == Array(repeating: "inlinePolicies.p.Statement[0].Action", count: 4))
        #expect(attributes(PolicyDocument([PolicyStatement(actions: ["s3:GetObject"])])) == ["inlinePolicies.p.Statement[0].Resource"])
        #expect(attributes(PolicyDocument([PolicyStatement(notActions: ["iam:*"], notResources: ["*"])])).isEmpty)
        #expect(
            attributes(PolicyDocument([PolicyStatement(principals: [.anyone], actions: ["s3:GetObject"], resources: ["*"])]))
                == ["inlinePolicies.p.Statement[0].Principal"])

        // Trust and resource policies need principals, not resources.
        #expect(
            attributes(PolicyDocument([PolicyStatement(actions: ["sts:AssumeRole"])]), resource: false, principal: true)
                == ["inlinePolicies.p.Statement[0].Principal"])
        #expect(attributes(.trust(.service("ecs-tasks.amazonaws.com")), resource: false, principal: true).isEmpty)

        let issue = PolicyDocument([PolicyStatement(actions: ["s3:GetObject"])])
            .validate(address: "aws_iam_role.r", attribute: "inlinePolicies.p", requiresResource: true, requiresPrincipal: false)[0]
        #expect(issue.address == "aws_iam_role.r")
        #expect(issue.description.contains("inlinePolicies.p.Statement[0].Resource"))
    }

    /// A resource's own policy as text: a JSON object with statements, within the service's size.
    @Test func resourcePolicyTextIsAnObjectWithStatements() {
        func messages(_ text: String) -> [String] {
            ResourcePolicy.json(text).validate(
                address: "aws_sns_topic.t", attribute: "policy", noun: "topic policy", service: "SNS", maxBytes: 100, requiresResource: false
            ).map(\.message)
        }
        #expect(messages("not json").first?.contains("the topic policy is not valid JSON") == true)
        #expect(messages("[]").first?.contains("not valid JSON") == true)
        #expect(messages(#"{"Version": "2012-10-17"}"#).first?.contains("has no Statement") == true)
        #expect(messages(#"{"Version": "2012-10-17", "Statement": []}"#).first?.contains("has no Statement") == true)
        let statement = #"{"Effect": "Allow", "Principal": "*", "Action": "sns:Publish", "Padding": "\#(String(repeating: "x", count: 100))"}"#
        let long = #"{"Statement": [\#(statement)]}"#
        #expect(messages(long) == ["the topic policy has \(long.utf8.count) bytes; SNS allows 100."])
        #expect(messages(#"{"Statement": {"Effect": "Allow", "Principal": "*", "Action": "sns:Publish"}}"#).isEmpty)
        // A typed document is checked as one: here for its missing principal.
        let document = ResourcePolicy.document(PolicyDocument([PolicyStatement(actions: ["sns:Publish"])]))
        #expect(
            document.validate(address: "a", attribute: "policy", noun: "topic policy", service: "SNS", maxBytes: 100, requiresResource: false)
                .map(\.attribute) == ["policy.Statement[0].Principal"])
    }

    @Test func grantsAlikeIgnoresIdsSidsAndActionOrder() throws {
        let a = try #require(
            PolicyNormalizer.parse(#"{"Version": "2008-10-17", "Id": "x", "Statement": [{"Sid": "s", "Effect": "Allow", "Action": ["a:B", "a:C"]}]}"#)
        )
        let b = try #require(PolicyNormalizer.parse(#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["a:C", "a:B"]}]}"#))
        let c = try #require(PolicyNormalizer.parse(#"{"Statement": [{"Effect": "Deny", "Action": ["a:C", "a:B"]}]}"#))
        #expect(PolicyNormalizer.grantsAlike(a, b))
        #expect(!PolicyNormalizer.grantsAlike(a, c))
    }
}
