"""Forwarding one request to a service api: pooled keep-alive connections, bodies streamed both ways,
hop-by-hop headers stripped, X-Request-ID and X-Forwarded-* added, upstream failures as JSON envelopes.

The data path speaks HTTP/1.1 over plain sockets with httptools (llhttp, C) parsing the responses:
measured here, a request through urllib3 cost ~350 µs of CPU and http.client ~200 µs (its header
parsing goes through the email package), this ~70 µs — the gateway's whole budget is a few hundred.
"""
from __future__ import annotations

import collections
import logging
import os
import select
import socket
import threading
from http import HTTPStatus
from urllib.parse import quote

import httptools

from cc_kit.errors import ApiError

from .settings import Upstream

log = logging.getLogger("gateway.proxy")

# RFC 9110 §7.6.1, plus the non-standard ones clients still send; `Connection` may name more.
HOP_BY_HOP = frozenset({
    "connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "proxy-connection",
    "te", "trailer", "trailers", "transfer-encoding", "upgrade",
})
# Set by the gateway itself; `expect` is dropped because the gateway has (or streams) the body already.
_REPLACED = frozenset({"host", "x-forwarded-for", "x-forwarded-proto", "x-forwarded-host", "x-request-id",
                       "expect", "content-length", "content-type"})
SMALL_BODY = 256 * 1024  # bodies up to this size are read whole (one write, exact Content-Length)
STREAM_CHUNK = 64 * 1024
_IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
STATUS_LINES = {s.value: f"{s.value} {s.phrase}" for s in HTTPStatus}


class UpstreamUnavailable(ApiError):
    status, code = 502, "upstream_unavailable"


class UpstreamTimeout(ApiError):
    status, code = 504, "upstream_timeout"


class BodyTooLarge(ApiError):
    status, code = 413, "too_large"


class _Retryable(Exception):
    """A reused connection turned out dead before any byte of the response came back."""


class _Response:
    """httptools callbacks: status line and headers, body parts as they are parsed."""

    __slots__ = ("parser", "headers", "parts", "headers_done", "complete", "keep_alive")

    def __init__(self):
        self.parser = httptools.HttpResponseParser(self)
        self.headers: list[tuple[bytes, bytes]] = []
        self.parts: list[bytes] = []
        self.headers_done = False
        self.complete = False
        self.keep_alive = False

    def on_header(self, name: bytes, value: bytes) -> None:
        self.headers.append((name, value))

    def on_headers_complete(self) -> None:
        self.headers_done = True
        self.keep_alive = self.parser.should_keep_alive()

    def on_body(self, body: bytes) -> None:
        self.parts.append(body)

    def on_message_complete(self) -> None:
        self.complete = True


if hasattr(select, "poll"):
    def _readable_now(sock: socket.socket) -> bool:
        poller = select.poll()  # poll, not select: descriptors above 1024 are common in a busy worker
        poller.register(sock, select.POLLIN)
        return bool(poller.poll(0))
else:  # eventlet's green select (the test process) has no poll
    def _readable_now(sock: socket.socket) -> bool:
        return bool(select.select([sock], [], [], 0)[0])


class Connection:
    __slots__ = ("sock", "reused")

    def __init__(self, sock: socket.socket):
        self.sock = sock
        self.reused = False

    def close(self) -> None:
        try:
            self.sock.close()
        except OSError:
            pass


