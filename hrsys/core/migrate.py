"""Alembic, driven from code: ``hrsys db upgrade|downgrade|current|revision``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from hrsys.core.db import normalise_url

MIGRATIONS_DIR = Path(__file__).resolve().parents[2] / "migrations"

# Tables that belong to others (Piccolo's own) or to hand-written DDL (search index, SQLite internals).
IGNORED_TABLES = frozenset({"piccolo_user", "sessions", "sqlite_sequence"})


def _extra_names() -> frozenset[str]:
    from hrsys.people.search import EXTRA_OBJECT_NAMES

    return EXTRA_OBJECT_NAMES


def include_name(name: str | None, type_: str, parent_names: Any) -> bool:
    if name is None:
        return True
    if type_ == "table" and (name in IGNORED_TABLES or name in _extra_names()):
        return False
    return not (type_ == "index" and name in _extra_names())


def include_object(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
    return include_name(name, type_, None)


def alembic_config(url: str, connection: sa.Connection | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", normalise_url(url).replace("%", "%%"))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def upgrade(url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(url), revision)


def downgrade(url: str, revision: str) -> None:
    command.downgrade(alembic_config(url), revision)


def current(url: str) -> str | None:
    from hrsys.core.db import make_engine

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
