"""Courses, sessions, enrolments and training plans (I/O; one transaction per command).

Every change to a course, its outcomes or prerequisites bumps the
``training_catalog`` version stamp so that each worker's planner reloads.
Completing an enrolment records one ``training`` assessment per course outcome
(linked to the enrolment) and refreshes the person's current profile through
the skills package's profile rule, in the same transaction. Enrolling checks
the course's prerequisites (completed, or taken earlier in the same development
plan); a completion is never dated before its session starts.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import msgspec
import networkx as nx
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from hrsys.careers import cache as career_cache
from hrsys.careers.gap import compute_gap
from hrsys.careers.service import load_profile, person_facts, resolve_skills
from hrsys.core import clock
from hrsys.core.db import lock_for_edit, read_engine, utcnow
from hrsys.core.errors import Conflict, FieldError, Invalid, NotFound, check
from hrsys.core.stamps import bump_version
from hrsys.people.models import Person
from hrsys.skills.assessments.models import Assessment, AssessmentSource
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
    EnrolmentStatus,
)
from hrsys.training.plan import Need, solve
from hrsys.training.schemas import (
    CompletionReport,
    CourseCreate,
    CourseListItem,
    CourseOut,
    CourseUpdate,
    EnrolmentCreate,
    EnrolmentOut,
    EnrolmentStatusChange,
    OutcomeIn,
    OutcomeOut,
    PlanGapItem,
    PlannedCourse,
    RecordedAssessment,
    SessionCreate,
    SessionOut,
    TrainingPlanOut,
)

STAMP = course_cache.STAMP


# --- courses --------------------------------------------------------------------------------------


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


def _seats_taken(session: Session | sa.Connection, session_ids: Sequence[int]) -> dict[int, int]:
    if not session_ids:
        return {}
    rows = session.execute(
        sa.select(Enrolment.session_id, sa.func.count())
        .where(Enrolment.session_id.in_(list(session_ids)), Enrolment.status.in_(flows.SEAT_HOLDING))
        .group_by(Enrolment.session_id)
    )
    return {sid: n for sid, n in rows}


def _session_out(s: CourseSession, course_code: str, taken: int) -> SessionOut:
    return SessionOut(
        id=s.id,
        course=course_code,
        starts_on=s.starts_on,
        ends_on=s.ends_on,
        capacity=s.capacity,
        location=s.location,
        taken=taken,
        free=max(0, s.capacity - taken),
    )


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
    taken = _seats_taken(session, [s.id for s in sessions])
    return CourseOut(
        id=course.id,
        code=course.code,
        title_th=course.title_th,
        title_en=course.title_en,
        provider=course.provider,
        hours=course.hours,
        cost_baht=course.cost_baht,
        mode=course.mode,
        description=course.description,
        certified_v6=course.certified_v6,
        active=course.active,
        outcomes=_outcomes_out(session, [course.id]).get(course.id, []),
        prerequisites=list(prereqs),
        sessions=[_session_out(s, course.code, taken.get(s.id, 0)) for s in sessions],
    )


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
        like = f"%{q.lower()}%"
        stmt = stmt.where(
            sa.or_(
                sa.func.lower(Course.code).like(like),
                sa.func.lower(Course.title_en).like(like),
                Course.title_th.like(f"%{q}%"),
                sa.func.lower(Course.provider).like(like),
            )
        )
    if skill is not None:
        ids = resolve_skills(session, [skill])
        if skill not in ids:
            raise Invalid.one("skill", f"no skill {skill} in the catalog")
        stmt = stmt.where(Course.id.in_(sa.select(CourseOutcome.course_id).where(CourseOutcome.skill_id == ids[skill])))
    courses = session.scalars(stmt.order_by(Course.code).limit(limit).offset(offset)).all()
    outcomes = _outcomes_out(session, [c.id for c in courses])
    return [
        CourseListItem(
            id=c.id,
            code=c.code,
            title_th=c.title_th,
            title_en=c.title_en,
            provider=c.provider,
            hours=c.hours,
            cost_baht=c.cost_baht,
            mode=c.mode,
            certified_v6=c.certified_v6,
            active=c.active,
            outcomes=outcomes.get(c.id, []),
        )
        for c in courses
    ]


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
    course = Course(
        code=data.code,
        title_th=data.title_th,
        title_en=data.title_en,
        provider=data.provider,
        hours=data.hours,
        cost_baht=data.cost_baht,
        mode=data.mode,
        description=data.description,
        certified_v6=data.certified_v6,
        active=data.active,
    )
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
    for name in ("title_th", "title_en", "provider", "hours", "cost_baht", "mode", "description", "certified_v6",
                 "active"):  # fmt: skip
        value = getattr(data, name)
        if value is not msgspec.UNSET:
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
    s = CourseSession(
        course_id=course.id,
        starts_on=data.starts_on,
        ends_on=data.ends_on,
        capacity=data.capacity,
        location=data.location,
    )
    session.add(s)
    session.flush()
    return _session_out(s, course.code, 0)


def list_sessions(session: Session, code: str, *, upcoming: bool = False) -> list[SessionOut]:
    course = get_course(session, code)
    stmt = sa.select(CourseSession).where(CourseSession.course_id == course.id)
    if upcoming:
        stmt = stmt.where(CourseSession.starts_on >= clock.today())
    sessions = session.scalars(stmt.order_by(CourseSession.starts_on, CourseSession.id)).all()
    taken = _seats_taken(session, [s.id for s in sessions])
    return [_session_out(s, course.code, taken.get(s.id, 0)) for s in sessions]


# --- enrolments -----------------------------------------------------------------------------------


def get_enrolment(session: Session, enrolment_id: int) -> Enrolment:
    e = session.get(Enrolment, enrolment_id)
    if e is None:
        raise NotFound("enrolment", enrolment_id)
    return e


def enrolment_out(session: Session, e: Enrolment) -> EnrolmentOut:
    code, title = session.execute(sa.select(Course.code, Course.title_en).where(Course.id == e.course_id)).one()
    assessments = session.execute(
        sa.select(Assessment.id, Framework.code, Skill.code, Assessment.level)
        .join(Skill, Skill.id == Assessment.skill_id)
        .join(Framework, Framework.id == Skill.framework_id)
        .where(Assessment.enrolment_id == e.id)
        .order_by(Assessment.id)
    ).all()
    return EnrolmentOut(
        id=e.id,
        person_id=e.person_id,
        course=code,
        course_title_en=title,
        session_id=e.session_id,
        status=e.status,
        pending_confirmation=e.status == EnrolmentStatus.enrolled and e.completion_reported_at is not None,
        completion_reported_at=e.completion_reported_at,
        completed_on=e.completed_on,
        confirmed_by_user_id=e.confirmed_by_user_id,
        version=e.version,
        allowed_next=flows.ENROLMENTS.allowed(e.status.value),
        assessments=[RecordedAssessment(id=i, skill=f"{fw}:{sc}", level=lv) for i, fw, sc, lv in assessments],
        completion_reported_by_user_id=e.completion_reported_by_user_id,
    )


def list_enrolments(
    session: Session,
    *,
    person_id: int | None = None,
    course: str | None = None,
    session_id: int | None = None,
    status: EnrolmentStatus | None = None,
    pending: bool | None = None,
    limit: int = 100,
    offset: int = 0,
    extra_conditions: Sequence[sa.ColumnElement[bool]] = (),
) -> list[EnrolmentOut]:
    stmt = sa.select(Enrolment).where(*extra_conditions)
    if person_id is not None:
        stmt = stmt.where(Enrolment.person_id == person_id)
    if course is not None:
        stmt = stmt.where(Enrolment.course_id == get_course(session, course).id)
    if session_id is not None:
        stmt = stmt.where(Enrolment.session_id == session_id)
    if status is not None:
        stmt = stmt.where(Enrolment.status == status)
    if pending is not None:
        cond = sa.and_(Enrolment.status == EnrolmentStatus.enrolled, Enrolment.completion_reported_at.is_not(None))
        stmt = stmt.where(cond if pending else sa.not_(cond))
    rows = session.scalars(stmt.order_by(Enrolment.id).limit(limit).offset(offset)).all()
    return [enrolment_out(session, e) for e in rows]


def _lock_session_seats(session: Session, session_id: int, course_id: int, exclude: int | None = None) -> None:
    """Take a seat in course session ``session_id`` or raise 409 when it is full (serialised per session)."""
    stmt = sa.select(CourseSession).where(CourseSession.id == session_id)
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update()
    cs = session.scalar(stmt)
    if cs is None or cs.course_id != course_id:
        raise Invalid.one("session_id", f"no session {session_id} of this course")
    taken_stmt = sa.select(sa.func.count()).where(
        Enrolment.session_id == session_id, Enrolment.status.in_(flows.SEAT_HOLDING)
    )
    if exclude is not None:
        taken_stmt = taken_stmt.where(Enrolment.id != exclude)
    taken = session.scalar(taken_stmt) or 0
    if taken >= cs.capacity:
        raise Conflict(
            f"session {session_id} ({cs.starts_on} to {cs.ends_on}) is full: {taken} of {cs.capacity} seats taken",
            rule="session_full",
            extra={"session_id": session_id, "capacity": cs.capacity, "taken": taken},
        )


OPEN = (EnrolmentStatus.planned, EnrolmentStatus.enrolled)


def _check_prerequisites(
    session: Session, person_id: int, course: Course, target: CourseSession | None, status: EnrolmentStatus
) -> None:
    """409 ``prerequisites_not_met`` unless each prerequisite of ``course`` is met for this enrolment.

    A prerequisite is met when the person completed it, or when a planned or enrolled
    enrolment of theirs is in a session of it that ends before ``target`` starts and both
    courses are items of one development plan of theirs (not cancelled or done). Without
    a session (a planned enrolment), an open enrolment in the prerequisite within the same
    plan is enough for now; the dates are checked when a session is chosen.
    """
    from hrsys.training.models import DevelopmentPlan, PlanStatus

    prereqs = session.execute(
        sa.select(CoursePrerequisite.prerequisite_id, Course.code)
        .join(Course, Course.id == CoursePrerequisite.prerequisite_id)
        .where(CoursePrerequisite.course_id == course.id)
        .order_by(Course.code)
    ).all()
    if not prereqs:
        return
    ids = [pid for pid, _ in prereqs]
    done = set(
        session.scalars(
            sa.select(Enrolment.course_id).where(
                Enrolment.person_id == person_id,
                Enrolment.status == EnrolmentStatus.completed,
                Enrolment.course_id.in_(ids),
            )
        )
    )
    pending = [(pid, code) for pid, code in prereqs if pid not in done]
    if not pending:
        return
    plans_with_course = (
        sa.select(DevelopmentPlanItem.plan_id)
        .join(DevelopmentPlan, DevelopmentPlan.id == DevelopmentPlanItem.plan_id)
        .where(
            DevelopmentPlan.person_id == person_id,
            DevelopmentPlan.status.not_in([PlanStatus.cancelled, PlanStatus.done]),
            DevelopmentPlanItem.course_id == course.id,
        )
    )
    same_plan = set(
        session.scalars(
            sa.select(DevelopmentPlanItem.course_id).where(
                DevelopmentPlanItem.plan_id.in_(plans_with_course), DevelopmentPlanItem.course_id.in_(ids)
            )
        )
    )
    taken: dict[int, list[dt.date | None]] = {}
    for cid, ends_on in session.execute(
        sa.select(Enrolment.course_id, CourseSession.ends_on)
        .outerjoin(CourseSession, CourseSession.id == Enrolment.session_id)
        .where(Enrolment.person_id == person_id, Enrolment.status.in_(OPEN), Enrolment.course_id.in_(ids))
    ):
        taken.setdefault(cid, []).append(ends_on)
    missing = []
    for pid, code in pending:
        ends = taken.get(pid, []) if pid in same_plan else []
        if target is None:
            ok = bool(ends) and status == EnrolmentStatus.planned
        else:
            ok = any(e is not None and e < target.starts_on for e in ends)
        if not ok:
            missing.append(code)
    if missing:
        when = f"session {target.id} starts on {target.starts_on}" if target is not None else "no session is chosen"
        names = ", ".join(missing)
        raise Conflict(
            f"{course.code} needs {names} first: completed, or taken in the same development plan in a session "
            f"that ends before this one starts ({when})",
            rule="prerequisites_not_met",
            extra={
                "course": course.code,
                "missing": missing,
                "message_th": f"ต้องผ่านหลักสูตร {names} ก่อน: สำเร็จแล้ว หรือลงเรียนในแผนพัฒนาเดียวกันในรอบที่จบก่อนรอบนี้เริ่ม",
            },
        )


def create_enrolment(session: Session, data: EnrolmentCreate, *, actor_user_id: int | None = None) -> Enrolment:
    errors: list[FieldError] = []
    if session.get(Person, data.person_id) is None:
        errors.append(FieldError("person_id", f"no person {data.person_id}"))
    course = session.scalar(sa.select(Course).where(Course.code == data.course))
    if course is None:
        errors.append(FieldError("course", f"no course with code {data.course}"))
    elif not course.active:
        errors.append(FieldError("course", f"course {data.course} is no longer offered"))
    if data.session_id is not None and course is not None:
        cs = session.get(CourseSession, data.session_id)
        if cs is None or cs.course_id != course.id:
            errors.append(FieldError("session_id", f"no session {data.session_id} of this course"))
    check(errors)
    assert course is not None
    status = EnrolmentStatus(data.status or ("enrolled" if data.session_id is not None else "planned"))
    if (
        status == EnrolmentStatus.enrolled
        and actor_user_id is not None
        and user_person_id(session, actor_user_id) == data.person_id
    ):
        raise Conflict(
            "you cannot enrol yourself: plan the course for yourself (status planned) and another HR officer "
            "enrols you",
            rule="separation_of_duties",
            extra={"person_id": data.person_id},
        )
    open_one = session.scalar(
        sa.select(Enrolment.id).where(
            Enrolment.person_id == data.person_id,
            Enrolment.course_id == course.id,
            Enrolment.status.in_([EnrolmentStatus.planned, EnrolmentStatus.enrolled]),
        )
    )
    if open_one is not None:
        raise Conflict(
            f"person {data.person_id} already has an open enrolment ({open_one}) in {data.course}",
            extra={"enrolment_id": open_one},
        )
    target = None
    if data.session_id is not None:
        target = session.get(CourseSession, data.session_id)
        if target is None or target.course_id != course.id:
            raise Invalid.one("session_id", f"no session {data.session_id} of this course")
    _check_prerequisites(session, data.person_id, course, target, status)
    if data.session_id is not None and status == EnrolmentStatus.enrolled:
        _lock_session_seats(session, data.session_id, course.id)
    e = Enrolment(person_id=data.person_id, course_id=course.id, session_id=data.session_id, status=status)
    session.add(e)
    session.flush()
    return e


def _check_version(e: Enrolment, version: int | None) -> None:
    if version is not None and version != e.version:
        raise Conflict(
            f"enrolment {e.id} was changed by someone else (version {e.version}, you sent {version})",
            rule="stale_edit",
        )


def _complete(session: Session, e: Enrolment, completed_on: dt.date, actor_user_id: int | None) -> None:
    """Mark completed, record a training assessment per outcome, refresh the profile, tick plan items."""
    from hrsys.skills.assessments.service import refresh_current

    course = session.get(Course, e.course_id)
    assert course is not None
    e.status = EnrolmentStatus.completed
    e.completed_on = completed_on
    e.confirmed_by_user_id = actor_user_id
    outcomes = session.execute(
        sa.select(CourseOutcome.skill_id, CourseOutcome.level).where(CourseOutcome.course_id == course.id)
    ).all()
    for skill_id, level in outcomes:
        session.add(
            Assessment(
                person_id=e.person_id,
                skill_id=skill_id,
                level=level,
                source=AssessmentSource.training,
                assessor_name=course.provider[:300],
                evidence=f"Completed course {course.code} ({course.title_en})",
                assessed_on=completed_on,
                enrolment_id=e.id,
                recorded_by_user_id=actor_user_id,
            )
        )
    session.flush()
    if outcomes:
        refresh_current(session, e.person_id, [sid for sid, _ in outcomes])
    _tick_plan_items(session, e.person_id, course.id)


def _tick_plan_items(session: Session, person_id: int, course_id: int) -> None:
    """Course items of the person's approved or in-progress plans are done once the course is completed."""
    from hrsys.training.models import DevelopmentPlan, PlanItemStatus, PlanStatus

    plan_ids = sa.select(DevelopmentPlan.id).where(
        DevelopmentPlan.person_id == person_id,
        DevelopmentPlan.status.in_([PlanStatus.approved, PlanStatus.in_progress]),
    )
    session.execute(
        sa.update(DevelopmentPlanItem)
        .where(
            DevelopmentPlanItem.plan_id.in_(plan_ids),
            DevelopmentPlanItem.course_id == course_id,
            DevelopmentPlanItem.status.in_([PlanItemStatus.todo, PlanItemStatus.in_progress]),
        )
        .values(status=PlanItemStatus.done)
        .execution_options(synchronize_session=False)
    )


