"""Extension points for the synthetic dataset and the benchmarks.

Each domain package may provide:

- ``hrsys/<domain>/generate.py`` with ``def generate(ctx: GenerateContext) -> int``: add that
  domain's rows to a generated national-scale database (deterministic from ``ctx.seed``),
  return the number of rows written. Steps run in the order of :data:`GENERATE_STEPS`.
  The same seed must give the same rows on SQLite and PostgreSQL: every query whose rows feed the
  random choices has an ``ORDER BY`` (each database returns unordered rows in its own order: SQLite by
  key, PostgreSQL as the heap lies), and ids are assigned in Python, not by sequences
  (tests/test_generate.py compares every table on both).
- ``hrsys/<domain>/bench.py`` with ``def benchmarks(ctx: BenchContext) -> list[BenchRow]``:
  measure that domain's hot paths on the generated database.
"""

from __future__ import annotations

import random
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.engine import Engine

from hrsys.config import Settings

GENERATE_STEPS = [
    "hrsys.skills.generate",
    "hrsys.careers.generate",
    "hrsys.training.generate",
    "hrsys.taskforces.generate",
    "hrsys.secondments.generate",
]
BENCH_MODULES = [
    "hrsys.bench.people",
    "hrsys.skills.bench",
    "hrsys.careers.bench",
    "hrsys.training.bench",
    "hrsys.taskforces.bench",
    "hrsys.secondments.bench",
    "hrsys.access.bench",
    "admin.bench",
]


@dataclass
class GenerateContext:
    engine: Engine
    seed: int
    staff: int
    """Number of civil servants generated."""
    progress: Callable[[str, int, int], None] = lambda label, done, total: None
    """Report progress: ``progress("assessments", done, total)``."""
    info: dict[str, Any] = field(default_factory=dict)
    """Facts earlier steps leave for later ones (id ranges, counts)."""

    def rng(self, salt: str) -> random.Random:
        """A deterministic generator per step, so steps do not disturb each other's streams."""
        return random.Random(f"{self.seed}:{salt}")


@dataclass
class BenchRow:
    name: str
    database: str
    value: str
    """The figure as printed, e.g. ``"p50 0.41 ms / p95 0.62 ms"`` or ``"38.2 s"``."""
    target: str = ""
    ok: bool | None = None
    note: str = ""


@dataclass
class BenchContext:
    engine: Engine
    database: str
    """``sqlite`` or ``postgresql``."""
    database_url: str
    staff: int
    seed: int
    info: dict[str, Any] = field(default_factory=dict)
    settings: Settings = field(default_factory=Settings)
    """The settings the bench was started with (``settings.bench``, ``settings.access``, ...)."""

    def rng(self, salt: str) -> random.Random:
        return random.Random(f"{self.seed}:bench:{salt}")


def percentiles(samples_ms: list[float]) -> tuple[float, float, float]:
    """p50, p95, p99 of ``samples_ms``."""
    ordered = sorted(samples_ms)
    if len(ordered) == 1:
        return ordered[0], ordered[0], ordered[0]
    q = statistics.quantiles(ordered, n=100, method="inclusive")
    return q[49], q[94], q[98]


def time_calls(fn: Callable[[int], object], n: int = 200, warmup: int = 10) -> list[float]:
    """Call ``fn(i)`` ``n`` times after ``warmup`` calls; return each call's milliseconds."""
    for i in range(warmup):
        fn(i)
    samples = []
    for i in range(n):
        t0 = time.perf_counter()
        fn(i)
        samples.append((time.perf_counter() - t0) * 1000)
    return samples


def latency_row(name: str, database: str, samples_ms: list[float], p95_target_ms: float | None) -> BenchRow:
    p50, p95, p99 = percentiles(samples_ms)
    return BenchRow(
        name=name,
        database=database,
        value=f"p50 {p50:.2f} ms, p95 {p95:.2f} ms, p99 {p99:.2f} ms",
        target=f"p95 < {p95_target_ms:g} ms" if p95_target_ms is not None else "",
        ok=(p95 < p95_target_ms) if p95_target_ms is not None else None,
    )
