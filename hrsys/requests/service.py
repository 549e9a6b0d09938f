"""Asking and deciding: one path for every domain (the inbox reads are in ``inbox.py``, escalation in
``escalation.py``, bulk decisions in ``bulk.py``).

:func:`open_request` writes a pending request and notifies who should decide it, in the asker's transaction.
:func:`decide` checks that the caller may decide (separation of duties: never the requester, never the
person the request is about), lets the owning domain apply the decision (:mod:`hrsys.requests.kinds`),
closes the request and notifies the requester, all in the decider's transaction.

Who decides a request decided by role: the users of ``decider_role``; for HR officers, those whose agency
subtree holds the *deciding agency*: the request's agency, or its ancestor ``escalation_level`` levels up
(:func:`deciding_path`). Escalation therefore takes a request away from the officers below the new level
and leaves it with those above, who could always decide it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import msgspec
import sqlalchemy as sa
from sqlalchemy.orm import Session, aliased

from hrsys.access.identity import CurrentUser
from hrsys.access.models import User, UserRole
from hrsys.agencies.models import Agency
from hrsys.core import clock
from hrsys.core.db import lock_for_edit, utcnow
from hrsys.core.errors import Conflict, Forbidden, Invalid, NotFound, check_version
from hrsys.notifications.service import notify
from hrsys.requests import kinds
from hrsys.requests.models import Decision, Request, RequestKind, RequestStatus

REASON_REQUIRED = frozenset({Decision.reject, Decision.return_for_changes})
"""Decisions that must say why (the requester reads the reason)."""

STATUS_OF: dict[Decision, RequestStatus] = {
    Decision.approve: RequestStatus.approved,
    Decision.reject: RequestStatus.rejected,
    Decision.return_for_changes: RequestStatus.returned,
}
DECISION_OF: dict[RequestStatus, Decision] = {v: k for k, v in STATUS_OF.items()}


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
    """A pending request, and a notification to those who should decide it (:func:`notified_deciders`).
    409 ``request_open`` when the same subject already waits for the same party."""
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
        user_ids=notified_deciders(session, req),
        kind="request_opened",
        params={"title": title, "requester": _username(session, requester_user_id), "due": due},
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


# ---------------------------------------------------------------- who decides


def ancestor_path(path: str, levels: int) -> str:
    """The materialised path of the ancestor ``levels`` levels above ``path`` (never above the root):
    ``ancestor_path("/1/7/42/", 1) == "/1/7/"``."""
    ids = path.strip("/").split("/")
    keep = ids[: max(1, len(ids) - max(0, levels))]
    return "/" + "/".join(keep) + "/"


def deciding_path(session: Session, req: Request) -> str | None:
    """The path of the agency whose HR officers' subtrees decide ``req`` (None: no agency)."""
    if req.agency_id is None:
        return None
    path = session.scalar(sa.select(Agency.path).where(Agency.id == req.agency_id))
    return ancestor_path(path, req.escalation_level) if path else None


def _excluded(session: Session, req: Request) -> set[int]:
    """The users who never decide ``req``: the requester and the user of the person it is about."""
    out = {req.requester_user_id} if req.requester_user_id is not None else set()
    if req.person_id is not None:
        out.update(session.scalars(sa.select(User.id).where(User.person_id == req.person_id)))
    return out


def _role_deciders(session: Session, req: Request) -> list[tuple[int, str]]:
    """(user id, agency path or "") of the active users of the deciding role and scope."""
    officer_agency = aliased(Agency)
    q = (
        sa.select(User.id, sa.func.coalesce(officer_agency.path, ""))
        .outerjoin(officer_agency, officer_agency.id == User.agency_id)
        .where(User.active.is_(True), User.role == req.decider_role)
        .order_by(User.id)
    )
    if req.decider_role is UserRole.hr_officer and req.agency_id is not None:
        path = deciding_path(session, req) or ""
        q = q.where(sa.literal(path).startswith(officer_agency.path))
    return [(r[0], r[1]) for r in session.execute(q)]


def deciders(session: Session, req: Request) -> list[int]:
    """Ids of the active users who may decide ``req`` now (the requester and the person excluded later)."""
    if req.decider_user_id is not None:
        return [req.decider_user_id]
    return [uid for uid, _ in _role_deciders(session, req)]


def notified_deciders(session: Session, req: Request) -> list[int]:
    """Who is told that ``req`` waits: the named decider, or the HR officers of the deciding agency, or, when
    it has none, of its nearest ancestor that has some (a ministry's officers are not told of every request of
    every department below it, though they may decide them). Never the requester or the person concerned."""
    excluded = _excluded(session, req)
    if req.decider_user_id is not None:
        return [] if req.decider_user_id in excluded else [req.decider_user_id]
    rows = [(uid, path) for uid, path in _role_deciders(session, req) if uid not in excluded]
    if req.decider_role is not UserRole.hr_officer or not rows:
        return [uid for uid, _ in rows]
    nearest = max(len(path) for _, path in rows)
    return [uid for uid, path in rows if len(path) == nearest]


def _sod(req: Request, user: CurrentUser) -> bool:
    """Is ``user`` the requester or the person ``req`` is about (who must never decide it)?"""
    return user.id == req.requester_user_id or (user.person_id is not None and user.person_id == req.person_id)


