"""The people list's connection pool on PostgreSQL (:class:`hrsys.core.pg_async.FairPool`), on real connections.

Under load every request of a worker waits its turn for one of a few connections: the
first to wait is the first served, and a connection that fails or a request that
gives up never leaves the others stuck.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from sqlalchemy.engine import Engine

from hrsys.core.pg_async import FairPool, _dsn

PoolTest = Callable[[FairPool], Awaitable[None]]


@pytest.fixture
def run_with_pool(engine: Engine) -> Callable[[int, PoolTest], None]:
    if engine.dialect.name != "postgresql":
        pytest.skip("the asyncpg pool serves PostgreSQL only (SQLite's list runs inline)")

    def run(size: int, body: PoolTest, idle_seconds: float = 300.0) -> None:
        async def main() -> None:
            pool = FairPool(_dsn(engine), size, {"application_name": "hrsys-pool-test"}, idle_seconds)
            try:
                await asyncio.wait_for(body(pool), timeout=30)
            finally:
                await pool.close()

        asyncio.run(main())

    return run


def test_a_waiting_request_is_served_before_one_that_arrives_later(run_with_pool: Any) -> None:
    async def body(pool: FairPool) -> None:
        served: list[str] = []

        async def request(name: str) -> None:
            async with pool.connection() as conn:
                served.append(name)
                await conn.fetchval("SELECT 1")

        holder = pool.connection()
        await holder.__aenter__()
        waiting = asyncio.create_task(request("waiting"))
        await asyncio.sleep(0.05)  # it is queued for the only connection
        await holder.__aexit__(None, None, None)
        await request("late")  # arrives before the waiting request has run again: must not overtake it
        await waiting
        assert served == ["waiting", "late"]

    run_with_pool(1, body)


def test_a_connection_closed_by_the_server_is_replaced(run_with_pool: Any) -> None:
    async def body(pool: FairPool) -> None:
        import asyncpg

        idle = await _pid_of(pool)
        await _terminate(pool, idle)
        await asyncio.sleep(0.1)
        in_use = await _pid_of(pool)  # the idle one was closed: the request gets a new one, no error
        assert in_use != idle

        async def killed_while_running() -> None:
            async with pool.connection() as conn:
                await conn.fetchval("SELECT pg_sleep(10)")

        running = asyncio.create_task(killed_while_running())
        queued = asyncio.create_task(_pid_of(pool))  # waits for the only connection
        await asyncio.sleep(0.2)
        await _terminate(pool, in_use)
        with pytest.raises((asyncpg.PostgresError, asyncpg.InterfaceError, ConnectionError)):
            await running
        replacement = await queued  # its place is opened again for the request waiting in line
        assert replacement not in (idle, in_use)

    run_with_pool(1, body)


async def _terminate(pool: FairPool, pid: int) -> None:
    import asyncpg

    other = await asyncpg.connect(pool.dsn)
    try:
        assert await other.fetchval("SELECT pg_terminate_backend($1)", pid)
    finally:
        await other.close()


async def _pid_of(pool: FairPool) -> int:
    async with pool.connection() as conn:
        return int(await conn.fetchval("SELECT pg_backend_pid()"))


def test_a_request_that_gives_up_does_not_keep_the_connection(run_with_pool: Any) -> None:
    async def body(pool: FairPool) -> None:
        holder = pool.connection()
        await holder.__aenter__()
        gave_up_waiting = asyncio.create_task(_pid_of(pool))
        handed_over = asyncio.create_task(_pid_of(pool))
        await asyncio.sleep(0.05)
        gave_up_waiting.cancel()  # cancelled while it waits
        await holder.__aexit__(None, None, None)  # the connection goes to the next in line ...
        handed_over.cancel()  # ... which gives up before it runs: the connection must be passed on
        for task in (gave_up_waiting, handed_over):
            with pytest.raises(asyncio.CancelledError):
                await task
        assert await asyncio.wait_for(_pid_of(pool), timeout=5) > 0

    run_with_pool(1, body)


def test_a_database_error_keeps_the_connection(run_with_pool: Any) -> None:
    async def body(pool: FairPool) -> None:
        import asyncpg

        first = await _pid_of(pool)
        with pytest.raises(asyncpg.DivisionByZeroError):
            async with pool.connection() as conn:
                await conn.fetchval("SELECT 1 / 0")
        assert await _pid_of(pool) == first

    run_with_pool(1, body)


def test_connections_unused_for_a_while_are_closed(run_with_pool: Any) -> None:
    async def body(pool: FairPool) -> None:
        import asyncpg

        async def busy() -> None:
            async with pool.connection() as conn:
                await conn.fetchval("SELECT pg_sleep(0.05)")

        await asyncio.gather(busy(), busy(), busy())  # a busy moment opens three
        other = await asyncpg.connect(pool.dsn)
        try:
            assert len(await _backends(other)) == 3
            kept = await _pid_of(pool)
            for _ in range(12):  # then one request at a time, for longer than the idle limit
                await asyncio.sleep(0.1)
                assert await _pid_of(pool) == kept  # the most recently used one is handed out again
            await asyncio.sleep(0.2)
            assert await _backends(other, expect=[kept]) == [kept]  # the two left unused were closed
            await asyncio.sleep(1.2)
            assert await _backends(other, expect=[]) == []  # and this one, once quiet
            await asyncio.gather(busy(), busy())  # the load returns: they open again
            assert len(await _backends(other)) == 2
        finally:
            await other.close()

    run_with_pool(4, body, idle_seconds=1.0)


async def _backends(conn: Any, expect: list[int] | None = None) -> list[int]:
    """This pool's server processes (waiting up to 2 s for ``expect``: a closed one exits a moment later)."""
    for _ in range(20):
        rows = await conn.fetch(
            "SELECT pid FROM pg_stat_activity"
            " WHERE application_name = 'hrsys-pool-test' AND datname = current_database()"
        )
        found = sorted(r["pid"] for r in rows)
        if expect is None or found == sorted(expect):
            break
        await asyncio.sleep(0.1)
    return found
