#!/usr/bin/env python3
"""A loopback HTTP/1.1 proxy that adds a fixed delay to every request, standing in for AWS round trips.

    bench/latency-proxy.py --listen 127.0.0.1:PORT --upstream 127.0.0.1:MOTO_PORT [--delay-ms 50]

Point a client's endpoint (AWS_ENDPOINT_URL) at the listen address. Each client connection gets its
own upstream connection, opened once and kept alive, so a client that reuses its connections pays
one TCP connect per connection, and one that opens a connection per request pays one per request,
exactly as against a remote endpoint. Every request waits `--delay-ms` before it is forwarded.

Requests are parsed just enough to frame them (Content-Length or chunked bodies, `Expect:
100-continue` answered here); responses are framed by Content-Length, chunked encoding, or the
upstream closing the connection. Prints `ready` on stdout once listening; on SIGTERM prints the
number of requests and connections it saw to stderr.
"""
import argparse
import asyncio
import signal
import sys

stats = {"requests": 0, "connections": 0}


async def read_head(reader):
    """The request or status line and headers, or None at a clean EOF."""
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError as e:
        if e.partial.strip():
            raise
        return None
    except asyncio.LimitOverrunError:
        raise
    lines = head.split(b"\r\n")
    start = lines[0]
    headers = []
    for line in lines[1:]:
        if not line:
            continue
        name, _, value = line.partition(b":")
        headers.append((name.strip(), value.strip()))
    return start, headers


def header(headers, name):
    name = name.lower()
    for k, v in headers:
        if k.lower() == name:
            return v
    return None


async def read_chunked(reader):
    """A chunked body, re-encoded as received (chunks and trailers)."""
    out = bytearray()
    while True:
        size_line = await reader.readuntil(b"\r\n")
        out += size_line
        size = int(size_line.split(b";")[0].strip(), 16)
        if size == 0:
            # Trailers up to the empty line.
            while True:
                line = await reader.readuntil(b"\r\n")
                out += line
                if line == b"\r\n":
                    return bytes(out)
        out += await reader.readexactly(size + 2)


def serialize(start, headers):
    return start + b"\r\n" + b"".join(k + b": " + v + b"\r\n" for k, v in headers) + b"\r\n"


async def handle(client_reader, client_writer, upstream_host, upstream_port, delay):
    stats["connections"] += 1
    upstream = None
    try:
        while True:
            parsed = await read_head(client_reader)
            if parsed is None:
                return
            start, headers = parsed
            method = start.split(b" ", 1)[0].upper()
            if (header(headers, b"expect") or b"").lower() == b"100-continue":
                client_writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
                await client_writer.drain()
                headers = [(k, v) for k, v in headers if k.lower() != b"expect"]
            if (header(headers, b"transfer-encoding") or b"").lower() == b"chunked":
                body = await read_chunked(client_reader)
            else:
                length = int(header(headers, b"content-length") or b"0")
                body = await client_reader.readexactly(length) if length else b""
            client_close = (header(headers, b"connection") or b"").lower() == b"close"
            stats["requests"] += 1

            await asyncio.sleep(delay)

            if upstream is None:
                upstream = await asyncio.open_connection(upstream_host, upstream_port)
            up_reader, up_writer = upstream
            up_writer.write(serialize(start, headers) + body)
            await up_writer.drain()

            # Skip interim 1xx answers from upstream.
            while True:
                response = await read_head(up_reader)
                if response is None:
                    raise ConnectionError("upstream closed before answering")
                status_line, response_headers = response
                status = int(status_line.split(b" ")[1])
                if not (100 <= status < 200):
                    break
            upstream_close = (header(response_headers, b"connection") or b"").lower() == b"close" \
                or status_line.startswith(b"HTTP/1.0") and (header(response_headers, b"connection") or b"").lower() != b"keep-alive"
            if method == b"HEAD" or status in (204, 304):
                response_body = b""
            elif (header(response_headers, b"transfer-encoding") or b"").lower() == b"chunked":
                response_body = await read_chunked(up_reader)
            elif header(response_headers, b"content-length") is not None:
                response_body = await up_reader.readexactly(int(header(response_headers, b"content-length")))
            else:
                response_body = await up_reader.read()
                upstream_close = True
                response_headers = [(k, v) for k, v in response_headers if k.lower() != b"connection"]
                response_headers.append((b"Content-Length", str(len(response_body)).encode()))
            if upstream_close:
                up_writer.close()
                upstream = None
                # The client's connection stays open: the next request gets a fresh upstream one.
                response_headers = [(k, v) for k, v in response_headers if k.lower() != b"connection"]
                if status_line.startswith(b"HTTP/1.0"):
                    status_line = b"HTTP/1.1" + status_line[8:]
            client_writer.write(serialize(status_line, response_headers) + response_body)
            await client_writer.drain()
            if client_close:
                return
    except (ConnectionError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError, IndexError):
        return
    finally:
        if upstream is not None:
            upstream[1].close()
        client_writer.close()


async def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--listen", required=True, help="HOST:PORT to listen on (port 0 picks one)")
    parser.add_argument("--upstream", required=True, help="HOST:PORT of the server to forward to")
    parser.add_argument("--delay-ms", type=float, default=50.0)
    args = parser.parse_args()
    host, port = args.listen.rsplit(":", 1)
    up_host, up_port = args.upstream.rsplit(":", 1)
    delay = args.delay_ms / 1000.0
    server = await asyncio.start_server(
        lambda r, w: handle(r, w, up_host, int(up_port), delay), host, int(port), limit=1 << 20, backlog=1024)
    actual = server.sockets[0].getsockname()[1]
    print(f"ready {host}:{actual}", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    async with server:
        await stop.wait()
    print(f"latency-proxy: {stats['requests']} requests over {stats['connections']} connections", file=sys.stderr, flush=True)


if __name__ == "__main__":
    try:
        import uvloop  # optional, faster when installed
        uvloop.install()
    except ImportError:
        pass
    asyncio.run(main())
