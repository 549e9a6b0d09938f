"""Reads of task forces for the pages: the task forces a user leads or oversees, and those of an agency subtree."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from hrsys.access.identity import CurrentUser
from hrsys.access.scope import subtree_bounds
from hrsys.agencies.models import Agency
from hrsys.agencies.overview import AgencyInfo
from hrsys.core.db import read_engine
from hrsys.taskforces.models import TaskForce, TaskForceMember

A = Agency.__table__
TF = TaskForce.__table__
TFM = TaskForceMember.__table__


def my_taskforces(engine: Engine, user: CurrentUser) -> list[dict[str, Any]]:
    """Task forces the user leads (leads), of their subtree (HR officers), or all (admins), newest first."""
    members = (
        sa.select(sa.func.count())
        .where(TFM.c.taskforce_id == TF.c.id, TFM.c.status == "active")
        .scalar_subquery()
        .label("members")
    )
    stmt = (
        sa.select(
            TF.c.id, TF.c.code, TF.c.name_th, TF.c.name_en, TF.c.status, TF.c.starts_on, TF.c.ends_on,
            TF.c.budget_baht, A.c.code.label("agency"), members,
        )
        .select_from(TF.join(A, A.c.id == TF.c.agency_id))
        .order_by(TF.c.starts_on.desc(), TF.c.id.desc())
        .limit(100)
    )  # fmt: skip
    if user.is_hr and user.agency_path:
        lo, hi = subtree_bounds(user.agency_path)
        stmt = stmt.where(A.c.path >= lo, A.c.path < hi)
    elif not user.is_admin:
        stmt = stmt.where(TF.c.lead_id == (user.person_id if user.person_id is not None else -1))
    with read_engine(engine).connect() as conn:
        return [dict(r._mapping) for r in conn.execute(stmt)]


def taskforce_ids_in(engine: Engine, root: AgencyInfo | None, limit: int = 20) -> list[int]:
    """Forming or active task forces owned in ``root``'s subtree (everywhere for None), newest first."""
    stmt = (
        sa.select(TF.c.id)
        .select_from(TF.join(A, A.c.id == TF.c.agency_id))
        .where(TF.c.status.in_(["forming", "active"]))
        .order_by(TF.c.starts_on.desc())
        .limit(limit)
    )
    if root is not None:
        lo, hi = subtree_bounds(root.path)
        stmt = stmt.where(A.c.path >= lo, A.c.path < hi)
    with read_engine(engine).connect() as conn:
        return list(conn.scalars(stmt))
