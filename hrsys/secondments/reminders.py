"""Reminders of secondments (registered with :mod:`hrsys.notifications.reminders`): those in progress
that end within 30 days, and those ended whose end report is overdue (the policy's
``end_report_due_days`` after the end), to the lead of the host task force and the nearest HR officers of
the host agency. Both read ``ix_secondment_status_ends_on``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from hrsys.access.models import User
from hrsys.agencies.models import Agency
from hrsys.config import Settings
from hrsys.notifications.bulk import Notice
from hrsys.notifications.recipients import HrOfficers, users
from hrsys.notifications.reminder_rules import end_report_due, ended_before, ending_window
from hrsys.notifications.reminders import STREAM, register_source
from hrsys.people.models import Person
from hrsys.secondments import lifecycle
from hrsys.secondments.models import Secondment
from hrsys.taskforces.models import TaskForce


def _rows(session: Session, *where: sa.ColumnElement[bool]) -> Any:
    s = Secondment
    stmt = (
        sa.select(
            s.id,
            s.person_id,
            s.host_agency_id,
            s.ends_on,
            s.taskforce_id,
            Person.first_name_th,
            Person.last_name_th,
            Person.first_name_en,
            Person.last_name_en,
            Agency.name_th.label("host_th"),
            Agency.name_en.label("host_en"),
            User.id.label("lead_user_id"),
        )
        .join(Person, Person.id == s.person_id)
        .join(Agency, Agency.id == s.host_agency_id)
        .outerjoin(TaskForce, TaskForce.id == s.taskforce_id)
        .outerjoin(User, sa.and_(User.person_id == TaskForce.lead_id, User.active.is_(True)))
        .where(*where)
        .execution_options(yield_per=STREAM)
    )
    return session.execute(stmt)


def _params(r: Any, **dates: dt.date) -> dict[str, Any]:
    return {
        "person_th": f"{r.first_name_th} {r.last_name_th}",
        "person_en": f"{r.first_name_en} {r.last_name_en}",
        "host_th": r.host_th,
        "host_en": r.host_en,
        **dates,
    }


def _link(r: Any) -> str:
    if r.taskforce_id is not None:
        return f"/lead/taskforces/{r.taskforce_id}#secondment-{r.id}"
    return f"/people/{r.person_id}#secondment-{r.id}"


def secondments_ending(session: Session, today: dt.date) -> Iterator[Notice]:
    lo, hi = ending_window(today)
    s = Secondment
    hr = HrOfficers(session)
    in_progress = s.status.in_(sorted(lifecycle.IN_PROGRESS))
    for r in _rows(session, in_progress, s.ends_on >= lo, s.ends_on <= hi):
        yield Notice(
            user_ids=users([r.lead_user_id], hr.of(r.host_agency_id)),
            cause_key=f"secondment_ending:{r.id}:{r.ends_on.isoformat()}",
            kind="reminder_secondment_ending",
            params=_params(r, ends_on=r.ends_on),
            link=_link(r),
        )


def end_reports_overdue(session: Session, today: dt.date) -> Iterator[Notice]:
    due_days = Settings.from_env().secondments.policy().end_report_due_days
    s = Secondment
    hr = HrOfficers(session)
    ended = s.status.in_(sorted(lifecycle.ENDED))
    for r in _rows(session, ended, s.ends_on < ended_before(today, due_days), s.end_report_at.is_(None)):
        yield Notice(
            user_ids=users([r.lead_user_id], hr.of(r.host_agency_id)),
            cause_key=f"end_report_overdue:{r.id}",
            kind="reminder_end_report_overdue",
            params=_params(r, due_on=end_report_due(r.ends_on, due_days)),
            link=_link(r),
        )


def register() -> None:
    register_source("secondments_ending", secondments_ending)
    register_source("secondment_end_reports_overdue", end_reports_overdue)
