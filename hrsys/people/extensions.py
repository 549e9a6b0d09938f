"""What the people domain registers with the layers below it (imported by the package, so any use of
people brings it): headcounts per agency for the agency tree, and people as holders of their home agency."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from hrsys.agencies.cache import count_people_with
from hrsys.agencies.service import register_holder
from hrsys.people.models import Person

count_people_with(sa.select(Person.agency_id, sa.func.count()).group_by(Person.agency_id))


def _has_people(session: Session, agency_id: int) -> bool:
    return session.scalar(sa.select(Person.id).where(Person.agency_id == agency_id).limit(1)) is not None


register_holder("people", _has_people)
