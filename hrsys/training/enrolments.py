"""Enrolments: reading them, creating them, and the rules for taking a seat (I/O).

Enrolling (on creation, and on the move to ``enrolled``, see :mod:`hrsys.training.completions`)
checks the course's prerequisites (completed, or taken earlier in the same
development plan) and takes a seat of the session under a lock, so two requests for
the last seat cannot both win. Nobody enrols themselves.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.orm import Session

from hrsys.core.copying import copied
from hrsys.core.errors import Conflict, FieldError, Invalid, check
from hrsys.core.lookups import get_or_404
from hrsys.people.models import Person
from hrsys.skills.assessments.models import Assessment
from hrsys.skills.catalog.models import Framework, Skill
from hrsys.training import flows
from hrsys.training.courses import get_course
from hrsys.training.models import (
    Course,
    CoursePrerequisite,
    CourseSession,
    DevelopmentPlan,
    DevelopmentPlanItem,
    Enrolment,
    EnrolmentStatus,
    PlanStatus,
)
from hrsys.training.schemas import (
    EnrolmentCreate,
    EnrolmentOut,
    RecordedAssessment,
)


def get_enrolment(session: Session, enrolment_id: int) -> Enrolment:
    return get_or_404(session, Enrolment, enrolment_id, "enrolment")


def enrolment_out(session: Session, e: Enrolment) -> EnrolmentOut:
    code, title = session.execute(sa.select(Course.code, Course.title_en).where(Course.id == e.course_id)).one()
    assessments = session.execute(
        sa.select(Assessment.id, Framework.code, Skill.code, Assessment.level)
        .join(Skill, Skill.id == Assessment.skill_id)
        .join(Framework, Framework.id == Skill.framework_id)
        .where(Assessment.enrolment_id == e.id)
        .order_by(Assessment.id)
    ).all()
    return copied(
        EnrolmentOut,
        e,
        course=code,
        course_title_en=title,
        pending_confirmation=e.status == EnrolmentStatus.enrolled and e.completion_reported_at is not None,
        allowed_next=flows.ENROLMENTS.allowed(e.status.value),
        assessments=[RecordedAssessment(id=i, skill=f"{fw}:{sc}", level=lv) for i, fw, sc, lv in assessments],
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


def lock_session_seats(session: Session, session_id: int, course_id: int, exclude: int | None = None) -> None:
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


def check_prerequisites(
    session: Session, person_id: int, course: Course, target: CourseSession | None, status: EnrolmentStatus
) -> None:
    """409 ``prerequisites_not_met`` unless each prerequisite of ``course`` is met for this enrolment.

    A prerequisite is met when the person completed it, or when a planned or enrolled
    enrolment of theirs is in a session of it that ends before ``target`` starts and both
    courses are items of one development plan of theirs (not cancelled or done). Without
    a session (a planned enrolment), an open enrolment in the prerequisite within the same
    plan is enough for now; the dates are checked when a session is chosen.
    """
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
    check_prerequisites(session, data.person_id, course, target, status)
    if data.session_id is not None and status == EnrolmentStatus.enrolled:
        lock_session_seats(session, data.session_id, course.id)
    e = Enrolment(person_id=data.person_id, course_id=course.id, session_id=data.session_id, status=status)
    session.add(e)
    session.flush()
    return e


_APP_USER = sa.table("app_user", sa.column("id"), sa.column("person_id"))


def user_person_id(session: Session, user_id: int) -> int | None:
    """The person record of a user (staff sign in as themselves), if any."""
    return session.scalar(sa.select(_APP_USER.c.person_id).where(_APP_USER.c.id == user_id))


def require_another_decider(
    session: Session,
    actor_user_id: int | None,
    *,
    requester: tuple[str, int | None],
    person_id: int,
    requested: str,
    own: str,
) -> None:
    """Separation of duties: whoever asked (``requester``: its field name and user id) and the person the
    request is about never decide it (409 ``separation_of_duties``, ``requested`` or ``own`` as the detail).
    Unknown users (commands, imports) are not compared."""
    if actor_user_id is None:
        return
    field, requester_id = requester
    if actor_user_id == requester_id:
        raise Conflict(requested, rule="separation_of_duties", extra={field: actor_user_id})
    if user_person_id(session, actor_user_id) == person_id:
        raise Conflict(own, rule="separation_of_duties", extra={"person_id": person_id})
