"""Small shared helpers of the auth rules: clock, opaque secrets and their hashes, one-time codes, contacts."""
from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from datetime import datetime, timedelta, timezone

from cc_kit.errors import ApiError

_PHONE = re.compile(r"^1[3-9]\d{9}$")
_EMAIL = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
                    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$")


def now() -> datetime:
    return datetime.now(timezone.utc)


def later(seconds: int, start: datetime | None = None) -> datetime:
    return (start or now()) + timedelta(seconds=seconds)


def seconds_until(moment: datetime, start: datetime | None = None) -> int:
    return max(1, int((moment - (start or now())).total_seconds() + 0.999))


def new_secret(nbytes: int = 32) -> str:
    """An unguessable opaque token (refresh tokens, reset tickets, captcha ids)."""
    return secrets.token_urlsafe(nbytes)


def digest(value: str) -> str:
    """SHA-256 hex of a high-entropy secret: what the database keeps instead of the secret."""
    return hashlib.sha256(value.encode()).hexdigest()


def new_code(digits: int = 6) -> str:
    return f"{secrets.randbelow(10 ** digits):0{digits}d}"


def code_digest(salt: str, code: str) -> str:
    """A one-time code's hash, salted by the row it belongs to so equal codes never hash alike."""
    return hashlib.sha256(f"{salt}:{code.strip()}".encode()).hexdigest()


def same(a: str | None, b: str | None) -> bool:
    return a is not None and b is not None and hmac.compare_digest(a.encode(), b.encode())


def normalize_phone(raw: str) -> str:
    """A mainland mobile number as 11 digits; accepts +86 / 86 prefixes, spaces and hyphens."""
    phone = re.sub(r"[\s\-()]", "", raw or "")
    if phone.startswith("+86"):
        phone = phone[3:]
    elif phone.startswith("0086"):
        phone = phone[4:]
    elif len(phone) == 13 and phone.startswith("86"):
        phone = phone[2:]
    if not _PHONE.match(phone):
        raise ApiError("手机号格式不正确，应为 11 位大陆手机号 (invalid mobile number)", status=422,
                       code="validation_error", errors={"phone": ["手机号格式不正确 (invalid CN mobile number)"]})
    return phone


def is_phone(raw: str) -> bool:
    try:
        normalize_phone(raw)
        return True
    except ApiError:
        return False


def normalize_email(raw: str, field: str = "email") -> str:
    email = (raw or "").strip().lower()
    if len(email) > 254 or not _EMAIL.match(email):
        raise ApiError("邮箱格式不正确 (invalid email address)", status=422, code="validation_error",
                       errors={field: ["邮箱格式不正确 (invalid email address)"]})
    return email


def is_email(raw: str) -> bool:
    try:
        normalize_email(raw)
        return True
    except ApiError:
        return False


def mask_email(email: str | None) -> str | None:
    """z***@example.com: enough for a user to recognise, not enough to learn it."""
    if not email or "@" not in email:
        return email
    local, _, domain = email.partition("@")
    return f"{local[:1]}***@{domain}"


def mask_phone(phone: str | None) -> str | None:
    if not phone or len(phone) < 7:
        return phone
    return phone[:3] + "****" + phone[-4:]
