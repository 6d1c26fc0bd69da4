import Foundation
import TestSupport
import Testing

/// SIGINT and SIGTERM sent to the real `cairn` binary at a known point of its work: a proxy between cairn
/// and moto holds the answer of a chosen call (which has taken effect in moto) until the signal was handled.
/// Also two applies of one stack at once, the second waiting for the lock. Results checked with the aws CLI.
@Suite(.integration) struct InterruptTests {
    let stack = "fixture-app"

    /// A runner whose cairn goes through a fresh proxy to the shared moto.
    private func proxied() async throws -> (CairnRunner, HoldingProxy) {
        var cairn = try await CairnRunner.make()
        let proxy = try await HoldingProxy.start(upstream: cairn.moto.endpoint)
        cairn.extraEnvironment["AWS_ENDPOINT_URL"] = proxy.endpoint.absoluteString
        return (cairn, proxy)
    }

    @Test(arguments: [SIGINT, SIGTERM])
    func anInterruptedApplyFinishesWhatRunsRecordsItReleasesTheLockAndExits(signal: Int32) async throws {
        let (cairn, proxy) = try await proxied()
        defer { proxy.stop() }
        let env = uniqueEnvironment(signal == SIGINT ? "int" : "term")
        let bucket = "fixture-app-\(env)-artifacts"
        let hold = try await proxy.hold(.s3CreateBucket(bucket))
        let apply = try BackgroundCairn.start(cairn, ["apply", stack, "--env", env, "--auto-approve"])
        try await proxy.waitUntilHeld(hold)
        // Mid-way: the bucket exists in AWS, cairn has not seen the answer, and holds the lock.
        #expect(try cairn.lockHolder(stack, environment: env)?.pid == (try await apply.pid()))
        try await apply.signal(signal)
        try await apply.waitForOutput("Interrupt received: finishing")
        try await proxy.release(hold)
        let interrupted = try await apply.finish()

        #expect(interrupted.status == 128 + signal, "\(interrupted)")
        #expect(interrupted.stderr.contains("starting no new ones; interrupt again to stop at once."))
        let summary = interrupted.stderr.split(separator: "\n").last.map(String.init) ?? ""
        #expect(summary.hasPrefix("Apply of '\(stack)' (\(env)) interrupted: "), "one closing line: \(interrupted.stderr)")
        #expect(summary.contains("operations finished and are recorded in the state"))
        #expect(summary.contains("not started; the lock is released"))
        #expect(interrupted.stdout.contains("aws_s3_bucket.artifacts: Creation complete"), "the running operation finished")
        #expect(interrupted.stdout.contains("aws_iam_role.build: not started (interrupted)"), "its policy names the bucket")
        let recorded = try await cairn.run(["state", "list", stack, "--env", env])
        #expect(recorded.stdout.contains("aws_s3_bucket.artifacts\t"), "recorded in the state: \(recorded)")
        #expect(!recorded.stdout.contains("aws_iam_role.build\t"))
        #expect(try cairn.lockHolder(stack, environment: env) == nil, "the lock is released")

        // No force-unlock needed: the next run carries on, and creates each resource once.
        let rerun = try await cairn.run(["apply", stack, "--env", env, "--auto-approve"])
        #expect(rerun.status == 0, "\(rerun)")
        try await expectFixtureAppConverged(cairn, env: env)
        try await cairn.run(["destroy", stack, "--env", env, "--auto-approve"]).requireSuccess()
    }

