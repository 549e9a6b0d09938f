"""Asking for a trusted assessment (I/O; in the caller's transaction).

A person may record only self-assessments about themselves; a manager's or an assessment centre's level is
evidence someone else gives. :func:`request_assessment` writes an :class:`AssessmentRequest` and opens an
``assessment`` request (:mod:`hrsys.requests`) to the HR officers of the person's agency; :func:`decide_assessment`
(registered for the kind, :mod:`hrsys.skills.extensions`) records the assessment when a decider approves with the
level (``details: {level, notes?}``), the decider as its recorder, in the decision's transaction.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from hrsys.core import clock
from hrsys.core.errors import Conflict, FieldError, Invalid, NotFound, check
from hrsys.core.lookups import get_or_404
from hrsys.people.models import Person
from hrsys.requests.kinds import decision_details
from hrsys.requests.models import Decision, Request, RequestKind, RequestStatus
from hrsys.requests.service import open_request
from hrsys.skills.assessments.models import AssessmentRequest, AssessmentSource
from hrsys.skills.assessments.schemas import AssessmentCreate, AssessmentRequestIn
from hrsys.skills.assessments.service import record_assessment
from hrsys.skills.catalog.refs import lookup_skill_refs

SUBJECT = "assessment_request"
_SOURCE_TH = {AssessmentSource.manager: "ผู้บังคับบัญชา", AssessmentSource.assessment_centre: "ศูนย์ประเมิน"}

_APP_USER = sa.table("app_user", sa.column("id"), sa.column("username"), sa.column("person_id"))


def request_assessment(
    session: Session, person_id: int, data: AssessmentRequestIn, *, actor_user_id: int | None
) -> tuple[Request, AssessmentRequest]:
    """Ask for an assessment of ``framework:skill`` by ``source``; 409 ``request_open`` while one such waits."""
    person = session.get(Person, person_id)
    if person is None:
        raise NotFound("person", person_id)
    ref = f"{data.framework}:{data.skill}"
    found, errors = lookup_skill_refs(session, [ref])
    skill = found.get(ref)
    if skill is not None and skill.retired:
        errors.append(FieldError("skill", f"{ref} is retired; ask for its successor instead"))
    check(errors)
    assert skill is not None
    waiting = session.scalar(
        sa.select(Request.id)
        .join(AssessmentRequest, AssessmentRequest.id == Request.subject_id)
        .where(
            Request.kind == RequestKind.assessment,
            Request.subject_type == SUBJECT,
            Request.status == RequestStatus.pending,
            AssessmentRequest.person_id == person_id,
            AssessmentRequest.skill_id == skill.id,
            AssessmentRequest.source == data.source,
        )
    )
    if waiting is not None:
        raise Conflict(
            f"an assessment of {ref} by {data.source} is already waiting for a decision (request {waiting})",
            rule="request_open",
            extra={"request_id": waiting},
        )
    row = AssessmentRequest(
        person_id=person_id,
        skill_id=skill.id,
        source=AssessmentSource(data.source),
        note=data.note,
        requested_by_user_id=actor_user_id,
    )
    session.add(row)
    session.flush()
    name = f"{person.first_name_th} {person.last_name_th} ({person.first_name_en} {person.last_name_en})"
    source = AssessmentSource(data.source)
    req = open_request(
        session,
        kind=RequestKind.assessment,
        subject_type=SUBJECT,
        subject_id=row.id,
        title=f"ขอประเมินทักษะโดย{_SOURCE_TH[source]} / {source.value} assessment: {name}, {ref}"[:300],
        requester_user_id=actor_user_id,
        person_id=person_id,
        agency_id=person.agency_id,
        payload={"skill": ref, "source": source.value},
    )
    return req, row


def decide_assessment(session: Session, req: Request, decision: Decision, decider_user_id: int | None) -> None:
    """approve with ``{level, notes?}`` -> the assessment is recorded (422 on ``level`` without one, or one
    outside the skill's scale: nothing is decided); reject or return -> nothing recorded (the reason is the
    request's)."""
    if decision is not Decision.approve:
        return
    row = get_or_404(session, AssessmentRequest, req.subject_id, "assessment request")
    if row.assessment_id is not None:
        raise Conflict(f"assessment request {row.id} was already recorded", rule="request_subject_moved")
    details = decision_details(req)
    level = details.get("level")
    if not isinstance(level, int) or isinstance(level, bool):
        raise Invalid.one("level", "approving an assessment request needs the level assessed")
    notes = details.get("notes")
    decider = None
    if decider_user_id is not None:
        stmt = sa.select(_APP_USER.c.username, _APP_USER.c.person_id).where(_APP_USER.c.id == decider_user_id)
        decider = session.execute(stmt).first()
    out = record_assessment(
        session,
        row.person_id,
        AssessmentCreate(
            skill=str(req.payload["skill"]),
            level=level,
            source=row.source,
            assessed_on=clock.today(),
            assessor_id=decider.person_id if decider is not None else None,
            assessor_name=decider.username if decider is not None else None,
            evidence=str(notes)[:4000] if notes else row.note,
        ),
        recorded_by_user_id=decider_user_id,
    )
    row.assessment_id = out.id
    session.flush()


def request_link(req: Request) -> str:
    """No page of its own yet: the inbox shows the request and where to act."""
    return f"/inbox#request-{req.id}"
