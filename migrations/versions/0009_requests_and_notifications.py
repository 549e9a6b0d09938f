"""Requests, notifications, the e-mail outbox and notification preferences

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07 22:59:00.654354

New tables only: ``request`` (one model of asking and deciding for every domain), ``notification``
(in-app messages), ``outbox_mail`` (the transactional outbox of e-mail) and ``notification_preference``.
The DDL is written out here, not read from the models, which may change later.
"""

from collections.abc import Sequence

import advanced_alchemy.types
import sqlalchemy as sa
from alembic import op
from sqlalchemy import Text
from sqlalchemy.dialects import postgresql

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "notification_preference",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("language", sa.String(length=2), server_default="th", nullable=False),
        sa.Column(
            "mail_mode",
            sa.Enum(
                "immediate", "digest", "off", name="mailmode", native_enum=False, create_constraint=True, length=13
            ),
            server_default="immediate",
            nullable=False,
        ),
        sa.Column("digest_sent_on", sa.Date(), nullable=True),
        sa.CheckConstraint("language IN ('th', 'en')", name=op.f("ck_notification_preference_preference_language")),
        sa.ForeignKeyConstraint(
            ["user_id"], ["app_user.id"], name=op.f("fk_notification_preference_user_id_app_user"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_notification_preference")),
    )
    op.create_table(
        "request",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "development_plan",
                "secondment_step",
                "conflict_review",
                "completion_confirmation",
                "budget_approval",
                "appointment",
                "enrolment",
                "assessment",
                name="requestkind",
                native_enum=False,
                create_constraint=True,
                length=27,
            ),
            nullable=False,
        ),
        sa.Column("subject_type", sa.String(length=40), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("requester_user_id", sa.Integer(), nullable=True),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("agency_id", sa.Integer(), nullable=True),
        sa.Column(
            "decider_role",
            sa.Enum(
                "admin",
                "hr_officer",
                "taskforce_lead",
                "staff",
                name="request_decider_role",
                native_enum=False,
                create_constraint=True,
                length=18,
            ),
            nullable=True,
        ),
        sa.Column("decider_user_id", sa.Integer(), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "pending",
                "approved",
                "rejected",
                "returned",
                "cancelled",
                "expired",
                name="requeststatus",
                native_enum=False,
                create_constraint=True,
                length=13,
            ),
            server_default="pending",
            nullable=False,
        ),
        sa.Column("asked_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column("escalation_level", sa.Integer(), server_default="0", nullable=False),
        sa.Column("decided_by_user_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=True),
        sa.Column(
            "decision",
            sa.Enum(
                "approve",
                "reject",
                "return_for_changes",
                name="request_decision",
                native_enum=False,
                create_constraint=True,
                length=22,
            ),
            nullable=True,
        ),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column(
            "payload", sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"), nullable=False
        ),
        sa.Column("group_key", sa.String(length=80), nullable=True),
        sa.Column("open_key", sa.String(length=160), nullable=True),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.Column(
            "created_at",
            advanced_alchemy.types.datetime.DateTimeUTC(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            advanced_alchemy.types.datetime.DateTimeUTC(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "decider_role IS NOT NULL OR decider_user_id IS NOT NULL", name=op.f("ck_request_request_has_decider")
        ),
        sa.CheckConstraint("escalation_level >= 0", name=op.f("ck_request_escalation_level_nonnegative")),
        sa.ForeignKeyConstraint(
            ["agency_id"], ["agency.id"], name=op.f("fk_request_agency_id_agency"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_user_id"],
            ["app_user.id"],
            name=op.f("fk_request_decided_by_user_id_app_user"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["decider_user_id"], ["app_user.id"], name=op.f("fk_request_decider_user_id_app_user"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name=op.f("fk_request_person_id_person"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["requester_user_id"],
            ["app_user.id"],
            name=op.f("fk_request_requester_user_id_app_user"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_request")),
        sa.UniqueConstraint("open_key", name=op.f("uq_request_open_key")),
    )
    with op.batch_alter_table("request", schema=None) as batch_op:
        batch_op.create_index("ix_request_decider_user_status", ["decider_user_id", "status"], unique=False)
        batch_op.create_index("ix_request_requester_asked", ["requester_user_id", "asked_at"], unique=False)
        batch_op.create_index("ix_request_status_agency_asked", ["status", "agency_id", "asked_at"], unique=False)
        batch_op.create_index("ix_request_status_due", ["status", "due_on"], unique=False)
        batch_op.create_index("ix_request_subject", ["subject_type", "subject_id"], unique=False)

    op.create_table(
        "notification",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("language", sa.String(length=2), nullable=False),
        sa.Column("subject", sa.String(length=300), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("link", sa.String(length=300), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=True),
        sa.Column("cause_key", sa.String(length=200), nullable=True),
        sa.Column("created_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("read_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["request_id"], ["request.id"], name=op.f("fk_notification_request_id_request"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["app_user.id"], name=op.f("fk_notification_user_id_app_user"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification")),
        sa.UniqueConstraint("user_id", "cause_key", name="uq_notification_user_cause"),
    )
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.create_index("ix_notification_user_read_id", ["user_id", "read_at", "id"], unique=False)

    op.create_table(
        "outbox_mail",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("notification_id", sa.Integer(), nullable=True),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("to_address", sa.String(length=254), nullable=False),
        sa.Column("language", sa.String(length=2), nullable=False),
        sa.Column("subject", sa.String(length=300), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("message_id", sa.String(length=200), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "pending", "sent", "failed", name="mailstatus", native_enum=False, create_constraint=True, length=11
            ),
            server_default="pending",
            nullable=False,
        ),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("next_attempt_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("sent_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=True),
        sa.CheckConstraint("attempts >= 0", name=op.f("ck_outbox_mail_attempts_nonnegative")),
        sa.ForeignKeyConstraint(
            ["notification_id"],
            ["notification.id"],
            name=op.f("fk_outbox_mail_notification_id_notification"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["app_user.id"], name=op.f("fk_outbox_mail_user_id_app_user"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox_mail")),
        sa.UniqueConstraint("message_id", name=op.f("uq_outbox_mail_message_id")),
    )
    with op.batch_alter_table("outbox_mail", schema=None) as batch_op:
        batch_op.create_index("ix_outbox_mail_status_next", ["status", "next_attempt_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("outbox_mail", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_mail_status_next")

    op.drop_table("outbox_mail")
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.drop_index("ix_notification_user_read_id")

    op.drop_table("notification")
    with op.batch_alter_table("request", schema=None) as batch_op:
        batch_op.drop_index("ix_request_subject")
        batch_op.drop_index("ix_request_status_due")
        batch_op.drop_index("ix_request_status_agency_asked")
        batch_op.drop_index("ix_request_requester_asked")
        batch_op.drop_index("ix_request_decider_user_status")

    op.drop_table("request")
    op.drop_table("notification_preference")
