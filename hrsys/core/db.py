"""Database plumbing: the declarative base, engines, URL handling and SQLite tuning.

One engine per process and database URL. It is synchronous: on these machines a
thread hop costs more than a short query (see hrsys/people/README.md, "Why the hot reads look the way they do").
"""

from __future__ import annotations

import collections
import datetime as dt
import functools
import json
import sqlite3
import threading
import weakref
from collections.abc import Callable
from typing import Any, TypeVar

import anyio
import sqlalchemy as sa
from advanced_alchemy.types import DateTimeUTC
from sqlalchemy import event
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql.asyncpg import dialect as asyncpg_dialect
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from hrsys.core import clock

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


utcnow = clock.now  # "now" comes from the one clock (UTC instants; tests freeze it)


def lock_for_edit(session: Any, obj: T) -> T:
    """``obj`` (a versioned row just loaded for an edit), locked and re-read until the transaction ends.

    The one rule for edits on both databases: an edit is checked and applied against the row as it is
    when the edit runs, so an edit that sends no ``version`` overwrites (last write wins) and one that
    sends a ``version`` someone else has moved on is a 409 ``stale_edit``. SQLite gets this from ``BEGIN
    IMMEDIATE`` (writers queue up); on PostgreSQL the row is read again ``FOR NO KEY UPDATE``, so a
    second editor waits for the first and then sees its change, instead of failing at ``UPDATE ... WHERE
    version = ...`` (StaleDataError) after checking stale values.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.refresh(obj, with_for_update={"key_share": True})
    return obj


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


def _sqlite_datetime_converter(value: bytes) -> dt.datetime:
    return dt.datetime.fromisoformat(value.decode())


sqlite3.register_converter("DATETIME", _sqlite_datetime_converter)


WAL_SIZE_LIMIT = 64 * 2**20
"""SQLite: the write-ahead log is cut back to this size once its content is in the database. Without a
limit the file keeps the size of the largest transaction for as long as any connection is open (a
national assessments import left 1.4 GB beside a 1.3 GB database while the server ran)."""


SQLITE_UNCHECKED_KEYS = "sqlite_unchecked_keys"
"""Execution option for a SQLite transaction that does not check foreign keys (``PRAGMA foreign_keys=OFF`` before
its ``BEGIN``, on again when its connection goes back to the pool). Only for writers that check every key
themselves under the transaction's write lock: the bulk assessment import
(:func:`hrsys.skills.assessments.importer.import_assessments`), where the checks were a sixth of the time."""


class WriteGate:
    """SQLite: the threads of one process take the database's write lock in turn, first come first served.

    Without it, writers of one process that find the lock taken sleep in SQLite's busy handler (1, 2, 5 ...
    100 ms between tries) and whoever tries at the right moment wins: under a steady stream of writes one
    of them (a batch of audit events that a dozen reads wait for) lost for seconds. Waiting here, a writer
    starts as soon as the one before it in this process ends; the busy handler only arbitrates between
    processes. Taken before ``BEGIN IMMEDIATE``, given back when that connection commits or rolls back
    (or goes back to the pool, or is closed). A writer that waits longer than the busy timeout goes on to
    ``BEGIN IMMEDIATE`` anyway, so a thread that opens a second write transaction while holding one fails
    as it would without the gate (after two timeouts).
    """

    def __init__(self, timeout: float) -> None:
        self.timeout = timeout
        self._cond = threading.Condition()
        self._holder: Any = None
        self._waiters: collections.deque[object] = collections.deque()

    def acquire(self, dbapi_conn: Any) -> bool:
        with self._cond:
            if self._holder is None and not self._waiters:
                self._holder = dbapi_conn
                return True
            me = object()
            self._waiters.append(me)
            if self._cond.wait_for(lambda: self._holder is None and self._waiters[0] is me, self.timeout):
                self._waiters.popleft()
                self._holder = dbapi_conn
                return True
            self._waiters.remove(me)
            self._cond.notify_all()
            return False

    def release(self, dbapi_conn: Any) -> None:
        """Give the gate back if ``dbapi_conn`` holds it (otherwise nothing)."""
        if self._holder is not dbapi_conn:
            return
        with self._cond:
            if self._holder is dbapi_conn:
                self._holder = None
                self._cond.notify_all()


def _dbapi(conn: Any) -> Any:
    return getattr(conn, "dbapi_connection", conn)


def _install_write_gate(engine: Engine, gate: WriteGate) -> None:
    dialect = engine.dialect
    commit, rollback = dialect.do_commit, dialect.do_rollback

    def do_commit(dbapi_conn: Any) -> None:
        try:
            commit(dbapi_conn)
        finally:
            gate.release(_dbapi(dbapi_conn))

    def do_rollback(dbapi_conn: Any) -> None:
        try:
            rollback(dbapi_conn)
        finally:
            gate.release(_dbapi(dbapi_conn))

    dialect.do_commit = do_commit  # type: ignore[method-assign,assignment]
    dialect.do_rollback = do_rollback  # type: ignore[method-assign,assignment]
    for name in ("checkin", "close", "invalidate", "soft_invalidate", "close_detached"):
        event.listen(engine, name, lambda dbapi_conn, *_: gate.release(_dbapi(dbapi_conn)))


def make_engine(url: str, *, pool_size: int = 10, busy_timeout_ms: int = 10_000, echo: bool = False) -> Engine:
    """Create the process's engine for ``url``.

    On SQLite: WAL journal, a busy timeout, foreign keys on (off for a transaction begun with
    :data:`SQLITE_UNCHECKED_KEYS`), and write transactions that start with ``BEGIN IMMEDIATE`` so that
    read-check-write commands (allocation checks, state transitions) serialise instead of failing with a
    stale snapshot.
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

        gate = None if memory else WriteGate(busy_timeout_ms / 1000)
        if gate is not None:
            _install_write_gate(engine, gate)

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
            cur.execute(f"PRAGMA journal_size_limit={WAL_SIZE_LIMIT}")
            cur.close()

        @event.listens_for(engine, "begin")
        def _on_begin(conn: Any) -> None:
            options = conn.get_execution_options()
            if options.get(SQLITE_UNCHECKED_KEYS):
                # SQLite reads this pragma only outside a transaction; the connection gets it back on checkin
                conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
                conn.connection.info[SQLITE_UNCHECKED_KEYS] = True
            mode = options.get("sqlite_begin", "IMMEDIATE")
            if mode is None:  # each statement is its own implicit read transaction
                return
            if mode != "IMMEDIATE" or gate is None:
                conn.exec_driver_sql(f"BEGIN {mode}")
                return
            dbapi_conn = _dbapi(conn.connection)
            gate.acquire(dbapi_conn)
            try:
                conn.exec_driver_sql("BEGIN IMMEDIATE")
            except BaseException:
                gate.release(dbapi_conn)
                raise

        @event.listens_for(engine, "checkin")
        def _on_checkin(dbapi_conn: Any, record: Any) -> None:
            if record.info.pop(SQLITE_UNCHECKED_KEYS, False):
                dbapi_conn.execute("PRAGMA foreign_keys=ON")

        return engine
    return sa.create_engine(url, echo=echo, pool_size=pool_size, max_overflow=pool_size * 2, pool_pre_ping=False)


