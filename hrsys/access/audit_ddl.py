"""Database triggers that make ``audit_event`` append-only, whatever the client.

PostgreSQL: a ``BEFORE UPDATE OR DELETE ... FOR EACH ROW`` trigger raises
``insufficient_privilege``. SQLite: two ``BEFORE`` triggers ``RAISE(ABORT)``.
Inserts are untouched. ``TRUNCATE`` (PostgreSQL) is left to the table owner's
privileges: grant the application role ``INSERT, SELECT`` only on ``audit_event``
in production, so that it cannot truncate either.

Consequence: rows that point at audit events cannot be deleted when that would
change an event (``app_user`` rows with events: deactivate users instead).

The initial migration calls :func:`install` after creating the tables and
:func:`uninstall` before dropping them; the test fixtures call them too.
"""

from __future__ import annotations

import sqlalchemy as sa

EXTRA_OBJECT_NAMES = frozenset(
    {"audit_event_immutable", "audit_event_no_update", "audit_event_no_delete", "hrsys_audit_event_immutable"}
)

MESSAGE = "audit events cannot be changed or deleted"

POSTGRESQL_DDL = [
    "CREATE OR REPLACE FUNCTION hrsys_audit_event_immutable() RETURNS trigger LANGUAGE plpgsql AS $$ "
    f"BEGIN RAISE EXCEPTION '{MESSAGE}' USING ERRCODE = 'insufficient_privilege'; END $$",
    "DROP TRIGGER IF EXISTS audit_event_immutable ON audit_event",
    "CREATE TRIGGER audit_event_immutable BEFORE UPDATE OR DELETE ON audit_event "
    "FOR EACH ROW EXECUTE FUNCTION hrsys_audit_event_immutable()",
]
POSTGRESQL_DROP = [
    "DROP TRIGGER IF EXISTS audit_event_immutable ON audit_event",
    "DROP FUNCTION IF EXISTS hrsys_audit_event_immutable()",
]

SQLITE_DDL = [
    "CREATE TRIGGER IF NOT EXISTS audit_event_no_update BEFORE UPDATE ON audit_event "
    f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END",
    "CREATE TRIGGER IF NOT EXISTS audit_event_no_delete BEFORE DELETE ON audit_event "
    f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END",
]
SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS audit_event_no_update",
    "DROP TRIGGER IF EXISTS audit_event_no_delete",
]


def install(conn: sa.Connection) -> None:
    """Create the triggers for the connection's database (idempotent)."""
    statements = POSTGRESQL_DDL if conn.dialect.name == "postgresql" else SQLITE_DDL
    for stmt in statements:
        conn.exec_driver_sql(stmt)


def uninstall(conn: sa.Connection) -> None:
    statements = POSTGRESQL_DROP if conn.dialect.name == "postgresql" else SQLITE_DROP
    for stmt in statements:
        conn.exec_driver_sql(stmt)
