"""Offset pagination with a cheap total: exact up to ``COUNT_CAP`` rows, then "at least"."""

from __future__ import annotations

from typing import Generic, TypeVar

import msgspec

from hrsys.core.errors import FieldError

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


def page_errors(limit: int, offset: int | None = None) -> list[FieldError]:
    """The 422 field errors of a page's bounds: ``limit`` between 1 and ``MAX_LIMIT``, ``offset`` (when given)
    0 or more. A list, so that a caller adds the errors of its own filters before raising them all at once."""
    errors: list[FieldError] = []
    if not 1 <= limit <= MAX_LIMIT:
        errors.append(FieldError("limit", f"must be between 1 and {MAX_LIMIT}"))
    if offset is not None and offset < 0:
        errors.append(FieldError("offset", "must be 0 or more"))
    return errors
