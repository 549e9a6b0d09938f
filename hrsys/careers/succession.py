"""Bench strength and succession: who in an agency subtree could fill a role, most ready first.

The bench
---------
A role's *bench* in an agency subtree is the active civil servants there (the
role's incumbents left out unless asked for) who already meet at least
``min_share`` (default half) of the role's essential requirements at the needed
level: people with a real foothold, not everyone who has heard of one of its
skills. A role without essential requirements uses all its requirements instead.
On the bench:

- *ready now*: every essential requirement met (readiness >= 0.75, see
  :mod:`hrsys.careers.gap`);
- *one training plan away*: not ready, but every unmet essential requirement is
  taught to its level by some plannable course (a set-cover instance is feasible
  exactly when each element is covered by some set, and prerequisites are
  acyclic), whatever the plan's cost. What courses teach is training's data: it
  comes through :mod:`hrsys.careers.extensions`, where training registers it.

Levels are read from ``current_skill`` as the skills package maintains it (a
lapsed certification leaves it at the daily ``hrsys assessments refresh-expired``).

The algorithm (interactive over 500,000 staff)
----------------------------------------------
Every read is a range of the ``current_skill`` index ``(skill_id, level,
person_id)`` that returns person ids only, so the index alone answers it (no
table row is touched) and the database does no grouping or sorting:

1. *Narrow.* For each essential requirement, the people at or above its level;
   counting them per person (``collections.Counter``, in C) gives how many
   essentials each meets, and keeps those meeting enough.
2. *Filter* them by status, kind, agency subtree and incumbency (primary-key
   look-ups in chunks, or the subtree's people when an agency is named).
3. *Score exactly.* The attainments below the need and the desirable
   attainments come from the ranges ``(skill, level)`` one level at a time (each
   range has one attainment value), intersected with the bench as sets. Then the
   readiness of each bench member is the formula of :mod:`hrsys.careers.gap`
   (the same function), and the page is the exact top ``limit`` (a heap).

Work: O(rows of the role's skills in ``current_skill``) index entries read and
O(bench) Python operations; measured 50 to 250 ms per role over 500,000 staff
and 6 million profile rows on SQLite.
"""

from __future__ import annotations

import heapq
import math
import time
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from hrsys.agencies.models import Agency
from hrsys.careers import cache, extensions
from hrsys.careers.gap import readiness_score
from hrsys.careers.schemas import BenchOut, BenchPerson
from hrsys.core.db import read_engine
from hrsys.core.errors import Invalid, NotFound
from hrsys.people.models import Person, PersonKind
from hrsys.skills.assessments.models import CurrentSkill

P = Person.__table__
A = Agency.__table__
CS = CurrentSkill.__table__
R = sa.table("role", sa.column("id"), sa.column("code"))
DEFAULT_MIN_SHARE = 0.5
MAX_LEVEL = 10


class _Index:
    """Reads of the ``current_skill`` index and of ``person`` that return many bare integers, fast.

    Each read comes back as one value, aggregated by the database (``group_concat``
    on SQLite, ``array_agg`` on PostgreSQL), which costs a fraction of one result
    row per person. The driver's cursor belongs to the caller's connection, so the
    reads share its transaction.
    """

    def __init__(self, conn: sa.Connection) -> None:
        self.cur = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        self.pg = conn.dialect.name == "postgresql"
        self.ph = "%s" if self.pg else "?"

    def _agg(self, column: str) -> str:
        return f"array_agg({column})" if self.pg else f"group_concat({column})"

    def _list(self, value: Any) -> list[int]:
        if not value:
            return []
        return list(value) if self.pg else list(map(int, value.split(",")))

    def ids(self, skill_id: int, lo: int, hi: int = MAX_LEVEL) -> list[int]:
        """People with ``skill_id`` at a level in ``[lo, hi]``: one range of the covering index."""
        ph = self.ph
        self.cur.execute(
            f"SELECT {self._agg('person_id')} FROM current_skill "
            f"WHERE skill_id = {ph} AND level >= {ph} AND level <= {ph}",
            (skill_id, lo, hi),
        )
        return self._list(self.cur.fetchone()[0])

    def eligible(self, ids: Sequence[int], role_id: int | None, subtree: tuple[str, str] | None) -> set[int]:
        """Those of ``ids`` who are active civil servants (in the subtree; not holding ``role_id``)."""
        if not ids:
            return set()
        ph = self.ph
        where = ["active", f"kind = {ph}"]
        params: list[Any] = [PersonKind.civil_servant.name]
        if role_id is not None:
            where.append(f"(role_id IS NULL OR role_id <> {ph})")
            params.append(role_id)
        if subtree is not None:  # a subtree: read its people (an index range), keep those on the bench
            where.append(f"agency_id IN (SELECT id FROM agency WHERE path >= {ph} AND path < {ph})")
            self.cur.execute(f"SELECT {self._agg('id')} FROM person WHERE {' AND '.join(where)}", [*params, *subtree])
            return set(self._list(self.cur.fetchone()[0])).intersection(ids)
        if self.pg:
            member = "id = ANY(%s)"
            listed: Any = list(ids)
        else:  # one JSON array: no limit on the number of ids, no statement with thousands of parameters
            member = "id IN (SELECT value FROM json_each(?))"
            listed = "[" + ",".join(map(str, ids)) + "]"
        self.cur.execute(
            f"SELECT {self._agg('id')} FROM person WHERE {member} AND {' AND '.join(where)}", [listed, *params]
        )
        return set(self._list(self.cur.fetchone()[0]))

    def close(self) -> None:
        self.cur.close()


