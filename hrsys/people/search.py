"""Substring name search: FTS5 trigram on SQLite; on PostgreSQL a table of each name's trigrams, and pg_trgm.

Thai is written without spaces between words, so names are matched by
substring, never by word. Both databases index ``person.search_text`` by
trigrams; queries shorter than three characters fall back to a plain scan.
These objects live outside the SQLAlchemy metadata (Alembic ignores them by name).

PostgreSQL keeps two trigram indexes. ``person_name_gram`` holds every trigram of every
``search_text`` with its position, kept by statement triggers on ``person``; its key
``(gram, person_id, pos)`` lists the people holding a trigram in id order, so a name
search that is the whole filter reads its page and its capped count from that index
alone, and stops early (see :func:`gram_ids`). Thai names are built of common parts
(``วรรณ``, ``รัตน์``, ``ชัย``), so three to five typed characters often match tens of
thousands of people; the pg_trgm GIN index must gather every one of them before it can
return the first (about 8 ms for the first page and count of such a search, against
1-2 ms here). The GIN index still serves name searches combined with other filters,
where the planner weighs the name against the agency, kind or role.
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
        "person_name_gram",
        "person_name_gram_pkey",
    }
)

GRAM_TABLE_DDL = (
    'CREATE TABLE IF NOT EXISTS person_name_gram (gram text COLLATE "C" NOT NULL, person_id integer NOT NULL, '
    "pos smallint NOT NULL, CONSTRAINT person_name_gram_pkey PRIMARY KEY (gram, person_id, pos))"
)
_GRAMS = "substr({r}.search_text, i, 3), {r}.id, i"
_EACH_POSITION = "generate_series(1, length({r}.search_text) - 2) i"
_DELETE_OLD = (
    f"DELETE FROM person_name_gram g USING {_EACH_POSITION.format(r='OLD')} "
    "WHERE g.gram = substr(OLD.search_text, i, 3) AND g.person_id = OLD.id AND g.pos = i"
)
PG_GRAM_DDL = [
    GRAM_TABLE_DDL,
    # Inserts: a statement trigger with a transition table, so a COPY or a multi-row INSERT writes its
    # trigrams in one statement. Deletes and renames are one person at a time: row triggers.
    "CREATE OR REPLACE FUNCTION person_name_gram_ins() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
    f"INSERT INTO person_name_gram (gram, person_id, pos) SELECT {_GRAMS.format(r='n')} "
    f"FROM new_rows n, {_EACH_POSITION.format(r='n')}; RETURN NULL; END $$",
    "CREATE OR REPLACE FUNCTION person_name_gram_del() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
    f"{_DELETE_OLD}; RETURN NULL; END $$",
    # Fires only when the names changed: an update of anything else (a role, a phone) costs nothing here.
    # A statement trigger joining the old and new rows cost 6-12 ms per update, and 64 s for the generator's
    # roles of 500,000 people.
    "CREATE OR REPLACE FUNCTION person_name_gram_upd() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
    f"{_DELETE_OLD}; INSERT INTO person_name_gram (gram, person_id, pos) SELECT {_GRAMS.format(r='NEW')} "
    f"FROM {_EACH_POSITION.format(r='NEW')}; RETURN NULL; END $$",
    "CREATE OR REPLACE FUNCTION person_name_gram_trunc() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
    "TRUNCATE person_name_gram; RETURN NULL; END $$",
    "DROP TRIGGER IF EXISTS person_name_gram_ai ON person",
    "CREATE TRIGGER person_name_gram_ai AFTER INSERT ON person REFERENCING NEW TABLE AS new_rows "
    "FOR EACH STATEMENT EXECUTE FUNCTION person_name_gram_ins()",
    "DROP TRIGGER IF EXISTS person_name_gram_ad ON person",
    "CREATE TRIGGER person_name_gram_ad AFTER DELETE ON person FOR EACH ROW EXECUTE FUNCTION person_name_gram_del()",
    "DROP TRIGGER IF EXISTS person_name_gram_au ON person",
    "CREATE TRIGGER person_name_gram_au AFTER UPDATE ON person FOR EACH ROW "
    "WHEN (OLD.search_text IS DISTINCT FROM NEW.search_text) EXECUTE FUNCTION person_name_gram_upd()",
    "DROP TRIGGER IF EXISTS person_name_gram_at ON person",
    "CREATE TRIGGER person_name_gram_at AFTER TRUNCATE ON person FOR EACH STATEMENT "
    "EXECUTE FUNCTION person_name_gram_trunc()",
]
PG_GRAM_DROP = [
    "DROP TRIGGER IF EXISTS person_name_gram_at ON person",
    "DROP TRIGGER IF EXISTS person_name_gram_au ON person",
    "DROP TRIGGER IF EXISTS person_name_gram_ad ON person",
    "DROP TRIGGER IF EXISTS person_name_gram_ai ON person",
    "DROP FUNCTION IF EXISTS person_name_gram_trunc()",
    "DROP FUNCTION IF EXISTS person_name_gram_upd()",
    "DROP FUNCTION IF EXISTS person_name_gram_del()",
    "DROP FUNCTION IF EXISTS person_name_gram_ins()",
    "DROP TABLE IF EXISTS person_name_gram",
]

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
    """Create the name-search index for the connection's database (idempotent). An index made now is
    filled from the people already there: its triggers see only later changes."""
    if conn.dialect.name == "sqlite":
        made = conn.scalar(sa.text("SELECT count(*) = 0 FROM sqlite_master WHERE name = 'person_fts'"))
        for stmt in SQLITE_DDL:
            conn.exec_driver_sql(stmt)
        if made:
            rebuild(conn)
    elif conn.dialect.name == "postgresql":
        made = conn.scalar(sa.text("SELECT to_regclass('person_name_gram') IS NULL"))
        for stmt in PG_GRAM_DDL:
            conn.exec_driver_sql(stmt)
        if made:
            rebuild(conn)
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
        for stmt in PG_GRAM_DROP:
            conn.exec_driver_sql(stmt)


def rebuild(conn: sa.Connection) -> None:
    """Rebuild the trigram index from the table (after bulk loads that bypassed the triggers, and when the
    PostgreSQL trigram table is first made over existing people)."""
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql("INSERT INTO person_fts(person_fts) VALUES ('rebuild')")
        optimize(conn)
    elif conn.dialect.name == "postgresql":
        # The key built once after the rows rather than row by row: 500,000 people give 15.6 million
        # trigrams, about 20 s.
        conn.exec_driver_sql("TRUNCATE person_name_gram")
        conn.exec_driver_sql("ALTER TABLE person_name_gram DROP CONSTRAINT person_name_gram_pkey")
        conn.exec_driver_sql(
            f"INSERT INTO person_name_gram (gram, person_id, pos) SELECT {_GRAMS.format(r='p')} "
            f"FROM person p, {_EACH_POSITION.format(r='p')}"
        )
        conn.exec_driver_sql(
            "ALTER TABLE person_name_gram ADD CONSTRAINT person_name_gram_pkey PRIMARY KEY (gram, person_id, pos)"
        )


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


GRAM = sa.table(
    "person_name_gram",
    sa.column("gram", sa.String),
    sa.column("person_id", sa.Integer),
    sa.column("pos", sa.Integer),
)
EXACT_SPAN = 9
"""A needle up to this long is pinned by its first and last trigrams at their distance, with the trigram
three characters in beyond six (together they cover every character), so the trigram table alone answers
it; a longer one is checked against ``search_text``."""


def uses_grams(dialect: str, q: str) -> bool:
    """True when PostgreSQL's trigram table can answer ``q`` (three characters or more)."""
    return dialect == "postgresql" and len(needle(q)) >= 3


