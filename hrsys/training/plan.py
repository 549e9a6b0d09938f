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

import msgspec
import networkx as nx

from hrsys.training.plan_exact import exact_budget, exact_cover
from hrsys.training.plan_instance import EPS, Instance, Need, PlanCourse, drop_redundant, index_outcomes

EXACT_TIME_LIMIT = 2.0
"""Seconds HiGHS may take per solve with ``method=auto`` before the greedy plan is used instead."""
EXACT_TIME_LIMIT_EXPLICIT = 60.0
"""The same with ``method=exact``."""


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


def _greedy_cover(inst: Instance) -> set[int]:
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
    return drop_redundant(inst, chosen, inst.coverable)


def _lex_value(inst: Instance, mask: int) -> tuple[float, float]:
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


def _greedy_fill(inst: Instance, budget: float, chosen: set[int]) -> set[int]:
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


def _greedy_budget(inst: Instance, budget: float) -> set[int]:
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
    return drop_redundant(inst, pick, inst.mask_of_set(pick) & inst.coverable)


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
    inst = Instance(needs, courses, completed, by_skill)
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
            exact, nodes = exact_cover(inst, limit)
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
            picked, nodes_b = exact_budget(inst, budget, limit)
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
