import Foundation
import TestSupport
import Testing

@testable import CairnAWS

/// The generated table (Sources/CairnAWS/Generated/ServiceModels.swift): what the generator makes of the
/// installed botocore, and typed operations that belong to a service of their protocol.
@Suite struct GeneratedServiceModelsTests {
    static let root = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let script = root.appendingPathComponent("scripts/generate-service-models.py").path

    /// The generator's output from the installed botocore equals the committed table. scripts/install-deps
    /// pins the botocore the header names, so another version is a failure to fix, never a skip.
    @Test(.integration) func theCommittedTableIsWhatTheGeneratorMakes() async throws {
        let generated = try String(contentsOf: Self.root.appendingPathComponent("Sources/CairnAWS/Generated/ServiceModels.swift"), encoding: .utf8)
        let header = String(generated.split(separator: "\n").first ?? "")
        let version = try await runProcess(
            executable: "/usr/bin/env", arguments: ["python3", "-c", "import botocore; print(botocore.__version__)"])
        try version.requireSuccess("python3 -c 'import botocore' (scripts/install-deps installs it)")
        let installed = version.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        try #require(
            header.contains("from botocore \(installed)'s"),
            "the table was generated from another botocore than the installed \(installed) (\(header)): run scripts/install-deps, or regenerate with this one"
        )
        let result = try await runProcess(executable: "/usr/bin/env", arguments: ["python3", Self.script, "--check"])
        #expect(result.status == 0, "run scripts/generate-service-models.py and commit the result: \(result)")
        let partitions = try await runProcess(
            executable: "/usr/bin/env", arguments: ["python3", Self.root.appendingPathComponent("scripts/generate-partitions.py").path, "--check"])
        #expect(partitions.status == 0, "run scripts/generate-partitions.py and commit the result: \(partitions)")
    }

    /// Every operation of a service's namespace, by reflection, with the service it names.
    private func operations(_ namespace: Any) -> [any ServiceOperation] {
        Mirror(reflecting: namespace).children.compactMap { $0.value as? any ServiceOperation }
    }

    @Test func everyOperationBelongsToAServiceOfItsProtocol() {
        let json: [(ServiceModel, [any ServiceOperation])] = [
            (.ecr, operations(JSONOperation.ecr)), (.ecs, operations(JSONOperation.ecs)), (.codeBuild, operations(JSONOperation.codeBuild)),
            (.codePipeline, operations(JSONOperation.codePipeline)), (.cloudWatchLogs, operations(JSONOperation.cloudWatchLogs)),
            (.ssm, operations(JSONOperation.ssm)), (.secretsManager, operations(JSONOperation.secretsManager)),
            (.eventBridge, operations(JSONOperation.eventBridge)), (.kms, operations(JSONOperation.kms)),
            (.dynamoDB, operations(JSONOperation.dynamoDB)), (.codeCommit, operations(JSONOperation.codeCommit)),
        ]
        let query: [(ServiceModel, [any ServiceOperation])] = [
            (.sts, operations(QueryOperation.sts)), (.iam, operations(QueryOperation.iam)), (.sns, operations(QueryOperation.sns)),
            (.cloudWatch, operations(QueryOperation.cloudWatch)), (.ec2, operations(QueryOperation.ec2)),
        ]
        let restXML: [(ServiceModel, [any ServiceOperation])] = [
            (.s3, operations(RestXMLOperation.s3)), (.cloudFront, operations(RestXMLOperation.cloudFront)),
        ]
        let restJSON: [(ServiceModel, [any ServiceOperation])] = [
            (.sso, operations(RestJSONOperation.sso)), (.ssoOIDC, operations(RestJSONOperation.ssoOIDC)),
        ]
        #expect(Set((json + query + restXML + restJSON).map(\.0.serviceID)) == Set(ServiceModel.all.map(\.serviceID)))
        for (service, operations) in json + query + restXML + restJSON {
            #expect(!operations.isEmpty, "\(service.serviceID)")
            for operation in operations {
                #expect(operation.service.serviceID == service.serviceID, "\(operation)")
            }
        }
        for (_, operations) in json { #expect(operations.allSatisfy { $0 is JSONOperation && $0.service.protocol == .json }) }
        for (_, operations) in query {
            #expect(operations.allSatisfy { $0 is QueryOperation && [.query, .ec2].contains($0.service.protocol) })
        }
        for (_, operations) in restXML { #expect(operations.allSatisfy { $0 is RestXMLOperation && $0.service.protocol == .restXML }) }
        for (_, operations) in restJSON { #expect(operations.allSatisfy { $0 is RestJSONOperation && $0.service.protocol == .restJSON }) }
        // botocore marks these operations unauthenticated: they carry their own token and go unsigned.
        #expect(RestJSONOperation.sso.getRoleCredentials.model.unsigned && RestJSONOperation.ssoOIDC.createToken.model.unsigned)
        #expect(QueryOperation.sts.assumeRoleWithWebIdentity.model.unsigned && !QueryOperation.sts.assumeRole.model.unsigned)
        #expect(QueryOperation.iam.getRole.description == "IAM.GetRole")
        #expect(
            AWSServiceError(QueryOperation.iam.getRole, status: 404, code: "NoSuchEntity", message: "m", requestID: nil)
                == AWSServiceError(service: "IAM", operation: "GetRole", status: 404, code: "NoSuchEntity", message: "m", requestID: nil))
    }
}
