import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A minimal blocking HTTP/1.0 client for 127.0.0.1 (readiness probes and control endpoints),
/// so that TestSupport needs neither URLSession nor a run loop.
struct LoopbackHTTPResponse {
    let status: Int
    let headers: [String: String]  // lower-cased names
    let body: Data
}

func loopbackHTTPRequest(
    port: Int, method: String = "GET", path: String, body: Data = Data(), timeoutSeconds: Int = 5
) throws -> LoopbackHTTPResponse {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw TestSupportError("socket() failed: \(String(cString: strerror(errno)))") }
    defer { close(fd) }
    _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
    var timeout = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    var address = loopbackAddress(port: port)
    let connected = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
        }
    }
    guard connected == 0 else {
        throw TestSupportError("connect to 127.0.0.1:\(port) failed: \(String(cString: strerror(errno)))")
    }

    var request = "\(method) \(path) HTTP/1.0\r\nHost: 127.0.0.1:\(port)\r\nConnection: close\r\n"
    request += "Content-Length: \(body.count)\r\n\r\n"
    let outgoing = Array(request.utf8) + Array(body)
    var offset = 0
    while offset < outgoing.count {
        let sent = outgoing.withUnsafeBytes { send(fd, $0.baseAddress! + offset, $0.count - offset, Int32(MSG_NOSIGNAL)) }
        if sent < 0 && errno == EINTR { continue }
        guard sent > 0 else { throw TestSupportError("send to 127.0.0.1:\(port) failed: \(String(cString: strerror(errno)))") }
        offset += sent
    }

    var response = [UInt8]()
    var buffer = [UInt8](repeating: 0, count: 65_536)
    while true {
        let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        if count > 0 {
            response.append(contentsOf: buffer[0..<count])
            continue
        }
        if count == 0 { break }
        if errno == EINTR { continue }
        if errno == ECONNRESET && !response.isEmpty { break }
        throw TestSupportError("reading from 127.0.0.1:\(port) failed: \(String(cString: strerror(errno)))")
    }
    let bytes = response

    let separator: [UInt8] = [13, 10, 13, 10]
    guard
        let headerEnd = bytes.indices.first(where: { index in
            index + 4 <= bytes.count && Array(bytes[index..<index + 4]) == separator
        })
    else {
        throw TestSupportError("malformed HTTP response from 127.0.0.1:\(port): \(String(decoding: bytes.prefix(200), as: UTF8.self))")
    }
    let head = String(decoding: bytes[0..<headerEnd], as: UTF8.self)
    var lines = head.components(separatedBy: "\r\n")
    let statusLine = lines.removeFirst().split(separator: " ")
    guard statusLine.count >= 2, let status = Int(statusLine[1]) else {
        throw TestSupportError("malformed HTTP status line from 127.0.0.1:\(port): \(head.prefix(200))")
    }
    var headers = [String: String]()
    for line in lines {
        guard let colon = line.firstIndex(of: ":") else { continue }
        headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
    }
    return LoopbackHTTPResponse(status: status, headers: headers, body: Data(bytes[(headerEnd + 4)...]))
}
