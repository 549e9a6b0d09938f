"""Training plans (pure) against independent oracles written from the problem statement.

The problem: choose courses (not completed, not retired) such that every prerequisite of a
chosen course is chosen or completed; cover every need some such set can cover (a course
covers a need when one of its outcomes reaches the needed level); least total cost. Under a
budget: most essential value (weight x shortfall), then most desirable value, then least cost.

Oracles: enumeration of every prerequisite-closed set (catalogs of up to 14 courses) and
OR-Tools CP-SAT (larger catalogs). Neither uses the planner's closures, domination or bounds.
"""

from __future__ import annotations

import random

import pytest

from hrsys.bench.oracles import cp_sat_optimum as cp_sat
from hrsys.training.plan import harmonic, solve, topological_order
from hrsys.training.plan_instance import EPS, Need, PlanCourse

WEIGHTS = (0.01, 0.1, 0.25, 1.0, 2.0, 7.5, 100.0)
"""Weights the API accepts (0 < w <= 100), with two decimals so that the CP-SAT oracle can scale them."""


def random_instance(
    rng: random.Random,
    n_courses: tuple[int, int] = (6, 14),
    weights: tuple[float, ...] = WEIGHTS,
    halves: bool = False,
) -> tuple[list[Need], dict[int, PlanCourse], set[int]]:
    """A catalog with shared foundation prerequisites, dominated courses, free and retired courses.

    ``halves``: costs in half units (hours such as 1.5), for the oracles that take any number.
    """
    m = rng.randint(*n_courses)
    skills = list(range(100, 100 + rng.randint(4, 8)))
    courses: dict[int, PlanCourse] = {}
    foundations = rng.randint(1, 3)
    for cid in range(1, m + 1):
        if cid <= foundations:  # cheap courses many others need; some teach something too
            outcomes = tuple((s, rng.randint(1, 2)) for s in rng.sample(skills, rng.choice([0, 1])))
            courses[cid] = PlanCourse(cid, float(rng.randint(0, 30)), outcomes)
            continue
        earlier = list(range(1, cid))
        if rng.random() < 0.25:  # a copy of an earlier course that teaches no more and costs no less
            src = courses[rng.choice(earlier)]
            outcomes = src.outcomes[: max(1, len(src.outcomes) - rng.randint(0, 1))]
            courses[cid] = PlanCourse(cid, src.cost + rng.randint(0, 20), outcomes, ())
            continue
        outcomes = tuple((s, rng.randint(1, 4)) for s in rng.sample(skills, rng.randint(1, min(3, len(skills)))))
        pool = list(range(1, foundations + 1)) if rng.random() < 0.6 else earlier
        prereqs = tuple(sorted(rng.sample(pool, min(len(pool), rng.choice([0, 1, 1, 2])))))
        cost = rng.choice([0, rng.randint(1, 100), rng.randint(10, 100), rng.randint(20, 60)])
        if halves:
            cost = cost / 2
        courses[cid] = PlanCourse(cid, float(cost), outcomes, prereqs, available=rng.random() > 0.05)
    needs = [
        Need(s, rng.randint(1, 3), rng.choice([0, 0, 1]), essential=rng.random() < 0.6, weight=rng.choice(weights))
        for s in rng.sample(skills, rng.randint(2, len(skills)))
    ]
    needs.append(Need(999, 2))  # no course teaches skill 999
    completed = {c for c in courses if rng.random() < 0.1}
    return needs, courses, completed


def _covers(course: PlanCourse, need: Need) -> bool:
    return dict(course.outcomes).get(need.skill_id, 0) >= need.need


def closed_sets(courses: dict[int, PlanCourse], completed: set[int]) -> list[tuple[frozenset[int], float]]:
    """Every set of takeable courses closed under prerequisites (prerequisites have smaller ids here)."""
    order = sorted(c for c in courses if c not in completed and courses[c].available)
    out: list[tuple[frozenset[int], float]] = []

    def walk(k: int, chosen: frozenset[int], cost: float) -> None:
        if k == len(order):
            out.append((chosen, cost))
            return
        walk(k + 1, chosen, cost)
        c = order[k]
        if all(p in chosen or p in completed for p in courses[c].prerequisites):
            walk(k + 1, chosen | {c}, cost + courses[c].cost)

    walk(0, frozenset(), 0.0)
    return out


