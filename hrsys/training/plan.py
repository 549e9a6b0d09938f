"""Training plans: the cheapest set of courses that closes a skill gap (pure).

The problem
-----------
Each unmet requirement ``(skill, need)`` is an *element*. A course *covers* an
element when one of its outcomes raises that skill to at least ``need``. Taking a
course means taking its prerequisite closure (every prerequisite, transitively,
that the person has not completed), whether or not those prerequisites teach
anything needed. The plan is a prerequisite-closed set of courses covering every
element that some course covers, of least total cost (baht or hours). Elements no
course covers are reported as such. This is weighted set cover (NP-hard) with
precedence constraints.

Algorithms (``solve`` picks; the result says which ran)
------------------------------------------------------
- **Exact**: depth-first branch and bound. At each node take the uncovered
  element with the fewest covering courses and branch on each of them (adding
  its closure). Any solution contains one of those courses with its closure, so
  the search misses no optimum; a branch is cut when ``cost + max over uncovered
  elements of the cheapest marginal cost to cover it`` reaches the best cost
  found (seeded with the greedy plan). Worst case exponential; it runs under a
  node budget (``exact_node_limit``) and the plan is reported exact only when the
  search finished.
- **Greedy** (Chvátal 1979): repeatedly take the course whose closure covers the
  most uncovered elements per unit of *marginal* cost (prerequisites already in
  the plan are free), then drop courses made redundant. O(n * m * c) for n
  elements, m candidate courses and closures of size c.

  Bound: ``cost <= H(d) * min(delta, n) * optimum``, where ``H(d) = 1 + 1/2 + ...
  + 1/d``, ``d`` is the largest number of elements one course's closure covers,
  and ``delta`` the largest number of candidate courses whose closures share one
  course. Proof sketch: charge each greedy step's marginal cost to the elements it
  covers; for any closure ``S`` of full cost ``w`` the charges of its elements sum
  to at most ``H(|S|) * w`` (Chvátal's dual fitting; marginal costs never exceed
  full costs); an optimal plan splits into closures whose full costs sum to at
  most ``min(delta, n)`` times its cost. Without shared prerequisites ``delta = 1``
  and this is the classical ``H(d) <= 1 + ln d`` bound.

Budget
------
With ``budget``, if the cheapest full plan costs more, the plan instead covers
the most valuable elements it can within the budget (value of an element:
``weight * shortfall``, essential elements before any desirable one), the
cheapest such plan on ties. Exact: branch and bound over "cover this element
with one of its courses, or leave it". Greedy: Khuller, Moss and Naor (1999):
the better of (a) repeatedly the affordable closure with the most new value per
marginal cost and (b) the single most valuable affordable closure; it covers at
least ``(1 - 1/sqrt(e)) ~ 0.39`` of the optimal value when ``delta = 1``; with
shared prerequisites no guarantee is stated (``bound`` is then null).
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Iterable, Mapping, Sequence

import msgspec

EXACT_NODE_LIMIT = 4000
"""Search nodes the exact branch and bound may visit before the greedy plan is used instead."""
EPS = 1e-9


class PlanCourse(msgspec.Struct, frozen=True):
    id: int
    cost: float
    """In the caller's unit (baht or hours); never negative."""
    outcomes: tuple[tuple[int, int], ...] = ()
    """``(skill_id, level)`` pairs."""
    prerequisites: tuple[int, ...] = ()
    available: bool = True
    """False for retired courses: never planned, and a course that needs one cannot be planned either."""


class Need(msgspec.Struct, frozen=True):
    skill_id: int
    need: int
    have: int = 0
    essential: bool = True
    weight: float = 1.0

    @property
    def shortfall(self) -> int:
        return max(0, self.need - self.have)


class PlanResult(msgspec.Struct, frozen=True):
    course_ids: list[int]
    """Every course to take, prerequisites first (a topological order; ties by id)."""
    cost: float
    covered: list[int]
    """Skill ids whose need the plan meets."""
    no_course: list[int]
    """Skill ids that no available course raises to the needed level."""
    over_budget: list[int]
    """Skill ids some course could close but the budget does not reach."""
    algorithm: str
    """``exact``, ``greedy`` or ``none`` (nothing to plan)."""
    optimal: bool
    bound: float | None
    """For greedy plans: cost <= bound * optimum (or, under a budget, value >= bound * optimum)."""
    bound_note: str
    nodes: int = 0
    """Branch-and-bound nodes visited (0 when the exact search did not run)."""


