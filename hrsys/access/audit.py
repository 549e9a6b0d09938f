"""The audit trail: every change and every read of another person's data, in the same transaction.

How changes are caught. :func:`install` (run when :mod:`hrsys.access` is imported)
registers listeners on every SQLAlchemy ``Session``:

- ``after_flush``: for each row the flush inserted, updated or deleted, one
  ``audit_event`` (who, when, action, table, key, the person concerned, the
  changed columns before and after) is inserted on the flush's own connection,
  so it commits or rolls back with the change itself.
- ``do_orm_execute``: ORM-enabled bulk ``UPDATE``/``DELETE``/``INSERT`` statements
  (``session.execute(update(...))``) are recorded as one event each, with the SQL and
  the row count; ``UPDATE``/``DELETE`` of ``audit_event`` are refused.
- ``before_flush``: changing or deleting an ``AuditEvent`` object is refused.

Writes that bypass the ORM session (Core on a bare connection) are not seen; such
code calls :func:`record` itself.

Reads are recorded without a write lock (see README, "Events of reads"): on a request's
read-only session :func:`record` queues the event, route guards queue theirs with
:func:`defer`, and the app writes the queue before the response starts (in the request's
write transaction, or through :class:`EventWriter`); no answer leaves before its events
are committed. On PostgreSQL (and SQLite) a trigger refuses
``UPDATE`` and ``DELETE`` of ``audit_event`` whatever the client (see
:mod:`hrsys.access.audit_ddl`).

Who: the actor is read from a context variable that the authentication middleware
sets for the request (:func:`acting`); command-line tools set it with :func:`acting_as`.
Without one the actor is ``system``.

Personal identifiers (names, citizen ID, birth date, contact details, salary grade,
cost, password hashes, declared interests) are stored as ``"[redacted]"``: the
event says *that* they changed, never what they were. The trail therefore holds no
personal data of its own, and anonymising a person (PDPA) leaves it intact.

Cost: one extra multi-row ``INSERT`` per flush that changed audited rows.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import decimal
import enum
import logging
import queue
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar, Token
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, Session, UOWTransaction

from hrsys.access.models import AuditEvent
from hrsys.core.db import Base, utcnow

log = logging.getLogger("hrsys.audit")

AUDIT_TABLE = cast(sa.Table, AuditEvent.__table__)

NOT_AUDITED_TABLES = frozenset({"audit_event", "login_attempt", "version_stamp"})
"""Bookkeeping tables whose rows are not events in their own right."""

NOT_AUDITED_COLUMNS = frozenset({"created_at", "updated_at", "version", "search_text"})

REDACTED = "[redacted]"
REDACTED_COLUMNS: dict[str, frozenset[str]] = {
    "person": frozenset(
        {
            "title_th",
            "first_name_th",
            "last_name_th",
            "first_name_en",
            "last_name_en",
            "email",
            "phone",
            "citizen_id",
            "date_of_birth",
            "salary_grade",
            "monthly_cost_baht",
        }
    ),
    "app_user": frozenset({"password_hash", "email"}),
    "coi_review": frozenset({"shareholdings", "other_interests", "contracts_with_host"}),
}

# Tables whose rows concern a person through another table: (column, table, that table's person column).
_PERSON_VIA: dict[str, tuple[str, str, str]] = {
    "development_plan_item": ("plan_id", "development_plan", "person_id"),
    "coi_review": ("secondment_id", "secondment", "person_id"),
    "secondment_transition": ("secondment_id", "secondment", "person_id"),
}
_PERSON_COLUMN: dict[str, str] = {
    "person": "id",
    "app_user": "person_id",
    "knowledge_transfer": "counterpart_id",
}


class AuditImmutableError(RuntimeError):
    """Raised when code tries to change or delete an audit event."""


@dataclasses.dataclass(frozen=True)
class Actor:
    user_id: int | None
    label: str
    address: str | None = None
    request_id: str | None = None


SYSTEM = Actor(user_id=None, label="system")

_actor: ContextVar[Actor | None] = ContextVar("hrsys_audit_actor", default=None)


def current_actor() -> Actor:
    return _actor.get() or SYSTEM


def set_actor(actor: Actor | None) -> Token[Actor | None]:
    return _actor.set(actor)


def reset_actor(token: Token[Actor | None]) -> None:
    _actor.reset(token)


@contextmanager
def acting_as(label: str, user_id: int | None = None, address: str | None = None) -> Iterator[Actor]:
    """Attribute changes made inside the block to ``label`` (command-line tools, loaders)."""
    actor = Actor(user_id=user_id, label=label, address=address, request_id=uuid.uuid4().hex)
    token = _actor.set(actor)
    try:
        yield actor
    finally:
        _actor.reset(token)


def jsonable(value: Any) -> Any:
    """A JSON-safe copy of a column value."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [jsonable(v) for v in value]
    if isinstance(value, bytes):
        return value.hex()
    return str(value)