class UpstreamPool:
    """Idle keep-alive connections to one upstream, newest reused first; at most `maxsize` kept idle."""

    def __init__(self, upstream: Upstream, *, maxsize: int, connect_timeout: float, read_timeout: float):
        self.upstream = upstream
        scheme, _, hostport = upstream.url.partition("://")
        if scheme != "http":
            raise ValueError(f"upstream {upstream.name}: only http:// is supported inside the cluster")
        host, _, port = hostport.rstrip("/").rpartition(":")
        self.address = (host.strip("[]") or port, int(port) if host else 80)
        self.maxsize = maxsize
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout
        self._idle: collections.deque[Connection] = collections.deque()

    def acquire(self) -> Connection:
        while True:
            try:
                conn = self._idle.pop()
            except IndexError:
                break
            # An idle connection that is readable has been closed by the upstream (or is out of sync).
            if not _readable_now(conn.sock):
                conn.reused = True
                return conn
            conn.close()
        try:
            sock = socket.create_connection(self.address, timeout=self.connect_timeout)
        except OSError as exc:
            log.warning("upstream %s unreachable: %s", self.upstream.name, exc)
            raise UpstreamUnavailable(f"服务 {self.upstream.name} 暂不可用 ({self.upstream.name} unavailable)",
                                      service=self.upstream.name) from exc
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.settimeout(self.read_timeout)
        return Connection(sock)

    def release(self, conn: Connection) -> None:
        if len(self._idle) < self.maxsize:
            self._idle.append(conn)
        else:
            conn.close()

    def close(self) -> None:
        while self._idle:
            self._idle.pop().close()


class Pools:
    """One UpstreamPool per upstream, created lazily in each worker process (after gunicorn's fork:
    sockets are never shared between workers)."""

    def __init__(self, upstreams: dict[str, Upstream], *, maxsize: int, connect_timeout: float,
                 read_timeout: float):
        self.upstreams = upstreams
        self.options = {"maxsize": maxsize, "connect_timeout": connect_timeout, "read_timeout": read_timeout}
        self._pools: dict[str, UpstreamPool] = {}
        self._pid = None
        self._lock = threading.Lock()

    def get(self, name: str) -> UpstreamPool:
        if self._pid == os.getpid():
            pool = self._pools.get(name)
            if pool is not None:
                return pool
        with self._lock:
            if self._pid != os.getpid():
                self._pools, self._pid = {}, os.getpid()
            pool = self._pools.get(name)
            if pool is None:
                pool = self._pools[name] = UpstreamPool(self.upstreams[name], **self.options)
            return pool


def upstream_headers(environ: dict, upstream: Upstream, request_id: str, *, trust_forwarded: bool) -> list:
    """The client's end-to-end headers plus the X-Forwarded-* and X-Request-ID the services read."""
    drop = HOP_BY_HOP
    connection = environ.get("HTTP_CONNECTION")
    if connection:
        drop = drop | {token.strip().lower() for token in connection.split(",")}
    headers = [("Host", upstream.host)]
    for key, value in environ.items():
        if key.startswith("HTTP_"):
            name = key[5:].replace("_", "-").lower()
            if name not in drop and name not in _REPLACED:
                headers.append((name, value))
    if environ.get("CONTENT_TYPE"):
        headers.append(("Content-Type", environ["CONTENT_TYPE"]))
    # Behind trusted proxies ProxyFix rewrote REMOTE_ADDR to the client; the chain needs the real peer.
    client = (environ.get("werkzeug.proxy_fix.orig") or environ).get("REMOTE_ADDR", "")
    # A chain sent by the client itself is only kept behind proxies we trust; at the edge it is a lie.
    prior = environ.get("HTTP_X_FORWARDED_FOR") if trust_forwarded else None
    headers.append(("X-Forwarded-For", f"{prior}, {client}" if prior else client))
    headers.append(("X-Forwarded-Proto", (trust_forwarded and environ.get("HTTP_X_FORWARDED_PROTO"))
                    or environ.get("wsgi.url_scheme", "http")))
    headers.append(("X-Forwarded-Host", (trust_forwarded and environ.get("HTTP_X_FORWARDED_HOST"))
                    or environ.get("HTTP_HOST", "")))
    headers.append(("X-Request-ID", request_id))
    return headers


