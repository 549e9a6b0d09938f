"""Training benchmarks on a generated national-scale database (``make bench``).

- Training plan of a person toward a role over the ~5,000-course catalog (cached), with the
  next free session of each planned course: p95 < 100 ms.
- Greedy against exact: on the plans of 200 (person, role) pairs of the generated data (those HiGHS
  proves optimal within 20 s), and on
  300 random small instances (the unit tests' generator), the mean and worst ratio of the greedy
  plan's cost to the optimum, and whether every greedy plan stayed within its stated bound.
- Exactness against an independent solver: on random catalogs of 10 to 40 courses with shared
  prerequisites and dominated courses, with and without a budget, the share of plans labelled
  ``exact`` whose cost (and, under a budget, essential and desirable value) equals the optimum that
  OR-Tools CP-SAT finds from its own model of the problem, with both solvers' times.
- Training-needs analysis of one ministry's subtree (a report, not an interactive call).
"""

from __future__ import annotations

import random
import time
from typing import Any

import sqlalchemy as sa

from hrsys.agencies.models import Agency
from hrsys.bench.context import BenchContext, BenchRow, latency_row, time_calls
from hrsys.bench.oracles import covered_value, cp_sat_optimum
from hrsys.careers import cache as career_cache
from hrsys.careers.service import load_profile
from hrsys.core.db import read_engine
from hrsys.people.models import Person
from hrsys.training import catalog as course_cache
from hrsys.training import needs, training_plan
from hrsys.training.plan import solve
from hrsys.training.plan_instance import Need, PlanCourse

N = 200


def _pairs(ctx: BenchContext, n: int) -> list[tuple[int, str]]:
    """(person, role) pairs: each person with a role their current role leads to (or any role)."""
    rng = ctx.rng("training-people")
    data = career_cache.career_data(ctx.engine)
    codes = sorted(data.by_code)
    with ctx.engine.connect() as conn:
        hi = conn.scalar(sa.select(sa.func.max(Person.id))) or 0
        picks = sorted({rng.randint(1, hi) for _ in range(n * 2)})
        rows = conn.execute(sa.select(Person.id, Person.role_id).where(Person.id.in_(picks))).all()
    out = []
    for pid, rid in rows[:n]:
        nxt = sorted(data.graph.successors(rid)) if rid in data.graph else []
        out.append((pid, data.roles[rng.choice(nxt)].code if nxt else rng.choice(codes)))
    return out


def ratio_on_generated(ctx: BenchContext, pairs: list[tuple[int, str]]) -> tuple[list[float], int, int]:
    """Greedy/optimal cost ratios (plans by hours) where HiGHS proves the optimum within 20 s."""
    data = career_cache.career_data(ctx.engine)
    cat = course_cache.course_catalog(ctx.engine)
    ratios = []
    within = 0
    skipped = 0
    with read_engine(ctx.engine).connect() as conn:
        for pid, code in pairs:
            role = data.role(code)
            if role is None:
                continue
            profile = load_profile(conn, pid)
            needs_ = [
                Need(r.skill_id, r.level, profile.get(r.skill_id, 0), r.essential, r.weight) for r in role.requirements
            ]
            # By hours: every course has some, so each plan has a ratio (many plans are free in baht).
            greedy = solve(needs_, cat.by_hours, by_skill=cat.by_skill, method="greedy")
            exact = solve(needs_, cat.by_hours, by_skill=cat.by_skill, time_limit=20.0)
            if exact.algorithm != "exact":
                skipped += 1
                continue
            if exact.cost > 0:  # plans that cost nothing (free courses, no gap) have no ratio
                ratios.append(greedy.cost / exact.cost)
                within += greedy.bound is not None and greedy.cost <= greedy.bound * exact.cost + 1e-6
    return ratios, within, skipped


