"""Authentication middleware, the global access guard, the ``current_user`` dependency and object guards.

Per request:

1. :class:`AuthMiddleware` reads the credentials (``Authorization: Bearer <jwt>``,
   else the ``hrsys_session`` cookie), checks the token (:mod:`hrsys.access.tokens`)
   and loads the user in one indexed query (id, role, agency path, active flag,
   token generation). ``scope["user"]`` becomes a :class:`CurrentUser` or None, and
   the audit actor is set for the rest of the request.
2. :func:`access_guard`, an app-level guard, reads the handler's
   ``opt["access"]`` rule: no rule is a 403 (deny by default); a rule that needs a
   user without one is a 401 (saying whether the token was missing, expired or
   invalid); a role the rule does not admit is a 403. Cookie-authenticated unsafe
   requests (POST, PUT, PATCH, DELETE) must also carry the CSRF secret handed out
   at sign-in, in the ``X-CSRF-Token`` header or a ``_csrf`` form field: a forged
   cross-site form cannot read it. Bearer requests need none (browsers never add
   that header by themselves).
3. Handlers ask for ``current_user: NamedDependency[CurrentUser]`` and check objects
   with :mod:`hrsys.access.scope`, or declare one of the object guards here
   (:func:`person_guard`, :func:`taskforce_guard`, :func:`secondment_guard`) on routes
   with such a path parameter.
"""

from __future__ import annotations

import functools
import logging
import math
from collections.abc import Callable, Coroutine
from typing import Any

import msgspec
import sqlalchemy as sa
from litestar import Request
from litestar.connection import ASGIConnection
from litestar.di import Provide
from litestar.enums import ScopeType
from litestar.handlers.base import BaseRouteHandler
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Receive, Scope, Send
from sqlalchemy.engine import Engine

from hrsys.access import audit, tokens
from hrsys.access.identity import CurrentUser
from hrsys.access.models import User, UserRole
from hrsys.access.policy import CSRF_FORM_FIELD, CSRF_HEADER, SESSION_COOKIE
from hrsys.access.rules import Access, admits
from hrsys.access.scope import (
    Visibility,
    agency_table,
    require_agency_code,
    require_person,
    require_secondment,
    require_taskforce,
)
from hrsys.core import clock
from hrsys.core.cache import TtlCache
from hrsys.core.db import Base, read_engine
from hrsys.core.errors import FieldError, Forbidden, Invalid, NotFound, Unauthorized

log = logging.getLogger("hrsys.access")

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})

U = User.__table__


@functools.cache  # one statement, built at first use (the agency table is registered by then); not a data cache
def _user_query() -> sa.Select[Any]:
    """A signed-in user's row with their agency's path: one round trip on every authenticated request."""
    A = agency_table()
    return (
        sa.select(
            U.c.id, U.c.username, U.c.role, U.c.agency_id, A.c.path, U.c.person_id, U.c.active, U.c.token_generation
        )
        .select_from(U.outerjoin(A, A.c.id == U.c.agency_id))
        .where(U.c.id == sa.bindparam("uid"))
    )


class AuthState(msgspec.Struct):
    """What the middleware found: how the caller authenticated, and why not if they presented a bad token."""

    via: str | None = None
    error: str | None = None
    """``expired``, ``invalid`` or ``revoked`` (signed out, password changed, user deactivated)."""
    claims: tokens.Claims | None = None


def client_address(scope: Scope) -> str | None:
    client = scope.get("client")
    return client[0] if client else None


def _credentials(scope: Scope) -> tuple[str | None, str | None]:
    """(token, via) from the Authorization header or the session cookie."""
    cookie_header = None
    for name, value in scope.get("headers", ()):
        if name == b"authorization":
            scheme, _, token = value.decode("latin-1").partition(" ")
            if scheme.lower() == "bearer" and token.strip():
                return token.strip(), "bearer"
        elif name == b"cookie":
            cookie_header = value.decode("latin-1")
    if cookie_header:
        for part in cookie_header.split(";"):
            key, _, val = part.strip().partition("=")
            if key == SESSION_COOKIE and val:
                return val, "cookie"
    return None, None


