#!/usr/bin/env python3
"""A fault-injecting HTTP/1.1 proxy between a client under test (Cairn, the aws CLI, boto3) and moto.

    python3 fault_proxy.py --upstream 127.0.0.1:PORT [--port PORT] [--parent-pid PID]

Listens on a free 127.0.0.1 port and prints `ready PORT` once it does. Point the client at it through
AWS_ENDPOINT_URL. Each request is identified from botocore's models (service-2.json) as SERVICE:Operation,
SERVICE being botocore's name for the service (the one boto3.client takes: iam, s3, logs, cloudwatch, events…):

- the service from the SigV4 credential scope (Authorization header or X-Amz-Credential), among the services
  that sign with that name; unsigned requests are matched against every service;
- json: the X-Amz-Target header; smithy-rpc-v2-cbor: the /service/S/operation/O path; query and ec2: Action in
  the form body (or the query string); rest-xml and rest-json: the method and the operation's requestUri template
  (path labels, greedy labels and the literal query keys, the most specific match winning), S3 addressed
  path-style or virtual-host style (the bucket in the Host header).

Requests are forwarded with their request line, headers and body bytes unchanged, so signatures stay valid.
Only pagination changes a request (it removes the paging token and the page limit, so that moto answers the
whole list); such a request is signed again with the credentials in FAULT_PROXY_ACCESS_KEY_ID and
FAULT_PROXY_SECRET_ACCESS_KEY (moto's admin key), for the region and service of the original signature.

Rules (JSON), added on the fly through the control endpoints below, on the same port (never forwarded):

    POST   /__fault/rules        body: a rule, a list of rules or {"rules": [...]}   -> {"ids": [ID, ...]}
    GET    /__fault/rules        -> [rule with "id", "matched" and "fired" counters, ...]
    DELETE /__fault/rules/ID     -> 200, or 404 for an unknown id
    POST   /__fault/reset        -> 200: every rule, token bucket, issued page token, statistic and log entry gone
    POST   /__fault/stats/reset  -> 200: the statistics and the log only (rules keep their state)
    GET    /__fault/stats        -> {"operations": {"iam:ListRoles": STATS, ...}, "totals": STATS}
    GET    /__fault/log?limit=N  -> the last N requests (default 200, at most 5000 kept):
                                    [{"op", "method", "target", "status", "outcome"}]
    GET    /__fault/health       -> 200

A rule: {"action": ACTION, "match": PATTERNS, ...}. Fields every rule takes:
    match        "iam:CreateRole", "s3:*", "*:List*", "*" (fnmatch, case-sensitive) or a list of them (any may
                 match); "unknown" is the key of a request no model identifies. Default "*".
    method       the HTTP method (optional); target: a regex searched in the path and query as sent; body: a
                 regex searched in the body read as Latin-1 (e.g. "RoleName=app-role(&|$)").
    skip         let the first N matching requests through untouched (default 0).
    count        act on at most N matching requests after the skipped ones (default: no limit).
    probability  act on a matching request with this probability (default 1), drawn deterministically from
                 `seed` (default 0), the operation and how many requests of that operation the rule matched
                 before: the same seed gives the same fate to the n-th call of each operation, however calls
                 of different operations interleave.
Actions (the first terminal rule that acts decides; delay and paginate combine with it; a rule with "code" or
"choices" and no "action" is an error rule):
    error        answer {"code", "status", "message"} in the service's wire format: json: `__type` in the body and
                 x-amzn-ErrorType; rest-json: the same; query: ErrorResponse/Error/Code XML; ec2: Response/Errors/Error;
                 S3: <Error><Code> (no body for HEAD); other rest-xml (CloudFront): ErrorResponse/Error;
                 smithy-rpc-v2-cbor: a CBOR map. status defaults by code (404 for NoSuchEntity/NoSuchKey/
                 NoSuchBucket/ResourceNotFoundException, 500 for InternalError/InternalFailure/ServiceFailure, 503 for
                 ServiceUnavailable/SlowDown/RequestLimitExceeded, else 400), message to a sentence naming the proxy.
                 "forward": true forwards the request to moto first and answers the error instead of moto's answer
                 (AWS did it, the client did not learn it). Default false.
    throttle     an error with the service's throttling code and status (the model's ThrottlingException or
                 TooManyRequestsException if it has one, else json/rest-json/cbor ThrottlingException 400, query
                 Throttling 400, ec2 RequestLimitExceeded 503, S3 SlowDown 503, other rest-xml Throttling 400);
                 code/status/message override. Takes "forward".
    reset        "at": "body" (default) sends the status line, the headers and half of the body, then resets the
                 connection (TCP RST); "at": "start" resets it before any byte of the answer. "forward" defaults to
                 true for "body" (the cut answer is moto's) and false for "start"; a body reset without forwarding
                 cuts a 500 error document.
    delay        wait "delay_ms" before forwarding ("phase": "request") or before answering ("phase": "response",
                 the default), then go on with the other rules. Not terminal.
    pass         let the request through untouched (exempts requests from the rules after it).
    choices      (instead of, or with, any terminal action) a list of faults, each an object as above without
                 match/skip/count/probability, or a shorthand: "throttle", "500" (InternalError on S3 and
                 InternalFailure elsewhere), "503" (ServiceUnavailable), "reset", "reset-start"; the fault is drawn
                 from them like probability (deterministic per seed).
    paginate     "page_size": K. For every operation with a botocore paginator (paginators-1.json, or the proxy's
                 EXTRA_PAGINATORS for what AWS pages without one: CodeCommit's ListTagsForResource; any other
                 operation is forwarded as it is): the request is forwarded without its paging token and page limit,
                 moto's whole answer (followed through moto's own pages if it has any) is sliced to min(K, the
                 client's limit) items counted across all the paginator's result keys (S3's Version and DeleteMarker
                 entries in the answer's order), and the page carries the output token(s) and the more-results flag
                 in the protocol's form (json and rest-json body members, query/ec2/rest-xml elements in model order;
                 CloudFront's Quantity, S3's KeyCount and the echoed markers set too). The tokens are the proxy's own (letters, digits and '-'):
                 a continuation gets the next items of moto's answer then that the token's pages did not serve yet, so
                 a list that changes between pages (tests share moto) gives every item that stays in it once. S3
                 ListObjectVersions is paged by its own markers instead: NextKeyMarker/NextVersionIdMarker are the
                 last entry's key (URL-encoded when the answer says EncodingType url) and version id, as S3 does. A
                 continuation request carrying a proxy token is always served by the proxy, whatever the rules say now.
    rate_limit   a token bucket: "rate" tokens per second, "burst" capacity (default max(1, rate)); "per":
                 "operation" (default, a bucket per SERVICE:Operation), "service" or "rule" (one bucket for every
                 match). A request finding its bucket empty is answered as `throttle` would (code/status/message
                 override) without being forwarded. Buckets start full; rate 0 never refills (tests count with it).

STATS (per operation; totals sum them, max_items is the maximum):
    requests, forwarded (requests sent to moto, continuation fetches included), ok (2xx answers delivered),
    status {"200": n, ...} (answers delivered, injected ones included), injected (errors answered by rules),
    errors {"Code": n} (those errors by code), throttled (answered by a token bucket; not in errors), resets,
    delayed (requests a delay rule held, once each),
    upstream_failures (moto unreachable: answered 502), pages (answers the proxy sliced), truncated (pages served
    with a next token), continued (continuation requests recognised), tokens_issued, tokens_followed, unfollowed
    (tokens issued and never presented back), max_items (the largest whole list sliced), unpaginated (answers of a
    paginated operation a paginate rule could not slice, passed on as moto gave them: a paginator the proxy cannot
    evaluate, a token that is not a string, a body that did not parse), first_at and last_ok_at (per operation: when
    its first answer and its last 2xx went out, in seconds of a monotonic clock), ok_at (when each 2xx went out):
    for bench/throttling.py's goodput under a rate_limit.

With --parent-pid the proxy exits as soon as that process is gone.
"""
import argparse
import collections
import fnmatch
import hashlib
import json
import os
import re
import socket
import struct
import sys
import tempfile
import threading
import time
import zlib
import xml.etree.ElementTree as ET
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit

import botocore
from botocore.auth import S3SigV4Auth, SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import DataNotFoundError
from botocore.loaders import Loader

from proxy_support import HOP_BY_HOP, Server, head_bytes, read_body, send_upstream, watch_parent
CREDENTIAL = re.compile(r"Credential=([^/,\s]+)/(\d{8})/([^/]+)/([^/]+)/aws4_request")


# MARK: - Models


