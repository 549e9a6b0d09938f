"""Training plans: the cheapest set of courses that closes a skill gap (pure).

The problem
-----------
Each unmet requirement ``(skill, need)`` is an *element*. A course *covers* an
element when one of its outcomes raises that skill to at least ``need``. Taking a
course means taking every prerequisite (all of them, transitively) that the
person has not completed, whether or not those prerequisites teach anything
needed. The plan is a prerequisite-closed set of courses covering every element
that some course covers, of least total cost (baht or hours). Elements no course
covers are reported as such. This is weighted set cover (NP-hard) with
precedence constraints.

Algorithms (``solve`` picks; the result says which ran)
------------------------------------------------------
- **Exact**: a 0-1 integer programme solved by HiGHS. ``x_c`` in {0, 1} per
  course that can matter (the candidate courses and their prerequisite
  closures); minimise ``sum cost_c x_c`` subject to, for each coverable element
  ``e``, ``sum x_c >= 1`` over every such course whose outcomes cover ``e``
  (prerequisites count when they happen to teach it), and ``x_p >= x_c`` for each
  prerequisite ``p`` of ``c`` not yet completed. The plan is reported ``exact``
  only when HiGHS proves optimality (relative gap 0) within the time limit;
  otherwise the greedy plan is returned and labelled so.
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

Before either runs, a candidate course ``a`` is set aside when a course ``b``
without pending prerequisites covers everything ``a``'s closure covers for no
more than ``a`` costs, *and* ``a`` is in no other candidate's closure: in any
plan ``a`` can then be swapped for ``b`` (nothing needs ``a``), so no optimum is
lost. A dominated course that some other course needs as a prerequisite stays.

Budget
------
With ``budget``, if the cheapest full plan costs more, the plan instead covers,
within the budget and lexicographically: first the most essential value
(``weight * shortfall`` summed over the essential elements covered), then the
most desirable value, then the least cost. No amount of desirable value makes up
for one essential element, whatever the weights. Exact: the integer programme
above with ``y_e`` in {0, 1} (``y_e <= sum x_c`` over the courses covering ``e``)
and ``sum cost_c x_c <= budget``, solved three times (maximise the essential
value; keep it and maximise the desirable value; keep both and minimise cost).
Greedy: Khuller, Moss and Naor (1999): the better (by essential, then
desirable value) of (a) repeatedly the affordable closure with the most new
value per marginal cost, closures that add essential value always before those
that add only desirable value, and (b) the single most valuable affordable
closure topped up as in (a). Its essential value is at least ``(1 - 1/sqrt(e))
~ 0.39`` of the optimum's (its desirable value, when no element is essential)
when ``delta = 1``; with shared prerequisites no guarantee is stated (``bound``
is then null). It leaves an essential element open only when no closure
covering it fits in what is left of the budget.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence

import highspy
import msgspec
import networkx as nx
import numpy as np

from hrsys.core import solver

EXACT_TIME_LIMIT = 2.0
"""Seconds HiGHS may take per solve with ``method=auto`` before the greedy plan is used instead."""
EXACT_TIME_LIMIT_EXPLICIT = 60.0
"""The same with ``method=exact``."""
EPS = 1e-9
STAGE_TOLERANCE = 1e-7
"""Under a budget, stage values (scaled so the largest coefficient is 1) within this are ties."""


class PlanCourse(msgspec.Struct, frozen=True):
    id: int
    cost: float
    """In the caller's unit (baht or hours); never negative."""
    outcomes: tuple[tuple[int, int], ...] = ()
    """``(skill_id, level)`` pairs."""
    prerequisites: tuple[int, ...] = ()
    """All of them are needed (and their own, transitively)."""
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
    """``exact`` (HiGHS proved it optimal), ``greedy`` or ``none`` (nothing to plan)."""
    optimal: bool
    bound: float | None
    """For greedy plans: cost <= bound * optimum (or, under a budget, value >= bound * optimum)."""
    bound_note: str
    nodes: int = 0
    """Branch-and-bound nodes HiGHS visited (0 when the exact solver did not run)."""


def harmonic(d: int) -> float:
    """H(d) = 1 + 1/2 + ... + 1/d (0 for d <= 0)."""
    return sum(1.0 / i for i in range(1, d + 1))


