"""Reports over many secondments (Core, a few round trips each): what needs action, the cost of a fiscal
year per agency, and knowledge-transfer coverage per host agency."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from hrsys.core import clock
from hrsys.core.copying import copied
from hrsys.core.db import read_engine
from hrsys.core.errors import FieldError, Invalid, check
from hrsys.core.fiscal import fiscal_year_bounds
from hrsys.core.pagination import page_errors
from hrsys.secondments import costs, lifecycle, rules
from hrsys.secondments.lifecycle import SecondmentStatus
from hrsys.secondments.lookups import AG, COI, KT, PER, SEC, TR, person_names, require_agency, subtree
from hrsys.secondments.policy import SecondmentPolicy
from hrsys.secondments.rules import Period
from hrsys.secondments.schemas import (
    AgencyCostRow,
    AgencyCoverageRow,
    AgencyRef,
    AlertGroup,
    AlertItem,
    Alerts,
    CareerCapGroup,
    CareerCapItem,
    CostReport,
    CostTotals,
    CoverageReport,
)

S = SecondmentStatus


def _days_between(dialect: str, start: Any, end: Any) -> Any:
    """``end - start + 1`` in days, on either database."""
    if dialect == "postgresql":
        return end - start + 1
    return sa.cast(sa.func.julianday(end) - sa.func.julianday(start), sa.Integer) + 1


def _alert_group(
    conn: sa.Connection,
    conds: list[Any],
    order: list[Any],
    limit: int,
    days: Any,
    note: Any = None,
    extra: Sequence[Any] = (),
) -> AlertGroup:
    """One group of alerts: its total count and its first ``limit`` items, in one round trip.

    ``days(row)`` and ``note(row)`` turn a row (with the ``extra`` columns) into the item's figures.
    """
    cols = [
        SEC.c.id,
        SEC.c.status,
        SEC.c.person_id,
        PER.c.first_name_th,
        PER.c.last_name_th,
        PER.c.first_name_en,
        PER.c.last_name_en,
        AG.c.code.label("host_code"),
        SEC.c.starts_on,
        SEC.c.ends_on,
    ]
    stmt = (
        sa.select(*cols, *extra, sa.func.count().over().label("total"))
        .select_from(SEC.join(PER, PER.c.id == SEC.c.person_id).join(AG, AG.c.id == SEC.c.host_agency_id))
        .where(*conds)
        .order_by(*order)
        .limit(limit)
    )
    rows = conn.execute(stmt).all()
    items = [
        copied(
            AlertItem,
            r,
            secondment_id=r.id,
            **person_names(r),
            host_agency=r.host_code,
            days=days(r),
            note=note(r) if note is not None else "",
        )
        for r in rows
    ]
    return AlertGroup(count=rows[0].total if rows else 0, items=items)


def alerts(
    engine: Engine,
    *,
    policy: SecondmentPolicy,
    today: dt.date,
    agency: str | None = None,
    ending_within: int | None = None,
    limit: int = 20,
) -> Alerts:
    """What needs action, each group with its count and its most urgent ``limit`` items.

    One indexed query per group (``ix_secondment_status_ends_on``); the career-cap
    group first narrows people by a plain sum of days in SQL (an upper bound of
    the union), then computes the exact union in Python for those few.
    """
    horizon = policy.ending_soon_days if ending_within is None else ending_within
    errors = []
    if not 0 <= horizon <= 3650:
        errors.append(FieldError("ending_within", "must be between 0 and 3650 days"))
    errors += page_errors(limit)
    check(errors)
    in_progress = SEC.c.status.in_([str(x) for x in lifecycle.IN_PROGRESS])
    scope = [SEC.c.host_agency_id.in_(subtree(agency))] if agency is not None else []
    due = today - dt.timedelta(days=policy.end_report_due_days)
    with read_engine(engine).connect() as conn:
        require_agency(conn, agency)
        ending = _alert_group(
            conn,
            [*scope, in_progress, SEC.c.ends_on >= today, SEC.c.ends_on <= today + dt.timedelta(days=horizon)],
            [SEC.c.ends_on, SEC.c.id],
            limit,
            lambda r: (r.ends_on - today).days,
        )
        past_end = _alert_group(
            conn,
            [*scope, in_progress, SEC.c.ends_on < today],
            [SEC.c.ends_on, SEC.c.id],
            limit,
            lambda r: (today - r.ends_on).days,
        )
        reports = _alert_group(
            conn,
            [
                *scope,
                SEC.c.status.in_([str(x) for x in lifecycle.ENDED]),
                SEC.c.ends_on < due,
                SEC.c.end_report_at.is_(None),
            ],
            [SEC.c.ends_on, SEC.c.id],
            limit,
            lambda r: (due - r.ends_on).days,
        )
        submitted = (
            sa.select(sa.func.max(TR.c.at))
            .where(TR.c.secondment_id == SEC.c.id, TR.c.to_status == str(S.under_review))
            .scalar_subquery()
            .label("submitted_at")
        )
        coi_state = (
            sa.select(COI.c.decision)
            .where(COI.c.secondment_id == SEC.c.id)
            .order_by(COI.c.id.desc())
            .limit(1)
            .scalar_subquery()
            .label("coi_decision")
        )
        pending = _alert_group(
            conn,
            [*scope, SEC.c.status == str(S.under_review)],
            [SEC.c.starts_on, SEC.c.id],
            limit,
            lambda r: (today - clock.local(r.submitted_at).date()).days if r.submitted_at else 0,
            note=lambda r: (
                f"conflict-of-interest review {r.coi_decision or 'not declared'}; "
                f"starts in {(r.starts_on - today).days} day(s)"
            ),
            extra=[submitted, coi_state],
        )
        not_started = _alert_group(
            conn,
            [*scope, SEC.c.status == str(S.approved), SEC.c.starts_on < today],
            [SEC.c.starts_on, SEC.c.id],
            limit,
            lambda r: (today - r.starts_on).days,
        )
        career = _career_alerts(conn, policy, agency, limit)
    return Alerts(
        as_of=today,
        agency=agency,
        ending_within_days=horizon,
        ending_soon=ending,
        past_end_still_active=past_end,
        end_reports_overdue=reports,
        reviews_pending=pending,
        start_overdue=not_started,
        approaching_career_cap=career,
    )


def _career_alerts(conn: sa.Connection, policy: SecondmentPolicy, agency: str | None, limit: int) -> CareerCapGroup:
    """People within the warning margin of the career cap; with ``agency``, those hosted in or
    belonging to its subtree. The sum of days in SQL narrows the people (it is at least the
    union), the exact union is computed for those few; scope is applied to them last."""
    cap = rules.months_to_days(policy.career_cap_months)
    warn_at = cap - rules.months_to_days(policy.career_cap_warning_months)
    counted = SEC.c.status.in_([str(x) for x in lifecycle.SECONDED])
    days = _days_between(conn.dialect.name, SEC.c.starts_on, SEC.c.ends_on)
    candidates = (
        sa.select(SEC.c.person_id).where(counted).group_by(SEC.c.person_id).having(sa.func.sum(days) >= warn_at)
    )
    rows = conn.execute(
        sa.select(SEC.c.person_id, SEC.c.starts_on, SEC.c.ends_on, SEC.c.host_agency_id).where(
            counted, SEC.c.person_id.in_(candidates)
        )
    ).all()
    periods: dict[int, list[Period]] = {}
    hosts: dict[int, set[int]] = {}
    for r in rows:
        periods.setdefault(r.person_id, []).append(Period(r.starts_on, r.ends_on))
        hosts.setdefault(r.person_id, set()).add(r.host_agency_id)
    positions = {pid: rules.career_position(policy, ps) for pid, ps in periods.items()}
    flagged = sorted((p for p in positions.items() if p[1].warning), key=lambda p: (p[1].remaining_days, p[0]))
    people = {
        r.id: r
        for r in conn.execute(
            sa.select(
                PER.c.id, PER.c.agency_id, PER.c.first_name_th, PER.c.last_name_th, PER.c.first_name_en,
                PER.c.last_name_en,
            ).where(PER.c.id.in_([pid for pid, _ in flagged]))
        )
    }  # fmt: skip
    if agency is not None:
        scope = set(conn.scalars(sa.select(AG.c.id).where(AG.c.id.in_(subtree(agency)))))
        flagged = [(pid, pos) for pid, pos in flagged if hosts[pid] & scope or people[pid].agency_id in scope]
    items = [
        copied(
            CareerCapItem,
            pos,
            person_id=pid,
            **person_names(people[pid]),
        )
        for pid, pos in flagged[:limit]
    ]
    return CareerCapGroup(count=len(flagged), items=items)


def cost_report(engine: Engine, *, fiscal_year: int, agency: str | None = None) -> CostReport:
    """Cost of one Thai fiscal year per agency: host and sender shares of the secondments it hosts,
    and the sender shares it pays for its own staff seconded elsewhere.

    Counts approved, running, completed and terminated secondments (terminated up to their last day).
    """
    if not 2400 <= fiscal_year <= 2800:
        raise Invalid.one("fiscal_year", "a Thai fiscal year in the Buddhist Era, e.g. 2570 for Oct 2026 - Sep 2027")
    lo, hi = fiscal_year_bounds(fiscal_year)
    conds: list[Any] = [
        SEC.c.status.in_([str(x) for x in lifecycle.SECONDED]),
        SEC.c.starts_on <= hi,
        SEC.c.ends_on >= lo,
    ]
    with read_engine(engine).connect() as conn:
        require_agency(conn, agency)
        scope_ids: set[int] | None = None
        if agency is not None:
            scope_ids = set(conn.scalars(sa.select(AG.c.id).where(AG.c.id.in_(subtree(agency)))))
            conds.append(sa.or_(SEC.c.host_agency_id.in_(scope_ids), SEC.c.sending_agency_id.in_(scope_ids)))
        lines = [
            costs.CostLine(*r)
            for r in conn.execute(
                sa.select(
                    SEC.c.host_agency_id,
                    SEC.c.sending_agency_id,
                    SEC.c.starts_on,
                    SEC.c.ends_on,
                    SEC.c.monthly_cost_baht,
                    SEC.c.host_share_pct,
                ).where(*conds)
            )
        ]
        by_agency = [
            row for row in costs.cost_by_agency(lines, fiscal_year) if scope_ids is None or row.agency_id in scope_ids
        ]
        names = {
            r.id: r
            for r in conn.execute(
                sa.select(AG.c.id, AG.c.code, AG.c.name_th, AG.c.name_en).where(
                    AG.c.id.in_([r.agency_id for r in by_agency])
                )
            )
        }
    rows = [
        copied(AgencyCostRow, r, agency=copied(AgencyRef, names[r.agency_id]))
        for r in sorted(by_agency, key=lambda r: (-r.total_baht, -r.paid_as_sender_baht, names[r.agency_id].code))
    ]
    totals = CostTotals(
        secondments=sum(r.secondments for r in rows),
        months=round(sum(r.months for r in rows), 2),
        total_baht=sum(r.total_baht for r in rows),
        host_share_baht=sum(r.host_share_baht for r in rows),
        sender_share_baht=sum(r.sender_share_baht for r in rows),
    )
    return CostReport(fiscal_year=fiscal_year, starts_on=lo, ends_on=hi, agency=agency, rows=rows, totals=totals)


def coverage_report(engine: Engine, *, agency: str | None = None) -> CoverageReport:
    """Knowledge-transfer coverage per host agency: skills passed on over skills planned,
    over the secondments whose end report is in. One grouped query."""
    passed = sa.func.sum(sa.case((KT.c.level_reached >= KT.c.target_level, 1), else_=0))
    stmt = (
        sa.select(
            AG.c.code,
            AG.c.name_th,
            AG.c.name_en,
            sa.func.count(sa.distinct(SEC.c.id)),
            sa.func.count(KT.c.id),
            passed,
        )
        .select_from(SEC.join(AG, AG.c.id == SEC.c.host_agency_id).outerjoin(KT, KT.c.secondment_id == SEC.c.id))
        .where(SEC.c.end_report_at.is_not(None))
        .group_by(AG.c.code, AG.c.name_th, AG.c.name_en)
        .order_by(AG.c.code)
    )
    if agency is not None:
        stmt = stmt.where(SEC.c.host_agency_id.in_(subtree(agency)))
    with read_engine(engine).connect() as conn:
        require_agency(conn, agency)
        rows = conn.execute(stmt).all()

    def row(ref: AgencyRef, secondments: int, planned: int, passed_on: int) -> AgencyCoverageRow:
        return AgencyCoverageRow(
            agency=ref,
            secondments=secondments,
            planned=planned,
            passed_on=passed_on,
            coverage=round(passed_on / planned, 4) if planned else None,
        )

    out = [row(AgencyRef(code=r[0], name_th=r[1], name_en=r[2]), r[3], r[4], int(r[5] or 0)) for r in rows]
    totals = (
        row(
            AgencyRef(code=agency or "*", name_th="รวม", name_en="Total"),
            sum(r.secondments for r in out),
            sum(r.planned for r in out),
            sum(r.passed_on for r in out),
        )
        if out
        else None
    )
    return CoverageReport(agency=agency, rows=out, totals=totals)
