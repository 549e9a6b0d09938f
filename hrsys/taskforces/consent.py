"""Cross-agency appointments: nobody joins a task force across agencies without consent (see README.md).

An appointment (accepting a proposal, or appointing a member) whose person is outside the appointer's scope
(:func:`consent_parties`) writes the memberships ``pending`` (they hold their time and their need's slot) and
opens two ``appointment`` requests sharing a ``group_key`` (:func:`ask`): one to the home agency's HR officers,
one to the person (an external expert, or a civil servant without an account: only one of them). The
decisions reach the memberships through the :class:`~hrsys.requests.kinds.KindHandler` registered here
(:func:`apply`): both approve, the memberships are active, in the transaction of the last decision; either
rejects, they are released and the other part of the group is cancelled. :func:`expire_appointments` (the
daily job) releases those that nobody decided by their due date.

Locks: a decision holds its request row (``hrsys.requests.service.decide``) and then takes the task force's;
whoever releases memberships holds the task force's and never waits for a request row: it closes the open
parts with ``SKIP LOCKED``. A part being decided at that moment is recorded as decided and finds, once it has
the task force's lock, memberships no longer pending: its decision then changes nothing. No lock cycle.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

import msgspec
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from hrsys.access.identity import CurrentUser
from hrsys.access.models import User, UserRole
from hrsys.access.scope import subtree_bounds
from hrsys.agencies.models import Agency
from hrsys.core.db import utcnow
from hrsys.core.errors import Invalid
from hrsys.notifications.schedule import register_daily
from hrsys.notifications.service import notify
from hrsys.people.models import Person, PersonKind
from hrsys.requests import kinds
from hrsys.requests.models import Decision, Request, RequestKind, RequestStatus
from hrsys.requests.service import deciders, open_request
from hrsys.taskforces.models import TaskForce, TaskForceMember
from hrsys.taskforces.states import MemberStatus

SUBJECT = "taskforce_member"
"""``subject_type`` of appointment requests; ``subject_id`` is the first membership of the group."""
DUE_DAYS = 14
"""Days the person and their home agency have to agree; undecided by then, the appointment is released."""
HOME_HR = "home_hr"
PERSON = "person"

REASONS: dict[str, tuple[str, str]] = {
    "declined_home_hr": ("หน่วยงานต้นสังกัดไม่ยินยอม", "declined by the home agency"),
    "declined_person": ("ผู้ได้รับการแต่งตั้งไม่ยินยอม", "declined by the person"),
    "expired": ("ไม่มีผู้พิจารณาภายในกำหนด", "no consent by the due date"),
    "withdrawn": ("ผู้แต่งตั้งถอนการแต่งตั้ง", "the offer was withdrawn"),
    "closed": ("คณะทำงานปิดแล้ว", "the task force closed"),
}
"""Why an appointment was released: Thai and English (the membership's reason keeps the English)."""

A = Agency.__table__
P = Person.__table__
U = User.__table__
R = Request.__table__


class Parties(msgspec.Struct, frozen=True):
    """Who must consent to appointing a person: their home agency's HR officers (``home_agency_id``) and the
    person (``person_user_id``, their active account); at least one is set."""

    home_agency_id: int | None
    person_user_id: int | None


def _in_subtree(path: str | None, root: str | None) -> bool:
    if path is None or root is None:
        return False
    lo, hi = subtree_bounds(root)
    return lo <= path < hi


def consent_parties(session: Session, user: CurrentUser | None, tf: TaskForce, person_id: int) -> Parties | None:
    """Who must agree before ``user`` may appoint ``person_id`` to ``tf``; None: the appointment is direct.

    The appointer's scope: an admin's is everything (always direct); an HR officer's is their agency subtree;
    a task-force lead's is the subtree of the agency that owns the task force. A civil servant whose home
    agency is in it is appointed directly, as before; anyone else needs the consent of their home agency's
    HR officers and their own (if they have an account; if not, the HR officers decide alone). An external
    expert belongs to no agency: they consent for themselves, and without an account (nobody in hrsys to
    ask) they are appointed directly. ``user`` None: an internal call (the demo, the generators): direct."""
    if user is None or user.is_admin:
        return None
    person = session.execute(
        sa.select(P.c.kind, P.c.agency_id, A.c.path)
        .select_from(P.outerjoin(A, A.c.id == P.c.agency_id))
        .where(P.c.id == person_id)
    ).first()
    if person is None:
        return None
    owner = sa.select(A.c.path).where(A.c.id == tf.agency_id)
    root = user.agency_path if user.is_hr else session.scalar(owner)
    external = person.kind == PersonKind.external_expert or person.agency_id is None
    if not external and _in_subtree(person.path, root):
        return None
    account = session.scalar(
        sa.select(U.c.id).where(U.c.person_id == person_id, U.c.active.is_(True), U.c.id != user.id)
    )
    if external:
        return Parties(None, account) if account is not None else None
    return Parties(person.agency_id, account)


def ask(
    session: Session,
    *,
    tf: TaskForce,
    members: Sequence[TaskForceMember],
    parties: Parties,
    user: CurrentUser,
    due_on: dt.date | None = None,
) -> str:
    """Open the appointment requests for ``members`` (one person's new memberships of ``tf``, already written
    ``pending`` and flushed) and tie them together; returns the group key. Each decider is notified."""
    first = min(m.id for m in members)
    person_id = members[0].person_id
    key = f"appointment:{SUBJECT}:{first}"
    name = session.execute(sa.select(P.c.first_name_en, P.c.last_name_en).where(P.c.id == person_id)).one()
    title = f"Appointment of {name[0]} {name[1]} to task force {tf.code} ({tf.name_en})"
    payload: dict[str, Any] = {
        "taskforce_id": tf.id,
        "person_id": person_id,
        "member_ids": sorted(m.id for m in members),
        "allocation": sum(m.allocation for m in members),
        "starts_on": min(m.starts_on for m in members).isoformat(),
        "ends_on": max(m.ends_on for m in members).isoformat(),
    }
    for m in members:
        m.consent_group = key
    common: dict[str, Any] = {
        "kind": RequestKind.appointment,
        "subject_type": SUBJECT,
        "subject_id": first,
        "title": title,
        "requester_user_id": user.id,
        "due_on": due_on,
        "group_key": key,
    }
    if parties.home_agency_id is not None:
        open_request(
            session,
            **common,
            person_id=person_id,
            agency_id=parties.home_agency_id,
            decider_role=UserRole.hr_officer,
            payload={**payload, "party": HOME_HR},
        )
    if parties.person_user_id is not None:
        # person_id stays None: the request is the person's own to decide (``decide`` refuses the person
        # a request is *about*); the payload names them
        open_request(
            session,
            **common,
            agency_id=parties.home_agency_id,
            decider_role=None,
            decider_user_id=parties.person_user_id,
            payload={**payload, "party": PERSON},
        )
    session.flush()
    return key


def _group_members(session: Session, key: str) -> list[TaskForceMember]:
    return list(
        session.scalars(
            sa.select(TaskForceMember).where(TaskForceMember.consent_group == key).order_by(TaskForceMember.id)
        )
    )


def _lock_taskforce(session: Session, taskforce_id: int) -> None:
    stmt = sa.select(TaskForce.id).where(TaskForce.id == taskforce_id)
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update(key_share=True)
    session.scalar(stmt)


def close_open_parts(
    session: Session, key: str, *, status: RequestStatus, reason: str, skip: int | None = None
) -> list[Request]:
    """Close the pending requests of group ``key`` (but ``skip``) as ``status``, without waiting for a part
    someone is deciding right now (``SKIP LOCKED``, see the module docstring). Returns those closed."""
    stmt = sa.select(Request).where(Request.group_key == key, Request.status == RequestStatus.pending)
    if skip is not None:
        stmt = stmt.where(Request.id != skip)
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True, of=Request)
    closed = list(session.scalars(stmt.order_by(Request.id)))
    now = utcnow()
    for req in closed:
        req.status = status
        req.reason = reason
        req.decided_at = now
        req.open_key = None
        req.version += 1
    session.flush()
    return closed