def _clean(table: str, column: str, value: Any) -> Any:
    if value is not None and column in REDACTED_COLUMNS.get(table, ()):
        return REDACTED
    return jsonable(value)


def _person_of(conn: sa.Connection, table: str, values: dict[str, Any]) -> int | None:
    column = _PERSON_COLUMN.get(table)
    if column is not None:
        return values.get(column)
    if "person_id" in values:
        return values["person_id"]
    via = _PERSON_VIA.get(table)
    if via is None:
        return None
    key = values.get(via[0])
    parent = Base.metadata.tables.get(via[1])
    if key is None or parent is None:
        return None
    return conn.scalar(sa.select(parent.c[via[2]]).where(parent.c.id == key))


def _row(
    actor: Actor,
    at: dt.datetime,
    action: str,
    entity: str,
    entity_id: str | None,
    person_id: int | None,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
) -> dict[str, Any]:
    return {
        "at": at,
        "actor_user_id": actor.user_id,
        "actor_label": actor.label[:200],
        "action": action[:40],
        "entity": entity[:60],
        "entity_id": entity_id[:60] if entity_id is not None else None,
        "person_id": person_id,
        "before": before,
        "after": after,
        "address": actor.address[:64] if actor.address else None,
    }


def _snapshot(obj: Any) -> tuple[str, str | None, dict[str, Any], dict[str, Any] | None]:
    """(table, key, loaded column values by column name, changed columns {name: (old, new)} or None)."""
    state = sa.inspect(obj)
    mapper = state.mapper
    table = mapper.local_table.name
    values: dict[str, Any] = {}
    changes: dict[str, tuple[Any, Any]] = {}
    for prop in mapper.column_attrs:
        column = prop.columns[0]
        name = getattr(column, "name", prop.key)
        if prop.key in state.dict:
            values[name] = state.dict[prop.key]
        hist = state.attrs[prop.key].history
        if hist.has_changes():
            old = hist.deleted[0] if hist.deleted else None
            new = hist.added[0] if hist.added else None
            if old != new:
                changes[name] = (old, new)
    identity = state.identity or mapper.primary_key_from_instance(obj)
    key = ":".join(str(v) for v in identity) if identity and all(v is not None for v in identity) else None
    return table, key, values, changes


def _after_flush(session: Session, flush_context: UOWTransaction) -> None:
    actor = current_actor()
    at = utcnow()
    conn = session.connection()
    rows: list[dict[str, Any]] = []
    for action, objects in (("create", session.new), ("update", session.dirty), ("delete", session.deleted)):
        for obj in objects:
            if isinstance(obj, AuditEvent):
                continue
            table, key, values, changes = _snapshot(obj)
            if table in NOT_AUDITED_TABLES:
                continue
            if action == "create":
                before = None
                after = {c: _clean(table, c, v) for c, v in values.items() if c not in NOT_AUDITED_COLUMNS}
            elif action == "delete":
                before = {c: _clean(table, c, v) for c, v in values.items() if c not in NOT_AUDITED_COLUMNS}
                after = None
            else:
                changed = {c: ov for c, ov in (changes or {}).items() if c not in NOT_AUDITED_COLUMNS}
                if not changed:
                    continue
                before = {c: _clean(table, c, ov[0]) for c, ov in changed.items()}
                after = {c: _clean(table, c, ov[1]) for c, ov in changed.items()}
            rows.append(_row(actor, at, action, table, key, _person_of(conn, table, values), before, after))
    if rows:
        conn.execute(sa.insert(AUDIT_TABLE), rows)


