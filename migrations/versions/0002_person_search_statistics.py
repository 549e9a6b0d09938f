"""person.search_text: a finer statistics target on PostgreSQL, so name searches get the right plan

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-02 02:10:00

No change to tables or indexes (the models are unchanged): see
:data:`hrsys.people.search.SEARCH_TEXT_STATISTICS` for the measurement.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    from hrsys.people.search import tune_statistics

    tune_statistics(op.get_bind())


def downgrade() -> None:
    from hrsys.people.search import tune_statistics

    tune_statistics(op.get_bind(), None)