def lex_key(needs: list[Need], covered: set[int]) -> tuple[float, float]:
    ess = sum(n.weight * n.shortfall for n in needs if n.shortfall > 0 and n.essential and n.skill_id in covered)
    des = sum(n.weight * n.shortfall for n in needs if n.shortfall > 0 and not n.essential and n.skill_id in covered)
    return ess, des


def _covered(needs: list[Need], courses: dict[int, PlanCourse], chosen: frozenset[int] | set[int]) -> set[int]:
    return {n.skill_id for n in needs if n.shortfall > 0 and any(_covers(courses[c], n) for c in chosen)}


def brute_force(
    needs: list[Need], courses: dict[int, PlanCourse], completed: set[int], budget: float | None = None
) -> tuple[set[int], tuple[float, float], float]:
    """(coverable skills, best (essential, desirable) value, least cost at that value) by enumeration."""
    sets = closed_sets(courses, completed)
    coverable = set().union(*(_covered(needs, courses, s) for s, _ in sets))
    best: tuple[tuple[float, float], float] | None = None
    for s, cost in sets:
        if budget is not None and cost > budget + EPS:
            continue
        cov = _covered(needs, courses, s)
        if budget is None and cov != coverable:
            continue
        key = lex_key(needs, cov)
        if best is None or _better(key, cost, best[0], best[1]):
            best = (key, cost)
    assert best is not None
    return coverable, best[0], best[1]


def _better(key: tuple[float, float], cost: float, best_key: tuple[float, float], best_cost: float) -> bool:
    for a, b in zip(key, best_key, strict=True):
        if abs(a - b) > 1e-9:
            return a > b
    return cost < best_cost - 1e-9


def _no_redundant_course(result, needs, courses) -> None:  # type: ignore[no-untyped-def]
    chosen = set(result.course_ids)
    for c in chosen:
        others = chosen - {c}
        if any(c in courses[o].prerequisites for o in others):
            continue
        assert _covered(needs, courses, others) != set(result.covered), f"course {c} is redundant in {sorted(chosen)}"


def test_dominated_course_needed_as_a_prerequisite_is_not_lost() -> None:
    # Course 2 teaches what 1 teaches for more, but 3 needs it: {2, 3} (16) beats {1, 4} (17).
    courses = {
        1: PlanCourse(1, 5, ((10, 2),)),
        2: PlanCourse(2, 6, ((10, 2),)),
        3: PlanCourse(3, 10, ((11, 2),), prerequisites=(2,)),
        4: PlanCourse(4, 12, ((11, 2),)),
    }
    r = solve([Need(10, 2), Need(11, 2)], courses, method="exact")
    assert r.algorithm == "exact" and r.course_ids == [2, 3] and r.cost == 16


def test_exact_equals_enumeration_on_small_catalogs_and_greedy_keeps_its_bound() -> None:
    rng = random.Random(20240501)
    ratios: list[float] = []
    exact_seen = 0
    for k in range(250):
        needs, courses, completed = random_instance(rng, halves=k % 2 == 1)
        coverable, _, optimum = brute_force(needs, courses, completed)
        for method in ("exact", "auto", "greedy"):
            r = solve(needs, courses, completed=completed, method=method)
            check_feasible_full(r, needs, courses, completed, coverable)
            if r.algorithm == "exact":
                exact_seen += 1
                assert r.optimal and r.bound == 1
                assert r.cost == pytest.approx(optimum), (method, needs, courses, completed, r)
                _no_redundant_course(r, needs, courses)
            elif r.algorithm == "greedy":
                assert method == "greedy" and r.bound is not None
                assert r.cost <= r.bound * optimum + 1e-6
                if optimum > 0:
                    ratios.append(r.cost / optimum)
            else:
                assert r.algorithm == "none" and optimum == 0 and not coverable
    assert exact_seen > 400
    assert 1.0 <= sum(ratios) / len(ratios) < 1.2


