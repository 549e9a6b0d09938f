"""Courses, sessions, prerequisites, outcomes, enrolments and individual development plans."""

from __future__ import annotations

import datetime as dt
import enum

import sqlalchemy as sa
from advanced_alchemy.types import DateTimeUTC
from sqlalchemy.orm import Mapped, mapped_column

from hrsys.core.db import Base, TimestampMixin, enum_column


class CourseMode(enum.StrEnum):
    online = "online"
    classroom = "classroom"
    blended = "blended"


class Course(TimestampMixin, Base):
    __tablename__ = "course"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(60), unique=True)
    title_th: Mapped[str] = mapped_column(sa.String(300))
    title_en: Mapped[str] = mapped_column(sa.String(300))
    provider: Mapped[str] = mapped_column(sa.String(300))
    hours: Mapped[float] = mapped_column(sa.Float)
    cost_baht: Mapped[int] = mapped_column(sa.Integer)
    mode: Mapped[CourseMode] = mapped_column(enum_column(CourseMode))
    description: Mapped[str | None] = mapped_column(sa.Text)
    certified_v6: Mapped[bool] = mapped_column(sa.Boolean, server_default=sa.text("false"), default=False)
    """Certified against the OCSC digital-skills guideline (ว6/2561)."""
    active: Mapped[bool] = mapped_column(sa.Boolean, server_default=sa.text("true"), default=True)

    __table_args__ = (
        sa.CheckConstraint("hours > 0", name="hours_positive"),
        sa.CheckConstraint("cost_baht >= 0", name="cost_nonnegative"),
    )


class CourseSession(Base):
    __tablename__ = "course_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(sa.ForeignKey("course.id", ondelete="CASCADE"), index=True)
    starts_on: Mapped[dt.date] = mapped_column(sa.Date)
    ends_on: Mapped[dt.date] = mapped_column(sa.Date)
    capacity: Mapped[int] = mapped_column(sa.Integer)
    location: Mapped[str | None] = mapped_column(sa.String(300))

    __table_args__ = (
        sa.CheckConstraint("ends_on >= starts_on", name="ends_after_starts"),
        sa.CheckConstraint("capacity > 0", name="capacity_positive"),
    )


class CoursePrerequisite(Base):
    __tablename__ = "course_prerequisite"

    course_id: Mapped[int] = mapped_column(sa.ForeignKey("course.id", ondelete="CASCADE"), primary_key=True)
    prerequisite_id: Mapped[int] = mapped_column(
        sa.ForeignKey("course.id", ondelete="RESTRICT"), primary_key=True, index=True
    )

    __table_args__ = (sa.CheckConstraint("course_id <> prerequisite_id", name="not_own_prerequisite"),)


class CourseOutcome(Base):
    """Completing the course raises ``skill`` to ``level``."""

    __tablename__ = "course_outcome"

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(sa.ForeignKey("course.id", ondelete="CASCADE"))
    skill_id: Mapped[int] = mapped_column(sa.ForeignKey("skill.id", ondelete="RESTRICT"), index=True)
    level: Mapped[int] = mapped_column(sa.Integer)

    __table_args__ = (
        sa.UniqueConstraint("course_id", "skill_id"),
        sa.CheckConstraint("level >= 1 AND level <= 10", name="level_range"),
    )


class EnrolmentStatus(enum.StrEnum):
    planned = "planned"
    enrolled = "enrolled"
    completed = "completed"
    failed = "failed"
    withdrawn = "withdrawn"


class Enrolment(TimestampMixin, Base):
    __tablename__ = "enrolment"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(sa.ForeignKey("person.id", ondelete="CASCADE"), index=True)
    course_id: Mapped[int] = mapped_column(sa.ForeignKey("course.id", ondelete="RESTRICT"), index=True)
    session_id: Mapped[int | None] = mapped_column(sa.ForeignKey("course_session.id", ondelete="RESTRICT"), index=True)
    status: Mapped[EnrolmentStatus] = mapped_column(enum_column(EnrolmentStatus))
    completion_reported_at: Mapped[dt.datetime | None] = mapped_column(DateTimeUTC(timezone=True))
    """Set when the learner reports completion; it stays pending until an HR officer confirms."""
    completed_on: Mapped[dt.date | None] = mapped_column(sa.Date)
    completion_reported_by_user_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("app_user.id", ondelete="SET NULL")
    )
    """Who reported the completion (the learner, or HR for them): they never confirm it."""
    confirmed_by_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("app_user.id", ondelete="SET NULL"))
    version: Mapped[int] = mapped_column(sa.Integer, server_default="1", nullable=False)

    __mapper_args__ = {"version_id_col": version}


class PlanStatus(enum.StrEnum):
    draft = "draft"
    submitted = "submitted"
    approved = "approved"
    in_progress = "in_progress"
    done = "done"
    cancelled = "cancelled"


class DevelopmentPlan(TimestampMixin, Base):
    """An individual development plan toward a target role."""

    __tablename__ = "development_plan"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(sa.ForeignKey("person.id", ondelete="CASCADE"), index=True)
    target_role_id: Mapped[int | None] = mapped_column(sa.ForeignKey("role.id", ondelete="RESTRICT"))
    title: Mapped[str | None] = mapped_column(sa.String(300))
    status: Mapped[PlanStatus] = mapped_column(enum_column(PlanStatus))
    notes: Mapped[str | None] = mapped_column(sa.Text)
    submitted_by_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("app_user.id", ondelete="SET NULL"))
    """Who last submitted the plan for approval: they never approve it."""
    approved_by_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("app_user.id", ondelete="SET NULL"))
    approved_at: Mapped[dt.datetime | None] = mapped_column(DateTimeUTC(timezone=True))
    version: Mapped[int] = mapped_column(sa.Integer, server_default="1", nullable=False)

    __mapper_args__ = {"version_id_col": version}


class PlanItemKind(enum.StrEnum):
    course = "course"
    secondment = "secondment"
    mentoring = "mentoring"
    on_the_job = "on_the_job"


class PlanItemStatus(enum.StrEnum):
    todo = "todo"
    in_progress = "in_progress"
    done = "done"
    cancelled = "cancelled"


class DevelopmentPlanItem(Base):
    __tablename__ = "development_plan_item"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(sa.ForeignKey("development_plan.id", ondelete="CASCADE"), index=True)
    kind: Mapped[PlanItemKind] = mapped_column(enum_column(PlanItemKind))
    course_id: Mapped[int | None] = mapped_column(sa.ForeignKey("course.id", ondelete="RESTRICT"))
    secondment_id: Mapped[int | None] = mapped_column(sa.ForeignKey("secondment.id", ondelete="SET NULL"))
    description: Mapped[str] = mapped_column(sa.Text)
    due_on: Mapped[dt.date | None] = mapped_column(sa.Date)
    status: Mapped[PlanItemStatus] = mapped_column(enum_column(PlanItemStatus))
    position: Mapped[int] = mapped_column(sa.Integer, server_default="0")

    __table_args__ = (sa.CheckConstraint("kind <> 'course' OR course_id IS NOT NULL", name="course_item_has_course"),)
