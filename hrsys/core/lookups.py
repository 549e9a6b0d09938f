"""Reading rows: one by primary key or a 404 (the lookups every service begins its commands with), and the
free-text filter of lists."""

from __future__ import annotations

from typing import Any, TypeVar

import sqlalchemy as sa
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


def contains_text(q: str, *columns: Any) -> sa.ColumnElement[bool]:
    """Any of ``columns`` contains ``q``, in the order given. A Thai column (its name ends in ``_th``) is matched
    as typed, Thai having no case; the others ignoring case, ``lower(column) LIKE '%q%'``."""
    return sa.or_(
        *(
            column.like(f"%{q}%") if column.key.endswith("_th") else sa.func.lower(column).like(f"%{q.lower()}%")
            for column in columns
        )
    )
