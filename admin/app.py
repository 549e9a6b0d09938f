"""The admin inside hrsys's Litestar app: the ``/admin`` mount and the plugin that wires it.

``create_app`` lists :class:`AdminPlugin` among its plugins. The plugin adds

- :func:`admin_mount`: ``/admin``, a mounted ASGI app under the ``admin`` access
  rule. hrsys's authentication middleware and access guard run first (401 without
  a sign-in, 403 for other roles, 403 for a cookie write without the CSRF secret);
  :class:`admin.gate.AdminGate` turns those into pages for a browser opening the
  admin; then :func:`admin.writes.handle` serves the request.
- a shutdown hook that closes the admin's PostgreSQL pool of the app's event loop.

The process's :class:`admin.site.AdminSite` for the app's database, and the pool of
the running loop, are made by the first request to the admin: apps that never
serve it (most tests, command-line tools) never pay for it.
"""

from __future__ import annotations

from typing import Any

import anyio
from litestar import Litestar, asgi
from litestar.config.app import AppConfig
from litestar.plugins import InitPluginProtocol
from litestar.types import Receive, Scope, Send

from admin import engine as admin_engine
from admin.gate import AdminGate
from admin.site import AdminSite, site_for
from admin.writes import ADMIN_PATH, handle, problem, replay
from hrsys.access.rules import Access


async def _site(app: Litestar) -> AdminSite:
    site: AdminSite | None = getattr(app.state, "admin_site", None)
    if site is None:
        # Made once per process and database, off the event loop (on PostgreSQL it connects once).
        site = await anyio.to_thread.run_sync(site_for, app.state.settings.database_url)
        app.state.admin_site = site
    return site


async def _redirect(send: Send, location: bytes) -> None:
    start: Any = {"type": "http.response.start", "status": 308, "headers": [(b"location", location)]}
    await send(start)
    end: Any = {"type": "http.response.body", "body": b""}
    await send(end)


@asgi(ADMIN_PATH, is_mount=True, copy_scope=True, opt={"access": Access.admin}, middleware=[AdminGate()])
async def admin_mount(scope: Scope, receive: Receive, send: Send) -> None:
    """piccolo-admin over the hrsys tables, for administrators (see :mod:`admin`)."""
    raw = bytes(scope.get("raw_path") or b"").split(b"?", 1)[0]
    if raw == ADMIN_PATH.encode():
        # The admin's pages load their assets relatively ("./assets/..."): they need the trailing slash.
        query = scope.get("query_string") or b""
        await _redirect(send, ADMIN_PATH.encode() + b"/" + (b"?" + query if query else b""))
        return
    try:
        site = await _site(scope["app"])
    except ValueError as exc:  # a database the admin cannot serve (an in-memory SQLite database)
        await replay(send, problem(503, "Service unavailable", str(exc)))  # type: ignore[arg-type]
        return
    await admin_engine.start(site.engine)
    await handle(site, scope, receive, send)  # type: ignore[arg-type]


async def _stop(app: Litestar) -> None:
    site = getattr(app.state, "admin_site", None)
    if site is not None:
        await admin_engine.stop(site.engine)


class AdminPlugin(InitPluginProtocol):
    """Adds the admin mount to an app, and a shutdown hook that closes the admin's database pool."""

    def on_app_init(self, app_config: AppConfig) -> AppConfig:
        app_config.route_handlers.append(admin_mount)
        app_config.on_shutdown.append(_stop)
        return app_config


__all__ = ["AdminPlugin", "admin_mount"]
