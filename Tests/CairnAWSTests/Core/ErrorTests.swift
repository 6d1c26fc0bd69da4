import CairnJSON
import Foundation
import TestSupport
import Testing

@testable import CairnAWS

private let once = RetryPolicy(maxAttempts: 1, base: .seconds(1), cap: .seconds(20))
private let twice = RetryPolicy(maxAttempts: 2, base: .seconds(1), cap: .seconds(20))

/// The advice AWSServiceError appends for a rejected signature.
let signatureAdvice =
    "The request signature was rejected: check the secret access key (AWS_SECRET_ACCESS_KEY or aws_secret_access_key) and the machine's clock."

@Suite struct AWSServiceErrorTests {
    @Test func jsonErrorBodyBecomesAWSServiceError() async throws {
        let message = "The repository with name 'web' does not exist in the registry with id '123456789012'"
        let transport = FakeTransport([.jsonError(400, "com.amazonaws.ecr#RepositoryNotFoundException", message, requestID: "8f2b-41")])
        let error = try #require(
            await capture(AWSServiceError.self) {
                try await makeClient(transport).json(.ecr.describeRepositories, ["repositoryNames": ["web"]])
            })
        #expect(
            error
                == AWSServiceError(
                    service: "ECR", operation: "DescribeRepositories", status: 400,
                    code: "RepositoryNotFoundException", message: message, requestID: "8f2b-41"))
        #expect(error.description == "ECR DescribeRepositories failed: RepositoryNotFoundException: \(message). (HTTP 400, request id 8f2b-41)")
    }

    @Test func jsonErrorTypeHeaderWinsAndLosesItsSuffix() async throws {
        let transport = FakeTransport([
            .json(
                400, #"{"Message":"1 validation error detected: Value null at 'name'"}"#,
                headers: [
                    "x-amzn-ErrorType": "ValidationException:http://internal.amazon.com/coral/com.amazon.coral.validate/",
                    "x-amzn-RequestId": "hdr-1",
                ])
        ])
        let error = try #require(await capture(AWSServiceError.self) { try await makeClient(transport).json(.codeBuild.createProject) })
        #expect(
            error
                == AWSServiceError(
                    service: "CodeBuild", operation: "CreateProject", status: 400, code: "ValidationException",
                    message: "1 validation error detected: Value null at 'name'", requestID: "hdr-1"))
    }

    @Test func jsonAdviceForAnInvalidSignature() async throws {
        let transport = FakeTransport([
            .jsonError(
                400, "InvalidSignatureException", "The request signature we calculated does not match the signature you provided.", requestID: "sig-1"
            )
        ])
        let error = try #require(await capture(AWSServiceError.self) { try await makeClient(transport).json(.ecr.describeRepositories) })
        #expect(
            error.description
                == "ECR DescribeRepositories failed: InvalidSignatureException: The request signature we calculated does not match the signature you provided. \(signatureAdvice) (HTTP 400, request id sig-1)"
        )
    }

    @Test func queryErrorBodyBecomesAWSServiceError() async throws {
        let transport = FakeTransport([.queryError(404, "NoSuchEntity", "The role with name missing cannot be found.", requestID: "4d1c-22")])
        let error = try #require(await capture(AWSServiceError.self) { try await makeClient(transport).query(.iam.getRole, ["RoleName": "missing"]) })
        #expect(
            error
                == AWSServiceError(
                    service: "IAM", operation: "GetRole", status: 404, code: "NoSuchEntity",
                    message: "The role with name missing cannot be found.", requestID: "4d1c-22"))
        #expect(error.description == "IAM GetRole failed: NoSuchEntity: The role with name missing cannot be found. (HTTP 404, request id 4d1c-22)")
    }

    @Test func queryAccessDeniedCarriesAdvice() async throws {
        let transport = FakeTransport([
            .queryError(
                403, "AccessDenied", "User: arn:aws:iam::123456789012:user/bob is not authorized to perform: iam:CreateRole", requestID: "ad-1")
        ])
        let error = try #require(await capture(AWSServiceError.self) { try await makeClient(transport).query(.iam.createRole) })
        #expect(
            error.description
                == "IAM CreateRole failed: AccessDenied: User: arn:aws:iam::123456789012:user/bob is not authorized to perform: iam:CreateRole. Grant the caller the permission this call needs, or use other credentials. (HTTP 403, request id ad-1)"
        )
    }

    @Test func ec2ErrorBodyBecomesAWSServiceError() async throws {
        let transport = FakeTransport([
            .xml(
                400,
                """
                <?xml version="1.0" encoding="UTF-8"?>
                <Response><Errors><Error><Code>InvalidVpcID.NotFound</Code><Message>The vpc ID 'vpc-1' does not exist</Message></Error></Errors><RequestID>ec2-req-9</RequestID></Response>
                """)
        ])
        let error = try #require(await capture(AWSServiceError.self) { try await makeClient(transport).query(.ec2.describeVpcs) })
        #expect(
            error
                == AWSServiceError(
                    service: "EC2", operation: "DescribeVpcs", status: 400, code: "InvalidVpcID.NotFound",
                    message: "The vpc ID 'vpc-1' does not exist", requestID: "ec2-req-9"))
    }

    @Test func restXMLErrorBodyBecomesAWSServiceError() async throws {
        let transport = FakeTransport([
            .s3Error(404, "NoSuchBucket", "The specified bucket does not exist", requestID: "TX1234", headers: ["x-amz-request-id": "TX1234"])
        ])
        let error = try #require(
            await capture(AWSServiceError.self) {
                try await makeClient(transport).restXML(.s3.getBucketVersioning, ["Bucket": "missing-bucket"])
            })
        #expect(
            error
                == AWSServiceError(
                    service: "S3", operation: "GetBucketVersioning", status: 404, code: "NoSuchBucket",
                    message: "The specified bucket does not exist", requestID: "TX1234"))
        #expect(
            error.description == "S3 GetBucketVersioning failed: NoSuchBucket: The specified bucket does not exist. (HTTP 404, request id TX1234)")
    }

    @Test func restXMLAnswersWithoutABodyAreNamedByTheirStatus() async throws {
        for (status, code) in [(404, "NotFound"), (403, "Forbidden"), (301, "PermanentRedirect"), (400, "BadRequest")] {
            let transport = FakeTransport([.status(status, headers: ["x-amz-request-id": "head-\(status)"])])
            let error = try #require(
                await capture(AWSServiceError.self) {
                    try await makeClient(transport).restXML(.s3.headBucket, ["Bucket": "some-bucket"])
                })
            #expect(
                error == AWSServiceError(service: "S3", operation: "HeadBucket", status: status, code: code, message: "", requestID: "head-\(status)")
            )
            #expect(error.description == "S3 HeadBucket failed: \(code). (HTTP \(status), request id head-\(status))")
        }
    }

    @Test func descriptionWithoutRequestIDOrMessage() {
        let error = AWSServiceError(service: "SNS", operation: "Publish", status: 400, code: "ExpiredToken", message: "", requestID: nil)
        #expect(
            error.description
                == "SNS Publish failed: ExpiredToken. The session token has expired: obtain fresh credentials (for example `aws sso login` or a new role session). (HTTP 400)"
        )
    }
}

