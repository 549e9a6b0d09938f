"""Substring skill search: FTS5 trigram on SQLite, pg_trgm on PostgreSQL.

Thai is written without spaces between words, so skills are matched by
substring of ``skill.search_text`` (code, Thai and English names and aliases,
lower-cased; a generated column), never by word. Both databases index it by
trigrams; queries shorter than three characters fall back to a scan (15,000
skills scan in a few milliseconds). These objects live outside the SQLAlchemy
metadata: Alembic ignores them by name (:data:`EXTRA_OBJECT_NAMES`), and the
migration that creates the tables must run :data:`SQLITE_DDL` or
:data:`POSTGRESQL_DDL` (or call :func:`install`).
"""

from __future__ import annotations

import sqlalchemy as sa

EXTRA_OBJECT_NAMES = frozenset(
    {
        "skill_fts",
        "skill_fts_data",
        "skill_fts_idx",
        "skill_fts_docsize",
        "skill_fts_config",
        "skill_fts_content",
        "ix_skill_search_trgm",
    }
)

SQLITE_DDL = [
    "CREATE VIRTUAL TABLE IF NOT EXISTS skill_fts USING fts5("
    "search_text, content='skill', content_rowid='id', tokenize='trigram')",
    "CREATE TRIGGER IF NOT EXISTS skill_fts_ai AFTER INSERT ON skill BEGIN "
    "INSERT INTO skill_fts(rowid, search_text) VALUES (new.id, new.search_text); END",
    "CREATE TRIGGER IF NOT EXISTS skill_fts_ad AFTER DELETE ON skill BEGIN "
    "INSERT INTO skill_fts(skill_fts, rowid, search_text) VALUES ('delete', old.id, old.search_text); END",
    "CREATE TRIGGER IF NOT EXISTS skill_fts_au AFTER UPDATE OF code, name_th, name_en, aliases ON skill BEGIN "
    "INSERT INTO skill_fts(skill_fts, rowid, search_text) VALUES ('delete', old.id, old.search_text); "
    "INSERT INTO skill_fts(rowid, search_text) VALUES (new.id, new.search_text); END",
]

SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS skill_fts_au",
    "DROP TRIGGER IF EXISTS skill_fts_ad",
    "DROP TRIGGER IF EXISTS skill_fts_ai",
    "DROP TABLE IF EXISTS skill_fts",
]

POSTGRESQL_DDL = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX IF NOT EXISTS ix_skill_search_trgm ON skill USING gin (search_text gin_trgm_ops)",
]


def install(conn: sa.Connection) -> None:
    """Create the skill-search index for the connection's database (idempotent)."""
    if conn.dialect.name == "sqlite":
        for stmt in SQLITE_DDL:
            conn.exec_driver_sql(stmt)
    elif conn.dialect.name == "postgresql":
        available = conn.scalar(sa.text("SELECT count(*) FROM pg_available_extensions WHERE name = 'pg_trgm'"))
        if not available:
            return
        for stmt in POSTGRESQL_DDL:
            conn.exec_driver_sql(stmt)


def uninstall(conn: sa.Connection) -> None:
    if conn.dialect.name == "sqlite":
        for stmt in SQLITE_DROP:
            conn.exec_driver_sql(stmt)
    elif conn.dialect.name == "postgresql":
        conn.exec_driver_sql("DROP INDEX IF EXISTS ix_skill_search_trgm")


def rebuild(conn: sa.Connection) -> None:
    """Rebuild the SQLite index from the table (after bulk loads that bypassed the triggers)."""
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql("INSERT INTO skill_fts(skill_fts) VALUES ('rebuild')")
        optimize(conn)


def optimize(conn: sa.Connection) -> None:
    """Merge the SQLite index into one segment: queries then read one doclist per trigram."""
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql("INSERT INTO skill_fts(skill_fts) VALUES ('optimize')")


def escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def substring_condition(
    dialect: str, search_text: sa.ColumnElement[str], id_col: sa.ColumnElement[int], q: str
) -> sa.ColumnElement[bool]:
    """A WHERE condition matching skills whose code, names or aliases contain ``q`` (case-insensitive)."""
    needle = q.strip().lower()
    if dialect == "sqlite" and len(needle) >= 3:
        phrase = '"' + needle.replace('"', '""') + '"'
        return id_col.in_(
            sa.text("SELECT rowid FROM skill_fts WHERE skill_fts MATCH :skill_fts_q").bindparams(skill_fts_q=phrase)
        )
    return search_text.like(f"%{escape_like(needle)}%", escape="\\")


def candidate_ids(conn: sa.Connection, q: str) -> list[int]:
    """Ids of the skills whose search text contains ``q`` (three characters or more), from the trigram index alone.

    On SQLite the FTS5 table answers without touching the (wide) skill rows.
    """
    needle = q.strip().lower()
    if conn.dialect.name == "sqlite" and len(needle) >= 3:
        phrase = '"' + needle.replace('"', '""') + '"'
        # Thousands of ids for a common word: one fetch on the driver's cursor, not a row at a time.
        cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        try:
            cursor.execute("SELECT rowid FROM skill_fts WHERE skill_fts MATCH ?", (phrase,))
            return [r[0] for r in cursor.fetchall()]
        finally:
            cursor.close()
    table = sa.table("skill", sa.column("id", sa.Integer), sa.column("search_text", sa.Text))
    return list(
        conn.scalars(sa.select(table.c.id).where(table.c.search_text.like(f"%{escape_like(needle)}%", escape="\\")))
    )