class Service:
    """One botocore service model: its operations, REST routes, paginators and shapes."""

    def __init__(self, name, model, paginators):
        self.name = name
        self.model = model
        self.meta = model["metadata"]
        self.shapes = model["shapes"]
        self.operations = model["operations"]
        self.paginators = paginators
        protocols = self.meta.get("protocols") or [self.meta.get("protocol")]
        self.protocols = [p for p in protocols if p]
        self._routes = None
        self.throttling = self._modelled_throttling()

    def shape(self, name):
        return self.shapes[name]

    def rest_protocol(self):
        for protocol in self.protocols:
            if protocol in ("rest-xml", "rest-json"):
                return protocol
        return None

    def routes(self):
        """(method, path regex, required query items, required members, specificity, operation) for every operation.

        Required members are the input shape's required query and header members, as ("query" or "header", name): S3's
        PutObject, CopyObject (x-amz-copy-source) and UploadPart (partNumber, uploadId) share a method and a URI, and
        only those tell them apart. A request that lacks one still matches, after every route it has all of."""
        if self._routes is None:
            routes = []
            for name, operation in self.operations.items():
                http_binding = operation.get("http", {})
                uri = http_binding.get("requestUri", "/")
                path_template, _, query_template = uri.partition("?")
                pattern, literal, greedy = "", 0, False
                for piece in re.split(r"(\{[^}]+\})", path_template):
                    if piece.startswith("{"):
                        greedy = greedy or piece.endswith("+}")
                        pattern += "(.+)" if piece.endswith("+}") else "([^/]+)"
                    else:
                        pattern += re.escape(piece)
                        literal += len(piece)
                if not path_template.endswith("/"):
                    pattern += "/?"
                required = []
                for item in query_template.split("&"):
                    if item:
                        key, has_value, value = item.partition("=")
                        required.append((key, value if has_value else None))
                members = []
                shape = self.shapes.get(operation.get("input", {}).get("shape"), {})
                for member in shape.get("required", []):
                    binding = shape.get("members", {}).get(member, {})
                    wire = binding.get("locationName", member)
                    if binding.get("location") == "querystring" and all(key != wire for key, _ in required):
                        members.append(("query", wire))
                    elif binding.get("location") == "header":
                        members.append(("header", wire))
                specificity = (len(required) + len(members), literal, not greedy)
                routes.append(
                    (http_binding.get("method", "POST"), re.compile(pattern + r"\Z"), required, members, specificity, name))
            self._routes = routes
        return self._routes

    def match_rest(self, method, path, query_pairs, operations=None, header=lambda name: None):
        keys = {}
        for key, value in query_pairs:
            keys.setdefault(key, value)
        best = None
        for route_method, pattern, required, members, specificity, name in self.routes():
            if operations is not None and name not in operations:
                continue
            if route_method != method or not pattern.match(path):
                continue
            if any(key not in keys or (value is not None and keys[key] != value) for key, value in required):
                continue
            present = all((wire in keys) if kind == "query" else (header(wire) is not None) for kind, wire in members)
            if best is None or (present, specificity) > best[0]:
                best = ((present, specificity), name)
        return best and (best[0][1], best[1])

    def _modelled_throttling(self):
        for name in ("ThrottlingException", "TooManyRequestsException"):
            shape = self.shapes.get(name)
            if shape and shape.get("exception"):
                error = shape.get("error", {})
                return error.get("code", name), error.get("httpStatusCode")
        return None

    def unsigned_operations(self):
        return {
            name
            for name, op in self.operations.items()
            if op.get("authtype") == "none" or op.get("auth") == ["smithy.api#noAuth"]
        }


class Models:
    """botocore's models, indexed by signing name once (cached on disk per botocore version), loaded on demand."""

    def __init__(self):
        self.loader = Loader()
        self.lock = threading.Lock()
        self.services = {}
        self._index = None
        self._index_ready = threading.Event()

    def build_index(self):
        """Indexes every service's signing name, target prefix and protocols (run once, on a thread of its own)."""
        try:
            self._index = self._build_index()
        except Exception as error:  # identification then falls back to "unknown"; requests must not wait forever
            sys.stderr.write("fault_proxy: indexing botocore's models failed: %r\n" % (error,))
            self._index = {}
        finally:
            self._index_ready.set()

    def _build_index(self):
        path = os.path.join(
            tempfile.gettempdir(),
            "fault-proxy-index-%s-%s.json"
            % (botocore.__version__, hashlib.sha256(os.path.dirname(botocore.__file__).encode()).hexdigest()[:12]),
        )
        index = None
        try:
            with open(path) as handle:
                index = json.load(handle)
        except (OSError, ValueError):
            pass
        if index is None:
            index = {}
            for name in self.loader.list_available_services("service-2"):
                try:
                    model = self.loader.load_service_model(name, "service-2")
                except DataNotFoundError:
                    continue
                meta = model["metadata"]
                service = Service(name, model, {})
                index[name] = {
                    "signing": meta.get("signingName") or meta.get("endpointPrefix"),
                    "target": meta.get("targetPrefix"),
                    "protocols": service.protocols,
                    "api": meta.get("apiVersion"),
                    "unsigned": sorted(service.unsigned_operations()),
                }
            try:
                with tempfile.NamedTemporaryFile("w", dir=os.path.dirname(path), delete=False) as handle:
                    json.dump(index, handle)
                os.replace(handle.name, path)
            except OSError:
                pass
        return index

    def index(self):
        self._index_ready.wait()
        return self._index

    def service(self, name):
        with self.lock:
            if name not in self.services:
                model = self.loader.load_service_model(name, "service-2")
                try:
                    paginators = self.loader.load_service_model(name, "paginators-1").get("pagination", {})
                except DataNotFoundError:
                    paginators = {}
                paginators = dict(EXTRA_PAGINATORS.get(name, {}), **paginators)
                self.services[name] = Service(name, model, paginators)
            return self.services[name]

    # MARK: Identification

    def identify(self, request):
        """The Call a request makes: service, operation, wire protocol (never raises)."""
        try:
            return self._identify(request)
        except Exception as error:  # an unexpected request shape must not take the proxy down
            sys.stderr.write("fault_proxy: could not identify %s %s: %r\n" % (request.method, request.target, error))
            return Call(None, None, guess_protocol(request), request)

    def _identify(self, request):
        scope = request.credential_scope()
        index = self.index()
        if scope is not None:
            candidates = [name for name, entry in index.items() if entry["signing"] == scope[1]]
        else:
            candidates = [name for name, entry in index.items() if entry["unsigned"]]
        target = request.header("x-amz-target")
        if target:
            prefix, _, operation = target.rpartition(".")
            for name in candidates or index:
                if index[name]["target"] == prefix:
                    service = self.service(name)
                    if operation in service.operations:
                        return Call(service, operation, "json", request)
            return Call(None, None, "json", request)
        if (request.header("smithy-protocol") or "").lower() == "rpc-v2-cbor":
            match = re.match(r"^/service/([^/]+)/operation/([^/?]+)", request.path)
            if match:
                for name in candidates or index:
                    if index[name]["target"] == match.group(1):
                        service = self.service(name)
                        if match.group(2) in service.operations:
                            return Call(service, match.group(2), "cbor", request)
            return Call(None, None, "cbor", request)
        form = request.form()
        if form is not None and "Action" in form:
            action, version = form["Action"], form.get("Version")
            found = None
            for name in candidates:
                protocols = index[name]["protocols"]
                if "query" not in protocols and "ec2" not in protocols:
                    continue
                service = self.service(name)
                if action in service.operations:
                    if found is None or (version and index[name]["api"] == version):
                        found = service
            if found is not None:
                protocol = "ec2" if "ec2" in found.protocols else "query"
                return Call(found, action, protocol, request)
            return Call(None, None, "query", request)
        best = None
        for name in candidates:
            protocols = index[name]["protocols"]
            if "rest-xml" not in protocols and "rest-json" not in protocols:
                continue
            service = self.service(name)
            path = request.path
            bucket = virtual_host_bucket(request.header("host") or "") if name == "s3" else None
            if bucket:
                path = "/" + quote(bucket, safe="") + (path if path != "/" else "")
            found = service.match_rest(
                request.method, path, request.query_pairs(), None if scope is not None else set(index[name]["unsigned"]),
                request.header,
            )
            if found and (best is None or found[0] > best[0]):
                best = (found[0], service, found[1])
        if best is not None:
            return Call(best[1], best[2], best[1].rest_protocol(), request)
        return Call(None, None, guess_protocol(request), request)


