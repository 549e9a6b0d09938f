"""What deciding training's requests does (registered with :mod:`hrsys.requests.kinds` at the package's import),
and the staff member's ask to enrol (I/O; in the caller's transaction).

:func:`hrsys.requests.service.decide` has already checked that the decider is neither the requester nor the
person; each handler applies the decision with the same rules as the direct route (the plan's and the
enrolment's flows, separation of duties, seats under a lock, prerequisites). A handler that refuses (a 409:
the session is full, the subject moved on) rolls the whole decision back, so the request stays pending.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from hrsys.core.db import lock_for_edit
from hrsys.core.errors import Conflict, FieldError, check
from hrsys.people.models import Person
from hrsys.requests import kinds
from hrsys.requests.kinds import decision_details
from hrsys.requests.models import Decision, Request, RequestKind
from hrsys.training import asks, completions, enrolments, flows, plans
from hrsys.training.models import Course, CourseSession, DevelopmentPlan, Enrolment, EnrolmentStatus, PlanStatus
from hrsys.training.schemas import EnrolmentCreate, EnrolmentRequestIn


def _inbox_link(req: Request) -> str:
    """No page of its own for these subjects yet: the inbox shows the request and where to act."""
    return f"/inbox#request-{req.id}"


def _plan(session: Session, req: Request) -> DevelopmentPlan:
    plan = lock_for_edit(session, plans.get_plan(session, req.subject_id))
    if plan.status != PlanStatus.submitted:
        raise Conflict(
            f"development plan {plan.id} is {plan.status.value}, no longer waiting for approval",
            rule="request_subject_moved",
            allowed=flows.PLANS.allowed(plan.status.value),
        )
    return plan


def decide_plan(session: Session, req: Request, decision: Decision, decider_user_id: int | None) -> None:
    """approve -> approved (ticks the course items already completed); return -> draft; reject -> cancelled."""
    plan = _plan(session, req)
    new = {
        Decision.approve: PlanStatus.approved,
        Decision.return_for_changes: PlanStatus.draft,
        Decision.reject: PlanStatus.cancelled,
    }[decision]
    plans.move_plan(session, plan, new, actor_user_id=decider_user_id)


def _enrolment(session: Session, req: Request) -> Enrolment:
    return lock_for_edit(session, enrolments.get_enrolment(session, req.subject_id))


def decide_completion(session: Session, req: Request, decision: Decision, decider_user_id: int | None) -> None:
    """approve -> completed with its assessments (as ``/confirm``); reject or return -> the report is cleared
    (the learner may report again)."""
    e = _enrolment(session, req)
    if decision is Decision.approve:
        completions.confirm_reported(session, e, decider_user_id)
    else:
        completions.clear_report(session, e)


def decide_enrolment(session: Session, req: Request, decision: Decision, decider_user_id: int | None) -> None:
    """approve -> enrolled in the asked session (seat and prerequisites as ever: a 409 rolls the decision
    back); the decider may name another session (details ``{"session_id": ...}``). Reject or return -> the
    planned enrolment is withdrawn."""
    e = _enrolment(session, req)
    if e.status != EnrolmentStatus.planned:
        raise Conflict(
            f"enrolment {e.id} is {e.status.value}, no longer waiting for a seat",
            rule="request_subject_moved",
            allowed=flows.ENROLMENTS.allowed(e.status.value),
        )
    if decision is Decision.approve:
        sid = decision_details(req).get("session_id")
        sid = sid if sid is not None else req.payload.get("session_id")  # the decider may choose the session
        completions.move_enrolment(
            session, e, EnrolmentStatus.enrolled, session_id=sid if isinstance(sid, int) else None,
            actor_user_id=decider_user_id,
        )  # fmt: skip
    else:
        completions.move_enrolment(session, e, EnrolmentStatus.withdrawn, actor_user_id=decider_user_id)


def request_enrolment(
    session: Session, person_id: int, data: EnrolmentRequestIn, *, actor_user_id: int | None
) -> Request:
    """Ask for a seat: a planned enrolment (the person's existing planned one in the course, or a new one) and an
    ``enrolment`` request to the HR officers of the person's agency. Nobody enrols themselves: a decider does."""
    errors: list[FieldError] = []
    if session.get(Person, person_id) is None:
        errors.append(FieldError("person_id", f"no person {person_id}"))
    target = session.get(CourseSession, data.session_id) if data.session_id is not None else None
    if data.session_id is not None and target is None:
        errors.append(FieldError("session_id", f"no session {data.session_id}"))
    course = (
        session.scalar(sa.select(Course).where(Course.code == data.course))
        if data.course is not None
        else session.get(Course, target.course_id)
        if target is not None
        else None
    )
    if data.course is not None and course is None:
        errors.append(FieldError("course", f"no course with code {data.course}"))
    if course is not None and target is not None and target.course_id != course.id:
        errors.append(FieldError("session_id", f"no session {data.session_id} of course {course.code}"))
    if course is not None and not course.active:
        errors.append(FieldError("course", f"course {course.code} is no longer offered"))
    check(errors)
    assert course is not None
    open_one = session.scalar(
        sa.select(Enrolment).where(
            Enrolment.person_id == person_id,
            Enrolment.course_id == course.id,
            Enrolment.status.in_([EnrolmentStatus.planned, EnrolmentStatus.enrolled]),
        )
    )
    if open_one is not None and open_one.status == EnrolmentStatus.enrolled:
        raise Conflict(
            f"person {person_id} is already enrolled in {course.code} (enrolment {open_one.id})",
            extra={"enrolment_id": open_one.id},
        )
    e = open_one or enrolments.create_enrolment(
        session,
        EnrolmentCreate(person_id=person_id, course=course.code, session_id=data.session_id, status="planned"),
        actor_user_id=actor_user_id,
    )
    return asks.ask_enrolment(session, e, data.session_id, actor_user_id)


def register() -> None:
    kinds.register(RequestKind.development_plan, kinds.KindHandler(apply=decide_plan, link=_inbox_link))
    kinds.register(RequestKind.completion_confirmation, kinds.KindHandler(apply=decide_completion, link=_inbox_link))
    kinds.register(RequestKind.enrolment, kinds.KindHandler(apply=decide_enrolment, link=_inbox_link))
