#!/usr/bin/env python3
"""A loopback HTTP/1.1 proxy between a client under test (Cairn) and moto that can hold chosen answers.

    python3 hold_proxy.py --upstream 127.0.0.1:PORT [--parent-pid PID]

Listens on a free 127.0.0.1 port and prints `ready PORT` once it does. The client reaches it through
AWS_ENDPOINT_URL; every request is forwarded to the upstream with its request line, headers (Host
included) and body bytes unchanged, so SigV4 signatures stay valid (only hop-by-hop headers are
dropped: Connection, Keep-Alive, Expect, Transfer-Encoding, a chunked body being passed on whole).

A hold rule names a request; the first request matching it is forwarded, and once the upstream has
answered, the answer is held back from the client until the test releases it: the call has taken
effect upstream but the client has not seen it, so the test can interrupt or kill the client at a
known point. Control endpoints (on the same port, never forwarded):

    POST /__proxy/hold     body: {"method": "PUT", "target": REGEX, "header": NAME, "header_value": REGEX,
                           "body": REGEX} (all optional; each REGEX is matched with re.search: target
                           against path and query, header_value against that header, body against the
                           request body as Latin-1, e.g. "Action=CreateRole&") -> {"rule": N}
    GET  /__proxy/held?rule=N&wait=SECONDS   -> 200 {"method", "target"} once rule N holds an answer,
                           204 if it does not within SECONDS (default 5)
    POST /__proxy/release?rule=N             -> 200; the held answer goes to the client (at once if the
                           rule has not matched yet)
    GET  /__proxy/requests -> [{"method", "target", "status"}] of every forwarded request, in order
    GET  /__proxy/health   -> 200

With --parent-pid the proxy exits as soon as that process is gone.
"""
import argparse
import json
import re
import sys
import threading
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qs, urlsplit

from proxy_support import Server, head_bytes, read_body, send_upstream, watch_parent


class Rule:
    def __init__(self, number, spec):
        self.number = number
        self.method = spec.get("method")
        self.target = re.compile(spec["target"]) if spec.get("target") else None
        self.header = (spec.get("header") or "").lower()
        self.header_value = re.compile(spec.get("header_value") or "")
        self.body = re.compile(spec["body"]) if spec.get("body") else None
        self.matched = None  # (method, target) once a request matched
        self.holding = threading.Event()
        self.released = threading.Event()

    def matches(self, method, target, headers, body):
        if self.matched is not None:
            return False
        if self.method and self.method.upper() != method.upper():
            return False
        if self.target and not self.target.search(target):
            return False
        if self.header:
            value = headers.get(self.header)
            if value is None or not self.header_value.search(value):
                return False
        if self.body and not self.body.search(body.decode("latin-1")):
            return False
        return True


class State:
    def __init__(self, upstream):
        self.upstream = upstream
        self.lock = threading.Lock()
        self.rules = {}
        self.forwarded = []

    def add_rule(self, spec):
        with self.lock:
            rule = Rule(len(self.rules) + 1, spec)
            self.rules[rule.number] = rule
            return rule.number

    def claim(self, method, target, headers, body):
        """The first unmatched rule this request matches, now marked as matched; or None."""
        with self.lock:
            for rule in self.rules.values():
                if rule.matches(method, target, headers, body):
                    rule.matched = (method, target)
                    return rule
        return None


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    state = None  # set in main

    def log_message(self, format, *args):
        sys.stderr.write("hold_proxy: " + (format % args) + "\n")

    def do_any(self):
        if self.path.startswith("/__proxy/"):
            return self.control()
        body = self.read_body()
        headers = {name.lower(): value for name, value in self.headers.items()}
        rule = self.state.claim(self.command, self.path, headers, body)
        status, reason, response_headers, response_body = self.forward(body)
        with self.state.lock:
            self.state.forwarded.append({"method": self.command, "target": self.path, "status": status})
        if rule is not None:
            self.log_message("holding the answer to %s %s (rule %d)", self.command, self.path, rule.number)
            rule.holding.set()
            rule.released.wait()
        self.answer(status, reason, response_headers, response_body)

    do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = do_PATCH = do_any

    def read_body(self):
        return read_body(self)

    def forward(self, body):
        return send_upstream(
            self.state.upstream, self.command, self.path, self.headers.items(), body,
            self.headers.get("Content-Length") is not None)

    def answer(self, status, reason, headers, body):
        try:
            head = head_bytes(self.command, status, reason, headers, len(body))
            self.wfile.write(head + (b"" if self.command == "HEAD" else body))
            self.wfile.flush()
        except OSError:
            # The client is gone (killed while its answer was held): nothing to deliver.
            self.close_connection = True

    def control(self):
        url = urlsplit(self.path)
        query = {name: values[0] for name, values in parse_qs(url.query).items()}
        body = self.read_body()
        if url.path == "/__proxy/health":
            return self.reply(200, "ok")
        if url.path == "/__proxy/hold" and self.command == "POST":
            return self.reply(200, {"rule": self.state.add_rule(json.loads(body or b"{}"))})
        if url.path == "/__proxy/requests":
            with self.state.lock:
                return self.reply(200, list(self.state.forwarded))
        rule = self.state.rules.get(int(query.get("rule", "0")))
        if rule is None:
            return self.reply(404, f"no rule {query.get('rule')}")
        if url.path == "/__proxy/held":
            if not rule.holding.wait(float(query.get("wait", "5"))):
                return self.reply(204, None)
            method, target = rule.matched
            return self.reply(200, {"method": method, "target": target})
        if url.path == "/__proxy/release" and self.command == "POST":
            rule.released.set()
            return self.reply(200, "released")
        return self.reply(404, f"unknown control request {self.command} {url.path}")

    def reply(self, status, payload):
        data = b"" if payload is None else json.dumps(payload).encode()
        self.send_response(status)
        if status != 204:
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if status != 204:
            self.wfile.write(data)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--upstream", required=True, help="HOST:PORT of the server to forward to")
    parser.add_argument("--parent-pid", type=int)
    args = parser.parse_args()
    host, port = args.upstream.rsplit(":", 1)
    Handler.state = State((host, int(port)))
    server = Server(("127.0.0.1", 0), Handler)
    if args.parent_pid:
        threading.Thread(target=watch_parent, args=(args.parent_pid,), daemon=True).start()
    print(f"ready {server.server_address[1]}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