def raw_target(environ: dict) -> str:
    """The path and query exactly as the client sent them (the gateway never rewrites paths)."""
    raw = environ.get("RAW_URI") or environ.get("REQUEST_URI")
    if raw and raw.startswith("/"):
        return raw
    path = quote(environ.get("PATH_INFO", "").encode("latin-1"), safe="/;:@&=+$,!~*'()%")
    query = environ.get("QUERY_STRING")
    return f"{path}?{query}" if query else path


def read_stream(stream, length: int | None, limit: int):
    """Blocks of the client's body; past `limit` bytes → 413 (chunked bodies announce no length)."""
    seen = 0
    while length is None or seen < length:
        block = stream.read(STREAM_CHUNK if length is None else min(STREAM_CHUNK, length - seen))
        if not block:
            if length is not None:
                raise ApiError("请求体不完整 (request body incomplete)", status=400, code="incomplete_body")
            return
        seen += len(block)
        if seen > limit:
            raise BodyTooLarge(f"请求体过大，上限 {limit} 字节 (request body too large)", max_bytes=limit)
        yield block


def _send(conn: Connection, head: bytes, body, chunked: bool) -> None:
    sock = conn.sock
    if body is None:
        sock.sendall(head)
    elif isinstance(body, (bytes, bytearray)):
        sock.sendall(head + body)
    else:
        sock.sendall(head)
        for block in body:
            sock.sendall(b"%x\r\n%b\r\n" % (len(block), block) if chunked else block)
        if chunked:
            sock.sendall(b"0\r\n\r\n")


def _exchange(pool: UpstreamPool, conn: Connection, head: bytes, body, chunked: bool) -> _Response:
    """Send the request and read up to the end of the response headers."""
    response = _Response()
    try:
        _send(conn, head, body, chunked)
        received = False
        while not response.headers_done:
            data = conn.sock.recv(STREAM_CHUNK)
            if not data:
                if conn.reused and not received:
                    raise _Retryable()
                raise ConnectionError("upstream closed the connection mid-response")
            received = True
            response.parser.feed_data(data)
    except (BrokenPipeError, ConnectionResetError) as exc:
        conn.close()
        if conn.reused:
            raise _Retryable() from exc
        raise UpstreamUnavailable(f"服务 {pool.upstream.name} 暂不可用 ({pool.upstream.name} unavailable)",
                                  service=pool.upstream.name) from exc
    except _Retryable:
        conn.close()
        raise
    except TimeoutError as exc:
        conn.close()
        log.warning("upstream %s timed out", pool.upstream.name)
        raise UpstreamTimeout(f"服务 {pool.upstream.name} 响应超时 ({pool.upstream.name} timed out)",
                              service=pool.upstream.name) from exc
    except (OSError, httptools.HttpParserError) as exc:
        conn.close()
        log.warning("upstream %s broke the exchange: %s", pool.upstream.name, exc)
        raise UpstreamUnavailable(f"服务 {pool.upstream.name} 暂不可用 ({pool.upstream.name} unavailable)",
                                  service=pool.upstream.name) from exc
    except BaseException:  # e.g. the client's body outgrew the limit: the upstream saw half a request
        conn.close()
        raise
    return response


def _finish(pool: UpstreamPool, conn: Connection, response: _Response) -> None:
    """Read the rest of a body into `response.parts` (small bodies only)."""
    sock = conn.sock
    try:
        while not response.complete:
            data = sock.recv(STREAM_CHUNK)
            if not data:
                raise ConnectionError("upstream closed the connection mid-body")
            response.parser.feed_data(data)
    except TimeoutError as exc:
        conn.close()
        raise UpstreamTimeout(f"服务 {pool.upstream.name} 响应超时 ({pool.upstream.name} timed out)",
                              service=pool.upstream.name) from exc
    except (OSError, httptools.HttpParserError) as exc:
        conn.close()
        raise UpstreamUnavailable(f"服务 {pool.upstream.name} 暂不可用 ({pool.upstream.name} unavailable)",
                                  service=pool.upstream.name) from exc


