"""Where messages go: SMTP or `.eml` files for mail, a webhook or a JSON-lines file for SMS.

Each sender has one method, `send(message)`, which returns when the message was handed over and
raises SendError otherwise; whether and when to try again is the caller's business.
"""
from __future__ import annotations

import fcntl
import json
import os
import smtplib
import threading
from dataclasses import dataclass
from datetime import datetime, timezone
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path
from typing import Protocol
from urllib.parse import parse_qs, unquote, urlparse

import requests

from .config import NotifySettings


class SendError(Exception):
    """The message was not handed over (connection refused, 5xx, timeout, …)."""


@dataclass(frozen=True)
class OutgoingMessage:
    notification_id: int
    channel: str
    recipient: str
    subject: str
    body: str


class Sender(Protocol):
    def send(self, message: OutgoingMessage) -> None: ...


def build_mail(message: OutgoingMessage, sender: str) -> EmailMessage:
    """An RFC 5322 message; non-ASCII headers are encoded (RFC 2047) and the body is UTF-8."""
    mail = EmailMessage()
    mail["From"] = sender
    mail["To"] = message.recipient
    mail["Subject"] = message.subject
    mail["Date"] = formatdate(localtime=False, usegmt=True)
    mail["Message-ID"] = make_msgid(idstring=f"n{message.notification_id}", domain="campus-careers.local")
    mail["X-Notification-ID"] = str(message.notification_id)
    mail.set_content(message.body, charset="utf-8")
    return mail


class SmtpMailSender:
    """`smtp://[user:pass@]host[:port][?starttls=true]`, or `smtps://` for implicit TLS."""

    def __init__(self, url: str, mail_from: str, timeout: float):
        parsed = urlparse(url)
        if parsed.scheme not in ("smtp", "smtps"):
            raise ValueError(f"SMTP_URL must start with smtp:// or smtps://, not {parsed.scheme}://")
        self.ssl = parsed.scheme == "smtps"
        self.host = parsed.hostname or "localhost"
        self.port = parsed.port or (465 if self.ssl else 25)
        self.username = unquote(parsed.username) if parsed.username else None
        self.password = unquote(parsed.password) if parsed.password else None
        query = {k: v[-1].lower() for k, v in parse_qs(parsed.query).items()}
        self.starttls = query.get("starttls", "false") in ("1", "true", "yes", "on")
        self.timeout = float(query.get("timeout", timeout))
        self.mail_from = mail_from

    def send(self, message: OutgoingMessage) -> None:
        mail = build_mail(message, self.mail_from)
        client_cls = smtplib.SMTP_SSL if self.ssl else smtplib.SMTP
        try:
            with client_cls(self.host, self.port, timeout=self.timeout) as client:
                if self.starttls:
                    client.starttls()
                if self.username:
                    client.login(self.username, self.password or "")
                client.send_message(mail)
        except smtplib.SMTPResponseException as exc:
            text = exc.smtp_error.decode("utf-8", "replace") if isinstance(exc.smtp_error, bytes) else exc.smtp_error
            raise SendError(f"SMTP {exc.smtp_code} {text}".strip()) from exc
        except smtplib.SMTPRecipientsRefused as exc:
            codes = ", ".join(f"{code} {msg.decode('utf-8', 'replace') if isinstance(msg, bytes) else msg}"
                              for code, msg in exc.recipients.values())
            raise SendError(f"SMTP recipient refused: {codes}") from exc
        except (smtplib.SMTPException, OSError) as exc:
            raise SendError(f"SMTP {type(exc).__name__}: {exc}") from exc


class FileMailSender:
    """Development sink: one `.eml` file per message in DATA_DIR/outbox/mail/."""

    def __init__(self, directory: Path, mail_from: str):
        self.directory = Path(directory)
        self.mail_from = mail_from

    def send(self, message: OutgoingMessage) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%f")
        final = self.directory / f"{stamp}-notification-{message.notification_id}.eml"
        partial = final.with_suffix(".eml.part")
        try:
            partial.write_bytes(build_mail(message, self.mail_from).as_bytes())
            os.replace(partial, final)  # readers never see half a message
        except OSError as exc:
            raise SendError(f"cannot write {final.name}: {exc}") from exc


class WebhookSmsSender:
    """POSTs `{phone, text}` as JSON; any 2xx is success."""

    def __init__(self, url: str, timeout: float):
        self.url = url
        self.timeout = timeout
        self.session = requests.Session()

    def send(self, message: OutgoingMessage) -> None:
        try:
            response = self.session.post(
                self.url, json={"phone": message.recipient, "text": message.body}, timeout=self.timeout,
                headers={"X-Notification-ID": str(message.notification_id),
                         "Idempotency-Key": f"notification-{message.notification_id}"})
        except requests.RequestException as exc:
            raise SendError(f"SMS webhook {type(exc).__name__}: {exc}") from exc
        if not 200 <= response.status_code < 300:
            raise SendError(f"SMS webhook HTTP {response.status_code}: {response.text[:200]}")


class FileSmsSender:
    """Development sink: one JSON line per SMS appended to DATA_DIR/outbox/sms.jsonl (locked, UTF-8)."""

    _local_lock = threading.Lock()

    def __init__(self, path: Path):
        self.path = Path(path)

    def send(self, message: OutgoingMessage) -> None:
        line = json.dumps({"phone": message.recipient, "text": message.body,
                           "notification_id": message.notification_id,
                           "time": datetime.now(timezone.utc).isoformat()}, ensure_ascii=False) + "\n"
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            # The lock file covers other processes (several workers); the thread lock, this one.
            with self._local_lock, open(self.path, "a", encoding="utf-8") as fh:
                fcntl.flock(fh, fcntl.LOCK_EX)
                try:
                    fh.write(line)
                    fh.flush()
                finally:
                    fcntl.flock(fh, fcntl.LOCK_UN)
        except OSError as exc:
            raise SendError(f"cannot append to {self.path.name}: {exc}") from exc


def build_senders(settings: NotifySettings) -> dict[str, Sender]:
    outbox = Path(settings.data_dir) / "outbox"
    mail: Sender = (SmtpMailSender(settings.smtp_url, settings.mail_from, settings.send_timeout)
                    if settings.smtp_url else FileMailSender(outbox / "mail", settings.mail_from))
    sms: Sender = (WebhookSmsSender(settings.sms_webhook_url, settings.send_timeout)
                   if settings.sms_webhook_url else FileSmsSender(outbox / "sms.jsonl"))
    return {"email": mail, "sms": sms}
