import CairnAWS
import CairnEngine
import CairnJSON
import Foundation
import TestSupport
import Testing

@testable import CairnResources

@Suite struct IAMOIDCProviderTests {
    static let thumbprintA = "6938fd4d98bab03faadb97b34396831e3780aea1"
    static let thumbprintB = "1C58A3A8518E8759BF075B76B750D4F2DF264FCD"

    @Test(.integration) func createReadUpdateDeleteAgainstMoto() async throws {
        let (client, moto) = try await ProviderTesting.client()
        let provider = IAMOIDCProviderProvider(client: client)
        #expect(provider.replaceOnChange == ["url"])
        // One provider per URL per account: a unique path keeps this test apart from GitHub's real issuer.
        let path = ProviderTesting.uniqueName("issuer")
        let url = "\(IAMOIDCProvider.gitHubActionsURL)/\(path)"
        var oidc = IAMOIDCProvider("github", url: url, thumbprintList: [Self.thumbprintA], tags: ["team": "platform"])
        #expect(oidc.validate().isEmpty)
        #expect(oidc.clientIdList == ["sts.amazonaws.com"])
        let declared = ProviderTesting.attributes(of: oidc)
        #expect(declared["clientIdList"] == ["sts.amazonaws.com"])

        let created = try await provider.create(declared)
        let arn = "arn:aws:iam::\(moto.account):oidc-provider/token.actions.githubusercontent.com/\(path)"
        #expect(created.id == arn)
        #expect(created.outputs == ["arn": .string(arn)])

        let got = try await moto.awsJSON(["iam", "get-open-id-connect-provider", "--open-id-connect-provider-arn", arn])
        #expect(got["Url"].string == "token.actions.githubusercontent.com/\(path)")
        #expect(got["ClientIDList"] == ["sts.amazonaws.com"])
        #expect(got["ThumbprintList"] == [.string(Self.thumbprintA)])
        #expect(got["Tags"][0]["Key"].string == "team" && got["Tags"][0]["Value"].string == "platform")

        // No false drift (IAM drops the scheme; the read gives it back), also for an import and for the planned id.
        let read = try #require(try await provider.read(id: arn, prior: declared))
        #expect(read.attributes == declared)
        #expect(read.outputs == created.outputs)
        #expect(try await provider.read(id: arn, prior: [:])?.attributes == declared)
        #expect(provider.physicalID(for: declared) == url)
        #expect(try await provider.read(id: url, prior: [:])?.id == arn)

        // Thumbprints and tags in place.
        oidc.thumbprintList = [Self.thumbprintB, Self.thumbprintA]
        oidc.tags = ["team": "release", "env": "prod"]
        let next = ProviderTesting.attributes(of: oidc)
        #expect(next["thumbprintList"] == [.string(Self.thumbprintB.lowercased()), .string(Self.thumbprintA)])
        let updated = try await provider.update(id: arn, from: declared, to: next)
        #expect(updated.id == arn)
        let after = try await moto.awsJSON(["iam", "get-open-id-connect-provider", "--open-id-connect-provider-arn", arn])
        #expect(
            Set((after["ThumbprintList"].array ?? []).compactMap { $0.string?.lowercased() }) == [Self.thumbprintA, Self.thumbprintB.lowercased()])
        #expect(
            Dictionary(uniqueKeysWithValues: (after["Tags"].array ?? []).map { ($0["Key"].string ?? "", $0["Value"].string ?? "") })
                == ["team": "release", "env": "prod"])
        #expect(try await provider.read(id: arn, prior: next)?.attributes == next)

        try await provider.delete(id: arn, attributes: next)
        #expect(try await provider.read(id: arn, prior: [:]) == nil)
        let gone = try await moto.aws(["iam", "get-open-id-connect-provider", "--open-id-connect-provider-arn", arn])
        #expect(gone.status != 0 && gone.stderr.contains("NoSuchEntity"))
        try await provider.delete(id: arn, attributes: [:])  // deleting what is gone is not an error
    }

    /// moto does not implement AddClientIDToOpenIDConnectProvider: the client-id changes are checked on the wire.
    @Test(.integration) func clientIDsChangeInPlaceAddingBeforeRemoving() async throws {
        let empty =
            #"<?xml version="1.0"?><Response xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></Response>"#
        let stub = try await StubServer.start([.xml(200, empty)])
        defer { stub.stop() }
        let provider = IAMOIDCProviderProvider(client: try PipeTesting.stubClient(stub))
        let arn = "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"
        let old = ProviderTesting.attributes(of: IAMOIDCProvider.gitHubActions("gh", thumbprintList: [Self.thumbprintA]))
        let new = ProviderTesting.attributes(
            of: IAMOIDCProvider(
                "gh", url: IAMOIDCProvider.gitHubActionsURL,
                clientIdList: ["github-actions", "urn:example"], thumbprintList: [Self.thumbprintA]))
        _ = try await provider.update(id: arn, from: old, to: new)
        let requests = try await stub.requests().map(\.formParameters)
        #expect(
            requests.map { $0["Action"] } == [
                "AddClientIDToOpenIDConnectProvider", "AddClientIDToOpenIDConnectProvider",
                "RemoveClientIDFromOpenIDConnectProvider",
            ])
        #expect(requests.map { $0["ClientID"] } == ["github-actions", "urn:example", "sts.amazonaws.com"])
        #expect(requests.allSatisfy { $0["OpenIDConnectProviderArn"] == arn })
    }

    @Test(.integration) func thumbprintsLeftToIAMAreNotDrift() async throws {
        let body = """
            <?xml version="1.0"?><GetOpenIDConnectProviderResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><GetOpenIDConnectProviderResult>\
            <Url>token.actions.githubusercontent.com</Url><ClientIDList><member>sts.amazonaws.com</member></ClientIDList>\
            <ThumbprintList><member>\(Self.thumbprintA)</member></ThumbprintList><Tags/></GetOpenIDConnectProviderResult></GetOpenIDConnectProviderResponse>
            """
        let stub = try await StubServer.start([.xml(200, body)])
        defer { stub.stop() }
        let provider = IAMOIDCProviderProvider(client: try PipeTesting.stubClient(stub))
        let declared = ProviderTesting.attributes(of: IAMOIDCProvider.gitHubActions("gh"))
        let arn = "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"
        #expect(try await provider.read(id: arn, prior: declared)?.attributes == declared)
        // Without a declaration (an import), what IAM has.
        #expect(try await provider.read(id: arn, prior: [:])?.attributes["thumbprintList"] == [.string(Self.thumbprintA)])
    }

    @Test func validationNamesTheAttribute() {
        let bad = IAMOIDCProvider(
            "bad", url: "http://issuer.example.com/?x=1", clientIdList: ["a", "a", ""],
            thumbprintList: ["abc", Self.thumbprintA, Self.thumbprintA.uppercased()])
        let issues = bad.validate()
        #expect(issues.map(\.attribute) == ["url", "clientIdList[1]", "clientIdList[2]", "thumbprintList[0]", "thumbprintList[2]"])
        #expect(IAMOIDCProvider("trailing", url: "https://issuer.example.com/").validate().map(\.attribute) == ["url"])
        #expect(IAMOIDCProvider("none", url: "https://issuer.example.com", clientIdList: []).validate().map(\.attribute) == ["clientIdList"])
        #expect(IAMOIDCProvider.gitHubActions("ok").validate().isEmpty)
    }
}
