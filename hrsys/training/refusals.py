"""The refusals enrolments and development plans share: a stale edit, and a move their flow does not allow."""

from __future__ import annotations

from typing import Any

from hrsys.core.errors import Conflict
from hrsys.training import flows


def check_version(what: str, row: Any, version: int | None) -> None:
    """409 ``stale_edit`` when the caller read another version of ``row`` than the current one."""
    if version is not None and version != row.version:
        raise Conflict(
            f"{what} {row.id} was changed by someone else (version {row.version}, you sent {version})",
            rule="stale_edit",
        )


def check_move(flow: dict[str, tuple[str, ...]], what: str, row: Any, new: str, rule: str) -> None:
    """409 ``rule`` listing the allowed moves when ``flow`` does not lead from ``row``'s status to ``new``."""
    if not flows.can_move(flow, row.status.value, new):
        allowed = flows.allowed(flow, row.status.value)
        raise Conflict(
            f"{what} {row.id} cannot go from {row.status.value} to {new}; "
            f"allowed: {', '.join(allowed) if allowed else 'none (final state)'}",
            allowed=list(allowed),
            rule=rule,
        )
