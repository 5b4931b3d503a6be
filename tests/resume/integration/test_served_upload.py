"""Under gunicorn, as `make run` serves it: a 25 MB upload gets a 413 envelope, not a reset connection."""
import io
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from cc_kit.testing.suite import free_port

REPO = Path(__file__).resolve().parents[3]


@pytest.fixture
def served(tmp_path, test_keys, amqp_uri):
    port = free_port()
    env = {**os.environ, "DATA_DIR": str(tmp_path / "var"), "RESUME_PORT": str(port), "WEB_CONCURRENCY": "1",
           "AUTH_JWKS_URL": test_keys.jwks_url, "AMQP_URI": amqp_uri,
           "RESUME_DATABASE_URL": f"sqlite:///{tmp_path / 'resume.sqlite3'}"}
    process = subprocess.Popen([sys.executable, "-m", "cc_kit.serve", "resume"], cwd=REPO, env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(120):
            try:
                if requests.get(url + "/healthz", timeout=1).status_code == 200:
                    break
            except requests.RequestException:
                time.sleep(0.25)
        else:
            raise RuntimeError(process.stderr.read1().decode(errors="replace") if process.stderr else "no start")
        yield url
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(20)


def test_25_mb_upload_is_answered_413_and_the_connection_stays_usable(served, test_keys):
    headers = test_keys.headers(5, "student")
    session = requests.Session()
    resume = session.post(f"{served}/api/v1/resume/resumes", json={"kind": "attachment"}, headers=headers).json()
    url = f"{served}/api/v1/resume/resumes/{resume['id']}/attachment"
    big = b"%PDF-1.4\n" + b"0" * (25 * 1024 * 1024)
    response = session.post(url, headers=headers, files={"file": ("big.pdf", io.BytesIO(big))}, timeout=60)
    assert response.status_code == 413
    assert response.json()["code"] == "file_too_large"
    ok = session.post(url, headers=headers, files={"file": ("ok.pdf", io.BytesIO(b"%PDF-1.4\n%%EOF\n"))}, timeout=30)
    assert ok.status_code == 201 and ok.json()["completeness"] == 70
