import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// A CONNECT forward proxy on loopback that logs each tunnel it opens (one line, `host:port`) to a file.
private final class ConnectProxy: @unchecked Sendable {
    static let script = """
        import socket, sys, threading
        log = sys.argv[1]
        server = socket.socket()
        server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        server.bind(("127.0.0.1", 0))
        server.listen(64)
        print(server.getsockname()[1], flush=True)
        def pipe(a, b):
            try:
                while True:
                    data = a.recv(65536)
                    if not data:
                        break
                    b.sendall(data)
            except OSError:
                pass
            finally:
                for s in (a, b):
                    try: s.shutdown(socket.SHUT_RDWR)
                    except OSError: pass
        def handle(client):
            head = b""
            while b"\\r\\n\\r\\n" not in head:
                chunk = client.recv(4096)
                if not chunk:
                    return client.close()
                head += chunk
            line = head.split(b"\\r\\n")[0].decode()
            method, target = line.split(" ")[:2]
            if method != "CONNECT":
                client.sendall(b"HTTP/1.1 405 Method Not Allowed\\r\\nContent-Length: 0\\r\\n\\r\\n")
                return client.close()
            host, port = target.rsplit(":", 1)
            upstream = socket.create_connection((host, int(port)))
            with open(log, "a") as f:
                f.write(target + "\\n")
            client.sendall(b"HTTP/1.1 200 Connection established\\r\\n\\r\\n")
            threading.Thread(target=pipe, args=(client, upstream), daemon=True).start()
            threading.Thread(target=pipe, args=(upstream, client), daemon=True).start()
        while True:
            conn, _ = server.accept()
            threading.Thread(target=handle, args=(conn,), daemon=True).start()
        """

    let process = Process()
    let log: URL
    let port: Int

    init() async throws {
        let directory = try makeTemporaryDirectory()
        log = directory.appendingPathComponent("tunnels.log")
        let output = directory.appendingPathComponent("proxy.out")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        _ = FileManager.default.createFile(atPath: output.path, contents: nil)
        guard let python = findExecutable("python3") else { throw TestSupportError("python3 is not on PATH") }
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = ["-u", "-c", Self.script, log.path]
        // Files, not pipes: nothing the proxy holds can keep the test run's output open.
        let handle = try FileHandle(forWritingTo: output)
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        // It prints its port once it listens (it binds port 0: no race for a free one); the bound only stops a hang.
        var found = 0
        for _ in 0..<1200 where found == 0 {
            found = Int(((try? String(contentsOf: output, encoding: .utf8)) ?? "").split(separator: "\n").first ?? "") ?? 0
            if found == 0 { try await Task.sleep(for: .milliseconds(50)) }
        }
        port = found
    }

    var tunnels: [String] { ((try? String(contentsOf: log, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init) }

    func stop() { kill(process.processIdentifier, SIGKILL) }
}

/// Every AWS request goes through the forward proxy that HTTP_PROXY / HTTPS_PROXY name, except the hosts
/// NO_PROXY lists; a malformed proxy URL stops before any call, naming the variable.
@Suite(.integration) struct ProxyTests {
    func whoami(_ moto: MotoServer, _ extra: [String: String]) async throws -> ProcessResult {
        var environment = moto.environment(region: "eu-north-1")
        // The harness keeps every client off proxies for loopback; here the test decides.
        for name in ["NO_PROXY", "no_proxy", "HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy"] { environment[name] = nil }
        environment["NO_COLOR"] = "1"
        environment.merge(extra) { $1 }
        return try await runProcess(executable: CairnRunner.executable, arguments: ["whoami"], environment: environment, timeout: .seconds(120))
    }

    @Test func requestsGoThroughTheProxyUnlessNoProxyNamesTheHost() async throws {
        let moto = try await MotoServer.shared()
        let proxy = try await ConnectProxy()
        defer { proxy.stop() }
        try #require(proxy.port > 0, "the proxy did not start")
        let endpoint = try #require(URL(string: moto.environment(region: "eu-north-1")["AWS_ENDPOINT_URL"] ?? ""))
        let target = "\(endpoint.host ?? ""):\(endpoint.port ?? 80)"

        let proxied = try await whoami(moto, ["HTTP_PROXY": "http://127.0.0.1:\(proxy.port)"])
        #expect(proxied.status == 0, "\(proxied)")
        #expect(proxied.stdout.contains("Network:      proxy http://127.0.0.1:\(proxy.port) from HTTP_PROXY"), "\(proxied.stdout)")
        #expect(proxy.tunnels.contains(target), "the call went through the proxy: \(proxy.tunnels)")

        let before = proxy.tunnels.count
        let direct = try await whoami(moto, ["HTTP_PROXY": "http://127.0.0.1:\(proxy.port)", "NO_PROXY": "localhost,127.0.0.1"])
        #expect(direct.status == 0, "\(direct)")
        #expect(direct.stdout.contains("Network:      direct (NO_PROXY)"), "\(direct.stdout)")
        #expect(proxy.tunnels.count == before, "NO_PROXY kept the call off the proxy")
    }

    @Test func aMalformedProxyStopsBeforeAnyCall() async throws {
        let moto = try await MotoServer.shared()
        let result = try await whoami(moto, ["HTTPS_PROXY": "ftp://proxy.example.com:21"])
        #expect(result.status == 1)
        #expect(result.stderr.contains("HTTPS_PROXY is 'ftp://proxy.example.com:21', which is not a proxy URL"), "\(result.stderr)")
    }
}
