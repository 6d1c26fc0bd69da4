import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

@Suite(.integration) struct MotoServerTests {
    @Test func adminKeyWorksAgainstTheSharedServer() async throws {
        let moto = try await MotoServer.shared()
        #expect(moto.account == "123456789012")
        #expect(moto.region == "us-east-1")
        #expect(moto.endpoint.absoluteString == "http://127.0.0.1:\(moto.port)")
        let identity = try await moto.awsJSON(["sts", "get-caller-identity"])
        #expect(identity["Account"] == "123456789012")
        #expect(identity["Arn"].string?.hasSuffix(":user/cairn-test-admin") == true)
        // shared() hands out one server per process.
        #expect(try await MotoServer.shared() === moto)
        #expect(moto.isRunning)
    }

    /// bench/run's moto keeps connections open as AWS does: requests follow each other on one connection, even
    /// after a body the server never read, and a chunked upload still closes it. The aws CLI works over it.
    @Test func keepAliveServesRequestsInTurnOnOneConnection() async throws {
        let moto = try await MotoServer.start(keepAlive: true)
        defer { moto.stop() }
        let script = """
            import http.client, sys
            c = http.client.HTTPConnection("127.0.0.1", int(sys.argv[1]), timeout=10)
            c.request("GET", "/moto-api/"); r = c.getresponse(); r.read(); first = c.sock
            print("first", r.status, r.getheader("Connection"))
            # Unsigned: refused before the body is read; the body must not be taken for the next request.
            c.request("PUT", "/some-bucket?tagging", body=b"<Tagging>" + b"x" * 5000 + b"</Tagging>")
            r = c.getresponse(); r.read()
            print("refused", r.status >= 400, c.sock is first)
            c.request("GET", "/moto-api/"); r = c.getresponse(); r.read()
            print("again", r.status, c.sock is first)
            c.putrequest("POST", "/"); c.putheader("Transfer-Encoding", "chunked"); c.endheaders()
            c.send(b"5\\r\\nhello\\r\\n0\\r\\n\\r\\n"); r = c.getresponse(); r.read()
            print("chunked", r.getheader("Connection"))
            """
        let python = try #require(findExecutable("python3"))
        let result = try await runProcess(executable: python, arguments: ["-c", script, String(moto.port)])
        let lines = result.stdout.split(separator: "\n").map(String.init)
        #expect(lines == ["first 200 None", "refused True True", "again 200 True", "chunked close"], "\(result)")
        #expect(try await moto.awsJSON(["sts", "get-caller-identity"])["Account"] == "123456789012")
    }

    @Test func signatureCheckingIsOn() async throws {
        let moto = try await MotoServer.shared()
        let wrongSecret = ["AWS_SECRET_ACCESS_KEY": String(moto.secretAccessKey.reversed()) + "x"]

        // The right key succeeds, the same request with a wrong secret is rejected: query protocol (STS)...
        #expect(try await moto.aws(["sts", "get-caller-identity"]).succeeded)
        let rejected = try await moto.aws(["sts", "get-caller-identity"], extraEnvironment: wrongSecret)
        #expect(rejected.status != 0)
        #expect(rejected.stderr.contains("SignatureDoesNotMatch"), "\(rejected)")

        // ... rest-xml (S3) ...
        #expect(try await moto.aws(["s3api", "list-buckets"]).succeeded)
        let s3 = try await moto.aws(["s3api", "list-buckets"], extraEnvironment: wrongSecret)
        #expect(s3.status != 0)
        #expect(s3.stderr.contains("SignatureDoesNotMatch"), "\(s3)")

        // ... and JSON (ECR).
        #expect(try await moto.aws(["ecr", "describe-repositories"]).succeeded)
        let ecr = try await moto.aws(["ecr", "describe-repositories"], extraEnvironment: wrongSecret)
        #expect(ecr.status != 0)
        #expect(
            ecr.stderr.contains("SignatureDoesNotMatch") || ecr.stderr.contains("UnrecognizedClient")
                || ecr.stderr.contains("InvalidSignature"), "\(ecr)")