_READ_ENGINES: weakref.WeakKeyDictionary[Engine, Engine] = weakref.WeakKeyDictionary()
_HOT_ENGINES: weakref.WeakKeyDictionary[Engine, Engine] = weakref.WeakKeyDictionary()


def hot_read_engine(engine: Engine) -> Engine:
    """For the few fixed-shape statements run on every page view (the people list): :func:`read_engine`
    on SQLite; on PostgreSQL a small pool of its own whose sessions prepare each statement on first use,
    so that it is parsed once per connection; PostgreSQL then keeps a generic plan where it costs no more
    than the plans made for the values (``plan_cache_mode = auto``).

    A generic plan forced on every shape (``force_generic_plan``) was measured and dropped: it saved
    0.2 ms at the median of a list by agency but doubled its p95 (big subtrees), and the list with no
    filter took 150 ms instead of 1 ms (a generic plan cannot know that ``LIMIT $1`` is small). Other
    statements are not prepared, on the main pool.
    """
    if engine.dialect.name != "postgresql":
        return read_engine(engine)
    found = _HOT_ENGINES.get(engine)
    if found is None:
        hot = sa.create_engine(
            engine.url, pool_size=4, max_overflow=8, isolation_level="AUTOCOMMIT", pool_pre_ping=False
        )

        @event.listens_for(hot, "connect")
        def _on_connect(dbapi_conn: Any, _record: Any) -> None:
            dbapi_conn.prepare_threshold = 0

        found = _HOT_ENGINES.setdefault(engine, hot)
    return found


