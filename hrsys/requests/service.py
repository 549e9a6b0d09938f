"""Asking and deciding: one path for every domain (the minimal contract; the inbox reads are in ``inbox.py``).

:func:`open_request` writes a pending request and notifies who may decide it, in the asker's transaction.
:func:`decide` checks that the caller may decide (separation of duties: never the requester, never the
person the request is about), lets the owning domain apply the decision (:mod:`hrsys.requests.kinds`),
closes the request and notifies the requester, all in the decider's transaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from hrsys.access.identity import CurrentUser
from hrsys.access.models import User, UserRole
from hrsys.agencies.models import Agency
from hrsys.core import clock
from hrsys.core.db import lock_for_edit, utcnow
from hrsys.core.errors import Conflict, Forbidden, NotFound
from hrsys.notifications.service import notify
from hrsys.requests import kinds
from hrsys.requests.models import Decision, Request, RequestKind, RequestStatus


def _open_key(kind: RequestKind, subject_type: str, subject_id: int, party: str) -> str:
    return f"{kind.value}:{subject_type}:{subject_id}:{party}"


def open_request(
    session: Session,
    *,
    kind: RequestKind,
    subject_type: str,
    subject_id: int,
    title: str,
    requester_user_id: int | None,
    person_id: int | None = None,
    agency_id: int | None = None,
    decider_role: UserRole | None = UserRole.hr_officer,
    decider_user_id: int | None = None,
    due_on: dt.date | None = None,
    payload: Mapping[str, Any] | None = None,
    group_key: str | None = None,
) -> Request:
    """A pending request, and a notification to each user who may decide it. 409 ``request_open`` when the
    same subject already waits for the same party."""
    party = f"user:{decider_user_id}" if decider_user_id is not None else f"role:{decider_role}"
    key = _open_key(kind, subject_type, subject_id, party)
    if session.scalar(sa.select(Request.id).where(Request.open_key == key)) is not None:
        raise Conflict("this request is already waiting for a decision", rule="request_open")
    h = kinds.handler(kind)
    due = due_on or clock.today() + dt.timedelta(days=h.due_days if h else 7)
    req = Request(
        kind=kind,
        subject_type=subject_type,
        subject_id=subject_id,
        title=title,
        requester_user_id=requester_user_id,
        person_id=person_id,
        agency_id=agency_id,
        decider_role=None if decider_user_id is not None else decider_role,
        decider_user_id=decider_user_id,
        asked_at=utcnow(),
        due_on=due,
        payload=dict(payload or {}),
        group_key=group_key,
        open_key=key,
    )
    session.add(req)
    session.flush()
    notify(
        session,
        user_ids=[u for u in deciders(session, req) if u != requester_user_id],
        kind="request_opened",
        params={"title": title, "requester": _username(session, requester_user_id), "due": due.isoformat()},
        link=link(req),
        request_id=req.id,
    )
    return req


def link(req: Request) -> str:
    h = kinds.handler(req.kind)
    return h.link(req) if h else f"/inbox#request-{req.id}"


def _username(session: Session, user_id: int | None) -> str:
    if user_id is None:
        return "hrsys"
    return session.scalar(sa.select(User.username).where(User.id == user_id)) or "hrsys"


def deciders(session: Session, req: Request) -> list[int]:
    """Ids of the active users who may decide ``req`` now (the requester and the person excluded later)."""
    if req.decider_user_id is not None:
        return [req.decider_user_id]
    q = sa.select(User.id).where(User.active.is_(True), User.role == req.decider_role)
    if req.decider_role is UserRole.hr_officer and req.agency_id is not None:
        path = session.scalar(sa.select(Agency.path).where(Agency.id == req.agency_id))
        officer_agency = sa.orm.aliased(Agency)
        q = q.join(officer_agency, officer_agency.id == User.agency_id).where(
            sa.literal(path or "").startswith(officer_agency.path)
        )
    return list(session.scalars(q))


def may_decide(session: Session, req: Request, user: CurrentUser) -> bool:
    if user.id == req.requester_user_id or (user.person_id is not None and user.person_id == req.person_id):
        return False
    if req.decider_user_id is not None:
        return user.id == req.decider_user_id
    if user.is_admin:
        return True
    return user.role is req.decider_role and user.id in deciders(session, req)


def decide(
    session: Session, request_id: int, decision: Decision, *, user: CurrentUser, reason: str | None = None
) -> Request:
    """Decide a pending request: 404 unknown, 409 ``request_decided`` when no longer pending, 409
    ``separation_of_duties`` for the requester or the person concerned, 403 for anyone else not entitled."""
    req = session.get(Request, request_id)
    if req is None:
        raise NotFound("request", request_id)
    req = lock_for_edit(session, req)
    if req.status is not RequestStatus.pending:
        raise Conflict(f"this request is already {req.status.value}", rule="request_decided")
    if user.id == req.requester_user_id or (user.person_id is not None and user.person_id == req.person_id):
        raise Conflict(
            "you asked for this, or it is about you: someone else must decide it", rule="separation_of_duties"
        )
    if not may_decide(session, req, user):
        raise Forbidden("you may not decide this request")
    h = kinds.handler(req.kind)
    if h is not None:
        h.apply(session, req, decision, user.id)
    req.status = {
        Decision.approve: RequestStatus.approved,
        Decision.reject: RequestStatus.rejected,
        Decision.return_for_changes: RequestStatus.returned,
    }[decision]
    req.decision = decision
    req.reason = reason
    req.decided_by_user_id = user.id
    req.decided_at = utcnow()
    req.open_key = None
    req.version += 1
    session.flush()
    if req.requester_user_id is not None:
        notify(
            session,
            user_ids=[req.requester_user_id],
            kind="request_decided",
            params={"title": req.title, "decision": decision.value, "reason": reason or ""},
            link=link(req),
            request_id=req.id,
        )
    return req


_CLOSED_BY = {
    RequestStatus.approved: Decision.approve,
    RequestStatus.rejected: Decision.reject,
    RequestStatus.returned: Decision.return_for_changes,
}


def close_open(
    session: Session,
    *,
    kind: RequestKind,
    subject_type: str,
    subject_id: int,
    status: RequestStatus,
    by_user_id: int | None,
) -> list[Request]:
    """Close the pending requests of ``kind`` on a subject that was decided another way (a direct route, a
    newer request that replaces them): ``status``, who and when; the requester of a decided one is told.
    (Minimal version added by the secondments branch; the request-core branch owns it.)"""
    pending = list(
        session.scalars(
            sa.select(Request)
            .where(
                Request.kind == kind,
                Request.subject_type == subject_type,
                Request.subject_id == subject_id,
                Request.status == RequestStatus.pending,
            )
            .order_by(Request.id)
        )
    )
    decision = _CLOSED_BY.get(status)
    for req in pending:
        req.status = status
        req.decision = decision
        req.decided_by_user_id = by_user_id
        req.decided_at = utcnow()
        req.open_key = None
        req.version += 1
    session.flush()
    for req in pending:
        if decision is not None and req.requester_user_id is not None and req.requester_user_id != by_user_id:
            notify(
                session,
                user_ids=[req.requester_user_id],
                kind="request_decided",
                params={"title": req.title, "decision": decision.value, "reason": ""},
                link=link(req),
                request_id=req.id,
            )
    return pending