def load_user(engine: Engine, user_id: int) -> sa.Row[Any] | None:
    with read_engine(engine).connect() as conn:
        return conn.execute(_user_query(), {"uid": user_id}).first()


class AuthCache:
    """Per-process memory of checked tokens and of user rows, so that a burst of requests costs no query each.

    * **Tokens**: a token string whose signature and claims were verified once is
      remembered with its claims (keyed with the signing key); its expiry is still
      checked on every request.
    * **Users**: the row that authenticates a user (role, agency, active flag, token
      generation) is kept for ``user_seconds``. A change made through hrsys in this
      process (sign-out, password change, role or agency change, deactivation,
      anonymisation) drops it at once (a mapper event on ``User``); another worker or
      a direct database edit is seen within ``user_seconds``. ``0`` turns this off.

    Both are :class:`~hrsys.core.cache.TtlCache` objects, bounded (oldest first out) so that many users
    cannot grow a worker.
    """

    MAX_TOKENS = 8192
    MAX_USERS = 16384

    def __init__(self, user_seconds: float = 1.0) -> None:
        self._tokens: TtlCache[tuple[str, str], tokens.Claims] = TtlCache(math.inf, max_keys=self.MAX_TOKENS)
        """No time limit of its own: a token's claims say when it expires."""
        self._users: TtlCache[int, sa.Row[Any] | None] = TtlCache(user_seconds, max_keys=self.MAX_USERS)

    @property
    def user_seconds(self) -> float:
        return self._users.ttl

    @user_seconds.setter
    def user_seconds(self, seconds: float) -> None:
        self._users.ttl = seconds

    def claims(self, key: str, token: str) -> tokens.Claims:
        """The token's claims; :class:`tokens.TokenError` if it is invalid or expired."""
        found = self._tokens.entry(_TOKENS, (key, token))
        if found is not None:
            if clock.now().timestamp() < found.value.expires_at.timestamp():
                return found.value
            raise tokens.TokenError("expired")
        claims = tokens.decode(key, token)
        self._tokens.put(_TOKENS, (key, token), claims)
        return claims

    def user(self, engine: Engine, user_id: int) -> sa.Row[Any] | None:
        """The user's row (``None`` if there is none), at most ``user_seconds`` old."""
        if self.user_seconds <= 0:
            return load_user(engine, user_id)
        found = self._users.entry(engine, user_id)
        if found is not None:
            return found.value
        row = load_user(engine, user_id)
        self._users.put(engine, user_id, row)
        return row

    def forget_user(self, user_id: int) -> None:
        self._users.pop_everywhere(user_id)

    def clear(self) -> None:
        self._tokens.clear()
        self._users.clear()


class _Owner:
    """The owner of the token memory (tokens are not per database)."""


_TOKENS = _Owner()


auth_cache = AuthCache()
"""The process's cache; :func:`hrsys.access.setup.configure` sets ``user_seconds`` from ``Settings``."""


@sa.event.listens_for(User, "after_update")
@sa.event.listens_for(User, "after_delete")
def _user_changed(_mapper: Any, _conn: Any, target: User) -> None:
    auth_cache.forget_user(target.id)


def authenticate(scope: Scope) -> tuple[CurrentUser | None, AuthState]:
    token, via = _credentials(scope)
    if token is None:
        return None, AuthState()
    app = scope["app"]
    try:
        claims = auth_cache.claims(app.state.secret_key, token)
    except tokens.TokenError as exc:
        return None, AuthState(via=via, error=exc.reason)
    row = auth_cache.user(app.state.engine, claims.user_id)
    if row is None or not row.active or row.token_generation != claims.generation:
        return None, AuthState(via=via, error="revoked")
    user = CurrentUser(
        id=row.id,
        username=row.username,
        role=UserRole(row.role),
        agency_id=row.agency_id,
        agency_path=row.path,
        person_id=row.person_id,
        generation=row.token_generation,
        via=via or "bearer",
    )
    return user, AuthState(via=via, claims=claims)