def change_enrolment_status(
    session: Session, enrolment_id: int, data: EnrolmentStatusChange, *, actor_user_id: int | None = None
) -> Enrolment:
    """Move an enrolment along its flow (HR). Completion records assessments; a full session is a 409."""
    e = lock_for_edit(session, get_enrolment(session, enrolment_id))
    _check_version(e, data.version)
    new = data.status
    flows.ENROLMENTS.next(e.status.value, new.value, subject=e.id)
    if new == EnrolmentStatus.enrolled:
        sid = data.session_id if data.session_id is not None else e.session_id
        target = session.get(CourseSession, sid) if sid is not None else None
        if sid is not None and (target is None or target.course_id != e.course_id):
            raise Invalid.one("session_id", f"no session {sid} of this course")
        course = session.get(Course, e.course_id)
        assert course is not None
        _check_prerequisites(session, e.person_id, course, target, new)
        if sid is not None:
            _lock_session_seats(session, sid, e.course_id, exclude=e.id)
            e.session_id = sid
        e.status = new
    elif new == EnrolmentStatus.completed:
        if e.completion_reported_at is not None:
            _check_confirmer(session, e, actor_user_id)
        completed_on = data.completed_on or e.completed_on or clock.today()
        _refuse_before_session(session, e, completed_on)
        _complete(session, e, completed_on, actor_user_id)
    else:
        e.status = new
    session.flush()
    return e


