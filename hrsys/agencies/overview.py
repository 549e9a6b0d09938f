"""Reads of the agency tree for the pages: one agency, the agencies a dashboard may be about, a heat map's columns.

Plain rows (:class:`AgencyInfo`), read fresh through the read engine (the tree is small).
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from hrsys.access.identity import CurrentUser
from hrsys.access.scope import subtree_bounds
from hrsys.agencies.models import Agency
from hrsys.core.db import read_engine

A = Agency.__table__
_INFO = (A.c.id, A.c.code, A.c.name_th, A.c.name_en, A.c.path)


@dataclass
class AgencyInfo:
    id: int
    code: str
    name_th: str
    name_en: str
    path: str


def agency_of(engine: Engine, agency_id: int | None = None, code: str | None = None) -> AgencyInfo | None:
    """An agency by id or code (None if there is none)."""
    cond = A.c.id == agency_id if agency_id is not None else A.c.code == code
    with read_engine(engine).connect() as conn:
        row = conn.execute(sa.select(*_INFO).where(cond)).first()
    return AgencyInfo(*row) if row else None


def agencies_under(engine: Engine, user: CurrentUser, limit: int = 400) -> list[AgencyInfo]:
    """Agencies a dashboard may be about: the HR officer's subtree, every agency for admins (by path, so
    each sub-agency follows its parent)."""
    stmt = sa.select(*_INFO).order_by(A.c.path).limit(limit)
    if not user.is_admin:
        if not user.agency_path:
            return []
        lo, hi = subtree_bounds(user.agency_path)
        stmt = stmt.where(A.c.path >= lo, A.c.path < hi)
    with read_engine(engine).connect() as conn:
        return [AgencyInfo(*r) for r in conn.execute(stmt)]


def columns_of(conn: sa.Connection, root: AgencyInfo | None) -> list[AgencyInfo]:
    """``root`` and its direct sub-agencies by code, or the top-level agencies when ``root`` is None."""
    if root is None:
        return [AgencyInfo(*r) for r in conn.execute(sa.select(*_INFO).where(A.c.parent_id.is_(None)))]
    children = conn.execute(sa.select(*_INFO).where(A.c.parent_id == root.id).order_by(A.c.code))
    return [root, *(AgencyInfo(*r) for r in children)]


def paths_under(conn: sa.Connection, root: AgencyInfo | None) -> list[tuple[int, str]]:
    """``(id, path)`` of every agency in ``root``'s subtree (every agency when None)."""
    lo, hi = ("", "\uffff") if root is None else subtree_bounds(root.path)
    return [(i, p) for i, p in conn.execute(sa.select(A.c.id, A.c.path).where(A.c.path >= lo, A.c.path < hi))]
