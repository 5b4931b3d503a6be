"""Concurrency rules that really race (threads, each with its own client and connection)."""
import threading

import pytest
from sqlalchemy import func, select

from services.auth.models import Employer, RefreshToken, User

from ..conftest import BYPASS, ROSTER_CSV


@pytest.fixture
def api(make_api, db_url):
    api = make_api(db_url)
    api.import_roster(ROSTER_CSV.encode())
    return api


def _race(target, count):
    barrier = threading.Barrier(count)
    results = [None] * count

    def run(index):
        barrier.wait()
        results[index] = target(index)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return results


def test_one_account_per_roster_entry_under_concurrent_registration(api):
    for student_no, name in (("2022010101", "张伟"), ("2022010102", "王芳"), ("2022010103", "李娜")):
        tokens = []
        for _ in range(4):
            verified = api.post("/register/verify", {
                "school_code": "10001", "graduation_year": 2026,
                "student_no": student_no, "name": name, "captcha_id": "x", "captcha_code": BYPASS,
                "accept_terms": True})
            tokens.append(verified.get_json()["registration_token"])

        def complete(index):
            client = api.app.test_client()
            response = client.post("/api/v1/auth/register/complete", json={
                "registration_token": tokens[index], "password": "Campus#2026", "phone": "13812345678",
                "email": f"{student_no}.{index}@mail.example"})
            return response.status_code, response.get_json().get("code")

        results = _race(complete, 4)
        assert sorted(status for status, _ in results) == [201, 409, 409, 409], results
        assert {code for status, code in results if status == 409} == {"already_registered"}
    with api.db.read() as session:
        assert session.scalar(select(func.count()).select_from(User).where(User.role == "student")) == 3


def test_one_employer_per_credit_code_under_concurrent_sign_up(api):
    def register(index):
        response = api.app.test_client().post("/api/v1/auth/employers/register", json={
            "company_name": "华为技术有限公司", "credit_code": "914403001922038216", "contact_name": f"联系人{index}",
            "email": f"hr{index}@huawei.example", "phone": "13900001111", "password": "Hire#2026x"})
        return response.status_code, response.get_json().get("code")

    results = _race(register, 4)
    assert sorted(status for status, _ in results) == [201, 409, 409, 409], results
    with api.db.read() as session:
        assert session.scalar(select(func.count()).select_from(Employer)) == 1
        assert session.scalar(select(func.count()).select_from(User).where(User.role == "employer")) == 1


def test_concurrent_refresh_with_one_token_yields_one_session(api):
    api.register()
    pair = api.login("2022010101", "Campus#2026", "10001")

    def refresh(index):
        response = api.app.test_client().post("/api/v1/auth/token/refresh",
                                              json={"refresh_token": pair["refresh_token"]})
        return response.status_code, response.get_json()

    results = _race(refresh, 4)
    statuses = sorted(status for status, _ in results)
    assert statuses.count(200) <= 1 and all(s in (200, 401) for s in statuses), statuses
    # Whatever won, the replayed token counts as reuse: no live token is left in that family.
    with api.db.read() as session:
        student_id = session.scalar(select(User.id).where(User.role == "student"))
        live = session.scalar(select(func.count()).select_from(RefreshToken).where(
            RefreshToken.user_id == student_id, RefreshToken.revoked_at.is_(None)))
    assert live == 0, results


def test_concurrent_wrong_passwords_lock_the_account_exactly(api):
    api.register()

    def guess(index):
        response = api.app.test_client().post("/api/v1/auth/login", json={
            "username": "2022010101", "school_code": "10001", "password": f"Wrong#{index}x",
            "captcha_id": "x", "captcha_code": BYPASS})
        return response.status_code

    statuses = _race(guess, 8)
    # Counting is atomic: exactly threshold−1 guesses are told "wrong", every other one meets the lock.
    assert sorted(statuses) == [401] * 4 + [429] * 4, statuses
    with api.db.read() as session:
        user = session.scalar(select(User).where(User.role == "student"))
        assert 5 <= user.failed_logins <= 8 and user.locked_until is not None
    assert api.login("2022010101", "Campus#2026", "10001", expect=429)["code"] == "account_locked"
