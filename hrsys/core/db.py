"""Database plumbing: the declarative base, engines, URL handling and SQLite tuning.

One engine per process and database URL. It is synchronous: on these machines a
thread hop costs more than a short query (see README, "Why a sync engine").
"""

from __future__ import annotations

import datetime as dt
import functools
import sqlite3
import weakref
from collections.abc import Callable
from typing import Any, TypeVar

import anyio
import sqlalchemy as sa
from advanced_alchemy.types import DateTimeUTC
from sqlalchemy import event
from sqlalchemy.dialects.sqlite.base import SQLiteCompiler
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

T = TypeVar("T")

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base of every hrsys table: the single source of truth for the schema."""

    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class TimestampMixin:
    created_at: Mapped[dt.datetime] = mapped_column(
        DateTimeUTC(timezone=True), default=utcnow, server_default=sa.func.now(), nullable=False
    )
    updated_at: Mapped[dt.datetime] = mapped_column(
        DateTimeUTC(timezone=True),
        default=utcnow,
        onupdate=utcnow,
        server_default=sa.func.now(),
        nullable=False,
    )


def enum_column(enum_cls: Any, **kw: Any) -> sa.Enum:
    """A portable enum: VARCHAR plus a CHECK constraint on both databases (values == names)."""
    return sa.Enum(
        enum_cls,
        native_enum=False,
        create_constraint=True,
        length=max(len(m.name) for m in enum_cls) + 4,
        name=kw.pop("name", enum_cls.__name__.lower()),
        validate_strings=True,
        **kw,
    )


def normalise_url(url: str) -> str:
    """Map plain URLs to the driver that hrsys runs underneath.

    ``postgresql://`` and ``postgres://`` use psycopg 3; ``sqlite://`` uses the stdlib driver.
    """
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    u = make_url(url)
    if u.drivername in {"postgresql", "postgresql+psycopg2", "postgresql+asyncpg"}:
        u = u.set(drivername="postgresql+psycopg")
    elif u.drivername in {"sqlite+aiosqlite", "sqlite+pysqlite"}:
        u = u.set(drivername="sqlite")
    return u.render_as_string(hide_password=False)


def _sqlite_from_hint(self: Any, table: Any, text: str | None) -> str | None:
    return text


# SQLite's compiler ignores ``Select.with_hint``; let it render hints such as
# ``INDEXED BY ix_name`` after the table, where SQLite expects them.
SQLiteCompiler.get_from_hint_text = _sqlite_from_hint  # type: ignore[method-assign]


def _sqlite_datetime_converter(value: bytes) -> dt.datetime:
    return dt.datetime.fromisoformat(value.decode())


sqlite3.register_converter("DATETIME", _sqlite_datetime_converter)


def make_engine(url: str, *, pool_size: int = 10, busy_timeout_ms: int = 10_000, echo: bool = False) -> Engine:
    """Create the process's engine for ``url``.

    On SQLite: WAL journal, a busy timeout, foreign keys on, and write transactions
    that start with ``BEGIN IMMEDIATE`` so that read-check-write commands (allocation
    checks, state transitions) serialise instead of failing with a stale snapshot.
    """
    url = normalise_url(url)
    if url.startswith("sqlite"):
        memory = ":memory:" in url or url == "sqlite://"
        pool_kw: dict[str, Any] = (
            {"poolclass": sa.pool.StaticPool}
            if memory
            else {"poolclass": sa.pool.QueuePool, "pool_size": pool_size, "max_overflow": pool_size * 2}
        )
        engine = sa.create_engine(
            url,
            echo=echo,
            connect_args={"check_same_thread": False, "timeout": busy_timeout_ms / 1000},
            **pool_kw,
        )

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_conn: Any, _record: Any) -> None:
            dbapi_conn.isolation_level = None  # we emit BEGIN ourselves (see below)
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA cache_size=-65536")
            cur.execute("PRAGMA temp_store=MEMORY")
            cur.close()

        @event.listens_for(engine, "begin")
        def _on_begin(conn: Any) -> None:
            mode = conn.get_execution_options().get("sqlite_begin", "IMMEDIATE")
            conn.exec_driver_sql(f"BEGIN {mode}")

        return engine
    return sa.create_engine(url, echo=echo, pool_size=pool_size, max_overflow=pool_size * 2, pool_pre_ping=False)


_READ_ENGINES: weakref.WeakKeyDictionary[Engine, Engine] = weakref.WeakKeyDictionary()


def read_engine(engine: Engine) -> Engine:
    """The same pool, set up for reads that need no transaction of their own.

    SQLite: deferred transactions, so readers never wait for writers. PostgreSQL:
    autocommit, which spares the BEGIN and the ROLLBACK round trips of each read.
    """
    found = _READ_ENGINES.get(engine)
    if found is None:
        if engine.dialect.name == "sqlite":
            found = engine.execution_options(sqlite_begin="DEFERRED")  # type: ignore[assignment]
        else:
            found = engine.execution_options(isolation_level="AUTOCOMMIT")  # type: ignore[assignment]
        _READ_ENGINES[engine] = found  # type: ignore[assignment]
    return found  # type: ignore[return-value]


async def run_sync(engine: Engine, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run blocking database work for an async handler, the cheapest way for the dialect.

    SQLite work is CPU in this process, so it runs inline (a thread hop costs more than
    the query). PostgreSQL work mostly waits on the network, so it runs in a worker
    thread and other requests proceed meanwhile.
    """
    if engine.dialect.name == "sqlite":
        return fn(*args, **kwargs)
    return await anyio.to_thread.run_sync(functools.partial(fn, *args, **kwargs))
