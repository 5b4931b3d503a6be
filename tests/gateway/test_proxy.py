"""Forwarding through the real gateway process: routing, bodies both ways, headers, upstream failures."""
from __future__ import annotations

import hashlib
import http.client
import time
from urllib.parse import urlparse

import requests


def _student(test_keys) -> dict:
    return test_keys.headers(101, "student", school_code="10001", student_no="2022001", name="张三")


def test_public_route_reaches_the_service_with_path_and_query_untouched(gateway_url, upstream_b):
    response = requests.get(gateway_url + "/api/v1/jobs/positions?q=%E8%BD%AF%E4%BB%B6&city=%E4%B8%8A%E6%B5%B7")
    assert response.status_code == 200
    seen = response.json()
    assert seen["path"] == "/api/v1/jobs/positions?q=%E8%BD%AF%E4%BB%B6&city=%E4%B8%8A%E6%B5%B7"
    assert upstream_b.seen("/api/v1/jobs/positions?q=")


def test_each_prefix_goes_to_its_own_service(gateway_url, test_keys, upstream_a, upstream_b):
    marker = f"m{time.time_ns()}"
    requests.get(f"{gateway_url}/api/v1/resume/resumes/{marker}", headers=_student(test_keys))
    requests.get(f"{gateway_url}/api/v1/jobs/positions/{marker}")
    assert [r["path"] for r in upstream_a.seen(marker)] == [f"/api/v1/resume/resumes/{marker}"]
    assert [r["path"] for r in upstream_b.seen(marker)] == [f"/api/v1/jobs/positions/{marker}"]


def test_encoded_slash_and_unicode_path_are_forwarded_as_sent(gateway_url, upstream_b, test_keys):
    parsed = urlparse(gateway_url)
    conn = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=5)
    conn.request("GET", "/api/v1/jobs/positions/a%2Fb%E4%B8%AD?x=1&x=2", headers=_student(test_keys))
    response = conn.getresponse()
    body = response.read()
    conn.close()
    assert response.status == 200, body
    assert upstream_b.seen("/api/v1/jobs/positions/a%2Fb%E4%B8%AD?x=1&x=2")


def test_request_id_is_kept_or_created_and_forwarded_headers_added(gateway_url, test_keys):
    headers = {**_student(test_keys), "X-Request-ID": "req-abc-123", "X-Forwarded-For": "10.9.8.7"}
    response = requests.get(gateway_url + "/api/v1/resume/echo", headers=headers)
    seen = response.json()["headers"]
    assert response.headers["X-Request-ID"] == "req-abc-123"
    assert seen["x-request-id"] == "req-abc-123"
    assert seen["x-forwarded-for"] == "127.0.0.1"  # at the edge a client's own chain is not believed
    assert seen["x-forwarded-proto"] == "http"
    assert seen["x-forwarded-host"] == urlparse(gateway_url).netloc
    assert seen["authorization"] == headers["Authorization"]  # the service verifies the token again

    fresh = requests.get(gateway_url + "/api/v1/resume/echo", headers=_student(test_keys))
    generated = fresh.headers["X-Request-ID"]
    assert len(generated) == 32 and fresh.json()["headers"]["x-request-id"] == generated


def test_behind_a_trusted_proxy_the_chain_is_kept_and_the_client_is_limited(make_app, test_keys):
    client = make_app(GATEWAY_TRUSTED_PROXIES="1", GATEWAY_IP_LIMIT="2/minute").test_client()
    headers = {**_student(test_keys), "X-Forwarded-For": "203.0.113.7", "X-Forwarded-Proto": "https",
               "X-Forwarded-Host": "careers.example.edu"}
    seen = client.get("/api/v1/resume/echo", headers=headers, environ_base={"REMOTE_ADDR": "127.0.0.2"}).get_json()
    assert seen["headers"]["x-forwarded-for"] == "203.0.113.7, 127.0.0.2"
    assert seen["headers"]["x-forwarded-proto"] == "https"
    assert seen["headers"]["x-forwarded-host"] == "careers.example.edu"
    # the per-IP limit counts the real client (from the trusted proxy's header), not the proxy
    client.get("/api/v1/resume/echo", headers=headers, environ_base={"REMOTE_ADDR": "127.0.0.2"})
    limited = client.get("/api/v1/resume/echo", headers=headers, environ_base={"REMOTE_ADDR": "127.0.0.2"})
    assert limited.status_code == 429
    other = {**headers, "X-Forwarded-For": "203.0.113.8"}
    assert client.get("/api/v1/resume/echo", headers=other,
                      environ_base={"REMOTE_ADDR": "127.0.0.2"}).status_code == 200