def gram_kind(q: str) -> str:
    """How :func:`gram_ids` finds ``q``: one trigram, a pair or three at their distances, or a pair then a
    check of the row."""
    size = len(needle(q))
    return "one" if size == 3 else "pair" if size <= 6 else "triple" if size <= EXACT_SPAN else "pair_checked"


def gram_params(q: str) -> dict[str, object]:
    found = needle(q)
    return {"g_first": found[:3], "g_mid": found[3:6], "g_last": found[-3:], "g_gap": len(found) - 3, "q_needle": found}


def gram_ids(kind: str, person: sa.FromClause) -> sa.Select[tuple[int]]:
    """Distinct ids of the people whose ``search_text`` contains the needle (:func:`gram_params`).

    Read on the key of ``person_name_gram`` in id order, so ``ORDER BY`` the id with a ``LIMIT``
    stops after that many people, and a capped count after the cap, whatever the name's commonness.
    """
    first = GRAM.alias("g_first")
    source: sa.FromClause = first
    conds: list[sa.ColumnElement[bool]] = [first.c.gram == sa.bindparam("g_first")]

    def then(name: str, distance: sa.ColumnElement[int] | int) -> sa.FromClause:
        """The needle's trigram ``name`` at ``distance`` after the first, in the same person's name."""
        other = GRAM.alias(name)
        on = [other.c.gram == sa.bindparam(name), other.c.person_id == first.c.person_id]
        return source.join(other, sa.and_(*on, other.c.pos == first.c.pos + distance))

    if kind != "one":
        source = then("g_last", sa.bindparam("g_gap", type_=sa.Integer))
    if kind == "triple":
        source = then("g_mid", 3)
    if kind == "pair_checked":
        source = source.join(person, person.c.id == first.c.person_id)
        conds.append(sa.func.strpos(person.c.search_text, sa.bindparam("q_needle")) > 0)
    return sa.select(first.c.person_id).select_from(source).where(*conds).distinct()
