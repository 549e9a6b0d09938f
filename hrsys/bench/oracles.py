"""Independent oracles for the training planner, shared by the benchmark and the tests.

:func:`cp_sat_optimum` solves the planning problem with OR-Tools CP-SAT from its own model, written from
the problem statement (choose courses not completed nor retired, closed under prerequisites; cover every
need some such set can cover, at least cost; under a budget: most essential value, then most desirable
value, then least cost). It uses none of the planner's closures, domination or bounds.
"""

from __future__ import annotations

import math
from typing import Any

from hrsys.training.plan import EPS, Need, PlanCourse


def covered_value(needs: list[Need], covered: set[int]) -> tuple[float, float]:
    """(essential, desirable) value of covering the skills ``covered``: weight x shortfall of the open needs."""
    open_ = [n for n in needs if n.shortfall > 0 and n.skill_id in covered]
    return (
        sum(n.weight * n.shortfall for n in open_ if n.essential),
        sum(n.weight * n.shortfall for n in open_ if not n.essential),
    )


def cp_sat_optimum(
    needs: list[Need], courses: dict[int, PlanCourse], completed: set[int], budget: float | None = None
) -> tuple[tuple[float, float], float]:
    """((essential, desirable) value, cost) of the optimum, from CP-SAT's own model of the problem.

    Lexicographic stages: cover all that can be covered (or, under a budget, the most essential
    value, then the most desirable value), then the least cost. Weights x 100 and costs are whole.
    """
    from ortools.sat.python import cp_model  # here: OR-Tools is a dev dependency (tests, benchmarks) only

    model = cp_model.CpModel()
    x = {c: model.new_bool_var(f"x{c}") for c in courses if c not in completed}
    for c, var in x.items():
        if not courses[c].available:
            model.add(var == 0)
        for p in courses[c].prerequisites:
            if p not in completed:
                model.add_implication(var, x[p])
    open_needs = [n for n in needs if n.shortfall > 0]
    y = []
    for n in open_needs:
        v = model.new_bool_var(f"y{n.skill_id}")
        teach = [x[c] for c in x if dict(courses[c].outcomes).get(n.skill_id, 0) >= n.need]
        model.add(sum(teach) >= 1).only_enforce_if(v)
        y.append(v)
    cost = sum(int(courses[c].cost) * x[c] for c in x)
    stages: list[Any]
    if budget is None:
        stages = [sum(y)]
    else:
        model.add(cost <= math.floor(budget + EPS))
        stages = [
            sum(round(n.weight * 100) * n.shortfall * v for n, v in zip(open_needs, y, strict=True) if n.essential),
            sum(round(n.weight * 100) * n.shortfall * v for n, v in zip(open_needs, y, strict=True) if not n.essential),
        ]
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    for expr in stages:
        model.maximize(expr)
        if solver.solve(model) != cp_model.OPTIMAL:  # pragma: no cover - tiny models
            raise RuntimeError("CP-SAT did not prove its optimum")
        model.add(expr >= round(solver.objective_value))
    model.minimize(cost)
    if solver.solve(model) != cp_model.OPTIMAL:  # pragma: no cover
        raise RuntimeError("CP-SAT did not prove its optimum")
    chosen = {c for c in x if solver.value(x[c])}
    covered = {n.skill_id for n in open_needs if any(dict(courses[c].outcomes).get(n.skill_id, 0) >= n.need
                                                    for c in chosen)}  # fmt: skip
    return covered_value(needs, covered), float(solver.objective_value)
