"""What the people domain registers with the layers below it (imported by the package, so any use of
people brings it): headcounts per agency for the agency tree, people as holders of their home agency,
and the person table for the access scope rules."""

from __future__ import annotations

from typing import cast

import sqlalchemy as sa
from sqlalchemy.orm import Session

from hrsys.access.scope import People, register_people
from hrsys.agencies.cache import count_people_with
from hrsys.agencies.service import register_holder
from hrsys.people.models import Person, PersonKind

count_people_with(sa.select(Person.agency_id, sa.func.count()).group_by(Person.agency_id))


def _has_people(session: Session, agency_id: int) -> bool:
    return session.scalar(sa.select(Person.id).where(Person.agency_id == agency_id).limit(1)) is not None


register_holder("people", _has_people)


register_people(
    People(table=cast(sa.Table, Person.__table__), kind=Person.__table__.c.kind, external=PersonKind.external_expert)
)
