"""Deciding requests as the inbox does (one transaction per decision), and reading what waits and who was told.

The inbox routes are another branch's; until they land, tests decide through :func:`hrsys.requests.service.decide`
in a session of their own, committed on success and rolled back on an error, exactly as a route's is.
"""

from __future__ import annotations

import inspect
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from hrsys.access.identity import CurrentUser
from hrsys.access.models import UserRole
from hrsys.agencies.models import Agency
from hrsys.core.db import read_engine
from hrsys.notifications.models import Notification
from hrsys.requests import service
from hrsys.requests.models import Decision, Request


def current(db: Engine, user: Any) -> CurrentUser:
    with read_engine(db).connect() as conn:
        path = conn.scalar(sa.select(Agency.path).where(Agency.id == user.agency_id)) if user.agency_id else None
    return CurrentUser(
        id=user.id, username=user.username, role=UserRole(user.role), agency_id=user.agency_id, agency_path=path,
        person_id=user.person_id,
    )  # fmt: skip


def decide(
    db: Engine, user: Any, request_id: int, decision: str, *, reason: str | None = None,
    details: dict[str, Any] | None = None,
) -> str:  # fmt: skip
    """Decide as ``user`` in one transaction; returns the request's new status (raises what the service raises)."""
    with Session(db) as s:
        try:
            kw: dict[str, Any] = {"user": current(db, user), "reason": reason}
            if details is not None:
                if "details" in inspect.signature(service.decide).parameters:
                    kw["details"] = details
                else:  # the contract: details are stored in payload["decision"] before the handler runs
                    req = s.get(Request, request_id)
                    assert req is not None
                    req.payload = {**req.payload, "decision": details}
                    s.flush()  # decide() re-reads the row under its lock on PostgreSQL
            req = service.decide(s, request_id, Decision(decision), **kw)
            status = req.status.value
            s.commit()
            return status
        except BaseException:
            s.rollback()
            raise


def requests_of(db: Engine, kind: str, subject_id: int | None = None) -> list[Any]:
    with read_engine(db).connect() as conn:
        stmt = sa.select(Request.__table__).where(Request.kind == kind).order_by(Request.id)
        if subject_id is not None:
            stmt = stmt.where(Request.subject_id == subject_id)
        return list(conn.execute(stmt).all())


def notified(db: Engine, user_id: int, request_id: int) -> list[str]:
    """The kinds of notifications ``user_id`` got about the request."""
    with read_engine(db).connect() as conn:
        return list(
            conn.scalars(
                sa.select(Notification.kind)
                .where(Notification.user_id == user_id, Notification.request_id == request_id)
                .order_by(Notification.id)
            )
        )
