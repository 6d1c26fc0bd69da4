import CairnAWS
import CairnEngine
import CairnJSON
import Foundation
import TestSupport
import Testing

@testable import CairnResources

/// The origin access control against scripted CloudFront answers (no network).
@Suite struct CloudFrontOriginAccessControlTests {
    static func control(_ name: String = "cloud-health-dashboard-frontend") -> CloudFrontOriginAccessControl {
        CloudFrontOriginAccessControl("frontend", name: Input(name), description: "the frontend bucket")
    }

    static func answer(_ id: String, name: String, description: String = "the frontend bucket") -> String {
        """
        <?xml version="1.0"?>
        <OriginAccessControl xmlns="http://cloudfront.amazonaws.com/doc/2020-05-31/"><Id>\(id)</Id><OriginAccessControlConfig>\
        <Name>\(name)</Name><Description>\(description)</Description><SigningProtocol>sigv4</SigningProtocol>\
        <SigningBehavior>always</SigningBehavior><OriginAccessControlOriginType>s3</OriginAccessControlOriginType>\
        </OriginAccessControlConfig></OriginAccessControl>
        """
    }

    /// The create sends the config in the model's order; the read gives back the declaration, by id or by name (the
    /// planned name of a create), and a name is never sent to GetOriginAccessControl as an id.
    @Test func createAndReadByIdOrName() async throws {
        let transport = ScriptedRESTTransport { call, _ in
            switch call {
            case "POST /2020-05-31/origin-access-control": return (201, ["ETag": "E1"], Self.answer("E2OAC", name: "cloud-health-dashboard-frontend"))
            case "GET /2020-05-31/origin-access-control/E2OAC":
                return (200, ["ETag": "E1"], Self.answer("E2OAC", name: "cloud-health-dashboard-frontend"))
            case "GET /2020-05-31/origin-access-control":
                let item = { (id: String, name: String) in
                    "<OriginAccessControlSummary><Id>\(id)</Id><Description></Description><Name>\(name)</Name><SigningProtocol>sigv4</SigningProtocol><SigningBehavior>always</SigningBehavior><OriginAccessControlOriginType>s3</OriginAccessControlOriginType></OriginAccessControlSummary>"
                }
                return (
                    200, [:],
                    "<OriginAccessControlList><Marker></Marker><MaxItems>100</MaxItems><IsTruncated>false</IsTruncated><Quantity>2</Quantity><Items>\(item("E9OTHER", "other"))\(item("E2OAC", "cloud-health-dashboard-frontend"))</Items></OriginAccessControlList>"
                )
            default: return (404, [:], "<ErrorResponse><Error><Code>NoSuchOriginAccessControl</Code><Message>none</Message></Error></ErrorResponse>")
            }
        }
        let provider = CloudFrontOriginAccessControlProvider(client: .scripted(transport, clock: SteppingClock()))
        let declared = ProviderTesting.attributes(of: Self.control())
        #expect(provider.physicalID(for: declared) == "cloud-health-dashboard-frontend")
        let created = try await provider.create(declared)
        #expect(created == Applied(id: "E2OAC", outputs: ["id": "E2OAC"]))
        #expect(
            String(decoding: transport.requests[0].body, as: UTF8.self)
                == #"<?xml version="1.0" encoding="UTF-8"?><OriginAccessControlConfig xmlns="http://cloudfront.amazonaws.com/doc/2020-05-31/"><Name>cloud-health-dashboard-frontend</Name><Description>the frontend bucket</Description><SigningProtocol>sigv4</SigningProtocol><SigningBehavior>always</SigningBehavior><OriginAccessControlOriginType>s3</OriginAccessControlOriginType></OriginAccessControlConfig>"#
        )
        #expect(try await provider.read(id: "E2OAC", prior: declared)?.attributes == declared)
        let byName = try #require(try await provider.read(id: "cloud-health-dashboard-frontend", prior: [:]))
        #expect(byName.id == "E2OAC" && byName.attributes == declared)
        #expect(try await provider.read(id: "missing-name", prior: [:]) == nil)
        // A recorded id that is gone: the get, then the search by name, find nothing.
        #expect(try await provider.read(id: "E7GONE", prior: declared) == nil)
        #expect(
            transport.calls.dropFirst() == [
                "GET /2020-05-31/origin-access-control/E2OAC",
                "GET /2020-05-31/origin-access-control", "GET /2020-05-31/origin-access-control/E2OAC",
                "GET /2020-05-31/origin-access-control",
                "GET /2020-05-31/origin-access-control/E7GONE", "GET /2020-05-31/origin-access-control",
            ])
    }

    /// An update and a delete send the ETag of a read just before; a stale one (PreconditionFailed) is read again, once.
    /// Deleting one that is gone is done.
    @Test func updatesAndDeletesSendTheCurrentETag() async throws {
        let transport = ScriptedRESTTransport { call, count in
            switch call {
            case "GET /2020-05-31/origin-access-control/E2OAC":
                return (200, ["ETag": "V\(count)"], Self.answer("E2OAC", name: "cloud-health-dashboard-frontend"))
            case "PUT /2020-05-31/origin-access-control/E2OAC/config":
                return count == 0
                    ? (412, [:], "<ErrorResponse><Error><Code>PreconditionFailed</Code><Message>stale</Message></Error></ErrorResponse>")
                    : (200, ["ETag": "V9"], Self.answer("E2OAC", name: "renamed"))
            case "DELETE /2020-05-31/origin-access-control/E2OAC": return (204, [:], "")
            default: return (404, [:], "<ErrorResponse><Error><Code>NoSuchOriginAccessControl</Code><Message>none</Message></Error></ErrorResponse>")
            }
        }
        let provider = CloudFrontOriginAccessControlProvider(client: .scripted(transport, clock: SteppingClock()))
        let old = ProviderTesting.attributes(of: Self.control())
        let new = ProviderTesting.attributes(of: Self.control("renamed"))
        _ = try await provider.update(id: "E2OAC", from: old, to: new)
        try await provider.delete(id: "E2OAC", attributes: new)
        try await provider.delete(id: "E7GONE", attributes: new)
        #expect(transport.requests.map { $0.header("If-Match") } == [nil, "V0", nil, "V1", nil, "V2", nil])
        #expect(try XMLNode.parse(transport.requests[3].body).string("Name") == "renamed")
        #expect(transport.calls.last == "GET /2020-05-31/origin-access-control/E7GONE")
    }

    @Test func validationNamesTheAttribute() {
        #expect(Self.control().validate().isEmpty)
        #expect(
            Self.control(String(repeating: "n", count: 65)).validate().map(\.description) == [
                "aws_cloudfront_origin_access_control.frontend: name: '\(String(repeating: "n", count: 65))' breaks AWS's naming rule: an origin access control's name is 1 to 64 characters on one line."
            ])
        var control = Self.control("")
        control.description = String(repeating: "d", count: 257)
        #expect(
            control.validate().map(\.description) == [
                "aws_cloudfront_origin_access_control.frontend: name: '' breaks AWS's naming rule: an origin access control's name is 1 to 64 characters on one line.",
                "aws_cloudfront_origin_access_control.frontend: description: the description has 257 characters; CloudFront allows 256.",
            ])
        #expect(ProviderTesting.attributes(of: Self.control())["signingBehavior"] == "always")
        #expect(CloudFrontOriginAccessControl.OriginType.allCases.map(\.rawValue) == ["s3", "mediastore", "mediapackagev2", "lambda"])
        #expect(CloudFrontOriginAccessControl.SigningBehavior.allCases.map(\.rawValue) == ["always", "never", "no-override"])
    }
}
