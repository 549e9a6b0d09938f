"""ix_current_skill_assessment: the profile rows that name an assessment, found without reading the table

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06 22:30:00

``current_skill.assessment_id`` references ``assessment`` with ``ON DELETE CASCADE``: without an index each
deleted assessment made the database read the whole of ``current_skill``. The assessments import deletes
the rows of a file that repeat assessments already there (an import run twice), and points the profiles
they won at the assessment they repeat, by this column.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_current_skill_assessment", "current_skill", ["assessment_id"])


def downgrade() -> None:
    op.drop_index("ix_current_skill_assessment", table_name="current_skill")
