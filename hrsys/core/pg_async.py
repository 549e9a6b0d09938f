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

A connection goes back to its pool without asyncpg's reset query (``RESET ALL``,
``CLOSE ALL``, ``UNLISTEN *``, ``pg_advisory_unlock_all()``): these pools run
single read-only statements that leave no session state behind, and the reset
was a second round trip per request (an open transaction is still rolled back).
"""

from __future__ import annotations

import asyncio
import weakref
from typing import Any

from sqlalchemy.engine import Engine


async def _keep_session(_connection: Any) -> None:
    """Nothing to undo on release: statements on these pools change no session state."""


POOL_SIZE = 4
"""Connections per pool and worker: enough to keep PostgreSQL busy on a few cores while Python works."""


def _dsn(engine: Engine) -> str:
    return engine.url.set(drivername="postgresql").render_as_string(hide_password=False)


class HotReads:
    """The asyncpg pools of one app (``app.state.hot_reads``), made on first use in each event loop."""

    def __init__(self, engine: Engine, size: int = POOL_SIZE) -> None:
        self.dsn = _dsn(engine)
        self.size = size
        self._pools: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[bool, Any]] = weakref.WeakKeyDictionary()
        self._locks: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = weakref.WeakKeyDictionary()

    async def pool(self, *, custom_plans: bool) -> Any:
        """The running loop's pool (an ``asyncpg.Pool``) for fixed-plan or custom-plan statements."""
        loop = asyncio.get_running_loop()
        pools = self._pools.get(loop)
        if pools is not None and custom_plans in pools:
            return pools[custom_plans]
        lock = self._locks.setdefault(loop, asyncio.Lock())
        async with lock:
            pools = self._pools.setdefault(loop, {})
            if custom_plans not in pools:
                import asyncpg

                settings = {"application_name": "hrsys-hot-reads", "standard_conforming_strings": "on"}
                if custom_plans:
                    settings["plan_cache_mode"] = "force_custom_plan"
                pools[custom_plans] = await asyncpg.create_pool(
                    self.dsn, min_size=1, max_size=self.size, server_settings=settings, reset=_keep_session
                )
            return pools[custom_plans]

    async def close(self) -> None:
        """Close the running loop's pools (the app's shutdown)."""
        loop = asyncio.get_running_loop()
        pools = self._pools.pop(loop, {})
        for pool in pools.values():
            await pool.close()
