"""A per-process cache of one dataset per database, reloaded when its version stamps move."""

from __future__ import annotations

import threading
import time
import weakref
from collections.abc import Callable
from typing import Any, Generic, Protocol, TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from hrsys.core.db import read_engine
from hrsys.system.service import read_version

T = TypeVar("T")

CHECK_SECONDS = 1.0
"""How long a :class:`CheckedCache` answers from memory before it reads its stamp again."""


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


class Versioned(Protocol):
    @property
    def version(self) -> int: ...


V = TypeVar("V", bound=Versioned)


class CheckedCache(Generic[V]):
    """Holds ``load(conn, version)`` per engine, for hot reads that cannot afford a query for the stamp.

    The version stamp ``stamp`` is read at most once per :data:`CHECK_SECONDS` (and at once when the
    caller asks, having met something the value does not know), so after a change in one worker the
    others may answer from the old value for up to that long. Thread-safe.
    """

    def __init__(self, stamp: str, load: Callable[[sa.Connection, int], V]) -> None:
        self._stamp = stamp
        self._load = load
        self._lock = threading.Lock()
        self._values: weakref.WeakKeyDictionary[Engine, tuple[V, float]] = weakref.WeakKeyDictionary()

    def clear(self) -> None:
        """Forget every value (tests that empty the database between cases call this)."""
        with self._lock:
            self._values.clear()

    def fresh(self, engine: Engine) -> bool:
        """True when :meth:`get` would answer without asking the database (its stamp was checked lately)."""
        entry = self._values.get(engine)
        return entry is not None and time.monotonic() - entry[1] < CHECK_SECONDS

    def get(self, engine: Engine, *, force_check: bool = False, reload: bool = False) -> V:
        """The value, its stamp read again if it was not read lately or ``force_check``; ``reload`` loads it
        again whatever the stamp says (for rows written without moving it)."""
        entry = self._values.get(engine)
        if entry is not None and not (force_check or reload) and time.monotonic() - entry[1] < CHECK_SECONDS:
            return entry[0]
        with self._lock:
            with read_engine(engine).connect() as conn:  # a read: never wait for a writer
                version = read_version(conn, self._stamp)
                entry = self._values.get(engine)
                if entry is not None and entry[0].version == version and not reload:
                    value = entry[0]
                else:
                    value = self._load(conn, version)
            self._values[engine] = (value, time.monotonic())
            return value