def _refuse_before_session(session: Session, e: Enrolment, completed_on: dt.date) -> None:
    """422 on ``completed_on`` when it is before the enrolment's session starts."""
    if e.session_id is None:
        return
    starts_on = session.scalar(sa.select(CourseSession.starts_on).where(CourseSession.id == e.session_id))
    if starts_on is not None and completed_on < starts_on:
        raise Invalid.one(
            "completed_on", f"{completed_on} is before the session starts ({starts_on}); a course ends after it starts"
        )


def report_completion(
    session: Session, enrolment_id: int, data: CompletionReport, *, actor_user_id: int | None = None
) -> Enrolment:
    """The learner says they completed the course: pending until an HR officer confirms."""
    e = get_enrolment(session, enrolment_id)
    if e.status != EnrolmentStatus.enrolled:
        raise Conflict(
            f"only an enrolled course can be reported complete; this enrolment is {e.status.value}",
            allowed=flows.ENROLMENTS.allowed(e.status.value),
            rule="enrolment_flow",
        )
    completed_on = data.completed_on or clock.today()
    _refuse_before_session(session, e, completed_on)
    e.completion_reported_at = utcnow()
    e.completion_reported_by_user_id = actor_user_id
    e.completed_on = completed_on
    session.flush()
    return e


def confirm_completion(session: Session, enrolment_id: int, *, actor_user_id: int | None = None) -> Enrolment:
    """An HR officer confirms a reported completion: it completes and records the assessments."""
    e = get_enrolment(session, enrolment_id)
    if e.status != EnrolmentStatus.enrolled or e.completion_reported_at is None:
        raise Conflict(
            f"enrolment {e.id} has no completion waiting for confirmation (status {e.status.value})",
            rule="nothing_to_confirm",
        )
    _check_confirmer(session, e, actor_user_id)
    _complete(session, e, e.completed_on or clock.today(), actor_user_id)
    session.flush()
    return e


