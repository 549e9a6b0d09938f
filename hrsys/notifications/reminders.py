"""The daily reminders: a registry of sources, and :func:`run_reminders`, which runs them all.

A **source** is a function ``(session, today) -> iterable of (user_ids, cause_key, kind, params, link)``
(a :class:`Reminder`, or a plain tuple in that order): what should be reminded today, selected in SQL by
the domain that owns the data, with its date rule in :mod:`hrsys.notifications.reminder_rules`. Domains
above notifications register theirs at the import of their package (:func:`register_source`), as they
register request kinds: notifications know none of them.

Once per person and cause: a source yields every reminder that holds today, also those already sent
(a certification expiring in 45 days is in the 60-day window for 30 days); the unique ``(user_id,
cause_key)`` of ``notification`` keeps the second and later ones out (:func:`bulk.notify_many`). A cause
key therefore names what the reminder is about and, where that can change, the date it is about
(``secondment_ending:12:2026-11-30``: an extended secondment ending later is reminded again).

Bounded memory: each source is read through one cursor (streamed, ``yield_per``) in a read transaction
of its own, and its reminders are written in batches of :data:`BATCH` causes, each batch one write
transaction. At no time is more than one batch in memory, whatever the number of staff.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from hrsys.core import clock
from hrsys.core.db import read_only_engine
from hrsys.notifications.bulk import Notice, notify_many
from hrsys.notifications.schedule import register_daily

log = logging.getLogger(__name__)

Reminder = Notice
"""``(user_ids, cause_key, kind, params, link[, request_id])``."""

Source = Callable[[Session, dt.date], Iterable[Reminder | tuple[Sequence[int], str, str, Mapping[str, Any], str]]]

BATCH = 1000
"""Causes written per transaction (each with a few recipients)."""

STREAM = 2000
"""Rows a source's cursor fetches at a time (``yield_per``)."""

_SOURCES: dict[str, Source] = {}


def register_source(name: str, source: Source) -> None:
    """Register (or replace) the reminder source ``name``; run by :func:`run_reminders` in name order."""
    _SOURCES[name] = source


def sources() -> dict[str, Source]:
    return dict(sorted(_SOURCES.items()))


def run_reminders(
    engine: Engine, *, today: dt.date | None = None, only: Iterable[str] | None = None, batch: int = BATCH
) -> dict[str, int]:
    """Run every registered source (or those named in ``only``) for ``today`` (default: today in Thailand)
    and write its reminders; returns the notifications written per source.

    A source that fails is logged and the others still run; the first failure is raised at the end (the
    batches written before it stay: each is complete on its own)."""
    day = today or clock.today()
    wanted = set(only) if only is not None else None
    counts: dict[str, int] = {}
    failure: BaseException | None = None
    for name, source in sources().items():
        if wanted is not None and name not in wanted:
            continue
        counts[name] = 0
        try:
            counts[name] = _run_one(engine, source, day, batch)
        except Exception as exc:  # one domain's bug must not silence the others' reminders
            log.exception("reminder source %s failed", name)
            failure = failure or exc
    if failure is not None:
        raise failure
    return counts


def daily(engine: Engine, today: dt.date) -> None:
    """``fn(engine, today)`` for a daily scheduler: :func:`run_reminders` for that day."""
    counts = run_reminders(engine, today=today)
    log.info("reminders for %s: %s", today.isoformat(), counts)


def _run_one(engine: Engine, source: Source, today: dt.date, batch: int) -> int:
    written = 0
    pending: list[Notice] = []
    with Session(read_only_engine(engine)) as reader:  # one snapshot; never waits for the writer
        for item in source(reader, today):
            pending.append(item if isinstance(item, Notice) else Notice(*item))
            if len(pending) >= batch:
                written += _write(engine, pending)
                pending = []
        if pending:
            written += _write(engine, pending)
        reader.rollback()
    return written


def _write(engine: Engine, notices: Sequence[Notice]) -> int:
    with Session(engine) as session, session.begin():
        return notify_many(session, notices)


register_daily("reminders", daily)  # the daily reminders, once per Thai day
