import CairnSigner
import Foundation
import Testing

/// Runs AWS's SigV4 test suite (aws-signing-test-suite/v4), read at test time from
/// the project's shared/aws-signing-test-suite/v4 (the vectors are not copied into the repo).
@Suite struct AWSSigningTestSuiteTests {
    /// `CAIRN_SIGV4_SUITE` if set, else the first `shared/aws-signing-test-suite/v4` found beside
    /// the repository or one of its parent directories (CI clones the repo next to `shared/`).
    static let suiteDirectory: URL = {
        if let path = ProcessInfo.processInfo.environment["CAIRN_SIGV4_SUITE"] { return URL(fileURLWithPath: path) }
        var directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        while directory.path != "/" {
            directory = directory.deletingLastPathComponent()
            let candidate = directory.appendingPathComponent("shared/aws-signing-test-suite/v4")
            if FileManager.default.fileExists(atPath: candidate.path) { return candidate }
        }
        return URL(fileURLWithPath: "/work/shared/aws-signing-test-suite/v4")
    }()

    static let caseNames: [String] = {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: suiteDirectory.path)) ?? []
        return names.filter { !$0.hasPrefix(".") }.sorted()
    }()

    @Test func suiteIsPresent() {
        #expect(Self.caseNames.count >= 38, "expected the AWS test suite at \(Self.suiteDirectory.path)")
    }

    @Test(arguments: caseNames)
    func headerSigning(_ name: String) throws {
        let testCase = try SuiteCase(name)
        let signer = testCase.signer
        let (request, date) = (testCase.request, testCase.date)
        let addHash = testCase.context.sign_body

        #expect(
            signer.canonicalRequest(request, date: date, addContentSHA256Header: addHash)
                == testCase.expected("header-canonical-request.txt"))
        #expect(
            signer.stringToSign(request, date: date, addContentSHA256Header: addHash)
                == testCase.expected("header-string-to-sign.txt"))
        #expect(
            signer.signature(request, date: date, addContentSHA256Header: addHash)
                == testCase.expected("header-signature.txt"))

        // The whole signed request, header order included.
        let headers = signer.signedHeaders(for: request, date: date, addContentSHA256Header: addHash)
        #expect(
            testCase.render(target: testCase.target, headers: headers)
                == testCase.expected("header-signed-request.txt"))
    }

    @Test(arguments: caseNames)
    func querySigning(_ name: String) throws {
        let testCase = try SuiteCase(name)
        let presigned = testCase.signer.presign(
            testCase.request, date: testCase.date, expires: testCase.context.expiration_in_seconds, payload: .body)

        #expect(presigned.canonicalRequest == testCase.expected("query-canonical-request.txt"))
        #expect(presigned.stringToSign == testCase.expected("query-string-to-sign.txt"))
        #expect(presigned.signature == testCase.expected("query-signature.txt"))
        #expect(
            testCase.render(target: testCase.rawPath + "?" + presigned.query, headers: testCase.request.headers)
                == testCase.expected("query-signed-request.txt"))
    }
}

/// One folder of the suite: context.json, request.txt and the expected outputs.
private struct SuiteCase {
    // The test suite's own JSON names.
    // swift-format-ignore: AlwaysUseLowerCamelCase
    struct Context: Decodable {
        struct Keys: Decodable {
            var access_key_id: String
            var secret_access_key: String
            var token: String?
        }
        var credentials: Keys
        var expiration_in_seconds: Int
        var normalize: Bool
        var region: String
        var service: String
        var sign_body: Bool
        var timestamp: String
        var omit_session_token: Bool?
    }

    let directory: URL
    let context: Context
    let request: SigningRequest
    let date: Date
    /// The request line's target (path and query) and its path, as written in request.txt.
    let target: String
    let rawPath: String

    init(_ name: String) throws {
        directory = AWSSigningTestSuiteTests.suiteDirectory.appendingPathComponent(name)
        context = try JSONDecoder().decode(Context.self, from: Data(contentsOf: directory.appendingPathComponent("context.json")))
        date = try Date(context.timestamp, strategy: .iso8601)

        // request.txt: request line, headers (lines starting with whitespace continue the
        // previous value), blank line, body. The path may hold raw spaces or UTF-8: it is
        // passed on exactly as written, and the signer's path encoding must cope.
        let text = try String(contentsOf: directory.appendingPathComponent("request.txt"), encoding: .utf8)
        let (head, body) =
            text.range(of: "\n\n").map { (String(text[..<$0.lowerBound]), String(text[$0.upperBound...])) }
            ?? (text, "")
        var lines = head.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if lines.last == "" { lines.removeLast() }
        let requestLine = lines.removeFirst()
        let method = String(requestLine.prefix { $0 != " " })
        let target = String(requestLine.dropFirst(method.count + 1).dropLast(" HTTP/1.1".count))
        let queryStart = target.firstIndex(of: "?")
        let path = String(target[..<(queryStart ?? target.endIndex)])
        let query = queryStart.map { String(target[target.index(after: $0)...]) }
        (self.target, rawPath) = (target, path)

        var headers: [(name: String, value: String)] = []
        for line in lines {
            if line.first == " " || line.first == "\t", !headers.isEmpty {
                headers[headers.count - 1].value += "\n" + line  // folded (multi-line) value, kept raw
            } else if let colon = line.firstIndex(of: ":") {
                headers.append((String(line[..<colon]), String(line[line.index(after: colon)...])))
            }
        }
        request = SigningRequest(method: method, path: path, query: query, headers: headers, body: Array(body.utf8))
    }

    var signer: SigV4Signer {
        SigV4Signer(
            credentials: Credentials(
                accessKeyID: context.credentials.access_key_id,
                secretAccessKey: context.credentials.secret_access_key,
                sessionToken: context.credentials.token),
            region: context.region, service: context.service,
            normalizePath: context.normalize,
            signsSessionToken: !(context.omit_session_token ?? false))
    }

    func expected(_ file: String) -> String? {
        try? String(contentsOf: directory.appendingPathComponent(file), encoding: .utf8)
    }

    /// Formats a request the way the suite's *-signed-request.txt files do.
    func render(target: String, headers: [(name: String, value: String)]) -> String {
        "\(request.method) \(target) HTTP/1.1\n" + headers.map { "\($0.name):\($0.value)\n" }.joined() + "\n"
            + String(decoding: request.body, as: UTF8.self)
    }
}
