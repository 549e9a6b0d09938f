"""Test fixtures: a fresh database per run (SQLite file or a new PostgreSQL database).

``HRSYS_TEST_DB=postgresql`` runs the suite on PostgreSQL; the server URL comes
from ``HRSYS_TEST_PG_URL`` (default ``postgresql://postgres@127.0.0.1:5432/test``).
Each run (and each xdist worker) creates its own database and drops it at the
end, so parallel or repeated runs never collide. Tables are emptied between tests.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from litestar.testing import TestClient
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import Session

import hrsys.models
from hrsys.app import create_app
from hrsys.config import Settings
from hrsys.core.db import make_engine, normalise_url
from hrsys.people import search
from hrsys.skills import search as skill_search

TEST_DB = os.environ.get("HRSYS_TEST_DB", "sqlite")
PG_URL = os.environ.get("HRSYS_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")


def _pg_admin_engine() -> Engine:
    return sa.create_engine(normalise_url(PG_URL), isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """URL of an empty database that lives for this test session only."""
    if TEST_DB == "sqlite":
        path: Path = tmp_path_factory.mktemp("db") / "hrsys-test.db"
        yield f"sqlite:///{path}"
        return
    if TEST_DB != "postgresql":
        raise pytest.UsageError(f"HRSYS_TEST_DB must be sqlite or postgresql, not {TEST_DB!r}")
    name = f"hrsys_t_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    admin = _pg_admin_engine()
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    except sa.exc.OperationalError as exc:  # pragma: no cover - environment problem, said loudly
        pytest.exit(f"PostgreSQL is not reachable at {PG_URL}: {exc.orig}", returncode=3)
    url = make_url(normalise_url(PG_URL)).set(database=name).render_as_string(hide_password=False)
    yield url
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.dispose()


@pytest.fixture(scope="session")
def engine(database_url: str) -> Iterator[Engine]:
    eng = make_engine(database_url, pool_size=5)
    hrsys.models.metadata.create_all(eng)
    with eng.begin() as conn:
        search.install(conn)
        skill_search.install(conn)
    yield eng
    eng.dispose()


def _empty_all_tables(engine: Engine) -> None:
    tables = [t.name for t in hrsys.models.metadata.sorted_tables]
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.exec_driver_sql(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE")
        else:
            conn.exec_driver_sql("PRAGMA defer_foreign_keys=ON")
            for name in reversed(tables):
                conn.exec_driver_sql(f"DELETE FROM {name}")
            conn.exec_driver_sql("DELETE FROM sqlite_sequence") if conn.exec_driver_sql(
                "SELECT 1 FROM sqlite_master WHERE name='sqlite_sequence'"
            ).first() else None
            conn.exec_driver_sql("INSERT INTO person_fts(person_fts) VALUES ('delete-all')")


@pytest.fixture
def db(engine: Engine) -> Iterator[Engine]:
    """The session's engine over empty tables."""
    _empty_all_tables(engine)
    yield engine


@pytest.fixture
def session(db: Engine) -> Iterator[Session]:
    with Session(db, expire_on_commit=False) as s:
        yield s


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(
        database_url=database_url,
        secret_key="test-secret-key-that-is-long-enough-for-hs256",
        demo_credentials_file=str(tmp_path / "demo-credentials.txt"),
    )


@pytest.fixture
def app(db: Engine, settings: Settings):  # type: ignore[no-untyped-def]
    return create_app(settings)


@pytest.fixture
def client(app) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    with TestClient(app) as c:
        yield c
