"""Digital Transformation task forces: needs, members, KPIs, budget and team proposals."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from advanced_alchemy.types import DateTimeUTC, JsonB
from sqlalchemy.orm import Mapped, mapped_column

from hrsys.core.db import Base, TimestampMixin, enum_column, utcnow
from hrsys.taskforces.states import KpiKind, MemberStatus, ProposalStatus, TaskForceStatus

__all__ = [
    "Kpi",
    "KpiActual",
    "KpiKind",
    "MemberStatus",
    "ProposalStatus",
    "TaskForce",
    "TaskForceBudget",
    "TaskForceMember",
    "TaskForceNeed",
    "TaskForceStatus",
    "TeamProposal",
]


class TaskForce(TimestampMixin, Base):
    __tablename__ = "taskforce"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(40), unique=True)
    agency_id: Mapped[int] = mapped_column(sa.ForeignKey("agency.id", ondelete="RESTRICT"), index=True)
    name_th: Mapped[str] = mapped_column(sa.String(300))
    name_en: Mapped[str] = mapped_column(sa.String(300))
    mission: Mapped[str | None] = mapped_column(sa.Text)
    lead_id: Mapped[int | None] = mapped_column(sa.ForeignKey("person.id", ondelete="SET NULL"), index=True)
    starts_on: Mapped[dt.date] = mapped_column(sa.Date)
    ends_on: Mapped[dt.date] = mapped_column(sa.Date)
    budget_baht: Mapped[int] = mapped_column(sa.BigInteger, server_default="0", default=0)
    status: Mapped[TaskForceStatus] = mapped_column(enum_column(TaskForceStatus))
    cancelled: Mapped[bool] = mapped_column(sa.Boolean, server_default=sa.text("false"), default=False)
    """Closed straight from ``forming``, never started: nothing may be disbursed for it."""
    version: Mapped[int] = mapped_column(sa.Integer, server_default="1", nullable=False)

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        sa.CheckConstraint("ends_on > starts_on", name="ends_after_starts"),
        sa.CheckConstraint("budget_baht >= 0", name="budget_nonnegative"),
    )


class TaskForceNeed(Base):
    __tablename__ = "taskforce_need"

    id: Mapped[int] = mapped_column(primary_key=True)
    taskforce_id: Mapped[int] = mapped_column(sa.ForeignKey("taskforce.id", ondelete="CASCADE"), index=True)
    skill_id: Mapped[int] = mapped_column(sa.ForeignKey("skill.id", ondelete="RESTRICT"))
    min_level: Mapped[int] = mapped_column(sa.Integer)
    headcount: Mapped[int] = mapped_column(sa.Integer, server_default="1", default=1)
    allocation: Mapped[int] = mapped_column(sa.Integer)
    """Percentage of working time each person filling this need gives."""
    essential: Mapped[bool] = mapped_column(sa.Boolean, server_default=sa.text("true"), default=True)

    __table_args__ = (
        sa.CheckConstraint("min_level >= 1 AND min_level <= 10", name="level_range"),
        sa.CheckConstraint("headcount >= 1", name="headcount_positive"),
        sa.CheckConstraint("allocation > 0 AND allocation <= 100", name="allocation_range"),
    )


class TaskForceMember(TimestampMixin, Base):
    __tablename__ = "taskforce_member"

    id: Mapped[int] = mapped_column(primary_key=True)
    taskforce_id: Mapped[int] = mapped_column(sa.ForeignKey("taskforce.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[int] = mapped_column(sa.ForeignKey("person.id", ondelete="RESTRICT"))
    need_id: Mapped[int | None] = mapped_column(sa.ForeignKey("taskforce_need.id", ondelete="SET NULL"))
    allocation: Mapped[int] = mapped_column(sa.Integer)
    starts_on: Mapped[dt.date] = mapped_column(sa.Date)
    ends_on: Mapped[dt.date] = mapped_column(sa.Date)
    status: Mapped[MemberStatus] = mapped_column(enum_column(MemberStatus))
    reason: Mapped[str | None] = mapped_column(sa.Text)
    consent_group: Mapped[str | None] = mapped_column(sa.String(80))
    """The ``group_key`` of the appointment requests that asked for consent (cross-agency appointments only)."""

    __table_args__ = (
        sa.Index("ix_taskforce_member_person_dates", "person_id", "starts_on", "ends_on"),
        sa.Index("ix_taskforce_member_consent_group", "consent_group"),
        sa.CheckConstraint("allocation > 0 AND allocation <= 100", name="allocation_range"),
        sa.CheckConstraint("ends_on >= starts_on", name="ends_after_starts"),
    )


class Kpi(Base):
    __tablename__ = "kpi"

    id: Mapped[int] = mapped_column(primary_key=True)
    taskforce_id: Mapped[int] = mapped_column(sa.ForeignKey("taskforce.id", ondelete="CASCADE"), index=True)
    kind: Mapped[KpiKind] = mapped_column(enum_column(KpiKind))
    name_th: Mapped[str | None] = mapped_column(sa.String(300))
    name_en: Mapped[str] = mapped_column(sa.String(300))
    unit: Mapped[str] = mapped_column(sa.String(60))
    baseline: Mapped[float] = mapped_column(sa.Float, server_default="0", default=0.0)
    target: Mapped[float] = mapped_column(sa.Float)
    due_on: Mapped[dt.date | None] = mapped_column(sa.Date)
    higher_is_better: Mapped[bool] = mapped_column(sa.Boolean, server_default=sa.text("true"), default=True)


class KpiActual(Base):
    __tablename__ = "kpi_actual"

    id: Mapped[int] = mapped_column(primary_key=True)
    kpi_id: Mapped[int] = mapped_column(sa.ForeignKey("kpi.id", ondelete="CASCADE"))
    measured_on: Mapped[dt.date] = mapped_column(sa.Date)
    value: Mapped[float] = mapped_column(sa.Float)
    note: Mapped[str | None] = mapped_column(sa.Text)

    __table_args__ = (sa.UniqueConstraint("kpi_id", "measured_on"),)


class TaskForceBudget(Base):
    """Money by Thai fiscal year (named by its Buddhist Era year; FY 2570 = Oct 2026 - Sep 2027)."""

    __tablename__ = "taskforce_budget"

    id: Mapped[int] = mapped_column(primary_key=True)
    taskforce_id: Mapped[int] = mapped_column(sa.ForeignKey("taskforce.id", ondelete="CASCADE"))
    fiscal_year: Mapped[int] = mapped_column(sa.Integer)
    requested_baht: Mapped[int] = mapped_column(sa.BigInteger, server_default="0", default=0)
    approved_baht: Mapped[int] = mapped_column(sa.BigInteger, server_default="0", default=0)
    disbursed_baht: Mapped[int] = mapped_column(sa.BigInteger, server_default="0", default=0)
    requested_by_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("app_user.id", ondelete="SET NULL"))
    """Who last set the amount requested (the requester)."""
    approved_by_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("app_user.id", ondelete="SET NULL"))
    """Who approved the amount up to the request; never the requester."""
    excess_approved_by_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("app_user.id", ondelete="SET NULL"))
    """Who approved the part above the request, a second approver; set whenever approved > requested."""

    __table_args__ = (
        sa.UniqueConstraint("taskforce_id", "fiscal_year"),
        sa.CheckConstraint("fiscal_year >= 2500 AND fiscal_year <= 2700", name="fiscal_year_be"),
        sa.CheckConstraint(
            "requested_baht >= 0 AND approved_baht >= 0 AND disbursed_baht >= 0", name="amounts_nonnegative"
        ),
    )


class TeamProposal(Base):
    """A proposed team as computed by team assembly, kept so that it can be accepted later."""

    __tablename__ = "team_proposal"

    id: Mapped[int] = mapped_column(primary_key=True)
    taskforce_id: Mapped[int] = mapped_column(sa.ForeignKey("taskforce.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(
        DateTimeUTC(timezone=True), default=utcnow, server_default=sa.func.now()
    )
    created_by_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("app_user.id", ondelete="SET NULL"))
    status: Mapped[ProposalStatus] = mapped_column(enum_column(ProposalStatus))
    options: Mapped[dict[str, Any]] = mapped_column(JsonB, default=dict)
    result: Mapped[dict[str, Any]] = mapped_column(JsonB, default=dict)
