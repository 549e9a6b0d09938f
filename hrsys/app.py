"""The Litestar application factory: ``create_app(settings)``.

Each domain package contributes its route handlers in :data:`ROUTE_HANDLERS`.
"""

from __future__ import annotations

import functools
import gc
import logging
from typing import Any

import anyio
from advanced_alchemy.extensions.litestar import SQLAlchemyPlugin, SQLAlchemySyncConfig, SyncSessionConfig
from advanced_alchemy.extensions.litestar._utils import delete_aa_scope_state, get_aa_scope_state
from litestar import Litestar
from litestar.datastructures import State
from litestar.openapi.config import OpenAPIConfig
from litestar.openapi.plugins import ScalarRenderPlugin, SwaggerRenderPlugin
from litestar.types import Scope
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from hrsys.access import audit
from hrsys.config import Settings
from hrsys.core import clock
from hrsys.core.db import dispose_hot_engines, make_engine, read_only_engine
from hrsys.core.errors import PROBLEM_MEDIA_TYPE, Conflict, Problem
from hrsys.core.exceptions import EXCEPTION_HANDLERS, problem_body, problem_details_plugin
from hrsys.core.pg_async import HotReads
from hrsys.notifications.worker import Worker

log = logging.getLogger("hrsys")


def route_handlers() -> list[Any]:
    """Every domain's controllers and handlers (imported here so the app builds in one place)."""
    from hrsys.access.routes import CONTROLLERS as ACCESS_CONTROLLERS
    from hrsys.agencies.routes import AgencyController
    from hrsys.careers.routes import CONTROLLERS as CAREER_CONTROLLERS
    from hrsys.notifications.routes import NotificationController
    from hrsys.people.bulk_routes import BulkController
    from hrsys.people.routes import people_controller
    from hrsys.requests.routes import RequestController
    from hrsys.secondments.routes import SecondmentController
    from hrsys.skills.assessments.export_routes import PeopleExportController
    from hrsys.skills.assessments.routes import CONTROLLERS as ASSESSMENT_CONTROLLERS
    from hrsys.skills.catalog.routes import CONTROLLERS as CATALOG_CONTROLLERS
    from hrsys.system.routes import health, ping
    from hrsys.taskforces.routes import CONTROLLERS as TASKFORCE_CONTROLLERS
    from hrsys.training.routes import CONTROLLERS as TRAINING_CONTROLLERS
    from hrsys.web.setup import route_handlers as web_route_handlers

    return [
        health,
        ping,
        AgencyController,
        people_controller(),
        *ACCESS_CONTROLLERS,
        *CAREER_CONTROLLERS,
        SecondmentController,
        *CATALOG_CONTROLLERS,
        *ASSESSMENT_CONTROLLERS,
        BulkController,
        PeopleExportController,
        *TRAINING_CONTROLLERS,
        *TASKFORCE_CONTROLLERS,
        RequestController,
        NotificationController,
        *web_route_handlers(),  # web pages and /static
    ]


SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})

_ENDINGS = anyio.CapacityLimiter(8)
"""Threads that end request transactions: apart from the handlers' pool, so that a transaction holding
SQLite's write lock can always end while every handler thread waits for that lock."""


class RequestSessionConfig(SQLAlchemySyncConfig):
    """The request's ``db_session``. On SQLite a safe request (GET, HEAD) gets a read-only session: a
    deferred transaction, which never takes or waits for the write lock, and whose audit events are
    queued (:data:`hrsys.access.audit.SESSION_PENDING`). Other requests begin ``IMMEDIATE``, as before."""

    def provide_session(self, state: State, scope: Scope) -> Session:
        fresh = get_aa_scope_state(scope, self.session_scope_key) is None
        session = super().provide_session(state, scope)
        bind = session.bind
        if fresh and scope.get("method") in SAFE_METHODS and isinstance(bind, Engine) and bind.dialect.name == "sqlite":
            session.bind = read_only_engine(bind)
            session.info[audit.SESSION_PENDING] = audit.pending(scope)
        return session


def _end_in_thread(session: Any, commit: bool, rows: list[dict[str, Any]]) -> None:
    try:
        if commit:
            if rows:
                audit.insert_rows(session.connection(), rows)
            session.commit()
        else:
            session.rollback()
    finally:
        session.close()


def transaction_ender(session_key: str, writer: audit.EventWriter) -> Any:
    """The ``before_send`` hook that ends the request's transaction and writes its queued audit events,
    before the response starts. Nothing here waits for a database lock on the event loop:

    - a write transaction (it holds the lock, or PostgreSQL row locks) commits or rolls back in a thread of
      :data:`_ENDINGS`; queued events go into it when it commits;
    - a read-only session (SQLite GET) ends inline: it holds no lock and its COMMIT writes nothing;
    - the events of a request without a write transaction to carry them go to :class:`audit.EventWriter`,
      and the response waits for their commit.

    If the commit or the events fail, the response is replaced by the problem (409 for a conflict found at
    commit, else 500): never a success that was not kept, nor data shown without its audit event.
    """

    async def end(message: Any, scope: Any) -> None:
        kind = message["type"]
        if kind == "http.response.body":
            replaced = scope.get(_REPLACED)
            if replaced is not None:
                message["body"], scope[_REPLACED] = replaced, b""
            return
        if kind not in _TERMINUS:
            return
        session = get_aa_scope_state(scope, session_key)
        if session is not None:
            delete_aa_scope_state(scope, session_key)
        if kind != "http.response.start":  # client gone before an answer: nothing is kept, nothing shown
            if session is not None:
                await anyio.to_thread.run_sync(session.close, limiter=_ENDINGS)
            return
        rows: list[dict[str, Any]] = scope.pop(audit.PENDING_SCOPE_KEY, None) or []
        try:
            await _end(session, 200 <= message["status"] < 300, rows, writer)
        except Exception as exc:
            log.exception("the request's transaction or its audit events could not be committed")
            problem = _problem(exc)
            body = problem_body(problem)
            message["status"] = problem.status
            message["headers"] = [
                (b"content-type", PROBLEM_MEDIA_TYPE.encode()),
                (b"content-length", str(len(body)).encode()),
            ]
            scope[_REPLACED] = body

    return end


