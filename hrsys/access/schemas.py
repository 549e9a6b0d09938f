from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

import msgspec

from hrsys.access import passwords
from hrsys.access.models import UserRole
from hrsys.core.errors import FieldError
from hrsys.core.schemas import Input, Output

Username = Annotated[
    str,
    msgspec.Meta(
        min_length=3,
        max_length=150,
        pattern=r"^[A-Za-z0-9][A-Za-z0-9._@-]*$",
        description="Letters, digits and . _ @ - (stored in lower case)",
    ),
]
Password = Annotated[str, msgspec.Meta(min_length=1, max_length=1024)]
Email = Annotated[str, msgspec.Meta(max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")]
AgencyCode = Annotated[str, msgspec.Meta(min_length=1, max_length=32)]


def _role_errors(role: UserRole | None, agency: str | None, person_id: int | None) -> list[FieldError]:
    errors: list[FieldError] = []
    if role is UserRole.hr_officer and not agency:
        errors.append(FieldError("agency", "an HR officer needs the agency whose subtree they manage"))
    if role in (UserRole.staff, UserRole.taskforce_lead) and person_id is None:
        errors.append(FieldError("person_id", f"a {role.value} user is linked to their person record"))
    return errors


class LoginInput(Input):
    username: Annotated[str, msgspec.Meta(min_length=1, max_length=150)]
    password: Password


class UserOut(Output):
    id: int
    username: str
    role: UserRole
    email: str | None
    agency: str | None
    """Code of the agency whose subtree an HR officer manages."""
    person_id: int | None
    active: bool
    locked_until: dt.datetime | None
    last_login_at: dt.datetime | None
    created_at: dt.datetime


class LoginOut(Output):
    access_token: str
    token_type: str
    expires_at: dt.datetime
    csrf_token: str
    """Send it back in the ``X-CSRF-Token`` header with writes authenticated by the cookie."""
    user: UserOut


class UserCreate(Input):
    username: Username
    password: Password
    role: UserRole
    email: Email | None = None
    agency: AgencyCode | None = None
    person_id: int | None = None

    def check(self) -> list[FieldError]:
        errors = [FieldError("password", r) for r in passwords.policy_errors(self.password, self.username)]
        return errors + _role_errors(self.role, self.agency, self.person_id)


class UserUpdate(Input):
    """Fields to change. Changing the role, agency, person, password or deactivating signs the user out."""

    role: UserRole | msgspec.UnsetType = msgspec.UNSET
    email: Email | msgspec.UnsetType | None = msgspec.UNSET
    agency: AgencyCode | msgspec.UnsetType | None = msgspec.UNSET
    person_id: int | msgspec.UnsetType | None = msgspec.UNSET
    active: bool | msgspec.UnsetType = msgspec.UNSET
    password: Password | msgspec.UnsetType = msgspec.UNSET
    """A new password set by an administrator (a reset)."""

    def check(self) -> list[FieldError]:
        if isinstance(self.password, str):
            return [FieldError("password", r) for r in passwords.policy_errors(self.password)]
        return []


class PasswordChange(Input):
    current_password: Password
    new_password: Password

    def check(self) -> list[FieldError]:
        errors = [FieldError("new_password", r) for r in passwords.policy_errors(self.new_password)]
        if self.new_password == self.current_password:
            errors.append(FieldError("new_password", "must differ from the current password"))
        return errors


class AuditEventOut(Output):
    id: int
    at: dt.datetime
    actor_user_id: int | None
    actor: str | None
    action: str
    entity: str
    entity_id: str | None
    person_id: int | None
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    address: str | None


class AnonymiseCandidate(Output):
    person_id: int
    last_engaged_on: dt.date


class AnonymiseResult(Output):
    dry_run: bool
    retention_days: int
    cutoff: dt.date
    """Experts whose last engagement ended before this day are anonymised."""
    people: list[AnonymiseCandidate]
