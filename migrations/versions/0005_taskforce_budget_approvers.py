"""Task-force budget: who requested and who approved each year's money; cancelled task forces

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-06 22:00:00

``taskforce_budget`` gains ``requested_by_user_id``, ``approved_by_user_id`` and
``excess_approved_by_user_id`` (separation of duties: the requester never approves, and an amount above
the request needs a second approver); ``taskforce`` gains ``cancelled`` (closed without ever starting:
nothing may be disbursed). Existing closed task forces none of whose members served (no member
``ended``) are marked cancelled, which is what closing from ``forming`` leaves behind. The DDL is written
out here, not read from the models, which may change later.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

USER_COLUMNS = ("requested_by_user_id", "approved_by_user_id", "excess_approved_by_user_id")


def _fk(column: str) -> str:
    return f"fk_taskforce_budget_{column}_app_user"


def upgrade() -> None:
    # SQLite rebuilds the table (nothing references it); its CHECK constraints are carried over.
    with op.batch_alter_table("taskforce_budget") as batch_op:
        for column in USER_COLUMNS:
            batch_op.add_column(sa.Column(column, sa.Integer(), nullable=True))
            batch_op.create_foreign_key(_fk(column), "app_user", [column], ["id"], ondelete="SET NULL")
    op.add_column("taskforce", sa.Column("cancelled", sa.Boolean(), server_default=sa.text("false"), nullable=False))
    op.execute(
        "UPDATE taskforce SET cancelled = TRUE WHERE status = 'closed' AND NOT EXISTS "
        "(SELECT 1 FROM taskforce_member m WHERE m.taskforce_id = taskforce.id AND m.status = 'ended')"
    )


def downgrade() -> None:
    # In place, not a rebuild: dropping and recreating ``taskforce`` would cascade to its members and needs.
    op.execute("ALTER TABLE taskforce DROP COLUMN cancelled")
    with op.batch_alter_table("taskforce_budget") as batch_op:
        for column in USER_COLUMNS:
            batch_op.drop_constraint(_fk(column), type_="foreignkey")
            batch_op.drop_column(column)