def harmonic(d: int) -> float:
    """H(d) = 1 + 1/2 + ... + 1/d (0 for d <= 0)."""
    return sum(1.0 / i for i in range(1, d + 1))


class _Instance:
    """Candidate courses, their closures and coverage bitmasks for one plan request."""

    def __init__(
        self, needs: Sequence[Need], courses: Mapping[int, PlanCourse], completed: Iterable[int], by_skill: Mapping
    ) -> None:
        self.courses = courses
        self.completed = set(completed)
        self.elements = [n for n in needs if n.shortfall > 0]
        self.closure_cache: dict[int, frozenset[int] | None] = {}
        self.own_mask: dict[int, int] = {}
        covering: list[list[int]] = []
        candidates: set[int] = set()
        for i, e in enumerate(self.elements):
            cs = []
            for cid, level in by_skill.get(e.skill_id, ()):
                if level < e.need or cid in self.completed:
                    continue
                if self.closure(cid) is None:
                    continue
                cs.append(cid)
                self.own_mask[cid] = self.own_mask.get(cid, 0) | (1 << i)
            covering.append(sorted(set(cs)))
            candidates.update(cs)
        self.covering = covering
        self.candidates = sorted(candidates)
        # Prerequisites may cover elements too: every course of every closure gets its own mask.
        for c in self.candidates:
            for p in self.closure(c) or ():
                if p not in self.own_mask:
                    self.own_mask[p] = self._mask_of(p)
        self.closure_mask = {c: self.mask_of_set(self.closure(c) or frozenset()) for c in self.candidates}
        self.coverable = 0
        for i, cs in enumerate(covering):
            if cs:
                self.coverable |= 1 << i
        self._drop_dominated()
        desirable_total = sum(e.weight * e.shortfall for e in self.elements if not e.essential)
        big = 1.0 + desirable_total
        self.values = [e.weight * e.shortfall * (big if e.essential else 1.0) for e in self.elements]
        """Value of closing each element: essential ones outweigh all desirable ones together."""

    def _drop_dominated(self) -> None:
        """Stop branching on courses that another course beats outright.

        A course ``b`` without pending prerequisites dominates a course ``a`` when
        ``b`` alone covers every element ``a``'s closure covers and costs no more than
        ``a`` itself (the least ``a`` can ever add): swapping ``a`` for ``b`` in any plan
        keeps it covering and costs no more, so some optimal plan branches only on
        undominated courses (``a`` may still come in as someone's prerequisite).
        Distinct coverage masks are few, so this is O(candidates x masks).
        """
        best: dict[int, tuple[float, int]] = {}
        for c in self.candidates:
            if self.closure(c) == frozenset((c,)):
                key = (self.courses[c].cost, c)
                m = self.closure_mask[c]
                if m not in best or key < best[m]:
                    best[m] = key
        masks = list(best.items())
        dropped: set[int] = set()
        for a in self.candidates:
            ma, own = self.closure_mask[a], (self.courses[a].cost, a)
            for mb, (cost_b, b) in masks:
                if b == a or mb & ma != ma:
                    continue
                # Same coverage: cheaper, or as cheap and listed first. More coverage: no dearer.
                if (cost_b, b) < own if mb == ma else cost_b <= own[0]:
                    dropped.add(a)
                    break
        if dropped:
            self.covering = [[c for c in cs if c not in dropped] for cs in self.covering]
            self.candidates = [c for c in self.candidates if c not in dropped]

    def _mask_of(self, cid: int) -> int:
        course = self.courses[cid]
        levels = dict(course.outcomes)
        m = 0
        for i, e in enumerate(self.elements):
            if levels.get(e.skill_id, 0) >= e.need:
                m |= 1 << i
        return m

    def mask_of_set(self, ids: Iterable[int]) -> int:
        m = 0
        for c in ids:
            own = self.own_mask.get(c)
            m |= self._mask_of(c) if own is None else own
        return m

    def closure(self, cid: int) -> frozenset[int] | None:
        """The course and its transitive prerequisites not yet completed; None if one is unavailable."""
        if cid in self.closure_cache:
            return self.closure_cache[cid]
        seen: set[int] = set()
        stack = [cid]
        ok = True
        while stack:
            c = stack.pop()
            if c in seen or c in self.completed:
                continue
            course = self.courses.get(c)
            if course is None or not course.available:
                ok = False
                break
            seen.add(c)
            stack.extend(course.prerequisites)
        result = frozenset(seen) if ok else None
        self.closure_cache[cid] = result
        return result

    def cost_of(self, ids: Iterable[int]) -> float:
        return sum(self.courses[c].cost for c in ids)

    def marginal(self, cid: int, chosen: frozenset[int] | set[int]) -> float:
        return sum(self.courses[c].cost for c in (self.closure(cid) or ()) if c not in chosen)

    def value(self, mask: int) -> float:
        return sum(self.values[i] for i in range(len(self.elements)) if mask >> i & 1)

    def delta(self) -> int:
        """Largest number of candidate closures that share one course."""
        count: dict[int, int] = {}
        for c in self.candidates:
            for p in self.closure(c) or ():
                count[p] = count.get(p, 0) + 1
        return max(count.values(), default=1)

    def d(self) -> int:
        return max((bin(m).count("1") for m in self.closure_mask.values()), default=0)


