"""Members of a task force: appoint, change, end or withdraw them under the shared allocation rule
(:func:`hrsys.allocation.service.ensure_capacity`, after the task force's lock); and the list of them.
An appointment outside the appointer's scope waits for consent (:mod:`hrsys.taskforces.consent`)."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

import msgspec
import sqlalchemy as sa
from sqlalchemy.orm import Session

from hrsys.access.identity import CurrentUser
from hrsys.allocation.service import ensure_capacity
from hrsys.core.copying import columns, copied
from hrsys.core.errors import Conflict, FieldError, check
from hrsys.people.models import Person
from hrsys.taskforces import consent, states
from hrsys.taskforces.models import TaskForce, TaskForceMember, TaskForceNeed
from hrsys.taskforces.schemas import MemberCreate, MemberOut, MemberUpdate, PersonRef
from hrsys.taskforces.service import added, get, part_of, person_errors, require_editable, today
from hrsys.taskforces.states import HOLDING, MemberStatus

M = TaskForceMember.__table__
P = Person.__table__


def _person_ref(row: Any) -> PersonRef:
    return PersonRef(
        id=row.id,
        name_th=f"{row.first_name_th} {row.last_name_th}",
        name_en=f"{row.first_name_en} {row.last_name_en}",
        kind=str(row.kind.value if hasattr(row.kind, "value") else row.kind),
    )


def people_refs(session: Session, ids: set[int]) -> dict[int, PersonRef]:
    if not ids:
        return {}
    rows = session.execute(
        sa.select(P.c.id, P.c.first_name_th, P.c.last_name_th, P.c.first_name_en, P.c.last_name_en, P.c.kind).where(
            P.c.id.in_(sorted(ids))
        )
    )
    return {r.id: _person_ref(r) for r in rows}


def members_out(session: Session, taskforce_id: int) -> list[MemberOut]:
    rows = session.execute(sa.select(M).where(M.c.taskforce_id == taskforce_id).order_by(M.c.id)).all()
    people = people_refs(session, {r.person_id for r in rows})
    waiting = consent.awaiting(
        session, [r.consent_group for r in rows if r.status == MemberStatus.pending and r.consent_group]
    )
    out = []
    for r in rows:
        parties, due = waiting.get(r.consent_group, ([], None)) if r.status == MemberStatus.pending else ([], None)
        out.append(
            copied(
                MemberOut,
                r,
                person=people[r.person_id],
                allowed_moves=_moves(r.status),
                awaiting_consent=parties,
                consent_due_on=due,
            )
        )
    return out


def _moves(status: MemberStatus) -> list[str]:
    """The moves a user may make (a pending membership becomes active by consent only, never by an edit)."""
    return [m for m in states.MEMBERS.allowed(status) if status != MemberStatus.pending or m != MemberStatus.active]


def member_counts(session: Session | sa.Connection, taskforce_id: int) -> Counter[int]:
    """Active and pending members per need id (the slots taken)."""
    rows = session.execute(
        sa.select(M.c.need_id, sa.func.count())
        .where(M.c.taskforce_id == taskforce_id, M.c.status.in_(HOLDING), M.c.need_id.is_not(None))
        .group_by(M.c.need_id)
    )
    return Counter({r[0]: r[1] for r in rows})


def filled_count(session: Session, need_id: int) -> int:
    return session.scalar(sa.select(sa.func.count()).where(M.c.need_id == need_id, M.c.status.in_(HOLDING))) or 0


def default_start(tf: Any, on: dt.date) -> dt.date:
    """Members join from the task force's start, or from ``on`` if it has already started."""
    return on if tf.starts_on < on <= tf.ends_on else tf.starts_on


def _period_field_errors(tf: TaskForce, starts_on: dt.date, ends_on: dt.date) -> list[FieldError]:
    errors = []
    if starts_on < tf.starts_on or starts_on > tf.ends_on:
        errors.append(
            FieldError("starts_on", f"must be within the task force's period ({tf.starts_on} to {tf.ends_on})")
        )
    if ends_on > tf.ends_on or ends_on < tf.starts_on:
        errors.append(FieldError("ends_on", f"must be within the task force's period ({tf.starts_on} to {tf.ends_on})"))
    if ends_on < starts_on:
        errors.append(FieldError("ends_on", "must be on or after starts_on"))
    return errors


def _check_need_room(session: Session, need: TaskForceNeed, adding: int = 1) -> None:
    filled = filled_count(session, need.id)
    if filled + adding > need.headcount:
        raise Conflict(
            f"need {need.id} already has {filled} of {need.headcount} people; raise its headcount first",
            rule="need_full",
            extra={"need_id": need.id, "filled": filled, "headcount": need.headcount},
        )


def _check_not_already(session: Session, tf: TaskForce, person_id: int, need_id: int | None) -> None:
    clash = session.scalar(
        sa.select(M.c.id).where(
            M.c.taskforce_id == tf.id,
            M.c.person_id == person_id,
            M.c.status.in_(HOLDING),
            M.c.need_id.is_(None) if need_id is None else M.c.need_id == need_id,
        )
    )
    if clash is not None:
        raise Conflict(
            f"person {person_id} is already an active (or pending) member for this need (membership {clash})",
            rule="already_member",
            extra={"member_id": clash},
        )


