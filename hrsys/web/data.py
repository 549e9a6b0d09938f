"""What the pages show: reads built on the domain services, plus the few page-only queries.

Page handlers call these functions; each returns plain data for a template. The
services do the domain work (profiles, gaps, paths, training plans, proposals,
alerts); this module only gathers and shapes it, and adds the reads no API offers:
the skill heat map and "my task forces".
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from hrsys.access.identity import CurrentUser
from hrsys.access.scope import subtree_bounds
from hrsys.agencies.models import Agency
from hrsys.careers import cache as career_cache
from hrsys.careers.models import RoleRequirement
from hrsys.core import clock
from hrsys.core.cache import TtlCache
from hrsys.core.db import read_engine
from hrsys.core.errors import AppError
from hrsys.people.models import Person
from hrsys.skills.assessments.models import CurrentSkill
from hrsys.skills.catalog.models import Skill, SkillGroup
from hrsys.taskforces.models import TaskForce, TaskForceMember

A = Agency.__table__
P = Person.__table__
RR = RoleRequirement.__table__
S = Skill.__table__
SG = SkillGroup.__table__
CS = CurrentSkill.__table__
TF = TaskForce.__table__
TFM = TaskForceMember.__table__

HEAT_MAX_COLUMNS = 40
"""Columns of the heat map at most; people of sub-agencies past it are counted in the first column (the root)."""


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
        row = conn.execute(sa.select(A.c.id, A.c.code, A.c.name_th, A.c.name_en, A.c.path).where(cond)).first()
    return AgencyInfo(*row) if row else None


def person_header(engine: Engine, person_id: int) -> dict[str, Any] | None:
    """Name, agency and role of a person for a page heading."""
    data = career_cache.career_data(engine)
    with read_engine(engine).connect() as conn:
        row = conn.execute(
            sa.select(
                P.c.id, P.c.first_name_th, P.c.last_name_th, P.c.first_name_en, P.c.last_name_en,
                P.c.position_type, P.c.position_level, P.c.role_id, P.c.role_since,
                A.c.name_th.label("agency_th"), A.c.name_en.label("agency_en"),
            )
            .select_from(P.outerjoin(A, A.c.id == P.c.agency_id))
            .where(P.c.id == person_id)
        ).first()  # fmt: skip
    if row is None:
        return None
    role = data.roles.get(row.role_id) if row.role_id is not None else None
    return {
        "id": row.id,
        "name_th": f"{row.first_name_th} {row.last_name_th}",
        "name_en": f"{row.first_name_en} {row.last_name_en}",
        "agency_th": row.agency_th,
        "agency_en": row.agency_en,
        "position_type": row.position_type,
        "position_level": row.position_level,
        "role": role,
        "role_since": row.role_since,
    }


def _group_roots(conn: sa.Connection) -> dict[int, tuple[int, str, str]]:
    """Each skill group -> its top-level group (id, Thai name, English name)."""
    rows = {r.id: r for r in conn.execute(sa.select(SG.c.id, SG.c.parent_id, SG.c.name_th, SG.c.name_en))}
    out: dict[int, tuple[int, str, str]] = {}
    for gid in rows:
        g, seen = rows[gid], set()
        while g.parent_id is not None and g.parent_id in rows and g.id not in seen:
            seen.add(g.id)
            g = rows[g.parent_id]
        out[gid] = (g.id, g.name_th, g.name_en)
    return out


def profile_groups(engine: Engine, entries: list[Any]) -> list[tuple[str, list[Any]]]:
    """Profile entries grouped by their skill's top-level group, sorted by the group's English name.

    Keys are the English and Thai names joined by a NUL character (the framework code for a skill without a
    group). One query for the skills' groups and one for the group tree.
    """
    from hrsys.skills.catalog.models import Framework

    F = Framework.__table__
    refs = {e.skill.ref for e in entries}
    if not refs:
        return []
    with read_engine(engine).connect() as conn:
        roots = _group_roots(conn)
        rows = conn.execute(
            sa.select(F.c.code, S.c.code, S.c.group_id)
            .select_from(S.join(F, F.c.id == S.c.framework_id))
            .where(S.c.code.in_({r.split(":", 1)[1] for r in refs}))
        ).all()
    group_of = {f"{fw}:{code}": roots.get(gid) for fw, code, gid in rows}
    out: dict[str, list[Any]] = {}
    for e in entries:
        g = group_of.get(e.skill.ref)
        key = f"{g[2]}\u0000{g[1]}" if g else f"{e.skill.framework}\u0000{e.skill.framework}"
        out.setdefault(key, []).append(e)
    return sorted(out.items())


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
    cols: list[Any]
    with read_engine(engine).connect() as conn:
        if root is None:
            cols = list(
                conn.execute(
                    sa.select(A.c.id, A.c.code, A.c.name_th, A.c.name_en, A.c.path).where(A.c.parent_id.is_(None))
                ).all()
            )
            lo, hi = "", "\uffff"
        else:
            cols = [
                (root.id, root.code, root.name_th, root.name_en, root.path),
                *conn.execute(
                    sa.select(A.c.id, A.c.code, A.c.name_th, A.c.name_en, A.c.path)
                    .where(A.c.parent_id == root.id)
                    .order_by(A.c.code)
                ).all(),
            ]
            lo, hi = subtree_bounds(root.path)
        columns = [AgencyInfo(*c) for c in cols][:HEAT_MAX_COLUMNS]
        paths = conn.execute(sa.select(A.c.id, A.c.path).where(A.c.path >= lo, A.c.path < hi)).all()
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
        groups = _group_roots(conn)
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


def agencies_under(engine: Engine, user: CurrentUser, limit: int = 400) -> list[AgencyInfo]:
    """Agencies a dashboard may be about: the HR officer's subtree, every agency for admins (by path, so
    each sub-agency follows its parent)."""
    stmt = sa.select(A.c.id, A.c.code, A.c.name_th, A.c.name_en, A.c.path).order_by(A.c.path).limit(limit)
    if not user.is_admin:
        if not user.agency_path:
            return []
        lo, hi = subtree_bounds(user.agency_path)
        stmt = stmt.where(A.c.path >= lo, A.c.path < hi)
    with read_engine(engine).connect() as conn:
        return [AgencyInfo(*r) for r in conn.execute(stmt)]


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


def self_assessable_skills(engine: Engine, person_id: int, role_id: int | None) -> list[dict[str, Any]]:
    """Skills offered in the self-assessment form: the role's requirements first, then skills already held."""
    with read_engine(engine).connect() as conn:
        ids: list[int] = []
        if role_id is not None:
            ids += list(conn.scalars(sa.select(RR.c.skill_id).where(RR.c.role_id == role_id)))
        ids += [i for i in conn.scalars(sa.select(CS.c.skill_id).where(CS.c.person_id == person_id)) if i not in ids]
        if not ids:
            ids = list(conn.scalars(sa.select(S.c.id).where(S.c.retired.is_(False)).order_by(S.c.id).limit(30)))
        from hrsys.skills.catalog.models import Framework

        F = Framework.__table__
        rows = conn.execute(
            sa.select(S.c.id, S.c.code, S.c.name_th, S.c.name_en, F.c.code.label("fw"))
            .select_from(S.join(F, F.c.id == S.c.framework_id))
            .where(S.c.id.in_(ids))
        ).all()
    order = {sid: i for i, sid in enumerate(ids)}
    return [
        {"ref": f"{r.fw}:{r.code}", "name_th": r.name_th, "name_en": r.name_en}
        for r in sorted(rows, key=lambda r: order[r.id])
    ]


