"""A request: what is asked, who asked, who may decide, the decision. One table for every domain."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

import sqlalchemy as sa
from advanced_alchemy.types import DateTimeUTC, JsonB
from sqlalchemy.orm import Mapped, mapped_column

from hrsys.access.models import UserRole
from hrsys.core.db import Base, TimestampMixin, enum_column, utcnow


class RequestKind(enum.StrEnum):
    development_plan = "development_plan"
    secondment_step = "secondment_step"
    conflict_review = "conflict_review"
    completion_confirmation = "completion_confirmation"
    budget_approval = "budget_approval"
    appointment = "appointment"
    enrolment = "enrolment"
    assessment = "assessment"


class RequestStatus(enum.StrEnum):
    pending = "pending"
    approved = "approved"
    rejected = "rejected"
    returned = "returned"
    cancelled = "cancelled"
    expired = "expired"


class Decision(enum.StrEnum):
    approve = "approve"
    reject = "reject"
    return_for_changes = "return_for_changes"


class Request(TimestampMixin, Base):
    __tablename__ = "request"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[RequestKind] = mapped_column(enum_column(RequestKind))
    subject_type: Mapped[str] = mapped_column(sa.String(40))
    """The table of the object the decision applies to (``development_plan``, ``enrolment``, ...)."""
    subject_id: Mapped[int] = mapped_column(sa.Integer)
    title: Mapped[str] = mapped_column(sa.String(300))
    """What the inbox shows (no personal identifiers beyond what the decider may see)."""
    requester_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("app_user.id", ondelete="SET NULL"))
    person_id: Mapped[int | None] = mapped_column(sa.ForeignKey("person.id", ondelete="SET NULL"))
    """The person the request is about (never decides it)."""
    agency_id: Mapped[int | None] = mapped_column(sa.ForeignKey("agency.id", ondelete="RESTRICT"))
    """Deciders by role: users of ``decider_role`` whose agency subtree holds this agency (moved up on escalation)."""
    decider_role: Mapped[UserRole | None] = mapped_column(enum_column(UserRole, name="request_decider_role"))
    decider_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("app_user.id", ondelete="SET NULL"))
    """A named decider instead (the person asked for consent, a budget approver)."""
    status: Mapped[RequestStatus] = mapped_column(
        enum_column(RequestStatus), default=RequestStatus.pending, server_default="pending"
    )
    asked_at: Mapped[dt.datetime] = mapped_column(DateTimeUTC(timezone=True), default=utcnow)
    due_on: Mapped[dt.date | None] = mapped_column(sa.Date)
    escalation_level: Mapped[int] = mapped_column(sa.Integer, default=0, server_default="0")
    decided_by_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("app_user.id", ondelete="SET NULL"))
    decided_at: Mapped[dt.datetime | None] = mapped_column(DateTimeUTC(timezone=True))
    decision: Mapped[Decision | None] = mapped_column(enum_column(Decision, name="request_decision"))
    reason: Mapped[str | None] = mapped_column(sa.Text)
    payload: Mapped[dict[str, Any]] = mapped_column(JsonB, default=dict)
    """What the deciding domain needs to apply the decision (a target status, a session, a skill)."""
    group_key: Mapped[str | None] = mapped_column(sa.String(80))
    """Parts of one matter decided by several parties (an appointment: home-agency HR and the person)."""
    open_key: Mapped[str | None] = mapped_column(sa.String(160), unique=True)
    """Set while pending (kind, subject, party), NULL once decided: one open request per subject and party."""
    version: Mapped[int] = mapped_column(sa.Integer, default=1, server_default="1")

    __table_args__ = (
        sa.Index("ix_request_status_agency_asked", "status", "agency_id", "asked_at"),
        sa.Index("ix_request_decider_user_status", "decider_user_id", "status"),
        sa.Index("ix_request_requester_asked", "requester_user_id", "asked_at"),
        sa.Index("ix_request_subject", "subject_type", "subject_id"),
        sa.Index(
            "ix_request_inbox",
            "status",
            "due_on",
            "asked_at",
            "kind",
            "agency_id",
            "escalation_level",
            "decider_role",
            "decider_user_id",
            "requester_user_id",
            "person_id",
        ),
        # The inbox reads only these columns of the pending requests: its page (in due-date order), its counts
        # per kind and the overdue requests are read from the index alone (see inbox.py).
        sa.CheckConstraint("escalation_level >= 0", name="escalation_level_nonnegative"),
        sa.CheckConstraint("decider_role IS NOT NULL OR decider_user_id IS NOT NULL", name="request_has_decider"),
    )
