"""Daily jobs of the delivering process: the last Thai day each one ran

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-08 10:00:00

One new table, ``daily_job_run``: the digest and the reminders run once per Thai day, and a restart must
not run them again on the same day. The DDL is written out here, not read from the models.
"""

from collections.abc import Sequence

import advanced_alchemy.types
import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "daily_job_run",
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("last_run_on", sa.Date(), nullable=False),
        sa.Column("finished_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_daily_job_run")),
    )


def downgrade() -> None:
    op.drop_table("daily_job_run")