class AuthMiddleware(ASGIMiddleware):
    """Sets ``scope["user"]`` (a :class:`CurrentUser` or None), ``scope["auth"]`` and the audit actor.

    Hand-written rather than Litestar's ``JWTCookieAuth`` / ``OAuth2PasswordBearerAuth`` (measured with
    Litestar 2.25, see hrsys/access/README.md, "Sign-in, CSRF"):

    * **cost**: Litestar's middleware decodes and verifies the JWT on every request (its ``Token.decode``:
      122 us CPU); with the same user-row cache it costs 145-155 us per request against 15 us here, where a
      verified token is remembered (:class:`AuthCache`). That is +130 us, about 30 % of a people-list
      request (0.45 ms CPU in all).
    * **behaviour the tests assert** that it cannot keep: a request without a token raises 401 in the
      middleware ("No JWT token found"), so public routes and pages could not see an optional user and a
      route without a rule would answer 401 instead of 403; expired, forged and revoked tokens all become
      "Invalid token" (the 401 says which); its ``Token`` judges ``exp`` and ``iat`` by the system clock,
      not :mod:`hrsys.core.clock`, and refuses to build a token whose ``exp`` is past (tests issue those).
    """

    scopes = (ScopeType.HTTP, ScopeType.ASGI)

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        user, state = authenticate(scope)
        scope["user"] = user
        scope["auth"] = state
        actor = audit.Actor(
            user_id=user.id if user else None,
            label=user.label if user else "anonymous",
            address=client_address(scope),
        )
        token = audit.set_actor(actor)
        try:
            await next_app(scope, receive, send)
        finally:
            audit.reset_actor(token)


_UNAUTHORIZED_DETAIL = {
    None: "sign in first",
    "expired": "your sign-in has expired; sign in again",
    "invalid": "the sign-in token is not valid; sign in again",
    "revoked": "the sign-in token was revoked (signed out, password changed or account disabled); sign in again",
}


def rule_of(handler: BaseRouteHandler) -> Access | None:
    rule = handler.opt.get("access")
    return Access(rule) if rule is not None else None


def is_exempt(handler: BaseRouteHandler) -> bool:
    """Handlers Litestar adds by itself: the automatic OPTIONS responses (they only list methods)."""
    fn = getattr(handler, "fn", None)
    return getattr(fn, "__name__", "") == "options_handler" and set(getattr(handler, "http_methods", ())) == {"OPTIONS"}


async def _csrf_ok(connection: ASGIConnection[Any, Any, Any, Any], claims: tokens.Claims) -> bool:
    """The CSRF secret presented (header, else the ``_csrf`` form field) matches the one bound to the token.

    Hand-written rather than Litestar's ``CSRFConfig`` (its ``CSRFMiddleware``), which cannot keep what the tests
    assert: it reads the form field ``_csrf_token`` only (pages and clients send ``_csrf``); it checks every
    unsafe request whose path or ``opt`` is not excluded, before authentication and the guard, so a bearer
    request to the API would need the secret and an anonymous write would answer 403 instead of 401; its
    refusal is a bare ``PermissionDeniedException`` (the pages show the "form expired" page for this one); and
    it sets its cookie on every safe response that lacks it (API reads would gain a ``Set-Cookie``). Its
    secret is also not bound to the sign-in: here the token carries the secret's digest (claim ``csrf``).
    """
    presented = connection.headers.get(CSRF_HEADER)
    if presented is None:
        content_type = connection.headers.get("content-type", "")
        if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            form = await Request(connection.scope, connection.receive).form()
            value = form.get(CSRF_FORM_FIELD)
            presented = value if isinstance(value, str) else None
    return tokens.csrf_matches(claims, presented)