def release(
    session: Session,
    members: Iterable[TaskForceMember],
    *,
    why: str,
    status: RequestStatus = RequestStatus.cancelled,
    skip_request: int | None = None,
    notify_users: Iterable[int] = (),
) -> int:
    """Release pending memberships (their time and slots are free again) and close the open parts of their
    groups as ``status``; the deciders of those parts and ``notify_users`` are told. Returns how many were
    released (``why``: a key of :data:`REASONS`). The caller holds the task force's lock."""
    reason_th, reason = REASONS[why]
    count = 0
    groups: dict[str, TaskForce | None] = {}
    for m in members:
        if m.status is not MemberStatus.pending:
            continue
        m.status = MemberStatus.released
        m.reason = f"{m.reason}; {reason}" if m.reason else reason
        count += 1
        if m.consent_group is not None:
            groups.setdefault(m.consent_group, session.get(TaskForce, m.taskforce_id))
    session.flush()
    told = set(notify_users)
    for key, tf in groups.items():
        closed = close_open_parts(session, key, status=status, reason=reason, skip=skip_request)
        users = set(told)
        for req in closed:  # who would have decided a closed part: they need not any more
            users.update(deciders(session, req))
        if users and tf is not None:
            notify(
                session,
                user_ids=users,
                kind="appointment_released",
                params={"taskforce": f"{tf.code} {tf.name_en}", "reason": reason, "reason_th": reason_th},
                link=f"/lead/taskforces/{tf.id}",
            )
    return count


