"""The allocation rule shared by task forces and secondments (pure part).

A person's allocation over all task-force memberships and secondments may never
pass 100% on any day. :func:`peak_allocation` finds the busiest day of a set of
dated commitments by a sweep over their start and end dates.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import msgspec

CAPACITY = 100


class Commitment(msgspec.Struct, frozen=True):
    """An allocation of ``percent`` of working time over ``[starts_on, ends_on]`` (both days included)."""

    starts_on: dt.date
    ends_on: dt.date
    percent: int
    source: str = ""
    """What it is, e.g. ``taskforce_member:12`` or ``secondment:7``."""


class Peak(msgspec.Struct, frozen=True):
    percent: int
    on: dt.date | None
    sources: tuple[str, ...] = ()


def peak_allocation(commitments: Iterable[Commitment], within: tuple[dt.date, dt.date] | None = None) -> Peak:
    """The highest total allocation on any day (optionally only days inside ``within``).

    O(n log n) in the number of commitments.

    >>> d = dt.date
    >>> peak_allocation([Commitment(d(2026, 1, 1), d(2026, 6, 30), 60), Commitment(d(2026, 6, 1), d(2026, 12, 31), 50)])
    Peak(percent=110, on=datetime.date(2026, 6, 1), sources=('', ''))
    """
    items = list(commitments)
    if within is not None:
        lo, hi = within
        items = [
            Commitment(max(c.starts_on, lo), min(c.ends_on, hi), c.percent, c.source)
            for c in items
            if c.starts_on <= hi and c.ends_on >= lo
        ]
    events: list[tuple[dt.date, int, int]] = []
    for i, c in enumerate(items):
        events.append((c.starts_on, 0, i))  # starts sort before ends on the same day
        events.append((c.ends_on + dt.timedelta(days=1), -1, i))
    events.sort(key=lambda e: (e[0], 0 if e[1] == -1 else 1))
    active: set[int] = set()
    best = Peak(percent=0, on=None)
    total = 0
    for day, kind, i in events:
        if kind == -1:
            active.discard(i)
            total -= items[i].percent
        else:
            active.add(i)
            total += items[i].percent
            if total > best.percent:
                best = Peak(percent=total, on=day, sources=tuple(items[j].source for j in sorted(active)))
    return best


def overbooking(existing: Iterable[Commitment], new: Commitment, capacity: int = CAPACITY) -> Peak | None:
    """The peak that ``new`` would cause if it passes ``capacity``, else None."""
    peak = peak_allocation([*existing, new], within=(new.starts_on, new.ends_on))
    return peak if peak.percent > capacity else None
