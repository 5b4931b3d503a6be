"""Housekeeping: forget spent or expired captchas, tickets, codes and refresh tokens (run hourly by the worker)."""
from __future__ import annotations

from sqlalchemy import delete
from sqlalchemy.orm import Session

from ..models import ContactVerification, PasswordResetTicket, RefreshToken
from .captcha import prune_captchas
from .common import later


def prune_expired(session: Session, keep_days: int = 7) -> dict:
    """Rows past their expiry by `keep_days` (kept that long for support questions and reuse detection)."""
    cutoff = later(-keep_days * 86400)
    return {
        "captchas": prune_captchas(session),
        "reset_tickets": session.execute(delete(PasswordResetTicket).where(
            PasswordResetTicket.expires_at < cutoff)).rowcount or 0,
        "contact_verifications": session.execute(delete(ContactVerification).where(
            ContactVerification.expires_at < cutoff)).rowcount or 0,
        "refresh_tokens": session.execute(delete(RefreshToken).where(
            RefreshToken.expires_at < cutoff)).rowcount or 0,
    }
