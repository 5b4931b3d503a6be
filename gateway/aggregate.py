"""What the gateway gathers from every service: readiness (/api/v1/health), the merged OpenAPI
document (/api/openapi.json), the merged AsyncAPI event catalog (/api/events) and Swagger UI (/api/docs)."""
from __future__ import annotations

import json
import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from urllib3 import HTTPConnectionPool, HTTPSConnectionPool, Timeout
from urllib3.exceptions import HTTPError

from cc_kit.events import merge_asyncapi

from .settings import Upstream

log = logging.getLogger("gateway.aggregate")

_executor: ThreadPoolExecutor | None = None
_executor_lock = threading.Lock()


class ControlPools:
    """urllib3 pools for the gateway's own few calls to the services (readiness, documents): total
    timeouts and retries-off come for free, and speed does not matter here as on the data path."""

    def __init__(self, upstreams: dict[str, Upstream]):
        self.upstreams = upstreams
        self._pools: dict[str, HTTPConnectionPool] = {}
        self._lock = threading.Lock()

    def get(self, name: str) -> HTTPConnectionPool:
        with self._lock:
            pool = self._pools.get(name)
            if pool is None:
                url = self.upstreams[name].url
                cls = HTTPSConnectionPool if url.startswith("https://") else HTTPConnectionPool
                scheme, _, hostport = url.partition("://")
                host, _, port = hostport.rstrip("/").rpartition(":")
                pool = self._pools[name] = cls(host.strip("[]"), int(port), maxsize=4, block=False,
                                               retries=False)
            return pool


def _pool_executor() -> ThreadPoolExecutor:
    global _executor
    with _executor_lock:
        if _executor is None:
            _executor = ThreadPoolExecutor(max_workers=8, thread_name_prefix="gateway-fanout")
        return _executor


def fetch(pools: ControlPools, service: str, path: str, timeout: float, request_id: str = "") -> dict:
    """GET one service path: {status, http_status, body (parsed JSON or None), latency_ms}."""
    started = time.perf_counter()
    try:
        response = pools.get(service).urlopen(
            "GET", path, headers={"accept": "application/json", "x-request-id": request_id},
            timeout=Timeout(connect=min(timeout, 1.0), read=timeout), retries=False, redirect=False,
            preload_content=True,
        )
    except HTTPError as exc:
        return {"status": "unreachable", "http_status": None, "body": None, "error": type(exc).__name__,
                "latency_ms": round((time.perf_counter() - started) * 1000, 1)}
    try:
        body = json.loads(response.data) if response.data else None
    except ValueError:
        body = None
    return {"status": "ok" if response.status == 200 else "error", "http_status": response.status, "body": body,
            "latency_ms": round((time.perf_counter() - started) * 1000, 1)}


def fetch_all(pools: ControlPools, path_for, timeout: float, request_id: str = "") -> dict[str, dict]:
    """The same GET on every configured service, in parallel, so one slow service costs one timeout."""
    services = list(pools.upstreams)
    futures = {name: _pool_executor().submit(fetch, pools, name, path_for(name), timeout, request_id)
               for name in services}
    return {name: future.result() for name, future in futures.items()}


def health_report(pools: ControlPools, timeout: float, request_id: str = "") -> tuple[dict, bool]:
    results = fetch_all(pools, lambda name: "/readyz", timeout, request_id)
    services = {}
    for name, result in results.items():
        body = result["body"] if isinstance(result["body"], dict) else {}
        if result["status"] == "unreachable":
            status = "unreachable"
        else:
            status = "ready" if result["http_status"] == 200 else "not_ready"
        entry = {"status": status, "http_status": result["http_status"], "latency_ms": result["latency_ms"]}
        if body.get("checks"):
            entry["checks"] = body["checks"]
        services[name] = entry
    healthy = all(entry["status"] == "ready" for entry in services.values())
    return {"status": "ok" if healthy else "degraded", "services": services}, healthy


def _rename_refs(node, renames: dict[str, str]):
    """Point every `#/components/<kind>/<name>` at the service-prefixed component name."""
    if isinstance(node, dict):
        return {key: _rename_refs(value, renames) for key, value in node.items()}
    if isinstance(node, list):
        return [_rename_refs(value, renames) for value in node]
    if isinstance(node, str) and node.startswith("#/components/"):
        return renames.get(node, node)
    return node