_APP_USER = sa.table("app_user", sa.column("id"), sa.column("person_id"))


def user_person_id(session: Session, user_id: int) -> int | None:
    """The person record of a user (staff sign in as themselves), if any."""
    return session.scalar(sa.select(_APP_USER.c.person_id).where(_APP_USER.c.id == user_id))


def _check_confirmer(session: Session, e: Enrolment, actor_user_id: int | None) -> None:
    """Separation of duties: nobody confirms their own completion, and whoever reported a completion (the
    learner, or HR for them) does not confirm it (409 ``separation_of_duties``), by ``/confirm`` or by
    completing it through ``/status``. Unknown users (commands, imports) are not compared."""
    if actor_user_id is None:
        return
    if actor_user_id == e.completion_reported_by_user_id:
        raise Conflict(
            "you reported this completion: another HR officer must confirm it",
            rule="separation_of_duties",
            extra={"completion_reported_by_user_id": actor_user_id},
        )
    if user_person_id(session, actor_user_id) == e.person_id:
        raise Conflict(
            "this enrolment is yours: another HR officer must confirm its completion",
            rule="separation_of_duties",
            extra={"person_id": e.person_id},
        )


# --- training plans -------------------------------------------------------------------------------


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
        out[cid] = SessionOut(
            id=r.id, course=codes[r.course_id], starts_on=r.starts_on, ends_on=r.ends_on, capacity=r.capacity,
            location=r.location, taken=r.taken, free=r.capacity - r.taken,
        )  # fmt: skip
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
            PlannedCourse(
                position=pos,
                code=info.code,
                title_en=info.title_en,
                title_th=info.title_th,
                provider=info.provider,
                hours=info.hours,
                cost_baht=info.cost_baht,
                mode=info.mode,
                certified_v6=info.certified_v6,
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
