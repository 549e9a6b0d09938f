"""Team assembly: the least-cost team that covers a task force's needs (pure: plain data, networkx, HiGHS).

The problem
-----------
A task force states *needs*: for need ``j`` a skill ``s_j``, a minimum level
``L_j``, a headcount ``h_j``, an allocation ``a_j`` (% of working time) and
whether it is essential. A *candidate* ``i`` has current levels per skill, the
share ``f_i`` of working time still free on the busiest day of the period, a
home agency, whether they are a civil servant (internal) or an external expert,
and a monthly cost ``m_i``. Person ``i`` may fill one slot of need ``j`` when
``level_i(s_j) >= L_j``; a person fills at most one slot of a need, and may fill
several needs only while the allocations fit: ``sum of a_j over i's needs <= f_i``.
The people already in the team (the lead, current members) are given as
``current``: they are never removed, and count in the communication cost.

The cost (documented; baht over the assignment's period)
---------------------------------------------------------
::

    cost(T) =   sum over assignments (i, j) of  m_i * a_j / 100 * M     people's cost over the period (money)
              + P * M * (number of new external members)               only with ``prefer_internal``
              + lam * sum over pairs {u, v} of team members of d(u, v)  collaboration term (a tie-breaker)

``M`` is the length of the assignment in months (``Options.months``; the API passes the months of the
proposal's period, :func:`hrsys.core.fiscal.months_in_period`), so the total is what the team costs over the
time it serves, not per month. The last sum runs over every pair of members of which at least one is new
(pairs among the people already in the team do not depend on the choice). ``d(u, v)`` is the number of hops
between ``u`` and ``v`` in the collaboration graph (people who served together in a task force, or were
knowledge-transfer counterparts), capped at ``D = max_distance`` (default 3: "never worked together, nor with
a common colleague"). This is the *sum of distances* communication cost of Kargar and An (CIKM 2011), which
with the lead among the current members also contains their *leader distance*; Lappas, Liu and Terzi (KDD
2009) introduced communication cost in the collaboration graph. ``lam`` is a one-off amount per hop per pair
(default 50 baht), chosen so that it breaks ties and does not outweigh pay: a newcomer to a team of ``N``
adds at most ``lam * D * (N - 1)`` (1,350 baht in a team of ten), under a tenth of the lowest monthly cost,
whereas the term grows with the square of the team and at the old 1,000 baht per month it could exceed the
salaries. ``P`` is the preference for civil servants (default 30,000 baht per month of the period per
external expert). Every amount is computed in satang (integers, rounded once per assignment), so costs
compare exactly.

Coverage comes first, lexicographically: the result leaves the fewest essential
slots uncovered, then the fewest desirable slots, and among those it has the
least cost. People in ``include`` fill at least one need (someone who fits no need,
or whose time or the externals limit does not allow it, is reported in ``warnings``);
people in ``exclude`` and civil servants outside ``agencies`` are never proposed.

The algorithm
-------------
1. Eligibility: O(needs x candidates). Distances: a breadth-first search cut at
   ``D - 1`` hops from every eligible candidate.
2. Exact reductions (:meth:`_Model.drop_dominated`, each with its proof): isolated candidates of a single
   need beyond the ``h_j`` cheapest, and identical isolated twins beyond the slots they could fill.
3. A heuristic team (weighted set-cover greedy, Chvatal 1979, and rarest-need-first greedy from several
   starts, Lappas et al., each improved by local search). It is the solver's warm start and the answer when
   ``search_budget`` is 0, and what stands when the solver finds nothing better in time. It is no
   substitute for the solve: on the 600-candidate test instance (10 needs) it cost 7% more than the optimum
   with a collaboration weight of 1,000 baht (211,000 against 197,000; equal at the default weight), and
   the former hand-written branch and bound never proved 10-need national instances optimal.
4. The exact solve: a mixed-integer program solved by HiGHS (:func:`_milp`): stage 1 the most covered slots
   (skipped when the heuristic already covers every slot that has enough eligible people), stage 2 the
   least cost at that coverage. The collaboration term is linearised with one variable per pair of
   candidates closer than ``D`` (every other pair costs ``D``) and the convex count ``n (n - 1) / 2`` of
   pairs of new members. Work is limited in branch-and-bound nodes (``search_budget``) and by a wall-clock
   limit (``time_limit_ms``; the API uses one).

Guarantee: ``optimal`` is true only when both stages finished (HiGHS proved optimality with a gap below one
satang, the objective being integral) and the team, re-checked and re-costed exactly here, matches. Then it
is optimal for the cost above over the candidates given. Stopped by a limit, the result is the best team
found, ``optimal`` is false and ``lower_bound`` is the solver's proven bound on the cost at that coverage (0
when the coverage itself was not proven). The tests compare every optimal answer with an independent CP-SAT
model on pools of 60 to 90 candidates and with brute force on small ones. The problem contains set cover, so
no polynomial algorithm is exact in general (Lappas et al. 2009 prove the communication-cost versions
NP-hard).

Example
-------
>>> needs = [Need(id=1, skill_id=10, min_level=3, allocation=50)]
>>> pool = [
...     Candidate(person_id=7, skills={10: SkillLevel(level=4)}, monthly_cost=40_000),
...     Candidate(person_id=8, skills={10: SkillLevel(level=3)}, monthly_cost=30_000),
... ]
>>> team = assemble(needs, pool)
>>> [m.person_id for m in team.members], team.cost.people, team.optimal
([8], 15000.0, True)
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterable, Sequence
from fractions import Fraction
from typing import Any

import msgspec
import networkx as nx

from hrsys.core import solver

SATANG = 100
BIG_ESSENTIAL = 10**18
"""Penalty (satang) per essential slot left uncovered: larger than any team's cost."""
BIG_DESIRABLE = 10**14
"""Penalty (satang) per desirable slot left uncovered."""

# ---------------------------------------------------------------------------- input


def period_cost(monthly_cost: int, allocation: int, months: Fraction | float) -> int:
    """Satang of ``monthly_cost`` baht a month at ``allocation`` percent for ``months`` months (rounded
    half to even once, per assignment); non-decreasing in ``monthly_cost``."""
    return round(monthly_cost * allocation * Fraction(months))


class SkillLevel(msgspec.Struct, frozen=True, kw_only=True):
    level: int
    evidence: str = ""
    """Where the level comes from, for the reason (e.g. ``certification, 2025-03-01``)."""


