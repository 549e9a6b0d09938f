"""Career paths over the transition graph: k best paths, next moves, cycle checks (pure).

The career-path graph is a ``networkx.DiGraph`` whose nodes are role ids with a
``role`` attribute (:class:`RoleNode`) and whose edges carry ``kind``
(promotion, lateral, specialisation) and ``min_years`` (years to serve in the
first role before the move). Build it with :func:`build_graph`.

Cost of a path
--------------
A path ``r0 -> r1 -> ... -> rn`` from the person's current role ``r0`` costs the
sum of its steps; the step ``u -> v`` costs::

    shortfall(v | u) + years_weight * remaining_years(u -> v)

``shortfall(v | u)`` is the weighted level shortfall ``sum(weight * max(0, need -
have'))`` over ``v``'s requirements, where ``have'`` is the person's level
*credited* with ``u``'s requirements (having held role ``u`` the person is taken to
meet what ``u`` required; the starting role is not credited: the person's real
profile counts there). ``remaining_years`` is the transition's minimum years,
less the years already served in the current role for the first step. The
default ``years_weight`` of 1 makes one year in a role cost as much as one level
of one skill to close.

Because each step's cost depends only on its two ends, the cost is additive
over edges and Yen's algorithm (``networkx.shortest_simple_paths``, Yen 1971)
returns the exact k cheapest loop-free paths for it. Complexity: the search is
restricted to roles that are both reachable from the start and able to reach
the target; with ``V'`` such roles and ``E'`` transitions among them it is
``O(k * V' * (E' + V' log V'))`` Dijkstra work, each edge weight computed once
(``O(r)`` for ``r`` requirements) and memoised.

Retired roles are never proposed as a destination or a step (a person may still
start from one).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping
from typing import Any

import msgspec
import networkx as nx

from hrsys.careers.gap import Gap, Requirement, compute_gap, raised_profile

LATERAL = "lateral"


class RoleNode(msgspec.Struct, frozen=True):
    id: int
    code: str
    title_en: str
    title_th: str
    track: str
    level: int
    requirements: tuple[Requirement, ...] = ()
    retired: bool = False


class TransitionEdge(msgspec.Struct, frozen=True):
    from_id: int
    to_id: int
    kind: str
    min_years: float = 0.0
    id: int | None = None


class Step(msgspec.Struct, frozen=True):
    from_role_id: int
    role_id: int
    kind: str
    min_years: float
    remaining_years: float
    gap: Gap
    """Gap at this role, against the person's profile credited with the previous role's requirements."""
    cost: float


class CareerPath(msgspec.Struct, frozen=True):
    role_ids: list[int]
    steps: list[Step]
    cost: float
    total_shortfall: float
    """Sum of the steps' weighted shortfalls."""
    total_min_years: float
    """Sum of the remaining minimum years along the path."""


class NextMove(msgspec.Struct, frozen=True):
    role_id: int
    kind: str
    min_years: float
    remaining_years: float
    gap: Gap


class NoPathError(Exception):
    """The target cannot be reached from the start; ``reason`` says why in words."""

    def __init__(self, source: int, target: int, reason: str, entry_role_ids: list[int] | None = None) -> None:
        super().__init__(reason)
        self.source = source
        self.target = target
        self.reason = reason
        self.entry_role_ids = entry_role_ids or []


def build_graph(roles: Iterable[RoleNode], transitions: Iterable[TransitionEdge]) -> nx.DiGraph:
    """The career-path graph: one node per role (attribute ``role``), one edge per transition."""
    g = nx.DiGraph()
    for r in roles:
        g.add_node(r.id, role=r)
    for t in transitions:
        g.add_edge(t.from_id, t.to_id, kind=t.kind, min_years=t.min_years, id=t.id)
    return g


def _requirement_levels(role: RoleNode) -> dict[int, int]:
    return {r.skill_id: r.level for r in role.requirements}


def step_shortfall(role: RoleNode, profile: Mapping[int, int], credited: Mapping[int, int] | None) -> float:
    """Weighted shortfall of ``profile`` (raised to ``credited`` levels) against ``role``'s requirements."""
    total = 0.0
    for r in role.requirements:
        have = profile.get(r.skill_id, 0)
        if credited:
            have = max(have, credited.get(r.skill_id, 0))
        if have < r.level:
            total += r.weight * (r.level - have)
    return total