async def access_guard(connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler) -> None:
    """Enforce the handler's declared rule (see the module docstring)."""
    rule = rule_of(handler)
    if rule is None:
        if is_exempt(handler):
            return
        log.error("route %s declares no access rule: refused", getattr(handler, "paths", handler))
        raise Forbidden("this route declares no access rule, so it is closed (deny by default)")
    if rule is Access.public:
        return
    user: CurrentUser | None = connection.scope.get("user")
    state: AuthState = connection.scope.get("auth") or AuthState()
    if user is None:
        raise Unauthorized(_UNAUTHORIZED_DETAIL.get(state.error, "sign in first"))
    unsafe = connection.scope.get("method", "GET") not in SAFE_METHODS
    if user.via == "cookie" and unsafe and (state.claims is None or not await _csrf_ok(connection, state.claims)):
        raise Forbidden(f"missing or wrong CSRF token: send the {CSRF_HEADER} header given at sign-in")
    if not admits(rule, user.role):
        raise Forbidden(f"your role ({user.role.value}) may not use this route (needs: {rule.value})")


def signed_in(request: Request[Any, Any, Any]) -> CurrentUser:
    """The signed-in user (401 if none; the guard normally stops that first)."""
    user = request.scope.get("user")
    if user is None:
        raise Unauthorized("sign in first")
    return user


def provide_current_user(request: Request[Any, Any, Any]) -> CurrentUser:
    """The ``current_user`` dependency: :func:`signed_in`. Hot routes call that directly instead."""
    return signed_in(request)


def provide_optional_user(request: Request[Any, Any, Any]) -> CurrentUser | None:
    return request.scope.get("user")


DEPENDENCIES = {
    "current_user": Provide(provide_current_user, sync_to_thread=False),
    "optional_user": Provide(provide_optional_user, sync_to_thread=False),
}

Guard = Callable[[ASGIConnection[Any, Any, Any, Any], BaseRouteHandler], Coroutine[Any, Any, None]]


def _engine(connection: ASGIConnection[Any, Any, Any, Any]) -> Engine:
    return connection.app.state.engine


def person_guard(
    param: str = "person_id",
    *,
    write: bool | None = None,
    audit_reads: bool = True,
    check: Callable[[ASGIConnection[Any, Any, Any, Any], CurrentUser, int], Coroutine[Any, Any, None]] | None = None,
) -> Guard:
    """A route guard for paths with a person id: 404 out of scope, 403 for a write without full scope.

    ``write`` defaults to "the method is not GET/HEAD". A read of another person's
    data by someone in scope is recorded in the audit trail: queued here (a guard runs
    on the event loop, which must not wait for a write lock) and written before the response
    is sent (see :func:`hrsys.access.audit.defer`). Routes without the parameter pass, so the
    guard can sit on a whole controller.

        @get("/{person_id:int}/gaps", opt={"access": Access.person}, guards=[person_guard()])
    """

    async def guard(connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler) -> None:
        if param not in connection.path_params:
            return
        user: CurrentUser | None = connection.scope.get("user")
        if user is None:
            raise Unauthorized("sign in first")
        person_id = int(connection.path_params[param])
        is_write = write if write is not None else connection.scope.get("method", "GET") not in SAFE_METHODS
        with read_engine(_engine(connection)).connect() as conn:
            vis = require_person(conn, user, person_id, write=is_write)
        if not is_write and audit_reads and user.person_id != person_id:
            audit.defer(
                connection.scope,
                action="read",
                entity="person",
                entity_id=person_id,
                person_id=person_id,
                after={"route": connection.scope.get("path"), "view": vis.name},
            )
        if check is not None:
            await check(connection, user, person_id)

    return guard


def taskforce_guard(param: str = "taskforce_id", *, write: bool | None = None) -> Guard:
    """404 for an unknown task force; 403 for a write by anyone but an admin, an HR officer in scope or its lead."""

    async def guard(connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler) -> None:
        if param not in connection.path_params:
            return
        user: CurrentUser | None = connection.scope.get("user")
        if user is None:
            raise Unauthorized("sign in first")
        is_write = write if write is not None else connection.scope.get("method", "GET") not in SAFE_METHODS
        with read_engine(_engine(connection)).connect() as conn:
            require_taskforce(conn, user, int(connection.path_params[param]), write=is_write)

    return guard


