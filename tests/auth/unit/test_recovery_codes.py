"""Password-reset codes: email must match in full, hashed, expire in 10 min, single use, 5 attempts."""
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from cc_kit.errors import ApiError
from services.auth.domain import login, recovery
from services.auth.domain.common import now
from services.auth.models import PasswordResetTicket

from ..conftest import last_code, outbox_rows
from .helpers import STUDENT_PASSWORD, student

EMAIL = "zhang.wei@mail.example"


@pytest.fixture
def ticket(sqlite_db, config):
    student(sqlite_db, email=EMAIL)
    with sqlite_db.write() as session:
        return recovery.start_reset(session, config, school_code="10001", student_no="2022010101")["reset_ticket"]


def _send(db, config, ticket, email=EMAIL):
    return recovery.send_code(db, config, reset_ticket=ticket, email=email)


def _reset(db, config, ticket, code, password="Fresh#2026x"):
    return recovery.reset_password(db, config, reset_ticket=ticket, code=code, new_password=password)


def test_unknown_account_is_404(sqlite_db, config):
    with sqlite_db.write() as session, pytest.raises(ApiError) as err:
        recovery.start_reset(session, config, school_code="10001", student_no="2022010101")
    assert err.value.status == 404 and err.value.code == "account_not_found"


def test_email_must_match_in_full(sqlite_db, config, ticket):
    for typed in ("zhang.wei@mail.exampl", "zhang.wei", "z***@mail.example", "other@mail.example"):
        with pytest.raises(ApiError) as err:
            _send(sqlite_db, config, ticket, typed)
        assert err.value.status == 422 and err.value.code == "email_mismatch"
    assert _send(sqlite_db, config, ticket, " Zhang.Wei@MAIL.example ")["sent_to"] == "z***@mail.example"


def test_too_many_wrong_emails_burn_the_ticket(sqlite_db, config, ticket):
    for _ in range(config.email_mismatch_limit):
        with pytest.raises(ApiError):
            _send(sqlite_db, config, ticket, "wrong@mail.example")
    with pytest.raises(ApiError) as err:
        _send(sqlite_db, config, ticket)
    assert err.value.status == 429 and err.value.code == "too_many_attempts"


def test_code_is_hashed_and_events_carry_no_code(sqlite_db, config, ticket):
    _send(sqlite_db, config, ticket)
    code = last_code(sqlite_db)
    assert len(code) == 6 and code.isdigit()
    with sqlite_db.read() as session:
        stored = session.scalar(select(PasswordResetTicket.code_hash))
    assert stored != code and code not in stored
    events = outbox_rows(sqlite_db, "password_reset_requested")
    assert len(events) == 1 and code not in str(events[0].envelope)
    command = [r for r in outbox_rows(sqlite_db, "send") if r.envelope["data"]["template"] == "password_reset_code"]
    data = command[0].envelope["data"]
    assert data["exempt_quiet_hours"] is True and data["email"] == EMAIL and data["params"]["minutes"] == 10


def test_right_code_resets_once(sqlite_db, keyring, config, ticket):
    _send(sqlite_db, config, ticket)
    code = last_code(sqlite_db)
    assert _reset(sqlite_db, config, ticket, code)["status"] == "password_reset"
    with pytest.raises(ApiError) as err:
        _reset(sqlite_db, config, ticket, code, "Other#2026x")
    assert err.value.code == "code_used"
    with pytest.raises(ApiError) as err:
        login.authenticate(sqlite_db, keyring, config, username="2022010101", password=STUDENT_PASSWORD,
                           school_code="10001")
    assert err.value.code == "invalid_credentials"
    assert login.authenticate(sqlite_db, keyring, config, username="2022010101", password="Fresh#2026x",
                              school_code="10001")["role"] == "student"


def test_code_expires(sqlite_db, config, ticket):
    _send(sqlite_db, config, ticket)
    with sqlite_db.write() as session:
        session.execute(update(PasswordResetTicket).values(code_expires_at=now() - timedelta(seconds=1)))
    with pytest.raises(ApiError) as err:
        _reset(sqlite_db, config, ticket, last_code(sqlite_db))
    assert err.value.status == 400 and err.value.code == "code_expired"


def test_five_attempts_then_even_the_right_code_is_refused(sqlite_db, config, ticket):
    _send(sqlite_db, config, ticket)
    code = last_code(sqlite_db)
    wrong = "000000" if code != "000000" else "111111"
    lefts = []
    for _ in range(config.code_max_attempts):
        with pytest.raises(ApiError) as err:
            _reset(sqlite_db, config, ticket, wrong)
        assert err.value.code == "invalid_code"
        lefts.append(err.value.extra["attempts_left"])
    assert lefts == [4, 3, 2, 1, 0]
    with pytest.raises(ApiError) as err:
        _reset(sqlite_db, config, ticket, code)
    assert err.value.status == 429 and err.value.code == "too_many_attempts"


def test_resend_is_throttled_and_a_new_code_replaces_the_old(sqlite_db, config, ticket):
    _send(sqlite_db, config, ticket)
    first = last_code(sqlite_db)
    with pytest.raises(ApiError) as err:
        _send(sqlite_db, config, ticket)
    assert err.value.status == 429 and err.value.code == "code_recently_sent"
    assert 1 <= int(err.value.headers["Retry-After"]) <= 60
    with sqlite_db.write() as session:
        session.execute(update(PasswordResetTicket).values(code_sent_at=now() - timedelta(seconds=61)))
    _send(sqlite_db, config, ticket)
    second = last_code(sqlite_db)
    if second != first:
        with pytest.raises(ApiError) as err:
            _reset(sqlite_db, config, ticket, first)
        assert err.value.code == "invalid_code"
    assert _reset(sqlite_db, config, ticket, second)["status"] == "password_reset"


def test_code_before_sending_and_expired_ticket(sqlite_db, config, ticket):
    with pytest.raises(ApiError) as err:
        _reset(sqlite_db, config, ticket, "123456")
    assert err.value.code == "code_not_sent"
    with sqlite_db.write() as session:
        session.execute(update(PasswordResetTicket).values(expires_at=now()))
    with pytest.raises(ApiError) as err:
        _send(sqlite_db, config, ticket)
    assert err.value.code == "invalid_reset_ticket"
    with pytest.raises(ApiError) as err:
        _send(sqlite_db, config, "made-up-ticket")
    assert err.value.code == "invalid_reset_ticket"


def test_weak_new_password_does_not_spend_an_attempt(sqlite_db, config, ticket):
    _send(sqlite_db, config, ticket)
    with pytest.raises(ApiError) as err:
        _reset(sqlite_db, config, ticket, "000000", "weak")
    assert err.value.code == "weak_password"
    with sqlite_db.read() as session:
        assert session.scalar(select(PasswordResetTicket.attempts)) == 0
