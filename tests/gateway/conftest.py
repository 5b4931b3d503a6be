"""Fixtures for the gateway: a tiny real HTTP upstream (the gateway's test double) and the gateway
itself, both in-process (create_app) and as the real `python -m gateway.serve` under gunicorn."""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import marshmallow as ma
import pytest
import requests

from cc_kit.events import EventCatalog, asyncapi_document

REPO = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _ThingSchema(ma.Schema):
    thing_id = ma.fields.Integer(required=True)


def service_openapi(service: str) -> dict:
    """What Flask-Smorest would serve: paths under the service prefix, components referenced by $ref."""
    return {
        "openapi": "3.0.3",
        "info": {"title": service, "version": "1"},
        "tags": [{"name": f"{service}-items", "description": "items"}],
        "paths": {
            f"/api/v1/{service}/items": {
                "get": {"responses": {"200": {"description": "ok", "content": {"application/json": {
                    "schema": {"type": "array", "items": {"$ref": "#/components/schemas/Item"}}}}},
                    "default": {"$ref": "#/components/responses/DEFAULT_ERROR"}},
                    "security": [{"bearerAuth": []}]},
            },
        },
        "components": {
            "schemas": {"Item": {"type": "object", "properties": {"id": {"type": "integer"},
                                                                  "error": {"$ref": "#/components/schemas/Error"}}},
                        "Error": {"type": "object", "properties": {"code": {"type": "string"}}}},
            "responses": {"DEFAULT_ERROR": {"description": "error", "content": {"application/json": {
                "schema": {"$ref": "#/components/schemas/Error"}}}}},
            "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}},
        },
    }


def service_asyncapi(service: str) -> dict:
    catalog = EventCatalog(service)
    catalog.declare("thing_happened", _ThingSchema, "某事发生了")
    return asyncapi_document([catalog])


class FakeUpstream:
    """A threaded HTTP/1.1 server that records what reached it and answers per path suffix."""

    def __init__(self):
        self.requests: list[dict] = []
        self.ready = True
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def seen(self, marker: str) -> list[dict]:
        return [r for r in self.requests if marker in r["path"]]

    def stop(self):
        self.server.shutdown()
        self.server.server_close()

    def _handler(self):
        upstream = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def _read_body(self) -> bytes:
                if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
                    data = b""
                    while True:
                        size = int(self.rfile.readline().split(b";")[0].strip(), 16)
                        if size == 0:
                            self.rfile.readline()
                            return data
                        data += self.rfile.read(size)
                        self.rfile.readline()
                return self.rfile.read(int(self.headers.get("Content-Length") or 0))

            def _send(self, status: int, body: bytes = b"", headers=(), content_type="application/json"):
                self.send_response(status)
                if content_type:
                    self.send_header("Content-Type", content_type)
                for name, value in headers:
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(body)

            def _json(self, status: int, payload, headers=()):
                self._send(status, json.dumps(payload, ensure_ascii=False).encode(), headers)

            def _route(self):
                body = self._read_body()
                path = self.path.split("?", 1)[0]
                record = {"method": self.command, "path": self.path,
                          "headers": {k.lower(): v for k, v in self.headers.items()},
                          "body_len": len(body), "sha256": hashlib.sha256(body).hexdigest(), "body": body[:2000]}
                upstream.requests.append(record)
                parts = path.split("/")
                service = parts[3] if len(parts) > 3 else ""
                if path == "/readyz":
                    ok = upstream.ready
                    return self._json(200 if ok else 503, {"status": "ready" if ok else "not_ready",
                                                           "checks": {"database": "ok" if ok else "error"}})
                if path.endswith("/openapi.json"):
                    return self._json(200, service_openapi(service))
                if path.endswith("/asyncapi.json"):
                    return self._json(200, service_asyncapi(service))
                if path.endswith("/login"):
                    data = json.loads(body or b"{}")
                    if data.get("password") == "right":
                        return self._json(200, {"access_token": "x", "role": "student"})
                    return self._json(401, {"code": "invalid_credentials", "message": "用户名或密码错误"})
                if "/stream" in path:
                    self.send_response(200)
                    self.send_header("Content-Type", "text/plain; charset=utf-8")
                    self.send_header("Transfer-Encoding", "chunked")
                    self.end_headers()
                    for i in range(5):
                        chunk = f"part {i} {time.time():.3f}\n".encode()
                        self.wfile.write(b"%x\r\n%b\r\n" % (len(chunk), chunk))
                        self.wfile.flush()
                        time.sleep(0.3)
                    self.wfile.write(b"0\r\n\r\n")
                    return None
                if "/big" in path:
                    data = bytes(range(256)) * 4096  # 1 MiB: above the gateway's read-whole size
                    return self._send(200, data, [("X-Sha256", hashlib.sha256(data).hexdigest())],
                                      content_type="application/octet-stream")
                if "/slow" in path:
                    time.sleep(3)
                    return self._json(200, {"slow": True})
                if "/no-content" in path:
                    return self._send(204, content_type=None)
                if "/close-after" in path:
                    self._json(200, {"closed": True})
                    self.close_connection = True  # silently: no Connection: close sent
                    return None
                return self._json(200, {**{k: v for k, v in record.items() if k != "body"},
                                        "body_text": body[:2000].decode("utf-8", "replace")}, headers=[
                    ("X-Upstream", "yes"), ("Set-Cookie", "a=1"), ("Set-Cookie", "b=2"),
                    ("Keep-Alive", "timeout=99"), ("Proxy-Authenticate", "Basic"), ("X-Hop", "secret"),
                    ("Connection", "keep-alive, X-Hop"),
                ])

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _route

        return Handler