def _greedy_cover(inst: _Instance) -> set[int]:
    chosen: set[int] = set()
    covered = 0
    while covered & inst.coverable != inst.coverable:
        best: tuple[float, float, int] | None = None
        best_c = -1
        for c in inst.candidates:
            if c in chosen:
                continue
            newly = bin(inst.closure_mask[c] & ~covered).count("1")
            if not newly:
                continue
            marg = inst.marginal(c, chosen)
            ratio = math.inf if marg <= EPS else newly / marg
            key = (ratio, -marg, -c)
            if best is None or key > best:
                best, best_c = key, c
        if best is None:  # pragma: no cover - coverable elements always have a candidate
            break
        closure = inst.closure(best_c) or frozenset()
        chosen |= closure
        covered |= inst.closure_mask[best_c]
    return _drop_redundant(inst, chosen, inst.coverable)


def _drop_redundant(inst: _Instance, chosen: set[int], must_cover: int) -> set[int]:
    """Remove courses that nothing needs: not a prerequisite of another, and coverage holds without them."""
    changed = True
    while changed:
        changed = False
        for c in sorted(chosen, key=lambda x: (-inst.courses[x].cost, -x)):
            others = chosen - {c}
            if any(c in inst.courses[o].prerequisites for o in others):
                continue
            if inst.mask_of_set(others) & must_cover == must_cover:
                chosen = others
                changed = True
                break
    return chosen


class _Abort(Exception):
    pass


def _exact_cover(inst: _Instance, upper: float, node_limit: int) -> tuple[bool, set[int] | None, int]:
    """Branch and bound for the cheapest closed set covering ``inst.coverable``.

    Returns ``(finished, plan, nodes)``; ``plan`` is None when nothing cheaper than ``upper`` exists.
    """
    best: list[float | frozenset[int] | None] = [upper + EPS, None]
    nodes = 0
    seen: set[frozenset[int]] = set()
    n = len(inst.elements)

    def search(chosen: frozenset[int], covered: int, cost: float) -> None:
        nonlocal nodes
        nodes += 1
        if nodes > node_limit:
            raise _Abort
        if covered & inst.coverable == inst.coverable:
            if cost < best[0] - EPS:  # type: ignore[operator]
                best[0], best[1] = cost, chosen
            return
        lb = 0.0
        pick = -1
        pick_opts: list[tuple[float, int]] = []
        for i in range(n):
            if covered >> i & 1 or not inst.covering[i]:
                continue
            opts = sorted((inst.marginal(c, chosen), c) for c in inst.covering[i])
            lb = max(lb, opts[0][0])
            if pick < 0 or len(opts) < len(pick_opts):
                pick, pick_opts = i, opts
        if cost + lb >= best[0] - EPS:  # type: ignore[operator]
            return
        for marg, c in pick_opts:
            nxt = chosen | (inst.closure(c) or frozenset())
            if nxt in seen:
                continue
            seen.add(nxt)
            search(nxt, covered | inst.closure_mask[c], cost + marg)

    try:
        search(frozenset(), 0, 0.0)
    except _Abort:
        return False, None, nodes
    return True, (set(best[1]) if best[1] is not None else None), nodes  # type: ignore[arg-type]


