"""Alembic, driven from code: ``hrsys db upgrade|downgrade|current|revision``."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from hrsys.core.db import SQLITE_UNCHECKED_KEYS, make_engine, normalise_url

MIGRATIONS_DIR = Path(__file__).resolve().parents[2] / "migrations"

# Tables that belong to others (Piccolo's own) or to SQLite itself.
IGNORED_TABLES = frozenset({"piccolo_user", "sessions", "sqlite_sequence"})

# Modules whose database objects live outside the models (search indexes, audit triggers):
# each has ``EXTRA_OBJECT_NAMES``, ``install(conn)`` and ``uninstall(conn)``, and may have ``optimize(conn)``.
EXTRA_DDL_MODULES = ("hrsys.people.search", "hrsys.skills.catalog.search", "hrsys.access.audit_ddl")


def _extra_modules() -> list[Any]:
    return [importlib.import_module(name) for name in EXTRA_DDL_MODULES]


def _extra_names() -> frozenset[str]:
    names: set[str] = set()
    for module in _extra_modules():
        names |= module.EXTRA_OBJECT_NAMES
    return frozenset(names)


def install_extra_objects(conn: sa.Connection) -> None:
    """Create the objects outside the models (idempotent); migrations and test fixtures call this."""
    for module in _extra_modules():
        module.install(conn)


def uninstall_extra_objects(conn: sa.Connection) -> None:
    for module in reversed(_extra_modules()):
        module.uninstall(conn)


def optimize(engine: sa.Engine) -> None:
    """Maintenance after bulk loads and from time to time (``hrsys db optimize``).

    SQLite: merge the full-text indexes into one segment each (a fragmented index made name searches
    five times slower at national scale) and refresh the planner's statistics. PostgreSQL: ``VACUUM
    ANALYZE`` of hrsys's own tables (those of the connection's schema): statistics, and the visibility
    map without which the index-only reads of the capped counts and of the name trigram table fetch
    every row from the heap until autovacuum comes round (after the 0003 upgrade fills that table, say).
    """
    with engine.begin() as conn:
        for module in _extra_modules():
            if hasattr(module, "optimize"):
                module.optimize(conn)
        if conn.dialect.name == "sqlite":
            conn.exec_driver_sql("ANALYZE")  # every table (``PRAGMA optimize`` would analyse only some of them)
            return
    # VACUUM cannot run in a transaction
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        tables = conn.exec_driver_sql(
            "SELECT quote_ident(tablename) FROM pg_tables WHERE schemaname = current_schema() ORDER BY tablename"
        ).scalars()
        conn.exec_driver_sql(f"VACUUM (ANALYZE) {', '.join(tables)}")


def include_name(name: str | None, type_: str, parent_names: Any) -> bool:
    if name is None:
        return True
    extra = _extra_names()
    if type_ == "table" and (name in IGNORED_TABLES or name in extra):
        return False
    if type_ == "table" and any(name.startswith(f"{t}_") for t in extra if t.endswith("_fts")):
        return False  # FTS5 shadow tables
    return not (type_ == "index" and name in extra)


def include_object_for(dialect: str) -> Callable[[Any, str | None, str, bool, Any], bool]:
    """Alembic's ``include_object`` for a database of ``dialect``: :func:`include_name`, and none of the
    models' indexes made on other databases only (``Index.ddl_if``, which Alembic's comparison ignores)."""

    def include_object(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
        if type_ == "index" and not reflected and not made_on(obj, dialect):
            return False
        return include_name(name, type_, None)

    return include_object


def made_on(index: sa.Index, dialect: str) -> bool:
    """Whether ``index`` of the models exists on a database of ``dialect`` (see ``Index.ddl_if``)."""
    only = index._ddl_if.dialect if index._ddl_if is not None else None
    if only is None:
        return True
    return dialect == only if isinstance(only, str) else dialect in only


def alembic_config(url: str, connection: sa.Connection | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", normalise_url(url).replace("%", "%%"))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def upgrade(url: str, revision: str = "head") -> None:
    _run(url, lambda cfg: command.upgrade(cfg, revision))


def downgrade(url: str, revision: str) -> None:
    _run(url, lambda cfg: command.downgrade(cfg, revision))


def _run(url: str, step: Callable[[Config], None]) -> None:
    """Run an Alembic command on ``url``.

    On SQLite, in one transaction with foreign keys off, as SQLite's guide to schema changes says: a
    ``DROP TABLE`` of a table that other rows refer to (``agency``, going down to ``base`` on a populated
    database) or the copy-and-rename of a batch migration would otherwise fail on the foreign keys, and
    SQLite reads the pragma only outside a transaction, so a migration cannot turn it off itself. Before
    the commit, ``PRAGMA foreign_key_check`` must find nothing: a migration that leaves a dangling key is
    rolled back whole, with the tables at fault named. PostgreSQL runs the command as it is (its DDL is
    transactional and drops constraints with their tables).
    """
    if not normalise_url(url).startswith("sqlite"):
        step(alembic_config(url))
        return
    engine = make_engine(url)
    try:
        with engine.execution_options(**{SQLITE_UNCHECKED_KEYS: True}).begin() as conn:
            step(alembic_config(url, conn))
            dangling = sorted({str(r[0]) for r in conn.exec_driver_sql("PRAGMA foreign_key_check")})
            if dangling:
                names = ", ".join(dangling)
                raise RuntimeError(f"migration rolled back: it would leave foreign keys pointing nowhere in {names}")
    finally:
        engine.dispose()


def current(url: str) -> str | None:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()
    finally:
        engine.dispose()


def head() -> str | None:
    return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()


def revision(url: str, message: str, autogenerate: bool = True) -> None:
    command.revision(alembic_config(url), message=message, autogenerate=autogenerate)
