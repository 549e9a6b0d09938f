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
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from hrsys.allocation.rules import CAPACITY, Commitment, overbooking, peak_allocation
from hrsys.allocation.sources import sources
from hrsys.core.errors import Conflict, NotFound
from hrsys.people.models import Person

CHUNK = 5_000
"""People per query of :func:`free_capacities` (bound parameters stay well under every driver's limit)."""


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
    """Every commitment of the person that overlaps the period: one indexed query per registered source
    (memberships, booking secondments); ``exclude_*``: the row being changed."""
    exclude = {"taskforce_member": exclude_member_id, "secondment": exclude_secondment_id}
    out: list[Commitment] = []
    for src in sources():
        q = sa.select(src.id, src.starts_on, src.ends_on, src.allocation).where(
            src.person_id == person_id,
            src.holds_time,
            src.starts_on <= ends_on,
            src.ends_on >= starts_on,
        )
        skip = exclude.get(src.name)
        if skip is not None:
            q = q.where(src.id != skip)
        out += [Commitment(r[1], r[2], r[3], f"{src.name}:{r[0]}") for r in session.execute(q)]
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

    One indexed query per registered source (memberships, booking secondments) however many people; people
    without commitments are 100% free. A read, without locks: a snapshot for proposals,
    not a check (that is :func:`ensure_capacity`, inside the writing transaction).
    """
    ids = sorted(set(person_ids))
    out = dict.fromkeys(ids, CAPACITY)
    if not ids:
        return out
    by_person: dict[int, list[Commitment]] = {}
    for chunk_start in range(0, len(ids), CHUNK):
        chunk = ids[chunk_start : chunk_start + CHUNK]
        rows: list[Any] = []
        for src in sources():
            rows += conn.execute(
                sa.select(src.person_id, src.starts_on, src.ends_on, src.allocation).where(
                    src.person_id.in_(chunk),
                    src.holds_time,
                    src.starts_on <= ends_on,
                    src.ends_on >= starts_on,
                )
            )
        for pid, lo, hi, pct in rows:
            by_person.setdefault(pid, []).append(Commitment(lo, hi, pct))
    for pid, items in by_person.items():
        out[pid] = max(0, CAPACITY - peak_allocation(items, within=(starts_on, ends_on)).percent)
    return out