def ratio_on_random(n: int = 300, seed: int = 20240501) -> tuple[list[float], int]:
    """The unit tests' random small instances (6-11 courses), exact against greedy."""
    rng = random.Random(seed)
    ratios = []
    within = 0
    for _ in range(n):
        m = rng.randint(6, 11)
        skills = list(range(100, 100 + rng.randint(4, 8)))
        courses: dict[int, PlanCourse] = {}
        for cid in range(1, m + 1):
            outs = tuple((s, rng.randint(1, 4)) for s in rng.sample(skills, rng.randint(1, min(4, len(skills)))))
            pre = tuple(sorted(rng.sample(range(1, cid), min(cid - 1, rng.choice([0, 0, 0, 1, 1, 2])))))
            cost = rng.choice([0, rng.randint(1, 100), rng.randint(10, 100), rng.randint(20, 60)])
            courses[cid] = PlanCourse(cid, float(cost), outs, pre, available=rng.random() > 0.05)
        picked = rng.sample(skills, rng.randint(2, len(skills)))
        needs_ = [Need(s, rng.randint(1, 3), rng.choice([0, 0, 1])) for s in picked]
        exact = solve(needs_, courses, method="exact")
        greedy = solve(needs_, courses, method="greedy")
        if exact.cost > 0:
            ratios.append(greedy.cost / exact.cost)
            within += greedy.bound is not None and greedy.cost <= greedy.bound * exact.cost + 1e-6
    return ratios, within


def oracle_catalog(rng: random.Random, n_courses: int) -> tuple[list[Need], dict[int, PlanCourse], set[int]]:
    """A random catalog: shared foundation prerequisites, dominated copies, free and retired courses."""
    skills = list(range(100, 100 + rng.randint(5, 10)))
    courses: dict[int, PlanCourse] = {}
    foundations = rng.randint(1, 4)
    for cid in range(1, n_courses + 1):
        if cid <= foundations:
            outcomes = tuple((s, rng.randint(1, 2)) for s in rng.sample(skills, rng.choice([0, 1])))
            courses[cid] = PlanCourse(cid, float(rng.randint(0, 30)), outcomes)
            continue
        if rng.random() < 0.25:  # teaches no more than an earlier course, costs no less
            src = courses[rng.randint(1, cid - 1)]
            courses[cid] = PlanCourse(cid, src.cost + rng.randint(0, 20), src.outcomes[:1] or src.outcomes)
            continue
        outcomes = tuple((s, rng.randint(1, 4)) for s in rng.sample(skills, rng.randint(1, 3)))
        pool = list(range(1, foundations + 1)) if rng.random() < 0.6 else list(range(1, cid))
        prereqs = tuple(sorted(rng.sample(pool, min(len(pool), rng.choice([0, 1, 1, 2])))))
        cost = rng.choice([0, rng.randint(1, 100), rng.randint(10, 100)])
        courses[cid] = PlanCourse(cid, float(cost), outcomes, prereqs, available=rng.random() > 0.05)
    needs = [
        Need(s, rng.randint(1, 3), rng.choice([0, 0, 1]), rng.random() < 0.6, rng.choice([0.01, 0.25, 1.0, 7.5, 100.0]))
        for s in rng.sample(skills, rng.randint(2, len(skills)))
    ]
    completed = {c for c in courses if rng.random() < 0.1}
    return needs, courses, completed


