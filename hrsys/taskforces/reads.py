"""A task force as the API answers it: the detail with its needs, members, KPIs and budget, and the list."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from hrsys.agencies.models import Agency
from hrsys.core.copying import copied
from hrsys.core.db import read_engine
from hrsys.core.errors import Invalid, check
from hrsys.core.lookups import contains_text
from hrsys.core.pagination import COUNT_CAP, Page, page_errors
from hrsys.taskforces import states
from hrsys.taskforces.members import members_out, people_refs
from hrsys.taskforces.models import TaskForce, TaskForceMember, TaskForceNeed
from hrsys.taskforces.monitoring import budget_out, kpis_out
from hrsys.taskforces.needs import needs_out
from hrsys.taskforces.schemas import AgencyRef, TaskForceListItem, TaskForceOut
from hrsys.taskforces.states import MemberStatus, TaskForceStatus

T = TaskForce.__table__
N = TaskForceNeed.__table__
M = TaskForceMember.__table__
A = Agency.__table__


def to_out(session: Session, tf: TaskForce, *, show_members: bool = True) -> TaskForceOut:
    agency = session.execute(sa.select(A.c.code, A.c.name_th, A.c.name_en).where(A.c.id == tf.agency_id)).one()
    lead = people_refs(session, {tf.lead_id}).get(tf.lead_id) if tf.lead_id else None
    return copied(
        TaskForceOut,
        tf,
        agency=copied(AgencyRef, agency),
        lead=lead,
        allowed_moves=states.TASKFORCES.allowed(tf.status),
        needs=needs_out(session, tf.id),
        members=members_out(session, tf.id) if show_members else None,
        kpis=kpis_out(session, tf.id),
        budget=budget_out(session, tf.id),
    )


def list_taskforces(
    engine: Engine,
    *,
    agency: str | None = None,
    status: TaskForceStatus | None = None,
    q: str | None = None,
    active_on: dt.date | None = None,
    limit: int = 50,
    offset: int = 0,
) -> Page[TaskForceListItem]:
    """A page of task forces (newest first) with counts of needs, active members and people waiting to consent
    (each person once), in one round trip."""
    errors = page_errors(limit, offset)
    check(errors)
    conds: list[sa.ColumnElement[bool]] = []
    if agency is not None:
        root = sa.select(A.c.path).where(A.c.code == agency).scalar_subquery()
        hi = sa.func.substr(root, 1, sa.func.length(root) - 1) + sa.literal("0")
        conds.append(T.c.agency_id.in_(sa.select(A.c.id).where(A.c.path >= root, A.c.path < hi)))
    if status is not None:
        conds.append(T.c.status == status)
    if q:
        conds.append(contains_text(q, T.c.name_en, T.c.name_th, T.c.code))
    if active_on is not None:
        conds.append(sa.and_(T.c.starts_on <= active_on, T.c.ends_on >= active_on))
    n_needs = sa.select(sa.func.count()).where(N.c.taskforce_id == T.c.id).scalar_subquery()
    n_members = (
        sa.select(sa.func.count(sa.distinct(M.c.person_id)))
        .where(M.c.taskforce_id == T.c.id, M.c.status == MemberStatus.active)
        .scalar_subquery()
    )
    M2 = M.alias("already")
    n_pending = (
        sa.select(sa.func.count(sa.distinct(M.c.person_id)))
        .where(
            M.c.taskforce_id == T.c.id,
            M.c.status == MemberStatus.pending,
            ~sa.exists().where(
                M2.c.taskforce_id == T.c.id, M2.c.person_id == M.c.person_id, M2.c.status == MemberStatus.active
            ),
        )
        .scalar_subquery()
    )
    counted = sa.select(sa.func.count()).select_from(sa.select(T.c.id).where(*conds).limit(COUNT_CAP + 1).subquery())
    stmt = (
        sa.select(
            T.c.id,
            T.c.code,
            T.c.name_th,
            T.c.name_en,
            A.c.code.label("agency"),
            T.c.status,
            T.c.starts_on,
            T.c.ends_on,
            T.c.budget_baht,
            n_needs.label("needs"),
            n_members.label("members"),
            n_pending.label("pending_members"),
            counted.scalar_subquery().label("total"),
        )
        .select_from(T.join(A, A.c.id == T.c.agency_id))
        .where(*conds)
        .order_by(T.c.starts_on.desc(), T.c.id.desc())
        .limit(limit)
        .offset(offset)
    )
    with read_engine(engine).connect() as conn:
        rows = conn.execute(stmt).all()
        total = rows[0].total if rows else (conn.scalar(counted) or 0)
        if not rows and agency is not None and conn.scalar(sa.select(A.c.id).where(A.c.code == agency)) is None:
            raise Invalid.one("agency", f"no agency with code {agency}")
    items = [copied(TaskForceListItem, r) for r in rows]
    return Page(items=items, total=min(total, COUNT_CAP), total_exact=total <= COUNT_CAP, limit=limit, offset=offset)
