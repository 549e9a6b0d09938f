"""Daily jobs: ``register_daily(name, fn)``, and ``fn(engine, today)`` runs once per Thai day.

The delivering process (the one holding the lease, :mod:`.lease`: ``hrsys serve``'s or ``hrsys notify
run``) calls :func:`run_due` at each round. A job that ran to its end on a day is written in
``daily_job_run`` (its ``last_run_on``), so a restart on the same day does not run it again. A job that
fails (or whose process dies while it runs) is not marked and runs again later that day: jobs are written
to be repeatable (the digest marks ``digest_sent_on``, the reminders notify once per ``cause_key``).
Register at the import of your package, like the other extension points.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable
from typing import cast

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from hrsys.core import clock
from hrsys.notifications.models import DailyJobRun

log = logging.getLogger("hrsys.notifications")

DailyJob = Callable[[Engine, dt.date], object]
RETRY_AFTER_FAILURE = 300.0
"""Seconds before a failed job is tried again (the same day)."""

_JOBS: dict[str, DailyJob] = {}
_RETRY_AT: dict[str, float] = {}
_T = cast(sa.Table, DailyJobRun.__table__)


def register_daily(name: str, fn: DailyJob) -> None:
    """Run ``fn(engine, today)`` once per Thai day in the delivering process (``name`` at most 80 characters,
    unique; registering it again replaces the function)."""
    if not name or len(name) > 80:
        raise ValueError(f"a daily job's name has 1 to 80 characters: {name!r}")
    _JOBS[name] = fn


def registered() -> list[str]:
    return list(_JOBS)


def last_runs(engine: Engine) -> dict[str, dt.date]:
    with engine.connect().execution_options(sqlite_begin=None) as conn:
        return {r.name: r.last_run_on for r in conn.execute(sa.select(_T.c.name, _T.c.last_run_on))}


def run_due(engine: Engine, today: dt.date | None = None) -> list[str]:
    """Run each registered job that has not run on ``today`` (default: the Thai day now); the names run."""
    today = today or clock.today()
    done = last_runs(engine)
    ran: list[str] = []
    for name, fn in list(_JOBS.items()):
        last = done.get(name)
        if (last is not None and last >= today) or _RETRY_AT.get(name, 0.0) > time.monotonic():
            continue
        started = time.perf_counter()
        try:
            fn(engine, today)
        except Exception:
            log.exception("daily job %s failed on %s; it runs again in %.0f s", name, today, RETRY_AFTER_FAILURE)
            _RETRY_AT[name] = time.monotonic() + RETRY_AFTER_FAILURE
            continue
        _RETRY_AT.pop(name, None)
        with engine.begin() as conn:
            values = {"last_run_on": today, "finished_at": clock.now()}
            if conn.execute(_T.update().where(_T.c.name == name).values(values)).rowcount == 0:
                conn.execute(_T.insert().values(name=name, **values))
        log.info("daily job %s ran for %s in %.1f s", name, today, time.perf_counter() - started)
        ran.append(name)
    return ran