def exactness_against_cp_sat(n: int = 200, seed: int = 20261206, sizes: tuple[int, int] = (10, 40)) -> dict[str, Any]:
    """Plans labelled ``exact`` against CP-SAT's optimum on ``n`` random catalogs (every other one under a budget).

    Returns the counts (instances, labelled exact, equal to the oracle, feasible) and both solvers'
    times in milliseconds.
    """
    rng = random.Random(seed)
    out: dict[str, Any] = {"instances": 0, "exact": 0, "equal": 0, "feasible": 0, "highs_ms": [], "cp_sat_ms": []}
    for k in range(n):
        needs, courses, completed = oracle_catalog(rng, rng.randint(*sizes))
        budget = None
        if k % 2:
            full = solve(needs, courses, completed=completed, method="exact")
            if full.cost < 2:
                continue
            budget = float(rng.randint(0, int(full.cost) - 1))
        t0 = time.perf_counter()
        r = solve(needs, courses, completed=completed, budget=budget, method="exact")
        t1 = time.perf_counter()
        key, cost = cp_sat_optimum(needs, courses, completed, budget)
        t2 = time.perf_counter()
        out["instances"] += 1
        out["highs_ms"].append((t1 - t0) * 1000)
        out["cp_sat_ms"].append((t2 - t1) * 1000)
        chosen = set(r.course_ids)
        closed = all(p in chosen or p in completed for c in chosen for p in courses[c].prerequisites)
        out["feasible"] += closed and (budget is None or r.cost <= budget + 1e-9)
        if r.algorithm not in ("exact", "none"):  # "none": nothing to plan, trivially optimal
            continue
        out["exact"] += 1
        got = covered_value(needs, set(r.covered))
        same = abs(r.cost - cost) <= 1e-6 and all(abs(a - b) <= 1e-6 for a, b in zip(got, key, strict=True))
        out["equal"] += same
    return out


def _ms(values: list[float]) -> str:
    v = sorted(values)
    return f"p50 {v[len(v) // 2]:.1f} ms, p95 {v[min(len(v) - 1, int(len(v) * 0.95))]:.1f} ms"


def exactness_row(n: int = 200) -> BenchRow:
    r = exactness_against_cp_sat(n)
    return BenchRow(
        name=f"training plan exact = CP-SAT optimum, {r['instances']} random catalogs of 10-40 courses (half budgeted)",
        database="-",
        value=(
            f"{r['equal']}/{r['exact']} exact plans equal the oracle; {r['exact']}/{r['instances']} proved exact; "
            f"HiGHS {_ms(r['highs_ms'])}; CP-SAT {_ms(r['cp_sat_ms'])}"
        ),
        target="every exact plan equals the oracle and is feasible",
        ok=r["equal"] == r["exact"] and r["feasible"] == r["instances"],
    )


def benchmarks(ctx: BenchContext) -> list[BenchRow]:
    e = ctx.engine
    if not course_cache.course_catalog(e).info:
        return [BenchRow("training", ctx.database, "no courses in the database", note="run hrsys generate first")]
    pairs = _pairs(ctx, N)
    rows = [
        latency_row(
            "training plan, person x role over the course catalog (in-process)",
            ctx.database,
            time_calls(lambda i: training_plan.training_plan(e, *pairs[i % len(pairs)]), n=N),
            100,
        )
    ]
    ratios, within, skipped = ratio_on_generated(ctx, pairs)
    if ratios:
        rows.append(
            BenchRow(
                name="training plan greedy / exact cost (hours), generated plans",
                database=ctx.database,
                value=f"mean {sum(ratios) / len(ratios):.4f}, worst {max(ratios):.4f} over {len(ratios)} plans",
                target="within the stated bound on every plan",
                ok=within == len(ratios),
                note=f"{skipped} plans too big for the exact search were left out" if skipped else "",
            )
        )
    small, small_within = ratio_on_random()
    rows.append(
        BenchRow(
            name="training plan greedy / exact cost, 300 random small instances",
            database="-",
            value=f"mean {sum(small) / len(small):.4f}, worst {max(small):.4f} over {len(small)} instances",
            target="within the stated bound on every instance",
            ok=small_within == len(small),
        )
    )
    rows.append(exactness_row())
    with e.connect() as conn:
        ministry = conn.scalar(sa.select(Agency.code).where(Agency.parent_id.is_(None)).order_by(Agency.id))
    if ministry:
        t0 = time.perf_counter()
        report = needs.training_needs(e, agency=ministry)
        ms = (time.perf_counter() - t0) * 1000
        rows.append(
            BenchRow(
                name="training-needs analysis of one ministry's subtree",
                database=ctx.database,
                value=f"{ms:.0f} ms ({report.people:,} people, {len(report.skills)} skills short)",
            )
        )
    ctx.info["training_paths"] = {"training plan": [f"/api/v1/people/{p}/training-plan?role={r}" for p, r in pairs]}
    return rows
