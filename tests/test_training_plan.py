"""Training plans (pure): exact and greedy against a brute-force optimum on random small instances."""

from __future__ import annotations

import itertools
import math
import random

import pytest

from hrsys.training.plan import EPS, Need, PlanCourse, harmonic, solve, topological_order

N_INSTANCES = 300


def random_instance(rng: random.Random) -> tuple[list[Need], dict[int, PlanCourse], set[int]]:
    """6-11 courses over 4-8 skills, some free, some retired, prerequisites to earlier courses, a few completed."""
    m = rng.randint(6, 11)
    skills = list(range(100, 100 + rng.randint(4, 8)))
    courses: dict[int, PlanCourse] = {}
    for cid in range(1, m + 1):
        outcomes = tuple((s, rng.randint(1, 4)) for s in rng.sample(skills, rng.randint(1, min(4, len(skills)))))
        prereqs = tuple(sorted(rng.sample(range(1, cid), min(cid - 1, rng.choice([0, 0, 0, 1, 1, 2])))))
        cost = rng.choice([0, rng.randint(1, 100), rng.randint(10, 100), rng.randint(20, 60)])
        courses[cid] = PlanCourse(cid, float(cost), outcomes, prereqs, available=rng.random() > 0.05)
    needs = [
        Need(s, rng.randint(1, 3), rng.choice([0, 0, 1]), essential=rng.random() < 0.6, weight=rng.choice([1.0, 2.0]))
        for s in rng.sample(skills, rng.randint(2, len(skills)))
    ]
    needs.append(Need(999, 2))  # no course teaches skill 999
    completed = {c for c in courses if rng.random() < 0.1}
    return needs, courses, completed


def _closed(chosen: set[int], courses: dict[int, PlanCourse], completed: set[int]) -> bool:
    return all(p in chosen or p in completed for c in chosen for p in courses[c].prerequisites)


def _covers(chosen: set[int], courses: dict[int, PlanCourse], need: Need) -> bool:
    return any(dict(courses[c].outcomes).get(need.skill_id, 0) >= need.need for c in chosen)


def brute_force(
    needs: list[Need], courses: dict[int, PlanCourse], completed: set[int], budget: float | None = None
) -> tuple[float, float]:
    """(best value, least cost at that value) over every prerequisite-closed set of available courses."""
    open_needs = [n for n in needs if n.shortfall > 0]

    def plannable(c: int) -> bool:
        return c in completed or (courses[c].available and all(plannable(p) for p in courses[c].prerequisites))

    usable = [c for c in courses if c not in completed and plannable(c)]
    coverable = [n for n in open_needs if _covers(set(usable), courses, n)]
    desirable_total = sum(n.weight * n.shortfall for n in open_needs if not n.essential)
    best = (-1.0, math.inf)
    for r in range(len(usable) + 1):
        for combo in itertools.combinations(usable, r):
            chosen = set(combo)
            if not _closed(chosen, courses, completed):
                continue
            cost = sum(courses[c].cost for c in chosen)
            if budget is not None and cost > budget + EPS:
                continue
            covered = [n for n in coverable if _covers(chosen, courses, n)]
            if budget is None and len(covered) < len(coverable):
                continue
            value = sum(n.weight * n.shortfall * ((1 + desirable_total) if n.essential else 1) for n in covered)
            if value > best[0] + EPS or (abs(value - best[0]) <= EPS and cost < best[1] - EPS):
                best = (value, cost)
    return best


def _check_plan_shape(result, needs, courses, completed) -> None:  # type: ignore[no-untyped-def]
    chosen = set(result.course_ids)
    assert _closed(chosen, courses, completed), "a prerequisite is missing from the plan"
    position = {c: i for i, c in enumerate(result.course_ids)}
    for c in result.course_ids:
        assert courses[c].available and c not in completed
        for p in courses[c].prerequisites:
            if p in chosen:
                assert position[p] < position[c], "a course comes before its prerequisite"
    assert 999 in result.no_course
    assert result.cost == pytest.approx(sum(courses[c].cost for c in chosen))
    for n in needs:
        if n.skill_id in result.covered:
            assert _covers(chosen, courses, n)


