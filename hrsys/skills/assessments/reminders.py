"""Reminders of expiring certifications (registered with :mod:`hrsys.notifications.reminders`).

A certification (an assessment of source ``certification``, which always has ``valid_until``) that
expires within 60 days earns the 60-day reminder, within 30 days the 30-day one
(:func:`~hrsys.notifications.reminder_rules.cert_stage`), to the person's user and their nearest HR
officers. A certification already renewed (a later certification of the same person and skill valid
longer) is not reminded. One scan of the certifications in the window, streamed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import sqlalchemy as sa
from sqlalchemy.orm import Session, aliased

from hrsys.access.models import User
from hrsys.notifications.bulk import Notice
from hrsys.notifications.recipients import HrOfficers, users
from hrsys.notifications.reminder_rules import cert_stage, cert_window
from hrsys.notifications.reminders import STREAM, register_source
from hrsys.people.models import Person
from hrsys.skills.assessments.models import Assessment, AssessmentSource
from hrsys.skills.catalog.models import Skill


def expiring_certifications(session: Session, today: dt.date) -> Iterator[Notice]:
    lo, hi = cert_window(today)
    a = Assessment
    later = aliased(Assessment)
    renewed = (
        sa.select(later.id)
        .where(
            later.person_id == a.person_id,
            later.skill_id == a.skill_id,
            later.source == AssessmentSource.certification,
            later.valid_until > a.valid_until,
        )
        .exists()
    )
    stmt = (
        sa.select(
            a.id,
            a.person_id,
            a.valid_until,
            Skill.name_th.label("skill_th"),
            Skill.name_en.label("skill_en"),
            Person.first_name_th,
            Person.last_name_th,
            Person.first_name_en,
            Person.last_name_en,
            Person.agency_id,
            User.id.label("user_id"),
        )
        .join(Person, Person.id == a.person_id)
        .join(Skill, Skill.id == a.skill_id)
        .outerjoin(User, sa.and_(User.person_id == Person.id, User.active.is_(True)))
        .where(
            a.source == AssessmentSource.certification,
            a.valid_until >= lo,
            a.valid_until <= hi,
            Person.active.is_(True),
            Person.anonymised_at.is_(None),
            ~renewed,
        )
        .execution_options(yield_per=STREAM)
    )
    hr = HrOfficers(session)
    for r in session.execute(stmt):
        stage = cert_stage(r.valid_until, today)
        if stage is None:
            continue
        yield Notice(
            user_ids=users([r.user_id], hr.of(r.agency_id)),
            cause_key=f"cert_expiry_{stage}:assessment:{r.id}",
            kind=f"reminder_cert_expiry_{stage}",
            params={
                "skill_th": r.skill_th,
                "skill_en": r.skill_en,
                "person_th": f"{r.first_name_th} {r.last_name_th}",
                "person_en": f"{r.first_name_en} {r.last_name_en}",
                "valid_until": r.valid_until,
            },
            link=f"/people/{r.person_id}",
        )


def register() -> None:
    register_source("certifications_expiring", expiring_certifications)
