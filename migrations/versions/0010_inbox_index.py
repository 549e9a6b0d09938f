"""The inbox's covering index on request

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07 23:59:00

``ix_request_inbox`` (status, due_on, asked_at, kind, agency_id, escalation_level, decider_role,
decider_user_id, requester_user_id, person_id) replaces ``ix_request_status_due`` (its first two columns):
the inbox's page in due-date order, its counts per kind and the overdue requests are read from the index
alone. The DDL is written out here, not read from the models.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = [
    "status", "due_on", "asked_at", "kind", "agency_id", "escalation_level", "decider_role", "decider_user_id",
    "requester_user_id", "person_id",
]  # fmt: skip


def upgrade() -> None:
    with op.batch_alter_table("request", schema=None) as batch_op:
        batch_op.drop_index("ix_request_status_due")
        batch_op.create_index("ix_request_inbox", COLUMNS, unique=False)


def downgrade() -> None:
    with op.batch_alter_table("request", schema=None) as batch_op:
        batch_op.drop_index("ix_request_inbox")
        batch_op.create_index("ix_request_status_due", ["status", "due_on"], unique=False)
