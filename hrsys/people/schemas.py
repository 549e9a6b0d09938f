from __future__ import annotations

import datetime as dt
from typing import Annotated

import msgspec

from hrsys.core import clock
from hrsys.core.errors import FieldError
from hrsys.core.schemas import Input, Output
from hrsys.people import citizen_id
from hrsys.people.models import LEVELS_BY_TYPE, PersonKind, PositionLevel, PositionType, Sector

Name = Annotated[str, msgspec.Meta(min_length=1, max_length=150)]
Email = Annotated[str, msgspec.Meta(max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")]
Cost = Annotated[int, msgspec.Meta(ge=0, le=10_000_000)]


def _position_errors(
    kind: PersonKind | None, ptype: PositionType | None, plevel: PositionLevel | None
) -> list[FieldError]:
    errors: list[FieldError] = []
    if ptype is not None and plevel is not None and plevel not in LEVELS_BY_TYPE[ptype]:
        allowed = ", ".join(LEVELS_BY_TYPE[ptype])
        errors.append(FieldError("position_level", f"{plevel} is not a level of {ptype}; use one of {allowed}"))
    if (ptype is None) != (plevel is None):
        missing = "position_level" if plevel is None else "position_type"
        errors.append(FieldError(missing, "position type and level are given together"))
    if kind == PersonKind.external_expert and ptype is not None:
        errors.append(FieldError("position_type", "external experts have no civil-service position"))
    return errors


class PersonCreate(Input):
    checks_in_service = True  # with the agency and role lookups, in one 422

    kind: PersonKind
    first_name_th: Name
    last_name_th: Name
    first_name_en: Name
    last_name_en: Name
    title_th: Annotated[str, msgspec.Meta(max_length=50)] | None = None
    email: Email | None = None
    phone: Annotated[str, msgspec.Meta(max_length=40)] | None = None
    citizen_id: str | None = None
    date_of_birth: dt.date | None = None
    agency: str | None = None
    """Home agency code; required for civil servants."""
    organisation: Annotated[str, msgspec.Meta(max_length=300)] | None = None
    sector: Sector | None = None
    position_type: PositionType | None = None
    position_level: PositionLevel | None = None
    role: str | None = None
    """Code of the current role."""
    role_since: dt.date | None = None
    salary_grade: Annotated[str, msgspec.Meta(max_length=20)] | None = None
    monthly_cost_baht: Cost | None = None
    hired_on: dt.date | None = None

    def check(self) -> list[FieldError]:
        errors = _position_errors(self.kind, self.position_type, self.position_level)
        if self.kind == PersonKind.civil_servant and not self.agency:
            errors.append(FieldError("agency", "a civil servant needs a home agency"))
        if self.kind == PersonKind.external_expert and not self.organisation:
            errors.append(FieldError("organisation", "an external expert needs an organisation"))
        if self.citizen_id is not None and (reason := citizen_id.problem(self.citizen_id)):
            errors.append(FieldError("citizen_id", reason))
        if self.date_of_birth is not None and self.date_of_birth > clock.today():
            errors.append(FieldError("date_of_birth", "is in the future"))
        return errors


class PersonUpdate(Input):
    """Fields to change; those left out stay as they are. ``null`` clears an optional field."""

    checks_in_service = True  # with the agency and role lookups, in one 422

    first_name_th: Name | msgspec.UnsetType = msgspec.UNSET
    last_name_th: Name | msgspec.UnsetType = msgspec.UNSET
    first_name_en: Name | msgspec.UnsetType = msgspec.UNSET
    last_name_en: Name | msgspec.UnsetType = msgspec.UNSET
    title_th: str | msgspec.UnsetType | None = msgspec.UNSET
    email: Email | msgspec.UnsetType | None = msgspec.UNSET
    phone: str | msgspec.UnsetType | None = msgspec.UNSET
    citizen_id: str | msgspec.UnsetType | None = msgspec.UNSET
    date_of_birth: dt.date | msgspec.UnsetType | None = msgspec.UNSET
    agency: str | msgspec.UnsetType = msgspec.UNSET
    organisation: str | msgspec.UnsetType | None = msgspec.UNSET
    sector: Sector | msgspec.UnsetType | None = msgspec.UNSET
    position_type: PositionType | msgspec.UnsetType | None = msgspec.UNSET
    position_level: PositionLevel | msgspec.UnsetType | None = msgspec.UNSET
    role: str | msgspec.UnsetType | None = msgspec.UNSET
    role_since: dt.date | msgspec.UnsetType | None = msgspec.UNSET
    salary_grade: str | msgspec.UnsetType | None = msgspec.UNSET
    monthly_cost_baht: Cost | msgspec.UnsetType | None = msgspec.UNSET
    hired_on: dt.date | msgspec.UnsetType | None = msgspec.UNSET
    active: bool | msgspec.UnsetType = msgspec.UNSET
    version: int | msgspec.UnsetType = msgspec.UNSET
    """The version you read; if someone changed the person since, the edit is refused with 409."""

    def check(self) -> list[FieldError]:
        errors: list[FieldError] = []
        if isinstance(self.citizen_id, str) and (reason := citizen_id.problem(self.citizen_id)):
            errors.append(FieldError("citizen_id", reason))
        return errors


class AgencyRef(Output):
    code: str
    name_th: str
    name_en: str


class PersonListItem(Output):
    id: int
    kind: PersonKind
    first_name_th: str
    last_name_th: str
    first_name_en: str
    last_name_en: str
    agency: AgencyRef | None
    organisation: str | None
    position_type: PositionType | None
    position_level: PositionLevel | None
    role: str | None
    active: bool


class PersonOut(Output):
    id: int
    kind: PersonKind
    title_th: str | None
    first_name_th: str
    last_name_th: str
    first_name_en: str
    last_name_en: str
    email: str | None
    phone: str | None
    citizen_id: str | None
    date_of_birth: dt.date | None
    agency: AgencyRef | None
    organisation: str | None
    sector: Sector | None
    position_type: PositionType | None
    position_level: PositionLevel | None
    role: str | None
    role_since: dt.date | None
    salary_grade: str | None
    monthly_cost_baht: int | None
    hired_on: dt.date | None
    active: bool
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime
    masked: list[str] = []
    """Fields hidden from this reader (shown as null): sensitive details of a person outside their full scope."""
