"""Moving an enrolment along its flow, and completing it (I/O; one transaction per command).

The flow is :data:`hrsys.training.flows.ENROLMENT_FLOW`. Completing an enrolment
records one ``training`` assessment per course outcome (linked to the enrolment)
and refreshes the person's current profile through the skills package's profile
rule, in the same transaction, and ticks the course items of the person's
development plans. A completion is never dated before its session starts; a
learner's reported completion waits for an HR officer other than the reporter.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Session

from hrsys.core import clock
from hrsys.core.db import lock_for_edit, utcnow
from hrsys.core.errors import Conflict, Invalid, check_version
from hrsys.requests.models import RequestKind, RequestStatus
from hrsys.skills.assessments.models import Assessment, AssessmentSource
from hrsys.skills.assessments.service import refresh_current
from hrsys.training import asks, flows
from hrsys.training.enrolments import (
    check_prerequisites,
    get_enrolment,
    lock_session_seats,
    require_another_decider,
)
from hrsys.training.models import (
    Course,
    CourseOutcome,
    CourseSession,
    DevelopmentPlan,
    DevelopmentPlanItem,
    Enrolment,
    EnrolmentStatus,
    PlanItemStatus,
    PlanStatus,
)
from hrsys.training.schemas import (
    CompletionReport,
    EnrolmentStatusChange,
)


def change_enrolment_status(
    session: Session, enrolment_id: int, data: EnrolmentStatusChange, *, actor_user_id: int | None = None
) -> Enrolment:
    """Move an enrolment along its flow (HR). Completion records assessments; a full session is a 409."""
    e = lock_for_edit(session, get_enrolment(session, enrolment_id))
    check_version("enrolment", e.id, e.version, data.version)
    reported = e.completion_reported_at is not None
    move_enrolment(session, e, data.status, session_id=data.session_id, completed_on=data.completed_on,
                   actor_user_id=actor_user_id)  # fmt: skip
    # The direct route decided what a request may have been waiting for: close it (no stale inbox item).
    done = RequestStatus.approved if data.status == EnrolmentStatus.completed else RequestStatus.cancelled
    if reported and data.status != EnrolmentStatus.enrolled:
        asks.close(session, RequestKind.completion_confirmation, asks.ENROLMENT, e.id, done, actor_user_id)
    if data.status != EnrolmentStatus.planned:
        enrolled = RequestStatus.approved if data.status == EnrolmentStatus.enrolled else RequestStatus.cancelled
        asks.close(session, RequestKind.enrolment, asks.ENROLMENT, e.id, enrolled, actor_user_id)
    return e


def move_enrolment(
    session: Session,
    e: Enrolment,
    new: EnrolmentStatus,
    *,
    session_id: int | None = None,
    completed_on: dt.date | None = None,
    actor_user_id: int | None = None,
) -> Enrolment:
    """The move itself, on an enrolment already locked: the flow, seats, prerequisites, completing."""
    flows.ENROLMENTS.next(e.status.value, new.value, subject=e.id)
    if new == EnrolmentStatus.enrolled:
        sid = session_id if session_id is not None else e.session_id
        target = session.get(CourseSession, sid) if sid is not None else None
        if sid is not None and (target is None or target.course_id != e.course_id):
            raise Invalid.one("session_id", f"no session {sid} of this course")
        course = session.get(Course, e.course_id)
        assert course is not None
        check_prerequisites(session, e.person_id, course, target, new)
        if sid is not None:
            lock_session_seats(session, sid, e.course_id, exclude=e.id)
            e.session_id = sid
        e.status = new
    elif new == EnrolmentStatus.completed:
        if e.completion_reported_at is not None:
            _check_confirmer(session, e, actor_user_id)
        day = completed_on or e.completed_on or clock.today()
        _refuse_before_session(session, e, day)
        _complete(session, e, day, actor_user_id)
    else:
        e.status = new
    session.flush()
    return e


def _complete(session: Session, e: Enrolment, completed_on: dt.date, actor_user_id: int | None) -> None:
    """Mark completed, record a training assessment per outcome, refresh the profile, tick plan items."""
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
    asks.ask_completion_confirmation(session, e, actor_user_id)
    return e


def confirm_completion(session: Session, enrolment_id: int, *, actor_user_id: int | None = None) -> Enrolment:
    """An HR officer confirms a reported completion: it completes and records the assessments; the waiting
    ``completion_confirmation`` request closes as approved."""
    e = confirm_reported(session, lock_for_edit(session, get_enrolment(session, enrolment_id)), actor_user_id)
    asks.close(
        session, RequestKind.completion_confirmation, asks.ENROLMENT, e.id, RequestStatus.approved, actor_user_id
    )
    return e


def confirm_reported(session: Session, e: Enrolment, actor_user_id: int | None) -> Enrolment:
    """Confirm the completion ``e``'s learner reported (409 ``nothing_to_confirm`` when none waits)."""
    if e.status != EnrolmentStatus.enrolled or e.completion_reported_at is None:
        raise Conflict(
            f"enrolment {e.id} has no completion waiting for confirmation (status {e.status.value})",
            rule="nothing_to_confirm",
        )
    _check_confirmer(session, e, actor_user_id)
    _complete(session, e, e.completed_on or clock.today(), actor_user_id)
    session.flush()
    return e


def clear_report(session: Session, e: Enrolment) -> Enrolment:
    """A reported completion refused: the enrolment is as before the report (enrolled, nothing reported)."""
    if e.status != EnrolmentStatus.enrolled or e.completion_reported_at is None:
        raise Conflict(
            f"enrolment {e.id} has no completion waiting for confirmation (status {e.status.value})",
            rule="nothing_to_confirm",
        )
    e.completion_reported_at = None
    e.completion_reported_by_user_id = None
    e.completed_on = None
    session.flush()
    return e


def _check_confirmer(session: Session, e: Enrolment, actor_user_id: int | None) -> None:
    """Separation of duties: nobody confirms their own completion, and whoever reported a completion (the
    learner, or HR for them) does not confirm it (409 ``separation_of_duties``), by ``/confirm`` or by
    completing it through ``/status``. Unknown users (commands, imports) are not compared."""
    require_another_decider(
        session,
        actor_user_id,
        requester=("completion_reported_by_user_id", e.completion_reported_by_user_id),
        person_id=e.person_id,
        requested="you reported this completion: another HR officer must confirm it",
        own="this enrolment is yours: another HR officer must confirm its completion",
    )
