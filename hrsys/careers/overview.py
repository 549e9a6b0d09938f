"""Reads of careers for the pages: a person's heading with their role, the skill heat map of an agency subtree,
and the skills a role requires (first in the self-assessment form).

The heat map sets the demand of the people's roles (role requirements, this package's) against their supply
(current skill levels); the agency tree and the skill groups come from their own packages.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from hrsys.agencies.overview import AgencyInfo, columns_of, paths_under
from hrsys.careers import cache
from hrsys.careers.models import RoleRequirement
from hrsys.core.db import read_engine
from hrsys.people.models import Person
from hrsys.people.overview import person_heading
from hrsys.skills.assessments.models import CurrentSkill
from hrsys.skills.catalog.models import Skill
from hrsys.skills.overview import group_roots

CS = CurrentSkill.__table__
P = Person.__table__
RR = RoleRequirement.__table__
S = Skill.__table__

HEAT_MAX_COLUMNS = 40
"""Columns of the heat map at most; people of sub-agencies past it are counted in the first column (the root)."""


def person_header(engine: Engine, person_id: int) -> dict[str, Any] | None:
    """Name, agency, position and role (the career cache's :class:`~hrsys.careers.paths.RoleNode`) of a person
    for a page heading."""
    data = cache.career_data(engine)
    heading = person_heading(engine, person_id)
    if heading is None:
        return None
    role_id = heading.pop("role_id")
    role = data.roles.get(role_id) if role_id is not None else None
    return {**heading, "role": role, "role_since": heading.pop("role_since")}


def requirement_skill_ids(engine: Engine, role_id: int | None) -> list[int]:
    """The skills the role requires (none without a role)."""
    if role_id is None:
        return []
    with read_engine(engine).connect() as conn:
        return list(conn.scalars(sa.select(RR.c.skill_id).where(RR.c.role_id == role_id)))


@dataclass
class HeatMap:
    columns: list[AgencyInfo]
    rows: list[tuple[int, str, str]]
    """Top-level skill groups (id, Thai, English) with any demand."""
    cells: dict[tuple[int, int], tuple[int, int]] = field(default_factory=dict)
    """(group id, column agency id) -> (requirements met, requirements)."""


def heat_map(engine: Engine, root: AgencyInfo | None) -> HeatMap:
    """Skill supply against demand by top-level skill group and agency.

    Demand: every (person, requirement of the person's role) pair of active people in the
    column's subtree; supply: those pairs whose current level reaches the requirement. The
    columns are ``root`` and its direct sub-agencies (each counting its own subtree), or the
    top-level agencies when ``root`` is None. One grouped query over ``person`` x
    ``role_requirement`` x ``current_skill`` (indexed on person and skill), then a pass in Python.
    """
    with read_engine(engine).connect() as conn:
        columns = columns_of(conn, root)[:HEAT_MAX_COLUMNS]
        paths = paths_under(conn, root)
        met = sa.func.sum(sa.case((sa.func.coalesce(CS.c.level, 0) >= RR.c.level, 1), else_=0))
        stmt = (
            sa.select(P.c.agency_id, S.c.group_id, sa.func.count().label("n"), met.label("met"))
            .select_from(
                P.join(RR, RR.c.role_id == P.c.role_id)
                .join(S, S.c.id == RR.c.skill_id)
                .outerjoin(CS, sa.and_(CS.c.person_id == P.c.id, CS.c.skill_id == RR.c.skill_id))
            )
            .where(P.c.active, P.c.agency_id.in_([pid for pid, _ in paths]), S.c.group_id.is_not(None))
            .group_by(P.c.agency_id, S.c.group_id)
        )
        groups = group_roots(conn)
        counts = conn.execute(stmt).all()
    # the column of each agency: the deepest column whose path prefixes the agency's path
    col_of: dict[int, int] = {}
    by_depth = sorted(columns, key=lambda c: -len(c.path))
    for aid, path in paths:
        for c in by_depth:
            if path.startswith(c.path) and (root is None or c.id != root.id or path == root.path):
                col_of[aid] = c.id
                break
        else:
            if root is not None and path.startswith(root.path):
                col_of[aid] = root.id
    cells: dict[tuple[int, int], tuple[int, int]] = {}
    used: dict[int, tuple[int, str, str]] = {}
    for agency_id, group_id, n, n_met in counts:
        col = col_of.get(agency_id)
        top = groups.get(group_id)
        if col is None or top is None:
            continue
        used[top[0]] = top
        have, need = cells.get((top[0], col), (0, 0))
        cells[(top[0], col)] = (have + int(n_met or 0), need + int(n))
    rows = sorted(used.values(), key=lambda g: g[2])
    return HeatMap(columns=columns, rows=rows, cells=cells)
