import Foundation
import Testing

/// The two test tiers. Unit tests start no moto, no child process and touch no network; they are every test
/// not marked `.integration`, and the whole tier runs in well under a minute (`scripts/test --unit`).
/// Integration tests (moto, the aws CLI, the `cairn` executables, the Python stub servers) are marked
/// `.integration`, on their suite or on the test. `scripts/test` runs both tiers; no test is ever skipped.
public enum TestTier {
    /// Whether this test process runs the unit tier only: `CAIRN_TEST_TIER=unit`, as `scripts/test --unit` sets it.
    /// Without the variable (`scripts/test`, CI, a plain `swift test`) every test runs.
    public static var isUnitOnly: Bool {
        ProcessInfo.processInfo.environment["CAIRN_TEST_TIER"] == "unit"
    }

    /// Throws in the unit tier: called by everything in TestSupport that starts moto, a child process or a
    /// server process, so that an integration test left unmarked fails the unit tier rather than slipping in.
    public static func requireIntegration(_ what: String) throws {
        if isUnitOnly {
            throw TestSupportError(
                """
                this test \(what), which the unit tier (CAIRN_TEST_TIER=unit) does not allow: \
                mark it, or its suite, .integration (`@Suite(.integration)`, `@Test(.integration)`)
                """)
        }
    }
}

/// The `.integration` trait: marks a suite (all its tests) or a test as an integration test. It changes
/// nothing when tests run: `scripts/test --unit` leaves the marked tests out by name (scripts/integration-tests
/// reads the marks), so no test is ever skipped, in CI or elsewhere.
public struct IntegrationTrait: SuiteTrait, TestTrait {
    /// The suite's tests are integration tests too.
    public var isRecursive: Bool { true }

    public var comments: [Comment] { ["integration test"] }
}

extension Trait where Self == IntegrationTrait {
    /// Marks an integration test (moto, a child process, a server process): left out by `scripts/test --unit`,
    /// run by `scripts/test` and CI.
    public static var integration: IntegrationTrait { IntegrationTrait() }
}