def apply(session: Session, req: Request, decision: Decision, decider_user_id: int | None) -> None:
    """A decision on one part of an appointment (the :class:`~hrsys.requests.kinds.KindHandler`): approve, and
    the memberships are active once every part is approved; reject, and they are released and the other part
    is cancelled. A part decided after the appointment was released changes nothing."""
    if decision is Decision.return_for_changes:
        raise Invalid.one("decision", "an appointment is approved or rejected; it cannot be returned for changes")
    taskforce_id = int(req.payload.get("taskforce_id", 0))
    _lock_taskforce(session, taskforce_id)
    members = [m for m in _group_members(session, req.group_key or "") if m.status is MemberStatus.pending]
    if not members:
        return
    if decision is Decision.reject:
        why = "declined_home_hr" if req.payload.get("party") == HOME_HR else "declined_person"
        release(session, members, why=why, skip_request=req.id)
        return
    others = session.scalars(sa.select(Request.status).where(Request.group_key == req.group_key, Request.id != req.id))
    if all(s is RequestStatus.approved for s in others):
        for m in members:
            m.status = MemberStatus.active
        session.flush()
        tf = session.get(TaskForce, taskforce_id)
        account = session.scalar(sa.select(U.c.id).where(U.c.person_id == members[0].person_id))
        notify(
            session,
            user_ids=[u for u in (req.requester_user_id, account) if u is not None],
            kind="appointment_active",
            params={"taskforce": f"{tf.code} {tf.name_en}" if tf else ""},
            link=f"/lead/taskforces/{taskforce_id}",
        )


def awaiting(session: Session, keys: Iterable[str]) -> dict[str, tuple[list[str], dt.date | None]]:
    """For each group key: the parties whose consent is still awaited (``home_hr``, ``person``) and the
    earliest due date of their requests."""
    keys = sorted(set(keys))
    out: dict[str, tuple[list[str], dt.date | None]] = {}
    if not keys:
        return out
    rows = session.execute(
        sa.select(R.c.group_key, R.c.decider_user_id, R.c.due_on)
        .where(R.c.group_key.in_(keys), R.c.status == RequestStatus.pending)
        .order_by(R.c.id)
    )
    for r in rows:
        parties, due = out.get(r.group_key, ([], None))
        parties.append(PERSON if r.decider_user_id is not None else HOME_HR)
        due = r.due_on if due is None or (r.due_on is not None and r.due_on < due) else due
        out[r.group_key] = (parties, due)
    return out


def expire_appointments(session: Session, *, today: dt.date) -> int:
    """Release the appointments that nobody decided by their due date (a part still pending after it): their
    memberships are released and every open part is closed as ``expired``. Returns how many appointments
    (one person's memberships of one task force, one group) were released. The daily job calls it."""
    rows = session.execute(
        sa.select(R.c.group_key, sa.func.min(R.c.subject_id))
        .where(
            R.c.kind == RequestKind.appointment,
            R.c.status == RequestStatus.pending,
            R.c.due_on < today,
            R.c.group_key.is_not(None),
        )
        .group_by(R.c.group_key)
    ).all()
    by_tf: dict[int, list[str]] = {}
    for key, _ in rows:
        tf_id = session.scalar(sa.select(TaskForceMember.taskforce_id).where(TaskForceMember.consent_group == key))
        by_tf.setdefault(tf_id or 0, []).append(key)
    released = 0
    for tf_id in sorted(by_tf):  # task forces locked in id order
        if tf_id:
            _lock_taskforce(session, tf_id)
        for key in by_tf[tf_id]:
            members = _group_members(session, key)
            requester = session.scalar(sa.select(R.c.requester_user_id).where(R.c.group_key == key).limit(1))
            n = release(
                session,
                members,
                why="expired",
                status=RequestStatus.expired,
                notify_users=[requester] if requester is not None else [],
            )
            if n == 0:  # nothing pending any more: close what is left open all the same
                close_open_parts(session, key, status=RequestStatus.expired, reason=REASONS["expired"][1])
            released += 1 if n else 0
    return released


def _link(req: Request) -> str:
    return f"/inbox#request-{req.id}"


kinds.register(RequestKind.appointment, kinds.KindHandler(apply=apply, link=_link, due_days=DUE_DAYS))


def _expire_daily(engine: Engine, today: dt.date) -> None:
    with Session(engine) as session, session.begin():
        expire_appointments(session, today=today)


register_daily("appointments_expire", _expire_daily)  # undecided appointments released once past due
