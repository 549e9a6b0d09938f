"""The knowledge-transfer plan and the end report's results, into the counterparts' skill histories.

A plan names, per civil-servant counterpart (never the secondee), the skills to learn and
the target level on each skill's framework scale (:func:`plan_errors` checks it, one 422
for every item at fault; :func:`add_plan` writes it). Each level reached in an end report
(:func:`record_end_report`) becomes an :class:`~hrsys.skills.assessments.models.Assessment`
with source ``knowledge_transfer`` and ``secondment_id`` set, appended to the
counterpart's history; the counterpart's current profile (``current_skill``) is
then recomputed for that skill (and its equivalents) by the skills package's one
profile rule (:func:`hrsys.skills.assessments.service.refresh_current`), in the
same transaction, under a lock on the counterpart.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.orm import Session

from hrsys.allocation.service import lock_person
from hrsys.core.errors import FieldError, check
from hrsys.people.models import Person, PersonKind
from hrsys.secondments.lookups import PER
from hrsys.secondments.models import KnowledgeTransfer, Secondment
from hrsys.secondments.schemas import EndReportInput, KnowledgeTransferItem, KnowledgeTransferResult
from hrsys.skills.assessments.models import Assessment, AssessmentSource
from hrsys.skills.assessments.service import refresh_current
from hrsys.skills.catalog.models import ProficiencyLevel, Skill
from hrsys.skills.catalog.refs import SkillInfo, lookup_skill


def scale_max(session: Session, skill_ids: set[int]) -> dict[int, int]:
    """Highest level of each skill's framework scale (10 where the framework defines none)."""
    if not skill_ids:
        return {}
    rows = session.execute(
        sa.select(Skill.id, sa.func.max(ProficiencyLevel.level))
        .outerjoin(ProficiencyLevel, ProficiencyLevel.framework_id == Skill.framework_id)
        .where(Skill.id.in_(skill_ids))
        .group_by(Skill.id)
    ).all()
    return {r[0]: (r[1] if r[1] is not None else 10) for r in rows}


def skill_lookups(
    session: Session, items: Sequence[KnowledgeTransferItem | KnowledgeTransferResult], field: str
) -> tuple[list[SkillInfo | None], list[FieldError]]:
    """Each item's skill, named as ``FRAMEWORK:CODE`` (``skill``) or by id (``skill_id``), through the resolver
    every input uses; and the errors: unknown skills, and pairs written twice in the two forms."""
    found: list[SkillInfo | None] = []
    errors: list[FieldError] = []
    for n, item in enumerate(items):
        info, errs = lookup_skill(
            session,
            ref=item.skill,
            skill_id=item.skill_id,
            field=f"{field}[{n}].skill",
            id_field=f"{field}[{n}].skill_id",
        )
        found.append(info)
        errors += errs
    first: dict[tuple[int, int], int] = {}
    for n, (item, info) in enumerate(zip(items, found, strict=True)):
        if info is None:
            continue
        key = (item.counterpart_id, info.id)
        if key in first and (items[first[key]].skill, items[first[key]].skill_id) != (item.skill, item.skill_id):
            errors.append(FieldError(f"{field}[{n}]", "the same counterpart and skill appear twice"))
        first.setdefault(key, n)
    return found, errors