def lexicographic_values(needs: Sequence[Need]) -> list[float]:
    """One number per need that ranks every essential need above all desirable ones together.

    Essential: ``weight * shortfall``. Desirable: ``weight * shortfall`` times
    ``smallest essential value / (2 * sum of desirable values)``, so the desirable
    values sum to half the smallest essential one (scaling down never overflows).
    """
    raw = [n.weight * n.shortfall for n in needs]
    essential = [v for v, n in zip(raw, needs, strict=True) if n.essential and v > 0]
    desirable_total = sum(v for v, n in zip(raw, needs, strict=True) if not n.essential)
    scale = min(essential) / (2 * desirable_total) if essential and desirable_total > 0 else 1.0
    return [v if n.essential else v * scale for v, n in zip(raw, needs, strict=True)]


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
        self.values = lexicographic_values(self.elements)
        """Value of closing each element: every essential one outweighs all desirable ones together."""

    def _drop_dominated(self) -> None:
        """Set aside candidate courses that another course beats outright and that nothing needs.

        A course ``b`` without pending prerequisites dominates a course ``a`` when
        ``b`` alone covers every element ``a``'s closure covers and costs no more than
        ``a`` itself. If also no other candidate's closure contains ``a``, then in any
        plan with ``a`` nothing needs ``a``, and swapping ``a`` for ``b`` keeps the plan
        closed and covering for no more cost: some optimal plan avoids ``a``. A
        dominated ``a`` that is another candidate's prerequisite is kept (it may be
        taken for that course and then cover its own elements for free).
        Distinct coverage masks are few, so this is O(candidates x masks).
        """
        needed_by_other: set[int] = set()
        for c in self.candidates:
            needed_by_other |= (self.closure(c) or frozenset()) - {c}
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
            if a in needed_by_other:
                continue
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

    def universe(self) -> list[int]:
        """Every course the exact model needs a variable for: the candidates and their closures."""
        out: set[int] = set()
        for c in self.candidates:
            out |= self.closure(c) or frozenset()
        return sorted(out)

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


def _new_highs() -> highspy.Highs:
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("mip_rel_gap", 0.0)
    h.setOptionValue("threads", 1)
    return h


def _add_rows(h: highspy.Highs, rows: Sequence[tuple[float, float, Sequence[int], Sequence[float]]]) -> None:
    """Rows ``lower <= sum value * column <= upper`` in one call."""
    if not rows:
        return
    starts: list[int] = []
    index: list[int] = []
    value: list[float] = []
    for _, _, idx, val in rows:
        starts.append(len(index))
        index.extend(idx)
        value.extend(val)
    h.addRows(
        len(rows),
        np.array([r[0] for r in rows], dtype=np.float64),
        np.array([r[1] for r in rows], dtype=np.float64),
        len(index),
        np.array(starts, dtype=np.int32),
        np.array(index, dtype=np.int32),
        np.array(value, dtype=np.float64),
    )


class _Model:
    """The 0-1 programme of one instance (module docstring), built once and re-solved per stage.

    Columns ``0 .. n-1`` are ``x_c`` for the courses of :meth:`_Instance.universe`;
    with ``budget``, columns ``n ..`` are ``y_e`` for the coverable elements.
    """

    def __init__(self, inst: _Instance, budget: float | None, time_limit: float) -> None:
        self.inst = inst
        self.cols = inst.universe()
        col = {c: k for k, c in enumerate(self.cols)}
        n = len(self.cols)
        self.elements = [i for i in range(len(inst.elements)) if inst.coverable >> i & 1]
        self.y = {i: n + k for k, i in enumerate(self.elements)} if budget is not None else {}
        width = n + len(self.y)
        self.h = h = _new_highs()
        self.time_left = time_limit
        inf = highspy.kHighsInf
        costs = [inst.courses[c].cost for c in self.cols] + [0.0] * len(self.y)
        h.addCols(
            width,
            np.array(costs, dtype=np.float64),
            np.zeros(width),
            np.ones(width),
            0,
            np.zeros(width, dtype=np.int32),
            np.array([], dtype=np.int32),
            np.array([], dtype=np.float64),
        )
        h.changeColsIntegrality(
            width, np.arange(width, dtype=np.int32), np.array([highspy.HighsVarType.kInteger] * width)
        )
        rows: list[tuple[float, float, list[int], list[float]]] = []
        for i in self.elements:
            covering = [col[c] for c in self.cols if inst.own_mask.get(c, 0) >> i & 1]
            if budget is None:  # sum x_c >= 1
                rows.append((1.0, inf, covering, [1.0] * len(covering)))
            else:  # sum x_c - y_e >= 0
                rows.append((0.0, inf, [*covering, self.y[i]], [1.0] * len(covering) + [-1.0]))
        for c in self.cols:  # x_c - x_p <= 0 for every prerequisite p not completed
            for p in inst.courses[c].prerequisites:
                if p not in inst.completed:
                    rows.append((-inf, 0.0, [col[c], col[p]], [1.0, -1.0]))
        if budget is not None:
            rows.append((-inf, budget + EPS, list(range(n)), costs[:n]))
        _add_rows(h, rows)
        self.nodes = 0

    def run(self) -> bool:
        """Solve; True when HiGHS proved the current objective optimal within the time left."""
        if self.time_left <= 0:
            return False
        self.h.setOptionValue("time_limit", self.time_left)
        self.h.run()
        info = self.h.getInfo()
        self.time_left -= self.h.getRunTime()
        self.nodes += max(0, int(info.mip_node_count))
        return self.h.getModelStatus() == highspy.HighsModelStatus.kOptimal

    def chosen(self) -> set[int]:
        values = self.h.getSolution().col_value
        return {c for k, c in enumerate(self.cols) if values[k] > 0.5}

    def objective(self) -> float:
        return float(self.h.getInfo().objective_function_value)

    def set_objective(self, coefficients: Mapping[int, float], maximise: bool) -> None:
        width = len(self.cols) + len(self.y)
        cost = np.zeros(width)
        for k, v in coefficients.items():
            cost[k] = v
        self.h.changeColsCost(width, np.arange(width, dtype=np.int32), cost)
        self.h.changeObjectiveSense(highspy.ObjSense.kMaximize if maximise else highspy.ObjSense.kMinimize)