    @Test func aSecondInterruptStopsAtOnceAndTheNextRunAdoptsWhatWasCutOff() async throws {
        let (cairn, proxy) = try await proxied()
        defer { proxy.stop() }
        let env = uniqueEnvironment("twice")
        let bucket = "fixture-app-\(env)-artifacts"
        let hold = try await proxy.hold(.s3CreateBucket(bucket))
        let apply = try BackgroundCairn.start(cairn, ["apply", stack, "--env", env, "--auto-approve"])
        try await proxy.waitUntilHeld(hold)
        try await apply.signal(SIGINT)
        try await apply.waitForOutput("Interrupt received: finishing")
        try await apply.signal(SIGINT)
        let stopped = try await apply.finish()
        try await proxy.release(hold)

        #expect(stopped.status == 130, "\(stopped)")
        #expect(stopped.stderr.contains("Interrupted again: stopping at once."))
        #expect(!stopped.stdout.contains("aws_s3_bucket.artifacts: Creation complete"), "cut off before it saw the answer")
        #expect(try cairn.lockHolder(stack, environment: env) == nil, "released on the way out")
        let listed = try await cairn.run(["state", "list", stack, "--env", env])
        #expect(!listed.stdout.contains("aws_s3_bucket.artifacts\t"))

        let plan = try await cairn.run(["plan", stack, "--env", env])
        #expect(plan.stdout.contains("adopting \(bucket)"), "\(plan)")
        let rerun = try await cairn.run(["apply", stack, "--env", env, "--auto-approve"])
        #expect(rerun.status == 0, "\(rerun)")
        try await expectFixtureAppConverged(cairn, env: env)
        let history = try await cairn.run(["state", "history", stack, "--env", env])
        #expect(history.stdout.contains("adopt\taws_s3_bucket.artifacts"))
        try await cairn.run(["destroy", stack, "--env", env, "--auto-approve"]).requireSuccess()
    }

    @Test func anInterruptBeforeAnyChangeExitsAtOnceAndPlanEndsOnSIGTERM() async throws {
        let (cairn, proxy) = try await proxied()
        defer { proxy.stop() }
        let env = uniqueEnvironment("early")

        // The default VPC look-up is part of planning: nothing has been changed yet.
        let stopped = try await signalled(
            cairn, ["apply", stack, "--env", env, "--auto-approve"], SIGINT,
            whileHolding: .queryAction("DescribeVpcs"), proxy)
        #expect(stopped.status == 130, "\(stopped)")
        #expect(stopped.stderr.contains("Interrupted before any change was made."))
        #expect(try cairn.lockHolder(stack, environment: env) == nil, "the lock is released")
        #expect(
            try await cairn.aws(["ecr", "describe-repositories", "--repository-names", "fixture-app-\(env)"]).status != 0,
            "nothing was created")

        let ended = try await signalled(cairn, ["plan", stack, "--env", env], SIGTERM, whileHolding: .queryAction("DescribeVpcs"), proxy)
        #expect(ended.status == 143, "\(ended)")
    }

    @Test func aSecondApplyWaitsForTheLockThenPlansAndAppliesWithoutAStalePlan() async throws {
        let (cairn, proxy) = try await proxied()
        defer { proxy.stop() }
        let env = uniqueEnvironment("queue")
        let hold = try await proxy.hold(.s3CreateBucket("fixture-app-\(env)-artifacts"))
        let first = try BackgroundCairn.start(cairn, ["apply", stack, "--env", env, "--auto-approve"])
        try await proxy.waitUntilHeld(hold)
        let second = try BackgroundCairn.start(cairn, ["apply", stack, "--env", env, "--auto-approve", "--lock-timeout", "900"])
        try await second.waitForOutput("waiting up to 900 s for it")
        #expect(second.stdout.contains("The stack is locked by pid \(try await first.pid())"))
        try await proxy.release(hold)

        let firstResult = try await first.finish()
        #expect(firstResult.status == 0, "\(firstResult)")
        let secondResult = try await second.finish()
        #expect(secondResult.status == 0, "\(secondResult)")
        #expect(secondResult.stdout.contains("No changes."), "it planned after the first apply: \(secondResult.stdout)")
        #expect(!secondResult.stderr.contains("stale"))
        try await expectFixtureAppConverged(cairn, env: env)
        try await cairn.run(["destroy", stack, "--env", env, "--auto-approve"]).requireSuccess()
    }

    /// Runs `cairn arguments`, sends it `signal` once the proxy holds the answer to `match`, and waits for it to end.
    private func signalled(
        _ cairn: CairnRunner, _ arguments: [String], _ signal: Int32, whileHolding match: HoldingProxy.Match,
        _ proxy: HoldingProxy
    ) async throws -> ProcessResult {
        let hold = try await proxy.hold(match)
        let run = try BackgroundCairn.start(cairn, arguments)
        try await proxy.waitUntilHeld(hold)
        try await run.signal(signal)
        let result = try await run.finish()
        try await proxy.release(hold)
        return result
    }
}
