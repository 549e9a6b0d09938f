"""The daily digest: one mail per Thai day to each user whose ``mail_mode`` is ``digest``.

``notify`` writes no outbox row for such a user; on each Thai day D this job (a daily job,
:mod:`.schedule`) gathers their notifications created before D's midnight (Thai time) and since the start
of the day of their last digest (``digest_sent_on``; the day before D for a first digest) that have no
outbox row of their own, and writes one outbox row, in their language, with Buddhist-Era dates in Thai.
Normally that is the notifications of the day before; after days without a run, those of every day
missed. ``digest_sent_on = D`` is set in the same transaction as the row and only if it was earlier, and
the row's Message-ID is ``<digest.{user}.{D}@hrsys>`` (unique): a second run on D writes nothing.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from hrsys.access.models import User
from hrsys.core import clock
from hrsys.notifications.models import MailMode, Notification, NotificationPreference, OutboxMail
from hrsys.notifications.schedule import register_daily
from hrsys.notifications.texts import render

JOB = "notifications.digest"
CHUNK = 500
MONTHS_TH = ("ม.ค.", "ก.พ.", "มี.ค.", "เม.ย.", "พ.ค.", "มิ.ย.", "ก.ค.", "ส.ค.", "ก.ย.", "ต.ค.", "พ.ย.", "ธ.ค.")
MONTHS_EN = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
BE_OFFSET = 543

_N = cast(sa.Table, Notification.__table__)
_O = cast(sa.Table, OutboxMail.__table__)
_P = cast(sa.Table, NotificationPreference.__table__)


def format_day(day: dt.date, language: str) -> str:
    """``7 ธ.ค. 2569`` (Buddhist Era) in Thai, ``7 Dec 2026`` in English."""
    if language == "en":
        return f"{day.day} {MONTHS_EN[day.month - 1]} {day.year}"
    return f"{day.day} {MONTHS_TH[day.month - 1]} {day.year + BE_OFFSET}"


def _midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tzinfo=clock.zone).astimezone(dt.UTC)


def send_digests(engine: Engine, today: dt.date) -> int:
    """Write today's digest rows (delivered as any outbox row); the number written."""
    with engine.connect().execution_options(sqlite_begin=None) as conn:
        users = conn.execute(
            sa.select(User.id, User.email, _P.c.language, _P.c.digest_sent_on)
            .join(_P, _P.c.user_id == User.id)
            .where(
                _P.c.mail_mode == MailMode.digest.value,
                User.active.is_(True),
                User.email.is_not(None),
                User.email != "",
                sa.or_(_P.c.digest_sent_on.is_(None), _P.c.digest_sent_on < today),
            )
            .order_by(User.id)
        ).all()
    written = 0
    for start in range(0, len(users), CHUNK):
        written += _write_chunk(engine, today, users[start : start + CHUNK])
    return written


def _write_chunk(engine: Engine, today: dt.date, users: Sequence[sa.Row[Any]]) -> int:
    until = _midnight(today)
    by_since: dict[dt.date, list[int]] = defaultdict(list)
    for u in users:
        by_since[u.digest_sent_on or today - dt.timedelta(days=1)].append(u.id)
    items: dict[int, list[sa.Row]] = defaultdict(list)  # type: ignore[type-arg]
    written = 0
    with engine.begin() as conn:
        for since, ids in by_since.items():
            mailed = sa.select(_O.c.id).where(_O.c.notification_id == _N.c.id).exists()
            for n in conn.execute(
                sa.select(_N.c.user_id, _N.c.subject, _N.c.link, _N.c.created_at)
                .where(_N.c.user_id.in_(ids), _N.c.created_at >= _midnight(since), _N.c.created_at < until, ~mailed)
                .order_by(_N.c.user_id, _N.c.created_at, _N.c.id)
            ):
                items[n.user_id].append(n)
        for u in users:
            mine = items.get(u.id)
            if not mine:
                continue
            claimed = conn.execute(
                _P.update()
                .where(_P.c.user_id == u.id, sa.or_(_P.c.digest_sent_on.is_(None), _P.c.digest_sent_on < today))
                .values(digest_sent_on=today)
            ).rowcount
            if claimed != 1:
                continue
            language = "en" if u.language == "en" else "th"
            first = clock.local(mine[0].created_at).date()
            last = today - dt.timedelta(days=1)
            day = format_day(last, language)
            if first < last:
                day = f"{format_day(first, language)} – {day}"
            lines = "\n".join(f"• {n.subject}\n  {n.link}" for n in mine)
            subject, body = render("mail_digest", language, {"day": day, "count": len(mine), "items": lines})
            conn.execute(
                _O.insert().values(
                    user_id=u.id,
                    to_address=u.email,
                    language=language,
                    subject=subject,
                    body=body,
                    message_id=f"<digest.{u.id}.{today.isoformat()}@hrsys>",
                    next_attempt_at=clock.now(),
                    created_at=clock.now(),
                )
            )
            written += 1
    return written


register_daily(JOB, send_digests)