class _Sums:
    """Per-person sums of a few distinct values: one ``Counter`` per value, updated in C, summed on demand."""

    def __init__(self) -> None:
        self.by_value: dict[float, Counter[int]] = {}

    def add(self, ids: Iterable[int], value: float) -> None:
        self.by_value.setdefault(value, Counter()).update(ids)

    def totals(self, among: Iterable[int] | None = None) -> dict[int, float]:
        """``{person: sum}`` over everyone counted, or only over ``among``."""
        out: dict[int, float] = defaultdict(float)
        for v, c in self.by_value.items():
            if among is None:
                for p, n in c.items():
                    out[p] += v * n
            else:
                for p in among:
                    k = c.get(p, 0)
                    if k:
                        out[p] += v * k
        return out


def bench_strength(
    engine: Engine,
    role_code: str,
    *,
    agency: str | None = None,
    limit: int = 50,
    include_incumbents: bool = False,
    min_share: float = DEFAULT_MIN_SHARE,
) -> BenchOut:
    """The role's bench in ``agency``'s subtree (everywhere when None), most ready first."""
    started = time.perf_counter()
    data = cache.career_data(engine)
    role = data.role(role_code)
    if role is None:
        raise NotFound("role", role_code)
    teachable = extensions.teachable_levels(engine)
    reqs = list(role.requirements)
    essentials = [r for r in reqs if r.essential]
    desirables = [r for r in reqs if not r.essential]
    gate = essentials or reqs
    hard = [r for r in essentials if teachable.get(r.skill_id, 0) < r.level]
    need_met = max(1, math.ceil(min_share * len(gate))) if gate else 0
    untaught = [data.skills[r.skill_id].ref if r.skill_id in data.skills else str(r.skill_id) for r in hard]
    out = BenchOut(
        role=role.code, agency=agency, essentials_total=len(essentials), candidates=0, ready_now=0, one_plan_away=0,
        incumbents=0, untaught_essentials=untaught, people=[], limit=limit, elapsed_ms=0.0,
    )  # fmt: skip

    with read_engine(engine).connect() as conn:
        subtree = None
        agency_cond: sa.ColumnElement[bool] = sa.true()
        if agency is not None:
            path = conn.scalar(sa.select(A.c.path).where(A.c.code == agency))
            if path is None:
                raise Invalid.one("agency", f"no agency with code {agency}")
            subtree = (path, path[:-1] + "0")
            agency_cond = P.c.agency_id.in_(sa.select(A.c.id).where(A.c.path >= subtree[0], A.c.path < subtree[1]))
        out.incumbents = (
            conn.scalar(sa.select(sa.func.count()).where(P.c.role_id == role.id, P.c.active, agency_cond)) or 0
        )
        if not reqs:
            out.elapsed_ms = round((time.perf_counter() - started) * 1000, 2)
            return out
        index = _Index(conn)
        try:
            # 1. How many gate requirements each person meets (with their weights, and the untaught ones).
            # Weight of the essentials met = w0 * count met + the difference of the others' weights (few).
            met: Counter[int] = Counter()
            w0 = Counter(r.weight for r in essentials).most_common(1)[0][0] if essentials else 1.0
            odd_w = _Sums()
            hard_met: Counter[int] = Counter()
            hard_ids = {r.skill_id for r in hard}
            for r in gate:
                ids = index.ids(r.skill_id, r.level)
                met.update(ids)
                if r.essential and r.weight != w0:
                    odd_w.add(ids, r.weight - w0)
                if r.essential and r.skill_id in hard_ids:
                    hard_met.update(ids)
            on_bench = [p for p, n in met.items() if n >= need_met]
            # 2. Status, kind, subtree and incumbency.
            eligible = index.eligible(on_bench, None if include_incumbents else role.id, subtree)
            # 3. Exact attainments: below the need for essentials, any level for desirables.
            n_ess = len(essentials)
            not_ready = {p for p in eligible if met[p] < n_ess} if n_ess else set()
            partial = _Sums()
            if not_ready:
                for r in essentials:
                    for level in range(1, r.level):
                        partial.add(
                            not_ready.intersection(index.ids(r.skill_id, level, level)), r.weight * level / r.level
                        )
            d_sum = _Sums()
            for r in desirables:
                for level in range(1, r.level):
                    d_sum.add(eligible.intersection(index.ids(r.skill_id, level, level)), r.weight * level / r.level)
                d_sum.add(eligible.intersection(index.ids(r.skill_id, r.level)), r.weight)
        finally:
            index.close()

        e_weight = sum(r.weight for r in essentials)
        d_weight = sum(r.weight for r in desirables)
        d_of, odd_of, partial_of = d_sum.totals(), odd_w.totals(not_ready), partial.totals()
        scores: list[tuple[float, int]] = []
        ready = one_plan = 0
        for p in eligible:
            d = d_of.get(p, 0.0) / d_weight if d_weight else 1.0
            if not n_ess or met[p] == n_ess:
                ready += 1
                scores.append((-readiness_score(1.0, d, True), p))
            else:
                one_plan += hard_met[p] == len(hard)
                e = (w0 * met[p] + odd_of.get(p, 0.0) + partial_of.get(p, 0.0)) / e_weight
                scores.append((-readiness_score(e, d, False), p))
        top = heapq.nsmallest(limit, scores)
        out.candidates, out.ready_now, out.one_plan_away = len(eligible), ready, one_plan
        out.people = _people(conn, top, met, hard_met, n_ess, len(hard))
    out.elapsed_ms = round((time.perf_counter() - started) * 1000, 2)
    return out


