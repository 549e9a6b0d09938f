"""The monitoring report of one task force read from the database: its facts gathered, the members' costs
masked for the reader, and the rules applied by :func:`hrsys.taskforces.report.build_report`."""

from __future__ import annotations

import datetime as dt

import msgspec
import sqlalchemy as sa
from sqlalchemy.orm import Session

from hrsys.access.identity import CurrentUser
from hrsys.agencies.models import Agency
from hrsys.core.copying import copied
from hrsys.people.models import Person
from hrsys.taskforces.models import TaskForceMember
from hrsys.taskforces.monitoring import budget_out, kpis_out
from hrsys.taskforces.report import ActualFact, BudgetFact, KpiFact, MemberFact, Report, TaskForceFact, build_report
from hrsys.taskforces.service import get, today
from hrsys.taskforces.states import CONSENTED
from hrsys.taskforces.visibility import cost_visible

M = TaskForceMember.__table__
A = Agency.__table__
P = Person.__table__


def report(
    session: Session, taskforce_id: int, *, as_of: dt.date | None = None, viewer: CurrentUser | None = None
) -> Report:
    """The monitoring report (see :mod:`hrsys.taskforces.report` for the rules), with the costs of members
    whose cost ``viewer`` may not see masked (:mod:`hrsys.taskforces.visibility`)."""
    as_of = as_of or today()
    tf = get(session, taskforce_id)
    agency = session.scalar(sa.select(A.c.code).where(A.c.id == tf.agency_id)) or ""
    facts = copied(TaskForceFact, tf, agency=agency, status=tf.status.value)
    kpis = [
        copied(KpiFact, k, kind=k.kind.value, actuals=tuple(copied(ActualFact, a) for a in k.actuals))
        for k in kpis_out(session, tf.id)
    ]
    budgets = [
        BudgetFact(
            fiscal_year=b.fiscal_year, requested=b.requested_baht, approved=b.approved_baht, disbursed=b.disbursed_baht
        )
        for b in budget_out(session, tf.id)
    ]
    rows = session.execute(
        sa.select(
            M.c.person_id,
            M.c.allocation,
            M.c.starts_on,
            M.c.ends_on,
            M.c.status,
            P.c.first_name_th,
            P.c.last_name_th,
            P.c.kind,
            P.c.monthly_cost_baht,
        )
        .join(P, P.c.id == M.c.person_id)
        .where(M.c.taskforce_id == tf.id, M.c.status.in_(CONSENTED))  # not who waits for, or refused, consent
        .order_by(M.c.id)
    )
    members = [
        copied(
            MemberFact,
            r,
            name=f"{r.first_name_th} {r.last_name_th}",
            kind=str(getattr(r.kind, "value", r.kind)),
            status=str(getattr(r.status, "value", r.status)),
            monthly_cost=r.monthly_cost_baht,
            masked=False,
        )
        for r in rows
    ]
    visible = cost_visible(session, viewer, {m.person_id for m in members})
    members = [m if m.person_id in visible else msgspec.structs.replace(m, masked=True) for m in members]
    return build_report(facts, kpis, budgets, members, as_of)
