import Foundation
import TestSupport
import Testing

/// The fault proxy itself, seen by independent clients (the aws CLI, boto3) that go through it to the shared moto.
/// Every client makes one attempt per call, so what a rule does shows as it is; names are unique per test, since
/// other tests use the same moto meanwhile.
@Suite(.integration) struct FaultProxyTests {
    /// Runs a boto3 script through the proxy (`PROXY`), with moto's own endpoint in `MOTO` for comparisons, one
    /// attempt per call; it prints one JSON document.
    private func boto3(_ proxy: FaultProxy, _ moto: MotoServer, _ body: String) async throws -> JSONValue {
        let script = """
            import json, os, sys, boto3
            from botocore.config import Config
            ONCE = Config(retries={"total_max_attempts": 1, "mode": "standard"})
            PROXY, MOTO = os.environ["PROXY"], os.environ["MOTO"]
            def client(service, endpoint=None):
                return boto3.client(service, endpoint_url=endpoint or PROXY, config=ONCE)
            def outcome(call):
                try:
                    call()
                    return "ok"
                except Exception as error:
                    response = getattr(error, "response", None) or {}
                    if "Error" in response:
                        return "%s %s" % (response["Error"].get("Code"), response["ResponseMetadata"].get("HTTPStatusCode"))
                    return type(error).__name__
            \(body)
            """
        let result = try await moto.python(
            script, extraEnvironment: ["PROXY": proxy.endpoint.absoluteString, "MOTO": moto.endpoint.absoluteString],
            timeout: .seconds(600))  // bound: seconds normally, minutes on a busy 2-core machine
        guard result.status == 0 else {
            throw TestSupportError("the boto3 script failed: \(result)\n--- proxy ---\n\(proxy.logTail(maxBytes: 2_000))")
        }
        return try JSONValue(parsing: result.stdout)
    }

    @Test func injectedErrorsComeInEachServicesWireFormat() async throws {
        let moto = try await MotoServer.shared()
        let proxy = try await FaultProxy.start(upstream: moto)
        defer { proxy.stop() }
        let role = "fault-proxy-\(UUID().uuidString.prefix(8).lowercased())"
        let bucket = role
        try await moto.aws(["s3api", "create-bucket", "--bucket", bucket]).requireSuccess()
        try await proxy.add([
            .noSuchEntity("iam:GetRole").count(1),  // query
            .throttle("ecr:DescribeRepositories").count(1),  // json
            .throttle("s3:GetBucketVersioning").count(1),  // rest-xml: SlowDown 503
            .serviceUnavailable("s3:GetBucketTagging").count(1),
            .internalError("iam:ListRoles").count(1),
            .throttle("ec2:DescribeVpcs").count(1),  // ec2: RequestLimitExceeded 503
            .throttle("cloudfront:ListDistributions").count(1),  // rest-xml with ErrorResponse
            .roleNotAssumable("codebuild:ListProjects", role: "arn:aws:iam::123456789012:role/\(role)").count(1),
            .error("iam:CreateRole", code: "ServiceFailure", status: 500, forward: true).count(1),
        ])
        let seen = try await boto3(
            proxy, moto,
            """
            iam, s3 = client("iam"), client("s3")
            calls = [
                lambda: iam.get_role(RoleName="\(role)"),
                lambda: client("ecr").describe_repositories(),
                lambda: s3.get_bucket_versioning(Bucket="\(bucket)"),
                lambda: s3.get_bucket_tagging(Bucket="\(bucket)"),
                lambda: iam.list_roles(),
                lambda: client("ec2").describe_vpcs(),
                lambda: client("cloudfront").list_distributions(),
                lambda: client("codebuild").list_projects(),
                lambda: iam.create_role(RoleName="\(role)", AssumeRolePolicyDocument="{}"),
            ]
            first = [outcome(call) for call in calls]
            second = [outcome(call) for call in calls[:-1]]  # each rule acted once
            print(json.dumps({"first": first, "second": second}))
            """)
        #expect(
            seen["first"]
                == [
                    "NoSuchEntity 404", "ThrottlingException 400", "SlowDown 503", "ServiceUnavailable 503", "InternalFailure 500",
                    "RequestLimitExceeded 503", "Throttling 400", "InvalidInputException 400", "ServiceFailure 500",
                ])
        // Each rule acted once; the role is there the second time: the create answered ServiceFailure took effect.
        #expect(seen["second"] == ["ok", "ok", "ok", "NoSuchTagSet 404", "ok", "ok", "ok", "ok"])

        // Checked directly in moto too.
        let created = try await moto.awsJSON(["iam", "get-role", "--role-name", role])
        #expect(created["Role"]["RoleName"] == .string(role))
        // The aws CLI reads the same codes.
        try await proxy.add(.throttle("sts:GetCallerIdentity").count(1))
        let cli = try await proxy.aws(["sts", "get-caller-identity"], moto: moto)
        #expect(cli.status != 0)
        #expect(cli.stderr.contains("(Throttling)"), "\(cli)")

