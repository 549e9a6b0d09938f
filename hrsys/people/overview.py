"""Reads of a person for the pages: the heading of a person's page (name, agency, position)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from hrsys.agencies.models import Agency
from hrsys.core.db import read_engine
from hrsys.people.models import Person

A = Agency.__table__
P = Person.__table__


def person_heading(engine: Engine, person_id: int) -> dict[str, Any] | None:
    """Thai and English name, agency, position, role id and since when, of a person (None if there is none)."""
    with read_engine(engine).connect() as conn:
        row = conn.execute(
            sa.select(
                P.c.id, P.c.first_name_th, P.c.last_name_th, P.c.first_name_en, P.c.last_name_en,
                P.c.position_type, P.c.position_level, P.c.role_id, P.c.role_since,
                A.c.name_th.label("agency_th"), A.c.name_en.label("agency_en"),
            )
            .select_from(P.outerjoin(A, A.c.id == P.c.agency_id))
            .where(P.c.id == person_id)
        ).first()  # fmt: skip
    if row is None:
        return None
    return {
        "id": row.id,
        "name_th": f"{row.first_name_th} {row.last_name_th}",
        "name_en": f"{row.first_name_en} {row.last_name_en}",
        "agency_th": row.agency_th,
        "agency_en": row.agency_en,
        "position_type": row.position_type,
        "position_level": row.position_level,
        "role_id": row.role_id,
        "role_since": row.role_since,
    }
