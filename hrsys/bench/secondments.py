"""Secondment benchmarks on a generated national-scale database (``make bench``).

All figures are taken on the day the generator calls "today"
(:data:`hrsys.generate.secondments.ANCHOR`), so they do not drift with the calendar.

- The alert summary (six groups, each count plus its 20 most urgent items), for the
  whole civil service and for one ministry's subtree: p95 < 100 ms.
- The ``ending_within=60`` list: p95 < 50 ms.
- The cost report of fiscal year 2570 per agency (host and sender shares), national
  and for one ministry: p95 < 300 ms.
- The knowledge-transfer coverage per agency: p95 < 200 ms.
"""

from __future__ import annotations

import sqlalchemy as sa

from hrsys.agencies.models import Agency
from hrsys.bench.context import BenchContext, BenchRow, latency_row, time_calls
from hrsys.core.fiscal import fiscal_year
from hrsys.generate.secondments import ANCHOR
from hrsys.secondments import lists, reports
from hrsys.secondments.models import Secondment
from hrsys.secondments.policy import SecondmentPolicy

N = 100


def benchmarks(ctx: BenchContext) -> list[BenchRow]:
    engine, db = ctx.engine, ctx.database
    policy = SecondmentPolicy()
    rng = ctx.rng("secondments")
    with engine.connect() as conn:
        count = conn.scalar(sa.select(sa.func.count()).select_from(Secondment)) or 0
        ministries = list(conn.scalars(sa.select(Agency.code).where(Agency.kind == "ministry").order_by(Agency.code)))
    if not count or not ministries:
        return [BenchRow("secondments", db, "no secondments generated", note="run hrsys generate first")]
    picks = [rng.choice(ministries) for _ in range(N + 10)]
    fy = fiscal_year(ANCHOR)
    rows = [
        latency_row(
            f"secondments: alert summary, national ({count:,} secondments)",
            db,
            time_calls(lambda i: reports.alerts(engine, policy=policy, today=ANCHOR), N),
            100,
        ),
        latency_row(
            "secondments: alert summary, one ministry",
            db,
            time_calls(lambda i: reports.alerts(engine, policy=policy, today=ANCHOR, agency=picks[i % len(picks)]), N),
            100,
        ),
        latency_row(
            "secondments: list ending_within=60",
            db,
            time_calls(lambda i: lists.list_secondments(engine, today=ANCHOR, ending_within=60), N),
            50,
        ),
        latency_row(
            f"secondments: cost report FY {fy}, national",
            db,
            time_calls(lambda i: reports.cost_report(engine, fiscal_year=fy), N),
            300,
        ),
        latency_row(
            f"secondments: cost report FY {fy}, one ministry",
            db,
            time_calls(lambda i: reports.cost_report(engine, fiscal_year=fy, agency=picks[i % len(picks)]), N),
            300,
        ),
        latency_row(
            "secondments: knowledge-transfer coverage per agency",
            db,
            time_calls(lambda i: reports.coverage_report(engine), N),
            200,
        ),
    ]
    return rows
