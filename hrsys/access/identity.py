"""Who is calling: the signed-in user as the rest of hrsys sees it."""

from __future__ import annotations

import msgspec
from litestar.di import NamedDependency

from hrsys.access.models import UserRole


class CurrentUser(msgspec.Struct, frozen=True, kw_only=True):
    """A signed-in user, read once per request (``request.user``, the ``current_user`` dependency)."""

    id: int
    username: str
    role: UserRole
    agency_id: int | None = None
    """HR officers: the root of the agency subtree they work on."""
    agency_path: str | None = None
    """Materialised path of ``agency_id`` (``/1/7/``); the subtree is one range of paths."""
    person_id: int | None = None
    generation: int = 0
    via: str = "bearer"
    """How the request proved it: ``bearer`` (Authorization header) or ``cookie``."""

    @property
    def is_admin(self) -> bool:
        return self.role is UserRole.admin

    @property
    def is_hr(self) -> bool:
        return self.role is UserRole.hr_officer

    @property
    def is_lead(self) -> bool:
        return self.role is UserRole.taskforce_lead

    @property
    def label(self) -> str:
        return f"{self.username} ({self.role.value})"


User = NamedDependency[CurrentUser]
"""The signed-in user as a handler dependency (``current_user``)."""