def virtual_host_bucket(host):
    """The bucket of a virtual-hosted S3 request (`bucket.s3.amazonaws.com`, `bucket.localhost:PORT`), or None."""
    host = host.rsplit(":", 1)[0] if not host.startswith("[") else host
    if re.fullmatch(r"[\d.]+", host) or host in ("localhost",) or host.startswith("["):
        return None
    match = re.match(r"^(.+?)\.s3[.-]", host)
    if match:
        return match.group(1)
    if host.endswith(".localhost"):
        return host[: -len(".localhost")]
    return None


def guess_protocol(request):
    if request.header("x-amz-target"):
        return "json"
    form = request.form()
    if form is not None and "Action" in form:
        return "query"
    return "unknown"


class Call:
    """A request as identified: its service (or None), operation (or None) and wire protocol."""

    def __init__(self, service, operation, protocol, request):
        self.service = service
        self.operation = operation
        self.protocol = protocol
        self.request = request

    @property
    def key(self):
        if self.service is None or self.operation is None:
            return "unknown"
        return "%s:%s" % (self.service.name, self.operation)

    @property
    def service_name(self):
        return self.service.name if self.service else "unknown"

    def is_s3(self):
        return self.service is not None and self.service.name == "s3"

    def throttling(self):
        """The service's throttling error: (code, status)."""
        if self.service is not None and self.service.throttling:
            code, status = self.service.throttling
            return code, status or 400
        if self.protocol == "query":
            return "Throttling", 400
        if self.protocol == "ec2":
            return "RequestLimitExceeded", 503
        if self.protocol == "rest-xml":
            return ("SlowDown", 503) if self.is_s3() else ("Throttling", 400)
        return "ThrottlingException", 400

    def internal_error(self, status):
        if status == 503:
            return "ServiceUnavailable", 503
        return ("InternalError", 500) if self.protocol in ("rest-xml",) and self.is_s3() else ("InternalFailure", 500)


# MARK: - Requests and answers


def header_value(headers, name):
    """The first value of header `name` (any case) among [(name, value)], or None."""
    name = name.lower()
    return next((value for key, value in headers if key.lower() == name), None)


class Request:
    def __init__(self, method, target, headers, body):
        self.method = method
        self.target = target
        self.headers = headers  # [(name, value)] as received
        self.body = body
        parts = urlsplit(target)
        self.path = parts.path or "/"
        self.query = parts.query
        self._form = False

    def header(self, name):
        return header_value(self.headers, name)

    def query_pairs(self):
        return parse_qsl(self.query, keep_blank_values=True)

    def form(self):
        """The form fields of a query-protocol request (body, or query string for GET), or None."""
        if self._form is False:
            self._form = None
            content_type = (self.header("content-type") or "").lower()
            if self.method == "POST" and content_type.startswith("application/x-www-form-urlencoded"):
                self._form = dict(parse_qsl(self.body.decode("utf-8", "replace"), keep_blank_values=True))
            elif self.method == "GET" and "Action=" in self.query:
                self._form = dict(self.query_pairs())
        return self._form

    def credential_scope(self):
        """(region, signing name) of the request's SigV4 signature, or None if it is not signed."""
        match = CREDENTIAL.search(self.header("authorization") or "")
        if match:
            return match.group(3), match.group(4)
        for key, value in self.query_pairs():
            if key == "X-Amz-Credential":
                parts = value.split("/")
                if len(parts) >= 5:
                    return parts[2], parts[3]
        return None


class Answer:
    def __init__(self, status, reason, headers, body):
        self.status = status
        self.reason = reason
        self.headers = headers  # [(name, value)]
        self.body = body

    def header(self, name):
        return header_value(self.headers, name)

    def with_body(self, body):
        headers = [(k, v) for k, v in self.headers if k.lower() not in ("content-length", "content-md5", "etag")]
        if self.header("x-amz-crc32") is not None:  # DynamoDB: botocore checks it
            headers = [(k, v) for k, v in headers if k.lower() != "x-amz-crc32"]
            headers.append(("x-amz-crc32", str(zlib.crc32(body) & 0xFFFFFFFF)))
        return Answer(self.status, self.reason, headers, body)


