"""Deciding a request as the inbox route does: one transaction for the decision and the state move it
applies, committed, or rolled back on a refusal. Shared by the request tests of secondments and budgets.

The decider's reason and details reach the kind's handler through :func:`hrsys.requests.service.decide`
(``details=`` once it takes it); until then they are put on the request first, where the handlers also
read them (``req.reason``, ``req.payload["details"]``).
"""

from __future__ import annotations

import inspect
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from hrsys.access.identity import CurrentUser
from hrsys.access.models import User
from hrsys.agencies.models import Agency
from hrsys.core.errors import AppError
from hrsys.notifications.models import Notification
from hrsys.requests.models import Decision, Request, RequestKind, RequestStatus
from hrsys.requests.service import decide

_TAKES_DETAILS = "details" in inspect.signature(decide).parameters


def current(session: Session, user: Any) -> CurrentUser:
    u = session.get(User, user.id)
    assert u is not None
    path = session.scalar(sa.select(Agency.path).where(Agency.id == u.agency_id)) if u.agency_id else None
    return CurrentUser(
        id=u.id, username=u.username, role=u.role, agency_id=u.agency_id, agency_path=path, person_id=u.person_id
    )


def decide_as(
    db: Engine,
    user: Any,
    request_id: int,
    decision: str,
    *,
    reason: str | None = None,
    details: dict[str, Any] | None = None,
) -> AppError | RequestStatus:
    """The request's new status, or the refusal (an ``AppError``: 4xx) after which nothing was written."""
    with Session(db, expire_on_commit=False) as s:
        try:
            kw: dict[str, Any] = {}
            if _TAKES_DETAILS:
                kw["details"] = details
            else:
                req = s.get(Request, request_id)
                if req is not None:
                    req.reason = reason
                    if details is not None:
                        req.payload = {**req.payload, "details": details}
            out = decide(s, request_id, Decision(decision), user=current(s, user), reason=reason, **kw)
            status = out.status
            s.commit()
            return status
        except AppError as exc:
            s.rollback()
            return exc


def requests_of(db: Engine, kind: RequestKind, subject_type: str, subject_id: int) -> list[Request]:
    with Session(db, expire_on_commit=False) as s:
        return list(
            s.scalars(
                sa.select(Request)
                .where(Request.kind == kind, Request.subject_type == subject_type, Request.subject_id == subject_id)
                .order_by(Request.id)
            )
        )


def notified(db: Engine, request_id: int, kind: str = "request_opened") -> dict[int, Notification]:
    """Who was told of the request (``kind``), by user id."""
    with Session(db, expire_on_commit=False) as s:
        rows = s.scalars(
            sa.select(Notification).where(Notification.request_id == request_id, Notification.kind == kind)
        )
        return {n.user_id: n for n in rows}
