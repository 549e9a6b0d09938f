"""What an area's benchmarks are given (:class:`BenchContext`) and return (:class:`BenchRow`), and the
latency helpers they share.

Each area's benchmarks are a module ``hrsys/bench/<area>.py`` with
``def benchmarks(ctx: BenchContext) -> list[BenchRow]`` (and, for heavy writes that must not slow the
figures after them, ``late_benchmarks``), listed in :data:`hrsys.bench.run.AREAS`.
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
