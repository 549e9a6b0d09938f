"""Career paths (pure): k best paths against brute force, unreachable targets, next moves, cycles."""

from __future__ import annotations

import itertools
import random

import networkx as nx
import pytest

from hrsys.careers.gap import Requirement
from hrsys.careers.paths import (
    NoPathError,
    RoleNode,
    TransitionEdge,
    build_graph,
    cycle_if_added,
    k_best_paths,
    neighbourhood,
    next_moves,
    step_shortfall,
)


def role(i: int, level: int, reqs: tuple[Requirement, ...] = (), retired: bool = False) -> RoleNode:
    return RoleNode(i, f"R{i}", f"Role {i}", f"บทบาท {i}", "data", level, reqs, retired)


def brute_costs(graph: nx.DiGraph, source: int, target: int, profile: dict[int, int], years_weight: float,
                years_served: float) -> list[float]:  # fmt: skip
    costs = []
    for path in nx.all_simple_paths(graph, source, target):
        if any(graph.nodes[n]["role"].retired for n in path[1:]):
            continue
        total = 0.0
        for u, v in itertools.pairwise(path):
            credited = None if u == source else {r.skill_id: r.level for r in graph.nodes[u]["role"].requirements}
            years = graph.edges[u, v]["min_years"]
            if u == source:
                years = max(0.0, years - years_served)
            total += step_shortfall(graph.nodes[v]["role"], profile, credited) + years_weight * years
        costs.append(total)
    return sorted(costs)


def random_graph(rng: random.Random) -> nx.DiGraph:
    n = rng.randint(4, 9)
    roles = []
    for i in range(1, n + 1):
        reqs = tuple(
            Requirement(s, rng.randint(1, 5), rng.random() < 0.7, rng.choice([1.0, 2.0]))
            for s in rng.sample(range(1, 8), rng.randint(0, 4))
        )
        roles.append(role(i, rng.randint(1, 5), reqs, retired=rng.random() < 0.1))
    edges = []
    for u in range(1, n + 1):
        for v in range(1, n + 1):
            if u != v and rng.random() < 0.3:
                edges.append(TransitionEdge(u, v, rng.choice(["promotion", "lateral"]), float(rng.randint(0, 3))))
    return build_graph(roles, edges)


def test_k_best_paths_match_brute_force_on_random_graphs() -> None:
    rng = random.Random(11)
    compared = 0
    for _ in range(300):
        g = random_graph(rng)
        source, target = rng.sample(list(g.nodes), 2)
        profile = {s: rng.randint(0, 4) for s in rng.sample(range(1, 8), 3)}
        years_weight = rng.choice([0.0, 1.0, 2.5])
        served = rng.choice([0.0, 1.5])
        expected = brute_costs(g, source, target, profile, years_weight, served)
        if g.nodes[target]["role"].retired or not expected:
            with pytest.raises(NoPathError):
                k_best_paths(g, source, target, profile, k=3, years_weight=years_weight, years_served=served)
            continue
        paths = k_best_paths(g, source, target, profile, k=3, years_weight=years_weight, years_served=served)
        assert [p.cost for p in paths] == pytest.approx(expected[:3])
        for p in paths:
            assert p.role_ids[0] == source and p.role_ids[-1] == target
            assert len(p.steps) == len(p.role_ids) - 1
            assert p.cost == pytest.approx(sum(s.cost for s in p.steps))
        compared += 1
    assert compared > 100


def test_path_steps_carry_the_gap_credited_with_the_previous_role() -> None:
    a = role(1, 1)
    b = role(2, 2, (Requirement(7, 3),))
    c = role(3, 3, (Requirement(7, 4), Requirement(8, 2, essential=False)))
    g = build_graph([a, b, c], [TransitionEdge(1, 2, "promotion", 2), TransitionEdge(2, 3, "promotion", 3)])
    [path] = k_best_paths(g, 1, 3, {7: 1}, k=3, years_served=1)
    first, second = path.steps
    assert first.gap.items[0].have == 1 and first.gap.items[0].shortfall == 2
    assert first.remaining_years == 1  # 2 years minimum, 1 already served
    assert second.gap.items[0].have == 3  # having held B, the person is credited with B's level 3
    assert second.gap.items[0].shortfall == 1
    assert path.total_min_years == 4
    assert path.cost == pytest.approx((2 + 1) + (1 + 2 + 3))  # shortfall + years, per step


def test_unreachable_target_names_the_roles_that_lead_to_it() -> None:
    g = build_graph(
        [role(1, 1), role(2, 1), role(3, 2), role(4, 3, retired=True)],
        [TransitionEdge(2, 3, "promotion", 1), TransitionEdge(3, 4, "promotion", 1)],
    )
    with pytest.raises(NoPathError) as err:
        k_best_paths(g, 1, 3, {})
    assert "R2" in err.value.reason and err.value.entry_role_ids == [2]
    with pytest.raises(NoPathError, match="retired"):
        k_best_paths(g, 2, 4, {})


def test_next_moves_rank_by_readiness() -> None:
    g = build_graph(
        [
            role(1, 1),
            role(2, 2, (Requirement(5, 3),)),
            role(3, 2, (Requirement(6, 1),)),
            role(4, 2, (), retired=True),
        ],
        [
            TransitionEdge(1, 2, "promotion", 2),
            TransitionEdge(1, 3, "lateral", 0),
            TransitionEdge(1, 4, "lateral", 0),
        ],
    )
    moves = next_moves(g, 1, {6: 1, 5: 1}, years_served=0.5)
    assert [m.role_id for m in moves] == [3, 2]
    assert moves[0].gap.ready_now and not moves[1].gap.ready_now
    assert moves[1].remaining_years == 1.5


def test_cycle_detection_names_the_cycle() -> None:
    g = build_graph(
        [role(i, i) for i in (1, 2, 3)], [TransitionEdge(1, 2, "promotion"), TransitionEdge(2, 3, "promotion")]
    )
    assert cycle_if_added(g, 3, 1) == [3, 1, 2, 3]
    assert cycle_if_added(g, 1, 3) is None
    assert cycle_if_added(g, 2, 2) == [2, 2]


def test_neighbourhood_follows_edges_both_ways() -> None:
    g = build_graph(
        [role(i, i) for i in range(1, 6)],
        [TransitionEdge(1, 2, "promotion"), TransitionEdge(2, 3, "promotion"), TransitionEdge(4, 2, "lateral")],
    )
    assert set(neighbourhood(g, 2, 1)) == {1, 2, 3, 4}
    assert set(neighbourhood(g, 1, 1)) == {1, 2}
    assert 5 not in neighbourhood(g, 2, 3)
