"""The exact walk of the pool (:func:`exact_pool`): each need's holders of the level, cheapest first by the index
``ix_person_cost_id``, until no one further can be in an optimal team (the proof is in the docstring), or, past
``WALK_LIMIT`` people, a true floor on the cost instead.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from fractions import Fraction
from typing import Any

import msgspec
import sqlalchemy as sa

from hrsys.allocation.service import free_capacities
from hrsys.people.models import Person, PersonKind
from hrsys.taskforces.assembly.structs import SATANG, Need, Options, period_cost
from hrsys.taskforces.extensions import collaboration_sources
from hrsys.taskforces.models import TaskForceMember
from hrsys.taskforces.queries import CS, Target, among, valid_on
from hrsys.taskforces.states import SERVED

P = Person.__table__
M = TaskForceMember.__table__

WALK_LIMIT = 40
"""People of one need walked before the reading stops being exact (:func:`exact_pool`)."""

DEFAULT_MONTHLY_COST = {PersonKind.civil_servant: 30_000, PersonKind.external_expert: 120_000}
"""Baht per month assumed for people without a recorded cost (flagged in the reasons)."""


def _flags(session: Target, ids: list[int], needs: list[Need], on: dt.date) -> tuple[set[int], dict[int, set[int]]]:
    """(people with a possible edge in the collaboration graph (:func:`hrsys.taskforces.pool.collaboration_graph`:
    a task force served in, or an edge of a registered source), the needs each person has the level of), for
    ``ids``; a few indexed queries per 5,000 people."""
    history: set[int] = set()
    fits: dict[int, set[int]] = defaultdict(set)
    skills = sorted({nd.skill_id for nd in needs})
    sources = collaboration_sources()
    for k in range(0, len(ids), 5_000):
        chunk = ids[k : k + 5_000]
        parts = [sa.select(M.c.person_id).where(among(session, M.c.person_id, chunk), M.c.status.in_(SERVED))]
        for source in sources:
            parts += source.history(session, chunk)
        history.update(session.scalars(sa.union_all(*parts) if len(parts) > 1 else parts[0]))
    for k in range(0, len(ids), 200):  # small lists: PostgreSQL then probes the primary key, not the skills
        for r in session.execute(
            sa.select(CS.c.person_id, CS.c.skill_id, CS.c.level).where(
                among(session, CS.c.person_id, ids[k : k + 200]), CS.c.skill_id.in_(skills), valid_on(on)
            )
        ):
            for j, nd in enumerate(needs):
                if nd.skill_id == r.skill_id and r.level >= nd.min_level:
                    fits[r.person_id].add(j)
    return history, fits


class _Holder(msgspec.Struct, frozen=True):
    id: int
    cost: int
    kind: PersonKind


def _holder_streams(
    nd: Need,
    *,
    on: dt.date,
    agency_ids: list[int] | None,
    exclude: list[int],
    after: tuple[int, int] | None,
    below: int | None,
    defaults: bool,
) -> list[sa.Select[Any]]:
    """The ordered statements of :func:`_holders`: people with a recorded cost by ``ix_person_cost_id``, and
    (``defaults``: when someone has no recorded cost) those without one, by kind and id."""
    has_level = (
        sa.select(CS.c.person_id)
        .where(CS.c.person_id == P.c.id, CS.c.skill_id == nd.skill_id, CS.c.level >= nd.min_level, valid_on(on))
        .exists()
    )
    internal_ok = P.c.agency_id.in_(agency_ids) if agency_ids is not None else sa.true()
    allowed = [P.c.active, has_level, sa.or_(P.c.kind == PersonKind.external_expert, internal_ok)]
    if exclude:
        allowed.append(P.c.id.not_in(exclude))
    recorded = sa.select(P.c.id, P.c.monthly_cost_baht.label("cost"), P.c.kind).where(
        P.c.monthly_cost_baht.is_not(None), *allowed
    )
    if after is not None:
        recorded = recorded.where(
            sa.tuple_(P.c.monthly_cost_baht, P.c.id) > sa.tuple_(sa.literal(after[0]), sa.literal(after[1]))
        )
    if below is not None:
        recorded = recorded.where(P.c.monthly_cost_baht < below)
    streams = [recorded.order_by(P.c.monthly_cost_baht, P.c.id)]
    for kind, default in DEFAULT_MONTHLY_COST.items():
        if not defaults or (below is not None and default >= below) or (after is not None and default < after[0]):
            continue
        q = sa.select(P.c.id, sa.literal(default, sa.Integer).label("cost"), P.c.kind).where(
            P.c.monthly_cost_baht.is_(None), P.c.kind == kind, *allowed
        )
        if after is not None and default == after[0]:
            q = q.where(P.c.id > after[1])
        streams.append(q.order_by(P.c.id))
    return streams


def _merge(pages: list[list[_Holder]], size: int) -> tuple[list[_Holder], bool]:
    """Ordered pages of at most ``size`` rows, one per stream, merged up to the least key at which one of
    them was cut: (rows, whether that is all)."""
    rows = sorted((r for page in pages for r in page), key=lambda r: (r.cost, r.id))
    cuts = [(page[-1].cost, page[-1].id) for page in pages if len(page) == size]
    if not cuts:
        return rows, True
    upto = min(cuts)
    return [r for r in rows if (r.cost, r.id) <= upto], False


def _holders(
    session: Target,
    walks: list[tuple[Need, tuple[int, int] | None, int | None]],
    *,
    size: int,
    on: dt.date,
    agency_ids: list[int] | None,
    exclude: list[int],
    defaults: bool,
) -> list[tuple[list[_Holder], bool]]:
    """For each walk ``(need, after, below)``: the next active holders of the need's level cheapest first
    (monthly cost as assembly counts it, then id), after the key ``after`` and costing less than ``below`` a
    month: (about ``size`` of them, whether that is all). People with a recorded cost come by
    ``ix_person_cost_id`` in order, each one's level probed by the primary key of ``current_skill``; people
    without one (the default cost of their kind) by id; the ordered streams are merged (:func:`_merge`). All
    walks in one statement (a ``UNION ALL`` of limited parts)."""
    parts: list[tuple[int, int]] = []  # (walk, stream) of each part
    selects = []
    for w, (nd, after, below) in enumerate(walks):
        streams = _holder_streams(
            nd, on=on, agency_ids=agency_ids, exclude=exclude, after=after, below=below, defaults=defaults
        )
        for k, q in enumerate(streams):
            sub = q.limit(size).subquery()
            selects.append(sa.select(sub.c.id, sub.c.cost, sub.c.kind, sa.literal(len(parts)).label("part")))
            parts.append((w, k))
    pages: list[list[list[_Holder]]] = [[[] for _ in range(3)] for _ in walks]
    if selects:
        for r in session.execute(sa.union_all(*selects) if len(selects) > 1 else selects[0]):
            w, k = parts[r.part]
            pages[w][k].append(_Holder(r.id, r.cost, PersonKind(r.kind)))
    used = [[k for ww, k in parts if ww == w] for w in range(len(walks))]
    return [_merge([pages[w][k] for k in used[w]], size) for w in range(len(walks))]


class PoolRead(msgspec.Struct, kw_only=True):
    """What :func:`exact_pool` read: the people, whether the reading is exact (an optimal team over the
    whole eligible pool exists among them), and per need the least monthly cost of anyone with the level
    (None: nobody), which bounds any team's cost from below when the reading is not exact."""

    ids: set[int]
    exact: bool = True
    cheapest: list[int | None] = []


