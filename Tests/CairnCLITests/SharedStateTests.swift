import Foundation
import TestSupport
import Testing

/// A state shared through an S3 bucket (`--backend s3://…` / `CAIRN_BACKEND`), against moto, checked with the aws
/// CLI: two applies at once, kill -9 at several points then a run from another state directory, stale locks and
/// force-unlock by id, a writer whose lock was broken, migration both ways, no plaintext secret in any object, and bad
/// buckets and objects, access denied on the lock.
@Suite(.integration) struct SharedStateTests {
    let stack = "fixture-app"

    /// A fresh state bucket (versioned unless told otherwise) and a runner whose state lives in it.
    private func sharedRunner(versioned: Bool = true) async throws -> (CairnRunner, bucket: String) {
        var cairn = try await CairnRunner.make()
        let bucket = "cairn-state-\(UInt32.random(in: 0...UInt32.max) % 1_000_000)"
        try await cairn.aws(["s3api", "create-bucket", "--bucket", bucket, "--create-bucket-configuration", "LocationConstraint=eu-north-1"])
            .requireSuccess()
        if versioned {
            try await cairn.aws([
                "s3api", "put-bucket-versioning", "--bucket", bucket, "--versioning-configuration", "Status=Enabled",
            ]).requireSuccess()
        }
        cairn.extraEnvironment["CAIRN_BACKEND"] = "s3://\(bucket)/team"
        return (cairn, bucket)
    }

    /// The same backend from another machine: its own (empty) state directory.
    private func elsewhere(_ cairn: CairnRunner) throws -> CairnRunner {
        CairnRunner(moto: cairn.moto, stateDir: try makeTemporaryDirectory(), extraEnvironment: cairn.extraEnvironment)
    }

    private func proxied(_ cairn: CairnRunner) async throws -> (CairnRunner, HoldingProxy) {
        var cairn = cairn
        let proxy = try await HoldingProxy.start(upstream: cairn.moto.endpoint)
        cairn.extraEnvironment["AWS_ENDPOINT_URL"] = proxy.endpoint.absoluteString
        return (cairn, proxy)
    }

    /// The keys in the bucket, by the aws CLI.
    private func keys(_ cairn: CairnRunner, _ bucket: String) async throws -> [String] {
        let listed = try await cairn.awsJSON(["s3api", "list-objects-v2", "--bucket", bucket])
        return (listed["Contents"].array ?? []).compactMap { $0["Key"].string }.sorted()
    }

    /// The lock object's contents, by the aws CLI (nil when there is none).
    private func lockObject(_ cairn: CairnRunner, _ bucket: String, env: String) async throws -> JSONValue? {
        let file = try makeTemporaryDirectory().appendingPathComponent("lock.json")
        let got = try await cairn.aws(["s3api", "get-object", "--bucket", bucket, "--key", "team/\(stack)/\(env)/lock", file.path])
        guard got.status == 0 else { return nil }
        return try JSONValue(parsing: String(contentsOf: file, encoding: .utf8))
    }

    @Test func anApplyKeepsItsStateInTheBucketForEveryMachine() async throws {
        let (cairn, bucket) = try await sharedRunner()
        let env = uniqueEnvironment("shared")
        let applied = try await cairn.run(["apply", stack, "--env", env, "--auto-approve"])
        #expect(applied.status == 0, "\(applied)")
        #expect(!applied.stderr.contains("versioning is off"))
        let stored = try await keys(cairn, bucket)
        #expect(stored.contains("team/\(stack)/\(env)/state"), "\(stored)")
        #expect(!stored.contains("team/\(stack)/\(env)/lock"), "released")
        #expect(stored.contains { $0.hasPrefix("team/\(stack)/\(env)/journal/") }, "\(stored)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: cairn.stateDir.path).filter { $0.hasSuffix(".db") }.isEmpty)

        let other = try elsewhere(cairn)
        let listed = try await other.run(["state", "list", stack, "--env", env])
        #expect(listed.stdout.split(separator: "\n").count == 4, "\(listed)")
        let history = try await other.run(["state", "history", stack, "--env", env])
        #expect(history.stdout.contains("create\taws_s3_bucket.artifacts"))
        try await expectFixtureAppConverged(other, env: env)
        try await other.run(["destroy", stack, "--env", env, "--auto-approve"]).requireSuccess()
        #expect(try await cairn.run(["state", "list", stack, "--env", env]).stdout.isEmpty)
    }