def _people(
    conn: sa.Connection, top: list[tuple[float, int]], met: Counter[int], hard_met: Counter[int], n_ess: int,
    n_hard: int,
) -> list[BenchPerson]:  # fmt: skip
    if not top:
        return []
    rows = {
        r.id: r
        for r in conn.execute(
            sa.select(
                P.c.id,
                P.c.first_name_th,
                P.c.last_name_th,
                P.c.first_name_en,
                P.c.last_name_en,
                P.c.position_level,
                A.c.code.label("agency_code"),
                R.c.code.label("role_code"),
            )
            .select_from(P.outerjoin(A, A.c.id == P.c.agency_id).outerjoin(R, R.c.id == P.c.role_id))
            .where(P.c.id.in_([p for _, p in top]))
        )
    }
    out = []
    for neg, pid in top:
        r: Any = rows[pid]
        ready = not n_ess or met[pid] == n_ess
        out.append(
            BenchPerson(
                person_id=pid,
                first_name_th=r.first_name_th,
                last_name_th=r.last_name_th,
                first_name_en=r.first_name_en,
                last_name_en=r.last_name_en,
                agency=r.agency_code,
                role=r.role_code,
                position_level=r.position_level.value if hasattr(r.position_level, "value") else r.position_level,
                readiness=round(-neg, 6),
                ready_now=ready,
                one_plan_away=not ready and hard_met[pid] == n_hard,
                essentials_met=met[pid] if n_ess else 0,
            )
        )
    return out
