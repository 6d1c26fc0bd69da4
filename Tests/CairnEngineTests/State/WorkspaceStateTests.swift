import CairnEngine
import CairnJSON
import CairnState
import Foundation
import Testing

/// Reading the recorded state as `cairn state`, `cairn output` and `cairn force-unlock` do.
@Suite struct WorkspaceStateTests {
    let cloud = FakeCloud()

    /// A workspace where `resources` (and `outputs`) were applied.
    func applied(_ resources: [any ResourceDeclaration], outputs: [String: Value] = [:]) async throws -> (Workspace, Stack) {
        let workspace = makeWorkspace(cloud)
        let stack = makeStack(resources, outputs: outputs)
        #expect(try await workspace.apply(try await workspace.plan(stack, region: "us-east-1"), stack: stack, command: "apply") { _ in }.ok)
        return (workspace, stack)
    }

    @Test func aStackWithoutStateHasNothingRecorded() async throws {
        let workspace = makeWorkspace(cloud)
        let stack = makeStack([FakeResource("thing")])
        #expect(try await workspace.recordedResources(stack).isEmpty)
        #expect(try await workspace.recordedResource(stack, at: "fake_thing.thing") == nil)
        #expect(try await workspace.stateHistory(stack).isEmpty)
        #expect(try await workspace.recordedOutputs(stack) == nil)
        #expect(!FileManager.default.fileExists(atPath: workspace.stateDir.appendingPathComponent("test.cairn").path), "reading creates nothing")
        #expect(try await workspace.forceUnlock(stack: "test", environment: "default") { _ in true } == .noState)
    }

    @Test func resourcesAreListedAndShownWithSensitiveValuesMasked() async throws {
        var thing = FakeResource("thing")
        thing.secret = "hunter2"
        thing.tags = ["owner": "ops"]
        let (workspace, stack) = try await applied([thing, FakeResource("other")])
        #expect(try await workspace.recordedResources(stack).map(\.address).sorted() == ["fake_thing.other", "fake_thing.thing"])
        let shown = try #require(try await workspace.recordedResource(stack, at: "fake_thing.thing"))
        #expect(shown.id == "thing")
        #expect(shown.attributes["secret"] == "(sensitive)")
        #expect(shown.attributes["tags"]?["owner"] == "ops")
        #expect(shown.outputs["arn"] == "arn:fake:thing")
        #expect(!JSON.object(shown.attributes).description.contains("hunter2"))
        #expect(try await workspace.recordedResource(stack, at: "fake_thing.missing") == nil)
    }

    /// What `cairn generate` reads a stack's records by: each resource by type and id, a sealed attribute left out
    /// unopened (never decrypted, never passed on), the rest as recorded.
    @Test func recordedAttributesLeaveSealedValuesOut() async throws {
        var thing = FakeResource("thing")
        thing.secret = "hunter2"
        thing.tags = ["owner": "ops"]
        let (workspace, stack) = try await applied([thing, FakeResource("other")])
        let recorded = try await workspace.recordedAttributes(stack)
        #expect(Set(recorded.keys.map(\.id)) == ["thing", "other"])
        let attributes = try #require(recorded[.init(typeName: "fake_thing", id: "thing")])
        #expect(attributes["secret"] == nil)
        #expect(attributes["tags"]?["owner"] == "ops")
        #expect(!JSON.object(attributes).description.contains("hunter2"))
        #expect(try await workspace.recordedAttributes(makeStack([FakeResource("x")], name: "none")).isEmpty)
    }

    @Test func historyIsNewestFirstAndLimited() async throws {
        let (workspace, stack) = try await applied([FakeResource("a"), FakeResource("b")])
        let all = try await workspace.stateHistory(stack)
        #expect(Set(all.map(\.address)) == ["fake_thing.a", "fake_thing.b"])
        #expect(all.allSatisfy { $0.action == .create && $0.command == "apply" })
        #expect(try await workspace.stateHistory(stack, limit: 1).count == 1)
    }

    @Test func outputsKeepTheirValuesAndMaskTheSensitiveOnes() async throws {
        let thing = FakeResource("thing")
        let (workspace, stack) = try await applied([thing], outputs: ["arn": .reference(thing.arn), "token": .sensitive(.json("s3cret"))])
        let outputs = try #require(try await workspace.recordedOutputs(stack))
        #expect(outputs.values == ["arn": "arn:fake:thing", "token": "s3cret"])
        #expect(outputs.sensitive == ["token"])
        #expect(outputs.masked == ["arn": "arn:fake:thing", "token": "(sensitive)"])
    }