def add_member(
    session: Session,
    taskforce_id: int,
    data: MemberCreate,
    *,
    on: dt.date | None = None,
    user: CurrentUser | None = None,
) -> TaskForceMember:
    """Appoint a person; 409 if it would take them past 100% on any day, or the need is full. Outside
    ``user``'s scope the membership is ``pending`` (it holds the time) and consent is asked for
    (:func:`hrsys.taskforces.consent.consent_parties`)."""
    on = on or today()
    tf = get(session, taskforce_id, lock=True)
    require_editable(tf)
    errors = data.check() + person_errors(session, data.person_id, "person_id")
    need = None
    if data.need_id is not None:
        need = session.get(TaskForceNeed, data.need_id)
        if need is None or need.taskforce_id != tf.id:
            errors.append(FieldError("need_id", f"task force {tf.code} has no need {data.need_id}"))
            need = None
    if data.need_id is None and data.allocation is None:
        errors.append(FieldError("allocation", "is required for a member who fills no need"))
    allocation = data.allocation if data.allocation is not None else (need.allocation if need else 0)
    starts_on = data.starts_on or default_start(tf, on)
    ends_on = data.ends_on or tf.ends_on
    reported = {e.field for e in errors}
    errors += [e for e in _period_field_errors(tf, starts_on, ends_on) if e.field not in reported]
    check(errors)
    if need is not None:
        _check_need_room(session, need)
    _check_not_already(session, tf, data.person_id, data.need_id)
    ensure_capacity(session, data.person_id, starts_on, ends_on, allocation)
    parties = consent.consent_parties(session, user, tf, data.person_id)
    member = added(
        session,
        TaskForceMember(
            taskforce_id=tf.id,
            status=MemberStatus.active if parties is None else MemberStatus.pending,
            **columns(data, allocation=allocation, starts_on=starts_on, ends_on=ends_on),
        ),
    )
    if parties is not None and user is not None:
        consent.ask(session, tf=tf, members=[member], parties=parties, user=user)
    return member


def update_member(
    session: Session, taskforce_id: int, member_id: int, data: MemberUpdate, *, on: dt.date | None = None
) -> TaskForceMember:
    """Change a membership's allocation or period (checked again against the allocation rule), or end it."""
    on = on or today()
    tf = get(session, taskforce_id, lock=True)
    require_editable(tf)
    member = part_of(session, tf, TaskForceMember, member_id, "member")
    target = data.status if isinstance(data.status, MemberStatus) else member.status
    if target != member.status:
        states.MEMBERS.next(member.status, target)
    if member.status == MemberStatus.pending:
        return _change_pending(session, member, data, target)
    if member.status != MemberStatus.active:
        raise Conflict(f"membership {member.id} is {member.status.value}: it can no longer change", rule="member_final")
    allocation = data.allocation if isinstance(data.allocation, int) else member.allocation
    starts_on = data.starts_on if isinstance(data.starts_on, dt.date) else member.starts_on
    ends_on = data.ends_on if isinstance(data.ends_on, dt.date) else member.ends_on
    if target == MemberStatus.ended and not isinstance(data.ends_on, dt.date):
        ends_on = min(member.ends_on, max(member.starts_on, on))
    check(_period_field_errors(tf, starts_on, ends_on))
    grows = allocation > member.allocation or starts_on < member.starts_on or ends_on > member.ends_on
    if target == MemberStatus.active and grows:
        ensure_capacity(session, member.person_id, starts_on, ends_on, allocation, exclude_member_id=member.id)
    member.allocation = allocation
    member.starts_on = starts_on
    member.ends_on = ends_on
    member.status = target
    if data.reason is not msgspec.UNSET:
        member.reason = data.reason
    session.flush()
    return member


def _change_pending(
    session: Session, member: TaskForceMember, data: MemberUpdate, target: MemberStatus
) -> TaskForceMember:
    """A membership waiting for consent: the appointer may withdraw the offer (``released``, the open requests
    are cancelled) and change its reason; its allocation and period are what consent is asked for, and only
    the consent makes it active."""
    if target == MemberStatus.active:
        raise Conflict(
            f"membership {member.id} waits for consent: it becomes active when the person and their home agency agree",
            rule="consent_pending",
            allowed=_moves(member.status),
        )
    changed = [
        f
        for f in ("allocation", "starts_on", "ends_on")
        if getattr(data, f) is not msgspec.UNSET and getattr(data, f) != getattr(member, f)
    ]
    if changed:
        raise Conflict(
            f"membership {member.id} waits for consent to its allocation and period: withdraw it (status "
            "released) and appoint again to change " + ", ".join(changed),
            rule="consent_pending",
            extra={"fields": changed},
        )
    if data.reason is not msgspec.UNSET:
        member.reason = data.reason
    if target == MemberStatus.released:
        siblings = [member]
        if member.consent_group is not None:
            siblings = list(
                session.scalars(sa.select(TaskForceMember).where(TaskForceMember.consent_group == member.consent_group))
            )
        consent.release(session, siblings, why="withdrawn")
    session.flush()
    return member
