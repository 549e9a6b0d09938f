"""Migrations are frozen: they import nothing from hrsys, and what they make outside the models (search
indexes, their triggers, the audit trail's triggers) is still what today's code makes."""

from __future__ import annotations

import ast
from pathlib import Path

import sqlalchemy as sa

import hrsys.models
from hrsys.core import migrate
from hrsys.core.db import make_engine
from hrsys.core.migrate import install_extra_objects
from tests.test_migrations import _drop, _fresh_url

VERSIONS = Path(__file__).resolve().parents[1] / "migrations" / "versions"


def test_no_migration_imports_hrsys() -> None:
    offenders = []
    for path in sorted(VERSIONS.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            offenders += [f"{path.name}: {n}" for n in names if n == "hrsys" or n.startswith("hrsys.")]
    assert offenders == []


def _extra_objects(engine: sa.Engine) -> dict[str, object]:
    """Every object that lives outside the models, by name, with its definition as the database tells it."""
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            rows = conn.exec_driver_sql(
                "SELECT name, sql FROM sqlite_master "
                "WHERE type = 'trigger' OR (type = 'table' AND sql LIKE 'CREATE VIRTUAL TABLE%')"
            )
            return {name: " ".join(sql.split()) for name, sql in rows}
        out: dict[str, object] = {}
        triggers = conn.exec_driver_sql(
            "SELECT tgname, pg_get_triggerdef(t.oid) FROM pg_trigger t WHERE NOT tgisinternal"
        )
        out |= {f"trigger {n}": d for n, d in triggers}
        functions = conn.exec_driver_sql(
            "SELECT p.proname, pg_get_functiondef(p.oid) FROM pg_proc p "
            "JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = current_schema()"
        )
        out |= {f"function {n}": d for n, d in functions}
        extra_tables = sorted(migrate._extra_names())
        indexes = conn.execute(
            sa.text("SELECT indexname, indexdef FROM pg_indexes WHERE indexname IN :names").bindparams(
                sa.bindparam("names", expanding=True)
            ),
            {"names": extra_tables},
        )
        out |= {f"index {n}": d for n, d in indexes}
        columns = conn.execute(
            sa.text(
                "SELECT table_name, column_name, data_type, collation_name, is_nullable "
                "FROM information_schema.columns WHERE table_name IN :names ORDER BY table_name, ordinal_position"
            ).bindparams(sa.bindparam("names", expanding=True)),
            {"names": extra_tables},
        )
        out["columns"] = [tuple(r) for r in columns]
        return out


def test_migrations_make_what_the_code_makes(database_url, tmp_path) -> None:  # type: ignore[no-untyped-def]
    migrated_url, cleanup = _fresh_url(database_url, tmp_path)
    try:
        migrate.upgrade(migrated_url)
        migrated = make_engine(migrated_url)
        try:
            from_migrations = _extra_objects(migrated)
        finally:
            migrated.dispose()
        migrate.downgrade(migrated_url, "base")
        # the same empty database, built as the test fixtures build theirs: the models, then today's code
        built = make_engine(migrated_url)
        try:
            with built.begin() as conn:
                conn.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")
            hrsys.models.metadata.create_all(built)
            with built.begin() as conn:
                install_extra_objects(conn)
            from_code = _extra_objects(built)
        finally:
            built.dispose()
        assert from_migrations, "the migrations made no search index or trigger"
        assert from_migrations == from_code
    finally:
        _drop(cleanup)