    @Test func twoAppliesAtOnceOneAppliesTheOtherNamesTheHolder() async throws {
        let (shared, _) = try await sharedRunner()
        let (cairn, proxy) = try await proxied(shared)
        defer { proxy.stop() }
        let env = uniqueEnvironment("twice")
        let hold = try await proxy.hold(.s3CreateBucket("fixture-app-\(env)-artifacts"))
        let first = try BackgroundCairn.start(cairn, ["apply", stack, "--env", env, "--auto-approve"])
        try await proxy.waitUntilHeld(hold)
        let pid = try await first.pid()

        let refused = try await elsewhere(cairn).run(["apply", stack, "--env", env, "--auto-approve"])
        #expect(refused.status == 1, "\(refused)")
        #expect(refused.stderr.contains("team/\(stack)/\(env)/lock is locked by pid \(pid) on "), "\(refused.stderr)")
        let waited = try await elsewhere(cairn).run(["apply", stack, "--env", env, "--auto-approve", "--lock-timeout", "1"])
        #expect(waited.status == 1, "\(waited)")
        #expect(waited.stdout.contains("waiting up to 1 s for it"), "\(waited.stdout)")
        #expect(waited.stderr.contains("is locked by pid \(pid)"), "\(waited.stderr)")

        try await proxy.release(hold)
        let done = try await first.finish()
        #expect(done.status == 0, "\(done)")
        try await expectFixtureAppConverged(elsewhere(cairn), env: env)
        try await cairn.run(["destroy", stack, "--env", env, "--auto-approve"]).requireSuccess()
    }

    enum KillPoint: String, CaseIterable, Sendable {
        /// The intent is written to the bucket (with the others, in the new state's first snapshot, while the plan
        /// is made); the create has not started.
        case afterIntent
        /// The bucket exists in AWS; its record is not written.
        case afterCreate
        /// The records are written to the bucket (behind the creates, in one journal entry when the apply ends);
        /// cairn has not seen the answer.
        case midStateWrite
        /// The last create (the task definition's) is made in AWS; the records of the creates before it are in
        /// cairn's working copy, waiting to be written behind them: a crash loses them, and their intents bring
        /// each back.
        case beforeRecordsWritten

