import Foundation
import TestSupport

/// Builds user packages (examples/my-infra, and the packages `cairn generate` writes) in examples/my-infra's scratch
/// directory (.build-examples/my-infra, ignored by git; this package's .build is locked by the running `swift test`),
/// where scripts/test has built Cairn already: only each package's own target compiles. One at a time, each planned
/// anew: SwiftPM makes a second build wait for the scratch directory, and reuses the build plan there, made for another
/// root package ("No target named … in build description").
enum ExampleBuilds {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static let scratch = root.appendingPathComponent(".build-examples/my-infra")
    private static let queue = BuildQueue()

    /// Builds `product` of the package at `package` and returns its executable. From clean it compiles all of Cairn
    /// again, which takes minutes (the bound only catches a hang), niced so that the tests running meanwhile keep the
    /// CPU they need.
    static func build(_ package: URL, product: String) async throws -> String {
        await queue.acquire()
        let build: ProcessResult
        do {
            // SwiftPM keeps the scratch directory's build plan while the packages it was made from are unchanged, even
            // for another root package, whose product is then missing from it: without it, SwiftPM plans anew (what is
            // compiled already stays so).
            try? FileManager.default.removeItem(at: scratch.appendingPathComponent("debug.yaml"))
            build = try await runProcess(
                executable: "nice",
                arguments: ["-n", "10", "swift", "build", "--package-path", package.path, "--scratch-path", scratch.path, "--product", product],
                timeout: .seconds(20 * 60))  // bound: a build of Cairn from clean
        } catch {
            await queue.release()
            throw error
        }
        await queue.release()
        try build.requireSuccess("swift build of \(package.lastPathComponent)")
        return scratch.appendingPathComponent("debug/\(product)").path
    }
}

/// Lets one build run at a time, the others waiting their turn in order.
private actor BuildQueue {
    private var busy = false
    private var waiting: [CheckedContinuation<Void, Never>] = []

    func acquire() async {
        guard busy else {
            busy = true
            return
        }
        await withCheckedContinuation { waiting.append($0) }
    }

    func release() {
        if waiting.isEmpty { busy = false } else { waiting.removeFirst().resume() }
    }
}
