"""PostgreSQL: person_name_gram, each name's trigrams in people's id order, for name searches

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02 11:30:00

A derived index kept by triggers, outside the models like the other search objects (see
:mod:`hrsys.people.search`); made here for databases created before it, and filled from ``person``.
Nothing new on SQLite, whose FTS5 trigram index already reads people in id order.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    from hrsys.people import search

    search.install(op.get_bind())  # on PostgreSQL, makes and fills person_name_gram when it is missing


def downgrade() -> None:
    from hrsys.people import search

    conn = op.get_bind()
    if conn.dialect.name == "postgresql":
        for stmt in search.PG_GRAM_DROP:
            conn.exec_driver_sql(stmt)
