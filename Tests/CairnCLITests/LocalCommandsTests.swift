import CairnState
import Foundation
import TestSupport
import Testing

/// The commands that only read the local state or the declarations work with no AWS credentials, no
/// region and no network: the process gets nothing but PATH, an empty HOME and where the state is.
@Suite(.integration) struct LocalCommandsTests {
    let stack = "fixture-app"

    @Test func localCommandsNeedNoAWS() async throws {
        let stateDir = try makeTemporaryDirectory()
        let home = try makeTemporaryDirectory()
        let store = try #require(try StateStore.open(stateDir: stateDir, stack: stack, environment: "default", create: true))
        let record = ResourceRecord(
            address: "aws_ecr_repository.app", type: "aws_ecr_repository", physicalID: "fixture-app",
            attributes: #"{"name": "fixture-app"}"#,
            outputs: #"{"uri": "123456789012.dkr.ecr.eu-north-1.amazonaws.com/fixture-app"}"#,
            dependencies: [])
        _ = try store.commit(.import(record), command: "import")
        try store.setOutputs(json: #"{"ECR_REPOSITORY_URI": "123456789012.dkr.ecr.eu-north-1.amazonaws.com/fixture-app"}"#)
        store.close()

        let environment = [
            "PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin", "HOME": home.path,
            "CAIRN_STATE_DIR": stateDir.path, "CAIRN_STATE_KEY": "local commands", "NO_COLOR": "1",
        ]
        func cairn(_ arguments: [String]) async throws -> ProcessResult {
            try await runProcess(executable: CairnRunner.fixtures, arguments: arguments, environment: environment, timeout: .seconds(120))
        }
        let stacks = try await cairn(["stacks"])
        #expect(stacks.status == 0 && stacks.stdout.contains(stack), "\(stacks)")
        let list = try await cairn(["state", "list", stack])
        #expect(list.status == 0 && list.stdout.contains("aws_ecr_repository.app"), "\(list)")
        let show = try await cairn(["state", "show", stack, "aws_ecr_repository.app"])
        #expect(show.status == 0 && show.stdout.contains("fixture-app"), "\(show)")
        let history = try await cairn(["state", "history", stack])
        #expect(history.status == 0 && history.stdout.contains("import"), "\(history)")
        let output = try await cairn(["output", stack])
        #expect(output.status == 0 && output.stdout.contains("ECR_REPOSITORY_URI"), "\(output)")
        let graph = try await cairn(["graph", stack])
        #expect(graph.status == 0 && graph.stdout.contains("digraph"), "the graph needs no secret either: \(graph)")
        let unlock = try await cairn(["force-unlock", stack])
        #expect(unlock.status == 0 && unlock.stdout.contains("was not locked"), "\(unlock)")
    }
}
