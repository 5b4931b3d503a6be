"""Favorites (职位收藏): a student's bookmarks; adding twice or removing twice changes nothing."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..models import Favorite, Position, utcnow
from .positions import PUBLIC_STATUSES, visible_position


def add_favorite(session: Session, student_id: int, position_id: int, principal, *,
                 now: datetime | None = None) -> tuple[Favorite, bool]:
    """(favorite, created?) — an existing bookmark is returned unchanged."""
    visible_position(session, position_id, principal)
    existing = session.get(Favorite, (student_id, position_id))
    if existing is not None:
        return existing, False
    favorite = Favorite(student_id=student_id, position_id=position_id, created_at=now or utcnow())
    try:
        with session.begin_nested():
            session.add(favorite)
    except IntegrityError:  # the same student's concurrent PUT won; the bookmark exists either way
        return session.get(Favorite, (student_id, position_id)), False
    return favorite, True


def remove_favorite(session: Session, student_id: int, position_id: int) -> bool:
    result = session.execute(delete(Favorite).where(Favorite.student_id == student_id,
                                                    Favorite.position_id == position_id))
    return bool(result.rowcount)


def list_favorites(session: Session, student_id: int, offset: int, limit: int) -> tuple[list[tuple[Favorite, Position]], int]:
    rows = session.execute(
        select(Favorite, Position).join(Position, Position.id == Favorite.position_id)
        .where(Favorite.student_id == student_id, Position.status.in_(PUBLIC_STATUSES))
        .order_by(Favorite.created_at.desc(), Favorite.position_id.desc()).offset(offset).limit(limit)).all()
    total = session.scalar(select(func.count()).select_from(Favorite).join(Position, Position.id == Favorite.position_id)
                           .where(Favorite.student_id == student_id, Position.status.in_(PUBLIC_STATUSES)))
    return [(f, p) for f, p in rows], int(total or 0)