def _exact_cover(inst: _Instance, time_limit: float) -> tuple[set[int] | None, int]:
    """The cheapest closed set covering ``inst.coverable``, or None if HiGHS did not prove it in time."""
    with solver.HIGHS:  # one HiGHS model at a time per process
        model = _Model(inst, None, time_limit)
        proved = model.run()
        chosen, nodes = (model.chosen() if proved else None), model.nodes
        del model  # freed under the lock too
    if chosen is None:
        return None, nodes
    return _drop_redundant(inst, chosen, inst.coverable), nodes


def _exact_budget(inst: _Instance, budget: float, time_limit: float) -> tuple[set[int] | None, int]:
    """Lexicographic under ``budget``: essential value, then desirable value, then least cost (None if unproved)."""
    with solver.HIGHS:  # one HiGHS model at a time per process
        model = _Model(inst, budget, time_limit)
        chosen = _budget_stages(inst, model)
        nodes = model.nodes
        del model
    if chosen is None:
        return None, nodes
    return _drop_redundant(inst, chosen, inst.mask_of_set(chosen) & inst.coverable), nodes


def _budget_stages(inst: _Instance, model: _Model) -> set[int] | None:
    for essential in (True, False):
        stage = {i: inst.elements[i].weight * inst.elements[i].shortfall for i in model.elements}
        stage = {i: v for i, v in stage.items() if inst.elements[i].essential == essential}
        if not stage:
            continue
        top = max(stage.values())
        coefficients = {model.y[i]: v / top for i, v in stage.items()}
        model.set_objective(coefficients, maximise=True)
        if not model.run():
            return None
        best = model.objective()
        idx = list(coefficients)
        # Keep this stage's value (to a tolerance) while the next stages optimise.
        _add_rows(model.h, [(best - STAGE_TOLERANCE, highspy.kHighsInf, idx, [coefficients[k] for k in idx])])
    model.set_objective({k: inst.courses[c].cost for k, c in enumerate(model.cols)}, maximise=False)
    return model.chosen() if model.run() else None


def _lex_value(inst: _Instance, mask: int) -> tuple[float, float]:
    """(essential value, desirable value) of the elements in ``mask``."""
    ess = des = 0.0
    for i, e in enumerate(inst.elements):
        if mask >> i & 1:
            if e.essential:
                ess += e.weight * e.shortfall
            else:
                des += e.weight * e.shortfall
    return ess, des


def _lex_better(a: tuple[float, float], b: tuple[float, float]) -> bool:
    """``a`` is more valuable than ``b``: more essential value, or as much and more desirable value."""
    if abs(a[0] - b[0]) > EPS * max(1.0, abs(a[0]), abs(b[0])):
        return a[0] > b[0]
    return a[1] > b[1] + EPS * max(1.0, abs(a[1]), abs(b[1]))


def _greedy_fill(inst: _Instance, budget: float, chosen: set[int]) -> set[int]:
    """Add affordable closures while any adds value: essential gains first (best per marginal cost), then others."""
    chosen = set(chosen)
    covered = inst.mask_of_set(chosen)
    spent = inst.cost_of(chosen)
    essential = 0
    for i, e in enumerate(inst.elements):
        if e.essential:
            essential |= 1 << i
    values = inst.values
    while True:
        best: tuple[bool, float, float, int] | None = None
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
            ess = bool(new & essential)
            gained = new & essential if ess else new
            gain = sum(values[i] for i in range(len(values)) if gained >> i & 1)
            key = (ess, math.inf if marg <= EPS else gain / marg, -marg, -c)
            if best is None or key > best:
                best, best_c = key, c
        if best is None:
            return chosen
        spent += inst.marginal(best_c, chosen)
        chosen |= inst.closure(best_c) or frozenset()
        covered |= inst.closure_mask[best_c]


