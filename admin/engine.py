"""The one Piccolo engine that the admin's table classes share, made from hrsys's database URL.

SQLite (``aiosqlite``): Piccolo opens a connection per query outside a
transaction and one per transaction, with the busy timeout hrsys uses, so an
admin write waits for other writers instead of failing. :func:`register_sqlite_codecs`
makes Piccolo store and read ``DATETIME`` columns exactly as SQLAlchemy's
``DateTimeUTC`` does (``YYYY-MM-DD HH:MM:SS.ffffff``, UTC, no offset): the two
libraries then read each other's rows, and text comparisons of times stay right.

PostgreSQL (``asyncpg``): :class:`LoopPostgresEngine` keeps one connection pool per
running event loop. A server has one loop per worker, so one pool; a test run opens
several clients on one app, each with a loop of its own, and an asyncpg pool
cannot serve a loop other than its own. A loop's pool opens with the first admin
request on that loop (:func:`start`) and closes with the app (:func:`stop`);
without a pool a query opens a connection of its own: slower, still right.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import sqlite3
import weakref
from typing import Any

from piccolo.engine.base import Engine as PiccoloEngine
from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine
from sqlalchemy.engine import make_url

from hrsys.core.db import normalise_url

_codecs_registered = False


def _datetime_in(value: dt.datetime) -> str:
    """Aware values are stored as naive UTC, in SQLAlchemy's SQLite format (microseconds always written)."""
    if value.tzinfo is not None:
        value = value.astimezone(dt.UTC).replace(tzinfo=None)
    return value.isoformat(" ", "microseconds")


def _datetime_out(raw: bytes) -> dt.datetime:
    """Stored values are UTC; give them their zone back so the admin shows the right instant."""
    value = dt.datetime.fromisoformat(raw.decode())
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value


def register_sqlite_codecs() -> None:
    """Register the ``DATETIME`` converter and the datetime adapter for Piccolo's sqlite3 connections.

    Only connections opened with ``detect_types`` (Piccolo's) use converters, and
    SQLAlchemy formats its own parameters before sqlite3 sees them, so neither
    registration changes how hrsys itself reads or writes.
    """
    global _codecs_registered
    if _codecs_registered:
        return
    sqlite3.register_converter("DATETIME", _datetime_out)
    sqlite3.register_adapter(dt.datetime, _datetime_in)
    _codecs_registered = True


class LoopPostgresEngine(PostgresEngine):
    """A ``PostgresEngine`` whose ``pool`` is the pool of the running event loop (see the module docstring)."""

    def __init__(self, config: dict[str, Any], *, pool_size: int = 5) -> None:
        self._pools: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Any] = weakref.WeakKeyDictionary()
        self.locks: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = weakref.WeakKeyDictionary()
        self.pool_size = pool_size
        super().__init__(config=config, extensions=())

    @property  # type: ignore[override]
    def pool(self) -> Any:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return None
        return self._pools.get(loop)

    @pool.setter
    def pool(self, value: Any) -> None:
        if value is None:
            return  # PostgresEngine.__init__ and close_connection_pool; pools are kept per loop.
        self._pools[asyncio.get_running_loop()] = value

    async def start_connection_pool(self, **kwargs: Any) -> None:
        if self.pool is None:
            import asyncpg

            self._pools[asyncio.get_running_loop()] = await asyncpg.create_pool(**{**self.config, **kwargs})

    async def close_connection_pool(self) -> None:
        loop = asyncio.get_running_loop()
        pool = self._pools.pop(loop, None)
        if pool is not None:
            await pool.close()


def make_engine(url: str, *, pool_size: int = 5, busy_timeout_ms: int = 10_000) -> PiccoloEngine:
    """A Piccolo engine for hrsys's database URL (``sqlite:///file.db`` or ``postgresql://...``)."""
    u = make_url(normalise_url(url))
    if u.get_backend_name() == "sqlite":
        if not u.database or u.database == ":memory:":
            raise ValueError("the admin needs a SQLite file: an in-memory database is private to one connection")
        register_sqlite_codecs()
        return SQLiteEngine(path=u.database, timeout=busy_timeout_ms / 1000)
    if u.get_backend_name() == "postgresql":
        config: dict[str, Any] = {
            "host": u.host or "localhost",
            "port": u.port or 5432,
            "user": u.username,
            "password": u.password,
            "database": u.database,
        }
        return LoopPostgresEngine({k: v for k, v in config.items() if v is not None}, pool_size=pool_size)
    raise ValueError(f"the admin supports SQLite and PostgreSQL, not {u.get_backend_name()}")


async def start(engine: PiccoloEngine) -> None:
    """Open the PostgreSQL pool of the running loop if it is not open yet (nothing to do on SQLite).

    Called by the first admin request of each loop, so processes and tests that never
    open the admin never connect for it.
    """
    if isinstance(engine, LoopPostgresEngine) and engine.pool is None:
        loop = asyncio.get_running_loop()
        lock = engine.locks.setdefault(loop, asyncio.Lock())
        async with lock:
            if engine.pool is None:
                await engine.start_connection_pool(min_size=1, max_size=engine.pool_size)


async def stop(engine: PiccoloEngine) -> None:
    """At app shutdown: close this loop's PostgreSQL pool, if one was opened."""
    if isinstance(engine, LoopPostgresEngine):
        await engine.close_connection_pool()