def merge_openapi(specs: dict[str, dict], *, title: str = "Campus Careers API") -> dict:
    """One OpenAPI 3 document from each service's Flask-Smorest spec. Paths already carry their
    `/api/v1/<service>` prefix; components get a `<service>.` prefix so equal names never clash."""
    merged = {
        "openapi": "3.0.3",
        "info": {
            "title": title,
            "version": "1.0.0",
            "description": "所有服务的接口，经网关访问 (every service's API, through the gateway). "
                           "Authorization: Bearer <access_token> from POST /api/v1/auth/login.",
        },
        "servers": [{"url": "/"}],
        "tags": [],
        "paths": {},
        "components": {"securitySchemes": {}},
    }
    seen_tags = set()
    for service, spec in specs.items():
        components = spec.get("components") or {}
        renames = {}
        for kind, items in components.items():
            if kind == "securitySchemes" or not isinstance(items, dict):
                continue  # referenced by name from `security`, not by $ref: kept as they are
            for name in items:
                renames[f"#/components/{kind}/{name}"] = f"#/components/{kind}/{service}.{name}"
        for path, item in (spec.get("paths") or {}).items():
            merged["paths"][path] = _rename_refs(item, renames)
        for kind, items in components.items():
            if not isinstance(items, dict):
                continue
            target = merged["components"].setdefault(kind, {})
            for name, value in items.items():
                if kind == "securitySchemes":
                    target.setdefault(name, value)
                else:
                    target[f"{service}.{name}"] = _rename_refs(value, renames)
        for tag in spec.get("tags") or []:
            if tag.get("name") not in seen_tags:
                seen_tags.add(tag.get("name"))
                merged["tags"].append({**tag, "x-service": service})
    return merged


class DocumentCache:
    """Merged documents change only when a service is redeployed: rebuild at most every `ttl` seconds,
    and never keep a document that lacks a service that was down."""

    def __init__(self, ttl: float = 30.0):
        self.ttl = ttl
        self._docs: dict[str, tuple[float, dict]] = {}
        self._lock = threading.Lock()

    def get(self, key: str, build):
        now = time.monotonic()
        hit = self._docs.get(key)
        if hit and now - hit[0] < self.ttl:
            return hit[1]
        document, complete = build()
        if complete:
            with self._lock:
                self._docs[key] = (now, document)
        return document


def openapi_document(pools: ControlPools, timeout: float, request_id: str = "") -> tuple[dict, bool]:
    results = fetch_all(pools, lambda name: f"/api/v1/{name}/openapi.json", timeout, request_id)
    specs = {name: r["body"] for name, r in results.items() if r["status"] == "ok" and isinstance(r["body"], dict)}
    merged = merge_openapi(specs)
    missing = sorted(set(results) - set(specs))
    if missing:
        merged["info"]["x-unavailable-services"] = missing
    return merged, not missing


def asyncapi_document(pools: ControlPools, timeout: float, request_id: str = "") -> tuple[dict, bool]:
    results = fetch_all(pools, lambda name: f"/api/v1/{name}/asyncapi.json", timeout, request_id)
    documents = [r["body"] for r in results.values() if r["status"] == "ok" and isinstance(r["body"], dict)]
    merged = merge_asyncapi(documents)
    # A service without events answers 404: that is complete, not missing.
    missing = sorted(name for name, r in results.items() if r["status"] == "unreachable"
                     or (r["http_status"] or 0) >= 500)
    if missing:
        merged["info"]["x-unavailable-services"] = missing
    return merged, not missing


SWAGGER_CDN = "https://cdn.jsdelivr.net/npm/swagger-ui-dist@5"


def swagger_assets():
    """The directory of the `swagger-ui-bundle` package's static files, or None (then the CDN is used)."""
    try:
        from swagger_ui_bundle import swagger_ui_path
    except ImportError:
        return None
    return swagger_ui_path


def swagger_page(spec_url: str, asset_base: str) -> str:
    return f"""<!DOCTYPE html>
<html lang="zh-CN">
<head>
  <meta charset="UTF-8">
  <title>Campus Careers API 文档</title>
  <link rel="stylesheet" href="{asset_base}/swagger-ui.css">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="{asset_base}/swagger-ui-bundle.js" charset="UTF-8"></script>
  <script src="{asset_base}/swagger-ui-standalone-preset.js" charset="UTF-8"></script>
  <script>
    window.onload = function () {{
      window.ui = SwaggerUIBundle({{
        url: "{spec_url}",
        dom_id: "#swagger-ui",
        deepLinking: true,
        persistAuthorization: true,
        presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
        layout: "StandaloneLayout"
      }});
    }};
  </script>
</body>
</html>
"""
