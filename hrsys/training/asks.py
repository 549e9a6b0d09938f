"""Training's requests (:mod:`hrsys.requests`): opening them where training's commands ask, closing them
where a direct route decides instead (I/O; in the caller's transaction).

Three kinds are training's: ``development_plan`` (a submitted plan waits for approval), ``completion_confirmation``
(a reported completion waits for confirmation) and ``enrolment`` (a staff member's planned enrolment waits for a
seat). Each is decided by the HR officers whose subtree holds the person's agency (an admin may decide too); what
a decision does is in :mod:`hrsys.training.decisions`. The subject of each is a training row (``development_plan``
or ``enrolment``), so one request per subject waits at a time.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from hrsys.people.models import Person
from hrsys.requests.models import Request, RequestKind, RequestStatus
from hrsys.requests.service import close_open, open_request
from hrsys.training.models import Course, CourseSession, DevelopmentPlan, Enrolment

PLAN = "development_plan"
ENROLMENT = "enrolment"


def _person(session: Session, person_id: int) -> tuple[int | None, str]:
    """The person's agency and the name the inbox shows (Thai, then English)."""
    row = session.execute(
        sa.select(Person.agency_id, Person.first_name_th, Person.last_name_th, Person.first_name_en,
                  Person.last_name_en).where(Person.id == person_id)
    ).one()  # fmt: skip
    return row[0], f"{row[1]} {row[2]} ({row[3]} {row[4]})"


def pending(session: Session, kind: RequestKind, subject_type: str, subject_id: int) -> Request | None:
    """The request waiting on this subject, if any."""
    return session.scalar(
        sa.select(Request).where(
            Request.kind == kind,
            Request.subject_type == subject_type,
            Request.subject_id == subject_id,
            Request.status == RequestStatus.pending,
        )
    )


def ask_plan_approval(session: Session, plan: DevelopmentPlan, requester_user_id: int | None) -> Request:
    agency_id, name = _person(session, plan.person_id)
    return open_request(
        session,
        kind=RequestKind.development_plan,
        subject_type=PLAN,
        subject_id=plan.id,
        title=f"แผนพัฒนารายบุคคล / development plan: {name}, {plan.title or plan.id}"[:300],
        requester_user_id=requester_user_id,
        person_id=plan.person_id,
        agency_id=agency_id,
        payload={"plan_id": plan.id},
    )


def _course_label(session: Session, e: Enrolment, session_id: int | None) -> str:
    code = session.scalar(sa.select(Course.code).where(Course.id == e.course_id))
    if session_id is None:
        return str(code)
    starts = session.scalar(sa.select(CourseSession.starts_on).where(CourseSession.id == session_id))
    return f"{code} ({starts})"


def ask_completion_confirmation(session: Session, e: Enrolment, requester_user_id: int | None) -> Request:
    """A reported completion waits for confirmation; reported again, the waiting request stays (one per
    enrolment) with the new date."""
    payload: dict[str, Any] = {
        "enrolment_id": e.id,
        "completed_on": e.completed_on.isoformat() if e.completed_on else None,
    }
    waiting = pending(session, RequestKind.completion_confirmation, ENROLMENT, e.id)
    if waiting is not None:
        waiting.payload = {**waiting.payload, **payload}
        session.flush()
        return waiting
    agency_id, name = _person(session, e.person_id)
    return open_request(
        session,
        kind=RequestKind.completion_confirmation,
        subject_type=ENROLMENT,
        subject_id=e.id,
        title=f"ยืนยันการสำเร็จหลักสูตร / confirm completion: {name}, {_course_label(session, e, e.session_id)}"[:300],
        requester_user_id=requester_user_id,
        person_id=e.person_id,
        agency_id=agency_id,
        payload=payload,
    )


def ask_enrolment(session: Session, e: Enrolment, session_id: int | None, requester_user_id: int | None) -> Request:
    agency_id, name = _person(session, e.person_id)
    return open_request(
        session,
        kind=RequestKind.enrolment,
        subject_type=ENROLMENT,
        subject_id=e.id,
        title=f"ขอลงทะเบียนเรียน / enrolment: {name}, {_course_label(session, e, session_id)}"[:300],
        requester_user_id=requester_user_id,
        person_id=e.person_id,
        agency_id=agency_id,
        payload={"enrolment_id": e.id, "session_id": session_id},
    )


def close(
    session: Session, kind: RequestKind, subject_type: str, subject_id: int, status: RequestStatus,
    by_user_id: int | None,
) -> None:  # fmt: skip
    """The subject was decided by a direct route: its waiting request (if any) closes with ``status``."""
    close_open(
        session, kind=kind, subject_type=subject_type, subject_id=subject_id, status=status, by_user_id=by_user_id
    )
