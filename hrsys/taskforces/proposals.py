"""Team proposals: narrow the national pool by index, call team assembly, store the result, accept it.

Narrowing (one statement, a ``UNION ALL`` of small index range scans on
``current_skill (skill_id, level, person_id)``), per need:

- up to ``POOL_PER_NEED`` active people with at least the level, least over-qualified
  first (the lowest sufficient level, then person id): they are usually the cheapest
  and it leaves the rare experts for needs that require them;
- up to ``NEAR_PER_NEED`` civil servants one or two levels short (for suggestions);
- up to ``EXPERTS_PER_NEED`` external experts with the level (walking the few experts by
  id and looking their level up), so that an uncovered need can always name some.

Then, for those people only: their levels in every needed skill (primary key), their
free time over the period (:func:`hrsys.allocation.service.free_capacities`), the
collaboration graph around them (past task forces they served in, with everyone who
served there, and knowledge-transfer counterparts of secondments: enough to know every
distance up to two hops exactly) and the courses that raise the needed skills. About
ten indexed round trips, whatever the size of the civil service.
"""

from __future__ import annotations

import datetime as dt
import time
from collections import Counter, defaultdict
from fractions import Fraction
from typing import Any

import msgspec
import networkx as nx
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from hrsys.access import audit
from hrsys.access.identity import CurrentUser
from hrsys.agencies.models import Agency
from hrsys.allocation.service import ensure_capacity, free_capacities
from hrsys.core.db import read_engine
from hrsys.core.errors import Conflict, FieldError, NotFound, check
from hrsys.core.fiscal import months_in_period
from hrsys.people.models import Person, PersonKind
from hrsys.secondments.models import KnowledgeTransfer, Secondment
from hrsys.skills.assessments.models import CurrentSkill
from hrsys.skills.catalog.models import Skill
from hrsys.taskforces import service
from hrsys.taskforces.assembly import (
    SATANG,
    Candidate,
    CourseOption,
    Need,
    Options,
    SkillLevel,
    Team,
    TeamMate,
    assemble,
    period_cost,
)
from hrsys.taskforces.models import TaskForce, TaskForceMember, TaskForceNeed, TeamProposal
from hrsys.taskforces.schemas import MemberOut, ProposalListItem, ProposalOut, ProposalRequest
from hrsys.taskforces.states import MemberStatus, ProposalStatus
from hrsys.taskforces.visibility import cost_visible, mask_team, team_people
from hrsys.training.models import Course, CourseOutcome

CS = CurrentSkill.__table__
P = Person.__table__
A = Agency.__table__
M = TaskForceMember.__table__

POOL_PER_NEED = 30
NEAR_PER_NEED = 8
EXPERTS_PER_NEED = 8

WALK_LIMIT = 40
"""People of one need walked before the reading stops being exact (:func:`exact_pool`)."""

PROPOSAL_TIME_MS = 150.0
"""Time one proposal may take, reading and solving together: the solver's searches get what the reads left
(at least ``MIN_SOLVE_MS``); the greedy starts always run."""
MIN_SOLVE_MS = 40.0
PARTLY_READ_SOLVE_MS = 15.0
"""The least solving time when the pool was read in part (:func:`exact_pool`): no proof can come of it, so
the searches only polish the greedy team, whose people's cost is already the floor's at national scale."""

Target = Session | sa.Connection

DEFAULT_MONTHLY_COST = {PersonKind.civil_servant: 30_000, PersonKind.external_expert: 120_000}
"""Baht per month assumed for people without a recorded cost (flagged in the reasons)."""

PROPOSAL_MOVES = {
    ProposalStatus.open: [ProposalStatus.accepted.value, ProposalStatus.discarded.value],
    ProposalStatus.accepted: [],
    ProposalStatus.discarded: [],
}


