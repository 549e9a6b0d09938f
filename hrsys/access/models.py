"""Users, sign-in bookkeeping and the audit trail."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

import sqlalchemy as sa
from advanced_alchemy.types import DateTimeUTC, JsonB
from sqlalchemy.orm import Mapped, mapped_column

from hrsys.core.db import Base, TimestampMixin, enum_column, utcnow


class UserRole(enum.StrEnum):
    admin = "admin"
    hr_officer = "hr_officer"
    taskforce_lead = "taskforce_lead"
    staff = "staff"


class User(TimestampMixin, Base):
    __tablename__ = "app_user"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(sa.String(150), unique=True)
    email: Mapped[str | None] = mapped_column(sa.String(254))
    password_hash: Mapped[str] = mapped_column(sa.String(300))
    role: Mapped[UserRole] = mapped_column(enum_column(UserRole))
    agency_id: Mapped[int | None] = mapped_column(sa.ForeignKey("agency.id", ondelete="RESTRICT"))
    """Scope of an HR officer: this agency and its subtree."""
    person_id: Mapped[int | None] = mapped_column(sa.ForeignKey("person.id", ondelete="SET NULL"), unique=True)
    active: Mapped[bool] = mapped_column(sa.Boolean, server_default=sa.text("true"), default=True)
    failed_logins: Mapped[int] = mapped_column(sa.Integer, server_default="0", default=0)
    locked_until: Mapped[dt.datetime | None] = mapped_column(DateTimeUTC(timezone=True))
    last_login_at: Mapped[dt.datetime | None] = mapped_column(DateTimeUTC(timezone=True))
    token_generation: Mapped[int] = mapped_column(sa.Integer, server_default="0", default=0)
    """Bumped at sign-out everywhere and password change; tokens of older generations are refused."""
    password_changed_at: Mapped[dt.datetime | None] = mapped_column(DateTimeUTC(timezone=True))

    __table_args__ = (
        sa.CheckConstraint("failed_logins >= 0", name="failed_logins_nonnegative"),
        sa.CheckConstraint("token_generation >= 0", name="token_generation_nonnegative"),
        sa.CheckConstraint("role <> 'hr_officer' OR agency_id IS NOT NULL", name="hr_officer_has_agency"),
    )


class LoginAttempt(Base):
    """Sign-in attempts, kept in the database so the rate limit holds across workers."""

    __tablename__ = "login_attempt"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTimeUTC(timezone=True), default=utcnow, server_default=sa.func.now())
    username: Mapped[str] = mapped_column(sa.String(150))
    address: Mapped[str] = mapped_column(sa.String(64))
    success: Mapped[bool] = mapped_column(sa.Boolean)
    blocked: Mapped[bool] = mapped_column(sa.Boolean, server_default=sa.text("false"), default=False)
    """Refused by the rate limit before the password was checked; not counted as a failure."""

    __table_args__ = (
        sa.Index("ix_login_attempt_username_at", "username", "at"),
        sa.Index("ix_login_attempt_address_at", "address", "at"),
    )


class AuditEvent(Base):
    """Who did what, when, to which row; before and after. Written in the same transaction."""

    __tablename__ = "audit_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTimeUTC(timezone=True), default=utcnow, server_default=sa.func.now())
    actor_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("app_user.id", ondelete="SET NULL"))
    actor_label: Mapped[str | None] = mapped_column(sa.String(200))
    action: Mapped[str] = mapped_column(sa.String(40))
    entity: Mapped[str] = mapped_column(sa.String(60))
    entity_id: Mapped[str | None] = mapped_column(sa.String(60))
    person_id: Mapped[int | None] = mapped_column(sa.Integer)
    """The person whose data this event concerns (no foreign key: the trail outlives the row)."""
    before: Mapped[dict[str, Any] | None] = mapped_column(JsonB)
    after: Mapped[dict[str, Any] | None] = mapped_column(JsonB)
    address: Mapped[str | None] = mapped_column(sa.String(64))

    __table_args__ = (
        sa.Index("ix_audit_event_at", "at"),
        sa.Index("ix_audit_event_actor_at", "actor_user_id", "at"),
        sa.Index("ix_audit_event_person_at", "person_id", "at"),
    )
