"""Every request that passed the admin's door: audited writes, audited reads of personal data, sign-out.

:func:`handle` sits between hrsys's access guard and piccolo-admin. What it does
by request:

- **Create, edit, delete** (``POST /api/tables/{t}/``, ``PATCH``/``PUT``/``DELETE
  /api/tables/{t}/{id}/``): one database transaction (``BEGIN IMMEDIATE`` on
  SQLite, a row lock on PostgreSQL) holds, in order: the row as it was; the rules
  of :mod:`admin.policy` (read-only tables 405, stale edits and fixed columns 409);
  piccolo-admin's own write with the prepared body; the maintained columns hrsys
  computes (an agency's path); the row as it is now; one ``audit_event`` (who,
  what, before, after, personal values redacted exactly as the ORM's audit does);
  and the cache version stamp of the table. Any failure, or any answer of
  piccolo-admin that is not 2xx (a unique or check constraint, a bad field), rolls
  the whole transaction back; the change and its audit event commit together.
- **Every other write** (deleting all rows matching a filter, bulk edits, media,
  forms, piccolo's password change and sign-in): 405, as hrsys offers none of them.
- **Reads of tables with personal data** (``person``, ``app_user``, ``coi_review``):
  one ``read`` audit event per row shown, as for a read of another person's
  profile through the API.
- **Sign-out** from the admin's menu (``POST /public/logout/``): signs the user out
  of hrsys everywhere (every token of the user stops working) and clears the
  cookies, then the admin reloads to the sign-in page.

Responses of piccolo-admin are buffered (they are small JSON documents) so that
the transaction can be rolled back before anything is sent.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import re
from collections.abc import Awaitable, Callable, MutableMapping, Sequence
from contextlib import AbstractAsyncContextManager, suppress
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode

import anyio
import msgspec
from piccolo.columns import JSON, JSONB
from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine, TransactionType
from piccolo.table import Table
from sqlalchemy.orm import Session

from admin.policy import TREE_COLUMNS, TablePolicy, WritePlan, changed, plan_create, plan_delete, plan_update, tree_path
from admin.site import SCOPE_USER_KEY, AdminSite
from hrsys.access import audit
from hrsys.access.identity import CurrentUser
from hrsys.access.policy import CSRF_COOKIE, SESSION_COOKIE
from hrsys.core.db import run_sync, utcnow
from hrsys.core.errors import FieldError, Problem

TABLE_PATH = re.compile(r"^/api/tables/(?P<table>[A-Za-z0-9_]+)/(?:(?P<row>[^/]+)/)?$")
TABLE_ENDPOINTS = frozenset({"new", "schema", "ids", "count", "references"})
"""Names under ``/api/tables/{t}/`` that are piccolo-admin endpoints, not row keys."""
LOGOUT_PATH = "/public/logout/"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
MAX_BODY_BYTES = 1 << 20
PICCOLO_CSRF_COOKIE = "csrftoken"
ADMIN_PATH = "/admin"

Message = MutableMapping[str, Any]
Send = Callable[[Message], Awaitable[None]]
Receive = Callable[[], Awaitable[Message]]


@dataclass
class Captured:
    """A buffered response."""

    status: int
    headers: list[tuple[bytes, bytes]] = field(default_factory=list)
    body: bytes = b""

    def json(self) -> Any:
        try:
            return json.loads(self.body or b"null")
        except ValueError:
            return None


class _Answer(Exception):
    """Leave the transaction (rolled back) and answer with ``response``."""

    def __init__(self, response: Captured) -> None:
        super().__init__(response.status)
        self.response = response


def problem(status: int, title: str, detail: str, **kw: Any) -> Captured:
    """A problem+json response in hrsys's shape (``/problems/<slug>``, ``errors`` listing the fields at fault)."""
    slug = title.lower().replace(" ", "-")
    body = msgspec.json.encode(Problem(type=f"/problems/{slug}", title=title, status=status, detail=detail, **kw))
    return Captured(status, [(b"content-type", b"application/problem+json")], body)


async def replay(send: Send, response: Captured, extra_headers: Sequence[tuple[bytes, bytes]] = ()) -> None:
    headers = [(k, v) for k, v in response.headers if k.lower() != b"content-length"]
    headers.append((b"content-length", str(len(response.body)).encode()))
    await send({"type": "http.response.start", "status": response.status, "headers": [*headers, *extra_headers]})
    await send({"type": "http.response.body", "body": response.body})


