"""The one clock: what "now" and "today" mean in hrsys.

hrsys runs on Thailand's calendar. Every date that means "today" (assessments
not in the future, alerts, validity, page stamps, defaults) comes from
:func:`today`, which is the date in :data:`zone` (``Asia/Bangkok`` unless
``HRSYS_TIMEZONE`` says otherwise), never the server's local date. Instants are
kept in UTC (:func:`now`) and shown in the zone (:func:`local`).

Tests move the clock with :func:`frozen`; nothing else should set it.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator
from zoneinfo import ZoneInfo

DEFAULT_ZONE = "Asia/Bangkok"

zone: dt.tzinfo = ZoneInfo(DEFAULT_ZONE)
_fixed: dt.datetime | None = None


def configure(zone_name: str) -> None:
    """Set the zone whose calendar "today" follows (from settings, at start-up)."""
    global zone
    zone = ZoneInfo(zone_name)


def now() -> dt.datetime:
    """The current instant, timezone-aware, in UTC."""
    return _fixed if _fixed is not None else dt.datetime.now(dt.UTC)


def local(instant: dt.datetime | None = None) -> dt.datetime:
    """An instant (default: now) in the configured zone."""
    return (instant or now()).astimezone(zone)


def today() -> dt.date:
    """Today's date in the configured zone."""
    return local().date()


@contextlib.contextmanager
def frozen(instant: dt.datetime) -> Iterator[None]:
    """Stop the clock at ``instant`` (aware) for the block: for tests."""
    global _fixed
    if instant.tzinfo is None:
        raise ValueError("frozen() takes an aware datetime")
    previous, _fixed = _fixed, instant.astimezone(dt.UTC)
    try:
        yield
    finally:
        _fixed = previous
