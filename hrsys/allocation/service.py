"""The allocation rule, enforced inside the caller's transaction.

Call :func:`ensure_capacity` in the same transaction that writes a membership or
a secondment. It first locks the person (``SELECT ... FOR UPDATE`` on
PostgreSQL; on SQLite every write transaction already starts with ``BEGIN
IMMEDIATE``, which serialises writers), then reads every commitment and refuses
with 409 if the new one would take any day past 100%. Two concurrent requests
that together would over-book a person therefore give one success and one 409.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy.orm import Session

from hrsys.allocation.rules import CAPACITY, Commitment, overbooking, peak_allocation
from hrsys.core.errors import Conflict, NotFound
from hrsys.people.models import Person
from hrsys.secondments.models import Secondment, SecondmentStatus
from hrsys.taskforces.models import MemberStatus, TaskForceMember

# Secondment states that hold a person's time (a proposal does not, until approved).
BOOKING_SECONDMENT_STATES = (SecondmentStatus.approved, SecondmentStatus.active, SecondmentStatus.extended)


def lock_person(session: Session, person_id: int) -> None:
    """Serialise allocation changes of one person until the transaction ends.

    On PostgreSQL the row lock is ``FOR NO KEY UPDATE``: it conflicts with itself (so two
    allocation changes of one person queue up) but not with the ``FOR KEY SHARE`` locks
    that inserting rows which reference the person take (assessments, enrolments, ...),
    so those are not blocked while an allocation check runs.
    """
    stmt = sa.select(Person.id).where(Person.id == person_id)
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update(key_share=True)
    if session.scalar(stmt) is None:
        raise NotFound("person", person_id)


def commitments(
    session: Session,
    person_id: int,
    starts_on: dt.date,
    ends_on: dt.date,
    *,
    exclude_member_id: int | None = None,
    exclude_secondment_id: int | None = None,
) -> list[Commitment]:
    """Every membership and booking secondment of the person that overlaps the period."""
    m = TaskForceMember
    mq = sa.select(m.id, m.starts_on, m.ends_on, m.allocation).where(
        m.person_id == person_id,
        m.status == MemberStatus.active,
        m.starts_on <= ends_on,
        m.ends_on >= starts_on,
    )
    if exclude_member_id is not None:
        mq = mq.where(m.id != exclude_member_id)
    s = Secondment
    sq = sa.select(s.id, s.starts_on, s.ends_on, s.allocation).where(
        s.person_id == person_id,
        s.status.in_(BOOKING_SECONDMENT_STATES),
        s.starts_on <= ends_on,
        s.ends_on >= starts_on,
    )
    if exclude_secondment_id is not None:
        sq = sq.where(s.id != exclude_secondment_id)
    out = [Commitment(r[1], r[2], r[3], f"taskforce_member:{r[0]}") for r in session.execute(mq)]
    out += [Commitment(r[1], r[2], r[3], f"secondment:{r[0]}") for r in session.execute(sq)]
    return out


def ensure_capacity(
    session: Session,
    person_id: int,
    starts_on: dt.date,
    ends_on: dt.date,
    percent: int,
    *,
    exclude_member_id: int | None = None,
    exclude_secondment_id: int | None = None,
) -> None:
    """Lock the person and raise 409 if ``percent`` over the period would over-book them."""
    lock_person(session, person_id)
    existing = commitments(
        session,
        person_id,
        starts_on,
        ends_on,
        exclude_member_id=exclude_member_id,
        exclude_secondment_id=exclude_secondment_id,
    )
    peak = overbooking(existing, Commitment(starts_on, ends_on, percent, "new"), CAPACITY)
    if peak is not None:
        raise Conflict(
            f"person {person_id} would be allocated {peak.percent}% on {peak.on} "
            f"({peak.percent - CAPACITY} points over {CAPACITY}%)",
            rule="allocation_capacity",
            extra={
                "person_id": person_id,
                "peak_percent": peak.percent,
                "on": str(peak.on),
                "over_by": peak.percent - CAPACITY,
                "commitments": [s for s in peak.sources if s != "new"],
            },
        )


def free_capacity(session: Session, person_id: int, starts_on: dt.date, ends_on: dt.date) -> int:
    """Percent of time still free on the busiest day of the period."""
    peak = peak_allocation(commitments(session, person_id, starts_on, ends_on), within=(starts_on, ends_on))
    return max(0, CAPACITY - peak.percent)


def free_capacities(
    conn: Session | sa.Connection, person_ids: Iterable[int], starts_on: dt.date, ends_on: dt.date
) -> dict[int, int]:
    """Percent of time still free on each person's busiest day of the period, for many people at once.

    Two indexed queries (memberships, booking secondments) however many people; people
    without commitments are 100% free. A read, without locks: a snapshot for proposals,
    not a check (that is :func:`ensure_capacity`, inside the writing transaction).
    """
    ids = sorted(set(person_ids))
    out = dict.fromkeys(ids, CAPACITY)
    if not ids:
        return out
    m, s = TaskForceMember, Secondment
    by_person: dict[int, list[Commitment]] = {}
    for chunk_start in range(0, len(ids), 5_000):
        chunk = ids[chunk_start : chunk_start + 5_000]
        rows = list(
            conn.execute(
                sa.select(m.person_id, m.starts_on, m.ends_on, m.allocation).where(
                    m.person_id.in_(chunk),
                    m.status == MemberStatus.active,
                    m.starts_on <= ends_on,
                    m.ends_on >= starts_on,
                )
            )
        )
        rows += list(
            conn.execute(
                sa.select(s.person_id, s.starts_on, s.ends_on, s.allocation).where(
                    s.person_id.in_(chunk),
                    s.status.in_(BOOKING_SECONDMENT_STATES),
                    s.starts_on <= ends_on,
                    s.ends_on >= starts_on,
                )
            )
        )
        for pid, lo, hi, pct in rows:
            by_person.setdefault(pid, []).append(Commitment(lo, hi, pct))
    for pid, items in by_person.items():
        out[pid] = max(0, CAPACITY - peak_allocation(items, within=(starts_on, ends_on)).percent)
    return out
