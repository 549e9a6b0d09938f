"""Task-force memberships waiting for consent: the ``pending`` and ``released`` statuses, the consent group

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-08 10:00:00

A cross-agency appointment is a membership ``pending`` the consent of the person and of their home agency's
HR officers, and ``released`` when consent never comes. ``taskforce_member`` gains ``consent_group`` (the
``group_key`` of the appointment requests, NULL for direct appointments) with an index, and its status CHECK
admits the two new values. The CHECK is only widened, so every stored row still holds: on SQLite the table's
stored definition is replaced in place (the procedure of SQLite's ALTER TABLE guide), not rebuilt. Downgrade
turns pending and released memberships into withdrawn ones (never served) before narrowing the CHECK again.
The DDL is written out here, not read from the models, which may change later.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLE = "taskforce_member"
CHECK = "ck_taskforce_member_memberstatus"
OLD = "status IN ('active', 'ended', 'withdrawn')"
NEW = "status IN ('pending', 'active', 'ended', 'withdrawn', 'released')"


def _table_sql() -> str:
    return str(
        op.get_bind()
        .execute(sa.text("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = :t"), {"t": TABLE})
        .scalar_one()
    )


def _set_table_sql(sql: str) -> None:
    bind = op.get_bind()
    version = bind.exec_driver_sql("PRAGMA schema_version").scalar_one()
    bind.exec_driver_sql("PRAGMA writable_schema=ON")
    bind.execute(
        sa.text("UPDATE sqlite_master SET sql = :sql WHERE type = 'table' AND name = :t"), {"sql": sql, "t": TABLE}
    )
    bind.exec_driver_sql("PRAGMA writable_schema=OFF")
    bind.exec_driver_sql(f"PRAGMA schema_version={int(version) + 1}")


def _swap_check(old: str, new: str) -> None:
    if op.get_bind().dialect.name == "sqlite":
        sql = _table_sql()
        assert old in sql, f"{TABLE}: the status CHECK is not {old}"
        _set_table_sql(sql.replace(old, new))
    else:
        op.execute(f"ALTER TABLE {TABLE} DROP CONSTRAINT {CHECK}")
        op.execute(f"ALTER TABLE {TABLE} ADD CONSTRAINT {CHECK} CHECK ({new})")


def upgrade() -> None:
    op.execute(f"ALTER TABLE {TABLE} ADD COLUMN consent_group VARCHAR(80)")
    op.execute(f"CREATE INDEX ix_taskforce_member_consent_group ON {TABLE} (consent_group)")
    _swap_check(OLD, NEW)


def downgrade() -> None:
    op.execute(f"UPDATE {TABLE} SET status = 'withdrawn' WHERE status IN ('pending', 'released')")
    _swap_check(NEW, OLD)
    op.execute("DROP INDEX ix_taskforce_member_consent_group")
    op.execute(f"ALTER TABLE {TABLE} DROP COLUMN consent_group")