def check_feasible_full(r, needs, courses, completed, coverable) -> None:  # type: ignore[no-untyped-def]
    chosen = set(r.course_ids)
    position = {c: i for i, c in enumerate(r.course_ids)}
    for c in r.course_ids:
        assert courses[c].available and c not in completed
        for p in courses[c].prerequisites:
            assert p in completed or p in chosen, "a prerequisite is missing from the plan"
            if p in chosen:
                assert position[p] < position[c], "a course comes before its prerequisite"
    assert 999 in r.no_course
    assert r.cost == pytest.approx(sum(courses[c].cost for c in chosen))
    assert set(r.covered) == _covered(needs, courses, chosen) == coverable


def test_exact_equals_cp_sat_on_larger_catalogs() -> None:
    rng = random.Random(11)
    for _ in range(40):
        needs, courses, completed = random_instance(rng, n_courses=(18, 30))
        _, optimum = cp_sat(needs, courses, completed)
        r = solve(needs, courses, completed=completed, method="exact")
        assert r.algorithm == "exact"
        assert r.cost == pytest.approx(optimum)
        if optimum >= 2:
            budget = float(rng.randint(0, int(optimum) - 1))
            best_key, best_cost = cp_sat(needs, courses, completed, budget)
            b = solve(needs, courses, completed=completed, budget=budget, method="exact")
            assert b.algorithm == "exact" and b.cost <= budget + EPS
            assert lex_key(needs, set(b.covered)) == pytest.approx(best_key)
            assert b.cost == pytest.approx(best_cost)
        for n in needs:
            assert (n.skill_id in r.covered) == (n.skill_id in _covered(needs, courses, set(r.course_ids)))


def test_budget_plans_put_every_essential_gap_first_whatever_the_weights() -> None:
    rng = random.Random(7)
    checked = 0
    for k in range(300):
        # Every other catalog weighs its essential gaps far below its desirable ones.
        weights = WEIGHTS if k % 2 else (0.01, 0.1, 0.25)
        needs, courses, completed = random_instance(rng, n_courses=(6, 12), weights=weights, halves=k % 3 == 0)
        if k % 2 == 0:
            needs = [n if n.essential else Need(n.skill_id, n.need, n.have, False, 100.0) for n in needs]
        _, _, full_cost = brute_force(needs, courses, completed)
        if full_cost <= 1:
            continue
        budget = float(rng.randint(0, int(full_cost) - 1))
        _, best_key, best_cost = brute_force(needs, courses, completed, budget)
        exact = solve(needs, courses, completed=completed, budget=budget, method="exact")
        assert exact.algorithm == "exact"
        assert exact.cost <= budget + EPS
        chosen = set(exact.course_ids)
        assert all(p in chosen or p in completed for c in chosen for p in courses[c].prerequisites)
        assert set(exact.covered) == _covered(needs, courses, chosen)
        key = lex_key(needs, set(exact.covered))
        assert key == pytest.approx(best_key), (needs, courses, completed, budget, exact)
        assert exact.cost == pytest.approx(best_cost)
        assert set(exact.over_budget).isdisjoint(exact.covered)
        greedy = solve(needs, courses, completed=completed, budget=budget, method="greedy")
        assert greedy.cost <= budget + EPS
        g_chosen = set(greedy.course_ids)
        assert all(p in g_chosen or p in completed for c in g_chosen for p in courses[c].prerequisites)
        g_key = lex_key(needs, set(greedy.covered))
        if greedy.bound is not None:
            stage = 0 if best_key[0] > 0 else 1
            assert g_key[stage] >= greedy.bound * best_key[stage] - 1e-6
        _no_affordable_essential_left(greedy, needs, courses, completed, budget)
        checked += 1
    assert checked > 150


def _no_affordable_essential_left(result, needs, courses, completed, budget) -> None:  # type: ignore[no-untyped-def]
    """The greedy plan leaves an essential gap open only when no course closing it still fits the budget."""
    chosen = set(result.course_ids)
    left = budget - result.cost
    for n in needs:
        if not n.essential or n.shortfall == 0 or n.skill_id in result.covered:
            continue
        for c in courses:
            if c in completed or not _covers(courses[c], n):
                continue
            need_too: set[int] = set()
            stack, ok = [c], True
            while stack:
                q = stack.pop()
                if q in need_too or q in completed or q in chosen:
                    continue
                if not courses[q].available:
                    ok = False
                    break
                need_too.add(q)
                stack.extend(courses[q].prerequisites)
            if ok:
                assert sum(courses[q].cost for q in need_too) > left + EPS, (n, c, result)


