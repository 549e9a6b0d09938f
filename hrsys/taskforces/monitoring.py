"""Monitoring of a task force: KPIs with their dated actual values, and their lists. The money per Thai fiscal
year is in :mod:`hrsys.taskforces.budget` (its names are re-exported here for the callers of before)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

import sqlalchemy as sa
from sqlalchemy.orm import Session

from hrsys.core.copying import changes, columns, copied
from hrsys.core.errors import Conflict, FieldError, Invalid, check
from hrsys.core.lookups import part_or_404
from hrsys.taskforces.budget import budget_out, delete_budget, put_budget
from hrsys.taskforces.models import Kpi, KpiActual
from hrsys.taskforces.schemas import ActualCreate, ActualOut, KpiCreate, KpiOut, KpiUpdate
from hrsys.taskforces.service import added, get, part_of, today

__all__ = [
    "add_actual",
    "add_kpi",
    "budget_out",  # from budget
    "delete_actual",
    "delete_budget",  # from budget
    "delete_kpi",
    "kpis_out",
    "put_budget",  # from budget
    "update_kpi",
]


def kpis_out(session: Session, taskforce_id: int) -> list[KpiOut]:
    kpis = session.scalars(sa.select(Kpi).where(Kpi.taskforce_id == taskforce_id).order_by(Kpi.id)).all()
    actuals: dict[int, list[ActualOut]] = defaultdict(list)
    if kpis:
        for a in session.scalars(
            sa.select(KpiActual)
            .where(KpiActual.kpi_id.in_([k.id for k in kpis]))
            .order_by(KpiActual.kpi_id, KpiActual.measured_on)
        ):
            actuals[a.kpi_id].append(copied(ActualOut, a))
    return [copied(KpiOut, k, actuals=actuals.get(k.id, [])) for k in kpis]


def add_kpi(session: Session, taskforce_id: int, data: KpiCreate) -> Kpi:
    tf = get(session, taskforce_id)
    return added(session, Kpi(taskforce_id=tf.id, **columns(data)))


def update_kpi(session: Session, taskforce_id: int, kpi_id: int, data: KpiUpdate) -> Kpi:
    tf = get(session, taskforce_id)
    kpi = part_of(session, tf, Kpi, kpi_id, "KPI")
    new = changes(data)
    errors = [
        FieldError(f, "cannot be empty")
        for f in ("kind", "name_en", "unit", "baseline", "target", "higher_is_better")
        if f in new and new[f] is None
    ]
    check(errors)
    target = new.get("target", kpi.target)
    baseline = new.get("baseline", kpi.baseline)
    hib = new.get("higher_is_better", kpi.higher_is_better)
    if target == baseline:
        errors.append(FieldError("target", "must differ from the baseline"))
    elif (target > baseline) != hib:
        errors.append(FieldError("target", f"must be {'above' if hib else 'below'} the baseline"))
    check(errors)
    for field, value in new.items():
        setattr(kpi, field, value)
    session.flush()
    return kpi


def delete_kpi(session: Session, taskforce_id: int, kpi_id: int) -> None:
    tf = get(session, taskforce_id)
    kpi = part_of(session, tf, Kpi, kpi_id, "KPI")
    session.execute(sa.delete(KpiActual).where(KpiActual.kpi_id == kpi.id))
    session.delete(kpi)
    session.flush()


def add_actual(
    session: Session, taskforce_id: int, kpi_id: int, data: ActualCreate, *, on: dt.date | None = None
) -> KpiActual:
    """Record a dated actual value; one per KPI and day (409 for a second), never in the future (422)."""
    on = on or today()
    tf = get(session, taskforce_id)
    kpi = part_of(session, tf, Kpi, kpi_id, "KPI")
    if data.measured_on > on:
        raise Invalid.one("measured_on", f"is in the future (today is {on})")
    existing = session.scalar(
        sa.select(KpiActual.id).where(KpiActual.kpi_id == kpi.id, KpiActual.measured_on == data.measured_on)
    )
    if existing is not None:
        raise Conflict(
            f"KPI {kpi.id} already has a value measured on {data.measured_on} (actual {existing}); "
            "delete it to record another",
            errors=[FieldError("measured_on", "already recorded")],
            extra={"actual_id": existing},
        )
    return added(session, KpiActual(kpi_id=kpi.id, **columns(data)))


def delete_actual(session: Session, taskforce_id: int, kpi_id: int, actual_id: int) -> None:
    tf = get(session, taskforce_id)
    kpi = part_of(session, tf, Kpi, kpi_id, "KPI")
    actual = part_or_404(session, KpiActual, actual_id, "KPI actual", kpi_id=kpi.id)
    session.delete(actual)
    session.flush()