def _stream(pool: UpstreamPool, conn: Connection, response: _Response, until_close: bool):
    """Yield the upstream body as it arrives; a half-read connection is closed, never pooled again."""
    complete = False
    try:
        while True:
            if response.parts:
                parts, response.parts = response.parts, []
                yield b"".join(parts)
            if response.complete:
                break
            data = conn.sock.recv(STREAM_CHUNK)
            if not data:
                if until_close:  # a body delimited by the end of the connection (HTTP/1.0 style)
                    break
                raise ConnectionError("upstream closed the connection mid-body")
            response.parser.feed_data(data)
        complete = True
    except (OSError, httptools.HttpParserError):
        log.warning("upstream %s broke off while streaming a response", pool.upstream.name)
        raise  # the server then drops the client connection instead of ending the body as if complete
    finally:
        if complete and response.keep_alive and not until_close:
            pool.release(conn)
        else:
            conn.close()


def forward(pools: Pools, upstream: Upstream, environ: dict, request_id: str, *, body,
            trust_forwarded: bool = False) -> tuple[str, list[tuple[str, str]], object]:
    """Send the request to the upstream; (status line, headers, body iterable) of its answer."""
    method = environ["REQUEST_METHOD"]
    headers = upstream_headers(environ, upstream, request_id, trust_forwarded=trust_forwarded)
    chunked = False
    if isinstance(body, (bytes, bytearray)):
        headers.append(("Content-Length", str(len(body))))
    elif body is not None:
        length = environ.get("CONTENT_LENGTH")
        if length:
            headers.append(("Content-Length", length))
        else:
            headers.append(("Transfer-Encoding", "chunked"))
            chunked = True
    head = (f"{method} {raw_target(environ)} HTTP/1.1\r\n"
            + "".join(f"{name}: {value}\r\n" for name, value in headers) + "\r\n").encode("latin-1")

    pool = pools.get(upstream.name)
    attempts = 2 if (body is None or isinstance(body, (bytes, bytearray))) and method in _IDEMPOTENT else 1
    for attempt in range(attempts):
        conn = pool.acquire()
        try:
            response = _exchange(pool, conn, head, body, chunked)
            break
        except _Retryable as exc:
            if attempt + 1 < attempts:
                continue
            raise UpstreamUnavailable(f"服务 {upstream.name} 暂不可用 ({upstream.name} unavailable)",
                                      service=upstream.name) from exc

    status = response.parser.get_status_code()
    drop = HOP_BY_HOP
    length = None
    out_headers = []
    for raw_name, raw_value in response.headers:
        name = raw_name.decode("latin-1")
        lower = name.lower()
        if lower == "connection":
            drop = drop | {token.strip().lower() for token in raw_value.decode("latin-1").split(",")}
        elif lower == "content-length":
            length = raw_value
    for raw_name, raw_value in response.headers:
        name = raw_name.decode("latin-1")
        if name.lower() not in drop:
            out_headers.append((name, raw_value.decode("latin-1")))
    status_line = STATUS_LINES.get(status) or f"{status} Unknown"

    if method == "HEAD" or status in (204, 304) or 100 <= status < 200:
        # No body follows, whatever Content-Length says (RFC 9110 §6.4.1).
        if response.keep_alive:
            pool.release(conn)
        else:
            conn.close()
        return status_line, out_headers, []
    if response.complete or (length is not None and length.isdigit() and int(length) <= SMALL_BODY):
        _finish(pool, conn, response)
        data = b"".join(response.parts)
        if response.keep_alive:
            pool.release(conn)
        else:
            conn.close()
        if length is None:
            out_headers.append(("Content-Length", str(len(data))))
        return status_line, out_headers, [data]
    chunked_response = any(n.lower() == b"transfer-encoding" for n, _ in response.headers)
    return status_line, out_headers, _stream(pool, conn, response, until_close=length is None
                                             and not chunked_response)
