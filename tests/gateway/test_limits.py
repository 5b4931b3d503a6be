"""Rate limits: strict per account on login (failures count), generous per IP, Redis when configured."""
from __future__ import annotations

import uuid

import redis
import requests


def _login(url, username, password="wrong", school_code="10001", **kwargs):
    return requests.post(url + "/api/v1/auth/login", json={
        "username": username, "password": password, "school_code": school_code,
        "captcha_id": "c", "captcha_code": "x"}, **kwargs)


def test_repeated_failed_logins_for_one_account_end_in_429(gateway_url, upstream_a):
    account = f"2022{uuid.uuid4().hex[:8]}"
    for _ in range(3):  # GATEWAY_LOGIN_ACCOUNT_LIMIT=3/minute in these tests
        response = _login(gateway_url, account)
        assert response.status_code == 401
    forwarded = len(upstream_a.seen("/api/v1/auth/login"))
    refused = _login(gateway_url, account)
    assert refused.status_code == 429
    body = refused.json()
    assert body["code"] == "rate_limited" and body["message"]
    retry_after = int(refused.headers["Retry-After"])
    assert 1 <= retry_after <= 60 and body["retry_after"] == retry_after
    assert len(upstream_a.seen("/api/v1/auth/login")) == forwarded  # the 4th guess never reached auth
    # the same student number at another school is another account
    assert _login(gateway_url, account, school_code="10002").status_code == 401
    # and the account key ignores case and spaces, as a person types it
    assert _login(gateway_url, f"  {account.upper()} ").status_code == 429


def test_successful_logins_do_not_count(gateway_url):
    account = f"ok-{uuid.uuid4().hex[:8]}@example.com"
    for _ in range(6):
        assert _login(gateway_url, account, password="right").status_code == 200


def test_other_accounts_behind_the_same_address_are_not_locked_out(gateway_url):
    locked = f"2022{uuid.uuid4().hex[:8]}"
    for _ in range(4):
        _login(gateway_url, locked)
    assert _login(gateway_url, locked).status_code == 429
    for _ in range(20):  # a campus NAT: many students, one address
        assert _login(gateway_url, f"2022{uuid.uuid4().hex[:8]}", password="right").status_code == 200


def test_login_body_is_forwarded_unchanged(gateway_url, upstream_a):
    account = f"fwd-{uuid.uuid4().hex[:8]}"
    _login(gateway_url, account, password="right")
    seen = [r for r in upstream_a.seen("/api/v1/auth/login") if account.encode() in r["body"]]
    assert len(seen) == 1 and b'"password": "right"' in seen[0]["body"]


def test_per_ip_limit_answers_429_with_retry_after(make_app, test_keys):
    client = make_app(GATEWAY_IP_LIMIT="5/minute").test_client()
    headers = test_keys.headers(1, "student")
    statuses = [client.get("/api/v1/resume/resumes", headers=headers).status_code for _ in range(7)]
    assert statuses == [200] * 5 + [429] * 2
    response = client.get("/api/v1/resume/resumes", headers=headers)
    assert response.get_json()["code"] == "rate_limited"
    assert int(response.headers["Retry-After"]) >= 1
    # another client address has its own allowance
    other = client.get("/api/v1/resume/resumes", headers=headers, environ_base={"REMOTE_ADDR": "10.0.0.9"})
    assert other.status_code == 200


def test_health_stays_reachable_when_an_ip_is_limited(make_app):
    client = make_app(GATEWAY_IP_LIMIT="2/minute").test_client()
    for _ in range(3):
        client.get("/api/v1/jobs/positions")
    assert client.get("/api/v1/jobs/positions").status_code == 429
    assert client.get("/healthz").status_code == 200


def test_limits_are_kept_in_redis_when_configured(make_app, redis_url):
    client = make_app(REDIS_URL=redis_url, GATEWAY_LOGIN_ACCOUNT_LIMIT="2/minute").test_client()
    account = f"2022{uuid.uuid4().hex[:8]}"
    body = {"username": account, "password": "wrong", "school_code": "10001"}
    assert [client.post("/api/v1/auth/login", json=body).status_code for _ in range(3)] == [401, 401, 429]
    keys = redis.Redis.from_url(redis_url).keys("*")
    assert any(account.lower().encode() in key for key in keys), keys
    # a second gateway worker (another app on the same Redis) sees the same count
    other = make_app(REDIS_URL=redis_url, GATEWAY_LOGIN_ACCOUNT_LIMIT="2/minute").test_client()
    assert other.post("/api/v1/auth/login", json=body).status_code == 429
