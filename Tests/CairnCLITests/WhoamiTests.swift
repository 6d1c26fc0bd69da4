import Foundation
import TestSupport
import Testing

/// `whoami` through `cairn-fixtures`, whose stack `fixture-app` declares region eu-north-1.
private func cairn(_ arguments: [String], environment: [String: String]) async throws -> ProcessResult {
    try await runProcess(executable: CairnRunner.fixtures, arguments: arguments, environment: environment, timeout: .seconds(120))
}

@Suite(.integration) struct WhoamiTests {
    @Test func textOutputNamesEverySource() async throws {
        let moto = try await MotoServer.shared()
        let expected = try await moto.awsJSON(["sts", "get-caller-identity"])
        let result = try await cairn(["whoami"], environment: moto.environment())
        #expect(result.status == 0, "\(result)")
        #expect(
            result.stdout == """
                Account:      \(moto.account)
                Identity:     arn:aws:iam::\(moto.account):user/\(moto.userName)
                User id:      \(expected["UserId"].string ?? "?")
                Region:       us-east-1  (from AWS_REGION)
                Credentials:  environment variables (AWS_ACCESS_KEY_ID)
                Endpoint:     \(moto.endpoint.absoluteString)  (from AWS_ENDPOINT_URL)
                Timeouts:     \(MotoServer.requestBound.components.seconds) s per attempt (from CAIRN_HTTP_TIMEOUT), 60 s to connect (default)

                """)
        #expect(result.stderr == "")
    }

    @Test func jsonOutput() async throws {
        let moto = try await MotoServer.shared()
        var environment = moto.environment(region: "eu-west-1")
        environment["CAIRN_HTTP_TIMEOUT"] = nil  // AWS's default, as it is shown
        let result = try await cairn(["whoami", "--format", "json"], environment: environment)
        #expect(result.status == 0, "\(result)")
        let json = try JSONValue(parsing: result.stdout)
        #expect(json["account"].string == moto.account)
        #expect(json["arn"].string == "arn:aws:iam::\(moto.account):user/\(moto.userName)")
        #expect(json["userId"].string?.isEmpty == false)
        #expect(json["profile"].string == "default")
        #expect(json["region"].string == "eu-west-1")
        #expect(json["regionSource"].string == "AWS_REGION")
        #expect(json["credentialsSource"].string == "environment variables (AWS_ACCESS_KEY_ID)")
        #expect(json["endpoint"].string == moto.endpoint.absoluteString)
        #expect(json["endpointSource"].string == "AWS_ENDPOINT_URL")
        #expect(json["timeoutSeconds"].int == 60)
        #expect(json["timeoutSource"].string == "default")
        #expect(json["connectTimeoutSeconds"].int == 60)
        #expect(json["connectTimeoutSource"].string == "default")
        #expect(
            json.object?.keys.sorted() == [
                "account", "arn", "connectTimeoutSeconds", "connectTimeoutSource", "credentialsSource", "endpoint",
                "endpointSource", "profile", "region", "regionSource", "timeoutSeconds", "timeoutSource", "userId",
            ])
    }

    @Test func profileSources() async throws {
        let moto = try await MotoServer.shared()
        var environment = moto.environment()
        environment["AWS_ACCESS_KEY_ID"] = nil
        environment["AWS_SECRET_ACCESS_KEY"] = nil
        environment["AWS_REGION"] = nil
        environment["AWS_DEFAULT_REGION"] = nil
        let configFile = try #require(environment["AWS_CONFIG_FILE"])
        let credentialsFile = try #require(environment["AWS_SHARED_CREDENTIALS_FILE"])
        try FileManager.default.createDirectory(atPath: (configFile as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try Data("[profile ops]\nregion = ap-southeast-2\n".utf8).write(to: URL(fileURLWithPath: configFile))
        try Data("[ops]\naws_access_key_id = \(moto.accessKeyID)\naws_secret_access_key = \(moto.secretAccessKey)\n".utf8)
            .write(to: URL(fileURLWithPath: credentialsFile))

        for arguments in [["whoami", "--format", "json", "--profile", "ops"], ["whoami", "--format", "json"]] {
            let env = arguments.contains("--profile") ? environment : environment.merging(["AWS_PROFILE": "ops"]) { $1 }
            let result = try await cairn(arguments, environment: env)
            #expect(result.status == 0, "\(result)")
            let json = try JSONValue(parsing: result.stdout)
            #expect(json["profile"].string == "ops")
            #expect(json["account"].string == moto.account)
            #expect(json["region"].string == "ap-southeast-2")
            #expect(json["regionSource"].string == "profile 'ops' in \(configFile)")
            #expect(json["credentialsSource"].string == "profile 'ops' in \(credentialsFile)")
        }
    }

    /// The one region rule, as every stack command applies it: --region, the stack's declared region,
    /// then AWS_REGION and the profile.
    @Test func aStackDeclaredRegionComesAfterTheFlagAndBeforeTheEnvironment() async throws {
        let moto = try await MotoServer.shared()
        let environment = moto.environment(extra: ["AWS_REGION": "us-west-2"])
        let declared = try await cairn(["whoami", "fixture-app", "--format", "json"], environment: environment)
        #expect(declared.status == 0, "\(declared)")
        #expect(try JSONValue(parsing: declared.stdout)["region"].string == "eu-north-1")
        #expect(try JSONValue(parsing: declared.stdout)["regionSource"].string == "the stack's declared region")
        let flag = try await cairn(["whoami", "fixture-app", "--format", "json", "--region", "ca-central-1"], environment: environment)
        #expect(try JSONValue(parsing: flag.stdout)["regionSource"].string == "--region")
        let none = try await cairn(["whoami", "--format", "json"], environment: environment)
        #expect(try JSONValue(parsing: none.stdout)["regionSource"].string == "AWS_REGION")
        let unknown = try await cairn(["whoami", "no-such-stack"], environment: environment)
        #expect(unknown.status == 1)
        #expect(unknown.stderr.contains("There is no stack named 'no-such-stack'"), "\(unknown)")
    }

    @Test func regionOptionIsNamedAsTheSource() async throws {
        let moto = try await MotoServer.shared()
        let result = try await cairn(["whoami", "--format", "json", "--region", "ca-central-1"], environment: moto.environment())
        #expect(result.status == 0, "\(result)")
        let json = try JSONValue(parsing: result.stdout)
        #expect(json["region"].string == "ca-central-1")
        #expect(json["regionSource"].string == "--region")
    }

    @Test func cairnLogDebugPrintsOneLinePerCall() async throws {
        let moto = try await MotoServer.shared()
        let quiet = try await cairn(["whoami"], environment: moto.environment())
        #expect(quiet.status == 0)
        #expect(quiet.stderr == "")

        for (arguments, extra) in [(["whoami"], ["CAIRN_LOG": "debug"]), (["whoami", "--verbose"], [:])] {
            let result = try await cairn(arguments, environment: moto.environment(extra: extra))
            #expect(result.status == 0, "\(result)")
            let lines = result.stderr.split(separator: "\n").map(String.init)
            #expect(lines.count == 1, "\(result)")
            let line = try #require(lines.first)
            #expect(line.wholeMatch(of: /cairn: aws STS\.GetCallerIdentity status=200 attempt=1 latency=\d+ms request-id=\S+/) != nil, "\(line)")
            #expect(!result.stderr.contains(moto.secretAccessKey))
            #expect(result.stdout.hasPrefix("Account:      \(moto.account)\n"))
        }
    }

    @Test func wrongCredentialsExitOneWithTheActionableSentence() async throws {
        let moto = try await MotoServer.shared()
        let result = try await cairn(["whoami"], environment: moto.environment(extra: ["AWS_SECRET_ACCESS_KEY": "wrong-secret"]))
        #expect(result.status == 1)
        #expect(result.stdout == "")
        #expect(
            result.stderr.hasPrefix(
                "Error: STS GetCallerIdentity failed: SignatureDoesNotMatch: The request signature we calculated does not match the signature you provided."
            ))
        #expect(
            result.stderr.contains(
                " The request signature was rejected: check the secret access key (AWS_SECRET_ACCESS_KEY or aws_secret_access_key) and the machine's clock. (HTTP 403"
            ))
        #expect(result.stderr.hasSuffix(")\n"))
        #expect(result.stderr.split(separator: "\n").count == 1)
        #expect(!result.stderr.contains("wrong-secret"))

        let unknown = try await cairn(["whoami"], environment: moto.environment(extra: ["AWS_ACCESS_KEY_ID": "AKIAUNKNOWNKEY000000"]))
        #expect(unknown.status == 1)
        #expect(unknown.stderr.hasPrefix("Error: STS GetCallerIdentity failed: InvalidClientTokenId: "))
        #expect(unknown.stderr.contains("The access key id is not valid: check AWS_ACCESS_KEY_ID or the profile's aws_access_key_id."))
    }

    @Test func anUnreachableEndpointExitsOne() async throws {
        let moto = try await MotoServer.shared()
        let closed = try ClosedLoopbackPort()
        defer { closed.close() }
        let port = closed.port
        let started = ContinuousClock.now
        let result = try await cairn(["whoami"], environment: moto.environment(extra: ["AWS_ENDPOINT_URL": "http://127.0.0.1:\(port)"]))
        // Ten retried attempts with backoff would take minutes; a hang-sized bound shows there was no retry loop.
        #expect(ContinuousClock.now - started < .seconds(60))  // bound: only a retry loop takes this long
        #expect(result.status == 1)
        #expect(result.stdout == "")
        #expect(result.stderr.hasPrefix("Error: Cannot reach STS at http://127.0.0.1:\(port) (127.0.0.1:\(port): "), "\(result)")
        #expect(result.stderr.hasSuffix("). Check the endpoint (AWS_ENDPOINT_URL, the profile's endpoint_url) and the network.\n"))
    }

    @Test func configurationProblemsExitOne() async throws {
        let moto = try await MotoServer.shared()
        let unknownProfile = try await cairn(["whoami", "--profile", "nope"], environment: moto.environment())
        #expect(unknownProfile.status == 1)
        #expect(unknownProfile.stderr.hasPrefix("Error: The profile 'nope' (from --profile) is not in "))
        #expect(unknownProfile.stderr.hasSuffix(": add it with `aws configure --profile nope`, or name an existing profile.\n"))

        var noCredentials = moto.environment()
        noCredentials["AWS_ACCESS_KEY_ID"] = nil
        noCredentials["AWS_SECRET_ACCESS_KEY"] = nil
        let none = try await cairn(["whoami"], environment: noCredentials)
        #expect(none.status == 1)
        #expect(none.stderr.hasPrefix("Error: No AWS credentials found: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, "))

        let badRegion = try await cairn(["whoami", "--region", "moon-base-one"], environment: moto.environment())
        #expect(badRegion.status == 1)
        #expect(badRegion.stderr.hasPrefix("Error: The region 'moon-base-one' (from "))
        #expect(
            badRegion.stderr.hasSuffix(
                ") is not an AWS region name such as us-east-1: fix it, or set CAIRN_SKIP_REGION_VALIDATION=1 for a region AWS opened since.\n"))
        let typo = try await cairn(["whoami", "--region", "eu-nort-1"], environment: moto.environment())
        #expect(typo.status == 1)
        #expect(typo.stderr.contains("(did you mean eu-north-1?)"), "\(typo)")
    }

    /// Each kind of profile the credentials issue added, through the `cairn` executable: whoami names its source,
    /// and a bad one exits 1 with one sentence.
    @Test func credentialProcessSSOAndCABundleSources() async throws {
        let moto = try await MotoServer.shared()
        var environment = moto.environment()
        environment["AWS_ACCESS_KEY_ID"] = nil
        environment["AWS_SECRET_ACCESS_KEY"] = nil
        let home = try #require(environment["HOME"])
        let configFile = try #require(environment["AWS_CONFIG_FILE"])
        try FileManager.default.createDirectory(atPath: (configFile as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        let script = home + "/creds.sh"
        try Data(
            "#!/bin/sh\necho '{\"Version\": 1, \"AccessKeyId\": \"\(moto.accessKeyID)\", \"SecretAccessKey\": \"\(moto.secretAccessKey)\"}'\n".utf8
        ).write(to: URL(fileURLWithPath: script))
        try FileManager.default.setAttributes([.posixPermissions: 0o700], ofItemAtPath: script)
        let failing = home + "/fail.sh"
        try Data("#!/bin/sh\necho 'helper: session locked' >&2\nexit 2\n".utf8).write(to: URL(fileURLWithPath: failing))
        try FileManager.default.setAttributes([.posixPermissions: 0o700], ofItemAtPath: failing)
        try Data(
            """
            [profile ops]
            credential_process = \(script)
            [profile broken]
            credential_process = \(failing)
            [profile dev]
            sso_session = corp
            sso_account_id = 1
            sso_role_name = R
            [profile lost]
            sso_session = nowhere
            sso_account_id = 1
            sso_role_name = R
            [sso-session corp]
            sso_start_url = https://corp.awsapps.com/start
            sso_region = eu-central-1

            """.utf8
        ).write(to: URL(fileURLWithPath: configFile))

        let ops = try await cairn(["whoami", "--profile", "ops"], environment: environment)
        #expect(ops.status == 0, "\(ops)")
        #expect(ops.stdout.contains("\nCredentials:  credential_process of profile 'ops'\n"), "\(ops)")

        let pem = home + "/ca.pem"
        try Data(TestCertificates.selfSignedPEM.utf8).write(to: URL(fileURLWithPath: pem))
        let withBundle = try await cairn(
            ["whoami", "--profile", "ops"], environment: environment.merging(["AWS_CA_BUNDLE": pem, "HTTPS_PROXY": "http://proxy:3128"]) { $1 })
        #expect(withBundle.status == 0, "\(withBundle)")
        // moto is an http endpoint, so HTTPS_PROXY does not apply to it.
        #expect(withBundle.stdout.hasSuffix("\nNetwork:      direct; CA bundle \(pem) from AWS_CA_BUNDLE\n"), "\(withBundle)")

        let cases: [([String], [String: String], String)] = [
            (["--profile", "broken"], [:], "Error: The credential_process of profile 'broken' exited with status 2: helper: session locked.\n"),
            (
                ["--profile", "dev"], [:],
                "Error: The SSO session associated with profile 'dev' has expired or is otherwise invalid (no cached token in \(home)/.aws/sso/cache/ee0bfd2552fbd840c02cc48b6e823320543c450f.json): to refresh it, run `aws sso login --profile dev`.\n"
            ),
            (
                ["--profile", "lost"], [:],
                "Error: Profile 'lost' names sso_session 'nowhere', which is not defined: add an [sso-session nowhere] section to \(configFile) (`aws configure sso-session` writes one) or fix the name.\n"
            ),
            (
                ["--profile", "ops"], ["AWS_CA_BUNDLE": home + "/missing.pem"],
                "Error: Cannot read the CA bundle \(home)/missing.pem (from AWS_CA_BUNDLE): check that the file exists and is readable.\n"
            ),
            (
                ["--profile", "ops"], ["HTTPS_PROXY": "ftp://proxy"],
                "Error: HTTPS_PROXY is 'ftp://proxy', which is not a proxy URL: use http://HOST:PORT (with USER:PASSWORD@ before the host if it needs them).\n"
            ),
        ]
        for (arguments, extra, expected) in cases {
            let result = try await cairn(["whoami"] + arguments, environment: environment.merging(extra) { $1 })
            #expect(result.status == 1, "\(result)")
            #expect(result.stdout == "")
            #expect(result.stderr == expected)
        }
    }
}

/// `AWS_CA_BUNDLE` on a real TLS connection: a self-signed HTTPS endpoint (openssl, Python's ssl) that answers
/// STS, trusted with the bundle and refused without it. One shell runs the server and both `cairn whoami`s, so
/// nothing outlives the test.
@Suite(.integration) struct CABundleEndToEndTests {
    @Test func theBundleIsTrustedAndNothingElse() async throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let server = directory.appendingPathComponent("sts.py")
        try Data(
            """
            import http.server, ssl, sys
            class H(http.server.BaseHTTPRequestHandler):
                def do_POST(self):
                    self.rfile.read(int(self.headers.get('Content-Length', 0)))
                    body = b'<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult><Arn>arn:aws:iam::111122223333:user/tls</Arn><UserId>AIDATLS</UserId><Account>111122223333</Account></GetCallerIdentityResult></GetCallerIdentityResponse>'
                    self.send_response(200); self.send_header('Content-Type', 'text/xml'); self.send_header('Content-Length', str(len(body))); self.end_headers(); self.wfile.write(body)
                def log_message(self, *a): pass
            s = http.server.ThreadingHTTPServer(('127.0.0.1', 0), H)
            c = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER); c.load_cert_chain(sys.argv[1], sys.argv[2])
            s.socket = c.wrap_socket(s.socket, server_side=True)
            open(sys.argv[3] + '.tmp', 'w').write(str(s.server_address[1])); __import__('os').rename(sys.argv[3] + '.tmp', sys.argv[3])
            s.serve_forever()
            """.utf8
        ).write(to: server)
        let script = """
            set -eu
            cd "$1"
            openssl req -x509 -newkey rsa:2048 -nodes -keyout key.pem -out cert.pem -days 2 -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 2>/dev/null
            python3 sts.py cert.pem key.pem port & server=$!
            trap 'kill $server' EXIT
            for _ in $(seq 100); do [ -f port ] && break; sleep 0.1; done
            export AWS_ENDPOINT_URL="https://127.0.0.1:$(cat port)"
            echo "--- trusted"
            AWS_CA_BUNDLE="$1/cert.pem" "$2" whoami 2>&1 || echo "exit $?"
            echo "--- untrusted"
            AWS_MAX_ATTEMPTS=1 "$2" whoami 2>&1 || echo "exit $?"
            """
        let home = directory.appendingPathComponent("home").path
        let result = try await runProcess(
            executable: "/bin/bash", arguments: ["-c", script, "bash", directory.path, CairnRunner.fixtures],
            environment: [
                "PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin", "HOME": home, "AWS_REGION": "us-east-1",
                "AWS_ACCESS_KEY_ID": "AKIAEXAMPLE", "AWS_SECRET_ACCESS_KEY": "secret", "AWS_CONFIG_FILE": "\(home)/config",
                "AWS_SHARED_CREDENTIALS_FILE": "\(home)/credentials", "NO_PROXY": "127.0.0.1",
            ], timeout: .seconds(120))
        let parts = result.stdout.components(separatedBy: "--- untrusted")
        let trusted = parts.first ?? ""
        let untrusted = parts.count > 1 ? parts[1] : ""
        #expect(trusted.contains("Account:      111122223333"), "\(result)")
        #expect(trusted.contains("Network:      CA bundle \(directory.path)/cert.pem from AWS_CA_BUNDLE"), "\(result)")
        #expect(untrusted.contains("CERTIFICATE_VERIFY_FAILED") && untrusted.contains("exit 1"), "\(result)")
    }
}
