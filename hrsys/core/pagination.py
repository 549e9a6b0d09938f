"""Offset pagination with a cheap total: exact up to ``COUNT_CAP`` rows, then "at least"."""

from __future__ import annotations

from typing import Generic, TypeVar

import msgspec

T = TypeVar("T")

MAX_LIMIT = 200
COUNT_CAP = 1_000
"""Counting stops here: a total over the cap is reported as ``total_exact: false``."""


class Page(msgspec.Struct, Generic[T]):
    items: list[T]
    total: int
    """Number of matching rows; a lower bound when ``total_exact`` is false."""
    total_exact: bool
    limit: int
    offset: int
