"""Per-account back-off: a handful of failures, then 429 with Retry-After; never a 5xx; success clears it."""
from datetime import timedelta

import pytest
from sqlalchemy import update

from cc_kit.errors import ApiError
from services.auth.domain import login
from services.auth.domain.common import now
from services.auth.models import User

from .helpers import STUDENT_PASSWORD, student


def test_lock_durations_grow_and_are_capped(config):
    assert [login.lock_seconds(config, n) for n in range(1, 5)] == [None, None, None, None]
    assert [login.lock_seconds(config, n) for n in range(5, 11)] == [60, 120, 240, 480, 960, 1800]
    assert login.lock_seconds(config, 500) == config.lockout_max_seconds


def _attempt(db, keyring, config, password, **kw):
    return login.authenticate(db, keyring, config, username="2022010101", password=password, school_code="10001",
                              **kw)


def test_lockout_after_repeated_failures(sqlite_db, keyring, config):
    student(sqlite_db)
    for _ in range(config.lockout_threshold - 1):
        with pytest.raises(ApiError) as err:
            _attempt(sqlite_db, keyring, config, "Wrong#2026")
        assert err.value.status == 401 and err.value.code == "invalid_credentials"
    with pytest.raises(ApiError) as err:
        _attempt(sqlite_db, keyring, config, "Wrong#2026")
    assert err.value.status == 429 and err.value.code == "account_locked"
    assert err.value.headers["Retry-After"] == "60" and err.value.extra["retry_after"] == 60
    # While locked even the right password is refused, without being checked.
    with pytest.raises(ApiError) as err:
        _attempt(sqlite_db, keyring, config, STUDENT_PASSWORD)
    assert err.value.status == 429 and 1 <= int(err.value.headers["Retry-After"]) <= 60


def test_after_the_lock_the_next_failure_locks_longer(sqlite_db, keyring, config):
    user_id = student(sqlite_db)
    for _ in range(config.lockout_threshold):
        with pytest.raises(ApiError):
            _attempt(sqlite_db, keyring, config, "Wrong#2026")
    with sqlite_db.write() as session:  # the minute has passed
        session.execute(update(User).where(User.id == user_id).values(locked_until=now() - timedelta(seconds=1)))
    with pytest.raises(ApiError) as err:
        _attempt(sqlite_db, keyring, config, "Wrong#2026")
    assert err.value.code == "account_locked" and err.value.headers["Retry-After"] == "120"


def test_success_clears_the_counter(sqlite_db, keyring, config):
    user_id = student(sqlite_db)
    for _ in range(config.lockout_threshold - 1):
        with pytest.raises(ApiError):
            _attempt(sqlite_db, keyring, config, "Wrong#2026")
    assert _attempt(sqlite_db, keyring, config, STUDENT_PASSWORD)["role"] == "student"
    with sqlite_db.read() as session:
        user = session.get(User, user_id)
        assert (user.failed_logins, user.locked_until) == (0, None) and user.last_login_at is not None
    for _ in range(config.lockout_threshold - 1):
        with pytest.raises(ApiError) as err:
            _attempt(sqlite_db, keyring, config, "Wrong#2026")
        assert err.value.code == "invalid_credentials"


def test_old_failures_are_forgotten(sqlite_db, keyring, config):
    user_id = student(sqlite_db)
    for _ in range(config.lockout_threshold - 1):
        with pytest.raises(ApiError):
            _attempt(sqlite_db, keyring, config, "Wrong#2026")
    with sqlite_db.write() as session:
        session.execute(update(User).where(User.id == user_id).values(
            last_failed_at=now() - timedelta(seconds=config.failure_window_seconds + 1)))
    with pytest.raises(ApiError) as err:
        _attempt(sqlite_db, keyring, config, "Wrong#2026")
    assert err.value.code == "invalid_credentials"
    with sqlite_db.read() as session:
        assert session.get(User, user_id).failed_logins == 1


def test_unknown_accounts_and_wrong_passwords_look_alike(sqlite_db, keyring, config):
    student(sqlite_db)
    answers = []
    for username, school in (("2022010101", "10001"), ("2099999999", "10001"), ("2022010101", "99999"),
                             ("nobody@example.com", None)):
        with pytest.raises(ApiError) as err:
            login.authenticate(sqlite_db, keyring, config, username=username, password="Wrong#2026",
                               school_code=school)
        answers.append((err.value.status, err.value.code, err.value.message))
    assert len(set(answers)) == 1 and answers[0][:2] == (401, "invalid_credentials")


def test_students_may_log_in_without_school_when_unambiguous_and_by_email(sqlite_db, keyring, config):
    student(sqlite_db, email="Zhang.Wei@Mail.Example")
    assert login.authenticate(sqlite_db, keyring, config, username="2022010101",
                              password=STUDENT_PASSWORD)["role"] == "student"
    assert login.authenticate(sqlite_db, keyring, config, username="zhang.wei@mail.example",
                              password=STUDENT_PASSWORD)["role"] == "student"
