"""PostgreSQL: the hottest reads (the people list) on asyncpg, straight on the event loop.

The rest of hrsys talks to PostgreSQL through SQLAlchemy's synchronous engine in
worker threads. For the people list that cost more than the query: each request
handed its work to a thread and back, and the threads took turns on the GIL with
the event loop, so requests ran about one at a time (743 requests/s over HTTP
against 12,900 for a trivial endpoint, 6%). On asyncpg the loop sends a query and
serves other requests until the answer comes: Python's work on one request
overlaps PostgreSQL's on others, with no thread in between.

Two small pools per event loop (a worker process has one loop; each test client
has its own): statements of a fixed shape whose generic plan PostgreSQL may keep
(``plan_cache_mode = auto``, as :func:`hrsys.core.db.hot_read_engine`), and
statements that need a plan for their values (name searches: how common a
fragment is decides the plan), which force a custom plan per execution. asyncpg
prepares each statement once per connection either way.

The pools are :class:`FairPool`, not asyncpg's own: asyncpg's lets a newly arrived
request overtake one already waiting, which under load made a few requests wait
hundreds of milliseconds for a connection. A connection goes back without a reset
query (asyncpg's pool sends ``RESET ALL``, ``CLOSE ALL``, ``UNLISTEN *`` and
``pg_advisory_unlock_all()``: a second round trip per request, for sessions these
read-only statements never change); one left in a transaction is dropped.
"""

from __future__ import annotations

import asyncio
import collections
import weakref
from typing import Any

from sqlalchemy.engine import Engine

POOL_SIZE = 4
"""Connections per pool and worker: enough to keep PostgreSQL busy on a few cores while Python works."""

IDLE_SECONDS = 300.0
"""A pool's connection unused this long is closed (as asyncpg's pool does by default)."""


def _dsn(engine: Engine) -> str:
    return engine.url.set(drivername="postgresql").render_as_string(hide_password=False)


