"""Image captchas (the `captcha` package): issued with a hashed answer, expiring, good for one try."""
from __future__ import annotations

import base64
import hmac
import secrets
import threading

from captcha.image import ImageCaptcha
from sqlalchemy import delete, update
from sqlalchemy.orm import Session

from cc_kit.db import Database
from cc_kit.errors import ApiError

from ..models import Captcha
from .common import digest, later, new_secret, now

# No look-alikes (0/O, 1/I/L, 2/Z, 5/S, 6/G, 8/B): people type what they see.
ALPHABET = "ACDEFHJKMNPRTUVWXY34679"
LENGTH = 5
_local = threading.local()


def _renderer() -> ImageCaptcha:
    # ImageCaptcha keeps font objects; one per thread keeps gthread workers from sharing them.
    if not hasattr(_local, "renderer"):
        _local.renderer = ImageCaptcha(width=160, height=60)
    return _local.renderer


def _answer_digest(captcha_id: str, answer: str) -> str:
    return digest(f"{captcha_id}:{answer.strip().upper()}")


def new_answer() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def render_png(answer: str) -> bytes:
    return _renderer().generate(answer, format="png").getvalue()


def issue_captcha(session: Session, ttl: int, answer: str | None = None) -> tuple[str, str, int]:
    """A new captcha: (captcha_id, PNG data URL, seconds it stays valid)."""
    answer = answer or new_answer()
    if secrets.randbelow(200) == 0:
        prune_captchas(session)  # keeps the table small even when the worker's hourly prune is not running
    captcha_id = new_secret(18)
    session.add(Captcha(id=captcha_id, answer_hash=_answer_digest(captcha_id, answer), created_at=now(),
                        expires_at=later(ttl)))
    image = "data:image/png;base64," + base64.b64encode(render_png(answer)).decode()
    return captcha_id, image, ttl


def consume_captcha(session: Session, captcha_id: str | None, code: str | None,
                    bypass_code: str | None = None) -> str | None:
    """Use up a captcha; returns None when it passes, else the reason it failed.

    The captcha is spent by any try, right or wrong, so an answer can never be guessed twice.
    `bypass_code` (CAPTCHA_BYPASS_CODE, automation only) passes any captcha when configured.
    """
    code = (code or "").strip()
    if bypass_code and hmac.compare_digest(code.encode(), bypass_code.encode()):
        return None
    if not captcha_id or not code:
        return "请输入验证码 (captcha required)"
    moment = now()
    spent = session.execute(
        update(Captcha).where(Captcha.id == captcha_id, Captcha.used_at.is_(None), Captcha.expires_at > moment)
        .values(used_at=moment).returning(Captcha.answer_hash)).first()
    if spent is None:
        return "验证码已失效，请刷新后重试 (captcha expired or already used)"
    if not hmac.compare_digest(spent.answer_hash, _answer_digest(captcha_id, code)):
        return "验证码错误 (wrong captcha)"
    return None


def check_captcha(db: Database, captcha_id: str | None, code: str | None, bypass_code: str | None = None) -> None:
    """Consume the captcha in its own committed transaction, then raise 400 `invalid_captcha` if it failed."""
    with db.write() as session:
        problem = consume_captcha(session, captcha_id, code, bypass_code)
    if problem:
        raise ApiError(problem, status=400, code="invalid_captcha")


def prune_captchas(session: Session) -> int:
    return session.execute(delete(Captcha).where(Captcha.expires_at < later(-3600))).rowcount or 0
