"""What a data generator is given: :class:`GenerateContext`.

Each area's generator is a module ``hrsys/generate/<area>.py`` with
``def generate(ctx: GenerateContext) -> int``: it adds that area's rows to a generated national-scale
database (deterministic from ``ctx.seed``) and returns the number of rows written. The steps run in the
order of :data:`hrsys.generate.national.STEPS`. The same seed must give the same rows on SQLite and
PostgreSQL: every query whose rows feed the random choices has an ``ORDER BY`` (each database returns
unordered rows in its own order: SQLite by key, PostgreSQL as the heap lies), and ids are assigned in
Python, not by sequences (tests/test_generate.py compares every table on both).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.engine import Engine


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
