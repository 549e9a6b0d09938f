"""Escalation: a request undecided past its due date moves up the agency tree, one level per period.

The rule (``days`` is ``HRSYS_REQUEST_ESCALATION_DAYS``, default 3): a pending request decided by role, with
an agency, that is ``n * days`` days past its due date (``n >= 1``) is at escalation level ``n``, never above
the root of its agency's tree. Its deciding agency is then the ancestor ``n`` levels up
(:func:`hrsys.requests.service.deciding_path`); its new deciders are told once per level (``cause_key``
``request_overdue:<id>:<level>``), so a run that is repeated, or late by several periods, neither repeats
nor skips a notice: it jumps to the level the dates give and tells that level's officers.

Requests addressed to one user by name (a consent) are shown overdue but not escalated: nobody else may
give someone's consent.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Session

from hrsys.agencies.models import Agency
from hrsys.core import clock
from hrsys.notifications.service import notify
from hrsys.requests.models import Request, RequestStatus
from hrsys.requests.service import link, notified_deciders

DEFAULT_DAYS = 3


def level_for(due_on: dt.date, today: dt.date, days: int, depth: int) -> int:
    """The escalation level the dates give: one per ``days`` days past due, at most ``depth`` (the root)."""
    late = (today - due_on).days
    return max(0, min(depth, late // max(1, days)))


def escalate_overdue(session: Session, *, today: dt.date | None = None, days: int = DEFAULT_DAYS) -> int:
    """Move each pending role-decided request to the level its lateness gives and notify its new deciders
    (kind ``request_overdue``). Returns how many requests moved up."""
    today = today or clock.today()
    days = max(1, days)
    rows = session.execute(
        sa.select(Request, Agency.depth)
        .join(Agency, Agency.id == Request.agency_id)
        .where(
            Request.status == RequestStatus.pending,
            Request.decider_role.is_not(None),
            Request.decider_user_id.is_(None),
            Request.due_on <= today - dt.timedelta(days=days),
            Request.escalation_level < Agency.depth,
        )
        .order_by(Request.id)
    ).all()
    moved = 0
    for req, depth in rows:
        level = level_for(req.due_on, today, days, depth)
        if level <= req.escalation_level:
            continue
        req.escalation_level = level
        req.version += 1
        session.flush()
        notify(
            session,
            user_ids=notified_deciders(session, req),
            kind="request_overdue",
            params={"title": req.title, "due": req.due_on},
            link=link(req),
            request_id=req.id,
            cause_key=f"request_overdue:{req.id}:{level}",
        )
        moved += 1
    return moved
