"""notify's rules against a real database (SQLite and PostgreSQL): dedup, preferences, quiet hours, cap, retries."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from cc_kit.db import Database
from cc_kit.migrations import upgrade
from services.notify.domain import delivery, preferences
from services.notify.domain.commands import accept_command
from services.notify.domain.delivery import ContactUnavailable
from services.notify.domain.rules import as_utc
from services.notify.models import Notification, Outbox

from ..helpers import FailingSender, RecordingSender, make_command, settings_for, shanghai

MIGRATIONS = Path(__file__).resolve().parents[3] / "services" / "notify" / "migrations"
NOON = shanghai(2026, 3, 5, 12)
CONTACTS = {7: {"user_id": 7, "role": "student", "name": "张三", "email": "zhangsan@stu.example.cn",
                "phone": "13800000007"},
            8: {"user_id": 8, "role": "student", "name": "李四", "email": "lisi@stu.example.cn", "phone": None}}


@pytest.fixture
def db(db_url, data_dir):
    upgrade(MIGRATIONS, db_url)
    database = Database(db_url)
    yield database
    database.dispose()


@pytest.fixture
def settings(data_dir):
    return settings_for(data_dir)


def resolver(user_id):
    return CONTACTS.get(user_id)


def rows(db, **where):
    with db.read() as session:
        query = select(Notification).order_by(Notification.id)
        for key, value in where.items():
            query = query.where(getattr(Notification, key) == value)
        found = session.execute(query).scalars().all()
        session.expunge_all()  # keep them readable after the read session rolls back
        return found


def events(db, name):
    with db.read() as session:
        return [o.envelope for o in session.execute(select(Outbox).order_by(Outbox.seq)).scalars()
                if o.routing_key == name]


def interview(user_id=7, **kw):
    return make_command(template="interview_invited", category="interview", user_id=user_id,
                        channels=("email", "sms"),
                        params={"company": "杭州云帆科技", "position": "Java开发", "starts_at": "2026-03-09T10:00:00+08:00",
                                "mode": "onsite", "location": "行政楼 201"}, **kw)


def test_a_command_is_recorded_once_with_contacts_from_auth(db, settings):
    envelope = interview()
    to_send = accept_command(db, envelope, settings=settings, resolve_contact=resolver, now=NOON)
    assert len(to_send) == 2
    assert accept_command(db, envelope, settings=settings, resolve_contact=resolver, now=NOON) == []
    recorded = rows(db)
    assert [(r.channel, r.recipient, r.status) for r in recorded] == [
        ("email", "zhangsan@stu.example.cn", "queued"), ("sms", "13800000007", "queued")]
    assert recorded[0].subject == "面试邀请：杭州云帆科技「Java开发」"
    assert "行政楼 201" in recorded[0].body and recorded[1].body.startswith("【校园就业】")


def test_explicit_addresses_win_and_no_contact_means_failed_not_lost(db, settings):
    accept_command(db, make_command(template="registration_welcome", category="account", user_id=7,
                                    email="new@stu.example.cn", params={"name": "张三"}),
                   settings=settings, resolve_contact=resolver, now=NOON)
    assert rows(db, user_id=7)[0].recipient == "new@stu.example.cn"
    accept_command(db, make_command(template="signing_invitation", category="signing", user_id=8,
                                    channels=("email", "sms"), params={"company": "某公司", "position": "会计"}),
                   settings=settings, resolve_contact=resolver, now=NOON)
    email, sms = rows(db, user_id=8)
    assert email.status == "queued" and email.recipient == "lisi@stu.example.cn"
    assert (sms.status, sms.reason) == ("failed", "no_recipient")
    failed = events(db, "notification_failed")
    assert [e["data"]["notification_id"] for e in failed] == [sms.id]


def test_preferences_turn_a_channel_off_but_never_codes(db, settings):
    with db.write() as session:
        preferences.replace(session, 7, {"categories": {"interview": ["email"], "system": []},
                                         "sms_quiet_hours": {"start": "00:00", "end": "23:59"}}, settings)
    accept_command(db, interview(), settings=settings, resolve_contact=resolver, now=NOON)
    email, sms = rows(db)
    assert email.status == "queued" and (sms.status, sms.reason) == ("suppressed", "preference")
    code = make_command(template="phone_verification_code", category="account", user_id=7, channels=("sms",),
                        params={"code": "902113", "minutes": 5}, exempt_quiet_hours=True)
    to_send = accept_command(db, code, settings=settings, resolve_contact=resolver, now=NOON)
    assert len(to_send) == 1  # quiet all day, SMS muted elsewhere: the code still goes now


def test_sms_waits_out_quiet_hours_and_mail_does_not(db, settings):
    late = shanghai(2026, 3, 5, 23, 30)
    to_send = accept_command(db, interview(), settings=settings, resolve_contact=resolver, now=late)
    email, sms = rows(db)
    assert to_send == [email.id]
    assert (sms.status, sms.reason) == ("queued", "quiet_hours")
    assert as_utc(sms.next_attempt_at) == shanghai(2026, 3, 6, 8)
    # the mail is leased to the consumer that sends it; the retry timer takes it only if that one died
    assert delivery.claim_due(db, settings, now=late + timedelta(seconds=30)) == []
    assert delivery.claim_due(db, settings, now=late + timedelta(seconds=61)) == [email.id]
    delivery.deliver(db, email.id, senders={"email": RecordingSender()}, settings=settings,
                     resolve_contact=resolver, clock=lambda: late + timedelta(seconds=61))
    assert delivery.claim_due(db, settings, now=shanghai(2026, 3, 6, 7, 59)) == []
    assert delivery.claim_due(db, settings, now=shanghai(2026, 3, 6, 8, 0)) == [sms.id]
    sms_sender = RecordingSender()
    status = delivery.deliver(db, sms.id, senders={"sms": sms_sender}, settings=settings, resolve_contact=resolver,
                              clock=lambda: shanghai(2026, 3, 6, 8, 0))
    assert status == "sent" and sms_sender.sent[0].recipient == "13800000007"


def test_failed_sends_back_off_then_fail_with_the_last_error(db, settings):
    envelope = make_command(template="password_reset_code", category="account", user_id=7,
                            params={"name": "张三", "code": "551902", "minutes": 10})
    [nid] = accept_command(db, envelope, settings=settings, resolve_contact=resolver, now=NOON)
    failing = FailingSender("SMTP 554 5.7.1 service unavailable")
    senders = {"email": failing}
    assert delivery.deliver(db, nid, senders=senders, settings=settings, resolve_contact=resolver,
                            clock=lambda: NOON) == "queued"
    [row] = rows(db)
    assert (row.attempts, row.reason) == (1, "retrying")
    assert as_utc(row.next_attempt_at) == NOON + timedelta(seconds=10)
    assert delivery.claim_due(db, settings, now=NOON + timedelta(seconds=9)) == []
    moment = NOON + timedelta(seconds=10)
    assert delivery.claim_due(db, settings, now=moment) == [nid]
    assert delivery.deliver(db, nid, senders=senders, settings=settings, resolve_contact=resolver,
                            clock=lambda: moment) == "queued"
    assert as_utc(rows(db)[0].next_attempt_at) == moment + timedelta(seconds=20)  # doubled
    moment += timedelta(seconds=20)
    assert delivery.claim_due(db, settings, now=moment) == [nid]
    assert delivery.deliver(db, nid, senders=senders, settings=settings, resolve_contact=resolver,
                            clock=lambda: moment) == "failed"
    [row] = rows(db)
    assert (row.status, row.attempts, row.reason) == ("failed", 3, "retries_exhausted")
    assert "554" in row.last_error and row.body is None  # the code does not stay in the log
    assert failing.calls == 3
    assert delivery.claim_due(db, settings, now=moment + timedelta(days=1)) == []
    [failed] = events(db, "notification_failed")
    assert failed["data"]["attempts"] == 3 and "551902" not in json.dumps(failed, ensure_ascii=False)


def test_sent_events_carry_no_message_text(db, settings):
    envelope = make_command(template="password_reset_code", category="account", user_id=7,
                            params={"name": "张三", "code": "663018", "minutes": 10})
    [nid] = accept_command(db, envelope, settings=settings, resolve_contact=resolver, now=NOON)
    sender = RecordingSender()
    assert delivery.deliver(db, nid, senders={"email": sender}, settings=settings, resolve_contact=resolver,
                            clock=lambda: NOON) == "sent"
    assert "663018" in sender.sent[0].body
    [sent] = events(db, "notification_sent")
    assert sent["data"]["notification_id"] == nid and sent["data"]["template"] == "password_reset_code"
    assert "663018" not in json.dumps(sent, ensure_ascii=False)
    assert rows(db)[0].body is None


def test_auth_down_means_retry_later_not_lost(db, settings):
    def unavailable(user_id):
        raise ContactUnavailable("auth is not running")

    to_send = accept_command(db, interview(), settings=settings, resolve_contact=unavailable, now=NOON)
    assert to_send == []
    email, sms = rows(db)
    assert (email.status, email.reason, email.attempts) == ("queued", "contact_pending", 1)
    later = NOON + timedelta(seconds=10)
    assert sorted(delivery.claim_due(db, settings, now=later)) == [email.id, sms.id]
    sender = RecordingSender()
    for nid in (email.id, sms.id):
        delivery.deliver(db, nid, senders={"email": sender, "sms": sender}, settings=settings,
                         resolve_contact=resolver, clock=lambda: later)
    assert [m.recipient for m in sender.sent] == ["zhangsan@stu.example.cn", "13800000007"]
    assert [(r.status, r.attempts) for r in rows(db)] == [("sent", 2), ("sent", 2)]


def test_unknown_template_is_logged_as_failed(db, settings):
    accept_command(db, make_command(template="no_such_template", category="system", user_id=7, params={}),
                   settings=settings, resolve_contact=resolver, now=NOON)
    [row] = rows(db)
    assert (row.status, row.reason) == ("failed", "invalid_template")


def push(n, user_id=7):
    return make_command(template="generic", category="push", user_id=user_id, channels=("email",),
                        params={"subject": f"职位推荐：岗位{n}", "text": f"为您推荐岗位{n}"})


def test_push_over_the_daily_cap_is_collected_into_one_digest(db, settings):
    with db.write() as session:
        preferences.replace(session, 7, {"push_daily_cap": 2}, settings)
    morning = shanghai(2026, 3, 5, 9)
    for n in range(5):
        accept_command(db, push(n), settings=settings, resolve_contact=resolver, now=morning)
    assert [r.status for r in rows(db)] == ["queued", "queued", "digested", "digested", "digested"]
    assert delivery.build_digests(db, settings, now=shanghai(2026, 3, 5, 19, 59)) == []
    [digest_id] = delivery.build_digests(db, settings, now=shanghai(2026, 3, 5, 20, 1))
    [digest] = rows(db, id=digest_id)
    assert (digest.template, digest.category, digest.recipient) == ("push_digest", "digest",
                                                                   "zhangsan@stu.example.cn")
    assert "3条" in digest.subject and all(f"岗位{n}" in digest.body for n in (2, 3, 4))
    assert {r.digest_id for r in rows(db, status="digested")} == {digest_id}
    assert delivery.build_digests(db, settings, now=shanghai(2026, 3, 5, 20, 30)) == []
    # after today's digest: held for tomorrow's; a new day also has a fresh quota
    accept_command(db, push(5), settings=settings, resolve_contact=resolver, now=shanghai(2026, 3, 5, 21))
    assert rows(db)[-1].status == "digested"
    assert delivery.build_digests(db, settings, now=shanghai(2026, 3, 5, 23)) == []
    accept_command(db, push(6), settings=settings, resolve_contact=resolver, now=shanghai(2026, 3, 6, 9))
    assert rows(db)[-1].status == "queued"
    [tomorrow] = delivery.build_digests(db, settings, now=shanghai(2026, 3, 6, 20))
    assert "岗位5" in rows(db, id=tomorrow)[0].body


RACE_SCRIPT = r"""
import sys, time
from pathlib import Path
from cc_kit.db import Database
from services.notify.domain.commands import accept_command
from tests.notify.helpers import make_command, settings_for, shanghai
url, data_dir, worker = sys.argv[1], sys.argv[2], int(sys.argv[3])
db = Database(url)
db.ping()
settings = settings_for(Path(data_dir), default_push_daily_cap=5)
envelopes = [make_command(template="generic", category="push", user_id=42, email="racer@stu.example.cn",
                          params={"subject": f"推送{worker}-{n}", "text": "职位推荐"}) for n in range(15)]