def dispose_hot_engines(engine: Engine) -> None:
    """Close the pool of :func:`hot_read_engine` (with the engine's own ``dispose``)."""
    hot = _HOT_ENGINES.pop(engine, None)
    if hot is not None:
        hot.dispose()


def read_engine(engine: Engine) -> Engine:
    """The same pool, set up for reads that need no transaction of their own.

    Each statement runs on its own (autocommit), which spares a BEGIN and a
    ROLLBACK per read: on SQLite no ``BEGIN`` is sent (a statement is then its own
    read transaction, which never waits for writers in WAL mode); on PostgreSQL the
    connection is in autocommit. Several statements on one such connection are
    not one snapshot: reads that need one use a transaction.
    """
    found = _READ_ENGINES.get(engine)
    if found is None:
        if engine.dialect.name == "sqlite":
            found = engine.execution_options(sqlite_begin=None)  # type: ignore[assignment]
        else:
            found = engine.execution_options(isolation_level="AUTOCOMMIT")  # type: ignore[assignment]
        _READ_ENGINES[engine] = found  # type: ignore[assignment]
    return found  # type: ignore[return-value]


_READ_ONLY_ENGINES: weakref.WeakKeyDictionary[Engine, Engine] = weakref.WeakKeyDictionary()


def read_only_engine(engine: Engine) -> Engine:
    """SQLite: the same pool, with transactions that begin ``DEFERRED``: one snapshot for several reads
    that never takes, or waits for, the write lock (in WAL mode readers and the writer do not block each
    other). For the sessions of safe requests (GET); a write in such a transaction would have to take the
    lock mid-way, which SQLite refuses at once ("database is locked") while another writer holds it, so
    their audit events are queued (:mod:`hrsys.access.audit`). Other databases: ``engine`` itself."""
    if engine.dialect.name != "sqlite":
        return engine
    found = _READ_ONLY_ENGINES.get(engine)
    if found is None:
        deferred: Engine = engine.execution_options(sqlite_begin="DEFERRED")  # type: ignore[assignment]
        found = _READ_ONLY_ENGINES.setdefault(engine, deferred)
    return found


_Compiled = tuple[str, dict[str, Any], tuple[str, ...] | None, dict[str, Any]]


class RawSelect:
    """A Core SELECT compiled once per dialect and run on the DB-API cursor, for the hottest reads.

    It skips SQLAlchemy's per-call work (execution context, result processing), which
    costs about as much as the query itself when the rows come from memory. Rows come
    back as the driver gives them: the caller converts booleans (integers on SQLite),
    dates and enums. Parameters are plain values; lists go as JSON text on SQLite
    (``json_each``) and as arrays on PostgreSQL (``= ANY``), see :func:`in_list`.
    """

    def __init__(self, stmt: sa.Select[Any], *, raw: bool = True) -> None:
        """``raw=False`` runs through SQLAlchemy instead: for statements that carry their own values
        (``IN`` lists of literals), which only SQLAlchemy renders."""
        self.stmt = stmt
        self.raw = raw
        self._compiled: dict[str, _Compiled] = {}

    def _for(self, dialect: sa.Dialect) -> _Compiled:
        key = f"{dialect.name}+{dialect.driver}"  # asyncpg numbers its parameters ($1), psycopg names them
        found = self._compiled.get(key)
        if found is None:
            compiled = self.stmt.compile(dialect=dialect)
            found = self._compiled.setdefault(
                key,
                (
                    compiled.string,
                    dict(compiled.construct_params(_check=False)),  # anonymous binds, e.g. a fixed LIMIT
                    tuple(compiled.positiontup or ()) if compiled.positional else None,
                    dict(compiled._bind_processors),  # the same conversions SQLAlchemy applies (dates on SQLite)
                ),
            )
        return found

    def rows(self, conn: sa.Connection, params: dict[str, Any]) -> list[Any]:
        if not self.raw:
            return [tuple(r) for r in conn.execute(self.stmt, params)]
        return self.rows_on(conn.connection.dbapi_connection, conn.dialect, params)

    def _bound(self, dialect: sa.Dialect, params: dict[str, Any]) -> tuple[str, Any]:
        """The SQL for ``dialect`` and its arguments: a list for positional drivers, else a dict."""
        sql, defaults, order, processors = self._for(dialect)
        values = {**defaults, **params}
        for name, process in processors.items():
            if name in params and params[name] is not None:
                values[name] = process(params[name])
        return sql, [values[name] for name in order] if order is not None else values

    def rows_on(self, dbapi_conn: Any, dialect: sa.Dialect, params: dict[str, Any]) -> list[Any]:
        """:meth:`rows` on a DB-API connection (see :func:`sqlite_reader`); ``raw`` statements only."""
        sql, args = self._bound(dialect, params)
        cursor = dbapi_conn.cursor()
        try:
            cursor.execute(sql, args)
            return list(cursor.fetchall())
        finally:
            cursor.close()

    async def rows_async(self, conn: Any, params: dict[str, Any]) -> list[Any]:
        """:meth:`rows` on an asyncpg connection (see :mod:`hrsys.core.pg_async`); ``raw`` statements only.
        Rows are asyncpg records (indexed like tuples)."""
        sql, args = self._bound(_asyncpg_dialect(), params)  # asyncpg numbers its parameters: a list
        return list(await conn.fetch(sql, *args))


