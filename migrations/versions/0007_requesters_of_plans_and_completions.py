"""Who asked: the submitter of a development plan and the reporter of a course completion

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06 22:40:00

``development_plan`` gains ``submitted_by_user_id`` and ``enrolment`` gains
``completion_reported_by_user_id`` (separation of duties: whoever submitted a plan never approves it,
and whoever reported a completion never confirms it). Rows written before are left NULL: nobody is
known to have asked, so nobody is kept from deciding. The columns are added in place, not by a table
rebuild: other tables reference both (plan items, assessments) with ON DELETE actions, which SQLite's
rebuild (drop and rename) would run. The DDL is written out here, not read from the models, which may
change later.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = (("development_plan", "submitted_by_user_id"), ("enrolment", "completion_reported_by_user_id"))


def _constraint(table: str, column: str) -> str:
    return f"CONSTRAINT fk_{table}_{column}_app_user FOREIGN KEY({column}) REFERENCES app_user (id) ON DELETE SET NULL"


def _set_table_sql(table: str, sql: str) -> None:
    """SQLite: replace a table's stored definition in place (the procedure of SQLite's ALTER TABLE guide for
    constraint changes that leave the stored rows as they are; the new column is all NULL, so the foreign
    key it gains holds), then bump the schema version so every connection reads it again."""
    bind = op.get_bind()
    version = bind.exec_driver_sql("PRAGMA schema_version").scalar_one()
    bind.exec_driver_sql("PRAGMA writable_schema=ON")
    bind.execute(
        sa.text("UPDATE sqlite_master SET sql = :sql WHERE type = 'table' AND name = :t"), {"sql": sql, "t": table}
    )
    bind.exec_driver_sql("PRAGMA writable_schema=OFF")
    bind.exec_driver_sql(f"PRAGMA schema_version={int(version) + 1}")


def _table_sql(table: str) -> str:
    return str(
        op.get_bind()
        .execute(sa.text("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = :t"), {"t": table})
        .scalar_one()
    )


def upgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    for table, column in COLUMNS:
        if not sqlite:
            op.execute(f"ALTER TABLE {table} ADD COLUMN {column} INTEGER")
            op.execute(f"ALTER TABLE {table} ADD {_constraint(table, column)}")
            continue
        # SQLite adds no table constraint by ALTER TABLE, and rebuilding these tables (which others reference,
        # with ON DELETE actions) would run those actions: add the column, then its named constraint in place.
        op.execute(f"ALTER TABLE {table} ADD COLUMN {column} INTEGER")
        sql = _table_sql(table).rstrip()
        assert sql.endswith(")")
        _set_table_sql(table, f"{sql[:-1]}, {_constraint(table, column)})")


def downgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    for table, column in COLUMNS:
        if sqlite:
            sql = _table_sql(table)
            _set_table_sql(table, sql.replace(f", {_constraint(table, column)}", ""))
        op.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
