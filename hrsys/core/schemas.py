"""Base classes for API input and output structs."""

from __future__ import annotations

from contextvars import ContextVar
from typing import ClassVar

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

    checks_in_service: ClassVar[bool] = False
    """True where the service calls ``check()`` itself, together with its database lookups, so that one 422
    lists the fields at fault of both kinds (decoding then checks types only)."""

    def check(self) -> list[FieldError]:
        return []

    def __post_init__(self) -> None:
        if _SKIP_CHECKS.get() or self.checks_in_service:
            return
        errors = self.check()
        if errors:
            raise CrossFieldError(errors)


class Output(msgspec.Struct, kw_only=True):
    """An API response body."""
