import CairnSigner
import Foundation
import Testing

private let awsDocsCredentials = Credentials(
    accessKeyID: "AKIAIOSFODNN7EXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
/// 2013-05-24T00:00:00Z, the date of the S3 examples in AWS's documentation.
private let may2013 = Date(timeIntervalSince1970: 1_369_353_600)
private let aug2015 = Date(timeIntervalSince1970: 1_440_938_160)  // 2015-08-30T12:36:00Z

private func value(_ name: String, in headers: [(name: String, value: String)]) -> String? {
    headers.first { $0.name.lowercased() == name.lowercased() }?.value
}

private func lines(_ text: String) -> [Substring] { text.split(separator: "\n", omittingEmptySubsequences: false) }

@Suite struct S3SigningTests {
    let signer = SigV4Signer.s3(credentials: awsDocsCredentials, region: "us-east-1")

    /// AWS S3 documentation, "Example: GET Object" (header-based auth).
    @Test func getObjectDocumentationExample() {
        let request = SigningRequest(
            method: "GET", path: "/test.txt",
            headers: [
                ("Host", "examplebucket.s3.amazonaws.com"), ("Range", "bytes=0-9"),
            ])
        let headers = signer.signedHeaders(for: request, date: may2013, addContentSHA256Header: true)
        #expect(
            value("x-amz-content-sha256", in: headers)
                == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(
            value("Authorization", in: headers)
                == "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
                + "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, "
                + "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41")
    }

    /// AWS S3 documentation, "Example: PUT Object": an encoded key ($ → %24) is signed as sent.
    @Test func putObjectDocumentationExample() {
        let request = SigningRequest(
            method: "PUT", path: "/test%24file.text",
            headers: [
                ("Host", "examplebucket.s3.amazonaws.com"), ("Date", "Fri, 24 May 2013 00:00:00 GMT"),
                ("x-amz-storage-class", "REDUCED_REDUNDANCY"),
            ], body: Array("Welcome to Amazon S3.".utf8))
        #expect(
            lines(signer.canonicalRequest(request, date: may2013, addContentSHA256Header: true))[1]
                == "/test%24file.text")
        #expect(
            signer.signature(request, date: may2013, addContentSHA256Header: true)
                == "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd")
    }

    /// AWS S3 documentation, "Example: presigned URL" (query-string auth, 86400 s).
    @Test func presignedURLDocumentationExample() {
        let request = SigningRequest(method: "GET", path: "/test.txt", headers: [("Host", "examplebucket.s3.amazonaws.com")])
        let presigned = signer.presign(request, date: may2013, expires: 86400)
        #expect(presigned.signature == "aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404")
        #expect(presigned.query.hasSuffix("&X-Amz-Expires=86400&X-Amz-Signature=\(presigned.signature)"))
        #expect(signer.presignedQuery(for: request, date: may2013, expires: 86400) == presigned.query)
    }

    @Test func unsignedPayloadIsSentAndSigned() {
        let request = SigningRequest(
            method: "PUT", path: "/bucket/key", headers: [("Host", "s3.amazonaws.com")],
            body: Array("data".utf8))
        let headers = signer.signedHeaders(for: request, date: aug2015, payload: .unsigned, addContentSHA256Header: true)
        #expect(value("x-amz-content-sha256", in: headers) == "UNSIGNED-PAYLOAD")
        #expect(value("Authorization", in: headers)?.contains("SignedHeaders=host;x-amz-content-sha256;x-amz-date,") == true)
        let canonical = lines(signer.canonicalRequest(request, date: aug2015, payload: .unsigned, addContentSHA256Header: true))
        #expect(canonical.contains("x-amz-content-sha256:UNSIGNED-PAYLOAD"))
        #expect(canonical.last == "UNSIGNED-PAYLOAD")
    }

    @Test func streamingPayloadHash() {
        let request = SigningRequest(method: "PUT", path: "/bucket/key", headers: [("Host", "s3.amazonaws.com")])
        let headers = signer.signedHeaders(for: request, date: aug2015, payload: .streaming, addContentSHA256Header: true)
        #expect(value("x-amz-content-sha256", in: headers) == "STREAMING-AWS4-HMAC-SHA256-PAYLOAD")
        #expect(
            lines(signer.canonicalRequest(request, date: aug2015, payload: .streaming, addContentSHA256Header: true))
                .last == "STREAMING-AWS4-HMAC-SHA256-PAYLOAD")
        let precomputed = signer.signedHeaders(
            for: request, date: aug2015, payload: .precomputed("abc123"), addContentSHA256Header: true)
        #expect(value("x-amz-content-sha256", in: precomputed) == "abc123")
    }

    @Test(arguments: ["/bucket/a//b", "/bucket/a/../b", "/bucket/./a%20b", "/bucket/dir/"])
    func pathIsSignedExactlyAsGiven(path: String) {
        let request = SigningRequest(method: "GET", path: path, headers: [("Host", "s3.amazonaws.com")])
        #expect(lines(signer.canonicalRequest(request, date: aug2015, payload: .unsigned))[1] == Substring(path))
    }

    @Test func otherServicesNormaliseAndDoubleEncode() {
        let signer = SigV4Signer(credentials: awsDocsCredentials, region: "us-east-1", service: "iam")
        let request = SigningRequest(method: "GET", path: "/a//b/../c%20d", headers: [("Host", "iam.amazonaws.com")])
        #expect(lines(signer.canonicalRequest(request, date: aug2015))[1] == "/a/c%2520d")
    }
}