    @Test func anUnlockedStackIsLeftAlone() async throws {
        let (workspace, _) = try await applied([FakeResource("thing")])
        #expect(
            try await workspace.forceUnlock(stack: "test", environment: "default") { _ in
                Issue.record("nothing to ask")
                return true
            } == .notLocked)
    }

    @Test func aLockFromAnotherHostIsReleasedOnlyWhenConfirmed() async throws {
        let (workspace, _) = try await applied([FakeResource("thing")])
        let holder = try #require(
            try StateStore.open(
                stateDir: workspace.stateDir, stack: "test", create: false,
                identity: ProcessIdentity(pid: 4242, host: "build-agent-7")))
        defer { holder.close() }
        let lock = try holder.tryAcquireLock(command: "apply")
        var asked: [LockInfo] = []
        let declined = try await workspace.forceUnlock(stack: "test", environment: "default") {
            asked.append($0)
            return false
        }
        #expect(lockID(declined, ifDeclined: true) == lock.info.lockID)
        #expect(try holder.currentLock()?.lockID == lock.info.lockID, "still held")
        let released = try await workspace.forceUnlock(stack: "test", environment: "default") {
            asked.append($0)
            return true
        }
        #expect(lockID(released) == lock.info.lockID)
        #expect(asked.map(\.host) == ["build-agent-7", "build-agent-7"])
        #expect(try holder.currentLock() == nil)
    }

    @Test func aLiveLockOnThisHostIsRefusedWithoutAsking() async throws {
        let (workspace, _) = try await applied([FakeResource("thing")])
        let holder = try #require(try StateStore.open(stateDir: workspace.stateDir, stack: "test", create: false))
        defer { holder.close() }
        let lock = try holder.tryAcquireLock(command: "apply")
        let error = await #expect(throws: StateError.self) {
            try await workspace.forceUnlock(stack: "test", environment: "default") { _ in
                Issue.record("a local holder is checked, not asked about")
                return true
            }
        }
        guard case .holderRunning(let running)? = error else {
            Issue.record("expected holderRunning, got \(String(describing: error))")
            return
        }
        #expect(running.lockID == lock.info.lockID)
        #expect(try holder.currentLock()?.lockID == lock.info.lockID)
    }

    /// Every `cairn force-unlock` a lock's holder is named with carries the options that reach this state, so that it
    /// runs as printed: in an apply's refusal, in the wait it announces, and in force-unlock's own refusal.
    @Test func lockMessagesNameTheStateOptionsTheWorkspaceWasGiven() async throws {
        let (plain, stack) = try await applied([FakeResource("thing")])
        let options = ["--state-dir", "'/srv/cairn state'"]
        let workspace = Workspace(
            stateDir: plain.stateDir, providers: plain.providers, environment: plain.environment, stateOptions: options)
        let holder = try #require(try StateStore.open(stateDir: workspace.stateDir, stack: "test", create: false))
        defer { holder.close() }
        let lock = try holder.tryAcquireLock(command: "apply")
        let command = "cairn force-unlock test --state-dir '/srv/cairn state' --lock-id \(lock.info.lockID)"

        let plan = try await workspace.plan(stack, region: "us-east-1")
        let refused = await failureMessage { _ = try await workspace.apply(plan, stack: stack, command: "apply") { _ in } }
        #expect(refused.contains("`\(command)`"), "\(refused)")
        var waited: [String] = []
        let timedOut = await failureMessage {
            _ = try await workspace.apply(
                plan, stack: stack, lockTimeout: .milliseconds(1), command: "apply", waiting: { waited.append($0.forceUnlockCommand) }
            ) { _ in }
        }
        #expect(timedOut.contains("`\(command)`"), "\(timedOut)")
        #expect(waited == [command])
        let running = await failureMessage { _ = try await workspace.forceUnlock(stack: "test", environment: "default") { _ in true } }
        #expect(running.contains("`\(command)`"), "\(running)")
    }

    @Test func aLockLeftOnThisHostByAGoneProcessIsReleased() async throws {
        let (workspace, _) = try await applied([FakeResource("thing")])
        // No process has this pid: it is above any pid_max.
        let ghost = try #require(
            try StateStore.open(
                stateDir: workspace.stateDir, stack: "test", create: false,
                identity: ProcessIdentity(pid: 999_999_999, host: ProcessIdentity.current.host)))
        let lock = try ghost.tryAcquireLock(command: "apply")
        ghost.close()
        let outcome = try await workspace.forceUnlock(stack: "test", environment: "default") { _ in
            Issue.record("a local holder is checked")
            return true
        }
        #expect(lockID(outcome) == lock.info.lockID)
    }

    /// The lock a force-unlock released (or, `ifDeclined`, declined to).
    func lockID(_ outcome: ForceUnlockOutcome, ifDeclined: Bool = false) -> String? {
        switch outcome {
        case .released(let info) where !ifDeclined: info.lockID
        case .declined(let info) where ifDeclined: info.lockID
        default: nil
        }
    }
}

/// `cairn output --format env`: lines a shell can `eval` or `source`, nothing expanded, no secret shown.
@Suite struct ShellExportsTests {
    @Test func quotesEveryValueAndLeavesSensitiveOnesOut() throws {
        let outputs = RecordedOutputs(
            values: ["URI": "1.dkr.ecr/app", "QUOTED": "it's $HOME `x`", "COUNT": 3, "LIST": ["a", "b"], "TOKEN": "s3cr3t"],
            sensitive: ["TOKEN"])
        #expect(
            try outputs.shellExports(stack: "web") == """
                export COUNT='3'
                export LIST='["a","b"]'
                export QUOTED='it'\\''s $HOME `x`'
                # TOKEN is sensitive and not printed: read it with `cairn output web --show-sensitive TOKEN`.
                export URI='1.dkr.ecr/app'
                """)
    }

    @Test func aNameThatCannotBeAShellVariableIsRefused() {
        let outputs = RecordedOutputs(values: ["repository-uri": "x"], sensitive: [])
        #expect(
            throws: OutputFormatError(
                "The output 'repository-uri' of stack 'web' cannot be a shell variable name: rename it to letters, digits and underscores (e.g. REPOSITORY_URI)."
            )
        ) {
            try outputs.shellExports(stack: "web")
        }
    }
}
