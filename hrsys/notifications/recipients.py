"""Who hears of a person's or an agency's reminders: the users of people, and an agency's HR officers.

"Their HR officers" are the active HR officers of the **nearest** agency, walking up from the agency
itself, that has any: a department's own officers if it has them, else its ministry's. Every officer up
the tree (the scope rule of :mod:`hrsys.access`) would send a ministry's officers a reminder for each
certification of each of its departments: thousands a day at national scale, read by nobody. A request
that nobody decides escalates up the tree by its own rule (``hrsys.requests``).
"""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy.orm import Session

from hrsys.access.models import User, UserRole
from hrsys.agencies.models import Agency


class HrOfficers:
    """The nearest HR officers of every agency, read once (a few hundred agencies, a few thousand officers)."""

    def __init__(self, session: Session) -> None:
        self._parent = dict(session.execute(sa.select(Agency.id, Agency.parent_id)).tuples().all())
        own: dict[int, list[int]] = {}
        for uid, agency_id in session.execute(
            sa.select(User.id, User.agency_id)
            .where(User.role == UserRole.hr_officer, User.active.is_(True), User.agency_id.is_not(None))
            .order_by(User.id)
        ).tuples():
            if agency_id is not None:
                own.setdefault(agency_id, []).append(uid)
        self._own = own
        self._nearest: dict[int, tuple[int, ...]] = {}

    def of(self, agency_id: int | None) -> tuple[int, ...]:
        """The nearest HR officers of ``agency_id`` (none for None or an agency with none up its tree)."""
        if agency_id is None:
            return ()
        found = self._nearest.get(agency_id)
        if found is not None:
            return found
        walked: list[int] = []
        at: int | None = agency_id
        result: tuple[int, ...] = ()
        while at is not None and at not in walked:
            if at in self._nearest:
                result = self._nearest[at]
                break
            walked.append(at)
            if at in self._own:
                result = tuple(self._own[at])
                break
            at = self._parent.get(at)
        for a in walked:
            self._nearest[a] = result
        return result


def users(*groups: Iterable[int | None]) -> tuple[int, ...]:
    """The distinct user ids of ``groups`` (None left out), in order."""
    out: dict[int, None] = {}
    for g in groups:
        for u in g:
            if u is not None:
                out[u] = None
    return tuple(out)