        func match(_ bucket: String, env: String) -> HoldingProxy.Match {
            let journal = "^/\(bucket)/team/fixture-app/\(env)/journal/"
            switch self {
            case .afterIntent:
                return .init(method: "PUT", target: "^/\(bucket)/team/fixture-app/\(env)/state($|\\?)", body: #"aws_s3_bucket\.artifacts"#)
            case .afterCreate: return .s3CreateBucket("fixture-app-\(env)-artifacts")
            case .beforeRecordsWritten: return .jsonTarget("AmazonEC2ContainerServiceV20141113.RegisterTaskDefinition")
            case .midStateWrite:
                return .init(
                    method: "PUT", target: journal, body: #""commit":\{"changes":\[\{"action":"create","address":"aws_s3_bucket\.artifacts""#)
            }
        }
    }

    @Test(arguments: KillPoint.allCases)
    func anApplyKilledAnywhereIsFinishedFromAnotherMachineWithoutDuplicatesOrLosses(at point: KillPoint) async throws {
        let (shared, bucket) = try await sharedRunner()
        let (cairn, proxy) = try await proxied(shared)
        defer { proxy.stop() }
        let env = uniqueEnvironment("kill")
        let hold = try await proxy.hold(point.match(bucket, env: env))
        let apply = try BackgroundCairn.start(cairn, ["apply", stack, "--env", env, "--auto-approve"])
        try await proxy.waitUntilHeld(hold)
        try await apply.signal(SIGKILL)
        _ = try await apply.finish()
        try await proxy.release(hold)

        // The dead holder's lock stays; from this host its process is seen gone, so it is stale at once.
        let other = try elsewhere(shared)
        // What reached the bucket before the kill (reading needs no lock).
        let recorded = try await other.run(["state", "list", stack, "--env", env]).stdout.split(separator: "\n").map(String.init)
        let refused = try await other.run(["apply", stack, "--env", env, "--auto-approve"])
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("its lease ran out (or its process is gone)"), "\(refused.stderr)")
        let lockID = try #require(try await lockObject(shared, bucket, env: env)?["lockID"].string)
        let withoutID = try await other.run(["force-unlock", stack, "--env", env])
        #expect(withoutID.status == 1)
        #expect(withoutID.stderr.contains("--lock-id \(lockID)"), "\(withoutID.stderr)")
        #expect(try await other.run(["force-unlock", stack, "--env", env, "--lock-id", "someone-else"]).status == 1)
        #expect(try await lockObject(shared, bucket, env: env) != nil, "a wrong id removes nothing")
        try await other.run(["force-unlock", stack, "--env", env, "--lock-id", lockID]).requireSuccess()

        let rerun = try await other.run(["apply", stack, "--env", env, "--auto-approve"])
        #expect(rerun.status == 0, "\(rerun)")
        try await expectFixtureAppConverged(other, env: env)
        let history = try await other.run(["state", "history", stack, "--env", env])
        // Entered into the state once: created, or (cut off after its create call) adopted, then maybe finished by an update.
        for address in ["aws_s3_bucket.artifacts", "aws_ecr_repository.app", "aws_iam_role.build", "aws_ecs_task_definition.app"] {
            let entered = history.stdout.split(separator: "\n").filter {
                $0.contains("\t\(address)\t") && ($0.contains("\tcreate\t") || $0.contains("\tadopt\t"))
            }
            #expect(entered.count == 1, "\(address) recorded once: \(history.stdout)")
            // Made, but its record never reached the bucket: adopted by its intent and this state's ownership tags. The
            // task definition's create was made (its answer held), and the repository's before it (its URI is in the
            // task definition); the bucket and the role may not have been made yet when the run was killed.
            let made = ["aws_ecs_task_definition.app", "aws_ecr_repository.app"].contains(address)
            if point == .beforeRecordsWritten && made && !recorded.contains(where: { $0.hasPrefix(address) }) {
                #expect(entered.first?.contains("\tadopt\t") == true, "\(address): \(history.stdout)")
            }
        }
        if point == .beforeRecordsWritten {
            #expect(!recorded.contains { $0.hasPrefix("aws_ecs_task_definition.app") }, "\(recorded)")
        }
        if point == .afterCreate {
            #expect(history.stdout.split(separator: "\n").contains { $0.contains("\taws_s3_bucket.artifacts\t") && $0.contains("\tadopt\t") })
        }
        try await other.run(["destroy", stack, "--env", env, "--auto-approve"]).requireSuccess()
    }

    /// An object's JSON, by the aws CLI.
    private func objectJSON(_ cairn: CairnRunner, _ bucket: String, _ key: String) async throws -> JSONValue {
        let file = try makeTemporaryDirectory().appendingPathComponent("object.json")
        try await cairn.aws(["s3api", "get-object", "--bucket", bucket, "--key", key, file.path]).requireSuccess()
        return try JSONValue(parsing: String(contentsOf: file, encoding: .utf8))
    }

