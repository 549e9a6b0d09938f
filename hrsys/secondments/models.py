"""Secondments of external experts and civil servants, their reviews, history and knowledge transfer."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from advanced_alchemy.types import DateTimeUTC, JsonB
from sqlalchemy.orm import Mapped, mapped_column

from hrsys.core.db import Base, TimestampMixin, enum_column, utcnow
from hrsys.secondments.lifecycle import CoiDecision, SecondmentStatus

__all__ = [
    "CoiDecision",
    "ConflictOfInterestReview",
    "KnowledgeTransfer",
    "Secondment",
    "SecondmentStatus",
    "SecondmentTransition",
]


class Secondment(TimestampMixin, Base):
    __tablename__ = "secondment"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(sa.ForeignKey("person.id", ondelete="RESTRICT"))
    host_agency_id: Mapped[int] = mapped_column(sa.ForeignKey("agency.id", ondelete="RESTRICT"), index=True)
    taskforce_id: Mapped[int | None] = mapped_column(sa.ForeignKey("taskforce.id", ondelete="SET NULL"), index=True)
    sending_organisation: Mapped[str] = mapped_column(sa.String(300))
    sending_agency_id: Mapped[int | None] = mapped_column(sa.ForeignKey("agency.id", ondelete="SET NULL"))
    starts_on: Mapped[dt.date] = mapped_column(sa.Date)
    ends_on: Mapped[dt.date] = mapped_column(sa.Date)
    first_ends_on: Mapped[dt.date] = mapped_column(sa.Date)
    """End date of the first period, before any extension."""
    allocation: Mapped[int] = mapped_column(sa.Integer)
    objectives: Mapped[str | None] = mapped_column(sa.Text)
    agreement_ref: Mapped[str | None] = mapped_column(sa.String(120))
    host_share_pct: Mapped[int] = mapped_column(sa.Integer)
    sender_share_pct: Mapped[int] = mapped_column(sa.Integer)
    monthly_cost_baht: Mapped[int] = mapped_column(sa.Integer, server_default="0", default=0)
    status: Mapped[SecondmentStatus] = mapped_column(enum_column(SecondmentStatus), index=True)
    extensions: Mapped[int] = mapped_column(sa.Integer, server_default="0", default=0)
    end_report: Mapped[str | None] = mapped_column(sa.Text)
    end_report_at: Mapped[dt.datetime | None] = mapped_column(DateTimeUTC(timezone=True))
    end_report_by_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("app_user.id", ondelete="SET NULL"))
    version: Mapped[int] = mapped_column(sa.Integer, server_default="1", nullable=False)

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        sa.Index("ix_secondment_person_dates", "person_id", "starts_on", "ends_on"),
        sa.Index("ix_secondment_status_ends_on", "status", "ends_on"),
        # Periods are inclusive at both ends: a one-day secondment starts and ends on the same day.
        sa.CheckConstraint("ends_on >= starts_on", name="ends_after_starts"),
        sa.CheckConstraint("first_ends_on >= starts_on AND first_ends_on <= ends_on", name="first_period"),
        sa.CheckConstraint(
            "sending_agency_id IS NULL OR sending_agency_id <> host_agency_id", name="host_differs_from_sender"
        ),
        sa.CheckConstraint("allocation > 0 AND allocation <= 100", name="allocation_range"),
        sa.CheckConstraint(
            "host_share_pct >= 0 AND sender_share_pct >= 0 AND host_share_pct + sender_share_pct = 100",
            name="shares_total_100",
        ),
        sa.CheckConstraint("monthly_cost_baht >= 0", name="cost_nonnegative"),
        sa.CheckConstraint("extensions >= 0", name="extensions_nonnegative"),
    )


class SecondmentTransition(Base):
    """One step of a secondment's state machine: who moved it, when, and why."""

    __tablename__ = "secondment_transition"

    id: Mapped[int] = mapped_column(primary_key=True)
    secondment_id: Mapped[int] = mapped_column(sa.ForeignKey("secondment.id", ondelete="CASCADE"), index=True)
    from_status: Mapped[SecondmentStatus | None] = mapped_column(
        enum_column(SecondmentStatus, name="secondment_from_status")
    )
    to_status: Mapped[SecondmentStatus] = mapped_column(enum_column(SecondmentStatus, name="secondment_to_status"))
    at: Mapped[dt.datetime] = mapped_column(DateTimeUTC(timezone=True), default=utcnow, server_default=sa.func.now())
    actor_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("app_user.id", ondelete="SET NULL"))
    actor_label: Mapped[str | None] = mapped_column(sa.String(200))
    """Who acted, as shown to people (the user name, or the command that acted)."""
    reason: Mapped[str | None] = mapped_column(sa.Text)
    details: Mapped[dict[str, Any]] = mapped_column(JsonB, default=dict)


class ConflictOfInterestReview(TimestampMixin, Base):
    __tablename__ = "coi_review"

    id: Mapped[int] = mapped_column(primary_key=True)
    secondment_id: Mapped[int] = mapped_column(sa.ForeignKey("secondment.id", ondelete="CASCADE"), index=True)
    employer: Mapped[str | None] = mapped_column(sa.String(300))
    shareholdings: Mapped[str | None] = mapped_column(sa.Text)
    contracts_with_host: Mapped[str | None] = mapped_column(sa.Text)
    other_interests: Mapped[str | None] = mapped_column(sa.Text)
    declared_at: Mapped[dt.datetime] = mapped_column(
        DateTimeUTC(timezone=True), default=utcnow, server_default=sa.func.now()
    )
    decision: Mapped[CoiDecision] = mapped_column(enum_column(CoiDecision))
    conditions: Mapped[str | None] = mapped_column(sa.Text)
    reviewer_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("app_user.id", ondelete="SET NULL"))
    decided_at: Mapped[dt.datetime | None] = mapped_column(DateTimeUTC(timezone=True))

    __table_args__ = (
        sa.CheckConstraint("decision <> 'cleared_with_conditions' OR conditions IS NOT NULL", name="conditions_stated"),
    )


class KnowledgeTransfer(Base):
    """A skill the secondee passes to a civil-servant counterpart, and the level reached."""

    __tablename__ = "knowledge_transfer"

    id: Mapped[int] = mapped_column(primary_key=True)
    secondment_id: Mapped[int] = mapped_column(sa.ForeignKey("secondment.id", ondelete="CASCADE"))
    counterpart_id: Mapped[int] = mapped_column(sa.ForeignKey("person.id", ondelete="RESTRICT"), index=True)
    skill_id: Mapped[int] = mapped_column(sa.ForeignKey("skill.id", ondelete="RESTRICT"))
    target_level: Mapped[int] = mapped_column(sa.Integer)
    level_reached: Mapped[int | None] = mapped_column(sa.Integer)
    assessment_id: Mapped[int | None] = mapped_column(sa.ForeignKey("assessment.id", ondelete="SET NULL"))

    __table_args__ = (
        sa.UniqueConstraint("secondment_id", "counterpart_id", "skill_id"),
        sa.CheckConstraint("target_level >= 1 AND target_level <= 10", name="target_level_range"),
        sa.CheckConstraint(
            "level_reached IS NULL OR (level_reached >= 0 AND level_reached <= 10)",
            name="level_reached_range",
        ),
    )
