"""ix_person_cost_id: people in order of monthly cost, for team assembly's cheapest-first walk

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06 23:15:00

Team proposals walk the holders of each needed skill cheapest first. Cost lives on ``person`` and the level
on ``current_skill``, so without this index every page sorted all holders of the skill (tens of thousands
per skill at national scale); with it the walk reads people in cost order and probes each one's level by
the primary key of ``current_skill``, stopping after a page.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_person_cost_id", "person", ["monthly_cost_baht", "id"])


def downgrade() -> None:
    op.drop_index("ix_person_cost_id", table_name="person")