        let stats = try await proxy.stats()
        #expect(stats["iam:CreateRole"].forwarded == 1)
        #expect(stats["iam:CreateRole"].errors == ["ServiceFailure": 1])
        #expect(stats["s3:GetBucketVersioning"].errors == ["SlowDown": 1])
        #expect(stats["s3:GetBucketVersioning"].status == ["503": 1, "200": 1])
        #expect(stats.totals.injected == 10)
        _ = try await moto.aws(["iam", "delete-role", "--role-name", role])
        _ = try await moto.aws(["s3api", "delete-bucket", "--bucket", bucket])
    }

    @Test func resetConnectionsAreSeenAsSuch() async throws {
        let moto = try await MotoServer.shared()
        let proxy = try await FaultProxy.start(upstream: moto)
        defer { proxy.stop() }
        try await proxy.add([.reset("sts:GetCallerIdentity").count(1), .reset("iam:ListAccountAliases", at: .start).count(1)])
        let midBody = try await proxy.aws(["sts", "get-caller-identity"], moto: moto)
        #expect(midBody.status != 0)
        #expect(midBody.stderr.contains("Connection was closed") || midBody.stderr.contains("reset"), "\(midBody)")
        let atStart = try await proxy.aws(["iam", "list-account-aliases"], moto: moto)
        #expect(atStart.status != 0)
        #expect(atStart.stderr.contains("Connection was closed") || atStart.stderr.contains("reset"), "\(atStart)")
        // Each rule acted once.
        #expect(try await proxy.aws(["sts", "get-caller-identity"], moto: moto).succeeded)
        let stats = try await proxy.stats()
        #expect(stats.totals.resets == 2)
        #expect(stats["sts:GetCallerIdentity"].forwarded == 2, "the cut answer was moto's")
        #expect(stats["iam:ListAccountAliases"].forwarded == 0)
        #expect(stats["iam:ListAccountAliases"].status == ["0": 1])
    }

    /// S3's object calls share a method and a URI (PutObject, CopyObject, UploadPart; DeleteObject, AbortMultipartUpload):
    /// each is named by the required query and header members it carries, so that a rule for one acts on it alone.
    @Test func s3ObjectCallsAreNamedByWhatTheyCarry() async throws {
        let moto = try await MotoServer.shared()
        let proxy = try await FaultProxy.start(upstream: moto)
        defer { proxy.stop() }
        let bucket = "fault-proxy-\(UUID().uuidString.prefix(8).lowercased())"
        try await moto.aws(["s3api", "create-bucket", "--bucket", bucket]).requireSuccess()
        try await proxy.add(.error("s3:PutObject", code: "AccessDenied", status: 403).count(1))
        let body = try makeTemporaryDirectory().appendingPathComponent("body")
        try Data("x".utf8).write(to: body)
        let denied = try await proxy.aws(["s3api", "put-object", "--bucket", bucket, "--key", "a", "--body", body.path], moto: moto)
        #expect(denied.status != 0 && denied.stderr.contains("AccessDenied"), "\(denied)")
        try await proxy.aws(["s3api", "put-object", "--bucket", bucket, "--key", "a", "--body", body.path], moto: moto).requireSuccess()
        try await proxy.aws(["s3api", "copy-object", "--bucket", bucket, "--key", "b", "--copy-source", "\(bucket)/a"], moto: moto)
            .requireSuccess()
        for key in ["a", "b"] { try await proxy.aws(["s3api", "delete-object", "--bucket", bucket, "--key", key], moto: moto).requireSuccess() }
        let stats = try await proxy.stats()
        #expect(stats["s3:PutObject"].requests == 2 && stats["s3:PutObject"].injected == 1, "\(stats.operations.keys.sorted())")
        #expect(stats["s3:CopyObject"].requests == 1)
        #expect(stats["s3:DeleteObject"].requests == 2)
        #expect(stats["s3:AbortMultipartUpload"].requests == 0)
        _ = try await moto.aws(["s3api", "delete-bucket", "--bucket", bucket])
    }

    /// The shared moto, a proxy serving every list one item a page, and a name unique to the test.
    private func pagesOfOne() async throws -> (MotoServer, FaultProxy, String) {
        let moto = try await MotoServer.shared()
        let proxy = try await FaultProxy.start(upstream: moto)
        do {
            try await proxy.add(.paginate(pageSize: 1))
        } catch {
            proxy.stop()
            throw error
        }
        return (moto, proxy, "fault-proxy-\(UUID().uuidString.prefix(8).lowercased())")
    }

    /// Pages of one item, followed by boto3's paginators, together equal moto's whole answer: json (CloudWatch Logs,
    /// SSM), query (IAM), rest-xml (S3's ListObjectsV2 and ListObjectVersions, by their markers), ec2.
    @Test func pagesOfOneTogetherEqualMotosAnswer() async throws {
        let (moto, proxy, name) = try await pagesOfOne()
        defer { proxy.stop() }
        let result = try await boto3(
            proxy, moto,
            """
            name = "\(name)"
            direct = {service: client(service, MOTO) for service in ("iam", "logs", "s3", "ssm", "ec2")}
            for i in range(3):
                direct["iam"].create_role(RoleName="%s-%d" % (name, i), Path="/%s/" % name, AssumeRolePolicyDocument="{}")
                direct["logs"].create_log_group(logGroupName="/%s/%d" % (name, i))
                direct["ssm"].put_parameter(Name="/%s/%d" % (name, i), Value="v", Type="String")
                direct["ec2"].create_security_group(GroupName="%s-%d" % (name, i), Description="d")
            direct["s3"].create_bucket(Bucket=name)
            direct["s3"].put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
            for key in ("a", "b", "c"):
                for body in (b"1", b"2"):
                    direct["s3"].put_object(Bucket=name, Key=key, Body=body)
            direct["s3"].delete_object(Bucket=name, Key="b")
            calls = [
                ("iam", "list_roles", {"PathPrefix": "/%s/" % name}, "Roles"),
                ("logs", "describe_log_groups", {"logGroupNamePrefix": "/%s/" % name}, "logGroups"),
                ("ssm", "describe_parameters", {"ParameterFilters": [{"Key": "Name", "Option": "BeginsWith", "Values": ["/%s/" % name]}]}, "Parameters"),
                ("ec2", "describe_security_groups", {"Filters": [{"Name": "group-name", "Values": ["%s-%d" % (name, i) for i in range(3)]}]}, "SecurityGroups"),
                ("s3", "list_objects_v2", {"Bucket": name}, "Contents"),
                ("s3", "list_object_versions", {"Bucket": name}, "Versions"),
                ("s3", "list_object_versions", {"Bucket": name}, "DeleteMarkers"),
            ]
            report = {}
            for service, operation, arguments, key in calls:
                whole = getattr(direct[service], operation)(**arguments)[key]
                pages = list(client(service).get_paginator(operation).paginate(**arguments))
                paged = [item for page in pages for item in page.get(key, [])]
                report["%s.%s.%s" % (service, operation, key)] = {"equal": paged == whole, "items": len(whole), "pages": len(pages)}
            print(json.dumps(report))
            """)
        for (call, entry) in result.object ?? [:] {
            #expect(entry["equal"] == true, "\(call): the pages differ from moto's answer")
        }
        #expect(result["iam.list_roles.Roles"]["pages"] == 3)
        #expect(result["logs.describe_log_groups.logGroups"]["pages"] == 3)
        #expect(result["ssm.describe_parameters.Parameters"]["pages"] == 3)
        #expect(result["ec2.describe_security_groups.SecurityGroups"]["pages"] == 3)
        #expect(result["s3.list_objects_v2.Contents"]["pages"] == 2)
        // Six versions and one delete marker, one entry a page.
        #expect(result["s3.list_object_versions.Versions"]["items"] == 6)
        #expect(result["s3.list_object_versions.DeleteMarkers"]["pages"] == 7)

        let stats = try await proxy.stats()
        #expect(stats["iam:ListRoles"].truncated == 2, "two truncated pages")
        #expect(stats["iam:ListRoles"].continued == 2)
        #expect(stats["s3:ListObjectVersions"].continued == 6 * 2, "six markers per listing, two listings")
        #expect(stats.unfollowedOperations.isEmpty)
        #expect(stats.totals.unpaginated == 0)
        for operation in ["iam:ListRoles", "logs:DescribeLogGroups", "ssm:DescribeParameters", "ec2:DescribeSecurityGroups"] {
            #expect(stats[operation].maxItems == 3, "\(operation)")
        }
        for index in 0..<3 {
            _ = try await moto.aws(["iam", "delete-role", "--role-name", "\(name)-\(index)"])
            _ = try await moto.aws(["logs", "delete-log-group", "--log-group-name", "/\(name)/\(index)"])
            _ = try await moto.aws(["ssm", "delete-parameter", "--name", "/\(name)/\(index)"])
            _ = try await moto.aws(["ec2", "delete-security-group", "--group-name", "\(name)-\(index)"])
        }
    }

    /// CodeCommit's ListTagsForResource has no botocore paginator, but AWS pages it by `nextToken`: the proxy cuts it
    /// too (its EXTRA_PAGINATORS), a map's entries K at a time, and the pages followed by hand equal moto's whole map.
    @Test func listsWithoutABotocorePaginatorAreCutToo() async throws {
        let (moto, proxy, name) = try await pagesOfOne()
        defer { proxy.stop() }
        let result = try await boto3(
            proxy, moto,
            """
            direct, proxied = client("codecommit", MOTO), client("codecommit")
            arn = direct.create_repository(repositoryName="\(name)", tags={"a": "1", "b": "2", "c": "3"})["repositoryMetadata"]["Arn"]
            whole = direct.list_tags_for_resource(resourceArn=arn)["tags"]
            paged, pages, arguments = {}, 0, {"resourceArn": arn}
            while pages < 10:
                page = proxied.list_tags_for_resource(**arguments)
                pages += 1
                paged.update(page["tags"])
                if not page.get("nextToken"):
                    break
                arguments["nextToken"] = page["nextToken"]
            direct.delete_repository(repositoryName="\(name)")
            print(json.dumps({"equal": paged == whole, "items": len(whole), "pages": pages}))
            """)
        #expect(result["equal"] == true, "\(result)")
        #expect(result["items"] == 3)
        #expect(result["pages"] == 3)
        let stats = try await proxy.stats()
        #expect(stats["codecommit:ListTagsForResource"].truncated == 2)
        #expect(stats["codecommit:ListTagsForResource"].continued == 2)
        #expect(stats.totals.unpaginated == 0)
    }

    /// A token bucket of three tokens that never refills lets exactly three calls through (counted, never timed);
    /// a bucket per service is shared by its operations.
    @Test func throttlesAboveTheBucket() async throws {
        let moto = try await MotoServer.shared()
        let proxy = try await FaultProxy.start(upstream: moto)
        defer { proxy.stop() }
        try await proxy.add([
            .rateLimit("sts:GetCallerIdentity", rate: 0, burst: 3),
            .rateLimit("iam:*", rate: 0, burst: 2, per: .service),
            .rateLimit("s3:ListBuckets", rate: 0, burst: 1),
        ])
        let seen = try await boto3(
            proxy, moto,
            """
            sts, iam, s3 = client("sts"), client("iam"), client("s3")
            print(json.dumps({
                "sts": [outcome(sts.get_caller_identity) for _ in range(5)],
                "iam": [outcome(iam.list_account_aliases), outcome(iam.list_roles), outcome(iam.list_account_aliases)],
                "s3": [outcome(s3.list_buckets) for _ in range(2)],
            }))
            """)
        #expect(seen["sts"] == ["ok", "ok", "ok", "Throttling 400", "Throttling 400"])
        #expect(seen["iam"] == ["ok", "ok", "Throttling 400"])
        #expect(seen["s3"] == ["ok", "SlowDown 503"])
        let stats = try await proxy.stats()
        #expect(stats["sts:GetCallerIdentity"].throttled == 2)
        #expect(stats["sts:GetCallerIdentity"].forwarded == 3)
        #expect(stats.totals.throttled == 4)
        #expect(stats.totals.ok == 6)
    }

    /// The same seed gives the same faults to the same calls; rules change while the client runs.
    @Test func randomFaultsAreDeterministicPerSeedAndRulesChangeMidRun() async throws {
        let moto = try await MotoServer.shared()
        let proxy = try await FaultProxy.start(upstream: moto)
        defer { proxy.stop() }
        let calls = """
            sts, iam = client("sts"), client("iam")
            print(json.dumps([outcome(sts.get_caller_identity if i % 2 else iam.list_account_aliases) for i in range(24)]))
            """
        let rule = FaultProxy.Rule.random(probability: 0.5, seed: 7, faults: [.throttle, .internalError, .serviceUnavailable, .reset])
        try await proxy.add(rule)
        let first = try await boto3(proxy, moto, calls)
        try await proxy.reset()
        try await proxy.add(rule)
        let second = try await boto3(proxy, moto, calls)
        #expect(first == second)
        let outcomes = Set((first.array ?? []).compactMap(\.string))
        #expect(outcomes.contains("ok") && outcomes.count >= 3, "\(first)")

        try await proxy.reset()
        let throttling = try await proxy.add(.throttle("sts:GetCallerIdentity").skip(1))
        try await proxy.add(.delay("sts:GetCallerIdentity", milliseconds: 1))
        let before = try await boto3(proxy, moto, #"print(json.dumps([outcome(client("sts").get_caller_identity) for _ in range(2)]))"#)
        #expect(before == ["ok", "Throttling 400"])
        try await proxy.remove(throttling)
        let after = try await boto3(proxy, moto, #"print(json.dumps([outcome(client("sts").get_caller_identity)]))"#)
        #expect(after == ["ok"])
        #expect(try await proxy.stats()["sts:GetCallerIdentity"].delayed == 3)
        #expect(try await proxy.log(limit: 1).first?.outcome == "forwarded")
    }
}