async def read_body(receive: Receive) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise _Answer(problem(400, "Bad request", "the client went away"))
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise _Answer(problem(413, "Content too large", f"the body may be at most {MAX_BODY_BYTES} bytes"))
        chunks.append(chunk)
        if not message.get("more_body"):
            return b"".join(chunks)


async def call(app: Any, scope: dict[str, Any], receive: Receive, body: bytes | None = None) -> Captured:
    """Run ``app`` and buffer its response; with ``body``, the app reads that body, then ``receive``."""
    if body is not None:
        sent = False

        async def replayed() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        headers = [(k, v) for k, v in scope.get("headers", ()) if k != b"content-length"]
        headers.append((b"content-length", str(len(body)).encode()))
        scope = {**scope, "headers": headers}
        inner_receive: Receive = replayed
    else:
        inner_receive = receive
    out = Captured(500)
    chunks: list[bytes] = []

    async def capture(message: Message) -> None:
        if message["type"] == "http.response.start":
            out.status = message["status"]
            out.headers = [(bytes(k), bytes(v)) for k, v in message.get("headers", ())]
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    await app(scope, inner_receive, capture)
    out.body = b"".join(chunks)
    return out


def transaction(engine: Any) -> AbstractAsyncContextManager[Any]:
    """A write transaction: ``BEGIN IMMEDIATE`` on SQLite (writers queue, as in hrsys), a plain one on PostgreSQL."""
    if isinstance(engine, SQLiteEngine):
        return engine.transaction(transaction_type=TransactionType.immediate)  # type: ignore[return-value]
    return engine.transaction()  # type: ignore[no-any-return]


def _json_columns(table: type[Table]) -> set[str]:
    return {c._meta.name for c in table._meta.columns if isinstance(c, JSON | JSONB)}


async def fetch(table: type[Table], key: Any, *, lock: bool = False) -> dict[str, Any] | None:
    """The stored row (JSON columns decoded), locked for update on PostgreSQL when ``lock``."""
    query = table.select().where(table._meta.primary_key == key).first()
    if lock and isinstance(table._meta.db, PostgresEngine):
        query = query.lock_rows("UPDATE")
    row = await query
    if row is None:
        return None
    for name in _json_columns(table):
        if isinstance(row.get(name), str):
            with suppress(ValueError):
                row[name] = json.loads(row[name])
    return dict(row)


def plain_values(values: dict[str, Any] | None) -> dict[str, Any]:
    """Column values as JSON-safe values, without the bookkeeping columns the audit trail leaves out."""
    return {k: audit.jsonable(v) for k, v in (values or {}).items() if k not in audit.NOT_AUDITED_COLUMNS}


def redact(table: str, values: dict[str, Any]) -> dict[str, Any]:
    """Personal identifiers replaced by ``[redacted]``, exactly as the ORM's audit does."""
    hidden = audit.REDACTED_COLUMNS.get(table, frozenset())
    return {k: (audit.REDACTED if k in hidden and v is not None else v) for k, v in values.items()}


def write_event(
    table: str, action: str, key: Any, before: dict[str, Any] | None, after: dict[str, Any] | None
) -> dict[str, Any] | None:
    """The audit event of a write: the whole row for a create or delete, the changed columns for an edit.

    An edit that changed nothing but bookkeeping leaves no event (as in the ORM's audit).
    Values are compared before redaction, so a changed name shows as changed.
    """
    event: dict[str, Any] = {"action": action, "entity": table, "entity_id": str(key), "before": None, "after": None}
    if action == "create":
        event["after"] = redact(table, plain_values(after))
    elif action == "delete":
        event["before"] = redact(table, plain_values(before))
    else:
        old, new = changed(plain_values(before), plain_values(after))
        if not old and not new:
            return None
        event["before"], event["after"] = redact(table, old), redact(table, new)
    return event


async def person_of(site: AdminSite, table: str, values: dict[str, Any]) -> int | None:
    """The person a row concerns, by the same rules as the ORM's audit (its own column, or through a parent row)."""
    column = audit._PERSON_COLUMN.get(table)
    if column is not None:
        return values.get(column)
    if "person_id" in values:
        return values["person_id"]
    via = audit._PERSON_VIA.get(table)
    if via is None or via[1] not in site.tables or values.get(via[0]) is None:
        return None
    parent = await fetch(site.table(via[1]), values[via[0]])
    return parent.get(via[2]) if parent else None