def k_best_paths(
    graph: nx.DiGraph,
    source: int,
    target: int,
    profile: Mapping[int, int],
    *,
    k: int = 3,
    years_weight: float = 1.0,
    years_served: float = 0.0,
) -> list[CareerPath]:
    """The ``k`` cheapest loop-free paths from ``source`` to ``target`` (module docstring: the cost).

    Raises :class:`NoPathError` when no path exists. ``years_served`` is the time
    already spent in ``source``; it counts toward the first step's minimum years.

    >>> from hrsys.careers.gap import Requirement as Rq
    >>> a = RoleNode(1, "A", "A", "ก", "data", 1)
    >>> b = RoleNode(2, "B", "B", "ข", "data", 2, (Rq(7, 3),))
    >>> c = RoleNode(3, "C", "C", "ค", "data", 3, (Rq(7, 4),))
    >>> g = build_graph([a, b, c], [TransitionEdge(1, 2, "promotion", 2), TransitionEdge(2, 3, "promotion", 2),
    ...                            TransitionEdge(1, 3, "promotion", 6)])
    >>> [(p.role_ids, p.cost) for p in k_best_paths(g, 1, 3, {7: 1}, k=2)]
    [([1, 2, 3], 7.0), ([1, 3], 9.0)]
    """
    if source not in graph:
        raise NoPathError(source, target, f"role {source} is not in the career graph")
    if target not in graph:
        raise NoPathError(source, target, f"role {target} is not in the career graph")
    target_role: RoleNode = graph.nodes[target]["role"]
    if target_role.retired:
        raise NoPathError(source, target, f"role {target_role.code} is retired")
    if source == target:
        return [CareerPath(role_ids=[source], steps=[], cost=0.0, total_shortfall=0.0, total_min_years=0.0)]
    usable = _usable_nodes(graph, source, target)
    if target not in usable:
        entries = sorted(u for u in graph.predecessors(target) if not graph.nodes[u]["role"].retired)
        raise NoPathError(source, target, _no_path_reason(graph, source, target, entries), entries)

    levels = {n: _requirement_levels(graph.nodes[n]["role"]) for n in usable}
    memo: dict[tuple[int, int], float | None] = {}

    def remaining_years(u: int, d: Mapping[str, Any]) -> float:
        years = float(d.get("min_years") or 0.0)
        return max(0.0, years - years_served) if u == source else years

    def shortfall(u: int, v: int) -> float:
        credited = None if u == source else levels[u]
        return step_shortfall(graph.nodes[v]["role"], profile, credited)

    def weight(u: int, v: int, d: Mapping[str, Any]) -> float | None:
        key = (u, v)
        if key not in memo:
            memo[key] = (
                None if v not in usable or u not in usable else shortfall(u, v) + years_weight * remaining_years(u, d)
            )
        return memo[key]

    paths: list[CareerPath] = []
    for nodes in itertools.islice(nx.shortest_simple_paths(graph, source, target, weight=weight), k):
        paths.append(_describe(graph, nodes, profile, levels, source, years_weight, remaining_years))
    return paths


def _usable_nodes(graph: nx.DiGraph, source: int, target: int) -> set[int]:
    """Roles on some path from ``source`` to ``target`` through non-retired roles."""
    live = graph.subgraph(n for n in graph if n == source or not graph.nodes[n]["role"].retired)
    forward = nx.descendants(live, source) | {source}
    if target not in forward:
        return forward
    backward = nx.ancestors(live, target) | {target}
    return forward & backward


def _no_path_reason(graph: nx.DiGraph, source: int, target: int, entries: list[int]) -> str:
    src: RoleNode = graph.nodes[source]["role"]
    dst: RoleNode = graph.nodes[target]["role"]
    if not entries:
        return f"no transition leads into {dst.code}; it can only be filled directly"
    codes = ", ".join(graph.nodes[e]["role"].code for e in entries[:10])
    return f"no sequence of transitions leads from {src.code} to {dst.code}; roles that lead to it: {codes}"


def _describe(
    graph: nx.DiGraph,
    nodes: list[int],
    profile: Mapping[int, int],
    levels: Mapping[int, Mapping[int, int]],
    source: int,
    years_weight: float,
    remaining_years: Any,
) -> CareerPath:
    steps: list[Step] = []
    total_cost = total_short = total_years = 0.0
    for u, v in itertools.pairwise(nodes):
        d = graph.edges[u, v]
        role: RoleNode = graph.nodes[v]["role"]
        credited = profile if u == source else raised_profile(profile, graph.nodes[u]["role"].requirements)
        gap = compute_gap(role.requirements, credited)
        years = remaining_years(u, d)
        cost = gap.weighted_shortfall + years_weight * years
        steps.append(
            Step(
                from_role_id=u,
                role_id=v,
                kind=d["kind"],
                min_years=float(d.get("min_years") or 0.0),
                remaining_years=years,
                gap=gap,
                cost=round(cost, 6),
            )
        )
        total_cost += cost
        total_short += gap.weighted_shortfall
        total_years += years
    return CareerPath(
        role_ids=list(nodes),
        steps=steps,
        cost=round(total_cost, 6),
        total_shortfall=round(total_short, 6),
        total_min_years=round(total_years, 6),
    )


def next_moves(
    graph: nx.DiGraph, source: int, profile: Mapping[int, int], *, years_served: float = 0.0
) -> list[NextMove]:
    """Roles one transition away from ``source``, most ready first (then fewest years, then code).

    O(d * r) for ``d`` outgoing transitions and ``r`` requirements per role.
    """
    if source not in graph:
        return []
    moves = []
    for v in graph.successors(source):
        role: RoleNode = graph.nodes[v]["role"]
        if role.retired:
            continue
        d = graph.edges[source, v]
        years = float(d.get("min_years") or 0.0)
        moves.append(
            NextMove(
                role_id=v,
                kind=d["kind"],
                min_years=years,
                remaining_years=max(0.0, years - years_served),
                gap=compute_gap(role.requirements, profile),
            )
        )
    moves.sort(key=lambda m: (-m.gap.readiness, m.remaining_years, graph.nodes[m.role_id]["role"].code))
    return moves


def cycle_if_added(graph: nx.DiGraph, from_id: int, to_id: int) -> list[int] | None:
    """The cycle ``[from, to, ..., from]`` that the edge ``from -> to`` would close, or None.

    A new edge closes a cycle exactly when ``from`` is already reachable from
    ``to``; the shortest such path (breadth first, O(V + E)) names the cycle.
    """
    if from_id == to_id:
        return [from_id, from_id]
    if from_id not in graph or to_id not in graph:
        return None
    try:
        back = nx.shortest_path(graph, to_id, from_id)
    except nx.NetworkXNoPath:
        return None
    return [from_id, *back]


def neighbourhood(graph: nx.DiGraph, centre: int, radius: int = 1) -> nx.DiGraph:
    """The sub-graph of roles within ``radius`` transitions of ``centre``, in either direction."""
    nodes = nx.single_source_shortest_path_length(graph.to_undirected(as_view=True), centre, cutoff=radius)
    return graph.subgraph(nodes).copy()
