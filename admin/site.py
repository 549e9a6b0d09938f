"""One admin site per process and database: the Piccolo engine, the derived tables, their rules and the router.

:func:`site_for` keeps one :class:`AdminSite` per database URL for the life of the
process, so several apps built on one database (tests build one per test) share
it. The engine and the table classes are made at once (a few milliseconds; on
PostgreSQL one connection to check the server version); the piccolo-admin router,
which takes about a second to build, is made on the first request that needs it
(:meth:`AdminSite.router`), off the event loop.
"""

from __future__ import annotations

import threading
from typing import Any, cast

import anyio
import sqlalchemy as sa
from piccolo.apps.user.tables import BaseUser
from piccolo.columns import Date
from piccolo.columns.defaults.date import DateNow
from piccolo.columns.defaults.timestamp import TimestampNow
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.engine.base import Engine as PiccoloEngine
from piccolo.table import Table
from piccolo_admin.endpoints import AdminRouter, TableConfig, create_admin
from piccolo_api.csrf.middleware import CSRFMiddleware
from piccolo_api.shared.auth import User as PiccoloAuthUser
from starlette.authentication import AuthCredentials, AuthenticationBackend, AuthenticationError
from starlette.middleware.authentication import AuthenticationMiddleware
from starlette.requests import HTTPConnection
from starlette.routing import Mount

import hrsys.models
from admin import engine as admin_engine
from admin.policy import (
    CACHE_STAMPS,
    FIXED_ON_EDIT,
    READ_ONLY,
    TREE_COLUMNS,
    TREE_PLACEHOLDER,
    TablePolicy,
)
from admin.tables import DerivedTable, derive_tables, skipped_tables
from hrsys.access import audit
from hrsys.access.identity import CurrentUser
from hrsys.access.models import UserRole
from hrsys.core.db import Base

SITE_NAME = "hrsys admin"
PAGE_SIZE = 25
CREATED_COLUMNS = frozenset({"created_at", "updated_at"})
MAINTAINED_HELP = "Kept by hrsys: a value entered here is ignored."

UNUSABLE_PASSWORD = "pbkdf2_sha256$0$unusable$unusable"
"""Given to the unsaved Piccolo user: ``BaseUser`` hashes any other value (600,000 rounds, ~0.2 s) when set."""

SCOPE_USER_KEY = "hrsys.user"
"""Where the admin's scope carries the signed-in hrsys user (Starlette's middleware overwrites ``scope["user"]``)."""


def _mappers() -> dict[str, Any]:
    return {cast(sa.Table, m.local_table).name: m for m in Base.registry.mappers}


def menu_group(table: sa.Table) -> str:
    """The hrsys domain a table belongs to (``hrsys.people.models`` -> ``people``), for the admin's menu."""
    mapper = _mappers().get(table.name)
    module = mapper.class_.__module__ if mapper is not None else ""
    parts = module.split(".")
    return parts[1] if len(parts) > 2 and parts[0] == "hrsys" else "other"


def build_policies(derived: dict[str, DerivedTable]) -> dict[str, TablePolicy]:
    """The rules of :mod:`admin.policy` for each derived table, read off the models."""
    mappers = _mappers()
    personal = frozenset(audit.REDACTED_COLUMNS)
    out: dict[str, TablePolicy] = {}
    for name, d in derived.items():
        columns = frozenset(d.columns)
        mapper = mappers.get(name)
        version_col = getattr(mapper, "version_id_col", None) if mapper is not None else None
        touched = frozenset(c.name for c in d.table.columns if c.onupdate is not None and c.name in columns)
        computed: frozenset[str] = frozenset()
        placeholders: dict[str, Any] = {}
        if name in TREE_COLUMNS:
            _, path_col, depth_col = TREE_COLUMNS[name]
            computed = frozenset({path_col, depth_col})
            placeholders = {path_col: TREE_PLACEHOLDER, depth_col: 0}
        defaults, now_defaults, dates = column_defaults(d)
        out[name] = TablePolicy(
            name=name,
            key=next(iter(d.table.primary_key.columns)).name,
            defaults=defaults,
            now_defaults=now_defaults,
            date_columns=dates,
            columns=columns,
            read_only=READ_ONLY.get(name),
            version_column=version_col.name if version_col is not None and version_col.name in columns else None,
            created_columns=(CREATED_COLUMNS & columns),
            touched_columns=touched,
            computed_columns=computed,
            placeholders=placeholders,
            fixed_on_edit=FIXED_ON_EDIT.get(name, {}),
            cache_stamp=CACHE_STAMPS.get(name),
            personal=name in personal,
        )
    return out


def column_defaults(d: DerivedTable) -> tuple[dict[str, Any], frozenset[str], frozenset[str]]:
    """(static defaults, columns defaulting to now, date columns) of a derived class's columns, key excluded."""
    static: dict[str, Any] = {}
    now: set[str] = set()
    dates: set[str] = set()
    if d.piccolo is Table:  # names only (see _policies_from_metadata)
        return static, frozenset(), frozenset()
    for column in d.piccolo._meta.columns:
        name = column._meta.name
        if column._meta.primary_key:
            continue
        if isinstance(column, Date):
            dates.add(name)
        default = getattr(column, "default", None)
        if isinstance(default, TimestamptzNow | TimestampNow | DateNow):
            now.add(name)
        elif default is not None and isinstance(default, bool | int | float | str):
            static[name] = default
    return static, frozenset(now), frozenset(dates)


def help_texts(policies: dict[str, TablePolicy]) -> dict[str, dict[str, str]]:
    return {name: {c: MAINTAINED_HELP for c in p.maintained} for name, p in policies.items()}