def test_small_essential_weight_is_not_traded_for_desirable_gaps() -> None:
    # One essential gap of little weight against two heavy desirable ones; the budget buys one or the other.
    courses = {1: PlanCourse(1, 100, ((10, 1),)), 2: PlanCourse(2, 50, ((11, 5),)), 3: PlanCourse(3, 50, ((12, 5),))}
    needs = [
        Need(10, 1, essential=True, weight=0.1),
        Need(11, 5, essential=False, weight=100),
        Need(12, 5, False, 0, 2),
    ]
    for method in ("exact", "greedy"):
        r = solve(needs, courses, budget=100, method=method)
        assert r.covered == [10] and r.course_ids == [1], (method, r)
        assert sorted(r.over_budget) == [11, 12]


def test_cp_sat_and_enumeration_agree_with_each_other() -> None:
    rng = random.Random(5)
    for _ in range(20):
        needs, courses, completed = random_instance(rng, n_courses=(6, 10))
        _, key, cost = brute_force(needs, courses, completed)
        assert cp_sat(needs, courses, completed) == (pytest.approx(key), pytest.approx(cost))


def test_the_bench_figure_counts_exact_plans_equal_to_cp_sat() -> None:
    from hrsys.bench.training import exactness_against_cp_sat

    r = exactness_against_cp_sat(12, seed=3, sizes=(8, 16))
    assert r["instances"] >= 10 and r["feasible"] == r["instances"]
    assert r["equal"] == r["exact"] == r["instances"]
    assert len(r["highs_ms"]) == len(r["cp_sat_ms"]) == r["instances"]


def test_prerequisites_are_included_even_when_they_teach_nothing_needed() -> None:
    courses = {
        1: PlanCourse(1, 10, ((50, 1),)),
        2: PlanCourse(2, 10, (), prerequisites=(1,)),
        3: PlanCourse(3, 40, ((60, 3),), prerequisites=(2,)),
        4: PlanCourse(4, 100, ((60, 3),)),
    }
    r = solve([Need(60, 3)], courses)
    assert r.course_ids == [1, 2, 3]
    assert r.cost == 60
    # Having completed the first prerequisite makes it free and drops it from the plan.
    assert solve([Need(60, 3)], courses, completed={1}).course_ids == [2, 3]


def test_courses_below_the_needed_level_or_retired_do_not_count() -> None:
    courses = {
        1: PlanCourse(1, 5, ((70, 2),)),
        2: PlanCourse(2, 5, ((70, 4),), available=False),
        3: PlanCourse(3, 5, ((70, 4),), prerequisites=(2,)),
    }
    r = solve([Need(70, 4, have=1)], courses)
    assert r.course_ids == []
    assert r.no_course == [70]
    assert r.algorithm == "none"


def test_without_a_proof_in_time_the_plan_is_greedy_and_says_so() -> None:
    rng = random.Random(3)
    skills = list(range(1, 41))
    courses = {
        cid: PlanCourse(cid, float(rng.randint(1, 50)), tuple((s, 3) for s in rng.sample(skills, 4)))
        for cid in range(1, 201)
    }
    needs = [Need(s, 3) for s in skills]
    r = solve(needs, courses, time_limit=0.0)
    assert r.algorithm == "greedy" and not r.optimal
    assert r.bound == pytest.approx(harmonic(4))
    assert "H(4)" in r.bound_note
    assert set(r.covered) == set(skills)


def test_topological_order_breaks_ties_by_id() -> None:
    courses = {i: PlanCourse(i, 1) for i in (1, 2, 3)} | {4: PlanCourse(4, 1, prerequisites=(3,))}
    assert topological_order(courses, [4, 3, 2, 1]) == [1, 2, 3, 4]