    /// An apply whose lock is broken while it runs (deleted by hand with the aws CLI), and another run then takes the
    /// lock and writes the state (a pull and a push): once it goes on, the first run's next journal write finds its
    /// position taken under the new lock and it stops, saying so, with nothing of its own written over the new holder's;
    /// what it made in AWS meanwhile is adopted by its intents on the next apply.
    @Test func aWriterWhoseLockWasBrokenIsRefusedAndTheNextApplyAdoptsWhatItMade() async throws {
        let (shared, bucket) = try await sharedRunner()
        let (cairn, proxy) = try await proxied(shared)
        defer { proxy.stop() }
        let env = uniqueEnvironment("stale")
        let base = "team/\(stack)/\(env)"
        // Held once its intents are in the bucket (the new state's first snapshot), before it creates anything.
        let intents = try await proxy.hold(KillPoint.afterIntent.match(bucket, env: env))
        let stale = try BackgroundCairn.start(cairn, ["apply", stack, "--env", env, "--auto-approve"])
        try await proxy.waitUntilHeld(intents)
        // Its lease renewals (every 15 s) are held too: only the journal's create-only writes can stop it.
        let renewals = try await proxy.hold(.init(method: "PUT", target: "^/\(bucket)/\(base)/lock($|\\?)"))
        let staleLock = try #require(try await lockObject(shared, bucket, env: env)?["lockID"].string)
        try await shared.aws(["s3api", "delete-object", "--bucket", bucket, "--key", "\(base)/lock"]).requireSuccess()

        let other = try elsewhere(shared)
        let pulled = try makeTemporaryDirectory().appendingPathComponent("pulled.db").path
        try await other.run(["state", "pull", stack, "--env", env, "--out", pulled]).requireSuccess()
        try await other.run(["state", "push", stack, pulled, "--env", env]).requireSuccess()

        try await proxy.release(intents)
        // Its first journal write meets the new holder's entry (412), then the run stops and lets its lock go; or, on a
        // machine so busy that its lease (60 s, no longer renewed) ran out first, it sees that and stops before writing.
        let deadline = ContinuousClock.now.advanced(by: .seconds(600))  // bound: the creates and one write, on a busy machine
        while try await !proxy.requests().contains(where: { $0.method == "PUT" && $0.target.contains("/journal/") && $0.status == 412 }) {
            guard ContinuousClock.now < deadline, !stale.hasExited else { break }
            try await Task.sleep(for: .milliseconds(200))
        }
        try await proxy.release(renewals)
        let refused = try await stale.finish()
        let fence = try await objectJSON(shared, bucket, "\(base)/journal/00000000000000000001")
        let newLock = try #require(fence["lockID"].string)
        #expect(newLock != staleLock && fence["operations"].array?.isEmpty == true, "the new holder's fence: \(fence)")
        #expect(refused.status == 1, "\(refused)")
        let fenced =
            refused.stderr.contains("another run (lock \(newLock)) wrote it after this run's lock was broken")
            && refused.stderr.contains("every create it started left an intent")
        let leaseRanOut = refused.stderr.contains("expired or was removed while it ran") && refused.stderr.contains("it stopped before writing")
        #expect(fenced || leaseRanOut, "\(refused.stderr)")
        for key in try await keys(shared, bucket) where key.hasPrefix("\(base)/journal/") {
            #expect(try await objectJSON(shared, bucket, key)["lockID"].string != staleLock, "\(key) was written under the broken lock")
        }

        let rerun = try await other.run(["apply", stack, "--env", env, "--auto-approve"])
        #expect(rerun.status == 0, "\(rerun)")
        try await expectFixtureAppConverged(other, env: env)
        try await other.run(["destroy", stack, "--env", env, "--auto-approve"]).requireSuccess()
    }

    @Test func migrationToTheBucketAndBackKeepsStateAndHistoryExactly() async throws {
        var local = try await CairnRunner.make()
        let (shared, bucket) = try await sharedRunner()
        local.extraEnvironment["CAIRN_BACKEND"] = "local"
        let env = uniqueEnvironment("move")
        try await local.run(["apply", stack, "--env", env, "--auto-approve"]).requireSuccess()
        let historyBefore = try await local.run(["state", "history", stack, "--env", env]).stdout

        let moved = try await local.run(["state", "migrate", stack, "--env", env, "--to", "s3://\(bucket)/team"])
        #expect(moved.status == 0, "\(moved)")
        #expect(moved.stdout.contains("4 resources"), "\(moved.stdout)")
        #expect(try await shared.run(["state", "history", stack, "--env", env]).stdout == historyBefore)
        // The copy left behind refuses to be used: its resources belong to the bucket's state now.
        for command in [["state", "migrate", stack, "--env", env, "--to", "s3://\(bucket)/team"], ["apply", stack, "--env", env, "--auto-approve"]] {
            let refused = try await local.run(command)
            #expect(refused.status == 1)
            #expect(refused.stderr.contains("was migrated to s3://\(bucket)/team/\(stack)/\(env)"), "\(refused.stderr)")
        }

        let into = try await shared.run(["state", "migrate", stack, "--env", env, "--to", "local", "--state-dir", local.stateDir.path])
        #expect(into.status == 1, "the local state is still there: \(into)")
        let back = CairnRunner(moto: local.moto, stateDir: try makeTemporaryDirectory(), extraEnvironment: local.extraEnvironment)
        try await shared.run(["state", "migrate", stack, "--env", env, "--to", "local", "--state-dir", back.stateDir.path]).requireSuccess()
        let original = local.stateDir.appendingPathComponent("\(stack).\(env).db")
        let roundTripped = back.stateDir.appendingPathComponent("\(stack).\(env).db")
        // Equal but for the original's note of where it went.
        let originalRows = try await dump(original, shared).split(separator: "\n").filter { !$0.contains("'migrated_to'") }
        #expect(originalRows == (try await dump(roundTripped, shared)).split(separator: "\n"))

        // The bucket's state went too: a migration into it finds it there and overwrites nothing.
        let again = try await back.run(["state", "migrate", stack, "--env", env, "--to", "s3://\(bucket)/team"])
        #expect(again.status == 1)
        #expect(again.stderr.contains("already exists at s3://\(bucket)/team/\(stack)/\(env)"), "\(again.stderr)")
        try await back.run(["destroy", stack, "--env", env, "--auto-approve"]).requireSuccess()
    }

