"""What careers adds to people: the people list's filter by current role, and role codes by id
(:mod:`hrsys.people.roles`). Registered at import of :mod:`hrsys.careers`."""

from __future__ import annotations

from collections.abc import Collection, Hashable
from typing import Annotated, Any

import sqlalchemy as sa
from litestar.params import QueryParameter
from sqlalchemy.engine import Engine

from hrsys.careers.codes import role_codes
from hrsys.careers.models import Role
from hrsys.core.db import read_engine
from hrsys.core.errors import Invalid
from hrsys.people import list_filters, roles
from hrsys.people.list_filters import ALL_BUT_NAME_INDEX, ListFilter, Param
from hrsys.people.models import Person

P = Person.__table__
R = Role.__table__


def _role_condition(_variant: Hashable, _dialect: str) -> list[sa.ColumnElement[bool]]:
    return [P.c.role_id == sa.select(R.c.id).where(R.c.code == sa.bindparam("role")).scalar_subquery()]


def _known_role(engine: Engine, code: str) -> None:
    """An empty page by role: 422 when no role has that code."""
    with read_engine(engine).connect() as conn:
        if conn.scalar(sa.select(R.c.id).where(R.c.code == code)) is None:
            raise Invalid.one("role", f"no role with code {code}")


ROLE_FILTER = ListFilter(
    "role",
    _role_condition,
    (Param("role", Annotated[str | None, QueryParameter(description="Current role code")]),),
    fast_paths=ALL_BUT_NAME_INDEX,
    when_empty=_known_role,
    order=50,
)


def _ids(conn: Any, wanted: Collection[str] | None) -> dict[str, int]:
    stmt = sa.select(R.c.code, R.c.id)
    if wanted is not None:
        stmt = stmt.where(R.c.code.in_(list(wanted)))
    return {code: rid for code, rid in conn.execute(stmt)}


def _code_of(conn: Any, role_id: int) -> str | None:
    return conn.scalar(sa.select(R.c.code).where(R.c.id == role_id))  # type: ignore[no-any-return]


def register() -> None:
    list_filters.register(ROLE_FILTER)
    roles.register(
        roles.RoleCodes(
            codes=lambda engine, reload: role_codes.get(engine, reload=reload).by_id,
            fresh=role_codes.fresh,
            ids=_ids,
            code_of=_code_of,
        )
    )