Path(data_dir, f"ready-{worker}").touch()
while not Path(data_dir, "go").exists():  # start together, so the consumers really overlap
    time.sleep(0.005)
for envelope in envelopes:
    accept_command(db, envelope, settings=settings, resolve_contact=lambda uid: None, now=shanghai(2026, 3, 5, 10))
"""


def test_racing_consumers_never_exceed_the_push_cap(db, db_url, data_dir):
    """Four processes push 60 messages to one user at the same moment: exactly the cap (5) goes out."""
    repo = Path(__file__).resolve().parents[3]
    env = {**os.environ, "PYTHONPATH": f"{repo}:{repo / 'libs'}"}
    procs = [subprocess.Popen([sys.executable, "-c", RACE_SCRIPT, db_url, str(data_dir), str(w)], cwd=repo, env=env)
             for w in range(4)]
    deadline = time.monotonic() + 60
    while not all((data_dir / f"ready-{w}").exists() for w in range(4)):
        assert time.monotonic() < deadline and all(p.poll() is None for p in procs), "racers did not start"
        time.sleep(0.02)
    (data_dir / "go").touch()
    assert [p.wait(120) for p in procs] == [0, 0, 0, 0]
    statuses = [r.status for r in rows(db, user_id=42)]
    assert len(statuses) == 60
    assert statuses.count("queued") == 5 and statuses.count("digested") == 55