class Pool(msgspec.Struct, kw_only=True):
    """What team assembly needs, read from the database."""

    candidates: list[Candidate]
    graph: nx.Graph
    current: list[TeamMate]
    courses: list[CourseOption]
    exact: bool = True
    """An optimal team over the whole eligible pool exists among ``candidates`` (:func:`exact_pool`)."""
    cheapest: list[int | None] = []
    """Per need, the least monthly cost of anyone eligible with the level (None: nobody besides the team)."""


def _valid(on: dt.date) -> sa.ColumnElement[bool]:
    return sa.or_(CS.c.valid_until.is_(None), CS.c.valid_until >= on)


def _narrow_statement(
    needs: list[Need], on: dt.date, agency_ids: list[int] | None, exclude: list[int]
) -> sa.CompoundSelect:
    parts = []
    for nd in needs:
        base = (
            sa.select(CS.c.person_id)
            .select_from(CS.join(P, P.c.id == CS.c.person_id))
            .where(CS.c.skill_id == nd.skill_id, P.c.active, _valid(on))
        )
        if exclude:
            base = base.where(CS.c.person_id.not_in(exclude))
        internal_ok = P.c.agency_id.in_(agency_ids) if agency_ids is not None else sa.true()
        near = (
            base.where(
                CS.c.level < nd.min_level,
                CS.c.level >= max(0, nd.min_level - 2),
                P.c.kind == PersonKind.civil_servant,
                internal_ok,
            )
            .order_by(CS.c.level.desc(), CS.c.person_id.desc())  # one direction: a backward index scan, no sort
            .limit(NEAR_PER_NEED)
        )
        # External experts are few: walk them (index on kind, id) and look each one's level up by primary key,
        # rather than walk every holder of the skill looking for experts.
        has_level = (
            sa.select(CS.c.person_id)
            .where(CS.c.person_id == P.c.id, CS.c.skill_id == nd.skill_id, CS.c.level >= nd.min_level, _valid(on))
            .exists()
        )
        experts = (
            sa.select(P.c.id.label("person_id"))
            .where(P.c.kind == PersonKind.external_expert, P.c.active, has_level)
            .order_by(P.c.kind, P.c.id)
            .limit(EXPERTS_PER_NEED)
        )
        if exclude:
            experts = experts.where(P.c.id.not_in(exclude))
        parts += [sa.select(q.subquery().c.person_id) for q in (near, experts)]
    return sa.union_all(*parts)


def _among(target: Target, column: Any, ids: Any) -> sa.ColumnElement[bool]:
    """``column IN ids``; on PostgreSQL ``column = ANY(array)``, one parameter however many ids (hundreds of
    placeholders cost more to render and send than the query takes to run)."""
    bind = target if isinstance(target, sa.Connection) else target.get_bind()
    if bind.dialect.name == "postgresql":
        return column == sa.any_(sa.bindparam(None, list(ids), type_=postgresql.ARRAY(sa.Integer)))
    return column.in_(list(ids))  # type: ignore[no-any-return]


