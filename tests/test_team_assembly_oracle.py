"""Team assembly's "optimal" against an independent formulation (OR-Tools CP-SAT) on pools larger than any
shortlist.

The oracle is written here from the problem statement in ``hrsys/taskforces/assembly.py``'s docstring, not from
the solver: one boolean per (person, need), one per pair of people in the team (``p_uv >= t_u + t_v - 1``,
every pair at its networkx distance, capped), integer satang costs, and the lexicographic order as two solves
(most essential then desirable slots covered, then the least cost at that coverage).
"""

from __future__ import annotations

import itertools
import random
from fractions import Fraction

import networkx as nx
import pytest
from ortools.sat.python import cp_model

from hrsys.taskforces.assembly.solve import assemble
from hrsys.taskforces.assembly.structs import SATANG, Candidate, Need, Options, SkillLevel, Team, TeamMate


def _dist(graph: nx.Graph, u: int, v: int, cap: int) -> int:
    if u not in graph or v not in graph or not nx.has_path(graph, u, v):
        return cap
    return min(cap, nx.shortest_path_length(graph, u, v))


def cpsat_optimum(
    needs: list[Need], pool: list[Candidate], graph: nx.Graph, o: Options, current: list[TeamMate]
) -> tuple[int, int, int]:
    """(uncovered essential, uncovered desirable, cost in satang) of the best team, by CP-SAT."""
    cur = {t.person_id for t in current}
    people = [c for c in pool if c.person_id not in o.exclude]
    people = [
        c
        for c in people
        if not (
            c.internal
            and o.agencies is not None
            and c.agency_id not in o.agencies
            and c.person_id not in o.include
            and c.person_id not in cur
        )
    ]
    months = Fraction(o.months)

    def build() -> tuple[cp_model.CpModel, dict, cp_model.LinearExpr, cp_model.LinearExpr, cp_model.LinearExpr]:
        md = cp_model.CpModel()
        x = {}
        for c in people:
            for n in needs:
                sl = c.skills.get(n.skill_id)
                if sl is not None and sl.level >= n.min_level:
                    x[c.person_id, n.id] = md.NewBoolVar("")
        joins = {}
        for c in people:
            mine = [v for (p, _), v in x.items() if p == c.person_id]
            if not mine:
                continue
            md.Add(
                sum(v * n.allocation for (p, nid), v in x.items() if p == c.person_id for n in needs if n.id == nid)
                <= c.free
            )
            if c.person_id in o.include:
                md.Add(sum(mine) >= 1)
            if c.person_id not in cur:
                t = md.NewBoolVar("")
                md.AddMaxEquality(t, mine)
                joins[c.person_id] = t
        for n in needs:
            md.Add(sum(v for (p, nid), v in x.items() if nid == n.id) <= n.headcount)
        by_id = {c.person_id: c for c in people}
        if o.max_externals is not None:
            cur_ext = sum(1 for t in current if t.member and not t.internal)
            ext = [t for p, t in joins.items() if not by_id[p].internal]
            if ext:
                md.Add(cur_ext + sum(ext) <= max(o.max_externals, cur_ext))
        cost = []
        for (p, nid), v in x.items():
            n = next(n for n in needs if n.id == nid)
            cost.append(round(by_id[p].monthly_cost * n.allocation * months) * v)
        if o.prefer_internal:
            pen = round(o.external_penalty * SATANG * months)
            cost += [pen * t for p, t in joins.items() if not by_id[p].internal]
        lam = o.communication_cost * SATANG
        if lam:
            for p, t in joins.items():  # pairs with someone already in the team
                cost.append(lam * sum(_dist(graph, p, q, o.max_distance) for q in cur if q != p) * t)
            for (p, t), (q, s) in itertools.combinations(joins.items(), 2):
                both = md.NewBoolVar("")
                md.Add(both >= t + s - 1)
                cost.append(lam * _dist(graph, p, q, o.max_distance) * both)
        ess = sum(v for (p, nid), v in x.items() if next(n for n in needs if n.id == nid).essential)
        des = sum(v for (p, nid), v in x.items() if not next(n for n in needs if n.id == nid).essential)
        return md, x, ess, des, sum(cost)

    h_d = sum(n.headcount for n in needs if not n.essential)
    h_e = sum(n.headcount for n in needs if n.essential)
    md, _x, ess, des, cost = build()
    md.Maximize((h_d + 1) * ess + des)
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    assert solver.Solve(md) == cp_model.OPTIMAL
    e, d = round(solver.Value(ess)), round(solver.Value(des))
    md, _x, ess, des, cost = build()
    md.Add(ess >= e)
    md.Add(des >= d)
    md.Minimize(cost)
    assert solver.Solve(md) == cp_model.OPTIMAL
    return h_e - e, h_d - d, round(solver.ObjectiveValue())


