import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A moto server (AWS emulator, `moto_server` from PyPI `moto[server]==5.2.1`) on a free loopback port,
/// started by the tests themselves, with signature checking ON: every request must be SigV4-signed with
/// `accessKeyID`/`secretAccessKey` (IAM user `cairn-test-admin`, AdministratorAccess), and moto recomputes the
/// signature server-side (a wrong secret answers `SignatureDoesNotMatch`, an unknown key `InvalidClientTokenId`).
///
/// The server runs under `scripts/watchdog.py`, which stops it when the test process goes away
/// (normal exit, crash or SIGKILL) and removes its temporary directory (set CAIRN_KEEP_TEST_LOGS=1 to keep it).
/// If moto (or python3/boto3) is missing, starting throws a `TestSupportError` naming `scripts/install-deps`:
/// tests fail, they never skip.
///
/// Do not `POST /moto-api/reset` on a signature-checked server: it deletes the admin user, and every later
/// request fails. For isolation use unique resource names, the `x-moto-account-id` header, or a private
/// server from `MotoServer.start()`.
public final class MotoServer: Sendable {
    /// `http://127.0.0.1:PORT`
    public let endpoint: URL
    /// The TCP port on 127.0.0.1.
    public let port: Int
    /// The signature-checked admin user's access key ID.
    public let accessKeyID: String
    /// The signature-checked admin user's secret access key.
    public let secretAccessKey: String
    /// The default region of `environment()`, `aws()` and `awsJSON()`: "us-east-1" unless `start(region:)` said otherwise.
    public let region: String
    /// moto's account ID (123456789012).
    public let account: String
    /// IAM user name of the admin key.
    public let userName: String
    /// moto's own output (one line per request): attach `logTail()` to failure messages.
    public let logFile: URL
    /// Temporary directory of this server: the log and the HOME directories of child processes.
    public let directory: URL
    private let process: BackgroundProcess

    /// How long moto may take to start and to answer. bound: a start takes a second or two, and at the start of a
    /// loaded run (dozens of Python processes starting at once) about 25 s.
    static let startupBound: TimeInterval = 120

    /// Number of unauthenticated calls `scripts/moto_bootstrap.py` makes before checking starts.
    static let bootstrapCallCount = 3
    /// How long Cairn waits for one answer from moto: a hang bound, under `defaultProcessBound` so that a hung request
    /// fails with Cairn's own message before the process running it is killed.
    public static let requestBound: Duration = .seconds(180)
    static let adminUserName = "cairn-test-admin"

    private init(
        port: Int, accessKeyID: String, secretAccessKey: String, account: String, region: String,
        directory: URL, logFile: URL, process: BackgroundProcess
    ) {
        self.endpoint = URL(string: "http://127.0.0.1:\(port)")!
        self.port = port
        self.accessKeyID = accessKeyID
        self.secretAccessKey = secretAccessKey
        self.account = account
        self.region = region
        self.userName = Self.adminUserName
        self.directory = directory
        self.logFile = logFile
        self.process = process
    }

    deinit { stop() }

    private static let sharedServer = Locked<Task<MotoServer, any Error>?>(nil)

    /// The server of this test process: started lazily on first use (a few seconds), then shared by every test,
    /// stopped when the process exits. If starting fails, every caller gets the same error (tests fail, never skip).
    public static func shared() async throws -> MotoServer {
        let task = sharedServer.withLock { stored -> Task<MotoServer, any Error> in
            if let stored { return stored }
            let task = Task { try await MotoServer.start() }
            stored = task
            return task
        }
        return try await task.value
    }

    /// Starts a private server, for tests that need isolation (a clean state). Stop it with `stop()`
    /// (or let it deinit); the watchdog stops it anyway when the test process exits.
    /// - Parameter keepAlive: keep connections open between requests (`MOTO_KEEP_ALIVE=1`, as bench/run runs it).
    public static func start(region: String = "us-east-1", keepAlive: Bool = false) async throws -> MotoServer {
        try TestTier.requireIntegration("starts moto")
        return try await runDetached { try launch(region: region, keepAlive: keepAlive) }
    }

    /// Stops the server (SIGTERM, then SIGKILL) and removes its directory. Idempotent.
    public func stop() {
        process.terminate(grace: 10)
        if !keepTestLogs { try? FileManager.default.removeItem(at: directory) }
    }

    /// Whether moto is still running.
    public var isRunning: Bool { process.exitStatus() == nil }

