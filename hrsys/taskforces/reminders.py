"""Reminders of KPI actuals due (registered with :mod:`hrsys.notifications.reminders`): a KPI of a task
force not closed, due within 14 days or already past, with no value measured since 14 days before its due
date (:func:`~hrsys.notifications.reminder_rules.kpi_actual_due`), to the task force's lead. Once per KPI
and due date.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import sqlalchemy as sa
from sqlalchemy.orm import Session

from hrsys.access.models import User
from hrsys.notifications.bulk import Notice
from hrsys.notifications.reminder_rules import KPI_ACTUAL_LEAD_DAYS, kpi_actual_due
from hrsys.notifications.reminders import STREAM, register_source
from hrsys.taskforces.models import Kpi, KpiActual, TaskForce
from hrsys.taskforces.states import TaskForceStatus


def kpi_actuals_due(session: Session, today: dt.date) -> Iterator[Notice]:
    last = (sa.select(sa.func.max(KpiActual.measured_on)).where(KpiActual.kpi_id == Kpi.id).scalar_subquery()).label(
        "last_measured"
    )
    stmt = (
        sa.select(
            Kpi.id,
            Kpi.taskforce_id,
            Kpi.name_th,
            Kpi.name_en,
            Kpi.due_on,
            TaskForce.name_th.label("tf_th"),
            TaskForce.name_en.label("tf_en"),
            User.id.label("user_id"),
            last,
        )
        .join(TaskForce, TaskForce.id == Kpi.taskforce_id)
        .join(User, sa.and_(User.person_id == TaskForce.lead_id, User.active.is_(True)))
        .where(
            TaskForce.status != TaskForceStatus.closed,
            Kpi.due_on.is_not(None),
            Kpi.due_on <= today + dt.timedelta(days=KPI_ACTUAL_LEAD_DAYS),
        )
        .execution_options(yield_per=STREAM)
    )
    for r in session.execute(stmt):
        if not kpi_actual_due(r.due_on, r.last_measured, today):
            continue
        yield Notice(
            user_ids=(r.user_id,),
            cause_key=f"kpi_actual_due:{r.id}:{r.due_on.isoformat()}",
            kind="reminder_kpi_actual_due",
            params={
                "kpi_th": r.name_th or r.name_en,
                "kpi_en": r.name_en,
                "taskforce_th": r.tf_th,
                "taskforce_en": r.tf_en,
                "due_on": r.due_on,
            },
            link=f"/lead/taskforces/{r.taskforce_id}#kpi-{r.id}",
        )


def register() -> None:
    register_source("kpi_actuals_due", kpi_actuals_due)