def _greedy_budget(inst: _Instance, budget: float) -> set[int]:
    chosen: set[int] = set()
    covered = 0
    spent = 0.0
    values = inst.values
    while True:
        best: tuple[float, float, int] | None = None
        best_c = -1
        for c in inst.candidates:
            if c in chosen:
                continue
            new = inst.closure_mask[c] & ~covered
            if not new:
                continue
            marg = inst.marginal(c, chosen)
            if spent + marg > budget + EPS:
                continue
            gain = sum(values[i] for i in range(len(values)) if new >> i & 1)
            key = (math.inf if marg <= EPS else gain / marg, -marg, -c)
            if best is None or key > best:
                best, best_c = key, c
        if best is None:
            break
        spent += inst.marginal(best_c, chosen)
        chosen |= inst.closure(best_c) or frozenset()
        covered |= inst.closure_mask[best_c]
    single: set[int] = set()
    single_value = -1.0
    for c in inst.candidates:
        cl = inst.closure(c) or frozenset()
        if inst.cost_of(cl) <= budget + EPS:
            v = inst.value(inst.closure_mask[c])
            if v > single_value + EPS:
                single, single_value = set(cl), v
    greedy_value = inst.value(inst.mask_of_set(chosen))
    pick = chosen if greedy_value >= single_value - EPS else single
    return _drop_redundant(inst, pick, inst.mask_of_set(pick) & inst.coverable)


def _exact_budget(inst: _Instance, budget: float, node_limit: int, start: set[int]) -> tuple[set[int] | None, int]:
    """Branch and bound: most value within ``budget``, then least cost; (None, nodes) if cut off."""
    values = inst.values
    order = sorted((i for i in range(len(inst.elements)) if inst.covering[i]), key=lambda i: -values[i])
    start_mask = inst.mask_of_set(start)
    best: list = [inst.value(start_mask), inst.cost_of(start), frozenset(start)]
    nodes = 0

    def better(value: float, cost: float) -> bool:
        return value > best[0] + EPS or (abs(value - best[0]) <= EPS and cost < best[1] - EPS)

    def search(k: int, chosen: frozenset[int], covered: int, cost: float) -> None:
        nonlocal nodes
        nodes += 1
        if nodes > node_limit:
            raise _Abort
        value = inst.value(covered)
        if better(value, cost):
            best[0], best[1], best[2] = value, cost, chosen
        while k < len(order) and covered >> order[k] & 1:
            k += 1
        if k == len(order):
            return
        room = budget - cost
        upper = value + sum(
            values[i]
            for i in order[k:]
            if not covered >> i & 1 and any(inst.marginal(c, chosen) <= room + EPS for c in inst.covering[i])
        )
        if upper < best[0] - EPS or (abs(upper - best[0]) <= EPS and cost >= best[1] - EPS):
            return
        i = order[k]
        for marg, c in sorted((inst.marginal(c, chosen), c) for c in inst.covering[i]):
            if marg > room + EPS:
                break
            search(k + 1, chosen | (inst.closure(c) or frozenset()), covered | inst.closure_mask[c], cost + marg)
        search(k + 1, chosen, covered, cost)

    try:
        search(0, frozenset(), 0, 0.0)
    except _Abort:
        return None, nodes
    return set(best[2]), nodes


def topological_order(courses: Mapping[int, PlanCourse], chosen: Iterable[int]) -> list[int]:
    """``chosen`` with every course after its prerequisites (Kahn's algorithm, smallest id first)."""
    chosen_set = set(chosen)
    indegree = {c: 0 for c in chosen_set}
    dependants: dict[int, list[int]] = {c: [] for c in chosen_set}
    for c in chosen_set:
        for p in courses[c].prerequisites:
            if p in chosen_set:
                indegree[c] += 1
                dependants[p].append(c)
    ready = [c for c, d in indegree.items() if d == 0]
    heapq.heapify(ready)
    out: list[int] = []
    while ready:
        c = heapq.heappop(ready)
        out.append(c)
        for nxt in dependants[c]:
            indegree[nxt] -= 1
            if indegree[nxt] == 0:
                heapq.heappush(ready, nxt)
    if len(out) != len(chosen_set):  # pragma: no cover - prerequisites are kept acyclic on write
        raise ValueError("prerequisite cycle among the chosen courses")
    return out


def index_outcomes(courses: Iterable[PlanCourse]) -> dict[int, list[tuple[int, int]]]:
    """``{skill_id: [(course_id, level), ...]}`` for available courses: the look-up ``solve`` needs."""
    by_skill: dict[int, list[tuple[int, int]]] = {}
    for c in courses:
        if not c.available:
            continue
        for skill, level in c.outcomes:
            by_skill.setdefault(skill, []).append((c.id, level))
    return by_skill


