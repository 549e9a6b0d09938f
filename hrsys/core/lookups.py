"""Reading one row by primary key, or a 404: the lookups every service begins its commands with."""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy.orm import Session

from hrsys.core.errors import NotFound

M = TypeVar("M")


def get_or_404(session: Session, model: type[M], key: Any, what: str, **options: Any) -> M:
    """The ``model`` row ``key`` (``options`` go to ``Session.get``, e.g. ``with_for_update``); ``NotFound(what,
    key)`` if there is none."""
    row = session.get(model, key, **options)
    if row is None:
        raise NotFound(what, key)
    return row


def part_or_404(session: Session, model: type[M], key: Any, what: str, **parent: Any) -> M:
    """The ``model`` row ``key`` when it is part of the parent named by ``parent`` (its column of that name holds
    the value given, e.g. ``plan_id=plan.id``); ``NotFound(what, key)`` if there is none or it belongs to another,
    so that a client cannot tell the two apart."""
    row = session.get(model, key)
    if row is None or any(getattr(row, column) != value for column, value in parent.items()):
        raise NotFound(what, key)
    return row
