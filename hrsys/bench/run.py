"""``hrsys bench``: national-scale figures on SQLite and PostgreSQL, printed as one table.

For each database: a generated dataset (made once per (staff, seed) and kept, :mod:`hrsys.bench.datasets`),
the figures of its generation, then every area's benchmarks in the order of :data:`AREAS`, the people
lists over HTTP (:mod:`hrsys.bench.throughput`) and last the heavy writes (``late_benchmarks``).
"""

from __future__ import annotations

from pathlib import Path
from types import ModuleType
from typing import Any

from hrsys.bench import (
    access,
    admin,
    careers,
    http,
    notifications,
    people,
    reminders,
    requests,
    secondments,
    skills,
    taskforces,
    training,
)
from hrsys.bench.context import BenchContext, BenchRow
from hrsys.bench.datasets import prepare
from hrsys.bench.throughput import http_rows
from hrsys.config import Settings
from hrsys.core.db import make_engine

AREAS: tuple[ModuleType, ...] = (
    people,
    skills,
    careers,
    training,
    taskforces,
    secondments,
    requests,
    reminders,
    notifications,
    access,
    admin,
)
"""Every area's benchmarks, in the order they run; ``--only`` picks by the module's name."""


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
            for module in AREAS:
                if only and only not in module.__name__:
                    continue
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
