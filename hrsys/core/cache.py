"""Per-process caches: one mechanism, one registry, one :func:`clear_all`.

Every cache a worker keeps is made from this module and registered here when it is
made, so the tests (``tests/conftest.py``) forget them all between cases with one
call, and no module keeps a dictionary, a lock and a bound of its own.

- :class:`StampedCache`: one dataset per database, reloaded when its version stamps
  (:mod:`hrsys.core.stamps`) move; the stamp is read on every call (one small query).
  Several workers on one PostgreSQL database stay correct: a writer bumps the stamp in
  its own transaction.
- :class:`CheckedCache`: the same for hot reads that cannot afford that query: the stamp
  is read at most once per :data:`CHECK_SECONDS` (and at once on demand).
- :class:`TtlCache`: values per owner (an engine, an app) and key, for a fixed time,
  bounded (oldest first out). For figures that only steer query plans or that a page
  labels with their age (estimates, "over the cap" lists, dashboard aggregates, the
  signed-in user's row), where a stamp would cost a write on every change of the data.
- :func:`memoized`: a pure function of its arguments (a policy file read once).
"""

from __future__ import annotations

import functools
import threading
import time
import weakref
from collections.abc import Callable, Hashable
from typing import Any, Generic, NamedTuple, Protocol, TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from hrsys.core.db import read_engine
from hrsys.core.stamps import read_version

T = TypeVar("T")
K = TypeVar("K", bound=Hashable)
F = TypeVar("F", bound=Callable[..., Any])


class Clearable(Protocol):
    def clear(self) -> None: ...


_caches: weakref.WeakSet[Any] = weakref.WeakSet()
"""Every live cache object (a cache dropped with its app leaves by itself)."""
_memos: list[Callable[[], None]] = []
"""The ``cache_clear`` of every :func:`memoized` function."""


def register(cache: Clearable) -> None:
    """Put ``cache`` in the registry (the classes here do it when they are made)."""
    _caches.add(cache)


def clear_all() -> None:
    """Forget every cached value of this process (tests between cases; after bulk loads that bypass stamps)."""
    for cache in list(_caches):
        cache.clear()
    for clear in _memos:
        clear()


def memoized(maxsize: int | None = None) -> Callable[[F], F]:
    """``functools.lru_cache(maxsize)``, registered so that :func:`clear_all` forgets it too."""

    def wrap(fn: F) -> F:
        cached = functools.lru_cache(maxsize=maxsize)(fn)
        _memos.append(cached.cache_clear)
        return cached  # type: ignore[return-value]

    return wrap


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
        register(self)

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
        register(self)

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


class Entry(NamedTuple, Generic[T]):
    value: T
    stored_at: float
    """``time.monotonic()`` when it was stored."""


class TtlCache(Generic[K, T]):
    """Values per owner and key for ``ttl`` seconds; at most ``max_keys`` per owner (oldest first out).

    The owner (an :class:`Engine`, an app) is held weakly: its values go with it. ``ttl`` may be changed
    later (settings applied at start); ``0`` stores nothing. Thread-safe.
    """

    def __init__(self, ttl: float, *, max_keys: int) -> None:
        self.ttl = ttl
        self.max_keys = max_keys
        self._lock = threading.Lock()
        self._owners: weakref.WeakKeyDictionary[Any, dict[K, Entry[T]]] = weakref.WeakKeyDictionary()
        register(self)

    def entry(self, owner: Any, key: K) -> Entry[T] | None:
        """The stored value of ``key`` and when it was stored, if younger than ``ttl``; else None."""
        found = self._owners.get(owner, {}).get(key)
        if found is None or time.monotonic() - found.stored_at >= self.ttl:
            return None
        return found

    def put(self, owner: Any, key: K, value: T) -> None:
        if self.ttl <= 0:
            return
        with self._lock:
            values = self._owners.setdefault(owner, {})
            values.pop(key, None)
            if len(values) >= self.max_keys:
                values.pop(next(iter(values)))
            values[key] = Entry(value, time.monotonic())

    def pop(self, owner: Any, key: K) -> None:
        with self._lock:
            self._owners.get(owner, {}).pop(key, None)

    def pop_everywhere(self, key: K) -> None:
        """Forget ``key`` for every owner (a change made in this process)."""
        with self._lock:
            for values in self._owners.values():
                values.pop(key, None)

    def clear(self) -> None:
        with self._lock:
            self._owners.clear()
