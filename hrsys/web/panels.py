"""The panels of a page: a service call that may refuse without failing the page, and the dashboard cache."""

from __future__ import annotations

import datetime as dt
from typing import Any

from hrsys.config import WebSettings
from hrsys.core import clock
from hrsys.core.cache import TtlCache
from hrsys.core.errors import AppError
from hrsys.web.pages import PageRequest


def safely(work: Any, *args: Any, **kwargs: Any) -> tuple[Any, str | None]:
    """Run a service call for one panel of a page: (result, None), or (None, the readable reason) when the
    service refuses (a page shows the other panels and the reason instead of failing whole)."""
    try:
        return work(*args, **kwargs), None
    except AppError as exc:
        return None, exc.detail if hasattr(exc, "detail") else str(exc)


class PanelCache:
    """Dashboard figures kept for ``ttl`` seconds per key (per process, per app): the heat map, bench strength
    and training needs are aggregates over whole agency subtrees (about 0.5 s at 20,000 staff, seconds for
    all 500,000), so a dashboard reopened within the interval reuses them. The page says how old they are.
    ``settings.web.dashboard_ttl`` (``HRSYS_WEB_DASHBOARD_TTL``: seconds, default 300; 0 turns the cache off)."""

    def __init__(self, ttl: float) -> None:
        self._items: TtlCache[Any, tuple[dt.datetime, Any]] = TtlCache(ttl, max_keys=1_000)
        """Bounded: one entry per agency and panel at most."""

    @property
    def ttl(self) -> float:
        return self._items.ttl

    def get(self, key: Any, compute: Any) -> tuple[Any, dt.datetime]:
        """(value, when it was computed): the kept value if fresh, else ``compute()`` kept now."""
        hit = self._items.entry(self, key)
        if hit is not None:
            return hit.value[1], hit.value[0]
        value = compute()
        stamp = clock.now()
        self._items.put(self, key, (stamp, value))
        return value, stamp


def panel_cache(request: PageRequest) -> PanelCache:
    """The app's dashboard cache (made on first use; see :class:`PanelCache`).

    Its lifetime is ``Settings.web.dashboard_ttl`` (``HRSYS_WEB_DASHBOARD_TTL``), validated at start-up."""
    cache = request.app.state.get("web_panel_cache")
    if cache is None:
        settings = request.app.state.get("settings")
        ttl = settings.web.dashboard_ttl if settings is not None else WebSettings().dashboard_ttl
        cache = request.app.state["web_panel_cache"] = PanelCache(ttl)
    return cache  # type: ignore[no-any-return]
