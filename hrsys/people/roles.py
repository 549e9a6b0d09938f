"""A person's current role as people reads it: ``person.role_id`` names a role of careers, which registers
here how codes and ids are read (:func:`register`, at import of :mod:`hrsys.careers`).

People create and edit a person by role code, list people with their role codes (a per-process copy, for
the hot list) and import them by code; without careers registered no role is known.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import Engine


@dataclass(frozen=True)
class RoleCodes:
    codes: Callable[[Engine, bool], Mapping[int, str]]
    """``(engine, reload)`` -> every role's code by id: a per-process copy checked against the roles' version
    stamp (``reload``: read again now, for a row naming a role the copy does not know)."""
    fresh: Callable[[Engine], bool]
    """Whether :attr:`codes` would answer without a query."""
    ids: Callable[[Any, Collection[str] | None], dict[str, int]]
    """``(connection or session, codes)`` -> the ids of those codes that exist (None: every role)."""
    code_of: Callable[[Any, int], str | None]
    """``(connection or session, role id)`` -> its code."""


def _nothing(*_: Any) -> dict[Any, Any]:
    return {}


_NONE = RoleCodes(codes=_nothing, fresh=lambda _engine: True, ids=_nothing, code_of=lambda *_: None)
_registered: list[RoleCodes] = [_NONE]


def register(resolver: RoleCodes) -> None:
    _registered[0] = resolver


def codes(engine: Engine, *, reload: bool = False) -> Mapping[int, str]:
    return _registered[0].codes(engine, reload)


def fresh(engine: Engine) -> bool:
    return _registered[0].fresh(engine)


def ids(conn: Any, wanted: Collection[str] | None = None) -> dict[str, int]:
    return _registered[0].ids(conn, wanted)


def code_of(conn: Any, role_id: int) -> str | None:
    return _registered[0].code_of(conn, role_id)