class Need(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    skill_id: int
    min_level: int
    headcount: int = 1
    """Slots still to fill (0: already filled; the need is then skipped)."""
    allocation: int = 100
    essential: bool = True
    label: str = ""
    """The skill's name, for reasons."""


class Candidate(msgspec.Struct, frozen=True, kw_only=True):
    person_id: int
    name: str = ""
    internal: bool = True
    """A civil servant (True) or an external expert (False)."""
    agency_id: int | None = None
    monthly_cost: int = 0
    """Baht per month at full time."""
    free: int = 100
    """Percent of working time free on the busiest day of the period."""
    skills: dict[int, SkillLevel] = {}
    note: str = ""
    """Agency or organisation, for reasons."""
    cost_estimated: bool = False


class TeamMate(msgspec.Struct, frozen=True, kw_only=True):
    """Someone already in the team: the lead, or a current member."""

    person_id: int
    name: str = ""
    internal: bool = True
    member: bool = True
    """False for a lead who fills no need (not counted against ``max_externals``)."""


class CourseOption(msgspec.Struct, frozen=True, kw_only=True):
    """A course whose outcome raises ``skill_id`` to ``level``."""

    course_id: int
    code: str
    title: str
    skill_id: int
    level: int
    hours: float = 0.0
    cost: int = 0


class Options(msgspec.Struct, frozen=True, kw_only=True):
    agencies: frozenset[int] | None = None
    """Home agencies that civil servants may come from (None: any). External experts are not limited."""
    prefer_internal: bool = True
    external_penalty: int = 30_000
    """``P``: baht per month of the period added for each new external expert when ``prefer_internal``."""
    max_externals: int | None = None
    include: frozenset[int] = frozenset()
    exclude: frozenset[int] = frozenset()
    communication_cost: int = 50
    """``lam``: baht for each hop between two members, once for the whole assignment (a tie-breaker: see the
    module docstring)."""
    max_distance: int = 3
    """``D``: the distance of two people who are not connected within ``D - 1`` hops."""
    months: float = 1.0
    """Length of the assignment in months (:func:`hrsys.core.fiscal.months_in_period`): people's cost and the
    preference are counted over it. 1: per month."""
    search_budget: int = 300_000
    """Branch-and-bound nodes allowed to the exact solver (0: heuristic only)."""
    time_limit_ms: float | None = None
    """Wall-clock limit from the call: the searches stop by then (the preparation and greedy starts always
    run). None: the work budget alone decides, and the result is deterministic. The API sets one so that a
    proposal answers in time whatever the pool."""
    starts: int = 6
    """Starts of the greedy heuristic."""
    suggestions: int = 3
    """Suggestions per uncovered need (internal candidates, and external experts)."""


# ---------------------------------------------------------------------------- output


class Fill(msgspec.Struct, kw_only=True):
    need_id: int
    skill_id: int
    label: str
    min_level: int
    level: int
    allocation: int
    evidence: str


class ProposedMember(msgspec.Struct, kw_only=True):
    person_id: int
    name: str
    internal: bool
    agency_id: int | None
    note: str
    fills: list[Fill]
    allocation: int
    """Total percent of working time over the needs filled."""
    free: int
    """Percent free before joining."""
    monthly_cost: float | None
    """People's cost at the allocation, baht per month (None: masked for the reader)."""
    cost_estimated: bool
    worked_with: list[int]
    """Team members (new or current) this person already worked with directly."""
    reason: str
    period_cost: float | None = None
    """People's cost at the allocation over the period, baht (None: masked for the reader)."""


class Suggestion(msgspec.Struct, kw_only=True):
    person_id: int
    name: str
    internal: bool
    level: int
    gap: int
    """Levels missing to the need's minimum (0: has the level)."""
    free: int
    monthly_cost: int | None
    """Baht per month at full time (None: masked for the reader)."""
    why: str
    training: list[CourseOption] = []


class UncoveredNeed(msgspec.Struct, kw_only=True):
    need_id: int
    skill_id: int
    label: str
    min_level: int
    essential: bool
    missing: int
    """Slots left empty."""
    nearest_internal: list[Suggestion]
    external_experts: list[Suggestion]
    courses: list[CourseOption]
    """Courses that raise the skill to the needed level, cheapest first."""


class CostBreakdown(msgspec.Struct, kw_only=True):
    """Baht over the assignment's period (``months`` long); ``None`` where it would show a cost the reader
    may not see (:func:`hrsys.taskforces.visibility.mask_team`)."""

    people: float | None
    """People's cost: monthly cost x allocation x months, summed over the assignments (money)."""
    external_preference: float
    """``P`` x months per new external expert (a weight, not money)."""
    communication: float
    """The collaboration term, ``lam`` per hop per pair (a tie-breaker, not money); also ``collaboration``."""
    total: float | None
    """What the team is chosen by: the three above."""
    months: float = 1.0
    people_per_month: float | None = None
    """People's cost per month at the allocations."""
    collaboration: float = 0.0
    """The collaboration term again, under its plain name."""


class Team(msgspec.Struct, kw_only=True):
    members: list[ProposedMember]
    uncovered: list[UncoveredNeed]
    cost: CostBreakdown
    lower_bound: float | None
    """A proven lower bound on the optimal total (equal to it when ``optimal``; None: masked)."""
    optimal: bool
    method: str
    work: int
    """Units of work the exact search used."""
    candidates: int
    """Eligible candidates considered."""
    searched: int = 0
    """Candidates left to search after setting aside those that no optimal team needs (see ``drop_dominated``)."""
    warnings: list[str]


# ---------------------------------------------------------------------------- the model


class _Model:
    """Indices, costs and distances of one instance (satang, integers)."""

    def __init__(
        self,
        needs: list[Need],
        pool: list[Candidate],
        graph: nx.Graph | None,
        options: Options,
        current: Sequence[TeamMate],
    ) -> None:
        self.needs = needs
        self.pool = pool
        self.n = len(needs)
        self.p = len(pool)
        self.D = max(1, options.max_distance)
        self.lam = options.communication_cost * SATANG
        self.h = [nd.headcount for nd in needs]
        self.alloc = [nd.allocation for nd in needs]
        self.big = [BIG_ESSENTIAL if nd.essential else BIG_DESIRABLE for nd in needs]
        self.free = [c.free for c in pool]
        self.ext = [0 if c.internal else 1 for c in pool]
        months = Fraction(options.months)
        self.months = months
        pen = round(options.external_penalty * SATANG * months)
        self.pen = [pen if (options.prefer_internal and not c.internal) else 0 for c in pool]
        self.max_ext = options.max_externals
        current_ids = {m.person_id for m in current}
        self.current_ids = current_ids
        self.current_ext = sum(1 for m in current if m.member and not m.internal)
        self.in_current = [c.person_id in current_ids for c in pool]
        index = {c.person_id: i for i, c in enumerate(pool)}
        self.index = index
        # cost[i][j] for eligible pairs; elig[j] sorted by cost
        self.cost: list[dict[int, int]] = [{} for _ in pool]
        self.elig: list[list[int]] = []
        for j, nd in enumerate(needs):
            lst = []
            for i, c in enumerate(pool):
                sl = c.skills.get(nd.skill_id)
                if sl is not None and sl.level >= nd.min_level and c.free >= nd.allocation:
                    self.cost[i][j] = period_cost(c.monthly_cost, nd.allocation, months)
                    lst.append(i)
            costs = {i: self.cost[i][j] for i in lst}
            lst.sort(key=lambda i: (costs[i], -pool[i].skills[nd.skill_id].level, pool[i].person_id))
            self.elig.append(lst)
        self.elig_cost = [[self.cost[i][j] for i in lst] for j, lst in enumerate(self.elig)]
        self.k = [max(1, len(self.cost[i])) for i in range(self.p)]
        # distances: close[i] = {other pool index: d < D}; dcur[i] = sum of d(i, current) capped
        self.close: list[dict[int, int]] = [{} for _ in pool]
        self.dcur = [0] * self.p
        self.current_adjacent: list[set[int]] = [set() for _ in pool]
        cur_list = [m.person_id for m in current]
        for i, c in enumerate(pool):
            near: dict[int, int] = {}
            if graph is not None and self.D > 1 and c.person_id in graph:
                near = nx.single_source_shortest_path_length(graph, c.person_id, cutoff=self.D - 1)
            for pid, d in near.items():
                k = index.get(pid)
                if k is not None and k != i:
                    self.close[i][k] = d
            self.dcur[i] = sum(min(near.get(pid, self.D), self.D) for pid in cur_list if pid != c.person_id)
            self.current_adjacent[i] = {pid for pid in cur_list if pid != c.person_id and near.get(pid) == 1}

    def distance(self, i: int, k: int) -> int:
        return self.close[i].get(k, self.D)

    def drop_dominated(self, keep: set[int]) -> int:
        """Remove candidates that no optimal team needs; exact, so the optimum is unchanged. Returns how many.

        A candidate who is *isolated* (no one of the pool or the current team within ``D - 1`` hops: every
        distance is ``D``) and *fits a single need* ``j`` adds ``c_ij + P_i + lam * D * (team size)`` whoever
        else is in the team. Another such candidate of the same need with ``c + P`` no higher, and who is
        internal when this one is (an external also uses up the externals limit), is at least as good in
        every team. Need ``j`` has ``h_j`` slots, so once ``h_j`` candidates dominate this one it can go.
        At national scale most of the narrowed pool is isolated, and this leaves a few per need.
        """
        others = len({m for m in self.current_ids})
        dropped = 0
        for j in range(self.n):
            group = []
            for i in self.elig[j]:
                if i in keep or self.in_current[i] or len(self.cost[i]) != 1 or self.close[i]:
                    continue
                if self.dcur[i] != self.D * others:
                    continue
                group.append(i)
            if len(group) <= self.h[j]:
                continue
            group.sort(key=lambda i: (self.cost[i][j] + self.pen[i], self.ext[i], self.pool[i].person_id))
            internal_before = 0
            gone = set()
            for pos, i in enumerate(group):
                dominators = pos if (self.ext[i] or self.max_ext is None) else internal_before
                if dominators >= self.h[j]:
                    gone.add(i)
                if not self.ext[i]:
                    internal_before += 1
            if gone:
                self.elig[j] = [i for i in self.elig[j] if i not in gone]
                self.elig_cost[j] = [self.cost[i][j] for i in self.elig[j]]
                for i in gone:
                    del self.cost[i][j]
                dropped += len(gone)
        dropped += self._drop_twins(keep)
        self.k = [max(1, len(self.cost[i])) for i in range(self.p)]
        return dropped

    def _drop_twins(self, keep: set[int]) -> int:
        """Remove isolated candidates who have too many identical twins; exact. Returns how many.

        Two isolated candidates (every distance ``D``, as above) with the same needs they fit, the same cost on
        each, the same free time and the same kind (internal or external) are interchangeable in every team:
        swapping them changes neither the cost nor any constraint. A team holds at most ``sum of h_j over those
        needs`` of them (each fills a slot of one of those needs), so keeping that many of each class (the
        lowest ids) keeps an optimal team. At national scale pay goes by grade, so such classes are large.
        """
        others = len(self.current_ids)
        classes: dict[tuple[object, ...], list[int]] = {}
        for i in range(self.p):
            if i in keep or self.in_current[i] or not self.cost[i] or self.close[i]:
                continue
            if self.dcur[i] != self.D * others:
                continue
            sig = (tuple(sorted(self.cost[i].items())), self.free[i], self.ext[i], self.pen[i])
            classes.setdefault(sig, []).append(i)
        gone: set[int] = set()
        for members in classes.values():
            room = sum(self.h[j] for j in self.cost[members[0]])
            if len(members) > room:
                members.sort(key=lambda i: self.pool[i].person_id)
                gone.update(members[room:])
        if gone:
            for j in range(self.n):
                self.elig[j] = [i for i in self.elig[j] if i not in gone]
                self.elig_cost[j] = [self.cost[i][j] for i in self.elig[j]]
            for i in gone:
                self.cost[i] = {}
        return len(gone)


class _State:
    """A partial team with its cost kept up to date by O(1 + degree) adds and removes."""

    __slots__ = ("assign", "cnt", "cost", "m", "n_ext", "on", "r", "t", "used")

    def __init__(self, m: _Model) -> None:
        self.m = m
        self.assign: list[list[int]] = [[] for _ in range(m.n)]
        self.on: list[set[int]] = [set() for _ in range(m.p)]
        self.cnt = [0] * m.p
        self.used = [0] * m.p
        self.t = 0
        """Number of new members."""
        self.r = [0] * m.p
        """r[k] = sum over new members u != k of (D - d(u, k)); so sum of d(k, new) = D * t - r[k]."""
        self.n_ext = m.current_ext
        self.cost = 0

    def copy_assign(self) -> list[list[int]]:
        return [list(a) for a in self.assign]

    def is_new(self, i: int) -> bool:
        return self.cnt[i] == 0 and not self.m.in_current[i]

    def can_add(self, i: int, j: int) -> bool:
        m = self.m
        if j in self.on[i] or self.used[i] + m.alloc[j] > m.free[i]:
            return False
        return not (
            m.ext[i] and m.max_ext is not None and self.cnt[i] == 0 and not m.in_current[i] and self.n_ext >= m.max_ext
        )

    def add_cost(self, i: int, j: int) -> int:
        m = self.m
        c = m.cost[i][j]
        if self.cnt[i] == 0 and not m.in_current[i]:
            c += m.pen[i] + m.lam * (m.dcur[i] + m.D * self.t - self.r[i])
        return c

    def add(self, i: int, j: int) -> None:
        m = self.m
        self.cost += self.add_cost(i, j)
        if self.cnt[i] == 0 and not m.in_current[i]:
            self.t += 1
            d_max = m.D
            r = self.r
            for k, d in m.close[i].items():
                r[k] += d_max - d
            if m.ext[i]:
                self.n_ext += 1
        self.cnt[i] += 1
        self.used[i] += m.alloc[j]
        self.on[i].add(j)
        self.assign[j].append(i)

    def remove(self, i: int, j: int) -> None:
        m = self.m
        self.assign[j].remove(i)
        self.on[i].discard(j)
        self.used[i] -= m.alloc[j]
        self.cnt[i] -= 1
        self.cost -= m.cost[i][j]
        if self.cnt[i] == 0 and not m.in_current[i]:
            self.t -= 1
            d_max = m.D
            r = self.r
            for k, d in m.close[i].items():
                r[k] -= d_max - d
            if m.ext[i]:
                self.n_ext -= 1
            self.cost -= m.pen[i] + m.lam * (m.dcur[i] + m.D * self.t - self.r[i])

    def uncovered_penalty(self) -> int:
        m = self.m
        return sum((m.h[j] - len(self.assign[j])) * m.big[j] for j in range(m.n))

    def value(self) -> int:
        return self.cost + self.uncovered_penalty()


# ---------------------------------------------------------------------------- heuristic


def _rarest_first(m: _Model) -> list[int]:
    return sorted(range(m.n), key=lambda j: (len(m.elig[j]) / max(1, m.h[j]), -m.alloc[j], j))


def _best_add(st: _State, j: int, skip: int = -1, members_only: bool = False) -> tuple[int, int] | None:
    """The cheapest person who can take a slot of need ``j`` now: (marginal cost, index).

    ``members_only``: only people already in the team (who add no communication cost)."""
    best: tuple[int, int] | None = None
    for i in st.m.elig[j]:
        if members_only and not (st.cnt[i] or st.m.in_current[i]):
            continue
        if i != skip and st.can_add(i, j):
            c = st.add_cost(i, j)
            if best is None or c < best[0]:
                best = (c, i)
    return best


def _greedy(m: _Model, order: list[int], includes: list[int], forced: tuple[int, int] | None) -> _State:
    st = _State(m)
    for i in includes:
        if st.cnt[i]:
            continue
        choices = [
            (st.add_cost(i, j), j)
            for j in range(m.n)
            if j in m.cost[i] and len(st.assign[j]) < m.h[j] and st.can_add(i, j)
        ]
        if choices:
            st.add(i, min(choices)[1])
    if forced is not None and st.can_add(*forced) and len(st.assign[forced[1]]) < m.h[forced[1]]:
        st.add(*forced)
    for j in order:
        while len(st.assign[j]) < m.h[j]:
            best = _best_add(st, j)
            if best is None:
                break
            st.add(best[1], j)
    return st


def _augment(st: _State, target: int, depth: int, banned: set[int], members_only: bool = False) -> bool:
    """Fill one empty slot of need ``target``, moving people along a chain of needs if necessary.

    Like an augmenting path in bipartite matching: someone who fits ``target`` but has no time
    left gives up another need ``j``, which is then filled the same way (``depth`` links at most).
    Returns True when a slot was filled; otherwise ``st`` is unchanged.
    """
    best = _best_add(st, target, members_only=members_only)
    if best is not None:
        st.add(best[1], target)
        return True
    if depth == 0:
        return False
    m = st.m
    for i in m.elig[target]:
        if i in banned or target in st.on[i]:
            continue
        for j in sorted(st.on[i]):
            if st.used[i] - m.alloc[j] + m.alloc[target] > m.free[i]:
                continue
            st.remove(i, j)
            if st.can_add(i, target):
                st.add(i, target)
                if _augment(st, j, depth - 1, banned | {i}, members_only):
                    return True
                st.remove(i, target)
            st.add(i, j)
    return False


def _local_search(st: _State, includes: frozenset[int]) -> None:
    """Improve ``st`` in place until no move lowers its value (first improvement)."""
    m = st.m
    improved = True
    while improved:
        improved = False
        # fill uncovered slots, along a chain of moves if need be
        for j in range(m.n):
            while len(st.assign[j]) < m.h[j] and _augment(st, j, 3, set()):
                improved = True
        # replace the person on one slot
        for j in range(m.n):
            for i in list(st.assign[j]):
                if i in includes and st.cnt[i] == 1:
                    continue
                before = st.value()
                st.remove(i, j)
                best = _best_add(st, j, skip=i)
                if best is not None and st.value() - m.big[j] + best[0] < before:
                    st.add(best[1], j)
                    improved = True
                else:
                    st.add(i, j)
        # move a person from one need to another need's empty slot (and refill the first if possible)
        if st.uncovered_penalty():
            for j in range(m.n):
                for i in list(st.assign[j]):
                    if improved:
                        break
                    before = st.value()
                    st.remove(i, j)
                    for other in range(m.n):
                        if (
                            other == j
                            or len(st.assign[other]) >= m.h[other]
                            or other not in m.cost[i]
                            or not st.can_add(i, other)
                        ):
                            continue
                        st.add(i, other)
                        refill = _best_add(st, j, skip=i)
                        if refill is not None:
                            st.add(refill[1], j)
                        if st.value() < before:
                            improved = True
                            break
                        if refill is not None:
                            st.remove(refill[1], j)
                        st.remove(i, other)
                    if not improved:
                        st.add(i, j)
        # replace a newcomer on all their needs at once
        for i in range(m.p):
            if st.cnt[i] == 0 or m.in_current[i] or i in includes:
                continue
            needs_i = sorted(st.on[i])
            before = st.value()
            for j in needs_i:
                st.remove(i, j)
            best_k, best_v = -1, before
            total = sum(m.alloc[j] for j in needs_i)
            for k in m.elig[needs_i[0]]:
                if k == i or st.cnt[k] or m.in_current[k] or m.free[k] < total:
                    continue
                if any(j not in m.cost[k] for j in needs_i):
                    continue
                if not st.can_add(k, needs_i[0]):
                    continue
                v = (
                    st.value()
                    - sum(m.big[j] for j in needs_i)
                    + st.add_cost(k, needs_i[0])
                    + sum(m.cost[k][j] for j in needs_i[1:])
                )
                if v < best_v:
                    best_k, best_v = k, v
            target = best_k if best_k >= 0 else i
            for j in needs_i:
                st.add(target, j)
            if best_k >= 0:
                improved = True
        # let go of a newcomer whose slots the rest of the team can take (moving along chains): a smaller team
        for i in range(m.p):
            if improved:
                break
            if st.cnt[i] == 0 or m.in_current[i] or i in includes:
                continue
            before = st.value()
            vacated = sorted(st.on[i])
            for j in vacated:
                st.remove(i, j)
            undo: list[list[int]] = [list(a) for a in st.assign]
            ok = all(_augment(st, j, 2, {i}, members_only=True) for j in vacated)
            if ok and st.value() < before:
                improved = True
                continue
            # restore: back to the assignment before the attempt
            for j in range(m.n):
                for k in list(st.assign[j]):
                    if k not in undo[j]:
                        st.remove(k, j)
                for k in undo[j]:
                    if k not in st.assign[j]:
                        st.add(k, j)
            for j in vacated:
                st.add(i, j)
        # swap two people between two needs
        pairs = [(i, j) for j in range(m.n) for i in st.assign[j]]
        for a in range(len(pairs)):
            i, j = pairs[a]
            for b in range(a + 1, len(pairs)):
                k, jk = pairs[b]
                if j == jk or i == k or i not in st.assign[j] or k not in st.assign[jk]:
                    continue
                if jk not in m.cost[i] or j not in m.cost[k]:
                    continue
                before = st.value()
                st.remove(i, j)
                st.remove(k, jk)
                if st.can_add(k, j):
                    st.add(k, j)
                    if st.can_add(i, jk):
                        st.add(i, jk)
                        if st.value() < before:
                            improved = True
                            break
                        st.remove(i, jk)
                    st.remove(k, j)
                st.add(i, j)
                st.add(k, jk)
            if improved:
                break


def _cover_greedy(m: _Model, includes: list[int]) -> _State:
    """Weighted set-cover greedy: repeatedly add the person whose cost per slot covered is least.

    A person's offer is the open needs they fit, cheapest first, while their free time lasts; its cost is
    what adding them costs now (people's cost, preference penalty, communication with the team so far).
    Chvatal's greedy for weighted set cover (1979): within a factor H(largest offer) of the best cover when
    costs are additive. It favours people who cover several needs, which makes small teams (fewer pairs).
    """
    st = _State(m)
    for i in includes:
        for j in sorted(m.cost[i], key=lambda j: m.cost[i][j]):
            if len(st.assign[j]) < m.h[j] and st.can_add(i, j):
                st.add(i, j)
    while True:
        best: tuple[float, int, list[int]] | None = None
        for i in range(m.p):
            if not m.cost[i]:
                continue
            room = m.free[i] - st.used[i]
            offer: list[int] = []
            extra = 0
            for j in sorted(m.cost[i], key=lambda j: m.cost[i][j]):
                if len(st.assign[j]) < m.h[j] and j not in st.on[i] and m.alloc[j] <= room:
                    if not offer and not st.can_add(i, j):
                        break
                    offer.append(j)
                    room -= m.alloc[j]
                    extra += m.cost[i][j]
            if not offer:
                continue
            price = (st.add_cost(i, offer[0]) + extra - m.cost[i][offer[0]]) / len(offer)
            if best is None or price < best[0]:
                best = (price, i, offer)
        if best is None:
            return st
        for j in best[2]:
            st.add(best[1], j)


def _heuristic(m: _Model, includes: list[int], starts: int) -> tuple[int, list[list[int]]]:
    order = _rarest_first(m)
    inc = frozenset(includes)
    seeds: list[tuple[int, int] | None] = [None]
    if m.n:
        j0 = order[0]
        seeds += [(i, j0) for i in m.elig[j0][: max(0, starts - 1)]]
    best_v = -1
    best_a: list[list[int]] = [[] for _ in range(m.n)]
    starts_states = [_cover_greedy(m, includes)]
    for seed in seeds:
        starts_states.append(_greedy(m, order, includes, seed))
    for st in starts_states:
        _local_search(st, inc)
        if all(st.cnt[i] for i in includes):
            v = st.value()
            if best_v < 0 or v < best_v:
                best_v, best_a = v, st.copy_assign()
    return best_v, best_a


# ---------------------------------------------------------------------------- exact solve (MILP, HiGHS)


class _Solved(msgspec.Struct, kw_only=True):
    status: str
    """``optimal``, ``limit`` (time or node limit, with an incumbent), ``none`` (limit, no solution)."""
    assign: list[list[int]] | None
    bound: float
    """The solver's proven lower bound on the objective (satang)."""
    nodes: int


def _milp(m: _Model, includes: list[int], **kw: Any) -> _Solved:
    """:func:`_milp_solve`, one HiGHS model at a time per process (:data:`hrsys.core.solver.HIGHS`)."""
    with solver.HIGHS:
        return _milp_solve(m, includes, **kw)


def _milp_solve(
    m: _Model,
    includes: list[int],
    *,
    coverage: tuple[int, int] | None,
    incumbent: list[list[int]] | None,
    seconds: float | None,
    node_limit: int | None,
) -> _Solved:
    """Solve one stage of the lexicographic problem as a mixed-integer linear program with HiGHS.

    ``coverage`` None: maximise ``(H_d + 1) * covered essential slots + covered desirable slots`` (the
    lexicographic order of the two counts). Otherwise ``(essential, desirable)`` slots that must be covered,
    and the cost is minimised. Variables: ``x_ij`` (person ``i`` fills a slot of need ``j``), ``z_i`` (new
    person ``i`` joins), ``q`` (= ``n (n - 1) / 2`` for ``n`` new members) and ``y_uv`` for pairs of new
    candidates closer than ``D``. The communication cost of the new members is
    ``lam * (sum_i z_i * dcur_i + D * n (n - 1) / 2 - sum_uv (D - d_uv) * y_uv)``: every pair of new members
    costs ``D`` except that close pairs get back ``D - d_uv``. ``n (n - 1) / 2`` is convex in the integer
    ``n``, so ``q >= k n - k (k + 1) / 2`` for ``k = 0 .. K`` (the lines through consecutive integer points)
    makes ``q`` exact at the optimum; ``y_uv <= z_u, y_uv <= z_v`` is the product linearisation for a
    product that the objective wants large. Only close pairs need a variable (most pairs are at ``D``).
    All objective coefficients are integers (satang), so an absolute gap below 1 proves optimality.
    """
    import highspy
    import numpy as np

    pairs = [(i, j) for i in range(m.p) for j in sorted(m.cost[i])]
    col = {ij: k for k, ij in enumerate(pairs)}
    new = [i for i in range(m.p) if m.cost[i] and not m.in_current[i]]
    zcol = {i: len(pairs) + k for k, i in enumerate(new)}
    qcol = len(pairs) + len(new)
    close = [(u, v, d) for u in new for v, d in m.close[u].items() if u < v and v in zcol and d < m.D and m.cost[v]]
    ycol0 = qcol + 1
    ncol = ycol0 + len(close)
    cost = np.zeros(ncol)
    lower = np.zeros(ncol)
    upper = np.ones(ncol)
    upper[qcol] = highspy.kHighsInf
    integrality = [highspy.HighsVarType.kInteger] * (len(pairs) + len(new)) + [highspy.HighsVarType.kContinuous] * (
        1 + len(close)
    )
    ess = [j for j in range(m.n) if m.big[j] == BIG_ESSENTIAL]
    h_des = sum(m.h[j] for j in range(m.n) if m.big[j] != BIG_ESSENTIAL)
    if coverage is None:
        for (_i, j), k in col.items():
            cost[k] = -(h_des + 1 if m.big[j] == BIG_ESSENTIAL else 1)
    else:
        for (i, j), k in col.items():
            cost[k] = m.cost[i][j]
        for i, k in zcol.items():
            cost[k] = m.pen[i] + m.lam * m.dcur[i]
        cost[qcol] = m.lam * m.D
        for t, (_u, _v, d) in enumerate(close):
            cost[ycol0 + t] = -m.lam * (m.D - d)
    for i in includes:
        if i in zcol:
            lower[zcol[i]] = 1
    rows: list[tuple[float, float, list[int], list[float]]] = []
    inf = highspy.kHighsInf
    by_need: list[list[int]] = [[] for _ in range(m.n)]
    by_person: list[list[int]] = [[] for _ in range(m.p)]
    for (i, j), k in col.items():
        by_need[j].append(k)
        by_person[i].append(k)
    for j in range(m.n):
        if by_need[j]:
            rows.append((-inf, m.h[j], by_need[j], [1.0] * len(by_need[j])))
    for i in range(m.p):
        ks = by_person[i]
        if not ks:
            continue
        rows.append((-inf, m.free[i], ks, [float(m.alloc[pairs[k][1]]) for k in ks]))
        if i in zcol:
            for k in ks:
                rows.append((-inf, 0.0, [k, zcol[i]], [1.0, -1.0]))  # x_ij <= z_i
            rows.append((-inf, 0.0, [zcol[i], *ks], [1.0] + [-1.0] * len(ks)))  # z_i <= sum_j x_ij
        if i in includes:
            rows.append((1.0, inf, ks, [1.0] * len(ks)))
    if m.max_ext is not None:
        exts = [zcol[i] for i in new if m.ext[i]]
        if exts:
            rows.append((-inf, max(0, m.max_ext - m.current_ext), exts, [1.0] * len(exts)))
    if coverage is not None:
        e_cols = [k for j in ess for k in by_need[j]]
        d_cols = [k for j in range(m.n) if j not in ess for k in by_need[j]]
        if coverage[0] and e_cols:
            rows.append((coverage[0], inf, e_cols, [1.0] * len(e_cols)))
        if coverage[1] and d_cols:
            rows.append((coverage[1], inf, d_cols, [1.0] * len(d_cols)))
        zs = list(zcol.values())
        for kk in range(min(len(new), sum(m.h)) + 1):
            # q >= k * n - k (k + 1) / 2
            rows.append((-kk * (kk + 1) / 2, inf, [qcol, *zs], [1.0] + [-float(kk)] * len(zs)))
        for t, (u, v, _d) in enumerate(close):
            rows.append((-inf, 0.0, [ycol0 + t, zcol[u]], [1.0, -1.0]))
            rows.append((-inf, 0.0, [ycol0 + t, zcol[v]], [1.0, -1.0]))
    lp = highspy.HighsLp()
    lp.num_col_ = ncol
    lp.num_row_ = len(rows)
    lp.col_cost_ = cost
    lp.col_lower_ = lower
    lp.col_upper_ = upper
    lp.row_lower_ = np.array([r[0] for r in rows], dtype=float)
    lp.row_upper_ = np.array([r[1] for r in rows], dtype=float)
    starts = [0]
    index: list[int] = []
    value: list[float] = []
    for r in rows:
        index += r[2]
        value += r[3]
        starts.append(len(index))
    lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
    lp.a_matrix_.num_col_ = ncol
    lp.a_matrix_.num_row_ = len(rows)
    lp.a_matrix_.start_ = np.array(starts, dtype=np.int32)
    lp.a_matrix_.index_ = np.array(index, dtype=np.int32)
    lp.a_matrix_.value_ = np.array(value, dtype=float)
    lp.integrality_ = integrality
    h = solver.new_highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("threads", 1)
    h.setOptionValue("mip_rel_gap", 0.0)
    h.setOptionValue("presolve", "off")  # measured: 3.7 s of presolve against 0.36 s solving without it (600
    # candidates, 10 needs, a dense graph: the test instance with the time limit)
    h.setOptionValue("mip_abs_gap", 0.5)
    if seconds is not None:
        h.setOptionValue("time_limit", max(0.001, seconds))
    if node_limit is not None:
        h.setOptionValue("mip_max_nodes", node_limit)
    h.passModel(lp)
    if incumbent is not None:
        sol = np.zeros(ncol)
        chosen = set()
        for j, people in enumerate(incumbent):
            for i in people:
                sol[col[(i, j)]] = 1
                if i in zcol:
                    sol[zcol[i]] = 1
                    chosen.add(i)
        n_new = len(chosen)
        sol[qcol] = n_new * (n_new - 1) / 2
        for t, (u, v, _d) in enumerate(close):
            sol[ycol0 + t] = 1.0 if (u in chosen and v in chosen) else 0.0
        h.setSolution(ncol, np.arange(ncol, dtype=np.int32), sol)
    h.run()
    status = h.getModelStatus()
    info = h.getInfo()
    nodes = int(info.mip_node_count)
    if status == highspy.HighsModelStatus.kInfeasible:
        return _Solved(status="infeasible", assign=None, bound=0.0, nodes=nodes)
    values = h.getSolution().col_value if info.primal_solution_status else None
    if values is None or len(values) != ncol:
        return _Solved(status="none", assign=None, bound=float(info.mip_dual_bound), nodes=nodes)
    assign: list[list[int]] = [[] for _ in range(m.n)]
    for (i, j), k in col.items():
        if values[k] > 0.5:
            assign[j].append(i)
    ok = status == highspy.HighsModelStatus.kOptimal
    return _Solved(status="optimal" if ok else "limit", assign=assign, bound=float(info.mip_dual_bound), nodes=nodes)


def _state_of(m: _Model, assign: list[list[int]]) -> _State:
    st = _State(m)
    for j, people in enumerate(assign):
        for i in people:
            st.add(i, j)
    return st


def _covered(m: _Model, assign: list[list[int]]) -> tuple[int, int]:
    ess = sum(len(assign[j]) for j in range(m.n) if m.big[j] == BIG_ESSENTIAL)
    return ess, sum(len(a) for a in assign) - ess


def _feasible(m: _Model, includes: list[int], assign: list[list[int]]) -> bool:
    """The solver's team checked against the constraints in exact arithmetic."""
    used = [0] * m.p
    new_ext: set[int] = set()
    for j, people in enumerate(assign):
        if len(people) > m.h[j] or len(set(people)) != len(people):
            return False
        for i in people:
            if j not in m.cost[i]:
                return False
            used[i] += m.alloc[j]
            if m.ext[i] and not m.in_current[i]:
                new_ext.add(i)
    if any(used[i] > m.free[i] for i in range(m.p)) or any(not used[i] for i in includes):
        return False
    return m.max_ext is None or m.current_ext + len(new_ext) <= max(m.max_ext, m.current_ext)


def _exact(
    m: _Model, includes: list[int], heur_a: list[list[int]], options: Options, called: float
) -> tuple[list[list[int]], bool, float, int]:
    """The lexicographic optimum by HiGHS, warm-started with the heuristic's team: (assignment, proven
    optimal, lower bound on the cost in satang, branch-and-bound nodes).

    Stage 1 (skipped when the heuristic already covers every slot that has enough eligible people, which
    no team can beat) maximises coverage; stage 2 minimises the cost at that coverage. ``optimal`` needs
    both stages proven; the bound is the solver's dual bound of stage 2 (0 when the coverage is not proven:
    a team covering fewer slots may cost less). The solver's team is re-checked and re-costed exactly; a
    team that fails the check (a numerical slip) is dropped for the heuristic's and proves nothing.
    """
    end = None if options.time_limit_ms is None else called + options.time_limit_ms / 1000

    def left(share: float = 1.0) -> float | None:
        return None if end is None else share * max(0.0, end - time.perf_counter())

    nodes_limit = options.search_budget
    best_a = heur_a
    coverage = _covered(m, heur_a)
    cap = (
        sum(min(m.h[j], len(m.elig[j])) for j in range(m.n) if m.big[j] == BIG_ESSENTIAL),
        sum(min(m.h[j], len(m.elig[j])) for j in range(m.n) if m.big[j] != BIG_ESSENTIAL),
    )
    work = 0
    proven = coverage == cap
    if not proven:
        r1 = _milp(m, includes, coverage=None, incumbent=heur_a, seconds=left(0.5), node_limit=nodes_limit)
        work += r1.nodes
        if r1.assign is not None and _feasible(m, includes, r1.assign):
            if _covered(m, r1.assign) > coverage:
                coverage, best_a = _covered(m, r1.assign), r1.assign
            proven = r1.status == "optimal"
    r2 = _milp(m, includes, coverage=coverage, incumbent=best_a, seconds=left(), node_limit=nodes_limit)
    work += r2.nodes
    best_v = _state_of(m, best_a).cost
    if r2.assign is not None and _feasible(m, includes, r2.assign) and _covered(m, r2.assign) >= coverage:
        v = _state_of(m, r2.assign).cost
        if v < best_v:
            best_a, best_v = r2.assign, v
    optimal = proven and r2.status == "optimal" and best_v <= r2.bound + 0.5
    bound = r2.bound if math.isfinite(r2.bound) else 0.0
    lower = max(0.0, min(float(best_v), bound)) if proven else 0.0
    return best_a, optimal, lower, work


def _satang_to_baht(v: int) -> float:
    return round(v / SATANG, 2)


def _filter_pool(
    candidates: Iterable[Candidate], options: Options, current_ids: set[int]
) -> tuple[list[Candidate], list[Candidate]]:
    """(allowed candidates, all distinct candidates)."""
    seen: set[int] = set()
    everyone: list[Candidate] = []
    for c in candidates:
        if c.person_id not in seen:
            seen.add(c.person_id)
            everyone.append(c)
    allowed = []
    for c in everyone:
        if c.person_id in options.exclude:
            continue
        if (
            c.internal
            and options.agencies is not None
            and c.agency_id not in options.agencies
            and c.person_id not in options.include
            and c.person_id not in current_ids
        ):
            continue
        allowed.append(c)
    return allowed, everyone


def assemble(
    needs: Sequence[Need],
    candidates: Iterable[Candidate],
    graph: nx.Graph | None = None,
    options: Options | None = None,
    *,
    current: Sequence[TeamMate] = (),
    courses: Sequence[CourseOption] = (),
) -> Team:
    """The least-cost team covering ``needs`` from ``candidates`` (see the module docstring).

    ``graph`` is the collaboration graph over person ids (any extra nodes are
    fine); ``current`` the people already in the team; ``courses`` feed the
    training suggestions for needs left uncovered.
    """
    called = time.perf_counter()
    options = options or Options()
    warnings: list[str] = []
    current_ids = {mt.person_id for mt in current}
    active_needs = [nd for nd in needs if nd.headcount > 0]
    allowed, everyone = _filter_pool(candidates, options, current_ids)
    # keep only people eligible for at least one need
    pool = [
        c
        for c in allowed
        if any(
            (sl := c.skills.get(nd.skill_id)) is not None and sl.level >= nd.min_level and c.free >= nd.allocation
            for nd in active_needs
        )
    ]
    m = _Model(active_needs, pool, graph, options, current)
    keep = {m.index[pid] for pid in options.include if pid in m.index}
    m.drop_dominated(keep)
    includes: list[int] = []
    for pid in sorted(options.include):
        i = m.index.get(pid)
        if pid in options.exclude:
            warnings.append(f"person {pid} is both included and excluded: excluded")
        elif i is None:
            warnings.append(f"person {pid} cannot be included: no need they have the level and the free time for")
        else:
            includes.append(i)
    # heuristic first (its team also fixes which includes are feasible together)
    heur_v, heur_a = _heuristic(m, includes, max(1, options.starts))
    if heur_v < 0:
        # the includes cannot all be placed together: keep those the greedy could place
        st = _greedy(m, _rarest_first(m), includes, None)
        placed = [i for i in includes if st.cnt[i]]
        for i in includes:
            if not st.cnt[i]:
                warnings.append(
                    f"person {pool[i].person_id} cannot be included: "
                    "their time or the externals limit does not allow it"
                )
        includes = placed
        heur_v, heur_a = _heuristic(m, includes, max(1, options.starts))
    optimal = False
    method = "heuristic (not proven optimal)"
    best_a = heur_a
    lower = 0.0
    work = 0
    if options.search_budget > 0:
        best_a, optimal, lower, work = _exact(m, includes, heur_a, options, called)
        method = "mixed-integer program (HiGHS), optimal" if optimal else "mixed-integer program (HiGHS), stopped"
    st = _state_of(m, best_a)
    team = _describe(m, st, everyone, options, current, courses)
    team.lower_bound = _satang_to_baht(st.cost) if optimal else _satang_to_baht(max(0, math.ceil(lower - 1e-6)))
    team.optimal = optimal
    team.method = method
    team.work = work
    team.searched = sum(1 for i in range(m.p) if m.cost[i])
    team.warnings = warnings + team.warnings
    return team


# ---------------------------------------------------------------------------- reasons and suggestions


def _describe(
    m: _Model,
    st: _State,
    everyone: list[Candidate],
    options: Options,
    current: Sequence[TeamMate],
    courses: Sequence[CourseOption],
) -> Team:
    members: list[ProposedMember] = []
    team_idx = [i for i in range(m.p) if st.cnt[i]]
    names = {mt.person_id: mt.name for mt in current}
    for i in team_idx:
        names[m.pool[i].person_id] = m.pool[i].name
    people_cost = pen_cost = people_monthly = 0
    for i in sorted(team_idx, key=lambda i: m.pool[i].person_id):
        c = m.pool[i]
        fills = []
        for j in sorted(st.on[i]):
            nd = m.needs[j]
            sl = c.skills[nd.skill_id]
            fills.append(
                Fill(
                    need_id=nd.id,
                    skill_id=nd.skill_id,
                    label=nd.label or f"skill {nd.skill_id}",
                    min_level=nd.min_level,
                    level=sl.level,
                    allocation=nd.allocation,
                    evidence=sl.evidence,
                )
            )
        cost_i = sum(m.cost[i][j] for j in st.on[i])
        monthly_i = sum(c.monthly_cost * m.alloc[j] for j in st.on[i])
        people_cost += cost_i
        people_monthly += monthly_i
        if not m.in_current[i]:
            pen_cost += m.pen[i]
        worked = sorted(
            {m.pool[k].person_id for k, d in m.close[i].items() if d == 1 and st.cnt[k]} | m.current_adjacent[i]
        )
        members.append(
            ProposedMember(
                person_id=c.person_id,
                name=c.name,
                internal=c.internal,
                agency_id=c.agency_id,
                note=c.note,
                fills=fills,
                allocation=st.used[i],
                free=c.free,
                monthly_cost=_satang_to_baht(monthly_i),
                period_cost=_satang_to_baht(cost_i),
                cost_estimated=c.cost_estimated,
                worked_with=worked,
                reason=_reason(c, fills, worked, names, m.in_current[i]),
            )
        )
    comm = st.cost - people_cost - pen_cost
    uncovered = []
    for j in range(m.n):
        missing = m.h[j] - len(st.assign[j])
        if missing > 0:
            uncovered.append(_uncovered(j, missing, everyone, st, m, options, courses))
    warnings = []
    if any(c.cost_estimated for c in (m.pool[i] for i in team_idx)):
        warnings.append("some members have no recorded cost: a default monthly cost was used")
    return Team(
        members=members,
        uncovered=uncovered,
        cost=CostBreakdown(
            people=_satang_to_baht(people_cost),
            external_preference=_satang_to_baht(pen_cost),
            communication=_satang_to_baht(comm),
            total=_satang_to_baht(st.cost),
            months=float(m.months),
            people_per_month=_satang_to_baht(people_monthly),
            collaboration=_satang_to_baht(comm),
        ),
        lower_bound=0.0,
        optimal=False,
        method="",
        work=0,
        candidates=m.p,
        warnings=warnings,
    )


def _reason(c: Candidate, fills: list[Fill], worked: list[int], names: dict[int, str], current: bool) -> str:
    parts = []
    for f in fills:
        ev = f"; evidence: {f.evidence}" if f.evidence else ""
        parts.append(f"{f.label} at level {f.level} (needs {f.min_level}{ev}) for {f.allocation}% of their time")
    text = "Covers " + "; ".join(parts) + "."
    if worked:
        who = ", ".join(names.get(p) or f"person {p}" for p in worked[:5])
        more = f" and {len(worked) - 5} more" if len(worked) > 5 else ""
        text += f" Has worked with {who}{more}."
    kind = "Civil servant" if c.internal else "External expert"
    where = f" ({c.note})" if c.note else ""
    text += f" {kind}{where}, {c.free}% of working time free over the period."
    if current:
        text += " Already in the team."
    if c.cost_estimated:
        text += " Cost estimated (none recorded)."
    return text


def _uncovered(
    j: int,
    missing: int,
    everyone: list[Candidate],
    st: _State,
    m: _Model,
    options: Options,
    courses: Sequence[CourseOption],
) -> UncoveredNeed:
    nd = m.needs[j]
    on_need = {m.pool[i].person_id for i in st.assign[j]}
    fitting = sorted(
        (c for c in courses if c.skill_id == nd.skill_id and c.level >= nd.min_level),
        key=lambda c: (c.cost, c.hours, c.code),
    )
    internal: list[Suggestion] = []
    external: list[Suggestion] = []
    team_ids = {m.pool[i].person_id for i in range(m.p) if st.cnt[i]}
    for c in everyone:
        if c.person_id in on_need or c.person_id in options.exclude:
            continue
        sl = c.skills.get(nd.skill_id)
        if sl is None:
            continue
        level = sl.level
        gap = max(0, nd.min_level - level)
        i = m.index.get(c.person_id)
        used = st.used[i] if i is not None else 0
        free_now = max(0, c.free - used)
        if c.internal:
            if options.agencies is not None and c.agency_id not in options.agencies:
                continue
            if gap == 0 and free_now >= nd.allocation:
                continue  # could take it: not a near miss (it was left out for a constraint, see below)
            why_parts = []
            if gap:
                why_parts.append(f"level {level} of {nd.min_level} needed")
            if free_now < nd.allocation:
                why_parts.append(f"{free_now}% free of {nd.allocation}% needed")
            internal.append(
                Suggestion(
                    person_id=c.person_id,
                    name=c.name,
                    internal=True,
                    level=level,
                    gap=gap,
                    free=free_now,
                    monthly_cost=c.monthly_cost,
                    why=", ".join(why_parts),
                    training=fitting[:1] if gap else [],
                )
            )
        elif gap == 0:
            reasons = []
            if free_now < nd.allocation:
                reasons.append(f"{free_now}% free of {nd.allocation}% needed")
            if options.max_externals is not None and c.person_id not in team_ids and st.n_ext >= options.max_externals:
                reasons.append(f"the team already has the maximum of {options.max_externals} external experts")
            external.append(
                Suggestion(
                    person_id=c.person_id,
                    name=c.name,
                    internal=False,
                    level=level,
                    gap=0,
                    free=free_now,
                    monthly_cost=c.monthly_cost,
                    why=", ".join(reasons) or "has the skill at the level",
                )
            )
    internal.sort(key=lambda s: (s.gap, -s.free, s.monthly_cost, s.person_id))
    external.sort(key=lambda s: (-(s.free >= nd.allocation), -s.level, s.monthly_cost, s.person_id))
    return UncoveredNeed(
        need_id=nd.id,
        skill_id=nd.skill_id,
        label=nd.label or f"skill {nd.skill_id}",
        min_level=nd.min_level,
        essential=nd.essential,
        missing=missing,
        nearest_internal=internal[: options.suggestions],
        external_experts=external[: options.suggestions],
        courses=fitting[:3],
    )