@Suite struct UnexpectedResponseTests {
    static let html500 = """
        <html>
        <head><title>500 Internal Server Error</title></head>
        <body><h1>Internal Server Error</h1></body>
        </html>
        """
    static let html500Snippet = "<html> <head><title>500 Internal Server Error</title></head> <body><h1>Internal Server Error</h1></body> </html>"
    static let proxyPage =
        "<!DOCTYPE html><html><head><title>Blocked</title></head><body><p>Access to this site is blocked by your organisation's proxy.<br></body></html>"

    private func expectUnexpected(
        _ error: AWSRequestError?, service: String, operation: String, attempts: Int, status: Int, contentType: String?, snippet: String,
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        guard let error else {
            Issue.record("no AWSRequestError", sourceLocation: sourceLocation)
            return
        }
        #expect(error.service == service, sourceLocation: sourceLocation)
        #expect(error.operation == operation, sourceLocation: sourceLocation)
        #expect(error.endpoint == "http://aws.test:4566", sourceLocation: sourceLocation)
        #expect(error.attempts == attempts, sourceLocation: sourceLocation)
        guard case .unexpectedResponse(let s, let type, let text) = error.reason else {
            Issue.record("reason is \(error.reason)", sourceLocation: sourceLocation)
            return
        }
        #expect(s == status, sourceLocation: sourceLocation)
        #expect(type == contentType, sourceLocation: sourceLocation)
        #expect(text == snippet, sourceLocation: sourceLocation)
    }

    @Test func anHTML500PageIsARequestErrorForEveryProtocol() async throws {
        let page = FakeTransport.Outcome.status(500, Self.html500, headers: ["Content-Type": "text/html"])
        let json = FakeTransport([page])
        let jsonError = await capture(AWSRequestError.self) { try await makeClient(json, retry: twice).json(.ecr.describeRepositories) }
        expectUnexpected(
            jsonError, service: "ECR", operation: "DescribeRepositories", attempts: 2, status: 500, contentType: "text/html",
            snippet: Self.html500Snippet)
        #expect(
            jsonError?.description
                == "ECR DescribeRepositories answered HTTP 500 with a body that is not an AWS response (text/html) after 2 attempts: \"\(Self.html500Snippet)\". If AWS_ENDPOINT_URL points at a proxy or emulator, check that it serves this operation."
        )

