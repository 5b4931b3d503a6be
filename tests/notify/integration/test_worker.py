"""The notify worker end to end on real RabbitMQ and both databases: command in, mail/SMS out, retries."""
from __future__ import annotations

import email
import email.policy
import mailbox
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from services.notify.models import Notification, Outbox

from cc_kit.testing.waiting import wait_until

from ..helpers import make_command, read_sms_lines


def rows(db, **where):
    with db.read() as session:
        query = select(Notification).order_by(Notification.id)
        for key, value in where.items():
            query = query.where(getattr(Notification, key) == value)
        found = session.execute(query).scalars().all()
        session.expunge_all()
        return found


def outbox_events(db, name):
    with db.read() as session:
        return [o.envelope["data"] for o in session.execute(select(Outbox).order_by(Outbox.seq)).scalars()
                if o.routing_key == name]


def eml_files(data_dir: Path) -> list[Path]:
    return sorted((data_dir / "outbox" / "mail").glob("*.eml"))


def interview_command(user_id=7):
    return make_command(template="interview_invited", category="interview", user_id=user_id,
                        channels=("email", "sms"),
                        params={"company": "杭州云帆科技有限公司", "position": "后端开发工程师",
                                "starts_at": "2026-03-09T02:00:00Z", "mode": "online",
                                "room_url": "https://meet.example.com/r/77"})


def test_a_published_command_becomes_an_eml_file_and_an_sms_line(start_notify, publish, notify_db, data_dir):
    start_notify()
    command = interview_command()
    publish(command)
    [path] = wait_until(lambda: eml_files(data_dir), what="an .eml file")
    sms = wait_until(lambda: read_sms_lines(data_dir), what="an SMS line")
    email_row, sms_row = wait_until(lambda: (r := rows(notify_db)) and all(x.status == "sent" for x in r) and r,
                                    what="both rows sent")
    assert f"notification-{email_row.id}" in path.name
    mail = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    assert mail["To"] == "zhangsan@stu.example.cn"  # resolved through auth.get_contact
    assert mail["Subject"] == "面试邀请：杭州云帆科技有限公司「后端开发工程师」"
    body = mail.get_content()
    assert "2026年3月9日（周一）10:00" in body and "https://meet.example.com/r/77" in body
    assert sms == [{"phone": "13800000007", "text": sms_row.body, "notification_id": sms_row.id,
                    "time": sms[0]["time"]}]
    assert sms_row.body.startswith("【校园就业】杭州云帆科技有限公司")
    assert (email_row.attempts, email_row.command_id, email_row.source) == (1, command["id"], "tests")
    sent = outbox_events(notify_db, "notification_sent")
    assert sorted(e["channel"] for e in sent) == ["email", "sms"]


def test_a_duplicate_delivery_has_one_effect(start_notify, publish, notify_db, data_dir):
    start_notify()
    command = make_command(template="registration_welcome", category="account", user_id=7,
                           params={"name": "张三"})
    publish(command)
    publish(command)
    publish(make_command(template="generic", category="system", email="marker@stu.example.cn",
                         params={"subject": "标记", "text": "在重复命令之后发出"}))
    wait_until(lambda: len(eml_files(data_dir)) >= 2, what="two mails")
    time.sleep(0.5)  # room for a wrong second copy to appear
    assert len(eml_files(data_dir)) == 2
    assert len(rows(notify_db, command_id=command["id"])) == 1
    assert len(outbox_events(notify_db, "notification_sent")) == 2


