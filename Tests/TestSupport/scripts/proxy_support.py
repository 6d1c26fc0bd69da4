"""What the loopback HTTP/1.1 servers here share (hold_proxy.py, fault_proxy.py, stub_server.py): a listen backlog
no burst fills, reading a request's body, forwarding a request to the upstream with its bytes unchanged, writing an
answer's head, and exiting with the test process. Imported from the scripts' own directory."""
import http.client
import os
import time
from http.server import ThreadingHTTPServer

# Connections waiting to be accepted. socketserver's default is 5: a burst of new connections beyond it (Cairn opens up
# to 32 per endpoint, several tests at once) makes Linux drop SYNs, and each client then waits out TCP's retransmission
# backoff (1, 3, 7, ... 63 s) while the server is idle.
LISTEN_BACKLOG = 4096


class Server(ThreadingHTTPServer):
    """A thread per connection, none keeping the process alive, and a listen backlog no test's burst fills."""

    daemon_threads = True
    request_queue_size = LISTEN_BACKLOG


# Headers that concern one connection only: never forwarded (a chunked body is passed on whole).
HOP_BY_HOP = {"connection", "keep-alive", "expect", "transfer-encoding", "proxy-connection", "te", "upgrade"}


def read_body(handler):
    """The body of the request `handler` (a BaseHTTPRequestHandler) is reading: Content-Length or chunked."""
    if (handler.headers.get("Transfer-Encoding") or "").lower() == "chunked":
        chunks = []
        while True:
            size = int(handler.rfile.readline().split(b";")[0].strip(), 16)
            if size == 0:
                while handler.rfile.readline() not in (b"\r\n", b"\n", b""):
                    pass
                return b"".join(chunks)
            chunks.append(handler.rfile.read(size))
            handler.rfile.readline()
    length = int(handler.headers.get("Content-Length") or 0)
    return handler.rfile.read(length) if length else b""


def send_upstream(upstream, method, target, headers, body, with_length):
    """(status, reason, headers, body) of the upstream's answer to the request as given (Host included, hop-by-hop
    headers left out, Content-Length set to the body's when there is one or `with_length`). Raises OSError."""
    host, port = upstream
    connection = http.client.HTTPConnection(host, port, timeout=300)
    try:
        connection.putrequest(method, target, skip_host=True, skip_accept_encoding=True)
        for name, value in headers:
            if name.lower() not in HOP_BY_HOP and name.lower() != "content-length":
                connection.putheader(name, value)
        if body or with_length:
            connection.putheader("Content-Length", str(len(body)))
        connection.endheaders(body)
        response = connection.getresponse()
        return response.status, response.reason, response.getheaders(), response.read()
    finally:
        connection.close()


def head_bytes(method, status, reason, headers, body_length):
    """An answer's status line and headers: hop-by-hop headers left out, Content-Length the body's (a HEAD answer
    keeps the upstream's)."""
    lines = ["HTTP/1.1 %d %s\r\n" % (status, reason)]
    for name, value in headers:
        if name.lower() not in HOP_BY_HOP and not (name.lower() == "content-length" and method != "HEAD"):
            lines.append("%s: %s\r\n" % (name, value))
    if method != "HEAD" and status not in (204, 304):
        lines.append("Content-Length: %d\r\n" % body_length)
    lines.append("\r\n")
    return "".join(lines).encode("latin-1")


def watch_parent(pid):
    """Exits the process as soon as `pid` is gone (run it on a daemon thread)."""
    while True:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            os._exit(0)
        except PermissionError:
            pass
        time.sleep(0.5)