def _policies_from_metadata() -> dict[str, TablePolicy]:
    """Policies need only the column names; derive them without an engine (for help texts before the classes)."""
    skipped = skipped_tables(hrsys.models.metadata)
    fake: dict[str, DerivedTable] = {}
    for table in hrsys.models.metadata.sorted_tables:
        if table.name not in skipped:
            names = tuple(c.name for c in table.columns)
            fake[table.name] = DerivedTable(table=table, piccolo=Table, columns=names)
    return build_policies(fake)


class HrsysBackend(AuthenticationBackend):
    """Authenticates the admin's API as the hrsys user that signed in, as an unsaved Piccolo ``BaseUser``.

    hrsys's middleware has already checked the token (bearer or cookie) and its
    access guard the ``admin`` rule; this backend refuses anything but an admin
    again, so the admin's API never runs for anyone else even if mounted without
    the guard. No Piccolo user or session table exists: piccolo-admin only reads
    ``request.user`` (its name and id) and the flags set here.
    """

    async def authenticate(self, conn: HTTPConnection) -> tuple[AuthCredentials, PiccoloAuthUser]:
        user: CurrentUser | None = conn.scope.get(SCOPE_USER_KEY)
        if user is None:
            raise AuthenticationError("sign in to hrsys first")
        if user.role is not UserRole.admin:
            raise AuthenticationError("administrators only")
        piccolo_user = BaseUser(
            _ignore_missing=True,
            id=user.id,
            username=user.username,
            password=UNUSABLE_PASSWORD,
            admin=True,
            superuser=True,
            active=True,
        )
        return AuthCredentials(scopes=["authenticated"]), PiccoloAuthUser(user=piccolo_user)


def install_hrsys_auth(router: AdminRouter) -> None:
    """Swap piccolo-admin's own sign-in for :class:`HrsysBackend`, and drop its CSRF layer.

    This relies on the router's internals (piccolo-admin 1.14): its API is a
    ``Mount("/api")`` of an ``AuthenticationMiddleware`` around the private app,
    and its CSRF check is the first user middleware. hrsys's guard checks the CSRF
    secret of cookie sign-ins instead (:mod:`admin.gate` hands the admin's
    front end that secret), and bearer tokens need none. ``tests/test_admin.py``
    fails if either internal moves.
    """
    mounts = [r for r in router.router.routes if isinstance(r, Mount) and r.path == "/api"]
    if len(mounts) != 1 or not isinstance(mounts[0].app, AuthenticationMiddleware):
        raise RuntimeError("piccolo-admin's API mount is not where hrsys expects it: check the pinned version")
    mount = mounts[0]
    private_app = mount.app.app  # type: ignore[attr-defined]
    mount.app = AuthenticationMiddleware(
        private_app,
        backend=HrsysBackend(),
        on_error=lambda conn, exc: _auth_error(exc),  # type: ignore[arg-type]
    )
    before = len(router.user_middleware)
    router.user_middleware = [m for m in router.user_middleware if m.cls is not CSRFMiddleware]
    if len(router.user_middleware) != before - 1:
        raise RuntimeError("piccolo-admin's CSRF middleware is not where hrsys expects it: check the pinned version")
    router.middleware_stack = None


def _auth_error(exc: Exception) -> Any:
    from starlette.responses import JSONResponse

    status = 403 if "administrators" in str(exc) else 401
    return JSONResponse({"detail": str(exc)}, status_code=status)


class AdminSite:
    """The admin over one database: engine, derived tables and rules now; the router on first use."""

    def __init__(self, database_url: str) -> None:
        self.database_url = database_url
        self.engine: PiccoloEngine = admin_engine.make_engine(database_url)
        policies = _policies_from_metadata()
        self.tables = derive_tables(hrsys.models.metadata, self.engine, help_texts=help_texts(policies))
        self.policies = build_policies(self.tables)
        self.skipped = skipped_tables(hrsys.models.metadata)
        self._router: AdminRouter | None = None
        self._lock = threading.Lock()

    def table(self, name: str) -> type[Table]:
        return self.tables[name].piccolo

    def table_configs(self) -> list[TableConfig]:
        configs = []
        for name, d in self.tables.items():
            policy = self.policies[name]
            hidden = [d.piccolo._meta.get_column_by_name(c) for c in ("created_at", "updated_at") if c in d.columns]
            configs.append(
                TableConfig(
                    d.piccolo,
                    menu_group=menu_group(d.table),
                    exclude_visible_columns=hidden or None,
                    exclude_visible_filters=None,
                )
            )
            if policy.read_only:
                d.piccolo._meta.help_text = f"Read-only here: {policy.read_only}."
        return configs

    def build_router(self) -> AdminRouter:
        router = create_admin(
            self.table_configs(),
            site_name=SITE_NAME,
            page_size=PAGE_SIZE,
            auto_include_related=False,
            production=True,
        )
        install_hrsys_auth(router)
        return router

    def router_sync(self) -> AdminRouter:
        with self._lock:
            if self._router is None:
                self._router = self.build_router()
            return self._router

    async def router(self) -> AdminRouter:
        if self._router is not None:
            return self._router
        return await anyio.to_thread.run_sync(self.router_sync)


_sites: dict[str, AdminSite] = {}
_sites_lock = threading.Lock()


def site_for(database_url: str) -> AdminSite:
    """The process's admin site for ``database_url`` (made on first call)."""
    with _sites_lock:
        site = _sites.get(database_url)
        if site is None:
            site = _sites[database_url] = AdminSite(database_url)
        return site