    @Test func pullAndPushGoThroughTheLockAndRefuseAnOlderState() async throws {
        let (cairn, _) = try await sharedRunner()
        let env = uniqueEnvironment("pull")
        try await cairn.run(["apply", stack, "--env", env, "--auto-approve"]).requireSuccess()
        let directory = try makeTemporaryDirectory()
        let old = directory.appendingPathComponent("old.db").path
        try await cairn.run(["state", "pull", stack, "--env", env, "--out", old]).requireSuccess()
        #expect(try await cairn.run(["state", "pull", stack, "--env", env, "--out", old]).status == 1, "never overwrites a file")
        try await cairn.run(["state", "rm", stack, "aws_iam_role.build", "--env", env, "--auto-approve"]).requireSuccess()

        let refused = try await cairn.run(["state", "push", stack, old, "--env", env])
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("older than the state"), "\(refused.stderr)")
        let current = directory.appendingPathComponent("current.db").path
        try await cairn.run(["state", "pull", stack, "--env", env, "--out", current]).requireSuccess()
        try await cairn.run(["state", "push", stack, current, "--env", env]).requireSuccess()
        let listed = try await elsewhere(cairn).run(["state", "list", stack, "--env", env])
        #expect(listed.stdout.split(separator: "\n").count == 3, "\(listed)")
        #expect(!listed.stdout.contains("aws_iam_role.build"))

        // Back in the state, then everything goes.
        try await cairn.run(["import", stack, "aws_iam_role.build", "fixture-app-\(env)-build", "--env", env]).requireSuccess()
        try await cairn.run(["destroy", stack, "--env", env, "--auto-approve"]).requireSuccess()
    }

    /// Every row of every table of a state file, by Python's sqlite3 (not Cairn).
    private func dump(_ file: URL, _ cairn: CairnRunner) async throws -> String {
        let result = try await cairn.moto.python(
            """
            import sqlite3
            db = sqlite3.connect("file:\(file.path)?mode=ro", uri=True)
            for table in ["meta", "resources", "history", "intents", "drift_runs", "migrations", "lock"]:
                for row in db.execute("SELECT * FROM " + table + " ORDER BY 1"):
                    print(table, repr(row))
            """)
        try result.requireSuccess()
        #expect(!result.stdout.isEmpty)
        return result.stdout
    }

    @Test func theBucketHoldsNoSecretInClear() async throws {
        var (cairn, bucket) = try await sharedRunner()
        cairn.executablePath = CairnRunner.executable
        let env = uniqueEnvironment("secret")
        let applied = try await cairn.run(["apply", "small-business-invoices", "--env", env, "--auto-approve"])
        #expect(applied.status == 0, "\(applied)")
        let copy = try makeTemporaryDirectory()
        try await cairn.aws(["s3", "sync", "s3://\(bucket)", copy.path]).requireSuccess()
        #expect(try await keys(cairn, bucket).count >= 2)
        expectNoSecrets([CairnRunner.gitHubToken], printedBy: [applied], stateDir: copy)
        try await cairn.run(["destroy", "small-business-invoices", "--env", env, "--auto-approve"]).requireSuccess()
    }

