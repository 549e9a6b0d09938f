"""The delivering process's lease: at most one process delivers and runs the daily jobs at a time.

- PostgreSQL: a session-level advisory lock (``pg_try_advisory_lock``) on a connection of its own, kept
  open while the lease is held. The server drops it when that connection ends, however the process ends
  (kill -9 included: the kernel closes the socket), so a successor takes over within its next try.
- SQLite: ``flock`` on a file beside the database (``<db>-delivery.lock``), which the kernel releases when
  the process dies. SQLite has one writer at a time anyway; the lease makes it one deliverer too.

The lease is an optimisation of work and the guard of the daily jobs, not what keeps a mail from being
sent twice on PostgreSQL: each mail is still claimed with ``FOR UPDATE SKIP LOCKED`` (see delivery.py), so
two deliverers that both believe they hold it still send each mail once.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import threading
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

log = logging.getLogger("hrsys.notifications")

ADVISORY_KEY = 0x68727379_64656C  # "hrsys" "del": one key for the whole database
_MEMORY_LOCKS: dict[str, threading.Lock] = {}


class Lease:
    """``acquire()`` without waiting (True when held), ``alive()`` while delivering, ``release()`` at the end."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._conn: sa.Connection | None = None
        self._fd: int | None = None
        self._memory: threading.Lock | None = None

    @property
    def held(self) -> bool:
        return self._conn is not None or self._fd is not None or self._memory is not None

    def acquire(self) -> bool:
        if self.held:
            return self.alive()
        if self.engine.dialect.name == "postgresql":
            return self._acquire_pg()
        return self._acquire_file()

    def _acquire_pg(self) -> bool:
        conn = self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        try:
            got = bool(conn.execute(sa.text("SELECT pg_try_advisory_lock(:k)"), {"k": ADVISORY_KEY}).scalar())
        except Exception:
            conn.close()
            raise
        if not got:
            conn.close()
            return False
        self._conn = conn
        return True

    def _acquire_file(self) -> bool:
        path = lock_path(self.engine)
        if path is None:  # an in-memory database lives in this process only
            lock = _MEMORY_LOCKS.setdefault(str(self.engine.url), threading.Lock())
            if not lock.acquire(blocking=False):
                return False
            self._memory = lock
            return True
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._fd = fd
        return True

    def alive(self) -> bool:
        """Still held? On PostgreSQL the lock lives as long as its connection: check that it answers."""
        if self._conn is None:
            return self.held
        try:
            self._conn.execute(sa.text("SELECT 1"))
            return True
        except Exception:
            log.warning("the delivery lease's connection was lost; another process may take over")
            self.release()
            return False

    def release(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(Exception):  # the connection is gone: so is the lock
                conn.execute(sa.text("SELECT pg_advisory_unlock(:k)"), {"k": ADVISORY_KEY})
            _close_quietly(conn)
        fd, self._fd = self._fd, None
        if fd is not None:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)
        memory, self._memory = self._memory, None
        if memory is not None:
            memory.release()

    def __enter__(self) -> Lease:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.release()


def lock_path(engine: Engine) -> str | None:
    database = engine.url.database
    if not database or database == ":memory:":
        return None
    return f"{database}-delivery.lock"


def _close_quietly(conn: sa.Connection) -> None:
    try:
        conn.close()
    except Exception:
        conn.invalidate()