def test_hop_by_hop_headers_are_stripped_both_ways(gateway_url, test_keys):
    parsed = urlparse(gateway_url)
    conn = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=5)
    conn.putrequest("GET", "/api/v1/resume/echo", skip_accept_encoding=True)
    for name, value in {**_student(test_keys), "Connection": "keep-alive, X-Drop-Me", "X-Drop-Me": "1",
                        "Keep-Alive": "timeout=300", "TE": "trailers", "Proxy-Authorization": "Basic eDp5",
                        "X-Keep-Me": "yes"}.items():
        conn.putheader(name, value)
    conn.endheaders()
    response = conn.getresponse()
    seen = json_body(response)
    conn.close()
    for hop in ("x-drop-me", "keep-alive", "te", "proxy-authorization"):
        assert hop not in seen["headers"], hop
    assert seen["headers"]["x-keep-me"] == "yes"
    names = [name.lower() for name, _ in response.getheaders()]
    assert "x-upstream" in names
    assert "keep-alive" not in names and "proxy-authenticate" not in names and "x-hop" not in names
    assert sorted(v for n, v in response.getheaders() if n.lower() == "set-cookie") == ["a=1", "b=2"]


def json_body(response):
    import json

    return json.loads(response.read())


def test_small_json_body_is_forwarded_exactly(gateway_url, test_keys):
    payload = {"title": "我的简历", "skills": ["Python", "数据分析"]}
    response = requests.post(gateway_url + "/api/v1/resume/resumes", json=payload, headers=_student(test_keys))
    seen = response.json()
    assert seen["method"] == "POST"
    assert seen["headers"]["content-type"] == "application/json"
    assert '"我的简历"' in seen["body_text"] or "\\u6211" in seen["body_text"]
    assert seen["body_len"] == int(seen["headers"]["content-length"])


def test_large_upload_streams_through_with_its_length(gateway_url, test_keys):
    data = bytes(range(256)) * 5000  # 1.28 MB: above the size the gateway reads whole
    response = requests.post(gateway_url + "/api/v1/resume/resumes/1/attachment", data=data,
                             headers={**_student(test_keys), "Content-Type": "application/pdf"})
    seen = response.json()
    assert seen["body_len"] == len(data)
    assert seen["sha256"] == hashlib.sha256(data).hexdigest()
    assert seen["headers"]["content-length"] == str(len(data))


def test_chunked_upload_is_streamed_chunked(gateway_url, test_keys):
    blocks = [bytes([i]) * 100_000 for i in range(8)]
    response = requests.post(gateway_url + "/api/v1/resume/resumes/1/attachment", data=iter(blocks),
                             headers=_student(test_keys))
    seen = response.json()
    assert seen["headers"].get("transfer-encoding") == "chunked"
    assert seen["body_len"] == 800_000
    assert seen["sha256"] == hashlib.sha256(b"".join(blocks)).hexdigest()


def test_large_download_arrives_intact(gateway_url):
    response = requests.get(gateway_url + "/api/v1/jobs/positions/big")
    assert response.status_code == 200
    assert len(response.content) == 256 * 4096
    assert hashlib.sha256(response.content).hexdigest() == response.headers["X-Sha256"]


def test_response_is_streamed_not_buffered(gateway_url):
    started = time.monotonic()
    with requests.get(gateway_url + "/api/v1/jobs/positions/stream", stream=True, timeout=10) as response:
        assert response.status_code == 200
        lines = response.iter_lines()
        first = next(lines)
        first_at = time.monotonic() - started
        rest = list(lines)
    total = time.monotonic() - started
    assert first.startswith(b"part 0")
    assert len(rest) == 4
    # the upstream spends 1.5 s producing five parts; the first one must arrive long before the last
    assert first_at < 0.9 < total, (first_at, total)


