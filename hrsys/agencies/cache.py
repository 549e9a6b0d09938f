"""A per-process copy of the agency tree, for hot reads (people lists, scopes).

The tree is small (hundreds to a few thousand rows) and changes rarely. Each
worker keeps a copy and reloads it when the ``agencies`` version stamp in the
database has moved; the stamp is checked at most once per second, and at once
when a code is not found (:class:`~hrsys.system.stamped.CheckedCache`). After an
agency is moved in one worker, other workers may use the old tree for up to that
second.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from hrsys.agencies.models import Agency
from hrsys.people.models import Person
from hrsys.system.stamped import CheckedCache


@dataclass(frozen=True)
class AgencyInfo:
    id: int
    code: str
    path: str
    parent_id: int | None
    name_th: str = ""
    name_en: str = ""


class AgencyTree:
    def __init__(self, rows: list[AgencyInfo], version: int, headcounts: dict[int, int] | None = None) -> None:
        self.version = version
        self.headcounts = headcounts or {}
        """People per agency when the tree was loaded: an estimate for choosing query plans."""
        self.everyone = sum(self.headcounts.values())
        """People in all agencies when the tree was loaded (the same estimate)."""
        self.by_code = {a.code: a for a in rows}
        self.by_id = {a.id: a for a in rows}
        from hrsys.people.schemas import AgencyRef

        self.refs = {a.id: AgencyRef(code=a.code, name_th=a.name_th, name_en=a.name_en) for a in rows}
        """One shared :class:`AgencyRef` per agency, for lists of people (renames show within a second)."""
        ordered = sorted(rows, key=lambda a: a.path)
        self._paths = [a.path for a in ordered]
        self._ids = [a.id for a in ordered]

    def subtree_ids(self, code: str) -> list[int] | None:
        """Ids of the agency with ``code`` and everything below it; None if the code is unknown."""
        import bisect

        root = self.by_code.get(code)
        if root is None:
            return None
        lo = bisect.bisect_left(self._paths, root.path)
        hi = bisect.bisect_left(self._paths, root.path[:-1] + "0")
        return self._ids[lo:hi]

    def subtree_ids_by_path(self, path: str) -> list[int]:
        """Ids of the agencies whose materialised path starts with ``path``."""
        import bisect

        lo = bisect.bisect_left(self._paths, path)
        hi = bisect.bisect_left(self._paths, path[:-1] + "0")
        return self._ids[lo:hi]

    def estimated_people(self, ids: list[int]) -> int:
        return sum(self.headcounts.get(i, 0) for i in ids)


def _load(conn: sa.Connection, version: int) -> AgencyTree:
    rows = conn.execute(
        sa.select(Agency.id, Agency.code, Agency.path, Agency.parent_id, Agency.name_th, Agency.name_en)
    ).all()
    counts = conn.execute(sa.select(Person.agency_id, sa.func.count()).group_by(Person.agency_id)).all()
    return AgencyTree([AgencyInfo(*r) for r in rows], version, {a: n for a, n in counts if a})


class AgencyTreeCache(CheckedCache[AgencyTree]):
    """Thread-safe holder of one :class:`AgencyTree` per engine."""

    def __init__(self) -> None:
        super().__init__("agencies", _load)

    def subtree_ids(self, engine: Engine, code: str) -> list[int] | None:
        ids = self.get(engine).subtree_ids(code)
        if ids is None:  # maybe created in another worker a moment ago
            ids = self.get(engine, force_check=True).subtree_ids(code)
        return ids


agency_trees = AgencyTreeCache()
