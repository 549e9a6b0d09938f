"""Plugging access control into the app: ``create_app`` spreads :func:`app_options` and calls :func:`configure`."""

from __future__ import annotations

import logging
from typing import Any

from litestar import Litestar, Router
from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler

from hrsys.access.guard import DEPENDENCIES, AuthMiddleware, access_guard, auth_cache, is_exempt, rule_of
from hrsys.access.policy import AccessSettings
from hrsys.access.rules import Access
from hrsys.config import Settings

log = logging.getLogger("hrsys.access")


async def _authorize_connection(self: BaseRouteHandler, connection: ASGIConnection[Any, Any, Any, Any]) -> None:
    """Run the handler's guards with the handler itself.

    Litestar 2 hands each guard a shallow ``copy()`` of the handler, which costs about
    0.1 ms per guard on every request (a tenth of a people-list request). hrsys guards
    only read the handler (its ``opt`` and signature), so the copy protects nothing here.
    """
    for guard in self.resolve_guards():
        await guard(connection, self)  # type: ignore[misc]


BaseRouteHandler.authorize_connection = _authorize_connection  # type: ignore[method-assign]


def app_options() -> dict[str, Any]:
    """Keyword arguments for ``Litestar(...)``: the authentication middleware, the global guard, dependencies."""
    return {"middleware": [AuthMiddleware()], "guards": [access_guard], "dependencies": dict(DEPENDENCIES)}


def openapi_router(path: str = "/schema") -> Router:
    """The router that serves the OpenAPI documents: public (they describe the API, not its data)."""
    return Router(path=path, route_handlers=[], opt={"access": Access.public})


def route_handlers_of(route: Any) -> list[Any]:
    """The handlers of an app route: HTTP routes have several (one per method), mounts and websockets one."""
    handlers = getattr(route, "route_handlers", None)
    if handlers is None:
        handlers = [route.route_handler] if getattr(route, "route_handler", None) is not None else []
    return list(handlers)


def routes_without_rule(app: Litestar) -> list[str]:
    """``METHOD path`` of every route handler that declares no access rule (they answer 403)."""
    missing = []
    for route in app.routes:
        for handler in route_handlers_of(route):
            if rule_of(handler) is None and not is_exempt(handler):
                methods = ",".join(sorted(getattr(handler, "http_methods", ()) or ["ASGI"]))
                missing.append(f"{methods} {route.path}")
    return sorted(set(missing))


def configure(app: Litestar, settings: Settings, access: AccessSettings | None = None) -> None:
    """Keep the signing key and access settings (``settings.access`` unless given) on the app; log routes that
    would be refused for lack of a rule."""
    app.state.secret_key = settings.resolved_secret_key()
    app.state.access = access or settings.access
    auth_cache.user_seconds = settings.auth_cache_seconds
    for route in routes_without_rule(app):
        log.error("no access rule on %s: it will answer 403 (declare opt={'access': Access.<rule>})", route)
