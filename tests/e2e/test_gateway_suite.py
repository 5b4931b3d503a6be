"""The gateway in front of the suite as `make run` starts it: health, documents, tokens, roles, limits."""
from __future__ import annotations

import uuid

import jwt
import pytest
import requests

from gateway.settings import DEFAULT_SERVICES

pytestmark = pytest.mark.e2e


def configured_services(suite) -> list[str]:
    value = suite.env.get("GATEWAY_SERVICES") or DEFAULT_SERVICES
    return [name for name in value.split(",") if name]


def admin_login(suite) -> dict:
    response = requests.post(suite.url + "/api/v1/auth/login", json={
        "username": suite.admin_email, "password": suite.admin_password,
        "captcha_id": "e2e", "captcha_code": suite.captcha_bypass}, timeout=10)
    assert response.status_code == 200, response.text
    return response.json()


def test_health_names_every_service_and_all_are_ready(suite):
    response = requests.get(suite.url + "/api/v1/health", timeout=10)
    assert response.status_code == 200, response.text
    services = response.json()["services"]
    assert set(services) == set(configured_services(suite))
    assert {entry["status"] for entry in services.values()} == {"ready"}
    assert requests.get(suite.url + "/healthz", timeout=5).json()["status"] == "ok"
    assert requests.get(suite.url + "/readyz", timeout=5).status_code == 200


def test_merged_openapi_covers_every_service(suite):
    spec = requests.get(suite.url + "/api/openapi.json", timeout=15).json()
    assert "x-unavailable-services" not in spec["info"]
    for service in configured_services(suite):
        assert any(path.startswith(f"/api/v1/{service}/") for path in spec["paths"]), service
    assert "post" in spec["paths"]["/api/v1/auth/login"]
    assert all("." in name for name in spec["components"].get("schemas", {}))  # service-prefixed
    page = requests.get(suite.url + "/api/docs", timeout=5)
    assert page.status_code == 200 and "SwaggerUIBundle" in page.text


def test_event_catalog_merges_the_services_events(suite):
    doc = requests.get(suite.url + "/api/events", timeout=15).json()
    assert doc["asyncapi"].startswith("3.")
    assert doc["channels"], "no events declared by any service"
    prefixes = {key.split(".", 1)[0] for key in doc["channels"]}
    assert prefixes <= set(configured_services(suite))
    assert "auth" in prefixes


def test_same_path_directly_and_through_the_gateway(suite):
    direct = requests.get(suite.service_url("auth") + "/api/v1/auth/jwks.json", timeout=5)
    via = requests.get(suite.url + "/api/v1/auth/jwks.json", timeout=5)
    assert direct.status_code == via.status_code == 200
    assert direct.json() == via.json()


def test_a_real_token_passes_and_bad_ones_do_not(suite):
    tokens = admin_login(suite)
    me = requests.get(suite.url + "/api/v1/auth/me", timeout=5, headers={
        "Authorization": f"Bearer {tokens['access_token']}", "X-Request-ID": "e2e-gateway-42"})
    assert me.status_code == 200, me.text
    assert me.headers["X-Request-ID"] == "e2e-gateway-42"
    assert requests.get(suite.url + "/api/v1/auth/me", timeout=5).status_code == 401
    head, body, signature = tokens["access_token"].split(".")
    claims = jwt.decode(tokens["access_token"], options={"verify_signature": False})
    assert claims["role"] == "school_admin"
    other_body = jwt.utils.base64url_encode(jwt.api_jws.json.dumps({**claims, "sub": "999999"}).encode()).decode()
    for bad in (f"{head}.{other_body}.{signature}", "junk", tokens["refresh_token"]):
        response = requests.get(suite.url + "/api/v1/auth/me", timeout=5, headers={"Authorization": f"Bearer {bad}"})
        assert response.status_code == 401, bad
        assert response.json()["code"] in ("invalid_token", "unauthorized")


def test_wrong_role_is_refused_at_the_gateway(suite):
    token = admin_login(suite)["access_token"]
    # privacy settings are a student's: the school admin is stopped before auth sees the request
    response = requests.get(suite.url + "/api/v1/auth/me/privacy", timeout=5,
                            headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 403 and response.json()["code"] == "forbidden"


def test_unknown_service_and_password_guessing(suite):
    assert requests.get(suite.url + "/api/v1/nope/x", timeout=5).json()["code"] == "unknown_service"
    username = f"nobody-{uuid.uuid4().hex[:8]}@e2e.example"
    statuses, retry_after = [], None
    for _ in range(12):
        response = requests.post(suite.url + "/api/v1/auth/login", timeout=10, json={
            "username": username, "password": "Wrong#12345", "captcha_id": "e2e",
            "captcha_code": suite.captcha_bypass})
        statuses.append(response.status_code)
        if response.status_code == 429:
            retry_after = int(response.headers["Retry-After"])
            break
    assert all(400 <= status < 500 for status in statuses), statuses
    assert statuses[-1] == 429 and retry_after and retry_after > 0, statuses
