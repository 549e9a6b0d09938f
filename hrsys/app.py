"""The Litestar application factory: ``create_app(settings)``.

Each domain package contributes its route handlers in :data:`ROUTE_HANDLERS`.
"""

from __future__ import annotations

import gc
import logging
from typing import Any

from advanced_alchemy.extensions.litestar import SQLAlchemyPlugin, SQLAlchemySyncConfig, SyncSessionConfig
from litestar import Litestar
from litestar.openapi.config import OpenAPIConfig
from litestar.openapi.plugins import ScalarRenderPlugin, SwaggerRenderPlugin

from hrsys.config import Settings
from hrsys.core.db import dispose_hot_engines, make_engine
from hrsys.core.exceptions import EXCEPTION_HANDLERS
from hrsys.core.pg_async import HotReads


def route_handlers() -> list[Any]:
    """Every domain's controllers and handlers (imported here so the app builds in one place)."""
    from hrsys.access.routes import CONTROLLERS as ACCESS_CONTROLLERS
    from hrsys.agencies.routes import AgencyController
    from hrsys.careers.routes import CONTROLLERS as CAREER_CONTROLLERS
    from hrsys.people.bulk_routes import BulkController
    from hrsys.people.routes import PeopleController
    from hrsys.secondments.routes import SecondmentController
    from hrsys.skills.routes import CONTROLLERS as SKILL_CONTROLLERS
    from hrsys.system.routes import health, ping
    from hrsys.taskforces.routes import CONTROLLERS as TASKFORCE_CONTROLLERS
    from hrsys.training.routes import CONTROLLERS as TRAINING_CONTROLLERS
    from hrsys.web.setup import route_handlers as web_route_handlers

    return [
        health,
        ping,
        AgencyController,
        PeopleController,
        *ACCESS_CONTROLLERS,
        *CAREER_CONTROLLERS,
        SecondmentController,
        *SKILL_CONTROLLERS,
        BulkController,
        *TRAINING_CONTROLLERS,
        *TASKFORCE_CONTROLLERS,
        *web_route_handlers(),  # web pages and /static
    ]


def _with_input_checks(options: dict[str, Any]) -> dict[str, Any]:
    """The access options with the edge checks (:mod:`hrsys.core.edge`) after the access guard: a caller who
    may not use a route learns nothing about its input rules."""
    from hrsys.core.edge import input_guard

    return {**options, "guards": [*options.get("guards", []), input_guard]}


def _install_openapi_refinements(app: Litestar) -> None:
    """The OpenAPI document lists every problem status, format and integer range (:mod:`hrsys.core.openapi`)."""
    from hrsys.core import openapi

    openapi.install(app)


def _settle_garbage_collector() -> None:
    """Keep the start-up objects (modules, models, compiled statements) out of every later collection.

    A worker allocates many short-lived objects per request; with the default
    thresholds the collector runs every few requests and each full collection walks
    the whole application. Freezing what exists at start-up and collecting the
    young generation less often removes most of that work (and the tail latency it
    adds) without keeping garbage longer than a few thousand allocations.
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(7000, 20, 20)


def create_app(settings: Settings | None = None) -> Litestar:
    """Build the app for ``settings`` (default: :meth:`Settings.from_env`, which refuses bad values by name).

    Every setting reaches its user from here: ``app.state.settings`` (and ``app.state.access``,
    ``app.state.secondment_policy``), not from the environment."""
    settings = settings or Settings.from_env()
    logging.basicConfig(level=logging.DEBUG if settings.debug else logging.INFO)
    engine = make_engine(
        settings.database_url,
        pool_size=settings.pool_size,
        busy_timeout_ms=settings.sqlite_busy_timeout_ms,
        echo=settings.echo_sql,
    )
    db_config = SQLAlchemySyncConfig(
        engine_instance=engine,
        before_send_handler="autocommit",
        set_default_exception_handler=False,
        create_all=False,
        session_config=SyncSessionConfig(expire_on_commit=False),
    )
    # Commit (or roll back) on the event loop, not in the handlers' thread pool: with more
    # concurrent writers waiting on one lock than there are threads, a lock holder could
    # otherwise never get a thread to commit in, and every request would hang.
    commit_or_rollback = db_config.before_send_handler

    async def end_transaction(message: Any, scope: Any) -> None:
        commit_or_rollback(message, scope)  # type: ignore[misc,operator]

    db_config.before_send_handler = end_transaction  # type: ignore[assignment]
    from admin.app import AdminPlugin  # piccolo-admin at /admin (top-level package ``admin``)
    from hrsys.access import setup as access_setup
    from hrsys.web.setup import template_config as web_template_config

    hot_reads = HotReads(engine)  # PostgreSQL's people list on asyncpg (pools made on first use)
    app = Litestar(
        route_handlers=route_handlers(),
        **_with_input_checks(access_setup.app_options()),  # authentication, deny-by-default guard, current_user
        plugins=[SQLAlchemyPlugin(config=db_config), AdminPlugin()],
        exception_handlers=EXCEPTION_HANDLERS,
        template_config=web_template_config(),
        openapi_config=OpenAPIConfig(
            title="hrsys",
            version="0.1.0",
            description="Workforce and Agile Unit career-path system for a national civil service.",
            path="/schema",
            openapi_router=access_setup.openapi_router("/schema"),
            render_plugins=[SwaggerRenderPlugin(), ScalarRenderPlugin(path="/scalar")],
        ),
        debug=settings.debug,
        on_startup=[_settle_garbage_collector],
        on_shutdown=[hot_reads.close, lambda: dispose_hot_engines(engine), lambda: engine.dispose()],
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.hot_reads = hot_reads
    app.state.secondment_policy = settings.secondments.policy()
    access_setup.configure(app, settings)
    _install_openapi_refinements(app)
    return app
