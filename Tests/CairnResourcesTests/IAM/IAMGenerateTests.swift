import CairnAWS
import CairnJSON
import Testing

@testable import CairnEngine
@testable import CairnResources

/// The Swift `cairn generate` writes for roles, policies and OIDC providers.
@Suite struct IAMGenerateTests {
    static let trust: JSON = [
        "Version": "2012-10-17",
        "Statement": [["Effect": "Allow", "Principal": ["Service": "codebuild.amazonaws.com"], "Action": "sts:AssumeRole"]],
    ]
    static let read: JSON = [
        "Version": "2012-10-17", "Statement": [["Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::shop-artifacts/*"]],
    ]

    static func role(trust: JSON = trust, inline: [String: JSON] = [:]) -> Observed {
        Observed(
            id: "shop-build",
            attributes: [
                "name": "shop-build", "path": "/", "description": nil, "assumeRolePolicy": trust, "inlinePolicies": .object(inline),
                "managedPolicyArns": ["arn:aws:iam::aws:policy/ReadOnlyAccess"], "maxSessionDuration": 3600, "tags": [:],
            ], outputs: ["arn": "arn:aws:iam::123456789012:role/shop-build"])
    }

    @Test func aRoleIsDeclaredWithItsPolicies() {
        let declared = GenerateTesting.declare(
            IAMRole.typeName, Self.role(inline: ["read": Self.read]),
            found: [.init(S3Bucket.typeName, "artifacts", ["arn": "arn:aws:s3:::shop-artifacts"])])
        #expect(declared.argument("assumeRolePolicy") == #".trust(.service("codebuild.amazonaws.com"))"#)
        #expect(
            declared.argument("inlinePolicies")
                == #"["read": PolicyDocument([PolicyStatement(actions: ["s3:GetObject"], resources: ["\(artifacts.arn)/*"])])]"#)
        #expect(declared.argument("managedPolicyArns") == #"["arn:aws:iam::aws:policy/ReadOnlyAccess"]"#)
    }

    /// A trust policy it cannot say leaves the role out (another would let others assume it); an inline policy it cannot
    /// say is left to AWS, its drift ignored.
    @Test func policiesItCannotSayAreNeverDeclaredEmpty() {
        var odd = Self.read.objectValue!
        odd["Statement"] = [["Effect": "Allow", "NotPrincipal": ["AWS": "*"], "Action": "s3:GetObject", "Resource": "*"]]
        let trust = GenerateTesting.declare(IAMRole.typeName, Self.role(trust: .object(odd)))
        #expect(trust.undeclarable == "its trust policy uses what PolicyStatement cannot say (NotPrincipal)")
        #expect(trust.argument("assumeRolePolicy") == nil)

        let inline = GenerateTesting.declare(IAMRole.typeName, Self.role(inline: ["ok": Self.read, "odd.one": .object(odd)]))
        #expect(inline.undeclarable == nil)
        #expect(inline.argument("inlinePolicies")?.contains("\"ok\"") == true)
        #expect(inline.argument("inlinePolicies")?.contains("odd.one") == false)
        #expect(inline.ignoredDrift == ["inlinePolicies"], "a name with a dot cannot be a path step: every inline policy's drift is ignored")
        let named = GenerateTesting.declare(IAMRole.typeName, Self.role(inline: ["odd": .object(odd)]))
        #expect(named.ignoredDrift == ["inlinePolicies.odd"])

        let policy = GenerateTesting.declare(
            IAMPolicy.typeName,
            Observed(
                id: "arn:aws:iam::123456789012:policy/odd", attributes: ["name": "odd", "path": "/", "document": .object(odd), "tags": [:]],
                outputs: [:]))
        #expect(policy.undeclarable == "its document uses what PolicyStatement cannot say (NotPrincipal)")
    }

    @Test func anOIDCProviderIsDeclaredWithItsAudiencesAndThumbprints() {
        let live = Observed(
            id: "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com",
            attributes: [
                "url": "https://token.actions.githubusercontent.com", "clientIdList": ["sts.amazonaws.com"], "thumbprintList": ["abc"],
                "tags": ["team": "ci"],
            ], outputs: [:])
        let declared = GenerateTesting.declare(IAMOIDCProvider.typeName, live)
        #expect(declared.text == #"url: "https://token.actions.githubusercontent.com", thumbprintList: ["abc"], tags: ["team": "ci"]"#)
    }
}