REASONS = {200: "OK", 400: "Bad Request", 403: "Forbidden", 404: "Not Found", 409: "Conflict", 429: "Too Many Requests",
           500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable"}

STATUS_BY_CODE = {
    "NoSuchEntity": 404, "NoSuchKey": 404, "NoSuchBucket": 404, "ResourceNotFoundException": 404, "NotFound": 404,
    "InternalError": 500, "InternalFailure": 500, "ServiceFailure": 500, "InternalServerError": 500,
    "ServiceUnavailable": 503, "SlowDown": 503, "RequestLimitExceeded": 503, "TooManyRequestsException": 429,
}

MESSAGES = {
    "Throttling": "Rate exceeded", "ThrottlingException": "Rate exceeded", "SlowDown": "Please reduce your request rate.",
    "RequestLimitExceeded": "Request limit exceeded.", "TooManyRequestsException": "Rate exceeded",
    "InternalError": "We encountered an internal error. Please try again.",
    "InternalFailure": "The request processing has failed because of an unknown error, exception or failure.",
    "ServiceUnavailable": "The request has failed due to a temporary failure of the server.",
}


def error_answer(call, code, status, message, request_id):
    """An AWS error in the wire format of the call's protocol."""
    service = call.service
    headers = []
    reason = REASONS.get(status, "Error")
    protocol = call.protocol
    if protocol in ("json", "rest-json", "unknown"):
        if protocol == "json":
            content_type = "application/x-amz-json-%s" % ((service.meta.get("jsonVersion") if service else None) or "1.1")
        else:
            content_type = "application/json"
        headers += [("Content-Type", content_type), ("x-amzn-RequestId", request_id), ("x-amzn-ErrorType", code)]
        if service is not None and "awsQueryCompatible" in service.meta:
            headers.append(("x-amzn-query-error", "%s;%s" % (code, "Receiver" if status >= 500 else "Sender")))
        body = json.dumps({"__type": code, "message": message}).encode()
    elif protocol == "cbor":
        headers += [("Content-Type", "application/cbor"), ("smithy-protocol", "rpc-v2-cbor"), ("x-amzn-RequestId", request_id)]
        body = cbor_map({"__type": code, "message": message})
    elif protocol == "ec2":
        headers += [("Content-Type", "text/xml;charset=UTF-8")]
        body = (
            '<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error><Code>%s</Code><Message>%s</Message>'
            "</Error></Errors><RequestID>%s</RequestID></Response>" % (xml_text(code), xml_text(message), request_id)
        ).encode()
    elif protocol == "rest-xml" and call.is_s3():
        headers += [("Content-Type", "application/xml"), ("x-amz-request-id", request_id), ("x-amz-id-2", request_id)]
        body = (
            '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>%s</Code><Message>%s</Message><RequestId>%s</RequestId>'
            "<HostId>%s</HostId></Error>" % (xml_text(code), xml_text(message), request_id, request_id)
        ).encode()
        if call.request.method == "HEAD":
            body = b""
    else:  # query, and rest-xml services other than S3 (CloudFront, Route 53)
        namespace = (service.meta.get("xmlNamespace") if service else None) or ""
        if protocol == "rest-xml" and service is not None and not namespace:
            namespace = "http://%s.amazonaws.com/doc/%s/" % (service.meta.get("endpointPrefix"), service.meta.get("apiVersion"))
        headers += [("Content-Type", "text/xml"), ("x-amzn-RequestId", request_id)]
        body = (
            '<ErrorResponse xmlns="%s"><Error><Type>%s</Type><Code>%s</Code><Message>%s</Message></Error>'
            "<RequestId>%s</RequestId></ErrorResponse>"
            % (xml_text(namespace), "Receiver" if status >= 500 else "Sender", xml_text(code), xml_text(message), request_id)
        ).encode()
    return Answer(status, reason, headers, body)


def xml_text(value):
    return str(value).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def cbor_map(values):
    """A CBOR map of text strings (RFC 8949), enough for a smithy-rpc-v2-cbor error."""

    def head(major, length):
        if length < 24:
            return bytes([major << 5 | length])
        if length < 256:
            return bytes([major << 5 | 24, length])
        if length < 65536:
            return bytes([major << 5 | 25]) + struct.pack(">H", length)
        return bytes([major << 5 | 26]) + struct.pack(">I", length)

    out = head(5, len(values))
    for key, value in values.items():
        for text in (key, value):
            data = text.encode()
            out += head(3, len(data)) + data
    return out


# MARK: - Pagination


# Operations that AWS answers in pages although botocore has no paginator for them (so boto3 and the aws CLI read one
# page), in paginators-1.json's form; botocore's own paginator wins if it gets one. A map result key (CodeCommit's
# tags) is cut by its entries.
EXTRA_PAGINATORS = {
    "codecommit": {
        "ListTagsForResource": {"input_token": "nextToken", "output_token": "nextToken", "result_key": "tags"},
    },
}


class Unpaginable(Exception):
    """The operation or answer cannot be sliced (reported in the stats as `unpaginated`)."""


def member_ref(service, shape_name, member):
    shape = service.shape(shape_name)
    ref = shape.get("members", {}).get(member)
    if ref is None:
        raise Unpaginable("%s has no member %s" % (shape_name, member))
    return ref


def xml_name(service, ref, member):
    """An output member's element name, as botocore's XML parsers find it (flattened lists by their item name)."""
    shape = service.shape(ref["shape"])
    if shape.get("type") == "list" and (shape.get("flattened") or ref.get("flattened")):
        inner = shape["member"].get("locationName")
        if inner:
            return inner
    return ref.get("locationName", member)


def is_flattened(service, ref):
    shape = service.shape(ref["shape"])
    return shape.get("type") == "list" and bool(shape.get("flattened") or ref.get("flattened"))


def json_name(ref, member):
    return ref.get("locationName", member) if "location" not in ref else member


def strip_namespaces(root):
    namespace = None
    for element in root.iter():
        if isinstance(element.tag, str) and element.tag.startswith("{"):
            uri, _, local = element.tag[1:].partition("}")
            if element is root:
                namespace = uri
            element.tag = local
    return namespace


IDENTITY_SUFFIXES = ("id", "arn", "name", "key")


def fingerprint(item):
    """An item's identity across two fetches of a list: its identifying members (those whose names end in Id, Arn,
    Name or Key: `RoleName`, `FileSystemId`, a tag's `Key`), or else its whole serialization. Other members may
    change between two fetches (moto stamps some with the time)."""
    if isinstance(item, ET.Element):
        named = [(child.tag, child.text) for child in item if len(child) == 0 and child.tag.lower().endswith(IDENTITY_SUFFIXES)]
        if named or len(item) == 0:
            return json.dumps(named or item.text)
        tail, item.tail = item.tail, None
        text = ET.tostring(item, encoding="unicode")
        item.tail = tail
        return text
    if isinstance(item, dict):
        named = sorted(
            (key, value) for key, value in item.items()
            if key.lower().endswith(IDENTITY_SUFFIXES) and isinstance(value, (str, int, float, bool))
        )
        if named:
            return json.dumps(named)
    return json.dumps(item, sort_keys=True, separators=(",", ":"))


class Document:
    """An answer's body addressed by the paginator's model paths (`DistributionList.Items`): `container` holds the
    output shape's members (or the payload's, whose name starts every path); `_child` finds a structure member."""

    def _locate(self, path, create=False):
        """(the container of the path's last member or None if absent, its shape, the member's name, its ref)."""
        names = path.split(".")
        shape_name, container = self.shape, self.container
        if self.payload:
            if names[0] != self.payload:
                raise Unpaginable("%s is outside the payload %s" % (path, self.payload))
            shape_name = member_ref(self.service, self.shape, self.payload)["shape"]
            names = names[1:]
        for name in names[:-1]:
            ref = member_ref(self.service, shape_name, name)
            container = self._child(container, shape_name, name, ref, create) if container is not None else None
            shape_name = ref["shape"]
        ref = member_ref(self.service, shape_name, names[-1])
        if "location" in ref:
            raise Unpaginable("%s is bound to the %s" % (path, ref["location"]))
        return container, shape_name, names[-1], ref


class JSONDocument(Document):
    """A json or rest-json answer's body."""

    def __init__(self, service, output_shape, body):
        self.service = service
        self.shape = output_shape
        payload = service.shape(output_shape).get("payload")
        try:
            self.root = json.loads(body.decode("utf-8")) if body else {}
        except ValueError as error:
            raise Unpaginable("the answer is not JSON: %s" % error)
        if not isinstance(self.root, dict):
            raise Unpaginable("the answer is not a JSON object")
        self.container = self.root
        self.payload = payload

    def _child(self, container, shape_name, member, ref, create):
        child = container.get(json_name(ref, member))
        if child is None and create:
            child = container[json_name(ref, member)] = {}
        if child is not None and not isinstance(child, dict):
            raise Unpaginable("%s is not an object" % member)
        return child

    def get(self, path):
        container, _, member, ref = self._locate(path)
        return None if container is None else container.get(json_name(ref, member))

    def set(self, path, value):
        container, _, member, ref = self._locate(path, create=value is not None)
        if container is None:
            return
        if value is None:
            container.pop(json_name(ref, member), None)
        else:
            container[json_name(ref, member)] = value

    def _is_map(self, key):
        _, _, _, ref = self._locate(key)
        return self.service.shape(ref["shape"]).get("type") == "map"

    def items(self, keys):
        """Every item of the result keys; a map's items are its entries, each a one-entry object."""
        sequence = []
        for index, key in enumerate(keys):
            value = self.get(key)
            if value is None:
                continue
            if isinstance(value, dict) and self._is_map(key):
                sequence += [(index, {name: item}) for name, item in value.items()]
                continue
            if not isinstance(value, list):
                raise Unpaginable("result key %s is not a list" % key)
            sequence += [(index, item) for item in value]
        return sequence

    def set_items(self, keys, sequence):
        for index, key in enumerate(keys):
            if self.get(key) is not None or any(k == index for k, _ in sequence):
                items = [item for k, item in sequence if k == index]
                if self._is_map(key):
                    self.set(key, {name: value for entry in items for name, value in entry.items()})
                else:
                    self.set(key, items)

    def container_shape(self, path):
        container, shape_name, _, _ = self._locate(path)
        return shape_name

    def serialize(self):
        return json.dumps(self.root, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


class XMLDocument(Document):
    """A query, ec2 or rest-xml answer; element names from the output shape."""

    def __init__(self, service, protocol, operation, body):
        self.service = service
        model = service.operations[operation]
        self.shape = model.get("output", {}).get("shape")
        if not self.shape:
            raise Unpaginable("%s has no output" % operation)
        self.declaration = body.lstrip().startswith(b"<?xml")
        try:
            self.root = ET.fromstring(body)
        except ET.ParseError as error:
            raise Unpaginable("the answer is not XML 1.0: %s" % error)
        self.namespace = strip_namespaces(self.root)
        self.payload = None
        if protocol == "query":
            wrapper = model.get("output", {}).get("resultWrapper")
            self.container = self.root.find(wrapper) if wrapper else self.root
            if self.container is None:
                raise Unpaginable("the answer has no %s element" % wrapper)
        else:
            self.container = self.root
            self.payload = service.shape(self.shape).get("payload")

    def _child(self, element, shape_name, member, ref, create):
        child = element.find(xml_name(self.service, ref, member))
        if child is None and create:
            child = self._insert(element, shape_name, member, ET.Element(xml_name(self.service, ref, member)))
        return child

    def _order(self, shape_name):
        members = self.service.shape(shape_name).get("members", {})
        return [xml_name(self.service, ref, name) for name, ref in members.items()]

    def _insert(self, parent, shape_name, member, element):
        """Inserts `element` where the shape's member order puts it."""
        order = self._order(shape_name)
        ref = member_ref(self.service, shape_name, member)
        rank = order.index(xml_name(self.service, ref, member))
        position = 0
        for index, child in enumerate(list(parent)):
            if child.tag in order and order.index(child.tag) <= rank:
                position = index + 1
        parent.insert(position, element)
        return element

    def get(self, path):
        element, _, member, ref = self._locate(path)
        if element is None:
            return None
        child = element.find(xml_name(self.service, ref, member))
        return None if child is None else (child.text or "")

    def set(self, path, value):
        element, shape_name, member, ref = self._locate(path, create=value is not None)
        if element is None:
            return
        name = xml_name(self.service, ref, member)
        child = element.find(name)
        if value is None:
            if child is not None:
                element.remove(child)
            return
        if child is None:
            child = self._insert(element, shape_name, member, ET.Element(name))
        child.text = ("true" if value else "false") if isinstance(value, bool) else str(value)

    def _lists(self, keys):
        """The result keys' lists: ([(key index, wrapper element)], {id: (container, {item tag: key index})}), the
        second for flattened lists, whose items repeat in their container."""
        wrapped, flat = [], {}
        for index, key in enumerate(keys):
            element, _, member, ref = self._locate(key)
            if element is None:
                continue
            name = xml_name(self.service, ref, member)
            if is_flattened(self.service, ref):
                flat.setdefault(id(element), (element, {}))[1][name] = index
            elif element.find(name) is not None:
                wrapped.append((index, element.find(name)))
        return wrapped, flat

    def items(self, keys):
        """Every item of the result keys: flattened lists in document order (S3 interleaves Version and
        DeleteMarker by key), wrapped lists one after the other."""
        wrapped, flat = self._lists(keys)
        sequence = [(index, child) for index, wrapper in wrapped for child in list(wrapper)]
        for element, names in flat.values():
            sequence += [(names[child.tag], child) for child in list(element) if child.tag in names]
        return sequence

    def set_items(self, keys, sequence):
        wrapped, flat = self._lists(keys)
        for index, wrapper in wrapped:
            for child in list(wrapper):
                wrapper.remove(child)
            wrapper.extend(item for k, item in sequence if k == index)
        for element, names in flat.values():
            children = list(element)
            first = next((i for i, child in enumerate(children) if child.tag in names), len(children))
            for child in children:
                if child.tag in names:
                    element.remove(child)
            for offset, item in enumerate([item for k, item in sequence if k in names.values()]):
                element.insert(first + offset, item)

    def container_shape(self, path):
        _, shape_name, _, _ = self._locate(path)
        return shape_name

    def serialize(self):
        if self.namespace:
            self.root.set("xmlns", self.namespace)
        text = ET.tostring(self.root, encoding="unicode")
        if self.declaration:
            text = '<?xml version="1.0" encoding="UTF-8"?>\n' + text
        return text.encode("utf-8")


class Paginator:
    """botocore's paginator of one operation, with where its tokens and limit travel in requests."""

    def __init__(self, call):
        service, operation = call.service, call.operation
        if service is None or operation is None:
            raise Unpaginable("unidentified request")
        config = service.paginators.get(operation)
        if config is None:
            raise Unpaginable("%s has no paginator" % call.key)
        if call.protocol not in ("json", "rest-json", "query", "ec2", "rest-xml"):
            raise Unpaginable("pagination over %s is not supported" % call.protocol)
        listify = lambda value: value if isinstance(value, list) else ([value] if value else [])
        self.service = service
        self.operation = operation
        self.protocol = call.protocol
        self.input_tokens = listify(config.get("input_token"))
        self.output_tokens = listify(config.get("output_token"))
        self.result_keys = listify(config.get("result_key"))
        self.more_results = config.get("more_results")
        self.limit_key = config.get("limit_key")
        expressions = self.output_tokens + self.result_keys + listify(self.more_results)
        if not self.result_keys or any(not re.fullmatch(r"[A-Za-z0-9_]+(\.[A-Za-z0-9_]+)*", e) for e in expressions):
            raise Unpaginable("%s's paginator uses expressions the proxy does not evaluate" % call.key)
        model = service.operations[operation]
        self.input_shape = model.get("input", {}).get("shape")
        self.output_shape = model.get("output", {}).get("shape")
        if not self.input_shape or not self.output_shape:
            raise Unpaginable("%s has no input or output" % call.key)
        for token in self.output_tokens:
            if self._final_shape(token).get("type") != "string":
                raise Unpaginable("%s's token %s is not a string" % (call.key, token))
        self.semantic_markers = (service.name, operation) == ("s3", "ListObjectVersions")

    def _final_shape(self, path):
        shape_name = self.output_shape
        for name in path.split("."):
            shape_name = member_ref(self.service, shape_name, name)["shape"]
        return self.service.shape(shape_name)

    # Requests.

    def _input_binding(self, member):
        """(location, wire name) of an input member: body, querystring or header."""
        ref = member_ref(self.service, self.input_shape, member)
        location = ref.get("location")
        if self.protocol in ("rest-xml", "rest-json") and location in ("querystring", "header"):
            return location, ref.get("locationName", member)
        if self.protocol == "ec2":
            name = ref.get("queryName") or (ref["locationName"][0].upper() + ref["locationName"][1:] if "locationName" in ref else member)
            return "form", name
        if self.protocol == "query":
            return "form", ref.get("locationName", member)
        if self.protocol == "json" or self.protocol == "rest-json":
            return "json", json_name(ref, member)
        raise Unpaginable("%s's input %s travels where the proxy cannot rewrite it" % (self.operation, member))

    def read_inputs(self, request):
        """{member: value} of the input tokens and the limit key present in the request."""
        values = {}
        body = None
        for member in self.input_tokens + ([self.limit_key] if self.limit_key else []):
            location, name = self._input_binding(member)
            value = None
            if location == "querystring":
                value = next((v for k, v in request.query_pairs() if k == name), None)
            elif location == "header":
                value = request.header(name)
            elif location == "form":
                value = (request.form() or {}).get(name)
            elif location == "json":
                if body is None:
                    try:
                        body = json.loads(request.body.decode("utf-8")) if request.body else {}
                    except ValueError:
                        raise Unpaginable("the request body is not JSON")
                value = body.get(name) if isinstance(body, dict) else None
            if value is not None and value != "":
                values[member] = value
        return values

    def rewrite(self, request, changes):
        """The request's (target, headers, body) with input members set (or removed for None)."""
        target, headers, body = request.target, list(request.headers), request.body
        form_changes, query_changes, json_changes = {}, {}, {}
        for member, value in changes.items():
            location, name = self._input_binding(member)
            if location == "form":
                form_changes[name] = value
            elif location == "querystring":
                query_changes[name] = value
            elif location == "json":
                json_changes[name] = value
            elif location == "header":
                headers = [(k, v) for k, v in headers if k.lower() != name.lower()]
                if value is not None:
                    headers.append((name, str(value)))
        if form_changes:
            pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True) if request.method == "POST" else request.query_pairs()
            pairs = [(k, v) for k, v in pairs if k not in form_changes]
            pairs += [(k, str(v)) for k, v in form_changes.items() if v is not None]
            encoded = urlencode(pairs)  # as botocore encodes forms (spaces as '+')
            if request.method == "POST":
                body = encoded.encode("utf-8")
            else:
                target = request.path + "?" + encoded
        if query_changes:
            items = [item for item in request.query.split("&") if item]
            items = [item for item in items if unquote(item.partition("=")[0]) not in query_changes]
            items += ["%s=%s" % (quote(k, safe="-_.~"), quote(str(v), safe="-_.~")) for k, v in query_changes.items() if v is not None]
            target = urlsplit(target).path + ("?" + "&".join(items) if items else "")
        if json_changes:
            document = json.loads(body.decode("utf-8")) if body else {}
            for name, value in json_changes.items():
                if value is None:
                    document.pop(name, None)
                else:
                    document[name] = value
            body = json.dumps(document, separators=(",", ":")).encode("utf-8")
        return target, headers, body

    # Answers.

    def document(self, answer):
        encoding = (answer.header("content-encoding") or "").lower()
        if encoding and encoding != "identity":
            raise Unpaginable("the answer is %s-encoded" % encoding)
        if self.protocol in ("json", "rest-json"):
            return JSONDocument(self.service, self.output_shape, answer.body)
        return XMLDocument(self.service, self.protocol, self.operation, answer.body)

    def upstream_tokens(self, document):
        """moto's own next-page tokens {input member: value}, or None on its last page."""
        if self.more_results is not None:
            more = document.get(self.more_results)
            if more not in (True, "true"):
                return None
        values = [document.get(token) for token in self.output_tokens]
        if not any(value not in (None, "") for value in values):
            return None
        return {member: value for member, value in zip(self.input_tokens, values) if value not in (None, "")}


class Pagination:
    """Serves paginated operations K items at a time (the `paginate` action)."""

    def __init__(self, proxy):
        self.proxy = proxy
        self.lock = threading.Lock()
        self.tokens = collections.OrderedDict()  # token -> (op key, Counter of the items served, page size, pages)
        self.markers = {}  # (op key, path, key marker, version marker) -> page size (S3 ListObjectVersions)
        self.counter = 0

    def reset(self):
        with self.lock:
            self.tokens.clear()
            self.markers.clear()

    def recognise(self, call, paginator, inputs):
        """("served", items served so far, page size) or ("marker", (key, version), page size or None) if the request
        continues a list the proxy paged, ("stale", token, None) for a token it does not know, else None."""
        if paginator.semantic_markers:
            key_marker = inputs.get("KeyMarker")
            if key_marker is None:
                return None
            version_marker = inputs.get("VersionIdMarker", "")
            with self.lock:
                page_size = self.markers.pop((call.key, call.request.path, key_marker, version_marker), None)
            if page_size is not None:
                self.proxy.stats.record_token(call.key, "followed", (call.request.path, key_marker, version_marker))
            return ("marker", (key_marker, version_marker), page_size)
        token = inputs.get(paginator.input_tokens[0]) if paginator.input_tokens else None
        if not isinstance(token, str) or not token.startswith("fpt-"):
            return None
        with self.lock:
            entry = self.tokens.get(token)
        if entry is None or entry[0] != call.key:
            return ("stale", token, None)
        self.proxy.stats.record_token(call.key, "followed", token)
        return ("served", entry[1], entry[2], entry[3])

    def issue(self, call, served, page_size, pages):
        """A token for the rest of a list: it remembers the items served so far (not an offset), so that a list that
        changes meanwhile (other tests share moto) still gives every item that stays in it exactly once."""
        with self.lock:
            self.counter += 1
            token = "fpt-%d-%s" % (self.counter, hashlib.sha256(os.urandom(8)).hexdigest()[:10])
            self.tokens[token] = (call.key, served, page_size, pages)
            while len(self.tokens) > 100000:
                self.tokens.popitem(last=False)
        self.proxy.stats.record_token(call.key, "issued", token)
        return token

    def serve(self, call, page_size, paginator=None):
        """The page to answer (forwarding as needed), or None when the request is not one to paginate."""
        request = call.request
        paginator = paginator or Paginator(call)
        inputs = paginator.read_inputs(request)
        continuation = self.recognise(call, paginator, inputs)
        if continuation is not None and continuation[0] == "stale":
            code = "InvalidNextTokenException" if call.protocol in ("json", "rest-json") else "InvalidParameterValue"
            return error_answer(call, code, 400, "The pagination token %s is not one fault_proxy issued (or it was reset)."
                                % continuation[1], self.proxy.request_id())
        if continuation is not None:
            if continuation[2] is not None:
                page_size = continuation[2]
            elif page_size is None:
                return None  # a client's own marker, no paginate rule: moto answers it
        if page_size is None:
            return None
        client_limit = inputs.get(paginator.limit_key) if paginator.limit_key else None
        try:
            if client_limit is not None and int(client_limit) > 0:
                page_size = min(page_size, int(client_limit))
        except (TypeError, ValueError):
            pass

        # The whole list from moto: the request without the token and the limit, then moto's own pages.
        changes = {member: None for member in inputs}
        answer, document, sequence = self.fetch_all(call, paginator, changes)
        if document is None:
            return answer
        served, pages = collections.Counter(), 1
        if continuation is not None and continuation[0] == "served":
            served, pages = continuation[1], continuation[3] + 1
            left, remaining = collections.Counter(served), []
            for entry in sequence:
                if left[fingerprint(entry[1])] > 0:
                    left[fingerprint(entry[1])] -= 1
                else:
                    remaining.append(entry)
        elif continuation is not None:
            remaining = sequence[self.after_marker(document, sequence, continuation[1]) :]
        else:
            remaining = sequence
        page = remaining[:page_size]
        # However items change between fetches, a list ends after as many pages as it has items.
        more = len(remaining) > page_size and pages < len(sequence)
        document.set_items(paginator.result_keys, page)
        self.proxy.stats.record_page(call.key, len(sequence), more)

        next_tokens = [None] * len(paginator.output_tokens)
        if more:
            if paginator.semantic_markers:
                key_marker, version_marker = self.entry_marker(page[-1][1], document)
                next_tokens = [key_marker, version_marker][: len(paginator.output_tokens)]
                decoded = unquote(key_marker) if self.url_encoded(document) else key_marker
                with self.lock:
                    self.markers[(call.key, request.path, decoded, version_marker)] = page_size
                self.proxy.stats.record_token(call.key, "issued", (request.path, decoded, version_marker))
            else:
                next_tokens[0] = self.issue(call, served + collections.Counter(fingerprint(item) for _, item in page), page_size, pages)
        for path, value in zip(paginator.output_tokens, next_tokens):
            document.set(path, value)
        if paginator.more_results is not None:
            document.set(paginator.more_results, more)
        self.echo(document, paginator, inputs, len(page), client_limit)
        return answer.with_body(document.serialize())

    def fetch_all(self, call, paginator, changes):
        """(the first answer, its document holding every item, the item sequence); document None when moto's
        answer is to be passed on as it is (an error)."""
        answer = self.proxy.forward(call.request, paginator.rewrite(call.request, changes) if changes else None)
        if not 200 <= answer.status < 300:
            return answer, None, None
        document = paginator.document(answer)
        sequence = document.items(paginator.result_keys)
        seen = set()
        current = document
        for _ in range(100):
            tokens = paginator.upstream_tokens(current)
            if tokens is None or json.dumps(tokens, sort_keys=True) in seen:
                break
            seen.add(json.dumps(tokens, sort_keys=True))
            more = paginator.rewrite(call.request, dict(changes, **tokens))
            next_answer = self.proxy.forward(call.request, more)
            if not 200 <= next_answer.status < 300:
                return next_answer, None, None
            current = paginator.document(next_answer)
            added = current.items(paginator.result_keys)
            if not added:
                break
            sequence += added
        return answer, document, sequence

    @staticmethod
    def url_encoded(document):
        return isinstance(document, XMLDocument) and (document.container.findtext("EncodingType") or "") == "url"

    def entry_marker(self, entry, document):
        """An S3 ListObjectVersions entry's (key marker, version id marker), as they appear in the answer."""
        key = entry.findtext("Key")
        if key is None:  # a CommonPrefixes entry
            return entry.findtext("Prefix") or "", ""
        return key, entry.findtext("VersionId") or ""

    def after_marker(self, document, sequence, marker):
        """The index of the first entry after S3's (key-marker, version-id-marker), in the answer's order."""
        key_marker, version_marker = marker
        encoded = self.url_encoded(document)
        decode = (lambda text: unquote(text)) if encoded else (lambda text: text)
        for index, (_, entry) in enumerate(sequence):
            key, version = self.entry_marker(entry, document)
            key = decode(key)
            if version_marker and key == key_marker and version == version_marker:
                return index + 1
        for index, (_, entry) in enumerate(sequence):
            key, _ = self.entry_marker(entry, document)
            if decode(key) > key_marker:
                return index
        return len(sequence)

    def echo(self, document, paginator, inputs, count, client_limit):
        """The members that describe the page: CloudFront's Quantity, S3's KeyCount, echoed markers and limit."""
        container_shape = document.container_shape(paginator.result_keys[0])
        shape = paginator.service.shape(container_shape)
        members = shape.get("members", {})
        prefix = paginator.result_keys[0].rpartition(".")[0]
        path = (lambda name: prefix + "." + name) if prefix else (lambda name: name)
        if "Quantity" in members:
            document.set(path("Quantity"), count)
        if "KeyCount" in members:
            document.set(path("KeyCount"), count)
        output_tokens = {token.rpartition(".")[2] for token in paginator.output_tokens}
        for member in paginator.input_tokens:
            if member in members and member not in output_tokens and "location" not in members[member]:
                value = inputs.get(member)
                if value is not None and member == "KeyMarker" and self.url_encoded(document):
                    value = quote(value, safe="")  # S3 answers it encoded, as the keys
                required = member in shape.get("required", [])
                document.set(path(member), value if value is not None else ("" if required else None))
        if paginator.limit_key in members and client_limit is not None and "location" not in members[paginator.limit_key]:
            document.set(path(paginator.limit_key), client_limit)


# MARK: - Rules


SHORTHANDS = {
    "throttle": {"action": "throttle"},
    "500": {"action": "error", "status": 500},
    "503": {"action": "error", "status": 503},
    "reset": {"action": "reset", "at": "body"},
    "reset-start": {"action": "reset", "at": "start"},
}
TERMINAL = {"error", "throttle", "reset", "pass"}
ACTIONS = TERMINAL | {"delay", "paginate", "rate_limit"}


def draw(seed, key, n, salt):
    digest = hashlib.sha256(("%s|%s|%d|%s" % (seed, key, n, salt)).encode()).digest()
    return int.from_bytes(digest[:8], "big") / float(1 << 64)


class RuleError(ValueError):
    pass


class Rule:
    def __init__(self, number, spec):
        if not isinstance(spec, dict):
            raise RuleError("a rule is a JSON object, not %r" % (spec,))
        self.id = number
        self.spec = spec
        self.action = spec.get("action", "error" if "code" in spec else ("choices" if "choices" in spec else None))
        if self.action == "choices":
            self.action = "error"
        if self.action not in ACTIONS:
            raise RuleError("unknown action %r (one of %s)" % (self.action, ", ".join(sorted(ACTIONS))))
        patterns = spec.get("match", "*")
        self.patterns = patterns if isinstance(patterns, list) else [patterns]
        self.method = spec.get("method")
        self.target = re.compile(spec["target"]) if spec.get("target") else None
        self.body = re.compile(spec["body"]) if spec.get("body") else None
        self.skip = int(spec.get("skip", 0))
        self.count = spec.get("count")
        self.probability = spec.get("probability")
        self.seed = spec.get("seed", 0)
        if isinstance(self.seed, float) and self.seed.is_integer():
            self.seed = int(self.seed)  # 7 and 7.0 are one seed, however the client wrote it
        self.choices = [self._fault(choice) for choice in spec.get("choices", [])]
        if self.action in ("error",) and not self.choices and "code" not in spec and "status" not in spec:
            raise RuleError("an error rule needs a code (or a status, or choices)")
        if self.action == "paginate" and int(spec.get("page_size", 0)) < 1:
            raise RuleError("a paginate rule needs page_size >= 1")
        if self.action == "rate_limit" and "rate" not in spec:
            raise RuleError("a rate_limit rule needs a rate (tokens per second) and a burst")
        self.matched = 0
        self.fired = 0
        self.per_operation = collections.Counter()
        self.buckets = {}

    @staticmethod
    def _fault(choice):
        if isinstance(choice, str):
            if choice not in SHORTHANDS:
                raise RuleError("unknown fault shorthand %r (one of %s)" % (choice, ", ".join(SHORTHANDS)))
            return dict(SHORTHANDS[choice])
        if not isinstance(choice, dict) or choice.get("action", "error") not in TERMINAL:
            raise RuleError("a choice is a shorthand or a fault object with a terminal action, not %r" % (choice,))
        return dict(choice, action=choice.get("action", "error"))

    def describe(self):
        return dict(self.spec, id=self.id, matched=self.matched, fired=self.fired)

    def matches(self, call):
        request = call.request
        if not any(fnmatch.fnmatchcase(call.key, pattern) for pattern in self.patterns):
            return False
        if self.method and self.method.upper() != request.method:
            return False
        if self.target and not self.target.search(request.target):
            return False
        if self.body and not self.body.search(request.body.decode("latin-1")):
            return False
        return True

    def fires(self, call):
        """Whether the rule acts on this matching request (call under the proxy's lock); counts it."""
        self.matched += 1
        n = self.per_operation[call.key]
        self.per_operation[call.key] += 1
        if self.matched <= self.skip:
            return None
        if self.count is not None and self.fired >= int(self.count):
            return None
        if self.probability is not None and draw(self.seed, call.key, n, "p") >= float(self.probability):
            return None
        self.fired += 1
        return n

    def fault(self, call, n):
        """The terminal fault to apply: a dict with action, code, status, message, forward, at."""
        fault = dict(self.spec)
        if self.choices:
            fault = dict(self.spec, **self.choices[int(draw(self.seed, call.key, n, "choice") * len(self.choices))])
        return fault

    def take(self, call, now):
        """rate_limit: takes a token from the request's bucket; False when it is empty."""
        per = self.spec.get("per", "operation")
        key = call.key if per == "operation" else (call.service_name if per == "service" else "*")
        rate = float(self.spec["rate"])
        burst = float(self.spec.get("burst", max(1.0, rate)))
        tokens, last = self.buckets.get(key, (burst, now))
        tokens = min(burst, tokens + (now - last) * rate)
        if tokens >= 1:
            self.buckets[key] = (tokens - 1, now)
            return True
        self.buckets[key] = (tokens, now)
        return False


# MARK: - Statistics


COUNTERS = ["requests", "forwarded", "ok", "injected", "throttled", "resets", "delayed", "upstream_failures", "pages",
            "truncated", "continued", "tokens_issued", "tokens_followed", "unpaginated"]


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.operations = {}
        self.outstanding = collections.defaultdict(set)
        self.log = collections.deque(maxlen=5000)

    def reset(self):
        with self.lock:
            self.operations = {}
            self.outstanding = collections.defaultdict(set)
            self.log = collections.deque(maxlen=5000)

    def _op(self, key):
        if key not in self.operations:
            entry = {name: 0 for name in COUNTERS}
            entry.update({"errors": {}, "status": {}, "max_items": 0})
            self.operations[key] = entry
        return self.operations[key]

    def add(self, key, name, amount=1):
        with self.lock:
            self._op(key)[name] += amount

    def error(self, key, code):
        with self.lock:
            entry = self._op(key)
            entry["injected"] += 1
            entry["errors"][code] = entry["errors"].get(code, 0) + 1

    def delivered(self, call, status, outcome):
        with self.lock:
            entry = self._op(call.key)
            entry["status"][str(status)] = entry["status"].get(str(status), 0) + 1
            # When the operation's first answer and each 2xx went out (seconds on a monotonic clock), for measuring
            # goodput over the time an operation was busy (bench/throttling.py).
            now = time.monotonic()
            if entry.get("first_at") is None:
                entry["first_at"] = now
            if 200 <= status < 300:
                entry["ok"] += 1
                entry["last_ok_at"] = now
                entry.setdefault("ok_at", []).append(round(now, 4))
            self.log.append({"op": call.key, "method": call.request.method, "target": call.request.target,
                             "status": status, "outcome": outcome})

    def record_page(self, key, total, more):
        with self.lock:
            entry = self._op(key)
            entry["pages"] += 1
            entry["max_items"] = max(entry["max_items"], total)
            if more:
                entry["truncated"] += 1

    def record_token(self, key, event, token):
        with self.lock:
            entry = self._op(key)
            if event == "issued":
                entry["tokens_issued"] += 1
                self.outstanding[key].add(token)
            else:
                entry["continued"] += 1
                entry["tokens_followed"] += 1
                self.outstanding[key].discard(token)

    def snapshot(self):
        with self.lock:
            operations = {}
            totals = {name: 0 for name in COUNTERS}
            totals.update({"errors": {}, "status": {}, "max_items": 0, "unfollowed": 0})
            for key, entry in sorted(self.operations.items()):
                copy = json.loads(json.dumps(entry))
                copy["unfollowed"] = len(self.outstanding.get(key, ()))
                operations[key] = copy
                for name in COUNTERS + ["unfollowed"]:
                    totals[name] += copy[name]
                totals["max_items"] = max(totals["max_items"], copy["max_items"])
                for field in ("errors", "status"):
                    for code, count in copy[field].items():
                        totals[field][code] = totals[field].get(code, 0) + count
            return {"operations": operations, "totals": totals}


# MARK: - The proxy


class Proxy:
    def __init__(self, upstream, credentials):
        self.upstream = upstream
        self.credentials = credentials
        self.models = Models()
        self.lock = threading.Lock()
        self.rules = []
        self.next_rule = 1
        self.stats = Stats()
        self.pagination = Pagination(self)
        self.request_counter = 0

    def request_id(self):
        with self.lock:
            self.request_counter += 1
            return "fault-proxy-%08d" % self.request_counter

    # Control.

    def add_rules(self, specs):
        with self.lock:
            rules = [Rule(self.next_rule + i, spec) for i, spec in enumerate(specs)]
            self.next_rule += len(rules)
            self.rules += rules
            return [rule.id for rule in rules]

    def remove_rule(self, number):
        with self.lock:
            before = len(self.rules)
            self.rules = [rule for rule in self.rules if rule.id != number]
            return len(self.rules) != before

    def reset(self):
        with self.lock:
            self.rules = []
        self.pagination.reset()
        self.stats.reset()

    # Decisions.

    def decide(self, call):
        """(throttled rule or None, fault dict or None, delays {phase: ms}, page size or None)."""
        fault, delays, page_size = None, {"request": 0, "response": 0}, None
        now = time.monotonic()
        with self.lock:
            for rule in self.rules:
                if rule.action != "rate_limit" or not rule.matches(call):
                    continue
                rule.matched += 1
                if not rule.take(call, now):
                    rule.fired += 1
                    return rule, None, delays, None
            for rule in self.rules:
                if rule.action == "rate_limit" or not rule.matches(call):
                    continue
                if rule.action == "paginate":
                    if page_size is None and rule.fires(call) is not None:
                        page_size = int(rule.spec["page_size"])
                elif rule.action == "delay":
                    if rule.fires(call) is not None:
                        delays[rule.spec.get("phase", "response")] += float(rule.spec.get("delay_ms", 0))
                elif fault is None:
                    n = rule.fires(call)
                    if n is not None:
                        fault = rule.fault(call, n)
        return None, fault, delays, page_size

    def error_for(self, call, fault):
        if fault.get("action") == "throttle":
            default_code, default_status = call.throttling()
        elif fault.get("code") is None:
            default_code, default_status = call.internal_error(int(fault.get("status", 500)))
        else:
            default_code, default_status = fault["code"], STATUS_BY_CODE.get(fault["code"], 400)
        code = fault.get("code") or default_code
        status = int(fault.get("status") or default_status)
        message = fault.get("message") or MESSAGES.get(code) or "%s injected by fault_proxy" % code
        return code, error_answer(call, code, status, message, self.request_id())

    # Upstream.

    def forward(self, request, rewritten=None):
        """moto's answer to the request, or to its rewritten (target, headers, body), signed again."""
        method, target, headers, body = request.method, request.target, request.headers, request.body
        if rewritten is not None:
            target, headers, body = rewritten
            headers = self.sign(request, target, headers, body)
        key = getattr(request, "call_key", "unknown")
        self.stats.add(key, "forwarded")
        try:
            with_length = any(name.lower() == "content-length" for name, _ in request.headers)
            return Answer(*send_upstream(self.upstream, method, target, headers, body, with_length))
        except OSError as error:
            self.stats.add(key, "upstream_failures")
            message = "fault_proxy: upstream %s:%d: %s" % (self.upstream + (error,))
            return Answer(502, "Bad Gateway", [("Content-Type", "text/plain")], message.encode())

    def sign(self, request, target, headers, body):
        """Headers for the rewritten request, signed with the proxy's credentials in the original scope."""
        scope = request.credential_scope()
        if scope is None:
            return headers  # an unsigned request stays unsigned
        if self.credentials is None:
            raise Unpaginable("pagination rewrites the request, and signing it again needs FAULT_PROXY_ACCESS_KEY_ID "
                              "and FAULT_PROXY_SECRET_ACCESS_KEY")
        region, service = scope
        dropped = {"authorization", "x-amz-date", "x-amz-security-token", "x-amz-content-sha256", "content-length",
                   "content-md5"} | HOP_BY_HOP
        kept = [(k, v) for k, v in headers if k.lower() not in dropped and not k.lower().startswith("x-amz-checksum-")]
        host = next((v for k, v in kept if k.lower() == "host"), "localhost")
        signed = AWSRequest(method=request.method, url="http://%s%s" % (host, target), data=body)
        for name, value in kept:
            signed.headers[name] = value
        if body:
            signed.headers["Content-Length"] = str(len(body))
        signer = S3SigV4Auth if service == "s3" else SigV4Auth
        signer(Credentials(*self.credentials), service, region).add_auth(signed)
        return list(signed.headers.items())


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    proxy = None  # set in main

    def log_message(self, format, *args):
        pass  # the log endpoint has every request; stderr stays for errors

    def do_any(self):
        if self.path.startswith("/__fault/"):
            return self.control()
        request = Request(self.command, self.path, list(self.headers.items()), self.read_body())
        call = self.proxy.models.identify(request)
        request.call_key = call.key
        stats = self.proxy.stats
        stats.add(call.key, "requests")
        throttled, fault, delays, page_size = self.proxy.decide(call)
        if throttled is not None:
            code, answer = self.proxy.error_for(call, dict(throttled.spec, action="throttle"))
            stats.add(call.key, "throttled")
            return self.deliver(call, answer, "throttled %s" % code)
        if delays["request"] or delays["response"]:
            stats.add(call.key, "delayed")
        time.sleep(delays["request"] / 1000.0)
        if fault is not None and fault.get("action") == "pass":
            fault = None
        answer = None
        if fault is None or fault.get("forward", fault.get("action") == "reset" and fault.get("at", "body") == "body"):
            answer = self.forward_or_paginate(call, page_size)
        time.sleep(delays["response"] / 1000.0)  # whatever the answer is
        if fault is not None:
            return self.inject(call, fault, answer)
        return self.deliver(call, answer, "forwarded")

    do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = do_PATCH = do_OPTIONS = do_any

    def forward_or_paginate(self, call, page_size):
        paginator = None
        try:
            if call.service is not None and call.operation in call.service.paginators:
                paginator = Paginator(call)
                answer = self.proxy.pagination.serve(call, page_size, paginator)
                if answer is not None:
                    return answer
        except Unpaginable as reason:
            if page_size is not None:
                self.proxy.stats.add(call.key, "unpaginated")
                sys.stderr.write("fault_proxy: %s not paginated: %s\n" % (call.key, reason))
        return self.proxy.forward(call.request)

    def inject(self, call, fault, forwarded):
        action = fault.get("action")
        stats = self.proxy.stats
        if action == "reset":
            stats.add(call.key, "resets")
            at = fault.get("at", "body")
            if at == "body":
                answer = forwarded
                if answer is None:
                    _, answer = self.proxy.error_for(call, {"action": "error", "status": 500})
                stats.delivered(call, answer.status, "reset mid-body")
                return self.reset(answer)
            stats.delivered(call, 0, "reset at start")
            return self.reset(None)
        code, answer = self.proxy.error_for(call, fault)
        stats.error(call.key, code)
        return self.deliver(call, answer, "injected %s%s" % (code, " after forwarding" if forwarded else ""))

    def deliver(self, call, answer, outcome):
        self.proxy.stats.delivered(call, answer.status, outcome)
        self.write_answer(answer)

    def read_body(self):
        return read_body(self)

    def head_bytes(self, answer, body_length):
        return head_bytes(self.command, answer.status, answer.reason or REASONS.get(answer.status, ""), answer.headers, body_length)

    def write_answer(self, answer):
        try:
            body = b"" if self.command == "HEAD" else answer.body
            self.wfile.write(self.head_bytes(answer, len(answer.body)) + body)
            self.wfile.flush()
        except OSError:
            self.close_connection = True

    def reset(self, answer):
        """Sends the head and half the body of `answer` (nothing if None), then resets the connection."""
        self.close_connection = True
        try:
            if answer is not None:
                self.wfile.write(self.head_bytes(answer, len(answer.body)) + answer.body[: len(answer.body) // 2])
                self.wfile.flush()
                time.sleep(0.05)  # let the bytes leave before the RST discards what is still queued
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        except OSError:
            pass
        self.connection.close()

    def control(self):
        url = urlsplit(self.path)
        query = dict(parse_qsl(url.query))
        body = self.read_body()
        proxy = self.proxy
        try:
            if url.path == "/__fault/health":
                return self.reply(200, "ok")
            if url.path == "/__fault/rules" and self.command == "POST":
                specs = json.loads(body or b"[]")
                if isinstance(specs, dict):
                    specs = specs["rules"] if "rules" in specs else [specs]
                return self.reply(200, {"ids": proxy.add_rules(specs)})
            if url.path == "/__fault/rules" and self.command == "GET":
                with proxy.lock:
                    return self.reply(200, [rule.describe() for rule in proxy.rules])
            if url.path.startswith("/__fault/rules/") and self.command == "DELETE":
                if proxy.remove_rule(int(url.path.rsplit("/", 1)[1])):
                    return self.reply(200, "removed")
                return self.reply(404, "no rule %s" % url.path.rsplit("/", 1)[1])
            if url.path == "/__fault/reset" and self.command == "POST":
                proxy.reset()
                return self.reply(200, "reset")
            if url.path == "/__fault/stats/reset" and self.command == "POST":
                proxy.stats.reset()
                return self.reply(200, "reset")
            if url.path == "/__fault/stats":
                return self.reply(200, proxy.stats.snapshot())
            if url.path == "/__fault/log":
                limit = int(query.get("limit", "200"))
                with proxy.stats.lock:
                    entries = list(proxy.stats.log)
                return self.reply(200, entries[-limit:] if limit > 0 else [])
        except (RuleError, ValueError, KeyError, re.error) as error:
            return self.reply(400, "bad control request: %s" % error)
        return self.reply(404, "unknown control request %s %s" % (self.command, url.path))

    def reply(self, status, payload):
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--upstream", required=True, help="HOST:PORT of the server to forward to")
    parser.add_argument("--port", type=int, default=0, help="the port to listen on (default: one of the kernel's choosing)")
    parser.add_argument("--parent-pid", type=int)
    args = parser.parse_args()
    host, port = args.upstream.rsplit(":", 1)
    key, secret = os.environ.get("FAULT_PROXY_ACCESS_KEY_ID"), os.environ.get("FAULT_PROXY_SECRET_ACCESS_KEY")
    Handler.proxy = Proxy((host, int(port)), (key, secret) if key and secret else None)
    threading.Thread(target=Handler.proxy.models.build_index, daemon=True).start()
    server = Server(("127.0.0.1", args.port), Handler)
    if args.parent_pid:
        threading.Thread(target=watch_parent, args=(args.parent_pid,), daemon=True).start()
    print("ready %d" % server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
