"""Base classes for API input and output structs."""

from __future__ import annotations

from contextvars import ContextVar

import msgspec

from hrsys.core.errors import FieldError

_SKIP_CHECKS: ContextVar[bool] = ContextVar("hrsys_skip_checks", default=False)


class CrossFieldError(ValueError):
    """Raised from ``__post_init__`` when ``check()`` finds errors; carries them all."""

    def __init__(self, errors: list[FieldError]) -> None:
        super().__init__("; ".join(f"{e.field}: {e.reason}" for e in errors))
        self.errors = errors


class Input(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """An API request body. Unknown fields are refused; ``check`` holds rules across fields."""

    def check(self) -> list[FieldError]:
        return []

    def __post_init__(self) -> None:
        if _SKIP_CHECKS.get():
            return
        errors = self.check()
        if errors:
            raise CrossFieldError(errors)


class Output(msgspec.Struct, kw_only=True):
    """An API response body."""
