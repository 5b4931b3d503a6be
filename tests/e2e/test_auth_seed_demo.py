"""scripts/seed_demo.py on a private gateway + auth: both seeding paths, each run twice, logins work."""
import json
import subprocess
import sys

import pytest
import requests

from cc_kit.testing.suite import REPO, Suite

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def private_suite(tmp_path_factory, amqp_uri):
    # Its own suite: the demo student 2022010101 of school 10001 must not collide with other e2e tests.
    suite = Suite(tmp_path_factory.mktemp("seed"), amqp_uri, processes=["gateway", "auth-api"],
                  extra_env={"GATEWAY_SERVICES": "auth"}).start()
    yield suite
    suite.stop()


def _seed(suite, bypass: bool) -> dict:
    env = dict(suite.env)
    if not bypass:
        env.pop("CAPTCHA_BYPASS_CODE", None)
    result = subprocess.run([sys.executable, "-m", "scripts.seed_demo", "--gateway", suite.url, "--timeout", "60"],
                            cwd=REPO, env=env, capture_output=True, text=True, timeout=180)
    assert result.returncode == 0, result.stdout + result.stderr
    assert suite.url in result.stdout and "demo" in result.stdout.lower()
    return json.loads(result.stdout.strip().splitlines()[-1])


def _login(suite, login: dict) -> requests.Response:
    body = {"username": login["username"], "password": login["password"], "captcha_id": "x",
            "captcha_code": suite.captcha_bypass}
    if login.get("school_code"):
        body["school_code"] = login["school_code"]
    return requests.post(suite.url + "/api/v1/auth/login", json=body, timeout=30)


def test_seed_demo_is_idempotent_on_both_paths(private_suite):
    direct = _seed(private_suite, bypass=False)
    again = _seed(private_suite, bypass=False)
    over_http = _seed(private_suite, bypass=True)
    assert direct["logins"] == again["logins"] == over_http["logins"]
    roles = {}
    for login in direct["logins"]:
        response = _login(private_suite, login)
        assert response.status_code == 200, (login, response.text)
        roles[login["role"]] = response.json()["access_token"]
    assert set(roles) == {"school_admin", "student", "employer", "college_admin", "counselor"}
    admin = {"Authorization": f"Bearer {roles['school_admin']}"}
    employers = requests.get(private_suite.url + "/api/v1/auth/admin/employers", headers=admin, timeout=30).json()
    assert [e["status"] for e in employers] == ["approved"]
    staff = requests.get(private_suite.url + "/api/v1/auth/admin/users", headers=admin, timeout=30).json()
    assert sorted(u["role"] for u in staff) == ["college_admin", "counselor", "school_admin"]
    me = requests.get(private_suite.url + "/api/v1/auth/me", timeout=30,
                      headers={"Authorization": f"Bearer {roles['student']}"}).json()
    assert (me["student_no"], me["name"], me["college"]) == ("2022010101", "张伟", "计算机科学与技术学院")
