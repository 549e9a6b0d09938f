"""A per-process cache of one dataset per database, reloaded when its version stamps move."""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable
from typing import Any, Generic, TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from hrsys.core.db import read_engine

T = TypeVar("T")


class StampedCache(Generic[T]):
    """Holds ``load(conn, stamp)`` per engine; ``read_stamp(conn)`` decides when it is stale.

    The loaded value must expose the ``stamp`` it was built from. Readers check the
    stamp on every call (one small query); a reload happens once, under a lock.
    """

    def __init__(
        self,
        read_stamp: Callable[[sa.Connection], tuple[Any, ...]],
        load: Callable[[sa.Connection, tuple[Any, ...]], T],
    ) -> None:
        self._read_stamp = read_stamp
        self._load = load
        self._cache: weakref.WeakKeyDictionary[Engine, T] = weakref.WeakKeyDictionary()
        self._lock = threading.Lock()

    def get(self, engine: Engine, conn: sa.Connection | None = None) -> T:
        """The current value for ``engine``'s database.

        ``conn``: a read connection of the caller's that has written nothing (saves a pool check-out).
        """
        if conn is None:
            with read_engine(engine).connect() as own:
                return self._current(engine, own)
        return self._current(engine, conn)

    def _current(self, engine: Engine, conn: sa.Connection) -> T:
        stamp = self._read_stamp(conn)
        cached = self._cache.get(engine)
        if cached is not None and cached.stamp == stamp:  # type: ignore[attr-defined]
            return cached
        with self._lock:
            cached = self._cache.get(engine)
            if cached is not None and cached.stamp == stamp:  # type: ignore[attr-defined]
                return cached
            data = self._load(conn, stamp)
            self._cache[engine] = data
            return data

    def clear(self) -> None:
        """Forget every cached value (tests, and after bulk loads that bypass the stamps)."""
        with self._lock:
            self._cache.clear()