def _actor_fields(now: dt.datetime) -> dict[str, Any]:
    actor = audit.current_actor()
    return {
        "at": now,
        "actor_user_id": actor.user_id,
        "actor_label": f"{actor.label} via admin"[:200],
        "address": actor.address[:64] if actor.address else None,
    }


async def record(site: AdminSite, events: list[dict[str, Any]], now: dt.datetime) -> None:
    """Insert audit events (``action``, ``entity``, ``entity_id``, ``person_id``, ``before``, ``after``) at once."""
    if not events:
        return
    ae = site.table("audit_event")
    common = _actor_fields(now)
    rows = []
    for e in events:
        values = {**common, **e}
        for side in ("before", "after"):
            values[side] = json.dumps(values[side], ensure_ascii=False) if values.get(side) is not None else None
        rows.append(ae(**values))
    await ae.insert(*rows)


async def bump_stamp(site: AdminSite, name: str, now: dt.datetime) -> None:
    """Add one to the version stamp ``name`` (create it at 1), like :func:`hrsys.system.service.bump_version`."""
    vs = site.table("version_stamp")
    moved = await vs.update({vs.version: vs.version + 1, vs.updated_at: now}).where(vs.name == name).returning(vs.name)  # type: ignore[attr-defined]
    if not moved:
        await vs.insert(vs(name=name, version=1, updated_at=now))


async def place_in_tree(site: AdminSite, table: str, key: Any) -> None:
    """Write the materialised path and depth of a new row from its parent's (see :func:`admin.policy.tree_path`)."""
    parent_col, path_col, depth_col = TREE_COLUMNS[table]
    t = site.table(table)
    row = await fetch(t, key)
    if row is None:  # pragma: no cover - inserted in this transaction
        return
    parent = await fetch(t, row[parent_col]) if row.get(parent_col) is not None else None
    path, depth = tree_path(parent[path_col] if parent else None, key)
    await t.update({path_col: path, depth_col: depth}).where(t._meta.primary_key == key)


def _refusal(plan: WritePlan) -> Captured | None:
    if plan.refused:
        return problem(405, "Method not allowed", plan.refused)
    if plan.conflict:
        return problem(409, "Conflict", plan.conflict, rule="stale_edit")
    if plan.errors:
        return problem(
            409,
            "Conflict",
            "; ".join(f"{name}: {reason}" for name, reason in plan.errors),
            errors=[FieldError(field=name, reason=reason) for name, reason in plan.errors],
            rule="fixed_column",
        )
    return None


async def write(
    site: AdminSite, router: Any, scope: dict[str, Any], receive: Receive, table: str, row: str | None
) -> Captured:
    """Create, edit or delete one row, audited, in one transaction (see the module docstring)."""
    policy: TablePolicy | None = site.policies.get(table)
    if policy is None:
        reason = site.skipped.get(table)
        return problem(404, "Not found", f"no table {table!r} in the admin" + (f": {reason}" if reason else ""))
    method = scope["method"]
    if row is None and method != "POST":
        return problem(405, "Method not allowed", "change or delete rows one at a time, by their key")
    if row is not None and method not in {"PATCH", "PUT", "DELETE"}:
        return problem(405, "Method not allowed", f"{method} is not offered on a row")
    t = site.table(table)
    key: Any = None
    if row is not None:
        try:
            key = t._meta.primary_key.value_type(row)
        except (TypeError, ValueError):
            return problem(404, "Not found", f"no {table} with key {row!r}")
    data: dict[str, Any] | None = None
    if method != "DELETE":
        raw = await read_body(receive)
        try:
            data = json.loads(raw or b"{}")
        except ValueError:
            return problem(400, "Bad request", "the body is not JSON")
        if not isinstance(data, dict):
            return problem(400, "Bad request", "the body must be a JSON object of column values")
    unit = _WriteUnit(site, router, scope, policy, t, key, row, data, utcnow())
    if isinstance(site.engine, SQLiteEngine):
        # SQLite has one writer at a time, and hrsys runs some short SQLite writes inline on the event loop
        # (they are CPU, not waiting). Were this transaction to hold the write lock on that loop, such a
        # write would block the loop, and with it this transaction, until the busy timeout. So it runs on
        # an event loop of its own, in a worker thread, like hrsys's other writers.
        return await anyio.to_thread.run_sync(asyncio.run, unit.run())
    return await unit.run()


