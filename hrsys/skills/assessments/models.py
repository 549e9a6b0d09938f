"""Skill assessments (append-only evidence) and the current profile derived from them (``current_skill``)."""

from __future__ import annotations

import datetime as dt
import enum
from typing import cast

import sqlalchemy as sa
from advanced_alchemy.types import DateTimeUTC
from sqlalchemy.orm import Mapped, mapped_column

from hrsys.core.db import Base, enum_column, utcnow


class AssessmentSource(enum.StrEnum):
    self = "self"
    manager = "manager"
    assessment_centre = "assessment_centre"
    certification = "certification"
    training = "training"
    knowledge_transfer = "knowledge_transfer"


class Assessment(Base):
    """One piece of evidence of a person's level in a skill. Append-only."""

    __tablename__ = "assessment"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(sa.ForeignKey("person.id", ondelete="CASCADE"))
    skill_id: Mapped[int] = mapped_column(sa.ForeignKey("skill.id", ondelete="RESTRICT"), index=True)
    level: Mapped[int] = mapped_column(sa.Integer)
    source: Mapped[AssessmentSource] = mapped_column(enum_column(AssessmentSource))
    assessor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("person.id", ondelete="SET NULL"))
    assessor_name: Mapped[str | None] = mapped_column(sa.String(300))
    evidence: Mapped[str | None] = mapped_column(sa.Text)
    assessed_on: Mapped[dt.date] = mapped_column(sa.Date)
    valid_until: Mapped[dt.date | None] = mapped_column(sa.Date)
    enrolment_id: Mapped[int | None] = mapped_column(sa.ForeignKey("enrolment.id", ondelete="SET NULL"))
    secondment_id: Mapped[int | None] = mapped_column(sa.ForeignKey("secondment.id", ondelete="SET NULL"))
    recorded_at: Mapped[dt.datetime] = mapped_column(
        DateTimeUTC(timezone=True), default=utcnow, server_default=sa.func.now()
    )
    recorded_by_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("app_user.id", ondelete="SET NULL"))

    __table_args__ = (
        sa.Index("ix_assessment_person_skill_assessed", "person_id", "skill_id", "assessed_on"),
        sa.CheckConstraint("level >= 0 AND level <= 10", name="level_range"),
        sa.CheckConstraint("valid_until IS NULL OR valid_until >= assessed_on", name="valid_after_assessed"),
        sa.CheckConstraint("source <> 'certification' OR valid_until IS NOT NULL", name="certification_has_expiry"),
    )


class CurrentSkill(Base):
    """A person's current level in a skill, derived from assessments by the profile rule.

    Maintained in the same transaction as each new assessment and rebuilt by
    ``hrsys assessments rebuild-profiles``; never edited by hand.
    """

    __tablename__ = "current_skill"

    person_id: Mapped[int] = mapped_column(sa.ForeignKey("person.id", ondelete="CASCADE"), primary_key=True)
    skill_id: Mapped[int] = mapped_column(sa.ForeignKey("skill.id", ondelete="RESTRICT"), primary_key=True)
    level: Mapped[int] = mapped_column(sa.Integer)
    source: Mapped[AssessmentSource] = mapped_column(enum_column(AssessmentSource))
    assessment_id: Mapped[int] = mapped_column(sa.ForeignKey("assessment.id", ondelete="CASCADE"))
    assessed_on: Mapped[dt.date] = mapped_column(sa.Date)
    valid_until: Mapped[dt.date | None] = mapped_column(sa.Date)

    __table_args__ = (
        # Covers the validity test too: holders of a skill are counted without reading rows.
        sa.Index("ix_current_skill_skill_level_person", "skill_id", "level", "person_id", "valid_until"),
        # The rows naming an assessment: its deletion cascades here, and an import repoints repeats' winners.
        sa.Index("ix_current_skill_assessment", "assessment_id"),
        sa.CheckConstraint("level >= 0 AND level <= 10", name="level_range"),
        # On SQLite the rows live in the primary-key b-tree: a (person, skill) probe is one seek.
        {"sqlite_with_rowid": False},
    )


# The tables typed as such, for the modules that write Core statements (see hrsys.skills.catalog.models).
assessment_table = cast(sa.Table, Assessment.__table__)
current_skill_table = cast(sa.Table, CurrentSkill.__table__)


class AssessmentRequest(Base):
    """A person asks for a trusted assessment of a skill (a manager's, an assessment centre's): the subject of an
    ``assessment`` request (:mod:`hrsys.requests`). Approving it records the assessment named here."""

    __tablename__ = "assessment_request"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(sa.ForeignKey("person.id", ondelete="CASCADE"))
    skill_id: Mapped[int] = mapped_column(sa.ForeignKey("skill.id", ondelete="RESTRICT"))
    source: Mapped[AssessmentSource] = mapped_column(enum_column(AssessmentSource, name="assessment_request_source"))
    note: Mapped[str | None] = mapped_column(sa.Text)
    """What the person says about why (their evidence, the work to look at)."""
    requested_by_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("app_user.id", ondelete="SET NULL"))
    requested_at: Mapped[dt.datetime] = mapped_column(
        DateTimeUTC(timezone=True), default=utcnow, server_default=sa.func.now()
    )
    assessment_id: Mapped[int | None] = mapped_column(sa.ForeignKey("assessment.id", ondelete="SET NULL"))
    """The assessment recorded when the request was approved."""

    __table_args__ = (
        sa.Index("ix_assessment_request_person_skill", "person_id", "skill_id"),
        sa.CheckConstraint("source IN ('manager', 'assessment_centre')", name="trusted_source"),
    )
