"""The career graph, cached per process and per engine, reloaded when its version stamp moves.

Every write to roles, requirements or transitions bumps the ``career_graph``
version stamp in its own transaction (:func:`hrsys.core.stamps.bump_version`);
a catalog import bumps ``catalog`` (skill names). Each read compares both stamps
(version and time of change, so a stamp that restarts from zero after a reset is
still seen as new) with those the cache was built at and reloads on any
difference, so several workers on one database stay correct. The cache is only
ever filled from a connection of its own that has written nothing, never from a
request's write transaction, so an uncommitted change cannot leak into it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import networkx as nx
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from hrsys.careers.gap import Requirement
from hrsys.careers.models import Role, RoleRequirement, RoleTransition
from hrsys.careers.paths import RoleNode, TransitionEdge, build_graph
from hrsys.core import clock
from hrsys.core.cache import StampedCache
from hrsys.core.stamps import read_stamps
from hrsys.skills.catalog.models import Framework, Skill

STAMPS = ("career_graph", "catalog")


@dataclass(frozen=True)
class SkillInfo:
    id: int
    ref: str
    name_en: str
    name_th: str | None


@dataclass
class CareerData:
    stamp: tuple[Any, ...]
    version: int
    graph: nx.DiGraph
    roles: dict[int, RoleNode]
    by_code: dict[str, int]
    critical: set[int]
    position_levels: dict[int, list[str]]
    transitions: list[TransitionEdge]
    skills: dict[int, SkillInfo]
    loaded_at: dt.datetime = field(default_factory=clock.now)

    def role(self, code: str) -> RoleNode | None:
        rid = self.by_code.get(code)
        return self.roles.get(rid) if rid is not None else None


def read_stamp(conn: sa.Connection) -> tuple[Any, ...]:
    return read_stamps(conn, STAMPS)


def _version(stamp: tuple[Any, ...]) -> int:
    return next((int(v) for name, v, _ in stamp if name == "career_graph"), 0)


def load(conn: sa.Connection, stamp: tuple[Any, ...] = ()) -> CareerData:
    """Read every role, requirement and transition (three queries)."""
    R, Q, T = Role.__table__, RoleRequirement.__table__, RoleTransition.__table__
    S, F = Skill.__table__, Framework.__table__
    reqs: dict[int, list[Requirement]] = {}
    skills: dict[int, SkillInfo] = {}
    for role_id, skill_id, level, essential, weight, fw, code, name_en, name_th in conn.execute(
        sa.select(
            Q.c.role_id,
            Q.c.skill_id,
            Q.c.level,
            Q.c.essential,
            Q.c.weight,
            F.c.code,
            S.c.code,
            S.c.name_en,
            S.c.name_th,
        )
        .select_from(Q.join(S, S.c.id == Q.c.skill_id).join(F, F.c.id == S.c.framework_id))
        .order_by(Q.c.role_id, Q.c.id)
    ):
        reqs.setdefault(role_id, []).append(Requirement(skill_id, level, bool(essential), float(weight)))
        if skill_id not in skills:
            skills[skill_id] = SkillInfo(skill_id, f"{fw}:{code}", name_en, name_th)
    roles: dict[int, RoleNode] = {}
    critical: set[int] = set()
    position_levels: dict[int, list[str]] = {}
    for r in conn.execute(
        sa.select(
            R.c.id,
            R.c.code,
            R.c.title_en,
            R.c.title_th,
            R.c.track,
            R.c.level,
            R.c.retired,
            R.c.critical,
            R.c.position_levels,
        )
    ):
        roles[r.id] = RoleNode(
            id=r.id,
            code=r.code,
            title_en=r.title_en,
            title_th=r.title_th,
            track=str(r.track.value if hasattr(r.track, "value") else r.track),
            level=r.level,
            requirements=tuple(reqs.get(r.id, ())),
            retired=bool(r.retired),
        )
        if r.critical:
            critical.add(r.id)
        position_levels[r.id] = list(r.position_levels or [])
    transitions = [
        TransitionEdge(t.from_role_id, t.to_role_id, str(t.kind.value), float(t.min_years), t.id)
        for t in conn.execute(sa.select(T.c.id, T.c.from_role_id, T.c.to_role_id, T.c.kind, T.c.min_years))
    ]
    return CareerData(
        stamp=stamp,
        version=_version(stamp),
        graph=build_graph(roles.values(), transitions),
        roles=roles,
        by_code={r.code: r.id for r in roles.values()},
        critical=critical,
        position_levels=position_levels,
        transitions=transitions,
        skills=skills,
    )


_stamped: StampedCache[CareerData] = StampedCache(read_stamp, load)


def career_data(engine: Engine, conn: sa.Connection | None = None) -> CareerData:
    """The current value for ``engine``'s database (reloaded only when a stamp moved).

    ``conn``: a read connection of the caller's that has written nothing (saves a pool check-out).
    """
    return _stamped.get(engine, conn)