def _before_flush(session: Session, flush_context: UOWTransaction, instances: Any) -> None:
    for obj in (*session.dirty, *session.deleted):
        if isinstance(obj, AuditEvent):
            raise AuditImmutableError("audit events cannot be changed or deleted")


def _statement_table(statement: Any) -> sa.Table | None:
    table = getattr(statement, "table", None)
    return table if isinstance(table, sa.Table) else None


def _do_orm_execute(state: ORMExecuteState) -> Any:
    if not (state.is_update or state.is_delete or state.is_insert):
        return None
    table = _statement_table(state.statement)
    if table is None:
        return None
    if table.name == "audit_event":
        if state.is_insert:
            return None
        raise AuditImmutableError("audit events cannot be changed or deleted")
    if table.name in NOT_AUDITED_TABLES:
        return None
    result = state.invoke_statement()
    action = "bulk_update" if state.is_update else "bulk_delete" if state.is_delete else "bulk_insert"
    params = state.parameters
    rows: int | None = len(params) if isinstance(params, list) else getattr(result, "rowcount", None)
    try:
        sql = str(cast(sa.ClauseElement, state.statement).compile(dialect=state.session.get_bind().dialect))[:2000]
    except Exception:  # pragma: no cover - some constructs only compile with parameters
        sql = type(state.statement).__name__
    columns = sorted(str(k) for k in (params[0] if isinstance(params, list) and params else params or {}))
    actor = current_actor()
    state.session.connection().execute(
        sa.insert(AUDIT_TABLE),
        [_row(actor, utcnow(), action, table.name, None, None, None, {"sql": sql, "rows": rows, "params": columns})],
    )
    return result


_installed = False


def install() -> None:
    """Register the listeners on every ``Session`` (idempotent)."""
    global _installed
    if _installed:
        return
    event.listen(Session, "before_flush", _before_flush)
    event.listen(Session, "after_flush", _after_flush)
    event.listen(Session, "do_orm_execute", _do_orm_execute)
    _installed = True


def _explicit_row(
    action: str,
    entity: str,
    entity_id: object | None,
    person_id: int | None,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
    actor: Actor | None,
) -> dict[str, Any]:
    return _row(
        actor or current_actor(),
        utcnow(),
        action,
        entity,
        str(entity_id) if entity_id is not None else None,
        person_id,
        jsonable(before) if before is not None else None,
        jsonable(after) if after is not None else None,
    )


def record(
    target: Session | sa.Connection,
    *,
    action: str,
    entity: str,
    entity_id: object | None = None,
    person_id: int | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    actor: Actor | None = None,
) -> None:
    """Write one event explicitly (reads of personal data, sign-in, exports, Core writes).

    On a ``Session`` it goes into the session's current transaction, so it commits or
    rolls back with the rest of the request. On a request's read-only session (a GET on
    SQLite, see :data:`SESSION_PENDING`) it is queued instead, and written before the
    response is sent.
    """
    row = _explicit_row(action, entity, entity_id, person_id, before, after, actor)
    if isinstance(target, Session):
        queue = target.info.get(SESSION_PENDING)
        if queue is not None:
            queue.append(row)
            return
    conn = target.connection() if isinstance(target, Session) else target
    conn.execute(sa.insert(AUDIT_TABLE), [row])


# --- events of reads: queued in the request, written before its response -------------------------

PENDING_SCOPE_KEY = "hrsys.audit.pending"
"""ASGI scope key of the request's queued events (a list of rows), see :func:`defer`."""

