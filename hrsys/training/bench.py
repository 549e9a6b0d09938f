"""Training benchmarks on a generated national-scale database (``make bench``).

- Training plan of a person toward a role over the ~5,000-course catalog (cached), with the
  next free session of each planned course: p95 < 100 ms.
- Greedy against exact: on the plans of 200 (person, role) pairs of the generated data (those the exact
  search settles within 20,000 nodes), and on
  300 random small instances (the unit tests' generator), the mean and worst ratio of the greedy
  plan's cost to the optimum, and whether every greedy plan stayed within its stated bound.
- Training-needs analysis of one ministry's subtree (a report, not an interactive call).
"""

from __future__ import annotations

import random
import time

import sqlalchemy as sa

from hrsys.agencies.models import Agency
from hrsys.careers import cache as career_cache
from hrsys.careers.service import load_profile
from hrsys.core.db import read_engine
from hrsys.generate.context import BenchContext, BenchRow, latency_row, time_calls
from hrsys.people.models import Person
from hrsys.training import catalog as course_cache
from hrsys.training import needs, service
from hrsys.training.plan import Need, PlanCourse, solve

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
    """Greedy/optimal cost ratios (plans by hours) where the exact search finishes within 20,000 nodes."""
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
            exact = solve(needs_, cat.by_hours, by_skill=cat.by_skill, exact_node_limit=20_000)
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


def benchmarks(ctx: BenchContext) -> list[BenchRow]:
    e = ctx.engine
    if not course_cache.course_catalog(e).info:
        return [BenchRow("training", ctx.database, "no courses in the database", note="run hrsys generate first")]
    pairs = _pairs(ctx, N)
    rows = [
        latency_row(
            "training plan, person x role over the course catalog (in-process)",
            ctx.database,
            time_calls(lambda i: service.training_plan(e, *pairs[i % len(pairs)]), n=N),
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
