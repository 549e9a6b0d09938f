"""Statement helpers shared by the reads of team proposals (:mod:`~hrsys.taskforces.walk`,
:mod:`~hrsys.taskforces.pool`) and by the collaboration sources registered with
:mod:`~hrsys.taskforces.extensions`."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session

from hrsys.skills.assessments.models import CurrentSkill

CS = CurrentSkill.__table__

Target = Session | sa.Connection


def valid_on(on: dt.date) -> sa.ColumnElement[bool]:
    return sa.or_(CS.c.valid_until.is_(None), CS.c.valid_until >= on)


def among(target: Target, column: Any, ids: Any) -> sa.ColumnElement[bool]:
    """``column IN ids``; on PostgreSQL ``column = ANY(array)``, one parameter however many ids (hundreds of
    placeholders cost more to render and send than the query takes to run)."""
    bind = target if isinstance(target, sa.Connection) else target.get_bind()
    if bind.dialect.name == "postgresql":
        return column == sa.any_(sa.bindparam(None, list(ids), type_=postgresql.ARRAY(sa.Integer)))
    return column.in_(list(ids))  # type: ignore[no-any-return]
