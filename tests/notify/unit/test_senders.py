"""Sender configuration and the local sinks: SMTP URL options, .eml files, concurrent SMS appends."""
import email
import email.policy
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from services.notify.senders import (FileMailSender, FileSmsSender, OutgoingMessage, SendError, SmtpMailSender,
                                     WebhookSmsSender, build_senders)
from services.notify.config import NotifySettings


def test_smtp_url_carries_credentials_starttls_and_timeout():
    sender = SmtpMailSender("smtp://notice%40campus.cn:p%3Ass@mail.campus.cn:587?starttls=true&timeout=4",
                            "校园就业服务 <notice@campus.cn>", timeout=10)
    assert (sender.host, sender.port, sender.username, sender.password) == (
        "mail.campus.cn", 587, "notice@campus.cn", "p:ss")
    assert sender.starttls and not sender.ssl and sender.timeout == 4.0
    implicit = SmtpMailSender("smtps://mail.campus.cn", "x <x@campus.cn>", timeout=10)
    assert implicit.ssl and implicit.port == 465 and not implicit.starttls and implicit.username is None
    with pytest.raises(ValueError):
        SmtpMailSender("http://mail.campus.cn", "x <x@campus.cn>", timeout=10)


def test_unset_urls_mean_local_sinks(tmp_path):
    settings = NotifySettings(data_dir=tmp_path, smtp_url=None, sms_webhook_url=None)
    senders = build_senders(settings)
    assert isinstance(senders["email"], FileMailSender) and isinstance(senders["sms"], FileSmsSender)
    configured = build_senders(NotifySettings(data_dir=tmp_path, smtp_url="smtp://127.0.0.1:2525",
                                              sms_webhook_url="http://127.0.0.1:9/sms"))
    assert isinstance(configured["email"], SmtpMailSender) and isinstance(configured["sms"], WebhookSmsSender)


def test_each_mail_is_one_eml_file_named_by_its_notification(tmp_path):
    sender = FileMailSender(tmp_path / "mail", "校园就业服务 <noreply@campus-careers.local>")
    sender.send(OutgoingMessage(17, "email", "li@stu.example.cn", "签约邀请：某公司", "您好：\n请登录处理。"))
    [path] = list((tmp_path / "mail").iterdir())
    assert path.name.endswith("-notification-17.eml")
    mail = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    assert mail["Subject"] == "签约邀请：某公司" and "请登录处理" in mail.get_content()


def test_unreachable_smtp_and_webhook_raise_send_error():
    message = OutgoingMessage(1, "email", "a@b.cn", "主题", "正文")
    with pytest.raises(SendError, match="SMTP"):
        SmtpMailSender("smtp://127.0.0.1:9", "x <x@campus.cn>", timeout=2).send(message)
    with pytest.raises(SendError, match="webhook"):
        WebhookSmsSender("http://127.0.0.1:9/sms", timeout=2).send(message)


APPENDER = r"""
import sys
from pathlib import Path
from services.notify.senders import FileSmsSender, OutgoingMessage
sender = FileSmsSender(Path(sys.argv[1]))
for n in range(200):
    sender.send(OutgoingMessage(int(sys.argv[2]) * 1000 + n, "sms", "13800000000", "", "【校园就业】短信" * 40))
"""


def test_concurrent_processes_append_whole_utf8_lines(tmp_path):
    path = tmp_path / "sms.jsonl"
    repo = Path(__file__).resolve().parents[3]
    env = {**os.environ, "PYTHONPATH": f"{repo}:{repo / 'libs'}"}
    procs = [subprocess.Popen([sys.executable, "-c", APPENDER, str(path), str(w)], cwd=repo, env=env)
             for w in range(4)]
    assert [p.wait(60) for p in procs] == [0, 0, 0, 0]
    raw = path.read_bytes()
    assert "【校园就业】".encode("utf-8") in raw  # UTF-8, not \u escapes
    lines = [json.loads(line) for line in raw.decode("utf-8").splitlines()]
    assert len(lines) == 800 and len({line["notification_id"] for line in lines}) == 800
    assert all(line["text"] == "【校园就业】短信" * 40 and line["phone"] == "13800000000" for line in lines)
