"""The training plan of a person toward a role: the I/O around the pure solver of :mod:`hrsys.training.plan`.

Reads the role (the careers cache), the person's profile and completed courses, the
cached course catalog, solves, and picks for each planned course the next session
with a free seat that follows its prerequisites' sessions.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from hrsys.careers import cache as career_cache
from hrsys.careers.gap import compute_gap
from hrsys.careers.service import load_profile, person_facts
from hrsys.core import clock
from hrsys.core.copying import copied
from hrsys.core.db import read_engine
from hrsys.core.errors import Invalid
from hrsys.training import catalog as course_cache
from hrsys.training import flows
from hrsys.training.courses import session_out
from hrsys.training.models import (
    CourseSession,
    Enrolment,
    EnrolmentStatus,
)
from hrsys.training.plan import solve
from hrsys.training.plan_instance import Need
from hrsys.training.schemas import (
    PlanGapItem,
    PlannedCourse,
    SessionOut,
    TrainingPlanOut,
)


def _completed_courses(conn: sa.Connection, person_id: int) -> set[int]:
    return set(
        conn.scalars(
            sa.select(Enrolment.course_id).where(
                Enrolment.person_id == person_id, Enrolment.status == EnrolmentStatus.completed
            )
        )
    )


def _next_sessions(
    conn: sa.Connection,
    course_ids: Sequence[int],
    codes: dict[int, str],
    prerequisites: dict[int, tuple[int, ...]] | None = None,
) -> dict[int, SessionOut]:
    """The session of each planned course: the first upcoming one with a free seat that starts
    after the sessions chosen for its prerequisites in the plan end (one query for all).

    ``course_ids`` is the plan's order (prerequisites first). A course whose prerequisite in
    the plan has no such session gets none either: no session of it could follow.
    """
    if not course_ids:
        return {}
    S = CourseSession.__table__
    taken = (
        sa.select(Enrolment.session_id, sa.func.count().label("n"))
        .where(Enrolment.status.in_(flows.SEAT_HOLDING), Enrolment.course_id.in_(list(course_ids)))
        .group_by(Enrolment.session_id)
        .subquery()
    )
    rows = conn.execute(
        sa.select(S, sa.func.coalesce(taken.c.n, 0).label("taken"))
        .select_from(S.outerjoin(taken, taken.c.session_id == S.c.id))
        .where(S.c.course_id.in_(list(course_ids)), S.c.starts_on >= clock.today())
        .order_by(S.c.course_id, S.c.starts_on, S.c.id)
    ).all()
    by_course: dict[int, list[Any]] = {}
    for r in rows:
        if r.taken < r.capacity:
            by_course.setdefault(r.course_id, []).append(r)
    planned = set(course_ids)
    out: dict[int, SessionOut] = {}
    blocked: set[int] = set()
    for cid in course_ids:
        before = [p for p in (prerequisites or {}).get(cid, ()) if p in planned]
        if any(p in blocked for p in before):
            blocked.add(cid)
            continue
        after = max((out[p].ends_on for p in before), default=None)
        fits = [r for r in by_course.get(cid, []) if after is None or r.starts_on > after]
        if not fits:
            blocked.add(cid)
            continue
        r = fits[0]
        out[cid] = session_out(r, codes[r.course_id], r.taken)  # a free seat: taken < capacity
    return out


def training_plan(
    engine: Engine,
    person_id: int,
    role_code: str,
    *,
    cost: str = "baht",
    budget: float | None = None,
    essential_only: bool = False,
    method: str = "auto",
    with_sessions: bool = True,
) -> TrainingPlanOut:
    """The cheapest courses that close the person's gap for the role (see :mod:`hrsys.training.plan`)."""
    with read_engine(engine).connect() as conn:
        careers = career_cache.career_data(engine, conn)
        catalog = course_cache.course_catalog(engine, conn)
        role_id = careers.by_code.get(role_code)
        if role_id is None:
            raise Invalid.one("role", f"no role with code {role_code}")
        role = careers.roles[role_id]
        person_facts(conn, person_id)
        profile = load_profile(conn, person_id)
        completed = _completed_courses(conn, person_id)
        reqs = [r for r in role.requirements if r.essential or not essential_only]
        needs = [Need(r.skill_id, r.level, profile.get(r.skill_id, 0), r.essential, r.weight) for r in reqs]
        courses = catalog.plan_courses(cost)
        result = solve(needs, courses, completed=completed, budget=budget, by_skill=catalog.by_skill, method=method)
        sessions = (
            _next_sessions(
                conn,
                result.course_ids,
                {c: catalog.info[c].code for c in result.course_ids},
                {c: courses[c].prerequisites for c in result.course_ids},
            )
            if with_sessions
            else {}
        )
    need_by_skill = {n.skill_id: n for n in needs}
    planned = []
    outcomes_after: dict[int, int] = dict(profile)
    for pos, cid in enumerate(result.course_ids, start=1):
        info = catalog.info[cid]
        closes = [
            careers.skills[sid].ref
            for sid, level in courses[cid].outcomes
            if sid in need_by_skill and need_by_skill[sid].have < need_by_skill[sid].need <= level
        ]
        for sid, level in courses[cid].outcomes:
            if level > outcomes_after.get(sid, 0):
                outcomes_after[sid] = level
        planned.append(
            copied(
                PlannedCourse,
                info,
                position=pos,
                closes=closes,
                prerequisite_only=not closes,
                next_session=sessions.get(cid),
            )
        )

    def gap_item(sid: int) -> PlanGapItem:
        n = need_by_skill[sid]
        info = careers.skills.get(sid)
        return PlanGapItem(
            skill=info.ref if info else str(sid),
            name_en=info.name_en if info else "",
            need=n.need,
            have=n.have,
            essential=n.essential,
        )

    return TrainingPlanOut(
        person_id=person_id,
        role=role.code,
        cost_unit=cost,  # type: ignore[arg-type]
        budget=budget,
        total_cost=result.cost,
        total_baht=sum(catalog.info[c].cost_baht for c in result.course_ids),
        total_hours=round(sum(catalog.info[c].hours for c in result.course_ids), 2),
        algorithm=result.algorithm,
        optimal=result.optimal,
        bound=result.bound,
        bound_note=result.bound_note,
        readiness_now=compute_gap(role.requirements, profile).readiness,
        readiness_after=compute_gap(role.requirements, outcomes_after).readiness,
        courses=planned,
        covered=[careers.skills[s].ref for s in result.covered if s in careers.skills],
        no_course=[gap_item(s) for s in result.no_course],
        over_budget=[gap_item(s) for s in result.over_budget],
    )
