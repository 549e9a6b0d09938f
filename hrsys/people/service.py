"""People commands (ORM, one transaction each) and the read of one person.

The people list is :mod:`hrsys.people.listing`. Role codes come from careers through
:mod:`hrsys.people.roles`; what counts as a person's history (which forbids deleting them) is registered by
the domains that keep it (:func:`register_history`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import msgspec
import sqlalchemy as sa
from sqlalchemy.orm import Session

from hrsys.agencies.models import Agency
from hrsys.core.db import lock_for_edit
from hrsys.core.errors import Conflict, FieldError, check, check_version
from hrsys.core.lookups import get_or_404
from hrsys.people import roles
from hrsys.people.models import Person
from hrsys.people.schemas import AgencyRef, PersonCreate, PersonOut, PersonUpdate, _position_errors


@dataclass(frozen=True)
class History:
    """Records of a person kept by another domain: a person who has any is deactivated, never deleted."""

    what: str
    """As the 409 names them ("skill assessments")."""
    rank: int
    """Which is named first when a person has several kinds."""
    has_any: Callable[[Session, int], bool]


_HISTORY: dict[str, History] = {}


def register_history(what: str, rank: int, has_any: Callable[[Session, int], bool]) -> None:
    _HISTORY[what] = History(what, rank, has_any)


def rows_of(model: type) -> Callable[[Session, int], bool]:
    """``has_any`` for a model with a ``person_id``: whether the person has one of its rows."""
    column = model.person_id  # type: ignore[attr-defined]
    key = model.id  # type: ignore[attr-defined]
    return lambda session, person_id: session.scalar(sa.select(key).where(column == person_id).limit(1)) is not None


def get(session: Session, person_id: int) -> Person:
    return get_or_404(session, Person, person_id, "person")


def to_out(session: Session, person: Person) -> PersonOut:
    agency = session.get(Agency, person.agency_id) if person.agency_id else None
    role_code = roles.code_of(session, person.role_id) if person.role_id else None
    agency_ref = AgencyRef(code=agency.code, name_th=agency.name_th, name_en=agency.name_en) if agency else None
    return PersonOut(**{f: getattr(person, f) for f in _OUT_COLUMNS}, agency=agency_ref, role=role_code)


_OUT_COLUMNS = [f.name for f in msgspec.structs.fields(PersonOut) if f.name not in ("agency", "role", "masked")]
"""The fields of :class:`PersonOut` that are the person's own columns."""


def _resolve_refs(
    session: Session, agency: str | None, role: str | None, errors: list[FieldError]
) -> tuple[int | None, int | None]:
    """Agency and role codes -> ids; an unknown one adds to ``errors`` (reported with the other fields)."""
    agency_id = role_id = None
    if agency is not None:
        agency_id = session.scalar(sa.select(Agency.id).where(Agency.code == agency))
        if agency_id is None:
            errors.append(FieldError("agency", f"no agency with code {agency}"))
    if role is not None:
        role_id = roles.ids(session, [role]).get(role)
        if role_id is None:
            errors.append(FieldError("role", f"no role with code {role}"))
    return agency_id, role_id


def _unique_conflicts(session: Session, email: str | None, cid: str | None, exclude_id: int | None) -> None:
    for field, column, value in (("email", Person.email, email), ("citizen_id", Person.citizen_id, cid)):
        if value is None:
            continue
        stmt = sa.select(Person.id).where(column == value)
        if exclude_id is not None:
            stmt = stmt.where(Person.id != exclude_id)
        if session.scalar(stmt) is not None:
            raise Conflict(f"another person already has this {field}", errors=[FieldError(field, "already in use")])


def create(session: Session, data: PersonCreate) -> Person:
    errors = data.check()
    agency_id, role_id = _resolve_refs(session, data.agency, data.role, errors)
    check(errors)
    email = data.email.lower() if data.email else None
    _unique_conflicts(session, email, data.citizen_id, None)
    own = {k: v for k, v in msgspec.structs.asdict(data).items() if k not in ("agency", "role", "email")}
    person = Person(**own, email=email, agency_id=agency_id, role_id=role_id)
    session.add(person)
    session.flush()
    session.refresh(person)
    return person


def update(session: Session, person_id: int, data: PersonUpdate) -> Person:
    person = lock_for_edit(session, get(session, person_id))
    check_version("person", person_id, person.version, data.version)
    changes = {
        f: getattr(data, f)
        for f in msgspec.structs.asdict(data)
        if f != "version" and getattr(data, f) is not msgspec.UNSET
    }
    agency_code = changes.pop("agency", None)
    role_code = changes.pop("role", msgspec.UNSET)
    errors = data.check()
    agency_id, role_id = _resolve_refs(session, agency_code, role_code if isinstance(role_code, str) else None, errors)
    errors += _position_errors(
        person.kind,
        changes.get("position_type", person.position_type),
        changes.get("position_level", person.position_level),
    )
    for required in ("first_name_th", "last_name_th", "first_name_en", "last_name_en", "active"):
        if required in changes and changes[required] is None:
            errors.append(FieldError(required, "cannot be empty"))
    check(errors)
    if changes.get("email"):
        changes["email"] = changes["email"].lower()
    _unique_conflicts(session, changes.get("email"), changes.get("citizen_id"), person.id)
    for field, value in changes.items():
        setattr(person, field, value)
    if agency_id is not None:
        person.agency_id = agency_id
    if role_code is None:
        person.role_id = None
    elif role_id is not None:
        person.role_id = role_id
    session.flush()
    session.refresh(person)
    return person


def delete(session: Session, person_id: int) -> None:
    """Delete a person who has no history; anyone with records is deactivated instead (409)."""
    person = get(session, person_id)
    for history in sorted(_HISTORY.values(), key=lambda h: h.rank):
        what = history.what
        if history.has_any(session, person_id):
            raise Conflict(
                f"person {person_id} has {what}; set active to false instead of deleting",
                rule="person_has_history",
            )
    session.delete(person)
    session.flush()
