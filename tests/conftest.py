"""Test fixtures: a fresh database per run (SQLite file or a new PostgreSQL database).

``HRSYS_TEST_DB=postgresql`` runs the suite on PostgreSQL; the server URL comes
from ``HRSYS_TEST_PG_URL`` (default ``postgresql://postgres@127.0.0.1:5432/test``).
Each run (and each xdist worker) creates its own database and drops it at the
end, so parallel or repeated runs never collide. Tables are emptied between tests.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest
import sqlalchemy as sa
from litestar.testing import TestClient
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import Session

import hrsys.models
from hrsys.access import audit_ddl, tokens
from hrsys.access.models import User
from hrsys.app import create_app
from hrsys.config import Settings
from hrsys.core import cache
from hrsys.core.db import make_engine, normalise_url
from hrsys.core.migrate import install_extra_objects
from hrsys.skills.assessments.importer import validate_keys
from tests import factories

# Cheap password hashing in tests (production keeps RFC 9106's 64 MiB); hashes record their own cost.
os.environ.setdefault("HRSYS_ARGON2_TIME_COST", "1")
os.environ.setdefault("HRSYS_ARGON2_MEMORY_KIB", "1024")
os.environ.setdefault("HRSYS_ARGON2_PARALLELISM", "1")

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
        install_extra_objects(conn)
    yield eng
    eng.dispose()


def _empty_all_tables(engine: Engine) -> None:
    tables = [t.name for t in hrsys.models.metadata.sorted_tables]
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.exec_driver_sql(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE")
        else:
            conn.exec_driver_sql("PRAGMA defer_foreign_keys=ON")
            audit_ddl.uninstall(conn)  # the triggers refuse DELETE on audit_event
            for name in reversed(tables):
                conn.exec_driver_sql(f"DELETE FROM {name}")
            conn.exec_driver_sql("DELETE FROM sqlite_sequence") if conn.exec_driver_sql(
                "SELECT 1 FROM sqlite_master WHERE name='sqlite_sequence'"
            ).first() else None
            conn.exec_driver_sql("INSERT INTO person_fts(person_fts) VALUES ('delete-all')")
            audit_ddl.install(conn)


@pytest.fixture
def db(engine: Engine) -> Iterator[Engine]:
    """The session's engine over empty tables (and no per-process cache of the previous test's data)."""
    _empty_all_tables(engine)
    validate_keys(engine)  # keys that an earlier test's bulk import left NOT VALID (its caller's job)
    cache.clear_all()  # every per-process cache (hrsys.core.cache), in this one place
    yield engine


@pytest.fixture
def session(db: Engine) -> Iterator[Session]:
    """A session for arranging and checking data. On SQLite its transactions are deferred, so a
    test that reads and then calls the app does not hold the write lock the app needs."""
    with Session(db.execution_options(sqlite_begin="DEFERRED"), expire_on_commit=False) as s:
        yield s


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(
        access=factories.TEST_ACCESS,
        database_url=database_url,
        secret_key="test-secret-key-that-is-long-enough-for-hs256",
        demo_credentials_file=str(tmp_path / "demo-credentials.txt"),
    )


@pytest.fixture
def app(db: Engine, settings: Settings):  # type: ignore[no-untyped-def]
    return create_app(settings)


def bearer(app, user: User) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """An ``Authorization`` header for ``user``, signed as the sign-in route would sign it."""
    issued = tokens.issue(app.state.secret_key, user.id, user.token_generation, app.state.settings.token_minutes)
    return {"Authorization": f"Bearer {issued.token}"}


@pytest.fixture
def clients(app) -> Iterator[Callable[..., TestClient]]:  # type: ignore[no-untyped-def]
    """Open test clients on the app: ``clients()`` anonymous, ``clients(user)`` signed in as ``user``."""
    with ExitStack() as stack:

        def open_client(user: User | None = None, **kw) -> TestClient:  # type: ignore[no-untyped-def]
            c = stack.enter_context(TestClient(app, **kw))
            if user is not None:
                c.headers.update(bearer(app, user))
            return c

        yield open_client


@pytest.fixture
def make_user(session: Session) -> Callable[..., User]:
    """Create a user: ``make_user("hr_officer", agency=a)``, ``make_user("staff", person=p)``.

    The plain-text password is on ``user.password`` (see ``factories.user``).
    """

    def make(role: str = "staff", **kw) -> User:  # type: ignore[no-untyped-def]
        return factories.user(session, role, **kw)

    return make


@pytest.fixture
def client_as(clients) -> Callable[[User], TestClient]:  # type: ignore[no-untyped-def]
    """A client signed in (bearer token) as the given user."""
    return lambda user: clients(user)


@pytest.fixture
def anon_client(clients) -> TestClient:  # type: ignore[no-untyped-def]
    """A client that is not signed in."""
    return clients()


@pytest.fixture
def admin_user(make_user) -> User:  # type: ignore[no-untyped-def]
    return make_user("admin", username="test-admin")


@pytest.fixture
def client(clients, admin_user) -> TestClient:  # type: ignore[no-untyped-def]
    """A client signed in as an administrator (may do everything)."""
    return clients(admin_user)


def login(client: TestClient, username: str, password: str) -> dict:  # type: ignore[type-arg]
    """Sign in through the API; returns the body (token, CSRF secret, user). Cookies land on the client."""
    r = client.post("/api/v1/auth/login", json={"username": username, "password": password})
    assert r.status_code == 200, r.text
    return r.json()