def test_refused_mail_and_failing_webhook_retry_then_fail_while_others_go_out(
        start_notify, publish, notify_db, refusing_smtp, sms_webhook):
    start_notify(SMTP_URL=f"smtp://127.0.0.1:{refusing_smtp.port}", SMS_WEBHOOK_URL=sms_webhook.url)
    doomed = make_command(template="signing_invitation", category="signing", email="wang@stu.example.cn",
                          phone="13800000500", channels=("email", "sms"),
                          params={"company": "某银行", "position": "柜员"})
    publish(doomed)
    fine = make_command(template="phone_verification_code", category="account", phone="13800000001",
                        channels=("sms",), params={"code": "120934", "minutes": 5}, exempt_quiet_hours=True)
    publish(fine)
    wait_until(lambda: sms_webhook.received, timeout=10, what="the healthy SMS")
    assert sms_webhook.received == [{"phone": "13800000001",
                                     "text": "【校园就业】您的手机验证码为120934，5分钟内有效，请勿告诉他人。"}]
    [ok] = rows(notify_db, command_id=fine["id"])
    assert ok.status == "sent"
    # 3 tries with 0.3 s and 0.6 s between them, then `failed`
    failed = wait_until(lambda: (r := rows(notify_db, command_id=doomed["id"]))
                        and all(x.status == "failed" for x in r) and r, timeout=20, what="both failed")
    by_channel = {r.channel: r for r in failed}
    assert by_channel["email"].attempts == 3 and "554" in by_channel["email"].last_error
    assert by_channel["sms"].attempts == 3 and "HTTP 500" in by_channel["sms"].last_error
    assert all(r.reason == "retries_exhausted" for r in failed)
    assert refusing_smtp.connections == 3
    assert sorted(e["channel"] for e in outbox_events(notify_db, "notification_failed")) == ["email", "sms"]
    assert [e["template"] for e in outbox_events(notify_db, "notification_sent")] == ["phone_verification_code"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp_server(tmp_path):
    """A real SMTP server (aiosmtpd) storing what it receives in a maildir."""
    port, maildir = _free_port(), tmp_path / "maildir"
    proc = subprocess.Popen([sys.executable, "-m", "aiosmtpd", "-n", "-l", f"127.0.0.1:{port}",
                             "-c", "aiosmtpd.handlers.Mailbox", str(maildir)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def ready():
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return True
        except OSError:
            return False

    wait_until(ready, timeout=15, what="aiosmtpd")
    yield port, maildir
    proc.terminate()
    proc.wait(10)


def test_mail_goes_through_a_real_smtp_server(start_notify, publish, notify_db, smtp_server):
    port, maildir = smtp_server
    start_notify(SMTP_URL=f"smtp://127.0.0.1:{port}")
    publish(make_command(template="review_outcome", category="review", user_id=7,
                         params={"item": "生源信息", "decision": "return", "note": "请补充家庭住址"}))
    wait_until(lambda: maildir.exists() and len(mailbox.Maildir(maildir, create=False)) == 1, what="the mail")
    [raw] = [bytes(m) for m in mailbox.Maildir(maildir, create=False)]
    mail = email.message_from_bytes(raw, policy=email.policy.default)
    assert mail["Subject"] == "审核结果：「生源信息」退回修改"
    assert mail["To"] == "zhangsan@stu.example.cn"
    assert "请补充家庭住址" in mail.get_content()
    [row] = wait_until(lambda: (r := rows(notify_db)) and r[0].status == "sent" and r, what="row sent")
    assert row.attempts == 1


def test_while_auth_is_down_the_mail_waits_and_goes_out_when_it_is_back(
        start_notify, publish, notify_db, data_dir):
    start_notify(with_auth=False)
    publish(make_command(template="employer_approved", category="account", user_id=9,
                         params={"company_name": "杭州云帆科技有限公司"}))
    [row] = wait_until(lambda: rows(notify_db), what="the row")
    assert row.status == "queued" and row.recipient is None
    assert "auth" in row.last_error
    start_notify()  # a worker with auth this time; the retry timer resolves the contact
    [path] = wait_until(lambda: eml_files(data_dir), timeout=20, what="the mail")
    mail = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    assert mail["To"] == "hr@yunfan.example.com" and mail["Subject"] == "单位注册审核通过"
    [row] = wait_until(lambda: (r := rows(notify_db)) and r[0].status == "sent" and r, what="row sent")
    assert row.attempts >= 2 and row.recipient == "hr@yunfan.example.com"