def exact_pool(
    session: Target,
    needs: list[Need],
    *,
    on: dt.date,
    ends_on: dt.date,
    agency_ids: list[int] | None,
    exclude: list[int],
    team_ids: set[int],
    options: Options,
    walk_limit: int | None = None,
) -> PoolRead:
    """People with the level of a need among whom an optimal team over the *whole* eligible pool exists,
    when the reading says ``exact``; otherwise the cheapest people of each need and a floor on the cost.

    Per need ``j``, people with the level are walked cheapest first (monthly cost, then id; :func:`_holders`)
    in pages. Proof that the people never read are not needed: write ``c_ij`` for ``i``'s cost on ``j`` over
    the period, ``P_i`` for ``i``'s preference penalty, ``S`` for the slots of all needs, ``N = S + |team|``
    for the largest team and ``slack = lam * D * N``. Take an optimal team ``T`` with someone ``k`` not read,
    on need ``j``. Call *dominators* of ``j`` people read for ``j`` who have the free time for ``j``, are not
    in the current team, and are civil servants when there is an externals limit.

    1. If ``S`` dominators ``i`` have ``c_ij + P_i + slack <= c_kj`` (the walk goes on until the ``S``-th
       cheapest dominator's ``c + P`` plus ``slack`` is at most the cost where it stopped): ``T`` has at most
       ``S - 1`` new members besides ``k``, so one such ``i`` is not in ``T``. Put ``i`` on ``j`` in ``k``'s
       place (``k`` leaves if ``j`` was their only need). The people's cost falls by ``c_kj - c_ij``; ``i``
       adds ``P_i`` and at most ``D`` per pair with the at most ``N`` others, so at most ``slack``; ``k``
       leaving only saves. The team is no worse, covers the same slots, keeps the externals limit.
    2. People with cost below that point but who have no collaboration at all (no task force, no knowledge
       transfer: every distance is ``D``) and the level of no other need are interchangeable up to their
       cost: if ``h_j`` civil servants of that kind with the time are read before them, any of them in
       ``T`` is replaced by one of those not in ``T`` (at most ``h_j - 1`` are, all on ``j``) at no more cost.
       So the walk reads only people with a history or a second need past the first page.

    The lead and the current members are always read (``pool.load_pool``): they are in the team whatever it
    is, so neither argument applies to them. Each replacement puts someone read in the place of someone not
    read, so after finitely many an optimal team of people read remains. Dominators and people read are
    kept in the pool the solver sees.

    At national scale the people below the point are the whole cheapest grade holding the skill (thousands
    per need, most of whom hold a second needed skill), too many to read within a proposal's time. So the
    walk past the first page stops after ``walk_limit`` people of a need (``WALK_LIMIT`` unless given);
    the reading is then not exact, and the answer claims no optimum. Its bound stays true: every slot of
    need ``j`` costs at least ``c_j``, the cost on ``j`` of the cheapest person with the level (the first
    one walked, the walk being in cost order over the whole eligible pool), and the other terms are not
    negative, so a team covering every slot costs at least ``sum of h_j * c_j``.
    """
    if not needs:
        return PoolRead(ids=set())
    limit_rows = WALK_LIMIT if walk_limit is None else walk_limit
    S = sum(nd.headcount for nd in needs)
    slack = options.communication_cost * SATANG * max(1, options.max_distance) * (S + len(team_ids))
    months = Fraction(options.months)
    pen = round(options.external_penalty * SATANG * months) if options.prefer_internal else 0
    read: set[int] = set()
    exact = True
    cheapest: list[int | None] = []
    defaults = session.scalar(sa.select(P.c.id).where(P.c.monthly_cost_baht.is_(None)).limit(1)) is not None
    args: dict[str, Any] = {"on": on, "agency_ids": agency_ids, "exclude": exclude, "defaults": defaults}
    size0 = max(2 * S, 24)
    first = _holders(session, [(nd, None, None) for nd in needs], size=size0, **args)
    free = free_capacities(session, {r.id for rows, _ in first for r in rows}, on, ends_on)
    walked: list[tuple[list[_Holder], list[_Holder], bool]] = []  # per need: (rows, more, cut at a cost point)
    further: list[tuple[int, tuple[Need, tuple[int, int] | None, int | None]]] = []  # walks below a cost point
    for j, nd in enumerate(needs):
        rows, complete = list(first[j][0]), first[j][1]
        size = size0
        stop: int | None = None
        while True:
            doms = sorted(
                period_cost(r.cost, nd.allocation, months) + (pen if r.kind == PersonKind.external_expert else 0)
                for r in rows
                if free.get(r.id, 100) >= nd.allocation
                and r.id not in team_ids
                and (options.max_externals is None or r.kind == PersonKind.civil_servant)
            )
            if complete:
                break  # every holder read
            if len(doms) >= S:
                limit = doms[S - 1] + slack
                if period_cost(rows[-1].cost, nd.allocation, months) < limit:
                    stop = limit
                break  # else everyone not read costs at least the limit
            if len(rows) >= limit_rows:
                exact = False  # too few dominators within the walk: the reading stops here
                break
            size *= 2
            ((got, complete),) = _holders(session, [(nd, (rows[-1].cost, rows[-1].id), None)], size=size, **args)
            rows += got
            free.update(free_capacities(session, [r.id for r in got], on, ends_on))
        cheapest.append(rows[0].cost if rows else None)
        read.update(r.id for r in rows)
        walked.append((rows, [], stop is not None))
        if stop is not None:
            # everyone costing less than ``stop`` is needed, except the interchangeable ones (2. above)
            further.append((j, (nd, (rows[-1].cost, rows[-1].id), _least_monthly(stop, nd.allocation, months))))
    for (j, _), (more, complete) in zip(
        further, _holders(session, [w for _, w in further], size=max(1, limit_rows), **args), strict=True
    ):
        walked[j] = (walked[j][0], more, True)
        exact = exact and complete
    flagged = sorted({r.id for rows, more, cut in walked if cut for r in rows + more})
    history, fits = _flags(session, flagged, needs, on) if flagged else (set(), {})
    for j, (rows, more, cut) in enumerate(walked):
        if not cut:
            continue
        nd = needs[j]
        plain = sum(
            1
            for r in rows
            if r.kind == PersonKind.civil_servant
            and r.id not in history
            and fits.get(r.id, set()) <= {j}
            and r.id not in team_ids
            and free.get(r.id, 100) >= nd.allocation
        )
        rest = [r.id for r in more]
        if plain >= nd.headcount:
            rest = [pid for pid in rest if pid in history or fits.get(pid, set()) - {j}]
        read.update(rest)
    return PoolRead(ids=read, exact=exact, cheapest=cheapest)


def _least_monthly(limit: int, allocation: int, months: Fraction) -> int:
    """The least whole monthly cost whose cost on the need over the period reaches ``limit`` (satang)."""
    lo, hi = 0, 1
    while period_cost(hi, allocation, months) < limit:
        hi *= 2
    while lo < hi:
        mid = (lo + hi) // 2
        if period_cost(mid, allocation, months) >= limit:
            hi = mid
        else:
            lo = mid + 1
    return lo