def secondment_guard(param: str = "secondment_id", *, write: bool | None = None) -> Guard:
    """404 unless the user is an admin, an HR officer of the host or sending agency, the host lead or the secondee;
    403 for a write by the secondee."""

    async def guard(connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler) -> None:
        if param not in connection.path_params:
            return
        user: CurrentUser | None = connection.scope.get("user")
        if user is None:
            raise Unauthorized("sign in first")
        is_write = write if write is not None else connection.scope.get("method", "GET") not in SAFE_METHODS
        with read_engine(_engine(connection)).connect() as conn:
            require_secondment(conn, user, int(connection.path_params[param]), write=is_write)

    return guard


async def _json_field(connection: ASGIConnection[Any, Any, Any, Any], name: str) -> Any:
    """A top-level field of the JSON body (Litestar caches the body: the handler still reads it)."""
    try:
        body = await Request(connection.scope, connection.receive).json()
    except Exception:
        return None
    return body.get(name) if isinstance(body, dict) else None


def owned_guard(
    table: str,
    param: str,
    entity: str,
    *,
    person_column: str = "person_id",
    check: Callable[[ASGIConnection[Any, Any, Any, Any], CurrentUser, int], Coroutine[Any, Any, None]] | None = None,
) -> Guard:
    """A guard for paths naming a row that belongs to a person (``table.person_column``).

    The row's person decides, as for :func:`person_guard`: out of scope is a 404 for the
    *row* (``entity {id} does not exist``, like a missing one), a write without full
    scope a 403. ``check(connection, user, owner_person_id)`` may refuse more.
    Routes without the parameter pass.
    """

    async def guard(connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler) -> None:
        if param not in connection.path_params:
            return
        user: CurrentUser | None = connection.scope.get("user")
        if user is None:
            raise Unauthorized("sign in first")
        key = int(connection.path_params[param])
        t = Base.metadata.tables[table]
        is_write = connection.scope.get("method", "GET") not in SAFE_METHODS
        with read_engine(_engine(connection)).connect() as conn:
            owner = conn.scalar(sa.select(t.c[person_column]).where(t.c.id == key))
            if owner is None:
                raise NotFound(entity, key)
            try:
                require_person(conn, user, owner, write=is_write)
            except NotFound:
                raise NotFound(entity, key) from None
        if check is not None:
            await check(connection, user, owner)

    return guard


async def _plan_approval(connection: ASGIConnection[Any, Any, Any, Any], user: CurrentUser, owner: int) -> None:
    """A development plan is approved by an HR officer in scope or an admin, never by its own person."""
    path = connection.scope.get("path", "")
    if not path.endswith("/status") or await _json_field(connection, "status") != "approved":
        return
    if user.person_id == owner or user.role not in (UserRole.admin, UserRole.hr_officer):
        raise Forbidden("a development plan is approved by an HR officer in scope, not by its own person")


async def _not_own_completion(connection: ASGIConnection[Any, Any, Any, Any], user: CurrentUser, owner: int) -> None:
    """Only the learner (or HR) reports a completion; nobody confirms or grades their own enrolment."""
    path = connection.scope.get("path", "")
    if connection.scope.get("method") in SAFE_METHODS or path.endswith("/report-completion"):
        return
    if user.person_id == owner:
        raise Forbidden("you cannot confirm or change the status of your own enrolment")