        // A key moto does not know (moto's default "any key works" is off).
        let unknown = try await moto.aws(
            ["s3api", "list-buckets"],
            extraEnvironment: ["AWS_ACCESS_KEY_ID": "AKIAUNKNOWNUNKNOWN00", "AWS_SECRET_ACCESS_KEY": "x"])
        #expect(unknown.status != 0)
        #expect(
            unknown.stderr.contains("InvalidAccessKeyId") || unknown.stderr.contains("InvalidClientTokenId"),
            "\(unknown)")
    }

    @Test func environmentIsolatesChildProcesses() async throws {
        let moto = try await MotoServer.shared()
        let environment = moto.environment()
        #expect(environment["AWS_ENDPOINT_URL"] == moto.endpoint.absoluteString)
        #expect(environment["AWS_REGION"] == "us-east-1" && environment["AWS_DEFAULT_REGION"] == "us-east-1")
        #expect(environment["AWS_ACCESS_KEY_ID"] == moto.accessKeyID)
        #expect(environment["AWS_SECRET_ACCESS_KEY"] == moto.secretAccessKey)
        #expect(environment["AWS_EC2_METADATA_DISABLED"] == "true")
        #expect(environment["AWS_PAGER"] == "")
        #expect(environment["AWS_PROFILE"] == nil && environment["AWS_SESSION_TOKEN"] == nil)
        #expect(environment["PATH"] == ProcessInfo.processInfo.environment["PATH"])
        #expect(environment["NO_PROXY"]?.hasPrefix("127.0.0.1,localhost") == true)

        let home = try #require(environment["HOME"])
        #expect(home != ProcessInfo.processInfo.environment["HOME"])
        #expect(try FileManager.default.contentsOfDirectory(atPath: home).isEmpty)
        let configFile = try #require(environment["AWS_CONFIG_FILE"])
        let credentialsFile = try #require(environment["AWS_SHARED_CREDENTIALS_FILE"])
        #expect(configFile.hasPrefix(home + "/") && credentialsFile.hasPrefix(home + "/"))
        #expect(!FileManager.default.fileExists(atPath: configFile))
        #expect(!FileManager.default.fileExists(atPath: credentialsFile))
        #expect(moto.environment()["HOME"] != home, "every call gets a fresh HOME")

        // Region and extra variables.
        let other = moto.environment(region: "eu-west-3", extra: ["CAIRN_FLAG": "1", "AWS_REGION": "ap-south-1"])
        #expect(other["AWS_DEFAULT_REGION"] == "eu-west-3")
        #expect(other["AWS_REGION"] == "ap-south-1")
        #expect(other["CAIRN_FLAG"] == "1")

        // The CLI really takes its credentials from the environment.
        let configured = try await moto.aws(["configure", "list"])
        #expect(configured.succeeded, "\(configured)")
        #expect(configured.stdout.contains("env"), "\(configured)")
    }

    @Test func createAndListS3Buckets() async throws {
        let moto = try await MotoServer.shared()
        let bucket = "cairn-harness-\(UUID().uuidString.lowercased().prefix(12))"
        try await moto.aws(["s3api", "create-bucket", "--bucket", bucket]).requireSuccess("create-bucket")
        let listing = try await moto.awsJSON(["s3api", "list-buckets"])
        let names = (listing["Buckets"].array ?? []).compactMap { $0["Name"].string }
        #expect(names.contains(bucket))

        // The high-level commands work too.
        let ls = try await moto.aws(["s3", "ls"])
        #expect(ls.succeeded && ls.stdout.contains(bucket), "\(ls)")

        // Decoding into a Decodable type, its members named as the JSON's.
        // swift-format-ignore: AlwaysUseLowerCamelCase
        struct Buckets: Decodable {
            struct Bucket: Decodable { let Name: String }
            let Buckets: [Bucket]
        }
        let decoded = try await moto.awsJSON(["s3api", "list-buckets"], as: Buckets.self)
        #expect(decoded.Buckets.contains { $0.Name == bucket })

        #expect(try await moto.awsJSON(["s3api", "delete-bucket", "--bucket", bucket]) == .null)
        let afterwards = try await moto.awsJSON(["s3api", "list-buckets"])
        #expect(!(afterwards["Buckets"].array ?? []).contains { $0["Name"].string == bucket })
    }

    @Test func s3BucketInEuNorth1() async throws {
        let moto = try await MotoServer.shared()
        let bucket = "cairn-harness-\(UUID().uuidString.lowercased().prefix(12))"
        _ = try await moto.awsJSON(
            [
                "s3api", "create-bucket", "--bucket", bucket,
                "--create-bucket-configuration", "LocationConstraint=eu-north-1",
            ],
            region: "eu-north-1")
        let location = try await moto.awsJSON(["s3api", "get-bucket-location", "--bucket", bucket], region: "eu-north-1")
        #expect(location["LocationConstraint"] == "eu-north-1")
        let deleted = try await moto.aws(["s3api", "delete-bucket", "--bucket", bucket], region: "eu-north-1")
        #expect(deleted.status == 0, "\(deleted)")
    }

    @Test func failingCommandThrowsWithTheCLIsMessage() async throws {
        let moto = try await MotoServer.shared()
        do {
            _ = try await moto.awsJSON(["s3api", "get-bucket-location", "--bucket", "cairn-does-not-exist"])
            Issue.record("awsJSON should have thrown")
        } catch let error as TestSupportError {
            #expect(error.message.contains("NoSuchBucket"), "\(error)")
        }
    }

    @Test func boto3EscapeHatch() async throws {
        let moto = try await MotoServer.shared()
        let result = try await moto.python(
            """
            import boto3, json
            sts = boto3.client("sts")
            print(json.dumps({"arn": sts.get_caller_identity()["Arn"], "region": sts.meta.region_name}))
            """)
        #expect(result.succeeded, "\(result)")
        let json = try JSONValue(parsing: result.stdout)
        #expect(json["arn"].string?.hasSuffix(":user/cairn-test-admin") == true)
        #expect(json["region"] == "us-east-1")
    }

    /// What scripts/moto-server corrects for Terraform's AWS provider: CodePipeline's times as epoch seconds (the AWS
    /// SDK for Go cannot decode moto's ISO strings), and an ECS service's availabilityZoneRebalancing kept and returned.
    @Test func pipelineTimesAndAServicesRebalancingAreAnsweredAsAWSDoes() async throws {
        let moto = try await MotoServer.shared()
        let name = "patch-\(UUID().uuidString.prefix(8).lowercased())"
        let result = try await moto.python(
            """
            import boto3, json
            raw = {}
            def keep(response_dict=None, **kwargs):
                raw["body"] = json.loads(response_dict["body"])
            iam, pipelines, ecs = boto3.client("iam"), boto3.client("codepipeline"), boto3.client("ecs")
            trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "codepipeline.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
            role = iam.create_role(RoleName="\(name)", AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
            action = lambda stage, provider, owner, config, out: {"name": stage, "actions": [{"name": stage, "actionTypeId": {"category": stage, "owner": owner,
                "provider": provider, "version": "1"}, "configuration": config, "outputArtifacts": out, "inputArtifacts": [] if out else [{"name": "src"}]}]}
            pipelines.create_pipeline(pipeline={"name": "\(name)", "roleArn": role, "artifactStore": {"type": "S3", "location": "artifacts"}, "stages": [
                action("Source", "S3", "AWS", {"S3Bucket": "artifacts", "S3ObjectKey": "k"}, [{"name": "src"}]),
                action("Build", "CodeBuild", "AWS", {"ProjectName": "project"}, [])]})
            pipelines.meta.events.register("before-parse.codepipeline", keep)
            pipelines.get_pipeline(name="\(name)")
            created = raw["body"]["metadata"]["created"]
            pipelines.list_pipelines()
            listed = [p["created"] for p in raw["body"]["pipelines"] if p["name"] == "\(name)"]
            ecs.create_cluster(clusterName="\(name)")
            ecs.register_task_definition(family="\(name)", containerDefinitions=[{"name": "app", "image": "nginx", "memory": 128}])
            ecs.create_service(cluster="\(name)", serviceName="default", taskDefinition="\(name)", desiredCount=0)
            ecs.create_service(cluster="\(name)", serviceName="off", taskDefinition="\(name)", desiredCount=0, availabilityZoneRebalancing="DISABLED")
            services = ecs.describe_services(cluster="\(name)", services=["default", "off"])["services"]
            print(json.dumps({"created": created, "listed": listed[0],
                              "rebalancing": [s.get("availabilityZoneRebalancing") for s in services]}))
            """)
        #expect(result.succeeded, "\(result)")
        let answer = try JSONValue(parsing: result.stdout)
        #expect(answer["created"].double != nil, "GetPipeline's metadata.created is epoch seconds: \(answer)")
        #expect(answer["listed"].double != nil, "ListPipelines' created is epoch seconds: \(answer)")
        #expect(answer["rebalancing"] == ["ENABLED", "DISABLED"], "AWS's default for a new service, and the value given")
    }

    @Test func privateServerIsIsolatedAndStops() async throws {
        let shared = try await MotoServer.shared()
        let moto = try await MotoServer.start()
        #expect(moto.port != shared.port)
        #expect(moto.accessKeyID != shared.accessKeyID)
        let queue = "cairn-private-\(UUID().uuidString.prefix(8))"
        _ = try await moto.awsJSON(["sqs", "create-queue", "--queue-name", queue])
        let sharedQueues = try await shared.awsJSON(["sqs", "list-queues"])
        #expect(!"\(sharedQueues)".contains(queue))
        // The shared server's key means nothing to the private server.
        let foreign = try await moto.aws(
            ["sts", "get-caller-identity"],
            extraEnvironment: ["AWS_ACCESS_KEY_ID": shared.accessKeyID, "AWS_SECRET_ACCESS_KEY": shared.secretAccessKey])
        #expect(foreign.status != 0)

        moto.stop()
        #expect(!moto.isRunning)
        #expect(!FileManager.default.fileExists(atPath: moto.directory.path))
        #expect(try !portAcceptsConnections(moto.port), "port \(moto.port) still accepts connections")
    }

    /// The watchdog that keeps moto from outliving the test process: its parent (a shell) exits,
    /// and the watched command must die with it.
    @Test func watchdogKillsTheCommandWhenItsParentDies() async throws {
        let scripts = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("TestSupport/scripts/watchdog.py").path
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let pidFile = directory.appendingPathComponent("child.pid").path
        let cleanup = directory.appendingPathComponent("cleanup", isDirectory: true)
        try FileManager.default.createDirectory(at: cleanup, withIntermediateDirectories: true)
        // The shell starts the watchdog in the background, waits for the pid file, and exits.
        let shell = """
            python3 "\(scripts)" --parent-pid $$ --pid-file "\(pidFile)" --cleanup "\(cleanup.path)" -- sleep 300 \
              >/dev/null 2>&1 </dev/null &
            for i in $(seq 1200); do [ -s "\(pidFile)" ] && exit 0; sleep 0.1; done
            exit 1
            """
        let result = try await runProcess(executable: "/bin/sh", arguments: ["-c", shell])
        #expect(result.status == 0, "\(result)")
        let text = try String(contentsOfFile: pidFile, encoding: .utf8)
        let child = try #require(pid_t(text.trimmingCharacters(in: .whitespacesAndNewlines)))
        #expect(await waitUntilDead(child, seconds: 120), "watched command \(child) outlived its watchdog's parent")
        let deadline = Date().addingTimeInterval(120)  // bound: the watchdog removes it within a second
        while FileManager.default.fileExists(atPath: cleanup.path) && Date() < deadline {
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(!FileManager.default.fileExists(atPath: cleanup.path))
    }
}

/// Whether something listens on 127.0.0.1:`port`.
func portAcceptsConnections(_ port: Int) throws -> Bool {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw TestSupportError("socket() failed") }
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = in_port_t(UInt16(port).bigEndian)
    address.sin_addr = in_addr(s_addr: UInt32(0x7f00_0001).bigEndian)
    let result = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
        }
    }
    return result == 0
}
