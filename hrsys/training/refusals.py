"""The refusal enrolments and development plans share: a stale edit.

Moves their flows do not allow are refused by :mod:`hrsys.training.flows`.
"""

from __future__ import annotations

from typing import Any

from hrsys.core.errors import Conflict


def check_version(what: str, row: Any, version: int | None) -> None:
    """409 ``stale_edit`` when the caller read another version of ``row`` than the current one."""
    if version is not None and version != row.version:
        raise Conflict(
            f"{what} {row.id} was changed by someone else (version {row.version}, you sent {version})",
            rule="stale_edit",
        )