    /// The complete environment for a child process (Cairn, the aws CLI, boto3) talking to this server:
    ///
    /// - this process's environment without any `AWS_*` variable, `BOTO_CONFIG` or `AWS_PROFILE`;
    ///   `PATH` and the rest are kept;
    /// - `AWS_ENDPOINT_URL` = `endpoint`, `AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY` = the admin key,
    ///   `AWS_REGION` and `AWS_DEFAULT_REGION` = `region` (default: the server's `region`),
    ///   `AWS_EC2_METADATA_DISABLED=true`, `AWS_PAGER=""`;
    /// - `HOME` = a fresh empty directory (one per call, inside `directory`), so the machine's `~/.aws` never
    ///   leaks in, with `AWS_CONFIG_FILE` and `AWS_SHARED_CREDENTIALS_FILE` naming files in it that do not exist;
    /// - `127.0.0.1` and `localhost` prepended to `NO_PROXY`/`no_proxy`, so a proxy of the machine is bypassed;
    /// - `CAIRN_HTTP_TIMEOUT` = `requestBound`, so that Cairn (in this process or a child) waits out the shared server
    ///   answering a hundred tests at once on a loaded machine rather than giving up after AWS's 60 s;
    /// - finally `extra`, which overrides anything above (e.g. a wrong `AWS_SECRET_ACCESS_KEY`).
    public func environment(region: String? = nil, extra: [String: String] = [:]) -> [String: String] {
        let home =
            (try? makeTemporaryDirectory(prefix: "home-", in: directory))
            ?? directory.appendingPathComponent("home-\(UUID().uuidString)", isDirectory: true)
        var environment = isolatedEnvironment(home: home)
        let region = region ?? self.region
        environment["AWS_ENDPOINT_URL"] = endpoint.absoluteString
        environment["AWS_ACCESS_KEY_ID"] = accessKeyID
        environment["AWS_SECRET_ACCESS_KEY"] = secretAccessKey
        environment["AWS_REGION"] = region
        environment["AWS_DEFAULT_REGION"] = region
        environment["CAIRN_HTTP_TIMEOUT"] = String(Self.requestBound.components.seconds)
        environment.merge(extra) { _, new in new }
        return environment
    }

    /// Runs the aws CLI (`aws` on PATH, else `python3 -m awscli`) against this server, with
    /// `environment(region:extra:)`. `--endpoint-url` is passed explicitly as well (aws CLI v1 ignores
    /// AWS_ENDPOINT_URL for a few services). A non-zero exit status is returned, not thrown;
    /// a missing CLI throws.
    public func aws(
        _ arguments: [String], region: String? = nil, extraEnvironment: [String: String] = [:],
        timeout: Duration = defaultProcessBound
    ) async throws -> ProcessResult {
        let command = try awsCLICommand()
        let endpointArguments =
            arguments.contains { $0 == "--endpoint-url" || $0.hasPrefix("--endpoint-url=") }
            ? [] : ["--endpoint-url", endpoint.absoluteString]
        return try await runProcess(
            executable: command[0], arguments: Array(command.dropFirst()) + endpointArguments + arguments,
            environment: environment(region: region, extra: extraEnvironment), timeout: timeout)
    }

    /// Runs the aws CLI with `--output json` and parses its standard output (`.null` if it printed nothing).
    /// Throws, with the CLI's stderr and the end of moto's log, if the command fails.
    public func awsJSON(
        _ arguments: [String], region: String? = nil, extraEnvironment: [String: String] = [:]
    ) async throws -> JSONValue {
        let result = try await aws(arguments + ["--output", "json"], region: region, extraEnvironment: extraEnvironment)
        guard result.status == 0 else {
            throw TestSupportError(
                """
                aws \(arguments.joined(separator: " ")) failed (exit status \(result.status)):
                \(result.stderr)
                --- end of moto's log ---
                \(logTail(maxBytes: 2_000))
                """)
        }
        do {
            return try JSONValue(parsing: result.stdout)
        } catch {
            throw TestSupportError("aws \(arguments.joined(separator: " ")) printed invalid JSON: \(error)")
        }
    }

    /// Runs the aws CLI with `--output json` and decodes its output into `type` (e.g. a small `Decodable` struct).
    public func awsJSON<T: Decodable>(
        _ arguments: [String], as type: T.Type, region: String? = nil, extraEnvironment: [String: String] = [:]
    ) async throws -> T {
        try await awsJSON(arguments, region: region, extraEnvironment: extraEnvironment).decode(type)
    }

    /// Escape hatch: runs a Python script (`python3 -c script`) with `environment(region:extra:)`, so that
    /// `boto3.client("s3")` talks to this server with the admin key (boto3 honours AWS_ENDPOINT_URL).
    /// Print results as JSON and parse them with `JSONValue(parsing: result.stdout)`.
    public func python(
        _ script: String, region: String? = nil, extraEnvironment: [String: String] = [:],
        timeout: Duration = defaultProcessBound
    ) async throws -> ProcessResult {
        let python = try SupportScripts.python()
        return try await runProcess(
            executable: python, arguments: ["-c", script],
            environment: environment(region: region, extra: extraEnvironment), timeout: timeout)
    }

    /// The end of moto's log (diagnostics for failing tests).
    public func logTail(maxBytes: Int = 8_000) -> String {
        tailOfFile(logFile.path, maxBytes: maxBytes)
    }

    // MARK: - Tools

    private static let resolvedAWSCLI = Locked<[String]?>(nil)

