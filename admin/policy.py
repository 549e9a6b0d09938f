"""What the admin may write, table by table, and how a write is prepared: plain data in, plain data out.

The admin writes rows as they are, through Piccolo; it does not run hrsys's
services. So the rules that protect hrsys's own bookkeeping live here, and
:mod:`admin.writes` applies them to every create, edit and delete:

- **Read-only tables** (:data:`READ_ONLY`): the audit trail, sign-in bookkeeping,
  users (passwords must be hashed and sign-ins revoked by the users API),
  append-only histories and derived data. A write is refused with 405.
- **Maintained columns**: ``created_at``/``updated_at`` (set to now), the
  optimistic-lock ``version`` (1 on create, +1 on each edit), an agency's
  ``path`` and ``depth`` (computed from its parent after the write). Values sent
  for them are ignored: the admin's edit form sends every field back.
- **Stale edits**: an edit that carries the ``version`` it was loaded at, while
  the row has moved on, is refused with 409 (someone else changed it).
- **Fixed columns** (:data:`FIXED_ON_EDIT`, and every row's key): changing them
  needs more than one row to change (moving an agency re-roots its subtree), so an
  edit that changes them is refused with 409 and a pointer to the API that does it.
  A key sent with a create is ignored: the database numbers rows.
- **Cache stamps** (:data:`CACHE_STAMPS`): a write to a table that a per-process
  cache reads bumps that cache's version stamp, so every worker reloads.

Everything in this module is pure: no database, no web framework. Cost: linear
in the number of fields of the row.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from hrsys.core import clock

READ_ONLY: dict[str, str] = {
    "audit_event": "the audit trail is append-only",
    "login_attempt": "sign-in attempts are recorded by hrsys itself",
    "app_user": "manage users with the users API (/api/v1/users), which hashes passwords and revokes sign-ins",
    "version_stamp": "cache version stamps are kept by hrsys itself",
    "assessment": "assessments are append-only evidence: record new ones with the API, which also updates profiles",
    "catalog_import": "the log of catalog imports is written by the importer",
    "secondment_transition": "the history of a secondment's states is written by its state machine",
    "team_proposal": "team proposals are computed by team assembly",
    "request": "requests are asked and decided through the inbox (/api/v1/inbox, /api/v1/requests), never by hand",
    "notification": "notifications are written with the events that cause them",
    "outbox_mail": "the e-mail outbox is written with the events and delivered by hrsys itself",
    "notification_preference": "each user sets their own (/api/v1/notifications/preferences)",
    "daily_job_run": "the daily jobs' last runs are kept by hrsys itself",
}
"""Tables shown but never written through the admin, with the reason given to the user."""

FIXED_ON_EDIT: dict[str, dict[str, str]] = {
    "agency": {
        "parent_id": "moving an agency moves its whole subtree: use PATCH /api/v1/agencies/{code} with a new parent",
    },
}
"""Columns an edit may not change, with what to do instead."""

CACHE_STAMPS: dict[str, str] = {
    "agency": "agencies",
    "role": "career_graph",
    "role_requirement": "career_graph",
    "role_transition": "career_graph",
    "framework": "catalog",
    "proficiency_level": "catalog",
    "skill_group": "catalog",
    "skill": "catalog",
    "skill_profile": "catalog",
    "course": "training_catalog",
    "course_outcome": "training_catalog",
    "course_session": "training_catalog",
}
"""Version stamp bumped by a write to each table (names as in the caches of agencies, careers, training)."""

TREE_COLUMNS: dict[str, tuple[str, str, str]] = {"agency": ("parent_id", "path", "depth")}
"""Tables kept as materialised paths: (parent column, path column, depth column)."""

TREE_PLACEHOLDER = "/"
"""Path written on insert, replaced by the real one in the same transaction once the row has its id."""


@dataclass(frozen=True)
class TablePolicy:
    """The rules for one table (built from the models by :func:`admin.site.build_policies`)."""

    name: str
    columns: frozenset[str]
    key: str = "id"
    """The primary key: never taken from a create (the database numbers rows), never changed by an edit."""
    read_only: str | None = None
    version_column: str | None = None
    created_columns: frozenset[str] = frozenset()
    """Set to now on create (``created_at``, ``updated_at``)."""
    touched_columns: frozenset[str] = frozenset()
    """Set to now on every edit (columns with an ``onupdate`` of now)."""
    computed_columns: frozenset[str] = frozenset()
    """Written by hrsys after the row is saved (an agency's ``path`` and ``depth``)."""
    placeholders: Mapping[str, Any] = field(default_factory=dict)
    """Values inserted for ``computed_columns`` until the real ones are written (they are NOT NULL)."""
    defaults: Mapping[str, Any] = field(default_factory=dict)
    """Column defaults, used for columns a create leaves out (piccolo-admin would write NULL for them)."""
    now_defaults: frozenset[str] = frozenset()
    """Columns whose default is the time of the write (a date column: its day, in UTC)."""
    date_columns: frozenset[str] = frozenset()
    fixed_on_edit: Mapping[str, str] = field(default_factory=dict)
    cache_stamp: str | None = None
    personal: bool = False
    """Rows hold personal data: reads through the admin are audited like reads of a profile."""

    @property
    def maintained(self) -> frozenset[str]:
        version = frozenset({self.version_column}) if self.version_column else frozenset()
        return self.created_columns | self.touched_columns | self.computed_columns | version


@dataclass
class WritePlan:
    """What to send on to the admin (``body``), or why not.

    ``refused``: 405 (read-only table); ``conflict``: 409 (stale edit); ``errors``: 409, the
    fields an edit may not change, each with what to do instead.
    """

    body: dict[str, Any] | None = None
    refused: str | None = None
    conflict: str | None = None
    errors: list[tuple[str, str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.refused is None and self.conflict is None and not self.errors


def _now_text(now: dt.datetime) -> str:
    return now.astimezone(dt.UTC).isoformat()


def _same(a: Any, b: Any) -> bool:
    """Equal as the admin's JSON and the database's values can be (``5`` and ``"5"``; ``None`` and ``""``)."""
    if a in (None, "") or b in (None, ""):
        return a in (None, "") and b in (None, "")
    return str(a) == str(b)


def plan_create(policy: TablePolicy, body: Mapping[str, Any], now: dt.datetime) -> WritePlan:
    """The body to insert: defaults for the columns left out; maintained columns set (timestamps now, version 1)."""
    if policy.read_only:
        return WritePlan(refused=f"{policy.name} is read-only here: {policy.read_only}")
    out = {k: v for k, v in body.items() if k not in policy.maintained and k != policy.key}
    for name, value in policy.defaults.items():
        out.setdefault(name, value)
    for name in policy.now_defaults:
        if name not in out:
            out[name] = clock.local(now).date().isoformat() if name in policy.date_columns else _now_text(now)
    out.update(policy.placeholders)
    for name in policy.created_columns:
        out[name] = _now_text(now)
    if policy.version_column:
        out[policy.version_column] = 1
    return WritePlan(body=out)


def plan_update(policy: TablePolicy, before: Mapping[str, Any], body: Mapping[str, Any], now: dt.datetime) -> WritePlan:
    """The body of an edit: stale check on ``version``, fixed columns refused, maintained columns set by hrsys.

    ``before`` is the row as stored, read in the write's own transaction.
    """
    if policy.read_only:
        return WritePlan(refused=f"{policy.name} is read-only here: {policy.read_only}")
    version = policy.version_column
    if version and version in body and body[version] not in (None, "") and not _same(body[version], before[version]):
        return WritePlan(
            conflict=f"this {policy.name} row was changed by someone else since you opened it "
            f"(version {body[version]} opened, {before[version]} now): reload it and edit again"
        )
    fixed = {policy.key: "the key of a row never changes", **policy.fixed_on_edit}
    errors = [
        (name, message) for name, message in fixed.items() if name in body and not _same(body[name], before.get(name))
    ]
    if errors:
        return WritePlan(errors=errors)
    out = {k: v for k, v in body.items() if k not in policy.maintained}
    for name in policy.touched_columns:
        out[name] = _now_text(now)
    if version:
        out[version] = int(before[version]) + 1
    return WritePlan(body=out)


def plan_delete(policy: TablePolicy) -> WritePlan:
    if policy.read_only:
        return WritePlan(refused=f"{policy.name} is read-only here: {policy.read_only}")
    return WritePlan(body={})


def changed(
    before: Mapping[str, Any], after: Mapping[str, Any], skip: frozenset[str] = frozenset()
) -> tuple[dict[str, Any], dict[str, Any]]:
    """``(before, after)`` restricted to the columns whose value changed (the shape of an audit event of an edit)."""
    names = [k for k in after if k not in skip and before.get(k) != after.get(k)]
    return {k: before.get(k) for k in names}, {k: after.get(k) for k in names}


def tree_path(parent_path: str | None, row_id: int) -> tuple[str, int]:
    """``(path, depth)`` of a row under a parent with ``parent_path`` (None: a root): ``/1/7/`` + ``42/``."""
    prefix = parent_path or "/"
    return f"{prefix}{row_id}/", prefix.count("/") - 1