def _greedy_budget(inst: _Instance, budget: float) -> set[int]:
    """Khuller, Moss and Naor on the essential value first, then the desirable value (module docstring)."""
    filled = _greedy_fill(inst, budget, set())
    single: set[int] = set()
    single_value = (-1.0, -1.0)
    for c in inst.candidates:
        cl = inst.closure(c) or frozenset()
        if inst.cost_of(cl) <= budget + EPS:
            v = _lex_value(inst, inst.closure_mask[c])
            if _lex_better(v, single_value):
                single, single_value = set(cl), v
    pick = filled
    if _lex_better(single_value, _lex_value(inst, inst.mask_of_set(filled))):
        pick = _greedy_fill(inst, budget, single)
    return _drop_redundant(inst, pick, inst.mask_of_set(pick) & inst.coverable)


def topological_order(courses: Mapping[int, PlanCourse], chosen: Iterable[int]) -> list[int]:
    """``chosen`` with every course after its prerequisites, the smallest id first among those ready."""
    chosen_set = set(chosen)
    g = nx.DiGraph()
    g.add_nodes_from(chosen_set)
    g.add_edges_from((p, c) for c in chosen_set for p in courses[c].prerequisites if p in chosen_set)
    try:
        return list(nx.lexicographical_topological_sort(g))
    except nx.NetworkXUnfeasible:  # pragma: no cover - prerequisites are kept acyclic on write
        raise ValueError("prerequisite cycle among the chosen courses") from None


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
    time_limit: float | None = None,
) -> PlanResult:
    """The training plan for ``needs`` (module docstring: problem, algorithms, bounds).

    ``method`` is ``auto`` (exact when HiGHS proves the optimum within
    :data:`EXACT_TIME_LIMIT` seconds, else greedy), ``exact`` (the same with
    :data:`EXACT_TIME_LIMIT_EXPLICIT`) or ``greedy``; ``time_limit`` overrides the
    seconds. ``by_skill`` is :func:`index_outcomes` of ``courses``, passed in when
    the caller caches it.

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
    limit = time_limit if time_limit is not None else (
        EXACT_TIME_LIMIT_EXPLICIT if method == "exact" else EXACT_TIME_LIMIT
    )  # fmt: skip
    greedy = _greedy_cover(inst)
    chosen: set[int] = greedy
    algorithm = "greedy"
    nodes = 0
    how = ""
    if method != "greedy":
        if inst.cost_of(greedy) <= EPS:
            algorithm, how = "exact", "a plan that costs nothing"  # no plan costs less: proved without a solver
        else:
            exact, nodes = _exact_cover(inst, limit)
            if exact is not None:
                algorithm, chosen, how = "exact", exact, f"HiGHS integer programme, {nodes} nodes"
    cost = inst.cost_of(chosen)
    delta = min(inst.delta(), max(1, len(inst.elements)))
    d = inst.d()
    if algorithm == "exact":
        bound: float | None = 1.0
        note = f"exact: optimal ({how})"
    else:
        bound = round(harmonic(d) * delta, 6)
        note = (
            f"greedy: cost <= H({d}) x {delta} = {bound:g} x optimum "
            f"(Chvátal's set-cover bound; {delta} = most candidate courses sharing one prerequisite)"
        )
    over_budget: list[int] = []
    if budget is not None and cost > budget + EPS:
        picked: set[int] | None = None
        if algorithm == "exact":
            picked, nodes_b = _exact_budget(inst, budget, limit)
            nodes += nodes_b
        if picked is not None:
            chosen = picked
            note = (
                f"exact under budget: essential gaps first, then desirable ones, then least cost, within "
                f"{budget:g} (HiGHS integer programme, {nodes} nodes)"
            )
            bound = 1.0
        else:
            chosen = _greedy_budget(inst, budget)
            algorithm = "greedy"
            if inst.delta() == 1:
                bound = round(1 - 1 / math.sqrt(math.e), 6)
                note = (
                    f"greedy under budget (Khuller, Moss and Naor 1999): essential value of closed gaps >= "
                    f"{bound:g} x optimum (desirable value when no gap is essential); essential gaps first"
                )
            else:
                bound = None
                note = "greedy under budget with shared prerequisites: essential gaps first; no guarantee stated"
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
