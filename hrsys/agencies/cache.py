"""A per-process copy of the agency tree, for hot reads (people lists, scopes).

The tree is small (hundreds to a few thousand rows) and changes rarely. Each
worker keeps a copy and reloads it when the ``agencies`` version stamp in the
database has moved; the stamp is checked at most once per second, and at once
when a code is not found (:class:`~hrsys.core.cache.CheckedCache`). After an
agency is moved in one worker, other workers may use the old tree for up to that
second.

Two extension points keep agencies below the domains that read the tree:
:func:`count_people_with` (the people domain declares the query of its headcounts
per agency, loaded with the tree as an estimate for query plans) and
:meth:`AgencyTree.derived` (a value a domain computes from one tree once, such as
the people list's agency references, and that lives exactly as long as the tree).
"""

from __future__ import annotations

import bisect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from hrsys.agencies.models import Agency
from hrsys.core.cache import CheckedCache

T = TypeVar("T")

_HEADCOUNTS: list[sa.Select[tuple[int | None, int]]] = []
"""The registered headcount query (``agency_id, count``), at most one; see :func:`count_people_with`."""


def count_people_with(query: sa.Select[tuple[int | None, int]]) -> None:
    """Declare the query of people per agency (``SELECT agency_id, count(*) ... GROUP BY agency_id``) that
    loads with each tree; without one the estimates are 0."""
    _HEADCOUNTS[:] = [query]


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
        self._derived: dict[Callable[[AgencyTree], Any], Any] = {}
        ordered = sorted(rows, key=lambda a: a.path)
        self._paths = [a.path for a in ordered]
        self._ids = [a.id for a in ordered]

    def derived(self, build: Callable[[AgencyTree], T]) -> T:
        """``build(self)``, computed on the first call and kept with this tree (so it follows renames and
        moves within the tree's second). Two threads may both build it once; either answer is the same."""
        try:
            return self._derived[build]  # type: ignore[no-any-return]
        except KeyError:
            value = self._derived[build] = build(self)
            return value

    def subtree_ids(self, code: str) -> list[int] | None:
        """Ids of the agency with ``code`` and everything below it; None if the code is unknown."""
        root = self.by_code.get(code)
        if root is None:
            return None
        lo = bisect.bisect_left(self._paths, root.path)
        hi = bisect.bisect_left(self._paths, root.path[:-1] + "0")
        return self._ids[lo:hi]

    def subtree_ids_by_path(self, path: str) -> list[int]:
        """Ids of the agencies whose materialised path starts with ``path``."""
        lo = bisect.bisect_left(self._paths, path)
        hi = bisect.bisect_left(self._paths, path[:-1] + "0")
        return self._ids[lo:hi]

    def estimated_people(self, ids: list[int]) -> int:
        return sum(self.headcounts.get(i, 0) for i in ids)


def _load(conn: sa.Connection, version: int) -> AgencyTree:
    rows = conn.execute(
        sa.select(Agency.id, Agency.code, Agency.path, Agency.parent_id, Agency.name_th, Agency.name_en)
    ).all()
    counts = [c for query in _HEADCOUNTS for c in conn.execute(query).all()]
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
