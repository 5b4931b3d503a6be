"""The delivery log as users and staff read it."""
from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cc_kit.errors import Forbidden

from ..models import Notification

STAFF_ROLES = ("school_admin",)


def list_notifications(session: Session, *, viewer_id: int, viewer_role: str, filters: dict, page: int,
                       page_size: int) -> tuple[list[Notification], int]:
    """A user sees their own notifications; school staff see anyone's and may filter by user."""
    query = select(Notification)
    if viewer_role in STAFF_ROLES:
        if filters.get("user_id") is not None:
            query = query.where(Notification.user_id == filters["user_id"])
    else:
        if filters.get("user_id") not in (None, viewer_id):
            raise Forbidden("只能查看自己的通知记录 (you may only see your own notifications)")
        query = query.where(Notification.user_id == viewer_id)
    for name in ("status", "channel", "category", "template"):
        if filters.get(name):
            query = query.where(getattr(Notification, name) == filters[name])
    total = session.execute(select(func.count()).select_from(query.subquery())).scalar_one()
    rows = session.execute(query.order_by(Notification.created_at.desc(), Notification.id.desc())
                           .offset((page - 1) * page_size).limit(page_size)).scalars().all()
    return list(rows), total