@dataclass
class _WriteUnit:
    """One write in one transaction: the row before, the rules, piccolo-admin's write, the row after, audit, stamp."""

    site: AdminSite
    router: Any
    scope: dict[str, Any]
    policy: TablePolicy
    table: type[Table]
    key: Any
    row: str | None
    data: dict[str, Any] | None
    now: dt.datetime

    async def run(self) -> Captured:
        try:
            async with transaction(self.site.engine):
                return await self._apply()
        except _Answer as exc:
            return exc.response

    async def _apply(self) -> Captured:
        site, policy, t, name = self.site, self.policy, self.table, self.policy.name
        method, key, now = self.scope["method"], self.key, self.now
        before = await fetch(t, key, lock=True) if key is not None else None
        if key is not None and before is None:
            raise _Answer(problem(404, "Not found", f"no {name} with key {self.row!r}"))
        if method == "POST":
            plan = plan_create(policy, self.data or {}, now)
        elif method == "DELETE":
            plan = plan_delete(policy)
        else:
            plan = plan_update(policy, before or {}, self.data or {}, now)
        refusal = _refusal(plan)
        if refusal is not None:
            raise _Answer(refusal)
        body = json.dumps(plan.body, ensure_ascii=False).encode() if self.data is not None else None
        answer = await call(self.router, self.scope, _disconnected, body)
        if not 200 <= answer.status < 300:
            raise _Answer(answer)  # constraint or field errors: nothing of this write stays
        if method == "POST":
            created = answer.json()
            pk = t._meta.primary_key._meta.name
            key = created[0][pk] if isinstance(created, list) and created else None
            if key is None:  # pragma: no cover - piccolo-admin always returns the new key
                raise _Answer(problem(500, "Internal server error", "the new row's key was not returned"))
            if policy.computed_columns and name in TREE_COLUMNS:
                await place_in_tree(site, name, key)
        after = await fetch(t, key) if method != "DELETE" else None
        action = {"POST": "create", "DELETE": "delete"}.get(method, "update")
        event = write_event(name, action, key, before, after)
        if event is not None:
            event["person_id"] = await person_of(site, name, after or before or {})
            await record(site, [event], now)
        if policy.cache_stamp:
            await bump_stamp(site, policy.cache_stamp, now)
        return answer


async def _disconnected() -> Message:
    """What the admin reads after the body it was given: nothing more will come."""
    return {"type": "http.disconnect"}


async def audited_read(
    site: AdminSite, router: Any, scope: dict[str, Any], receive: Receive, table: str, row: str | None
) -> Captured:
    """Show rows of a table with personal data, leaving one ``read`` event per row shown (before it is shown).

    A request that narrows the columns (``__visible_fields``) still gets the key and the
    column that names the person, so that no row is shown without its event.
    """
    scope = {**scope, "query_string": with_audit_fields(site, table, scope.get("query_string", b""))}
    answer = await call(router, scope, receive)
    if answer.status != 200:
        return answer
    payload = answer.json()
    rows = [payload] if row is not None else (payload or {}).get("rows", []) if isinstance(payload, dict) else []
    pk = site.table(table)._meta.primary_key._meta.name
    view = "admin row" if row is not None else "admin list"
    events = []
    for values in rows:
        if not isinstance(values, dict) or values.get(pk) is None:
            continue
        events.append(
            {
                "action": "read",
                "entity": table,
                "entity_id": str(values[pk]),
                "person_id": await person_of(site, table, values),
                "before": None,
                "after": {"view": view},
            }
        )
    await record(site, events, utcnow())
    return answer


def with_audit_fields(site: AdminSite, table: str, query_string: bytes) -> bytes:
    """The query string, with the key and the person's column added to any ``__visible_fields``."""
    pairs = parse_qsl(query_string.decode("latin-1"), keep_blank_values=True)
    if not any(k == "__visible_fields" for k, _ in pairs):
        return query_string
    columns = site.tables[table].columns
    via = audit._PERSON_VIA.get(table)
    needed = [
        site.table(table)._meta.primary_key._meta.name,
        audit._PERSON_COLUMN.get(table) or ("person_id" if "person_id" in columns else via[0] if via else ""),
    ]
    out = []
    for key, value in pairs:
        if key == "__visible_fields":
            names = [n for n in value.split(",") if n]
            value = ",".join(dict.fromkeys(names + [n for n in needed if n in columns]))
        out.append((key, value))
    return urlencode(out).encode("latin-1")


