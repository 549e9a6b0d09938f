"""Task-force commands on the task force itself: create, change, move along its states; and the lookups every
command of the package starts with (:func:`get`, :func:`require_editable`).

Functions take the session first, then keyword arguments; each command is one
transaction (the request's). Commands that change who is in a task force lock
the task-force row first (``FOR NO KEY UPDATE`` on PostgreSQL; SQLite serialises
writers with ``BEGIN IMMEDIATE``) and then each person, in id order, through the
shared allocation rule (:func:`hrsys.allocation.service.ensure_capacity`): two
concurrent requests that together would over-book a person or a need give one
success and one 409.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.orm import Session

from hrsys.agencies.models import Agency
from hrsys.core import clock
from hrsys.core.copying import changes, columns
from hrsys.core.db import Base
from hrsys.core.errors import Conflict, FieldError, check, check_version
from hrsys.core.lookups import get_or_404, part_or_404
from hrsys.people.models import Person
from hrsys.taskforces import consent, states
from hrsys.taskforces.models import Kpi, TaskForce, TaskForceBudget, TaskForceMember, TaskForceNeed, TeamProposal
from hrsys.taskforces.schemas import StatusChange, TaskForceCreate, TaskForceUpdate
from hrsys.taskforces.states import MemberStatus, ProposalStatus, TaskForceStatus

T = TaskForce.__table__
M = TaskForceMember.__table__
A = Agency.__table__
P = Person.__table__


def today() -> dt.date:
    return clock.today()


def get(session: Session, taskforce_id: int, *, lock: bool = False) -> TaskForce:
    """The task force, locked against concurrent membership changes when ``lock``; 404 if unknown."""
    return get_or_404(
        session, TaskForce, taskforce_id, "task force", with_for_update={"key_share": True} if lock else None
    )


Part = TypeVar("Part", Kpi, TaskForceMember, TaskForceNeed, TeamProposal)
Row = TypeVar("Row", bound=Base)


def added(session: Session, row: Row) -> Row:
    """``row`` added and flushed (it has its id)."""
    session.add(row)
    session.flush()
    return row


def part_of(session: Session, tf: TaskForce, model: type[Part], part_id: int, what: str) -> Part:
    """The need, member, KPI or proposal ``part_id`` of ``tf``; 404 (``what``) if unknown or of another one."""
    return part_or_404(session, model, part_id, what, taskforce_id=tf.id)


def require_editable(tf: Any) -> None:
    """409 unless the task force (a row or an object with ``status`` and ``code``) is forming or active."""
    if tf.status not in states.EDITABLE:
        raise Conflict(
            f"task force {tf.code} is {tf.status.value}: its needs, members and proposals can no longer change",
            rule="taskforce_closed",
            allowed=states.TASKFORCES.allowed(tf.status),
        )


def _stale(tf: TaskForce, version: int | None) -> None:
    check_version("task force", tf.code, tf.version, version)


def person_errors(session: Session, person_id: int, field: str) -> list[FieldError]:
    row = session.execute(sa.select(P.c.active).where(P.c.id == person_id)).first()
    if row is None:
        return [FieldError(field, f"no person with id {person_id}")]
    if not row.active:
        return [FieldError(field, f"person {person_id} is not active")]
    return []


def create(session: Session, data: TaskForceCreate) -> TaskForce:
    errors: list[FieldError] = data.check()
    agency_id = session.scalar(sa.select(A.c.id).where(A.c.code == data.agency))
    if agency_id is None:
        errors.append(FieldError("agency", f"no agency with code {data.agency}"))
    if data.lead_id is not None:
        errors += person_errors(session, data.lead_id, "lead_id")
    check(errors)
    if session.scalar(sa.select(T.c.id).where(T.c.code == data.code)) is not None:
        raise Conflict(f"task force code {data.code} is taken", errors=[FieldError("code", "already in use")])
    return added(session, TaskForce(**columns(data, "agency"), agency_id=agency_id, status=TaskForceStatus.forming))


def _members_outside(session: Session, tf: TaskForce, starts_on: dt.date, ends_on: dt.date) -> list[int]:
    return list(
        session.scalars(
            sa.select(M.c.id).where(
                M.c.taskforce_id == tf.id,
                M.c.status.in_(states.HOLDING),
                sa.or_(M.c.starts_on < starts_on, M.c.ends_on > ends_on),
            )
        )
    )


def update(session: Session, taskforce_id: int, data: TaskForceUpdate) -> TaskForce:
    tf = get(session, taskforce_id, lock=True)
    _stale(tf, data.version if isinstance(data.version, int) else None)
    new = changes(data, "version")
    if tf.status == TaskForceStatus.closed and {"starts_on", "ends_on", "lead_id"} & set(new):
        raise Conflict(
            f"task force {tf.code} is closed: its period and lead can no longer change",
            rule="taskforce_closed",
            allowed=[],
        )
    errors: list[FieldError] = []
    for field in ("name_th", "name_en", "budget_baht"):
        if field in new and new[field] is None:
            errors.append(FieldError(field, "cannot be empty"))
    if new.get("lead_id") is not None:
        errors += person_errors(session, new["lead_id"], "lead_id")
    starts_on = new.get("starts_on", tf.starts_on)
    ends_on = new.get("ends_on", tf.ends_on)
    if ends_on <= starts_on:
        errors.append(FieldError("ends_on", f"must be after starts_on ({starts_on})"))
    check(errors)
    if "starts_on" in new or "ends_on" in new:
        outside = _members_outside(session, tf, starts_on, ends_on)
        if outside:
            raise Conflict(
                f"{len(outside)} active members serve outside {starts_on} to {ends_on}; change or end them first",
                rule="members_outside_period",
                extra={"members": outside},
            )
    for field, value in new.items():
        setattr(tf, field, value)
    session.flush()
    return tf


def change_status(session: Session, taskforce_id: int, data: StatusChange, *, on: dt.date | None = None) -> TaskForce:
    """Move the task force along its state machine (409 with the allowed moves otherwise).

    Activating needs at least one active member (a pending one does not count). Closing ends
    the active members on ``on`` (default today: those who had not started yet are withdrawn),
    releases the pending ones (their consent requests are cancelled) and discards open proposals.
    """
    on = on or today()
    tf = get(session, taskforce_id, lock=True)
    _stale(tf, data.version)
    target = data.status
    states.TASKFORCES.next(tf.status, target)
    if target == TaskForceStatus.active:
        has_member = session.scalar(
            sa.select(M.c.id).where(M.c.taskforce_id == tf.id, M.c.status == MemberStatus.active).limit(1)
        )
        if has_member is None:
            raise Conflict(
                f"task force {tf.code} has no active member: add people before activating", rule="no_members"
            )
    if target == TaskForceStatus.closed and tf.status == TaskForceStatus.forming:
        disbursed = session.scalar(
            sa.select(sa.func.coalesce(sa.func.sum(TaskForceBudget.disbursed_baht), 0)).where(
                TaskForceBudget.taskforce_id == tf.id
            )
        )
        if disbursed:
            raise Conflict(
                f"task force {tf.code} has {disbursed:,} baht disbursed: a task force cancelled before it started "
                "can have nothing disbursed (record the money returned first)",
                rule="cancelled_no_disbursement",
                extra={"disbursed_baht": disbursed},
            )
        tf.cancelled = True
    if target == TaskForceStatus.closed:
        for member in session.scalars(
            sa.select(TaskForceMember).where(
                TaskForceMember.taskforce_id == tf.id, TaskForceMember.status == MemberStatus.active
            )
        ):
            if member.starts_on > on:
                member.status = MemberStatus.withdrawn
            else:
                member.status = MemberStatus.ended
                member.ends_on = min(member.ends_on, on)
        pending = session.scalars(
            sa.select(TaskForceMember).where(
                TaskForceMember.taskforce_id == tf.id, TaskForceMember.status == MemberStatus.pending
            )
        )
        consent.release(session, list(pending), why="closed")
        for proposal in session.scalars(
            sa.select(TeamProposal).where(
                TeamProposal.taskforce_id == tf.id, TeamProposal.status == ProposalStatus.open
            )
        ):
            proposal.status = ProposalStatus.discarded
    tf.status = target
    session.flush()
    return tf
