"""Courses and their sessions: the catalog's commands and reads (I/O; one transaction per command).

Every change to a course, its outcomes or prerequisites bumps the ``training_catalog``
version stamp so that each worker's planner reloads. A change that would make a
course its own prerequisite, directly or through others, is a 422 naming the cycle.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import msgspec
import networkx as nx
import sqlalchemy as sa
from sqlalchemy.orm import Session

from hrsys.careers.roles import resolve_skills
from hrsys.core import clock
from hrsys.core.copying import copied
from hrsys.core.errors import Conflict, FieldError, Invalid, NotFound, check
from hrsys.core.lookups import contains_text
from hrsys.core.stamps import bump_version
from hrsys.skills.catalog.models import Framework, Skill
from hrsys.training import catalog as course_cache
from hrsys.training import flows
from hrsys.training.models import (
    Course,
    CourseMode,
    CourseOutcome,
    CoursePrerequisite,
    CourseSession,
    DevelopmentPlanItem,
    Enrolment,
)
from hrsys.training.schemas import (
    CourseCreate,
    CourseListItem,
    CourseOut,
    CourseUpdate,
    OutcomeIn,
    OutcomeOut,
    SessionCreate,
    SessionOut,
)

STAMP = course_cache.STAMP


def get_course(session: Session, code: str) -> Course:
    course = session.scalar(sa.select(Course).where(Course.code == code))
    if course is None:
        raise NotFound("course", code)
    return course


def _outcomes_out(session: Session | sa.Connection, course_ids: Sequence[int]) -> dict[int, list[OutcomeOut]]:
    if not course_ids:
        return {}
    OC, S, F = CourseOutcome, Skill, Framework
    rows = session.execute(
        sa.select(OC.course_id, OC.skill_id, OC.level, F.code, S.code, S.name_en, S.name_th)
        .join(S, S.id == OC.skill_id)
        .join(F, F.id == S.framework_id)
        .where(OC.course_id.in_(list(course_ids)))
        .order_by(OC.course_id, OC.id)
    )
    out: dict[int, list[OutcomeOut]] = {}
    for cid, sid, level, fw, code, name_en, name_th in rows:
        out.setdefault(cid, []).append(
            OutcomeOut(skill=f"{fw}:{code}", skill_id=sid, name_en=name_en, name_th=name_th, level=level)
        )
    return out


def seats_taken(session: Session | sa.Connection, session_ids: Sequence[int]) -> dict[int, int]:
    if not session_ids:
        return {}
    rows = session.execute(
        sa.select(Enrolment.session_id, sa.func.count())
        .where(Enrolment.session_id.in_(list(session_ids)), Enrolment.status.in_(flows.SEAT_HOLDING))
        .group_by(Enrolment.session_id)
    )
    return {sid: n for sid, n in rows}


def session_out(s: CourseSession | sa.Row[Any], course_code: str, taken: int) -> SessionOut:
    """A session with its seats taken and free (``s``: the row or a result row of its columns)."""
    return copied(SessionOut, s, course=course_code, taken=taken, free=max(0, s.capacity - taken))


def course_out(session: Session, course: Course) -> CourseOut:
    prereqs = session.scalars(
        sa.select(Course.code)
        .join(CoursePrerequisite, CoursePrerequisite.prerequisite_id == Course.id)
        .where(CoursePrerequisite.course_id == course.id)
        .order_by(Course.code)
    ).all()
    sessions = session.scalars(
        sa.select(CourseSession).where(CourseSession.course_id == course.id).order_by(CourseSession.starts_on)
    ).all()
    taken = seats_taken(session, [s.id for s in sessions])
    return copied(
        CourseOut,
        course,
        outcomes=_outcomes_out(session, [course.id]).get(course.id, []),
        prerequisites=list(prereqs),
        sessions=[session_out(s, course.code, taken.get(s.id, 0)) for s in sessions],
    )


def _list_item(c: Course, outcomes: list[OutcomeOut]) -> CourseListItem:
    return copied(CourseListItem, c, outcomes=outcomes)


def list_courses(
    session: Session,
    *,
    q: str | None = None,
    skill: str | None = None,
    mode: CourseMode | None = None,
    certified_v6: bool | None = None,
    include_inactive: bool = False,
    limit: int = 50,
    offset: int = 0,
) -> list[CourseListItem]:
    stmt = sa.select(Course)
    if not include_inactive:
        stmt = stmt.where(Course.active.is_(True))
    if mode is not None:
        stmt = stmt.where(Course.mode == mode)
    if certified_v6 is not None:
        stmt = stmt.where(Course.certified_v6 == certified_v6)
    if q:
        stmt = stmt.where(contains_text(q, Course.code, Course.title_en, Course.title_th, Course.provider))
    if skill is not None:
        ids = resolve_skills(session, [skill])
        if skill not in ids:
            raise Invalid.one("skill", f"no skill {skill} in the catalog")
        stmt = stmt.where(Course.id.in_(sa.select(CourseOutcome.course_id).where(CourseOutcome.skill_id == ids[skill])))
    courses = session.scalars(stmt.order_by(Course.code).limit(limit).offset(offset)).all()
    outcomes = _outcomes_out(session, [c.id for c in courses])
    return [_list_item(c, outcomes.get(c.id, [])) for c in courses]


def _outcome_rows(session: Session, outcomes: Sequence[OutcomeIn]) -> list[dict[str, Any]]:
    ids = resolve_skills(session, (o.skill for o in outcomes))
    check(
        [
            FieldError(f"outcomes[{i}].skill", f"no skill {o.skill} in the catalog")
            for i, o in enumerate(outcomes)
            if o.skill not in ids
        ]
    )
    return [{"skill_id": ids[o.skill], "level": o.level} for o in outcomes]


def _prerequisite_ids(session: Session, codes: Sequence[str]) -> list[int]:
    found = dict(session.execute(sa.select(Course.code, Course.id).where(Course.code.in_(list(codes)))).tuples().all())
    check(
        [FieldError(f"prerequisites[{i}]", f"no course with code {c}") for i, c in enumerate(codes) if c not in found]
    )
    return [found[c] for c in codes]


def _refuse_prerequisite_cycle(session: Session, course: Course, prereq_ids: Sequence[int]) -> None:
    """422 naming the cycle if ``course`` needing ``prereq_ids`` would make a course its own prerequisite."""
    g = nx.DiGraph()
    for cid, pid in session.execute(
        sa.select(CoursePrerequisite.course_id, CoursePrerequisite.prerequisite_id).where(
            CoursePrerequisite.course_id != course.id
        )
    ):
        g.add_edge(cid, pid)
    for pid in prereq_ids:
        if pid in g and course.id in g:
            try:
                back = nx.shortest_path(g, pid, course.id)
            except nx.NetworkXNoPath:
                continue
            cycle = [course.id, *back]
            codes = dict(session.execute(sa.select(Course.id, Course.code).where(Course.id.in_(cycle))).tuples().all())
            names = " -> ".join(codes[c] for c in cycle)
            raise Invalid(
                f"prerequisites would form a cycle: {names} (each course needs the next)",
                errors=[FieldError("prerequisites", f"cycle {names}")],
                extra={"cycle": [codes[c] for c in cycle]},
            )


def _columns(data: CourseCreate | CourseUpdate) -> dict[str, Any]:
    """The course's own columns that ``data`` gives (its outcomes and prerequisites are rows of their own)."""
    fields = msgspec.structs.asdict(data)
    return {k: v for k, v in fields.items() if k not in ("outcomes", "prerequisites") and v is not msgspec.UNSET}