def team_key(team: Team) -> tuple[int, int, int]:
    ess = sum(u.missing for u in team.uncovered if u.essential)
    des = sum(u.missing for u in team.uncovered if not u.essential)
    return ess, des, round(team.cost.total * SATANG)


def random_instance(rng: random.Random) -> tuple[list[Need], list[Candidate], nx.Graph, Options, list[TeamMate]]:
    """60 to 90 candidates for one to three needs of headcount 1 to 3: more than any shortlist of 30 + 8 x
    headcount would keep. Costs often fall with level and id, so the cheapest qualified person is the last
    by (level, id)."""
    n_needs = rng.randint(1, 3)
    needs = [
        Need(
            id=k + 1,
            skill_id=k + 1,
            min_level=rng.randint(1, 3),
            headcount=rng.randint(1, 3),
            allocation=rng.choice([20, 50, 100]),
            essential=rng.random() < 0.8,
        )
        for k in range(n_needs)
    ]
    size = rng.randint(60, 90)
    falling = rng.random() < 0.5
    graded = not falling and rng.random() < 0.5
    pool = []
    for p in range(1, size + 1):
        skills = {}
        for n in needs:
            if rng.random() < 0.7:
                skills[n.skill_id] = SkillLevel(level=rng.randint(0, 5))
        if graded:  # pay by grade: many equal costs, so many interchangeable twins
            base = rng.choice([24_000, 32_000, 45_000])
        else:
            base = 200_000 - 1_000 * p if falling else rng.randrange(20_000, 150_000, 250)
        pool.append(
            Candidate(
                person_id=p,
                internal=rng.random() < 0.8,
                agency_id=rng.choice([1, 2]),
                monthly_cost=base,
                free=rng.choice([20, 50, 100, 100]),
                skills=skills,
            )
        )
    if falling and rng.random() < 0.5:
        # the cheapest qualified person is the very last by level then id
        last = pool[-1]
        pool[-1] = Candidate(
            person_id=last.person_id,
            internal=True,
            agency_id=1,
            monthly_cost=1_000,
            free=100,
            skills={n.skill_id: SkillLevel(level=9) for n in needs},
        )
    graph = nx.gnm_random_graph(size + 3, rng.randint(0, 2 * size), seed=rng.randrange(10**6))
    graph.remove_nodes_from([0])
    current = [TeamMate(person_id=size + 1, member=False)] if rng.random() < 0.7 else []
    if rng.random() < 0.3:
        current.append(TeamMate(person_id=size + 2, internal=rng.random() < 0.5))
    ids = list(range(1, size + 1))
    placeable = [  # an include the statement can always honour: internal, with the level and the time
        c.person_id
        for c in pool
        if c.internal
        and any((sl := c.skills.get(n.skill_id)) and sl.level >= n.min_level and c.free >= n.allocation for n in needs)
    ]
    options = Options(
        agencies=frozenset({1}) if rng.random() < 0.2 else None,
        prefer_internal=rng.random() < 0.7,
        max_externals=rng.choice([None, None, 0, 1]),
        include=frozenset(rng.sample(placeable, 1)) if placeable and rng.random() < 0.2 else frozenset(),
        exclude=frozenset(rng.sample(ids, 3)) if rng.random() < 0.3 else frozenset(),
        communication_cost=rng.choice([0, 50, 50, 1_000] if size <= 75 else [0, 50, 50, 200]),  # oracle time
        months=rng.choice([1.0, 2.5, 7.25, 12.0]),
    )
    if options.include & options.exclude:
        options = Options(**{**{f: getattr(options, f) for f in options.__struct_fields__}, "exclude": frozenset()})
    return needs, pool, graph, options, current


N_INSTANCES = 20


