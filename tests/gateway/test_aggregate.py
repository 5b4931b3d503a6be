"""The gateway's own pages: health of every service, merged OpenAPI and AsyncAPI, Swagger UI."""
from __future__ import annotations

import requests

from gateway.aggregate import merge_openapi

from .conftest import service_openapi


def test_health_names_every_service_and_is_503_when_one_is_not_ready(gateway_url, upstream_b):
    upstream_b.ready = False
    try:
        response = requests.get(gateway_url + "/api/v1/health", timeout=10)
    finally:
        upstream_b.ready = True
    assert response.status_code == 503
    report = response.json()
    assert report["status"] == "degraded"
    services = report["services"]
    assert set(services) == {"auth", "resume", "jobs", "notify"}
    assert services["auth"]["status"] == "ready" and services["auth"]["checks"] == {"database": "ok"}
    assert services["jobs"]["status"] == "not_ready" and services["jobs"]["http_status"] == 503
    assert services["notify"]["status"] == "unreachable"


def test_health_is_200_when_every_service_is_ready(make_app):
    client = make_app(GATEWAY_SERVICES="auth,jobs").test_client()
    response = client.get("/api/v1/health")
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "ok"
    assert {name: entry["status"] for name, entry in body["services"].items()} == {"auth": "ready", "jobs": "ready"}


def test_health_checks_services_in_parallel(make_app):
    # three services that accept connections but never answer, 1 s timeout each: not 3 s in all
    import socket
    import time

    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(16)  # never accepted: the handshake completes, no answer ever comes
    url = f"http://127.0.0.1:{silent.getsockname()[1]}"
    try:
        client = make_app(GATEWAY_SERVICES="auth,resume,jobs", GATEWAY_HEALTH_TIMEOUT="1",
                          AUTH_URL=url, RESUME_URL=url, JOBS_URL=url).test_client()
        started = time.monotonic()
        response = client.get("/api/v1/health")
        elapsed = time.monotonic() - started
    finally:
        silent.close()
    assert response.status_code == 503
    assert {e["status"] for e in response.get_json()["services"].values()} == {"unreachable"}
    assert elapsed < 2.5


def test_gateway_liveness_and_readiness(gateway_url):
    assert requests.get(gateway_url + "/healthz").json()["status"] == "ok"
    ready = requests.get(gateway_url + "/readyz")
    assert ready.status_code == 200 and ready.json()["services"] == ["auth", "resume", "jobs", "notify"]


def test_merged_openapi_keeps_every_path_and_prefixes_components(gateway_url):
    response = requests.get(gateway_url + "/api/openapi.json")
    assert response.status_code == 200
    spec = response.json()
    assert spec["openapi"].startswith("3.")
    assert {"/api/v1/auth/items", "/api/v1/resume/items", "/api/v1/jobs/items"} <= set(spec["paths"])
    schemas = spec["components"]["schemas"]
    assert {"auth.Item", "auth.Error", "jobs.Item", "jobs.Error"} <= set(schemas)
    item_ref = spec["paths"]["/api/v1/jobs/items"]["get"]["responses"]["200"]["content"]["application/json"]
    assert item_ref["schema"]["items"]["$ref"] == "#/components/schemas/jobs.Item"
    assert schemas["jobs.Item"]["properties"]["error"]["$ref"] == "#/components/schemas/jobs.Error"
    assert spec["components"]["responses"]["auth.DEFAULT_ERROR"]["content"]["application/json"]["schema"][
        "$ref"] == "#/components/schemas/auth.Error"
    assert spec["components"]["securitySchemes"] == {"bearerAuth": {"type": "http", "scheme": "bearer"}}
    assert spec["info"]["x-unavailable-services"] == ["notify"]  # down, so named rather than silently missing
    every_ref = _refs(spec)
    assert every_ref and all(_resolves(spec, ref) for ref in every_ref)


def _refs(node):
    if isinstance(node, dict):
        found = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return found + [r for value in node.values() for r in _refs(value)]
    if isinstance(node, list):
        return [r for value in node for r in _refs(value)]
    return []


def _resolves(spec, ref):
    node = spec
    for part in ref.lstrip("#/").split("/"):
        if part not in node:
            return False
        node = node[part]
    return True


def test_merge_openapi_unit_two_services_same_names():
    merged = merge_openapi({"auth": service_openapi("auth"), "jobs": service_openapi("jobs")})
    assert sorted(merged["components"]["schemas"]) == ["auth.Error", "auth.Item", "jobs.Error", "jobs.Item"]
    assert [t["x-service"] for t in merged["tags"]] == ["auth", "jobs"]


def test_merged_event_catalog(gateway_url):
    response = requests.get(gateway_url + "/api/events")
    assert response.status_code == 200
    doc = response.json()
    assert doc["asyncapi"].startswith("3.")
    assert {"auth.thing_happened", "jobs.thing_happened"} <= set(doc["channels"])
    assert "jobs.thing_happened" in doc["components"]["messages"]
    assert doc["channels"]["jobs.thing_happened"]["bindings"]["amqp"]["exchange"]["name"] == "jobs.events"


def test_swagger_ui_is_served_with_its_assets(gateway_url):
    page = requests.get(gateway_url + "/api/docs")
    assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html")
    assert "SwaggerUIBundle" in page.text and "/api/openapi.json" in page.text
    asset = requests.get(gateway_url + "/api/docs/assets/swagger-ui-bundle.js")
    assert asset.status_code == 200 and len(asset.content) > 100_000
    assert requests.get(gateway_url + "/api/docs/assets/swagger-ui.css").status_code == 200