def safely(work: Any, *args: Any, **kwargs: Any) -> tuple[Any, str | None]:
    """Run a service call for one panel of a page: (result, None), or (None, the readable reason) when the
    service refuses (a page shows the other panels and the reason instead of failing whole)."""
    try:
        return work(*args, **kwargs), None
    except AppError as exc:
        return None, exc.detail if hasattr(exc, "detail") else str(exc)


def today() -> dt.date:
    return clock.today()


def session_engine(session: Session) -> Engine:
    bind = session.get_bind()
    return bind if isinstance(bind, Engine) else bind.engine


class PanelCache:
    """Dashboard figures kept for ``ttl`` seconds per key (per process, per app): the heat map, bench strength
    and training needs are aggregates over whole agency subtrees (about 0.5 s at 20,000 staff, seconds for
    all 500,000), so a dashboard reopened within the interval reuses them. The page says how old they are.
    ``settings.web.dashboard_ttl`` (``HRSYS_WEB_DASHBOARD_TTL``: seconds, default 300; 0 turns the cache off)."""

    def __init__(self, ttl: float) -> None:
        self._items: TtlCache[Any, tuple[dt.datetime, Any]] = TtlCache(ttl, max_keys=1_000)
        """Bounded: one entry per agency and panel at most."""

    @property
    def ttl(self) -> float:
        return self._items.ttl

    def get(self, key: Any, compute: Any) -> tuple[Any, dt.datetime]:
        """(value, when it was computed): the kept value if fresh, else ``compute()`` kept now."""
        hit = self._items.entry(self, key)
        if hit is not None:
            return hit.value[1], hit.value[0]
        value = compute()
        stamp = clock.now()
        self._items.put(self, key, (stamp, value))
        return value, stamp