def _entitled(session: Session, req: Request, user: CurrentUser) -> bool:
    """Would ``user`` decide ``req`` by name, role and scope (separation of duties aside)?"""
    if req.decider_user_id is not None:
        return user.id == req.decider_user_id
    if user.is_admin:
        return True
    if user.role is not req.decider_role:
        return False
    if user.is_hr and req.agency_id is not None:
        path = deciding_path(session, req)
        return bool(path and user.agency_path and path.startswith(user.agency_path))
    return True


def may_decide(session: Session, req: Request, user: CurrentUser) -> bool:
    return not _sod(req, user) and _entitled(session, req, user)


def may_read(session: Session, req: Request, user: CurrentUser) -> bool:
    """The requester, whoever would decide it (also the person it is about, when named) and admins."""
    return user.is_admin or user.id == req.requester_user_id or _entitled(session, req, user)


# ---------------------------------------------------------------- commands


def get_request(session: Session, request_id: int, user: CurrentUser | None = None) -> Request:
    """The request, 404 when unknown or (with ``user``) not theirs to read."""
    req = session.get(Request, request_id)
    if req is None or (user is not None and not may_read(session, req, user)):
        raise NotFound("request", request_id)
    return req


def decide(
    session: Session,
    request_id: int,
    decision: Decision,
    *,
    user: CurrentUser,
    reason: str | None = None,
    details: Mapping[str, Any] | None = None,
    version: int | None = None,
) -> Request:
    """Decide a pending request: 422 on ``reason`` when a rejection or a return gives none, 404 unknown,
    409 ``stale_edit`` for a ``version`` moved on, 409 ``request_decided`` when no longer pending, 409
    ``separation_of_duties`` for the requester or the person concerned, 403 for anyone else not entitled.
    ``details`` go to ``payload["decision"]`` before the kind's handler applies it."""
    reason = (reason or "").strip() or None
    if decision in REASON_REQUIRED and reason is None:
        raise Invalid.one("reason", f"required to {decision.value.replace('_', ' ')}: the requester reads it")
    req = session.get(Request, request_id)
    if req is None:
        raise NotFound("request", request_id)
    req = lock_for_edit(session, req)
    check_version("request", request_id, req.version, version)
    if req.status is not RequestStatus.pending:
        raise Conflict(f"this request is already {req.status.value}", rule="request_decided")
    if _sod(req, user):
        raise Conflict(
            "you asked for this, or it is about you: someone else must decide it", rule="separation_of_duties"
        )
    if not may_decide(session, req, user):
        raise Forbidden("you may not decide this request")
    if details is not None:
        req.payload = {**(req.payload or {}), "decision": msgspec.to_builtins(dict(details))}
    req.reason = reason  # the handler may carry the reason to its subject (a rejected secondment)
    h = kinds.handler(req.kind)
    if h is not None:
        h.apply(session, req, decision, user.id)
    _close(req, STATUS_OF[decision], by_user_id=user.id, reason=reason)
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


def _close(req: Request, status: RequestStatus, *, by_user_id: int | None, reason: str | None = None) -> None:
    req.status = status
    req.decision = DECISION_OF.get(status)
    req.reason = reason
    req.decided_by_user_id = by_user_id
    req.decided_at = utcnow()
    req.open_key = None
    req.version += 1


def cancel(session: Session, request_id: int, user: CurrentUser) -> Request:
    """The requester withdraws a pending request: 404 unknown or not theirs to see, 403 for a reader who did
    not ask for it, 409 ``request_decided`` once it is no longer pending."""
    req = get_request(session, request_id, user)
    req = lock_for_edit(session, req)
    if user.id != req.requester_user_id:
        raise Forbidden("only the requester may cancel a request")
    if req.status is not RequestStatus.pending:
        raise Conflict(f"this request is already {req.status.value}", rule="request_decided")
    h = kinds.handler(req.kind)
    if h is not None and h.cancel is not None:
        h.cancel(session, req, user.id)
    _close(req, RequestStatus.cancelled, by_user_id=user.id)
    session.flush()
    return req


def close_open(
    session: Session,
    *,
    kind: RequestKind,
    subject_type: str,
    subject_id: int,
    status: RequestStatus,
    by_user_id: int | None,
    reason: str | None = None,
) -> int:
    """Close every pending request of ``kind`` about the subject as ``status``: for a domain whose subject
    was decided another way (its older direct route), so that no inbox shows a request already settled.
    No handler runs (the domain has applied the change); the requester is told, unless they closed it
    themselves. Returns how many closed."""
    if status is RequestStatus.pending:
        raise ValueError("close_open closes requests: give the status they end in")
    rows = session.scalars(
        sa.select(Request).where(
            Request.subject_type == subject_type,
            Request.subject_id == subject_id,
            Request.kind == kind,
            Request.status == RequestStatus.pending,
        )
    ).all()
    for req in rows:
        _close(lock_for_edit(session, req), status, by_user_id=by_user_id, reason=reason)
    session.flush()
    for req in rows:
        if req.requester_user_id is not None and req.requester_user_id != by_user_id:
            notify(
                session,
                user_ids=[req.requester_user_id],
                kind="request_decided",
                params={"title": req.title, "decision": status.value, "reason": reason or ""},
                link=link(req),
                request_id=req.id,
            )
    return len(rows)
