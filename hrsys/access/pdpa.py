"""PDPA duties: a person's data export (subject access) and the anonymisation of external experts.

These duties reach every table that holds a person, so they read the tables by name
through the shared metadata (``Base.metadata``) instead of importing the domains:
access imports no domain. :func:`person_columns` lists every column with a foreign
key to ``person.id`` and a test keeps :data:`EXPORTED_PERSON_COLUMNS` covering them
all, so a new table that holds a person cannot be left out of the export silently.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.orm import Session

from hrsys.access import audit
from hrsys.access.models import AuditEvent, LoginAttempt, User
from hrsys.access.schemas import AnonymiseCandidate, AnonymiseResult
from hrsys.access.scope import people_table
from hrsys.core import clock
from hrsys.core.db import Base, utcnow
from hrsys.core.errors import Invalid, NotFound

LA = cast(sa.Table, LoginAttempt.__table__)
AE = cast(sa.Table, AuditEvent.__table__)


def _mapped(table_name: str) -> Any:
    """The ORM class mapped to ``table_name`` (changes through it leave the audit trail's events)."""
    return next(m.class_ for m in Base.registry.mappers if m.persist_selectable is Base.metadata.tables[table_name])


# ---------------------------------------------------------------- PDPA: export


def _table(name: str) -> sa.Table:
    return Base.metadata.tables[name]


def _rows(conn: sa.Connection, table: sa.Table, cond: sa.ColumnElement[bool], drop: Iterable[str] = ()) -> list[Any]:
    dropped = set(drop)
    order = [c for c in table.primary_key.columns]
    out = []
    for row in conn.execute(sa.select(table).where(cond).order_by(*order)):
        out.append({k: audit.jsonable(v) for k, v in row._mapping.items() if k not in dropped})
    return out


EXPORTED_PERSON_COLUMNS: dict[tuple[str, str], str] = {
    ("person", "id"): "person",
    ("app_user", "person_id"): "user",
    ("assessment", "person_id"): "assessments",
    ("current_skill", "person_id"): "current_skills",
    ("assessment_request", "person_id"): "assessment_requests",
    ("request", "person_id"): "requests",
    ("enrolment", "person_id"): "enrolments",
    ("development_plan", "person_id"): "development_plans",
    ("taskforce_member", "person_id"): "taskforce_memberships",
    ("taskforce", "lead_id"): "taskforces_led",
    ("secondment", "person_id"): "secondments",
    ("knowledge_transfer", "counterpart_id"): "knowledge_received",
}
"""Every column that points at a person, and the export section that carries those rows."""

NOT_ABOUT_THE_PERSON: frozenset[tuple[str, str]] = frozenset({("assessment", "assessor_id")})
"""Columns that point at a person but hold data about someone else (assessments they made of others)."""


def person_columns() -> list[tuple[str, str]]:
    """Every ``(table, column)`` with a foreign key to ``person.id`` (the export must cover them all)."""
    found = []
    for table in Base.metadata.sorted_tables:
        for fk in table.foreign_keys:
            if fk.column.table.name == "person" and fk.column.name == "id":
                found.append((table.name, fk.parent.name))
    return found


def export_person(conn: sa.Connection, person_id: int) -> dict[str, Any]:
    """Everything hrsys holds about one person (PDPA subject access), as JSON-ready data.

    Person, user account (without the password hash) and its sign-in attempts,
    assessments of them, current skills, enrolments, development plans with their
    items, task-force memberships and task forces led, secondments with their state
    history, conflict-of-interest declarations and knowledge transfers, knowledge
    received, and every audit event about them. One query per section.
    """
    P = people_table().table
    if conn.scalar(sa.select(P.c.id).where(P.c.id == person_id)) is None:
        raise NotFound("person", person_id)
    out: dict[str, Any] = {"format": "hrsys-person-export/1", "exported_at": utcnow().isoformat()}
    for (table_name, column), section in EXPORTED_PERSON_COLUMNS.items():
        table = _table(table_name)
        drop = ("password_hash",) if table_name == "app_user" else ()
        out[section] = _rows(conn, table, table.c[column] == person_id, drop)
    out["person"] = out["person"][0]
    out["user"] = out["user"][0] if out["user"] else None
    plan_ids = [p["id"] for p in out["development_plans"]]
    items = _table("development_plan_item")
    out["development_plan_items"] = _rows(conn, items, items.c.plan_id.in_(plan_ids)) if plan_ids else []
    secondment_ids = [s["id"] for s in out["secondments"]]
    for name, section in (
        ("secondment_transition", "secondment_transitions"),
        ("coi_review", "conflict_of_interest_declarations"),
        ("knowledge_transfer", "knowledge_transferred"),
    ):
        table = _table(name)
        out[section] = _rows(conn, table, table.c.secondment_id.in_(secondment_ids)) if secondment_ids else []
    out["sign_in_attempts"] = _rows(conn, LA, LA.c.username == out["user"]["username"], ("id",)) if out["user"] else []
    out["audit_events"] = _rows(conn, AE, AE.c.person_id == person_id)
    return out


# ---------------------------------------------------------------- PDPA: anonymisation

ONGOING_SECONDMENT = ("proposed", "under_review", "approved", "active", "extended")

ANONYMISED_FIELDS = (
    "title_th",
    "email",
    "phone",
    "citizen_id",
    "date_of_birth",
    "organisation",
    "salary_grade",
    "monthly_cost_baht",
)


def anonymisation_candidates(conn: sa.Connection | Session, *, today: dt.date, retention_days: int) -> list[Any]:
    """External experts, not yet anonymised, with nothing ongoing, whose last engagement ended before the cutoff.

    Last engagement: the latest end of any secondment or task-force membership, or
    the day the record was created if there is none.
    """
    people = people_table()
    s, m, p = _table("secondment"), _table("taskforce_member"), people.table
    cutoff = today - dt.timedelta(days=retention_days)
    last_secondment = sa.select(sa.func.max(s.c.ends_on)).where(s.c.person_id == p.c.id).scalar_subquery()
    last_member = sa.select(sa.func.max(m.c.ends_on)).where(m.c.person_id == p.c.id).scalar_subquery()
    ongoing = sa.exists().where(s.c.person_id == p.c.id, s.c.status.in_(ONGOING_SECONDMENT))
    ongoing_member = sa.exists().where(m.c.person_id == p.c.id, m.c.ends_on >= today)
    rows = conn.execute(
        sa.select(p.c.id, p.c.created_at, last_secondment.label("s_end"), last_member.label("m_end"))
        .where(
            people.kind == people.external,
            p.c.anonymised_at.is_(None),
            ~ongoing,
            ~ongoing_member,
        )
        .order_by(p.c.id)
    ).all()
    out = []
    for r in rows:
        ends = [d for d in (r.s_end, r.m_end) if d is not None]
        last = max(ends) if ends else clock.local(r.created_at).date()
        if last < cutoff:
            out.append(AnonymiseCandidate(person_id=r.id, last_engaged_on=last))
    return out


def anonymise_person(session: Session, person: Any) -> None:
    """Replace an expert's identifying data; keep kind, sector, dates and every link (statistics stay right).

    Their user (if any) is disabled and renamed; declared interests in their
    conflict-of-interest reviews are cleared (the decisions stay). The audit trail is
    untouched: it never held the identifiers (see :mod:`hrsys.access.audit`).
    """
    person.first_name_th = "ไม่ระบุชื่อ"
    person.last_name_th = f"#{person.id}"
    person.first_name_en = "Anonymised"
    person.last_name_en = f"#{person.id}"
    for field in ANONYMISED_FIELDS:
        setattr(person, field, None)
    person.active = False
    person.anonymised_at = utcnow()
    user = session.scalar(sa.select(User).where(User.person_id == person.id))
    if user is not None:
        user.username = f"anonymised-{person.id}"
        user.email = None
        user.active = False
        user.password_hash = "!"
        user.token_generation = user.token_generation + 1
    coi = _table("coi_review")
    s = _table("secondment")
    ConflictOfInterestReview = _mapped("coi_review")
    reviews = session.scalars(
        sa.select(ConflictOfInterestReview).where(
            coi.c.secondment_id.in_(sa.select(s.c.id).where(s.c.person_id == person.id))
        )
    ).all()
    for review in reviews:
        review.employer = None
        review.shareholdings = None
        review.contracts_with_host = None
        review.other_interests = None
    session.flush()
    audit.record(session, action="anonymise", entity="person", entity_id=person.id, person_id=person.id)


def anonymise_experts(
    session: Session, *, today: dt.date, retention_days: int, dry_run: bool = True
) -> AnonymiseResult:
    """Anonymise every candidate (or, with ``dry_run``, only list them), in the caller's transaction."""
    if retention_days < 0:
        raise Invalid.one("retention_days", "must be 0 or more")
    candidates = anonymisation_candidates(session, today=today, retention_days=retention_days)
    if not dry_run:
        for c in candidates:
            anonymise_person(session, session.get_one(_mapped("person"), c.person_id))
    return AnonymiseResult(
        dry_run=dry_run,
        retention_days=retention_days,
        cutoff=today - dt.timedelta(days=retention_days),
        people=candidates,
    )
