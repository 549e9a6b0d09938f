"""Knowledge transfer into the counterparts' skill histories.

Each level reached in an end report becomes an :class:`~hrsys.skills.models.Assessment`
with source ``knowledge_transfer`` and ``secondment_id`` set, appended to the
counterpart's history, and the counterpart's current profile (``current_skill``)
is brought up to date in the same transaction.

INTERIM: the skills package (issue 4) owns the profile rule. Until it exposes a
function that records an assessment and maintains ``current_skill``, this module
applies the documented rule itself, for the one (person, skill) pair it touched:
among the pair's assessments still valid on the day (no ``valid_until`` or not
yet past), the most trusted source wins (:data:`INTERIM_TRUST_ORDER`), the newest
within that source. Replace :func:`_refresh_current_skill` by the skills
service's function when it lands.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Session

from hrsys.skills.models import Assessment, AssessmentSource, CurrentSkill

INTERIM_TRUST_ORDER: tuple[AssessmentSource, ...] = (
    AssessmentSource.certification,
    AssessmentSource.assessment_centre,
    AssessmentSource.training,
    AssessmentSource.knowledge_transfer,
    AssessmentSource.manager,
    AssessmentSource.self,
)
"""Most trusted first."""


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
    _refresh_current_skill(session, person_id, skill_id, today)
    return assessment.id


def _refresh_current_skill(session: Session, person_id: int, skill_id: int, today: dt.date) -> None:
    rank = {source: i for i, source in enumerate(INTERIM_TRUST_ORDER)}
    rows = session.execute(
        sa.select(Assessment.id, Assessment.level, Assessment.source, Assessment.assessed_on, Assessment.valid_until)
        .where(Assessment.person_id == person_id, Assessment.skill_id == skill_id)
        .where(sa.or_(Assessment.valid_until.is_(None), Assessment.valid_until >= today))
    ).all()
    session.execute(
        sa.delete(CurrentSkill).where(CurrentSkill.person_id == person_id, CurrentSkill.skill_id == skill_id)
    )
    if not rows:
        return
    best = min(rows, key=lambda r: (rank.get(r.source, len(rank)), -r.assessed_on.toordinal(), -r.id))
    session.add(
        CurrentSkill(
            person_id=person_id,
            skill_id=skill_id,
            level=best.level,
            source=best.source,
            assessment_id=best.id,
            assessed_on=best.assessed_on,
            valid_until=best.valid_until,
        )
    )
    session.flush()