def _flags(session: Target, ids: list[int], needs: list[Need], on: dt.date) -> tuple[set[int], dict[int, set[int]]]:
    """(people with a possible edge in the collaboration graph (:func:`collaboration_graph`), the needs each
    person has the level of), for ``ids``; a few indexed queries per 5,000 people."""
    kt, sec = KnowledgeTransfer.__table__, Secondment.__table__
    history: set[int] = set()
    fits: dict[int, set[int]] = defaultdict(set)
    skills = sorted({nd.skill_id for nd in needs})
    for k in range(0, len(ids), 5_000):
        chunk = ids[k : k + 5_000]
        history.update(
            session.scalars(
                sa.union_all(
                    sa.select(M.c.person_id).where(
                        _among(session, M.c.person_id, chunk), M.c.status != MemberStatus.withdrawn
                    ),
                    sa.select(kt.c.counterpart_id).where(_among(session, kt.c.counterpart_id, chunk)),
                    sa.select(sec.c.person_id)
                    .select_from(kt.join(sec, sec.c.id == kt.c.secondment_id))
                    .where(_among(session, sec.c.person_id, chunk)),
                )
            )
        )
    for k in range(0, len(ids), 200):  # small lists: PostgreSQL then probes the primary key, not the skills
        for r in session.execute(
            sa.select(CS.c.person_id, CS.c.skill_id, CS.c.level).where(
                _among(session, CS.c.person_id, ids[k : k + 200]), CS.c.skill_id.in_(skills), _valid(on)
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
        .where(CS.c.person_id == P.c.id, CS.c.skill_id == nd.skill_id, CS.c.level >= nd.min_level, _valid(on))
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

    The lead and the current members are always read (:func:`load_pool`): they are in the team whatever it
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


def _agency_ids(session: Target, codes: list[str] | None) -> list[int] | None:
    """Ids of the agencies (with their subtrees) of ``codes``; 422 for an unknown code."""
    if codes is None:
        return None
    errors = []
    ids: set[int] = set()
    for i, code in enumerate(codes):
        path = session.scalar(sa.select(A.c.path).where(A.c.code == code))
        if path is None:
            errors.append(FieldError(f"agencies[{i}]", f"no agency with code {code}"))
            continue
        hi = path[:-1] + "0"
        ids.update(session.scalars(sa.select(A.c.id).where(A.c.path >= path, A.c.path < hi)))
    check(errors)
    return sorted(ids)


def _evidence(source: Any, assessed_on: dt.date, valid_until: dt.date | None) -> str:
    text = f"{getattr(source, 'value', source)}, {assessed_on.isoformat()}"
    if valid_until is not None:
        text += f" (valid until {valid_until.isoformat()})"
    return text


def load_pool(
    session: Target,
    *,
    needs: list[Need],
    starts_on: dt.date,
    ends_on: dt.date,
    agency_ids: list[int] | None,
    include: list[int],
    exclude: list[int],
    current_members: list[int],
    lead_id: int | None,
    options: Options | None = None,
    whole: bool = False,
    walk_limit: int | None = None,
    suggestions: bool = True,
) -> Pool:
    """Read the narrowed candidate pool, the collaboration graph around it and the courses (see the module).

    ``whole``: every active person with the level of a need instead of :func:`exact_pool` (for the benchmark
    that checks the narrowing loses nothing). ``suggestions``: also the people short of a level and the
    external experts with it that an uncovered need names (:func:`_narrow_statement`)."""
    ids: set[int] = set(include)
    walked = PoolRead(ids=set())
    team_ids = set(current_members) | ({lead_id} if lead_id else set())
    if needs and whole:
        for nd in needs:
            q = (
                sa.select(CS.c.person_id)
                .select_from(CS.join(P, P.c.id == CS.c.person_id))
                .where(CS.c.skill_id == nd.skill_id, CS.c.level >= nd.min_level, _valid(starts_on), P.c.active)
            )
            if agency_ids is not None:
                q = q.where(sa.or_(P.c.kind == PersonKind.external_expert, P.c.agency_id.in_(agency_ids)))
            ids.update(session.scalars(q))
        ids.difference_update(exclude)
    if needs and suggestions:
        ids.update(session.scalars(_narrow_statement(needs, starts_on, agency_ids, exclude)))
    if needs and not whole:
        walked = exact_pool(
            session,
            needs,
            on=starts_on,
            ends_on=ends_on,
            agency_ids=agency_ids,
            exclude=exclude,
            team_ids=team_ids,
            options=options or Options(),
            walk_limit=walk_limit,
        )
        ids |= walked.ids
    ids |= team_ids  # the lead and current members may take a need (no new pairs): always read
    ids.difference_update(set(exclude) - team_ids)
    skills = sorted({nd.skill_id for nd in needs})
    people_ids = sorted(ids | team_ids)
    people: dict[int, Any] = {}
    if people_ids:
        for r in session.execute(
            sa.select(
                P.c.id,
                P.c.kind,
                P.c.first_name_th,
                P.c.last_name_th,
                P.c.first_name_en,
                P.c.last_name_en,
                P.c.agency_id,
                P.c.organisation,
                P.c.monthly_cost_baht,
                P.c.active,
                A.c.code,
            )
            .select_from(P.outerjoin(A, A.c.id == P.c.agency_id))
            .where(_among(session, P.c.id, people_ids))
        ):
            people[r.id] = r
    levels: dict[int, dict[int, SkillLevel]] = defaultdict(dict)
    cand_ids = sorted(i for i in ids if i in people and people[i].active)
    if cand_ids and skills:
        for r in session.execute(
            sa.select(CS.c.person_id, CS.c.skill_id, CS.c.level, CS.c.source, CS.c.assessed_on, CS.c.valid_until).where(
                _among(session, CS.c.person_id, cand_ids), CS.c.skill_id.in_(skills), _valid(starts_on)
            )
        ):
            levels[r.person_id][r.skill_id] = SkillLevel(
                level=r.level, evidence=_evidence(r.source, r.assessed_on, r.valid_until)
            )
    free = free_capacities(session, cand_ids, starts_on, ends_on)
    candidates = []
    for pid in cand_ids:
        r = people[pid]
        internal = r.kind == PersonKind.civil_servant
        cost = r.monthly_cost_baht
        candidates.append(
            Candidate(
                person_id=pid,
                name=f"{r.first_name_th} {r.last_name_th}",
                internal=internal,
                agency_id=r.agency_id,
                monthly_cost=cost if cost is not None else DEFAULT_MONTHLY_COST[PersonKind(r.kind)],
                cost_estimated=cost is None,
                free=free.get(pid, 100),
                skills=levels.get(pid, {}),
                note=(r.code or "") if internal else (r.organisation or "external expert"),
            )
        )
    current = [
        TeamMate(
            person_id=pid,
            name=f"{people[pid].first_name_th} {people[pid].last_name_th}" if pid in people else "",
            internal=pid not in people or people[pid].kind == PersonKind.civil_servant,
            member=pid in current_members,
        )
        for pid in sorted(team_ids)
    ]
    graph = collaboration_graph(session, sorted(set(cand_ids) | team_ids))
    courses = []
    if skills:
        for r in session.execute(
            sa.select(
                Course.id,
                Course.code,
                Course.title_en,
                CourseOutcome.skill_id,
                CourseOutcome.level,
                Course.hours,
                Course.cost_baht,
            )
            .join(CourseOutcome, CourseOutcome.course_id == Course.id)
            .where(CourseOutcome.skill_id.in_(skills), Course.active)
        ):
            courses.append(
                CourseOption(
                    course_id=r[0], code=r[1], title=r[2], skill_id=r[3], level=r[4], hours=float(r[5]), cost=r[6]
                )
            )
    return Pool(
        candidates=candidates,
        graph=graph,
        current=current,
        courses=courses,
        exact=walked.exact,
        cheapest=walked.cheapest,
    )


def collaboration_graph(session: Target, person_ids: list[int]) -> nx.Graph:
    """People linked when they served in the same task force (not withdrawn) or were knowledge-transfer
    counterparts, around ``person_ids``: their task forces with every member, so distances up to two
    hops between them are exact."""
    g = nx.Graph()
    g.add_nodes_from(person_ids)
    if not person_ids:
        return g
    served = M.c.status != MemberStatus.withdrawn
    tf_ids = sorted(
        set(
            session.scalars(
                sa.select(M.c.taskforce_id).where(_among(session, M.c.person_id, person_ids), served).distinct()
            )
        )
    )
    if tf_ids:
        teams: dict[int, set[int]] = defaultdict(set)
        for tf_id, pid in session.execute(
            sa.select(M.c.taskforce_id, M.c.person_id).where(_among(session, M.c.taskforce_id, tf_ids), served)
        ):
            teams[tf_id].add(pid)
        for members in teams.values():
            ordered = sorted(members)
            g.add_nodes_from(ordered)
            for i, u in enumerate(ordered):
                for v in ordered[i + 1 :]:
                    g.add_edge(u, v)
    kt, s = KnowledgeTransfer.__table__, Secondment.__table__
    pairs = session.execute(
        sa.select(s.c.person_id, kt.c.counterpart_id)
        .select_from(kt.join(s, s.c.id == kt.c.secondment_id))
        .where(sa.or_(_among(session, s.c.person_id, person_ids), _among(session, kt.c.counterpart_id, person_ids)))
    )
    for u, v in pairs:
        if u != v:
            g.add_edge(u, v)
    return g


def to_options(data: ProposalRequest, agency_ids: list[int] | None, **kw: Any) -> Options:
    return Options(
        agencies=frozenset(agency_ids) if agency_ids is not None else None,
        prefer_internal=data.prefer_internal,
        external_penalty=data.external_penalty_baht,
        max_externals=data.max_externals,
        include=frozenset(data.include),
        exclude=frozenset(data.exclude),
        communication_cost=data.communication_cost_baht,
        **kw,
    )


def open_needs(conn: Target, taskforce_id: int) -> list[Need]:
    """The task force's needs with the headcount still to fill (a need already full has headcount 0)."""
    filled = service.member_counts(conn, taskforce_id)
    N, S = TaskForceNeed.__table__, Skill.__table__
    rows = conn.execute(
        sa.select(
            N.c.id, N.c.skill_id, N.c.min_level, N.c.headcount, N.c.allocation, N.c.essential, S.c.code, S.c.name_en
        )
        .join(S, S.c.id == N.c.skill_id)
        .where(N.c.taskforce_id == taskforce_id)
        .order_by(N.c.id)
    )
    return [
        Need(
            id=r.id,
            skill_id=r.skill_id,
            min_level=r.min_level,
            headcount=max(0, r.headcount - filled.get(r.id, 0)),
            allocation=r.allocation,
            essential=r.essential,
            label=f"{r.name_en} ({r.code})",
        )
        for r in rows
    ]


def proposal_period(tf: Any, on: dt.date) -> tuple[dt.date, dt.date]:
    """From today (or the start, if later) to the end of the task force; 409 once it has ended."""
    if on > tf.ends_on:
        raise Conflict(
            f"task force {tf.code} ended on {tf.ends_on}: there is no period left to staff", rule="period_over"
        )
    return service.default_start(tf, on), tf.ends_on


def build_team(
    session: Target,
    *,
    needs: list[Need],
    starts_on: dt.date,
    ends_on: dt.date,
    data: ProposalRequest,
    current_members: list[int],
    lead_id: int | None,
    search_budget: int | None = None,
    time_limit_ms: float | None = PROPOSAL_TIME_MS,
) -> Team:
    """Narrow, read and solve: the team for ``needs`` over the period (reads only), within ``time_limit_ms``
    for both (None: no limit, the solver's work budget alone)."""
    started = time.perf_counter()
    agency_ids = _agency_ids(session, data.agencies)
    months = float(months_in_period(starts_on, ends_on))
    # The suggestions (people short of a level, experts) serve only needs left uncovered: read them, and
    # solve again, only then. They change nothing else: the walk alone makes the reading exact or bounded.
    for suggestions in (False, True):
        pool = load_pool(
            session,
            needs=[n for n in needs if n.headcount > 0],
            starts_on=starts_on,
            ends_on=ends_on,
            agency_ids=agency_ids,
            include=list(data.include),
            exclude=list(data.exclude),
            current_members=current_members,
            lead_id=lead_id,
            options=to_options(data, agency_ids, months=months),
            suggestions=suggestions,
        )
        left = None
        if time_limit_ms is not None:
            least = MIN_SOLVE_MS if pool.exact else PARTLY_READ_SOLVE_MS
            left = max(least, time_limit_ms - (time.perf_counter() - started) * 1000)
        extra: dict[str, Any] = {"time_limit_ms": left, "months": months}
        if search_budget is not None:
            extra["search_budget"] = search_budget
        team = assemble(
            needs,
            pool.candidates,
            pool.graph,
            to_options(data, agency_ids, **extra),
            current=pool.current,
            courses=pool.courses,
        )
        if not any(u.missing for u in team.uncovered):
            break
    return team if pool.exact else partly_read(team, [n for n in needs if n.headcount > 0], pool, months)


def partly_read(team: Team, needs: list[Need], pool: Pool, months: float) -> Team:
    """The claims of a team chosen from a pool not read exactly (:func:`exact_pool`): no optimum over the
    whole eligible pool, and as the bound the floor of the people's cost, ``sum of h_j * c_j`` with ``c_j``
    the cost on need ``j`` of the cheapest eligible person with the level (the walk's first, or someone of
    the team), when every slot is covered (0 otherwise: a team covering fewer slots may cost less)."""
    team.optimal = False
    team.method = team.method.split(",")[0] + ", pool read in part (not proven optimal)"
    if any(u.missing for u in team.uncovered):
        team.lower_bound = 0.0
        return team
    frac = Fraction(months)
    floor = 0
    for j, nd in enumerate(needs):
        costs = [
            c.monthly_cost
            for c in pool.candidates
            if (sl := c.skills.get(nd.skill_id)) is not None and sl.level >= nd.min_level
        ]
        if j < len(pool.cheapest) and pool.cheapest[j] is not None:
            costs.append(pool.cheapest[j])  # type: ignore[arg-type]
        if costs:
            floor += nd.headcount * period_cost(min(costs), nd.allocation, frac)
    bound = round(floor / SATANG, 2)
    team.lower_bound = bound if team.cost.total is None else min(team.cost.total, bound)
    return team


def _current_members(conn: Target, taskforce_id: int) -> list[int]:
    return sorted(
        set(
            conn.scalars(
                sa.select(M.c.person_id).where(M.c.taskforce_id == taskforce_id, M.c.status == MemberStatus.active)
            )
        )
    )


def create(
    session: Session, taskforce_id: int, data: ProposalRequest, *, on: dt.date | None = None, user_id: int | None = None
) -> TeamProposal:
    """Assemble a team for the needs still open and keep it as an open proposal.

    The reads and the solving happen on a separate read-only connection, so the write transaction (the
    request's) only lasts for storing the proposal: on SQLite, other writers are not held up while it solves.
    """
    on = on or service.today()
    T = TaskForce.__table__
    with read_engine(_engine_of(session)).connect() as conn:
        tf = conn.execute(
            sa.select(T.c.id, T.c.code, T.c.status, T.c.starts_on, T.c.ends_on, T.c.lead_id).where(
                T.c.id == taskforce_id
            )
        ).first()
        if tf is None:
            raise NotFound("task force", taskforce_id)
        service.require_editable(tf)
        starts_on, ends_on = proposal_period(tf, on)
        needs = open_needs(conn, taskforce_id)
        if not needs:
            raise Conflict(f"task force {tf.code} has no needs: state them first", rule="no_needs")
        team = build_team(
            conn,
            needs=needs,
            starts_on=starts_on,
            ends_on=ends_on,
            data=data,
            current_members=_current_members(conn, taskforce_id),
            lead_id=tf.lead_id,
        )
    locked = service.get(session, taskforce_id, lock=True)
    service.require_editable(locked)
    proposal = TeamProposal(
        taskforce_id=taskforce_id,
        status=ProposalStatus.open,
        created_by_user_id=user_id,
        options=msgspec.to_builtins(data),
        result={
            "starts_on": starts_on.isoformat(),
            "ends_on": ends_on.isoformat(),
            "needs": [msgspec.to_builtins(n) for n in needs],
            "team": msgspec.to_builtins(team),
        },
    )
    session.add(proposal)
    session.flush()
    return proposal


def _engine_of(session: Session) -> Engine:
    bind = session.get_bind()
    return bind if isinstance(bind, Engine) else bind.engine


def _proposal(session: Session, tf: TaskForce, proposal_id: int) -> TeamProposal:
    p = session.get(TeamProposal, proposal_id)
    if p is None or p.taskforce_id != tf.id:
        raise NotFound("proposal", proposal_id)
    return p


def to_out(p: TeamProposal, session: Target | None = None, viewer: CurrentUser | None = None) -> ProposalOut:
    """The proposal as ``viewer`` may see it: the costs of people whose cost they may not see are None
    (:func:`hrsys.taskforces.visibility.mask_team`); a read of costs they may see leaves an audit event per
    person (as reading the person's record does)."""
    team = msgspec.convert(p.result["team"], Team)
    if session is not None and viewer is not None:
        people = team_people(team)
        visible = cost_visible(session, viewer, people)
        team = mask_team(team, visible)
        for pid in sorted(visible - {viewer.person_id}):
            audit.record(
                session,
                action="read",
                entity="person",
                entity_id=pid,
                person_id=pid,
                after={"view": "full", "fields": ["monthly_cost_baht"], "via": f"team proposal {p.id}"},
            )
    return ProposalOut(
        id=p.id,
        taskforce_id=p.taskforce_id,
        status=p.status,
        allowed_moves=PROPOSAL_MOVES[p.status],
        created_at=p.created_at,
        starts_on=dt.date.fromisoformat(p.result["starts_on"]),
        ends_on=dt.date.fromisoformat(p.result["ends_on"]),
        options=p.options,
        team=team,
    )


def read(session: Session, taskforce_id: int, proposal_id: int, viewer: CurrentUser | None = None) -> ProposalOut:
    tf = service.get(session, taskforce_id)
    return to_out(_proposal(session, tf, proposal_id), session, viewer)


def list_proposals(session: Session, taskforce_id: int, viewer: CurrentUser | None = None) -> list[ProposalListItem]:
    """Newest first; ``total_cost`` is None when a member's cost is masked for ``viewer`` (see ``to_out``)."""
    tf = service.get(session, taskforce_id)
    out = []
    proposals = list(
        session.scalars(
            sa.select(TeamProposal).where(TeamProposal.taskforce_id == tf.id).order_by(TeamProposal.id.desc())
        )
    )
    everyone = {m["person_id"] for p in proposals for m in p.result.get("team", {}).get("members", [])}
    visible = cost_visible(session, viewer, everyone)
    for p in proposals:
        team = p.result.get("team", {})
        masked = any(m["person_id"] not in visible for m in team.get("members", []))
        out.append(
            ProposalListItem(
                id=p.id,
                status=p.status,
                created_at=p.created_at,
                members=len(team.get("members", [])),
                uncovered=sum(u.get("missing", 0) for u in team.get("uncovered", [])),
                total_cost=None if masked else team.get("cost", {}).get("total", 0.0),
                optimal=bool(team.get("optimal", False)),
            )
        )
    return out


def _not_open(p: TeamProposal) -> Conflict:
    return Conflict(f"proposal {p.id} is {p.status.value}", rule="illegal_transition", allowed=PROPOSAL_MOVES[p.status])


def discard(session: Session, taskforce_id: int, proposal_id: int, viewer: CurrentUser | None = None) -> ProposalOut:
    tf = service.get(session, taskforce_id, lock=True)
    p = _proposal(session, tf, proposal_id)
    if p.status != ProposalStatus.open:
        raise _not_open(p)
    p.status = ProposalStatus.discarded
    session.flush()
    return to_out(p, session, viewer)


def accept(session: Session, taskforce_id: int, proposal_id: int, *, on: dt.date | None = None) -> list[MemberOut]:
    """Turn an open proposal into members, all or nothing.

    Under the task-force lock, every need must still exist unchanged with room for the
    proposed people, and every person must still be free: each is checked by the shared
    allocation rule (locked, in id order). If anyone is no longer free the answer is one
    409 listing all of them, and nothing is written.
    """
    on = on or service.today()
    tf = service.get(session, taskforce_id, lock=True)
    service.require_editable(tf)
    p = _proposal(session, tf, proposal_id)
    if p.status != ProposalStatus.open:
        raise _not_open(p)
    period_start = dt.date.fromisoformat(p.result["starts_on"])
    ends_on = dt.date.fromisoformat(p.result["ends_on"])
    if on > ends_on:
        raise Conflict(f"proposal {p.id} was for a period that ended on {ends_on}", rule="proposal_stale")
    starts_on = max(period_start, service.default_start(tf, on))
    team = msgspec.convert(p.result["team"], Team)
    snapshot = {n["id"]: n for n in p.result["needs"]}
    filled = service.member_counts(session, tf.id)
    wanted: Counter[int] = Counter(f.need_id for m in team.members for f in m.fills)
    problems = []
    for need_id, count in sorted(wanted.items()):
        need = session.get(TaskForceNeed, need_id)
        was = snapshot.get(need_id)
        if need is None or need.taskforce_id != tf.id:
            problems.append(f"need {need_id} no longer exists")
            continue
        if was is not None and (need.skill_id, need.min_level, need.allocation) != (
            was["skill_id"],
            was["min_level"],
            was["allocation"],
        ):
            problems.append(f"need {need_id} changed since the proposal")
        if filled.get(need_id, 0) + count > need.headcount:
            problems.append(f"need {need_id} has room for {need.headcount - filled.get(need_id, 0)}, not {count}")
    for m in team.members:
        for f in m.fills:
            clash = session.scalar(
                sa.select(M.c.id).where(
                    M.c.taskforce_id == tf.id,
                    M.c.person_id == m.person_id,
                    M.c.need_id == f.need_id,
                    M.c.status == MemberStatus.active,
                )
            )
            if clash is not None:
                problems.append(f"person {m.person_id} already fills need {f.need_id}")
    if problems:
        raise Conflict(
            f"proposal {p.id} no longer fits the task force: " + "; ".join(problems) + ". Ask for a new proposal.",
            rule="proposal_stale",
            extra={"problems": problems},
        )
    busy = []
    for m in sorted(team.members, key=lambda m: m.person_id):
        try:
            ensure_capacity(session, m.person_id, starts_on, ends_on, m.allocation)
        except Conflict as exc:
            busy.append({"person_id": m.person_id, "name": m.name, **(exc.extra or {})})
        except NotFound:
            busy.append({"person_id": m.person_id, "name": m.name, "detail": "no longer exists"})
    if busy:
        names = ", ".join(f"{b['name'] or b['person_id']}" for b in busy)
        raise Conflict(
            f"{len(busy)} proposed member(s) are no longer free over {starts_on} to {ends_on}: {names}. "
            "Nothing was written; ask for a new proposal.",
            rule="allocation_capacity",
            extra={"people": busy},
        )
    created = []
    for m in team.members:
        for f in m.fills:
            member = TaskForceMember(
                taskforce_id=tf.id,
                person_id=m.person_id,
                need_id=f.need_id,
                allocation=f.allocation,
                starts_on=starts_on,
                ends_on=ends_on,
                status=MemberStatus.active,
                reason=f"Proposal {p.id}: {m.reason}",
            )
            session.add(member)
            created.append(member)
    p.status = ProposalStatus.accepted
    session.flush()
    ids = {m.id for m in created}
    return [m for m in service.members_out(session, tf.id) if m.id in ids]
