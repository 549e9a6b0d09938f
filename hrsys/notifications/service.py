"""Writing notifications: in the caller's transaction (the transactional outbox).

:func:`notify` adds one ``notification`` per recipient and, for a recipient who takes mail at once and has
an address, one ``outbox_mail`` row, in the session of the event that causes them: both commit with the
event or not at all. Delivery (``hrsys.notifications.delivery``) reads the outbox afterwards.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from hrsys.access.models import User
from hrsys.notifications.models import MailMode, Notification, NotificationPreference, OutboxMail
from hrsys.notifications.texts import render


def notify(
    session: Session,
    *,
    user_ids: Iterable[int],
    kind: str,
    params: Mapping[str, Any],
    link: str,
    request_id: int | None = None,
    cause_key: str | None = None,
) -> list[Notification]:
    """Notify each user once, in their language: ``kind`` names the text (``texts.TEXTS``), ``params`` fill it.

    With ``cause_key`` a user who was already notified of that cause is skipped (reminders: once per person
    and cause). Returns the notifications written."""
    ids = sorted(set(user_ids))
    if not ids:
        return []
    rows = session.execute(
        sa.select(User.id, User.email, NotificationPreference.language, NotificationPreference.mail_mode)
        .outerjoin(NotificationPreference, NotificationPreference.user_id == User.id)
        .where(User.id.in_(ids), User.active.is_(True))
    ).all()
    if cause_key is not None:
        done = set(
            session.scalars(
                sa.select(Notification.user_id).where(
                    Notification.cause_key == cause_key, Notification.user_id.in_(ids)
                )
            )
        )
        rows = [r for r in rows if r.id not in done]
    out: list[Notification] = []
    for r in rows:
        language = r.language or "th"
        subject, body = render(kind, language, params)
        n = Notification(
            user_id=r.id,
            kind=kind,
            language=language,
            subject=subject,
            body=body,
            link=link,
            request_id=request_id,
            cause_key=cause_key,
        )
        session.add(n)
        out.append(n)
    session.flush()
    for n, r in zip(out, rows, strict=True):
        if r.email and (r.mail_mode or MailMode.immediate) is MailMode.immediate:
            session.add(
                OutboxMail(
                    notification_id=n.id,
                    user_id=r.id,
                    to_address=r.email,
                    language=n.language,
                    subject=n.subject,
                    body=f"{n.body}\n\n{n.link}",
                    message_id=f"<{uuid.uuid4().hex}@hrsys>",
                )
            )
    session.flush()
    return out
