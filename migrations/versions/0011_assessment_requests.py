"""Assessment requests: a person asks for a manager's or an assessment centre's assessment of a skill

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07 23:29:28.902561

New table only: ``assessment_request``, the subject of ``assessment`` requests (``hrsys.requests``).
"""

from collections.abc import Sequence

import advanced_alchemy.types
import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "assessment_request",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("skill_id", sa.Integer(), nullable=False),
        sa.Column(
            "source",
            sa.Enum(
                "self",
                "manager",
                "assessment_centre",
                "certification",
                "training",
                "knowledge_transfer",
                name="assessment_request_source",
                native_enum=False,
                create_constraint=True,
                length=22,
            ),
            nullable=False,
        ),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("requested_by_user_id", sa.Integer(), nullable=True),
        sa.Column(
            "requested_at",
            advanced_alchemy.types.datetime.DateTimeUTC(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.Column("assessment_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "source IN ('manager', 'assessment_centre')", name=op.f("ck_assessment_request_trusted_source")
        ),
        sa.ForeignKeyConstraint(
            ["assessment_id"],
            ["assessment.id"],
            name=op.f("fk_assessment_request_assessment_id_assessment"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name=op.f("fk_assessment_request_person_id_person"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["requested_by_user_id"],
            ["app_user.id"],
            name=op.f("fk_assessment_request_requested_by_user_id_app_user"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["skill_id"], ["skill.id"], name=op.f("fk_assessment_request_skill_id_skill"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assessment_request")),
    )
    with op.batch_alter_table("assessment_request", schema=None) as batch_op:
        batch_op.create_index("ix_assessment_request_person_skill", ["person_id", "skill_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("assessment_request", schema=None) as batch_op:
        batch_op.drop_index("ix_assessment_request_person_skill")

    op.drop_table("assessment_request")
