#!/usr/bin/env python3
"""A scriptable HTTP/1.1 stub server on 127.0.0.1 for client tests (retries, error parsing, signing).

    python3 stub_server.py [--port P] [--script JSON|@FILE] [--when-empty JSON|@FILE] [--parent-pid PID]

Every request outside /__stub/ is recorded, then answered by the next queued response. When the queue is
empty, the --when-empty entry answers; without one the last response served repeats (and if none was ever
served: 500 with the header X-Stub-Error). Queue entries (JSON objects):
    {"type": "http", "status": 503, "headers": {"Retry-After": "1"}, "body": "..."}
    {"type": "reset"}                  read the request, then close with a TCP RST (SO_LINGER 0)
    {"type": "close"}                  read the request, then close cleanly (FIN) without any response
    {"type": "hang"}                   read the request, never answer; close when the client does
    {"type": "raw", "data": "HTTP/1.1 200 OK\\r\\n..."}   write these bytes verbatim, then close
    {"type": "delay", "seconds": 1.5, "then": {...}}
Control protocol (HTTP on the same port; never recorded, never consumes the queue):
    GET  /__stub/health    -> 200 "ok"
    GET  /__stub/requests  -> JSON array of {"method", "target", "path", "query", "headers", "body",
                              "body_base64", "connection", "http_version"} in arrival order
    POST /__stub/enqueue   body: JSON array of entries, appended to the queue -> 200 {"queued": N}
    POST /__stub/reset     empties the queue, the records and the "last response" -> 200
Keep-alive (HTTP/1.1) is supported; "connection" numbers the TCP connections (1, 2, ...) in the order of
their first recorded request. With --parent-pid the server exits as soon as that process is gone.
Prints `ready PORT` once it listens (on a free port of its choosing without --port). Exits with status 98 if
the port given is taken.
"""
import argparse
import base64
import collections
import errno
import json
import os
import select
import socket
import struct
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler

from proxy_support import Server as LoopbackServer

NOTHING_QUEUED = {
    "type": "http",
    "status": 500,
    "headers": {"Content-Type": "text/plain", "X-Stub-Error": "no-response-queued"},
    "body": "stub server: no response queued",
}


