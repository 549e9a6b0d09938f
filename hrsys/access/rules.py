"""Access rules that routes declare: ``opt={"access": Access.x}`` on every route handler.

The guard in :mod:`hrsys.access.guards` enforces the rule; a test walks the app's
routes and fails for any route without one (deny by default). Rules say who may
call a route at all; which rows they may see (agency scope, own data) is decided
in the services.
"""

from __future__ import annotations

import enum


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