    /// How to run the aws CLI: `[aws]` or `[python3, -m, awscli]`. Resolved once per process.
    func awsCLICommand() throws -> [String] {
        if let command = Self.resolvedAWSCLI.withLock({ $0 }) { return command }
        let command: [String]
        if let aws = findExecutable("aws") {
            command = [aws]
        } else if let python = findExecutable("python3"), pythonCanImport(python, "awscli") {
            command = [python, "-m", "awscli"]
        } else {
            throw TestSupportError(
                """
                the aws CLI is not installed: no `aws` on PATH and `python3 -m awscli` does not work. \
                The integration tests need it: run scripts/install-deps (pip awscli).
                """)
        }
        Self.resolvedAWSCLI.withLock { $0 = command }
        return command
    }

    /// How to run moto's server: the project's `scripts/moto-server` (moto extended with the operations
    /// Cairn calls that moto lacks, such as CodeBuild UpdateProject), with python3.
    static func motoServerCommand() throws -> [String] {
        let extended = URL(fileURLWithPath: #filePath).deletingLastPathComponent()  // TestSupport
            .deletingLastPathComponent().deletingLastPathComponent()  // the repository
            .appendingPathComponent("scripts/moto-server").path
        if let python = findExecutable("python3"), pythonCanImport(python, "moto.server") {
            return [python, extended]
        }
        throw TestSupportError(
            """
            moto_server is not installed: not on PATH and `python3 -m moto.server` does not work. \
            The integration tests need it: run scripts/install-deps (installs moto[server]==5.2.1, awscli, boto3 with pip).
            """)
    }

    // MARK: - Starting

    private static func launch(region: String, keepAlive: Bool = false) throws -> MotoServer {
        let motoServer = try motoServerCommand()
        let python = try SupportScripts.python()
        let watchdog = try SupportScripts.path("watchdog.py")
        let bootstrap = try SupportScripts.path("moto_bootstrap.py")

        let directory = try makeTemporaryDirectory(prefix: "cairn-moto-")
        let home = directory.appendingPathComponent("home", isDirectory: true)
        try FileManager.default.createDirectory(at: home, withIntermediateDirectories: true)
        let logFile = directory.appendingPathComponent("moto.log")

        var environment = isolatedEnvironment(home: home)
        environment["MOTO_IAM_LOAD_MANAGED_POLICIES"] = "true"
        environment["INITIAL_NO_AUTH_ACTION_COUNT"] = String(bootstrapCallCount)
        environment["PYTHONUNBUFFERED"] = "1"
        if keepAlive { environment["MOTO_KEEP_ALIVE"] = "1" }
        var arguments = [watchdog, "--parent-pid", String(getpid())]
        if !keepTestLogs { arguments += ["--cleanup", directory.path] }
        // Port 0: moto binds a free port of its own choosing and logs it, so no other test's server (which could take a
        // port picked here first) is ever taken for this one.
        arguments += ["--"] + motoServer + ["-H", "127.0.0.1", "-p", "0"]
        let process = try BackgroundProcess(path: python, arguments: arguments, environment: environment, logFile: logFile.path)

        // Wait until it says its port, then until GET /moto-api/ answers there.
        let deadline = Date().addingTimeInterval(Self.startupBound)
        var found: Int?
        var ready = false
        while Date() < deadline {
            if let status = process.exitStatus() {
                throw TestSupportError(
                    "moto_server exited with status \(status) while starting. Its output (\(logFile.path)):\n\(tailOfFile(logFile.path))")
            }
            if found == nil, let match = tailOfFile(logFile.path).firstMatch(of: /Running on http:\/\/127\.0\.0\.1:(\d+)/) {
                found = Int(match.1)
            }
            if let port = found, let response = try? loopbackHTTPRequest(port: port, path: "/moto-api/", timeoutSeconds: 2),
                response.status == 200
            {
                ready = true
                break
            }
            usleep(100_000)
        }
        guard ready, let port = found else {
            process.terminate(grace: 5)
            throw TestSupportError(
                "moto_server did not answer GET /moto-api/ within \(Int(Self.startupBound)) s. Its output (\(logFile.path)):\n\(tailOfFile(logFile.path))"
            )
        }

        // Create the admin user with exactly `bootstrapCallCount` unauthenticated calls.
        let result: ProcessResult
        do {
            result = try runProcessBlocking(
                executable: python, arguments: [bootstrap, "--endpoint", "http://127.0.0.1:\(port)"],
                environment: isolatedEnvironment(home: home), timeout: .seconds(Self.startupBound))
        } catch {
            process.terminate(grace: 5)
            throw TestSupportError("bootstrapping moto's admin user failed: \(error)")
        }
        guard result.status == 0,
            let object = try? JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any],
            let keyID = object["AccessKeyId"] as? String,
            let secret = object["SecretAccessKey"] as? String,
            let account = object["Account"] as? String
        else {
            process.terminate(grace: 5)
            throw TestSupportError(
                """
                bootstrapping moto's admin user failed (\(bootstrap), status \(result.status)):
                \(result.stderr)\(result.stdout)
                moto's output (\(logFile.path)):
                \(tailOfFile(logFile.path, maxBytes: 4_000))
                """)
        }
        return MotoServer(
            port: port, accessKeyID: keyID, secretAccessKey: secret, account: account, region: region,
            directory: directory, logFile: logFile, process: process)
    }
}
