"""Every non-public route needs a valid access token (401 otherwise) and the role API.md names (403)."""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import datetime, timedelta, timezone

import jwt
import pytest
import requests
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from cc_kit.config import JWT_AUDIENCE, JWT_ISSUER

GUARDED = "/api/v1/resume/resumes"


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def claims(**overrides) -> dict:
    now = datetime.now(timezone.utc)
    payload = {"sub": "7", "role": "student", "typ": "access", "iss": JWT_ISSUER, "aud": JWT_AUDIENCE,
               "iat": int(now.timestamp()), "exp": int((now + timedelta(minutes=15)).timestamp()),
               "school_code": "10001", "student_no": "2022007", "name": "李四"}
    payload.update(overrides)
    return payload


def unsigned(header: dict, payload: dict, signature: bytes = b"") -> str:
    return ".".join([b64url(json.dumps(header).encode()), b64url(json.dumps(payload).encode()), b64url(signature)])


def forged_tokens(test_keys) -> dict[str, str]:
    valid = test_keys.token(7, "student", school_code="10001", student_no="2022007")
    head, body, sig = valid.split(".")
    tampered_body = b64url(json.dumps({**jwt.decode(valid, options={"verify_signature": False}),
                                       "role": "school_admin"}).encode())
    other_key = Ed25519PrivateKey.generate()
    public_raw = test_keys.private_key.public_key().public_bytes_raw()
    hs_header = {"alg": "HS256", "typ": "JWT", "kid": test_keys.kid}
    hs_input = f"{b64url(json.dumps(hs_header).encode())}.{b64url(json.dumps(claims()).encode())}"
    hs_token = hs_input + "." + b64url(hmac.new(public_raw, hs_input.encode(), hashlib.sha256).digest())
    return {
        "garbage": "not-a-jwt",
        "two parts": "abc.def",
        "forged with another key, same kid": jwt.encode(claims(), other_key, algorithm="EdDSA",
                                                        headers={"kid": test_keys.kid}),
        "unknown kid": jwt.encode(claims(), other_key, algorithm="EdDSA", headers={"kid": "nobody"}),
        "tampered payload": f"{head}.{tampered_body}.{sig}",
        "alg none": unsigned({"alg": "none", "typ": "JWT", "kid": test_keys.kid}, claims()),
        "HS256 keyed with the public key": hs_token,
        "expired": test_keys.token(7, "student", ttl=-60),
        "wrong audience": test_keys.token(7, "student", aud="someone-else"),
        "wrong issuer": test_keys.token(7, "student", iss="evil"),
        "refresh-type token": test_keys.token(7, "student", typ="refresh"),
        "unknown role": test_keys.token(7, "superuser"),
    }


def test_missing_or_non_bearer_credentials_are_401(gateway_url, upstream_a):
    before = len(upstream_a.seen(GUARDED))
    for headers in ({}, {"Authorization": "Bearer"}, {"Authorization": "Basic dXNlcjpwdw=="}):
        response = requests.get(gateway_url + GUARDED, headers=headers)
        assert response.status_code == 401, headers
        assert response.json()["code"] == "unauthorized"
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert len(upstream_a.seen(GUARDED)) == before  # refused at the gateway, never forwarded


def test_every_kind_of_bad_token_is_401(gateway_url, test_keys, upstream_a):
    before = len(upstream_a.seen(GUARDED))
    for name, token in forged_tokens(test_keys).items():
        response = requests.get(gateway_url + GUARDED, headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 401, name
        body = response.json()
        assert body["code"] in ("invalid_token", "token_expired"), (name, body)
        assert body["message"]
    assert len(upstream_a.seen(GUARDED)) == before


def test_expired_token_says_so(gateway_url, test_keys):
    response = requests.get(gateway_url + GUARDED,
                            headers={"Authorization": f"Bearer {test_keys.token(7, 'student', ttl=-5)}"})
    assert response.status_code == 401 and response.json()["code"] == "token_expired"


def test_a_cached_token_still_expires(make_app, test_keys):
    """The gateway remembers verified tokens; a remembered token must not outlive its exp."""
    import time

    client = make_app().test_client()
    token = test_keys.token(7, "student", ttl=2)
    assert client.get(GUARDED, headers={"Authorization": f"Bearer {token}"}).status_code == 200
    time.sleep(2.2)
    response = client.get(GUARDED, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401 and response.get_json()["code"] == "token_expired"


@pytest.mark.parametrize("method,path,role,expected", [
    ("GET", "/api/v1/auth/admin/users", "student", 403),
    ("POST", "/api/v1/auth/admin/users", "college_admin", 403),
    ("POST", "/api/v1/auth/admin/users", "school_admin", 200),
    ("POST", "/api/v1/auth/admin/roster", "school_admin", 200),
    ("GET", "/api/v1/auth/me/privacy", "employer", 403),
    ("PUT", "/api/v1/auth/me/privacy", "student", 200),
    ("GET", "/api/v1/auth/me", "counselor", 200),
    ("GET", "/api/v1/resume/resumes", "employer", 403),
    ("GET", "/api/v1/resume/resumes/3/pdf", "school_admin", 403),
    ("GET", "/api/v1/resume/resumes/3/pdf", "student", 200),
    ("POST", "/api/v1/jobs/positions", "student", 403),
    ("POST", "/api/v1/jobs/positions", "school_admin", 403),
    ("POST", "/api/v1/jobs/positions", "employer", 200),
    ("PATCH", "/api/v1/jobs/positions/5", "employer", 200),
    ("POST", "/api/v1/jobs/admin/positions/5/approve", "employer", 403),
    ("POST", "/api/v1/jobs/admin/positions/5/approve", "school_admin", 200),
    ("POST", "/api/v1/jobs/positions/5/applications", "employer", 403),
    ("POST", "/api/v1/jobs/positions/5/applications", "student", 200),
    ("GET", "/api/v1/jobs/applications", "employer", 200),
    ("GET", "/api/v1/jobs/applications", "counselor", 403),
    ("POST", "/api/v1/jobs/events", "employer", 200),
    ("POST", "/api/v1/jobs/events", "student", 403),
    ("POST", "/api/v1/jobs/checkins", "employer", 403),
    ("PUT", "/api/v1/jobs/favorites/9", "student", 200),
])
def test_route_level_roles(gateway_url, test_keys, method, path, role, expected):
    response = requests.request(method, gateway_url + path, json={},
                                headers=test_keys.headers(8, role, school_code="10001", employer_id=3))
    assert response.status_code == expected, response.text
    if expected == 403:
        assert response.json()["code"] == "forbidden"
    else:
        assert response.json()["path"] == path  # the service got it


@pytest.mark.parametrize("method,path", [
    ("GET", "/api/v1/auth/captcha"),
    ("POST", "/api/v1/auth/register/verify"),
    ("POST", "/api/v1/auth/password/forgot"),
    ("POST", "/api/v1/auth/employers/register"),
    ("GET", "/api/v1/auth/jwks.json"),
    ("GET", "/api/v1/auth/openapi.json"),
    ("GET", "/api/v1/jobs/positions"),
    ("GET", "/api/v1/jobs/positions/12"),
    ("GET", "/api/v1/jobs/events"),
])
def test_public_routes_need_no_token(gateway_url, method, path):
    response = requests.request(method, gateway_url + path, json={})
    assert response.status_code == 200, response.text


def test_public_route_forwards_an_optional_token(gateway_url, test_keys):
    headers = test_keys.headers(7, "student")
    response = requests.get(gateway_url + "/api/v1/jobs/positions/12", headers=headers)
    assert response.json()["headers"]["authorization"] == headers["Authorization"]
