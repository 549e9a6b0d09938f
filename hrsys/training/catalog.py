"""The course catalog as the planner sees it, cached per process and engine.

Reloaded when the ``training_catalog`` version stamp (bumped by every change to
courses, their outcomes or prerequisites) or the ``catalog`` stamp (skills)
moves; see :mod:`hrsys.careers.cache` for why the stamps carry their time of
change and why the cache is filled only from a connection of its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from hrsys.core.cache import StampedCache
from hrsys.core.stamps import read_stamps
from hrsys.training.models import Course, CourseOutcome, CoursePrerequisite
from hrsys.training.plan_instance import PlanCourse, index_outcomes

STAMP = "training_catalog"
STAMPS = (STAMP, "catalog")


@dataclass(frozen=True)
class CourseInfo:
    id: int
    code: str
    title_en: str
    title_th: str
    provider: str
    hours: float
    cost_baht: int
    mode: str
    certified_v6: bool
    active: bool


@dataclass
class CourseCatalog:
    stamp: tuple[Any, ...]
    info: dict[int, CourseInfo]
    by_code: dict[str, int]
    by_baht: dict[int, PlanCourse]
    by_hours: dict[int, PlanCourse]
    by_skill: dict[int, list[tuple[int, int]]]
    """``{skill_id: [(course_id, level)]}`` over active courses."""
    teachable: dict[int, int]
    """Highest level to which some plannable course (itself and its prerequisites active) raises each skill."""

    def plan_courses(self, cost: str) -> dict[int, PlanCourse]:
        return self.by_hours if cost == "hours" else self.by_baht


def read_stamp(conn: sa.Connection) -> tuple[Any, ...]:
    return read_stamps(conn, STAMPS)


def load(conn: sa.Connection, stamp: tuple[Any, ...] = ()) -> CourseCatalog:
    C, OC, P = Course.__table__, CourseOutcome.__table__, CoursePrerequisite.__table__
    outcomes: dict[int, list[tuple[int, int]]] = {}
    for cid, sid, level in conn.execute(sa.select(OC.c.course_id, OC.c.skill_id, OC.c.level)):
        outcomes.setdefault(cid, []).append((sid, level))
    prereqs: dict[int, list[int]] = {}
    for cid, pid in conn.execute(sa.select(P.c.course_id, P.c.prerequisite_id)):
        prereqs.setdefault(cid, []).append(pid)
    info: dict[int, CourseInfo] = {}
    by_baht: dict[int, PlanCourse] = {}
    by_hours: dict[int, PlanCourse] = {}
    for r in conn.execute(
        sa.select(
            C.c.id,
            C.c.code,
            C.c.title_en,
            C.c.title_th,
            C.c.provider,
            C.c.hours,
            C.c.cost_baht,
            C.c.mode,
            C.c.certified_v6,
            C.c.active,
        )
    ):
        mode = r.mode.value if hasattr(r.mode, "value") else str(r.mode)
        info[r.id] = CourseInfo(
            r.id, r.code, r.title_en, r.title_th, r.provider, float(r.hours), int(r.cost_baht), mode,
            bool(r.certified_v6), bool(r.active),
        )  # fmt: skip
        outs = tuple(sorted(outcomes.get(r.id, ())))
        pre = tuple(sorted(prereqs.get(r.id, ())))
        by_baht[r.id] = PlanCourse(r.id, float(r.cost_baht), outs, pre, bool(r.active))
        by_hours[r.id] = PlanCourse(r.id, float(r.hours), outs, pre, bool(r.active))
    plannable: dict[int, bool] = {}

    def can_plan(cid: int) -> bool:
        # Iterative: prerequisite chains can be long; the graph is acyclic (checked on write).
        stack = [cid]
        while stack:
            c = stack[-1]
            if c in plannable:
                stack.pop()
                continue
            course = by_baht.get(c)
            if course is None or not course.available:
                plannable[c] = False
                stack.pop()
                continue
            pending = [p for p in course.prerequisites if p not in plannable]
            if pending:
                stack.extend(pending)
                continue
            plannable[c] = all(plannable[p] for p in course.prerequisites)
            stack.pop()
        return plannable[cid]

    teachable: dict[int, int] = {}
    for cid, course in by_baht.items():
        if not course.outcomes or not can_plan(cid):
            continue
        for sid, level in course.outcomes:
            if level > teachable.get(sid, 0):
                teachable[sid] = level
    return CourseCatalog(
        stamp=stamp,
        info=info,
        by_code={c.code: c.id for c in info.values()},
        by_baht=by_baht,
        by_hours=by_hours,
        by_skill=index_outcomes(by_baht.values()),
        teachable=teachable,
    )


_stamped: StampedCache[CourseCatalog] = StampedCache(read_stamp, load)


def course_catalog(engine: Engine, conn: sa.Connection | None = None) -> CourseCatalog:
    """The current value for ``engine``'s database (reloaded only when a stamp moved).

    ``conn``: a read connection of the caller's that has written nothing (saves a pool check-out).
    """
    return _stamped.get(engine, conn)