    @Test func badBucketsAndObjectsStopWithOneSentenceAndChangeNothing() async throws {
        let (cairn, bucket) = try await sharedRunner(versioned: false)
        let env = uniqueEnvironment("bad")

        let missing = try await cairn.run(["plan", stack, "--env", env, "--backend", "s3://no-such-bucket-\(bucket)/team"])
        #expect(missing.status == 1)
        #expect(missing.stderr.contains("The state bucket 'no-such-bucket-\(bucket)' does not exist"), "\(missing.stderr)")
        #expect(missing.stderr.split(separator: "\n").count == 1, "\(missing.stderr)")

        let unversioned = try await cairn.run(["state", "list", stack, "--env", env])
        #expect(unversioned.status == 0)
        #expect(unversioned.stderr.contains("versioning is off on the state bucket '\(bucket)'"), "\(unversioned.stderr)")

        let object = try makeTemporaryDirectory().appendingPathComponent("object")
        for (contents, expected) in [
            ("{\"serial\": 3}", "is not a Cairn state"),
            ("CAIRN-STATE-SNAPSHOT {\"version\":7}\n", "was written by a newer Cairn (format 7"),
        ] {
            try Data(contents.utf8).write(to: object)
            let key = "team/\(stack)/\(env)/state"
            try await cairn.aws(["s3api", "put-object", "--bucket", bucket, "--key", key, "--body", object.path]).requireSuccess()
            let refused = try await cairn.run(["apply", stack, "--env", env, "--auto-approve"])
            #expect(refused.status == 1)
            #expect(refused.stderr.contains("s3://\(bucket)/\(key)") && refused.stderr.contains(expected), "\(refused.stderr)")
            let kept = try makeTemporaryDirectory().appendingPathComponent("kept")
            try await cairn.aws(["s3api", "get-object", "--bucket", bucket, "--key", key, kept.path]).requireSuccess()
            #expect(try Data(contentsOf: kept) == Data(contents.utf8), "left untouched")
            #expect(try await keys(cairn, bucket) == [key], "nothing else written")
        }
    }

    /// A bucket policy denies writing the lock object (moto enforces a policy's Deny): every command that takes the lock
    /// stops with one sentence naming the lock's key and what to grant, and neither the state nor AWS changes.
    @Test func accessDeniedOnTheLockStopsWithOneSentenceAndChangesNothing() async throws {
        let (cairn, bucket) = try await sharedRunner()
        let env = uniqueEnvironment("denied")
        try await cairn.run(["apply", stack, "--env", env, "--auto-approve"]).requireSuccess()
        let lockKey = "team/\(stack)/\(env)/lock"
        func objects() async throws -> [String] {
            let listed = try await cairn.awsJSON(["s3api", "list-object-versions", "--bucket", bucket])
            return ((listed["Versions"].array ?? []) + (listed["DeleteMarkers"].array ?? [])).compactMap { version in
                version["Key"].string.map { "\($0) \(version["VersionId"].string ?? "")" }
            }.sorted()
        }
        let before = try await objects()
        let policy =
            #"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:PutObject","Resource":"arn:aws:s3:::\#(bucket)/\#(lockKey)"}]}"#
        try await cairn.aws(["s3api", "put-bucket-policy", "--bucket", bucket, "--policy", policy]).requireSuccess()

        for command in [
            ["apply", stack, "--env", env, "--auto-approve"], ["destroy", stack, "--env", env, "--auto-approve"],
            ["state", "rm", stack, "aws_iam_role.build", "--env", env, "--auto-approve"],
        ] {
            let refused = try await cairn.run(command)
            #expect(refused.status == 1, "\(command): \(refused)")
            #expect(
                refused.stderr.contains(
                    "Access to s3://\(bucket)/\(lockKey) was denied while writing it: grant this identity s3:GetObject, s3:PutObject"),
                "\(refused.stderr)")
            #expect(refused.stderr.split(separator: "\n").count == 1, "one sentence: \(refused.stderr)")
        }
        #expect(try await objects() == before, "no object written or removed")
        #expect(try await cairn.aws(["s3api", "head-bucket", "--bucket", "fixture-app-\(env)-artifacts"]).status == 0, "nothing destroyed")
        #expect(try await cairn.run(["state", "list", stack, "--env", env]).stdout.split(separator: "\n").count == 4)

        try await cairn.aws(["s3api", "delete-bucket-policy", "--bucket", bucket]).requireSuccess()
        try await cairn.run(["destroy", stack, "--env", env, "--auto-approve"]).requireSuccess()
    }
}