def create_course(session: Session, data: CourseCreate) -> Course:
    if session.scalar(sa.select(Course.id).where(Course.code == data.code)) is not None:
        raise Conflict(f"course code {data.code} is taken", errors=[FieldError("code", "already in use")])
    errors: list[FieldError] = []
    try:
        outcome_rows = _outcome_rows(session, data.outcomes)
    except Invalid as exc:
        errors += exc.errors
        outcome_rows = []
    try:
        prereq_ids = _prerequisite_ids(session, data.prerequisites)
    except Invalid as exc:
        errors += exc.errors
        prereq_ids = []
    check(errors)
    course = Course(**_columns(data))
    session.add(course)
    session.flush()
    if outcome_rows:
        session.execute(sa.insert(CourseOutcome), [{"course_id": course.id, **r} for r in outcome_rows])
    if prereq_ids:
        session.execute(
            sa.insert(CoursePrerequisite), [{"course_id": course.id, "prerequisite_id": p} for p in prereq_ids]
        )
    bump_version(session, STAMP)
    return course


def update_course(session: Session, code: str, data: CourseUpdate) -> Course:
    course = get_course(session, code)
    for name, value in _columns(data).items():
        setattr(course, name, value)
    errors: list[FieldError] = []
    outcome_rows = prereq_ids = None
    if data.outcomes is not msgspec.UNSET:
        try:
            outcome_rows = _outcome_rows(session, data.outcomes)
        except Invalid as exc:
            errors += exc.errors
    if data.prerequisites is not msgspec.UNSET:
        if code in data.prerequisites:
            errors.append(FieldError("prerequisites", "a course cannot be its own prerequisite"))
        else:
            try:
                prereq_ids = _prerequisite_ids(session, data.prerequisites)
            except Invalid as exc:
                errors += exc.errors
    check(errors)
    if outcome_rows is not None:
        session.execute(sa.delete(CourseOutcome).where(CourseOutcome.course_id == course.id))
        if outcome_rows:
            session.execute(sa.insert(CourseOutcome), [{"course_id": course.id, **r} for r in outcome_rows])
    if prereq_ids is not None:
        _refuse_prerequisite_cycle(session, course, prereq_ids)
        session.execute(sa.delete(CoursePrerequisite).where(CoursePrerequisite.course_id == course.id))
        if prereq_ids:
            session.execute(
                sa.insert(CoursePrerequisite), [{"course_id": course.id, "prerequisite_id": p} for p in prereq_ids]
            )
    session.flush()
    bump_version(session, STAMP)
    return course