class State:
    def __init__(self, script, when_empty):
        self.lock = threading.Lock()
        self.queue = collections.deque(script)
        self.when_empty = when_empty
        self.last = None
        self.records = []
        self.connections = 0

    def new_connection_id(self):
        with self.lock:
            self.connections += 1
            return self.connections

    def take(self, record):
        with self.lock:
            self.records.append(record)
            if self.queue:
                self.last = self.queue.popleft()
                return self.last
            if self.when_empty is not None:
                return self.when_empty
            return self.last if self.last is not None else NOTHING_QUEUED

    def enqueue(self, entries):
        with self.lock:
            self.queue.extend(entries)
            return len(self.queue)

    def reset(self):
        with self.lock:
            self.queue.clear()
            self.records = []
            self.last = None

    def snapshot(self):
        with self.lock:
            return list(self.records)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "CairnStub/1.0"
    connection_id = None

    def __getattr__(self, name):
        # Any method (GET, PUT, DELETE, PATCH, ...) goes to the same handler.
        if name.startswith("do_"):
            return self.handle_any
        raise AttributeError(name)

    def log_message(self, fmt, *args):
        sys.stderr.write("stub: %s - %s\n" % (self.address_string(), fmt % args))

    def read_body(self):
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            chunks = []
            while True:
                size_line = self.rfile.readline()
                size = int(size_line.split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass  # trailers
                    break
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            return b"".join(chunks)
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def handle_any(self):
        body = self.read_body()
        if self.path.startswith("/__stub/"):
            self.control(body)
            return
        if self.connection_id is None:
            self.connection_id = self.server.state.new_connection_id()
        headers = {}
        for name, value in self.headers.items():
            key = name.lower()
            headers[key] = headers[key] + ", " + value if key in headers else value
        path, _, query = self.path.partition("?")
        entry = self.server.state.take({
            "method": self.command,
            "target": self.path,
            "path": path,
            "query": query,
            "headers": headers,
            "body": body.decode("utf-8", "replace"),
            "body_base64": base64.b64encode(body).decode("ascii"),
            "connection": self.connection_id,
            "http_version": self.request_version,
        })
        self.respond(entry)

    def respond(self, entry):
        kind = entry.get("type")
        if kind == "delay":
            time.sleep(float(entry.get("seconds", 0)))
            self.respond(entry.get("then") or {"type": "http", "status": 200})
        elif kind == "reset":
            self.close_connection = True
            sock = self.connection
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            # detach + os.close really closes now (socket.close() would wait for the makefile()
            # objects, and socketserver would first shutdown(SHUT_WR), i.e. send a FIN).
            os.close(sock.detach())
        elif kind == "close":
            self.close_connection = True  # socketserver shuts the socket down cleanly (FIN)
        elif kind == "hang":
            self.close_connection = True
            self.wait_for_client_close()
        elif kind == "raw":
            self.close_connection = True
            self.wfile.write(entry.get("data", "").encode("utf-8"))
            self.wfile.flush()
        else:
            self.send_http(int(entry.get("status", 200)), entry.get("headers") or {}, entry.get("body") or "")

    def wait_for_client_close(self):
        sock = self.connection
        while not self.server.stopping:
            readable, _, _ = select.select([sock], [], [], 0.5)
            if not readable:
                continue
            try:
                if not sock.recv(65536):
                    return  # the client closed its side
            except OSError:
                return

    def send_http(self, status, headers, body_text):
        body = body_text.encode("utf-8")
        self.send_response(status)
        names = {name.lower() for name in headers}
        for name, value in headers.items():
            self.send_header(name, str(value))
        no_body = self.command == "HEAD" or status in (204, 304) or 100 <= status < 200
        if "content-length" not in names and "transfer-encoding" not in names and status not in (204, 304):
            self.send_header("Content-Length", str(len(body)))
        if headers.get("Connection", headers.get("connection", "")).lower() == "close":
            self.close_connection = True
        self.end_headers()
        if not no_body:
            self.wfile.write(body)

    def control(self, body):
        state = self.server.state
        path = self.path.partition("?")[0]
        if path == "/__stub/requests" and self.command == "GET":
            self.send_http(200, {"Content-Type": "application/json"}, json.dumps(state.snapshot()))
        elif path == "/__stub/health":
            self.send_http(200, {"Content-Type": "text/plain"}, "ok")
        elif path == "/__stub/enqueue" and self.command == "POST":
            try:
                entries = json.loads(body.decode("utf-8"))
                if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
                    raise ValueError("expected a JSON array of objects")
            except ValueError as error:
                self.send_http(400, {"Content-Type": "text/plain"}, "bad enqueue body: %s" % error)
                return
            queued = state.enqueue(entries)
            self.send_http(200, {"Content-Type": "application/json"}, json.dumps({"queued": queued}))
        elif path == "/__stub/reset" and self.command == "POST":
            state.reset()
            self.send_http(200, {"Content-Type": "text/plain"}, "ok")
        else:
            self.send_http(404, {"Content-Type": "text/plain"}, "unknown control endpoint %s %s" % (self.command, path))


class Server(LoopbackServer):
    allow_reuse_address = False
    stopping = False

    def handle_error(self, request, client_address):
        # Resets and abrupt client closes are normal here; keep the log readable.
        error = sys.exc_info()[1]
        if isinstance(error, (ConnectionError, BrokenPipeError, OSError)):
            sys.stderr.write("stub: connection from %s ended: %r\n" % (client_address, error))
        else:
            super().handle_error(request, client_address)


def watch_parent(parent_pid):
    while os.getppid() == parent_pid:
        time.sleep(0.2)
    os._exit(0)


def load_json_argument(text):
    if text.startswith("@"):
        with open(text[1:], encoding="utf-8") as handle:
            text = handle.read()
    return json.loads(text)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--script", default="[]")
    parser.add_argument("--when-empty")
    parser.add_argument("--parent-pid", type=int)
    args = parser.parse_args()

    script = load_json_argument(args.script)
    if not isinstance(script, list):
        sys.exit("stub: --script must be a JSON array")
    when_empty = load_json_argument(args.when_empty) if args.when_empty else None

    if args.parent_pid:
        if os.getppid() != args.parent_pid:
            sys.exit("stub: parent already gone")
        threading.Thread(target=watch_parent, args=(args.parent_pid,), daemon=True).start()

    try:
        server = Server(("127.0.0.1", args.port), Handler)
    except OSError as error:
        print("stub: cannot bind 127.0.0.1:%d: %s" % (args.port, error), file=sys.stderr)
        sys.exit(98 if error.errno == errno.EADDRINUSE else 1)
    server.state = State(script, when_empty)
    port = server.server_address[1]
    print("stub: listening on 127.0.0.1:%d" % port, file=sys.stderr)
    sys.stderr.flush()
    # The port it bound (its own choice with --port 0): the client waits for this line, so no other server can be
    # taken for it.
    print("ready %d" % port, flush=True)
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        server.stopping = True


if __name__ == "__main__":
    main()
