"""Career benchmarks on a generated national-scale database (``make bench``).

- Gap of a person against a role (one query for the profile, the role from the cache): p95 < 10 ms.
- k = 3 best career paths to a role two to four moves away: p95 < 50 ms.
- Next moves of a person: no target (reported).
- Bench strength of one role over every agency (about 500,000 staff): each < 1 s, for the
  ten roles whose skills most people hold (the hardest case), and for one ministry's subtree.
"""

from __future__ import annotations

import time

import networkx as nx
import sqlalchemy as sa

from hrsys.agencies.models import Agency
from hrsys.bench.context import BenchContext, BenchRow, latency_row, time_calls
from hrsys.careers import cache, service, succession
from hrsys.people.models import Person
from hrsys.skills.assessments.models import CurrentSkill
from hrsys.training.catalog import course_catalog

N = 300


def _people_with_roles(ctx: BenchContext, n: int) -> list[tuple[int, int]]:
    rng = ctx.rng("careers-people")
    with ctx.engine.connect() as conn:
        hi = conn.scalar(sa.select(sa.func.max(Person.id))) or 0
        picks = sorted({rng.randint(1, hi) for _ in range(n * 3)})
        rows = conn.execute(
            sa.select(Person.id, Person.role_id).where(Person.id.in_(picks), Person.role_id.is_not(None))
        ).all()
    return [(r[0], r[1]) for r in rows][:n]


def _far_targets(data: cache.CareerData, people: list[tuple[int, int]], rng) -> list[tuple[int, str]]:  # type: ignore[no-untyped-def]
    """For each person, a role two to four transitions beyond their own (when there is one)."""
    out = []
    for pid, rid in people:
        if rid not in data.graph:
            continue
        dist = nx.single_source_shortest_path_length(data.graph, rid, cutoff=4)
        far = [r for r, d in dist.items() if d >= 2 and not data.roles[r].retired]
        if far:
            out.append((pid, data.roles[rng.choice(sorted(far))].code))
    return out


def benchmarks(ctx: BenchContext) -> list[BenchRow]:
    e = ctx.engine
    rng = ctx.rng("careers")
    data = cache.career_data(e)
    if not data.roles:
        return [BenchRow("careers", ctx.database, "no roles in the database", note="run hrsys generate first")]
    people = _people_with_roles(ctx, N)
    codes = sorted(data.by_code)
    gap_pairs = [(pid, rng.choice(codes)) for pid, _ in people]
    far = _far_targets(data, people, rng)
    rows = [
        latency_row(
            "career gap, person x role (in-process)",
            ctx.database,
            time_calls(lambda i: service.person_gap(e, *gap_pairs[i % len(gap_pairs)]), n=N),
            10,
        ),
        latency_row(
            "career paths, k=3 to a role 2-4 moves away (in-process)",
            ctx.database,
            time_calls(lambda i: service.person_paths(e, far[i % len(far)][0], far[i % len(far)][1], k=3), n=200),
            50,
        ),
        latency_row(
            "next moves of a person (in-process)",
            ctx.database,
            time_calls(lambda i: service.person_next_moves(e, people[i % len(people)][0]), n=N),
            None,
        ),
    ]
    rows += _bench_strength_rows(ctx, data)
    ctx.info["careers_paths"] = {
        "gap": [f"/api/v1/people/{p}/gap?role={r}" for p, r in gap_pairs],
        "paths": [f"/api/v1/people/{p}/paths?to={r}&k=3" for p, r in far],
    }
    return rows


def _bench_strength_rows(ctx: BenchContext, data: cache.CareerData) -> list[BenchRow]:
    e = ctx.engine
    course_catalog(e)  # warm: the course catalog is loaded once per process, not per call
    with e.connect() as conn:
        holders = dict(
            conn.execute(sa.select(CurrentSkill.skill_id, sa.func.count()).group_by(CurrentSkill.skill_id))
            .tuples()
            .all()
        )
        # The largest ministry: a top-level agency with the most people in its subtree.
        tops = conn.execute(sa.select(Agency.code, Agency.path).where(Agency.parent_id.is_(None))).all()
        sizes = [
            (
                conn.scalar(
                    sa.select(sa.func.count())
                    .select_from(Person)
                    .join(Agency, Agency.id == Person.agency_id)
                    .where(Agency.path >= path, Agency.path < path[:-1] + "0")
                )
                or 0,
                code,
            )
            for code, path in tops
        ]
        ministry = max(sizes)[1] if sizes else None
        staff = conn.scalar(sa.select(sa.func.count()).select_from(Person)) or 0
    # The hardest roles: those whose required skills the most people hold (most rows to score).
    load = sorted(
        (sum(holders.get(r.skill_id, 0) for r in role.requirements), role.code)
        for role in data.roles.values()
        if role.requirements
    )
    hardest = [code for _, code in load[-10:]]
    times = []
    candidates = 0
    for code in hardest:
        t0 = time.perf_counter()
        out = succession.bench_strength(e, code, limit=50)
        times.append((time.perf_counter() - t0) * 1000)
        candidates = max(candidates, out.candidates)
    worst = max(times)
    rows = [
        BenchRow(
            name=f"bench strength, one role over all {staff:,} staff (10 heaviest roles)",
            database=ctx.database,
            value=(
                f"median {sorted(times)[len(times) // 2]:.0f} ms, worst {worst:.0f} ms "
                f"(bench of up to {candidates:,} people)"
            ),
            target="< 1000 ms",
            ok=worst < 1000,
        )
    ]
    if ministry:
        t0 = time.perf_counter()
        out = succession.bench_strength(e, hardest[-1], agency=ministry, limit=50)
        ms = (time.perf_counter() - t0) * 1000
        rows.append(
            BenchRow(
                name="bench strength, heaviest role within the largest ministry's subtree",
                database=ctx.database,
                value=f"{ms:.0f} ms (bench of {out.candidates:,} people)",
                target="< 1000 ms",
                ok=ms < 1000,
            )
        )
    return rows