        let query = FakeTransport([page])
        let queryError = await capture(AWSRequestError.self) { try await makeClient(query, retry: twice).query(.iam.listRoles) }
        expectUnexpected(
            queryError, service: "IAM", operation: "ListRoles", attempts: 2, status: 500, contentType: "text/html", snippet: Self.html500Snippet)

        let rest = FakeTransport([page])
        let restError = await capture(AWSRequestError.self) { try await makeClient(rest, retry: twice).restXML(.s3.listBuckets) }
        expectUnexpected(
            restError, service: "S3", operation: "ListBuckets", attempts: 2, status: 500, contentType: "text/html", snippet: Self.html500Snippet)
        #expect(await [json.requestCount, query.requestCount, rest.requestCount] == [2, 2, 2])
    }

    @Test func aProxyPageIsARequestErrorAndNotRetried() async throws {
        for call in Self.calls {
            let transport = FakeTransport([
                .status(403, Self.proxyPage, headers: ["Content-Type": "text/html; charset=utf-8", "x-amzn-RequestId": "px-1"])
            ])
            let error = await capture(AWSRequestError.self) { try await call.run(makeClient(transport)) }
            expectUnexpected(
                error, service: call.service, operation: call.operation, attempts: 1, status: 403,
                contentType: "text/html; charset=utf-8", snippet: String(Self.proxyPage.prefix(200)))
            #expect(error?.requestID == "px-1")
            #expect(
                error?.description.hasPrefix(
                    "\(call.service) \(call.operation) answered HTTP 403 with a body that is not an AWS response (text/html; charset=utf-8), request id px-1: \"<!DOCTYPE html>"
                ) == true)
            #expect(await transport.requestCount == 1)
        }
    }

    @Test func anEmptyErrorBodyIsARequestError() async throws {
        for call in Self.calls where call.service != "S3" {
            let transport = FakeTransport([.status(400)])
            let error = await capture(AWSRequestError.self) { try await call.run(makeClient(transport)) }
            expectUnexpected(
                error, service: call.service, operation: call.operation, attempts: 1, status: 400, contentType: nil, snippet: "(empty body)")
            #expect(
                error?.description
                    == "\(call.service) \(call.operation) answered HTTP 400 with a body that is not an AWS response: \"(empty body)\". If AWS_ENDPOINT_URL points at a proxy or emulator, check that it serves this operation."
            )
        }
        // S3 names bodiless answers by status, except those it has no name for.
        let transport = FakeTransport([.status(500)])
        let error = await capture(AWSRequestError.self) { try await makeClient(transport, retry: once).restXML(.s3.listBuckets) }
        expectUnexpected(error, service: "S3", operation: "ListBuckets", attempts: 1, status: 500, contentType: nil, snippet: "(empty body)")
    }

    @Test func aTruncatedErrorBodyIsARequestError() async throws {
        let cases: [(Call, FakeTransport.Outcome, String)] = [
            (Self.calls[0], .json(400, #"{"__type":"com.amazonaws.ecr#Reposit"#), #"{"__type":"com.amazonaws.ecr#Reposit"#),
            (Self.calls[1], .xml(400, "<ErrorResponse><Error><Code>NoSuchEnt"), "<ErrorResponse><Error><Code>NoSuchEnt"),
            (Self.calls[2], .xml(400, "<Error><Code>NoSuchBucket</Code><Mess"), "<Error><Code>NoSuchBucket</Code><Mess"),
        ]
        for (call, outcome, snippet) in cases {
            let transport = FakeTransport([outcome])
            let error = await capture(AWSRequestError.self) { try await call.run(makeClient(transport)) }
            guard case .response(let response) = outcome else { continue }
            expectUnexpected(
                error, service: call.service, operation: call.operation, attempts: 1, status: 400,
                contentType: response.headers["content-type"], snippet: snippet)
        }
    }

    @Test func aTruncatedSuccessBodyIsARequestError() async throws {
        let json = FakeTransport([.json(200, #"{"repositories":[{"repositoryName":"web""#, headers: ["x-amzn-RequestId": "ok-1"])])
        let jsonError = await capture(AWSRequestError.self) { try await makeClient(json).json(.ecr.describeRepositories) }
        expectUnexpected(
            jsonError, service: "ECR", operation: "DescribeRepositories", attempts: 1, status: 200,
            contentType: "application/x-amz-json-1.1", snippet: #"{"repositories":[{"repositoryName":"web""#)
        #expect(jsonError?.requestID == "ok-1")

        let query = FakeTransport([.xml(200, "<GetCallerIdentityResponse><GetCallerIdentityResult><Arn>arn:aws:iam::1")])
        let queryError = await capture(AWSRequestError.self) { try await makeClient(query).callerIdentity() }
        expectUnexpected(
            queryError, service: "STS", operation: "GetCallerIdentity", attempts: 1, status: 200, contentType: "text/xml",
            snippet: "<GetCallerIdentityResponse><GetCallerIdentityResult><Arn>arn:aws:iam::1")
    }

    @Test func aTruncatedRestXMLSuccessBodyIsARequestError() async throws {
        // A 2xx body that starts like XML but does not parse is an error, never an empty answer.
        let transport = FakeTransport([.xml(200, "<ListAllMyBucketsResult><Buckets><Bucket><Name>a")])
        let error = await capture(AWSRequestError.self) { try await makeClient(transport).restXML(.s3.listBuckets) }
        #expect(error != nil)
    }

    @Test func anAnswerWithoutTheExpectedMembersIsARequestError() async throws {
        let transport = FakeTransport([.xml(200, "<GetCallerIdentityResponse><GetCallerIdentityResult/></GetCallerIdentityResponse>")])
        let error = await capture(AWSRequestError.self) { try await makeClient(transport).callerIdentity() }
        #expect(
            error?.description
                == "STS GetCallerIdentity answered HTTP 200 with a body that is not an AWS response: \"no Account or Arn in the answer\". If AWS_ENDPOINT_URL points at a proxy or emulator, check that it serves this operation."
        )
    }

    struct Call: Sendable {
        let service: String
        let operation: String
        let run: @Sendable (AWSClient) async throws -> Void
    }

    static let calls: [Call] = [
        Call(service: "ECR", operation: "DescribeRepositories") { _ = try await $0.json(.ecr.describeRepositories) },
        Call(service: "IAM", operation: "ListRoles") { _ = try await $0.query(.iam.listRoles) },
        Call(service: "S3", operation: "ListBuckets") { _ = try await $0.restXML(.s3.listBuckets) },
    ]
}

@Suite struct RequestErrorDescriptionTests {
    private func error(_ reason: AWSRequestError.Reason, attempts: Int = 1) -> String {
        AWSRequestError(
            service: "STS", operation: "GetCallerIdentity", endpoint: "https://sts.us-east-1.amazonaws.com",
            attempts: attempts, reason: reason
        ).description
    }

    @Test func eachTransportFailureReadsAsOneActionableSentence() {
        #expect(
            error(.transport(.cannotConnect(host: "sts.us-east-1.amazonaws.com", detail: "Could not resolve host")))
                == "Cannot reach STS at https://sts.us-east-1.amazonaws.com (sts.us-east-1.amazonaws.com: Could not resolve host). Check the endpoint (AWS_ENDPOINT_URL, the profile's endpoint_url) and the network."
        )
        #expect(
            error(.transport(.timedOut(seconds: 60)), attempts: 10)
                == "STS GetCallerIdentity got no answer from https://sts.us-east-1.amazonaws.com within 60 s after 10 attempts. Check the network, or raise CAIRN_HTTP_TIMEOUT or the profile's cli_read_timeout."
        )
        #expect(
            error(.transport(.timedOut(seconds: 0.25)))
                == "STS GetCallerIdentity got no answer from https://sts.us-east-1.amazonaws.com within 0.25 s. Check the network, or raise CAIRN_HTTP_TIMEOUT or the profile's cli_read_timeout."
        )
        #expect(
            error(.transport(.connectTimedOut(host: "sts.us-east-1.amazonaws.com", seconds: 10)), attempts: 2)
                == "Cannot connect to STS at https://sts.us-east-1.amazonaws.com (sts.us-east-1.amazonaws.com) within 10 s after 2 attempts. Check the endpoint and the network, or raise CAIRN_HTTP_CONNECT_TIMEOUT or the profile's cli_connect_timeout."
        )
        #expect(
            error(.transport(.connectionLost(detail: "Connection reset by peer")), attempts: 3)
                == "The connection to STS at https://sts.us-east-1.amazonaws.com broke during GetCallerIdentity (Connection reset by peer) after 3 attempts. Check the network and run the command again."
        )
        #expect(
            error(.transport(.other(detail: "SSL certificate problem")))
                == "STS GetCallerIdentity to https://sts.us-east-1.amazonaws.com failed below HTTP (SSL certificate problem). Check the endpoint and TLS settings."
        )
    }
}
