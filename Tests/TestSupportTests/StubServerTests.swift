import Foundation
import TestSupport
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

@Suite(.integration) struct StubServerTests {
    /// A fresh session per test: no pooled connection is shared between tests.
    private func makeSession() -> URLSession {
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = 10
        configuration.urlCache = nil
        return URLSession(configuration: configuration)
    }

    private func send(
        _ session: URLSession, _ url: URL, method: String = "GET", body: String? = nil,
        headers: [String: String] = [:]
    ) async throws -> (Int, [AnyHashable: Any], String) {
        var request = URLRequest(url: url)
        request.httpMethod = method
        if let body { request.httpBody = Data(body.utf8) }
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        let (data, response) = try await session.data(for: request)
        let http = try #require(response as? HTTPURLResponse)
        return (http.statusCode, http.allHeaderFields, String(decoding: data, as: UTF8.self))
    }

    @Test func servesTheQueueAndRecordsRequests() async throws {
        let stub = try await StubServer.start([
            .http(status: 503, body: "busy"),
            .http(status: 503, headers: ["Retry-After": "2"], body: "busy"),
            .json(200, #"{"ok":true}"#),
        ])
        defer { stub.stop() }
        let session = makeSession()
        defer { session.finishTasksAndInvalidate() }
        let url = stub.endpoint.appendingPathComponent("service/op")

        let first = try await send(
            session, url, method: "POST", body: #"{"n":1}"#,
            headers: ["X-Amz-Target": "Svc.Op", "Content-Type": "application/json"])
        #expect(first.0 == 503 && first.2 == "busy")
        let second = try await send(session, url, method: "POST", body: #"{"n":2}"#)
        #expect(second.0 == 503)
        let retryAfter = second.1.first { ($0.key as? String)?.lowercased() == "retry-after" }?.value as? String
        #expect(retryAfter == "2")
        let third = try await send(session, URL(string: stub.endpoint.absoluteString + "/service/op/x?b=2&a=%2F%20x&flag")!)
        #expect(third.0 == 200 && third.2 == #"{"ok":true}"#)
        let contentType = third.1.first { ($0.key as? String)?.lowercased() == "content-type" }?.value as? String
        #expect(contentType == "application/x-amz-json-1.0")
        let fourth = try await send(session, url, method: "PUT", body: "again")
        #expect(fourth.0 == 200 && fourth.2 == #"{"ok":true}"#)  // the last response repeats

        let requests = try await stub.requests()
        #expect(requests.map(\.method) == ["POST", "POST", "GET", "PUT"])
        #expect(requests.map(\.path) == ["/service/op", "/service/op", "/service/op/x", "/service/op"])
        #expect(requests[0].body == #"{"n":1}"#)
        #expect(requests[0].bodyData == Data(#"{"n":1}"#.utf8))
        #expect(requests[0].header("X-Amz-Target") == "Svc.Op")
        #expect(requests[0].headers["x-amz-target"] == "Svc.Op")
        #expect(requests[0].query == "")
        #expect(requests[2].target == "/service/op/x?b=2&a=%2F%20x&flag")
        #expect(requests[2].query == "b=2&a=%2F%20x&flag")
        #expect(requests[2].queryValue("a") == "/ x")
        #expect(requests[2].queryValue("flag") == "")
        #expect(requests[2].queryItems.map(\.name) == ["b", "a", "flag"])
        #expect(requests[3].body == "again")
        // One URLSession, sequential requests: a single kept-alive connection.
        #expect(Set(requests.map(\.connection)) == [1], "\(requests)")
    }

    @Test func queueResponsesAfterStartAndReset() async throws {
        let stub = try await StubServer.start()
        defer { stub.stop() }
        let session = makeSession()
        defer { session.finishTasksAndInvalidate() }

        // Nothing queued yet: a loud 500.
        let unscripted = try await send(session, stub.endpoint)
        #expect(unscripted.0 == 500 && unscripted.2.contains("no response queued"))

        try await stub.enqueue(.xml(400, "<ErrorResponse><Error><Code>Throttling</Code></Error></ErrorResponse>"))
        try await stub.enqueue([.http(status: 201, body: "one"), .http(status: 202, body: "two")])
        let answers = try await [
            send(session, stub.endpoint, method: "POST", body: "Action=GetUser&Version=2010-05-08&UserName=a+b%21"),
            send(session, stub.endpoint),
            send(session, stub.endpoint),
        ]
        #expect(answers.map(\.0) == [400, 201, 202])
        #expect(answers[0].2.contains("<Code>Throttling</Code>"))
        let form = try await stub.requests()[1].formParameters
        #expect(form == ["Action": "GetUser", "Version": "2010-05-08", "UserName": "a b!"])

        // A queue that ran dry and is refilled serves the new entries, not the old last one.
        #expect(try await send(session, stub.endpoint).0 == 202)
        try await stub.enqueue(.http(status: 204))
        #expect(try await send(session, stub.endpoint).0 == 204)

        try await stub.reset()
        #expect(try await stub.requests().isEmpty)
        #expect(try await send(session, stub.endpoint).0 == 500)
    }

    @Test func fixedAnswerWhenTheQueueIsEmpty() async throws {
        let stub = try await StubServer.start([.http(status: 503)], whenQueueEmpty: .respond(.http(status: 200, body: "ok")))
        defer { stub.stop() }
        let session = makeSession()
        defer { session.finishTasksAndInvalidate() }
        #expect(try await send(session, stub.endpoint).0 == 503)
        #expect(try await send(session, stub.endpoint).0 == 200)
        #expect(try await send(session, stub.endpoint).0 == 200)
    }

    @Test func keepAliveAndConnectionClose() async throws {
        // Raw HTTP/1.1 over one socket: two requests on the same connection, then Connection: close.
        let stub = try await StubServer.start([
            .http(status: 200, body: "a"),
            .http(status: 200, body: "b"),
            .http(status: 200, headers: ["Connection": "close"], body: "c"),
        ])
        defer { stub.stop() }
        let result = try await runProcess(
            executable: "python3",
            arguments: [
                "-c",
                """
                import http.client
                c = http.client.HTTPConnection("127.0.0.1", \(stub.port), timeout=5)
                out = []
                for i in range(3):
                    c.request("POST", "/k%d" % i, body=b"x" * i)
                    r = c.getresponse()
                    out.append(r.read().decode())
                print(",".join(out), c.sock is None)
                """,
            ])
        #expect(result.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "a,b,c True", "\(result)")
        let requests = try await stub.requests()
        #expect(requests.map(\.connection) == [1, 1, 1])
        #expect(requests.map(\.path) == ["/k0", "/k1", "/k2"])
        #expect(requests.map(\.body) == ["", "x", "xx"])
    }

    @Test func throttlingThenSuccess() async throws {
        let throttled = #"{"__type":"ThrottlingException","message":"Rate exceeded"}"#
        let stub = try await StubServer.start([.json(400, throttled), .json(200, "{}")])
        defer { stub.stop() }
        let session = makeSession()
        defer { session.finishTasksAndInvalidate() }
        let first = try await send(session, stub.endpoint, method: "POST", body: "{}")
        #expect(first.0 == 400 && first.2.contains("ThrottlingException"))
        let second = try await send(session, stub.endpoint, method: "POST", body: "{}")
        #expect(second.0 == 200)
        #expect(try await stub.requests().count == 2)
    }

    @Test func resetConnectionFailsOnTheClientSide() async throws {
        let stub = try await StubServer.start([.resetConnection, .http(status: 200, body: "fine")])
        defer { stub.stop() }
        let session = makeSession()
        defer { session.finishTasksAndInvalidate() }
        await #expect(throws: (any Error).self) {
            _ = try await send(session, stub.endpoint.appendingPathComponent("first"), method: "POST", body: "payload")
        }
        let retried = try await send(session, stub.endpoint.appendingPathComponent("second"))
        #expect(retried.0 == 200 && retried.2 == "fine")
        let requests = try await stub.requests()
        #expect(requests.first?.path == "/first")
        #expect(requests.first?.body == "payload")
        #expect(requests.last?.path == "/second")
        #expect(requests.count == 2)
        #expect(requests.first?.connection != requests.last?.connection)
    }

    @Test func resetIsARealTCPReset() async throws {
        // Independent of URLSession: a raw socket must see ECONNRESET, not a clean end of file.
        let stub = try await StubServer.start([.resetConnection])
        defer { stub.stop() }
        let result = try await runProcess(
            executable: "python3",
            arguments: [
                "-c",
                """
                import socket, sys
                s = socket.create_connection(("127.0.0.1", \(stub.port)), timeout=5)
                s.sendall(b"GET /reset HTTP/1.1\\r\\nHost: x\\r\\nContent-Length: 0\\r\\n\\r\\n")
                try:
                    data = s.recv(100)
                    print("EOF" if data == b"" else "DATA")
                except ConnectionResetError:
                    print("RESET")
                """,
            ])
        #expect(result.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "RESET", "\(result)")
    }

    @Test func closeWithoutResponseFailsOnTheClientSide() async throws {
        let stub = try await StubServer.start([.closeWithoutResponse, .http(status: 204)])
        defer { stub.stop() }
        let session = makeSession()
        defer { session.finishTasksAndInvalidate() }
        await #expect(throws: (any Error).self) {
            _ = try await send(session, stub.endpoint, method: "POST", body: "x")
        }
        let next = try await send(session, stub.endpoint)
        #expect(next.0 == 204)
    }