SESSION_PENDING = "hrsys.audit.pending"
"""``Session.info`` key: set (to the request's queue) on a request's read-only session. :func:`record` on
such a session queues the event instead of writing it: on SQLite that session holds no write lock, and
taking one in the middle of a read transaction fails at once when another writer holds it."""


def pending(scope: Any) -> list[dict[str, Any]]:
    """The request's queue of events still to write (created on first use)."""
    found: list[dict[str, Any]] | None = scope.get(PENDING_SCOPE_KEY)
    if found is None:
        found = scope[PENDING_SCOPE_KEY] = []
    return found


def defer(
    scope: Any,
    *,
    action: str,
    entity: str,
    entity_id: object | None = None,
    person_id: int | None = None,
    after: dict[str, Any] | None = None,
) -> None:
    """Queue an event for the request of ``scope`` (route guards, which run before any transaction): the
    app writes it before the response is sent (:class:`EventWriter`, or the request's own write transaction)."""
    pending(scope).append(_explicit_row(action, entity, entity_id, person_id, None, after, None))


def insert_rows(conn: sa.Connection, rows: list[dict[str, Any]]) -> None:
    if rows:
        conn.execute(sa.insert(AUDIT_TABLE), rows)


class EventWriter:
    """Writes the queued events of requests that have no write transaction of their own (reads), in batches.

    One thread per process and engine takes every event queued meanwhile and writes them in one short
    transaction; each request awaits the commit of the batch that holds its events, so its response is
    sent only once they are in the database (a failure answers 500 instead of the data). While a batch
    waits for SQLite's write lock the next one gathers, so a burst of reads costs a few transactions, not
    one each, and the event loop never waits for the lock. The thread stops after a while without work.
    """

    IDLE_SECONDS = 30.0
    MAX_BATCH = 1000

    def __init__(self, engine: sa.Engine) -> None:
        self._engine = engine
        self._queue: queue.SimpleQueue[tuple[list[dict[str, Any]], Callable[[BaseException | None], None]] | None]
        self._queue = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    async def write(self, rows: list[dict[str, Any]]) -> None:
        """Write ``rows``; return once they are committed (raise what the write raised)."""
        loop = asyncio.get_running_loop()
        done: asyncio.Future[None] = loop.create_future()

        def settle(error: BaseException | None) -> None:
            loop.call_soon_threadsafe(_settle, done, error)

        self._queue.put((rows, settle))
        self._ensure_running()
        await done

    def _ensure_running(self) -> None:
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="hrsys-audit-writer", daemon=True)
                self._thread.start()

    def close(self, timeout: float = 10.0) -> None:
        """Write what is queued, then stop the thread."""
        with self._lock:
            thread = self._thread
            if thread is None:
                return
            self._queue.put(None)
        thread.join(timeout)

    def _run(self) -> None:
        while True:
            try:
                item = self._queue.get(timeout=self.IDLE_SECONDS)
            except queue.Empty:
                with self._lock:
                    if self._queue.empty():
                        self._thread = None
                        return
                continue
            stop = item is None
            batch = [item] if item is not None else []
            while not stop and len(batch) < self.MAX_BATCH:
                try:
                    more = self._queue.get_nowait()
                except queue.Empty:
                    break
                if more is None:
                    stop = True
                else:
                    batch.append(more)
            if batch:
                self._write(batch)
            if stop:
                with self._lock:
                    self._thread = None
                return

    def _write(self, batch: list[tuple[list[dict[str, Any]], Callable[[BaseException | None], None]]]) -> None:
        error: BaseException | None = None
        try:
            with self._engine.begin() as conn:
                insert_rows(conn, [row for rows, _ in batch for row in rows])
        except Exception as exc:
            log.exception("audit events of %d requests could not be written", len(batch))
            error = exc
        for _, settle in batch:
            settle(error)


def _settle(done: asyncio.Future[None], error: BaseException | None) -> None:
    if done.done():  # the request was cancelled (client gone): its events are written all the same
        return
    if error is None:
        done.set_result(None)
    else:
        done.set_exception(error)