@Suite struct SigV4SignerTests {
    let credentials = Credentials(accessKeyID: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
    let request = SigningRequest(method: "GET", path: "/", headers: [("Host", "example.amazonaws.com")])

    @Test func sessionTokenIsSentAndSigned() {
        var withToken = credentials
        withToken.sessionToken = "TOKEN/+="
        let signer = SigV4Signer(credentials: withToken, region: "us-east-1", service: "sts")
        let headers = signer.signedHeaders(for: request, date: aug2015)
        #expect(headers.map(\.name) == ["Host", "X-Amz-Security-Token", "X-Amz-Date", "Authorization"])
        #expect(value("X-Amz-Security-Token", in: headers) == "TOKEN/+=")
        #expect(value("Authorization", in: headers)?.contains("SignedHeaders=host;x-amz-date;x-amz-security-token,") == true)
        #expect(lines(signer.canonicalRequest(request, date: aug2015)).contains("x-amz-security-token:TOKEN/+="))
        // Presigned: the token is a signed query parameter.
        let presigned = signer.presign(request, date: aug2015, expires: 60)
        #expect(presigned.canonicalRequest.contains("&X-Amz-Security-Token=TOKEN%2F%2B%3D&"))
        #expect(presigned.query.contains("&X-Amz-Security-Token=TOKEN%2F%2B%3D&X-Amz-Signature="))

        // Opting out keeps the header but leaves it out of the signature.
        let unsignedToken = SigV4Signer(credentials: withToken, region: "us-east-1", service: "sts", signsSessionToken: false)
        let sent = unsignedToken.signedHeaders(for: request, date: aug2015)
        #expect(value("X-Amz-Security-Token", in: sent) == "TOKEN/+=")
        #expect(value("Authorization", in: sent)?.contains("SignedHeaders=host;x-amz-date,") == true)
    }

    @Test func noTokenHeaderWithoutSessionToken() {
        let signer = SigV4Signer(credentials: credentials, region: "us-east-1", service: "service")
        #expect(value("X-Amz-Security-Token", in: signer.signedHeaders(for: request, date: aug2015)) == nil)
    }

    @Test func signerManagedHeadersAreReplacedAndVolatileOnesNotSigned() {
        let signer = SigV4Signer(credentials: credentials, region: "us-east-1", service: "service")
        var stale = request
        stale.headers += [("Authorization", "old"), ("x-amz-date", "19700101T000000Z"), ("User-Agent", "cairn/1")]
        let headers = signer.signedHeaders(for: stale, date: aug2015)
        #expect(headers.map(\.name) == ["Host", "User-Agent", "X-Amz-Date", "Authorization"])
        #expect(value("Authorization", in: headers) == value("Authorization", in: signer.signedHeaders(for: request, date: aug2015)))
    }

    @Test func queryIsDecodedReencodedAndSorted() {
        let signer = SigV4Signer(credentials: credentials, region: "us-east-1", service: "service")
        var queried = request
        queried.query = "b=2&a=x%2fy&a=&flag&c=hello world&d=%7E+"
        #expect(
            lines(signer.canonicalRequest(queried, date: aug2015))[2]
                == "a=&a=x%2Fy&b=2&c=hello%20world&d=~%2B&flag=")
    }

    @Test(arguments: [
        (0.0, "19700101T000000Z"), (951_868_799.0, "20000229T235959Z"), (1_440_938_160.999, "20150830T123600Z"),
        (4_107_542_400.0, "21000301T000000Z"), (-1.0, "19691231T235959Z"),
    ])
    func dateFormatting(seconds: Double, expected: String) {
        let signer = SigV4Signer(credentials: credentials, region: "us-east-1", service: "service")
        let headers = signer.signedHeaders(for: request, date: Date(timeIntervalSince1970: seconds))
        #expect(value("X-Amz-Date", in: headers) == expected)
    }

    @Test func signingIsSafeFromManyTasks() async {
        let signer = SigV4Signer(credentials: credentials, region: "us-east-1", service: "service")
        let expected = signer.signature(request, date: aug2015)
        let results = await withTaskGroup(of: String.self) { group in
            for offset in 0..<64 {
                group.addTask { [request] in
                    signer.signature(request, date: aug2015.addingTimeInterval(Double(offset % 2) * 86400 * 365))
                }
            }
            return await group.reduce(into: [String]()) { $0.append($1) }
        }
        #expect(results.filter { $0 == expected }.count == 32)
    }

    @Test func credentialsDescriptionRedactsSecrets() {
        let described = "\(Credentials(accessKeyID: "AKID", secretAccessKey: "SECRET", sessionToken: "TOKEN"))"
        #expect(described.contains("AKID"))
        #expect(!described.contains("SECRET") && !described.contains("TOKEN"))
    }
}
