@testable import CairnAWS
import Foundation
import Testing
import TestSupport

/// The generated table (Sources/CairnAWS/Generated/ServiceModels.swift): what the generator makes of the
/// installed botocore, and typed operations that belong to a service of their protocol.
@Suite struct GeneratedServiceModelsTests {
    static let root = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let script = root.appendingPathComponent("scripts/generate-service-models.py").path

    /// Whether `python3` imports the botocore version the committed table names in its header: the
    /// check compares with what that botocore makes, so another version (or none) cannot tell.
    static var botocoreMatchesHeader: Bool {
        guard let generated = try? String(contentsOf: root.appendingPathComponent("Sources/CairnAWS/Generated/ServiceModels.swift"), encoding: .utf8),
              let header = generated.split(separator: "\n").first else { return false }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", "import botocore; print(botocore.__version__)"]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return false }
        let version = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        process.waitUntilExit()
        return process.terminationStatus == 0 && !version.isEmpty && header.contains("from botocore \(version)'s")
    }

    @Test(.enabled(if: botocoreMatchesHeader, "needs python3 with the botocore version the table was generated from"))
    func theCommittedTableIsWhatTheGeneratorMakes() async throws {
        let result = try await runProcess(executable: "/usr/bin/env", arguments: ["python3", Self.script, "--check"], timeout: .seconds(60))
        #expect(result.status == 0, "run scripts/generate-service-models.py and commit the result: \(result)")
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
            (.dynamoDB, operations(JSONOperation.dynamoDB)),
        ]
        let query: [(ServiceModel, [any ServiceOperation])] = [
            (.sts, operations(QueryOperation.sts)), (.iam, operations(QueryOperation.iam)), (.sns, operations(QueryOperation.sns)),
            (.cloudWatch, operations(QueryOperation.cloudWatch)), (.ec2, operations(QueryOperation.ec2)),
        ]
        let restXML: [(ServiceModel, [any ServiceOperation])] = [(.s3, operations(RestXMLOperation.s3))]
        #expect(Set((json + query + restXML).map(\.0.serviceID)) == Set(ServiceModel.all.map(\.serviceID)))
        for (service, operations) in json + query + restXML {
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
        #expect(QueryOperation.iam.getRole.description == "IAM.GetRole")
        #expect(AWSServiceError(QueryOperation.iam.getRole, status: 404, code: "NoSuchEntity", message: "m", requestID: nil)
            == AWSServiceError(service: "IAM", operation: "GetRole", status: 404, code: "NoSuchEntity", message: "m", requestID: nil))
    }
}