@pytest.fixture(scope="session")
def upstream_a():
    server = FakeUpstream()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def upstream_b():
    server = FakeUpstream()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def closed_port():
    return free_port()


def gateway_env(upstream_a, upstream_b, closed_port, test_keys, **extra) -> dict:
    env = {
        "GATEWAY_SERVICES": "auth,resume,jobs,notify",
        "AUTH_URL": upstream_a.url,
        "RESUME_URL": upstream_a.url,
        "JOBS_URL": upstream_b.url,
        "NOTIFY_URL": f"http://127.0.0.1:{closed_port}",
        "AUTH_JWKS_URL": test_keys.jwks_url,
        "GATEWAY_UPSTREAM_TIMEOUT": "1",
        "GATEWAY_HEALTH_TIMEOUT": "1",
        "GATEWAY_MAX_BODY_BYTES": str(2 * 1024 * 1024),
        "GATEWAY_LOGIN_ACCOUNT_LIMIT": "3/minute",
    }
    env.update(extra)
    return env


@pytest.fixture(scope="session")
def gateway_url(upstream_a, upstream_b, closed_port, test_keys, tmp_path_factory):
    """The real thing: `python -m gateway.serve` (gunicorn gthread, one worker so the in-memory
    rate-limit counters are deterministic) in front of the fake upstreams."""
    port = free_port()
    env = dict(os.environ)
    env.update(gateway_env(upstream_a, upstream_b, closed_port, test_keys))
    env.update({"GATEWAY_PORT": str(port), "GATEWAY_WORKERS": "1", "GATEWAY_THREADS": "8",
                "DATA_DIR": str(tmp_path_factory.mktemp("gw-var")),
                "PYTHONPATH": os.pathsep.join([str(REPO), str(REPO / "libs")])})
    log = open(tmp_path_factory.mktemp("gw-log") / "gateway.log", "wb")
    proc = subprocess.Popen([sys.executable, "-m", "gateway.serve"], cwd=REPO, env=env, stdout=log,
                            stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            if requests.get(url + "/healthz", timeout=1).status_code == 200:
                break
        except requests.RequestException:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise RuntimeError(f"gateway did not start: {Path(log.name).read_text()[-3000:]}")
        time.sleep(0.1)
    yield url
    os.killpg(proc.pid, 15)
    try:
        proc.wait(15)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, 9)
        proc.wait(5)
    log.close()


@pytest.fixture
def make_app(monkeypatch, upstream_a, upstream_b, closed_port, test_keys):
    """An in-process gateway (Flask test client) with extra environment for one test."""
    from gateway.app import create_app

    def build(**extra):
        for name, value in gateway_env(upstream_a, upstream_b, closed_port, test_keys, **extra).items():
            monkeypatch.setenv(name, value)
        return create_app()

    return build


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory):
    """A private redis-server on a free port (the gateway's shared rate-limit storage)."""
    exe = shutil.which("redis-server")
    assert exe, "redis-server is needed for the rate-limit storage test (apt-get install redis-server)"
    port = free_port()
    workdir = tmp_path_factory.mktemp("redis")
    proc = subprocess.Popen([exe, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                             "--dir", str(workdir)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            break
        except OSError:
            if time.monotonic() > deadline:
                proc.kill()
                raise
            time.sleep(0.1)
    yield f"redis://127.0.0.1:{port}/0"
    proc.terminate()
    proc.wait(10)