def delete_course(session: Session, code: str) -> None:
    """Delete a course nobody enrolled in, planned or needs as a prerequisite; else 409 (deactivate it)."""
    course = get_course(session, code)
    uses = []
    for what, stmt in (
        ("enrolments", sa.select(sa.func.count()).where(Enrolment.course_id == course.id)),
        ("development-plan items", sa.select(sa.func.count()).where(DevelopmentPlanItem.course_id == course.id)),
        (
            "courses that need it as a prerequisite",
            sa.select(sa.func.count()).where(CoursePrerequisite.prerequisite_id == course.id),
        ),
    ):
        n = session.scalar(stmt) or 0
        if n:
            uses.append(f"{n} {what}")
    if uses:
        raise Conflict(
            f"course {code} has {', '.join(uses)}; set active to false instead of deleting", rule="course_in_use"
        )
    session.delete(course)
    session.flush()
    bump_version(session, STAMP)


def add_session(session: Session, code: str, data: SessionCreate) -> SessionOut:
    course = get_course(session, code)
    s = CourseSession(course_id=course.id, **msgspec.structs.asdict(data))
    session.add(s)
    session.flush()
    return session_out(s, course.code, 0)


def list_sessions(session: Session, code: str, *, upcoming: bool = False) -> list[SessionOut]:
    course = get_course(session, code)
    stmt = sa.select(CourseSession).where(CourseSession.course_id == course.id)
    if upcoming:
        stmt = stmt.where(CourseSession.starts_on >= clock.today())
    sessions = session.scalars(stmt.order_by(CourseSession.starts_on, CourseSession.id)).all()
    taken = seats_taken(session, [s.id for s in sessions])
    return [session_out(s, course.code, taken.get(s.id, 0)) for s in sessions]
