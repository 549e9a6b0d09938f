"""The requests a secondment opens and closes (:mod:`hrsys.requests`): who is asked, and when a move made
another way closes what waited.

Two kinds, both decided by the HR officers of the host agency's tree (admins too), never by who asked nor
by the secondee (separation of duties, :func:`hrsys.requests.service.decide`):

- ``secondment_step`` on the secondment: a move that needs another user's decision. Submitting asks for the
  approval (``{"to": "approved"}``); ``POST /{id}/ask/{approve,extend,terminate}`` asks again or asks for an
  extension or an early end (the body of the move rides in the payload). One step waits at a time.
- ``conflict_review`` on the declaration (``coi_review``): each declaration asks for its review; a newer one
  cancels the request of the one it replaces.

What deciding them does is in :mod:`hrsys.secondments.decisions`; here only asking and closing, which the
commands call in their own transaction (so the request and the move commit together).
"""

from __future__ import annotations

from typing import Any

import msgspec
import sqlalchemy as sa
from sqlalchemy.orm import Session

from hrsys.access.models import UserRole
from hrsys.agencies.models import Agency
from hrsys.core.db import lock_for_edit
from hrsys.core.errors import Invalid
from hrsys.requests.models import Request, RequestKind, RequestStatus
from hrsys.requests.service import close_open, open_request
from hrsys.secondments import lifecycle
from hrsys.secondments.lifecycle import Action, CoiDecision, SecondmentStatus
from hrsys.secondments.lookups import Actor, get
from hrsys.secondments.models import ConflictOfInterestReview, Secondment
from hrsys.secondments.schemas import EndInput, ExtendInput, TransitionInput

STEP = "secondment"
"""``subject_type`` of a step request (the secondment's table)."""
REVIEW = "coi_review"
"""``subject_type`` of a conflict-of-interest review request (the review's table)."""

_ACTION_TH = {Action.approve: "อนุมัติ", Action.extend: "ขยายระยะเวลา", Action.terminate: "ยุติก่อนกำหนด"}


def _host_code(session: Session, s: Secondment) -> str:
    return session.scalar(sa.select(Agency.code).where(Agency.id == s.host_agency_id)) or ""


def ask_step(
    session: Session, s: Secondment, action: Action, actor: Actor, body: dict[str, Any] | None = None
) -> Request:
    """Ask the host's HR officers to take ``action`` (approve, extend, terminate): payload ``{to, action, body}``.
    409 ``request_open`` while another step of this secondment waits."""
    to: SecondmentStatus = {
        Action.approve: SecondmentStatus.approved,
        Action.extend: SecondmentStatus.extended,
        Action.terminate: SecondmentStatus.terminated,
    }[action]
    host = _host_code(session, s)
    return open_request(
        session,
        kind=RequestKind.secondment_step,
        subject_type=STEP,
        subject_id=s.id,
        title=f"{_ACTION_TH[action]}การยืมตัว #{s.id} ({host}) / {action.value.capitalize()} secondment #{s.id} ({host})",
        requester_user_id=actor.user_id,
        person_id=s.person_id,
        agency_id=s.host_agency_id,
        decider_role=UserRole.hr_officer,
        payload={"to": to.value, "action": action.value, "body": body or {}},
    )


ASKABLE: dict[Action, Any] = {
    Action.approve: TransitionInput | None,
    Action.extend: ExtendInput,
    Action.terminate: EndInput,
}
"""The moves one may ask another user for, and the body each carries (that of the direct move)."""


def ask(
    session: Session,
    secondment_id: int,
    action: Action,
    data: TransitionInput | ExtendInput | EndInput | None,
    *,
    actor: Actor,
) -> Request:
    """``POST /{id}/ask/<action>``: ask for a move instead of making it. The move must be legal now (409
    ``illegal_transition`` naming the allowed ones) and carry what the move needs (a reason to terminate);
    the rules are checked when it is approved, against the secondment as it is then."""
    s = lock_for_edit(session, get(session, secondment_id))
    lifecycle.next_status(s.status, action)
    reason = getattr(data, "reason", None)
    if action in lifecycle.REASON_REQUIRED and not (reason and reason.strip()):
        raise Invalid.one("reason", f"a reason is required to {action}")
    body = msgspec.to_builtins(data) if data is not None else {}
    return ask_step(session, s, action, actor, {k: v for k, v in body.items() if v is not None})


def pending_step(session: Session, secondment_id: int) -> Request | None:
    return session.scalar(
        sa.select(Request).where(
            Request.kind == RequestKind.secondment_step,
            Request.subject_type == STEP,
            Request.subject_id == secondment_id,
            Request.status == RequestStatus.pending,
        )
    )


def step_moved(session: Session, s: Secondment, actor: Actor) -> None:
    """A move made on the direct route closes the step that waited: approved if it made the move asked
    for, rejected if it rejected the secondment, cancelled otherwise (withdrawn, ended another way)."""
    req = pending_step(session, s.id)
    if req is None:
        return
    asked = req.payload.get("to")
    status = (
        RequestStatus.approved
        if asked == s.status.value
        else RequestStatus.rejected
        if s.status is SecondmentStatus.rejected
        else RequestStatus.cancelled
    )
    close_open(
        session,
        kind=RequestKind.secondment_step,
        subject_type=STEP,
        subject_id=s.id,
        status=status,
        by_user_id=actor.user_id,
    )


def ask_review(session: Session, s: Secondment, review: ConflictOfInterestReview, actor: Actor) -> Request:
    host = _host_code(session, s)
    return open_request(
        session,
        kind=RequestKind.conflict_review,
        subject_type=REVIEW,
        subject_id=review.id,
        title=(
            f"พิจารณาการขัดกันแห่งผลประโยชน์ การยืมตัว #{s.id} ({host}) / "
            f"Conflict-of-interest review, secondment #{s.id} ({host})"
        ),
        requester_user_id=actor.user_id,
        person_id=s.person_id,
        agency_id=s.host_agency_id,
        decider_role=UserRole.hr_officer,
        payload={"to": CoiDecision.cleared.value, "secondment_id": s.id},
    )


def review_closed(session: Session, review_id: int, status: RequestStatus, actor: Actor) -> None:
    """The review was decided on the direct route (approved: cleared; rejected: blocked), or its declaration
    was replaced (cancelled)."""
    close_open(
        session,
        kind=RequestKind.conflict_review,
        subject_type=REVIEW,
        subject_id=review_id,
        status=status,
        by_user_id=actor.user_id,
    )


def reviews_cancelled(session: Session, s: Secondment, actor: Actor) -> None:
    """A secondment closed for good (rejected, withdrawn, ended) has nothing left to review: the requests of
    its pending declarations are cancelled."""
    pending = session.scalars(
        sa.select(ConflictOfInterestReview.id).where(
            ConflictOfInterestReview.secondment_id == s.id, ConflictOfInterestReview.decision == CoiDecision.pending
        )
    )
    for review_id in list(pending):
        review_closed(session, review_id, RequestStatus.cancelled, actor)
