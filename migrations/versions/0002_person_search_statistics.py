"""person.search_text: a finer statistics target on PostgreSQL, so name searches get the right plan

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-02 02:10:00

No change to tables or indexes (the models are unchanged): see
:data:`hrsys.people.search.SEARCH_TEXT_STATISTICS` for the measurement. The statements are written
out here (a migration imports nothing from hrsys).
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _statistics(target: int) -> None:
    conn = op.get_bind()
    if conn.dialect.name != "postgresql":
        return  # SQLite's name search does not depend on estimates
    conn.exec_driver_sql(f"ALTER TABLE person ALTER COLUMN search_text SET STATISTICS {target}")
    conn.exec_driver_sql("ANALYZE person")


def upgrade() -> None:
    _statistics(300)


def downgrade() -> None:
    _statistics(-1)
