"""Monitoring of a task force: KPIs with their dated actual values, and the money per Thai fiscal year under
the separation of duties (:func:`put_budget`); and the lists of them."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from hrsys.core.copying import changes, columns, copied
from hrsys.core.errors import Conflict, FieldError, Invalid, NotFound, check
from hrsys.core.fiscal import fiscal_year, fiscal_year_bounds
from hrsys.core.lookups import part_or_404
from hrsys.taskforces.models import Kpi, KpiActual, TaskForceBudget
from hrsys.taskforces.schemas import ActualCreate, ActualOut, BudgetOut, BudgetPut, KpiCreate, KpiOut, KpiUpdate
from hrsys.taskforces.service import added, get, part_of, today

FY_MIN, FY_MAX = 2500, 2700


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


def budget_out(session: Session, taskforce_id: int) -> list[BudgetOut]:
    rows = session.scalars(
        sa.select(TaskForceBudget)
        .where(TaskForceBudget.taskforce_id == taskforce_id)
        .order_by(TaskForceBudget.fiscal_year)
    )
    out = []
    for b in rows:
        lo, hi = fiscal_year_bounds(b.fiscal_year)
        out.append(copied(BudgetOut, b, starts_on=lo, ends_on=hi))
    return out


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


def _budget_rule(message: str, rule: str, **extra: Any) -> Conflict:
    return Conflict(message, rule=rule, extra=extra or None)


def put_budget(
    session: Session, taskforce_id: int, year: int, data: BudgetPut, *, user_id: int | None = None
) -> list[BudgetOut]:
    """Set the money of one Thai fiscal year (BE). The year must touch the task force's period (or be the year
    after it ends, when late payments are disbursed).

    Separation of duties, by signed-in user (``user_id``; None for commands, which are not compared):

    - whoever changes ``requested_baht`` becomes the requester, and the requester never approves: a change of
      ``approved_baht`` by them is a 409 ``separation_of_duties``;
    - ``approved_baht`` above the request needs a second approver: one user approves the request in full,
      then a different user (neither the requester nor that approver) raises it above; otherwise a 409
      ``excess_needs_second_approver``. A new request forgets the excess approval, and an approval that the
      request no longer covers is a 409 ``approved_exceeds_requested``;
    - nothing is disbursed for a task force cancelled before it started (409 ``cancelled_no_disbursement``).
    """
    tf = get(session, taskforce_id, lock=True)
    first, last = fiscal_year(tf.starts_on), fiscal_year(tf.ends_on) + 1
    if not FY_MIN <= year <= FY_MAX:
        raise Invalid.one("fiscal_year", f"must be a Buddhist Era year between {FY_MIN} and {FY_MAX}")
    if not first <= year <= last:
        raise Invalid.one(
            "fiscal_year", f"task force {tf.code} runs in fiscal years {first} to {last - 1} (payments until {last})"
        )
    row = session.scalar(
        sa.select(TaskForceBudget).where(TaskForceBudget.taskforce_id == tf.id, TaskForceBudget.fiscal_year == year)
    )
    if row is None:
        row = TaskForceBudget(taskforce_id=tf.id, fiscal_year=year, requested_baht=0, approved_baht=0)
        session.add(row)
    if tf.cancelled and data.disbursed_baht > 0:
        raise _budget_rule(
            f"task force {tf.code} was cancelled before it started: nothing can be disbursed for it",
            "cancelled_no_disbursement",
        )
    requested_by, approved_by, excess_by = (
        row.requested_by_user_id,
        row.approved_by_user_id,
        row.excess_approved_by_user_id,
    )
    if data.requested_baht != row.requested_baht:
        requested_by, excess_by = user_id, None
    if data.approved_baht != row.approved_baht:
        if user_id is not None and user_id == requested_by:
            raise _budget_rule(
                f"you requested the money of fiscal year {year}: someone else must approve it",
                "separation_of_duties",
                requested_by_user_id=requested_by,
            )
        if data.approved_baht <= data.requested_baht:
            approved_by, excess_by = (user_id if data.approved_baht else None), None
        else:
            covered = row.approved_baht >= data.requested_baht and approved_by is not None
            if user_id is not None and (not covered or approved_by == user_id):
                raise _budget_rule(
                    f"approving {data.approved_baht:,} baht against {data.requested_baht:,} requested needs two "
                    "approvers: one approves the request in full, then another approves the excess",
                    "excess_needs_second_approver",
                    requested_baht=data.requested_baht,
                    approved_by_user_id=approved_by if covered else None,
                )
            excess_by = user_id
    if data.approved_baht > data.requested_baht and excess_by is None and user_id is not None:
        raise _budget_rule(
            f"{data.approved_baht:,} baht approved would exceed the {data.requested_baht:,} requested without an "
            "approval of the excess: lower the approval first, or have a second approver approve the excess",
            "approved_exceeds_requested",
            requested_baht=data.requested_baht,
            approved_baht=data.approved_baht,
        )
    row.requested_baht = data.requested_baht
    row.approved_baht = data.approved_baht
    row.disbursed_baht = data.disbursed_baht
    row.requested_by_user_id, row.approved_by_user_id, row.excess_approved_by_user_id = (
        requested_by,
        approved_by,
        excess_by,
    )
    session.flush()
    return budget_out(session, tf.id)


def delete_budget(session: Session, taskforce_id: int, year: int) -> None:
    tf = get(session, taskforce_id)
    row = session.scalar(
        sa.select(TaskForceBudget).where(TaskForceBudget.taskforce_id == tf.id, TaskForceBudget.fiscal_year == year)
    )
    if row is None:
        raise NotFound("budget of fiscal year", year)
    session.delete(row)
    session.flush()
