import Foundation
import TestSupport
import Testing

/// scripts/moto-server makes S3's conditional writes atomic, as in AWS, shown with boto3 as the client: of many
/// create-only writes of one key at once exactly one succeeds and the others get PreconditionFailed; of many
/// compare-and-swap writes against one ETag, likewise. And a listing whose prefix holds a `/` (sent as `%2F`) passes the
/// signature check.
@Suite(.integration) struct MotoServerS3ConditionalWriteTests {
    @Test func conditionalWritesAtOnceLetExactlyOneThrough() async throws {
        let moto = try await MotoServer.shared()
        let bucket = "conditional-\(UInt32.random(in: 0...UInt32.max) % 100_000)"
        let result = try await moto.python(
            """
            import boto3, json, threading
            from botocore.config import Config
            from botocore.exceptions import ClientError
            # One attempt each, waiting as long as a loaded machine needs: a retry of a write that landed would get
            # PreconditionFailed and hide the one that got through.
            single = Config(retries={"max_attempts": 1, "mode": "standard"}, connect_timeout=120, read_timeout=300)
            s3 = boto3.client("s3")
            s3.create_bucket(Bucket="\(bucket)")
            def race(key, **condition):
                barrier, outcomes = threading.Barrier(16), []
                def attempt(n):
                    client = boto3.client("s3", config=single)
                    barrier.wait()
                    try:
                        # Each round's bodies its own: an ETag is the body's MD5, so a swap writing the body the create
                        # wrote would bring the old ETag back, and a second swap would rightly pass.
                        client.put_object(Bucket="\(bucket)", Key=key, Body=f"{sorted(condition)[0]}-{n}".encode(), **condition)
                        outcomes.append("ok")
                    except ClientError as error:
                        outcomes.append(error.response["Error"]["Code"])
                    except Exception as error:
                        outcomes.append(type(error).__name__)
                threads = [threading.Thread(target=attempt, args=(n,)) for n in range(16)]
                for t in threads: t.start()
                for t in threads: t.join()
                return sorted(set(outcomes)), outcomes.count("ok")
            created = race("lock", IfNoneMatch="*")
            etag = s3.head_object(Bucket="\(bucket)", Key="lock")["ETag"]
            swapped = race("lock", IfMatch=etag)
            s3.put_object(Bucket="\(bucket)", Key="dir/sub/key", Body=b"x")
            listed = [o["Key"] for o in s3.list_objects_v2(Bucket="\(bucket)", Prefix="dir/sub/", StartAfter="dir/sub/a")["Contents"]]
            print(json.dumps({"created": created, "swapped": swapped, "listed": listed}))
            """)
        try result.requireSuccess()
        let out = try JSONValue(parsing: result.stdout)
        #expect(out["created"][1].int == 1, "\(result.stdout)")
        #expect(out["swapped"][1].int == 1, "\(result.stdout)")
        #expect(out["created"][0].array?.compactMap(\.string) == ["PreconditionFailed", "ok"], "\(result.stdout)")
        #expect(out["listed"].array?.compactMap(\.string) == ["dir/sub/key"], "a signed prefix with a slash is accepted: \(result.stdout)")
    }
}
