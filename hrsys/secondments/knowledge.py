"""Knowledge transfer into the counterparts' skill histories.

Each level reached in an end report becomes an :class:`~hrsys.skills.assessments.models.Assessment`
with source ``knowledge_transfer`` and ``secondment_id`` set, appended to the
counterpart's history; the counterpart's current profile (``current_skill``) is
then recomputed for that skill (and its equivalents) by the skills package's one
profile rule (:func:`hrsys.skills.assessments.service.refresh_current`), in the
same transaction, under a lock on the counterpart.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from hrsys.allocation.service import lock_person
from hrsys.skills.assessments.models import Assessment, AssessmentSource
from hrsys.skills.assessments.service import refresh_current


def record_knowledge_transfer_assessment(
    session: Session,
    *,
    person_id: int,
    skill_id: int,
    level: int,
    assessed_on: dt.date,
    secondment_id: int,
    assessor_id: int | None,
    assessor_name: str | None,
    evidence: str,
    recorded_by_user_id: int | None,
    today: dt.date,
) -> int:
    """Append one knowledge-transfer assessment and refresh the counterpart's current level; return its id."""
    lock_person(session, person_id)
    assessment = Assessment(
        person_id=person_id,
        skill_id=skill_id,
        level=level,
        source=AssessmentSource.knowledge_transfer,
        assessor_id=assessor_id,
        assessor_name=assessor_name,
        evidence=evidence,
        assessed_on=assessed_on,
        secondment_id=secondment_id,
        recorded_by_user_id=recorded_by_user_id,
    )
    session.add(assessment)
    session.flush()
    refresh_current(session, person_id, [skill_id], as_of=today)
    return assessment.id