def test_exact_matches_brute_force_and_greedy_stays_within_its_bound() -> None:
    rng = random.Random(20240501)
    ratios: list[float] = []
    for _ in range(N_INSTANCES):
        needs, courses, completed = random_instance(rng)
        _, optimum = brute_force(needs, courses, completed)
        exact = solve(needs, courses, completed=completed, method="exact")
        greedy = solve(needs, courses, completed=completed, method="greedy")
        auto = solve(needs, courses, completed=completed)
        for r in (exact, greedy, auto):
            _check_plan_shape(r, needs, courses, completed)
        if exact.algorithm == "none":
            assert optimum == 0
            continue
        assert exact.algorithm == "exact" and exact.optimal
        assert exact.cost == pytest.approx(optimum)
        assert greedy.algorithm == "greedy" and greedy.bound is not None
        assert greedy.cost <= greedy.bound * optimum + 1e-6, (greedy, optimum)
        if auto.algorithm == "exact":
            assert auto.cost == pytest.approx(optimum)
        if optimum > 0:
            ratios.append(greedy.cost / optimum)
    mean_ratio = sum(ratios) / len(ratios)
    print(f"greedy/optimum over {len(ratios)} instances: mean {mean_ratio:.4f}, worst {max(ratios):.4f}")
    assert 1.0 <= mean_ratio < 1.1


def test_budget_plans_match_brute_force() -> None:
    rng = random.Random(7)
    checked = 0
    for _ in range(N_INSTANCES):
        needs, courses, completed = random_instance(rng)
        _, full_cost = brute_force(needs, courses, completed)
        if full_cost <= 1:
            continue
        budget = float(rng.randint(0, int(full_cost) - 1))
        best_value, best_cost = brute_force(needs, courses, completed, budget)
        exact = solve(needs, courses, completed=completed, budget=budget, method="exact")
        _check_plan_shape(exact, needs, courses, completed)
        assert exact.cost <= budget + EPS
        open_needs = [n for n in needs if n.shortfall > 0]
        desirable_total = sum(n.weight * n.shortfall for n in open_needs if not n.essential)
        value = sum(
            n.weight * n.shortfall * ((1 + desirable_total) if n.essential else 1)
            for n in open_needs
            if n.skill_id in exact.covered
        )
        assert value == pytest.approx(best_value)
        assert exact.cost == pytest.approx(best_cost)
        assert set(exact.over_budget).isdisjoint(exact.covered)
        assert exact.over_budget, "a plan under a budget below the full cost leaves some gap open"
        greedy = solve(needs, courses, completed=completed, budget=budget, method="greedy")
        assert greedy.cost <= budget + EPS
        g_value = sum(
            n.weight * n.shortfall * ((1 + desirable_total) if n.essential else 1)
            for n in open_needs
            if n.skill_id in greedy.covered
        )
        if greedy.bound is not None:
            assert g_value >= greedy.bound * best_value - 1e-6
        checked += 1
    assert checked > 100


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


def test_large_instances_fall_back_to_greedy_and_say_so() -> None:
    rng = random.Random(3)
    skills = list(range(1, 41))
    courses = {
        cid: PlanCourse(cid, float(rng.randint(1, 50)), tuple((s, 3) for s in rng.sample(skills, 4)))
        for cid in range(1, 201)
    }
    needs = [Need(s, 3) for s in skills]
    r = solve(needs, courses, exact_node_limit=50)
    assert r.algorithm == "greedy" and not r.optimal
    assert r.bound == pytest.approx(harmonic(4))
    assert "H(4)" in r.bound_note
    assert set(r.covered) == set(skills)


def test_topological_order_breaks_ties_by_id() -> None:
    courses = {i: PlanCourse(i, 1) for i in (1, 2, 3)} | {4: PlanCourse(4, 1, prerequisites=(3,))}
    assert topological_order(courses, [4, 3, 2, 1]) == [1, 2, 3, 4]