def check_order(site: AdminSite, table: str | None, query_string: bytes) -> Captured | None:
    """400 for an ``__order`` naming columns the table does not have (piccolo-admin would answer 500)."""
    if table is None or table not in site.tables:
        return None
    names = [
        name.strip().removeprefix("-")
        for key, value in parse_qsl(query_string.decode("latin-1"), keep_blank_values=True)
        if key == "__order"
        for name in value.split(",")
    ]
    errors = []
    for name in names:
        try:
            site.table(table)._meta.get_column_by_name(name)
        except (ValueError, AttributeError, IndexError):
            errors.append(FieldError(field="__order", reason=f"{table} has no column {name!r}"))
    if not errors:
        return None
    return problem(400, "Bad request", "; ".join(e.reason for e in errors), errors=errors)


def _expired_cookie(name: str, path: str) -> tuple[bytes, bytes]:
    return (b"set-cookie", f"{name}=; Path={path}; Max-Age=0; SameSite=Lax".encode())


async def sign_out(scope: dict[str, Any]) -> Captured:
    """Sign the user out of hrsys everywhere, as ``POST /api/v1/auth/logout`` does, and clear the cookies."""
    from hrsys.access import service

    user: CurrentUser = scope[SCOPE_USER_KEY]
    engine = scope["app"].state.engine

    def work() -> None:
        with Session(engine, expire_on_commit=False) as session:
            service.sign_out(session, user)
            session.commit()

    await run_sync(engine, work)
    answer = Captured(200, [(b"content-type", b"application/json")], b'{"detail": "signed out"}')
    answer.headers += [
        _expired_cookie(SESSION_COOKIE, "/"),
        _expired_cookie(CSRF_COOKIE, "/"),
        _expired_cookie(PICCOLO_CSRF_COOKIE, ADMIN_PATH),
    ]
    return answer


def _cookie(scope: dict[str, Any], name: str) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == b"cookie":
            for part in value.decode("latin-1").split(";"):
                k, _, v = part.strip().partition("=")
                if k == name and v:
                    return v
    return None


def csrf_cookie_header(scope: dict[str, Any], secure: bool) -> list[tuple[bytes, bytes]]:
    """Hand the admin's front end hrsys's CSRF secret under the cookie name it reads (see :mod:`admin.gate`)."""
    user: CurrentUser | None = scope.get(SCOPE_USER_KEY)
    secret = _cookie(scope, CSRF_COOKIE)
    if user is None or user.via != "cookie" or secret is None or _cookie(scope, PICCOLO_CSRF_COOKIE) == secret:
        return []
    flags = "; Secure" if secure else ""
    return [(b"set-cookie", f"{PICCOLO_CSRF_COOKIE}={secret}; Path={ADMIN_PATH}; SameSite=Strict{flags}".encode())]


async def handle(site: AdminSite, scope: dict[str, Any], receive: Receive, send: Send) -> None:
    """Serve one request to the admin (after hrsys's guard admitted it); see the module docstring."""
    scope[SCOPE_USER_KEY] = scope.get("user")
    router = await site.router()
    method = scope.get("method", "GET")
    path = scope.get("path", "/")
    match = TABLE_PATH.match(path)
    table, row = (match["table"], match["row"]) if match else (None, None)
    if row in TABLE_ENDPOINTS:
        table = None
    if method in SAFE_METHODS:
        bad_order = check_order(site, table, scope.get("query_string", b""))
        if bad_order is not None:
            await replay(send, bad_order)
            return
        if table is not None and site.policies.get(table) is not None and site.policies[table].personal:
            await replay(send, await audited_read(site, router, scope, receive, table, row))
            return
        if path == "/" and method == "GET":
            access = getattr(scope["app"].state, "access", None)
            extra = csrf_cookie_header(scope, secure=getattr(access, "cookie_secure", True))
            await replay(send, await call(router, scope, receive), extra)
            return
        await router(scope, receive, send)
        return
    if method == "POST" and path == LOGOUT_PATH:
        await replay(send, await sign_out(scope))
        return
    if table is None:
        await replay(send, problem(405, "Method not allowed", f"{method} {path} is not offered by hrsys's admin"))
        return
    try:
        answer = await write(site, router, scope, receive, table, row)
    except _Answer as exc:
        answer = exc.response
    await replay(send, answer)