def body_person_guard(field: str = "person_id") -> Guard:
    """For creation routes that name a person in the JSON body (``{"person_id": ...}``): a person out of the
    caller's full scope is answered like a missing one (422 on the field), so nothing leaks. Safe methods pass."""

    async def guard(connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler) -> None:
        if connection.scope.get("method", "GET") in SAFE_METHODS or connection.path_params:
            return
        user: CurrentUser | None = connection.scope.get("user")
        if user is None:
            raise Unauthorized("sign in first")
        value = await _json_field(connection, field)
        if not isinstance(value, int) or isinstance(value, bool):
            return  # the handler's validation reports it
        with read_engine(_engine(connection)).connect() as conn:
            try:
                require_person(conn, user, value, write=True)
            except NotFound:
                raise Invalid.one(field, f"no person {value}") from None

    return guard


def _require_agency_scope(
    connection: ASGIConnection[Any, Any, Any, Any], user: CurrentUser, code: str, field: str
) -> None:
    with read_engine(_engine(connection)).connect() as conn:
        require_agency_code(conn, user, code, field=field)


def _takes(handler: BaseRouteHandler, param: str) -> bool:
    """Does the handler take a parameter (so a controller-wide guard only acts on the routes that have it)?"""
    try:
        return param in handler.parsed_fn_signature.parameters
    except Exception:  # pragma: no cover - handlers without a signature (ASGI mounts)
        return False


def query_agency_guard(param: str = "agency", *, required_for_hr: bool = True) -> Guard:
    """For reports over an agency subtree (``?agency=CODE``): HR officers may only name agencies of their
    own subtree (403 otherwise), and with ``required_for_hr`` must name one (a report "everywhere" is for
    admins). Admins pass; other roles are the route rule's business."""

    async def guard(connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler) -> None:
        user: CurrentUser | None = connection.scope.get("user")
        if user is None or not user.is_hr or not _takes(handler, param):
            return
        code = connection.query_params.get(param)
        if code is None:
            if required_for_hr:
                raise Forbidden(
                    f"{param}: HR officers name an agency of their subtree",
                    errors=[FieldError(param, "required for HR officers: an agency of your subtree")],
                )
            return
        _require_agency_scope(connection, user, code, param)

    return guard


def body_agency_guard(field: str = "agency") -> Guard:
    """For writes naming an agency in the JSON body (``{"agency": CODE}``): HR officers only within their
    subtree (403 on the field). Admins pass; an unknown code is left to the handler's validation."""

    async def guard(connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler) -> None:
        if connection.scope.get("method", "GET") in SAFE_METHODS:
            return
        user: CurrentUser | None = connection.scope.get("user")
        if user is None or user.is_admin:
            return
        code = await _json_field(connection, field)
        if isinstance(code, str):
            _require_agency_scope(connection, user, code, field)

    return guard


async def _self_assessment_only(connection: ASGIConnection[Any, Any, Any, Any], user: CurrentUser, owner: int) -> None:
    """About yourself you may only record a self-assessment: other sources are trusted evidence."""
    if connection.scope.get("method") in SAFE_METHODS or user.person_id != owner:
        return
    source = await _json_field(connection, "source")
    if source is not None and source != "self":
        raise Forbidden("about yourself you may record self-assessments only (source: self)")


def plan_guard(param: str = "plan_id") -> Guard:
    """Development plans: their person, HR officers in scope, admins; approval not by the plan's own person."""
    return owned_guard("development_plan", param, "development plan", check=_plan_approval)


def enrolment_guard(param: str = "enrolment_id") -> Guard:
    """Enrolments: the learner, HR officers in scope, admins; no one confirms their own completion."""
    return owned_guard("enrolment", param, "enrolment", check=_not_own_completion)


__all__ = [
    "DEPENDENCIES",
    "AuthMiddleware",
    "AuthState",
    "CurrentUser",
    "Visibility",
    "access_guard",
    "assessment_person_guard",
    "body_agency_guard",
    "body_person_guard",
    "enrolment_guard",
    "owned_guard",
    "person_guard",
    "plan_guard",
    "provide_current_user",
    "query_agency_guard",
    "secondment_guard",
    "taskforce_guard",
]


def assessment_person_guard() -> Guard:
    """``/people/{person_id}/assessments``: the person's scope, and only self-assessments about yourself."""
    return person_guard(check=_self_assessment_only)
