"""Reminders of overdue requests (registered with :mod:`hrsys.notifications.reminders`): a request still
pending the day after its due date, to each user who may decide it (:func:`service.deciders`; never the
requester nor the person it is about). Once per request (``request_overdue:<id>``), however long it
waits; moving it up the agency tree is escalation's job, not the reminder's.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import sqlalchemy as sa
from sqlalchemy.orm import Session

from hrsys.access.models import User
from hrsys.notifications.bulk import Notice
from hrsys.notifications.reminders import STREAM, register_source
from hrsys.requests.models import Request, RequestStatus
from hrsys.requests.service import deciders, link


def requests_overdue(session: Session, today: dt.date) -> Iterator[Notice]:
    stmt = (
        sa.select(Request, User.id.label("person_user_id"))
        .outerjoin(User, User.person_id == Request.person_id)
        .where(Request.status == RequestStatus.pending, Request.due_on < today)  # reminder_rules.overdue
        .order_by(Request.id)
        .execution_options(yield_per=STREAM)
    )
    for req, person_user_id in session.execute(stmt).tuples():
        excluded = {req.requester_user_id, person_user_id}
        yield Notice(
            user_ids=tuple(u for u in deciders(session, req) if u not in excluded),
            cause_key=f"request_overdue:{req.id}",
            kind="reminder_request_overdue",
            params={"title": req.title, "due_on": req.due_on},
            link=link(req),
            request_id=req.id,
        )


def register() -> None:
    register_source("requests_overdue", requests_overdue)
