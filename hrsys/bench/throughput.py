"""The people lists over HTTP: requests per second and latency against a trivial endpoint (``wrk``).

The server under load and ``wrk`` are run by :mod:`hrsys.bench.http`; the paths come from the people
benchmarks (``ctx.info["people_paths"]``, :mod:`hrsys.bench.people`).
"""

from __future__ import annotations

import secrets
import statistics
from collections.abc import Iterable

import sqlalchemy as sa

from hrsys.access import tokens
from hrsys.access.models import User, UserRole
from hrsys.bench import http
from hrsys.bench.context import BenchContext, BenchRow

HTTP_ROUNDS = 3
"""Runs of each list over HTTP, each between two runs of the trivial endpoint."""


def http_rows(ctx: BenchContext, seconds: float, place: http.Placement) -> list[BenchRow]:
    """Requests per second and latency over HTTP (1 worker), each as a ratio of the trivial endpoint.

    The machine's speed drifts by tens of percent within minutes (other work on the host), so each list
    is run :data:`HTTP_ROUNDS` times for ``seconds`` each, alternating with the trivial endpoint:
    every run is compared with the trivial runs just before and just after it, and the row gives the
    median of those ratios and of the runs' latencies (the worst p99 too). One long run between two
    ceilings let a single slow minute decide the figure.
    """
    if not http.wrk_available():
        return [BenchRow("HTTP load", ctx.database, "skipped: wrk is not installed (apt-get install wrk)")]
    paths: dict[str, list[str]] = ctx.info.get("people_paths", {})
    rows: list[BenchRow] = []
    headers, env = bench_auth(ctx.engine)
    with http.server(ctx.database_url, workers=1, env=env, place=place) as srv:
        # Each path is measured in steady state, after a second of warm-up: connections to the database
        # opened and statements prepared (pools grow under load), as in a server that has been up a while.
        def ceiling() -> http.LoadResult:
            return http.load(srv, ["/api/v1/ping"], seconds=seconds)

        http.load(srv, ["/api/v1/ping"], seconds=1)
        ceilings: list[http.LoadResult] = []
        measured: list[tuple[str, list[http.LoadResult], list[float]]] = []
        for label, plist in paths.items():
            http.load(srv, plist, seconds=1, headers=headers)
            runs, ratios = [], []
            before = ceiling()
            ceilings.append(before)
            for _ in range(HTTP_ROUNDS):
                r = http.load(srv, plist, seconds=seconds, headers=headers)
                after = ceiling()
                ceilings.append(after)
                runs.append(r)
                around = (before.rps + after.rps) / 2
                ratios.append(r.rps / around if around else 0.0)
                before = after
            measured.append((label, runs, ratios))
        low, high = min(c.rps for c in ceilings), max(c.rps for c in ceilings)
        rows.append(
            BenchRow(
                "HTTP trivial JSON endpoint (ceiling), 1 worker",
                ctx.database,
                f"{low:,.0f}-{high:,.0f} req/s over {len(ceilings)} runs, "
                f"p50 {_median(c.p50_ms for c in ceilings):.2f} ms, p99 {_median(c.p99_ms for c in ceilings):.2f} ms"
                + _cpu(ceilings),
                note=place.describe(),
            )
        )
        for label, runs, ratios in measured:
            ratio, p99 = _median(ratios), _median(r.p99_ms for r in runs)
            errors = sum(r.errors for r in runs)
            ok = ratio >= 0.15 and p99 < 70 and errors == 0
            rows.append(
                BenchRow(
                    f"HTTP people list {label}, 1 worker",
                    ctx.database,
                    f"{_median(r.rps for r in runs):,.0f} req/s = {ratio:.0%} of the ceiling around it "
                    f"(median of {len(runs)} runs: {min(ratios):.0%}-{max(ratios):.0%}), "
                    f"p50 {_median(r.p50_ms for r in runs):.2f} ms, p95 {_median(r.p95_ms for r in runs):.2f} ms, "
                    f"p99 {p99:.2f} ms (worst {max(r.p99_ms for r in runs):.2f})" + _cpu(runs),
                    target=">= 15% of ceiling, p99 < 70 ms",
                    ok=ok,
                    note=f"{errors} errors" if errors else "",
                )
            )
    return rows


def _median(values: Iterable[float]) -> float:
    return statistics.median(list(values))


def _cpu(runs: list[http.LoadResult]) -> str:
    measured = http.cpu_per_request(runs)
    return f"; {measured}" if measured else ""


def bench_auth(engine: sa.Engine) -> tuple[dict[str, str], dict[str, str]]:
    """A bench administrator and a bearer token for it: (request headers, server environment).

    The server under load is started with the same signing key. The user has no
    usable password (its hash is a placeholder nothing verifies against).
    """
    key = secrets.token_urlsafe(48)
    with engine.begin() as conn:
        row = conn.execute(sa.select(User.id, User.token_generation).where(User.username == "bench-admin")).first()
        if row is None:
            conn.execute(
                sa.insert(User).values(
                    username="bench-admin", password_hash="!unusable", role=UserRole.admin, active=True
                )
            )
            row = conn.execute(sa.select(User.id, User.token_generation).where(User.username == "bench-admin")).one()
    issued = tokens.issue(key, row[0], row[1], 120)
    return {"Authorization": f"Bearer {issued.token}"}, {"HRSYS_SECRET_KEY": key}
