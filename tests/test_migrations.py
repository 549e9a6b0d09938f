"""The Alembic migrations build exactly the schema of the models, and take it down again."""

from __future__ import annotations

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

import hrsys.models
from hrsys.core import migrate
from hrsys.core.db import make_engine
from hrsys.core.migrate import include_name, include_object_for
from hrsys.people.search import SEARCH_TEXT_STATISTICS


def _fresh_url(database_url: str, tmp_path) -> tuple[str, object]:  # type: ignore[no-untyped-def]
    """An empty database beside the session's one (a file on SQLite, a schema-free database on PostgreSQL)."""
    if database_url.startswith("sqlite"):
        return f"sqlite:///{tmp_path / 'migrations.db'}", None
    url = sa.engine.make_url(database_url)
    name = f"{url.database}_mig"
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    return url.set(database=name).render_as_string(hide_password=False), (admin, name)


def _drop(cleanup) -> None:  # type: ignore[no-untyped-def]
    if cleanup is None:
        return
    admin, name = cleanup
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.dispose()


def test_upgrade_matches_models_and_downgrade_empties(database_url, tmp_path) -> None:
    url, cleanup = _fresh_url(database_url, tmp_path)
    try:
        migrate.upgrade(url)
        assert migrate.current(url) == migrate.head()
        engine = make_engine(url)
        try:
            with engine.connect() as conn:
                ctx = MigrationContext.configure(
                    conn,
                    opts={
                        "include_name": include_name,
                        "include_object": include_object_for(conn.dialect.name),
                        "compare_type": True,
                    },
                )
                diff = compare_metadata(ctx, hrsys.models.metadata)
            assert diff == [], f"models and migrations differ: {diff}"
            inspector = sa.inspect(engine)
            tables = set(inspector.get_table_names())
            assert set(hrsys.models.metadata.tables) <= tables
            # The name-search index lives outside the models: it must exist after upgrade.
            indexes = {ix["name"] for ix in inspector.get_indexes("person")}
            if engine.dialect.name == "sqlite":
                assert "person_fts" in tables
                assert "ix_person_agency_page" in indexes  # the people list's covering index is SQLite's only
            else:
                assert "ix_person_search_trgm" in indexes
                assert "ix_person_agency_page" not in indexes
                # fine enough statistics for the planner to tell a common name fragment from a rare one
                with engine.connect() as conn:
                    target = conn.scalar(
                        sa.text(
                            "SELECT attstattarget FROM pg_attribute "
                            "WHERE attrelid = 'person'::regclass AND attname = 'search_text'"
                        )
                    )
                assert target == SEARCH_TEXT_STATISTICS
        finally:
            engine.dispose()
        migrate.downgrade(url, "base")
        assert migrate.current(url) is None
        engine = make_engine(url)
        try:
            left = set(sa.inspect(engine).get_table_names()) - {"alembic_version"}
        finally:
            engine.dispose()
        assert left == set()
    finally:
        _drop(cleanup)


def test_downgrade_to_base_empties_a_populated_database(database_url, tmp_path) -> None:
    """``hrsys db downgrade base`` on a database with data in it (the demo): every table goes, on both
    databases (SQLite used to stop at ``DROP TABLE agency`` on its foreign keys)."""
    from click.testing import CliRunner
    from sqlalchemy.orm import Session

    from hrsys.cli import main
    from hrsys.config import Settings
    from hrsys.demo.load import load_into

    url, cleanup = _fresh_url(database_url, tmp_path)
    try:
        migrate.upgrade(url, "head")
        engine = make_engine(url)
        try:
            settings = Settings(database_url=url, demo_credentials_file=str(tmp_path / "demo-credentials.txt"))
            with Session(engine) as session, session.begin():
                load_into(session, settings)
            with engine.connect() as conn:
                assert conn.scalar(sa.text("SELECT count(*) FROM agency")) and conn.scalar(
                    sa.text("SELECT count(*) FROM person")
                )
        finally:
            engine.dispose()
        result = CliRunner().invoke(main, ["--database-url", url, "db", "downgrade", "base"])
        assert result.exit_code == 0, result.output + repr(result.exception)
        assert "database at base" in result.output
        engine = make_engine(url)
        try:
            with engine.connect() as conn:
                left = [t for t in sa.inspect(conn).get_table_names() if include_name(t, "table", None)]
            assert left == ["alembic_version"] or left == []
        finally:
            engine.dispose()
    finally:
        _drop(cleanup)