def test_every_optimal_answer_matches_cp_sat_on_pools_larger_than_a_shortlist() -> None:
    rng = random.Random(20261206)
    proven = 0
    for k in range(N_INSTANCES):
        needs, pool, graph, options, current = random_instance(rng)
        team = assemble(needs, pool, graph, options, current=current)
        want = cpsat_optimum(needs, pool, graph, options, current)
        if team.optimal:
            proven += 1
            assert team_key(team) == want, f"instance {k}"
            assert team.lower_bound == pytest.approx(team.cost.total)
        else:
            assert team_key(team) >= want
            assert team.lower_bound <= want[2] / SATANG + 1e-6
    assert proven == N_INSTANCES  # no time limit: every instance is solved to the end


def test_the_cheapest_qualified_person_last_by_level_and_id_is_found() -> None:
    need = Need(id=1, skill_id=1, min_level=2, headcount=1, allocation=50)
    pool = [
        Candidate(person_id=p, monthly_cost=100_000 - 500 * p, skills={1: SkillLevel(level=2 + p // 40)})
        for p in range(1, 121)
    ]
    team = assemble([need], pool)
    assert [m.person_id for m in team.members] == [120]
    assert team.optimal


def brute_force(needs, pool, graph, o, current):  # type: ignore[no-untyped-def]
    """Every assignment of small instances, costed from the statement."""
    cur = {t.person_id for t in current}
    months = Fraction(o.months)
    choices = []
    for n in needs:
        ok = [c for c in pool if (sl := c.skills.get(n.skill_id)) and sl.level >= n.min_level]
        ok = [c for c in ok if c.person_id not in o.exclude]
        choices.append(
            [
                s
                for r in range(min(n.headcount, len(ok)) + 1)
                for s in itertools.combinations([c.person_id for c in ok], r)
            ]
        )
    by_id = {c.person_id: c for c in pool}
    best = None
    for combo in itertools.product(*choices):
        load: dict[int, int] = {}
        cost = 0
        for n, ids in zip(needs, combo, strict=True):
            for p in ids:
                load[p] = load.get(p, 0) + n.allocation
                cost += round(by_id[p].monthly_cost * n.allocation * months)
        if any(load[p] > by_id[p].free for p in load) or not o.include <= set(load):
            continue
        new = set(load) - cur
        if o.max_externals is not None and sum(not by_id[p].internal for p in new) > o.max_externals:
            continue
        if o.prefer_internal:
            cost += sum(round(o.external_penalty * SATANG * months) for p in new if not by_id[p].internal)
        for u, v in itertools.combinations(sorted(new | cur), 2):
            if u in new or v in new:
                cost += o.communication_cost * SATANG * _dist(graph, u, v, o.max_distance)
        ess = sum(n.headcount - len(ids) for n, ids in zip(needs, combo, strict=True) if n.essential)
        des = sum(n.headcount - len(ids) for n, ids in zip(needs, combo, strict=True) if not n.essential)
        key = (ess, des, cost)
        best = key if best is None or key < best else best
    return best


def test_small_instances_match_brute_force() -> None:
    rng = random.Random(7)
    for k in range(60):
        needs = [
            Need(
                id=j + 1,
                skill_id=j + 1,
                min_level=rng.randint(1, 3),
                headcount=rng.randint(1, 2),
                allocation=rng.choice([30, 50, 100]),
                essential=rng.random() < 0.7,
            )
            for j in range(rng.randint(1, 3))
        ]
        pool = [
            Candidate(
                person_id=p,
                internal=rng.random() < 0.7,
                monthly_cost=rng.randrange(10_000, 90_000, 1_000),
                free=rng.choice([30, 50, 100]),
                skills={n.skill_id: SkillLevel(level=rng.randint(0, 4)) for n in needs if rng.random() < 0.6},
            )
            for p in range(1, rng.randint(3, 7))
        ]
        graph = nx.gnm_random_graph(10, rng.randint(0, 12), seed=k)
        current = [TeamMate(person_id=9, member=False)]
        o = Options(
            communication_cost=rng.choice([0, 50, 5_000]),
            max_externals=rng.choice([None, 0, 1]),
            months=rng.choice([1.0, 3.5]),
        )
        team = assemble(needs, pool, graph, o, current=current)
        assert team.optimal
        assert team_key(team) == brute_force(needs, pool, graph, o, current), f"instance {k}"