def plan_errors(
    session: Session, items: Sequence[KnowledgeTransferItem], secondee_id: int | None, field: str
) -> tuple[list[int], list[FieldError]]:
    """Counterparts must be civil servants other than the secondee; skills must exist, be in use, have the level.
    Returns the items' skill ids (valid when there are no errors) and the errors."""
    if not items:
        return [], []
    skills, errors = skill_lookups(session, items, field)
    people = {
        r.id: r
        for r in session.execute(
            sa.select(PER.c.id, PER.c.kind, PER.c.active).where(PER.c.id.in_({i.counterpart_id for i in items}))
        )
    }
    top = scale_max(session, {info.id for info in skills if info is not None})
    for n, (item, skill) in enumerate(zip(items, skills, strict=True)):
        where = f"{field}[{n}]"
        person = people.get(item.counterpart_id)
        if person is None:
            errors.append(FieldError(f"{where}.counterpart_id", f"no person with id {item.counterpart_id}"))
        elif person.kind != PersonKind.civil_servant:
            errors.append(FieldError(f"{where}.counterpart_id", "a counterpart must be a civil servant"))
        elif item.counterpart_id == secondee_id:
            errors.append(FieldError(f"{where}.counterpart_id", "the secondee cannot be their own counterpart"))
        elif not person.active:
            errors.append(FieldError(f"{where}.counterpart_id", "this person is no longer active"))
        if skill is None:
            continue
        named = f"{where}.skill" if item.skill is not None else f"{where}.skill_id"
        if skill.retired:
            errors.append(FieldError(named, "this skill is retired"))
        elif item.target_level > top[skill.id]:
            errors.append(FieldError(f"{where}.target_level", f"the skill's scale goes up to {top[skill.id]}"))
    return [info.id if info else 0 for info in skills], errors


def add_plan(
    session: Session, secondment_id: int, items: Sequence[KnowledgeTransferItem], skill_ids: Sequence[int]
) -> None:
    """Add the plan's rows (items checked by :func:`plan_errors`, which gave their skill ids)."""
    for item, skill_id in zip(items, skill_ids, strict=True):
        session.add(
            KnowledgeTransfer(
                secondment_id=secondment_id,
                counterpart_id=item.counterpart_id,
                skill_id=skill_id,
                target_level=item.target_level,
            )
        )
    session.flush()


def record_end_report(
    session: Session, s: Secondment, data: EndReportInput, *, recorded_by_user_id: int | None, today: dt.date
) -> None:
    """Check the end report's results against the plan (one 422 listing every result at fault), then record
    each level reached on its plan row and, above 0, as an assessment in the counterpart's history."""
    assessed_on = data.assessed_on or s.ends_on
    plan = {
        (k.counterpart_id, k.skill_id): k
        for k in session.scalars(sa.select(KnowledgeTransfer).where(KnowledgeTransfer.secondment_id == s.id))
    }
    top = scale_max(session, {k[1] for k in plan})
    skills, errors = skill_lookups(session, data.results, "results")
    if assessed_on < s.starts_on or assessed_on > today:
        errors.append(FieldError("assessed_on", f"must be between {s.starts_on} and today"))
    for n, (result, skill) in enumerate(zip(data.results, skills, strict=True)):
        if skill is None:
            continue
        if (result.counterpart_id, skill.id) not in plan:
            errors.append(
                FieldError(f"results[{n}]", "this counterpart and skill are not in the knowledge-transfer plan")
            )
        elif result.level_reached > top[skill.id]:
            errors.append(FieldError(f"results[{n}].level_reached", f"the skill's scale goes up to {top[skill.id]}"))
    check(errors)
    secondee = session.get(Person, s.person_id)
    assert secondee is not None
    for result, found in zip(data.results, skills, strict=True):
        assert found is not None
        row = plan[(result.counterpart_id, found.id)]
        row.level_reached = result.level_reached
        if result.level_reached > 0:
            lock_person(session, result.counterpart_id)
            assessment = Assessment(
                person_id=result.counterpart_id,
                skill_id=found.id,
                level=result.level_reached,
                source=AssessmentSource.knowledge_transfer,
                assessor_id=s.person_id,
                assessor_name=f"{secondee.first_name_en} {secondee.last_name_en}",
                evidence=f"End report of secondment {s.id}",
                assessed_on=assessed_on,
                secondment_id=s.id,
                recorded_by_user_id=recorded_by_user_id,
            )
            session.add(assessment)
            session.flush()
            refresh_current(session, result.counterpart_id, [found.id], as_of=today)
            row.assessment_id = assessment.id