def solve(
    needs: Sequence[Need],
    courses: Mapping[int, PlanCourse],
    *,
    completed: Iterable[int] = (),
    budget: float | None = None,
    by_skill: Mapping[int, Sequence[tuple[int, int]]] | None = None,
    method: str = "auto",
    exact_node_limit: int = EXACT_NODE_LIMIT,
) -> PlanResult:
    """The training plan for ``needs`` (module docstring: problem, algorithms, bounds).

    ``method`` is ``auto`` (exact when the search finishes within the node budget,
    else greedy), ``exact`` (no node budget) or ``greedy``. ``by_skill`` is
    :func:`index_outcomes` of ``courses``, passed in when the caller caches it.

    >>> cs = {1: PlanCourse(1, 100, ((10, 3),)), 2: PlanCourse(2, 30, ((10, 2),)),
    ...       3: PlanCourse(3, 50, ((11, 2),), prerequisites=(2,))}
    >>> r = solve([Need(10, 2), Need(11, 2), Need(12, 1)], cs)
    >>> (r.course_ids, r.cost, r.no_course, r.algorithm)
    ([2, 3], 80.0, [12], 'exact')
    """
    if by_skill is None:
        by_skill = index_outcomes(courses.values())
    inst = _Instance(needs, courses, completed, by_skill)
    no_course = [e.skill_id for i, e in enumerate(inst.elements) if not inst.covering[i]]
    if not inst.coverable:
        return PlanResult(
            course_ids=[],
            cost=0.0,
            covered=[],
            no_course=no_course,
            over_budget=[],
            algorithm="none",
            optimal=True,
            bound=1.0,
            bound_note="nothing to plan: no gap that a course can close",
        )
    greedy = _greedy_cover(inst)
    greedy_cost = inst.cost_of(greedy)
    chosen: set[int] = greedy
    algorithm = "greedy"
    nodes = 0
    if method != "greedy":
        limit = 10**9 if method == "exact" else exact_node_limit
        finished, exact, nodes = _exact_cover(inst, greedy_cost, limit)
        if finished:
            algorithm = "exact"
            chosen = exact if exact is not None else greedy  # None: nothing beats the greedy plan
    cost = inst.cost_of(chosen)
    delta = min(inst.delta(), max(1, len(inst.elements)))
    d = inst.d()
    if algorithm == "exact":
        bound: float | None = 1.0
        note = f"exact: optimal (branch and bound, {nodes} nodes)"
    else:
        bound = round(harmonic(d) * delta, 6)
        note = (
            f"greedy: cost <= H({d}) x {delta} = {bound:g} x optimum "
            f"(Chvátal's set-cover bound; {delta} = most candidate courses sharing one prerequisite)"
        )
    over_budget: list[int] = []
    if budget is not None and cost > budget + EPS:
        if algorithm == "exact":
            picked, nodes_b = (
                _exact_budget(inst, budget, 10**9 if method == "exact" else exact_node_limit, set())
                if method != "greedy"
                else (None, 0)
            )
        else:
            picked, nodes_b = None, 0
        if picked is not None:
            chosen = picked
            nodes += nodes_b
            note = f"exact under budget: most valuable gaps closed within {budget:g} ({nodes} nodes)"
            bound = 1.0
        else:
            chosen = _greedy_budget(inst, budget)
            algorithm = "greedy"
            if inst.delta() == 1:
                bound = round(1 - 1 / math.sqrt(math.e), 6)
                note = f"greedy under budget (Khuller, Moss and Naor 1999): value of closed gaps >= {bound:g} x optimum"
            else:
                bound = None
                note = "greedy under budget with shared prerequisites: no guarantee stated"
        cost = inst.cost_of(chosen)
        covered_mask = inst.mask_of_set(chosen)
        over_budget = [
            e.skill_id for i, e in enumerate(inst.elements) if inst.covering[i] and not covered_mask >> i & 1
        ]
    covered_mask = inst.mask_of_set(chosen)
    covered = [e.skill_id for i, e in enumerate(inst.elements) if covered_mask >> i & 1]
    return PlanResult(
        course_ids=topological_order(courses, chosen),
        cost=float(round(cost, 6)),
        covered=covered,
        no_course=no_course,
        over_budget=over_budget,
        algorithm=algorithm,
        optimal=algorithm == "exact",
        bound=bound,
        bound_note=note,
        nodes=nodes,
    )