async def _end(session: Session | None, commit: bool, rows: list[dict[str, Any]], writer: audit.EventWriter) -> None:
    if session is not None:
        if audit.SESSION_PENDING in session.info or not session.in_transaction():
            try:
                session.commit() if commit else session.rollback()
            finally:
                session.close()
        else:
            if commit and (session.new or session.dirty or session.deleted):
                # Left unflushed by the handler: the flush may begin the transaction and wait for the lock, so it
                # runs in the handlers' pool, as it would have in the handler (the endings' threads never wait).
                try:
                    await anyio.to_thread.run_sync(session.flush)
                except BaseException:
                    await anyio.to_thread.run_sync(_end_in_thread, session, False, [], limiter=_ENDINGS)
                    raise
            carried = rows if commit and _holds_connection(session) else []
            ending = functools.partial(_end_in_thread, session, commit, carried)
            await anyio.to_thread.run_sync(ending, limiter=_ENDINGS)
            if carried:
                rows = []
    if rows:
        await writer.write(rows)


def _holds_connection(session: Session) -> bool:
    """Has the session's transaction begun on a connection (so that it holds its locks already)?"""
    transaction = session.get_transaction()
    return transaction is not None and bool(getattr(transaction, "_connections", True))


def _problem(exc: Exception) -> Problem:
    if isinstance(exc, IntegrityError | StaleDataError):
        return Conflict(f"the change could not be kept: it conflicts with data written meanwhile ({exc})").to_problem()
    return Problem(
        type="/problems/internal",
        title="Internal server error",
        status=500,
        detail="The answer could not be recorded (transaction or audit trail); nothing was kept. Try again.",
    )


_REPLACED = "hrsys.response.replaced"

_TERMINUS = frozenset({"http.response.start", "http.disconnect", "websocket.disconnect", "websocket.close"})


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


def serve_app() -> Litestar:
    """The app of ``hrsys serve`` (uvicorn's factory): it also delivers the e-mail outbox and runs the daily
    jobs, unless ``HRSYS_DELIVER_IN_SERVE=0`` (one process at a time across workers and servers holds the
    delivery lease; see hrsys/notifications/README.md, "Delivery")."""
    settings = Settings.from_env()
    return create_app(settings, deliver=settings.notifications.deliver_in_serve)


def create_app(settings: Settings | None = None, *, deliver: bool = False) -> Litestar:
    """Build the app for ``settings`` (default: :meth:`Settings.from_env`, which refuses bad values by name).

    Every setting reaches its user from here: ``app.state.settings`` (and ``app.state.access``,
    ``app.state.secondment_policy``), not from the environment. With ``deliver`` the app's lifespan also
    runs the delivering worker (:mod:`hrsys.notifications.worker`): ``hrsys serve`` asks for it, tests and
    other embedders do not unless they say so."""
    settings = settings or Settings.from_env()
    clock.configure(settings.timezone)  # "today" follows HRSYS_TIMEZONE's calendar
    logging.basicConfig(level=logging.DEBUG if settings.debug else logging.INFO)
    engine = make_engine(
        settings.database_url,
        pool_size=settings.pool_size,
        busy_timeout_ms=settings.sqlite_busy_timeout_ms,
        echo=settings.echo_sql,
    )
    db_config = RequestSessionConfig(
        engine_instance=engine,
        before_send_handler="autocommit",
        set_default_exception_handler=False,
        create_all=False,
        session_config=SyncSessionConfig(expire_on_commit=False),
    )
    audit_writer = audit.EventWriter(engine)
    db_config.before_send_handler = transaction_ender(db_config.session_scope_key, audit_writer)  # type: ignore[assignment]
    from admin.app import AdminPlugin  # piccolo-admin at /admin (top-level package ``admin``)
    from hrsys.access import setup as access_setup
    from hrsys.web.setup import template_config as web_template_config

    hot_reads = HotReads(engine)  # PostgreSQL's people list on asyncpg (pools made on first use)
    worker = Worker(engine, settings.notifications) if deliver else None
    app = Litestar(
        route_handlers=route_handlers(),
        **_with_input_checks(access_setup.app_options()),  # authentication, deny-by-default guard, current_user
        plugins=[SQLAlchemyPlugin(config=db_config), AdminPlugin(), problem_details_plugin()],
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
        on_startup=[_settle_garbage_collector, *([lambda: worker.start()] if worker else [])],
        on_shutdown=[
            *([lambda: worker.stop()] if worker else []),
            hot_reads.close,
            lambda: audit_writer.close(),
            lambda: dispose_hot_engines(engine),
            lambda: engine.dispose(),
        ],
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.hot_reads = hot_reads
    app.state.secondment_policy = settings.secondments.policy()
    access_setup.configure(app, settings)
    _install_openapi_refinements(app)
    return app
