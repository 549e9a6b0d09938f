"""The requests' daily job: escalate what waits past its due date (run once per Thai day by the delivering
process, :mod:`hrsys.notifications.schedule`)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from hrsys.config import Settings
from hrsys.notifications.schedule import register_daily
from hrsys.requests.escalation import escalate_overdue


def escalate(engine: Engine, today: dt.date) -> None:
    days = Settings.from_env().requests.escalation_days
    with Session(engine) as session, session.begin():
        escalate_overdue(session, today=today, days=days)


def register() -> None:
    register_daily("requests_escalate", escalate)