    @Test func rawBytesAreSentVerbatim() async throws {
        // A response that promises 100 bytes and delivers 5: the client must see an error, not "hello".
        let stub = try await StubServer.start([.raw("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nhello")])
        defer { stub.stop() }
        let session = makeSession()
        defer { session.finishTasksAndInvalidate() }
        await #expect(throws: (any Error).self) { _ = try await send(session, stub.endpoint) }
    }

    @Test func delayedResponse() async throws {
        let stub = try await StubServer.start([.delay(seconds: 0.5, then: .http(status: 200, body: "late"))])
        defer { stub.stop() }
        let session = makeSession()
        defer { session.finishTasksAndInvalidate() }
        let clock = ContinuousClock()
        let start = clock.now
        let answer = try await send(session, stub.endpoint)
        #expect(answer.0 == 200 && answer.2 == "late")
        // bound: a lower bound (the answer waited for its 0.5 s delay); load only makes it easier to pass.
        #expect(clock.now - start >= .milliseconds(450))
    }

    @Test func hangNeverAnswersUntilTheClientGivesUp() async throws {
        let stub = try await StubServer.start([.hang, .http(status: 200, body: "after")])
        defer { stub.stop() }
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = 1
        let session = URLSession(configuration: configuration)
        defer { session.finishTasksAndInvalidate() }
        let clock = ContinuousClock()
        let start = clock.now
        await #expect(throws: (any Error).self) {
            _ = try await send(session, stub.endpoint.appendingPathComponent("slow"), method: "POST", body: "b")
        }
        // bound: a lower bound (the client waited for its 1 s timeout); load only makes it easier to pass.
        #expect(clock.now - start >= .milliseconds(900))
        let requests = try await stub.waitForRequests(count: 1)
        #expect(requests.first?.path == "/slow" && requests.first?.body == "b")
        let next = try await send(session, stub.endpoint)
        #expect(next.0 == 200 && next.2 == "after")
    }

    @Test func waitForRequestsTimesOut() async throws {
        let stub = try await StubServer.start()
        defer { stub.stop() }
        await #expect(throws: TestSupportError.self) {
            _ = try await stub.waitForRequests(count: 1, timeout: .milliseconds(200))
        }
    }
}
