"""Substring name search: FTS5 trigram on SQLite, pg_trgm on PostgreSQL.

Thai is written without spaces between words, so names are matched by
substring, never by word. Both databases index ``person.search_text`` by
trigrams; queries shorter than three characters fall back to a plain scan.
These objects live outside the SQLAlchemy metadata (Alembic ignores them by name).
"""

from __future__ import annotations

import sqlalchemy as sa

EXTRA_OBJECT_NAMES = frozenset(
    {
        "person_fts",
        "person_fts_data",
        "person_fts_idx",
        "person_fts_docsize",
        "person_fts_config",
        "person_fts_content",
        "ix_person_search_trgm",
    }
)

SQLITE_DDL = [
    "CREATE VIRTUAL TABLE IF NOT EXISTS person_fts USING fts5("
    "search_text, content='person', content_rowid='id', tokenize='trigram')",
    "CREATE TRIGGER IF NOT EXISTS person_fts_ai AFTER INSERT ON person BEGIN "
    "INSERT INTO person_fts(rowid, search_text) VALUES (new.id, new.search_text); END",
    "CREATE TRIGGER IF NOT EXISTS person_fts_ad AFTER DELETE ON person BEGIN "
    "INSERT INTO person_fts(person_fts, rowid, search_text) VALUES ('delete', old.id, old.search_text); END",
    "CREATE TRIGGER IF NOT EXISTS person_fts_au AFTER UPDATE OF "
    "first_name_th, last_name_th, first_name_en, last_name_en ON person BEGIN "
    "INSERT INTO person_fts(person_fts, rowid, search_text) VALUES ('delete', old.id, old.search_text); "
    "INSERT INTO person_fts(rowid, search_text) VALUES (new.id, new.search_text); END",
]

SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS person_fts_au",
    "DROP TRIGGER IF EXISTS person_fts_ad",
    "DROP TRIGGER IF EXISTS person_fts_ai",
    "DROP TABLE IF EXISTS person_fts",
]


def install(conn: sa.Connection) -> None:
    """Create the name-search index for the connection's database (idempotent)."""
    if conn.dialect.name == "sqlite":
        for stmt in SQLITE_DDL:
            conn.exec_driver_sql(stmt)
    elif conn.dialect.name == "postgresql":
        available = conn.scalar(sa.text("SELECT count(*) FROM pg_available_extensions WHERE name = 'pg_trgm'"))
        if not available:
            return
        conn.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        conn.exec_driver_sql(
            "CREATE INDEX IF NOT EXISTS ix_person_search_trgm ON person USING gin (search_text gin_trgm_ops)"
        )


SEARCH_TEXT_STATISTICS = 300
"""PostgreSQL's statistics target for ``person.search_text``. With the default (100) the planner has too few
histogram entries to test a ``LIKE '%fragment%'`` against and guesses about 50 matches; a common Thai
fragment matches 10,000 people, so it fetched every match through the trigram index and sorted them for a
page of 50 (16 ms) instead of walking people in id order until the page is full (1 ms). With 300 its
guesses are close (9,886 for 10,282) at about 0.5 ms more planning; 1,000 gave no better plans and cost
2 ms of planning."""


def tune_statistics(conn: sa.Connection, target: int | None = SEARCH_TEXT_STATISTICS) -> None:
    """Set (None: reset) the planner's statistics target of ``person.search_text`` and refresh the statistics
    (PostgreSQL; nothing on SQLite, whose name search does not depend on estimates)."""
    if conn.dialect.name != "postgresql":
        return
    conn.exec_driver_sql(f"ALTER TABLE person ALTER COLUMN search_text SET STATISTICS {int(target or -1)}")
    conn.exec_driver_sql("ANALYZE person")


def uninstall(conn: sa.Connection) -> None:
    if conn.dialect.name == "sqlite":
        for stmt in SQLITE_DROP:
            conn.exec_driver_sql(stmt)
    elif conn.dialect.name == "postgresql":
        conn.exec_driver_sql("DROP INDEX IF EXISTS ix_person_search_trgm")


def rebuild(conn: sa.Connection) -> None:
    """Rebuild the SQLite index from the table (after bulk loads that bypassed the triggers)."""
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql("INSERT INTO person_fts(person_fts) VALUES ('rebuild')")
        optimize(conn)


def optimize(conn: sa.Connection) -> None:
    """Merge the SQLite index into one segment: queries then read one doclist per trigram."""
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql("INSERT INTO person_fts(person_fts) VALUES ('optimize')")


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


PERSON_FTS = sa.table("person_fts", sa.column("rowid", sa.Integer))


def uses_fts(dialect: str, q: str) -> bool:
    """True when the SQLite trigram index can answer ``q`` (three characters or more)."""
    return dialect == "sqlite" and len(q.strip()) >= 3


def fts_phrase(q: str) -> str:
    """``q`` as an FTS5 phrase: with the trigram tokenizer a phrase matches as a substring."""
    return '"' + q.strip().lower().replace('"', '""') + '"'


def fts_match_param(name: str) -> sa.TextClause:
    """``person_fts MATCH :name``; bind :func:`fts_phrase` of the query."""
    return sa.text(f"person_fts MATCH :{name}")


def contains_param(dialect: str, search_text: sa.ColumnElement[str], name: str) -> sa.ColumnElement[bool]:
    """``search_text`` contains the bound value :func:`contains_value`.

    PostgreSQL: ``LIKE``, served by the pg_trgm index. SQLite: ``instr`` (both sides
    are lower case already), used on the rows of one subtree or for short queries.
    """
    if dialect == "sqlite":
        return sa.func.instr(search_text, sa.bindparam(name)) > 0
    return search_text.like(sa.bindparam(name), escape="\\")


def needle(q: str) -> str:
    """``q`` as it is looked for in ``search_text`` (which is lower case)."""
    return q.strip().lower()


def contains_value(dialect: str, q: str) -> str:
    found = needle(q)
    return found if dialect == "sqlite" else f"%{_escape_like(found)}%"


def position_param(search_text: sa.ColumnElement[str], name: str) -> sa.ColumnElement[bool]:
    """``search_text`` contains the bound :func:`needle`, tested with ``strpos`` (PostgreSQL): no index serves
    it, and it costs half of ``LIKE`` per row walked."""
    return sa.func.strpos(search_text, sa.bindparam(name)) > 0