class FairPool:
    """At most ``size`` asyncpg connections, handed out first come, first served.

    asyncpg's own pool queues waiting requests on an ``asyncio.Queue``, which is not
    fair under load: a released connection wakes the oldest waiter, but a request
    arriving before that waiter runs takes the connection, and the waiter queues
    again at the back. With the worker's event loop busy, some requests waited
    hundreds of milliseconds that way while every statement took under 30 ms (by Thai
    name over HTTP: pool wait p99 43 ms, worst 420 ms; statements p99 3.3 ms). Here a
    released connection goes straight to the oldest waiter, and a new request never
    overtakes one that is waiting.

    Connections are opened on first need. The most recently used is handed out
    first, so that when the worker is quiet the others stay unused: one unused for
    ``idle_seconds`` is closed (as asyncpg's pool does), and opened again when
    the load returns. One that failed (closed, or left by a cancelled or broken
    statement) is dropped, and its place opened again for the next request.
    Nothing is reset on release: these connections run single read-only
    statements that leave no session state behind.
    """

    def __init__(
        self, dsn: str, size: int, server_settings: dict[str, str], idle_seconds: float = IDLE_SECONDS
    ) -> None:
        self.dsn = dsn
        self.size = size
        self.server_settings = server_settings
        self.idle_seconds = idle_seconds
        self._idle: list[tuple[Any, float]] = []  # (connection, when it came back), the latest last
        self._waiters: collections.deque[asyncio.Future[Any]] = collections.deque()
        self._open = 0  # connections that exist or are being opened
        self._closed = False
        self._sweep: asyncio.TimerHandle | None = None
        self._closing: set[asyncio.Task[None]] = set()

    def connection(self) -> _Lease:
        """``async with pool.connection() as conn``: a connection for one statement or a few."""
        return _Lease(self)

    async def _acquire(self) -> Any:
        while self._idle:
            conn = self._idle.pop()[0]
            if not conn.is_closed():
                return conn
            self._open -= 1
        if self._closed:
            raise RuntimeError("the pool is closed")
        if self._open >= self.size:
            waiter: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
            self._waiters.append(waiter)
            try:
                conn = await waiter
            except asyncio.CancelledError:
                if waiter.done() and not waiter.cancelled():  # handed over as this request gave up: pass it on
                    handed = waiter.result()
                    if handed is None:
                        self._give_up_place()
                    else:
                        self._release(handed)
                raise
            if conn is not None:
                return conn
            # None: a connection was dropped and this request opens its replacement (its place is counted)
        else:
            self._open += 1
        try:
            import asyncpg  # start-up time: only processes that talk to PostgreSQL load it

            return await asyncpg.connect(self.dsn, server_settings=self.server_settings)
        except BaseException:
            self._give_up_place()
            raise

    def _release(self, conn: Any, broken: bool = False) -> None:
        if broken or self._closed or conn.is_closed() or conn.is_in_transaction():
            conn.terminate()
            self._give_up_place()
            return
        if not self._hand_on(conn):
            loop = asyncio.get_running_loop()
            self._idle.append((conn, loop.time()))
            if self._sweep is None:
                self._sweep = loop.call_later(self.idle_seconds, self._close_unused)

    def _close_unused(self) -> None:
        """Close the connections idle for ``idle_seconds`` (the oldest returned, at the start of the list)."""
        loop = asyncio.get_running_loop()
        cutoff = loop.time() - self.idle_seconds
        stale = 0
        while stale < len(self._idle) and self._idle[stale][1] <= cutoff:
            stale += 1
        for conn, _ in self._idle[:stale]:
            self._open -= 1
            task = loop.create_task(conn.close(timeout=5))
            self._closing.add(task)
            task.add_done_callback(self._closing.discard)
        del self._idle[:stale]
        self._sweep = None
        if self._idle:
            self._sweep = loop.call_later(self._idle[0][1] + self.idle_seconds - loop.time(), self._close_unused)

    def _give_up_place(self) -> None:
        """A connection is gone (or was never opened): its place goes to the oldest waiter, who opens one."""
        self._open -= 1
        self._hand_on(None)

    def _hand_on(self, conn: Any) -> bool:
        """Give ``conn`` (None: the right to open one) to the oldest waiter; False if nobody waits."""
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                if conn is None:
                    self._open += 1
                waiter.set_result(conn)
                return True
        return False

    async def close(self) -> None:
        self._closed = True
        if self._sweep is not None:
            self._sweep.cancel()
            self._sweep = None
        idle, self._idle = self._idle, []
        for conn, _ in idle:
            self._open -= 1
            await conn.close()
        if self._closing:
            await asyncio.gather(*self._closing, return_exceptions=True)
        for waiter in self._waiters:
            if not waiter.done():
                waiter.set_exception(RuntimeError("the pool is closed"))
        self._waiters.clear()


class _Lease:
    __slots__ = ("_conn", "_pool")

    def __init__(self, pool: FairPool) -> None:
        self._pool = pool
        self._conn: Any = None

    async def __aenter__(self) -> Any:
        self._conn = await self._pool._acquire()
        return self._conn

    async def __aexit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        # A database error (bad value, timeout, lock) leaves the connection usable; anything else (a
        # cancelled request while its statement runs, a lost connection) may not, so it is dropped.
        from asyncpg import PostgresError  # loaded by then (a connection was opened); not at start-up

        broken = exc is not None and not isinstance(exc, PostgresError)
        self._pool._release(self._conn, broken=broken)


class HotReads:
    """The connection pools of one app (``app.state.hot_reads``), one pair per event loop."""

    def __init__(self, engine: Engine, size: int = POOL_SIZE) -> None:
        self.dsn = _dsn(engine)
        self.size = size
        self._pools: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[bool, FairPool]] = (
            weakref.WeakKeyDictionary()
        )

    def pool(self, *, custom_plans: bool) -> FairPool:
        """The running loop's pool for fixed-plan or custom-plan statements (connections open on first use)."""
        loop = asyncio.get_running_loop()
        pools = self._pools.get(loop)
        if pools is None:
            pools = self._pools[loop] = {}
        found = pools.get(custom_plans)
        if found is None:
            settings = {"application_name": "hrsys-hot-reads", "standard_conforming_strings": "on"}
            if custom_plans:
                settings["plan_cache_mode"] = "force_custom_plan"
            found = pools[custom_plans] = FairPool(self.dsn, self.size, settings)
        return found

    async def close(self) -> None:
        """Close the running loop's pools (the app's shutdown)."""
        loop = asyncio.get_running_loop()
        pools = self._pools.pop(loop, {})
        for pool in pools.values():
            await pool.close()
