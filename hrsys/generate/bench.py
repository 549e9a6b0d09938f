"""``hrsys bench``: national-scale figures on SQLite and PostgreSQL, printed as one table.

Datasets are generated once per (staff, seed) and kept (SQLite: a file under
``--data-dir``; PostgreSQL: a database ``hrsys_bench_<staff>_<seed>`` on the
server), with the generation figures in a JSON file beside them, so repeated
runs measure without regenerating.
"""

from __future__ import annotations

import importlib
import json
import statistics
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import make_url

from hrsys.config import Settings
from hrsys.core import migrate
from hrsys.core.db import make_engine, normalise_url
from hrsys.core.stamps import VersionStamp
from hrsys.generate import http
from hrsys.generate.context import BENCH_MODULES, BenchContext, BenchRow
from hrsys.generate.national import generate_into, schema_fingerprint


def _marker(engine: sa.Engine) -> tuple[int, int, int] | None:
    try:
        with engine.connect() as conn:
            rows: dict[str, int] = dict(
                conn.execute(  # type: ignore[arg-type]
                    sa.select(VersionStamp.name, VersionStamp.version).where(
                        VersionStamp.name.in_(["generated_staff", "generated_seed", "generated_schema"])
                    )
                ).all()
            )
    except sa.exc.DBAPIError:
        return None
    if "generated_staff" not in rows:
        return None
    return rows["generated_staff"], rows.get("generated_seed", 0), rows.get("generated_schema", 0)


def prepare(database: str, *, staff: int, seed: int, data_dir: Path, pg_url: str) -> tuple[str, dict[str, Any]]:
    """A generated database for (staff, seed): reused when present, else made now. Returns (url, figures)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    stem = f"national-{staff}-{seed}"
    facts_path = data_dir / f"{stem}-{database}.json"
    if database == "sqlite":
        db_path = data_dir / f"{stem}.db"
        url = f"sqlite:///{db_path.resolve()}"
    else:
        name = f"hrsys_bench_{staff}_{seed}"
        url = make_url(normalise_url(pg_url)).set(database=name).render_as_string(hide_password=False)
    engine = make_engine(url)
    try:
        if database == "postgresql":
            admin = sa.create_engine(normalise_url(pg_url), isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
            with admin.connect() as conn:
                if not conn.scalar(sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}):
                    conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
            admin.dispose()
        wanted = (staff, seed, schema_fingerprint())
        if _marker(engine) == wanted and facts_path.exists() and migrate.current(url) == migrate.head():
            return url, json.loads(facts_path.read_text())
        engine.dispose()
        _reset(database, url, pg_url)
        engine = make_engine(url)
        migrate.upgrade(url)
        summary = generate_into(engine, staff=staff, seed=seed)
        facts = {
            "seconds": summary.seconds,
            "staff": summary.staff,
            "agencies": summary.agencies,
            "steps": summary.steps,
            "generated_at": time.strftime("%Y-%m-%d %H:%M"),
        }
        facts_path.write_text(json.dumps(facts, indent=1))
        return url, facts
    finally:
        engine.dispose()


def _reset(database: str, url: str, pg_url: str) -> None:
    if database == "sqlite":
        path = Path(make_url(url).database or "")
        for suffix in ("", "-wal", "-shm"):
            Path(str(path) + suffix).unlink(missing_ok=True)
        return
    name = make_url(url).database
    admin = sa.create_engine(normalise_url(pg_url), isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    admin.dispose()


def _generation_rows(database: str, facts: dict[str, Any]) -> list[BenchRow]:
    secs = facts["seconds"]
    rate = (facts["staff"] + facts["agencies"]) / secs if secs else 0
    rows = [
        BenchRow(
            name=f"generate {facts['staff']:,} staff and {facts['agencies']} agencies",
            database=database,
            value=f"{secs:.1f} s ({rate:,.0f} rows/s)",
            target="< 60 s" if database == "sqlite" else "",
            ok=(secs < 60) if database == "sqlite" else None,
            note=f"generated {facts.get('generated_at', '')}",
        )
    ]
    for step, (n, s) in facts.get("steps", {}).items():
        rows.append(BenchRow(f"generate: {step}", database, f"{n:,} rows in {s:.1f} s ({n / s if s else 0:,.0f}/s)"))
    return rows


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
    import secrets

    from hrsys.access import tokens
    from hrsys.access.models import User, UserRole

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


def print_table(rows: list[BenchRow]) -> None:
    headers = ("benchmark", "db", "result", "target", "ok")
    table = [
        (r.name + (f" [{r.note}]" if r.note else ""), r.database, r.value, r.target,
         "" if r.ok is None else ("yes" if r.ok else "NO"))
        for r in rows
    ]  # fmt: skip
    widths = [max(len(h), *(len(t[i]) for t in table)) for i, h in enumerate(headers)] if table else []
    line = "  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True))
    print(line)
    print("-" * len(line))
    for t in table:
        print("  ".join(c.ljust(w) for c, w in zip(t, widths, strict=True)))


def run_bench(
    *,
    staff: int,
    seed: int,
    data_dir: str,
    databases: tuple[str, ...],
    pg_url: str,
    seconds: float,
    only: str | None,
    settings: Settings | None = None,
    pin: bool = True,
) -> list[BenchRow]:
    rows: list[BenchRow] = []
    for database in databases:
        url, facts = prepare(database, staff=staff, seed=seed, data_dir=Path(data_dir), pg_url=pg_url)
        rows += _generation_rows(database, facts)
        engine = make_engine(url)
        ctx = BenchContext(
            engine=engine, database=database, database_url=url, staff=staff, seed=seed, settings=settings or Settings()
        )
        try:
            # Heavy writes (a 5,000,000-row import, rolled back) run after every read figure of the database:
            # PostgreSQL's clean-up after them (vacuum, checkpoints) would otherwise slow what follows.
            late: list[Any] = []
            for module_name in BENCH_MODULES:
                if only and only not in module_name:
                    continue
                try:
                    module = importlib.import_module(module_name)
                except ModuleNotFoundError as exc:
                    if exc.name == module_name:
                        continue
                    raise
                rows += module.benchmarks(ctx)
                if hasattr(module, "late_benchmarks"):
                    late.append(module.late_benchmarks)
            if not only or "http" in only or "people" in only:
                rows += http_rows(ctx, seconds, http.placement(pin))
            for run_late in late:
                rows += run_late(ctx)
        finally:
            engine.dispose()
    print()
    print(f"hrsys bench: {staff:,} staff, seed {seed}")
    print_table(rows)
    return rows