def test_head_and_no_content_keep_the_connection_usable(gateway_url):
    with requests.Session() as session:
        head = session.head(gateway_url + "/api/v1/jobs/positions")
        assert head.status_code == 200 and head.content == b""
        assert int(head.headers["Content-Length"]) > 0
        empty = session.get(gateway_url + "/api/v1/jobs/positions/no-content")
        assert empty.status_code == 204 and empty.content == b""
        assert "Content-Type" not in empty.headers
        again = session.get(gateway_url + "/api/v1/jobs/positions?after=head")
        assert again.status_code == 200 and again.json()["path"].endswith("after=head")


def test_upstream_closing_pooled_connections_is_harmless(gateway_url):
    for _ in range(4):
        response = requests.get(gateway_url + "/api/v1/jobs/positions/close-after")
        assert response.status_code == 200 and response.json() == {"closed": True}


def test_unknown_service_is_404(gateway_url, test_keys):
    response = requests.get(gateway_url + "/api/v1/payroll/salaries", headers=_student(test_keys))
    assert response.status_code == 404
    assert response.json()["code"] == "unknown_service"


def test_dot_segments_are_refused(gateway_url):
    parsed = urlparse(gateway_url)
    conn = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=5)
    conn.request("GET", "/api/v1/jobs/positions/../admin/positions")
    response = conn.getresponse()
    body = json_body(response)
    conn.close()
    assert response.status == 400 and body["code"] == "invalid_path"


def test_upstream_down_is_502_json(gateway_url, test_keys):
    response = requests.get(gateway_url + "/api/v1/notify/notifications", headers=_student(test_keys))
    assert response.status_code == 502
    body = response.json()
    assert body["code"] == "upstream_unavailable" and body["service"] == "notify" and body["message"]


def test_upstream_timeout_is_504_json(gateway_url):
    started = time.monotonic()
    response = requests.get(gateway_url + "/api/v1/jobs/positions/slow", timeout=10)
    assert response.status_code == 504
    assert response.json()["code"] == "upstream_timeout"
    assert time.monotonic() - started < 2.5  # GATEWAY_UPSTREAM_TIMEOUT=1, not the upstream's 3 s


def test_body_over_the_limit_is_413_json(gateway_url, test_keys, upstream_a):
    before = len(upstream_a.requests)
    response = requests.post(gateway_url + "/api/v1/resume/resumes/1/attachment", data=b"x" * (3 * 1024 * 1024),
                             headers=_student(test_keys))
    assert response.status_code == 413
    body = response.json()
    assert body["code"] == "too_large" and body["max_bytes"] == 2 * 1024 * 1024
    assert len(upstream_a.requests) == before


def test_chunked_body_over_the_limit_is_413(make_app, test_keys):
    import io

    app = make_app(GATEWAY_MAX_BODY_BYTES="100000")
    body = b"".join(b"%x\r\n%b\r\n" % (50_000, b"y" * 50_000) for _ in range(4)) + b"0\r\n\r\n"
    chunked = decode_chunked_stream(io.BytesIO(body))
    environ_overrides = {"wsgi.input": chunked, "wsgi.input_terminated": True}
    client = app.test_client()
    response = client.post("/api/v1/resume/resumes/1/attachment", headers={
        **_student(test_keys), "Transfer-Encoding": "chunked"}, environ_overrides=environ_overrides)
    assert response.status_code == 413
    assert response.get_json()["code"] == "too_large"


class decode_chunked_stream:
    """What gunicorn hands the app for a chunked request: the decoded bytes, no length."""

    def __init__(self, raw):
        self.raw = raw
        self.buffer = b""

    def read(self, size=-1):
        while size < 0 or len(self.buffer) < size:
            line = self.raw.readline()
            if not line:
                break
            length = int(line.strip(), 16)
            if length == 0:
                break
            self.buffer += self.raw.read(length)
            self.raw.readline()
        if size < 0:
            size = len(self.buffer)
        out, self.buffer = self.buffer[:size], self.buffer[size:]
        return out
