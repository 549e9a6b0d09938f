"""Writing many notifications at once (the daily reminders): the same rows as :func:`service.notify`, in
a few statements per batch instead of a few per notification.

:func:`notify_many` takes a batch of :class:`Notice` (each: recipients, kind, parameters, link, cause) and
writes, in the caller's session, one ``notification`` per recipient and cause not yet notified, and for
each recipient who takes mail at once and has an address one ``outbox_mail`` row, as ``notify`` does. Once
per recipient and cause is the unique ``(user_id, cause_key)`` itself: the insert skips a pair already
there (``ON CONFLICT DO NOTHING``, on both databases), so two runs at once, or a run repeated the same day,
write nothing twice, and nothing is read first to find out.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple, cast

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from hrsys.access.models import User
from hrsys.core.db import utcnow
from hrsys.notifications.dates import localised
from hrsys.notifications.models import MailMode, MailStatus, Notification, NotificationPreference, OutboxMail
from hrsys.notifications.texts import render

N = cast(sa.Table, Notification.__table__)
O = cast(sa.Table, OutboxMail.__table__)  # noqa: E741


class Notice(NamedTuple):
    """One cause told to several users: what :func:`notify` takes, as a value."""

    user_ids: Sequence[int]
    cause_key: str
    """Once per recipient and cause (required here: a batch is matched back to its texts by it)."""
    kind: str
    params: Mapping[str, Any]
    link: str
    request_id: int | None = None


def _recipients(session: Session, ids: list[int]) -> dict[int, tuple[str, str | None, MailMode]]:
    """Active users among ``ids``: their language, address and mail mode."""
    out: dict[int, tuple[str, str | None, MailMode]] = {}
    for chunk in range(0, len(ids), 5000):  # SQLite's limit on bound parameters
        rows = session.execute(
            sa.select(User.id, User.email, NotificationPreference.language, NotificationPreference.mail_mode)
            .outerjoin(NotificationPreference, NotificationPreference.user_id == User.id)
            .where(User.id.in_(ids[chunk : chunk + 5000]), User.active.is_(True))
        ).all()
        for r in rows:
            out[r.id] = (r.language or "th", r.email, r.mail_mode or MailMode.immediate)
    return out


def notify_many(session: Session, notices: Sequence[Notice]) -> int:
    """Write the notifications (and immediate mails) of ``notices``; return the notifications written.

    A recipient already told of a notice's ``cause_key`` is skipped; an inactive or unknown user too."""
    users = _recipients(session, sorted({u for n in notices for u in n.user_ids}))
    if not users:
        return 0
    now = utcnow()
    rows: list[dict[str, Any]] = []
    seen: set[tuple[int, str]] = set()
    texts: dict[tuple[int, str], tuple[str, str, str, str]] = {}
    for n in notices:
        rendered: dict[str, tuple[str, str]] = {}
        for uid in n.user_ids:
            if uid not in users or (uid, n.cause_key) in seen:
                continue
            seen.add((uid, n.cause_key))
            language = users[uid][0]
            if language not in rendered:
                rendered[language] = render(n.kind, language, localised(n.params, language))
            subject, body = rendered[language]
            rows.append(
                {
                    "user_id": uid,
                    "kind": n.kind,
                    "language": language,
                    "subject": subject,
                    "body": body,
                    "link": n.link,
                    "request_id": n.request_id,
                    "cause_key": n.cause_key,
                    "created_at": now,
                }
            )
            texts[(uid, n.cause_key)] = (language, subject, body, n.link)
    if not rows:
        return 0
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert(N) if dialect == "postgresql" else sqlite.insert(N)
    stmt = insert.on_conflict_do_nothing(index_elements=["user_id", "cause_key"]).returning(
        N.c.id, N.c.user_id, N.c.cause_key
    )
    written = session.execute(stmt, rows).all()
    mails = []
    for r in written:
        _language, address, mode = users[r.user_id]
        if not address or mode is not MailMode.immediate:
            continue
        language, subject, body, link = texts[(r.user_id, r.cause_key)]
        mails.append(
            {
                "notification_id": r.id,
                "user_id": r.user_id,
                "to_address": address,
                "language": language,
                "subject": subject,
                "body": f"{body}\n\n{link}",
                "message_id": f"<{uuid.uuid4().hex}@hrsys>",
                "status": MailStatus.pending,
                "attempts": 0,
                "next_attempt_at": now,
                "created_at": now,
            }
        )
    if mails:
        session.execute(sa.insert(O), mails)
    return len(written)
