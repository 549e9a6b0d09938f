"""In-app notifications, the e-mail outbox and each user's preferences."""

from __future__ import annotations

import datetime as dt
import enum

import sqlalchemy as sa
from advanced_alchemy.types import DateTimeUTC
from sqlalchemy.orm import Mapped, mapped_column

from hrsys.core.db import Base, enum_column, utcnow


class MailMode(enum.StrEnum):
    immediate = "immediate"
    digest = "digest"
    off = "off"


class MailStatus(enum.StrEnum):
    pending = "pending"
    sent = "sent"
    failed = "failed"
    """Given up after the last retry (the error is kept); an operator may set it back to pending."""


class Notification(Base):
    """One message to one user, written in the transaction of the event that causes it."""

    __tablename__ = "notification"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("app_user.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(sa.String(40))
    """``request_opened``, ``request_decided``, ``request_overdue``, ``reminder_...``."""
    language: Mapped[str] = mapped_column(sa.String(2))
    subject: Mapped[str] = mapped_column(sa.String(300))
    body: Mapped[str] = mapped_column(sa.Text)
    link: Mapped[str] = mapped_column(sa.String(300))
    """The page where the recipient acts (a path; mails carry it with the configured base URL)."""
    request_id: Mapped[int | None] = mapped_column(sa.ForeignKey("request.id", ondelete="SET NULL"))
    cause_key: Mapped[str | None] = mapped_column(sa.String(200))
    """Reminders: once per recipient and cause (``cert_expiry_30:assessment:12``), never every day."""
    created_at: Mapped[dt.datetime] = mapped_column(DateTimeUTC(timezone=True), default=utcnow)
    read_at: Mapped[dt.datetime | None] = mapped_column(DateTimeUTC(timezone=True))

    __table_args__ = (
        sa.Index("ix_notification_user_read_id", "user_id", "read_at", "id"),
        sa.UniqueConstraint("user_id", "cause_key", name="uq_notification_user_cause"),
    )


class OutboxMail(Base):
    """An e-mail waiting to be delivered (the transactional outbox); delivered once, then kept as sent."""

    __tablename__ = "outbox_mail"

    id: Mapped[int] = mapped_column(primary_key=True)
    notification_id: Mapped[int | None] = mapped_column(sa.ForeignKey("notification.id", ondelete="SET NULL"))
    """None for a daily digest (which gathers several notifications)."""
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("app_user.id", ondelete="SET NULL"))
    to_address: Mapped[str] = mapped_column(sa.String(254))
    language: Mapped[str] = mapped_column(sa.String(2))
    subject: Mapped[str] = mapped_column(sa.String(300))
    body: Mapped[str] = mapped_column(sa.Text)
    message_id: Mapped[str] = mapped_column(sa.String(200), unique=True)
    """The mail's Message-ID, fixed when the row is written: a receiver can tell a resend from a new mail."""
    status: Mapped[MailStatus] = mapped_column(
        enum_column(MailStatus), default=MailStatus.pending, server_default="pending"
    )
    attempts: Mapped[int] = mapped_column(sa.Integer, default=0, server_default="0")
    next_attempt_at: Mapped[dt.datetime] = mapped_column(DateTimeUTC(timezone=True), default=utcnow)
    last_error: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[dt.datetime] = mapped_column(DateTimeUTC(timezone=True), default=utcnow)
    sent_at: Mapped[dt.datetime | None] = mapped_column(DateTimeUTC(timezone=True))

    __table_args__ = (
        sa.Index("ix_outbox_mail_status_next", "status", "next_attempt_at"),
        sa.CheckConstraint("attempts >= 0", name="attempts_nonnegative"),
    )


class NotificationPreference(Base):
    """How a user wants to hear: language, and e-mail at once, as a daily digest, or not at all."""

    __tablename__ = "notification_preference"

    user_id: Mapped[int] = mapped_column(sa.ForeignKey("app_user.id", ondelete="CASCADE"), primary_key=True)
    language: Mapped[str] = mapped_column(sa.String(2), default="th", server_default="th")
    mail_mode: Mapped[MailMode] = mapped_column(
        enum_column(MailMode), default=MailMode.immediate, server_default="immediate"
    )
    digest_sent_on: Mapped[dt.date | None] = mapped_column(sa.Date)

    __table_args__ = (sa.CheckConstraint("language IN ('th', 'en')", name="preference_language"),)


class DailyJobRun(Base):
    """The last Thai day on which a daily job (``hrsys.notifications.schedule``) ran to its end."""

    __tablename__ = "daily_job_run"

    name: Mapped[str] = mapped_column(sa.String(80), primary_key=True)
    last_run_on: Mapped[dt.date] = mapped_column(sa.Date)
    finished_at: Mapped[dt.datetime] = mapped_column(DateTimeUTC(timezone=True), default=utcnow)
