"""Which people lists had more matches than the count stops at: per-process memory that spares a count.

Every people list says how many people match, counting up to
:data:`~hrsys.core.pagination.COUNT_CAP` (a total over it is reported as "1,000 or
more", ``total_exact: false``). Counting to the cap is most of the work of a broad
list (a common name fragment, a large subtree): about half of a request. So when a
list's count reached the cap, each worker remembers that list (its filters, not
its page) for :data:`TTL_SECONDS`; its next pages are read without the count, and
still report "1,000 or more". A page that is not full says exactly where the
list ends, whatever was remembered, and a page past the end counts again.

With the list, a worker remembers how far its first page walked in id order (the
last id on it): on PostgreSQL a name search then reads its first page by a walk that tests
each row with ``strpos`` on a generic plan, when that walk is known to be short
(:data:`hrsys.people.listing.WALK_ROWS`), instead of planning a ``LIKE`` for the
fragment every time.

What can be out of date is only the "or more": it would take more than
the matches beyond the cap to leave in those seconds, in another worker, for a
list to be reported as over the cap when it is not. Deleting or anonymising a
person in this worker forgets everything at once.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import NamedTuple

from sqlalchemy import event
from sqlalchemy.engine import Engine

from hrsys.core.cache import TtlCache

TTL_SECONDS = 30.0
MAX_KEYS = 10_000
"""Bounded: beyond this many remembered lists the oldest is forgotten (each entry is small)."""

_seen: TtlCache[Hashable, int | None] = TtlCache(TTL_SECONDS, max_keys=MAX_KEYS)


class Over(NamedTuple):
    """A list that had more matches than the cap less than :data:`TTL_SECONDS` ago."""

    walked: int | None
    """The last id on its first page in id order (about how many people that page walked), if known."""


def recall(engine: Engine, key: Hashable) -> Over | None:
    """The list ``key`` if it was over the cap lately, else None."""
    found = _seen.entry(engine, key)
    return None if found is None else Over(found.value)


def remember(engine: Engine, key: Hashable, walked: int | None = None) -> None:
    _seen.put(engine, key, walked)


def forget(engine: Engine, key: Hashable) -> None:
    _seen.pop(engine, key)


def clear() -> None:
    """Forget every list (people were removed or renamed here; tests start clean)."""
    _seen.clear()


def _on_person_change(*_: object) -> None:
    clear()


def listen(person_class: type) -> None:
    """Forget on every delete or update of a person through the ORM in this process."""
    event.listen(person_class, "after_delete", _on_person_change)
    event.listen(person_class, "after_update", _on_person_change)
