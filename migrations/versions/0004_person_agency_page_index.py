"""SQLite: ix_person_agency_page, an agency's people list read from one index range

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02 18:00:00

The index holds the list's columns, so a page of one agency's people needs no table lookup per row
(see ``hrsys.people.service._Shape.covering``). Nothing on PostgreSQL (the model's index is SQLite-only).
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The index as it is at this revision, written out (not read from the models, which may change later).
COLUMNS = [
    "agency_id",
    "id",
    "kind",
    "first_name_th",
    "last_name_th",
    "first_name_en",
    "last_name_en",
    "organisation",
    "position_type",
    "position_level",
    "role_id",
    "active",
]


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.create_index("ix_person_agency_page", "person", COLUMNS)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.drop_index("ix_person_agency_page", table_name="person")
