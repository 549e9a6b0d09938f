"""Access settings and the names of the sign-in cookies.

The settings (password hashing cost, sign-in limits, cookies, retention of
external experts' data) are :class:`hrsys.config.AccessSettings`, read with the
others from ``HRSYS_`` variables by :class:`hrsys.config.Settings` (see the
table in README.md, "Configuration"); the app keeps them as
``app.state.access`` and the commands take them from ``settings.access``.
"""

from __future__ import annotations

from hrsys.config import AccessSettings

__all__ = ["CSRF_COOKIE", "CSRF_FORM_FIELD", "CSRF_HEADER", "SESSION_COOKIE", "AccessSettings"]

SESSION_COOKIE = "hrsys_session"
CSRF_COOKIE = "hrsys_csrf"
CSRF_HEADER = "x-csrf-token"
CSRF_FORM_FIELD = "_csrf"
