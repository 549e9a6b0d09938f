"""Access rules that routes declare: ``opt={"access": Access.x}`` on every route handler.

The global guard (:func:`hrsys.access.guard.access_guard`) enforces the rule before
the handler runs: 401 when the rule needs a user and there is none (or the token is
bad or expired), 403 when the user's role is not admitted. A route without a rule
is refused with 403, and a test walks the app's routes and fails for any such route
(deny by default).

Rules say who may call a route at all. Which rows a caller may see or change (an HR
officer's agency subtree, a person's own data, a lead's task forces) is decided on
the object, with the helpers of :mod:`hrsys.access.scope`: an object out of scope
is a 404 (its existence is not revealed), or a 403 when the caller may see it but
not change it.
"""

from __future__ import annotations

import enum

from hrsys.access.models import UserRole


class Access(enum.StrEnum):
    public = "public"
    """No sign-in: health, sign-in, OpenAPI docs."""
    authenticated = "authenticated"
    """Any signed-in user: catalog, roles, career graph, courses."""
    person = "person"
    """A person's own data, or an HR officer in scope, or an admin (the service checks scope)."""
    lead = "lead"
    """Task-force leads for their task forces, HR officers in scope, admins."""
    hr = "hr"
    """HR officers (within their agency subtree) and admins."""
    admin = "admin"
    """Administrators only."""


ALL_ROLES = frozenset(UserRole)

ROLES: dict[Access, frozenset[UserRole]] = {
    Access.public: ALL_ROLES,
    Access.authenticated: ALL_ROLES,
    Access.person: ALL_ROLES,
    Access.lead: frozenset({UserRole.admin, UserRole.hr_officer, UserRole.taskforce_lead}),
    Access.hr: frozenset({UserRole.admin, UserRole.hr_officer}),
    Access.admin: frozenset({UserRole.admin}),
}
"""Roles admitted by each rule (``public`` also admits callers who are not signed in)."""


def admits(rule: Access, role: UserRole | None) -> bool:
    """Does ``rule`` let a caller with ``role`` (None: not signed in) call the route?"""
    if rule is Access.public:
        return True
    return role is not None and role in ROLES[rule]
