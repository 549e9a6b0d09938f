"""A user's notifications: the list, the unread count, marking read, and their preferences.

Every read and write is of the caller's own rows (``user_id`` is the signed-in user): a notification of
someone else is a 404, as if it did not exist. ``ix_notification_user_read_id`` serves the list (newest first
by id), the unread filter and the unread count.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from hrsys.core.db import utcnow
from hrsys.core.errors import NotFound, check
from hrsys.core.pagination import page_errors
from hrsys.notifications.models import MailMode, Notification, NotificationPreference
from hrsys.notifications.schemas import NotificationOut, NotificationPage, PreferencesIn, PreferencesOut

_COLUMNS = (
    Notification.id, Notification.kind, Notification.language, Notification.subject, Notification.body,
    Notification.link, Notification.request_id, Notification.created_at, Notification.read_at,
)  # fmt: skip


def unread_count(session: Session, user_id: int) -> int:
    return (
        session.scalar(
            sa.select(sa.func.count())
            .select_from(Notification)
            .where(Notification.user_id == user_id, Notification.read_at.is_(None))
        )
        or 0
    )


def list_notifications(
    session: Session, user_id: int, *, unread: bool | None = None, limit: int = 50, offset: int = 0
) -> NotificationPage:
    """The user's notifications, newest first; ``unread`` true: only unread, false: only read."""
    check(page_errors(limit, offset))
    terms = [Notification.user_id == user_id]
    if unread is not None:
        terms.append(Notification.read_at.is_(None) if unread else Notification.read_at.is_not(None))
    total = session.scalar(sa.select(sa.func.count()).select_from(Notification).where(*terms)) or 0
    rows = session.execute(
        sa.select(*_COLUMNS).where(*terms).order_by(Notification.id.desc()).limit(limit).offset(offset)
    )
    items = [NotificationOut(**r._mapping) for r in rows]
    return NotificationPage(
        items=items, total=total, total_exact=True, limit=limit, offset=offset,
        unread=unread_count(session, user_id),
    )  # fmt: skip


def mark_read(session: Session, user_id: int, notification_id: int) -> NotificationOut:
    """Mark one of the user's notifications read (already read: unchanged); 404 if not theirs."""
    n = session.get(Notification, notification_id)
    if n is None or n.user_id != user_id:
        raise NotFound("notification", notification_id)
    if n.read_at is None:
        n.read_at = utcnow()
        session.flush()
    return NotificationOut(**{c.key: getattr(n, c.key) for c in _COLUMNS})


def mark_all_read(session: Session, user_id: int) -> int:
    """Mark every unread notification of the user read; how many."""
    result = session.execute(
        sa.update(Notification)
        .where(Notification.user_id == user_id, Notification.read_at.is_(None))
        .values(read_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def preferences(session: Session, user_id: int) -> PreferencesOut:
    """The user's preferences (Thai and mail at once until they choose)."""
    p = session.get(NotificationPreference, user_id)
    if p is None:
        return PreferencesOut(language="th", mail_mode=MailMode.immediate)
    return PreferencesOut(language="en" if p.language == "en" else "th", mail_mode=MailMode(p.mail_mode))


def set_preferences(session: Session, user_id: int, data: PreferencesIn) -> PreferencesOut:
    """Change the fields given; the others stay."""
    p = session.get(NotificationPreference, user_id)
    if p is None:
        p = NotificationPreference(user_id=user_id, language="th", mail_mode=MailMode.immediate)
        session.add(p)
    if data.language is not None:
        p.language = data.language
    if data.mail_mode is not None:
        p.mail_mode = data.mail_mode
    session.flush()
    return preferences(session, user_id)