@functools.cache  # one dialect object, made once; not a data cache
def _asyncpg_dialect() -> sa.Dialect:
    found = asyncpg_dialect()
    # Never connected, so it does not know that the server takes backslashes literally (the default since
    # PostgreSQL 9.1, which :mod:`hrsys.core.pg_async` also sets): ``ESCAPE '\'`` must not be doubled.
    found._backslash_escapes = False
    return found  # type: ignore[no-any-return]


_readers = threading.local()


def sqlite_reader(engine: Engine) -> Any | None:
    """SQLite: a DB-API connection of the calling thread's own, for the hottest reads (the people list);
    None on other databases.

    It is taken from the engine's pool once per thread and detached from it (set up like every
    connection of the engine), and runs single SELECTs, each its own read transaction in WAL mode:
    checking a connection out of the pool and back for every list cost 10% of the request.
    """
    if engine.dialect.name != "sqlite":
        return None
    mine: weakref.WeakKeyDictionary[Engine, Any] | None = getattr(_readers, "by_engine", None)
    if mine is None:
        mine = _readers.by_engine = weakref.WeakKeyDictionary()
    found = mine.get(engine)
    if found is None:
        found = engine.raw_connection()
        found.detach()  # the thread keeps it; closed when the thread or the engine goes
        mine[engine] = found
    return found


def in_list(column: sa.ColumnElement[Any], name: str, dialect: str) -> sa.ColumnElement[bool]:
    """``column IN <list bound as name>`` with one SQL text whatever the list's length (see :class:`RawSelect`).

    Bind :func:`list_param` of the values.
    """
    if dialect == "sqlite":
        listed: sa.Select[Any] = sa.select(sa.literal_column("value")).select_from(
            sa.func.json_each(sa.bindparam(name))
        )
        return column.in_(listed)
    return column == sa.any_(sa.bindparam(name, type_=ARRAY(sa.Integer)))


def list_param(values: list[Any], dialect: str) -> Any:
    return json.dumps(values) if dialect == "sqlite" else list(values)


async def run_sync(engine: Engine, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run blocking database work for an async handler, the cheapest way for the dialect.

    SQLite work is CPU in this process, so it runs inline (a thread hop costs more than
    the query): reads only (:func:`read_engine`), which never wait for a lock; anything that writes, or
    begins ``IMMEDIATE``, would wait for SQLite's write lock on the event loop. PostgreSQL work mostly
    waits on the network, so it runs in a worker thread and other requests proceed meanwhile.
    """
    if engine.dialect.name == "sqlite":
        return fn(*args, **kwargs)
    return await anyio.to_thread.run_sync(functools.partial(fn, *args, **kwargs))
